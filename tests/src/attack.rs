//! The attacks a local user would make on libgfresolv.so once it is in
//! /etc/ld.so.preload, shared by the shim's attack tests (host glibc) and
//! the glibc 2.17 tests (the same attacks under CentOS 7's C library): a
//! throwaway host (a copy of /etc bound over /etc in a private mount
//! namespace, so the machine's /etc is never touched), privileged copies of
//! a lookup helper run by nobody, and the checks that nothing was written.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use verify::tools::can_unshare;

pub const NOBODY: u32 = 65534;
/// The issue's name: a path, then a whole /etc/passwd line.
pub const FORGED: &str = "x/y\nroot2::0:0::/root:/bin/sh";

/// Why the privileged tests cannot run here, if they cannot.
pub fn cannot_attack() -> Option<String> {
    if let Err(why) = can_unshare() {
        return Some(why);
    }
    for prog in ["setpriv", "strace", "setcap"] {
        if xtask::paths::which(prog).is_none() {
            return Some(format!(
                "{prog} is not installed (cargo xtask test installs it as root)"
            ));
        }
    }
    None
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A temp dir nobody can reach: nobody must pass through every directory
/// above it. The suite's TMPDIR is under the target dir, which may be in a
/// home only its owner can enter (/root is 0700); then /tmp.
pub fn reachable_tempdir() -> tempfile::TempDir {
    let tmp = std::env::temp_dir();
    let reachable = tmp.canonicalize().is_ok_and(|t| {
        t.ancestors()
            .all(|d| std::fs::metadata(d).is_ok_and(|m| m.mode() & 0o001 != 0))
    });
    if reachable {
        tempfile::tempdir()
    } else {
        tempfile::tempdir_in("/tmp")
    }
    .unwrap()
}

/// A throwaway host: a copy of /etc (with ld.so.preload naming the shim,
/// when asked), the shim, helper programs and an output directory only root
/// may write to, all in a directory every user can read.
pub struct Host {
    dir: tempfile::TempDir,
    /// The program `helper` copies.
    lookup: PathBuf,
    /// Whether runs get a network namespace of their own too (only
    /// loopback, down): a resolver that sends a name to DNS fails at once
    /// there instead of asking the machine's nameserver.
    pub no_network: bool,
}

impl Host {
    /// With `shim` as the host's libgfresolv.so (in ld.so.preload when
    /// `preload`) and `lookup` as the program helpers are copies of.
    pub fn new(preload: bool, shim: &Path, lookup: &Path) -> Host {
        let dir = reachable_tempdir();
        let h = Host {
            dir,
            lookup: lookup.to_path_buf(),
            no_network: false,
        };
        std::fs::set_permissions(h.p(""), std::fs::Permissions::from_mode(0o755)).unwrap();
        let st = Command::new("cp")
            .args(["-a", "/etc"])
            .arg(h.p("etc"))
            .status()
            .unwrap();
        assert!(st.success(), "copying /etc");
        let _ = std::fs::remove_file(h.p("etc/gfresolv.conf"));
        for d in ["bin", "out", "lib"] {
            std::fs::create_dir(h.p(d)).unwrap();
            std::fs::set_permissions(h.p(d), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::copy(shim, h.p("lib/libgfresolv.so")).unwrap();
        if preload {
            std::fs::write(
                h.p("etc/ld.so.preload"),
                format!("{}\n", h.p("lib/libgfresolv.so").display()),
            )
            .unwrap();
        } else {
            let _ = std::fs::remove_file(h.p("etc/ld.so.preload"));
        }
        h
    }

    pub fn p(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// A copy of the lookup helper, root-owned, with `mode`.
    pub fn helper(&self, name: &str, mode: u32) -> PathBuf {
        let p = self.p(&format!("bin/{name}"));
        std::fs::copy(&self.lookup, &p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    /// Runs `argv` in a private mount namespace with the copy over /etc.
    pub fn run(&self, argv: &[&str], env: &[(&str, &str)]) -> Output {
        let script = format!(
            "mount --bind {} /etc && exec \"$@\"",
            self.p("etc").display()
        );
        let mut cmd = Command::new("unshare");
        cmd.arg("-m");
        if self.no_network {
            cmd.arg("-n");
        }
        cmd.args(["bash", "-c", &script, "bash"]).args(argv);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("running unshare")
    }

    /// Runs `program NAME` as nobody (setpriv keeps the environment).
    pub fn as_nobody(&self, program: &Path, name: &str, env: &[(&str, &str)]) -> Output {
        let (uid, gid) = (format!("--reuid={NOBODY}"), format!("--regid={NOBODY}"));
        let p = program.to_str().unwrap();
        self.run(&["setpriv", &uid, &gid, "--clear-groups", p, name], env)
    }

    /// The same under strace (as root, `-u nobody` keeps setuid and file
    /// capabilities working): every open, write and send the process made.
    pub fn traced(&self, program: &Path, name: &str, env: &[(&str, &str)]) -> String {
        let trace = self.p("trace");
        let (t, p) = (trace.to_str().unwrap(), program.to_str().unwrap());
        let out = self.run(
            &[
                "strace",
                "-f",
                "-qq",
                "-u",
                "nobody",
                "-e",
                "trace=open,openat,openat2,creat,write,writev,pwrite64,pwritev,pwritev2,sendto,sendmsg,mknodat,linkat,symlinkat,renameat,renameat2",
                "-o",
                t,
                p,
                name,
            ],
            env,
        );
        assert!(
            out.status.code().is_some_and(|c| c < 2),
            "strace: {}",
            text(&out.stderr)
        );
        std::fs::read_to_string(&trace).unwrap()
    }
}

/// The environment of the issue's attack, pointing the log at `target`.
pub fn attack_env(target: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("GFRESOLV_LOG", target.display().to_string()),
        ("GFRESOLV_ONLY", "lookup,lookup-cap,lookup-plain".into()),
        ("GFRESOLV_MODE", "loopback".into()),
    ]
}

pub fn refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// No write and no open for writing, nor a look at the config file.
pub fn assert_wrote_nothing(trace: &str, what: &str) {
    for line in trace.lines() {
        let opens = line.contains("open") || line.contains("creat(");
        let writes_file = ["O_WRONLY", "O_RDWR", "O_CREAT"]
            .iter()
            .any(|f| line.contains(f));
        assert!(
            !(opens && writes_file),
            "{what}: opened for writing: {line}"
        );
        assert!(
            !line.contains("gfresolv.conf"),
            "{what}: looked at the config file: {line}"
        );
        for call in ["write(", "writev(", "pwrite", "sendto(", "sendmsg("] {
            assert!(
                !line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .starts_with(call),
                "{what}: {line}"
            );
        }
    }
}

/// A valid root-owned config that would log somewhere, to show privileged
/// processes do not even read it.
pub fn root_config(h: &Host) {
    std::fs::write(
        h.p("etc/gfresolv.conf"),
        format!(
            "mode = loopback\nlog = {}\n",
            h.p("out/from-config.log").display()
        ),
    )
    .unwrap();
}

/// Before the privileged runs: the same helper, not privileged, as nobody,
/// logging where nobody may write. This proves the shim is loaded and acts
/// through ld.so.preload in this setup, so "no file" below means something.
pub fn control_run(h: &Host) {
    let mine = h.p("nobody");
    std::fs::create_dir(&mine).unwrap();
    std::os::unix::fs::chown(&mine, Some(NOBODY), Some(NOBODY)).unwrap();
    let plain = h.helper("lookup-plain", 0o755);
    let log = mine.join("log");
    let env = attack_env(&log);
    let out = h.as_nobody(&plain, FORGED, &refs(&env));
    assert_eq!(
        out.status.code(),
        Some(0),
        "loopback answer: {}",
        text(&out.stderr)
    );
    let line = std::fs::read_to_string(&log).expect("the unprivileged control run logs");
    assert_eq!(line.lines().count(), 1, "{line:?}");
    assert!(
        line.contains(r#"getaddrinfo("x/y\x0aroot2::0:0::/root:/bin/sh") answered at once"#),
        "{line:?}"
    );
    assert_eq!(std::fs::metadata(&log).unwrap().mode() & 0o777, 0o600);
}

pub fn privileged_helper_writes_nothing(h: &Host, helper: &Path) {
    let created = h.p("out/created");
    let existing = h.p("out/existing");
    std::fs::write(&existing, "").unwrap();
    for target in [&created, &existing] {
        let env = attack_env(target);
        let out = h.as_nobody(helper, FORGED, &refs(&env));
        // Passed through: this glibc refuses the name like any unknown one.
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
        let trace = h.traced(helper, FORGED, &refs(&env));
        assert_wrote_nothing(&trace, &helper.display().to_string());
    }
    assert!(!created.exists(), "{} appeared", created.display());
    assert_eq!(std::fs::read(&existing).unwrap(), b"", "bytes appended");
    assert!(!h.p("out/from-config.log").exists());
    let left: Vec<_> = std::fs::read_dir(h.p("out"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("existing")]);
}
