//! Porting one upstream file change onto the target's version of the file:
//! locate every hunk, plan the line edits, apply them, render in style.
//! Also tells whether the change is already there, by its effect.

use super::dialect::{self, Lang};
use super::edit::{self, EditKind, LineEdit};
use super::hunks::{self, Hunk, Tag};
use super::locate::{self, Candidate, How, Miss, Side, Target};
use super::render::{self, Rendering};
use super::style;
use super::tokens;

#[derive(Debug, Clone, serde::Serialize)]
pub struct HunkReport {
    /// 1-based, in upstream order; `2.1` is the first run of hunk 2 when
    /// the hunk had to be placed run by run; a trailing `*` means context
    /// lines the branch's copy of the function lacks were left out.
    pub hunk: String,
    pub headline: String,
    /// 1-based line in the target where the hunk's anchor starts.
    pub target_line: usize,
    pub how: How,
}

#[derive(Debug, Clone)]
pub struct Ported {
    pub text: String,
    /// With `--wip` only: hunks left as conflict markers.
    pub failed: Vec<Failure>,
    pub hunks: Vec<HunkReport>,
    pub skipped_cosmetic: Vec<String>,
    pub rendering: Rendering,
}

#[derive(Debug, Clone)]
pub enum Failure {
    Missing {
        hunk: String,
        headline: String,
        unified: String,
        candidates: Vec<Candidate>,
    },
    Ambiguous {
        hunk: String,
        headline: String,
        unified: String,
        lines: Vec<usize>,
    },
    Overlap {
        first: String,
        second: String,
    },
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Missing {
                hunk,
                headline,
                candidates,
                ..
            } => {
                write!(f, "hunk {hunk} (`{headline}`) has no anchor in the target")?;
                if let Some(c) = candidates.first() {
                    write!(
                        f,
                        "; the closest code is at line {} ({:.0}% alike)",
                        c.line,
                        c.similarity * 100.0
                    )?;
                }
                Ok(())
            }
            Failure::Ambiguous {
                hunk,
                headline,
                lines,
                ..
            } => write!(
                f,
                "hunk {hunk} (`{headline}`) matches {} places (lines {}); refusing to guess",
                lines.len(),
                lines
                    .iter()
                    .map(|l| l.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Failure::Overlap { first, second } => {
                write!(f, "hunks {first} and {second} land on the same lines")
            }
            Failure::Other(e) => write!(f, "{e}"),
        }
    }
}

