//! `backport BRANCH --survey RANGE`: the backlog view of a fork. Every
//! non-merge upstream commit in RANGE gets one status against the branch as
//! it is: present (and by which rule), clean, context-dropped, unplaceable,
//! not-applicable, or needs (the earlier upstream commits whose lines a hunk
//! needs and the branch lacks, each with its own status). Nothing is written.
//!
//! Stages: `read` walks RANGE once and reads each commit's file changes
//! (one thread, git2 is not shared across threads); `classify` judges each
//! commit against the branch's files, tokenized once, in parallel (rayon);
//! `needs` blames the pre-image lines of the hunks that could not be placed,
//! from an index of the lines RANGE's own commits inserted (the last commit
//! before this one that inserted that line into that file, as `git blame` of
//! the pre-image would name, without a blame walk per hunk). Restyling is
//! not needed to classify, so nothing is rendered.

use super::locate::Target;
use super::plan::{self, Worktree};
use super::port::{self, State, Unplaced};
use super::presence::{self, History};
use super::select::PathFilter;
use super::upstream::{self, FileChange};
use super::{apply, hunks, open_repo, tokens};
use anyhow::{Context, Result};
use git2::{Oid, Repository, Sort};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub branch: String,
    pub repo: PathBuf,
    pub upstream: Option<PathBuf>,
    pub range: String,
    pub paths: Vec<String>,
    pub excludes: Vec<String>,
    /// Port the clean commits afterwards, one commit each, atomically.
    pub apply_clean: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Present,
    Clean,
    ContextDropped,
    Unplaceable,
    NotApplicable,
    Needs,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Present,
        Status::Clean,
        Status::ContextDropped,
        Status::Unplaceable,
        Status::NotApplicable,
        Status::Needs,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Clean => "clean",
            Status::ContextDropped => "context-dropped",
            Status::Unplaceable => "unplaceable",
            Status::NotApplicable => "not-applicable",
            Status::Needs => "needs",
        }
    }
}

/// One file of a commit, as it stands on the branch.
#[derive(Debug, Clone, Serialize)]
pub struct FileStatus {
    pub path: String,
    /// "present", "clean", "context-dropped", "unplaceable", "absent", "needs".
    pub status: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Need {
    pub commit: String,
    pub subject: String,
    pub status: Status,
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub commit: String,
    pub subject: String,
    pub status: Status,
    pub how: String,
    pub needs: Vec<Need>,
    /// Per file, for commits that are not clean: which files hold it back.
    pub files: Vec<FileStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Survey {
    pub branch: String,
    pub range: String,
    pub seconds: f64,
    pub commits: Vec<Entry>,
    pub totals: BTreeMap<&'static str, usize>,
    /// With `--apply-clean`: the commits added, and the clean ones that no
    /// longer applied after the earlier ones went in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<Applied>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub commits: Vec<(String, String)>,
    pub skipped: Vec<(String, String)>,
}

/// An upstream commit as read for the survey.
struct Read {
    id: Oid,
    subject: String,
    identity: presence::Identity,
    changes: Vec<FileChange>,
    /// Files left out by `--path`/`--exclude`.
    left_out: usize,
    /// Binary files (never ported by the engine).
    binary: Vec<String>,
    parents: Vec<Oid>,
}

/// The branch's files, read once and tokenized once.
struct Branch {
    blobs: HashMap<String, Oid>,
    /// Text files upstream's commits touch, read by `load`.
    texts: HashMap<String, String>,
    dirs: HashSet<String>,
    /// File name -> every path with that name, for files the branch moved.
    by_name: HashMap<String, Vec<String>>,
}

impl Branch {
    fn read(repo: &Repository, tip: Oid) -> Result<Self> {
        let tree = repo.find_commit(tip)?.tree()?;
        let mut b = Branch {
            blobs: HashMap::new(),
            texts: HashMap::new(),
            dirs: HashSet::new(),
            by_name: HashMap::new(),
        };
        let mut paths = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
            if e.kind() == Some(git2::ObjectType::Blob) {
                let name = e.name().unwrap_or_default().to_string();
                paths.push((format!("{dir}{name}"), e.id()));
            } else if e.kind() == Some(git2::ObjectType::Tree) {
                b.dirs
                    .insert(format!("{dir}{}", e.name().unwrap_or_default()));
            }
            git2::TreeWalkResult::Ok
        })?;
        for (p, id) in paths {
            let name = p.rsplit('/').next().unwrap_or(&p).to_string();
            b.by_name.entry(name).or_default().push(p.clone());
            b.blobs.insert(p, id);
        }
        Ok(b)
    }

