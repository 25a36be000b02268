//! Presence from history, `--survey`, `--apply-clean` and `--path`/`--exclude`
//! on a small fixture: one repository holding upstream's master and a fork
//! branched from its second commit, as a real GlusterFS clone does.
//!
//! Upstream (master), after `U0`:
//! - `U1` alpha   the fork's base (an ancestor of the fork)
//! - `U2` beta    on the fork by Change-Id (F1), then changed again (F4)
//! - `U3` gamma   on the fork by a `(cherry picked from commit U3)` line (F2)
//! - `U4` delta   typed in by hand on the fork (F3), no trailers
//! - `U5` epsilon clean
//! - `U6` epsilon changes the line U5 added: needs U5
//! - `U7` zeta    a context line differs on the fork: context-dropped
//! - `U8` eta     the fork rewrote the changed line: unplaceable
//! - `U9` old.c   which the fork deleted: not-applicable
//! - `U10` theta  clean
//! - `U11` iota   plus tests/t.sh, which the fork has changed: only the test holds it back
//!
//! Not through the git room (`backport::git`): a test reads and builds its
//! repositories with git2 and the git binary of its own, so that what it
//! checks does not rest on the code it checks.

use backport::{self, plan::Verdict, presence, survey, Options};
use git2::{Oid, Repository, Signature, Time};
use std::path::{Path, PathBuf};

fn func(name: &str, v: &str, k: u32) -> String {
    format!(
        "int\n{name} (int {v}0)\n{{\n        int {v} = 0;\n        {v} = {v}0 + {k};\n        {v} = {v} * {};\n        {v} = {v} - {};\n        {v} = {v} / {};\n        return {v};\n}}\n",
        k * 2,
        k * 3,
        k * 4
    )
}

fn file(name: &str, funcs: &[(&str, &str, u32)]) -> String {
    let mut s = format!("/* {name} (survey fixture) */\n");
    for (f, v, k) in funcs {
        s.push('\n');
        s.push_str(&func(f, v, *k));
    }
    s
}

const A: &str = "src/a.c";
const B: &str = "src/b.c";
const OLD: &str = "src/old.c";
const T: &str = "tests/t.sh";
const TEST_SH: &str = "#!/bin/sh\nTEST start_glusterd\nTEST create_volume patchy\nTEST start_volume patchy\nTEST stop_volume patchy\ncleanup\n";

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    /// U0..U11
    u: Vec<Oid>,
    /// F1 (carries U2's Change-Id), F2 (cherry-picked from U3)
    f1: Oid,
    f2: Oid,
}

/// Commits edits (None deletes) on `parent`, moving `refname`.
fn commit(
    repo: &Repository,
    refname: &str,
    parent: Option<Oid>,
    edits: &[(&str, Option<&str>)],
    msg: &str,
) -> Oid {
    let sig = Signature::new(
        "Ada Upstream",
        "ada@up.example",
        &Time::new(1_600_000_000, 0),
    )
    .unwrap();
    let parent = parent.map(|p| repo.find_commit(p).unwrap());
    let mut b = git2::build::TreeUpdateBuilder::new();
    for (p, text) in edits {
        match text {
            Some(t) => {
                b.upsert(p, repo.blob(t.as_bytes()).unwrap(), git2::FileMode::Blob);
            }
            None => {
                b.remove(p);
            }
        }
    }
    let base = match &parent {
        Some(p) => p.tree().unwrap(),
        None => repo
            .find_tree(repo.treebuilder(None).unwrap().write().unwrap())
            .unwrap(),
    };
    let tree = repo
        .find_tree(b.create_updated(repo, &base).unwrap())
        .unwrap();
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some(refname), &sig, &sig, msg, &tree, &parents)
        .unwrap()
}

fn a_funcs() -> Vec<(&'static str, &'static str, u32)> {
    vec![
        ("alpha", "r", 1),
        ("beta", "s", 10),
        ("gamma", "t", 100),
        ("delta", "u", 1000),
    ]
}

fn b_funcs() -> Vec<(&'static str, &'static str, u32)> {
    vec![
        ("epsilon", "e", 7),
        ("zeta", "z", 70),
        ("eta", "h", 700),
        ("theta", "q", 7000),
        ("iota", "i", 70000),
    ]
}

