//! `heal-info doctor` with crafted resolver files (read from --etc, never the
//! machine's /etc) and its measured probe run in private namespaces, with the
//! legacy resolver layer standing in for glibc 2.17.

use die_with_parent::namespace_holder;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use tests::skip;
use verify::tools::{can_unshare, heal_info_bin, legacy_resolv_so};

fn etc(dir: &Path, hosts_extra: &str, preload: &str) {
    std::fs::write(
        dir.join("resolv.conf"),
        "nameserver 10.0.0.53\nnameserver 10.0.1.53\noptions timeout:3 attempts:2\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("nsswitch.conf"),
        "passwd: files\nhosts: files dns myhostname\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("hosts"),
        format!("127.0.0.1 localhost\n{hosts_extra}"),
    )
    .unwrap();
    std::fs::write(dir.join("ld.so.preload"), preload).unwrap();
}

fn glusterfs(dir: &Path, version: &str) -> std::path::PathBuf {
    let p = dir.join(format!("glusterfs-{version}"));
    std::fs::write(
        &p,
        format!("#!/bin/sh\necho 'glusterfs {version}'\necho 'Repository revision: test'\n"),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// The doctor on crafted files; `etc/proc` (empty unless a test links its
/// own processes there) stands in for /proc, so gluster processes other
/// tests run on this machine do not change the verdict.
fn doctor(etc: &Path, gfs: &Path, legacy: bool) -> (i32, Value) {
    let proc = etc.join("proc");
    std::fs::create_dir_all(&proc).unwrap();
    let mut cmd = Command::new(heal_info_bin());
    cmd.args(["doctor", "--json", "--etc"])
        .arg(etc)
        .arg("--glusterfs")
        .arg(gfs)
        .arg("--proc")
        .arg(&proc);
    if legacy {
        cmd.arg("--probe-keeps-preload")
            .env("LD_PRELOAD", legacy_resolv_so());
    }
    let out = cmd.output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

#[test]
fn doctor_measures_the_resolver_and_names_the_risk_and_the_remedies() {
    if let Err(why) = can_unshare() {
        return skip("doctor_measures_the_resolver", &why);
    }
    assert!(
        heal_info_bin().exists(),
        "build heal-info first (cargo build --workspace)"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = glusterfs(d, "3.12.15");

    // A 3.12 host on glibc 2.17's resolver, no remedy: at risk, exit 1.
    etc(d, "", "");
    let (code, v) = doctor(d, &old, true);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["at_risk"], true);
    assert_eq!(v["path_probe"]["sends_paths_to_dns"], true, "{v}");
    assert!(v["path_probe"]["queries"].as_u64().unwrap() >= 1);
    assert_eq!(
        v["nameservers"],
        serde_json::json!(["10.0.0.53", "10.0.1.53"])
    );
    assert_eq!(
        v["worst_stall_per_subvolume_seconds"], 24.0,
        "3 s x 2 attempts x 2 servers x (A + AAAA)"
    );
    assert_eq!(v["nsswitch_hosts"], "hosts: files dns myhostname");
    assert_eq!(v["glusterfs_has_fix"], false);
    assert!(v["remedy"].as_str().unwrap().contains("libgfresolv.so"));

    // The same host with the operators' /etc/hosts workaround, or the shim preloaded.
    etc(d, "127.0.0.1 /var/run/glusterd.socket\n", "");
    let (code, v) = doctor(d, &old, true);
    assert_eq!(
        (code, v["hosts_workaround"].as_bool()),
        (0, Some(true)),
        "{v}"
    );
    etc(d, "", "/usr/lib64/libgfresolv.so\n");
    let (code, v) = doctor(d, &old, true);
    assert_eq!(
        (code, v["ld_so_preload_has_shim"].as_bool()),
        (0, Some(true)),
        "{v}"
    );

    // A release with the fix, and this machine's own glibc (which refuses '/').
    etc(d, "", "");
    let (code, v) = doctor(d, &glusterfs(d, "6.8"), true);
    assert_eq!(
        (code, v["glusterfs_has_fix"].as_bool()),
        (0, Some(true)),
        "{v}"
    );
    let (code, v) = doctor(d, &old, false);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["path_probe"]["sends_paths_to_dns"], false);
    assert_eq!(v["path_probe"]["queries"], 0);
}

/// A glusterd (`-N`, in the foreground) in private mount, network and PID
/// namespaces: state and logs in tmpfs for the system build (its libexec
/// dirs overlaid, as a cluster's are), and for a
/// prefix build an overlay over the prefix whose writes land in a temp dir,
/// so the build stays read-only. A build made for another prefix (its
/// stamp's `run_at`) has the overlay's lower layer from its install, at
/// the prefix it runs at. Killed, with its namespace, on drop.
struct Glusterd {
    holder: std::process::Child,
    pid: u32,
    _dir: tempfile::TempDir,
}

impl Glusterd {
    // The holder is waited for in Drop, which clippy cannot see.
    #[allow(clippy::zombie_processes)]
    fn start(build: Option<&Build>, exe: &Path) -> Glusterd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        // The system's state dirs are private for every build: 3.x's
        // glusterd writes /var/run/gluster (snaps/, brick sockets) whatever
        // its prefix, and a fresh host has no /run/gluster to hide it in.
        let system = "mount -t tmpfs tmpfs /var/lib/glusterd && mount -t tmpfs tmpfs /var/log/glusterfs && mount -t tmpfs tmpfs /run";
        let mounts = match build {
            Some(b) => format!(
                "mkdir -p {d}/up {d}/work && mount -t overlay overlay -o lowerdir={files},upperdir={d}/up,workdir={d}/work {at} && mkdir -p /var/lib/glusterd /var/log/glusterfs && {system}",
                files = b.files.display(),
                at = b.at.display()
            ),
            // Debian's libexec dirs too: its glusterd runs gsyncd.py, and
            // that Python wrote gfevents/__pycache__ into the host's /usr.
            None => format!(
                "{system}\n{}",
                verify::cluster::system_libexec_private(dir.path())
            ),
        };
        let script = format!(
            "set -e\nip link set lo up\n{mounts}\nexec {} -N\n",
            exe.display()
        );
        // Dies with this test's thread, glusterd (PID 1) with it: see die-with-parent.
        let mut holder = namespace_holder(&["-m", "-n"], &script)
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let children =
                std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", holder.id()))
                    .unwrap_or_default();
            let pid: Option<u32> = children
                .split_whitespace()
                .next()
                .and_then(|p| p.parse().ok());
            let comm = pid
                .map(|p| std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default())
                .unwrap_or_default();
            if let (Some(pid), "glusterd") = (pid, comm.trim()) {
                // Up once it maps its libraries and listens.
                std::thread::sleep(std::time::Duration::from_millis(500));
                return Glusterd {
                    holder,
                    pid,
                    _dir: dir,
                };
            }
            if std::time::Instant::now() > deadline {
                let _ = holder.kill();
                let _ = holder.wait();
                panic!("{} did not start", exe.display());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// A directory standing in for /proc with only this glusterd in it.
    fn proc_dir(&self, under: &Path) -> std::path::PathBuf {
        let proc = under.join(format!("proc-{}", self.pid));
        std::fs::create_dir_all(&proc).unwrap();
        std::os::unix::fs::symlink(
            format!("/proc/{}", self.pid),
            proc.join(self.pid.to_string()),
        )
        .unwrap();
        proc
    }
}

impl Drop for Glusterd {
    fn drop(&mut self) {
        // glusterd is PID 1 of its namespace: killing it ends everything in it.
        unsafe { libc::kill(self.pid as i32, libc::SIGKILL) };
        let _ = self.holder.wait();
    }
}

fn doctor_on(etc: &Path, gfs: &Path, proc: &Path) -> (i32, Value) {
    let out = Command::new(heal_info_bin())
        .args(["doctor", "--json", "--no-measure", "--etc"])
        .arg(etc)
        .arg("--glusterfs")
        .arg(gfs)
        .arg("--proc")
        .arg(proc)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

/// An installed build: its files, and the prefix its programs name (the
/// same but for a build made `--run-at` another prefix).
struct Build {
    files: std::path::PathBuf,
    at: std::path::PathBuf,
}

impl Build {
    /// A program as the running build names it.
    fn program(&self, name: &str) -> std::path::PathBuf {
        self.at.join("sbin").join(name)
    }
}

/// A real 3.12.15 build: the one `cargo xtask test` made (`var`).
fn legacy_prefix(var: &str) -> Option<Build> {
    let files = std::env::var_os(var).map(std::path::PathBuf::from)?;
    let at = verify::stamp::load(&files)
        .and_then(|r| r.run_at)
        .unwrap_or_else(|| files.clone());
    files
        .join("sbin/glusterd")
        .exists()
        .then_some(Build { files, at })
}

#[test]
fn doctor_judges_the_running_glusterd_not_the_packaged_glusterfs() {
    if let Err(why) = can_unshare() {
        return skip("doctor_judges_the_running_glusterd", &why);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    etc(d, "", "");

    // The system's 10.3 runs while the packaged binary claims 3.12.15.
    if Path::new("/usr/sbin/glusterd").exists() {
        let g = Glusterd::start(None, Path::new("/usr/sbin/glusterd"));
        let (code, v) = doctor_on(d, &glusterfs(d, "3.12.15"), &g.proc_dir(d));
        let p = &v["processes"][0];
        assert_eq!(
            (p["pid"].as_u64(), p["name"].as_str()),
            (Some(g.pid as u64), Some("glusterd")),
            "{v}"
        );
        assert_eq!(p["version"], "10.3", "{v}");
        assert_eq!(p["has_fix"], true, "{v}");
        assert_eq!(
            (code, v["running_has_fix"].as_bool()),
            (0, Some(true)),
            "{v}"
        );
    } else {
        skip(
            "doctor_judges_the_running_glusterd (10.3 part)",
            "glusterfs-server is not installed",
        );
    }

    // The real unfixed 3.12.15 runs while the packaged binary claims 10.3:
    // from its prefix, and from a copy deleted after it started.
    let Some(prefix) = legacy_prefix("GLUSTER_LEGACY_PREFIX") else {
        return skip(
            "doctor_judges_the_running_glusterd (3.12.15 part)",
            "no real 3.12.15 build (GLUSTER_LEGACY_PREFIX is not set; cargo xtask test sets it)",
        );
    };
    let fixed_package = glusterfs(d, "10.3");
    let g = Glusterd::start(Some(&prefix), &prefix.program("glusterd"));
    let (code, v) = doctor_on(d, &fixed_package, &g.proc_dir(d));
    let p = &v["processes"][0];
    assert_eq!(p["version"], "3.12.15", "{v}");
    assert_eq!(p["has_fix"], false, "{v}");
    assert!(
        p["evidence"]
            .as_str()
            .unwrap()
            .contains("no transport check"),
        "{v}"
    );
    assert_eq!(code, 1, "{v}");
    let verdict = v["verdict"].as_str().unwrap();
    assert!(
        verdict.starts_with("AT RISK: running glusterd (pid ")
            && verdict.contains(&format!(
                "{} 3.12.15",
                prefix.program("glusterfsd").display()
            )),
        "{verdict}"
    );
    drop(g);

    let copy = d.join("glusterd");
    std::fs::copy(prefix.files.join("sbin/glusterfsd"), &copy).unwrap();
    let g = Glusterd::start(Some(&prefix), &copy);
    std::fs::remove_file(&copy).unwrap();
    let (code, v) = doctor_on(d, &fixed_package, &g.proc_dir(d));
    let p = &v["processes"][0];
    assert!(
        p["exe"].as_str().unwrap().ends_with("glusterd (deleted)"),
        "{v}"
    );
    assert_eq!(p["exe_deleted"], true);
    assert_eq!(
        (p["version"].as_str(), p["has_fix"].as_bool()),
        (Some("3.12.15"), Some(false)),
        "{v}"
    );
    assert_eq!(code, 1, "{v}");
    drop(g);

    // The same tree with the backport: the version says 3.12.15 too, the
    // code says fixed.
    let Some(backport) = legacy_prefix("GLUSTER_LEGACY_FIXED_PREFIX") else {
        return skip(
            "doctor_judges_the_running_glusterd (backport part)",
            "no backported 3.12.15 build (GLUSTER_LEGACY_FIXED_PREFIX is not set; cargo xtask test sets it)",
        );
    };
    let g = Glusterd::start(Some(&backport), &backport.program("glusterd"));
    let (code, v) = doctor_on(d, &glusterfs(d, "3.12.15"), &g.proc_dir(d));
    let p = &v["processes"][0];
    assert_eq!(
        (p["version"].as_str(), p["has_fix"].as_bool()),
        (Some("3.12.15"), Some(true)),
        "{v}"
    );
    assert!(
        p["evidence"].as_str().unwrap().contains("backported"),
        "{v}"
    );
    assert_eq!(code, 0, "{v}");

    // The same build on a host with a routable IPv6 address: its events are
    // lost unless it has the delivery stage (the socket made after
    // getaddrinfo, read off its code).
    let proc = g.proc_dir(&d.join("dual-stack"));
    std::fs::create_dir_all(proc.join("net")).unwrap();
    std::fs::write(
        proc.join("net/if_inet6"),
        "00000000000000000000000000000001 01 80 10 80       lo\n\
         20010db8000000000000000000000002 01 80 00 80       lo\n",
    )
    .unwrap();
    let (code, v) = doctor_on(d, &glusterfs(d, "3.12.15"), &proc);
    let p = &v["processes"][0];
    let delivery = std::env::var("GLUSTER_LEGACY_FIXED_STAGES")
        .unwrap_or_default()
        .contains("delivery");
    assert_eq!(
        v["events_delivery"]["ipv6_addresses"][0], "2001:db8::2",
        "{v}"
    );
    assert_eq!(p["loses_events_on_ipv6"], !delivery, "{v}");
    if delivery {
        assert_eq!(code, 0, "{v}");
    } else {
        assert_eq!(code, 1, "{v}");
        let verdict = v["verdict"].as_str().unwrap();
        assert!(verdict.starts_with("AT RISK: events lost"), "{verdict}");
    }
}
