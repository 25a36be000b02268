//! Reading upstream commits through git2: the message, the author and, for
//! each file the commit touches, its text before and after. `files` reads
//! a commit's files as they are; `read` is it for porting, refusing what
//! cannot be ported (a merge, a binary file); the survey names binary files
//! instead.

use crate::git;
use crate::git::{Delta, Oid, Repository};
use anyhow::{anyhow, bail, Context, Result};

#[derive(Debug, Clone)]
pub struct FileChange {
    /// None for an added file.
    pub old_path: Option<String>,
    /// None for a deleted file.
    pub new_path: Option<String>,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone)]
pub struct Commit {
    pub id: Oid,
    pub author_name: String,
    pub author_email: String,
    pub author_time: git::Time,
    pub message: String,
    pub changes: Vec<FileChange>,
    /// Files of the commit left out by `--path`/`--exclude`.
    pub left_out: Vec<String>,
}

pub fn read(repo: &Repository, id: Oid) -> Result<Commit> {
    let commit = repo.find_commit(id)?;
    if commit.parent_count() != 1 {
        bail!(
            "upstream commit {} has {} parents; only ordinary commits can be ported",
            short(id),
            commit.parent_count()
        );
    }
    let mut changes = Vec::new();
    for file in files(repo, &commit, |_| true)?.0 {
        let shown = file.shown();
        if !matches!(
            file.kind,
            Delta::Added | Delta::Deleted | Delta::Modified | Delta::Renamed | Delta::Typechange
        ) {
            bail!("{shown}: cannot port a change of kind {:?}", file.kind);
        }
        changes.push(file.text().ok_or_else(|| {
            anyhow!(
                "{shown} in upstream commit {} is binary; only text can be ported",
                short(id)
            )
        })?);
    }
    let author = commit.author();
    Ok::<_, anyhow::Error>(Commit {
        id,
        author_name: author.name().unwrap_or_default().to_string(),
        author_email: author.email().unwrap_or_default().to_string(),
        author_time: author.when(),
        message: commit
            .message()
            .ok_or_else(|| anyhow!("upstream commit {} has a non-UTF-8 message", short(id)))?
            .to_string(),
        changes,
        left_out: Vec::new(),
    })
    .with_context(|| format!("reading upstream commit {}", short(id)))
}

/// One file a commit changes, before anything is refused: its text on each
/// side, None where that side is binary.
pub struct File {
    pub kind: Delta,
    /// None for an added file.
    pub old_path: Option<String>,
    /// None for a deleted file.
    pub new_path: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl File {
    /// The path a change is named by: the new one, or the deleted one.
    pub fn shown(&self) -> String {
        self.new_path
            .clone()
            .or(self.old_path.clone())
            .unwrap_or_default()
    }

    /// The change, when both sides are text.
    pub fn text(self) -> Option<FileChange> {
        Some(FileChange {
            old: self.old?,
            new: self.new?,
            old_path: self.old_path,
            new_path: self.new_path,
        })
    }
}

/// The files `commit` changes against its parent, renames found, and how
/// many of them `keep` left out (a change is kept when either of its paths
/// is; the files left out are not read).
pub fn files(
    repo: &Repository,
    commit: &git::Commit,
    keep: impl Fn(&str) -> bool,
) -> Result<(Vec<File>, usize)> {
    let diff = git::diff_to_parent_with_renames(repo, commit)?;
    let (mut files, mut left_out) = (Vec::new(), 0);
    for d in diff.deltas() {
        let (old_path, new_path) = match d.status() {
            Delta::Added => (None, git::path_of(&d.new_file())),
            Delta::Deleted => (git::path_of(&d.old_file()), None),
            _ => (git::path_of(&d.old_file()), git::path_of(&d.new_file())),
        };
        if ![&old_path, &new_path]
            .into_iter()
            .flatten()
            .any(|p| keep(p))
        {
            left_out += 1;
            continue;
        }
        files.push(File {
            kind: d.status(),
            old: text(repo, d.old_file().id())?,
            new: text(repo, d.new_file().id())?,
            old_path,
            new_path,
        });
    }
    Ok((files, left_out))
}

/// A blob's text; empty for the zero id (a side that does not exist), None
/// for a binary blob.
fn text(repo: &Repository, oid: Oid) -> Result<Option<String>> {
    if oid.is_zero() {
        return Ok(Some(String::new()));
    }
    let blob = repo.find_blob(oid)?;
    Ok((!blob.is_binary()).then(|| String::from_utf8_lossy(blob.content()).into_owned()))
}

pub fn short(id: Oid) -> String {
    id.to_string()[..10].to_string()
}
