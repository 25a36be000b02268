//! `cargo xtask bench backport`: the whole events.c series onto release
//! tags through the engine, beside `git cherry-pick` of the same upstream
//! commits in a work tree at the same tag, in the same run.

use super::timing::time_median;
use super::worktree::{git, undo_pick};
use crate::dev::history;
use anyhow::{bail, Result};
use std::path::Path;

/// The whole events.c series onto release tags, beside `git cherry-pick`
/// of the same upstream commits in a work tree at the same tag.
pub fn run(upstream: &Path, tags: &[String], runs: usize) -> Result<()> {
    let series = crate::paths::series();
    let masters = ["aeb4545f35", "fc10f37028", "b6da637929", "6c48f1649d"];
    println!(
        "{:<10} {:>12} {:>12} {:>16} {:>8}",
        "tag", "backport s", "cherry-pick s", "cherry-pick", "ratio"
    );
    for tag in tags {
        let dir = tempfile::tempdir()?;
        let scratch = history::scratch_repo(upstream, &dir.path().join("bare"))?;
        let tip =
            backport::git::rev::commit(&backport::git::open(upstream, "--upstream")?, tag)?.id();
        let mut n = 0;
        let ours = time_median(runs, || {
            n += 1;
            let branch = format!("bench/{n}");
            scratch.reference(&format!("refs/heads/{branch}"), tip, true, "bench")?;
            let o = backport::run(&backport::Options {
                branch,
                repo: scratch.path().to_path_buf(),
                upstream: Some(upstream.to_path_buf()),
                series: series.clone(),
                ..Default::default()
            })?;
            if o.commits.is_empty() {
                bail!("{tag}: the series made no commits");
            }
            Ok(())
        })?;
        let wt = dir.path().join("wt");
        eprintln!("  {tag}: checking out a work tree for git cherry-pick ...");
        history::shared_worktree(upstream, &wt)?;
        git(&wt).run(["checkout", "-q", "-b", "bench", tag])?;
        let mut outcome = String::new();
        let theirs = time_median(runs, || {
            let mut args = vec!["cherry-pick"];
            args.extend(masters);
            outcome = if git(&wt).succeeds(args)? {
                "applied".into()
            } else {
                "conflict".into()
            };
            undo_pick(&wt, tag)?;
            Ok(())
        })?;
        println!(
            "{tag:<10} {ours:>12.3} {theirs:>12.3} {outcome:>16} {:>8.2}",
            ours / theirs
        );
    }
    println!("(median of {runs} runs each; ratio = backport / cherry-pick; goal: backport under 2 s per branch)");
    Ok(())
}
