//! `verify --branch`'s choice of revisions, and its refusals, which come
//! before anything is built: an unknown branch, a branch with no release tag,
//! a base that is the branch, a branch that lacks the fix. Refusals change
//! no ref.

use std::path::Path;
use xtask::ab::{prepare, revisions, Options};
use xtask::shared::{extract, shared_tar};

mod common;
use common::git;

fn refs(dir: &Path) -> String {
    git(dir, &["show-ref"])
}

/// A repo with v3.12.0 tagged, then a release branch two commits on.
fn repo(dir: &Path) {
    git(dir, &["init", "-q", "-b", "release-3.12"]);
    for (i, tag) in [(1, Some("v3.12.0")), (2, None), (3, None)] {
        std::fs::write(dir.join("f.c"), format!("int v = {i};\n")).unwrap();
        git(dir, &["add", "f.c"]);
        git(dir, &["commit", "-q", "-m", &format!("c{i}")]);
        if let Some(t) = tag {
            git(dir, &["tag", "-a", t, "-m", t]);
        }
    }
}

fn opts(repo: &Path, branch: &str, base: Option<&str>) -> Options {
    Options {
        branch: branch.into(),
        repo: repo.to_path_buf(),
        upstream: None,
        base: base.map(String::from),
        jobs: 1,
        builds_dir: repo.join("builds"),
        keep_base_tree: false,
    }
}

#[test]
fn base_defaults_to_the_newest_release_tag_in_the_branch() {
    let d = tempfile::tempdir().unwrap();
    repo(d.path());
    let (base, branch) = revisions(&opts(d.path(), "release-3.12", None)).unwrap();
    assert_eq!(base.name, "v3.12.0");
    assert_eq!(base.refname, "refs/tags/v3.12.0");
    assert_eq!(branch.refname, "refs/heads/release-3.12");
    assert_ne!(base.commit, branch.commit);
}

#[test]
fn refuses_unknown_branch_no_tag_and_a_base_equal_to_the_branch() {
    let d = tempfile::tempdir().unwrap();
    repo(d.path());
    let before = refs(d.path());
    let e = revisions(&opts(d.path(), "nope", None)).unwrap_err();
    assert!(format!("{e:#}").contains("no branch or tag nope"), "{e:#}");
    let e = revisions(&opts(d.path(), "release-3.12", Some("release-3.12"))).unwrap_err();
    assert!(format!("{e:#}").contains("nothing to compare"), "{e:#}");
    git(d.path(), &["tag", "-d", "v3.12.0"]);
    let e = revisions(&opts(d.path(), "release-3.12", None)).unwrap_err();
    assert!(format!("{e:#}").contains("--base"), "{e:#}");
    git(
        d.path(),
        &["tag", "-a", "v3.12.0", "-m", "v3.12.0", "HEAD~2"],
    );
    assert_eq!(refs(d.path()).lines().count(), before.lines().count());
}

#[test]
fn refuses_a_branch_without_the_fix_before_building() {
    let Some(tar) = shared_tar() else {
        eprintln!("SKIPPED refuses_a_branch_without_the_fix_before_building: ../shared/glusterfs is absent");
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let upstream = extract(&tar, d.path()).unwrap();
    let fork = d.path().join("fork");
    git(
        d.path(),
        &[
            "clone",
            "-q",
            upstream.to_str().unwrap(),
            fork.to_str().unwrap(),
        ],
    );
    // A commit on the branch that is not the fix.
    std::fs::write(fork.join("NOTES"), "local change\n").unwrap();
    git(&fork, &["add", "NOTES"]);
    git(&fork, &["commit", "-q", "-m", "local"]);
    let before = refs(&fork);
    let mut o = opts(&fork, "release-3.12", None);
    o.upstream = Some(upstream);
    let e = prepare(&o, &xtask::paths::series())
        .err()
        .expect("a branch without the fix is refused");
    assert!(format!("{e:#}").contains("lacks the stall stage"), "{e:#}");
    assert!(!o.builds_dir.exists(), "nothing was built");
    assert_eq!(refs(&fork), before);
}
