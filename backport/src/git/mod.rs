//! git, in one room: every other file of the kit reaches git through here.
//! Opening a repository with the context a user needs when it is not one,
//! names resolved to commits ([`rev`]), diffs ([`diff`]), history walks
//! ([`walk`]), a tree's files by path and name ([`files`]), and the git
//! binary for what git2 does not do (clone, archive, cherry-pick: [`cli`]).
//! git2's types are re-exported so that callers name them from here. A
//! leaf: it imports nothing of the engine.

pub mod cli;
pub mod diff;
pub mod files;
pub mod rev;
pub mod walk;

pub use diff::{changed_paths, changes, diff_to_parent, diff_to_parent_with_renames, path_of};
pub use files::{name_of, Files};
pub use git2::{
    build, Commit, Delta, Diff, DiffFile, DiffFindOptions, DiffFormat, Error, ErrorCode, FileMode,
    Oid, Repository, Signature, Sort, Status, StatusOptions, Time, Tree,
};
pub use rev::{find_branch, Branch};

use anyhow::{Context, Result};
use std::path::Path;

/// The repository at `path`; `what` says what it was meant to be, for the
/// error that tells the user how to point the kit at one.
pub fn open(path: &Path, what: &str) -> Result<Repository> {
    Repository::open(path).with_context(|| {
        format!(
            "no git repository at {} ({what}); pass --repo PATH or set GLUSTER_REPO to a GlusterFS clone",
            path.display()
        )
    })
}

/// A new bare repository at `dir` that borrows `upstream`'s objects (git's
/// alternates: nothing is copied) and commits as `name <email>`: a scratch
/// place to make branches in without touching the user's clone.
pub fn scratch(upstream: &Path, dir: &Path, name: &str, email: &str) -> Result<Repository> {
    let up = open(upstream, "the upstream to borrow objects from")?;
    let repo = Repository::init_bare(dir)
        .with_context(|| format!("making a scratch repository at {}", dir.display()))?;
    std::fs::write(
        dir.join("objects/info/alternates"),
        format!("{}\n", up.path().join("objects").display()),
    )?;
    let mut cfg = repo.config()?;
    cfg.set_str("user.name", name)?;
    cfg.set_str("user.email", email)?;
    Ok(repo)
}
