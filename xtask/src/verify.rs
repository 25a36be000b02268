//! `cargo xtask verify`: builds what the matrix needs (heal-info with its
//! libgfapi bindings, the portable shim, the probe and the black hole), then
//! runs the `verify` program of the tests crate, which owns the cluster and
//! the flags (declared once, there), and passes its exit code on. The
//! benches and the suite's A/B run the same program through `run_json`.

use anyhow::{Context, Result};
use duct::cmd;
use std::ffi::OsString;
use std::process::ExitCode;

/// Builds the portable shim and the workspace's programs (verify, heal-info,
/// blackhole) with heal-info's libgfapi bindings; progress on stderr.
pub fn build_tools() -> Result<()> {
    crate::shim::build()?;
    eprintln!(
        "==> cargo build --workspace --features {}",
        crate::test::FEATURES
    );
    cmd!(
        "cargo",
        "build",
        "--quiet",
        "--workspace",
        "--features",
        crate::test::FEATURES
    )
    .dir(crate::paths::root())
    .stdout_to_stderr()
    .run()?;
    Ok(())
}

pub fn run(args: &[String]) -> Result<ExitCode> {
    build_tools()?;
    let status = cmd(crate::paths::built("debug", "verify")?, args)
        .unchecked()
        .run()?
        .status;
    Ok(ExitCode::from(status.code().unwrap_or(2) as u8))
}

/// Runs the built verify program with `--json` added; returns its document
/// and whether it exited 0 with every verdict passing.
pub fn run_json(args: &[OsString]) -> Result<(serde_json::Value, bool)> {
    let mut argv = args.to_vec();
    argv.push("--json".into());
    let out = cmd(crate::paths::built("debug", "verify")?, &argv)
        .stdout_capture()
        .unchecked()
        .run()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "verify printed no JSON document (exit {:?})",
            out.status.code()
        )
    })?;
    let ok = out.status.success() && v["ok"] == true;
    Ok((v, ok))
}
