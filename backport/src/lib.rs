//! The backport engine: ports upstream GlusterFS fixes onto legacy branches
//! across the 2018 reformat, one commit per fix, in the branch's own style.
//!
//! Stages, one module each, with data flowing one way:
//! `manifest` and `upstream` read; `tokens`, `hunks` and `locate` find where
//! each hunk goes; `edit`, `style`, `align` and `render` write it in the
//! target's style (`port` drives those per file); `plan` decides per fix;
//! `apply` commits and moves the ref; `report` prints. `presence` answers
//! from history whether a fix is already there; `select` picks files of a
//! commit; `survey` classifies a whole upstream range without writing.

pub mod align;
pub mod apply;
pub mod dialect;
pub mod edit;
pub mod git;
pub mod hunks;
pub mod locate;
pub mod manifest;
pub mod message;
pub mod plan;
pub mod port;
pub mod presence;
pub mod render;
pub mod report;
pub mod select;
pub mod style;
pub mod survey;
pub mod tokens;
pub mod upstream;

use anyhow::{bail, Context, Result};
use git::Repository;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub branch: String,
    pub repo: PathBuf,
    /// Where upstream commits are read from; the target repo when None.
    pub upstream: Option<PathBuf>,
    pub series: PathBuf,
    /// Fix ids, Change-Ids or SHA prefixes; empty means the whole series.
    pub only: Vec<String>,
    /// Stage ids (`stall`, `delivery`); empty means every stage.
    pub stages: Vec<String>,
    /// Upstream commits to port instead of the series.
    pub commits: Vec<String>,
    pub dry_run: bool,
    pub check: bool,
    /// Write hunks that cannot be placed as conflict markers on BRANCH-wip.
    pub wip: bool,
    /// `--path GLOB`: port only the files of each commit that match.
    pub paths: Vec<String>,
    /// `--exclude GLOB`: leave matching files out.
    pub excludes: Vec<String>,
}

/// What a run did, for `report`.
#[derive(Debug)]
pub struct Outcome {
    /// Set when `--wip` left conflicts: the branch that holds them.
    pub wip_branch: Option<String>,
    pub branch: String,
    pub repo: PathBuf,
    pub planned: Vec<plan::Planned>,
    pub commits: Vec<(String, git::Oid)>,
    pub dry_run: bool,
    pub check: bool,
    /// Per stage of the series, in order: which of its selected fixes are
    /// not on the branch (after this run).
    pub stages: Vec<StageStatus>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct StageStatus {
    pub id: String,
    pub title: String,
    /// The stage's fixes this run looked at.
    pub fixes: Vec<String>,
    /// Of those, the ones the branch lacks (in check mode) or that this
    /// run did not bring (it failed or was a dry run).
    pub missing: Vec<String>,
}

impl StageStatus {
    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }
}

/// `--check`'s exit codes. 0: every selected fix is present. 1: a fix of
/// the series' first stage (the stall) is missing, or a `--commit`/`--only`
/// fix outside any stage. 4: the first stage is complete but a later one
/// (delivery: events lost on dual-stack and IPv6-only hosts) is not.
pub const CHECK_MISSING_STALL: u8 = 1;
pub const CHECK_MISSING_LATER_STAGE: u8 = 4;

impl Outcome {
    /// The exit code `--check` gives (0 outside check mode).
    pub fn check_exit_code(&self) -> u8 {
        if !self.check || self.all_present() {
            return 0;
        }
        match self.stages.split_first() {
            Some((first, later)) if first.complete() && later.iter().any(|s| !s.complete()) => {
                CHECK_MISSING_LATER_STAGE
            }
            _ => CHECK_MISSING_STALL,
        }
    }

    /// In check mode: whether every selected fix is present.
    pub fn all_present(&self) -> bool {
        self.planned
            .iter()
            .all(|p| matches!(p.verdict, plan::Verdict::Present { .. }))
    }
}

/// The target repository and the one upstream commits are read from
/// (`upstream`, else the target itself).
pub fn open_target_and_upstream(
    target: &Path,
    upstream: Option<&Path>,
) -> Result<(Repository, Repository)> {
    let repo = git::open(target, "the target")?;
    let upstream_repo = match upstream {
        Some(p) => git::open(p, "--upstream")?,
        None => git::open(target, "the target, read for upstream commits")?,
    };
    Ok((repo, upstream_repo))
}

