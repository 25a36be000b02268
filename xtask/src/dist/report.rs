//! What `cargo xtask dist` made: each artifact's path, kind and SHA-256,
//! as one JSON document (`--json`) or a table for people.

use anyhow::{Context, Result};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Rpm,
    Deb,
    So,
    Bin,
    Man,
    Completion,
}

#[derive(Debug, Serialize)]
pub struct Artifact {
    pub path: PathBuf,
    pub kind: Kind,
    pub sha256: String,
    #[serde(skip)]
    pub size: u64,
}

impl Artifact {
    pub fn new(path: PathBuf, kind: Kind) -> Result<Artifact> {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let sha256 = crate::digest::sha256_hex(&bytes);
        Ok(Artifact {
            size: bytes.len() as u64,
            path,
            kind,
            sha256,
        })
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub version: String,
    pub artifacts: Vec<Artifact>,
}

impl Report {
    pub fn new(version: String, artifacts: Vec<Artifact>) -> Report {
        Report { version, artifacts }
    }

    pub fn json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    pub fn text(&self) -> String {
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::NOTHING);
        t.set_header(vec!["kind", "bytes", "sha256", "path"]);
        for a in &self.artifacts {
            t.add_row(vec![
                format!("{:?}", a.kind).to_lowercase(),
                a.size.to_string(),
                a.sha256[..16].to_string(),
                a.path.display().to_string(),
            ]);
        }
        format!("dist {}\n{t}\n", self.version)
    }
}
