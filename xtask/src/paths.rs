//! Where the project and cargo's build outputs are. Every task asks here
//! rather than assuming `./target`: a CI with `CARGO_TARGET_DIR` set, or a
//! shared or cached target dir, would otherwise run stale or missing binaries.

use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The project's root (the workspace directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// cargo's target directory for this workspace, as `cargo metadata` reports
/// it (so `CARGO_TARGET_DIR` and `build.target-dir` are honoured).
pub fn target_dir() -> Result<PathBuf> {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    if let Some(d) = DIR.get() {
        return Ok(d.clone());
    }
    let out = duct::cmd!(
        "cargo",
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
        "--offline"
    )
    .dir(root())
    .stderr_null()
    .read()
    .context("running cargo metadata to find the target directory")?;
    let v: serde_json::Value = serde_json::from_str(&out).context("parsing cargo metadata")?;
    let dir = v["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata gave no target_directory")?;
    Ok(DIR.get_or_init(|| dir).clone())
}

/// A program or library cargo built for `profile` ("debug" or "release").
pub fn built(profile: &str, file: &str) -> Result<PathBuf> {
    Ok(target_dir()?.join(profile).join(file))
}

/// The shared real GlusterFS source (`glusterfs/glusterfs-v3.12.15.git.tar`
/// and BUILDING.md): `$GLK_SHARED`, else `../shared` beside the project.
/// None on a user's fresh clone, where the tests that need it say so.
pub fn shared_glusterfs() -> Option<PathBuf> {
    let dir = std::env::var_os("GLK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"))
        .join("glusterfs");
    dir.join("glusterfs-v3.12.15.git.tar")
        .is_file()
        .then_some(dir)
}

/// The project's series of events.c fixes, `patches/events.toml`: the
/// default `--series`, and what the A/B and the benches port.
pub fn series() -> PathBuf {
    root().join("patches/events.toml")
}
