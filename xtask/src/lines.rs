//! `cargo xtask bench lines`: the real A/B on the last release of each line
//! (opt-in: a full GlusterFS clone through GLUSTER_REPO or --repo). For each
//! tag, a branch at the tag in a temp clone gets the series from
//! `cargo xtask backport`, then `verify --branch` builds tag and branch with
//! `cargo xtask build` and judges both. One row per line: whether it built,
//! the compat items it took, build times, and the stall against the fix.

use anyhow::{Context, Result};
use duct::cmd;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub const TAGS: &[&str] = &["v3.10.12", "v3.12.15", "v4.1.10", "v5.13", "v6.7", "v7.2"];

fn cell<'a>(v: &'a Value, role: &str, resolver: &str, shim: &str) -> Option<&'a Value> {
    v["cells"]
        .as_array()?
        .iter()
        .find(|c| c["role"] == role && c["resolver"] == resolver && c["shim"] == shim)
}

/// One tag's A/B: the verify document, or why it could not run.
fn one(clone: &Path, tag: &str, builds_dir: &Path) -> Result<Value> {
    let branch = format!("kit-ab-{tag}");
    cmd!("git", "branch", "-f", &branch, tag)
        .dir(clone)
        .run()
        .with_context(|| format!("no tag {tag} in the clone"))?;
    let outcome = crate::backport::run(&crate::backport::Options {
        branch: branch.clone(),
        repo: clone.to_path_buf(),
        series: crate::paths::root().join("patches/events.toml"),
        ..Default::default()
    })?;
    eprint!("{}", crate::backport::report::text(&outcome));
    let (v, _) = crate::verify::run_json(&[
        "--branch".into(),
        branch.into(),
        "--repo".into(),
        clone.into(),
        "--base".into(),
        tag.into(),
        "--builds-dir".into(),
        builds_dir.into(),
    ])?;
    // Kept for the cells' detail, which the summary row leaves out.
    let saved = crate::paths::target_dir()?.join(format!("bench-lines-{tag}.json"));
    std::fs::write(&saved, serde_json::to_string(&v)?)?;
    eprintln!(
        "bench lines: {tag}: verify's document in {}",
        saved.display()
    );
    Ok(v)
}

/// What the summary row cannot hold: each build's compat items, and why
/// each failed cell failed.
fn notes(tag: &str, v: &Value) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(items) = v["builds"]
        .as_array()
        .and_then(|b| b.first())
        .and_then(|b| b["compat"].as_array())
    {
        let items: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
        notes.push(format!("{tag} compat: {}", items.join("; ")));
    }
    for c in v["cells"].as_array().into_iter().flatten() {
        if c["verdict"] != "pass" {
            notes.push(format!(
                "{tag} FAILED {} / {} / shim {}: {}",
                c["build"].as_str().unwrap_or("?"),
                c["resolver"].as_str().unwrap_or("?"),
                c["shim"].as_str().unwrap_or("?"),
                c["why"].as_str().unwrap_or("")
            ));
        }
    }
    notes
}

pub fn run(repo: Option<PathBuf>, tags: &[String]) -> Result<()> {
    let repo = repo
        .or_else(|| std::env::var_os("GLUSTER_REPO").map(PathBuf::from))
        .context("bench lines needs a full GlusterFS clone: pass --repo or set GLUSTER_REPO")?;
    crate::verify::build_tools()?;
    // The user's clone keeps its refs: branches are made in a clone of it.
    let dir = tempfile::tempdir()?;
    let clone = dir.path().join("clone");
    cmd!("git", "clone", "--quiet", "--no-checkout", &repo, &clone).run()?;
    let builds_dir = crate::ab::builds_dir()?;
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::ASCII_MARKDOWN);
    t.set_header(vec![
        "tag",
        "built",
        "build s (tag, branch)",
        "compat",
        "tag, black hole s (DNS)",
        "branch, black hole s",
        "events tag / branch / tag+loopback",
        "verdicts",
    ]);
    let mut all_notes = Vec::new();
    for tag in tags {
        eprintln!("==> bench lines: {tag}");
        let row = match one(&clone, tag, &builds_dir) {
            Ok(v) => {
                all_notes.extend(notes(tag, &v));
                let secs = |role: &str| {
                    cell(&v, role, "blackhole", "none").map_or("-".into(), |c| {
                        format!(
                            "{:.2} ({})",
                            c["seconds"].as_f64().unwrap_or(0.0),
                            c["dns_queries"]
                        )
                    })
                };
                let events = |role: &str, shim: &str| {
                    cell(&v, role, "healthy", shim).map_or("-".into(), |c| c["events"].to_string())
                };
                let builds = v["builds"].as_array().cloned().unwrap_or_default();
                let times: Vec<String> = builds
                    .iter()
                    .map(|b| format!("{:.0}", b["seconds"]["total"].as_f64().unwrap_or(0.0)))
                    .collect();
                let compat = builds
                    .first()
                    .and_then(|b| b["compat"].as_array())
                    .map_or(0, |c| c.len());
                vec![
                    tag.clone(),
                    if builds.len() == 2 { "yes" } else { "no" }.into(),
                    times.join(", "),
                    format!("{compat} items"),
                    secs("base"),
                    secs("branch"),
                    format!(
                        "{} / {} / {}",
                        events("base", "none"),
                        events("branch", "none"),
                        events("base", "loopback")
                    ),
                    if v["ok"] == true {
                        "all pass".into()
                    } else {
                        "FAILED".into()
                    },
                ]
            }
            Err(e) => {
                eprintln!("bench lines: {tag}: {e:#}");
                all_notes.push(format!("{tag} did not run: {e:#}"));
                vec![
                    tag.clone(),
                    format!("no: {e:#}").chars().take(80).collect(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ]
            }
        };
        t.add_row(row);
    }
    println!("{t}");
    for n in all_notes {
        println!("{n}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_list_compat_items_and_only_failed_cells() {
        let v = serde_json::json!({
            "builds": [{"compat": ["-fcommon", "libtirpc"]}, {"compat": ["-fcommon"]}],
            "cells": [
                {"build": "v7.2", "resolver": "healthy", "shim": "none", "verdict": "pass", "why": "ok"},
                {"build": "v7.2", "resolver": "blackhole", "shim": "none", "verdict": "fail", "why": "stalled 0.10 s"},
            ],
        });
        assert_eq!(
            notes("v7.2", &v),
            vec![
                "v7.2 compat: -fcommon; libtirpc".to_string(),
                "v7.2 FAILED v7.2 / blackhole / shim none: stalled 0.10 s".to_string(),
            ]
        );
    }
}
