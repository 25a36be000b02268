//! `cargo xtask demo`: the main job on the built-in example. Builds a legacy
//! GNU-style repository and an upstream clang-format one in a temp dir, ports
//! the upstream fixes onto the legacy branch, and prints the new commits;
//! then the stall and the rescue under a black-hole DNS server. Every claim
//! it prints is checked: a port that made no commit, a second run that
//! changed something, a stall that did not happen or a rescue that did not,
//! ends the demo with an error.

use crate::dev::fixture;
use anyhow::{bail, ensure, Result};
use backport::git;
use backport::git::DiffFormat;

pub fn run() -> Result<()> {
    // The port restyles lines with clang-format; a fresh machine may lack it.
    crate::host::install_packages(&[("clang-format", "clang-format"), ("iproute2", "ip")])?;
    let dir = tempfile::tempdir()?;
    let ex = fixture::build(dir.path(), fixture::LEGACY, false)?;
    println!("== built-in example in {}", dir.path().display());
    println!(
        "   legacy repo   {} (branch v1.2, GNU style, 8-space indents)",
        ex.legacy.display()
    );
    println!(
        "   upstream repo {} (clang-format style, two fixes on master)",
        ex.upstream.display()
    );
    println!(
        "\n$ cargo xtask backport v1.2 --repo legacy --upstream upstream --series notify.toml\n"
    );
    let opts = backport::Options {
        branch: "v1.2".into(),
        repo: ex.legacy.clone(),
        upstream: Some(ex.upstream.clone()),
        series: ex.manifest.clone(),
        ..Default::default()
    };
    let outcome = backport::run(&opts)?;
    print!("{}", backport::report::text(&outcome));
    ensure!(
        !outcome.commits.is_empty(),
        "demo: the port made no commit on v1.2"
    );

    println!("\n== the new commits (git log -p v1.2)\n");
    let repo = git::open(&ex.legacy, "the demo's legacy repository")?;
    for (_, id) in outcome.commits.iter().rev() {
        let c = repo.find_commit(*id)?;
        println!(
            "commit {id}\nAuthor: {}\nCommit: {}\n",
            c.author(),
            c.committer()
        );
        for l in c.message().unwrap_or_default().lines() {
            println!("    {l}");
        }
        println!();
        let diff = git::diff_to_parent(&repo, &c)?;
        diff.print(DiffFormat::Patch, |_, _, line| {
            let origin = line.origin();
            if matches!(origin, '+' | '-' | ' ') {
                print!("{origin}");
            }
            print!("{}", String::from_utf8_lossy(line.content()));
            true
        })?;
        println!();
    }
    println!("== a second run changes nothing\n");
    let again = backport::run(&opts)?;
    print!("{}", backport::report::text(&again));
    ensure!(
        again.commits.is_empty(),
        "demo: a second run made {} more commits",
        again.commits.len()
    );
    shim_demo()
}

/// Lookups in the demo: one per subvolume of a 3-subvolume volume.
const CALLS: usize = 3;

/// The numbers the demo prints must show the stall and the rescue.
fn check_rescue(
    without: &crate::blackhole::Run,
    with: &crate::blackhole::Run,
    calls: usize,
) -> Result<()> {
    let stall = 0.8 * calls as f64 * 2.0;
    if without.seconds < stall || without.queries < calls as u64 {
        bail!(
            "demo: without the shim the lookups took {:.3} s with {} DNS queries; a stall of at least {stall:.1} s and {calls} queries was expected, so the black hole or the legacy layer is not working ({})",
            without.seconds,
            without.queries,
            without.stderr.trim()
        );
    }
    if with.seconds > 0.5 || with.queries != 0 {
        bail!(
            "demo: the shim did not rescue: {:.3} s and {} DNS queries with libgfresolv.so preloaded ({})",
            with.seconds,
            with.queries,
            with.stderr.trim()
        );
    }
    println!(
        "  checked: the shim took the stall from {:.3} s to {:.3} s and DNS queries from {} to 0",
        without.seconds, with.seconds, without.queries
    );
    Ok(())
}

