//! The suite's proof of `regress`: nine upstream bug fixes that came with
//! their own `.t` regression tests (listed in ../shared/glusterfs's
//! README; none is in v3.12.15, each fixes code v3.12.15 has) are ported
//! onto the suite's 3.12.15 fork with the kit, one `--commit` call each,
//! and the branch is built; then their tests and a smoke set of 3.12.15's
//! own EC and AFR tests run on base and branch. It passes when at least
//! three of the fixes' tests come out fixed, the smoke set held, nothing
//! regressed, and a real glusterd running beside the tests (the system's,
//! in a throwaway cluster) is untouched by upstream's `cleanup`.

use crate::regress::ab::{Compared, Sides, Verdict};
use anyhow::{Context, Result};
use std::path::Path;
use std::time::Duration;

/// The nine fixes, each with the upstream commits that amend its test
/// (ported after it, as upstream took them), limited to that test: c7e5741f93
/// moved peer-parsing.t's path and touched two other tests besides, which
/// have nothing to do with the fix (one needs gNFS, one a 1024-bit key
/// that Debian 12's OpenSSL refuses).
pub const FIXES: &[(&str, &[(&str, &str)])] = &[
    ("1eef0a0f39", &[]),
    ("2d5ba449e9", &[]),
    ("4f58d35f06", &[]),
    (
        "16e8d03c7e",
        &[("c7e5741f93", "tests/basic/peer-parsing.t")],
    ),
    ("8d17a94a65", &[]),
    (
        "1b0b869d91",
        &[(
            "30f54b702a",
            "tests/bugs/replicate/bug-1717819-metadata-split-brain-detection.t",
        )],
    ),
    ("449ef11044", &[]),
    ("2a872bbcde", &[]),
    ("ce69fb6596", &[]),
];

pub use crate::regress::SMOKE;

const BRANCH: &str = "upstream-fixes";
const BASE: &str = "v3.12.15";

/// What became of one fix.
pub struct Port {
    pub commit: &'static str,
    /// None when ported; else why the kit refused it.
    pub refused: Option<String>,
}

/// Ports the fixes onto a branch of `fork` at v3.12.15, one call each.
pub fn port(fork: &Path, upstream: &Path) -> Result<Vec<Port>> {
    let git = backport::git::open(fork, "the suite's fork")?;
    backport::git::rev::set_branch(&git, BRANCH, BASE)?;
    let mut ports = Vec::new();
    let one = |commit: &str, paths: Vec<String>| {
        backport::run(&backport::Options {
            branch: BRANCH.into(),
            repo: fork.to_path_buf(),
            upstream: Some(upstream.to_path_buf()),
            series: crate::paths::series(),
            commits: vec![commit.to_string()],
            paths,
            ..Default::default()
        })
        .map(|_| ())
    };
    for (commit, amended_by) in FIXES {
        let mut outcome = one(commit, Vec::new());
        if outcome.is_ok() {
            for (amend, path) in *amended_by {
                outcome = one(amend, vec![path.to_string()]);
                if outcome.is_err() {
                    break;
                }
            }
        }
        ports.push(Port {
            commit,
            refused: outcome.err().map(|e| format!("{e:#}")),
        });
    }
    Ok(ports)
}

/// What the step runs on: the ports, both builds, and the tests.
pub struct Prepared {
    pub ports: Vec<Port>,
    pub base: std::path::PathBuf,
    pub branch: std::path::PathBuf,
    pub tree: std::path::PathBuf,
    pub fix_tests: Vec<String>,
}

/// Ports the fixes onto the fork and builds both sides (minutes: the
/// suite does it while its tests run).
pub fn prepare(fork: &Path, upstream: &Path) -> Result<Prepared> {
    eprintln!("==> regress: nine upstream fixes with their .t tests, ported onto {BASE}");
    let ports = port(fork, upstream)?;
    for p in &ports {
        eprintln!(
            "    {}: {}",
            p.commit,
            p.refused
                .as_deref()
                .map_or("ported".into(), |w| format!("refused: {w}"))
        );
    }
    let (base, branch, tree) =
        crate::regress::ab::build_sides(fork, BASE, BRANCH, &crate::ab::builds_dir()?, 2)?;
    let fix_tests = crate::regress::ab::auto(fork, BASE, BRANCH)?;
    Ok(Prepared {
        ports,
        base,
        branch,
        tree,
        fix_tests,
    })
}

