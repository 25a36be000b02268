//! The verify matrix as a program; `cargo xtask verify` runs it.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "verify",
    about = "heal-info against real glfsheal builds, healthy and black-hole DNS, with and without the shim"
)]
struct Args {
    /// An installed GlusterFS build to add to the matrix; repeatable.
    #[arg(long)]
    prefix: Vec<PathBuf>,
    /// Disperse subvolumes in the test volume (each 2+1).
    #[arg(long, default_value_t = 3)]
    subvols: usize,
    /// Print the matrix as JSON on stdout.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let a = Args::parse();
    if let Err(why) = tests::cluster::available() {
        eprintln!("verify: cannot run here: {why}");
        return ExitCode::from(2);
    }
    let opts = tests::verify::Options {
        prefixes: a.prefix,
        subvols: a.subvols,
    };
    match tests::verify::run(&opts) {
        Ok((cells, ok)) => {
            if a.json {
                println!("{}", serde_json::json!({"cells": cells, "ok": ok}));
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
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("verify: {e:#}");
            ExitCode::from(2)
        }
    }
}
