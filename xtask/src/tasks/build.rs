//! `cargo xtask build`: one installed legacy build (`build`), what it has
//! of each stage of the series recorded in its stamp (`ab`), and its report.

use crate::cli::BuildArgs;
use anyhow::Result;
use std::process::ExitCode;

/// `cargo xtask build`: one installed build, and its report.
pub fn run(a: BuildArgs) -> Result<ExitCode> {
    let repo = crate::cli::repo(a.repo);
    let mut report = crate::build::run(&crate::build::Options {
        rev: a.rev,
        repo,
        prefix: a.prefix,
        jobs: a.jobs,
        force: a.force,
        keep_tree: a.keep_tree,
        from: a.from_build,
        run_at: a.run_at,
    })?;
    // The stamp answers for the build after its repository is gone; the
    // build stands without that record (a commit with no branch or tag, or
    // no manifest where the kit runs, as in a chroot).
    match crate::ab::record_stages(&crate::paths::series(), &report.prefix, None) {
        Ok(record) => report.stages = Some(record),
        Err(e) => eprintln!("note: the stamp records no stages: {e:#}"),
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", crate::build::report::text(&report));
    }
    Ok(ExitCode::SUCCESS)
}
