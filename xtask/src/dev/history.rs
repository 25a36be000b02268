//! Sweeping the backport over real GlusterFS release tags.
//!
//! Shared by the opt-in real-history test and `cargo xtask bench backport`.
//! For each tag it makes a branch in a scratch bare repository that borrows
//! the upstream clone's objects (git alternates), so the clone itself is
//! never written to. It ports fix 3 alone, then the stall stage, compares
//! with upstream's own later releases where they exist, and runs again to
//! check that a second run changes nothing.

use anyhow::Result;
use backport::git::{self, Repository};
use backport::{self, plan::Verdict, port};
use std::path::Path;
use std::time::Instant;

pub const EVENTS_C: &str = "libglusterfs/src/events.c";

#[derive(Debug, Clone, serde::Serialize)]
pub struct TagResult {
    pub tag: String,
    pub fix3_applied: bool,
    /// Against v7.3 (fix 3 alone), where the tag is on release-7.
    pub fix3_byte_equal_ref: Option<bool>,
    pub series_applied: bool,
    /// Every ported fix made upstream's token edits, no more, no less.
    pub token_exact: bool,
    /// The upstream release with the whole series (v6.8 or v7.4), if any.
    pub reference: Option<String>,
    pub token_equal_ref: Option<bool>,
    pub byte_equal_ref: Option<bool>,
    pub idempotent: bool,
    pub series_seconds: f64,
    pub error: Option<String>,
}

/// Release tags from `from` to `to` inclusive, in version order.
pub fn release_tags(
    repo: &Repository,
    from: (u32, u32, u32),
    to: (u32, u32, u32),
) -> Result<Vec<String>> {
    let mut tags: Vec<((u32, u32, u32), String)> = repo
        .tag_names(Some("v*"))?
        .iter()
        .flatten()
        .filter_map(|t| {
            let parts: Vec<u32> = t[1..]
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            let v = match parts[..] {
                [a, b] => (a, b, 0),
                [a, b, c] => (a, b, c),
                _ => return None,
            };
            (v >= from && v <= to).then(|| (v, t.to_string()))
        })
        .collect();
    tags.sort();
    Ok(tags.into_iter().map(|(_, t)| t).collect())
}

fn reference_for(tag: &str) -> (Option<&'static str>, Option<&'static str>) {
    if tag.starts_with("v6.") {
        (Some("v6.8"), None)
    } else if tag.starts_with("v7.") {
        (Some("v7.4"), Some("v7.3"))
    } else {
        (None, None)
    }
}

fn file_at(repo: &Repository, rev: &str) -> Result<String> {
    let tree = git::rev::commit(repo, rev)?.tree()?;
    let blob = tree
        .get_path(Path::new(EVENTS_C))?
        .to_object(repo)?
        .peel_to_blob()?;
    Ok(String::from_utf8_lossy(blob.content()).into_owned())
}

/// A scratch bare repository whose objects come from `upstream`.
pub fn scratch_repo(upstream: &Path, dir: &Path) -> Result<Repository> {
    git::scratch(upstream, dir, "Backport Sweep", "sweep@localhost")
}

pub fn sweep_tag(
    upstream: &Path,
    scratch: &Repository,
    series: &Path,
    tag: &str,
) -> Result<TagResult> {
    let up = git::open(upstream, "--upstream")?;
    let tip = git::rev::commit(&up, tag)?.id();
    let opts = |branch: &str, only: Vec<String>| backport::Options {
        branch: branch.to_string(),
        repo: scratch.path().to_path_buf(),
        upstream: Some(upstream.to_path_buf()),
        series: series.to_path_buf(),
        only,
        // The stall stage: v6.8 and v7.4, the references, have it and not
        // the delivery stage (swept by tests/tests/delivery_sweep.rs).
        stages: vec!["stall".into()],
        ..Default::default()
    };
    let (series_ref, fix3_ref) = reference_for(tag);
    let mut r = TagResult {
        tag: tag.to_string(),
        fix3_applied: false,
        fix3_byte_equal_ref: None,
        series_applied: false,
        token_exact: false,
        reference: series_ref.map(String::from),
        token_equal_ref: None,
        byte_equal_ref: None,
        idempotent: false,
        series_seconds: 0.0,
        error: None,
    };

    let fix3 = format!("sweep/{tag}/fix3");
    scratch.reference(&format!("refs/heads/{fix3}"), tip, true, "sweep")?;
    match backport::run(&opts(&fix3, vec!["unix-volfile".into()])) {
        Ok(_) => {
            r.fix3_applied = true;
            if let Some(rf) = fix3_ref {
                r.fix3_byte_equal_ref = Some(file_at(scratch, &fix3)? == file_at(&up, rf)?);
            }
        }
        Err(e) => r.error = Some(format!("fix 3 alone: {e:#}")),
    }

    let all = format!("sweep/{tag}/series");
    scratch.reference(&format!("refs/heads/{all}"), tip, true, "sweep")?;
    let started = Instant::now();
    let outcome = backport::run(&opts(&all, vec![]));
    r.series_seconds = started.elapsed().as_secs_f64();
    match outcome {
        Ok(o) => {
            r.series_applied = true;
            r.token_exact = o.planned.iter().all(|p| match &p.verdict {
                Verdict::Port { files, .. } => files.iter().all(|f| {
                    let ch = p
                        .upstream
                        .changes
                        .iter()
                        .find(|c| c.new_path.as_deref() == Some(&f.path));
                    ch.is_some_and(|ch| {
                        port::token_edits(
                            f.before.as_deref().unwrap_or(""),
                            f.after.as_deref().unwrap_or(""),
                        ) == port::token_edits(&ch.old, &ch.new)
                    })
                }),
                _ => true,
            });
            if let Some(rf) = series_ref {
                let (ours, theirs) = (file_at(scratch, &all)?, file_at(&up, rf)?);
                r.token_equal_ref = Some(port::token_equal(&ours, &theirs));
                r.byte_equal_ref = Some(ours == theirs);
            }
            let again = backport::run(&opts(&all, vec![]))?;
            r.idempotent = again.commits.is_empty();
        }
        Err(e) => r.error = Some(format!("series: {e:#}")),
    }
    Ok(r)
}

/// A work tree (no checkout yet) borrowing `upstream`'s objects, for tools
/// that need one: git cherry-pick and patch in the benchmarks.
pub fn shared_worktree(upstream: &Path, dest: &Path) -> Result<()> {
    git::cli::clone(upstream, dest, &["--shared", "--no-checkout"])
}