fn build() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("repo");
    let repo = Repository::init_bare(&path).unwrap();
    xtask::dev::fixture::set_identity(&repo).unwrap();
    let m = "refs/heads/master";
    let mut a = file("a.c", &a_funcs());
    let mut b = file("b.c", &b_funcs());
    let mut old = file("old.c", &[("omega", "w", 3)]);
    let mut u = vec![commit(
        &repo,
        m,
        None,
        &[
            (A, Some(&a)),
            (B, Some(&b)),
            (OLD, Some(&old)),
            (T, Some(TEST_SH)),
        ],
        "base\n",
    )];
    let mut step = |file: &str,
                    text: &mut String,
                    from: &str,
                    to: &str,
                    msg: &str,
                    extra: &[(&str, Option<&str>)]| {
        assert!(text.contains(from), "{from}");
        *text = text.replacen(from, to, 1);
        let mut edits: Vec<(&str, Option<&str>)> = vec![(file, Some(text.as_str()))];
        edits.extend_from_slice(extra);
        let id = commit(&repo, m, u.last().copied(), &edits, msg);
        u.push(id);
    };
    step(
        A,
        &mut a,
        "r = r * 2;",
        "r = r * 2 + r0;",
        "alpha: add the input\n\nChange-Id: I0001\n",
        &[],
    );
    let a_at_u1 = a.clone();
    step(
        A,
        &mut a,
        "s = s * 20;",
        "s = s * 21;",
        "beta: 21\n\nChange-Id: I0002\n",
        &[],
    );
    step(
        A,
        &mut a,
        "t = t - 300;",
        "t = t - 301;",
        "gamma: 301\n\nChange-Id: I0003\n",
        &[],
    );
    step(
        A,
        &mut a,
        "u = u - 3000;",
        "u = u - 3001;",
        "delta: 3001\n\nChange-Id: I0004\n",
        &[],
    );
    step(
        B,
        &mut b,
        "e = e * 14;",
        "e = e * 14 + e0;",
        "epsilon: add the input\n\nChange-Id: I0005\n",
        &[],
    );
    step(
        B,
        &mut b,
        "e = e * 14 + e0;",
        "e = e * 14 + e0 + 1;",
        "epsilon: one more\n\nChange-Id: I0006\n",
        &[],
    );
    step(
        B,
        &mut b,
        "z = z / 280;",
        "z = z / 281;",
        "zeta: 281\n\nChange-Id: I0007\n",
        &[],
    );
    step(
        B,
        &mut b,
        "h = h * 1400;",
        "h = h * 1401;",
        "eta: 1401\n\nChange-Id: I0008\n",
        &[],
    );
    step(
        OLD,
        &mut old,
        "w = w * 6;",
        "w = w * 7;",
        "old: 7\n\nChange-Id: I0009\n",
        &[],
    );
    step(
        B,
        &mut b,
        "q = q - 21000;",
        "q = q - 21001;",
        "theta: 21001\n\nChange-Id: I0010\n",
        &[],
    );
    let t2 = TEST_SH.replace("TEST stop_volume patchy\n", "TEST stop_volume patchy 30\n");
    step(
        B,
        &mut b,
        "i = i - 210000;",
        "i = i - 210001;",
        "iota: 210001, with a test\n\nChange-Id: I0011\n",
        &[(T, Some(&t2))],
    );

    // The fork, from U1.
    let f = "refs/heads/fork";
    let mut fa = a_at_u1;
    let mut fb = file("b.c", &b_funcs());
    let f0 = commit(&repo, f, Some(u[1]), &[(OLD, None)], "fork: drop old.c\n");
    fa = fa.replace("s = s * 20;", "s = s * 21;");
    let f1 = commit(
        &repo,
        f,
        Some(f0),
        &[(A, Some(&fa))],
        "beta: 21\n\nChange-Id: I0002\n",
    );
    fa = fa.replace("t = t - 300;", "t = t - 301;");
    let f2 = commit(
        &repo,
        f,
        Some(f1),
        &[(A, Some(&fa))],
        &format!("gamma: 301\n\n(cherry picked from commit {})\n", u[3]),
    );
    fa = fa.replace("u = u - 3000;", "u = u - 3001;");
    let f3 = commit(&repo, f, Some(f2), &[(A, Some(&fa))], "delta, by hand\n");
    fa = fa.replace("s = s * 21;", "s = s * 22;");
    // zeta's first context line and eta's changed line are the fork's own.
    fb = fb
        .replace("z = z0 + 70;", "z = z0 + 71;")
        .replace("h = h * 1400;", "h = h * 1400 * 2;");
    let fork_t = TEST_SH.replace(
        "TEST stop_volume patchy\n",
        "TEST force_stop_volume patchy\n",
    );
    commit(
        &repo,
        f,
        Some(f3),
        &[(A, Some(&fa)), (B, Some(&fb)), (T, Some(&fork_t))],
        "fork: its own changes\n",
    );
    Fixture {
        _dir: dir,
        path,
        u,
        f1,
        f2,
    }
}

