//! Planning a backport: which fixes are already on the branch, which port of
//! each to use, and the file contents each new commit will carry. Nothing is
//! written here; `apply` turns a plan into commits and one ref update.

use super::manifest::{Fix, Manifest};
use super::port::{self, Failure, HunkReport, State};
use super::presence::{self, History};
use super::render::Rendering;
use super::select::PathFilter;
use super::upstream::{self, Commit, FileChange};
use crate::git::{self, Files};
use crate::git::{Oid, Repository, Tree};
use anyhow::{anyhow, bail, Result};
use std::cell::OnceCell;
use std::collections::BTreeMap;

/// What goes into the repository for one file.
#[derive(Debug, Clone)]
pub enum FileWrite {
    Put { path: String, text: String },
    Remove { path: String },
}

#[derive(Debug, Clone)]
pub struct FilePlan {
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub hunks: Vec<HunkReport>,
    pub skipped_cosmetic: Vec<String>,
    pub rendering: Option<Rendering>,
    /// `--wip` only: hunks written as conflict markers.
    pub failed: Vec<Failure>,
}

#[derive(Debug, Clone)]
pub enum Verdict {
    /// Already on the branch; `via` names the later fix that superseded it,
    /// `how` the rule that found it. `since_changed`: history says the fix
    /// is there but the code no longer shows it (later commits rewrote it).
    Present {
        via: Option<String>,
        how: presence::How,
        since_changed: bool,
    },
    Port {
        files: Vec<FilePlan>,
        writes: Vec<FileWrite>,
    },
    /// Only in check mode: not on the branch.
    Missing { state: State },
}

#[derive(Debug, Clone)]
pub struct Planned {
    /// The manifest's id, or the commit's short SHA for `--commit`.
    pub id: String,
    pub subject: String,
    pub upstream: Commit,
    pub port_branch: Option<String>,
    pub change_id: Option<String>,
    pub bugs: Vec<String>,
    pub verdict: Verdict,
    /// `--path`/`--exclude` as given, named in the message of a partial port.
    pub filter: Vec<String>,
}

impl Planned {
    /// Hunks `--wip` left as conflict markers, with the file they are in.
    pub fn failed_hunks(&self) -> Vec<(&str, &Failure)> {
        match &self.verdict {
            Verdict::Port { files, .. } => files
                .iter()
                .flat_map(|f| f.failed.iter().map(move |x| (f.path.as_str(), x)))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A unit to port: a manifest fix, or a bare upstream commit.
pub struct Unit<'a> {
    pub fix: Option<&'a Fix>,
    pub candidates: Vec<(Option<String>, Oid)>,
    /// Its commits and Change-Id, to find it in the branch's history.
    pub identity: presence::Identity,
    /// False for a series fix outside `--only`: it is not ported, but its
    /// state still tells whether a selected fix was superseded by it.
    pub selected: bool,
}

/// The target's files as the plan goes, so each fix sees the ones before it.
pub struct Worktree<'r> {
    repo: &'r Repository,
    base: Tree<'r>,
    /// The base's paths, indexed on the first look for a moved file.
    files: OnceCell<Files>,
    overrides: BTreeMap<String, Option<String>>,
}

impl<'r> Worktree<'r> {
    pub fn new(repo: &'r Repository, base: Tree<'r>) -> Self {
        Worktree {
            repo,
            base,
            files: OnceCell::new(),
            overrides: BTreeMap::new(),
        }
    }

