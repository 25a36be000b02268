//! `cargo xtask bench NAME`: benchmarks that print ratios measured side by
//! side in one run. Machines are noisy, so each figure is the median of
//! several runs and each comparison is taken in the same run.

pub mod build;
pub mod lines;
pub mod stall;

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

/// `repo`: --repo or $GLUSTER_REPO, as `cli::named_repo` resolved it.
fn gluster_repo(repo: Option<PathBuf>) -> Result<PathBuf> {
    repo.context(
        "this benchmark needs the real GlusterFS history: pass --repo PATH or set GLUSTER_REPO to a full clone",
    )
}

/// The whole events.c series onto release tags, beside `git cherry-pick`
/// of the same upstream commits in a work tree at the same tag.
pub fn backport(repo: Option<PathBuf>, tags: &[String], runs: usize) -> Result<()> {
    let upstream = gluster_repo(repo)?;
    let series = crate::paths::series();
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
        history::shared_worktree(&upstream, &wt)?;
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

fn probe_ns(
    probe: &Path,
    name: &str,
    calls: u64,
    env: &[(&str, &Path)],
    mode: Option<&str>,
) -> Result<f64> {
    let mut c = cmd(probe, ["call", name, &calls.to_string()]);
    for (k, v) in env {
        c = c.env(k, v);
    }
    if let Some(m) = mode {
        c = c.env("GFRESOLV_MODE", m);
    }
    let out = c.read()?;
    out.split_whitespace()
        .find_map(|w| w.strip_prefix("ns_per_call="))
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("probe printed {out:?}"))
}

/// The shim: intercepted calls, pass-through overhead against direct libc,
/// and the stall the legacy resolver layer shows under the black hole.
pub fn shim(rounds: usize) -> Result<()> {
    let so = crate::shim::build()?;
    let (probe, legacy) = (verify::tools::probe(), verify::tools::legacy_resolv_so());
    let sock = "/var/run/glusterd.socket";
    let pre: [(&str, &Path); 1] = [("LD_PRELOAD", &so)];
    let (mut fail, mut loopback) = (Vec::new(), Vec::new());
    let mut pass: Vec<(&str, Vec<f64>, Vec<f64>)> = vec![
        ("127.0.0.1", vec![], vec![]),
        ("::1", vec![], vec![]),
        ("localhost", vec![], vec![]),
    ];
    for r in 0..rounds {
        eprintln!("  round {}/{rounds}", r + 1);
        fail.push(probe_ns(&probe, sock, 1_000_000, &pre, Some("fail"))?);
        loopback.push(probe_ns(&probe, sock, 200_000, &pre, Some("loopback"))?);
        for (name, direct, shimmed) in pass.iter_mut() {
            let n = if *name == "localhost" {
                20_000
            } else {
                300_000
            };
            // Alternate the order so drift in machine load cancels out.
            if r % 2 == 0 {
                direct.push(probe_ns(&probe, name, n, &[], None)?);
                shimmed.push(probe_ns(&probe, name, n, &pre, None)?);
            } else {
                shimmed.push(probe_ns(&probe, name, n, &pre, None)?);
                direct.push(probe_ns(&probe, name, n, &[], None)?);
            }
        }
    }
    println!("shim: {} (median of {rounds} rounds)", so.display());
    println!("{:<44} {:>12} {:>10}", "measure", "value", "goal");
    println!(
        "{:<44} {:>9.1} ns {:>10}",
        "intercepted call, fail mode",
        median(fail),
        "<= 100 ns"
    );
    println!(
        "{:<44} {:>9.1} ns {:>10}",
        "intercepted call, loopback mode",
        median(loopback),
        "<= 2000 ns"
    );
    for (name, direct, shimmed) in pass {
        let (d, s) = (median(direct), median(shimmed));
        println!(
            "{:<44} {:>9.1} ns {:>10}   (libc {d:.1} ns, via shim {s:.1} ns, ratio {:.3})",
            format!("pass-through overhead, {name}"),
            s - d,
            "<= 2%",
            s / d
        );
    }
    let bh = crate::paths::built("debug", "blackhole")?;
    if !bh.exists() {
        cmd!(
            "cargo",
            "build",
            "--quiet",
            "-p",
            "xtask",
            "--bin",
            "blackhole"
        )
        .dir(crate::paths::root())
        .run()?;
    }
    let p = probe.to_string_lossy().into_owned();
    let stalled = crate::blackhole::run(
        &bh,
        &[&p, "call", sock, "1"],
        &[("LD_PRELOAD", &legacy.to_string_lossy())],
    );
    let both = format!("{}:{}", so.display(), legacy.display());
    let rescued = crate::blackhole::run(&bh, &[&p, "call", sock, "1"], &[("LD_PRELOAD", &both)]);
    if stalled.stdout.is_empty() {
        println!("black hole: not measured ({})", stalled.stderr.trim());
    } else {
        println!(
            "{:<44} {:>9.3} s  ({} DNS queries); with the shim {:.6} s ({} queries)",
            "one call, legacy layer, black-hole DNS (wall)",
            stalled.seconds,
            stalled.queries,
            rescued.seconds,
            rescued.queries
        );
    }
    Ok(())
}

