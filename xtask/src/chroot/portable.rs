//! The kit's own binary for the chroots. Built on this host it would need
//! this host's glibc (GLIBC_2.34 and up from a Debian 12 build; bullseye
//! has 2.31), so it is linked with cargo-zigbuild against glibc 2.17
//! symbols, as the shim and heal-info are, and then runs unchanged on
//! every Debian release from buster to trixie without a toolchain inside.

use anyhow::{Context, Result};
use duct::cmd;
use std::path::PathBuf;

/// Builds (or reuses) `TARGET_DIR/x86_64-unknown-linux-gnu/debug/xtask`
/// for glibc 2.17 and returns its path; checked with `objdump -T`.
pub fn xtask() -> Result<PathBuf> {
    crate::portable::install_tools()?;
    let target = crate::portable::TARGET;
    eprintln!("==> cargo zigbuild -p xtask --bin xtask --target {target} (the kit's binary for the chroots)");
    cmd!("cargo", "zigbuild", "--quiet", "-p", "xtask", "--bin", "xtask", "--target", target)
        .dir(crate::paths::root())
        .stdout_to_stderr()
        .run()
        .context("building the kit's binary against glibc 2.17 with cargo-zigbuild")?;
    let bin = crate::paths::target_dir()?
        .join(crate::dist::TRIPLE)
        .join("debug/xtask");
    crate::portable::check_glibc(&bin)?;
    Ok(bin)
}
