//! `cargo xtask test`: the whole suite, as CI runs it. As root it first
//! installs the Debian packages the suite needs and that are missing, so a
//! fresh machine needs nothing else.

use anyhow::{bail, Result};
use duct::cmd;

/// Debian packages, each with a program that shows it is installed.
pub const PACKAGES: &[(&str, &str)] = &[("clang-format", "clang-format")];

fn have(program: &str) -> bool {
    which(program).is_some()
}

pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn is_root() -> bool {
    cmd!("id", "-u")
        .read()
        .map(|s| s.trim() == "0")
        .unwrap_or(false)
}

/// Installs missing packages with apt-get when running as root.
pub fn install_packages(packages: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(_, prog)| !have(prog))
        .map(|(p, _)| *p)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        eprintln!(
            "note: not root, so not installing {}; tests that need them say so",
            missing.join(" ")
        );
        return Ok(());
    }
    eprintln!("==> apt-get install {}", missing.join(" "));
    cmd!("apt-get", "update", "-qq")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    cmd("apt-get", &args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
    Ok(())
}

pub fn run() -> Result<()> {
    install_packages(PACKAGES)?;
    eprintln!("==> cargo test --workspace");
    let status = cmd!("cargo", "test", "--workspace", "--color", "never")
        .unchecked()
        .run()?;
    if !status.status.success() {
        bail!("tests failed");
    }
    Ok(())
}
