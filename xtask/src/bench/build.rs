//! `cargo xtask bench build`: what the branch build saves. A cold build (an
//! empty CCACHE_DIR of its own) of the base, its tree kept, then the builds
//! of the branch, a tree that differs from the base in one file (events.c),
//! starting from the base's tree as the A/B does: relocated, into a prefix
//! of the base's length (`build::relocate`, the A/B's way), and
//! reconfigured, into a longer one (`build::reuse`); side by side in one
//! run, with the ratios. `--warm` adds the branch built cold again with the
//! now warm ccache, which is what the A/B did before the reuse, and checks
//! the relocated install byte for byte against it. Without --repo the shared
//! 3.12.15 repository (../shared/glusterfs beside the project) is cloned and
//! backported, so the branch is release-3.12 plus the kit's fixes.

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

/// Twelve hex digits, as the A/B's prefixes are named (by commit): prefixes
/// so named can be relocated into each other (`build::relocate`).
fn random_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    let n = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("{:012x}", n & 0xffff_ffff_ffff)
}

pub fn run(repo: Option<PathBuf>, base: &str, branch: &str, jobs: usize, warm: bool) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let repo = match repo {
        Some(r) => r,
        None => {
            let tar = crate::ab::shared_tar().context(
                "../shared/glusterfs/glusterfs-v3.12.15.git.tar is absent beside the project (and \
                 GLK_SHARED is unset): pass --repo with a GlusterFS clone and --base/--branch",
            )?;
            crate::ab::fork_with_backport(&tar, tmp.path())
                .context("backporting the series onto the shared release-3.12")?
                .1
        }
    };
    // Every build uses this run's own cache and work dirs: the cold one
    // starts from nothing, whatever the user's ~/.cache/ccache holds.
    std::env::set_var("CCACHE_DIR", tmp.path().join("ccache"));
    std::env::set_var("GLK_BUILD_WORK", tmp.path().join("work"));

    // Prefixes of one length, so that the branch's build is relocated and
    // installs of one commit lay out alike and can be compared byte for
    // byte (`compare`); the reconfigured one's is longer, which is what
    // makes the build take that way.
    let names: Vec<String> = (0..4).map(|_| random_name()).collect();
    let prefix_of = |i: usize| tmp.path().join(&names[i]);
    let cold_prefix = prefix_of(0);
    let mut runs = vec![
        ("cold", base, None, true, prefix_of(0)),
        (
            "reloc",
            branch,
            Some(cold_prefix.clone()),
            false,
            prefix_of(1),
        ),
        (
            "reconf",
            branch,
            Some(cold_prefix.clone()),
            false,
            tmp.path().join(format!("{}-r", names[2])),
        ),
    ];
    if warm {
        runs.push(("warm", branch, None, false, prefix_of(3)));
    }
    let mut rows: Vec<(&str, Report, (u64, u64))> = Vec::new();
    for (label, rev, from, keep_tree, prefix) in runs {
        cmd!("ccache", "-z").stdout_null().run()?;
        eprintln!("==> bench build: {label} build of {rev}");
        let report = crate::build::run(&Options {
            rev: rev.to_string(),
            repo: repo.clone(),
            prefix,
            jobs,
            force: true,
            keep_tree,
            from,
        })?;
        rows.push((label, report, ccache_counts()?));
    }
    if rows[0].1.commit == rows[1].1.commit {
        bail!("--base and --branch are the same commit; give two trees that differ");
    }
    for (label, r, _) in &rows[1..3] {
        if r.start.from.is_none() {
            bail!(
                "the {label} branch build did not start from the base's tree: {}",
                r.start.why
            );
        }
    }
    if !rows[1].1.start.why.contains("built in the base's paths") {
        bail!(
            "the branch build into a prefix of the base's length was not relocated: {}",
            rows[1].1.start.why
        );
    }
    let changed = cmd!(
        "git",
        "-C",
        &repo,
        "diff",
        "--name-only",
        &rows[0].1.commit,
        &rows[1].1.commit
    )
    .read()?;
    println!(
        "base {base} vs branch {branch}: {} file(s) differ ({})",
        changed.lines().count(),
        changed.lines().collect::<Vec<_>>().join(", ")
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
            "reloc vs warm (the same commit built cold): {} files, {} ELF: {}",
            c.files,
            c.elf_files,
            if c.same() {
                "the same file list and the same bytes (ELF without debug info and build ID)"
                    .to_string()
            } else {
                format!(
                    "only in reloc {:?}, only in warm {:?}, contents differ in {:?}",
                    c.only_in_a, c.only_in_b, c.differ
                )
            }
        );
        if !c.same() {
            // The installs are the evidence: keep them to look into.
            let kept = tmp.keep();
            bail!(
                "the relocated build differs from a cold build of the same commit (both kept in {})",
                kept.display()
            );
        }
    }
    Ok(())
}