fn tip(p: &Path, r: &str) -> Oid {
    Repository::open(p).unwrap().refname_to_id(r).unwrap()
}

fn survey_opts(fx: &Fixture) -> survey::Options {
    survey::Options {
        branch: "fork".into(),
        repo: fx.path.clone(),
        range: format!("{}..master", fx.u[0]),
        ..Default::default()
    }
}

fn commit_opts(fx: &Fixture, c: Oid) -> Options {
    Options {
        branch: "fork".into(),
        repo: fx.path.clone(),
        commits: vec![c.to_string()],
        ..Default::default()
    }
}

fn short(id: Oid) -> String {
    id.to_string()[..10].to_string()
}

#[test]
fn each_presence_rule_is_named_and_since_changed_is_not_an_error() {
    let fx = build();
    let how = |i: usize| {
        let o = backport::run(&Options {
            check: true,
            ..commit_opts(&fx, fx.u[i])
        })
        .unwrap();
        match &o.planned[0].verdict {
            Verdict::Present {
                how, since_changed, ..
            } => (how.clone(), *since_changed),
            other => panic!("U{i}: {other:?}"),
        }
    };
    assert_eq!(how(1), (presence::How::Ancestor(fx.u[1]), false));
    // F1 carries U2's Change-Id, but F4 rewrote the line again.
    assert_eq!(how(2), (presence::How::ChangeId(fx.f1), true));
    assert_eq!(how(3), (presence::How::CherryPick(fx.f2), false));
    assert_eq!(how(4), (presence::How::Code, false));
    // The report says which rule held.
    let o = backport::run(&commit_opts(&fx, fx.u[2])).unwrap();
    let text = backport::report::text(&o);
    assert!(
        text.contains(&format!("Change-Id in {}", short(fx.f1)))
            && text.contains("present, since changed"),
        "{text}"
    );
    assert!(o.commits.is_empty());
    let j = backport::report::json(&backport::run(&commit_opts(&fx, fx.u[1])).unwrap());
    assert_eq!(
        j["fixes"][0]["present_how"],
        format!("ancestor {}", short(fx.u[1]))
    );
}

