//! The RPMs and .debs, made by the tools built for it from each crate's
//! `[package.metadata.generate-rpm]` and `[package.metadata.deb]`:
//! cargo-generate-rpm (the `rpm` crate writes the headers) with a gzip
//! payload, which EL7's rpm 4.11 reads (it predates zstd), and cargo-deb.
//! Both take their file times and build dates from `SOURCE_DATE_EPOCH`, so
//! a commit packages to the same bytes. They are run as the cargo
//! subcommands they are documented as (installed from crates.io on first
//! use, by `host::install_packaging_tools`): neither promises a library API, and as binaries their dependency
//! trees stay out of xtask's own build.

use super::report::Kind;
use super::TRIPLE;
use anyhow::{bail, Context, Result};
use duct::cmd;
use std::path::{Path, PathBuf};

/// (crate directory, cargo package name) of what is packaged.
const CRATES: &[(&str, &str)] = &[("shim", "gfresolv"), ("heal-info", "heal-info")];

/// Packages every crate in both formats into `out`; returns the packages'
/// paths relative to `out`.
pub fn package(out: &Path, epoch: u64) -> Result<Vec<(PathBuf, Kind)>> {
    let target_dir = crate::paths::target_dir()?;
    let mut artifacts = Vec::new();
    for (dir, name) in CRATES {
        eprintln!("==> cargo generate-rpm -p {dir}");
        let rpm = made_in(out, "rpm", || {
            cmd!(
                "cargo",
                "generate-rpm",
                "-p",
                dir,
                "--target",
                TRIPLE,
                "--target-dir",
                &target_dir,
                "--payload-compress",
                "gzip",
                // rpm's own script (`host::FIND_REQUIRES`), by name.
                "--auto-req",
                "find-requires",
                "-o",
                out
            )
            .env("SOURCE_DATE_EPOCH", epoch.to_string())
            .dir(crate::paths::root())
            .stdout_to_stderr()
            .run()
            .with_context(|| format!("cargo generate-rpm for {name}"))
        })?;
        artifacts.push((relative(&rpm, out), Kind::Rpm));
        eprintln!("==> cargo deb -p {name}");
        let deb = made_in(out, "deb", || {
            cmd!(
                "cargo",
                "deb",
                "-p",
                name,
                "--no-build",
                "--no-strip",
                "--target",
                TRIPLE,
                "-o",
                out
            )
            .env("SOURCE_DATE_EPOCH", epoch.to_string())
            .env("CARGO_TARGET_DIR", &target_dir)
            .dir(crate::paths::root())
            .stdout_to_stderr()
            .run()
            .with_context(|| format!("cargo deb for {name}"))
        })?;
        artifacts.push((relative(&deb, out), Kind::Deb));
    }
    Ok(artifacts)
}

/// Runs `make` and returns the one new `*.ext` file it left in `out`.
fn made_in<T>(out: &Path, ext: &str, make: impl FnOnce() -> Result<T>) -> Result<PathBuf> {
    let before = with_ext(out, ext)?;
    make()?;
    let new: Vec<PathBuf> = with_ext(out, ext)?
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    match new.as_slice() {
        [one] => Ok(one.clone()),
        _ => bail!(
            "expected one new .{ext} in {}, found {new:?}",
            out.display()
        ),
    }
}

fn relative(path: &Path, dir: &Path) -> PathBuf {
    path.strip_prefix(dir).unwrap_or(path).to_path_buf()
}

fn with_ext(dir: &Path, ext: &str) -> Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == ext) {
            v.push(p);
        }
    }
    Ok(v)
}
