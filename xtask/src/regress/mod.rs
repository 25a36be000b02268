//! `cargo xtask regress`: upstream's own `.t` regression tests against a
//! kit build, each in mount, network, UTS and PID namespaces of its own.
//!
//! Upstream runs them one after another on dedicated builders: every test
//! uses the same /d/backends, /mnt/glusterfs/0, /var/lib/glusterd and
//! ports, and its `cleanup` kills every glusterd, glusterfsd and glusterfs
//! on the machine and unmounts every gluster mount. Here each test gets
//! its own: a hostname and /etc/hosts, a loopback with the legacy brick
//! address, a tmpfs over /run, private copies of the build's state dirs
//! (and of the system's, should the build ignore its prefix), and `B0`,
//! `M0`-`M2`, `N0`, `N1` in a work dir of its own (tests/include.rc takes
//! them from the environment). `cleanup`'s killall sees only the test's
//! PID namespace, its umounts only the test's mount namespace, so a host
//! glusterd and its mounts are never reached, and tests run side by side
//! (`--jobs`). Everything a test starts dies with its namespace's first
//! process, which dies with the runner.
//!
//! Steps: select (paths and globs in the build's kept tree) -> needs (the
//! programs each test calls, installed as root) -> run (prove, with a
//! deadline, a retry for a failure) -> report.

pub mod ab;
pub mod needs;
pub mod tap;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A smoke set: 3.12.15's own EC and AFR tests that take seconds each
/// (measured on a kit build: 2-20 s; split-brain-heal-info.t's 82 s is
/// left out). The suite's A/B needs them held; `bench regress` times them.
pub const SMOKE: &[&str] = &[
    "tests/basic/afr/arbiter-cli.t",
    "tests/basic/afr/gfid-heal.t",
    "tests/basic/afr/root-squash-self-heal.t",
    "tests/basic/ec/ec-internal-xattrs.t",
    "tests/basic/ec/ec-read-policy.t",
    "tests/basic/ec/ec-root-heal.t",
];

/// Read-only inside every test (see `script`).
const PROTECTED: [&str; 10] = [
    "/etc", "/usr", "/var", "/opt", "/root", "/home", "/srv", "/boot", "/mnt", "/media",
];

/// Host dirs tests write on a builder of their own, each replaced by a
/// private copy of itself: GlusterFS's SSL files live in /etc/ssl.
const PRIVATE_COPIES: [(&str, &str); 1] = [("ssl", "/etc/ssl")];

/// Host dirs every test gets an empty tmpfs over: /run for glusterd's
/// socket and pid files (/var/run is a link to it), the temp dirs for
/// what tests leave there.
const FRESH: [&str; 3] = ["/run", "/tmp", "/var/tmp"];

/// The hostname each test's namespace has.
const HOSTNAME: &str = "glk-regress";
/// The address the hostname resolves to: 3.x's CLI refuses 127.x brick
/// hosts, so one from the benchmarking range, on the namespace's own lo.
const ADDR: &str = "198.18.0.2";

pub struct Options {
    /// The build's kept tree (`cargo xtask build --keep-tree`), with its
    /// configured `tests/env.rc`.
    pub tree: PathBuf,
    /// The install dir of that build.
    pub prefix: PathBuf,
    /// Test files or globs, relative to the tree (`tests/basic/ec/*.t`).
    pub tests: Vec<String>,
    pub jobs: usize,
    /// Each test's deadline.
    pub timeout: Duration,
    /// Runs of a failed test after the first (a pass then is "flaky").
    pub retries: u32,
    /// Where each failure's log dir is kept.
    pub keep: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    Failed,
    TimedOut,
    NotRun,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::TimedOut => "timed out",
            Outcome::NotRun => "not run",
        }
    }
}

