//! `heal-info doctor` on a running stand-in for a gluster process: a root
//! program named `glusterfs` that maps a `libglusterfs.so.0` of our own,
//! whose `_gf_event` makes its calls in the order of each build, on hosts
//! with and without a non-loopback IPv6 address (a `--proc` directory with
//! its own `net/if_inet6`). Needs root (only root processes are judged) and
//! gcc with objdump.

use serde_json::Value;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const PROGRAM: &str = r#"#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        puts("glusterfs 3.12.15");
        return 0;
    }
    if (argc < 2 || !dlopen(argv[1], RTLD_NOW)) return 1;
    for (;;) pause();
}
"#;

/// `_gf_event` making the calls in `steps`, in that order.
fn library(steps: &[&str]) -> String {
    let body: String = steps
        .iter()
        .map(|s| match *s {
            "strcmp" => "    if (strcmp(transport, \"unix\") == 0) node = NULL;\n",
            "getaddrinfo" => {
                "    if (getaddrinfo(node, \"24009\", &hints, &res) != 0) return -1;\n"
            }
            "socket" => "    sock = socket(res ? res->ai_family : AF_INET, SOCK_DGRAM, 0);\n",
            other => panic!("no step {other}"),
        })
        .collect();
    format!(
        r#"#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
const char *transport = "unix";
int _gf_event(int event, const char *fmt, ...) {{
    const char *node = "/var/run/glusterd.socket";
    struct addrinfo hints = {{0}}, *res = NULL;
    int sock = -1;
    hints.ai_flags = AI_ADDRCONFIG;
{body}    sendto(sock, fmt, 1, 0, res->ai_addr, res->ai_addrlen);
    return close(sock) + event;
}}
"#
    )
}

fn gcc(dir: &Path, name: &str, src: &str, args: &[&str]) -> Option<PathBuf> {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, src).unwrap();
    let out = dir.join(name);
    let ok = Command::new("gcc")
        .args(["-O0", "-o"])
        .arg(&out)
        .arg(&c)
        .args(args)
        .status()
        .ok()?
        .success();
    ok.then_some(out)
}

/// The program running with `lib` mapped; killed on drop.
struct Running(Child);

impl Running {
    // The child is killed and waited for in Drop (or before the panic).
    #[allow(clippy::zombie_processes)]
    fn start(program: &Path, lib: &Path) -> Running {
        let mut child = Command::new(program)
            .arg(lib)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let maps = format!("/proc/{}/maps", child.id());
        for _ in 0..200 {
            if std::fs::read_to_string(&maps).is_ok_and(|m| m.contains("libglusterfs.so.0")) {
                return Running(child);
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("{} did not map {}", program.display(), lib.display());
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The doctor with a stand-in /proc holding only `p` and `if_inet6`.
fn doctor(dir: &Path, p: &Running, if_inet6: &str) -> (i32, Value) {
    let proc = dir.join(format!("proc-{}", if_inet6.len()));
    let _ = std::fs::remove_dir_all(&proc);
    std::fs::create_dir_all(proc.join("net")).unwrap();
    std::fs::write(proc.join("net/if_inet6"), if_inet6).unwrap();
    let pid = p.0.id();
    std::os::unix::fs::symlink(format!("/proc/{pid}"), proc.join(pid.to_string())).unwrap();
    let etc = dir.join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_heal-info"))
        .args(["doctor", "--json", "--no-measure", "--etc"])
        .arg(&etc)
        .arg("--glusterfs")
        .arg(dir.join("no-glusterfs"))
        .arg("--proc")
        .arg(&proc)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

const DUAL_STACK: &str = "fd000000000000000000000000000002 02 40 00 80     eth0\n\
                          fe800000000000000000000000000002 02 40 20 80     eth0\n\
                          00000000000000000000000000000001 01 80 10 80       lo\n";
const IPV4_ONLY: &str = "fe800000000000000000000000000002 02 40 20 80     eth0\n\
                         00000000000000000000000000000001 01 80 10 80       lo\n";

#[test]
fn a_build_that_makes_its_socket_before_getaddrinfo_loses_events_only_on_hosts_with_ipv6() {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if !root {
        return eprintln!("SKIPPED doctor events: needs root (only root processes are judged)");
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(program) = gcc(d, "glusterfs", PROGRAM, &["-ldl"]) else {
        return eprintln!("SKIPPED doctor events: no gcc");
    };
    let lib = |name: &str, steps: &[&str]| {
        let sub = d.join(name);
        std::fs::create_dir_all(&sub).unwrap();
        gcc(
            &sub,
            "libglusterfs.so.0",
            &library(steps),
            &["-fPIC", "-shared"],
        )
        .unwrap()
    };

    // The stall series without the delivery stage: stall fixed, events lost
    // where the host has IPv6, and only there.
    let series = Running::start(
        &program,
        &lib("series", &["socket", "strcmp", "getaddrinfo"]),
    );
    let (code, v) = doctor(d, &series, DUAL_STACK);
    let p = &v["processes"][0];
    assert_eq!(p["has_fix"], true, "{v}");
    assert_eq!(p["loses_events_on_ipv6"], true, "{v}");
    assert_eq!(
        v["events_delivery"]["ipv6_addresses"],
        serde_json::json!(["fd00::2"])
    );
    assert_eq!(v["events_delivery"]["at_risk"], true, "{v}");
    assert_eq!(code, 1, "{v}");
    let verdict = v["verdict"].as_str().unwrap();
    assert!(
        verdict.starts_with("AT RISK: events lost: glusterfs (pid "),
        "{verdict}"
    );
    let remedy = v["remedy"].as_str().unwrap();
    assert!(
        remedy.contains("cargo xtask backport BRANCH")
            && remedy.contains("loopback")
            && remedy.contains("8.2"),
        "{remedy}"
    );

    let (code, v) = doctor(d, &series, IPV4_ONLY);
    assert_eq!(v["events_delivery"]["at_risk"], false, "{v}");
    assert_eq!(v["events_delivery"]["builds_lose_events"], true, "{v}");
    assert_eq!(code, 0, "{v}");
    drop(series);

    // With the delivery stage: the socket comes after getaddrinfo.
    let delivered = Running::start(
        &program,
        &lib("delivery", &["strcmp", "getaddrinfo", "socket"]),
    );
    let (code, v) = doctor(d, &delivered, DUAL_STACK);
    assert_eq!(v["processes"][0]["loses_events_on_ipv6"], false, "{v}");
    assert_eq!(v["events_delivery"]["at_risk"], false, "{v}");
    assert_eq!(code, 0, "{v}");
}
