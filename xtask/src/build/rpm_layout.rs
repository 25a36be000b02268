//! A revision built as an operator's 3.x host has it: configured as
//! glusterfs.spec's `%configure` configures it on EL7 (`/usr`, `/usr/sbin`,
//! `/usr/lib64`, `/usr/libexec`, `/etc`, `/var`), with the spec's EL7
//! options, and installed with `DESTDIR` into a root of its own, as
//! rpmbuild's `%install` does. So glfsheal is `/usr/sbin/glfsheal`, the
//! state is in `/var/lib/glusterd` and the socket is
//! `/var/run/glusterd.socket`: the paths the seed's `ps` shows, which no
//! `--prefix` build has.
//!
//! The configure names the host's own system paths, so `make install`
//! runs with `/usr`, `/etc`, `/var`, `/run` and `/opt` read-only in its step's
//! mount namespace: a rule that ignored `DESTDIR` fails the install rather
//! than writing the host's files. Each build is kept under the target dir
//! by commit and configure line, and reused while both are the same.

use super::{compat, deps, export, make};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `%configure` on EL7 x86_64 (redhat-rpm-config's macro, its paths), then
/// the options glusterfs.spec gives there: firewalld's service file (which
/// configure skips where firewalld is absent) and systemd's tmpfiles dir.
pub const CONFIGURE: &[&str] = &[
    "--prefix=/usr",
    "--exec-prefix=/usr",
    "--bindir=/usr/bin",
    "--sbindir=/usr/sbin",
    "--sysconfdir=/etc",
    "--datadir=/usr/share",
    "--includedir=/usr/include",
    "--libdir=/usr/lib64",
    "--libexecdir=/usr/libexec",
    "--localstatedir=/var",
    "--sharedstatedir=/var/lib",
    "--mandir=/usr/share/man",
    "--infodir=/usr/share/info",
    "--enable-firewalld",
    "--with-tmpfilesdir=/usr/lib/tmpfiles.d",
];

/// The host paths a configure for the system layout names, read-only for
/// `make install`: /run too, since /var/run is a link to it.
const PROTECTED: [&str; 5] = ["/usr", "/etc", "/var", "/run", "/opt"];

/// What one build holds: read back to decide whether it can be reused.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Stamp {
    pub commit: String,
    pub describe: String,
    pub configure: Vec<String>,
    pub seconds: f64,
}

/// A build in the RPM layout: `root` holds `usr/`, `etc/`, `var/` as the
/// packages would install them.
#[derive(Debug, Clone)]
pub struct Built {
    pub root: PathBuf,
    pub stamp: Stamp,
    pub reused: bool,
}

/// `TARGET_DIR/rpm-layout/COMMIT10`: the install root and its stamp.
fn dir_for(commit: &str) -> Result<PathBuf> {
    Ok(crate::paths::target_dir()?
        .join("rpm-layout")
        .join(&commit[..10]))
}

