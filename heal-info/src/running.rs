//! The GlusterFS builds that run now, judged one process at a time: what
//! the packaged `glusterfs --version` says does not matter when glusterd,
//! the bricks and the self-heal daemon run from a prefix build.
//!
//! For each gluster process (by `/proc/PID/comm`) the build is read from
//! the process itself: its program through `/proc/PID/exe` (which still
//! opens when the file was deleted or replaced, and from another mount
//! namespace), and the `libglusterfs.so` it maps, read through
//! `/proc/PID/map_files` (the mapped file itself) or `/proc/PID/root`.
//! events.c lives in libglusterfs, so the library decides.
//! The fix is judged in this order:
//! 1. the version (`EXE --version`, or the `glusterfs X.Y` string in the
//!    library for glfsheal, which has no `--version`): 6.8+, 7.3+, 8+ have it;
//! 2. the code: the fix makes `_gf_event()` compare the volfile transport
//!    with "unix" (a `strcmp` call) before `getaddrinfo`; without it there is
//!    no `strcmp` in `_gf_event` at all (`objdump -d --disassemble=_gf_event`).
//!
//!
//! Whether its events reach glustereventsd on a host with IPv6 is judged
//! the same way: 8.2+ has upstream's fix; otherwise `_gf_event`'s code
//! tells (`Delivery`): a socket made after `getaddrinfo` is made for the
//! family it answered; one made before, with `inet_addr` (3.x as released),
//! only ever sends to 127.0.0.1; one made before with no `inet_addr` (the
//! stall series' "ipv6-family" code without the delivery stage) is AF_INET
//! while getaddrinfo answers ::1 first where the host has IPv6: lost.
//!
//! A prefix build of a legacy tree with the backport says "3.12.15" like the
//! unfixed one, so step 2 tells them apart. (The kit's build stamp,
//! PREFIX/share/gluster-legacy-kit/build.json, names the commit built but
//! not whether it has the fix; the code answers that for any build.)

use crate::version::Version;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Programs whose build matters: each runs events.c from its libglusterfs.
pub const NAMES: [&str; 5] = ["glusterd", "glusterfsd", "glusterfs", "glfsheal", "gluster"];

#[derive(Debug, Clone, Serialize)]
pub struct Process {
    pub pid: u32,
    pub name: String,
    /// The program as the kernel names it (`/proc/PID/exe`).
    pub exe: String,
    /// The program file was deleted or replaced since the process started.
    pub exe_deleted: bool,
    /// The libglusterfs the process maps.
    pub libglusterfs: Option<String>,
    pub version: Option<String>,
    pub has_fix: Option<bool>,
    /// How `has_fix` was decided.
    pub evidence: String,
    /// Whether the build loses its events on a host with a non-loopback
    /// IPv6 address: it makes an AF_INET socket before getaddrinfo resolves
    /// the local host, which answers ::1 first there (None: unknown).
    pub loses_events_on_ipv6: Option<bool>,
    /// How `loses_events_on_ipv6` was decided.
    pub delivery_evidence: String,
    pub shim_mapped: bool,
}

/// Every gluster process under `proc` (normally /proc).
pub fn scan(proc: &Path) -> Vec<Process> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(proc).into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let dir = e.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        let name = comm.trim();
        if NAMES.contains(&name) {
            out.push(judge(pid, name, &dir));
        }
    }
    out.sort_by_key(|p| p.pid);
    out
}

