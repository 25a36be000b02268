//! The work tree the `git cherry-pick` baselines run in, in a leaf that
//! imports no bench and no task: a git command run there, and a pick undone
//! so the next one starts from the same commit.

use anyhow::Result;
use duct::cmd;
use std::path::Path;

pub fn git(dir: &Path, args: &[&str]) -> Result<()> {
    cmd("git", args).dir(dir).run()?;
    Ok(())
}

/// Aborts a cherry-pick in `wt`, if one is under way, and resets to `rev`.
pub fn undo_pick(wt: &Path, rev: &str) -> Result<()> {
    let _ = cmd!("git", "cherry-pick", "--abort")
        .dir(wt)
        .stderr_null()
        .unchecked()
        .run();
    git(wt, &["reset", "-q", "--hard", rev])
}
