//! The corpus of real human backports, and how the engine does on it.
//!
//! Commits on GNU-style release branches after the 2018-09-12 reformat
//! (release-4.1 has about 70) are hand backports of clang-formatted master
//! commits; the original is the master commit with the same Change-Id, or
//! the one its `(cherry picked from commit ...)` line names. For each such
//! pair this ports the master commit onto the backport's parent and compares
//! with what the maintainer committed, beside `git cherry-pick
//! -Xignore-all-space` and `patch -l -F3` on the same pairs in the same run.

use crate::dev::history;
use anyhow::Result;
use backport::git;
use backport::{self, message, port, upstream};
use duct::cmd;
use git::{Oid, Repository, Sort};
use std::collections::HashMap;
use std::path::Path;

/// The reformat landed on master on this day (seconds since the epoch).
pub const REFORMAT: i64 = 1_536_710_400; // 2018-09-12

#[derive(Debug, Clone, serde::Serialize)]
pub struct Pair {
    pub master: String,
    pub backport: String,
    pub subject: String,
}

/// Pairs (master original, human backport) for commits on `branch` since the reformat.
pub fn pairs(repo: &Repository, branch: &str) -> Result<Vec<Pair>> {
    let mut by_change_id: HashMap<String, Oid> = HashMap::new();
    let master = git::find_branch(repo, "master")?.tip;
    for id in git::walk::commits(repo, &[master], &[], Sort::TIME)? {
        let c = repo.find_commit(id)?;
        if c.time().seconds() < REFORMAT {
            break;
        }
        if let Some(cid) = message::change_id(c.message().unwrap_or_default()) {
            by_change_id.entry(cid).or_insert(c.id());
        }
    }
    let mut out = Vec::new();
    let tip = git::find_branch(repo, branch)?.tip;
    for id in git::walk::commits(repo, &[tip], &[], Sort::TIME | Sort::REVERSE)? {
        let c = repo.find_commit(id)?;
        if c.time().seconds() < REFORMAT || c.parent_count() != 1 {
            continue;
        }
        let msg = c.message().unwrap_or_default();
        let picked = msg
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("(cherry picked from commit ")?
                    .strip_suffix(')')
                    .map(String::from)
            })
            .and_then(|sha| backport::git::rev::find(repo, &sha));
        let master = picked
            .or_else(|| message::change_id(msg).and_then(|cid| by_change_id.get(&cid).copied()));
        if let Some(m) = master.filter(|m| *m != c.id()) {
            out.push(Pair {
                master: m.to_string(),
                backport: c.id().to_string(),
                subject: c.summary().unwrap_or_default().to_string(),
            });
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ToolResult {
    pub applied: bool,
    pub token_equal: bool,
    pub byte_equal: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PairResult {
    pub pair: Pair,
    /// The human made exactly upstream's token edits (the fair set).
    pub exact_human: bool,
    pub engine: ToolResult,
    pub engine_refused: Option<String>,
    /// The branch moved or a file changed although the engine refused.
    pub engine_half_written: bool,
    pub cherry_pick: ToolResult,
    pub patch: ToolResult,
}

fn blob_text(repo: &Repository, commit: Oid, path: &str) -> Option<String> {
    let tree = repo.find_commit(commit).ok()?.tree().ok()?;
    let entry = tree.get_path(Path::new(path)).ok()?;
    let blob = entry.to_object(repo).ok()?.peel_to_blob().ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

/// Paths either commit touches.
fn touched(repo: &Repository, a: Oid, b: Oid) -> Result<Vec<String>> {
    let mut paths = Vec::new();
    for id in [a, b] {
        let c = repo.find_commit(id)?;
        let diff = git::diff_to_parent(repo, &c)?;
        for d in diff.deltas() {
            for f in [d.old_file(), d.new_file()] {
                paths.extend(git::path_of(&f));
            }
        }
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// How a result (file reader) compares with the human backport on `paths`.
fn compare(
    paths: &[String],
    human: impl Fn(&str) -> Option<String>,
    ours: impl Fn(&str) -> Option<String>,
) -> (bool, bool) {
    let (mut tok, mut byte) = (true, true);
    for p in paths {
        let (h, o) = (human(p), ours(p));
        byte &= h == o;
        tok &= match (&h, &o) {
            (Some(h), Some(o)) => port::token_equal(h, o),
            (None, None) => true,
            _ => false,
        };
    }
    (tok, byte)
}

/// A tool's result: compared with the human backport if it applied.
fn applied_result(
    applied: bool,
    paths: &[String],
    human: &dyn Fn(&str) -> Option<String>,
    ours: impl Fn(&str) -> Option<String>,
) -> ToolResult {
    if !applied {
        return ToolResult::default();
    }
    let (token_equal, byte_equal) = compare(paths, human, ours);
    ToolResult {
        applied,
        token_equal,
        byte_equal,
    }
}

pub fn run_pair(
    up: &Repository,
    upstream: &Path,
    scratch: &Repository,
    wt: &Path,
    pair: &Pair,
) -> Result<PairResult> {
    let m = Oid::from_str(&pair.master)?;
    let b = Oid::from_str(&pair.backport)?;
    let base = up.find_commit(b)?.parent_id(0)?;
    let mparent = up.find_commit(m)?.parent_id(0)?;
    let paths = touched(up, m, b)?;
    let exact_human = paths.iter().all(|p| {
        let e = |c, p| blob_text(up, c, p).unwrap_or_default();
        port::token_edits(&e(base, p), &e(b, p)) == port::token_edits(&e(mparent, p), &e(m, p))
    });
    let human = |p: &str| blob_text(up, b, p);

    // The engine, on a branch in the scratch repository.
    let branch = format!("corpus/{}", &pair.backport[..10]);
    scratch.reference(&format!("refs/heads/{branch}"), base, true, "corpus")?;
    let run = backport::run(&backport::Options {
        branch: branch.clone(),
        repo: scratch.path().to_path_buf(),
        upstream: Some(upstream.to_path_buf()),
        commits: vec![pair.master.clone()],
        ..Default::default()
    });
    let tip = scratch.refname_to_id(&format!("refs/heads/{branch}"))?;
    let (mut engine, mut refused, mut half) = (ToolResult::default(), None, false);
    match run {
        Ok(_) => engine = applied_result(true, &paths, &human, |p| blob_text(scratch, tip, p)),
        Err(e) => {
            refused = Some(format!("{e:#}"));
            half = tip != base;
        }
    }

    // git cherry-pick -Xignore-all-space and patch -l -F3 in a work tree at the same parent.
    let git = git::cli::at(wt).with_identity("corpus", "corpus@localhost");
    let reset = || -> Result<()> {
        git.run(["checkout", "-q", "-f", "--detach", &base.to_string()])?;
        git.run(["clean", "-qfd"])
    };
    let from_wt = |p: &str| std::fs::read_to_string(wt.join(p)).ok();
    reset()?;
    let picked = git.succeeds([
        "cherry-pick",
        "--no-commit",
        "-Xignore-all-space",
        &pair.master,
    ])?;
    let cherry_pick = applied_result(picked, &paths, &human, from_wt);
    // No pick under way is not a failure: there is nothing to abort.
    let _ = git.succeeds(["cherry-pick", "--abort"])?;
    reset()?;
    let diff = git.read(["show", "--format=", &pair.master])? + "\n";
    let pt = cmd!(
        "patch",
        "-p1",
        "-l",
        "-F3",
        "--no-backup-if-mismatch",
        "-s",
        "-f"
    )
    .dir(wt)
    .stdin_bytes(diff)
    .stdout_null()
    .stderr_null()
    .unchecked()
    .run()?;
    let patch = applied_result(pt.status.success(), &paths, &human, from_wt);
    Ok(PairResult {
        pair: pair.clone(),
        exact_human,
        engine,
        engine_refused: refused,
        engine_half_written: half,
        cherry_pick,
        patch,
    })
}

/// Runs every pair of `branch`, printing progress to stderr.
pub fn run(upstream: &Path, branch: &str) -> Result<Vec<PairResult>> {
    let up = git::open(upstream, "--upstream")?;
    let pairs = pairs(&up, branch)?;
    let dir = tempfile::tempdir()?;
    let scratch = history::scratch_repo(upstream, &dir.path().join("bare"))?;
    let wt = dir.path().join("wt");
    eprintln!(
        "corpus: {} pairs on {branch}; making a work tree for git and patch ...",
        pairs.len()
    );
    history::shared_worktree(upstream, &wt)?;
    let mut out = Vec::new();
    for (i, p) in pairs.iter().enumerate() {
        eprintln!(
            "  [{}/{}] {} {}",
            i + 1,
            pairs.len(),
            &p.backport[..10],
            p.subject
        );
        out.push(run_pair(&up, upstream, &scratch, &wt, p)?);
    }
    Ok(out)
}

type Pick<'a> = &'a dyn Fn(&PairResult) -> &ToolResult;

/// The table for BENCHMARKS.md: counts over all pairs and over the fair set.
pub fn table(results: &[PairResult]) -> String {
    let fair: Vec<&PairResult> = results.iter().filter(|r| r.exact_human).collect();
    let adapted: Vec<&PairResult> = results.iter().filter(|r| !r.exact_human).collect();
    let count =
        |set: &[&PairResult], f: &dyn Fn(&PairResult) -> bool| set.iter().filter(|r| f(r)).count();
    let mut s = String::new();
    s.push_str(&format!(
        "pairs: {} ({} where the human made upstream's exact token edits, {} adapted)\n\n",
        results.len(),
        fair.len(),
        adapted.len()
    ));
    s.push_str("| set | tool | applied | token-equal to human | byte-equal to human | clean refusals |\n|---|---|---|---|---|---|\n");
    for (name, set) in [("fair", &fair), ("adapted", &adapted)] {
        let tools: [(&str, Pick); 3] = [
            ("gluster-legacy-kit", &|r| &r.engine),
            ("git cherry-pick -Xignore-all-space", &|r| &r.cherry_pick),
            ("patch -l -F3", &|r| &r.patch),
        ];
        for (tool, get) in tools {
            let refusals = if tool == "gluster-legacy-kit" {
                count(set, &|r| {
                    r.engine_refused.is_some() && !r.engine_half_written
                })
                .to_string()
            } else {
                "-".into()
            };
            s.push_str(&format!(
                "| {name} ({}) | {tool} | {} | {} | {} | {refusals} |\n",
                set.len(),
                count(set, &|r| get(r).applied),
                count(set, &|r| get(r).token_equal),
                count(set, &|r| get(r).byte_equal),
            ));
        }
    }
    s
}

/// Which presence rules find one pair's master commit on the branch tip.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PairPresence {
    pub pair: Pair,
    pub ancestor: bool,
    pub change_id: bool,
    pub cherry_pick: bool,
    /// The code check (the master commit's effect is in the tip's files).
    pub code: bool,
    /// `git cherry` (patch ids) says an equivalent commit is on the branch.
    pub git_cherry: bool,
}

/// On `branch`'s tip, every pair's master commit through each presence rule
/// on its own, beside `git cherry BRANCH MASTER MASTER^` (patch ids).
pub fn presence(upstream: &Path, branch: &str) -> Result<Vec<PairPresence>> {
    use backport::{plan, port::State, presence};
    let up = git::open(upstream, "--upstream")?;
    let tip = git::find_branch(&up, branch)?.tip;
    let history = presence::History::read(&up, tip)?;
    let tree = plan::Worktree::new(&up, up.find_commit(tip)?.tree()?);
    let mut out = Vec::new();
    for pair in pairs(&up, branch)? {
        let m = Oid::from_str(&pair.master)?;
        let msg = up.find_commit(m)?.message().unwrap_or_default().to_string();
        let rules = history.rules(&presence::Identity::of_commit(m, &msg));
        let has = |f: fn(&presence::How) -> bool| rules.iter().any(f);
        let code = plan::state_of(&upstream::read(&up, m)?, &tree)? == State::Present;
        let parent = format!("{}^", pair.master);
        let cherry = git::cli::at(upstream).read(["cherry", branch, &pair.master, &parent])?;
        out.push(PairPresence {
            ancestor: has(|h| matches!(h, presence::How::Ancestor(_))),
            change_id: has(|h| matches!(h, presence::How::ChangeId(_))),
            cherry_pick: has(|h| matches!(h, presence::How::CherryPick(_))),
            code,
            git_cherry: cherry.lines().any(|l| l.starts_with('-')),
            pair,
        });
    }
    Ok(out)
}
