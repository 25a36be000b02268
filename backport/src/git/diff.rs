//! Diffs: a commit against its parent (with or without rename pairing), and
//! the paths that differ between two revisions.

use super::{rev, Commit, Delta, Diff, DiffFile, DiffFindOptions, Repository};
use anyhow::Result;

/// The diff of `commit` against its first parent, file by file.
pub fn diff_to_parent<'r>(repo: &'r Repository, commit: &Commit) -> Result<Diff<'r>> {
    let parent = commit.parent(0)?;
    Ok(repo.diff_tree_to_tree(Some(&parent.tree()?), Some(&commit.tree()?), None)?)
}

/// As `diff_to_parent`, with a deleted and an added file that are alike
/// paired into one rename.
pub fn diff_to_parent_with_renames<'r>(repo: &'r Repository, commit: &Commit) -> Result<Diff<'r>> {
    let mut diff = diff_to_parent(repo, commit)?;
    diff.find_similar(Some(DiffFindOptions::new().renames(true)))?;
    Ok(diff)
}

/// The path of one side of a diff entry, as text.
pub fn path_of(file: &DiffFile) -> Option<String> {
    file.path().map(|p| p.to_string_lossy().into_owned())
}

/// One file that differs between two revisions: its path on each side
/// (`None` on the side it is missing from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub old: Option<String>,
    pub new: Option<String>,
}

impl Change {
    /// The file is gone on the newer side.
    pub fn deleted(&self) -> bool {
        self.new.is_none()
    }
}

/// The files that differ between revisions `a` and `b`, in diff order.
pub fn changes(repo: &Repository, a: &str, b: &str) -> Result<Vec<Change>> {
    let ta = rev::commit(repo, a)?.tree()?;
    let tb = rev::commit(repo, b)?.tree()?;
    let diff = repo.diff_tree_to_tree(Some(&ta), Some(&tb), None)?;
    Ok(diff
        .deltas()
        .map(|d| {
            let side = |f: DiffFile, missing: bool| (!missing).then(|| path_of(&f)).flatten();
            Change {
                old: side(d.old_file(), d.status() == Delta::Added),
                new: side(d.new_file(), d.status() == Delta::Deleted),
            }
        })
        .collect())
}

/// Every path that differs between revisions `a` and `b`, either side's,
/// sorted and once each: what `git diff --name-only A B` lists, and the
/// paths a rename leaves.
pub fn changed_paths(repo: &Repository, a: &str, b: &str) -> Result<Vec<String>> {
    let mut paths: Vec<String> = changes(repo, a, b)?
        .into_iter()
        .flat_map(|c| [c.old, c.new])
        .flatten()
        .collect();
    paths.sort();
    paths.dedup();
    Ok(paths)
}
