//! Fault test: `backport` and `backport --survey --apply-clean`, run as the
//! built `xtask` binary and SIGKILLed at seeded random moments spread over a
//! run's measured duration. After each kill the repository is whole
//! (`git fsck`), the branch is either its old tip or the complete result of
//! a reference run, the work tree and index agree with it (`git status
//! --porcelain` is empty), and a rerun ends on the reference's tree.
//!
//! The fixture is one non-bare repository in the kit's own small C style:
//! `master` carries `FILES * FUNCS` small upstream commits, each changing one
//! line of its own function, and `fork` (checked out) is their base. Every
//! commit is clean, so a run ports all of them, long enough to be hit mid-run.
//!
//! Not through the git room (`backport::git`): a test reads and builds its
//! repositories with git2 and the git binary of its own, so that what it
//! checks does not rest on the code it checks.

use git2::{Oid, Repository, Signature, Time};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FILES: usize = 10;
const FUNCS: usize = 12;
const KILLS: usize = 10;

fn func(name: &str, v: &str, k: usize) -> String {
    format!(
        "int\n{name} (int {v}0)\n{{\n        int {v} = 0;\n        {v} = {v}0 + {k};\n        {v} = {v} * {};\n        {v} = {v} - {};\n        return {v};\n}}\n",
        k * 2,
        k * 3,
    )
}

fn names(f: usize, j: usize) -> (String, String, usize) {
    (format!("f{f}_{j}"), format!("v{f}_{j}"), f * 100 + j + 1)
}

fn path_of(f: usize) -> String {
    format!("src/m{f}.c")
}

fn text_of(f: usize, edited: &[bool]) -> String {
    let mut s = format!("/* m{f}.c (kill fixture) */\n");
    for (j, done) in edited.iter().enumerate() {
        let (name, v, k) = names(f, j);
        let mut body = func(&name, &v, k);
        if *done {
            body = body.replacen(
                &format!("{v} = {v} * {};", k * 2),
                &format!("{v} = {v} * {} + 1;", k * 2),
                1,
            );
        }
        s.push('\n');
        s.push_str(&body);
    }
    s
}

struct Fixture {
    _dir: tempfile::TempDir,
    /// The template repository; each run works on a copy of it.
    template: PathBuf,
    base: Oid,
    upstream: Vec<Oid>,
}

fn build() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("repo");
    let repo = Repository::init(&template).unwrap();
    xtask::dev::fixture::set_identity(&repo).unwrap();
    let ada = Signature::new(
        "Ada Upstream",
        "ada@up.example",
        &Time::new(1_600_000_000, 0),
    )
    .unwrap();
    let mut edited = vec![vec![false; FUNCS]; FILES];
    let paths: Vec<String> = (0..FILES).map(path_of).collect();
    let texts: Vec<String> = (0..FILES).map(|f| text_of(f, &edited[f])).collect();
    let files: Vec<(&str, &str)> = paths
        .iter()
        .zip(&texts)
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let m = "refs/heads/master";
    let base =
        xtask::dev::fixture::commit_files(&repo, Some(m), None, &files, "base\n", &ada).unwrap();
    let mut upstream = Vec::new();
    let mut parent = base;
    for j in 0..FUNCS {
        for (f, path) in paths.iter().enumerate() {
            edited[f][j] = true;
            let text = text_of(f, &edited[f]);
            let (name, _, _) = names(f, j);
            let msg = format!("{name}: one more\n\nChange-Id: I{f:04}{j:04}\n");
            parent = xtask::dev::fixture::commit_files(
                &repo,
                Some(m),
                Some(parent),
                &[(path, &text)],
                &msg,
                &ada,
            )
            .unwrap();
            upstream.push(parent);
        }
    }
    repo.reference("refs/heads/fork", base, true, "fork at base")
        .unwrap();
    repo.set_head("refs/heads/fork").unwrap();
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
    Fixture {
        _dir: dir,
        template,
        base,
        upstream,
    }
}

fn copy(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success(), "cp -a {} {}", from.display(), to.display());
}

/// The two runs under test, as the binary's arguments for a repository.
#[derive(Clone, Copy, Debug)]
enum Run {
    /// `backport fork --commit U1 ... --commit Un`
    Commits,
    /// `backport fork --survey BASE..master --apply-clean`
    SurveyApplyClean,
}

fn args(run: Run, fx: &Fixture, repo: &Path) -> Vec<String> {
    let mut a = vec![
        "backport".to_string(),
        "fork".into(),
        "--repo".into(),
        repo.display().to_string(),
    ];
    match run {
        Run::Commits => {
            for c in &fx.upstream {
                a.push("--commit".into());
                a.push(c.to_string());
            }
        }
        Run::SurveyApplyClean => {
            a.push("--survey".into());
            a.push(format!("{}..master", fx.base));
            a.push("--apply-clean".into());
        }
    }
    a
}

