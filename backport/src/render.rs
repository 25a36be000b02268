//! Writing the ported lines in the target file's own style.
//!
//! When the target and the upstream file share a style, upstream's lines go
//! in as they are, so a port onto a post-2018 branch is byte-identical to
//! upstream's own. Otherwise clang-format re-renders only the written line
//! ranges (`--lines`) with a style inferred from the target (`style`), and
//! `align` pads added declarations to their block's columns, which
//! clang-format cannot do without rewriting the block.

use super::edit::{EditKind, Written};
use super::{align, style::Style, tokens};
use anyhow::{bail, Context, Result};
use similar::{ChangeTag, TextDiff};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rendering {
    /// Upstream's lines, untouched.
    Verbatim,
    /// Re-rendered by clang-format and declaration alignment.
    Restyled,
}

/// `before` is the target file, `after` the same with edits applied, and
/// `written` the output line ranges the edits wrote (with their reflow flag).
pub fn render(
    before: &str,
    after: String,
    written: &[Written],
    target: Style,
    upstream: Style,
) -> Result<(String, Rendering)> {
    let same = target == upstream;
    let ranges: Vec<(usize, usize)> = written
        .iter()
        .filter(|(s, e, kind)| {
            e > s && *kind != EditKind::Conflict && (!same || *kind == EditKind::Reflow)
        })
        .map(|(s, e, _)| (s + 1, *e))
        .collect();
    if ranges.is_empty() {
        return Ok((after, Rendering::Verbatim));
    }
    let formatted = clang_format(&after, &ranges, target)?;
    let formatted = keep_only_ranges(&after, &formatted, &ranges);
    let added = added_lines(before, &formatted);
    let formatted = reindent_comment_bodies(&after, &formatted, &added);
    Ok((
        align::align_declarations(&formatted, &added),
        Rendering::Restyled,
    ))
}

fn clang_format(text: &str, ranges: &[(usize, usize)], style: Style) -> Result<String> {
    let mut args = vec![
        format!("--style={}", style.clang_format()),
        "--assume-filename=ported.c".to_string(),
    ];
    args.extend(ranges.iter().map(|(s, e)| format!("--lines={s}:{e}")));
    let out = duct::cmd("clang-format", &args)
        .stdin_bytes(text.as_bytes())
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run();
    let out = match out {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "clang-format is needed to write ported lines in the target's style; \
             install it (apt-get install clang-format) and run again"
        ),
        Err(e) => return Err(e).context("running clang-format"),
    };
    if !out.status.success() {
        bail!(
            "clang-format failed on the ported file: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout).context("clang-format wrote non-UTF-8 text")
}

/// clang-format may touch lines next to a range (a macro's `\` line, a
/// brace): keep its changes only where they fall within the written lines
/// (1-based inclusive `ranges` of `unformatted`).
fn keep_only_ranges(unformatted: &str, formatted: &str, ranges: &[(usize, usize)]) -> String {
    let old: Vec<&str> = unformatted.split_inclusive('\n').collect();
    let new: Vec<&str> = formatted.split_inclusive('\n').collect();
    let inside = |r: std::ops::Range<usize>| {
        ranges
            .iter()
            .any(|&(s, e)| r.start + 1 >= s && r.end <= e && r.start < e)
    };
    let overlaps =
        |r: &std::ops::Range<usize>| ranges.iter().any(|&(s, e)| r.start < e && r.end >= s);
    // A change that spills over a few lines next to a range is clang-format
    // re-wrapping the one statement the range belongs to (a parameter list):
    // taken if it only moves whitespace and keeps every macro continuation.
    let rewrap = |r: std::ops::Range<usize>, n: std::ops::Range<usize>| {
        let (a, b) = (old[r.clone()].concat(), new[n].concat());
        let outside = r
            .clone()
            .filter(|&i| !ranges.iter().any(|&(s, e)| i + 1 >= s && i < e))
            .count();
        overlaps(&r)
            && outside <= 3
            && tokens::texts(&a, &tokens::tokenize(&a)) == tokens::texts(&b, &tokens::tokenize(&b))
            && a.matches("\\\n").count() == b.matches("\\\n").count()
    };
    let mut out = String::new();
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old, &new) {
        let take_new = op.tag() == similar::DiffTag::Equal
            || inside(op.old_range())
            || rewrap(op.old_range(), op.new_range());
        let lines = if take_new {
            &new[op.new_range()]
        } else {
            &old[op.old_range()]
        };
        out.extend(lines.iter().copied());
    }
    out
}

/// clang-format moves a block comment's first line to the new indent but
/// leaves the lines after it where upstream had them; shift those by the
/// same amount, so `/* ...` and its ` * ...` lines stay together.
fn reindent_comment_bodies(unformatted: &str, formatted: &str, added: &[bool]) -> String {
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let lines: Vec<&str> = formatted.lines().collect();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        let opens = l.find("/*").is_some_and(|p| !l[p..].contains("*/"));
        if !(added.get(i) == Some(&true) && opens) {
            i += 1;
            continue;
        }
        // The same comment before formatting: its first line and the line
        // after it (a bare `/*` also opens the licence header), nearest by
        // position.
        let next = lines.get(i + 1).map_or("", |n| n.trim());
        let unformatted_lines: Vec<&str> = unformatted.lines().collect();
        let before = unformatted_lines
            .iter()
            .enumerate()
            .filter(|(u, line)| {
                line.trim() == l.trim()
                    && unformatted_lines.get(u + 1).map_or("", |n| n.trim()) == next
            })
            .min_by_key(|(u, _)| u.abs_diff(i))
            .map(|(_, line)| indent(line));
        let delta = before.map_or(0, |b| indent(l) as isize - b as isize);
        let mut j = i + 1;
        while j < lines.len() && added.get(j) == Some(&true) {
            let body = lines[j];
            if delta != 0 && !body.trim().is_empty() {
                let new = (indent(body) as isize + delta).max(0) as usize;
                out[j] = format!("{}{}", " ".repeat(new), body.trim_start_matches(' '));
            }
            if body.contains("*/") {
                break;
            }
            j += 1;
        }
        i = j + 1;
    }
    let mut s = out.join("\n");
    if formatted.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Which lines of `after` are not in `before`.
fn added_lines(before: &str, after: &str) -> Vec<bool> {
    let mut added = Vec::new();
    for change in TextDiff::from_lines(before, after).iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => added.push(true),
            ChangeTag::Equal => added.push(false),
            ChangeTag::Delete => {}
        }
    }
    added
}
