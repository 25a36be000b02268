//! Shared helpers for the end-to-end tests: where the built parts are, and
//! a private mount and network namespace whose only nameserver is a black
//! hole (`blackhole`), so DNS waits are real but touch nothing outside.

pub mod cluster;
pub mod judge;
pub mod stamp;
pub mod verify;

use std::path::PathBuf;

/// The workspace's target directory for this build profile.
pub fn target_dir() -> PathBuf {
    // Test executables live in target/<profile>/deps, programs in target/<profile>.
    let exe = std::env::current_exe().expect("the executable's path");
    let dir = exe.parent().expect("the executable's directory");
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().expect("target/<profile>").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// The shim built by this workspace (native build; the portable one is
/// `cargo xtask shim`'s).
pub fn shim_so() -> PathBuf {
    target_dir().join("libgfresolv.so")
}

pub fn legacy_resolv_so() -> PathBuf {
    PathBuf::from(env!("LEGACY_RESOLV_SO"))
}

/// The never-answering DNS server (built from the xtask crate).
pub fn blackhole_bin() -> PathBuf {
    target_dir().join("blackhole")
}

/// The heal-info binary of this build.
pub fn heal_info_bin() -> PathBuf {
    target_dir().join("heal-info")
}

pub fn probe() -> PathBuf {
    PathBuf::from(env!("PROBE_BIN"))
}

/// The probe's one lookup of glusterd's socket path with `so` preloaded:
/// its report line (`rc=-2 ...` when the shim answered at once).
pub fn probe_socket_path_with(so: &std::path::Path) -> String {
    let out = std::process::Command::new(probe())
        .args(["call", "/var/run/glusterd.socket", "1"])
        .env("LD_PRELOAD", so)
        .output()
        .expect("running the probe");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether this process may make namespaces (root with unshare available).
pub fn can_unshare() -> Result<(), String> {
    let ok = std::process::Command::new("unshare")
        .args(["-m", "-n", "true"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err("needs root and unshare(1) to make private mount and network namespaces".into())
    }
}

/// Prints why a test is skipped, in a form the suite's log makes plain.
pub fn skip(test: &str, why: &str) {
    eprintln!("SKIPPED {test}: {why}");
}
