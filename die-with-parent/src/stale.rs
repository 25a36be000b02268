//! Stale runs: what a run left behind when the death chain did not hold (an
//! older kit without it, a kernel that lost the signal, a holder started by
//! hand). Every namespace holder carries a marker naming its owner, the
//! process that started it, by PID and start time ([`OWNER_ENV`]); so does
//! every run directory ([`OWNER_FILE`]). A later run reads the markers and
//! finds those whose owner is gone. It ends the processes (the namespace's
//! PID 1 first, whose end the kernel turns into the end of the rest) and
//! then removes the directories.
//!
//! A PID alone would not do: a reused PID would make a stale run look alive.
//! The start time (field 22 of /proc/PID/stat, in clock ticks since boot)
//! tells a reused PID from the owner.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The environment variable every namespace holder is given: `PID:START`.
pub const OWNER_ENV: &str = "GLK_OWNER";
/// The file in a run directory that holds the same marker.
pub const OWNER_FILE: &str = "glk-owner";

/// This process's marker, `PID:START:PIDNS`.
pub fn owner_mark() -> String {
    let pid = std::process::id();
    mark(pid, start_time(pid).unwrap_or(0))
}

/// The marker of PID (of this PID namespace) started at START:
/// `PID:START:PIDNS`, PIDNS being the namespace's inode. A PID means
/// nothing outside its namespace: a kit on the host sees a container's or a
/// chroot's processes, whose markers name PIDs of their own namespace, and
/// must never judge them by the host's PIDs.
pub fn mark(pid: u32, start: u64) -> String {
    format!("{pid}:{start}:{}", own_pid_ns().unwrap_or(0))
}

/// The inode of this process's PID namespace (`pid:[INODE]`).
fn own_pid_ns() -> Option<u64> {
    let link = std::fs::read_link("/proc/self/ns/pid").ok()?;
    let s = link.to_str()?;
    s.strip_prefix("pid:[")?.strip_suffix(']')?.parse().ok()
}

/// Field 22 of /proc/PID/stat, for a live, non-zombie process.
fn start_time(pid: u32) -> Option<u64> {
    // The fields after the name start at field 3 (state): 22 is index 19.
    crate::procs::stat_fields(pid)?.get(19)?.parse().ok()
}

/// Whether the process a marker names still runs (the same process, not a
/// later one with its PID). A marker that does not parse, or that names
/// another PID namespace, is taken as alive: it is not ours to judge, so it
/// is never ended.
pub fn owner_alive(mark: &str) -> bool {
    let fields: Vec<&str> = mark.trim().split(':').collect();
    let [pid, start, ns] = fields[..] else {
        return true;
    };
    let (Ok(pid), Ok(start), Ok(ns)) =
        (pid.parse::<u32>(), start.parse::<u64>(), ns.parse::<u64>())
    else {
        return true;
    };
    if own_pid_ns() != Some(ns) {
        return true;
    }
    start_time(pid) == Some(start)
}

/// A process of a stale run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleProcess {
    pub pid: u32,
    pub comm: String,
    /// The marker: the owner that is gone.
    pub owner: String,
}

/// The live processes whose marker names an owner that is gone.
pub fn stale_processes() -> Vec<StaleProcess> {
    crate::procs::all()
        .into_iter()
        .filter_map(|p| {
            let owner = p.env(OWNER_ENV)?.to_string();
            (!owner_alive(&owner)).then_some(StaleProcess {
                pid: p.pid,
                owner,
                comm: p.comm,
            })
        })
        .collect()
}

/// Run directories (`PREFIX*` in `dir`) that are stale: their owner file
/// names an owner that is gone. Directories without the file (made by a kit
/// before the marker) are returned apart, as unknown.
pub fn stale_dirs(dir: &Path, prefix: &str) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let (mut stale, mut unknown) = (Vec::new(), Vec::new());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (stale, unknown);
    };
    for e in entries.flatten() {
        let name = e.file_name();
        if !name.to_string_lossy().starts_with(prefix) || !e.path().is_dir() {
            continue;
        }
        match std::fs::read_to_string(e.path().join(OWNER_FILE)) {
            Ok(owner) if !owner_alive(&owner) => stale.push(e.path()),
            Ok(_) => {}
            Err(_) => unknown.push(e.path()),
        }
    }
    (stale, unknown)
}

