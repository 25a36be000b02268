//! `cargo xtask glibc`: glibc 2.17, CentOS 7's C library, built from the
//! shared source into `TARGET/glibc-2.17/prefix` or reused from there
//! (`glibc217`), and what was built: text, or one JSON document.

use crate::cli::GlibcArgs;
use anyhow::Result;
use std::process::ExitCode;
use std::time::Duration;

/// `cargo xtask glibc`: the installed glibc 2.17 and its report.
pub fn run(a: GlibcArgs) -> Result<ExitCode> {
    let mut opts = crate::glibc217::Options::default_for_target()?;
    opts.jobs = a.jobs.into();
    opts.force = a.force;
    opts.deadline = Duration::from_secs(a.deadline_min * 60);
    let built = crate::glibc217::ensure(&opts)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&built)?);
    } else {
        println!("prefix  {}", built.prefix.display());
        println!("loader  {}", built.loader.display());
        println!("libc    {}", built.stamp.version);
        println!(
            "build   {:.0} s (configure {:.0}, make {:.0}, install {:.0}){}",
            built.stamp.seconds.total,
            built.stamp.seconds.configure,
            built.stamp.seconds.make,
            built.stamp.seconds.install,
            if built.stamp.ccache {
                ", through ccache"
            } else {
                ""
            }
        );
        println!(
            "this    {}",
            if built.reused {
                format!("reused ({:.1} s)", built.seconds)
            } else {
                format!("built ({:.0} s)", built.seconds)
            }
        );
        println!("log     {}", built.log.display());
    }
    Ok(ExitCode::SUCCESS)
}
