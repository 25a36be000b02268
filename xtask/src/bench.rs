//! `cargo xtask bench NAME`: benchmarks that print ratios measured side by
//! side in one run. Machines are noisy, so each figure is the median of
//! several runs and each comparison is taken in the same run.

use crate::{backport, corpus, history};
use anyhow::{bail, Context, Result};
use duct::cmd;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Times `f` `runs` times and returns the median in seconds.
pub fn time_median(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut xs = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        xs.push(t.elapsed().as_secs_f64());
    }
    Ok(median(xs))
}

fn gluster_repo(repo: Option<PathBuf>) -> Result<PathBuf> {
    repo.or_else(|| std::env::var_os("GLUSTER_REPO").map(PathBuf::from)).context(
        "this benchmark needs the real GlusterFS history: pass --repo PATH or set GLUSTER_REPO to a full clone",
    )
}

/// The whole events.c series onto release tags, beside `git cherry-pick`
/// of the same upstream commits in a work tree at the same tag.
pub fn backport(repo: Option<PathBuf>, tags: &[String], runs: usize) -> Result<()> {
    let upstream = gluster_repo(repo)?;
    let series = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../patches/events.toml");
    let masters = ["aeb4545f35", "fc10f37028", "b6da637929", "6c48f1649d"];
    println!(
        "{:<10} {:>12} {:>12} {:>16} {:>8}",
        "tag", "backport s", "cherry-pick s", "cherry-pick", "ratio"
    );
    for tag in tags {
        let dir = tempfile::tempdir()?;
        let scratch = history::scratch_repo(&upstream, &dir.path().join("bare"))?;
        let tip = git2::Repository::open(&upstream)?
            .revparse_single(tag)?
            .peel_to_commit()?
            .id();
        let mut n = 0;
        let ours = time_median(runs, || {
            n += 1;
            let branch = format!("bench/{n}");
            scratch.reference(&format!("refs/heads/{branch}"), tip, true, "bench")?;
            let o = backport::run(&backport::Options {
                branch,
                repo: scratch.path().to_path_buf(),
                upstream: Some(upstream.clone()),
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
        cmd!(
            "git",
            "clone",
            "-q",
            "--shared",
            "--no-checkout",
            &upstream,
            &wt
        )
        .run()?;
        git(&wt, &["checkout", "-q", "-b", "bench", tag])?;
        let mut outcome = String::new();
        let theirs = time_median(runs, || {
            let mut args = vec![
                "-c",
                "user.name=bench",
                "-c",
                "user.email=bench@localhost",
                "cherry-pick",
            ];
            args.extend(masters);
            let out = cmd("git", &args)
                .dir(&wt)
                .stdout_null()
                .stderr_null()
                .unchecked()
                .run()?;
            outcome = if out.status.success() {
                "applied".into()
            } else {
                "conflict".into()
            };
            let _ = cmd!("git", "cherry-pick", "--abort")
                .dir(&wt)
                .stderr_null()
                .unchecked()
                .run();
            git(&wt, &["reset", "-q", "--hard", tag])?;
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

fn git(dir: &Path, args: &[&str]) -> Result<()> {
    cmd("git", args).dir(dir).run()?;
    Ok(())
}

/// The corpus of human backports; prints the table and the time it took.
pub fn corpus(repo: Option<PathBuf>, branch: &str, json: bool) -> Result<()> {
    let upstream = gluster_repo(repo)?;
    let started = Instant::now();
    let results = corpus::run(&upstream, branch)?;
    if json {
        for r in &results {
            println!("{}", serde_json::to_string(r)?);
        }
    }
    print!("{}", corpus::table(&results));
    println!(
        "({} pairs in {:.1} s, all three tools in the same run)",
        results.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
