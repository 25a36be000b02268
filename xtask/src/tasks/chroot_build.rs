//! `cargo xtask chroot-build`: the legacy build in a fresh minimal chroot per
//! Debian release (`chroot::legacy`).

use anyhow::Result;
use std::process::ExitCode;

/// `cargo xtask chroot-build --suite S...`: one fresh chroot build per
/// release, in order; all are tried, and it fails if any failed.
pub fn run(suites: &[String], jobs: usize, json: bool) -> Result<ExitCode> {
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