fn judge(pid: u32, name: &str, dir: &Path) -> Process {
    let exe = std::fs::read_link(dir.join("exe"))
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let exe_deleted = exe.ends_with(" (deleted)");
    let maps = std::fs::read_to_string(dir.join("maps")).unwrap_or_default();
    // (address range, path) of the library's first mapping.
    let mapped = maps.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let name = Path::new(f.get(5)?).file_name()?.to_string_lossy();
        name.starts_with("libglusterfs.so")
            .then(|| (f[0].to_string(), f[5].to_string()))
    });
    let lib = mapped.as_ref().map(|(_, path)| path.clone());
    // The very file mapped (map_files, even if since replaced), else the
    // library as this process sees it, through its own root.
    let lib_file = mapped.as_ref().map(|(range, path)| {
        let exact = dir.join("map_files").join(range);
        if std::fs::File::open(&exact).is_ok() {
            exact
        } else {
            inside(dir, path)
        }
    });
    let untrusted = || {
        // Anyone can name a process "glusterd"; running or parsing their
        // files as root would hand them the doctor's privileges.
        (
            None,
            "not judged: not a root process running a root-owned program".to_string(),
        )
    };
    let ((has_fix, evidence), (loses_events_on_ipv6, delivery_evidence), version) = if !trusted(dir)
    {
        (untrusted(), untrusted(), None)
    } else {
        let version = if name == "glfsheal" {
            None
        } else {
            exe_version(&dir.join("exe"))
        }
        .or_else(|| lib_file.as_deref().and_then(library_version));
        let calls = lib_file.as_deref().and_then(gf_event_calls);
        (
            decide(version.as_deref(), calls.as_deref()),
            decide_delivery(version.as_deref(), calls.as_deref()),
            version,
        )
    };
    Process {
        pid,
        name: name.to_string(),
        exe,
        exe_deleted,
        libglusterfs: lib,
        version,
        has_fix,
        evidence,
        loses_events_on_ipv6,
        delivery_evidence,
        shim_mapped: maps.contains("libgfresolv"),
    }
}

/// Whether the process runs as root a program file owned by root and not
/// writable by group or others: only then is it run with `--version`.
fn trusted(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
    let root_process = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .is_some_and(|ids| ids.split_whitespace().all(|id| id == "0"));
    let root_program =
        std::fs::metadata(dir.join("exe")).is_ok_and(|m| m.uid() == 0 && m.mode() & 0o022 == 0);
    root_process && root_program
}

/// `path` as seen from the process's root directory.
fn inside(dir: &Path, path: &str) -> PathBuf {
    let seen = dir.join("root").join(path.trim_start_matches('/'));
    if seen.exists() {
        seen
    } else {
        PathBuf::from(path)
    }
}

fn decide(version: Option<&str>, calls: Option<&[String]>) -> (Option<bool>, String) {
    let v = version.unwrap_or("unknown");
    let release = version.and_then(Version::parse);
    if release.is_some_and(Version::has_stall_fix) {
        return (
            Some(true),
            format!("version {v}: the release line has the fix"),
        );
    }
    match calls.and_then(checks_transport) {
        Some(true) => (
            Some(true),
            format!("version {v}, but _gf_event checks the volfile transport before getaddrinfo (backported)"),
        ),
        Some(false) => (
            Some(false),
            format!("version {v}; _gf_event resolves the volfile server with no transport check"),
        ),
        _ => match release.map(Version::has_stall_fix) {
            Some(false) => (
                Some(false),
                format!("version {v}: no fix on this release line (code not readable)"),
            ),
            _ => (None, format!("version {v}; the code could not be read")),
        },
    }
}

/// Runs `exe --version` with a deadline and returns the version word.
fn exe_version(exe: &Path) -> Option<String> {
    let out = crate::deadline::run(exe, &["--version"], Duration::from_secs(5)).ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .next()?
        .strip_prefix("glusterfs ")
        .and_then(|r| r.split_whitespace().next())
        .map(String::from)
}

/// The `glusterfs X.Y[.Z]` string (PACKAGE_STRING) in the library.
pub fn library_version(lib: &Path) -> Option<String> {
    let data = std::fs::read(lib).ok()?;
    let needle = b"glusterfs ";
    data.windows(needle.len() + 1)
        .enumerate()
        .filter(|(_, w)| w.starts_with(needle) && w[needle.len()].is_ascii_digit())
        .find_map(|(i, _)| {
            let rest = &data[i + needle.len()..];
            let end = rest.iter().position(|&b| b == 0)?;
            let word = std::str::from_utf8(&rest[..end]).ok()?;
            let ok = word.contains('.')
                && word.len() <= 16
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            ok.then(|| word.to_string())
        })
}

/// Whether events are lost on a host with IPv6, from the version (8.2
/// has upstream's fix) or else from `_gf_event`'s calls.
fn decide_delivery(version: Option<&str>, calls: Option<&[String]>) -> (Option<bool>, String) {
    let v = version.unwrap_or("unknown");
    if version
        .and_then(Version::parse)
        .is_some_and(Version::has_delivery_fix)
    {
        return (
            Some(false),
            format!("version {v}: the release makes the events socket after getaddrinfo"),
        );
    }
    match calls.and_then(delivery) {
        Some(Delivery::PerFamily) => (
            Some(false),
            format!("version {v}, but _gf_event makes its socket after getaddrinfo, for the family it answers (delivery fix)"),
        ),
        Some(Delivery::Ipv4Only) => (
            Some(false),
            format!("version {v}; _gf_event sends to 127.0.0.1 (inet_addr) over its AF_INET socket, whatever the host's addresses"),
        ),
        Some(Delivery::LostOnIpv6) => (
            Some(true),
            format!("version {v}; _gf_event makes its socket before getaddrinfo resolves the local host (::1 first on a host with IPv6), with no delivery fix"),
        ),
        None => (None, format!("version {v}; the code could not be read")),
    }
}

