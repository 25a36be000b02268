//! libgfresolv.so attacked as a local user would attack it once it is in
//! /etc/ld.so.preload: through setuid-root and file-capability programs,
//! through names that carry newlines, through symlinked, FIFO and
//! hard-linked log targets, and through a config file someone else can
//! write. Each privileged run happens in a private mount namespace over a
//! copy of /etc that holds ld.so.preload, so the machine's /etc is never
//! touched.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tests::skip;
use verify::tools::{can_unshare, probe, shim_so};

const NOBODY: u32 = 65534;
/// The issue's name: a path, then a whole /etc/passwd line.
const FORGED: &str = "x/y\nroot2::0:0::/root:/bin/sh";

fn lookup_bin() -> PathBuf {
    PathBuf::from(env!("LOOKUP_BIN"))
}

fn shim() -> PathBuf {
    let so = shim_so();
    assert!(
        so.exists(),
        "{} is missing: run cargo build --workspace",
        so.display()
    );
    so
}

/// Why the privileged tests cannot run here, if they cannot.
fn cannot_attack() -> Option<String> {
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

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A temp dir nobody can reach: nobody must pass through every directory
/// above it. The suite's TMPDIR is under the target dir, which may be in a
/// home only its owner can enter (/root is 0700); then /tmp.
fn reachable_tempdir() -> tempfile::TempDir {
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
struct Host {
    dir: tempfile::TempDir,
}

impl Host {
    fn new(preload: bool) -> Host {
        let dir = reachable_tempdir();
        let h = Host { dir };
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
        std::fs::copy(shim(), h.p("lib/libgfresolv.so")).unwrap();
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

    fn p(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// A copy of the lookup helper, root-owned, with `mode`.
    fn helper(&self, name: &str, mode: u32) -> PathBuf {
        let p = self.p(&format!("bin/{name}"));
        std::fs::copy(lookup_bin(), &p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    /// Runs `argv` in a private mount namespace with the copy over /etc.
    fn run(&self, argv: &[&str], env: &[(&str, &str)]) -> Output {
        let script = format!(
            "mount --bind {} /etc && exec \"$@\"",
            self.p("etc").display()
        );
        let mut cmd = Command::new("unshare");
        cmd.args(["-m", "bash", "-c", &script, "bash"]).args(argv);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("running unshare")
    }

    /// Runs `program NAME` as nobody (setpriv keeps the environment).
    fn as_nobody(&self, program: &Path, name: &str, env: &[(&str, &str)]) -> Output {
        let (uid, gid) = (format!("--reuid={NOBODY}"), format!("--regid={NOBODY}"));
        let p = program.to_str().unwrap();
        self.run(&["setpriv", &uid, &gid, "--clear-groups", p, name], env)
    }

    /// The same under strace (as root, `-u nobody` keeps setuid and file
    /// capabilities working): every open, write and send the process made.
    fn traced(&self, program: &Path, name: &str, env: &[(&str, &str)]) -> String {
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
fn attack_env(target: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("GFRESOLV_LOG", target.display().to_string()),
        ("GFRESOLV_ONLY", "lookup,lookup-cap,lookup-plain".into()),
        ("GFRESOLV_MODE", "loopback".into()),
    ]
}

fn refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// No write and no open for writing, nor a look at the config file.
fn assert_wrote_nothing(trace: &str, what: &str) {
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
fn root_config(h: &Host) {
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
fn control_run(h: &Host) {
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

fn privileged_helper_writes_nothing(h: &Host, helper: &Path) {
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

#[test]
fn setuid_root_helper_run_by_nobody_creates_no_file_and_writes_nothing() {
    if let Some(why) = cannot_attack() {
        return skip("setuid_root_helper_run_by_nobody", &why);
    }
    let h = Host::new(true);
    control_run(&h);
    root_config(&h);
    let suid = h.helper("lookup", 0o4755);
    privileged_helper_writes_nothing(&h, &suid);
}

#[test]
fn file_capability_helper_run_by_nobody_creates_no_file_and_writes_nothing() {
    if let Some(why) = cannot_attack() {
        return skip("file_capability_helper_run_by_nobody", &why);
    }
    let h = Host::new(true);
    root_config(&h);
    let cap = h.helper("lookup-cap", 0o755);
    let st = Command::new("setcap")
        .arg("cap_net_raw+ep")
        .arg(&cap)
        .status()
        .unwrap();
    assert!(st.success(), "setcap");
    privileged_helper_writes_nothing(&h, &cap);
}

/// Runs the probe's one lookup of `name` with the shim and `env`.
fn probe_call(name: &str, env: &[(&str, &str)]) -> (String, String) {
    let mut cmd = Command::new(probe());
    cmd.args(["call", name, "1"]).env("LD_PRELOAD", shim());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (text(&out.stdout), text(&out.stderr))
}

#[test]
fn newlines_and_control_bytes_in_names_come_out_escaped_and_capped() {
    let name = "/a\nlibgfresolv: pid 1 forged\r\x1b[2J\\\"end";
    let (_, err) = probe_call(name, &[("GFRESOLV_LOG", "stderr")]);
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(
        err.contains(
            r#"getaddrinfo("/a\x0alibgfresolv: pid 1 forged\x0d\x1b[2J\x5c\x22end") answered"#
        ),
        "{err:?}"
    );
    let long = format!("/{}", "\n".repeat(5000));
    let (_, err) = probe_call(&long, &[("GFRESOLV_LOG", "stderr")]);
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(
        err.len() < 1024 && err.contains("...(4873 more bytes)"),
        "{err:?}"
    );
}

#[test]
fn symlinked_fifo_and_hard_linked_log_targets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let victim = d.join("victim");
    std::fs::write(&victim, "untouched\n").unwrap();

    let link = d.join("link");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let (out, err) = probe_call("/x", &[("GFRESOLV_LOG", link.to_str().unwrap())]);
    assert!(out.starts_with("rc=-2"), "{out}");
    assert!(err.contains("(a symlink; refused)"), "{err}");

    let hard = d.join("hard");
    std::fs::hard_link(&victim, &hard).unwrap();
    let (_, err) = probe_call("/x", &[("GFRESOLV_LOG", hard.to_str().unwrap())]);
    assert!(
        err.contains("(not a regular file with one link; refused)"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched\n");

    // A FIFO with no reader must neither block the program nor be written.
    let fifo = d.join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0);
    let (out, err) = probe_call("/x", &[("GFRESOLV_LOG", fifo.to_str().unwrap())]);
    assert!(out.starts_with("rc=-2"), "{out}");
    assert!(err.contains("(a FIFO or socket; refused)"), "{err}");

    // What still works: a new file (created 0600) and appending to it.
    let log = d.join("gfresolv.log");
    for _ in 0..2 {
        probe_call(
            "/var/run/glusterd.socket",
            &[("GFRESOLV_LOG", log.to_str().unwrap())],
        );
    }
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 2);
    assert_eq!(std::fs::metadata(&log).unwrap().mode() & 0o777, 0o600);
}

/// The probe's lookup of a socket path with `conf` as /etc/gfresolv.conf
/// (owned by `uid`, with `mode`; a symlink to it when `symlink`).
fn with_config(
    conf: &str,
    uid: u32,
    mode: u32,
    symlink: bool,
    env: &[(&str, &str)],
) -> (String, String) {
    let h = Host::new(false);
    let real = if symlink {
        h.p("out/gfresolv.conf")
    } else {
        h.p("etc/gfresolv.conf")
    };
    std::fs::write(&real, conf).unwrap();
    std::os::unix::fs::chown(&real, Some(uid), Some(0)).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(mode)).unwrap();
    if symlink {
        std::os::unix::fs::symlink(&real, h.p("etc/gfresolv.conf")).unwrap();
    }
    let shim = h.p("lib/libgfresolv.so");
    let mut argv_env = vec![("LD_PRELOAD", shim.to_str().unwrap())];
    argv_env.extend_from_slice(env);
    let p = probe();
    let out = h.run(
        &[p.to_str().unwrap(), "call", "/var/run/glusterd.socket", "1"],
        &argv_env,
    );
    (text(&out.stdout), text(&out.stderr))
}

#[test]
fn config_file_is_a_ceiling_and_counts_only_when_root_owned_and_not_writable() {
    if let Err(why) = can_unshare() {
        return skip("config_file_is_a_ceiling", &why);
    }
    let conf = "mode = loopback\nlog = stderr\n";
    // Root-owned, 0644: used.
    let (out, err) = with_config(conf, 0, 0o644, false, &[]);
    assert!(
        out.starts_with("rc=0"),
        "loopback from the file: {out} {err}"
    );
    assert!(err.contains("answered at once, mode=loopback"), "{err}");

    // Not root's, group- or world-writable, or a symlink: ignored, said once.
    for (uid, mode, symlink, why) in [
        (NOBODY, 0o644, false, "is not owned by root; ignored"),
        (0, 0o664, false, "is writable by group or others; ignored"),
        (0, 0o646, false, "is writable by group or others; ignored"),
        (0, 0o644, true, "is a symlink; ignored"),
    ] {
        let (out, err) = with_config(conf, uid, mode, symlink, &[]);
        assert!(out.starts_with("rc=-2"), "the default, fail: {out}");
        assert_eq!(
            err.matches(&format!("libgfresolv: /etc/gfresolv.conf {why}"))
                .count(),
            1,
            "{err}"
        );
        assert!(!err.contains("answered at once"), "{err}");
    }

    // The environment narrows (fail, log off) but never widens.
    let (out, err) = with_config(
        conf,
        0,
        0o600,
        false,
        &[("GFRESOLV_MODE", "fail"), ("GFRESOLV_LOG", "off")],
    );
    assert!(out.starts_with("rc=-2") && err.is_empty(), "{out} {err}");
    let (out, err) = with_config(
        "mode = fail\nonly = probe\n",
        0,
        0o644,
        false,
        &[("GFRESOLV_MODE", "loopback")],
    );
    assert!(out.starts_with("rc=-2"), "{out}");
    assert!(
        err.contains("GFRESOLV_MODE=loopback is wider than /etc/gfresolv.conf's mode = fail"),
        "{err}"
    );
    let (out, err) = with_config(
        "mode = loopback\nonly = glfsheal\nlog = stderr\n",
        0,
        0o644,
        false,
        &[("GFRESOLV_ONLY", "glfsheal,probe")],
    );
    assert!(
        !out.starts_with("rc=0") && !err.contains("answered at once"),
        "probe is not in the file's list, so passed through: {out} {err}"
    );
    let (_, err) = with_config(
        "log = off\n",
        0,
        0o644,
        false,
        &[("GFRESOLV_LOG", "stderr")],
    );
    assert!(!err.contains("answered at once"), "{err}");
}
