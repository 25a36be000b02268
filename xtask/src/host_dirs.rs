//! The host's own GlusterFS directories, listed before and after the suite's
//! cluster steps, so a run that wrote into them (a glusterd that ignored its
//! private mounts, a build that ignored its prefix) fails the suite.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

/// Directories a glusterd of any release writes by default.
pub const DIRS: &[&str] = &["/var/lib/glusterd", "/run/gluster", "/var/log/glusterfs"];

/// Every entry under `DIRS`: path -> (size, modified time); a missing
/// directory is recorded as missing.
pub type Snapshot = BTreeMap<String, Option<(u64, Option<SystemTime>)>>;

pub fn snapshot() -> Snapshot {
    let mut s = Snapshot::new();
    for dir in DIRS {
        if !Path::new(dir).exists() {
            s.insert((*dir).to_string(), None);
            continue;
        }
        for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
            let meta = e.metadata().ok();
            s.insert(
                e.path().display().to_string(),
                Some((
                    meta.as_ref().map_or(0, |m| m.len()),
                    meta.and_then(|m| m.modified().ok()),
                )),
            );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_added_changed_and_removed_entries() {
        let t = Some(SystemTime::UNIX_EPOCH);
        let before: Snapshot = [
            ("/a".to_string(), Some((1, t))),
            ("/b".to_string(), Some((1, t))),
        ]
        .into();
        let after: Snapshot = [
            ("/a".to_string(), Some((2, t))),
            ("/c".to_string(), Some((1, t))),
        ]
        .into();
        let e = compare(&before, &after).unwrap_err();
        assert_eq!(e, "changed /a, removed /b, added /c");
        assert!(compare(&before, &before).is_ok());
    }
}