    /// Reads the text of every branch file that `paths` (upstream's) name.
    fn load<'p>(&mut self, repo: &Repository, paths: impl Iterator<Item = &'p str>) -> Result<()> {
        let mut wanted = Vec::new();
        for p in paths {
            if self.blobs.contains_key(p) {
                wanted.push(p.to_string());
            } else if let Some([one]) = self
                .by_name
                .get(p.rsplit('/').next().unwrap_or(p))
                .map(Vec::as_slice)
            {
                wanted.push(one.clone());
            }
        }
        for p in wanted {
            if self.texts.contains_key(&p) {
                continue;
            }
            let blob = repo.find_blob(self.blobs[&p])?;
            if !blob.is_binary() {
                let text = String::from_utf8_lossy(blob.content()).into_owned();
                self.texts.insert(p, text);
            }
        }
        Ok(())
    }

    /// Where the branch keeps upstream's `path` (see `Worktree::resolve`).
    fn resolve(&self, path: &str) -> Option<&str> {
        if let Some((p, _)) = self.texts.get_key_value(path) {
            return Some(p);
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        match self.by_name.get(name).map(Vec::as_slice) {
            Some([one]) => self.texts.get_key_value(one).map(|(p, _)| p.as_str()),
            _ => None,
        }
    }

    fn has_dir_of(&self, path: &str) -> bool {
        path.rsplit_once('/')
            .is_none_or(|(dir, _)| self.dirs.contains(dir))
    }
}

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
/// (path, a line's tokens), as the blame index keys a line.
type Line = (String, String);

struct Classified {
    history: Option<presence::How>,
    code: State,
    files: Vec<FileEntry>,
    /// Each line the commit inserts.
    inserted: Vec<Line>,
}

pub fn run(opts: &Options) -> Result<Survey> {
    let started = Instant::now();
    let repo = open_repo(&opts.repo, "the target")?;
    let up = match &opts.upstream {
        Some(p) => open_repo(p, "--upstream")?,
        None => open_repo(&opts.repo, "the target, read for upstream commits")?,
    };
    let branch = apply::find_branch(&repo, &opts.branch)?;
    let filter = PathFilter::new(&opts.paths, &opts.excludes)?;
    let history = History::read(&repo, branch.tip)?;
    let mut files = Branch::read(&repo, branch.tip)?;
    let ids = range(&up, &opts.range)?;
    let bar = |n: usize, what: &str| {
        let b = if opts.progress {
            ProgressBar::new(n as u64)
        } else {
            ProgressBar::hidden()
        };
        b.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {elapsed}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        b.set_message(what.to_string());
        b
    };

    // git2 repositories are not shared across threads: each chunk opens its own.
    let pb = bar(ids.len(), "reading");
    let up_path = up.path().to_path_buf();
    let chunks: Vec<Vec<Read>> = ids
        .par_chunks(32)
        .map(|chunk| -> Result<Vec<Read>> {
            let repo = Repository::open(&up_path)?;
            let mut out = Vec::with_capacity(chunk.len());
            for id in chunk {
                out.push(read(&repo, *id, &filter)?);
                pb.inc(1);
            }
            Ok(out)
        })
        .collect::<Result<_>>()?;
    let commits: Vec<Read> = chunks.into_iter().flatten().collect();
    files.load(
        &repo,
        commits
            .iter()
            .flat_map(|c| c.changes.iter())
            .flat_map(|ch| [ch.old_path.as_deref(), ch.new_path.as_deref()])
            .flatten(),
    )?;
    let files = files;
    pb.finish_and_clear();
    phase("read", started);

    let targets: HashMap<&str, Target> = {
        let wanted: HashSet<&str> = commits
            .iter()
            .flat_map(|c| c.changes.iter())
            .filter_map(|ch| ch.old_path.as_deref().and_then(|p| files.resolve(p)))
            .collect();
        wanted
            .into_par_iter()
            .map(|p| (p, Target::new(&files.texts[p])))
            .collect()
    };
    let pb = bar(commits.len(), "classifying");
    let classified: Vec<Classified> = commits
        .par_iter()
        .map(|c| {
            let t0 = Instant::now();
            let r = classify(c, &history, &files, &targets);
            if std::env::var_os("BACKPORT_DEBUG").is_some() && t0.elapsed().as_secs_f64() > 1.0 {
                eprintln!(
                    "slow: {} {:.1}s {} files",
                    c.id,
                    t0.elapsed().as_secs_f64(),
                    c.changes.len()
                );
            }
            pb.inc(1);
            r
        })
        .collect();
    pb.finish_and_clear();
    phase("classify", started);

    let entries = judge(&commits, &classified, &targets, &files)?;
    phase("judge", started);
    let mut totals: BTreeMap<&'static str, usize> =
        Status::ALL.iter().map(|s| (s.name(), 0)).collect();
    for e in &entries {
        *totals.entry(e.status.name()).or_default() += 1;
    }
    let mut survey = Survey {
        branch: opts.branch.clone(),
        range: opts.range.clone(),
        seconds: 0.0,
        commits: entries,
        totals,
        applied: None,
    };
    if opts.apply_clean {
        survey.applied = Some(apply_clean(opts, &repo, &up, &survey, &filter)?);
    }
    survey.seconds = started.elapsed().as_secs_f64();
    Ok(survey)
}

