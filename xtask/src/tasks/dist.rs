//! `cargo xtask dist`: the packages (`dist`), and their table or JSON.

use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// `cargo xtask dist`: the packages, and their table or JSON.
pub fn run(json: bool, out_dir: Option<PathBuf>) -> Result<ExitCode> {
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
