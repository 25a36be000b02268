//! Runs a command inside an unpacked chroot, in a private mount and PID
//! namespace made by util-linux's `unshare`: /proc, /sys, a private /dev
//! (a tmpfs with the usual nodes bound in, its own devpts and /dev/shm),
//! the host's resolv.conf (read-only, for apt) and the caller's binds and
//! overlays are mounted inside that namespace only. They vanish with its
//! last process, so nothing is left on the host's mount table, however the
//! run ends, and nothing from the host is writable unless the caller asks.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// What to mount inside the chroot, at an absolute path of the chroot.
pub enum Mount {
    /// The host's `host` at `at`; read-only unless `writable`.
    Bind {
        host: PathBuf,
        at: String,
        writable: bool,
    },
    /// `lower` (a host dir, never written) with writes going to `upper`, a
    /// dir under the target dir: a toolchain the chroot may add to (cargo's
    /// registry cache, rustup's lock files) while the host's stays as it was.
    Overlay {
        lower: PathBuf,
        upper: PathBuf,
        at: String,
    },
}

/// How this machine reaches the package registries (its CA bundle, pip's
/// options, a proxy): set on every machine of the workplace before any
/// project runs, so a fresh machine has them too, and the chroot gets them.
const MACHINE_VARS: &[&str] = &[
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "PIP_CERT",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_DEFAULT_TIMEOUT",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
];

/// The environment inside: these and `MACHINE_VARS`, so nothing else of
/// the host's (its PATH, cargo's or the kit's variables) leaks in.
pub fn base_env(home: &str, path_prefix: &str) -> Vec<(String, String)> {
    let machine = MACHINE_VARS
        .iter()
        .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?)));
    let mut env = vec![
        (
            "PATH".into(),
            format!("{path_prefix}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        ),
        ("HOME".into(), home.into()),
        ("LANG".into(), "C.UTF-8".into()),
        (
            "TERM".into(),
            std::env::var("TERM").unwrap_or_else(|_| "dumb".into()),
        ),
        ("DEBIAN_FRONTEND".into(), "noninteractive".into()),
    ];
    env.extend(machine);
    env
}

fn q(s: &str) -> String {
    shlex::try_quote(s)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| s.replace('\0', ""))
}

/// The mount script run as PID 1 of the new namespaces, before `chroot`.
/// debootstrap leaves /etc/hosts to the installer (or Docker), and every
/// machine the kit runs on has one, so the chroot gets the installer's.
/// The root is bound onto itself first so that `/` inside is a mount
/// point: `unshare -m` inside (the demo's and verify's clusters) sets `/`'s
/// propagation, which fails with EINVAL on a plain directory.
fn script(root: &Path, mounts: &[Mount]) -> String {
    let r = q(&root.display().to_string());
    let mut s = format!(
        "set -e\nR={r}\n\
         mount --bind \"$R\" \"$R\"\n\
         mount -t proc proc \"$R/proc\"\n\
         mount -t sysfs -o ro sysfs \"$R/sys\"\n\
         mount -t tmpfs -o mode=755,size=16m tmpfs \"$R/dev\"\n\
         for n in null zero full random urandom tty; do touch \"$R/dev/$n\"; mount --bind \"/dev/$n\" \"$R/dev/$n\"; done\n\
         if [ -c /dev/fuse ]; then touch \"$R/dev/fuse\"; mount --bind /dev/fuse \"$R/dev/fuse\"; fi\n\
         mkdir \"$R/dev/pts\" \"$R/dev/shm\"\n\
         mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts \"$R/dev/pts\"\n\
         ln -s pts/ptmx \"$R/dev/ptmx\"\n\
         ln -s /proc/self/fd \"$R/dev/fd\"\n\
         for i in 0:stdin 1:stdout 2:stderr; do ln -s \"/proc/self/fd/${{i%%:*}}\" \"$R/dev/${{i#*:}}\"; done\n\
         mount -t tmpfs tmpfs \"$R/dev/shm\"\n\
         rm -f \"$R/etc/resolv.conf\"; touch \"$R/etc/resolv.conf\"\n\
         mount --bind -o ro /etc/resolv.conf \"$R/etc/resolv.conf\"\n\
         [ -e \"$R/etc/hosts\" ] || printf '127.0.0.1\\tlocalhost\\n::1\\tlocalhost ip6-localhost ip6-loopback\\n' > \"$R/etc/hosts\"\n"
    );
    for m in mounts {
        match m {
            Mount::Bind { host, at, writable } => {
                let h = q(&host.display().to_string());
                let at = q(at);
                let make = if host.is_dir() { "mkdir -p" } else { "touch" };
                if !host.is_dir() {
                    s += &format!("mkdir -p \"$(dirname \"$R\"{at})\"\n");
                }
                s += &format!(
                    "{make} \"$R\"{at}\nmount --bind -o {} {h} \"$R\"{at}\n",
                    if *writable { "rw" } else { "ro" }
                );
            }
            Mount::Overlay { lower, upper, at } => {
                let (u, w) = (upper.join("up"), upper.join("work"));
                s += &format!(
                    "mkdir -p {u} {w} \"$R\"{at}\n\
                     mount -t overlay overlay -o lowerdir={l},upperdir={u},workdir={w} \"$R\"{at}\n",
                    u = q(&u.display().to_string()),
                    w = q(&w.display().to_string()),
                    l = q(&lower.display().to_string()),
                    at = q(at),
                );
            }
        }
    }
    s + "exec chroot \"$R\" \"$@\"\n"
}

