//! Where the project and cargo's build outputs are. Every task asks here
//! rather than assuming `./target`: a CI with `CARGO_TARGET_DIR` set, or a
//! shared or cached target dir, would otherwise run stale or missing binaries.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The project's root (the workspace directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// Where the target directory was named, before cargo is asked: the
/// `--target-dir` flag (`init`), then `GLK_TARGET_DIR`, then
/// `CARGO_TARGET_DIR`. The kit's binary runs where cargo is absent (a
/// chroot, a host it was copied to), and there one of them is the only way.
static DIR: OnceLock<PathBuf> = OnceLock::new();

/// The environment variables that name the target directory, in order.
pub const TARGET_DIR_VARS: [&str; 2] = ["GLK_TARGET_DIR", "CARGO_TARGET_DIR"];

/// Called once by `main` before any thread starts: fixes the target dir
/// named by `--target-dir` (relative to the current directory, as cargo
/// takes it) or `GLK_TARGET_DIR`, and hands it to every cargo the kit runs
/// as `CARGO_TARGET_DIR`, so what they build lands where the kit looks.
pub fn init(flag: Option<&Path>) -> Result<()> {
    let named = match flag {
        Some(f) => Some(f.to_path_buf()),
        None => std::env::var_os(TARGET_DIR_VARS[0])
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
    };
    if let Some(dir) = named {
        let dir = std::path::absolute(&dir)
            .with_context(|| format!("resolving the target dir {}", dir.display()))?;
        std::env::set_var("CARGO_TARGET_DIR", &dir);
        let _ = DIR.set(dir);
    }
    Ok(())
}

/// cargo's target directory for this workspace: as named (see `DIR`), else
/// as `cargo metadata` reports it (so `build.target-dir` is honoured).
pub fn target_dir() -> Result<PathBuf> {
    if let Some(d) = DIR.get() {
        return Ok(d.clone());
    }
    let named = TARGET_DIR_VARS
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .map(|v| std::path::absolute(PathBuf::from(v)))
        .transpose()?;
    let dir = match named {
        Some(d) => d,
        None => from_cargo_metadata()?,
    };
    Ok(DIR.get_or_init(|| dir).clone())
}

fn from_cargo_metadata() -> Result<PathBuf> {
    let nothing_named = "pass --target-dir DIR or set GLK_TARGET_DIR=DIR";
    if which("cargo").is_none() {
        anyhow::bail!(
            "cannot find the target directory: cargo is not on PATH, so `cargo metadata` \
             cannot be asked; {nothing_named}"
        );
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
    .map_err(|e| {
        anyhow::anyhow!(
            "cannot find the target directory: `cargo metadata` failed ({e}) in {}; {nothing_named}",
            root().display()
        )
    })?;
    let v: serde_json::Value = serde_json::from_str(&out).context("parsing cargo metadata")?;
    v["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata gave no target_directory")
}

/// A program or library cargo built for `profile` ("debug" or "release").
pub fn built(profile: &str, file: &str) -> Result<PathBuf> {
    Ok(target_dir()?.join(profile).join(file))
}

/// The shared real GlusterFS source (`glusterfs/glusterfs-v3.12.15.git.tar`
/// and BUILDING.md): `$GLK_SHARED`, else `../shared` beside the project.
/// None on a user's fresh clone, where the tests that need it say so.
pub fn shared_glusterfs() -> Option<PathBuf> {
    let dir = shared_dir().join("glusterfs");
    dir.join("glusterfs-v3.12.15.git.tar")
        .is_file()
        .then_some(dir)
}

/// The shared glibc 2.17 source (`glibc/glibc-2.17.tar.xz`, unmodified
/// upstream, and its README), read-only: None where it is absent.
pub fn shared_glibc_tar() -> Option<PathBuf> {
    Some(shared_dir().join("glibc/glibc-2.17.tar.xz")).filter(|t| t.is_file())
}

/// `$GLK_SHARED`, else `../shared` beside the project.
fn shared_dir() -> PathBuf {
    std::env::var_os("GLK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"))
}

/// The project's series of events.c fixes, `patches/events.toml`: the
/// default `--series`, and what the A/B and the benches port.
pub fn series() -> PathBuf {
    root().join("patches/events.toml")
}

/// Removes the directory `dir` and everything in it; Ok if it is absent.
pub fn remove_dir_all_if_present(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// The first file named `program` in a directory of PATH: the program a
/// shell would run.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}
