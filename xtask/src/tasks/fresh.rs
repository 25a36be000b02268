//! `cargo xtask fresh`: the README's two commands as a new user runs them,
//! on a machine that has nothing but Rust. A minimal bookworm chroot gets
//! a clone of this kit's HEAD at /work/kit with ../shared beside it, and
//! the host's Rust toolchain (~/.cargo, ~/.rustup) as overlays whose
//! writes land under the target dir, without what `cargo install` added to
//! the host's (`hide_installed_tools`). Rust's own prerequisite, a C linker
//! (`RUST_PREREQS`, which the README names), is installed first; then
//! `cargo xtask demo` and the legacy build run, so every other package
//! they need must come from the kit's own install steps. `--whole-suite`
//! runs `.ci/run` in place of the build, first, as CI does on a new
//! machine, and the demo after it.

use crate::chroot::{cache, ns, ns::Mount};
use anyhow::{bail, Context, Result};
use backport::git;
use std::path::PathBuf;
use std::time::Instant;

/// What rustup itself asks for before any crate with a build script links:
/// the one thing a user installs before the README's commands.
pub const RUST_PREREQS: &str = "apt-get install gcc libc6-dev";

const KIT: &str = "/work/kit";
const REPO: &str = "/src/glusterfs.git";

/// The host's cargo and rustup homes, as rustup lays them out.
fn toolchain_homes() -> Result<(PathBuf, PathBuf)> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/root".into());
    let cargo = std::env::var_os("CARGO_HOME").map_or(home.join(".cargo"), PathBuf::from);
    let rustup = std::env::var_os("RUSTUP_HOME").map_or(home.join(".rustup"), PathBuf::from);
    for d in [&cargo, &rustup] {
        if !d
            .join(if d == &cargo {
                "bin/cargo"
            } else {
                "toolchains"
            })
            .exists()
        {
            bail!(
                "fresh overlays the host's Rust toolchain, installed with rustup: {} is not one \
                 (set CARGO_HOME and RUSTUP_HOME)",
                d.display()
            );
        }
    }
    Ok((cargo, rustup))
}

/// Hides from the chroot what `cargo install` put in the host's cargo
/// home (the kit's cargo-zigbuild, cargo-deb, cargo-generate-rpm): whiteouts
/// in the overlay's upper dir `up`, so the chroot's ~/.cargo holds rustup's
/// programs only and the kit must install the rest as on a new machine (a
/// fresh run that found them there passed in 14 min; a new machine spent 6
/// of its 33 on them). Their tracking files go too, or cargo would call
/// them installed. Returns the hidden programs.
fn hide_installed_tools(cargo_home: &std::path::Path, up: &std::path::Path) -> Result<Vec<String>> {
    let tracker = cargo_home.join(".crates.toml");
    let text = match std::fs::read_to_string(&tracker) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", tracker.display())),
    };
    #[derive(serde::Deserialize)]
    struct Tracker {
        #[serde(default)]
        v1: std::collections::BTreeMap<String, Vec<String>>,
    }
    let parsed: Tracker =
        toml::from_str(&text).with_context(|| format!("parsing {}", tracker.display()))?;
    let mut programs: Vec<String> = parsed.v1.into_values().flatten().collect();
    programs.sort();
    programs.dedup();
    // Names come from a file on the host: no path may leave bin/.
    programs.retain(|p| !p.is_empty() && !p.contains('/') && p != "." && p != "..");
    std::fs::create_dir_all(up.join("bin"))
        .with_context(|| format!("creating {}", up.join("bin").display()))?;
    let whiteouts = programs
        .iter()
        .map(|p| up.join("bin").join(p))
        .chain([".crates.toml", ".crates2.json"].map(|f| up.join(f)));
    for w in whiteouts {
        // overlayfs reads a 0:0 character device in the upper dir as "deleted".
        duct::cmd!("mknod", &w, "c", "0", "0")
            .run()
            .with_context(|| format!("making the whiteout {}", w.display()))?;
    }
    Ok(programs)
}

