//! The upstream side of a survey: RANGE's non-merge commits, and each
//! commit's file changes as `upstream` reads them, binary files named
//! apart instead of refused.

use crate::git::{self, Oid, Repository, Sort};
use crate::presence;
use crate::select::PathFilter;
use crate::upstream::{self, FileChange};
use anyhow::{Context, Result};

/// An upstream commit as read for the survey.
pub(super) struct Read {
    pub id: Oid,
    pub subject: String,
    pub identity: presence::Identity,
    pub changes: Vec<FileChange>,
    /// Files left out by `--path`/`--exclude`.
    pub left_out: usize,
    /// Binary files (never ported by the engine).
    pub binary: Vec<String>,
    pub parents: Vec<Oid>,
}

/// The non-merge commits of `spec` (`A..B`), oldest first.
pub fn range(repo: &Repository, spec: &str) -> Result<Vec<Oid>> {
    let (from, to) = spec
        .split_once("..")
        .with_context(|| format!("--survey {spec:?}: give a range A..B, e.g. v3.12.15..v6.10"))?;
    let rev = |r: &str| {
        git::rev::find(repo, r).with_context(|| {
            format!(
                "--survey: {r} is not a commit in {}; fetch it or pass --upstream PATH",
                repo.path().display()
            )
        })
    };
    let walk = git::walk::commits(
        repo,
        &[rev(to)?],
        &[rev(from)?],
        Sort::TOPOLOGICAL | Sort::REVERSE,
    )?;
    let mut out = Vec::new();
    for id in walk {
        if repo.find_commit(id)?.parent_count() == 1 {
            out.push(id);
        }
    }
    Ok(out)
}

/// One commit of RANGE, read as `upstream::read` reads it, with what
/// `upstream::read` would refuse (binary files) kept as names.
pub(super) fn read(up: &Repository, id: Oid, filter: &PathFilter) -> Result<Read> {
    let c = up.find_commit(id)?;
    let message = String::from_utf8_lossy(c.message_bytes()).into_owned();
    let (files, left_out) = upstream::files(up, &c, |p| filter.keeps(p))?;
    let (mut changes, mut binary) = (Vec::new(), Vec::new());
    for file in files {
        let shown = file.shown();
        match file.text() {
            Some(change) => changes.push(change),
            None => binary.push(shown),
        }
    }
    Ok(Read {
        id,
        subject: c.summary().unwrap_or_default().to_string(),
        identity: presence::Identity::of_commit(id, &message),
        changes,
        left_out,
        binary,
        parents: c.parent_ids().collect(),
    })
}
