//! Turning a placed hunk into edits of the target's lines.
//!
//! Each run of deleted and added lines in a hunk becomes one `LineEdit`: the
//! target lines that hold the deleted tokens are replaced by the added lines.
//! A pure insertion goes between the target lines of its neighbouring tokens,
//! on the same side of any blank or comment lines as upstream put it. Deleted
//! blank and comment lines are matched by their text near the run.

use super::hunks::{Hunk, Tag};
use super::locate::{token_lines, Placement, Side, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// Upstream lines, to be rendered in the target's style.
    Ported,
    /// Part of a target line was kept and joined to upstream text, so the
    /// result must go through the formatter whatever the styles.
    Reflow,
    /// Conflict markers for a hunk that could not be placed (`--wip`):
    /// written as they are, never formatted.
    Conflict,
}

#[derive(Debug, Clone)]
pub struct LineEdit {
    /// First target line replaced (0-based) and the line after the last.
    pub start: usize,
    pub end: usize,
    /// The upstream lines that take their place, still in upstream's style.
    pub lines: Vec<String>,
    pub kind: EditKind,
    pub hunk: usize,
}

pub fn plan(hunk_no: usize, hunk: &Hunk, placed: &Placement, target: &Target) -> Vec<LineEdit> {
    let has_tok = token_lines(hunk, Side::Pre);
    let mut edits = Vec::new();
    let mut a = 0;
    while a < hunk.lines.len() {
        if hunk.lines[a].tag == Tag::Context {
            a += 1;
            continue;
        }
        let b = (a..hunk.lines.len())
            .find(|&i| hunk.lines[i].tag == Tag::Context)
            .unwrap_or(hunk.lines.len());
        edits.push(plan_run(hunk_no, hunk, &has_tok, a, b, placed, target));
        a = b;
    }
    edits
}

fn plan_run(
    hunk_no: usize,
    hunk: &Hunk,
    has_tok: &[bool],
    a: usize,
    b: usize,
    placed: &Placement,
    target: &Target,
) -> LineEdit {
    let run = &hunk.lines[a..b];
    let inserted: Vec<String> = run
        .iter()
        .filter(|l| l.tag == Tag::Insert)
        .map(|l| l.text.clone())
        .collect();
    let k = placed.origin.iter().filter(|&&o| o < a).count();
    let d = placed.origin.iter().filter(|&&o| o >= a && o < b).count();
    let first = placed.start + k;
    let prev_line = first.checked_sub(1).map(|p| target.toks[p].line);
    let next_line = target.toks.get(first + d).map(|t| t.line);
    let n_lines = target.line_count();
    let edit = |start, end, lines, reflow: bool| LineEdit {
        start,
        end,
        lines,
        kind: if reflow {
            EditKind::Reflow
        } else {
            EditKind::Ported
        },
        hunk: hunk_no,
    };
    // Blank and comment lines upstream deletes, split by where they stand.
    let tokenless = |l: &super::hunks::HunkLine, i: usize| l.tag == Tag::Delete && !has_tok[a + i];
    let first_tok = run
        .iter()
        .enumerate()
        .position(|(i, l)| l.tag == Tag::Delete && has_tok[a + i]);
    let last_tok = run
        .iter()
        .enumerate()
        .rposition(|(i, l)| l.tag == Tag::Delete && has_tok[a + i]);

    if d == 0 {
        let gap_start = prev_line.map_or(0, |l| l + 1);
        let gap_end = next_line.unwrap_or(n_lines);
        if let (Some(p), Some(q)) = (prev_line, next_line) {
            if p == q {
                // Both neighbours share one target line: split it around the insertion.
                let line = target.line(p);
                let cut = target.toks[first].start - target.line_starts[p];
                let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
                let mut lines = vec![line[..cut].trim_end().to_string()];
                lines.extend(inserted);
                lines.push(format!("{indent}{}", &line[cut..]));
                return edit(p, p + 1, lines, true);
            }
        }
        let deleted: Vec<&str> = run
            .iter()
            .enumerate()
            .filter(|(i, l)| tokenless(l, *i))
            .map(|(_, l)| l.text.as_str())
            .collect();
        if let Some((s, e)) = match_lines(target, gap_start, gap_end, &deleted) {
            return edit(s, e, inserted, false);
        }
        let before = count_tokenless_context(hunk, has_tok, (0..a).rev());
        let after = count_tokenless_context(hunk, has_tok, b..hunk.lines.len());
        let gap = gap_end.saturating_sub(gap_start);
        let at = if before == 0 {
            gap_start
        } else if after == 0 {
            gap_end
        } else {
            gap_start + before.min(gap)
        };
        return edit(at, at, inserted, false);
    }

    let last = first + d - 1;
    let la = target.toks[first].line;
    let lb = target.toks[last].line;
    let first_on_line = prev_line.is_none_or(|p| p < la);
    let last_on_line = next_line.is_none_or(|q| q > lb);
    let mut start = la;
    let mut end = lb + 1;
    // Comments and blank lines deleted just above or below the code go too.
    let above: Vec<&str> = run[..first_tok.unwrap_or(0)]
        .iter()
        .enumerate()
        .filter(|(i, l)| tokenless(l, *i))
        .map(|(_, l)| l.text.as_str())
        .collect();
    let below_from = last_tok.map_or(run.len(), |t| t + 1);
    let below: Vec<&str> = run[below_from..]
        .iter()
        .enumerate()
        .filter(|(i, l)| tokenless(l, below_from + *i))
        .map(|(_, l)| l.text.as_str())
        .collect();
    if first_on_line && !above.is_empty() && start >= above.len() {
        let s = start - above.len();
        if match_lines(target, s, start, &above) == Some((s, start)) {
            start = s;
        }
    }
    if last_on_line && !below.is_empty() && end + below.len() <= n_lines {
        let e = end + below.len();
        if match_lines(target, end, e, &below) == Some((end, e)) {
            end = e;
        }
    }
    if first_on_line && last_on_line {
        return edit(start, end, inserted, false);
    }
    let prefix = if first_on_line {
        ""
    } else {
        &target.src[target.line_starts[la]..target.toks[first].start]
    };
    let suffix = if last_on_line {
        ""
    } else {
        let line_end = target.line_starts[lb] + target.line(lb).len();
        &target.src[target.toks[last].end..line_end]
    };
    let mut lines = inserted;
    if lines.is_empty() {
        lines.push(String::new());
    }
    let n = lines.len();
    lines[0] = format!("{}{}", prefix, lines[0].trim_start());
    lines[n - 1].push_str(suffix);
    edit(start, end, lines, true)
}

