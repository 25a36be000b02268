//! The programs the verify cells run, built: the portable shim, and the
//! workspace's programs (heal-info with its libgfapi bindings, the black
//! hole). The probe and the legacy resolver layer are the verify crate's
//! build script's (`verify::tools`). Called by `verify`, `test` and the
//! benches that run the matrix.

use anyhow::Result;
use duct::cmd;

/// Builds the portable shim and the workspace's programs (heal-info,
/// blackhole) with heal-info's libgfapi bindings; progress on stderr.
pub fn build_tools() -> Result<()> {
    crate::portable::build_shim()?;
    eprintln!(
        "==> cargo build --workspace --features {}",
        crate::host::FEATURES
    );
    cmd!(
        "cargo",
        "build",
        "--quiet",
        "--workspace",
        "--features",
        crate::host::FEATURES
    )
    .dir(crate::paths::root())
    .stdout_to_stderr()
    .run()?;
    Ok(())
}
