//! `cargo xtask shim`: the portable resolver shim (`portable::build_shim`),
//! its path on stderr.

use anyhow::Result;
use std::process::ExitCode;

pub fn run() -> Result<ExitCode> {
    crate::portable::build_shim()?;
    Ok(ExitCode::SUCCESS)
}
