//! `cargo xtask backport BRANCH`: the engine (the `backport` crate) or its
//! survey on the options `cli` resolved; the report as text or JSON, and the
//! exit code.

use crate::cli::BackportArgs;
use anyhow::Result;
use std::process::ExitCode;

/// `cargo xtask backport`: the engine (or the survey), its report on
/// stdout; exit 3 when a WIP branch was written, 1 when --check finds a fix
/// missing.
pub fn run(a: BackportArgs) -> Result<ExitCode> {
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
