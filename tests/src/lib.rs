//! Test-only helpers for the end-to-end tests: how a skipped test says so,
//! and the probe's one lookup. Where the built parts are, the cluster and
//! the counters are the verify crate's (`verify::tools`, `verify::cluster`,
//! `verify::Counter`).

/// The probe's one lookup of glusterd's socket path with `so` preloaded:
/// its report line (`rc=-2 ...` when the shim answered at once).
pub fn probe_socket_path_with(so: &std::path::Path) -> String {
    let out = std::process::Command::new(verify::tools::probe())
        .args(["call", "/var/run/glusterd.socket", "1"])
        .env("LD_PRELOAD", so)
        .output()
        .expect("running the probe");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Prints why a test is skipped, in a form the suite's log makes plain.
pub fn skip(test: &str, why: &str) {
    eprintln!("SKIPPED {test}: {why}");
}

pub mod attack;
pub mod exporter;
