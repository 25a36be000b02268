//! What the host has and how to add to it: programs on PATH, root, Debian
//! and PyPI packages (pip itself too, which a fresh Debian lacks), the
//! packaging tools (cargo-generate-rpm, cargo-deb), and the features the
//! workspace is built with. A leaf:
//! every task asks here, and this module asks no task.

use anyhow::{bail, Context, Result};
use duct::cmd;

/// The packages whose program (or file) is not there yet.
pub fn missing<'a>(packages: &[(&'a str, &str)]) -> Vec<&'a str> {
    let mut names: Vec<&str> = packages
        .iter()
        .filter(|(_, prog)| !have(prog))
        .map(|(p, _)| *p)
        .collect();
    names.dedup();
    names
}

/// Installs missing PyPI tools; a failure is reported, and the tests that
/// need the tool say they are skipped.
pub fn install_pip(packages: &[(&str, &str)]) {
    let missing = missing(packages);
    if missing.is_empty() {
        return;
    }
    if let Err(e) = pip_install(&missing) {
        eprintln!("note: {e:#}; the tests that need these tools will say they are skipped");
    }
}

/// `python3 -m pip install` of `packages`. A fresh Debian has no pip: as
/// root it is installed first (python3-pip). Debian 12 and later refuse
/// pip installs into the system Python (PEP 668) unless told, so it is
/// told: these are command-line tools, and pip puts them in /usr/local.
pub fn pip_install(packages: &[&str]) -> Result<()> {
    let have_pip = || {
        cmd!("python3", "-m", "pip", "--version")
            .stdout_null()
            .stderr_null()
            .unchecked()
            .run()
            .is_ok_and(|o| o.status.success())
    };
    if !have_pip() {
        if !is_root() {
            bail!(
                "python3 has no pip, needed for {}: apt-get install python3-pip, or run as root",
                packages.join(" ")
            );
        }
        apt_install(&["python3-pip"])?;
    }
    eprintln!("==> pip install {}", packages.join(" "));
    let mut args = vec![
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ];
    args.extend(packages);
    // Older pips (Debian 11's 20.3) ignore the variable, and need it not.
    cmd("python3", &args)
        .env("PIP_BREAK_SYSTEM_PACKAGES", "1")
        .stdout_to_stderr()
        .run()
        .with_context(|| format!("pip install {}", packages.join(" ")))?;
    Ok(())
}

/// The features the suite builds with: heal-info's libgfapi bindings.
pub const FEATURES: &str = "heal-info/gfapi";

fn have(program: &str) -> bool {
    if program.starts_with('/') {
        return std::path::Path::new(program).exists()
            || program.contains("libclang") && libclang_present();
    }
    crate::paths::which(program).is_some()
}

fn libclang_present() -> bool {
    std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            e.file_name().to_string_lossy().starts_with("llvm-")
                && e.path().join("lib/libclang.so").exists()
        })
}

pub fn is_root() -> bool {
    cmd!("id", "-u")
        .read()
        .map(|s| s.trim() == "0")
        .unwrap_or(false)
}

/// Installs missing packages with apt-get when running as root.
pub fn install_packages(packages: &[(&str, &str)]) -> Result<()> {
    let missing = missing(packages);
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
    apt_install(&missing)
}

/// `apt-get update` then `apt-get install` of `packages`, as root, whatever
/// is already there (for packages no program or file stands for, such as a
/// Python module). The caller checks root.
pub fn apt_install(packages: &[&str]) -> Result<()> {
    eprintln!("==> apt-get install {}", packages.join(" "));
    // apt's chatter goes to stderr: callers may owe stdout one JSON document.
    cmd!("apt-get", "update", "-qq")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdout_to_stderr()
        .run()
        .context("apt-get update")?;
    // Use-Pty=0: dpkg's progress redraws would fill a log with one line
    // per percent.
    let mut args = vec![
        "install",
        "-y",
        "-qq",
        "--no-install-recommends",
        "-o",
        "Dpkg::Use-Pty=0",
    ];
    args.extend(packages);
    cmd("apt-get", &args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdout_to_stderr()
        .run()
        .with_context(|| format!("apt-get install {}", packages.join(" ")))?;
    Ok(())
}

/// rpm's own script, which reads the ELF files' needs as rpmbuild would
/// (`libc.so.6(GLIBC_2.17)(64bit)`). `dist` asks cargo-generate-rpm for it
/// by name: it would otherwise fall back to ldd where rpm is missing, and
/// the same commit would give other Requires on another build host.
pub const FIND_REQUIRES: &str = "/usr/lib/rpm/find-requires";

/// cargo-zigbuild, with which the portable shim is built.
pub const ZIGBUILD: &str = "cargo-zigbuild";

/// Installs what `dist` builds and packages with, if missing:
/// cargo-generate-rpm, cargo-deb and cargo-zigbuild; `test` installs them
/// once, before the tests need them.
pub fn install_packaging_tools() -> Result<()> {
    if !std::path::Path::new(FIND_REQUIRES).exists() {
        bail!("{FIND_REQUIRES} is missing: install rpm (apt-get install rpm; on EL it is there)");
    }
    cargo_install(&["cargo-generate-rpm", "cargo-deb", ZIGBUILD])
}

/// `cargo install`s those of `tools` not on PATH, in one call with one
/// target dir, so the dependencies they share are built once. Unoptimized
/// and without debug info: each runs for seconds on a few MB, and their
/// release builds took 2.5 times as long (313 s against 124 s for all three
/// on a 2-core machine, most of what a fresh machine's suite spent before
/// its first build).
pub fn cargo_install(tools: &[&str]) -> Result<()> {
    cargo_install_with_args(tools, &[])
}

/// `cargo install`s `tool`, if it is not on PATH, with `args` (features).
pub fn cargo_install_with(tool: &str, args: &[&str]) -> Result<()> {
    cargo_install_with_args(&[tool], args)
}

fn cargo_install_with_args(tools: &[&str], extra: &[&str]) -> Result<()> {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| crate::paths::which(t).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    // A dir of its own per call, so two at once do not share one; its
    // objects are of no use once the programs are installed.
    let dir = crate::paths::target_dir()?;
    std::fs::create_dir_all(&dir)?;
    let target = tempfile::Builder::new()
        .prefix("cargo-install-")
        .tempdir_in(&dir)
        .with_context(|| format!("making a target dir for cargo install in {}", dir.display()))?;
    eprintln!(
        "==> cargo install --debug --locked {} (a few minutes, once)",
        missing.join(" ")
    );
    let mut args = vec!["install", "--debug", "--locked", "--quiet", "--target-dir"];
    let target_arg = target.path().to_string_lossy().into_owned();
    args.push(&target_arg);
    args.extend(extra);
    args.extend(&missing);
    cmd("cargo", &args)
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .run()
        .with_context(|| format!("installing {} from crates.io", missing.join(", ")))
        .map(drop)
}
