//! Judging each commit of RANGE against the branch: first file by file
//! (`classify`, in parallel), then the commit as a whole, with what it needs
//! (`judge`, in RANGE order, as a need's own status comes first).

use super::needs::{self, Ancestry, Line};
use super::read::Read;
use super::snapshot::Snapshot;
use super::{phase, Entry, FileStatus, Need, Status};
use crate::locate::Target;
use crate::port::{self, State, Unplaced};
use crate::presence::{self, History};
use crate::upstream;
use anyhow::Result;
use rayon::prelude::*;
use std::collections::HashMap;
use std::time::Instant;

/// How one file of a commit stands, before needs are known.
enum FileVerdict {
    Present,
    Clean(usize),
    /// Modified upstream, not on the branch.
    Absent,
    /// Nothing to do and nothing that holds the commit back: a file deleted
    /// upstream that the branch lacks, or one added in a directory the
    /// branch lacks. It does not make the commit applicable.
    Gone(&'static str),
    Failed(Unplaced),
    Other(String),
}

/// (path shown, upstream's old path, verdict)
type FileEntry = (String, Option<String>, FileVerdict);

/// One commit as `classify` left it, for `judge`.
pub(super) struct Classified {
    history: Option<presence::How>,
    code: State,
    files: Vec<FileEntry>,
    /// Each line the commit inserts.
    inserted: Vec<Line>,
}

pub(super) fn classify(
    c: &Read,
    history: &History,
    files: &Snapshot,
    targets: &HashMap<&str, Target>,
) -> Classified {
    // Files in parallel too: one huge commit (the reformat) must not hold
    // a thread alone while the others are done.
    let per_file: Vec<(FileEntry, Vec<Line>)> = c
        .changes
        .par_iter()
        .filter_map(|ch| {
            // A layout-only change (the 2018 reformat) ports nothing and
            // introduces no line.
            let layout = ch.old_path.is_some() && port::token_equal(&ch.old, &ch.new);
            let inserted = match &ch.new_path {
                Some(p) if !layout => needs::inserted_lines(p, ch),
                _ => Vec::new(),
            };
            let shown = ch
                .new_path
                .clone()
                .or(ch.old_path.clone())
                .unwrap_or_default();
            let v = match (&ch.old_path, &ch.new_path) {
                (None, Some(p)) => match files.texts.get(p) {
                    Some(t) if port::token_equal(t, &ch.new) => FileVerdict::Present,
                    Some(_) => FileVerdict::Other(format!("the branch has a different {p}")),
                    None if files.files.has_dir_of(p) => FileVerdict::Clean(0),
                    None => FileVerdict::Gone("added in a directory the branch lacks"),
                },
                (Some(p), None) => match files.texts.get(p) {
                    None => FileVerdict::Gone("deleted upstream; not on the branch"),
                    Some(t) if port::token_equal(t, &ch.old) => FileVerdict::Clean(0),
                    Some(_) => FileVerdict::Other(format!(
                        "{p} is deleted upstream but the branch's {p} is not the code upstream deleted"
                    )),
                },
                (Some(p), Some(_)) => match files.resolve(p).and_then(|q| targets.get(q)) {
                    None => FileVerdict::Absent,
                    Some(_) if layout => FileVerdict::Present,
                    Some(t) => match port::judge_in(&ch.old, &ch.new, t) {
                        (State::Present, _) => FileVerdict::Present,
                        (_, Ok(n)) => FileVerdict::Clean(n),
                        (_, Err(u)) => FileVerdict::Failed(u),
                    },
                },
                (None, None) => return None,
            };
            Some(((shown, ch.old_path.clone(), v), inserted))
        })
        .collect();
    let mut inserted = Vec::new();
    let mut out = Vec::new();
    for (f, ins) in per_file {
        inserted.extend(ins);
        out.push(f);
    }
    let states: Vec<State> = out
        .iter()
        .filter_map(|(_, _, v)| match v {
            FileVerdict::Present => Some(State::Present),
            FileVerdict::Clean(_) => Some(State::Pending),
            FileVerdict::Gone(_) => None,
            _ => Some(State::Unknown),
        })
        .collect();
    for b in &c.binary {
        let v = if files.files.blobs.contains_key(b) {
            FileVerdict::Other(format!("{b} is binary; the engine ports text only"))
        } else {
            FileVerdict::Absent
        };
        out.push((b.clone(), None, v));
    }
    // As code, a commit with no text file to judge is unknown, and one with
    // a file that cannot be judged is not there.
    let code = match State::combine(&states) {
        _ if states.is_empty() => State::Unknown,
        State::Unknown => State::Pending,
        s => s,
    };
    Classified {
        history: history.find(&c.identity),
        code,
        files: out,
        inserted,
    }
}

pub(super) fn judge(
    commits: &[Read],
    classified: &[Classified],
    targets: &HashMap<&str, Target>,
    files: &Snapshot,
) -> Result<Vec<Entry>> {
    let t0 = Instant::now();
    let blame = needs::blame_index(commits, classified.iter().map(|k| &k.inserted));
    let ancestry = Ancestry::of(commits);
    phase("blame index (from judge start)", t0);
    let mut entries: Vec<Entry> = Vec::with_capacity(commits.len());
    for (i, (c, k)) in commits.iter().zip(classified).enumerate() {
        let short = |j: usize| upstream::short(commits[j].id);
        let mut needs: Vec<usize> = Vec::new();
        let mut fstat = Vec::new();
        let mut dropped = 0;
        let mut worst = Status::Clean;
        let mut first_failure: Option<String> = None;
        let applicable = k
            .files
            .iter()
            .any(|(_, _, v)| !matches!(v, FileVerdict::Absent | FileVerdict::Gone(_)));
        for (path, old_path, v) in &k.files {
            let (status, detail) = match v {
                FileVerdict::Present => ("present", String::new()),
                FileVerdict::Gone(why) => ("absent", why.to_string()),
                FileVerdict::Clean(0) => ("clean", String::new()),
                FileVerdict::Clean(n) => {
                    dropped += n;
                    worst = worst.max(Status::ContextDropped);
                    ("context-dropped", format!("{n} context line(s) dropped"))
                }
                FileVerdict::Absent => {
                    let by = blame.added.get(path).filter(|&&j| j < i);
                    if let (true, Some(&j)) = (applicable, by) {
                        needs.push(j);
                    }
                    let d = match by {
                        Some(&j) => format!("not on the branch (added upstream by {})", short(j)),
                        None => "not on the branch".to_string(),
                    };
                    ("absent", d)
                }
                FileVerdict::Failed(u) => {
                    let up_path = old_path.clone().unwrap_or_else(|| path.clone());
                    let t = files.resolve(&up_path).and_then(|p| targets.get(p));
                    let n = needs::needed(&ancestry, &blame, i, &up_path, u, t);
                    let cand = u.candidates.first().map_or(String::new(), |c| {
                        format!(
                            "; nearest candidate at line {} ({:.0}% alike)",
                            c.line,
                            c.similarity * 100.0
                        )
                    });
                    let d = format!("hunk {} (`{}`) cannot be placed{cand}", u.hunk, u.headline);
                    first_failure.get_or_insert_with(|| format!("{path}: {d}"));
                    let st = if n.is_empty() { "unplaceable" } else { "needs" };
                    needs.extend(n);
                    (st, d)
                }
                FileVerdict::Other(e) => {
                    first_failure.get_or_insert_with(|| format!("{path}: {e}"));
                    ("unplaceable", e.clone())
                }
            };
            fstat.push(FileStatus {
                path: path.clone(),
                status,
                detail,
            });
        }
        // An absent file the branch never had any of is fine only when
        // nothing else of the commit applies.
        let absent_only_blocks = applicable
            && k.files
                .iter()
                .any(|(_, _, v)| matches!(v, FileVerdict::Absent));
        needs.sort_unstable();
        needs.dedup();
        needs.retain(|&j| entries[j].status != Status::Present);
        let failed = first_failure.is_some() || absent_only_blocks;
        let (status, how) = if let Some(h) = &k.history {
            let since = if k.code == State::Present || k.code == State::Unknown && !applicable {
                ""
            } else {
                " (present, since changed: the code no longer shows it)"
            };
            (Status::Present, format!("{h}{since}"))
        } else if !applicable {
            let why = if c.changes.is_empty() && c.binary.is_empty() && c.left_out > 0 {
                "every file left out by --path/--exclude".to_string()
            } else {
                "its files are not on the branch".to_string()
            };
            (Status::NotApplicable, why)
        } else if k.code == State::Present {
            (Status::Present, presence::How::Code.to_string())
        } else if k.code == State::Partial && !failed {
            (
                Status::Unplaceable,
                "part of it is on the branch and part is not".to_string(),
            )
        } else if !needs.is_empty() {
            let list: Vec<String> = needs.iter().map(|&j| short(j)).collect();
            (Status::Needs, format!("needs {}", list.join(", ")))
        } else if failed {
            let held: Vec<&str> = fstat
                .iter()
                .filter(|f| matches!(f.status, "unplaceable" | "absent" | "needs"))
                .map(|f| f.path.as_str())
                .collect();
            (
                Status::Unplaceable,
                first_failure.unwrap_or_else(|| format!("held back by {}", held.join(", "))),
            )
        } else if worst == Status::ContextDropped {
            (
                Status::ContextDropped,
                format!("{dropped} context line(s) dropped"),
            )
        } else {
            (Status::Clean, String::new())
        };
        let need_list = if status == Status::Needs {
            needs
                .iter()
                .map(|&j| Need {
                    commit: commits[j].id.to_string(),
                    subject: commits[j].subject.clone(),
                    status: entries[j].status,
                })
                .collect()
        } else {
            Vec::new()
        };
        let clean = matches!(
            status,
            Status::Clean | Status::Present | Status::NotApplicable
        );
        entries.push(Entry {
            commit: c.id.to_string(),
            subject: c.subject.clone(),
            status,
            how,
            needs: need_list,
            files: if clean { Vec::new() } else { fstat },
        });
    }
    Ok(entries)
}
