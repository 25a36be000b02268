//! `cargo xtask bench corpus`: the corpus of human backports (`corpus`)
//! through the engine, git cherry-pick and patch, with the time it took.

use crate::dev::corpus;
use anyhow::Result;
use std::path::Path;
use std::time::Instant;

/// The corpus of human backports; prints the table and the time it took.
pub fn run(upstream: &Path, branch: &str, json: bool) -> Result<()> {
    let started = Instant::now();
    let results = corpus::run(upstream, branch)?;
    if json {
        for r in &results {
            println!("{}", serde_json::to_string(r)?);
        }
    }
    print!("{}", corpus::table(&results));
    println!(
        "({} pairs in {:.1} s, all three tools in the same run)",
        results.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