/// One test on one build.
#[derive(Debug, Clone, Serialize)]
pub struct TestRun {
    pub test: String,
    pub result: Outcome,
    /// Passed only on a retry, as upstream's CI reports "needed retry".
    pub flaky: bool,
    pub seconds: f64,
    /// TESTs that ran, of the last run.
    pub tests_ran: u32,
    pub failed: Vec<tap::FailedTest>,
    /// What the runner can tell of a failure's cause, or why it did not run.
    pub cause: Option<String>,
    /// The kept log dir of a failure.
    pub log: Option<PathBuf>,
    /// The largest resident set of the test's processes at once, in KiB
    /// (its namespace's cgroup-free reading: the sum over its PIDs,
    /// sampled).
    pub peak_kib: u64,
}

impl TestRun {
    /// `test`, not run (or not run to the end) on this build, and why.
    pub fn not_run(test: &str, why: String) -> TestRun {
        TestRun {
            test: test.to_string(),
            result: Outcome::NotRun,
            flaky: false,
            seconds: 0.0,
            tests_ran: 0,
            failed: Vec::new(),
            cause: Some(why),
            log: None,
            peak_kib: 0,
        }
    }

    pub fn passed(&self) -> bool {
        self.result == Outcome::Passed
    }
}

/// The test files `patterns` name in `tree`, sorted; fails on a pattern
/// that names nothing.
pub fn select(tree: &Path, patterns: &[String]) -> Result<Vec<String>> {
    let files: Vec<String> = walkdir::WalkDir::new(tree.join("tests"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "t"))
        .filter_map(|e| {
            Some(
                e.path()
                    .strip_prefix(tree)
                    .ok()?
                    .to_string_lossy()
                    .into_owned(),
            )
        })
        .collect();
    let mut chosen = std::collections::BTreeSet::new();
    for p in patterns {
        let glob = globset::Glob::new(p)
            .with_context(|| format!("{p:?} is not a path or glob"))?
            .compile_matcher();
        let hits: Vec<&String> = files.iter().filter(|f| glob.is_match(f.as_str())).collect();
        if hits.is_empty() {
            bail!(
                "{p} names no .t file in {}: give paths relative to the tree, e.g. tests/basic/ec/ec-3-1.t",
                tree.display()
            );
        }
        chosen.extend(hits.into_iter().cloned());
    }
    Ok(chosen.into_iter().collect())
}

/// Runs every selected test, `jobs` at a time; results in test order.
pub fn run(opts: &Options) -> Result<Vec<TestRun>> {
    if !crate::host::is_root() {
        bail!("regress needs root: each test runs in mount, network, UTS and PID namespaces of its own, and mounts FUSE inside");
    }
    if !opts.tree.join("tests/env.rc").is_file() {
        bail!(
            "{} has no tests/env.rc: give the kept tree of a configured build (cargo xtask build --keep-tree)",
            opts.tree.display()
        );
    }
    let tests = select(&opts.tree, &opts.tests)?;
    let mut all_needs: Vec<(&str, &str)> = needs::ALWAYS.to_vec();
    for t in &tests {
        let text = std::fs::read_to_string(opts.tree.join(t)).unwrap_or_default();
        all_needs.extend(needs::of(&text));
    }
    let packages: Vec<(&str, &str)> = all_needs.iter().map(|(prog, pkg)| (*pkg, *prog)).collect();
    crate::host::install_packages(&packages)?;
    let flavor = verify::cluster::Flavor::installed(&opts.prefix)?;
    std::fs::create_dir_all(&opts.keep)?;
    eprintln!(
        "==> {} test(s) on {}, {} at a time, {} s each",
        tests.len(),
        opts.prefix.display(),
        opts.jobs,
        opts.timeout.as_secs()
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<TestRun>>> = Mutex::new(vec![None; tests.len()]);
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.clamp(1, tests.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(test) = tests.get(i) else { break };
                let run = one(opts, &flavor, test).unwrap_or_else(|e| {
                    TestRun::not_run(test, format!("the runner failed: {e:#}"))
                });
                eprintln!(
                    "    {:<9} {:>6.1} s  {}{}",
                    run.result.name(),
                    run.seconds,
                    run.test,
                    if run.flaky { " (needed retry)" } else { "" }
                );
                results.lock().expect("no panics hold it")[i] = Some(run);
            });
        }
    });
    Ok(results
        .into_inner()
        .expect("no panics hold it")
        .into_iter()
        .flatten()
        .collect())
}