/// Whether a hunk changes tokens at all; whitespace- and comment-only hunks
/// say nothing about whether a fix is present.
fn changes_tokens(h: &Hunk) -> bool {
    let side = |side| {
        let (_, text) = locate::side_text(h, side);
        tokens::texts(&text, &tokens::tokenize(&text))
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    side(Side::Pre) != side(Side::Post)
}

fn has_tokens(line: &str) -> bool {
    !tokens::tokenize(line).is_empty()
}

fn fuzz(how: How) -> usize {
    match how {
        How::Exact | How::WhitespaceOnly => 0,
        How::Token(n) => n,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Every hunk's result is there and its starting point is not.
    Present,
    /// Every hunk's starting point is there.
    Pending,
    /// Some hunks are in, others are not.
    Partial,
    /// Some hunk is found neither before nor after.
    Unknown,
}

impl State {
    /// Where a whole stands from where its parts stand (hunks of a file,
    /// files of a commit): present or pending when every part is, unknown
    /// when a part is, else partial. Nothing to judge is present.
    pub fn combine(states: &[State]) -> State {
        let all = |s: State| states.iter().all(|&x| x == s);
        if all(State::Present) {
            State::Present
        } else if all(State::Pending) {
            State::Pending
        } else if states.contains(&State::Unknown) {
            State::Unknown
        } else {
            State::Partial
        }
    }
}

/// Locates a hunk; when it matches several places, keeps the one inside
/// the function upstream changed (the `@@ ... @@ name(` of `git diff`), if
/// exactly one is. That is the hunk's own scope, not a guess.
fn place(h: &Hunk, side: Side, t: &Target, old: &str) -> Result<locate::Placement, Miss> {
    match locate::locate(h, side, t) {
        Err(Miss::Ambiguous { lines, options }) => {
            let old_lines: Vec<&str> = old.lines().collect();
            let first_change = h
                .lines
                .iter()
                .position(|l| l.tag != Tag::Context)
                .unwrap_or(0);
            let line_in_old = h.old_start + first_change;
            let want = locate::enclosing_function(
                &old_lines,
                line_in_old.min(old_lines.len().saturating_sub(1)),
            );
            let t_lines: Vec<&str> = t.src.lines().collect();
            let mut narrowed: Vec<locate::Placement> = options
                .iter()
                .filter(|p| {
                    want.is_some()
                        && locate::enclosing_function(&t_lines, t.toks[p.start].line) == want
                })
                .cloned()
                .collect();
            if narrowed.len() == 1 {
                Ok(narrowed.remove(0))
            } else {
                Err(Miss::Ambiguous { lines, options })
            }
        }
        other => other,
    }
}

/// The hunks of `old -> new`, with any hunk whose context no longer matches
/// `target` as a whole cut into its runs, each with its own context.
fn hunks_for(old: &str, new: &str, t: &Target) -> Vec<(String, Hunk)> {
    hunks_counted(old, new, t)
        .into_iter()
        .map(|(n, h, _)| (n, h))
        .collect()
}

/// `hunks_for`, with how many context lines each `*` hunk left out.
fn hunks_counted(old: &str, new: &str, t: &Target) -> Vec<(String, Hunk, usize)> {
    let placeable =
        |h: &Hunk| place(h, Side::Pre, t, old).is_ok() || place(h, Side::Post, t, old).is_ok();
    // A hunk that cannot be placed as it is may be once the context lines
    // the branch never had are left out; such hunks are marked `*`.
    let placed_or_reduced = |id: String, h: Hunk| match without_missing_context(&h, old, t) {
        Some(reduced) => {
            let left_out = h.lines.len() - reduced.lines.len();
            (format!("{id}*"), reduced, left_out)
        }
        None => (id, h, 0),
    };
    let mut out = Vec::new();
    for (i, h) in hunks::diff(old, new).into_iter().enumerate() {
        if placeable(&h) {
            out.push(((i + 1).to_string(), h, 0));
            continue;
        }
        let parts = h.split_runs();
        if parts.len() == 1 {
            out.push(placed_or_reduced((i + 1).to_string(), h));
            continue;
        }
        for (j, part) in parts.into_iter().enumerate() {
            let id = format!("{}.{}", i + 1, j + 1);
            out.push(if placeable(&part) {
                (id, part, 0)
            } else {
                placed_or_reduced(id, part)
            });
        }
    }
    out
}

/// The hunk without the context lines the target's copy of the same
/// function does not have (they came from commits the branch never got),
/// if that makes it placeable. The function is found by name, once, in
/// both files; the hunk's tokens are aligned with the target function's
/// by diff. A context line that does not align is left out, unless three
/// quarters of its names stand on one line of the branch's function: then
/// the branch has its own version of that line, and the hunk is refused.
/// Deleted lines must all align.
fn without_missing_context(h: &Hunk, old: &str, t: &Target) -> Option<Hunk> {
    let old_lines: Vec<&str> = old.lines().collect();
    let first_change = h.lines.iter().position(|l| l.tag != Tag::Context)?;
    let name = locate::enclosing_function(
        &old_lines,
        (h.old_start + first_change).min(old_lines.len().saturating_sub(1)),
    )?;
    let t_lines: Vec<&str> = t.src.lines().collect();
    let defines = |l: &&str| {
        l.strip_prefix(name.as_str())
            .is_some_and(|rest| rest.trim_start().starts_with('('))
    };
    let mut starts = t_lines
        .iter()
        .enumerate()
        .filter(|(_, l)| defines(l))
        .map(|(i, _)| i);
    let (begin, None) = (starts.next()?, starts.next()) else {
        return None;
    };
    let end = (begin..t_lines.len()).find(|&i| t_lines[i].starts_with('}'))?;
    let region: Vec<&str> = t
        .toks
        .iter()
        .zip(&t.words)
        .filter(|(tk, _)| tk.line >= begin && tk.line <= end)
        .map(|(_, w)| *w)
        .collect();

    let (pre, text) = locate::side_text(h, Side::Pre);
    let toks = tokens::tokenize(&text);
    let words = tokens::texts(&text, &toks);
    let mut aligned = vec![false; words.len()];
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &words, &region) {
        if op.tag() == similar::DiffTag::Equal {
            for k in op.old_range() {
                aligned[k] = true;
            }
        }
    }
    // Per hunk line: (tokens, tokens aligned).
    let mut counts = vec![(0usize, 0usize); h.lines.len()];
    for (k, tk) in toks.iter().enumerate() {
        let c = &mut counts[pre[tk.line]];
        c.0 += 1;
        c.1 += aligned[k] as usize;
    }
    let idents = |line: &str| -> std::collections::BTreeSet<String> {
        tokens::texts(line, &tokens::tokenize(line))
            .into_iter()
            .filter(|w| w.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic()))
            .map(String::from)
            .collect()
    };
    let function_lines: Vec<std::collections::BTreeSet<String>> =
        t_lines[begin..=end].iter().map(|l| idents(l)).collect();
    let mut keep = vec![true; h.lines.len()];
    for (i, &(n, a)) in counts.iter().enumerate() {
        if a == n {
            continue;
        }
        if h.lines[i].tag == Tag::Delete {
            return None;
        }
        // A line whose names mostly stand on one line of the branch's
        // function is the branch's own version of it, a real difference:
        // leave the hunk to be refused. Otherwise the line is missing.
        let mine = idents(&h.lines[i].text);
        let rewritten = mine.len() >= 2
            && function_lines
                .iter()
                .any(|theirs| mine.intersection(theirs).count() * 4 >= mine.len() * 3);
        if rewritten {
            return None;
        }
        keep[i] = false;
    }
    if keep.iter().all(|&k| k) {
        return None;
    }
    let reduced = Hunk {
        old_start: h.old_start,
        lines: h
            .lines
            .iter()
            .zip(&keep)
            .filter(|(_, &k)| k)
            .map(|(l, _)| l.clone())
            .collect(),
    };
    place(&reduced, Side::Pre, t, old)
        .is_ok()
        .then_some(reduced)
}

