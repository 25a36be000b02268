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
//! A prefix build of a legacy tree with the backport says "3.12.15" like the
//! unfixed one, so step 2 tells them apart. (The kit's build stamp,
//! PREFIX/share/gluster-legacy-kit/build.json, names the commit built but
//! not whether it has the fix; the code answers that for any build.)

use crate::version::Version;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
    let (has_fix, evidence, version) = if !trusted(dir) {
        // Anyone can name a process "glusterd"; running or parsing their
        // files as root would hand them the doctor's privileges.
        (
            None,
            "not judged: not a root process running a root-owned program".to_string(),
            None,
        )
    } else {
        let version = if name == "glfsheal" {
            None
        } else {
            exe_version(&dir.join("exe"))
        }
        .or_else(|| lib_file.as_deref().and_then(library_version));
        let (has_fix, evidence) = decide(version.as_deref(), lib_file.as_deref());
        (has_fix, evidence, version)
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

fn decide(version: Option<&str>, lib_file: Option<&Path>) -> (Option<bool>, String) {
    let v = version.unwrap_or("unknown");
    let release = version.and_then(Version::parse);
    if release.is_some_and(Version::has_stall_fix) {
        return (
            Some(true),
            format!("version {v}: the release line has the fix"),
        );
    }
    match lib_file.map(gf_event_checks_transport) {
        Some(Some(true)) => (
            Some(true),
            format!("version {v}, but _gf_event checks the volfile transport before getaddrinfo (backported)"),
        ),
        Some(Some(false)) => (
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
    let handle = duct::cmd!(exe, "--version")
        .stdout_capture()
        .stderr_null()
        .stdin_null()
        .unchecked()
        .start()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match handle.try_wait() {
            Ok(Some(out)) => {
                let text = String::from_utf8_lossy(&out.stdout);
                return text
                    .lines()
                    .next()?
                    .strip_prefix("glusterfs ")
                    .and_then(|r| r.split_whitespace().next())
                    .map(String::from);
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = handle.kill();
                return None;
            }
        }
    }
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

/// Whether `_gf_event` in `lib` compares the transport (a `strcmp` call)
/// before it calls `getaddrinfo`; None when it cannot be disassembled.
pub fn gf_event_checks_transport(lib: &Path) -> Option<bool> {
    let out = duct::cmd!("objdump", "-d", "--disassemble=_gf_event", lib)
        .stderr_null()
        .unchecked()
        .read()
        .ok()?;
    let calls: Vec<&str> = out.lines().filter(|l| l.contains("call")).collect();
    let gai = calls.iter().position(|l| l.contains("<getaddrinfo@"))?;
    Some(calls[..gai].iter().any(|l| l.contains("<strcmp@")))
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
}
