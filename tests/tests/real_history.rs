//! The backport over the real GlusterFS history, tag by tag. Opt-in, since
//! it needs a full clone of upstream GlusterFS:
//! `GLUSTER_REPO=/path/to/glusterfs cargo test -p tests --test real_history -- --ignored --nocapture`
//!
//! Also: `--check` and `--only` on every release tag v3.10.0..v11.1 against
//! what git itself says (an ancestor port, or the Change-Id in the tag's log).
//!
//! Not through the git room (`backport::git`): a test reads and builds its
//! repositories with git2 and the git binary of its own, so that what it
//! checks does not rest on the code it checks.

use std::path::PathBuf;
use xtask::dev::history;

#[test]
#[ignore = "needs GLUSTER_REPO pointing at a full GlusterFS clone"]
fn every_release_tag_from_3_10_to_7_2_takes_the_series() {
    let Some(upstream) = std::env::var_os("GLUSTER_REPO").map(PathBuf::from) else {
        eprintln!("skipped: GLUSTER_REPO is not set; it must point at a full GlusterFS clone");
        return;
    };
    let series = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../patches/events.toml");
    let up = git2::Repository::open(&upstream).expect("GLUSTER_REPO is a git repository");
    let tags = history::release_tags(&up, (3, 10, 0), (7, 2, 0)).unwrap();
    assert!(
        tags.len() > 60,
        "expected the full release history, found {} tags",
        tags.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let scratch = history::scratch_repo(&upstream, dir.path()).unwrap();
    let mut failures = Vec::new();
    for tag in &tags {
        let r = history::sweep_tag(&upstream, &scratch, &series, tag).unwrap();
        println!("{}", serde_json::to_string(&r).unwrap());
        let ok = r.fix3_applied
            && r.series_applied
            && r.token_exact
            && r.idempotent
            && r.token_equal_ref != Some(false)
            && r.byte_equal_ref != Some(false)
            && r.fix3_byte_equal_ref != Some(false);
        if !ok {
            failures.push(r);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} tags failed: {failures:#?}",
        failures.len(),
        tags.len()
    );
}

#[test]
#[ignore = "needs GLUSTER_REPO pointing at a full GlusterFS clone"]
fn check_and_only_are_right_on_every_release_tag_3_10_to_11_1() {
    use backport::{self, manifest, plan::Verdict};
    let Some(upstream) = std::env::var_os("GLUSTER_REPO").map(PathBuf::from) else {
        tests::skip(
            "check_and_only_are_right_on_every_release_tag",
            "GLUSTER_REPO is not set; it must point at a full GlusterFS clone",
        );
        return;
    };
    let series = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../patches/events.toml");
    let m = manifest::load(&series).unwrap();
    let fix = m.fixes.iter().find(|f| f.is_named_by("f4f24c8c")).unwrap();
    let up = git2::Repository::open(&upstream).unwrap();
    let tags = history::release_tags(&up, (3, 10, 0), (11, 1, 0)).unwrap();
    assert!(tags.len() > 100, "found {} tags", tags.len());
    let dir = tempfile::tempdir().unwrap();
    let scratch = history::scratch_repo(&upstream, dir.path()).unwrap();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(&upstream)
            .args(args)
            .output()
            .unwrap()
    };
    let mut wrong = Vec::new();
    let mut present_tags = 0;
    for tag in &tags {
        // What git says, independently of the engine.
        let grep = format!("--grep=Change-Id: {}", fix.change_id);
        let by_id = !git(&["log", "-F", "--format=%H", &grep, tag])
            .stdout
            .is_empty();
        let by_ancestor = fix.ports.iter().any(|p| {
            git(&["merge-base", "--is-ancestor", &p.commit, tag])
                .status
                .success()
        });
        let truth = by_id || by_ancestor;
        present_tags += truth as usize;
        let tip = up
            .revparse_single(tag)
            .unwrap()
            .peel_to_commit()
            .unwrap()
            .id();
        let opts = |branch: &str, check: bool| {
            scratch
                .reference(&format!("refs/heads/{branch}"), tip, true, "test")
                .unwrap();
            backport::Options {
                branch: branch.into(),
                repo: scratch.path().to_path_buf(),
                upstream: Some(upstream.clone()),
                series: series.clone(),
                only: vec!["f4f24c8c".into()],
                check,
                ..Default::default()
            }
        };
        let check = backport::run(&opts(&format!("check/{tag}"), true));
        let only = backport::run(&opts(&format!("only/{tag}"), false));
        let said = match &check {
            Ok(o) => Some(o.all_present()),
            Err(_) => None,
        };
        let ported = match &only {
            Ok(o) => Some(matches!(o.planned[0].verdict, Verdict::Port { .. })),
            Err(_) => None,
        };
        println!(
            "{tag}: git says present={truth}, --check present={said:?}, --only ported={ported:?}"
        );
        if said != Some(truth) || ported != Some(!truth) {
            wrong.push((
                tag.clone(),
                truth,
                format!("{:?}", check.err()),
                format!("{:?}", only.err()),
            ));
        }
    }
    assert!(
        present_tags >= 32,
        "git finds the fix on {present_tags} tags"
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
}
