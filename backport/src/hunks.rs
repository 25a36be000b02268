//! An upstream change to one file, cut into hunks of lines.
//!
//! The hunks come from the two blobs of the upstream commit (its parent's
//! file and its own), diffed line by line with `similar`, with three lines of
//! context as `git diff` gives. Everything downstream works from these.

use similar::{DiffTag, TextDiff};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Context,
    Delete,
    Insert,
}

#[derive(Debug, Clone)]
pub struct HunkLine {
    pub tag: Tag,
    /// The line without its newline.
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Hunk {
    /// 0-based first line of the hunk in the upstream pre-image.
    pub old_start: usize,
    pub lines: Vec<HunkLine>,
}

pub const CONTEXT_LINES: usize = 3;

/// Hunks turning `old` into `new`.
pub fn diff(old: &str, new: &str) -> Vec<Hunk> {
    let diff = TextDiff::from_lines(old, new);
    let old_lines: Vec<&str> = split_lines(old);
    let new_lines: Vec<&str> = split_lines(new);
    let mut hunks = Vec::new();
    for group in diff.grouped_ops(CONTEXT_LINES) {
        let old_start = group.first().map_or(0, |op| op.old_range().start);
        let mut lines = Vec::new();
        for op in &group {
            let push = |lines: &mut Vec<HunkLine>, tag, text: &str| {
                lines.push(HunkLine {
                    tag,
                    text: text.to_string(),
                })
            };
            match op.tag() {
                DiffTag::Equal => {
                    for l in &old_lines[op.old_range()] {
                        push(&mut lines, Tag::Context, l);
                    }
                }
                DiffTag::Delete | DiffTag::Replace | DiffTag::Insert => {
                    for l in &old_lines[op.old_range()] {
                        push(&mut lines, Tag::Delete, l);
                    }
                    for l in &new_lines[op.new_range()] {
                        push(&mut lines, Tag::Insert, l);
                    }
                }
            }
        }
        hunks.push(Hunk { old_start, lines });
    }
    hunks
}

/// Lines without their terminators; a final newline does not make an empty line.
pub fn split_lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

impl Hunk {
    /// The hunk as `diff -u` would print it, for reports and conflict markers.
    pub fn unified(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            let sign = match l.tag {
                Tag::Context => ' ',
                Tag::Delete => '-',
                Tag::Insert => '+',
            };
            out.push(sign);
            out.push_str(&l.text);
            out.push('\n');
        }
        out
    }

    /// The hunk cut into one hunk per run of changed lines, each with up to
    /// `CONTEXT_LINES` of the surrounding context. Used when the context
    /// between two runs differs on the target (it came from other commits).
    pub fn split_runs(&self) -> Vec<Hunk> {
        let mut out = Vec::new();
        let n = self.lines.len();
        let mut a = 0;
        while a < n {
            if self.lines[a].tag == Tag::Context {
                a += 1;
                continue;
            }
            let b = (a..n)
                .find(|&i| self.lines[i].tag == Tag::Context)
                .unwrap_or(n);
            let from = a.saturating_sub(CONTEXT_LINES);
            let from = (from..a)
                .find(|&i| self.lines[i..a].iter().all(|l| l.tag == Tag::Context))
                .unwrap_or(a);
            let mut to = b;
            while to < n && to < b + CONTEXT_LINES && self.lines[to].tag == Tag::Context {
                to += 1;
            }
            let old_start = self.old_start
                + self.lines[..from]
                    .iter()
                    .filter(|l| l.tag != Tag::Insert)
                    .count();
            out.push(Hunk {
                old_start,
                lines: self.lines[from..to].to_vec(),
            });
            a = b;
        }
        out
    }

    /// The first changed line, for naming a hunk in messages.
    pub fn headline(&self) -> String {
        self.lines
            .iter()
            .find(|l| l.tag != Tag::Context && !l.text.trim().is_empty())
            .map(|l| l.text.trim().to_string())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_change_gives_one_hunk_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\n";
        let hunks = diff(old, new);
        assert_eq!(hunks.len(), 1);
        assert_eq!(hunks[0].old_start, 1);
        assert_eq!(hunks[0].unified(), " b\n c\n d\n-e\n+E\n f\n g\n h\n");
    }
}