/// One test, retried after a failure.
fn one(opts: &Options, flavor: &verify::cluster::Flavor, test: &str) -> Result<TestRun> {
    let text = std::fs::read_to_string(opts.tree.join(test))?;
    if let Some(why) = needs::ruled_out(&text).or_else(|| needs::fuse_missing(&text)) {
        return Ok(TestRun::not_run(test, format!("needs {why}")));
    }
    let missing = needs::missing(&needs::of(&text));
    if !missing.is_empty() {
        return Ok(TestRun::not_run(
            test,
            format!("needs {}", missing.join(", ")),
        ));
    }
    let mut run = attempt(opts, flavor, test)?;
    for _ in 0..opts.retries {
        if run.result != Outcome::Failed {
            break;
        }
        let again = attempt(opts, flavor, test)?;
        if again.passed() {
            let mut again = again;
            again.flaky = true;
            again.seconds += run.seconds;
            if let Some(log) = run.log.take() {
                let _ = std::fs::remove_dir_all(log);
            }
            run = again;
            break;
        }
        if let Some(log) = again.log.as_ref() {
            let _ = std::fs::remove_dir_all(log);
        }
    }
    Ok(run)
}

/// The bash script PID 1 of the test's namespaces runs: the private
/// mounts, then prove under `timeout`. bash stays PID 1 (prove is not
/// exec'd), so when it exits every process of the test dies with it.
fn script(
    opts: &Options,
    flavor: &verify::cluster::Flavor,
    work: &Path,
    test: &str,
) -> Result<String> {
    let q = |p: &Path| -> Result<String> {
        shlex::try_quote(&p.to_string_lossy())
            .map(|s| s.into_owned())
            .with_context(|| format!("a path the shell cannot quote: {}", p.display()))
    };
    let mut s = String::from("set -e\nip link set lo up\n");
    s += &format!("ip addr add {ADDR}/32 dev lo\n");
    // The host's system dirs read-only for the test: upstream's tests
    // write where a builder is theirs (bug-1320388.t makes its SSL key in
    // /etc/ssl), and a private copy below is bound over each place a test
    // may write. A dir that holds the tree, the work dir or the build
    // stays writable, and is said.
    let writable = [opts.tree.as_path(), work, opts.prefix.as_path()];
    for dir in PROTECTED.iter().map(Path::new).filter(|d| d.is_dir()) {
        if writable.iter().any(|w| w.starts_with(dir)) {
            eprintln!(
                "    note: {} holds the tree, the build or the work dir, so the test may write there",
                dir.display()
            );
            continue;
        }
        s += &format!(
            "mount --bind {d} {d}\nmount -o remount,bind,ro {d}\n",
            d = q(dir)?
        );
    }
    for (name, dir) in PRIVATE_COPIES {
        let private = work.join("state").join(name);
        std::fs::create_dir_all(&private)?;
        s += &format!(
            "[ ! -d {dir} ] || {{ cp -a {dir}/. {p}/ && mount --bind {p} {dir}; }}\n",
            p = q(&private)?
        );
    }
    for dir in FRESH {
        if writable.iter().any(|w| w.starts_with(dir)) {
            eprintln!(
                "    note: {dir} holds the tree, the build or the work dir, so it is not replaced"
            );
            continue;
        }
        s += &format!("mount -t tmpfs tmpfs {dir}\n");
    }
    s += "mkdir -p /run/gluster /run/lock\n";
    if let (Some(from), Some(at)) = (&flavor.bound, &flavor.prefix) {
        s += &format!("mount --bind {} {}\n", q(from)?, q(at)?);
    }
    let prefix = flavor.prefix.clone().unwrap_or_else(|| opts.prefix.clone());
    let var = prefix.join("var");
    // The build's state, with what make install put there (glusterd's
    // hooks and groups, which cleanup keeps), copied into private dirs.
    for (name, dir) in [
        ("lib", var.join("lib/glusterd")),
        ("log", var.join("log")),
        ("run", var.join("run")),
    ] {
        let private = work.join("state").join(name);
        std::fs::create_dir_all(&private)?;
        s += &format!(
            "mkdir -p {d}\ncp -a {d}/. {p}/\nmount --bind {p} {d}\nmkdir -p {d}/gluster\n",
            d = q(&dir)?,
            p = q(&private)?
        );
    }
    // The system's own, where they exist: a build that ignored its prefix
    // would write there.
    for (name, dir) in [
        ("sys-lib", "/var/lib/glusterd"),
        ("sys-log", "/var/log/glusterfs"),
    ] {
        let private = work.join("state").join(name);
        std::fs::create_dir_all(&private)?;
        s += &format!(
            "[ ! -d {dir} ] || mount --bind {p} {dir}\n",
            p = q(&private)?
        );
    }
    let hosts = work.join("hosts");
    std::fs::write(
        &hosts,
        format!("127.0.0.1 localhost\n::1 localhost\n{ADDR} {HOSTNAME}\n"),
    )?;
    s += &format!(
        "mount --bind {} /etc/hosts\nhostname {HOSTNAME}\n",
        q(&hosts)?
    );
    s += &format!(
        "cd {}\nset +e\ntimeout -s KILL {} prove -v {} \nexit $?\n",
        q(&opts.tree)?,
        opts.timeout.as_secs(),
        q(Path::new(test))?
    );
    Ok(s)
}

