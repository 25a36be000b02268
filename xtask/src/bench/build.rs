//! `cargo xtask bench build`: what ccache buys. A cold build (an empty
//! CCACHE_DIR of its own) of the base, then a build of the branch, a tree
//! that differs from the base in one file (events.c), into another prefix
//! as the A/B does, side by side in one run. Without --repo the shared
//! 3.12.15 repository (../shared/glusterfs beside the project) is cloned
//! and backported, so the branch is release-3.12 plus the kit's fixes.

use crate::build::{Options, Report};
use anyhow::{bail, Context, Result};
use duct::cmd;
use std::path::PathBuf;

/// ccache's hits and misses since the last zeroing.
fn ccache_counts() -> Result<(u64, u64)> {
    let out = cmd!("ccache", "--print-stats").read()?;
    let get = |key: &str| -> u64 {
        out.lines()
            .find_map(|l| {
                let (k, v) = l.split_once('\t')?;
                (k == key).then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0)
    };
    Ok((
        get("direct_cache_hit") + get("preprocessed_cache_hit"),
        get("cache_miss"),
    ))
}

pub fn run(repo: Option<PathBuf>, base: &str, branch: &str, jobs: usize) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let repo = match repo {
        Some(r) => r,
        None => {
            let tar = crate::ab::shared_tar().context(
                "../shared/glusterfs/glusterfs-v3.12.15.git.tar is absent beside the project (and \
                 GLK_SHARED is unset): pass --repo with a GlusterFS clone and --base/--branch",
            )?;
            crate::ab::fork_with_backport(&tar, tmp.path())
                .context("backporting the series onto the shared release-3.12")?
                .1
        }
    };
    // Both builds use this run's own cache and work dirs: the cold one
    // starts from nothing, whatever the user's ~/.cache/ccache holds.
    std::env::set_var("CCACHE_DIR", tmp.path().join("ccache"));
    std::env::set_var("GLK_BUILD_WORK", tmp.path().join("work"));

    let mut rows: Vec<(&str, Report, (u64, u64))> = Vec::new();
    for (label, rev) in [("cold", base), ("cached", branch)] {
        cmd!("ccache", "-z").stdout_null().run()?;
        let report = crate::build::run(&Options {
            rev: rev.to_string(),
            repo: repo.clone(),
            prefix: tmp.path().join(format!("prefix-{label}")),
            jobs,
            force: true,
            keep_tree: false,
        })?;
        rows.push((label, report, ccache_counts()?));
    }
    if rows[0].1.commit == rows[1].1.commit {
        bail!("--base and --branch are the same commit; give two trees that differ");
    }
    let changed = cmd!(
        "git",
        "-C",
        &repo,
        "diff",
        "--name-only",
        &rows[0].1.commit,
        &rows[1].1.commit
    )
    .read()?;
    println!(
        "base {base} vs branch {branch}: {} file(s) differ ({})",
        changed.lines().count(),
        changed.lines().collect::<Vec<_>>().join(", ")
    );
    println!(
        "{:<8} {:<16} {:>10} {:>10} {:>10} {:>8} {:>8}",
        "build", "rev", "configure", "make", "total s", "hits", "misses"
    );
    for (label, r, (hits, misses)) in &rows {
        println!(
            "{:<8} {:<16} {:>10.1} {:>10.1} {:>10.1} {:>8} {:>8}",
            label, r.rev, r.seconds.configure, r.seconds.make, r.seconds.total, hits, misses
        );
    }
    let (cold, cached) = (&rows[0].1.seconds, &rows[1].1.seconds);
    println!(
        "cached / cold: make {:.2}, total {:.2}",
        cached.make / cold.make,
        cached.total / cold.total
    );
    Ok(())
}