fn count_tokenless_context(
    hunk: &Hunk,
    has_tok: &[bool],
    range: impl Iterator<Item = usize>,
) -> usize {
    let mut n = 0;
    for i in range {
        if hunk.lines[i].tag != Tag::Context || has_tok[i] {
            break;
        }
        n += 1;
    }
    n
}

/// Where `wanted` (blank or comment lines) stands as a block within target
/// lines `from..to`, compared with whitespace folded.
fn match_lines(target: &Target, from: usize, to: usize, wanted: &[&str]) -> Option<(usize, usize)> {
    if wanted.is_empty() || to < from + wanted.len() {
        return None;
    }
    (from..=to - wanted.len())
        .find(|&s| {
            wanted
                .iter()
                .enumerate()
                .all(|(i, w)| fold(target.line(s + i)) == fold(w))
        })
        .map(|s| (s, s + wanted.len()))
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Output lines `start..end` that one edit wrote, and its kind.
pub type Written = (usize, usize, EditKind);

/// The target with `edits` applied, and the output line ranges each edit
/// wrote; or the two hunks whose edits overlap.
pub fn apply(
    target: &Target,
    edits: &[LineEdit],
) -> Result<(String, Vec<Written>), (usize, usize)> {
    let mut sorted: Vec<&LineEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.start, e.end));
    for w in sorted.windows(2) {
        if w[1].start < w[0].end || (w[1].start == w[0].start && w[0].end > w[0].start) {
            return Err((w[0].hunk, w[1].hunk));
        }
    }
    let mut out = String::new();
    let mut written = Vec::new();
    let mut line = 0;
    let mut out_line = 0;
    let n = target.line_count();
    let push_line = |out: &mut String, l: &str| {
        out.push_str(l);
        out.push('\n');
    };
    for e in sorted {
        while line < e.start {
            push_line(&mut out, target.line(line));
            line += 1;
            out_line += 1;
        }
        for l in &e.lines {
            push_line(&mut out, l);
        }
        written.push((out_line, out_line + e.lines.len(), e.kind));
        out_line += e.lines.len();
        line = e.end;
    }
    while line < n {
        push_line(&mut out, target.line(line));
        line += 1;
    }
    if !target.src.ends_with('\n') && !target.src.is_empty() && out.ends_with('\n') {
        out.pop();
    }
    Ok((out, written))
}