/// One run of `test` in fresh namespaces.
fn attempt(opts: &Options, flavor: &verify::cluster::Flavor, test: &str) -> Result<TestRun> {
    let name: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let work = tempfile::Builder::new()
        .prefix(&format!("{name}-"))
        .tempdir_in(&opts.keep)?;
    let w = work.path();
    std::fs::create_dir_all(w.join("tmp"))?;
    let mut env: Vec<(String, PathBuf)> = vec![
        ("B0".into(), w.join("backends")),
        // mktemp and friends: the test's own, not the caller's TMPDIR.
        ("TMPDIR".into(), w.join("tmp")),
    ];
    for (var, sub) in [
        ("M0", "mnt/glusterfs/0"),
        ("M1", "mnt/glusterfs/1"),
        ("M2", "mnt/glusterfs/2"),
        ("N0", "mnt/nfs/0"),
        ("N1", "mnt/nfs/1"),
    ] {
        env.push((var.into(), w.join(sub)));
    }
    let log = w.join("prove.log");
    let file = std::fs::File::create(&log)?;
    let script = script(opts, flavor, w, test)?;
    let t = Instant::now();
    let mut child = die_with_parent::namespace_holder(&["-m", "-n", "-u"], &script)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("DEBUG", "0")
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .spawn()
        .context("starting unshare")?;
    let mut peak = 0;
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        peak = peak.max(namespace_rss_kib(child.id()));
        std::thread::sleep(Duration::from_millis(500));
    };
    let seconds = t.elapsed().as_secs_f64();
    let output = String::from_utf8_lossy(&std::fs::read(&log)?).into_owned();
    let (failed, ran) = tap::read(&output);
    let result = match status.code() {
        Some(0) => Outcome::Passed,
        // timeout -s KILL: 137 from the killed prove.
        Some(137) | Some(124) => Outcome::TimedOut,
        _ => Outcome::Failed,
    };
    let cause = (result != Outcome::Passed).then(|| cause(&output, result, opts.timeout));
    let kept = if result == Outcome::Passed {
        None
    } else {
        Some(work.keep())
    };
    Ok(TestRun {
        test: test.to_string(),
        result,
        flaky: false,
        seconds,
        tests_ran: ran,
        failed,
        cause,
        log: kept,
        peak_kib: peak,
    })
}

