//! Reads the revision to build from the user's repository and writes a
//! clean copy of its tree to the work dir with `git archive`. Nothing here
//! writes to the repository: its refs, index and work tree stay as they were.

use anyhow::{bail, Context, Result};
use backport::git;
use std::path::Path;

/// The commit REV names, and `git describe` of it (GlusterFS's
/// build-aux/pkg-version derives the version from that).
pub struct Source {
    pub commit: String,
    pub describe: String,
}

pub fn resolve(repo: &Path, rev: &str) -> Result<Source> {
    let git = git::open(repo, "the GlusterFS source to build")?;
    let commit = git::rev::commit(&git, rev)?.id().to_string();
    let describe = git::rev::describe(&git, rev, false)?;
    Ok(Source { commit, describe })
}

/// Writes the tree of `source` to `dest`, replacing whatever was there.
pub fn write(repo: &Path, source: &Source, dest: &Path) -> Result<()> {
    if dest.exists() {
        std::fs::remove_dir_all(dest)
            .with_context(|| format!("removing the old export {}", dest.display()))?;
    }
    std::fs::create_dir_all(dest)?;
    git::cli::archive_into(repo, &source.commit, dest)?;
    if !dest.join("configure.ac").exists() {
        bail!(
            "{} has no configure.ac at its top: is {} a GlusterFS repository?",
            source.commit,
            repo.display()
        );
    }
    Ok(())
}