/// The functions `_gf_event` in `lib` calls, in the order its code has
/// them (`objdump -d --disassemble=_gf_event`); None when it cannot be
/// disassembled or has no such function.
pub fn gf_event_calls(lib: &Path) -> Option<Vec<String>> {
    let out = duct::cmd!("objdump", "-d", "--disassemble=_gf_event", lib)
        .stderr_null()
        .unchecked()
        .read()
        .ok()?;
    let calls: Vec<String> = out.lines().filter_map(callee).collect();
    (!calls.is_empty()).then_some(calls)
}

/// The function an objdump line calls: `call 1030 <getaddrinfo@plt>` and
/// `call *0x2fe2(%rip)  # 3fd8 <getaddrinfo@GLIBC_2.2.5>` both give
/// "getaddrinfo".
fn callee(line: &str) -> Option<String> {
    let (_, rest) = line.split_once('\t')?.1.split_once('\t')?;
    if !(rest.starts_with("call") || rest.starts_with("bl\t") || rest.starts_with("bl ")) {
        return None;
    }
    let target = &rest[rest.rfind('<')? + 1..];
    let end = target.find(['@', '+', '>'])?;
    Some(target[..end].to_string())
}

fn position(calls: &[String], name: &str) -> Option<usize> {
    calls.iter().position(|c| c == name)
}

/// Whether `_gf_event` compares the transport (a `strcmp` call) before it
/// calls `getaddrinfo` (the stall fix); None without a getaddrinfo call.
pub fn checks_transport(calls: &[String]) -> Option<bool> {
    let gai = position(calls, "getaddrinfo")?;
    Some(calls[..gai].iter().any(|c| c == "strcmp"))
}

/// How `_gf_event` addresses its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// The socket is made after getaddrinfo, for the family it answered
    /// (upstream's 0d79397fb1, or the kit's delivery stage).
    PerFamily,
    /// An AF_INET socket made first, and `inet_addr` of 127.0.0.1 (or of
    /// the volfile server's IPv4 text): 3.x as released. No loss on
    /// dual-stack hosts, since it never sends to ::1.
    Ipv4Only,
    /// The socket made before getaddrinfo resolves the local host, with no
    /// `inet_addr`: the stall series' "ipv6-family" code without the
    /// delivery fix. Where ::1 comes first (any host with a non-loopback
    /// IPv6 address), sendto over the AF_INET socket fails.
    LostOnIpv6,
}

