//! The host's own GlusterFS directories, watched across the suite's cluster
//! steps, so a run that wrote into them (a glusterd that ignored its private
//! mounts, a build that ignored its prefix) fails the suite, on any machine
//! whatever it ran before:
//! - a directory that exists is listed before and after, each entry with
//!   its inode, size, mtime and ctime; a file made and removed again still
//!   changes its directory's mtime and ctime.
//! - a directory that is missing is watched for with inotify on its parent,
//!   so one created and removed again is seen too (its parent's mtime alone
//!   would also change for unrelated entries, such as a package's dir).

use inotify::{Inotify, WatchMask};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// Directories a glusterd of any release writes by default, and the files
/// a legacy `make install` writes outside its prefix unless told otherwise
/// (configure's defaults for mount.glusterfs and the init scripts): every
/// build the kit made as root had overwritten Debian's mount.glusterfs
/// before `compat` moved them into the prefix.
pub const DIRS: &[&str] = &[
    "/var/lib/glusterd",
    "/run/gluster",
    "/var/log/glusterfs",
    "/sbin/mount.glusterfs",
    "/etc/init.d/glusterd",
    "/etc/init.d/glustereventsd",
    // What the operator's host (a root of its own) installs at the
    // system's paths: the RPM layout's GlusterFS, the kit's packages and
    // the shim turned on. Here they are the host's, and never written.
    "/etc/ld.so.preload",
    "/etc/ld.so.conf.d",
    "/etc/gfresolv.conf",
    "/usr/sbin/glfsheal",
    "/usr/lib64",
    "/usr/libexec/glusterfs",
    "/usr/lib/x86_64-linux-gnu/glusterfs",
    "/usr/lib/x86_64-linux-gnu/libgfresolv.so",
    "/usr/bin/heal-info",
    "/usr/lib/systemd/system/heal-info.service",
    // Where upstream's .t tests write on a builder of their own
    // (bug-1320388.t makes its SSL key there); `regress` covers them.
    "/etc/ssl/glusterfs.key",
    "/etc/ssl/glusterfs.pem",
    "/etc/ssl/glusterfs.ca",
];

/// What is compared of one entry: inode, size, mtime and ctime (ns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub ino: u64,
    pub len: u64,
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

/// Every entry under `DIRS`: path -> entry; a missing directory is
/// recorded as missing.
pub type Snapshot = BTreeMap<String, Option<Entry>>;

pub fn snapshot() -> Snapshot {
    snapshot_of(&dirs())
}

fn dirs() -> Vec<PathBuf> {
    DIRS.iter().map(PathBuf::from).collect()
}

fn snapshot_of(dirs: &[PathBuf]) -> Snapshot {
    let mut s = Snapshot::new();
    for dir in dirs {
        if std::fs::symlink_metadata(dir).is_err() {
            s.insert(dir.display().to_string(), None);
            continue;
        }
        for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
            let entry = e.metadata().ok().map(|m| Entry {
                ino: m.ino(),
                len: m.len(),
                mtime: (m.mtime(), m.mtime_nsec()),
                ctime: (m.ctime(), m.ctime_nsec()),
            });
            s.insert(e.path().display().to_string(), entry);
        }
    }
    s
}

