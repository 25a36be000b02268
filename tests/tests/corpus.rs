//! Real human backports (release-4.1 after the 2018 reformat) against the
//! engine. Opt-in, since it needs a full GlusterFS clone:
//! `GLUSTER_REPO=/path/to/glusterfs cargo test -p tests --test corpus -- --ignored --nocapture`
//!
//! Not through the git room (`backport::git`): a test reads and builds its
//! repositories with git2 and the git binary of its own, so that what it
//! checks does not rest on the code it checks.

use std::path::PathBuf;
use xtask::dev::corpus;

#[test]
#[ignore = "needs GLUSTER_REPO pointing at a full GlusterFS clone"]
fn human_backports_are_matched_or_refused_cleanly() {
    let Some(upstream) = std::env::var_os("GLUSTER_REPO").map(PathBuf::from) else {
        eprintln!("skipped: GLUSTER_REPO is not set; it must point at a full GlusterFS clone");
        return;
    };
    let results = corpus::run(&upstream, "release-4.1").unwrap();
    println!("{}", corpus::table(&results));
    assert!(
        results.len() >= 40,
        "expected about 50 pairs on release-4.1, found {}",
        results.len()
    );
    // Never a half-written branch, on any pair.
    let half: Vec<_> = results
        .iter()
        .filter(|r| r.engine_half_written)
        .map(|r| &r.pair.backport)
        .collect();
    assert!(half.is_empty(), "half-written: {half:?}");
    // Every pair is either ported or refused with a reason.
    assert!(results
        .iter()
        .all(|r| r.engine.applied != r.engine_refused.is_some()));
    // Where the maintainer made upstream's exact token edits, the engine does
    // too on all but the pairs where the maintainer put the same code elsewhere
    // (measured: 33 of 36; see BENCHMARKS.md), and beats both baselines.
    let fair: Vec<_> = results.iter().filter(|r| r.exact_human).collect();
    let ours = fair.iter().filter(|r| r.engine.token_equal).count();
    let cherry = fair.iter().filter(|r| r.cherry_pick.token_equal).count();
    let patch = fair.iter().filter(|r| r.patch.token_equal).count();
    assert!(
        ours * 100 >= fair.len() * 90,
        "token-equal on {ours} of {} fair pairs",
        fair.len()
    );
    assert!(
        ours > cherry && ours > patch,
        "engine {ours}, cherry-pick {cherry}, patch {patch}"
    );
}

fn gluster_repo(test: &str) -> Option<PathBuf> {
    let r = std::env::var_os("GLUSTER_REPO").map(PathBuf::from);
    if r.is_none() {
        tests::skip(
            test,
            "GLUSTER_REPO is not set; it must point at a full GlusterFS clone",
        );
    }
    r
}

#[test]
#[ignore = "needs GLUSTER_REPO pointing at a full GlusterFS clone"]
fn every_backported_master_commit_is_present_on_the_branch_tip_by_history() {
    let Some(upstream) = gluster_repo("every_backported_master_commit_is_present") else {
        return;
    };
    let p = corpus::presence(&upstream, "release-4.1").unwrap();
    assert!(p.len() >= 40, "found {} pairs", p.len());
    let count = |f: &dyn Fn(&corpus::PairPresence) -> bool| p.iter().filter(|x| f(x)).count();
    println!(
        "{} pairs: ancestor {}, Change-Id {}, cherry-pick line {}, code {}, git cherry {}",
        p.len(),
        count(&|x| x.ancestor),
        count(&|x| x.change_id),
        count(&|x| x.cherry_pick),
        count(&|x| x.code),
        count(&|x| x.git_cherry)
    );
    let missed: Vec<_> = p
        .iter()
        .filter(|x| !x.change_id && !x.cherry_pick)
        .map(|x| &x.pair)
        .collect();
    assert!(missed.is_empty(), "not found by history: {missed:#?}");
}

#[test]
#[ignore = "needs GLUSTER_REPO pointing at a full GlusterFS clone"]
fn survey_status_matches_what_commit_does_on_each_backport_parent() {
    use backport::{
        self,
        survey::{self, Status},
    };
    let Some(upstream) = gluster_repo("survey_status_matches_what_commit_does") else {
        return;
    };
    let up = git2::Repository::open(&upstream).unwrap();
    let pairs = corpus::pairs(&up, "release-4.1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scratch = xtask::dev::history::scratch_repo(&upstream, &dir.path().join("bare")).unwrap();
    let mut mismatches = Vec::new();
    for p in &pairs {
        let parent = up
            .find_commit(git2::Oid::from_str(&p.backport).unwrap())
            .unwrap()
            .parent_id(0)
            .unwrap();
        for b in ["s", "c"] {
            scratch
                .reference(&format!("refs/heads/{b}"), parent, true, "test")
                .unwrap();
        }
        let s = survey::run(&survey::Options {
            branch: "s".into(),
            repo: scratch.path().to_path_buf(),
            upstream: Some(upstream.clone()),
            range: format!("{}^..{}", p.master, p.master),
            ..Default::default()
        })
        .unwrap();
        let status = s.commits[0].status;
        let run = backport::run(&backport::Options {
            branch: "c".into(),
            repo: scratch.path().to_path_buf(),
            upstream: Some(upstream.clone()),
            commits: vec![p.master.clone()],
            ..Default::default()
        });
        let did = match &run {
            Ok(o) if o.commits.is_empty() => "present",
            Ok(_) => "ported",
            Err(_) => "refused",
        };
        let expected = match status {
            Status::Present => "present",
            Status::Clean | Status::ContextDropped => "ported",
            Status::Unplaceable | Status::Needs | Status::NotApplicable => "refused",
        };
        println!("{} {:<15} --commit {did}", &p.master[..10], status.name());
        if did != expected {
            mismatches.push((p.master.clone(), status, did, s.commits[0].how.clone()));
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}