fn xtask(args: &[String]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xtask"));
    c.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Runs to the end; fails the test unless it succeeds.
fn run_to_end(args: &[String], what: &str) -> Duration {
    let started = Instant::now();
    let out = xtask(args).output().unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{what}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// The branch's tip, its tree and how many commits it holds.
fn state(repo: &Path) -> (Oid, Oid, usize) {
    let r = Repository::open(repo).unwrap();
    let tip = r.refname_to_id("refs/heads/fork").unwrap();
    let tree = r.find_commit(tip).unwrap().tree_id();
    let mut walk = r.revwalk().unwrap();
    walk.push(tip).unwrap();
    (tip, tree, walk.count())
}

fn git(repo: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .unwrap()
}

/// A small seeded generator (xorshift64*), so the kill moments repeat.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Default, Debug)]
struct Tally {
    tried: usize,
    mid_run: usize,
    after_end: usize,
    left_old: usize,
    left_new: usize,
    /// Killed between the work tree and the ref: the journal names the move.
    journal_left: usize,
    survived: usize,
}

fn kill_test(run: Run, seed: u64) {
    let fx = build();
    let work = tempfile::tempdir().unwrap();

    // The reference: a copy run to the end, untouched.
    let reference = work.path().join("reference");
    copy(&fx.template, &reference);
    let (old_tip, _, old_count) = state(&reference);
    let took = run_to_end(&args(run, &fx, &reference), "reference run");
    let (_, ref_tree, ref_count) = state(&reference);
    assert_eq!(
        ref_count,
        old_count + fx.upstream.len(),
        "{run:?} ported all"
    );

    let mut rng = Rng(seed);
    let mut t = Tally::default();
    for i in 0..KILLS {
        let repo = work.path().join(format!("kill{i}"));
        copy(&fx.template, &repo);
        // Spread over the measured run: one moment in each tenth of it.
        let delay = took.mul_f64((i as f64 + rng.unit()) / KILLS as f64);
        let mut child = xtask(&args(run, &fx, &repo)).spawn().unwrap();
        std::thread::sleep(delay);
        t.tried += 1;
        if child.try_wait().unwrap().is_some() {
            t.after_end += 1;
        } else {
            t.mid_run += 1;
            child.kill().unwrap(); // SIGKILL
        }
        child.wait().unwrap();
        let what = format!("{run:?} kill {i} after {delay:?}");

        let fsck = git(&repo, &["fsck", "--no-progress"]);
        assert!(
            fsck.status.success(),
            "{what}: git fsck\n{}",
            String::from_utf8_lossy(&fsck.stderr)
        );
        for lock in ["refs/heads/fork.lock", "index.lock", "HEAD.lock"] {
            assert!(
                !repo.join(".git").join(lock).exists(),
                "{what}: left .git/{lock}"
            );
        }
        if repo.join(".git/xtask-backport-pending").exists() {
            t.journal_left += 1;
        }
        let (tip, tree, count) = state(&repo);
        if tip == old_tip {
            t.left_old += 1;
        } else {
            assert_eq!(
                (tree, count),
                (ref_tree, ref_count),
                "{what}: the branch is neither its old tip nor the complete result"
            );
            t.left_new += 1;
        }
        let status = git(&repo, &["status", "--porcelain"]);
        assert!(status.status.success(), "{what}: git status");
        assert!(
            status.stdout.is_empty(),
            "{what}: work tree or index differ from the branch:\n{}",
            String::from_utf8_lossy(&status.stdout)
        );

        run_to_end(&args(run, &fx, &repo), &format!("{what}: rerun"));
        let (_, tree, count) = state(&repo);
        assert_eq!(
            (tree, count),
            (ref_tree, ref_count),
            "{what}: the rerun differs from the reference"
        );
        t.survived += 1;
        std::fs::remove_dir_all(&repo).unwrap();
    }
    eprintln!(
        "kill {run:?}: reference run {took:?}, {} commits; {t:?}",
        fx.upstream.len()
    );
    assert_eq!(t.survived, t.tried);
    assert!(t.mid_run > 0, "no kill landed mid-run: {t:?}");
}

#[test]
fn backport_killed_at_random_leaves_the_branch_old_or_new_and_reruns_to_the_same_result() {
    kill_test(Run::Commits, 0x2020_0001);
}

#[test]
fn survey_apply_clean_killed_at_random_leaves_the_branch_old_or_new_and_reruns_to_the_same_result()
{
    kill_test(Run::SurveyApplyClean, 0x2020_0002);
}

/// The states a kill between the work tree and the ref leaves, made by hand
/// (the window is too short for the random kills to hit): the branch at its
/// old tip, the journal naming the move, and the index and work tree at the
/// new tip, or the work tree part-way there and the index still old.
#[test]
fn a_run_killed_between_the_work_tree_and_the_ref_is_finished_by_the_next_run() {
    let fx = build();
    let work = tempfile::tempdir().unwrap();
    let reference = work.path().join("reference");
    copy(&fx.template, &reference);
    let (old_tip, _, _) = state(&reference);
    run_to_end(&args(Run::Commits, &fx, &reference), "reference run");
    let (new_tip, ref_tree, ref_count) = state(&reference);

    let half_done: [&[&[&str]]; 3] = [
        // checked out, the ref not moved
        &[],
        // the work tree written, the index not yet
        &[&["read-tree", &old_tip.to_string()]],
        // part of the work tree written
        &[
            &["read-tree", &old_tip.to_string()],
            &["checkout", &old_tip.to_string(), "--", &path_of(0)],
        ],
    ];
    for (i, steps) in half_done.iter().enumerate() {
        let repo = work.path().join(format!("half{i}"));
        copy(&reference, &repo);
        let moved = git(
            &repo,
            &[
                "update-ref",
                "refs/heads/fork",
                &old_tip.to_string(),
                &new_tip.to_string(),
            ],
        );
        assert!(moved.status.success());
        for step in steps.iter() {
            assert!(git(&repo, step).status.success(), "{step:?}");
        }
        let journal = repo.join(".git/xtask-backport-pending");
        std::fs::write(&journal, format!("refs/heads/fork {old_tip} {new_tip}\n")).unwrap();
        run_to_end(&args(Run::Commits, &fx, &repo), &format!("rerun {i}"));
        let (tip, tree, count) = state(&repo);
        assert_eq!((tip, tree, count), (new_tip, ref_tree, ref_count), "{i}");
        assert!(
            git(&repo, &["status", "--porcelain"]).stdout.is_empty(),
            "{i}"
        );
        assert!(!journal.exists(), "{i}");
    }
}
