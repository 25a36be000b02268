//! Builds for glibc 2.17 hosts (CentOS 7, the hosts that hang): the toolchain
//! (cargo-zigbuild and Zig from PyPI's `ziglang`, installed if missing), the
//! check that a binary needs no glibc symbol newer than 2.17, and the portable
//! shim `TARGET_DIR/shim/libgfresolv.so`. A cdylib built natively on Debian 12
//! needs GLIBC_2.34 and will not load there. A leaf: `cargo xtask shim`,
//! `dist`, the demo, the chroots and the benches all build through it.

use anyhow::{bail, Context, Result};
use duct::cmd;
use std::path::{Path, PathBuf};

pub use crate::paths::root;

pub const TARGET: &str = "x86_64-unknown-linux-gnu.2.17";
/// The oldest glibc the hosts run.
pub const MAX_GLIBC: (u32, u32) = (2, 17);

fn have_zig() -> bool {
    cmd!("python3", "-m", "ziglang", "version")
        .stdout_null()
        .stderr_null()
        .unchecked()
        .run()
        .is_ok_and(|o| o.status.success())
        || crate::paths::which("zig").is_some()
}

/// Installs Zig (PyPI `ziglang`) and cargo-zigbuild (crates.io) if missing.
pub fn install_tools() -> Result<()> {
    if !have_zig() {
        eprintln!("==> the Zig toolchain from PyPI (ziglang), for linking against glibc 2.17");
        crate::host::pip_install(&["ziglang"]).context("installing ziglang from PyPI")?;
    }
    crate::host::cargo_install(&[crate::host::ZIGBUILD])
}

/// The highest GLIBC_x.y version `so` needs, from `objdump -T`.
pub fn max_glibc(so: &Path) -> Result<(u32, u32)> {
    let out = cmd!("objdump", "-T", so)
        .read()
        .context("running objdump -T (binutils)")?;
    let mut max = (0, 0);
    for word in out.split_whitespace() {
        let v = word.trim_start_matches('(').trim_end_matches(')');
        if let Some(ver) = v.strip_prefix("GLIBC_") {
            let mut it = ver.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
            let v = (it.next().unwrap_or(0), it.next().unwrap_or(0));
            max = max.max(v);
        }
    }
    Ok(max)
}

/// Refuses a file that needs a glibc newer than CentOS 7's; the highest
/// version it needs.
pub fn check_glibc(file: &Path) -> Result<(u32, u32)> {
    let (a, b) = max_glibc(file)?;
    if (a, b) > MAX_GLIBC {
        bail!(
            "{} needs GLIBC_{a}.{b}, above 2.17: it would not load on CentOS 7",
            file.display()
        );
    }
    Ok((a, b))
}

/// Builds and returns the path of the portable library.
pub fn build_shim() -> Result<PathBuf> {
    install_tools()?;
    let root = root();
    eprintln!("==> cargo zigbuild -p gfresolv --release --target {TARGET}");
    cmd!(
        "cargo",
        "zigbuild",
        "--quiet",
        "-p",
        "gfresolv",
        "--release",
        "--target",
        TARGET
    )
    .dir(&root)
    .run()?;
    let target = crate::paths::target_dir()?;
    let built = target.join("x86_64-unknown-linux-gnu/release/libgfresolv.so");
    let out_dir = target.join("shim");
    std::fs::create_dir_all(&out_dir)?;
    let out = out_dir.join("libgfresolv.so");
    // Copied aside, checked, then renamed over: the suite's tests build it
    // side by side, and an in-place copy let one test's objdump (and any
    // process preloading it) read the file half-written by another's.
    let staged = tempfile::Builder::new()
        .prefix(".libgfresolv.so.")
        .tempfile_in(&out_dir)
        .with_context(|| format!("creating a file in {}", out_dir.display()))?;
    std::fs::copy(&built, staged.path()).with_context(|| format!("copying {}", built.display()))?;
    // Named by where it goes: the staged file is gone once this fails.
    let (a, b) = check_glibc(staged.path())
        .with_context(|| format!("checking the shim bound for {}", out.display()))?;
    staged
        .persist(&out)
        .with_context(|| format!("renaming into {}", out.display()))?;
    // stderr: callers such as `verify --json` own stdout.
    eprintln!(
        "{} (highest glibc symbol version: GLIBC_{a}.{b}; loads on glibc 2.17 and later)",
        out.display()
    );
    Ok(out)
}
