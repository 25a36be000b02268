//! `cargo xtask verify`: builds what the matrix needs (heal-info with its
//! libgfapi bindings, the portable shim, the probe and the black hole), then
//! runs the `verify` program of the tests crate, which owns the cluster.

use anyhow::{bail, Result};
use duct::cmd;

pub fn run(prefixes: &[std::path::PathBuf], subvols: usize, json: bool) -> Result<()> {
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
    .run()?;
    let mut args: Vec<String> = vec!["--subvols".into(), subvols.to_string()];
    for p in prefixes {
        args.push("--prefix".into());
        args.push(p.display().to_string());
    }
    if json {
        args.push("--json".into());
    }
    let status = cmd(crate::paths::built("debug", "verify")?, &args)
        .unchecked()
        .run()?
        .status;
    if !status.success() {
        bail!("verify failed (exit {:?})", status.code());
    }
    Ok(())
}
