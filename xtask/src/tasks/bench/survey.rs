//! `cargo xtask bench survey`: `backport --survey` beside `git cherry` and
//! a `git cherry-pick --no-commit` loop, then the presence rules on the
//! corpus pairs beside `git cherry`.

use super::timing::cpu_seconds;
use super::worktree::{git, undo_pick};
use crate::dev::{corpus, history};
use anyhow::{Context, Result};
use std::path::Path;
use std::time::Instant;

/// `backport --survey RANGE` onto a branch at `base`, beside `git cherry`
/// (presence by patch id) and a loop of `git cherry-pick --no-commit` plus
/// reset per commit, all in the same run. The loop takes about a second a
/// commit on a GlusterFS tree, so at most `cap` commits spread evenly over
/// the range are picked and the whole range's time is extrapolated from
/// them (printed as such). Then, on `corpus_branch`, how many of the human
/// backport pairs each presence rule finds, beside `git cherry`.
pub fn run(
    upstream: &Path,
    base: &str,
    range: &str,
    cap: usize,
    corpus_branch: &str,
) -> Result<()> {
    use backport::survey;
    let up = backport::git::open(upstream, "--upstream")?;
    let dir = tempfile::tempdir()?;
    let scratch = history::scratch_repo(upstream, &dir.path().join("bare"))?;
    let tip = backport::git::rev::commit(&up, base)?.id();
    scratch.reference("refs/heads/fork", tip, true, "bench")?;

    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let s = survey::run(&survey::Options {
        branch: "fork".into(),
        repo: scratch.path().to_path_buf(),
        upstream: Some(upstream.to_path_buf()),
        range: range.to_string(),
        progress: true,
        ..Default::default()
    })?;
    let ours = t.elapsed().as_secs_f64();
    let ours_cpu = cpu_seconds() - cpu0;
    let n = s.commits.len();
    let totals: Vec<String> = survey::Status::ALL
        .iter()
        .map(|st| format!("{} {}", s.totals[st.name()], st.name()))
        .collect();

    let (from, to) = range.split_once("..").context("RANGE must be A..B")?;
    let t = Instant::now();
    let cherry = backport::git::cli::at(upstream).read(["cherry", base, to, from])?;
    let cherry_s = t.elapsed().as_secs_f64();
    let cherry_present = cherry.lines().filter(|l| l.starts_with('-')).count();
    let cherry_all = cherry.lines().count();

    let wt = dir.path().join("wt");
    eprintln!("survey bench: checking out {base} for the cherry-pick loop ...");
    history::shared_worktree(upstream, &wt)?;
    git(&wt).run(["checkout", "-q", "--detach", base])?;
    let step = n.div_ceil(cap.max(1)).max(1);
    let sample: Vec<&survey::Entry> = s.commits.iter().step_by(step).collect();
    let (mut picked_ok, mut agree) = (0, 0);
    let pb = indicatif::ProgressBar::new(sample.len() as u64);
    let t = Instant::now();
    for e in &sample {
        let ok = git(&wt).succeeds(["cherry-pick", "--no-commit", &e.commit])?;
        undo_pick(&wt, base)?;
        picked_ok += ok as usize;
        let ports = matches!(
            e.status,
            survey::Status::Clean | survey::Status::ContextDropped
        );
        agree += (ok == ports) as usize;
        pb.inc(1);
    }
    pb.finish_and_clear();
    let per = t.elapsed().as_secs_f64() / sample.len().max(1) as f64;
    let loop_total = per * n as f64;

    println!("survey {range} onto {base}: {n} non-merge commits");
    println!("  statuses: {}", totals.join(", "));
    println!("| tool | what it tells | seconds | per commit |\n|---|---|---|---|");
    println!(
        "| backport --survey | status, how, needs, per file | {ours:.1} ({ours_cpu:.1} s of CPU) | {:.3} |",
        ours / n as f64
    );
    println!(
        "| git cherry {base} {to} {from} | presence by patch id: {cherry_present} of {cherry_all} | {cherry_s:.1} | {:.4} |",
        cherry_s / cherry_all.max(1) as f64
    );
    println!(
        "| git cherry-pick --no-commit + reset, per commit | applies or not: {picked_ok} of {} sampled | {loop_total:.0} (extrapolated from {} sampled commits, {:.1} s measured) | {per:.3} |",
        sample.len(),
        sample.len(),
        per * sample.len() as f64
    );
    println!(
        "  survey says clean/context-dropped exactly where cherry-pick applies on {agree} of {} sampled commits",
        sample.len()
    );
    println!(
        "  ratio: cherry-pick loop / survey = {:.1}x; survey goal: under 90 s; load average now: {}",
        loop_total / ours,
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );

    let t = Instant::now();
    let p = corpus::presence(upstream, corpus_branch)?;
    let c = |f: &dyn Fn(&corpus::PairPresence) -> bool| p.iter().filter(|x| f(x)).count();
    println!(
        "\ncorpus pairs on {corpus_branch}'s tip: {} ({:.1} s)\n| rule | pairs found |\n|---|---|",
        p.len(),
        t.elapsed().as_secs_f64()
    );
    println!("| ancestor | {} |", c(&|x| x.ancestor));
    println!("| Change-Id | {} |", c(&|x| x.change_id));
    println!("| cherry-pick line | {} |", c(&|x| x.cherry_pick));
    println!(
        "| any history rule | {} |",
        c(&|x| x.ancestor || x.change_id || x.cherry_pick)
    );
    println!("| same effect in code | {} |", c(&|x| x.code));
    println!("| git cherry (patch id) | {} |", c(&|x| x.git_cherry));
    Ok(())
}
