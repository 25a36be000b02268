//! `cargo xtask bench lines`: the real A/B on the last release of each line
//! (opt-in: a full GlusterFS clone through GLUSTER_REPO or --repo). For each
//! tag, a branch at the tag in a temp clone gets the series from
//! `cargo xtask backport`, then `verify --branch` builds tag and branch with
//! `cargo xtask build` and judges both. One row per line: whether it built,
//! the compat items it took, build times, and the stall against the fix.

use crate::matrix::Plan;
use anyhow::{Context, Result};
use std::path::Path;
use verify::{Cell, Document, Host, Key, Resolver, Role, Shim};

fn cell(v: &Document, role: Role, resolver: Resolver, shim: Shim) -> Option<&Cell> {
    v.cell(role, Key::kit(Host::Ipv4, resolver, shim))
}

/// One tag's A/B: the verify document, or why it could not run.
fn one(clone: &Path, tag: &str, builds_dir: &Path) -> Result<Document> {
    let branch = format!("kit-ab-{tag}");
    backport::git::cli::at(clone)
        .run(["branch", "-f", &branch, tag])
        .with_context(|| format!("no tag {tag} in the clone"))?;
    let outcome = backport::run(&backport::Options {
        branch: branch.clone(),
        repo: clone.to_path_buf(),
        series: crate::paths::series(),
        ..Default::default()
    })?;
    eprint!("{}", backport::report::text(&outcome));
    let v = crate::matrix::run(&Plan {
        // The stall is the same on every host shape.
        hosts: vec![Host::Ipv4],
        ab: Some(crate::ab::Options {
            branch,
            repo: clone.to_path_buf(),
            upstream: None,
            base: Some(tag.into()),
            jobs: 2,
            builds_dir: builds_dir.to_path_buf(),
            keep_base_tree: false,
        }),
        subvols: 3,
        ..Default::default()
    })?;
    // Kept for the cells' detail, which the summary row leaves out.
    let saved = crate::paths::target_dir()?.join(format!("bench-lines-{tag}.json"));
    std::fs::write(&saved, v.json()?)?;
    eprintln!(
        "bench lines: {tag}: verify's document in {}",
        saved.display()
    );
    Ok(v)
}

/// What the summary row cannot hold: each build's compat items, and why
/// each failed cell failed.
fn notes(tag: &str, v: &Document) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(b) = v.builds.first() {
        notes.push(format!("{tag} compat: {}", b.compat.join("; ")));
    }
    for c in v.cells.iter().filter(|c| !c.passed()) {
        notes.push(format!(
            "{tag} FAILED {} / {} / shim {}: {}",
            c.build, c.resolver, c.shim, c.why
        ));
    }
    notes
}

/// `repo`: the full clone (`cli::full_clone`, resolved by the caller).
pub fn run(repo: &Path, tags: &[String]) -> Result<()> {
    crate::tools::build_tools()?;
    // The user's clone keeps its refs: branches are made in a clone of it.
    let dir = tempfile::tempdir()?;
    let clone = dir.path().join("clone");
    backport::git::cli::clone(repo, &clone, &["--no-checkout"])?;
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
                let secs = |role: Role| {
                    cell(&v, role, Resolver::Blackhole, Shim::None).map_or("-".into(), |c| {
                        format!("{:.2} ({})", c.seconds, c.dns_queries)
                    })
                };
                let events = |role: Role, shim: Shim| {
                    cell(&v, role, Resolver::Healthy, shim)
                        .map_or("-".into(), |c| c.events.to_string())
                };
                let builds = &v.builds;
                let times: Vec<String> = builds
                    .iter()
                    .map(|b| format!("{:.0}", b.seconds.total))
                    .collect();
                let compat = builds.first().map_or(0, |b| b.compat.len());
                vec![
                    tag.clone(),
                    if builds.len() == 2 { "yes" } else { "no" }.into(),
                    times.join(", "),
                    format!("{compat} items"),
                    secs(Role::Base),
                    secs(Role::Branch),
                    format!(
                        "{} / {} / {}",
                        events(Role::Base, Shim::None),
                        events(Role::Branch, Shim::None),
                        events(Role::Base, Shim::Loopback)
                    ),
                    if v.ok {
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
    use std::path::PathBuf;

    fn build(compat: &[&str]) -> verify::stamp::Report {
        verify::stamp::Report {
            rev: "v7.2".into(),
            commit: "0".repeat(40),
            repo: PathBuf::new(),
            prefix: PathBuf::new(),
            run_at: None,
            version: "7.2".into(),
            events: true,
            glfsheal: PathBuf::new(),
            compat: compat.iter().map(|c| c.to_string()).collect(),
            reused: false,
            seconds: Default::default(),
            tree: None,
            start: Default::default(),
            stages: None,
        }
    }

    fn cell(resolver: Resolver, verdict: verify::Verdict, why: &str) -> Cell {
        Cell {
            build: "v7.2".into(),
            role: Role::Base,
            stages: verify::Stages::unknown().with(verify::judge::STALL, Some(false)),
            host: Host::Ipv4,
            resolver,
            legacy_layer: false,
            shim: Shim::None,
            subvolumes: 3,
            seconds: 0.1,
            dns_queries: 0,
            events: 0,
            events_v4: 0,
            events_v6: 0,
            listener: verify::Listener::Kit,
            events_24009: None,
            listener_not_run: None,
            subvolumes_up: 3,
            going_up_gaps: vec![],
            exit: 0,
            verdict: Some(verdict),
            why: why.into(),
        }
    }

    #[test]
    fn notes_list_compat_items_and_only_failed_cells() {
        let v = Document {
            builds: vec![build(&["-fcommon", "libtirpc"]), build(&["-fcommon"])],
            cells: vec![
                cell(Resolver::Healthy, verify::Verdict::Pass, "ok"),
                cell(Resolver::Blackhole, verify::Verdict::Fail, "stalled 0.10 s"),
            ],
            ok: false,
        };
        assert_eq!(
            notes("v7.2", &v),
            vec![
                "v7.2 compat: -fcommon; libtirpc".to_string(),
                "v7.2 FAILED v7.2 / blackhole / shim none: stalled 0.10 s".to_string(),
            ]
        );
    }
}
