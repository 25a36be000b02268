//! The series manifest (`patches/*.toml`): which upstream fixes to port, in
//! which order, and how to recognise each one. It holds no GlusterFS code;
//! the hunks are read from the upstream commits at run time.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub series: Series,
    /// What each stage of the series makes true, in order; a fix belongs
    /// to one.
    #[serde(default, rename = "stage")]
    pub stages: Vec<Stage>,
    #[serde(rename = "fix")]
    pub fixes: Vec<Fix>,
    #[serde(default, rename = "refuse")]
    pub refusals: Vec<Refusal>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Series {
    pub name: String,
    pub title: String,
    /// Where the upstream commits can be fetched from, for error messages.
    pub upstream_url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Stage {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Fix {
    pub id: String,
    /// The stage it completes [default: the series' first].
    #[serde(default)]
    pub stage: Option<String>,
    /// Left out of the default series: ported only when named (`--only`).
    #[serde(default)]
    pub optional: bool,
    pub subject: String,
    pub change_id: String,
    pub bugs: Vec<String>,
    /// Ids of fixes whose code this one builds on.
    #[serde(default)]
    pub needs: Vec<String>,
    #[serde(rename = "port")]
    pub ports: Vec<Port>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Port {
    pub branch: String,
    pub commit: String,
}

/// A state of the target the series cannot start from, named plainly
/// instead of being left to fail as a missing anchor.
#[derive(Debug, Clone, Deserialize)]
pub struct Refusal {
    pub path: String,
    /// A C token whose presence in `path` means the refusal applies.
    pub token: String,
    pub message: String,
}

pub fn load(path: &Path) -> Result<Manifest> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the series manifest {}", path.display()))?;
    let m: Manifest = toml::from_str(&text)
        .with_context(|| format!("parsing the series manifest {}", path.display()))?;
    let mut stage_at = 0;
    for (i, fix) in m.fixes.iter().enumerate() {
        if let Some(stage) = &fix.stage {
            let Some(at) = m.stages.iter().position(|s| &s.id == stage) else {
                bail!(
                    "{}: fix {} is in stage {stage}, which no [[stage]] declares",
                    path.display(),
                    fix.id
                );
            };
            if at < stage_at {
                bail!(
                    "{}: fix {} of stage {stage} comes after fixes of a later stage",
                    path.display(),
                    fix.id
                );
            }
            stage_at = at;
        }
        if fix.ports.is_empty() {
            bail!(
                "{}: fix {} lists no upstream commit",
                path.display(),
                fix.id
            );
        }
        for need in &fix.needs {
            if !m.fixes[..i].iter().any(|f| &f.id == need) {
                bail!(
                    "{}: fix {} needs {need}, which is not an earlier fix of the series",
                    path.display(),
                    fix.id
                );
            }
        }
    }
    Ok(m)
}

impl Manifest {
    /// The stage `fix` belongs to, when the series has stages.
    pub fn stage_of(&self, fix: &Fix) -> Option<&Stage> {
        match &fix.stage {
            Some(id) => self.stages.iter().find(|s| &s.id == id),
            None => self.stages.first(),
        }
    }
}

impl Fix {
    /// Whether `key` names this fix: its id, its Change-Id, or a prefix
    /// (at least 7 hex digits) of any of its ports' commits.
    pub fn is_named_by(&self, key: &str) -> bool {
        let key = key.trim();
        key == self.id
            || key == self.change_id
            || (key.len() >= 7
                && key.chars().all(|c| c.is_ascii_hexdigit())
                && self
                    .ports
                    .iter()
                    .any(|p| p.commit.starts_with(&key.to_ascii_lowercase())))
    }
}
