//! `cargo xtask chroot-build --suite SUITE`: the kit's `build` of the
//! shared v3.12.15 inside a fresh minimal chroot of a Debian release. The
//! chroot has nothing but debootstrap's minbase: the build's own install
//! step (as root, with apt) brings gcc, autotools, Python and every -dev
//! package, and the compat plan meets that release's compilers. The kit's
//! binary is the portable one (`portable`), so no toolchain is put in.

use super::{cache, ns};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::time::Instant;
use verify::stamp::Report;

/// Where things are inside the chroot.
const KIT: &str = "/usr/local/bin/xtask";
const REPO: &str = "/src/glusterfs.git";
const PREFIX: &str = "/opt/glusterfs";
const TARGET: &str = "/var/tmp/glk-target";

/// A chroot build's outcome: the build's own report and what the release
/// had, with the wall time of the whole run (deps included).
#[derive(Debug, serde::Serialize)]
pub struct Outcome {
    pub suite: String,
    pub seconds: f64,
    pub toolchain: String,
    pub report: Report,
    /// The build's log, copied out of the chroot before it is removed.
    pub log: PathBuf,
}

/// Builds v3.12.15 in a fresh `suite` chroot with `make -j jobs`; fails
/// unless the build installed glusterfs 3.12.15 with events on and the
/// host's mount table has nothing left under the chroot.
pub fn run(suite: &str, jobs: usize) -> Result<Outcome> {
    super::require_root("chroot-build")?;
    let Some(tar) = crate::shared::shared_tar() else {
        bail!(
            "chroot-build builds the shared v3.12.15: ../shared/glusterfs is not beside the \
             project (set GLK_SHARED to the folder holding glusterfs/)"
        );
    };
    // The chroot first: a release debootstrap cannot make fails in seconds.
    let root = cache::unpack(suite)?;
    let kit = super::portable::xtask()?;
    let r = root.path();
    std::fs::copy(&kit, r.join(KIT.trim_start_matches('/')))
        .context("copying the kit's binary into the chroot")?;
    let src = r.join("src");
    std::fs::create_dir_all(&src)?;
    crate::shared::extract(&tar, &src)?;

    let mut env = ns::base_env("/root", "");
    env.push(("GLK_TARGET_DIR".into(), TARGET.into()));
    let argv: Vec<String> = [
        KIT, "build", "v3.12.15", "--repo", REPO, "--prefix", PREFIX, "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(["--jobs".into(), jobs.max(1).to_string()])
    .collect();
    eprintln!(
        "==> {suite}: xtask build v3.12.15 in {} (deps installed by the kit)",
        r.display()
    );
    let t = Instant::now();
    let out = ns::command(r, &[], &env, &argv)
        .stdout_capture()
        .unchecked()
        .run()
        .with_context(|| format!("starting the build in the {suite} chroot"))?;
    let seconds = t.elapsed().as_secs_f64();
    let left = ns::mounts_under(r);
    if !left.is_empty() {
        bail!("{suite}: mounts were left on the host under the chroot: {left:?}");
    }
    let log = keep_log(suite, r)?;
    if !out.status.success() {
        bail!(
            "the kit's build of v3.12.15 failed in {suite} after {seconds:.0} s (exit {:?}); log: {}",
            out.status.code(),
            log.display()
        );
    }
    let report: Report = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("reading the build report from the {suite} chroot"))?;
    if !report.events || report.version != "3.12.15" {
        bail!(
            "{suite}: the build installed glusterfs {} with events {}; expected 3.12.15 with events on",
            report.version,
            if report.events { "on" } else { "off" }
        );
    }
    let toolchain = toolchain(r)?;
    Ok(Outcome {
        suite: suite.into(),
        seconds,
        toolchain,
        report,
        log,
    })
}

/// gcc, Python and glibc as the build found them (after its install step).
fn toolchain(root: &std::path::Path) -> Result<String> {
    let argv = [
        "sh",
        "-c",
        "echo \"gcc $(gcc -dumpfullversion), $(python3 --version), glibc $(getconf GNU_LIBC_VERSION | cut -d' ' -f2)\"",
    ]
    .map(String::from);
    let out = ns::command(root, &[], &ns::base_env("/root", ""), &argv)
        .stdout_capture()
        .read()
        .context("asking the chroot for its toolchain")?;
    Ok(out.trim().to_string())
}

/// Copies the build log out to `TARGET_DIR/chroots/SUITE-build.log`.
fn keep_log(suite: &str, root: &std::path::Path) -> Result<PathBuf> {
    let dest = super::dir()?.join(format!("{suite}-build.log"));
    let inside = root
        .join(TARGET.trim_start_matches('/'))
        .join("legacy-build")
        .join(PREFIX.trim_start_matches('/').replace('/', "_"))
        .join("build.log");
    if inside.is_file() {
        std::fs::copy(&inside, &dest)?;
    } else {
        std::fs::write(
            &dest,
            "(the build wrote no log: it stopped before configure)\n",
        )?;
    }
    Ok(dest)
}

/// The human summary of one chroot build.
pub fn text(o: &Outcome) -> String {
    let s = &o.report.seconds;
    format!(
        "{}: glusterfs {} built with events {} in {:.0} s ({}); deps {:.0} s, autogen {:.0}, \
         configure {:.0}, make {:.0}, install {:.0}\n  compat: {}\n  log: {}\n",
        o.suite,
        o.report.version,
        if o.report.events { "on" } else { "off" },
        o.seconds,
        o.toolchain,
        s.deps,
        s.autogen,
        s.configure,
        s.make,
        s.install,
        if o.report.compat.is_empty() {
            "(none)".to_string()
        } else {
            o.report.compat.join("; ")
        },
        o.log.display()
    )
}