/// The `unshare` command for `argv` in `root` (not yet run): its stdout
/// and stderr are the caller's to direct.
pub fn command(
    root: &Path,
    mounts: &[Mount],
    env: &[(String, String)],
    argv: &[String],
) -> duct::Expression {
    let mut args: Vec<String> = [
        "--mount",
        "--propagation",
        "private",
        "--pid",
        "--fork",
        "--kill-child",
        "--ipc",
        "--uts",
        "sh",
        "-c",
    ]
    .map(String::from)
    .to_vec();
    args.push(script(root, mounts));
    args.push("chroot-run".into());
    args.extend(argv.iter().cloned());
    duct::cmd("unshare", &args)
        .before_spawn(|cmd| {
            die_with_parent::die_with_parent(cmd);
            Ok(())
        })
        // The host's mount and chroot are found through this PATH too: its
        // system dirs are the same names.
        .full_env(env.iter().cloned())
        .stdin_null()
}

/// Runs `argv` in `root` and fails, naming `what`, if it exits non-zero.
pub fn run(
    root: &Path,
    mounts: &[Mount],
    env: &[(String, String)],
    argv: &[String],
    what: &str,
) -> Result<()> {
    let out = command(root, mounts, env, argv)
        .stdout_to_stderr()
        .unchecked()
        .run()
        .with_context(|| format!("starting {what} in the chroot {}", root.display()))?;
    if !out.status.success() {
        bail!(
            "{what} in the chroot {} exited with {}",
            root.display(),
            out.status
        );
    }
    Ok(())
}

/// The mount points under `dir` on this process's mount table: empty after
/// every run, since the namespace took its mounts with it.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    table
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(PathBuf::from)
        .filter(|p| p.starts_with(dir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A root of the host's own /usr, bound read-only, with the merged-/usr
    /// links: enough for sh, mount and unshare, with no debootstrap.
    fn usr_root() -> Option<(tempfile::TempDir, Vec<Mount>)> {
        let usr_merged = ["bin", "lib", "lib64", "sbin"]
            .iter()
            .all(|d| std::fs::read_link(Path::new("/").join(d)).is_ok());
        if !crate::host::is_root() || !usr_merged {
            eprintln!("SKIPPED ns tests: need root and a merged-/usr host");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        for d in ["proc", "sys", "dev", "etc", "tmp"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        for d in ["bin", "lib", "lib64", "sbin"] {
            std::os::unix::fs::symlink(format!("usr/{d}"), dir.path().join(d)).unwrap();
        }
        let usr = Mount::Bind {
            host: "/usr".into(),
            at: "/usr".into(),
            writable: false,
        };
        Some((dir, vec![usr]))
    }

    #[test]
    fn mounts_live_only_in_the_namespace_and_host_dirs_stay_unwritten() {
        let Some((root, mounts)) = usr_root() else {
            return;
        };
        let marker = format!("glk-ns-test-{}", std::process::id());
        let script = format!(
            "test -c /dev/null && test -e /proc/self/stat && test -e /etc/resolv.conf \
             && ! touch /usr/{marker} 2>/dev/null \
             && echo hi > /dev/shm/{marker} \
             && unshare -m -n true && echo inside-ok"
        );
        let argv = ["sh", "-c", &script].map(String::from);
        let out = command(root.path(), &mounts, &base_env("/root", ""), &argv)
            .stdout_capture()
            .read()
            .unwrap();
        // `unshare -m` inside needs `/` to be a mount point (the self-bind).
        assert_eq!(out.trim(), "inside-ok");
        assert!(mounts_under(root.path()).is_empty());
        assert!(!Path::new("/dev/shm").join(&marker).exists());
        assert!(!Path::new("/usr").join(&marker).exists());
        for d in ["proc", "sys", "dev", "usr"] {
            let left = std::fs::read_dir(root.path().join(d)).unwrap().count();
            assert_eq!(left, 0, "{d} holds files on the host side");
        }
    }

    #[test]
    fn a_failing_command_fails_and_still_leaves_no_mount() {
        let Some((root, mounts)) = usr_root() else {
            return;
        };
        let argv = ["sh", "-c", "exit 7"].map(String::from);
        let e = run(
            root.path(),
            &mounts,
            &base_env("/root", ""),
            &argv,
            "exit 7",
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("exit 7 in the chroot"), "{e:#}");
        assert!(mounts_under(root.path()).is_empty());
    }
}