/// What [`clean`] found and did.
#[derive(Debug, Default)]
pub struct Cleaned {
    /// The stale processes found, each SIGKILLed.
    pub ended: Vec<StaleProcess>,
    /// Those still alive after the grace time (not ours to end: a
    /// permission refused, or stuck in the kernel).
    pub left: Vec<StaleProcess>,
    pub removed_dirs: Vec<PathBuf>,
    /// Stale directories that could not be removed, and why.
    pub failed_dirs: Vec<(PathBuf, String)>,
    /// Directories of unknown owner, left alone.
    pub unknown_dirs: Vec<PathBuf>,
}

impl Cleaned {
    /// Lines for the user; empty when there was nothing stale.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.ended.is_empty() {
            let names: Vec<String> = self
                .ended
                .iter()
                .map(|p| format!("{} ({})", p.pid, p.comm))
                .collect();
            let mut owners: Vec<&str> = self.ended.iter().map(|p| p.owner.as_str()).collect();
            owners.dedup();
            out.push(format!(
                "found a stale run left by an earlier kit (owner {} gone): ended {} processes: {}",
                owners.join(", "),
                self.ended.len(),
                names.join(" ")
            ));
        }
        for p in &self.left {
            out.push(format!(
                "stale process {} ({}) did not end: end it with `kill -9 {}` as root",
                p.pid, p.comm, p.pid
            ));
        }
        for d in &self.removed_dirs {
            out.push(format!(
                "removed a stale run directory {} (owner gone)",
                d.display()
            ));
        }
        for (d, why) in &self.failed_dirs {
            out.push(format!(
                "could not remove the stale run directory {}: {why}; once no process uses it, remove it with `rm -rf`",
                d.display()
            ));
        }
        if !self.unknown_dirs.is_empty() {
            out.push(format!(
                "{} run directories with no owner marker (from a kit older than the marker) are left alone, e.g. {}: once no process uses them (`fuser -m DIR`, `grep DIR /proc/*/mountinfo`), remove them with `rm -rf`",
                self.unknown_dirs.len(),
                self.unknown_dirs[0].display()
            ));
        }
        out
    }
}

/// Ends every stale process, waits up to `grace` for them to go, then
/// removes the stale run directories `PREFIX*` in `dir` (only when no stale
/// process is left, since one may still have mounts in them).
pub fn clean(dir: &Path, prefix: &str, grace: Duration) -> Cleaned {
    let ended = stale_processes();
    for p in &ended {
        // SAFETY: a plain system call; a PID gone meanwhile gets ESRCH.
        unsafe { libc::kill(p.pid as libc::pid_t, libc::SIGKILL) };
    }
    let t = Instant::now();
    let mut left: Vec<StaleProcess> = ended.clone();
    while !left.is_empty() && t.elapsed() < grace {
        std::thread::sleep(Duration::from_millis(50));
        left.retain(|p| start_time(p.pid).is_some());
    }
    let mut c = Cleaned {
        ended,
        left,
        ..Cleaned::default()
    };
    if c.left.is_empty() {
        remove_stale_dirs(dir, prefix, &mut c);
    } else {
        c.unknown_dirs = stale_dirs(dir, prefix).1;
    }
    c
}