/// Ok when nothing was added, removed or changed; otherwise names what was.
pub fn compare(before: &Snapshot, after: &Snapshot) -> Result<(), String> {
    let mut changed: Vec<String> = Vec::new();
    for (path, was) in before {
        match after.get(path) {
            None => changed.push(format!("removed {path}")),
            Some(now) if now != was => changed.push(format!("changed {path}")),
            _ => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        changed.push(format!("added {path}"));
    }
    if changed.is_empty() {
        Ok(())
    } else {
        changed.truncate(20);
        Err(changed.join(", "))
    }
}

/// A snapshot, and inotify watches for the missing directories' names.
pub struct Watch {
    dirs: Vec<PathBuf>,
    before: Snapshot,
    inotify: Option<Inotify>,
    /// (parent, name) of each directory missing at the start.
    missing: Vec<(PathBuf, OsString)>,
    /// Why the missing directories cannot be watched, if so.
    unwatched: Option<String>,
}

/// Starts watching `DIRS`.
pub fn watch() -> Watch {
    watch_of(dirs())
}

fn watch_of(dirs: Vec<PathBuf>) -> Watch {
    let before = snapshot_of(&dirs);
    let missing: Vec<(PathBuf, OsString)> = dirs
        .iter()
        .map(PathBuf::as_path)
        .filter(|d| std::fs::symlink_metadata(d).is_err())
        .filter_map(|d| Some((d.parent()?.to_path_buf(), d.file_name()?.to_owned())))
        .collect();
    let mut w = Watch {
        dirs,
        before,
        inotify: None,
        missing,
        unwatched: None,
    };
    if w.missing.is_empty() {
        return w;
    }
    let setup = || -> std::io::Result<Inotify> {
        let ino = Inotify::init()?;
        for (parent, _) in &w.missing {
            ino.watches()
                .add(parent, WatchMask::CREATE | WatchMask::MOVED_TO)?;
        }
        Ok(ino)
    };
    match setup() {
        Ok(ino) => w.inotify = Some(ino),
        Err(e) => w.unwatched = Some(format!("inotify: {e}")),
    }
    w
}

impl Watch {
    /// Ok when the directories are as they were and no missing one was
    /// created meanwhile, even if removed again.
    pub fn check(mut self) -> Result<(), String> {
        let mut problems = Vec::new();
        if let Err(e) = compare(&self.before, &snapshot_of(&self.dirs)) {
            problems.push(e);
        }
        if let Some(ino) = &mut self.inotify {
            let mut buf = [0u8; 64 * 1024];
            loop {
                match ino.read_events(&mut buf) {
                    Ok(events) => {
                        let mut any = false;
                        for ev in events {
                            any = true;
                            if ev.mask.contains(inotify::EventMask::Q_OVERFLOW) {
                                problems.push(
                                    "inotify queue overflowed: cannot tell whether a missing gluster dir was created".into(),
                                );
                            }
                            if let Some(name) = ev.name {
                                for (parent, n) in &self.missing {
                                    if n == name {
                                        problems.push(format!(
                                            "created {} during the run (removed again: {})",
                                            parent.join(n).display(),
                                            !parent.join(n).exists()
                                        ));
                                    }
                                }
                            }
                        }
                        if !any {
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => {
                        problems.push(format!("inotify: {e}"));
                        break;
                    }
                }
            }
        }
        problems.sort();
        problems.dedup();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    /// A note for the report when the missing directories cannot be watched.
    pub fn unwatched(&self) -> Option<&str> {
        self.unwatched.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ino: u64, len: u64) -> Option<Entry> {
        Some(Entry {
            ino,
            len,
            mtime: (1, 0),
            ctime: (1, 0),
        })
    }

    #[test]
    fn names_added_changed_and_removed_entries() {
        let before: Snapshot = [
            ("/a".to_string(), entry(1, 1)),
            ("/b".to_string(), entry(2, 1)),
        ]
        .into();
        let after: Snapshot = [
            ("/a".to_string(), entry(1, 2)),
            ("/c".to_string(), entry(3, 1)),
        ]
        .into();
        let e = compare(&before, &after).unwrap_err();
        assert_eq!(e, "changed /a, removed /b, added /c");
        assert!(compare(&before, &before).is_ok());
        // The same path on a new inode (removed and made again) is a change.
        let again: Snapshot = [
            ("/a".to_string(), entry(9, 1)),
            ("/b".to_string(), entry(2, 1)),
        ]
        .into();
        assert_eq!(compare(&before, &again).unwrap_err(), "changed /a");
    }

    #[test]
    fn a_file_or_dir_made_and_removed_again_is_seen() {
        let root = tempfile::tempdir().unwrap();
        let there = root.path().join("glusterd");
        let missing = root.path().join("gluster");
        std::fs::create_dir(&there).unwrap();
        std::fs::write(there.join("kept"), "x").unwrap();
        let dirs = vec![there.clone(), missing.clone()];

        assert_eq!(watch_of(dirs.clone()).check(), Ok(()));

        let w = watch_of(dirs.clone());
        std::fs::write(there.join("sock"), "").unwrap();
        std::fs::remove_file(there.join("sock")).unwrap();
        let e = w.check().unwrap_err();
        assert!(e.contains(&format!("changed {}", there.display())), "{e}");

        let w = watch_of(dirs.clone());
        std::fs::create_dir(&missing).unwrap();
        std::fs::create_dir(missing.join("snaps")).unwrap();
        std::fs::remove_dir_all(&missing).unwrap();
        let e = w.check().unwrap_err();
        assert!(
            e.contains(&format!(
                "created {} during the run (removed again: true)",
                missing.display()
            )),
            "{e}"
        );

        // Another entry beside the missing one is no change of ours.
        let w = watch_of(dirs);
        std::fs::write(root.path().join("unrelated"), "").unwrap();
        assert_eq!(w.check(), Ok(()));
    }
}