    pub fn read(&self, path: &str) -> Result<Option<String>> {
        if let Some(v) = self.overrides.get(path) {
            return Ok(v.clone());
        }
        match self.base.get_path(std::path::Path::new(path)) {
            Ok(entry) => {
                let blob = entry.to_object(self.repo)?.peel_to_blob()?;
                Ok(Some(String::from_utf8_lossy(blob.content()).into_owned()))
            }
            Err(e) if e.code() == git::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Where the branch keeps upstream's `path`: the same path, or else the
    /// one file with the same name elsewhere (a file the branch moved).
    pub fn resolve(&self, path: &str) -> Result<Option<String>> {
        if self.read(path)?.is_some() {
            return Ok(Some(path.to_string()));
        }
        let name = git::name_of(path);
        if self.files.get().is_none() {
            let _ = self.files.set(Files::read(&self.base)?);
        }
        let files = self.files.get().expect("indexed just above");
        let mut found: Vec<String> = files.named(path).to_vec();
        found.retain(|p| self.overrides.get(p) != Some(&None));
        found.extend(
            self.overrides
                .iter()
                .filter(|(p, v)| v.is_some() && git::name_of(p) == name)
                .map(|(p, _)| p.clone()),
        );
        found.sort();
        found.dedup();
        Ok(if found.len() == 1 { found.pop() } else { None })
    }

    fn write(&mut self, w: &FileWrite) {
        match w {
            FileWrite::Put { path, text } => {
                self.overrides.insert(path.clone(), Some(text.clone()))
            }
            FileWrite::Remove { path } => self.overrides.insert(path.clone(), None),
        };
    }
}

/// The port of `unit` that fits the target best: every hunk placed with the
/// least context dropped, then the pre-image closest to the target's files,
/// then manifest order (the master original first).
pub fn choose_port(
    upstream_repo: &Repository,
    unit: &Unit,
    tree: &Worktree,
    filter: &PathFilter,
) -> Result<(Option<String>, Commit)> {
    let mut best: Option<((usize, f32), Option<String>, Commit)> = None;
    for (branch, id) in &unit.candidates {
        let mut c = upstream::read(upstream_repo, *id)?;
        filter.apply(&mut c)?;
        let (mut misfit, mut likeness) = (0, 0.0);
        for ch in &c.changes {
            let path = ch
                .old_path
                .as_ref()
                .or(ch.new_path.as_ref())
                .expect("a change has a path");
            if let Some(t) = tree.read(path)? {
                misfit += port::fit(&ch.old, &ch.new, &t).unwrap_or(10_000);
                likeness += port::token_similarity(&ch.old, &t);
            }
        }
        let better = best
            .as_ref()
            .is_none_or(|b| misfit < b.0 .0 || (misfit == b.0 .0 && likeness > b.0 .1));
        if better {
            best = Some(((misfit, likeness), branch.clone(), c));
        }
    }
    let (_, branch, c) = best.ok_or_else(|| anyhow!("no upstream commit to port"))?;
    Ok((branch, c))
}

/// Where one upstream commit stands on the target, file by file.
pub fn state_of(commit: &Commit, tree: &Worktree) -> Result<State> {
    let mut states = Vec::new();
    for ch in &commit.changes {
        states.push(file_state(ch, tree)?);
    }
    Ok(State::combine(&states))
}

fn file_state(ch: &FileChange, tree: &Worktree) -> Result<State> {
    Ok(match (&ch.old_path, &ch.new_path) {
        (None, Some(new_path)) => match tree.read(new_path)? {
            None => State::Pending,
            Some(t) if port::token_equal(&t, &ch.new) => State::Present,
            Some(_) => State::Unknown,
        },
        (Some(old_path), None) => match tree.read(old_path)? {
            None => State::Present,
            Some(t) if port::token_equal(&t, &ch.old) => State::Pending,
            Some(_) => State::Unknown,
        },
        (Some(old_path), Some(new_path)) => {
            let (old_t, new_t) = (tree.read(old_path)?, tree.read(new_path)?);
            match (old_t, new_t) {
                (Some(t), _) => {
                    let s = port::state(&ch.old, &ch.new, &t);
                    if old_path != new_path && s == State::Present {
                        State::Partial
                    } else {
                        s
                    }
                }
                (None, Some(t)) => port::state(&ch.old, &ch.new, &t),
                (None, None) => match tree.resolve(old_path)? {
                    Some(moved) => match tree.read(&moved)? {
                        Some(t) => port::state(&ch.old, &ch.new, &t),
                        None => State::Unknown,
                    },
                    None => State::Unknown,
                },
            }
        }
        (None, None) => State::Unknown,
    })
}

/// Ports one upstream commit onto the worktree's files, file by file.
pub fn port_commit(
    commit: &Commit,
    tree: &mut Worktree,
    wip: bool,
) -> Result<(Vec<FilePlan>, Vec<FileWrite>), PortError> {
    let mut files = Vec::new();
    let mut writes = Vec::new();
    let mut failures = Vec::new();
    let mut fine = Vec::new();
    for ch in &commit.changes {
        match port_file(ch, tree, wip) {
            Ok((f, w)) => {
                fine.extend(f.iter().map(|f| f.path.clone()));
                files.extend(f);
                writes.extend(w);
            }
            Err(e) => failures.push(e),
        }
    }
    if !failures.is_empty() {
        return Err(PortError { failures, fine });
    }
    for w in &writes {
        tree.write(w);
    }
    Ok((files, writes))
}

/// One file of an upstream commit, or why it cannot be ported.
fn port_file(
    ch: &FileChange,
    tree: &Worktree,
    wip: bool,
) -> Result<(Vec<FilePlan>, Vec<FileWrite>), FileFailure> {
    let mut files = Vec::new();
    let mut writes = Vec::new();
    {
        let shown = ch
            .new_path
            .clone()
            .or(ch.old_path.clone())
            .unwrap_or_default();
        let err = |failure: Failure| FileFailure {
            path: shown.clone(),
            failure: Box::new(failure),
        };
        match (&ch.old_path, &ch.new_path) {
            (None, Some(p)) => {
                let before = tree
                    .read(p)
                    .map_err(|e| err(Failure::Other(e.to_string())))?;
                if before.is_some() {
                    return Err(err(Failure::Other(format!(
                        "{p} is added upstream but the branch already has a different {p}"
                    ))));
                }
                writes.push(FileWrite::Put {
                    path: p.clone(),
                    text: ch.new.clone(),
                });
                files.push(FilePlan {
                    path: p.clone(),
                    before: None,
                    after: Some(ch.new.clone()),
                    hunks: vec![],
                    skipped_cosmetic: vec![],
                    rendering: None,
                    failed: vec![],
                });
            }
            (Some(p), None) => {
                let before = tree
                    .read(p)
                    .map_err(|e| err(Failure::Other(e.to_string())))?;
                match before {
                    Some(t) if port::token_equal(&t, &ch.old) => {
                        writes.push(FileWrite::Remove { path: p.clone() });
                        files.push(FilePlan { path: p.clone(), before: Some(t), after: None, hunks: vec![], skipped_cosmetic: vec![], rendering: None, failed: vec![] });
                    }
                    Some(_) => {
                        return Err(err(Failure::Other(format!(
                            "{p} is deleted upstream, but the branch's {p} is not the code upstream deleted; refusing to delete it"
                        ))))
                    }
                    None => {}
                }
            }
            (Some(up_old), Some(up_new)) => {
                // The branch may keep the file elsewhere; a plain change
                // goes where the branch has it.
                let old_p = &tree
                    .resolve(up_old)
                    .map_err(|e| err(Failure::Other(e.to_string())))?
                    .ok_or_else(|| {
                        err(Failure::Other(format!(
                            "{up_old} does not exist on the branch (nor one file of that name elsewhere)"
                        )))
                    })?;
                let new_p = if up_old == up_new { old_p } else { up_new };
                let t = tree
                    .read(old_p)
                    .map_err(|e| err(Failure::Other(e.to_string())))?
                    .unwrap_or_default();
                let ported = if port::state(&ch.old, &ch.new, &t) == State::Present {
                    None
                } else {
                    Some(port::port(&ch.old, &ch.new, &t, wip).map_err(err)?)
                };
                let text = ported.as_ref().map_or(t.clone(), |p| p.text.clone());
                if old_p != new_p {
                    writes.push(FileWrite::Remove {
                        path: old_p.clone(),
                    });
                }
                writes.push(FileWrite::Put {
                    path: new_p.clone(),
                    text: text.clone(),
                });
                files.push(FilePlan {
                    path: new_p.clone(),
                    before: Some(t),
                    after: Some(text),
                    hunks: ported.as_ref().map_or(vec![], |p| p.hunks.clone()),
                    skipped_cosmetic: ported
                        .as_ref()
                        .map_or(vec![], |p| p.skipped_cosmetic.clone()),
                    failed: ported.as_ref().map_or(vec![], |p| p.failed.clone()),
                    rendering: ported.map(|p| p.rendering),
                });
            }
            (None, None) => {}
        }
    }
    Ok((files, writes))
}

/// Why one file of a commit cannot be ported.
#[derive(Debug)]
pub struct FileFailure {
    pub path: String,
    pub failure: Box<Failure>,
}

/// Every file that failed, and the files that would port, so one test file
/// does not hide how the rest of a commit stands.
#[derive(Debug)]
pub struct PortError {
    pub failures: Vec<FileFailure>,
    pub fine: Vec<String>,
}

impl std::fmt::Display for PortError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let each: Vec<String> = self
            .failures
            .iter()
            .map(|x| format!("{}: {}", x.path, x.failure))
            .collect();
        write!(f, "{}", each.join("; "))?;
        if !self.fine.is_empty() {
            let ex: Vec<String> = self
                .failures
                .iter()
                .map(|x| format!("--exclude '{}'", x.path))
                .collect();
            write!(
                f,
                "; these files would port: {} (to port them without the rest: {})",
                self.fine.join(", "),
                ex.join(" ")
            )?;
        }
        Ok(())
    }
}

/// How `plan` runs: `check` classifies only; `wip` writes conflicts;
/// `history` answers presence before the code does; `filter` picks files.
pub struct Settings<'a> {
    pub check: bool,
    pub wip: bool,
    pub history: &'a History,
    pub filter: &'a PathFilter,
}