/// The suite step: both sides run beside a live glusterd.
pub fn step(prepared: &Prepared) -> Result<bool> {
    let Prepared {
        ports,
        base,
        branch,
        tree,
        fix_tests,
    } = prepared;
    let mut tests = fix_tests.clone();
    tests.extend(SMOKE.iter().map(|s| s.to_string()));
    // A real glusterd beside the tests: upstream's cleanup kills every
    // glusterd it can see, and must see none but its own.
    let witness = verify::cluster::Cluster::start().context("starting the witness glusterd")?;
    let witness_pid = witness.glusterd_pid()?;
    let rows = crate::regress::ab::run(&Sides {
        base: base.clone(),
        branch: branch.clone(),
        tree: tree.clone(),
        tests,
        known_failing: Vec::new(),
        jobs: 2,
        // The base hangs in bug-1717819's test (the bug it fixes) until
        // killed; every other test of the set ends within 60 s here.
        timeout: Duration::from_secs(120),
        retries: 1,
        keep: crate::paths::target_dir()?.join("regress"),
    })?;
    let witness_alive = witness.glusterd_pid().ok() == Some(witness_pid)
        && witness
            .exec(&["gluster", "--mode=script", "pool", "list"])
            .is_ok_and(|o| o.status.success());
    drop(witness);
    print!("{}", crate::regress::ab::text(&rows));
    let saved = crate::paths::target_dir()?.join("regress-ab.json");
    std::fs::write(&saved, serde_json::to_string_pretty(&rows)?)?;
    let judged = judge(&rows, fix_tests);
    for p in ports {
        println!(
            "regress fix {}: {}",
            p.commit,
            match &p.refused {
                Some(why) => format!("refused: {}", why.lines().next().unwrap_or("")),
                None => "ported".into(),
            }
        );
    }
    println!(
        "regress: {} of the fixes' tests fixed (at least 3), smoke set {}, {} regressed, witness glusterd (pid {witness_pid}) {} (JSON in {})",
        judged.fixed,
        if judged.smoke_held { "held" } else { "NOT held" },
        judged.regressed,
        if witness_alive { "untouched" } else { "KILLED or gone" },
        saved.display()
    );
    Ok(judged.fixed >= 3 && judged.smoke_held && judged.regressed == 0 && witness_alive)
}

/// The counts the step is judged on.
#[derive(Debug, PartialEq)]
pub struct Judged {
    pub fixed: usize,
    pub smoke_held: bool,
    pub regressed: usize,
}

pub fn judge(rows: &[Compared], fix_tests: &[String]) -> Judged {
    Judged {
        fixed: rows
            .iter()
            .filter(|r| fix_tests.contains(&r.test) && r.verdict == Verdict::Fixed)
            .count(),
        smoke_held: SMOKE.iter().all(|s| {
            rows.iter()
                .any(|r| r.test == *s && r.verdict == Verdict::Held)
        }),
        regressed: rows
            .iter()
            .filter(|r| r.verdict == Verdict::Regressed)
            .count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regress::{Outcome, TestRun};

    fn row(test: &str, base: Outcome, branch: Outcome) -> Compared {
        let run = |result| TestRun {
            test: test.into(),
            result,
            flaky: false,
            seconds: 1.0,
            tests_ran: 1,
            failed: Vec::new(),
            cause: None,
            log: None,
            peak_kib: 0,
        };
        let (base, branch) = (run(base), run(branch));
        let verdict = Verdict::of(&base, &branch);
        Compared {
            test: test.into(),
            verdict,
            passed: verdict != Verdict::Regressed,
            known_failing: false,
            base,
            branch,
        }
    }

    #[test]
    fn the_step_counts_fixed_fix_tests_and_needs_every_smoke_test_held() {
        use Outcome::*;
        let fix_tests: Vec<String> = ["tests/bugs/a.t", "tests/bugs/b.t", "tests/bugs/c.t"]
            .map(String::from)
            .to_vec();
        let mut rows: Vec<Compared> = vec![
            row("tests/bugs/a.t", Failed, Passed),
            row("tests/bugs/b.t", Failed, Passed),
            row("tests/bugs/c.t", Failed, Failed),
        ];
        rows.extend(SMOKE.iter().map(|s| row(s, Passed, Passed)));
        assert_eq!(
            judge(&rows, &fix_tests),
            Judged {
                fixed: 2,
                smoke_held: true,
                regressed: 0
            }
        );
        // A smoke test that the branch breaks: not held, and regressed.
        let last = rows.len() - 1;
        rows[last] = row(SMOKE[SMOKE.len() - 1], Passed, Failed);
        let j = judge(&rows, &fix_tests);
        assert!(!j.smoke_held);
        assert_eq!(j.regressed, 1);
        // A smoke test that did not run is not held either.
        rows[last] = row(SMOKE[SMOKE.len() - 1], NotRun, Passed);
        assert!(!judge(&rows, &fix_tests).smoke_held);
    }
}
