//! What an installed build says of itself: `cargo xtask build` leaves a
//! stamp (PREFIX/share/gluster-legacy-kit/build.json) naming the repository
//! and commit it built, so `verify --prefix` can ask `backport --check`
//! whether that commit has the fix, instead of guessing from behaviour.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use xtask::ab::{has_fix, Rev};

pub const STAMP: &str = "share/gluster-legacy-kit/build.json";

/// Whether the build installed at `prefix` has the events.c stall fix.
pub fn fixed(prefix: &Path, upstream: Option<&Path>) -> Result<bool> {
    let path = prefix.join(STAMP);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} has no build stamp ({}), so the kit cannot tell whether it has the fix: build it with cargo xtask build, or pass --fixed {0} / --unfixed {0}",
            prefix.display(),
            path.display()
        )
    })?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    let (Some(repo), Some(commit)) = (v["repo"].as_str(), v["commit"].as_str()) else {
        bail!(
            "{} names no repo and commit: rebuild with cargo xtask build, or pass --fixed/--unfixed {}",
            path.display(),
            prefix.display()
        );
    };
    let repo = PathBuf::from(repo);
    let rev = ref_at(&repo, commit)?;
    has_fix(&repo, upstream, &rev)
}

/// A branch or tag of `repo` at `commit` (the fix check reads refs).
fn ref_at(repo: &Path, commit: &str) -> Result<Rev> {
    let r = xtask::backport::open_repo(repo, "the build stamp's repo")?;
    for reference in r.references()?.flatten() {
        let Some(name) = reference.name().map(String::from) else {
            continue;
        };
        if !(name.starts_with("refs/heads/") || name.starts_with("refs/tags/")) {
            continue;
        }
        if reference
            .peel_to_commit()
            .is_ok_and(|c| c.id().to_string() == commit)
        {
            return Ok(Rev {
                name: name.clone(),
                refname: name,
                commit: commit.into(),
            });
        }
    }
    bail!(
        "no branch or tag of {} points at {commit}, the commit the build was made from: make one (git branch NAME {commit}), or pass --fixed/--unfixed",
        repo.display()
    )
}
