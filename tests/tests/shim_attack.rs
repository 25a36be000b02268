//! libgfresolv.so attacked as a local user would attack it once it is in
//! /etc/ld.so.preload: through setuid-root and file-capability programs,
//! through names that carry newlines, through symlinked, FIFO and
//! hard-linked log targets, and through a config file someone else can
//! write. Each privileged run happens in a private mount namespace over a
//! copy of /etc that holds ld.so.preload, so the machine's /etc is never
//! touched.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::process::Command;
use tests::attack::{
    cannot_attack, control_run, privileged_helper_writes_nothing, root_config, text, Host, NOBODY,
};
use tests::skip;
use verify::tools::{can_unshare, probe, shim_so};

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

/// The throwaway host of these attacks: the host's shim and lookup helper.
fn host(preload: bool) -> Host {
    Host::new(preload, &shim(), &lookup_bin())
}

#[test]
fn setuid_root_helper_run_by_nobody_creates_no_file_and_writes_nothing() {
    if let Some(why) = cannot_attack() {
        return skip("setuid_root_helper_run_by_nobody", &why);
    }
    let h = host(true);
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
    let h = host(true);
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
    let h = host(false);
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