/// Builds `rev` of `repo` in the RPM layout (or reuses the build of the
/// same commit and configure line) with `make -jJOBS`.
pub fn build(repo: &Path, rev: &str, jobs: usize) -> Result<Built> {
    let source = export::resolve(repo, rev)?;
    let dir = dir_for(&source.commit)?;
    let root = dir.join("root");
    let stamp_path = dir.join("stamp.json");
    if let Some(stamp) = read_stamp(&stamp_path) {
        if stamp.commit == source.commit && root.join("usr/sbin/glfsheal").is_file() {
            eprintln!(
                "==> {rev} in the RPM layout: reusing {} (built in {:.0} s)",
                root.display(),
                stamp.seconds
            );
            return Ok(Built {
                root,
                stamp,
                reused: true,
            });
        }
    }
    deps::ensure()?;
    let start = Instant::now();
    eprintln!(
        "==> {rev} ({}) in the RPM layout: configure {}",
        &source.commit[..10],
        CONFIGURE.join(" ")
    );
    crate::paths::remove_dir_all_if_present(&dir)
        .with_context(|| format!("removing the earlier build {}", dir.display()))?;
    let work = dir.join("work");
    std::fs::create_dir_all(&work)?;
    let src = work.join("src");
    export::write(repo, &source, &src)?;
    let toolchain = compat::Toolchain::detect()?;
    let plan = compat::plan(&src, &toolchain, &source.describe)?;
    compat::apply(&plan, &src)?;
    let configure = configure_line(&plan.configure_args);
    for item in &plan.items {
        eprintln!("    compat: {item}");
    }
    let env = make::Env::new(&src, &plan);
    let mut steps = make::Steps::new(&work.join("build.log"))?;
    steps.run("autogen", &src, &env, &["./autogen.sh"])?;
    steps.run("configure", &src, &env, &configure)?;
    if !make::events_on(&src, steps.log())? {
        bail!(
            "configure turned events off for {rev}; the RPM layout is for a build with events, \
             as EL7's packages have them: see {}",
            steps.log().display()
        );
    }
    steps.run("make", &src, &env, &["make", &format!("-j{jobs}")])?;
    let staging = dir.join("root.part");
    install_protected(&mut steps, &src, &env, &staging)?;
    std::fs::rename(&staging, &root)?;
    let stamp = Stamp {
        commit: source.commit.clone(),
        describe: source.describe.clone(),
        configure,
        seconds: start.elapsed().as_secs_f64(),
    };
    std::fs::write(&stamp_path, serde_json::to_string_pretty(&stamp)?)?;
    // The tree is large and a later build exports afresh; ccache keeps
    // what makes the next one fast.
    crate::paths::remove_dir_all_if_present(&src)?;
    eprintln!(
        "    {rev} in the RPM layout: {} in {:.0} s",
        root.display(),
        stamp.seconds
    );
    Ok(Built {
        root,
        stamp,
        reused: false,
    })
}

/// configure with the RPM layout: compat's own arguments, less the two
/// that move mount.glusterfs and the init script into a prefix (here the
/// install root is the prefix, and the spec keeps configure's paths).
fn configure_line(compat_args: &[String]) -> Vec<String> {
    let mut line = vec!["./configure".to_string()];
    line.extend(CONFIGURE.iter().map(|s| s.to_string()));
    line.extend(
        compat_args
            .iter()
            .filter(|a| !a.starts_with("--with-mountutildir=") && !a.starts_with("--with-initdir="))
            .cloned(),
    );
    line
}

/// `make install DESTDIR=staging` with the host's system dirs read-only,
/// except one that holds the staging dir or the tree (a target dir under
/// /var, say), which is said.
fn install_protected(
    steps: &mut make::Steps,
    src: &Path,
    env: &make::Env,
    staging: &Path,
) -> Result<()> {
    let (ro, open): (Vec<&Path>, Vec<&Path>) = PROTECTED
        .iter()
        .map(Path::new)
        .filter(|p| p.is_dir())
        .partition(|p| !staging.starts_with(p) && !src.starts_with(p));
    for p in &open {
        eprintln!(
            "    note: {} holds the build, so make install may write there",
            p.display()
        );
    }
    fn with_all(
        steps: &mut make::Steps,
        ro: &[&Path],
        f: &mut dyn FnMut(&mut make::Steps) -> Result<f64>,
    ) -> Result<f64> {
        match ro.split_first() {
            None => f(steps),
            Some((first, rest)) => steps.with_read_only(first, |s| with_all(s, rest, f)),
        }
    }
    let result = with_all(steps, &ro, &mut |s| s.install(src, env, Some(staging)));
    if let Err(e) = result {
        let _ = crate::paths::remove_dir_all_if_present(staging);
        return Err(e).context("installing into the RPM layout's root");
    }
    Ok(())
}

fn read_stamp(path: &Path) -> Option<Stamp> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::configure_line;

    #[test]
    fn the_configure_line_keeps_the_spec_paths_and_drops_the_prefix_moves() {
        let line = configure_line(&[
            "--with-mountutildir=${prefix}/sbin".into(),
            "--with-initdir=${prefix}/etc/init.d".into(),
            "--disable-georeplication".into(),
        ]);
        assert!(line.contains(&"--sbindir=/usr/sbin".to_string()));
        assert!(line.contains(&"--localstatedir=/var".to_string()));
        assert!(line.contains(&"--disable-georeplication".to_string()));
        assert!(!line.iter().any(|a| a.starts_with("--with-mountutildir")));
        assert!(!line.iter().any(|a| a.starts_with("--with-initdir")));
    }
}
