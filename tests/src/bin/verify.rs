//! The verify matrix as a program; `cargo xtask verify` runs it.

use anyhow::{bail, Result};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use tests::verify::Target;

#[derive(Parser)]
#[command(
    name = "verify",
    about = "heal-info against real glfsheal builds, healthy and black-hole DNS, with and without the shim",
    after_help = "Every build runs its own cluster in private namespaces; no host file is touched.\n\
The A/B: verify --branch release-3.12 --repo FORK [--upstream UPSTREAM] builds the branch and\n\
its base with cargo xtask build, checks which has the fix, and judges both strictly."
)]
struct Args {
    /// An installed build made by `cargo xtask build` (its fix status is read
    /// from the build's stamp and the repository it names); repeatable.
    #[arg(long)]
    prefix: Vec<PathBuf>,
    /// An installed build known to have the events.c fix; repeatable.
    #[arg(long)]
    fixed: Vec<PathBuf>,
    /// An installed build known to lack the events.c fix; repeatable.
    #[arg(long)]
    unfixed: Vec<PathBuf>,
    /// The A/B: build BRANCH and its base, run the matrix on both.
    #[arg(long, requires = "repo")]
    branch: Option<String>,
    /// The repository holding BRANCH.
    #[arg(long)]
    repo: Option<PathBuf>,
    /// Where the series' upstream commits are read from [default: --repo].
    #[arg(long)]
    upstream: Option<PathBuf>,
    /// The base of the A/B [default: the newest release tag BRANCH contains].
    #[arg(long, requires = "branch")]
    base: Option<String>,
    /// Where the A/B installs its builds [default: TARGET_DIR/gluster-builds].
    #[arg(long)]
    builds_dir: Option<PathBuf>,
    /// make -j for the A/B's builds.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Also run the reference (Debian's 10.3 and the probe) beside --branch
    /// or --prefix builds; without those it always runs.
    #[arg(long)]
    reference: bool,
    /// Disperse subvolumes in the test volume (each 2+1).
    #[arg(long, default_value_t = 3)]
    subvols: usize,
    /// Print the matrix as one JSON document on stdout (progress on stderr).
    #[arg(long)]
    json: bool,
}

fn targets(a: &Args) -> Result<(Vec<Target>, Vec<serde_json::Value>)> {
    let mut targets = Vec::new();
    let mut builds = Vec::new();
    let named = |p: &PathBuf, role: &str, fixed: Option<bool>| Target {
        name: p.display().to_string(),
        role: role.into(),
        prefix: p.clone(),
        fixed,
    };
    for p in &a.prefix {
        let fixed = tests::stamp::fixed(p, a.upstream.as_deref())?;
        targets.push(named(p, "prefix", Some(fixed)));
    }
    targets.extend(a.fixed.iter().map(|p| named(p, "prefix", Some(true))));
    targets.extend(a.unfixed.iter().map(|p| named(p, "prefix", Some(false))));
    if let Some(branch) = &a.branch {
        let builds_dir = match &a.builds_dir {
            Some(d) => d.clone(),
            None => xtask::ab::builds_dir()?,
        };
        let opts = xtask::ab::Options {
            branch: branch.clone(),
            repo: a.repo.clone().expect("clap requires --repo"),
            upstream: a.upstream.clone(),
            base: a.base.clone(),
            jobs: a.jobs,
            builds_dir,
            keep_base_tree: false,
        };
        for b in xtask::ab::prepare(&opts)? {
            targets.push(Target {
                name: b.rev.name.clone(),
                role: b.role.into(),
                prefix: b.prefix,
                fixed: Some(b.fixed),
            });
            builds.push(serde_json::to_value(b.report)?);
        }
    }
    for t in &mut targets {
        if !t.prefix.join("sbin").is_dir() {
            bail!(
                "{} is not an installed GlusterFS build (no sbin/): build one with cargo xtask build",
                t.prefix.display()
            );
        }
        // The cluster runs in other namespaces, whose commands must not
        // depend on this process's working directory.
        t.prefix = t.prefix.canonicalize()?;
    }
    Ok((targets, builds))
}

fn run(a: &Args) -> Result<bool> {
    let (targets, builds) = targets(a)?;
    let opts = tests::verify::Options {
        reference: a.reference || targets.is_empty(),
        targets,
        subvols: a.subvols,
    };
    let (cells, ok) = tests::verify::run(&opts)?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({"cells": cells, "builds": builds, "ok": ok})
        );
    } else {
        print!("{}", tests::verify::table(&cells));
        println!(
            "{}",
            if ok {
                "verify: all verdicts pass"
            } else {
                "verify: some verdicts FAILED"
            }
        );
    }
    Ok(ok)
}

fn main() -> ExitCode {
    let a = Args::parse();
    if let Err(why) = tests::cluster::available() {
        eprintln!("verify: cannot run here: {why}");
        return ExitCode::from(2);
    }
    match run(&a) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("verify: {e:#}");
            ExitCode::from(2)
        }
    }
}
