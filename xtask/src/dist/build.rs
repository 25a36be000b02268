//! The two programs, built against glibc 2.17 symbols with cargo-zigbuild:
//! the shim through `cargo xtask shim`, heal-info here with the `gfapi`
//! feature (bindgen runs on the build host; libgfapi is opened at run time
//! with libloading, so it is not linked). Each is checked with `objdump -T`.

use crate::portable::{check_glibc, TARGET};
use anyhow::{Context, Result};
use duct::cmd;
use std::path::PathBuf;

pub use crate::portable::install_tools;

/// The unstripped portable builds.
pub struct Built {
    pub shim: PathBuf,
    pub heal_info: PathBuf,
}

pub fn build() -> Result<Built> {
    let shim = crate::portable::build_shim()?;
    eprintln!("==> cargo zigbuild -p heal-info --features gfapi --release --target {TARGET}");
    cmd!(
        "cargo",
        "zigbuild",
        "--quiet",
        "-p",
        "heal-info",
        "--features",
        "gfapi",
        "--release",
        "--target",
        TARGET
    )
    .dir(crate::paths::root())
    .run()
    .context("building heal-info for glibc 2.17 (the gfapi feature needs libglusterfs-dev and libclang-dev)")?;
    let heal_info = crate::paths::target_dir()?
        .join(super::TRIPLE)
        .join("release/heal-info");
    check_glibc(&heal_info)?;
    Ok(Built { shim, heal_info })
}