pub fn run(opts: &Options) -> Result<Outcome> {
    let (repo, upstream_repo) = open_target_and_upstream(&opts.repo, opts.upstream.as_deref())?;
    let mut branch = git::find_branch(&repo, &opts.branch)?;
    if !opts.check && !opts.dry_run {
        apply::require_clean(&repo, &mut branch)?;
    }
    let manifest = if opts.commits.is_empty() {
        Some(manifest::load(&opts.series)?)
    } else {
        None
    };
    let filter = select::PathFilter::new(&opts.paths, &opts.excludes)?;
    if !filter.is_empty() && manifest.is_some() {
        bail!("--path and --exclude choose files of a --commit; the series ports whole fixes");
    }
    let base = repo.find_commit(branch.tip)?.tree()?;
    let mut tree = plan::Worktree::new(&repo, base);
    let history = presence::History::read(&repo, branch.tip)?;

    let units = match &manifest {
        Some(m) => {
            check_refusals(m, &tree)?;
            series_units(m, &opts.only, &upstream_repo, opts)?
        }
        None => commit_units(&opts.commits, &upstream_repo, opts)?,
    };
    let planned = plan::plan(
        &upstream_repo,
        manifest.as_ref(),
        &units,
        &mut tree,
        &plan::Settings {
            check: opts.check,
            wip: opts.wip,
            history: &history,
            filter: &filter,
        },
    )?;
    let conflicted = planned.iter().any(|p| !p.failed_hunks().is_empty());
    let mut wip_branch = None;
    let commits = if opts.check || opts.dry_run {
        Vec::new()
    } else if conflicted {
        // BRANCH stays as it is; the partial port goes to BRANCH-wip.
        let name = format!("{}-wip", opts.branch.trim_start_matches("refs/heads/"));
        let wip = git::Branch {
            refname: format!("refs/heads/{name}"),
            tip: branch.tip,
            checked_out: false,
        };
        repo.reference(
            &wip.refname,
            branch.tip,
            true,
            "backport --wip: start from the branch",
        )?;
        let made = apply::commit_all(&repo, &wip, &planned)?;
        wip_branch = Some(name);
        made
    } else {
        apply::commit_all(&repo, &branch, &planned)?
    };
    let stages = manifest
        .as_ref()
        .map(|m| stage_statuses(m, &planned, !opts.check && !opts.dry_run && !conflicted))
        .unwrap_or_default();
    Ok(Outcome {
        wip_branch,
        branch: opts.branch.clone(),
        repo: opts.repo.clone(),
        planned,
        commits,
        dry_run: opts.dry_run,
        check: opts.check,
        stages,
    })
}

/// Which selected fixes each stage still lacks: those not present, unless
/// `applied` (their ports were committed).
fn stage_statuses(
    m: &manifest::Manifest,
    planned: &[plan::Planned],
    applied: bool,
) -> Vec<StageStatus> {
    m.stages
        .iter()
        .map(|stage| {
            let of_stage: Vec<&plan::Planned> = planned
                .iter()
                .filter(|p| {
                    m.fixes
                        .iter()
                        .find(|f| f.id == p.id)
                        .and_then(|f| m.stage_of(f))
                        .is_some_and(|s| s.id == stage.id)
                })
                .collect();
            StageStatus {
                id: stage.id.clone(),
                title: stage.title.clone(),
                fixes: of_stage.iter().map(|p| p.id.clone()).collect(),
                missing: of_stage
                    .iter()
                    .filter(|p| match p.verdict {
                        plan::Verdict::Present { .. } => false,
                        plan::Verdict::Port { .. } => !applied,
                        plan::Verdict::Missing { .. } => true,
                    })
                    .map(|p| p.id.clone())
                    .collect(),
            }
        })
        .collect()
}

fn check_refusals(m: &manifest::Manifest, tree: &plan::Worktree) -> Result<()> {
    for r in &m.refusals {
        if let Some(text) = tree.read(&r.path)? {
            let toks = tokens::tokenize(&text);
            if tokens::texts(&text, &toks).contains(&r.token.as_str()) {
                bail!("{}: {}", r.path, r.message);
            }
        }
    }
    Ok(())
}

