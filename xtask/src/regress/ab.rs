//! The A/B for any port: the same `.t` tests on the base's build and the
//! branch's, one verdict per test. Both sides run in the branch's kept
//! tree (its tests and their `.rc` helpers, its env.rc): the branch is
//! configured for the base's prefix (`build --run-at`), so the side is
//! only which install is at that prefix while the test runs.
//!
//! | verdict | base | branch | the A/B |
//! |---|---|---|---|
//! | fixed | fails | passes | passes |
//! | held | passes | passes | passes |
//! | regressed | passes | fails | fails |
//! | failing on both | fails | fails | fails, unless named known-failing |
//! | not run | a side could not run it (a missing tool) | | neither |
//!
//! Not through the git room (`backport::git`) in one place only: its unit
//! test builds a two-commit repository with git2 to give `auto` a real one.

use super::{Options, Outcome, TestRun};
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Fixed,
    Held,
    Regressed,
    FailingOnBoth,
    NotRun,
}

impl Verdict {
    pub fn of(base: &TestRun, branch: &TestRun) -> Verdict {
        let ran = |r: &TestRun| r.result != Outcome::NotRun;
        match (ran(base) && ran(branch), base.passed(), branch.passed()) {
            (false, _, _) => Verdict::NotRun,
            (true, false, true) => Verdict::Fixed,
            (true, true, true) => Verdict::Held,
            (true, true, false) => Verdict::Regressed,
            (true, false, false) => Verdict::FailingOnBoth,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Fixed => "fixed",
            Verdict::Held => "held",
            Verdict::Regressed => "regressed",
            Verdict::FailingOnBoth => "failing on both",
            Verdict::NotRun => "not run",
        }
    }
}

/// One test on both builds.
#[derive(Debug, Clone, Serialize)]
pub struct Compared {
    pub test: String,
    pub verdict: Verdict,
    /// Whether the A/B holds for this test.
    pub passed: bool,
    pub known_failing: bool,
    pub base: TestRun,
    pub branch: TestRun,
}

/// The two installs, the branch's tree, and what to run.
pub struct Sides {
    pub base: PathBuf,
    pub branch: PathBuf,
    pub tree: PathBuf,
    pub tests: Vec<String>,
    pub known_failing: Vec<String>,
    pub jobs: usize,
    pub timeout: std::time::Duration,
    pub retries: u32,
    pub keep: PathBuf,
}

/// Runs every test on the base, then on the branch, and judges each.
pub fn run(s: &Sides) -> Result<Vec<Compared>> {
    let side = |prefix: &Path, name: &str| -> Result<Vec<TestRun>> {
        eprintln!("==> regress: the {name}, {}", prefix.display());
        super::run(&Options {
            tree: s.tree.clone(),
            prefix: prefix.to_path_buf(),
            tests: s.tests.clone(),
            jobs: s.jobs,
            timeout: s.timeout,
            retries: s.retries,
            keep: s.keep.join(name),
        })
    };
    let base = side(&s.base, "base")?;
    let branch = side(&s.branch, "branch")?;
    Ok(base
        .into_iter()
        .zip(branch)
        .map(|(base, branch)| {
            let verdict = Verdict::of(&base, &branch);
            let known_failing = s.known_failing.contains(&base.test);
            let passed = match verdict {
                Verdict::Fixed | Verdict::Held | Verdict::NotRun => true,
                Verdict::Regressed => false,
                Verdict::FailingOnBoth => known_failing,
            };
            Compared {
                test: base.test.clone(),
                verdict,
                passed,
                known_failing,
                base,
                branch,
            }
        })
        .collect())
}

/// The two builds of an A/B, each with its tree kept: the base at its own
/// prefix in `builds_dir`, the branch configured for the base's prefix
/// and installed beside it (`build --run-at`), so both run in the
/// branch's tree. Returns (base prefix, branch prefix, branch tree).
pub fn build_sides(
    repo: &Path,
    base: &str,
    branch: &str,
    builds_dir: &Path,
    jobs: usize,
) -> Result<(PathBuf, PathBuf, PathBuf)> {
    let prefix = |rev: &str| -> Result<PathBuf> {
        let git = backport::git::open(repo, "--repo")?;
        let commit = backport::git::rev::commit(&git, rev)?.id().to_string();
        Ok(crate::ab::build_prefix(builds_dir, rev, &commit))
    };
    let base_report = crate::build::run(&crate::build::Options {
        rev: base.into(),
        repo: repo.to_path_buf(),
        prefix: prefix(base)?,
        jobs,
        force: false,
        keep_tree: true,
        from: None,
        run_at: None,
    })?;
    let branch_report = crate::build::run(&crate::build::Options {
        rev: branch.into(),
        repo: repo.to_path_buf(),
        prefix: prefix(branch)?,
        jobs,
        force: false,
        keep_tree: true,
        from: None,
        run_at: Some(base_report.prefix.clone()),
    })?;
    let tree = branch_report
        .tree
        .clone()
        .context("the branch's build kept no tree")?;
    Ok((base_report.prefix, branch_report.prefix, tree))
}