pub fn run(suite: &str, keep: bool, whole_suite: bool) -> Result<()> {
    crate::chroot::require_root("fresh")?;
    let Some(shared) = crate::paths::shared_glusterfs() else {
        bail!("fresh runs the legacy build of the shared v3.12.15: ../shared/glusterfs is not beside the project");
    };
    let (cargo_home, rustup_home) = toolchain_homes()?;
    // The chroot's own suite checks the chroot's gluster dirs; this checks
    // the host's, which a process that left the chroot would write (a
    // setns into a mount namespace made inside it resets the root to the
    // host's /).
    let host_dirs = crate::host_dirs::watch();
    let started = Instant::now();
    let root = cache::unpack(suite)?;
    let r = root.path().to_path_buf();
    // The overlays' upper dirs sit beside the root, under the target dir.
    let upper = tempfile::tempdir_in(crate::chroot::dir()?)?;
    stage_kit(&r, suite)?;
    let hidden = hide_installed_tools(&cargo_home, &upper.path().join("cargo/up"))?;
    if !hidden.is_empty() {
        eprintln!(
            "    hidden in the chroot's ~/.cargo (a new machine lacks them): {}",
            hidden.join(", ")
        );
    }
    let mounts = mounts(&shared, cargo_home, rustup_home, upper.path());
    let mut env = ns::base_env("/root", "/root/.cargo/bin:");
    env.push(("CARGO_HOME".into(), "/root/.cargo".into()));
    env.push(("RUSTUP_HOME".into(), "/root/.rustup".into()));
    let kept = || {
        eprintln!(
            "    kept: {} and {}",
            root.path().display(),
            upper.path().display()
        )
    };
    let mut times = Vec::new();
    for (name, line, forbidden) in &steps(whole_suite) {
        eprintln!("==> fresh ({suite}): {line}");
        let t = Instant::now();
        let result = step(&r, &mounts, &env, &in_kit(line), *forbidden);
        let secs = t.elapsed().as_secs_f64();
        if let Err(e) = result {
            if keep {
                kept();
            }
            // A failed run may have written the host too: say so as well.
            let host = match host_dirs.check() {
                Ok(()) => String::new(),
                Err(h) => format!("; it also changed the host's own gluster dirs: {h}"),
            };
            if keep {
                let _ = (root.keep(), upper.keep());
            }
            return Err(e.context(format!(
                "fresh: `{line}` failed after {secs:.0} s on a fresh {suite}{host}"
            )));
        }
        eprintln!("    {name}: {secs:.0} s");
        times.push((*name, secs));
    }
    if let Err(e) = host_dirs.check() {
        bail!("fresh: the run in the {suite} chroot changed the host's own gluster dirs: {e}");
    }
    println!("fresh {suite}: the README's commands passed from nothing but Rust, and the host's gluster dirs are unchanged");
    for (name, secs) in &times {
        println!("  {name:<22} {secs:>6.0} s");
    }
    println!(
        "  {:<22} {:>6.0} s (chroot unpack and clone included)",
        "total",
        started.elapsed().as_secs_f64()
    );
    if keep {
        kept();
        let _ = (root.keep(), upper.keep());
    }
    Ok(())
}

/// A clone of this kit's HEAD at KIT in the chroot at `r`, the machine's
/// set-up files, and the shared repository extracted where the build
/// step reads it (REPO).
fn stage_kit(r: &std::path::Path, suite: &str) -> Result<()> {
    let kit = r.join(KIT.trim_start_matches('/'));
    let head = {
        let repo = git::open(&crate::paths::root(), "this kit's checkout")?;
        let id = git::rev::commit(&repo, "HEAD")?.id().to_string();
        id[..10].to_string()
    };
    eprintln!("==> fresh: cloning this kit's HEAD {head} into the {suite} chroot (uncommitted changes are not in it)");
    git::cli::clone(&crate::paths::root(), &kit, &["--no-hardlinks"]).context("cloning the kit")?;
    cache::copy_machine_setup(r)?;
    let src = r.join("src");
    std::fs::create_dir_all(&src)?;
    let tar =
        crate::shared::shared_tar().context("../shared/glusterfs is not beside the project")?;
    crate::shared::extract(&tar, &src)?;
    Ok(())
}