/// Total context lines dropped to place every hunk's starting point in
/// `target`, or None if some hunk cannot be placed: how well a port fits.
pub fn fit(old: &str, new: &str, target: &str) -> Option<usize> {
    let (old, new) = dialect::adapt(old, new, target);
    let (old, new) = (old.as_ref(), new.as_ref());
    let t = Target::new(target);
    hunks_for(old, new, &t)
        .iter()
        .filter(|(_, h)| changes_tokens(h))
        .map(|(_, h)| place(h, Side::Pre, &t, old).ok().map(|p| fuzz(p.how)))
        .sum()
}

/// Where each hunk that changes tokens stands in `target`.
pub fn hunk_states(old: &str, new: &str, target: &str) -> Vec<(String, State)> {
    hunk_states_in(old, new, &Target::new(target))
}

fn hunk_states_in(old: &str, new: &str, t: &Target) -> Vec<(String, State)> {
    let (old, new) = dialect::adapt(old, new, t.src);
    let (old, new) = (old.as_ref(), new.as_ref());
    hunks_for(old, new, t)
        .iter()
        .filter(|(_, h)| changes_tokens(h))
        .map(|(n, h)| {
            let pre = place(h, Side::Pre, t, old);
            let post = place(h, Side::Post, t, old);
            (n.clone(), hunk_state(h, &pre, &post))
        })
        .collect()
}

type Placed = Result<locate::Placement, Miss>;

/// Where one hunk stands, from where its two sides were found.
fn hunk_state(h: &Hunk, pre: &Placed, post: &Placed) -> State {
    let adds = h
        .lines
        .iter()
        .any(|l| l.tag == Tag::Insert && has_tokens(&l.text));
    let deletes = h
        .lines
        .iter()
        .any(|l| l.tag == Tag::Delete && has_tokens(&l.text));
    // A side made of context alone proves nothing: a pure deletion is
    // judged by whether the deleted code is still there, a pure
    // insertion by whether the inserted code is.
    match (pre, post) {
        (Ok(_), _) if !adds => State::Pending,
        (Err(_), Ok(_)) if !adds => State::Present,
        (Ok(p), Ok(q)) if fuzz(q.how) < fuzz(p.how) => State::Present,
        (Ok(p), Ok(q)) if fuzz(p.how) < fuzz(q.how) => State::Pending,
        (_, Ok(_)) if !deletes => State::Present,
        (Ok(_), Err(_)) => State::Pending,
        (Err(_), Ok(_)) => State::Present,
        _ => State::Unknown,
    }
}