/// How `_gf_event` addresses its events, from the order of its first
/// `socket` and `getaddrinfo` calls and whether it calls `inet_addr`; None
/// when it calls either not at all.
pub fn delivery(calls: &[String]) -> Option<Delivery> {
    let gai = position(calls, "getaddrinfo")?;
    let socket = position(calls, "socket")?;
    Some(if socket > gai {
        Delivery::PerFamily
    } else if position(calls, "inet_addr").is_some() {
        Delivery::Ipv4Only
    } else {
        Delivery::LostOnIpv6
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_version_is_its_package_string() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("libglusterfs.so.0");
        std::fs::write(
            &lib,
            b"\x7fELF\0glusterfs \0glusterfs\0package-string: %s\0glusterfs 3.12.15\0more",
        )
        .unwrap();
        assert_eq!(library_version(&lib).as_deref(), Some("3.12.15"));
        std::fs::write(&lib, b"nothing here").unwrap();
        assert_eq!(library_version(&lib), None);
    }

    /// A libglusterfs stand-in whose `_gf_event` makes the calls in
    /// `steps`, in that order (compiled at -O0, so the order stays); None
    /// without gcc and objdump.
    fn fixture(dir: &Path, steps: &[&str]) -> Option<PathBuf> {
        let body: String = steps
            .iter()
            .map(|s| match *s {
                "strcmp" => "    if (strcmp(transport, \"unix\") == 0) node = NULL;\n",
                "getaddrinfo" => {
                    "    if (getaddrinfo(node, \"24009\", &hints, &res) != 0) return -1;\n"
                }
                "socket" => "    sock = socket(res ? res->ai_family : AF_INET, SOCK_DGRAM, 0);\n",
                "inet_addr" => "    in.sin_addr.s_addr = inet_addr(\"127.0.0.1\");\n",
                other => panic!("no step {other}"),
            })
            .collect();
        let src = format!(
            "#include <arpa/inet.h>\n#include <netdb.h>\n#include <string.h>\n#include <sys/socket.h>\n#include <unistd.h>\n\
             const char *transport = \"unix\";\n\
             int _gf_event(int event, const char *fmt, ...) {{\n\
             \x20   const char *node = \"/var/run/glusterd.socket\";\n\
             \x20   struct addrinfo hints = {{0}}, *res = NULL;\n\
             \x20   struct sockaddr_in in = {{0}};\n\
             \x20   int sock = -1;\n\
             \x20   hints.ai_flags = AI_ADDRCONFIG;\n\
             {body}\
             \x20   sendto(sock, fmt, 1, 0, res ? res->ai_addr : (struct sockaddr *)&in, res ? res->ai_addrlen : sizeof in);\n\
             \x20   return close(sock) + event;\n}}\n"
        );
        let c = dir.join("events.c");
        std::fs::write(&c, src).unwrap();
        let lib = dir.join("libglusterfs.so.0");
        let built = std::process::Command::new("gcc")
            .args(["-O0", "-fPIC", "-shared", "-o"])
            .arg(&lib)
            .arg(&c)
            .status()
            .ok()?
            .success();
        let objdump = std::process::Command::new("objdump")
            .arg("--version")
            .output()
            .is_ok();
        (built && objdump).then_some(lib)
    }

    #[test]
    fn the_call_order_in_gf_event_tells_each_build() {
        let dir = tempfile::tempdir().unwrap();
        // (build, its calls, stall fixed, how it addresses events)
        let builds: [(&str, &[&str], bool, Delivery); 3] = [
            (
                "3.x as released",
                &["socket", "inet_addr", "getaddrinfo"],
                false,
                Delivery::Ipv4Only,
            ),
            (
                "the stall series",
                &["socket", "strcmp", "getaddrinfo"],
                true,
                Delivery::LostOnIpv6,
            ),
            (
                "the stall series and the delivery stage",
                &["strcmp", "getaddrinfo", "socket"],
                true,
                Delivery::PerFamily,
            ),
        ];
        for (name, steps, stall_fixed, addressed) in builds {
            let Some(lib) = fixture(dir.path(), steps) else {
                eprintln!("SKIPPED the_call_order_in_gf_event_tells_each_build: no gcc or objdump");
                return;
            };
            let calls = gf_event_calls(&lib).unwrap_or_else(|| panic!("{name}: no calls read"));
            assert_eq!(
                checks_transport(&calls),
                Some(stall_fixed),
                "{name}: {calls:?}"
            );
            assert_eq!(delivery(&calls), Some(addressed), "{name}: {calls:?}");
            let lost = decide_delivery(Some("3.12.15"), Some(&calls)).0;
            assert_eq!(lost, Some(addressed == Delivery::LostOnIpv6), "{name}");
            assert_eq!(
                decide_delivery(Some("8.2"), Some(&calls)).0,
                Some(false),
                "{name}: 8.2 has the fix"
            );
        }
        assert_eq!(decide_delivery(Some("7.9"), None).0, None);
    }

    #[test]
    fn reads_the_callee_of_each_call_form() {
        for line in [
            "    1139:\te8 f2 fe ff ff       \tcall   1030 <socket@plt>",
            "    1139:\te8 f2 fe ff ff       \tcallq  1030 <socket@plt>",
            "    1139:\tff 15 a1 2e 00 00    \tcall   *0x2ea1(%rip)        # 3fe0 <socket@GLIBC_2.2.5>",
        ] {
            assert_eq!(callee(line).as_deref(), Some("socket"), "{line}");
        }
        assert_eq!(
            callee("    1140:\te8 00 00 00 00       \tcall   1145 <_gf_event+0x15>").as_deref(),
            Some("_gf_event")
        );
        assert_eq!(
            callee("    1139:\t48 89 e5             \tmov    %rsp,%rbp"),
            None
        );
        assert_eq!(callee("0000000000001129 <_gf_event>:"), None);
    }
}
