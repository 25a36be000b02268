//! The subcommands whose work is an engine's (`backport`, `build`, `dist`):
//! each runs it on the options `cli` resolved and prints its report, as
//! text or JSON, choosing the exit code.

use crate::backport;
use crate::cli::{BackportArgs, BuildArgs};
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// `cargo xtask backport`: the engine (or the survey), its report on
/// stdout; exit 3 when a WIP branch was written, 1 when --check finds a fix
/// missing.
pub fn backport(a: BackportArgs) -> Result<ExitCode> {
    let repo = crate::cli::repo(a.repo);
    if let Some(range) = a.survey {
        let s = backport::survey::run(&backport::survey::Options {
            branch: a.branch,
            repo,
            upstream: a.upstream,
            range,
            paths: a.paths,
            excludes: a.excludes,
            apply_clean: a.apply_clean,
            progress: true,
        })?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&s)?);
        } else {
            print!("{}", backport::survey::text(&s));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let opts = backport::Options {
        branch: a.branch,
        repo,
        upstream: a.upstream,
        series: a.series.unwrap_or_else(crate::paths::series),
        only: a.only,
        stages: a.stages,
        commits: a.commits,
        dry_run: a.dry_run,
        check: a.check,
        wip: a.wip,
        paths: a.paths,
        excludes: a.excludes,
    };
    let outcome = backport::run(&opts)?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&backport::report::json(&outcome))?
        );
    } else {
        print!("{}", backport::report::text(&outcome));
    }
    Ok(if outcome.wip_branch.is_some() {
        ExitCode::from(3)
    } else if opts.check && !outcome.all_present() {
        ExitCode::from(outcome.check_exit_code())
    } else {
        ExitCode::SUCCESS
    })
}

/// `cargo xtask dist`: the packages, and their table or JSON.
pub fn dist(json: bool, out_dir: Option<PathBuf>) -> Result<ExitCode> {
    let out = match out_dir {
        Some(d) => d,
        None => crate::dist::default_out_dir()?,
    };
    let report = crate::dist::run(&out)?;
    if json {
        println!("{}", report.json()?);
    } else {
        print!("{}", report.text());
        eprintln!("packages and files in {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask build`: one installed build, and its report.
pub fn build(a: BuildArgs) -> Result<ExitCode> {
    let repo = crate::cli::repo(a.repo);
    let report = crate::build::run(&crate::build::Options {
        rev: a.rev,
        repo,
        prefix: a.prefix,
        jobs: a.jobs,
        force: a.force,
        keep_tree: a.keep_tree,
        from: a.from_build,
        run_at: a.run_at,
    })?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", crate::build::report::text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask chroot-build --suite S...`: one fresh chroot build per
/// release, in order; all are tried, and it fails if any failed.
pub fn chroot_build(suites: &[String], jobs: usize, json: bool) -> Result<ExitCode> {
    let mut outcomes = Vec::new();
    let mut failed = Vec::new();
    for suite in suites {
        match crate::chroot::legacy::run(suite, jobs) {
            Ok(o) => {
                if !json {
                    print!("{}", crate::chroot::legacy::text(&o));
                }
                outcomes.push(o);
            }
            Err(e) => {
                eprintln!("error: {suite}: {e:#}");
                failed.push(suite.as_str());
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&outcomes)?);
    }
    if !failed.is_empty() {
        anyhow::bail!("chroot build failed on {}", failed.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask operator-host BRANCH`: exit 0 when every step held, 1 when
/// one did not (each named), 2 when the host could not be made.
pub fn operator_host(args: crate::cli::OperatorHostArgs) -> Result<ExitCode> {
    let json = args.json;
    let outcome = crate::operator_host::run(&args.options())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        print!("{}", crate::operator_host::text(&outcome));
    }
    Ok(if outcome.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `cargo xtask regress`: exit 0 when every test passed (flaky ones
/// included) or, for the A/B, every verdict holds; 1 when not; 2 when the
/// run could not start.
pub fn regress(args: crate::cli::RegressArgs) -> Result<ExitCode> {
    let json = args.json;
    let ok = match args.plan()? {
        crate::cli::Regress::One(opts) => {
            let runs = crate::regress::run(&opts)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
            } else {
                print!("{}", crate::regress::text(&runs));
            }
            runs.iter().all(crate::regress::TestRun::passed)
        }
        crate::cli::Regress::Ab(sides) => {
            let rows = crate::regress::ab::run(&sides)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", crate::regress::ab::text(&rows));
            }
            rows.iter().all(|r| r.passed)
        }
    };
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