/// The stall and the rescue: 3.12's lookup of the socket path, once per
/// subvolume of a 3-subvolume volume, under a black-hole DNS server, with
/// glibc 2.17's resolver behaviour (the legacy layer), without and with the shim.
fn shim_demo() -> Result<()> {
    println!("\n== the resolver shim under a black-hole DNS server\n");
    let root = crate::paths::root();
    let unshare_ok = duct::cmd!("unshare", "-m", "-n", "true")
        .stderr_null()
        .unchecked()
        .run()
        .is_ok_and(|o| o.status.success());
    if !unshare_ok {
        println!("(skipped: this part needs root and unshare(1) for private mount and network namespaces)");
        return Ok(());
    }
    // The portable build operators deploy. A `cargo build -p gfresolv -p
    // xtask --bin blackhole` builds no cdylib at all: target-selection flags
    // apply to every package named.
    let so = crate::portable::build_shim()?;
    duct::cmd!(
        "cargo",
        "build",
        "--quiet",
        "--release",
        "-p",
        "xtask",
        "--bin",
        "blackhole"
    )
    .dir(&root)
    .run()?;
    let bh = crate::paths::built("release", "blackhole")?;
    let (probe, legacy) = (verify::tools::probe(), verify::tools::legacy_resolv_so());
    let p = probe.to_string_lossy().into_owned();
    let calls = CALLS.to_string();
    let argv = [
        p.as_str(),
        "call",
        "/var/run/glusterd.socket",
        calls.as_str(),
    ];
    println!(
        "resolv.conf in the namespace: {}",
        crate::blackhole::RESOLV_CONF.replace('\n', "; ")
    );
    let mut runs = Vec::new();
    for (label, preload) in [
        ("without the shim", legacy.display().to_string()),
        (
            "with libgfresolv.so",
            format!("{}:{}", so.display(), legacy.display()),
        ),
    ] {
        let r = crate::blackhole::run(&bh, &argv, &[("LD_PRELOAD", &preload)]);
        println!(
            "  getaddrinfo(\"/var/run/glusterd.socket\") x3, {label:<20} {:>8.3} s, {} DNS queries  [{}]",
            r.seconds,
            r.queries,
            r.stdout.trim()
        );
        runs.push(r);
    }
    check_rescue(&runs[0], &runs[1], CALLS)?;
    heal_info_demo(&root, &bh, &p, &legacy.display().to_string())
}

/// heal-info with a deadline, against a stand-in for 3.12's glfsheal (per
/// subvolume: a "Going UP" line, then events.c's lookup), under the black hole.
fn heal_info_demo(
    root: &std::path::Path,
    bh: &std::path::Path,
    probe: &str,
    legacy: &str,
) -> Result<()> {
    println!("\n== heal-info keeps its deadline and says why glfsheal hangs\n");
    duct::cmd!("cargo", "build", "--quiet", "--release", "-p", "heal-info")
        .dir(root)
        .run()?;
    let heal_info = crate::paths::built("release", "heal-info")?;
    let dir = tempfile::tempdir()?;
    let fake = dir.path().join("glfsheal");
    std::fs::write(&fake, format!("#!/bin/sh\nexec {probe} events /var/log/glusterfs/glfsheal-$1.log /var/run/glusterd.socket 3\n"))?;
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let logs = dir.path().join("log");
    std::fs::create_dir_all(&logs)?;
    let script = format!(
        "mkdir -p /var/log/glusterfs && mount --bind {} /var/log/glusterfs && exec {} ec-vol --glfsheal {} --timeout 5",
        logs.display(),
        heal_info.display(),
        fake.display()
    );
    println!(
        "$ heal-info ec-vol --timeout 5    (glfsheal: 3.12's events.c behaviour, black-hole DNS)\n"
    );
    let r = crate::blackhole::run(bh, &["bash", "-c", &script], &[("LD_PRELOAD", legacy)]);
    print!("{}", r.stdout);
    if !r.stdout.contains("events.c resolver stall") || r.seconds > 5.0 + 2.0 {
        bail!(
            "demo: heal-info did not keep its 5 s deadline and name the events resolver stall ({:.2} s): {}{}",
            r.seconds,
            r.stdout,
            r.stderr
        );
    }
    println!(
        "\n  checked: heal-info stopped after {:.2} s and named the events resolver stall",
        r.seconds
    );
    Ok(())
}