/// `auto`: every `.t` that the commits in `base..branch` of `repo` add or
/// change and that the branch still has, sorted.
pub fn auto(repo: &Path, base: &str, branch: &str) -> Result<Vec<String>> {
    let git = backport::git::open(repo, "the branch's tests")?;
    let mut tests: Vec<String> = backport::git::changes(&git, base, branch)?
        .into_iter()
        .filter_map(|c| c.new)
        .filter(|p| p.starts_with("tests/") && p.ends_with(".t"))
        .collect();
    tests.sort();
    tests.dedup();
    Ok(tests)
}

/// The verdicts as a table.
pub fn text(rows: &[Compared]) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING).set_header([
        "test", "verdict", "base", "branch", "s base", "s branch", "why",
    ]);
    let side = |r: &TestRun| {
        format!(
            "{}{}",
            r.result.name(),
            if r.flaky { " (flaky)" } else { "" }
        )
    };
    for c in rows {
        let why = match c.verdict {
            Verdict::FailingOnBoth | Verdict::Regressed => {
                let failing = if c.branch.passed() {
                    &c.base
                } else {
                    &c.branch
                };
                let first = failing
                    .failed
                    .first()
                    .map(|f| format!("TEST #{} (line {}): {}; ", f.number, f.line, f.command))
                    .unwrap_or_default();
                format!("{first}{}", failing.cause.clone().unwrap_or_default())
            }
            Verdict::NotRun => c
                .base
                .cause
                .clone()
                .or_else(|| c.branch.cause.clone())
                .unwrap_or_default(),
            Verdict::Fixed => c
                .base
                .failed
                .first()
                .map(|f| {
                    format!(
                        "base fails TEST #{} (line {}): {}",
                        f.number, f.line, f.command
                    )
                })
                .unwrap_or_default(),
            Verdict::Held => String::new(),
        };
        t.add_row([
            c.test.clone(),
            format!(
                "{}{}",
                c.verdict.name(),
                if c.known_failing { " (known)" } else { "" }
            ),
            side(&c.base),
            side(&c.branch),
            format!("{:.1}", c.base.seconds),
            format!("{:.1}", c.branch.seconds),
            why,
        ]);
    }
    format!("{t}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(result: Outcome) -> TestRun {
        TestRun {
            test: "tests/bugs/x.t".into(),
            result,
            flaky: false,
            seconds: 1.0,
            tests_ran: 3,
            failed: Vec::new(),
            cause: None,
            log: None,
            peak_kib: 0,
        }
    }

    #[test]
    fn verdicts_follow_the_table() {
        use Outcome::*;
        for (base, branch, want) in [
            (Failed, Passed, Verdict::Fixed),
            (TimedOut, Passed, Verdict::Fixed),
            (Passed, Passed, Verdict::Held),
            (Passed, Failed, Verdict::Regressed),
            (Passed, TimedOut, Verdict::Regressed),
            (Failed, Failed, Verdict::FailingOnBoth),
            (NotRun, Passed, Verdict::NotRun),
            (Passed, NotRun, Verdict::NotRun),
        ] {
            assert_eq!(
                Verdict::of(&run_with(base), &run_with(branch)),
                want,
                "{base:?} {branch:?}"
            );
        }
    }

    #[test]
    fn auto_takes_the_tests_the_branch_adds_or_changes() {
        let d = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(d.path()).unwrap();
        let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
        let commit = |files: &[(&str, &str)], parent: Option<git2::Oid>| {
            for (f, text) in files {
                let p = d.path().join(f);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, text).unwrap();
            }
            let mut index = repo.index().unwrap();
            index
                .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
                .unwrap();
            let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
            let parents: Vec<git2::Commit> = parent
                .map(|p| repo.find_commit(p).unwrap())
                .into_iter()
                .collect();
            let refs: Vec<&git2::Commit> = parents.iter().collect();
            repo.commit(None, &sig, &sig, "c", &tree, &refs).unwrap()
        };
        let base = commit(
            &[
                ("tests/basic/old.t", "a"),
                ("tests/bugs/kept.t", "k"),
                ("src/x.c", "1"),
            ],
            None,
        );
        let branch = commit(
            &[
                ("tests/basic/old.t", "b"),
                ("tests/bugs/new.t", "n"),
                ("tests/volume.rc", "r"),
                ("src/x.c", "2"),
            ],
            Some(base),
        );
        repo.branch("base", &repo.find_commit(base).unwrap(), false)
            .unwrap();
        repo.branch("fix", &repo.find_commit(branch).unwrap(), false)
            .unwrap();
        assert_eq!(
            auto(d.path(), "base", "fix").unwrap(),
            ["tests/basic/old.t", "tests/bugs/new.t"]
        );
    }
}
