//! Fault test: `backport` on a repository whose objects directory is on a
//! read-only mount (bound read-only in a private mount namespace, so the
//! host's mount table never changes). Root ignores permission bits, so a
//! chmod would prove nothing as CI runs it; a read-only mount refuses root
//! too. The run must fail with an error that names the directory, the cause
//! and the remedy, and leave every ref, the index and the work tree as they
//! were; once the mount is gone the same command ports the fix.
//!
//! Not through the git room (`backport::git`): a test reads and builds its
//! repositories with git2 and the git binary of its own, so that what it
//! checks does not rest on the code it checks.

use git2::{Repository, Signature, Time};
use std::path::Path;
use std::process::Command;

const BEFORE: &str = "int\nf (int a)\n{\n        return a;\n}\n";
const AFTER: &str = "int\nf (int a)\n{\n        return a + 1;\n}\n";

/// Every ref with its target, HEAD, and the index file's bytes.
fn state(repo: &Path) -> (String, Vec<u8>, String) {
    let refs = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["for-each-ref", "--format=%(refname) %(objectname)"])
        .output()
        .unwrap();
    let head = std::fs::read_to_string(repo.join(".git/HEAD")).unwrap();
    let index = std::fs::read(repo.join(".git/index")).unwrap();
    (String::from_utf8(refs.stdout).unwrap() + &head, index, {
        let st = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["status", "--porcelain"])
            .output()
            .unwrap();
        String::from_utf8(st.stdout).unwrap()
    })
}

#[test]
fn read_only_objects_give_a_clear_error_and_leave_refs_and_tree_alone() {
    let probe = Command::new("unshare")
        .args(["-m", "true"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !probe {
        eprintln!("SKIPPED read_only_objects: needs a private mount namespace (root)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("repo");
    let repo = Repository::init(&path).unwrap();
    xtask::dev::fixture::set_identity(&repo).unwrap();
    let who = Signature::new(
        "Ada Upstream",
        "ada@up.example",
        &Time::new(1_600_000_000, 0),
    )
    .unwrap();
    let base = xtask::dev::fixture::commit_files(
        &repo,
        Some("refs/heads/master"),
        None,
        &[("src/m.c", BEFORE)],
        "base\n",
        &who,
    )
    .unwrap();
    let fix = xtask::dev::fixture::commit_files(
        &repo,
        Some("refs/heads/master"),
        Some(base),
        &[("src/m.c", AFTER)],
        "f: one more\n\nChange-Id: I0001\n",
        &who,
    )
    .unwrap();
    repo.reference("refs/heads/fork", base, true, "fork")
        .unwrap();
    repo.set_head("refs/heads/fork").unwrap();
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
    let objects = path.join(".git/objects");
    let before = state(&path);
    let xtask = env!("CARGO_BIN_EXE_xtask");
    let args = [
        "backport",
        "fork",
        "--repo",
        path.to_str().unwrap(),
        "--commit",
        &fix.to_string(),
    ];

    let out = Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            r#"mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@""#,
            "sh",
        ])
        .arg(&objects)
        .arg(xtask)
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "ported onto read-only objects: {err}"
    );
    assert_eq!(out.status.code(), Some(2), "{err}");
    for said in [
        objects.to_str().unwrap(),
        "read-only",
        "No ref, index or work tree was changed",
        "run again",
    ] {
        assert!(err.contains(said), "the error does not say {said:?}: {err}");
    }
    assert_eq!(state(&path), before, "refs, index or work tree changed");
    assert_eq!(
        std::fs::read_to_string(path.join("src/m.c")).unwrap(),
        BEFORE
    );

    // The remedy the error names works: writable again, the same command ports.
    let out = Command::new(xtask).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(path.join("src/m.c")).unwrap(),
        AFTER
    );
}