fn upstream_hint(opts: &Options, url: &str, branches: &[&str]) -> String {
    let at = opts.upstream.as_ref().unwrap_or(&opts.repo);
    format!(
        "fetch upstream into {} (git -C {} fetch {url} {}) or pass --upstream PATH to a full GlusterFS clone",
        at.display(),
        at.display(),
        branches.join(" ")
    )
}

fn series_units<'m>(
    m: &'m manifest::Manifest,
    only: &[String],
    upstream_repo: &Repository,
    opts: &Options,
) -> Result<Vec<plan::Unit<'m>>> {
    for stage in &opts.stages {
        if !m.stages.iter().any(|s| &s.id == stage) {
            let ids: Vec<&str> = m.stages.iter().map(|s| s.id.as_str()).collect();
            bail!(
                "--stage {stage} names no stage of the {} series; its stages: {}",
                m.series.name,
                ids.join(", ")
            );
        }
    }
    for key in only {
        if !m.fixes.iter().any(|f| f.is_named_by(key)) {
            let ids: Vec<&str> = m.fixes.iter().map(|f| f.id.as_str()).collect();
            bail!(
                "--only {key} names no fix of the {} series; known fixes: {}",
                m.series.name,
                ids.join(", ")
            );
        }
    }
    let mut units = Vec::new();
    for fix in &m.fixes {
        let in_stage =
            opts.stages.is_empty() || m.stage_of(fix).is_some_and(|s| opts.stages.contains(&s.id));
        let selected = if only.is_empty() {
            in_stage && !fix.optional
        } else {
            only.iter().any(|k| fix.is_named_by(k))
        };
        let candidates: Vec<_> = fix
            .ports
            .iter()
            .filter_map(|p| {
                git::rev::find(upstream_repo, &p.commit).map(|id| (Some(p.branch.clone()), id))
            })
            .collect();
        if candidates.is_empty() && !selected {
            continue;
        }
        if candidates.is_empty() {
            let shas: Vec<String> = fix
                .ports
                .iter()
                .map(|p| format!("{} ({})", &p.commit[..10], p.branch))
                .collect();
            let mut branches: Vec<&str> = fix
                .ports
                .iter()
                .map(|p| p.branch.as_str())
                .filter(|b| !b.contains('/'))
                .collect();
            branches.dedup();
            let stage_hint = match m.stage_of(fix) {
                Some(s) if opts.stages.is_empty() && only.is_empty() && m.stages.len() > 1 => {
                    let others: Vec<&str> = m
                        .stages
                        .iter()
                        .filter(|o| o.id != s.id)
                        .map(|o| o.id.as_str())
                        .collect();
                    format!(
                        "; or leave its stage ({}) for later with --stage {}",
                        s.id,
                        others.join(" --stage ")
                    )
                }
                _ => String::new(),
            };
            bail!(
                "fix {} ({}): none of its upstream commits [{}] is in {}; {}{stage_hint}",
                fix.id,
                fix.subject,
                shas.join(", "),
                upstream_repo.path().display(),
                upstream_hint(opts, &m.series.upstream_url, &branches)
            );
        }
        let identity = presence::Identity {
            commits: candidates.iter().map(|c| c.1).collect(),
            change_id: Some(fix.change_id.clone()),
        };
        units.push(plan::Unit {
            fix: Some(fix),
            candidates,
            identity,
            selected,
        });
    }
    Ok(units)
}

fn commit_units<'m>(
    commits: &[String],
    upstream_repo: &Repository,
    opts: &Options,
) -> Result<Vec<plan::Unit<'m>>> {
    commits
        .iter()
        .map(|c| {
            let id = git::rev::find(upstream_repo, c).with_context(|| {
                format!(
                    "upstream commit {c} is not in {}; {}",
                    upstream_repo.path().display(),
                    upstream_hint(
                        opts,
                        "https://github.com/gluster/glusterfs",
                        &["master", "devel"]
                    )
                )
            })?;
            let message = upstream_repo
                .find_commit(id)?
                .message()
                .unwrap_or_default()
                .to_string();
            Ok(plan::Unit {
                fix: None,
                candidates: vec![(None, id)],
                identity: presence::Identity::of_commit(id, &message),
                selected: true,
            })
        })
        .collect()
}
