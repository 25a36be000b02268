//! Finding where an upstream hunk belongs in the target file, by C tokens.
//!
//! A hunk's side (its pre-image: context and deleted lines; or its post-image:
//! context and added lines) is reduced to tokens and searched for in the
//! target's tokens. Layout never matters. When the full context is not there,
//! context lines are dropped from the outer ends, as `patch` does with fuzz,
//! but the rest must still be found exactly once: two places is ambiguity,
//! and the engine refuses rather than guesses.

use super::hunks::{Hunk, Tag};
use super::tokens::{self, Token};
use similar::TextDiff;

/// The target file, tokenized once.
pub struct Target<'a> {
    pub src: &'a str,
    pub toks: Vec<Token>,
    pub words: Vec<&'a str>,
    /// Byte offset where each line starts.
    pub line_starts: Vec<usize>,
    /// Where each distinct token occurs, so a search starts from the
    /// needle's rarest token instead of scanning the whole file.
    at: std::collections::HashMap<&'a str, Vec<usize>>,
}

impl<'a> Target<'a> {
    pub fn new(src: &'a str) -> Self {
        let toks = tokens::tokenize(src);
        let words = tokens::texts(src, &toks);
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        let mut at: std::collections::HashMap<&str, Vec<usize>> = Default::default();
        for (i, w) in words.iter().enumerate() {
            at.entry(*w).or_default().push(i);
        }
        Target {
            src,
            toks,
            words,
            line_starts,
            at,
        }
    }

    /// How many times `word` occurs.
    pub fn count(&self, word: &str) -> usize {
        self.at.get(word).map_or(0, Vec::len)
    }

    /// Every index where `needle` starts in the target's tokens (as
    /// `occurrences` over `words`, from the index).
    pub fn find(&self, needle: &[&str]) -> Vec<usize> {
        if needle.is_empty() || needle.len() > self.words.len() {
            return Vec::new();
        }
        let Some((k, starts)) = needle
            .iter()
            .enumerate()
            .map(|(k, w)| (k, self.at.get(w).map_or(&[][..], Vec::as_slice)))
            .min_by_key(|(_, v)| v.len())
        else {
            return Vec::new();
        };
        starts
            .iter()
            .filter(|&&p| p >= k && p - k + needle.len() <= self.words.len())
            .map(|&p| p - k)
            .filter(|&i| self.words[i..i + needle.len()] == *needle)
            .collect()
    }

    pub fn line_count(&self) -> usize {
        let n = self.line_starts.len();
        if self.src.ends_with('\n') || self.src.is_empty() {
            n - 1
        } else {
            n
        }
    }

    pub fn line(&self, i: usize) -> &'a str {
        let start = self.line_starts[i];
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(self.src.len(), |e| e - 1);
        &self.src[start..end.max(start)]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Context and deleted lines: what the code looks like before the fix.
    Pre,
    /// Context and added lines: what it looks like after.
    Post,
}

/// How a hunk was placed, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(
    tag = "kind",
    content = "context_lines_dropped",
    rename_all = "snake_case"
)]
pub enum How {
    /// Same lines, byte for byte.
    Exact,
    /// Same tokens with all context, different layout.
    WhitespaceOnly,
    /// Same tokens once this many outer context lines were dropped.
    Token(usize),
}

#[derive(Debug, Clone)]
pub struct Placement {
    /// Index in the target's tokens of the first anchored token.
    pub start: usize,
    /// For each anchored token, the index of the hunk line it came from.
    pub origin: Vec<usize>,
    pub how: How,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Candidate {
    /// 1-based line in the target.
    pub line: usize,
    pub similarity: f32,
}

#[derive(Debug, Clone)]
pub enum Miss {
    /// Not found even with all outer context dropped.
    Missing { candidates: Vec<Candidate> },
    /// Found at several places (1-based lines) with the least context that
    /// matched; `options` holds each place, for narrowing by scope.
    Ambiguous {
        lines: Vec<usize>,
        options: Vec<Placement>,
    },
}

/// Fewer tokens than this say too little about a place to trust it.
const MIN_ANCHOR_TOKENS: usize = 5;
/// An anchor keeps at least this many tokens of context (when the hunk has them).
const MIN_CONTEXT_TOKENS: usize = 2;

pub fn locate(hunk: &Hunk, side: Side, target: &Target) -> Result<Placement, Miss> {
    let (side_lines, text) = side_text(hunk, side);
    let toks = tokens::tokenize(&text);
    let words = tokens::texts(&text, &toks);
    let origin: Vec<usize> = toks.iter().map(|t| side_lines[t.line]).collect();
    let context_tokens = origin
        .iter()
        .filter(|&&o| hunk.lines[o].tag == Tag::Context)
        .count();

    let top = hunk
        .lines
        .iter()
        .take_while(|l| l.tag == Tag::Context)
        .count();
    let bottom = hunk
        .lines
        .iter()
        .rev()
        .take_while(|l| l.tag == Tag::Context)
        .count();
    let bottom_first = hunk.lines.len() - bottom;

    for total in 0..=(top + bottom) {
        let mut found: Vec<(usize, usize, usize)> = Vec::new(); // (target start, kept from, kept to)
        for dt in 0..=total.min(top) {
            let db = total - dt;
            if db > bottom {
                continue;
            }
            let from = origin.iter().position(|&o| o >= dt).unwrap_or(origin.len());
            let to = origin
                .iter()
                .rposition(|&o| o < bottom_first + (bottom - db))
                .map_or(0, |p| p + 1);
            if to <= from || to - from < MIN_ANCHOR_TOKENS.min(words.len()) {
                continue;
            }
            // Changed lines alone say where code is, not where this hunk goes.
            let kept_context = origin[from..to]
                .iter()
                .filter(|&&o| hunk.lines[o].tag == Tag::Context)
                .count();
            if kept_context < MIN_CONTEXT_TOKENS.min(context_tokens) {
                continue;
            }
            for start in target.find(&words[from..to]) {
                if !found.iter().any(|f| f.0 == start && f.1 == from) {
                    found.push((start, from, to));
                }
            }
        }
        let mut starts: Vec<isize> = found.iter().map(|f| f.0 as isize - f.1 as isize).collect();
        starts.sort_unstable();
        starts.dedup();
        match starts.len() {
            0 => continue,
            1 => {
                let (start, from, to) = found[0];
                let how = if total > 0 {
                    How::Token(total)
                } else if is_exact(hunk, &side_lines, target, start, &toks) {
                    How::Exact
                } else {
                    How::WhitespaceOnly
                };
                return Ok(Placement {
                    start,
                    origin: origin[from..to].to_vec(),
                    how,
                });
            }
            _ => {
                let mut options: Vec<Placement> = Vec::new();
                for &(start, from, to) in &found {
                    if !options.iter().any(|o| o.start == start) {
                        options.push(Placement {
                            start,
                            origin: origin[from..to].to_vec(),
                            how: How::Token(total),
                        });
                    }
                }
                let lines = found
                    .iter()
                    .map(|f| target.toks[f.0].line + 1)
                    .collect::<std::collections::BTreeSet<_>>();
                return Err(Miss::Ambiguous {
                    lines: lines.into_iter().collect(),
                    options,
                });
            }
        }
    }
    Err(Miss::Missing {
        candidates: candidates(target, &words),
    })
}

/// Every index where `needle` starts in `hay`.
pub fn occurrences(hay: &[&str], needle: &[&str]) -> Vec<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return Vec::new();
    }
    (0..=hay.len() - needle.len())
        .filter(|&i| hay[i] == needle[0] && hay[i..i + needle.len()] == *needle)
        .collect()
}

