//! `heal-info doctor` with crafted resolver files (read from --etc, never the
//! machine's /etc) and its measured probe run in private namespaces, with the
//! legacy resolver layer standing in for glibc 2.17.

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use tests::{can_unshare, heal_info_bin, legacy_resolv_so, skip};

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
