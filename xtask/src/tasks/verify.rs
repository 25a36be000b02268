//! `cargo xtask verify`: builds what the matrix needs (heal-info with its
//! libgfapi bindings, the portable shim, the black hole), runs the matrix
//! (`matrix::run`, over the verify crate), and prints its table, or its
//! JSON document with --json. Exit 0 when every verdict passes, 1 when some
//! fail, 2 when it cannot run.

use crate::matrix::Plan;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(plan: &Plan, json: bool) -> ExitCode {
    if let Err(why) = verify::cluster::available() {
        eprintln!("verify: cannot run here: {why}");
        return ExitCode::from(2);
    }
    match matrix(plan, json) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("verify: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn matrix(plan: &Plan, json: bool) -> Result<bool> {
    crate::tools::build_tools()?;
    let doc = crate::matrix::run(plan)?;
    if json {
        println!("{}", doc.json()?);
    } else {
        print!("{}", verify::table(&doc.cells));
        println!(
            "{}",
            if doc.ok {
                "verify: all verdicts pass"
            } else {
                "verify: some verdicts FAILED"
            }
        );
    }
    Ok(doc.ok)
}