/// Removes the stale run directories `PREFIX*` in `dir`, into `c`'s
/// removed, failed and unknown lists.
///
/// Each is first claimed by a rename to a hidden name outside `PREFIX*`:
/// every cluster start cleans, so two cleaners (two tests, or a test and a
/// `verify` it runs) often find the same stale directory at once, and two
/// `remove_dir_all` on one tree fail each other half-way (seen in CI: the
/// directory still there after a clean that named nothing). A directory
/// another cleaner claimed first is its to remove, not a failure.
pub fn remove_stale_dirs(dir: &Path, prefix: &str, c: &mut Cleaned) {
    let (stale, unknown) = stale_dirs(dir, prefix);
    c.unknown_dirs = unknown;
    for d in stale {
        let Some(name) = d.file_name() else { continue };
        let claimed = dir.join(format!(
            ".{}.removing.{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        match std::fs::rename(&d, &claimed) {
            Ok(()) => match std::fs::remove_dir_all(&claimed) {
                Ok(()) => c.removed_dirs.push(d),
                Err(e) => c
                    .failed_dirs
                    .push((claimed, format!("removing it failed: {e}"))),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => c.failed_dirs.push((d, format!("claiming it failed: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn own_mark_is_alive_and_a_dead_ones_is_not() {
        assert!(owner_alive(&owner_mark()));
        let mut child = Command::new("sleep").arg("0.05").spawn().unwrap();
        let pid = child.id();
        let start = start_time(pid).unwrap();
        let m = mark(pid, start);
        assert!(owner_alive(&m));
        child.wait().unwrap();
        assert!(!owner_alive(&m), "a reaped child still counted alive");
        // The same PID with another start time is another process.
        let me = std::process::id();
        assert!(!owner_alive(&mark(me, start_time(me).unwrap() + 1)));
        // A dead owner of another PID namespace is not ours to judge.
        let ns = own_pid_ns().unwrap();
        assert!(owner_alive(&format!("{pid}:{start}:{}", ns + 1)));
    }

    #[test]
    fn an_unreadable_mark_is_never_judged_stale() {
        for m in [
            "", "garbage", "12:", ":34", "-1:5", "1:x", "1:2", "1:2:x", "1:2:3:4",
        ] {
            assert!(owner_alive(m), "{m:?} judged stale");
        }
    }

    #[test]
    fn dirs_are_sorted_by_their_owner() {
        let root = tempfile::tempdir().unwrap();
        let mk = |name: &str, owner: Option<&str>| {
            let d = root.path().join(name);
            std::fs::create_dir(&d).unwrap();
            if let Some(o) = owner {
                std::fs::write(d.join(OWNER_FILE), o).unwrap();
            }
            d
        };
        let mut child = Command::new("true").spawn().unwrap();
        let dead = mark(child.id(), u64::MAX);
        child.wait().unwrap();
        let stale = mk("gl-cluster-a", Some(&dead));
        mk("gl-cluster-b", Some(&owner_mark()));
        let unknown = mk("gl-cluster-c", None);
        mk("other-d", Some(&dead));
        let (s, u) = stale_dirs(root.path(), "gl-cluster-");
        assert_eq!(s, vec![stale.clone()]);
        assert_eq!(u, vec![unknown]);
        let mut c = Cleaned::default();
        remove_stale_dirs(root.path(), "gl-cluster-", &mut c);
        assert_eq!(c.removed_dirs, vec![stale.clone()]);
        assert!(c.failed_dirs.is_empty(), "{:?}", c.failed_dirs);
        assert!(!stale.exists());
        assert!(root.path().join("gl-cluster-b").exists());
        assert!(root.path().join("other-d").exists());
        // Nothing claimed is left behind under its hidden name.
        let names: Vec<String> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains(".removing.")), "{names:?}");
    }

    /// Many cleaners at once on many stale directories, as cluster starts
    /// in parallel tests are: each directory is removed exactly once, none
    /// is left, and no cleaner reports a failure for another's removal.
    #[test]
    fn cleaners_racing_on_the_same_dirs_remove_each_once() {
        let root = tempfile::tempdir().unwrap();
        let mut child = Command::new("true").spawn().unwrap();
        let dead = mark(child.id(), u64::MAX);
        child.wait().unwrap();
        for i in 0..40 {
            let d = root.path().join(format!("gl-cluster-{i}"));
            // A tree deep and wide enough that removals overlap.
            for j in 0..20 {
                let sub = d.join(format!("brick{j}/a/b"));
                std::fs::create_dir_all(&sub).unwrap();
                std::fs::write(sub.join("f"), b"x").unwrap();
            }
            std::fs::write(d.join(OWNER_FILE), &dead).unwrap();
        }
        let results: Vec<Cleaned> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..6)
                .map(|_| {
                    s.spawn(|| {
                        let mut c = Cleaned::default();
                        remove_stale_dirs(root.path(), "gl-cluster-", &mut c);
                        c
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut removed: Vec<PathBuf> = results
            .iter()
            .flat_map(|c| c.removed_dirs.iter().cloned())
            .collect();
        removed.sort();
        let before = removed.len();
        removed.dedup();
        assert_eq!(before, removed.len(), "a directory removed twice");
        assert_eq!(removed.len(), 40);
        for c in &results {
            assert!(c.failed_dirs.is_empty(), "{:?}", c.failed_dirs);
        }
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
    }
}
