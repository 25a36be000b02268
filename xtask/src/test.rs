//! `cargo xtask test`: the whole suite, as CI runs it. As root it first
//! installs the Debian packages the suite needs and that are missing, so a
//! fresh machine needs nothing else.

use anyhow::{bail, Result};
use duct::cmd;
use std::io::{BufRead, BufReader};

/// Debian packages, each with a program that shows it is installed.
pub const PACKAGES: &[(&str, &str)] = &[
    ("clang-format", "clang-format"),
    ("valgrind", "valgrind"),
    ("iproute2", "ip"),
    ("binutils", "objdump"),
    ("util-linux", "unshare"),
    ("util-linux", "nsenter"),
    ("glusterfs-server", "glusterd"),
    ("gdb", "gdb"),
];

/// Build inputs with no program to look for: (package, file it installs).
pub const DEV_PACKAGES: &[(&str, &str)] = &[
    ("libglusterfs-dev", "/usr/include/glusterfs/api/glfs.h"),
    ("libclang-dev", "/usr/lib/llvm-14/lib/libclang.so"),
];

/// The features the suite builds with: heal-info's libgfapi bindings.
pub const FEATURES: &str = "heal-info/gfapi";

fn have(program: &str) -> bool {
    if program.starts_with('/') {
        return std::path::Path::new(program).exists()
            || program.contains("libclang") && libclang_present();
    }
    which(program).is_some()
}

fn libclang_present() -> bool {
    std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            e.file_name().to_string_lossy().starts_with("llvm-")
                && e.path().join("lib/libclang.so").exists()
        })
}

pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn is_root() -> bool {
    cmd!("id", "-u")
        .read()
        .map(|s| s.trim() == "0")
        .unwrap_or(false)
}

/// Installs missing packages with apt-get when running as root.
pub fn install_packages(packages: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(_, prog)| !have(prog))
        .map(|(p, _)| *p)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        eprintln!(
            "note: not root, so not installing {}; tests that need them say so",
            missing.join(" ")
        );
        return Ok(());
    }
    eprintln!("==> apt-get install {}", missing.join(" "));
    cmd!("apt-get", "update", "-qq")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    cmd("apt-get", &args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
    Ok(())
}

/// Runs cargo test, echoing its output, and returns whether it passed and
/// the totals of its `test result:` lines: passed, failed, ignored.
fn cargo_test(args: &[&str]) -> Result<(bool, [usize; 3])> {
    eprintln!("==> cargo {}", args.join(" "));
    let reader = cmd("cargo", args).stderr_to_stdout().unchecked().reader()?;
    let mut totals = [0; 3];
    for line in BufReader::new(&reader).lines() {
        let line = line?;
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            for (i, word) in ["passed", "failed", "ignored"].iter().enumerate() {
                totals[i] += count_before(rest, word);
            }
        }
    }
    let ok = reader.try_wait()?.is_some_and(|o| o.status.success());
    Ok((ok, totals))
}

fn count_before(s: &str, word: &str) -> usize {
    s.split(';')
        .find_map(|part| {
            let part = part
                .trim()
                .trim_start_matches("ok. ")
                .trim_start_matches("FAILED. ");
            part.strip_suffix(word)?.trim().parse().ok()
        })
        .unwrap_or(0)
}

pub fn run() -> Result<()> {
    install_packages(PACKAGES)?;
    install_packages(DEV_PACKAGES)?;
    // The portable shim (glibc 2.17 symbols) is what operators deploy; its
    // test checks the built file, so build it first.
    crate::shim::build()?;
    eprintln!("==> cargo build --workspace --features {FEATURES}");
    cmd!(
        "cargo",
        "build",
        "--workspace",
        "--quiet",
        "--features",
        FEATURES
    )
    .run()?;
    let (ok, [passed, failed, ignored]) = cargo_test(&[
        "test",
        "--workspace",
        "--features",
        FEATURES,
        "--color",
        "never",
    ])?;
    // One closing line for the whole suite, so CI reads the sum rather
    // than whichever test binary happened to run last.
    println!("suite: {passed} passed, {failed} failed, {ignored} skipped");
    if !ok {
        bail!("tests failed");
    }
    Ok(())
}