/// What the output tells of why a test failed: a program or helper the
/// shell could not find, or the deadline.
fn cause(output: &str, result: Outcome, timeout: Duration) -> String {
    if result == Outcome::TimedOut {
        return format!("the {} s deadline passed", timeout.as_secs());
    }
    let missing: Vec<&str> = output
        .lines()
        .filter_map(|l| l.strip_suffix(": command not found"))
        .filter_map(|l| l.rsplit(": ").next())
        .collect();
    if let Some(name) = missing.first() {
        return format!(
            "`{name}`: command not found: neither a program on PATH nor a function of this tree's tests/*.rc (a helper the old framework lacks, or a tool to install)"
        );
    }
    "a TEST failed (see the failed lines)".into()
}

/// The resident memory of every process in the PID namespace whose holder
/// is `holder`, summed (KiB).
fn namespace_rss_kib(holder: u32) -> u64 {
    let Ok(children) = std::fs::read_to_string(format!("/proc/{holder}/task/{holder}/children"))
    else {
        return 0;
    };
    let Some(init) = children.split_whitespace().next() else {
        return 0;
    };
    let Ok(ns) = std::fs::read_link(format!("/proc/{init}/ns/pid")) else {
        return 0;
    };
    die_with_parent::procs::in_pid_ns(&ns)
        .iter()
        .map(die_with_parent::procs::Process::rss_kib)
        .sum()
}

/// The results as a table.
pub fn text(runs: &[TestRun]) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING).set_header([
        "test",
        "result",
        "seconds",
        "peak MiB",
        "first failed TEST",
        "cause",
    ]);
    for r in runs {
        t.add_row([
            r.test.clone(),
            format!(
                "{}{}",
                r.result.name(),
                if r.flaky { " (flaky)" } else { "" }
            ),
            format!("{:.1}", r.seconds),
            format!("{:.0}", r.peak_kib as f64 / 1024.0),
            r.failed.first().map_or(String::new(), |f| {
                format!("#{} line {}: {}", f.number, f.line, f.command)
            }),
            r.cause.clone().unwrap_or_default(),
        ]);
    }
    format!("{t}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_takes_paths_and_globs_and_refuses_what_names_nothing() {
        let d = tempfile::tempdir().unwrap();
        for f in [
            "tests/basic/ec/ec-1.t",
            "tests/basic/ec/ec-2.t",
            "tests/basic/afr/a.t",
            "tests/include.rc",
        ] {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        assert_eq!(
            select(
                d.path(),
                &["tests/basic/ec/*.t".into(), "tests/basic/afr/a.t".into()]
            )
            .unwrap(),
            [
                "tests/basic/afr/a.t",
                "tests/basic/ec/ec-1.t",
                "tests/basic/ec/ec-2.t"
            ]
        );
        let e = select(d.path(), &["tests/bugs/*.t".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("names no .t file"), "{e}");
    }

    #[test]
    fn a_missing_helper_is_named_as_the_cause() {
        let out = "not ok 3 , LINENUM:12\nFAILED COMMAND: get_mount_active_size_value patchy\n\
                   tests/bugs/x.t: line 12: get_mount_active_size_value: command not found\n";
        let c = cause(out, Outcome::Failed, Duration::from_secs(300));
        assert!(
            c.starts_with("`get_mount_active_size_value`: command not found"),
            "{c}"
        );
        assert_eq!(
            cause("", Outcome::TimedOut, Duration::from_secs(9)),
            "the 9 s deadline passed"
        );
    }
}
