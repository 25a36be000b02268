//! `cargo xtask verify`: builds what the matrix needs (heal-info with its
//! libgfapi bindings, the portable shim, the probe and the black hole), then
//! runs the `verify` program of the tests crate, which owns the cluster and
//! the flags (declared once, there), and passes its exit code on.

use anyhow::Result;
use duct::cmd;
use std::process::ExitCode;

pub fn run(args: &[String]) -> Result<ExitCode> {
    let root = crate::paths::root();
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
    .dir(&root)
    .stdout_to_stderr()
    .run()?;
    let status = cmd(crate::paths::built("debug", "verify")?, args)
        .unchecked()
        .run()?
        .status;
    Ok(ExitCode::from(status.code().unwrap_or(2) as u8))
}