/// For the survey: where the change stands in `t` (as `state`) and, unless
/// it is present, whether it would port (as `port` would place it, without
/// writing or rendering): the context lines dropped (outer fuzz plus lines
/// the branch's function lacks), or the first hunk that cannot be placed.
/// Each hunk is located once per side.
pub fn judge_in(old: &str, new: &str, t: &Target) -> (State, Result<usize, Unplaced>) {
    let (old, new) = dialect::adapt(old, new, t.src);
    let (old, new) = (old.as_ref(), new.as_ref());
    let mut states = Vec::new();
    let mut edits: Vec<LineEdit> = Vec::new();
    let mut dropped = 0;
    let mut names = Vec::new();
    let mut failure = None;
    for (n, h, left_out) in hunks_counted(old, new, t) {
        let tokens = changes_tokens(&h);
        let pre = place(&h, Side::Pre, t, old);
        if tokens {
            states.push(hunk_state(&h, &pre, &place(&h, Side::Post, t, old)));
        }
        match pre {
            Ok(p) => {
                dropped += fuzz(p.how) + left_out;
                edits.extend(edit::plan(names.len(), &h, &p, t));
                names.push(n);
            }
            Err(_) if !tokens => {}
            Err(miss) => {
                if failure.is_none() {
                    failure = Some(unplaced(n, &h, miss));
                }
            }
        }
    }
    let state = State::combine(&states);
    if state == State::Present {
        return (state, Ok(0));
    }
    if let Some(u) = failure {
        return (state, Err(u));
    }
    let placed = edit::apply(t, &edits)
        .map(|_| dropped)
        .map_err(|(a, b)| Unplaced {
            hunk: format!(
                "{}+{}",
                names.get(a).cloned().unwrap_or_default(),
                names.get(b).cloned().unwrap_or_default()
            ),
            headline: "hunks land on the same lines".into(),
            candidates: Vec::new(),
            pre_image: Vec::new(),
        });
    (state, placed)
}

fn unplaced(hunk: String, h: &Hunk, miss: Miss) -> Unplaced {
    let (_, pre_text) = locate::side_text(h, Side::Pre);
    Unplaced {
        hunk,
        headline: h.headline(),
        candidates: match miss {
            Miss::Missing { candidates } => candidates,
            Miss::Ambiguous { lines, .. } => lines
                .into_iter()
                .map(|line| Candidate {
                    line,
                    similarity: 1.0,
                })
                .collect(),
        },
        pre_image: pre_text.lines().map(String::from).collect(),
    }
}

/// Where the change stands in `target`, judged by its effect on the code.
pub fn state(old: &str, new: &str, target: &str) -> State {
    state_in(old, new, &Target::new(target))
}

/// `state` on a target tokenized once, for callers that ask many times.
pub fn state_in(old: &str, new: &str, t: &Target) -> State {
    let states = hunk_states_in(old, new, t);
    if std::env::var_os("BACKPORT_DEBUG").is_some() {
        eprintln!("hunk states: {states:?}");
    }
    State::combine(&states.iter().map(|(_, s)| *s).collect::<Vec<_>>())
}

/// A hunk `judge_in` could not place, with its pre-image lines (what the
/// hunk needs the target to have).
#[derive(Debug, Clone)]
pub struct Unplaced {
    pub hunk: String,
    pub headline: String,
    pub candidates: Vec<Candidate>,
    pub pre_image: Vec<String>,
}