/// Plans `units` in order on top of `tree`. In `check` mode nothing is ported;
/// each unit is only classified.
pub fn plan(
    upstream_repo: &Repository,
    manifest: Option<&Manifest>,
    units: &[Unit],
    tree: &mut Worktree,
    settings: &Settings,
) -> Result<Vec<Planned>> {
    let Settings {
        check,
        wip,
        history,
        filter,
    } = *settings;
    // First, where each unit stands on the branch as it is.
    let mut chosen = Vec::new();
    let mut initial = Vec::new();
    let mut in_history = Vec::new();
    for unit in units {
        let (branch, commit) = choose_port(upstream_repo, unit, tree, filter)?;
        initial.push(state_of(&commit, tree)?);
        in_history.push(history.find(&unit.identity));
        chosen.push((branch, commit));
    }
    // A fix a later present fix builds on is there too, even if the later
    // fix rewrote its lines beyond recognition (fix 4 replaces fix 1's code).
    // With `by_code`, only a later fix the code shows counts: history alone
    // says the series is there, not that its code still is.
    let superseded_by = |i: usize, by_code: bool| -> Option<String> {
        let id = &units[i].fix?.id;
        let m = manifest?;
        (i + 1..units.len()).find_map(|j| {
            let later = units[j].fix?;
            let there = initial[j] == State::Present || (!by_code && in_history[j].is_some());
            (there && needs_transitively(m, later, id)).then(|| later.id.clone())
        })
    };
    let superseded = |i: usize| superseded_by(i, false);
    let mut out = Vec::new();
    for (i, (unit, (branch, commit))) in units.iter().zip(chosen).enumerate() {
        if !unit.selected {
            continue;
        }
        let mut chosen_now: Option<(Option<String>, Commit)> = None;
        let mut left_tests = false;
        let (id, subject, change_id, bugs) = match unit.fix {
            Some(f) => (
                f.id.clone(),
                f.subject.clone(),
                Some(f.change_id.clone()),
                f.bugs.clone(),
            ),
            None => (
                upstream::short(commit.id),
                commit
                    .message
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                super::message::change_id(&commit.message),
                super::message::bugs(&commit.message),
            ),
        };
        let now = state_of(&commit, tree)?;
        let shows = initial[i] == State::Present || now == State::Present;
        let verdict = if let Some(how) = in_history[i].clone() {
            let in_code = shows || superseded_by(i, true).is_some();
            let via = if shows { None } else { superseded(i) };
            Verdict::Present {
                since_changed: !in_code,
                via,
                how,
            }
        } else if shows {
            Verdict::Present {
                via: None,
                how: presence::How::Code,
                since_changed: false,
            }
        } else if let Some(via) = superseded(i) {
            Verdict::Present {
                via: Some(via),
                how: presence::How::Code,
                since_changed: false,
            }
        } else if check {
            Verdict::Missing { state: initial[i] }
        } else if now == State::Partial {
            bail!(
                "{id}: part of this fix is on the branch and part is not; finish it by hand or revert the partial change, then run again"
            );
        } else {
            // Once an earlier fix of this run changed the files, the port that
            // fits best may not be the one that fit the branch as it was.
            let tree_changed = out
                .iter()
                .any(|p: &Planned| matches!(p.verdict, Verdict::Port { .. }));
            let (branch, commit) = if tree_changed {
                choose_port(upstream_repo, unit, tree, filter)?
            } else {
                (branch.clone(), commit.clone())
            };
            chosen_now = Some((branch.clone(), commit.clone()));
            match port_commit(&commit, tree, wip) {
                Ok((files, writes)) => Verdict::Port { files, writes },
                Err(e) => match unplaced_tests(&e) {
                    // A fix is not refused for its tests: those that cannot
                    // be placed are left out and named, the code goes in,
                    // and `regress` runs upstream's own version of them.
                    Some(tests) => {
                        let reduced = without(&commit, &tests);
                        match port_commit(&reduced, tree, wip) {
                            Ok((files, writes)) => {
                                chosen_now = Some((branch, reduced));
                                left_tests = true;
                                Verdict::Port { files, writes }
                            }
                            Err(e) => bail!(
                                "{id} ({}): {e}; nothing was changed",
                                upstream::short(commit.id)
                            ),
                        }
                    }
                    None => bail!(
                        "{id} ({}): {e}; nothing was changed",
                        upstream::short(commit.id),
                    ),
                },
            }
        };
        let mut described = filter.described.clone();
        if left_tests {
            described.push(UNPLACED_TESTS.into());
        }
        let (port_branch, upstream) = chosen_now.unwrap_or((branch, commit));
        out.push(Planned {
            id,
            subject,
            upstream,
            port_branch,
            change_id,
            bugs,
            verdict,
            filter: described,
        });
    }
    Ok(out)
}