#[test]
fn survey_gives_each_commit_one_status_in_range_order_and_writes_nothing() {
    let fx = build();
    let before = tip(&fx.path, "refs/heads/fork");
    let s = survey::run(&survey_opts(&fx)).unwrap();
    assert_eq!(tip(&fx.path, "refs/heads/fork"), before);
    let got: Vec<(String, &str)> = s
        .commits
        .iter()
        .map(|e| (e.commit.clone(), e.status.name()))
        .collect();
    let want = [
        "present",
        "present",
        "present",
        "present",
        "clean",
        "needs",
        "context-dropped",
        "unplaceable",
        "not-applicable",
        "clean",
        "unplaceable",
    ];
    let expected: Vec<(String, &str)> = fx.u[1..].iter().map(|u| u.to_string()).zip(want).collect();
    assert_eq!(got, expected);
    let e = |i: usize| &s.commits[i - 1];
    assert_eq!(e(1).how, format!("ancestor {}", short(fx.u[1])));
    assert!(
        e(2).how
            .starts_with(&format!("Change-Id in {}", short(fx.f1)))
            && e(2).how.contains("since changed"),
        "{}",
        e(2).how
    );
    assert_eq!(e(3).how, format!("cherry-picked in {}", short(fx.f2)));
    assert_eq!(e(4).how, "same effect in code");
    // U6 needs U5, which is clean: the report reads as a port plan.
    assert_eq!(e(6).needs.len(), 1, "{:?}", e(6));
    assert_eq!(e(6).needs[0].commit, fx.u[5].to_string());
    assert_eq!(e(6).needs[0].status, survey::Status::Clean);
    assert!(
        e(7).how.contains("1 context line(s) dropped"),
        "{}",
        e(7).how
    );
    assert!(
        e(8).how.contains("cannot be placed") && e(8).how.contains("% alike"),
        "{}",
        e(8).how
    );
    // Per file: the test file is what holds U11 back; the C file is clean.
    let files: Vec<(&str, &str)> = e(11)
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.status))
        .collect();
    assert_eq!(files, vec![(B, "clean"), (T, "unplaceable")]);
    assert_eq!(s.totals["present"], 4);
    assert_eq!(s.totals["clean"], 2);
    assert_eq!(s.totals["needs"], 1);

    let j = serde_json::to_value(&s).unwrap();
    for k in ["branch", "range", "seconds", "commits", "totals"] {
        assert!(j.get(k).is_some(), "{k} missing in {j}");
    }
    assert_eq!(j["commits"][5]["status"], "needs");
    assert_eq!(j["commits"][5]["needs"][0]["status"], "clean");
    assert_eq!(j["commits"][7]["status"], "unplaceable");
    let text = survey::text(&s);
    assert!(text.contains("totals: 4 present, 2 clean, 1 context-dropped, 2 unplaceable, 1 not-applicable, 1 needs"), "{text}");
}

#[test]
fn survey_with_path_leaves_other_files_out() {
    let fx = build();
    let s = survey::run(&survey::Options {
        excludes: vec!["tests/**".into()],
        ..survey_opts(&fx)
    })
    .unwrap();
    assert_eq!(
        s.commits[10].status,
        survey::Status::Clean,
        "{:?}",
        s.commits[10]
    );
    let s = survey::run(&survey::Options {
        paths: vec!["src/a.c".into()],
        ..survey_opts(&fx)
    })
    .unwrap();
    assert_eq!(s.commits[4].status, survey::Status::NotApplicable);
    assert!(
        s.commits[4].how.contains("left out"),
        "{}",
        s.commits[4].how
    );
}

#[test]
fn apply_clean_ports_the_clean_ones_in_order_one_commit_each() {
    let fx = build();
    let before = tip(&fx.path, "refs/heads/fork");
    let s = survey::run(&survey::Options {
        apply_clean: true,
        ..survey_opts(&fx)
    })
    .unwrap();
    let applied = s.applied.as_ref().unwrap();
    assert_eq!(applied.commits.len(), 2, "{applied:?}");
    assert!(applied.skipped.is_empty());
    let repo = Repository::open(&fx.path).unwrap();
    let tipc = repo.find_commit(tip(&fx.path, "refs/heads/fork")).unwrap();
    let parent = tipc.parent(0).unwrap();
    assert_eq!(parent.parent_id(0).unwrap(), before);
    assert!(parent
        .message()
        .unwrap()
        .contains(&format!("(cherry picked from commit {})", fx.u[5])));
    assert!(tipc
        .message()
        .unwrap()
        .contains(&format!("(cherry picked from commit {})", fx.u[10])));
    // A second survey finds them present by the Change-Id the ports carry.
    let again = survey::run(&survey_opts(&fx)).unwrap();
    assert_eq!(again.commits[4].status, survey::Status::Present);
    assert!(
        again.commits[4].how == format!("Change-Id in {}", short(parent.id())),
        "{}",
        again.commits[4].how
    );
}