/// With BACKPORT_DEBUG set: how long each stage took, on stderr.
fn phase(name: &str, since: Instant) {
    if std::env::var_os("BACKPORT_DEBUG").is_some() {
        eprintln!(
            "survey: {name} done at {:.1} s",
            since.elapsed().as_secs_f64()
        );
    }
}

/// The non-merge commits of `spec` (`A..B`), oldest first.
pub fn range(repo: &Repository, spec: &str) -> Result<Vec<Oid>> {
    let (from, to) = spec
        .split_once("..")
        .with_context(|| format!("--survey {spec:?}: give a range A..B, e.g. v3.12.15..v6.10"))?;
    let rev = |r: &str| {
        upstream::find(repo, r).with_context(|| {
            format!(
                "--survey: {r} is not a commit in {}; fetch it or pass --upstream PATH",
                repo.path().display()
            )
        })
    };
    let mut walk = repo.revwalk()?;
    walk.push(rev(to)?)?;
    walk.hide(rev(from)?)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let mut out = Vec::new();
    for id in walk {
        let id = id?;
        if repo.find_commit(id)?.parent_count() == 1 {
            out.push(id);
        }
    }
    Ok(out)
}

fn read(up: &Repository, id: Oid, filter: &PathFilter) -> Result<Read> {
    let c = up.find_commit(id)?;
    let message = String::from_utf8_lossy(c.message_bytes()).into_owned();
    let parent = c.parent(0)?;
    let mut diff = up.diff_tree_to_tree(Some(&parent.tree()?), Some(&c.tree()?), None)?;
    diff.find_similar(Some(git2::DiffFindOptions::new().renames(true)))?;
    let (mut changes, mut binary, mut left_out) = (Vec::new(), Vec::new(), 0);
    for d in diff.deltas() {
        let path = |f: git2::DiffFile| f.path().map(|p| p.to_string_lossy().into_owned());
        let (old_path, new_path) = match d.status() {
            git2::Delta::Added => (None, path(d.new_file())),
            git2::Delta::Deleted => (path(d.old_file()), None),
            _ => (path(d.old_file()), path(d.new_file())),
        };
        let shown = new_path.clone().or(old_path.clone()).unwrap_or_default();
        if ![&old_path, &new_path]
            .into_iter()
            .flatten()
            .any(|p| filter.keeps(p))
        {
            left_out += 1;
            continue;
        }
        let text = |oid: Oid| -> Result<Option<String>> {
            if oid.is_zero() {
                return Ok(Some(String::new()));
            }
            let b = up.find_blob(oid)?;
            Ok((!b.is_binary()).then(|| String::from_utf8_lossy(b.content()).into_owned()))
        };
        match (text(d.old_file().id())?, text(d.new_file().id())?) {
            (Some(old), Some(new)) => changes.push(FileChange {
                old_path,
                new_path,
                old,
                new,
            }),
            _ => binary.push(shown),
        }
    }
    Ok(Read {
        id,
        subject: c.summary().unwrap_or_default().to_string(),
        identity: presence::Identity::of_commit(id, &message),
        changes,
        left_out,
        binary,
        parents: c.parent_ids().collect(),
    })
}

fn classify(
    c: &Read,
    history: &History,
    files: &Branch,
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
                Some(p) if !layout => inserted_lines(p, ch),
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
                    None if files.has_dir_of(p) => FileVerdict::Clean(0),
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
        let v = if files.blobs.contains_key(b) {
            FileVerdict::Other(format!("{b} is binary; the engine ports text only"))
        } else {
            FileVerdict::Absent
        };
        out.push((b.clone(), None, v));
    }
    let code = if states.is_empty() {
        State::Unknown
    } else if states.iter().all(|s| *s == State::Present) {
        State::Present
    } else if states.contains(&State::Present) && !states.contains(&State::Unknown) {
        State::Partial
    } else {
        State::Pending
    };
    Classified {
        history: history.find(&c.identity),
        code,
        files: out,
        inserted,
    }
}