/// Runs `argv` and returns (seconds, max RSS in MiB), from wait4's rusage.
fn timed_rss(argv: &[&str]) -> Result<(f64, f64)> {
    let t = Instant::now();
    let child = std::process::Command::new(argv[0])
        .args(&argv[1..])
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("running {}", argv[0]))?;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    if pid < 0 {
        bail!("wait4 failed");
    }
    Ok((t.elapsed().as_secs_f64(), usage.ru_maxrss as f64 / 1024.0))
}

/// Writes glfsheal-like output with `bricks` x `per_brick` entries.
fn write_heal_output(path: &Path, xml: bool, bricks: usize, per_brick: usize) -> Result<()> {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    if xml {
        writeln!(w, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cliOutput>\n  <healInfo>\n    <bricks>")?;
    }
    for b in 0..bricks {
        if xml {
            writeln!(w, "      <brick hostUuid=\"3fc345d8-5ddd-43fe-9106-2265b001d9a0\">\n        <name>node{b}:/bricks/b{b}</name>")?;
        } else {
            writeln!(w, "Brick node{b}:/bricks/b{b}")?;
        }
        for i in 0..per_brick {
            let gfid = format!("{:08x}-0000-4000-8000-{:012x}", b, i);
            if xml {
                writeln!(
                    w,
                    "        <file gfid=\"{gfid}\">/dir-{}/file-{i}</file>",
                    i % 1000
                )?;
            } else {
                writeln!(w, "/dir-{}/file-{i}", i % 1000)?;
            }
        }
        if xml {
            writeln!(w, "        <status>Connected</status>\n        <numberOfEntries>{per_brick}</numberOfEntries>\n      </brick>")?;
        } else {
            writeln!(w, "Status: Connected\nNumber of entries: {per_brick}\n")?;
        }
    }
    if xml {
        writeln!(w, "    </bricks>\n  </healInfo>\n  <opRet>0</opRet>\n  <opErrno>0</opErrno>\n  <opErrstr/>\n</cliOutput>")?;
    }
    Ok(())
}

const PY_XML: &str = "import sys, xml.etree.ElementTree as ET\nn=0\nfor ev, el in ET.iterparse(sys.argv[1]):\n    if el.tag == 'file': n += 1\n    if el.tag in ('file', 'brick'): el.clear()\nprint(n)\n";
const PY_TEXT: &str = "import sys\nn=0\nfor l in open(sys.argv[1]):\n    if l.startswith('/') or l.startswith('<gfid:'): n += 1\nprint(n)\n";

/// Parsing a 1M-entry glfsheal output, XML and plain, beside Python's
/// streaming parsers (and xmllint --stream where installed) in the same run.
pub fn heal_info(entries: usize, rounds: usize) -> Result<()> {
    let root = crate::paths::root();
    cmd!("cargo", "build", "--quiet", "--release", "-p", "heal-info")
        .dir(&root)
        .run()?;
    let bin = crate::paths::built("release", "heal-info")?;
    let dir = tempfile::tempdir()?;
    let bricks = 10;
    println!(
        "{:<8} {:>10} {:<34} {:>9} {:>10} {:>7}",
        "format", "size MiB", "parser", "seconds", "max RSS MiB", "ratio"
    );
    for xml in [true, false] {
        let f = dir.path().join(if xml { "out.xml" } else { "out.txt" });
        write_heal_output(&f, xml, bricks, entries / bricks)?;
        let size = std::fs::metadata(&f)?.len() as f64 / (1 << 20) as f64;
        let fs = f.to_string_lossy().into_owned();
        let ours = [
            bin.to_str().unwrap(),
            "bench",
            "--from",
            &fs,
            "--format",
            "table",
            "--summary",
        ];
        let py = ["python3", "-c", if xml { PY_XML } else { PY_TEXT }, &fs];
        let lint = ["xmllint", "--stream", "--noout", &fs];
        let mut rows: Vec<(&str, &[&str])> = vec![
            ("heal-info (quick-xml / lines)", &ours),
            ("python3 iterparse / line loop", &py),
        ];
        if xml && crate::host::which("xmllint").is_some() {
            rows.push(("xmllint --stream", &lint));
        }
        let mut results = Vec::new();
        for (name, argv) in &rows {
            let mut secs = Vec::new();
            let mut rss: f64 = 0.0;
            for _ in 0..rounds {
                let (s, r) = timed_rss(argv)?;
                secs.push(s);
                rss = rss.max(r);
            }
            results.push((*name, median(secs), rss));
        }
        let base = results[0].1;
        for (name, s, rss) in results {
            println!(
                "{:<8} {size:>10.1} {name:<34} {s:>9.3} {rss:>10.1} {:>7.2}",
                if xml { "xml" } else { "text" },
                s / base
            );
        }
    }
    println!("({entries} entries over {bricks} bricks; median of {rounds} runs; ratio against heal-info; goal: under 0.5 s, memory flat)");
    Ok(())
}

/// `backport --survey RANGE` onto a branch at `base`, beside `git cherry`
/// (presence by patch id) and a loop of `git cherry-pick --no-commit` plus
/// reset per commit, all in the same run. The loop takes about a second a
/// commit on a GlusterFS tree, so at most `cap` commits spread evenly over
/// the range are picked and the whole range's time is extrapolated from
/// them (printed as such). Then, on `corpus_branch`, how many of the human
/// backport pairs each presence rule finds, beside `git cherry`.
pub fn survey(
    repo: Option<PathBuf>,
    base: &str,
    range: &str,
    cap: usize,
    corpus_branch: &str,
) -> Result<()> {
    use crate::backport::survey;
    let upstream = gluster_repo(repo)?;
    let up = git2::Repository::open(&upstream)?;
    let dir = tempfile::tempdir()?;
    let scratch = history::scratch_repo(&upstream, &dir.path().join("bare"))?;
    let tip = up.revparse_single(base)?.peel_to_commit()?.id();
    scratch.reference("refs/heads/fork", tip, true, "bench")?;

    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let s = survey::run(&survey::Options {
        branch: "fork".into(),
        repo: scratch.path().to_path_buf(),
        upstream: Some(upstream.clone()),
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
    let cherry = cmd!("git", "cherry", base, to, from)
        .dir(&upstream)
        .read()?;
    let cherry_s = t.elapsed().as_secs_f64();
    let cherry_present = cherry.lines().filter(|l| l.starts_with('-')).count();
    let cherry_all = cherry.lines().count();

    let wt = dir.path().join("wt");
    eprintln!("survey bench: checking out {base} for the cherry-pick loop ...");
    history::shared_worktree(&upstream, &wt)?;
    git(&wt, &["checkout", "-q", "--detach", base])?;
    let step = n.div_ceil(cap.max(1)).max(1);
    let sample: Vec<&survey::Entry> = s.commits.iter().step_by(step).collect();
    let (mut picked_ok, mut agree) = (0, 0);
    let pb = indicatif::ProgressBar::new(sample.len() as u64);
    let t = Instant::now();
    for e in &sample {
        let ok = cmd!(
            "git",
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@localhost",
            "cherry-pick",
            "--no-commit",
            &e.commit
        )
        .dir(&wt)
        .stdout_null()
        .stderr_null()
        .unchecked()
        .run()?
        .status
        .success();
        let _ = cmd!("git", "cherry-pick", "--abort")
            .dir(&wt)
            .stderr_null()
            .unchecked()
            .run();
        git(&wt, &["reset", "-q", "--hard", base])?;
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
    let p = corpus::presence(&upstream, corpus_branch)?;
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

/// CPU time (user + system) this process has used, in seconds: the part of
/// a wall-clock figure that does not depend on what else the machine runs.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}
