//! Counting pending heals straight from brick directories, without glusterd:
//! the gfid links under `.glusterfs/indices/{xattrop,dirty,entry-changes}`.
//! An independent oracle for what glfsheal reports.

use serde::Serialize;
use std::path::Path;
use walkdir::WalkDir;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BrickScan {
    pub brick: String,
    pub xattrop: usize,
    pub dirty: usize,
    pub entry_changes: usize,
    /// Distinct gfids needing heal across the three indices.
    pub pending: usize,
}

fn is_gfid(name: &str) -> bool {
    name.len() == 36
        && name.bytes().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

pub fn scan(brick: &Path) -> anyhow::Result<BrickScan> {
    let idx = brick.join(".glusterfs/indices");
    if !idx.is_dir() {
        anyhow::bail!(
            "{} has no .glusterfs/indices: is it a brick directory?",
            brick.display()
        );
    }
    let mut gfids = std::collections::BTreeSet::new();
    let mut count = |sub: &str| -> usize {
        let mut n = 0;
        for e in WalkDir::new(idx.join(sub))
            .min_depth(1)
            .into_iter()
            .flatten()
        {
            let name = e.file_name().to_string_lossy();
            // The index base files are named `<index>-<uuid>`; entries are bare gfids.
            if is_gfid(&name) {
                n += 1;
                gfids.insert(name.into_owned());
            }
        }
        n
    };
    let xattrop = count("xattrop");
    let dirty = count("dirty");
    let entry_changes = count("entry-changes");
    Ok(BrickScan {
        brick: brick.display().to_string(),
        xattrop,
        dirty,
        entry_changes,
        pending: gfids.len(),
    })
}