fn is_exact(
    hunk: &Hunk,
    side_lines: &[usize],
    target: &Target,
    start: usize,
    toks: &[Token],
) -> bool {
    let (Some(first), Some(last)) = (toks.first(), toks.last()) else {
        return false;
    };
    let t_first = target.toks[start].line;
    let t_last = target.toks[start + toks.len() - 1].line;
    let (hunk_first, hunk_last) = (first.line, last.line);
    if t_last - t_first != hunk_last - hunk_first {
        return false;
    }
    (0..=hunk_last - hunk_first)
        .all(|k| target.line(t_first + k) == hunk.lines[side_lines[hunk_first + k]].text)
}

/// The closest places for a hunk that was not found: windows of the target
/// that start where the hunk's rarest token occurs, ranked by token similarity.
fn candidates(target: &Target, words: &[&str]) -> Vec<Candidate> {
    if words.is_empty() {
        return Vec::new();
    }
    // The rarest token of the hunk that the target has at all.
    let Some(rarest) = words
        .iter()
        .enumerate()
        .filter(|(_, w)| w.len() > 2)
        .map(|(i, w)| (i, target.count(w)))
        .filter(|&(_, n)| n > 0)
        .min_by_key(|&(_, n)| n)
        .map(|(i, _)| i)
    else {
        return Vec::new();
    };
    let mut out: Vec<Candidate> = Vec::new();
    for &pos in target
        .at
        .get(words[rarest])
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .take(50)
    {
        let start = pos.saturating_sub(rarest);
        let end = (start + words.len()).min(target.words.len());
        let ratio = TextDiff::from_slices(words, &target.words[start..end]).ratio();
        out.push(Candidate {
            line: target.toks[start].line + 1,
            similarity: (ratio * 100.0).round() / 100.0,
        });
    }
    out.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
    out.dedup_by_key(|c| c.line);
    out.truncate(3);
    out
}

/// One side of a hunk as text: the indices of its lines in the hunk, and the
/// lines joined, so that a token's `line` indexes the first.
pub fn side_text(hunk: &Hunk, side: Side) -> (Vec<usize>, String) {
    let other = if side == Side::Pre {
        Tag::Insert
    } else {
        Tag::Delete
    };
    let lines: Vec<usize> = (0..hunk.lines.len())
        .filter(|&i| hunk.lines[i].tag != other)
        .collect();
    let text = lines
        .iter()
        .map(|&i| hunk.lines[i].text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    (lines, text)
}

/// For each hunk line, whether it carries C tokens (blank and comment-only
/// lines do not). Computed over the whole side so multi-line comments count.
pub fn token_lines(hunk: &Hunk, side: Side) -> Vec<bool> {
    let (side_lines, text) = side_text(hunk, side);
    let mut has = vec![false; hunk.lines.len()];
    for t in tokens::tokenize(&text) {
        has[side_lines[t.line]] = true;
    }
    has
}

/// The function a line is in, by the C convention both GlusterFS styles
/// keep: a definition's name starts a line at column 0 and is followed by
/// `(`. None between functions.
pub fn enclosing_function(lines: &[&str], line: usize) -> Option<String> {
    for l in lines[..=line.min(lines.len().saturating_sub(1))]
        .iter()
        .rev()
    {
        if l.starts_with('}') {
            return None;
        }
        let starts_ident = l.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic());
        if !starts_ident || l.trim_end().ends_with(';') {
            continue;
        }
        if let Some(paren) = l.find('(') {
            let name = l[..paren]
                .trim_end()
                .rsplit([' ', '*'])
                .next()
                .unwrap_or("");
            if !name.is_empty() && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
                return Some(name.to_string());
            }
        }
    }
    None
}
