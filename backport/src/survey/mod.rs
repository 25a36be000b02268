//! `backport BRANCH --survey RANGE`: the backlog view of a fork. Every
//! non-merge upstream commit in RANGE gets one status against the branch as
//! it is: present (and by which rule), clean, context-dropped, unplaceable,
//! not-applicable, or needs (the earlier upstream commits whose lines a hunk
//! needs and the branch lacks, each with its own status). Nothing is written.
//!
//! Stages, one module each: `read` walks RANGE once and reads each
//! commit's file changes (in chunks, each with its own repository: git2 is
//! not shared across threads); `snapshot` holds the branch's files, read
//! once; `classify` judges each commit against them, tokenized once, in
//! parallel (rayon), then each commit as a whole; `needs` blames the
//! pre-image lines of the hunks that could not be placed, from an index of
//! the lines RANGE's own commits inserted (the last commit before this one
//! that inserted that line into that file, as `git blame` of the pre-image
//! would name, without a blame walk per hunk); `apply` ports the clean
//! commits with `--apply-clean`; `text` prints for people. Restyling is not
//! needed to classify, so nothing is rendered.

mod apply;
mod classify;
mod needs;
mod read;
mod snapshot;
mod text;

pub use read::range;
pub use text::text;

use super::apply::require_clean;
use super::locate::Target;
use super::presence::History;
use super::select::PathFilter;
use crate::git;
use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use snapshot::Snapshot;
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

pub fn run(opts: &Options) -> Result<Survey> {
    let started = Instant::now();
    let (repo, up) = super::open_target_and_upstream(&opts.repo, opts.upstream.as_deref())?;
    let mut branch = git::find_branch(&repo, &opts.branch)?;
    if opts.apply_clean {
        require_clean(&repo, &mut branch)?;
    }
    let filter = PathFilter::new(&opts.paths, &opts.excludes)?;
    let history = History::read(&repo, branch.tip)?;
    let mut files = Snapshot::read(&repo, branch.tip)?;
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
    let chunks: Vec<Vec<read::Read>> = ids
        .par_chunks(32)
        .map(|chunk| -> Result<Vec<read::Read>> {
            let repo = git::open(&up_path, "the upstream")?;
            let mut out = Vec::with_capacity(chunk.len());
            for id in chunk {
                out.push(read::read(&repo, *id, &filter)?);
                pb.inc(1);
            }
            Ok(out)
        })
        .collect::<Result<_>>()?;
    let commits: Vec<read::Read> = chunks.into_iter().flatten().collect();
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
    let classified: Vec<classify::Classified> = commits
        .par_iter()
        .map(|c| {
            let t0 = Instant::now();
            let r = classify::classify(c, &history, &files, &targets);
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

    let entries = classify::judge(&commits, &classified, &targets, &files)?;
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
        survey.applied = Some(apply::apply_clean(
            &repo,
            &up,
            &branch,
            &history,
            &filter,
            &survey.commits,
        )?);
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
