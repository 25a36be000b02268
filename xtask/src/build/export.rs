//! Reads the revision to build from the user's repository and writes a
//! clean copy of its tree to the work dir with `git archive`. Nothing here
//! writes to the repository: its refs, index and work tree stay as they were.

use anyhow::{bail, Context, Result};
use duct::cmd;
use std::path::Path;

/// The commit REV names, and `git describe` of it (GlusterFS's
/// build-aux/pkg-version derives the version from that).
pub struct Source {
    pub commit: String,
    pub describe: String,
}

pub fn resolve(repo: &Path, rev: &str) -> Result<Source> {
    let git = git2::Repository::open(repo).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a git repository ({}): pass --repo with a GlusterFS clone, or set GLUSTER_REPO",
            repo.display(),
            e.message()
        )
    })?;
    let commit = git
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| {
            anyhow::anyhow!(
                "unknown revision {rev:?} in {}: give a branch, tag or commit that exists there \
                 (e.g. `git -C {} tag -l 'v3.*'`)",
                repo.display(),
                repo.display()
            )
        })?;
    let mut opts = git2::DescribeOptions::new();
    opts.describe_tags().pattern("v[0-9]*");
    let describe = commit
        .as_object()
        .describe(&opts)
        .and_then(|d| d.format(None))
        .map_err(|_| {
            anyhow::anyhow!(
                "{rev} has no release tag (v*) in its history in {}, and GlusterFS takes its \
                 version from one: fetch the tags (`git fetch --tags`) and try again",
                repo.display()
            )
        })?;
    Ok(Source {
        commit: commit.id().to_string(),
        describe,
    })
}

/// Writes the tree of `source` to `dest`, replacing whatever was there.
pub fn write(repo: &Path, source: &Source, dest: &Path) -> Result<()> {
    if dest.exists() {
        std::fs::remove_dir_all(dest)
            .with_context(|| format!("removing the old export {}", dest.display()))?;
    }
    std::fs::create_dir_all(dest)?;
    cmd!("git", "-C", repo, "archive", "--format=tar", &source.commit)
        .pipe(cmd!("tar", "-x", "-C", dest))
        .stdout_null()
        .run()
        .with_context(|| format!("exporting {} to {}", source.commit, dest.display()))?;
    if !dest.join("configure.ac").exists() {
        bail!(
            "{} has no configure.ac at its top: is {} a GlusterFS repository?",
            source.commit,
            repo.display()
        );
    }
    Ok(())
}
