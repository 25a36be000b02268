//! One tarball per Debian release under `TARGET_DIR/chroots/`, made once
//! with `debootstrap --variant=minbase` from the host's own archive, and
//! unpacked afresh for each run, so every run starts from a minimal
//! release with nothing a previous run installed.

use super::{mirror, ns};
use anyhow::{bail, Context, Result};
use duct::cmd;
use std::path::{Path, PathBuf};

/// The cached minimal `suite`, made now if it is not there yet.
pub fn tarball(suite: &str) -> Result<PathBuf> {
    super::check_suite(suite)?;
    let dir = super::dir()?;
    let tar = dir.join(format!("{suite}-minbase.tar.gz"));
    if tar.is_file() {
        return Ok(tar);
    }
    super::require_root("making a chroot")?;
    crate::host::install_packages(&[("debootstrap", "debootstrap")])?;
    if crate::paths::which("debootstrap").is_none() {
        bail!("debootstrap is missing: apt-get install debootstrap");
    }
    let archive = mirror::debian_archive(Path::new("/etc/apt"))?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // Everything is made in a temp dir beside the tarball and renamed into
    // place last: a failed or killed run leaves no half-made cache.
    let tmp = tempfile::tempdir_in(&dir)?;
    let root = tmp.path().join("root");
    eprintln!(
        "==> debootstrap --variant=minbase {suite} from {archive} (once; cached as {})",
        tar.display()
    );
    let t = std::time::Instant::now();
    // debootstrap mounts /proc and /sys in the target while it works and
    // may leave them on failure: in a private mount namespace they go with it.
    let made = cmd!(
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "debootstrap",
        "--variant=minbase",
        suite,
        &root,
        &archive
    )
    .env("DEBIAN_FRONTEND", "noninteractive")
    .stdout_to_stderr()
    .unchecked()
    .run()?;
    if !made.status.success() {
        // The temp dir goes; its log is kept beside the tarballs.
        let log = dir.join(format!("{suite}-debootstrap.log"));
        let log = match std::fs::copy(root.join("debootstrap/debootstrap.log"), &log) {
            Ok(_) => format!("; log: {}", log.display()),
            Err(_) => String::new(),
        };
        bail!(
            "debootstrap {suite} from {archive} failed ({}{log}): is {suite} a release \
             debootstrap knows, served there, with its key in \
             /usr/share/keyrings/debian-archive-keyring.gpg?",
            made.status
        );
    }
    let part = tmp.path().join("minbase.tar.gz");
    cmd!("tar", "--numeric-owner", "-C", &root, "-czf", &part, ".")
        .run()
        .context("packing the chroot")?;
    std::fs::rename(&part, &tar)?;
    eprintln!("    {suite} made in {:.0} s", t.elapsed().as_secs_f64());
    Ok(tar)
}

/// An unpacked chroot under `TARGET_DIR/chroots/run/`, removed on drop
/// unless something is still mounted under it (then it is left, and said).
pub struct Root {
    dir: Option<tempfile::TempDir>,
}

impl Root {
    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("present until drop").path()
    }

    /// Leaves the chroot on disk (for a look inside) and returns its path.
    pub fn keep(mut self) -> PathBuf {
        self.dir.take().expect("present until drop").keep()
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let Some(dir) = self.dir.take() else { return };
        let left = ns::mounts_under(dir.path());
        if left.is_empty() {
            let _ = dir.close();
        } else {
            // Removing through a mount would delete the host's files behind it.
            eprintln!(
                "warning: {} still has mounts ({}); not removing it",
                dir.path().display(),
                left.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let _ = dir.keep();
        }
    }
}

/// `suite`'s tarball unpacked into a fresh dir.
pub fn unpack(suite: &str) -> Result<Root> {
    let tar = tarball(suite)?;
    let run = super::dir()?.join("run");
    std::fs::create_dir_all(&run)?;
    let dir = tempfile::Builder::new()
        .prefix(&format!("{suite}-"))
        .tempdir_in(&run)?;
    cmd!("tar", "--numeric-owner", "-C", dir.path(), "-xzf", &tar)
        .run()
        .with_context(|| format!("unpacking {}", tar.display()))?;
    Ok(Root { dir: Some(dir) })
}

/// The machine's own CA certificates (`/usr/local/share/ca-certificates`)
/// and pip's config (`/etc/pip.conf`), copied into `root`: like
/// `ns::MACHINE_VARS`, they are how any machine here reaches the registries
/// (a TLS proxy's CA), so a fresh one has them before the project runs.
/// Debian's ca-certificates adds the certificates to the bundle when a
/// step installs it.
pub fn copy_machine_setup(root: &Path) -> Result<()> {
    let local_cas = Path::new("/usr/local/share/ca-certificates");
    let into = root.join("usr/local/share/ca-certificates");
    for e in std::fs::read_dir(local_cas).into_iter().flatten().flatten() {
        std::fs::create_dir_all(&into)?;
        std::fs::copy(e.path(), into.join(e.file_name()))
            .with_context(|| format!("copying {}", e.path().display()))?;
    }
    let pip_conf = Path::new("/etc/pip.conf");
    if pip_conf.is_file() {
        std::fs::copy(pip_conf, root.join("etc/pip.conf"))?;
    }
    Ok(())
}