/// ../shared read-only at /work/shared, and the host's Rust toolchain as
/// overlays whose writes land in `upper`.
fn mounts(
    shared: &std::path::Path,
    cargo_home: PathBuf,
    rustup_home: PathBuf,
    upper: &std::path::Path,
) -> [Mount; 3] {
    [
        Mount::Bind {
            host: shared
                .parent()
                .expect("shared/glusterfs has a parent")
                .to_path_buf(),
            at: "/work/shared".into(),
            writable: false,
        },
        Mount::Overlay {
            lower: cargo_home,
            upper: upper.join("cargo"),
            at: "/root/.cargo".into(),
        },
        Mount::Overlay {
            lower: rustup_home,
            upper: upper.join("rustup"),
            at: "/root/.rustup".into(),
        },
    ]
}

/// A command line run in the chroot's clone of the kit.
fn in_kit(line: &str) -> Vec<String> {
    ["sh", "-c", &format!("cd {KIT} && {line}")]
        .map(String::from)
        .to_vec()
}

/// (step, command line, a line the step must not print): the demo skips
/// its stall and rescue where namespaces cannot be made, and a skip would
/// prove nothing.
fn steps(whole_suite: bool) -> [(&'static str, String, Option<&'static str>); 3] {
    let prereq = (
        "Rust's prerequisite",
        format!("apt-get update -qq && {RUST_PREREQS} -y -qq --no-install-recommends"),
        None,
    );
    let demo = (
        "cargo xtask demo",
        "cargo xtask demo".to_string(),
        Some("(skipped"),
    );
    if whole_suite {
        // .ci/run first, as CI runs it on a new machine (CI=true, no
        // standard input, nothing installed before it), so its time is
        // CI's; the demo after it.
        let suite = (
            "cargo xtask test",
            "CI=true bash .ci/run < /dev/null".to_string(),
            None,
        );
        [prereq, suite, demo]
    } else {
        let build = (
            "cargo xtask build",
            format!("cargo xtask build v3.12.15 --repo {REPO} --prefix /opt/glusterfs --jobs 2"),
            None,
        );
        [prereq, demo, build]
    }
}

/// Runs one step, its output shown on stderr as it comes; fails on a
/// non-zero exit or when a line of its stdout starts with `forbidden`.
fn step(
    root: &std::path::Path,
    mounts: &[Mount],
    env: &[(String, String)],
    argv: &[String],
    forbidden: Option<&str>,
) -> Result<()> {
    use std::io::BufRead;
    let reader = ns::command(root, mounts, env, argv).unchecked().reader()?;
    let mut seen = None;
    for line in std::io::BufReader::new(&reader).lines() {
        let line = line?;
        eprintln!("{line}");
        if forbidden.is_some_and(|f| line.trim_start().starts_with(f)) {
            seen = Some(line);
        }
    }
    let status = reader
        .try_wait()?
        .map(|o| o.status)
        .context("the step's output ended before it did")?;
    if !status.success() {
        bail!("it exited with {status}");
    }
    if let Some(line) = seen {
        bail!("it printed `{}`: that part did not run", line.trim());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};

    #[test]
    fn cargo_installed_programs_become_whiteouts_and_no_name_leaves_bin() {
        if !crate::host::is_root() {
            eprintln!("SKIPPED whiteouts: mknod of a character device needs root");
            return;
        }
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("cargo");
        std::fs::create_dir_all(home.join("bin")).unwrap();
        std::fs::write(
            home.join(".crates.toml"),
            "[v1]\n\"cargo-deb 3.8.0 (registry)\" = [\"cargo-deb\"]\n\
             \"evil 1.0.0 (registry)\" = [\"../../escape\", \"..\", \"two\", \"cargo-deb\"]\n",
        )
        .unwrap();
        let up = t.path().join("up");
        let hidden = hide_installed_tools(&home, &up).unwrap();
        assert_eq!(hidden, ["cargo-deb", "two"]);
        for w in ["bin/cargo-deb", "bin/two", ".crates.toml", ".crates2.json"] {
            let m = std::fs::symlink_metadata(up.join(w)).unwrap();
            assert!(m.file_type().is_char_device() && m.rdev() == 0, "{w}");
        }
        assert!(!t.path().join("escape").exists());
        assert_eq!(std::fs::read_dir(up.join("bin")).unwrap().count(), 2);
        // A cargo home where nothing was installed hides nothing.
        let bare = t.path().join("bare");
        std::fs::create_dir(&bare).unwrap();
        assert!(hide_installed_tools(&bare, &t.path().join("up2"))
            .unwrap()
            .is_empty());
    }
}
