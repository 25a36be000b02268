//! What an unplaceable hunk needs: the earlier commits of RANGE that
//! inserted the pre-image lines the branch lacks. An index of the lines
//! RANGE's own commits inserted (the last commit before this one that
//! inserted that line into that file, as `git blame` of the pre-image would
//! name) and the commits' ancestry as bit sets answer it by lookup, without
//! a blame walk per hunk.

use super::read::Read;
use crate::git::Oid;
use crate::hunks;
use crate::locate::Target;
use crate::port::Unplaced;
use crate::tokens;
use crate::upstream::FileChange;
use std::collections::HashMap;

/// (path, a line's tokens), as the blame index keys a line.
pub(super) type Line = (String, String);

/// Token text of a line, layout aside, as the blame index keys it.
fn words(line: &str) -> Vec<&str> {
    tokens::texts(line, &tokens::tokenize(line))
}

/// (path, a line's tokens) -> the commits of RANGE, by index, that inserted
/// such a line into that file; and path -> the commit that added the file.
pub(super) struct Blame {
    pub lines: HashMap<Line, Vec<usize>>,
    pub added: HashMap<String, usize>,
}

/// The lines a change inserts, keyed as the blame index keys them.
pub(super) fn inserted_lines(path: &str, ch: &FileChange) -> Vec<Line> {
    let mut out = Vec::new();
    for h in hunks::diff(&ch.old, &ch.new) {
        for l in h.lines.iter().filter(|l| l.tag == hunks::Tag::Insert) {
            let w = words(&l.text);
            if !w.is_empty() {
                out.push((path.to_string(), w.join(" ")));
            }
        }
    }
    out
}

/// `inserted`: per commit of `commits`, the lines it inserts.
pub(super) fn blame_index<'a>(
    commits: &[Read],
    inserted: impl Iterator<Item = &'a Vec<Line>>,
) -> Blame {
    let mut b = Blame {
        lines: HashMap::new(),
        added: HashMap::new(),
    };
    for (i, (c, lines)) in commits.iter().zip(inserted).enumerate() {
        for key in lines {
            let v = b.lines.entry(key.clone()).or_default();
            if v.last() != Some(&i) {
                v.push(i);
            }
        }
        for ch in &c.changes {
            if let (None, Some(p)) = (&ch.old_path, &ch.new_path) {
                b.added.insert(p.clone(), i);
            }
        }
    }
    b
}

/// Which commits of RANGE each one descends from, as bit sets built in
/// RANGE's topological order (parents first): a lookup, not a graph walk.
/// Only non-merge commits are followed; GlusterFS's release ranges have no
/// merges (v3.12.15..v6.10 and v7.0..v11.1: none), and across a merge the
/// answer is "not a descendant", so a need may be missed, never invented.
pub(super) struct Ancestry {
    bits: Vec<Vec<u64>>,
}

impl Ancestry {
    pub fn of(commits: &[Read]) -> Self {
        let index: HashMap<Oid, usize> =
            commits.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        let words = commits.len().div_ceil(64);
        let mut bits: Vec<Vec<u64>> = Vec::with_capacity(commits.len());
        for c in commits {
            let mut mine = vec![0u64; words];
            for p in &c.parents {
                if let Some(&j) = index.get(p) {
                    for (m, b) in mine.iter_mut().zip(&bits[j]) {
                        *m |= b;
                    }
                    mine[j / 64] |= 1 << (j % 64);
                }
            }
            bits.push(mine);
        }
        Ancestry { bits }
    }

    /// Whether commit `i` descends from commit `j`.
    fn has(&self, i: usize, j: usize) -> bool {
        self.bits[i][j / 64] & (1 << (j % 64)) != 0
    }
}

/// The commits of RANGE before `i` that inserted the pre-image lines of
/// `u` the branch's file lacks.
pub(super) fn needed(
    ancestry: &Ancestry,
    blame: &Blame,
    i: usize,
    path: &str,
    u: &Unplaced,
    t: Option<&Target>,
) -> Vec<usize> {
    let mut out = Vec::new();
    for line in &u.pre_image {
        let w = words(line);
        if w.is_empty() {
            continue;
        }
        // The branch has the line when its tokens stand in the file in a
        // row, however the lines wrap.
        if t.is_some_and(|t| !t.find(&w).is_empty()) {
            continue;
        }
        let Some(by) = blame.lines.get(&(path.to_string(), w.join(" "))) else {
            continue;
        };
        // The last one before `i` that `i` descends from, as blame names it.
        let hit = by.iter().rev().find(|&&j| j < i && ancestry.has(i, j));
        if let Some(&j) = hit {
            if !out.contains(&j) {
                out.push(j);
            }
        }
    }
    out.sort_unstable();
    out
}