#[test]
fn apply_clean_on_a_dirty_checkout_changes_nothing() {
    let fx = build();
    let dir = tempfile::tempdir().unwrap();
    let wt = dir.path().join("wt");
    let clone = Repository::clone(fx.path.to_str().unwrap(), &wt).unwrap();
    xtask::dev::fixture::set_identity(&clone).unwrap();
    let fork = clone
        .revparse_single("origin/fork")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    clone.branch("fork", &fork, true).unwrap();
    clone.set_head("refs/heads/fork").unwrap();
    clone
        .checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
    std::fs::write(wt.join(B), "dirty\n").unwrap();
    let before = tip(&wt, "refs/heads/fork");
    let err = survey::run(&survey::Options {
        repo: wt.clone(),
        upstream: Some(fx.path.clone()),
        apply_clean: true,
        ..survey_opts(&fx)
    })
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("uncommitted changes"),
        "{err:#}"
    );
    assert_eq!(tip(&wt, "refs/heads/fork"), before);
    assert_eq!(std::fs::read_to_string(wt.join(B)).unwrap(), "dirty\n");
}

#[test]
fn a_fix_is_not_refused_for_a_test_it_cannot_place_and_names_it() {
    let fx = build();
    let before = tip(&fx.path, "refs/heads/fork");
    // u[11] changes src/ and a test whose hunk has no anchor on the fork:
    // the code goes in, the test is left out and named.
    let o = backport::run(&commit_opts(&fx, fx.u[11])).unwrap();
    assert_eq!(o.commits.len(), 1);
    assert_eq!(o.planned[0].upstream.left_out, vec![T.to_string()]);
    let repo = Repository::open(&fx.path).unwrap();
    let c = repo.find_commit(o.commits[0].1).unwrap();
    let msg = c.message().unwrap();
    assert!(
        msg.contains(&format!(
            "Left out of this backport (test files that could not be placed on this branch):\n  {T}\n"
        )),
        "{msg}"
    );
    assert_ne!(tip(&fx.path, "refs/heads/fork"), before);
}

#[test]
fn commit_names_every_failing_file_and_exclude_ports_the_rest_naming_it() {
    let fx = build();
    // With no code left to port (--exclude takes the code file), the test
    // that cannot be placed refuses the commit, and nothing changes.
    let before = tip(&fx.path, "refs/heads/fork");
    let err = format!(
        "{:#}",
        backport::run(&Options {
            excludes: vec![B.into()],
            ..commit_opts(&fx, fx.u[11])
        })
        .unwrap_err()
    );
    assert!(
        err.contains(&format!("{T}: hunk 1")) && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(tip(&fx.path, "refs/heads/fork"), before);

    let o = backport::run(&Options {
        excludes: vec!["tests/**".into()],
        ..commit_opts(&fx, fx.u[11])
    })
    .unwrap();
    assert_eq!(o.commits.len(), 1);
    let repo = Repository::open(&fx.path).unwrap();
    let c = repo.find_commit(o.commits[0].1).unwrap();
    let msg = c.message().unwrap();
    assert!(
        msg.contains(&format!(
            "Left out of this backport (--exclude 'tests/**'):\n  {T}\n"
        )),
        "{msg}"
    );
    let tree = c.tree().unwrap();
    let blob = |p: &str| {
        let e = tree.get_path(Path::new(p)).unwrap();
        String::from_utf8(
            e.to_object(&repo)
                .unwrap()
                .peel_to_blob()
                .unwrap()
                .content()
                .to_vec(),
        )
        .unwrap()
    };
    assert!(blob(B).contains("i = i - 210001;"));
    assert!(blob(T).contains("force_stop_volume patchy\n"));

    // --path keeps only what it names; a filter that keeps nothing is refused.
    let o = backport::run(&Options {
        paths: vec!["src/**".into()],
        ..commit_opts(&fx, fx.u[11])
    })
    .unwrap();
    assert_eq!(o.planned[0].upstream.left_out, vec![T.to_string()]);
    let err = format!(
        "{:#}",
        backport::run(&Options {
            paths: vec!["docs/**".into()],
            ..commit_opts(&fx, fx.u[10])
        })
        .unwrap_err()
    );
    assert!(err.contains("leaves none of its files"), "{err}");
}
