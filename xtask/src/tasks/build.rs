//! `cargo xtask build`: one installed legacy build (`build`), and its report.

use crate::cli::BuildArgs;
use anyhow::Result;
use std::process::ExitCode;

/// `cargo xtask build`: one installed build, and its report.
pub fn run(a: BuildArgs) -> Result<ExitCode> {
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
