//! `cargo xtask bench toolchains`: the kit's cold build of v3.12.15 in a
//! fresh minimal chroot per Debian release (`chroot::legacy`), one after
//! the other so they do not share the CPUs: the whole run from unpacked
//! minbase, the build's own install step included, and each step's time
//! from the build's report. Releases differ in compilers (gcc 10 to 14)
//! and Python (3.9 to 3.13), so the compat plan differs too; it is printed.

use anyhow::{bail, Result};
use comfy_table::Table;

pub fn run(suites: &[String], jobs: usize) -> Result<()> {
    let mut table = Table::new();
    table.set_header([
        "release",
        "toolchain",
        "deps s",
        "autogen s",
        "configure s",
        "make s",
        "install s",
        "total s",
    ]);
    let mut failed = Vec::new();
    for suite in suites {
        match crate::chroot::legacy::run(suite, jobs) {
            Ok(o) => {
                let s = &o.report.seconds;
                table.add_row([
                    o.suite.clone(),
                    o.toolchain.clone(),
                    format!("{:.0}", s.deps),
                    format!("{:.0}", s.autogen),
                    format!("{:.0}", s.configure),
                    format!("{:.0}", s.make),
                    format!("{:.0}", s.install),
                    format!("{:.0}", o.seconds),
                ]);
                eprintln!("    compat on {suite}: {}", o.report.compat.join("; "));
            }
            Err(e) => {
                eprintln!("error: {suite}: {e:#}");
                failed.push(suite.as_str());
            }
        }
    }
    println!("cold build of v3.12.15 in a fresh minbase chroot, deps installed by the kit, make -j{jobs}, ccache empty");
    println!("{table}");
    if !failed.is_empty() {
        bail!(
            "no figure for {}: the build failed there",
            failed.join(", ")
        );
    }
    Ok(())
}