/// How a port's message names the test files it could not place.
pub const UNPLACED_TESTS: &str = "test files that could not be placed on this branch";

/// The failed files of `e` when every one is a test (under tests/) and
/// some file that is not a test would port: those tests, else None.
fn unplaced_tests(e: &PortError) -> Option<Vec<String>> {
    let is_test = |p: &str| p.starts_with("tests/");
    let all_tests = e.failures.iter().all(|f| is_test(&f.path));
    let code_ports = e.fine.iter().any(|p| !is_test(p));
    (all_tests && code_ports).then(|| e.failures.iter().map(|f| f.path.clone()).collect())
}

/// `commit` without the changes to `paths`, which it names as left out.
fn without(commit: &Commit, paths: &[String]) -> Commit {
    let mut c = commit.clone();
    let (out, kept): (Vec<_>, Vec<_>) = c.changes.drain(..).partition(|ch| {
        [&ch.old_path, &ch.new_path]
            .into_iter()
            .flatten()
            .any(|p| paths.contains(p))
    });
    c.changes = kept;
    c.left_out.extend(
        out.iter()
            .filter_map(|ch| ch.new_path.clone().or(ch.old_path.clone())),
    );
    c
}

fn needs_transitively(m: &Manifest, fix: &Fix, id: &str) -> bool {
    fix.needs.iter().any(|n| {
        n == id
            || m.fixes
                .iter()
                .find(|f| &f.id == n)
                .is_some_and(|f| needs_transitively(m, f, id))
    })
}
