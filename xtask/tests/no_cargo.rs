//! The kit's binary where cargo is absent (a chroot, a host it was copied
//! to): it takes its target dir from --target-dir, GLK_TARGET_DIR or
//! CARGO_TARGET_DIR, in that order, and without any of them says what to
//! do instead of failing on `cargo metadata`.

use std::path::Path;
use std::process::{Command, Output};

/// A PATH with the usual system dirs and none that holds cargo: rustup's
/// cargo lives in ~/.cargo/bin, never in these.
fn path_without_cargo() -> String {
    let dirs: Vec<&str> = [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ]
    .into_iter()
    .filter(|d| !Path::new(d).join("cargo").exists())
    .collect();
    dirs.join(":")
}

fn xtask(args: &[&str], env: &[(&str, &str)], cwd: &Path) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xtask"));
    c.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", path_without_cargo());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("running the xtask binary")
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn without_cargo_and_without_a_target_dir_it_says_what_to_pass() {
    let cwd = tempfile::tempdir().unwrap();
    let o = xtask(&["target-dir"], &[], cwd.path());
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cannot find the target directory: cargo is not on PATH")
            && err.contains("pass --target-dir DIR or set GLK_TARGET_DIR=DIR"),
        "{err}"
    );
}

#[test]
fn without_cargo_the_flag_then_glk_then_cargo_target_dir_name_it() {
    let cwd = tempfile::tempdir().unwrap();
    let c = cwd.path();
    let (flag, glk, cargo) = ("/tmp/glk-flag", "/tmp/glk-env", "/tmp/glk-cargo");
    let both = [("GLK_TARGET_DIR", glk), ("CARGO_TARGET_DIR", cargo)];
    assert_eq!(
        stdout(&xtask(&["--target-dir", flag, "target-dir"], &both, c)),
        flag
    );
    // A global flag: after the subcommand too, and relative to the cwd.
    assert_eq!(
        stdout(&xtask(&["target-dir", "--target-dir", "rel/t"], &[], c)),
        std::path::absolute(c.join("rel/t"))
            .unwrap()
            .display()
            .to_string()
    );
    assert_eq!(stdout(&xtask(&["target-dir"], &both, c)), glk);
    assert_eq!(stdout(&xtask(&["target-dir"], &both[1..], c)), cargo);
    // An empty variable is as good as unset.
    let o = xtask(
        &["target-dir"],
        &[("GLK_TARGET_DIR", ""), ("CARGO_TARGET_DIR", cargo)],
        c,
    );
    assert_eq!(stdout(&o), cargo);
}
