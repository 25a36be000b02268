//! Reading upstream commits through git2: the message, the author and, for
//! each file the commit touches, its text before and after.

use anyhow::{anyhow, bail, Context, Result};
use git2::{Delta, DiffFindOptions, Oid, Repository};

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
    pub author_time: git2::Time,
    pub message: String,
    pub changes: Vec<FileChange>,
    /// Files of the commit left out by `--path`/`--exclude`.
    pub left_out: Vec<String>,
}

/// Resolves `spec` (a SHA or prefix) in `repo` to a commit, if it is there.
pub fn find(repo: &Repository, spec: &str) -> Option<Oid> {
    repo.revparse_single(spec)
        .ok()
        .and_then(|o| o.peel_to_commit().ok())
        .map(|c| c.id())
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
    let parent = commit.parent(0)?;
    let mut diff = repo.diff_tree_to_tree(Some(&parent.tree()?), Some(&commit.tree()?), None)?;
    diff.find_similar(Some(DiffFindOptions::new().renames(true)))?;
    let mut changes = Vec::new();
    for delta in diff.deltas() {
        let text = |oid: Oid, path: &str| -> Result<String> {
            if oid.is_zero() {
                return Ok(String::new());
            }
            let blob = repo.find_blob(oid)?;
            if blob.is_binary() {
                bail!(
                    "{path} in upstream commit {} is binary; only text can be ported",
                    short(id)
                );
            }
            Ok(String::from_utf8_lossy(blob.content()).into_owned())
        };
        let path_of = |f: git2::DiffFile| f.path().map(|p| p.to_string_lossy().into_owned());
        let old_path = path_of(delta.old_file());
        let new_path = path_of(delta.new_file());
        let shown = new_path.clone().or(old_path.clone()).unwrap_or_default();
        let (old_path, new_path) = match delta.status() {
            Delta::Added => (None, new_path),
            Delta::Deleted => (old_path, None),
            Delta::Modified | Delta::Renamed | Delta::Typechange => (old_path, new_path),
            other => bail!("{shown}: cannot port a change of kind {other:?}"),
        };
        changes.push(FileChange {
            old: text(delta.old_file().id(), &shown)?,
            new: text(delta.new_file().id(), &shown)?,
            old_path,
            new_path,
        });
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

pub fn short(id: Oid) -> String {
    id.to_string()[..10].to_string()
}
