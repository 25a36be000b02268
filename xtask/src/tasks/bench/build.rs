//! `cargo xtask bench build`: what the branch build saves. A cold build (an
//! empty CCACHE_DIR of its own) of the base, its tree kept, then the builds
//! of the branch, a tree that differs from the base in one file (events.c),
//! into other prefixes, starting from the base's tree: for the base's
//! prefix in the base's paths, as the A/B does (`reuse`), and reconfigured
//! for a prefix of its own (`reconf`); side by side in one run, with the
//! ratios. `--warm` adds the branch built cold for the base's prefix with
//! the now warm ccache, which is what the A/B did before the reuse, and
//! compares it with the reuse byte for byte. Without --repo the shared 3.12.15 repository
//! (../shared/glusterfs beside the project) is cloned and backported, so the
//! branch is release-3.12 plus the kit's fixes.

use crate::build::{Options, Report};
use anyhow::{bail, Context, Result};
use duct::cmd;
use std::path::PathBuf;

/// ccache's hits and misses since the last zeroing.
fn ccache_counts() -> Result<(u64, u64)> {
    let out = cmd!("ccache", "--print-stats").read()?;
    let get = |key: &str| -> u64 {
        out.lines()
            .find_map(|l| {
                let (k, v) = l.split_once('\t')?;
                (k == key).then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0)
    };
    Ok((
        get("direct_cache_hit") + get("preprocessed_cache_hit"),
        get("cache_miss"),
    ))
}

pub fn run(repo: Option<PathBuf>, base: &str, branch: &str, jobs: usize, warm: bool) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let repo = match repo {
        Some(r) => r,
        None => {
            let tar = crate::shared::shared_tar().context(
                "../shared/glusterfs/glusterfs-v3.12.15.git.tar is absent beside the project (and \
                 GLK_SHARED is unset): pass --repo with a GlusterFS clone and --base/--branch",
            )?;
            crate::shared::fork_with_backport(&tar, tmp.path())
                .context("backporting the series onto the shared release-3.12")?
                .1
        }
    };
    // Every build uses this run's own cache and work dirs: the cold one
    // starts from nothing, whatever the user's ~/.cache/ccache holds.
    std::env::set_var("CCACHE_DIR", tmp.path().join("ccache"));
    std::env::set_var("GLK_BUILD_WORK", tmp.path().join("work"));

    // Prefixes of one length, so that installs of one commit lay out alike
    // and their code can be compared byte for byte (`compare`).
    let prefix_of = |i: usize| tmp.path().join(format!("prefix-{i}"));
    let cold_prefix = prefix_of(0);
    let at_base = Some(cold_prefix.clone());
    let mut runs = vec![
        ("cold", base, None, None, true),
        ("reuse", branch, at_base.clone(), at_base.clone(), false),
        ("reconf", branch, at_base.clone(), None, false),
    ];
    if warm {
        runs.push(("warm", branch, None, at_base.clone(), false));
    }
    let mut rows: Vec<(&str, Report, (u64, u64))> = Vec::new();
    for (i, (label, rev, from, run_at, keep_tree)) in runs.into_iter().enumerate() {
        cmd!("ccache", "-z").stdout_null().run()?;
        eprintln!("==> bench build: {label} build of {rev}");
        let report = crate::build::run(&Options {
            rev: rev.to_string(),
            repo: repo.clone(),
            prefix: prefix_of(i),
            jobs,
            force: true,
            keep_tree,
            from,
            run_at,
        })?;
        rows.push((label, report, ccache_counts()?));
    }
    if rows[0].1.commit == rows[1].1.commit {
        bail!("--base and --branch are the same commit; give two trees that differ");
    }
    for (label, r, _) in &rows[1..3] {
        if r.start.from.is_none() {
            bail!(
                "the {label} build of the branch did not start from the base's tree: {}",
                r.start.why
            );
        }
    }
    if !rows[1].1.start.why.contains("made in the base's paths") {
        bail!(
            "the reuse build was not made in the base's paths: {}",
            rows[1].1.start.why
        );
    }
    let changed = backport::git::changed_paths(
        &backport::git::open(&repo, "--repo")?,
        &rows[0].1.commit,
        &rows[1].1.commit,
    )?;
    println!(
        "base {base} vs branch {branch}: {} file(s) differ ({})",
        changed.len(),
        changed.join(", ")
    );
    println!(
        "{:<6} {:<14} {:>7} {:>8} {:>10} {:>7} {:>8} {:>8} {:>6} {:>7}",
        "build",
        "rev",
        "export",
        "autogen",
        "configure",
        "make",
        "install",
        "total s",
        "hits",
        "misses"
    );
    for (label, r, (hits, misses)) in &rows {
        let t = &r.seconds;
        println!(
            "{:<6} {:<14} {:>7.1} {:>8.1} {:>10.1} {:>7.1} {:>8.1} {:>8.1} {:>6} {:>7}",
            label,
            r.rev,
            t.export,
            t.autogen,
            t.configure,
            t.make,
            t.install,
            t.total,
            hits,
            misses
        );
    }
    for (label, r, _) in &rows[1..3] {
        println!("{label}: {}", r.start.why);
    }
    let cold = &rows[0].1.seconds;
    for (label, r, _) in &rows[1..] {
        println!(
            "{label} / cold: make {:.2}, install {:.2}, total {:.2}",
            r.seconds.make / cold.make,
            r.seconds.install / cold.install,
            r.seconds.total / cold.total
        );
    }
    // The reuse is only worth its time if it installs what a cold build of
    // the same commit installs.
    if let Some((_, warm, _)) = rows.iter().find(|(l, _, _)| *l == "warm") {
        let reuse = &rows[1].1;
        let c = crate::build::compare::installs(&reuse.prefix, &warm.prefix)?;
        println!(
            "reuse vs warm (the same commit built cold for the same prefix): {} files, {} ELF: {}",
            c.files,
            c.elf_files,
            if c.same() {
                "the same file list and the same bytes (ELF without debug info and build ID)"
                    .to_string()
            } else {
                format!(
                    "only in reuse {:?}, only in warm {:?}, contents differ in {:?}",
                    c.only_in_a, c.only_in_b, c.differ
                )
            }
        );
        if !c.same() {
            // The installs are the evidence: keep them to look into.
            let kept = tmp.keep();
            bail!(
                "the build from the base's tree differs from a cold build of the same commit (both kept in {})",
                kept.display()
            );
        }
    }
    Ok(())
}
