//! What an installed build says of itself: `cargo xtask build` leaves a
//! stamp (PREFIX/share/gluster-legacy-kit/build.json), its `Report`, naming
//! the repository and commit it built, so `verify --prefix` can ask
//! `backport --check` whether that commit has the fix, instead of guessing
//! from behaviour, and a later build sees that the prefix already holds the
//! commit. It also carries what the build has of each stage of the series,
//! as checked when it was made, so a stamp answers for its build after the
//! repository it names is gone. One type, written by `xtask build` and read
//! back here.

use crate::Stages;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The stamp's place under an install prefix.
pub const STAMP: &str = "share/gluster-legacy-kit/build.json";

/// Seconds each step of a build took.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Seconds {
    pub deps: f64,
    pub export: f64,
    pub autogen: f64,
    pub configure: f64,
    pub make: f64,
    pub install: f64,
    pub total: f64,
}

/// The result of a build: what was installed where, with which compat
/// items, and how long each step took.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Report {
    pub rev: String,
    pub commit: String,
    /// The repository the commit was read from, so `verify --prefix` can ask
    /// `backport --check` whether the build has the fix.
    #[serde(default)]
    pub repo: PathBuf,
    pub prefix: PathBuf,
    /// The prefix the build was configured for, when it is not `prefix`
    /// (`xtask build --run-at`): its programs name that prefix, so they run
    /// only where `prefix` is bound at it, as the kit's clusters do
    /// ([`Report::runs_at`]).
    #[serde(default)]
    pub run_at: Option<PathBuf>,
    pub version: String,
    pub events: bool,
    pub glfsheal: PathBuf,
    pub compat: Vec<String>,
    pub reused: bool,
    pub seconds: Seconds,
    /// The built tree, when it was kept (`--keep-tree`).
    #[serde(default)]
    pub tree: Option<PathBuf>,
    /// Where the build started: from nothing, or from a copy of another
    /// build's configured tree (stamps from before it say neither).
    #[serde(default)]
    pub start: Start,
    /// What the build has of each stage of the series, by the kit's own
    /// `backport --check` when it was built; None when that could not be
    /// asked (no branch or tag at the commit, no manifest), and in stamps
    /// from before it.
    #[serde(default)]
    pub stages: Option<StampedStages>,
}

/// A build's stages, with the manifest they were checked against: a
/// manifest changed since (a fix added to a stage, a new stage) asks again.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StampedStages {
    /// sha256 of the series manifest's bytes, in hex.
    pub series_sha256: String,
    pub stages: Stages,
}

impl Report {
    /// The prefix the build's programs name: where it runs.
    pub fn runs_at(&self) -> &Path {
        self.run_at.as_deref().unwrap_or(&self.prefix)
    }
}

/// How a build's tree was made.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Start {
    /// The build whose configured and built tree was copied; None for a
    /// cold build (autogen, configure and make from a fresh export).
    pub from: Option<StartedFrom>,
    /// Why: which files differ from that build and that configure reads
    /// none of them, or why its tree could not be used.
    pub why: String,
}

/// The build a tree was copied from, as its stamp names it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StartedFrom {
    pub rev: String,
    pub commit: String,
    pub prefix: PathBuf,
}

impl StartedFrom {
    /// `v3.12.15 (a1cf0f2c8b)`, or the short commit alone when the
    /// revision asked for was the commit (as the A/B asks).
    pub fn label(&self) -> String {
        let short = &self.commit[..self.commit.len().min(10)];
        if self.rev == self.commit {
            short.to_string()
        } else {
            format!("{} ({short})", self.rev)
        }
    }
}

/// The stamp of the build installed at `prefix`.
pub fn path(prefix: &Path) -> PathBuf {
    prefix.join(STAMP)
}

/// Writes `report` as the stamp at `prefix`, whole or not at all: a reader
/// never sees half a stamp.
pub fn write(prefix: &Path, report: &Report) -> Result<()> {
    let stamp = path(prefix);
    let dir = stamp.parent().expect("stamp has a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("writing a stamp in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, serde_json::to_string_pretty(report)?.as_bytes())?;
    // As make install leaves files, not a temp file's 0600: any user may
    // read what the build is.
    tmp.as_file()
        .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
    tmp.persist(&stamp)
        .with_context(|| format!("writing {}", stamp.display()))?;
    Ok(())
}

/// The stamp at `prefix`, if there is a readable one.
pub fn load(prefix: &Path) -> Option<Report> {
    let text = std::fs::read_to_string(path(prefix)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The stamp at `prefix`, which must name the repository and commit it was
/// built from; the errors say how to do without one.
pub fn read(prefix: &Path) -> Result<Report> {
    let path = path(prefix);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} has no build stamp ({}), so the kit cannot tell whether it has the fix: build it with cargo xtask build, or pass --fixed {0} / --unfixed {0}",
            prefix.display(),
            path.display()
        )
    })?;
    let report: Report =
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    if report.repo.as_os_str().is_empty() || report.commit.is_empty() {
        bail!(
            "{} names no repo and commit: rebuild with cargo xtask build, or pass --fixed/--unfixed {}",
            path.display(),
            prefix.display()
        );
    }
    Ok(report)
}