/// Ports `old -> new` onto `target`. Whitespace-only hunks that cannot be
/// placed are skipped and reported; every other hunk must be placed.
///
/// With `wip`, a hunk that cannot be placed does not fail the port: it is
/// written as conflict markers at its closest candidate place (or at the end)
/// and returned in `failed`, so a maintainer can finish it by hand.
pub fn port(old: &str, new: &str, target: &str, wip: bool) -> Result<Ported, Failure> {
    let (old, new) = dialect::adapt(old, new, target);
    let (old, new) = (old.as_ref(), new.as_ref());
    let t = Target::new(target);
    let mut edits: Vec<LineEdit> = Vec::new();
    let mut reports = Vec::new();
    let mut skipped = Vec::new();
    let mut failed = Vec::new();
    for (n, h) in hunks_for(old, new, &t) {
        let h = &h;
        let idx = reports.len();
        match place(h, Side::Pre, &t, old) {
            Ok(p) => {
                reports.push(HunkReport {
                    hunk: n,
                    headline: h.headline(),
                    target_line: t.toks.get(p.start).map_or(1, |t| t.line + 1),
                    how: p.how,
                });
                edits.extend(edit::plan(idx, h, &p, &t));
            }
            Err(_) if !changes_tokens(h) => skipped.push(n),
            Err(miss) => {
                let (failure, at) = match miss {
                    Miss::Missing { candidates } => {
                        let at = candidates.first().map(|c| c.line - 1);
                        let f = Failure::Missing {
                            hunk: n,
                            headline: h.headline(),
                            unified: h.unified(),
                            candidates,
                        };
                        (f, at)
                    }
                    Miss::Ambiguous { lines, .. } => {
                        let at = lines.first().map(|l| l - 1);
                        let f = Failure::Ambiguous {
                            hunk: n,
                            headline: h.headline(),
                            unified: h.unified(),
                            lines,
                        };
                        (f, at)
                    }
                };
                if !wip {
                    return Err(failure);
                }
                let at = at.unwrap_or(t.line_count());
                edits.push(LineEdit {
                    start: at,
                    end: at,
                    lines: conflict_markers(&failure),
                    kind: EditKind::Conflict,
                    hunk: usize::MAX,
                });
                failed.push(failure);
            }
        }
    }
    let (after, written) = edit::apply(&t, &edits).map_err(|(first, second)| Failure::Overlap {
        first: reports.get(first).map_or(String::new(), |r| r.hunk.clone()),
        second: reports
            .get(second)
            .map_or(String::new(), |r| r.hunk.clone()),
    })?;
    // Python's indentation is its syntax: its lines go in as upstream wrote them.
    let (text, rendering) = match Lang::of(target) {
        Lang::Python => (after, Rendering::Verbatim),
        Lang::C => render::render(
            target,
            after,
            &written,
            style::infer(target),
            style::infer(old),
        )
        .map_err(|e| Failure::Other(format!("{e:#}")))?,
    };
    Ok(Ported {
        text,
        failed,
        hunks: reports,
        skipped_cosmetic: skipped,
        rendering,
    })
}

/// Whether two texts are the same C code, layout and comments aside.
pub fn token_equal(a: &str, b: &str) -> bool {
    tokens::texts(a, &tokens::tokenize(a)) == tokens::texts(b, &tokens::tokenize(b))
}

/// Similarity of two files' tokens in 0..=1, for choosing the closest port.
pub fn token_similarity(a: &str, b: &str) -> f32 {
    let ta = tokens::texts(a, &tokens::tokenize(a));
    let tb = tokens::texts(b, &tokens::tokenize(b));
    similar::TextDiff::from_slices(&ta, &tb).ratio()
}

/// The tokens a change deletes and inserts, in order, layout aside: two
/// changes with equal token edits make the same change to the code.
pub fn token_edits(a: &str, b: &str) -> (Vec<String>, Vec<String>) {
    let ta = tokens::texts(a, &tokens::tokenize(a));
    let tb = tokens::texts(b, &tokens::tokenize(b));
    let (mut del, mut ins) = (Vec::new(), Vec::new());
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &ta, &tb) {
        for i in op.old_range() {
            if op.tag() != similar::DiffTag::Equal {
                del.push(ta[i].to_string());
            }
        }
        for i in op.new_range() {
            if op.tag() != similar::DiffTag::Equal {
                ins.push(tb[i].to_string());
            }
        }
    }
    (del, ins)
}

/// The block `--wip` leaves where a hunk could not be placed: the reason on
/// the marker line, upstream's hunk (as a diff) below the separator.
fn conflict_markers(f: &Failure) -> Vec<String> {
    let (hunk, unified) = match f {
        Failure::Missing { hunk, unified, .. } | Failure::Ambiguous { hunk, unified, .. } => {
            (hunk.as_str(), unified.as_str())
        }
        _ => ("?", ""),
    };
    let mut lines = vec![
        format!("<<<<<<< branch: upstream hunk {hunk} not placed: {f}"),
        "=======".to_string(),
    ];
    lines.extend(unified.lines().map(String::from));
    lines.push(format!(">>>>>>> upstream hunk {hunk}"));
    lines
}
