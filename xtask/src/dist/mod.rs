//! `cargo xtask dist`: what operators install. It builds the portable
//! libgfresolv.so and heal-info (glibc 2.17 symbols, so both run on CentOS 7
//! and every later host), renders heal-info's man pages and completion,
//! stages them with the shim's man page and drop-in example, and packages
//! `gfresolv` and `gluster-heal-info` as RPMs (cargo-generate-rpm, gzip
//! payload for EL7's rpm 4.11) and .debs (cargo-deb), all into
//! `TARGET_DIR/dist/`. Steps: build -> stage -> package -> report.

pub mod build;
pub mod package;
pub mod report;
pub mod stage;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The target triple the packages are for (cargo's target dir layout).
pub const TRIPLE: &str = "x86_64-unknown-linux-gnu";

/// Where the artifacts go: `TARGET_DIR/dist/` unless told otherwise.
pub fn default_out_dir() -> Result<PathBuf> {
    Ok(crate::paths::target_dir()?.join("dist"))
}

/// The files the packagers' metadata name as `target/release/package-files/`.
pub fn stage_dir() -> Result<PathBuf> {
    Ok(crate::paths::target_dir()?
        .join(TRIPLE)
        .join("release/package-files"))
}

/// Builds everything into `out` and returns the report. The files are made
/// in a sibling directory first and take `out`'s place only when all are
/// there, so a failed step leaves an earlier dist's output as it was.
pub fn run(out: &Path) -> Result<report::Report> {
    check_out_dir(out)?;
    let version = version()?;
    let epoch = source_date_epoch()?;
    build::install_tools()?;
    crate::host::install_packaging_tools()?;
    let built = build::build()?;
    let staged = stage::stage(&built, &stage_dir()?, epoch)?;
    let work = out.with_file_name(format!(
        "{}.partial",
        out.file_name()
            .context("--out-dir names no directory")?
            .to_string_lossy()
    ));
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    std::fs::write(work.join(MARKER), "")?;
    let mut files = stage::publish(&staged, &work)?;
    files.extend(package::package(&work, epoch)?);
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("replacing {}", out.display()))?;
    }
    std::fs::rename(&work, out)
        .with_context(|| format!("moving {} to {}", work.display(), out.display()))?;
    let artifacts = files
        .into_iter()
        .map(|(rel, kind)| report::Artifact::new(out.join(rel), kind))
        .collect::<Result<_>>()?;
    Ok(report::Report::new(version, artifacts))
}

/// Marks an output directory as dist's own, so a later dist may replace it.
const MARKER: &str = ".xtask-dist";

/// Refuses a non-empty directory that dist did not make, rather than
/// deleting someone's files.
fn check_out_dir(out: &Path) -> Result<()> {
    let foreign =
        !out.join(MARKER).exists() && out.read_dir().is_ok_and(|mut d| d.next().is_some());
    if foreign {
        bail!(
            "{} has files that dist did not make: give --out-dir a new or empty directory",
            out.display()
        );
    }
    Ok(())
}

/// The packages' version: heal-info and gfresolv are released together.
fn version() -> Result<String> {
    let read = |krate: &str| -> Result<String> {
        let path = crate::paths::root().join(krate).join("Cargo.toml");
        let text = std::fs::read_to_string(&path)?;
        let v: toml::Value = toml::from_str(&text).with_context(|| path.display().to_string())?;
        v["package"]["version"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("{}: no package.version", path.display()))
    };
    let (shim, heal) = (read("shim")?, read("heal-info")?);
    if shim != heal {
        bail!("shim is {shim} and heal-info {heal}: give both crates the release's version");
    }
    Ok(heal)
}

/// File times and build dates in the packages: `SOURCE_DATE_EPOCH` if set,
/// else the commit time of HEAD, so that a commit always gives the same bytes.
fn source_date_epoch() -> Result<u64> {
    if let Ok(v) = std::env::var("SOURCE_DATE_EPOCH") {
        return v
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds"));
    }
    let repo = backport::git::open(&crate::paths::root(), "this kit's checkout").context(
        "not a git checkout: set SOURCE_DATE_EPOCH (seconds since 1970) for the packages' dates",
    )?;
    let head = backport::git::rev::commit(&repo, "HEAD")?;
    Ok(head.time().seconds().max(0) as u64)
}
