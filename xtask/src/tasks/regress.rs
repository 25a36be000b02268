//! `cargo xtask regress` (and `verify --tests`): upstream's `.t` tests on one
//! build, or the A/B of a branch against its base (`regress`).

use anyhow::Result;
use std::process::ExitCode;

/// `cargo xtask regress`: exit 0 when every test passed (flaky ones
/// included) or, for the A/B, every verdict holds; 1 when not; 2 when the
/// run could not start.
pub fn run(args: crate::cli::RegressArgs) -> Result<ExitCode> {
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
