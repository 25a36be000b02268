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
pub mod edit;
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

use crate::git;
use anyhow::{bail, Context, Result};
use git2::Repository;
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
    pub commits: Vec<(String, git2::Oid)>,
    pub dry_run: bool,
    pub check: bool,
}

impl Outcome {
    /// In check mode: whether every selected fix is present.
    pub fn all_present(&self) -> bool {
        self.planned
            .iter()
            .all(|p| matches!(p.verdict, plan::Verdict::Present { .. }))
    }
}

pub fn open_repo(path: &Path, what: &str) -> Result<Repository> {
    Repository::open(path).with_context(|| {
        format!(
            "no git repository at {} ({what}); pass --repo PATH or set GLUSTER_REPO to a GlusterFS clone",
            path.display()
        )
    })
}

pub fn run(opts: &Options) -> Result<Outcome> {
    let repo = open_repo(&opts.repo, "the target")?;
    let upstream_repo = match &opts.upstream {
        Some(p) => open_repo(p, "--upstream")?,
        None => open_repo(&opts.repo, "the target, read for upstream commits")?,
    };
    let branch = git::find_branch(&repo, &opts.branch)?;
    if !opts.check && !opts.dry_run {
        apply::require_clean(&repo, &branch)?;
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
    Ok(Outcome {
        wip_branch,
        branch: opts.branch.clone(),
        repo: opts.repo.clone(),
        planned,
        commits,
        dry_run: opts.dry_run,
        check: opts.check,
    })
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

fn upstream_hint(opts: &Options, url: &str) -> String {
    let at = opts.upstream.as_ref().unwrap_or(&opts.repo);
    format!(
        "fetch upstream into {} (git -C {} fetch {url} master release-7 release-6) or pass --upstream PATH to a full GlusterFS clone",
        at.display(),
        at.display()
    )
}

fn series_units<'m>(
    m: &'m manifest::Manifest,
    only: &[String],
    upstream_repo: &Repository,
    opts: &Options,
) -> Result<Vec<plan::Unit<'m>>> {
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
        let selected = only.is_empty() || only.iter().any(|k| fix.is_named_by(k));
        let candidates: Vec<_> = fix
            .ports
            .iter()
            .filter_map(|p| {
                upstream::find(upstream_repo, &p.commit).map(|id| (Some(p.branch.clone()), id))
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
            bail!(
                "fix {} ({}): none of its upstream commits [{}] is in {}; {}",
                fix.id,
                fix.subject,
                shas.join(", "),
                upstream_repo.path().display(),
                upstream_hint(opts, &m.series.upstream_url)
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
            let id = upstream::find(upstream_repo, c).with_context(|| {
                format!(
                    "upstream commit {c} is not in {}; {}",
                    upstream_repo.path().display(),
                    upstream_hint(opts, "https://github.com/gluster/glusterfs")
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