/// Token text of a line, layout aside, as the blame index keys it.
fn words(line: &str) -> Vec<&str> {
    tokens::texts(line, &tokens::tokenize(line))
}

/// (path, a line's tokens) -> the commits of RANGE, by index, that inserted
/// such a line into that file; and path -> the commit that added the file.
struct Blame {
    lines: HashMap<(String, String), Vec<usize>>,
    added: HashMap<String, usize>,
}

/// The lines a change inserts, keyed as the blame index keys them.
fn inserted_lines(path: &str, ch: &FileChange) -> Vec<(String, String)> {
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

fn blame_index(commits: &[Read], classified: &[Classified]) -> Blame {
    let per_commit = classified.iter().map(|k| k.inserted.clone());
    let mut b = Blame {
        lines: HashMap::new(),
        added: HashMap::new(),
    };
    for (i, (c, lines)) in commits.iter().zip(per_commit).enumerate() {
        for key in lines {
            let v = b.lines.entry(key).or_default();
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
struct Ancestry {
    bits: Vec<Vec<u64>>,
}

impl Ancestry {
    fn of(commits: &[Read]) -> Self {
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
fn needed(
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

fn judge(
    commits: &[Read],
    classified: &[Classified],
    targets: &HashMap<&str, Target>,
    files: &Branch,
) -> Result<Vec<Entry>> {
    let t0 = Instant::now();
    let blame = blame_index(commits, classified);
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
                    let n = needed(&ancestry, &blame, i, &up_path, u, t);
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

/// Ports the clean commits in order, one commit each, and moves the branch
/// once. A clean commit that no longer applies after the earlier ones (they
/// were judged against the branch as it was) is skipped and named.
fn apply_clean(
    opts: &Options,
    repo: &Repository,
    up: &Repository,
    survey: &Survey,
    filter: &PathFilter,
) -> Result<Applied> {
    let branch = apply::find_branch(repo, &opts.branch)?;
    apply::require_clean(repo, &branch)?;
    let history = History::read(repo, branch.tip)?;
    let mut tree = Worktree::new(repo, repo.find_commit(branch.tip)?.tree()?);
    let settings = plan::Settings {
        check: false,
        wip: false,
        history: &history,
        filter,
    };
    let (mut planned, mut skipped) = (Vec::new(), Vec::new());
    for e in survey.commits.iter().filter(|e| e.status == Status::Clean) {
        let id = Oid::from_str(&e.commit)?;
        let message = up
            .find_commit(id)?
            .message()
            .unwrap_or_default()
            .to_string();
        let unit = plan::Unit {
            fix: None,
            candidates: vec![(None, id)],
            identity: presence::Identity::of_commit(id, &message),
            selected: true,
        };
        match plan::plan(up, None, &[unit], &mut tree, &settings) {
            Ok(p) => planned.extend(p),
            Err(err) => skipped.push((e.commit.clone(), format!("{err:#}"))),
        }
    }
    let made = apply::commit_all(repo, &branch, &planned)?;
    Ok(Applied {
        commits: made
            .into_iter()
            .map(|(up, c)| (up, c.to_string()))
            .collect(),
        skipped,
    })
}

/// The survey for people: one line per commit in RANGE order, then totals.
pub fn text(s: &Survey) -> String {
    let mut out = format!(
        "survey of {} onto {} ({} commits, {:.1} s)\n",
        s.range,
        s.branch,
        s.commits.len(),
        s.seconds
    );
    for e in &s.commits {
        out.push_str(&format!(
            "  {} {:<15} {}",
            &e.commit[..10],
            e.status.name(),
            e.subject
        ));
        if !e.how.is_empty() {
            out.push_str(&format!("\n      {}", e.how));
        }
        for n in &e.needs {
            out.push_str(&format!(
                "\n      needs {} ({}) {}",
                &n.commit[..10],
                n.status.name(),
                n.subject
            ));
        }
        for f in e
            .files
            .iter()
            .filter(|f| f.status != "clean" && f.status != "present")
        {
            out.push_str(&format!("\n      {} {}: {}", f.status, f.path, f.detail));
        }
        out.push('\n');
    }
    let totals: Vec<String> = Status::ALL
        .iter()
        .map(|st| format!("{} {}", s.totals[st.name()], st.name()))
        .collect();
    out.push_str(&format!("totals: {}\n", totals.join(", ")));
    if let Some(a) = &s.applied {
        out.push_str(&format!(
            "{} clean commit(s) added to {}\n",
            a.commits.len(),
            s.branch
        ));
        for (c, why) in &a.skipped {
            out.push_str(&format!("  skipped {}: {why}\n", &c[..10]));
        }
    }
    out
}
