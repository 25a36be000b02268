//! `cargo xtask operator-host BRANCH`: the operator's 3.x host as its RPMs lay
//! it out (`operator_host`), its steps as text or JSON.

use anyhow::Result;
use std::process::ExitCode;

/// `cargo xtask operator-host BRANCH`: exit 0 when every step held, 1 when
/// one did not (each named), 2 when the host could not be made.
pub fn run(args: crate::cli::OperatorHostArgs) -> Result<ExitCode> {
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
