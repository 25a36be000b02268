//! Finding glfsheal and the build it belongs to: `--glfsheal`, then
//! `--prefix` (an installed build tree), then `$GLFSHEAL`, then the
//! distribution paths. The build tells the version (so the XML flag) and
//! where glfsheal writes its log.

use crate::version::Version;
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

/// Where distributions install glfsheal. 8.0 moved it from sbin to the
/// libexec directory (63386b5e41); before that `sbin_PROGRAMS = glfsheal`
/// and the spec shipped `%{_sbindir}/glfsheal`, so a stock 3.12 RPM host
/// has only /usr/sbin/glfsheal. The libexec paths come first: a host that
/// upgraded past 8.0 runs the new one, and 3.12 never installed those.
pub const DISTRO_PATHS: [&str; 4] = [
    "/usr/libexec/glusterfs/glfsheal",
    "/usr/lib/x86_64-linux-gnu/glusterfs/glfsheal",
    "/usr/lib64/glusterfs/glfsheal",
    "/usr/sbin/glfsheal",
];

#[derive(Debug, Clone)]
pub struct Build {
    pub glfsheal: PathBuf,
    /// The build's `glusterfs` binary, for its version.
    pub glusterfs: Option<PathBuf>,
    /// Where glfsheal writes `glfsheal-VOL.log`.
    pub log_dir: PathBuf,
    /// The unix socket glfsheal fetches its volfile from.
    pub socket: PathBuf,
    /// The build's CLI, to ask glusterd which volumes there are (`--all`).
    pub gluster: PathBuf,
}

fn under_prefix(prefix: &Path) -> Vec<PathBuf> {
    [
        "libexec/glusterfs/glfsheal",
        "lib/x86_64-linux-gnu/glusterfs/glfsheal",
        "lib64/glusterfs/glfsheal",
        "lib/glusterfs/glfsheal",
        "sbin/glfsheal",
    ]
    .iter()
    .map(|p| prefix.join(p))
    .collect()
}

pub fn find(glfsheal: Option<&Path>, prefix: Option<&Path>) -> Result<Build> {
    let env = std::env::var_os("GLFSHEAL").map(PathBuf::from);
    find_in(Path::new("/"), env, glfsheal, prefix)
}

/// `find` with the distribution paths (glfsheal, glusterfs, gluster) read
/// under `root`, and `$GLFSHEAL` given: tests point `root` at a temp dir
/// instead of the host's /usr.
pub fn find_in(
    root: &Path,
    env: Option<PathBuf>,
    glfsheal: Option<&Path>,
    prefix: Option<&Path>,
) -> Result<Build> {
    let mut tried: Vec<PathBuf> = Vec::new();
    let pick = |candidates: Vec<PathBuf>, tried: &mut Vec<PathBuf>| -> Option<PathBuf> {
        for c in candidates {
            if c.is_file() {
                return Some(c);
            }
            tried.push(c);
        }
        None
    };
    if let Some(g) = glfsheal {
        if let Some(p) = pick(vec![g.to_path_buf()], &mut tried) {
            return Ok(build_for(p, None, root));
        }
    } else if let Some(prefix) = prefix {
        if let Some(p) = pick(under_prefix(prefix), &mut tried) {
            return Ok(build_for(p, Some(prefix), root));
        }
    } else {
        if let Some(p) = pick(env.into_iter().collect(), &mut tried) {
            return Ok(build_for(p, None, root));
        }
        if let Some(p) = pick(under_root(root, &DISTRO_PATHS), &mut tried) {
            return Ok(build_for(p, None, root));
        }
    }
    bail!(
        "no glfsheal found; tried {}. Pass --glfsheal PATH or --prefix DIR (an installed build), or install glusterfs-server",
        tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )
}

/// The absolute `paths` as seen from `root`.
fn under_root(root: &Path, paths: &[&str]) -> Vec<PathBuf> {
    paths
        .iter()
        .map(|p| root.join(p.trim_start_matches('/')))
        .collect()
}

