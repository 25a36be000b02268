//! The suite's shared test material: the small real upstream repository in
//! `../shared/glusterfs/` (read-only; extracted to a temp dir), and a user's
//! fork of it with the series ported onto release-3.12 by the engine. A
//! leaf: the A/B, the regress step, the chroots and `fresh` all start here.

use anyhow::{bail, Context, Result};
use backport::git;
use duct::cmd;
use std::path::{Path, PathBuf};

/// The stage whose presence decides the per-host event verdicts.
pub use verify::judge::DELIVERY as DELIVERY_STAGE;

/// The small upstream repository in `../shared/glusterfs/`, when it is there.
pub fn shared_tar() -> Option<PathBuf> {
    crate::paths::shared_glusterfs().map(|d| d.join("glusterfs-v3.12.15.git.tar"))
}

/// Extracts the shared tar (never written to) into `dir`; the bare
/// repository's path.
pub fn extract(tar: &Path, dir: &Path) -> Result<PathBuf> {
    cmd!("tar", "-xf", tar, "-C", dir)
        .run()
        .with_context(|| format!("extracting {}", tar.display()))?;
    Ok(dir.join("glusterfs.git"))
}

/// The upstream repo and a fork with the series ported onto release-3.12.
/// Both stages are read from the shared repository when it holds the
/// delivery stage's commits (it does since they were added to it); an
/// older one with the stall stage alone falls back to a full clone in
/// `$GLUSTER_REPO` (opt-in), else the delivery stage is left out and the
/// run says so.
pub fn fork_with_backport(tar: &Path, dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let shared = extract(tar, dir)?;
    let fork = dir.join("fork");
    git::cli::clone(&shared, &fork, &[]).context("cloning the fork")?;
    // The fork is the suite's own, in its temp dir: on a machine with no git
    // identity (a fresh one, a CI runner) its commits get the kit's.
    git::cli::ensure_identity(
        &git::open(&fork, "the suite's fork")?,
        "gluster-legacy-kit a/b",
        "ab@gluster-legacy-kit.invalid",
    )?;
    let (upstream, stages) = delivery_source(shared)?;
    let outcome = backport::run(&backport::Options {
        branch: "release-3.12".into(),
        repo: fork.clone(),
        upstream: Some(upstream.clone()),
        series: crate::paths::series(),
        stages,
        ..Default::default()
    })?;
    eprint!("{}", backport::report::text(&outcome));
    if outcome.commits.is_empty() {
        bail!("the backport made no commit on release-3.12");
    }
    Ok((upstream, fork))
}

/// Where the fork's series is read from, and which stages it ports: the
/// shared repository with every stage when it holds the delivery stage's
/// commits, else `$GLUSTER_REPO` when that does, else the shared one with
/// the stall stage alone (said as SKIPPED).
fn delivery_source(shared: PathBuf) -> Result<(PathBuf, Vec<String>)> {
    if delivery_commits_in(&shared)? {
        eprintln!("==> both stages of the series from ../shared/glusterfs");
        return Ok((shared, Vec::new()));
    }
    let full = std::env::var_os("GLUSTER_REPO")
        .map(PathBuf::from)
        .filter(|p| delivery_commits_in(p).unwrap_or(false));
    Ok(match full {
        Some(full) => {
            eprintln!(
                "==> the delivery stage's upstream commits from GLUSTER_REPO={}",
                full.display()
            );
            (full, Vec::new())
        }
        None => {
            eprintln!(
                "SKIPPED delivery stage of the a/b fork: its upstream commits are not in this \
                 ../shared/glusterfs; GLUSTER_REPO=<full GlusterFS clone> ports and proves it"
            );
            (shared, vec!["stall".to_string()])
        }
    })
}

/// Whether `upstream` holds a port of every default fix of the delivery stage.
pub fn delivery_commits_in(upstream: &Path) -> Result<bool> {
    stage_commits_in(upstream, &crate::paths::series(), DELIVERY_STAGE)
}

/// Whether `upstream` holds a port of every default fix of `stage` of the
/// series: without them the kit cannot tell whether a branch has it.
pub fn stage_commits_in(upstream: &Path, series: &Path, stage: &str) -> Result<bool> {
    let repo = git::open(upstream, "the upstream commits")?;
    let m = backport::manifest::load(series)?;
    Ok(m.fixes
        .iter()
        .filter(|f| !f.optional && m.stage_of(f).is_some_and(|s| s.id == stage))
        .all(|f| {
            f.ports
                .iter()
                .any(|p| git::rev::find(&repo, &p.commit).is_some())
        }))
}
