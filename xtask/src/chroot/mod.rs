//! Minimal Debian chroots, to prove the kit on other releases and on a
//! machine with nothing installed. They are made with debootstrap from the
//! Debian archive this host's apt already uses (`mirror`), cached as one
//! tarball per release under the target dir and unpacked afresh for every
//! run (`cache`), and entered in a private mount and PID namespace (`ns`),
//! so nothing reaches the host's mount table and no host file outside the
//! target dir is written. `portable` builds the kit's binary so it runs on
//! every release's glibc; `legacy` is `cargo xtask chroot-build`.

pub mod cache;
pub mod legacy;
pub mod mirror;
pub mod ns;
pub mod portable;

use anyhow::{bail, Result};
use std::path::PathBuf;

/// The releases the chroot runs are meant for: the oldest and newest that
/// the ci/ runners stand for, and the one this kit is developed on.
pub const SUITES: [&str; 3] = ["bullseye", "bookworm", "trixie"];

/// `TARGET_DIR/chroots`: the tarballs, the unpacked roots, the logs.
pub fn dir() -> Result<PathBuf> {
    Ok(crate::paths::target_dir()?.join("chroots"))
}

/// Chroots, mounts and debootstrap need root; say so before anything long.
pub fn require_root(what: &str) -> Result<()> {
    if !crate::host::is_root() {
        bail!("{what} needs root (debootstrap, chroot and mount namespaces): run it as root");
    }
    Ok(())
}

/// A suite name as debootstrap knows it; refuses anything that could be a
/// path or an option.
pub fn check_suite(suite: &str) -> Result<()> {
    let plain = !suite.is_empty()
        && suite
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !plain || suite.starts_with('-') {
        bail!(
            "{suite:?} is not a Debian suite name (e.g. {})",
            SUITES.join(", ")
        );
    }
    Ok(())
}