fn build_for(glfsheal: PathBuf, prefix: Option<&Path>, root: &Path) -> Build {
    match prefix {
        // A build configured with --prefix=PREFIX keeps its state under PREFIX/var.
        Some(p) => Build {
            glusterfs: Some(p.join("sbin/glusterfs")).filter(|g| g.is_file()),
            log_dir: p.join("var/log/glusterfs"),
            socket: p.join("var/run/glusterd.socket"),
            gluster: p.join("sbin/gluster"),
            glfsheal,
        },
        None => Build {
            glusterfs: system_glusterfs_in(root),
            log_dir: PathBuf::from("/var/log/glusterfs"),
            socket: PathBuf::from("/var/run/glusterd.socket"),
            gluster: under_root(root, &["/usr/sbin/gluster", "/usr/bin/gluster"])
                .into_iter()
                .find(|p| p.is_file())
                // Named in the error when it is missing.
                .unwrap_or_else(|| root.join("usr/sbin/gluster")),
            glfsheal,
        },
    }
}

/// The distribution's glusterfs binary, if installed.
pub fn system_glusterfs() -> Option<PathBuf> {
    system_glusterfs_in(Path::new("/"))
}

fn system_glusterfs_in(root: &Path) -> Option<PathBuf> {
    under_root(root, &["/usr/sbin/glusterfs", "/usr/bin/glusterfs"])
        .into_iter()
        .find(|p| p.is_file())
}

/// How long `glusterfs --version` may take: it answers at once, but a
/// binary stuck in its own startup must not hold heal-info.
const VERSION_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The version word of `glusterfs --version` ("glusterfs 10.3" gives "10.3").
pub fn version_word(glusterfs: &Path) -> Option<String> {
    crate::deadline::output(glusterfs, &["--version"], VERSION_LIMIT)
        .ok()?
        .lines()
        .next()?
        .split_whitespace()
        .nth(1)
        .map(String::from)
}

/// The version word of the build's glusterfs, when it reads as a version
/// with at least a major and a minor number.
pub fn version(build: &Build) -> Option<String> {
    let word = version_word(build.glusterfs.as_ref()?)?;
    Version::parse(&word)?.minor?;
    Some(word)
}

/// glfsheal's XML switch: the positional word `xml` at first, `--xml` from
/// the `--nolog` change (e7dd46ae54), which is in 6.0 and was ported to
/// 4.1.7 and 5.2 (4.1.10's glfsheal prints its usage for `VOL xml`).
/// Without a version (or one with no number), `--xml`.
pub fn xml_arg(version: Option<&str>) -> &'static str {
    match version.and_then(Version::parse) {
        Some(v) if !v.glfsheal_dashed_xml() => "xml",
        _ => "--xml",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn install(root: &Path, path: &str) -> PathBuf {
        let p = root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        p
    }

    #[test]
    fn a_3_12_rpm_hosts_sbin_glfsheal_is_found() {
        let root = tempfile::tempdir().unwrap();
        let sbin = install(root.path(), "/usr/sbin/glfsheal");
        let b = find_in(root.path(), None, None, None).unwrap();
        assert_eq!(b.glfsheal, sbin);
        // An 8.0+ package installed over it runs its libexec glfsheal.
        let libexec = install(root.path(), "/usr/libexec/glusterfs/glfsheal");
        let b = find_in(root.path(), None, None, None).unwrap();
        assert_eq!(b.glfsheal, libexec);
    }

    #[test]
    fn a_hung_glusterfs_version_is_killed_at_its_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let g = dir.path().join("glusterfs");
        std::fs::write(&g, "#!/bin/sh\nexec sleep 60\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&g, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(version_word(&g)));
        let word = rx
            .recv_timeout(VERSION_LIMIT + std::time::Duration::from_secs(10))
            .expect("glusterfs --version ran with no deadline");
        assert_eq!(word, None);
    }

    #[test]
    fn no_glfsheal_names_every_distribution_path() {
        let root = tempfile::tempdir().unwrap();
        let e = find_in(root.path(), None, None, None)
            .unwrap_err()
            .to_string();
        for p in DISTRO_PATHS {
            assert!(e.contains(p), "{p}: {e}");
        }
    }

    #[test]
    fn xml_switch_follows_the_release_that_took_dashes() {
        for (version, want) in [
            ("3.12.15", "xml"),
            ("4.1.6", "xml"),
            ("4.1.7", "--xml"),
            ("4.1.10", "--xml"),
            ("5.1", "xml"),
            ("5.2", "--xml"),
            ("5.13", "--xml"),
            ("6.0", "--xml"),
            ("7.2", "--xml"),
            ("10.3", "--xml"),
        ] {
            assert_eq!(xml_arg(Some(version)), want, "{version}");
        }
        assert_eq!(xml_arg(None), "--xml");
    }
}
