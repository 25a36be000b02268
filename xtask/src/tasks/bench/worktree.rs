//! The work tree the `git cherry-pick` baselines run in, in a leaf that
//! imports no bench and no task: git run there (through the git room) with
//! the bench's identity, and a pick undone so the next one starts from the
//! same commit.

use anyhow::Result;
use backport::git::cli::{self, Git};
use std::path::Path;

/// git in the baseline's work tree, committing as the bench.
pub fn git(wt: &Path) -> Git {
    cli::at(wt).with_identity("bench", "bench@localhost")
}

/// Aborts a cherry-pick in `wt`, if one is under way, and resets to `rev`.
pub fn undo_pick(wt: &Path, rev: &str) -> Result<()> {
    // No pick under way is not a failure: there is nothing to abort.
    let _ = git(wt).succeeds(["cherry-pick", "--abort"])?;
    git(wt).run(["reset", "-q", "--hard", rev])
}
