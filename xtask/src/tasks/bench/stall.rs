//! `cargo xtask bench stall`: the stall curve on real builds. For k disperse
//! subvolumes under the black hole, heal info on the unfixed 3.12.15, the
//! backported branch, and the unfixed build with the shim, measured side by
//! side in one run through `verify --branch` (which builds both once, then
//! reuses them). The field saw 30 s per subvolume on 12x(4+1); here one
//! lookup waits 2 s (timeout:1 attempts:1, A and AAAA), so unfixed should
//! take about 2k s and the others stay flat.
//!
//! Beside it, the seed's curve on the real thing: glibc 2.17 built from
//! source (`glibc217`), k lookups of glusterd's socket path (one per
//! subvolume, as 3.12's `_gf_event()` makes) under the black hole, with the
//! resolver's default settings (timeout:5 attempts:2, what CentOS 7 hosts
//! run) and with the suite's timeout:1 attempts:1. `--glibc217-only` runs
//! that curve alone, without the builds.

use crate::matrix::Plan;
use anyhow::{bail, Result};
use std::path::PathBuf;
use verify::{Document, Host, Key, Resolver, Role, Shim};

fn seconds(v: &Document, role: Role, shim: Shim) -> (f64, u64) {
    let key = Key::kit(Host::Ipv4, Resolver::Blackhole, shim);
    v.cell(role, key)
        .map_or((f64::NAN, 0), |c| (c.seconds, c.dns_queries))
}

/// `fork`: a repository whose release-3.12 already has the series, and the
/// upstream it reads it from (its builds are reused); else the shared
/// repository is cloned and ported afresh.
pub fn run(ks: &[usize], fork: Option<(PathBuf, PathBuf)>, glibc217_only: bool) -> Result<()> {
    glibc217_curve(ks)?;
    if glibc217_only {
        return Ok(());
    }
    crate::tools::build_tools()?;
    let dir = tempfile::tempdir()?;
    let (upstream, fork) = match fork {
        Some((f, u)) => (u, f),
        None => {
            let Some(tar) = crate::shared::shared_tar() else {
                bail!("bench stall builds 3.12.15 from ../shared/glusterfs, which is not beside the project: pass --repo FORK --upstream UPSTREAM");
            };
            crate::shared::fork_with_backport(&tar, dir.path())?
        }
    };
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::ASCII_MARKDOWN);
    t.set_header(vec![
        "k",
        "unfixed s (DNS)",
        "backported s",
        "unfixed + shim fail s",
        "unfixed + shim loopback s",
        "unfixed / backported",
        "verdicts",
    ]);
    for &k in ks {
        eprintln!("==> bench stall: k = {k} disperse subvolumes");
        let v = crate::matrix::run(&Plan {
            // The stall is the same on every host shape.
            hosts: vec![Host::Ipv4],
            ab: Some(crate::ab::Options {
                branch: "release-3.12".into(),
                repo: fork.clone(),
                upstream: Some(upstream.clone()),
                base: None,
                jobs: 2,
                builds_dir: crate::ab::builds_dir()?,
                keep_base_tree: false,
            }),
            upstream: Some(upstream.clone()),
            subvols: k,
            ..Default::default()
        })?;
        let ok = v.ok;
        let (u, uq) = seconds(&v, Role::Base, Shim::None);
        let (b, _) = seconds(&v, Role::Branch, Shim::None);
        let (f, _) = seconds(&v, Role::Base, Shim::Fail);
        let (l, _) = seconds(&v, Role::Base, Shim::Loopback);
        t.add_row(vec![
            k.to_string(),
            format!("{u:.2} ({uq})"),
            format!("{b:.3}"),
            format!("{f:.3}"),
            format!("{l:.3}"),
            format!("{:.0}x", u / b),
            if ok { "all pass" } else { "FAILED" }.to_string(),
        ]);
    }
    println!("{t}");
    Ok(())
}

/// The resolver settings of the 2.17 curve: the default, and the suite's.
const SETTINGS: [(&str, &str); 2] = [
    ("default timeout:5 attempts:2", "nameserver 127.0.0.1\n"),
    (
        "timeout:1 attempts:1",
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    ),
];

/// The real glibc 2.17's stall for k lookups, per setting, every run in a
/// namespace of its own and all at once (k = 12 under the defaults waits
/// 4 min); a table on stdout.
fn glibc217_curve(ks: &[usize]) -> Result<()> {
    let Some(prefix) = crate::glibc217::installed()? else {
        bail!(
            "the 2.17 curve needs ../shared/glibc/glibc-2.17.tar.xz (cargo xtask glibc builds it)"
        );
    };
    let blackhole = crate::blackhole::built()?;
    let dir = tempfile::tempdir()?;
    let probe = dir.path().join("gai_probe");
    crate::glibc217::compile(&prefix, &[&verify::tools::gai_probe_src()], &probe, &[])?;
    let p = probe.display().to_string();
    eprintln!(
        "==> bench stall: real glibc 2.17, k lookups of {SOCKET} under the black hole, k in {ks:?}"
    );
    let runs: Vec<(usize, &str, crate::blackhole::Run)> = std::thread::scope(|s| {
        let handles: Vec<_> = ks
            .iter()
            .flat_map(|&k| SETTINGS.iter().map(move |set| (k, set)))
            .map(|(k, (label, conf))| {
                let (bh, p) = (&blackhole, &p);
                let h = s.spawn(move || {
                    crate::blackhole::run_with(bh, conf, &[p, SOCKET, &k.to_string()], &[])
                });
                (k, *label, h)
            })
            .collect();
        handles
            .into_iter()
            .map(|(k, l, h)| (k, l, h.join().expect("a curve run panicked")))
            .collect()
    });
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::ASCII_MARKDOWN);
    t.set_header(vec![
        "k",
        "settings",
        "glibc 2.17 s",
        "per lookup s",
        "DNS queries",
        "return",
    ]);
    for (k, label, run) in &runs {
        let calls: Vec<&str> = run
            .stdout
            .lines()
            .filter(|l| l.starts_with("call="))
            .collect();
        if calls.len() != *k || !run.stdout.contains("libc=2.17") {
            bail!(
                "the 2.17 probe made {} of {k} lookups ({label}): {}{}",
                calls.len(),
                run.stdout,
                run.stderr
            );
        }
        let rc = calls[0]
            .split_whitespace()
            .filter(|w| w.starts_with("rc=") || w.starts_with("errno="))
            .collect::<Vec<_>>()
            .join(" ");
        t.add_row(vec![
            k.to_string(),
            label.to_string(),
            format!("{:.2}", run.seconds),
            format!("{:.2}", run.seconds / *k as f64),
            run.queries.to_string(),
            rc,
        ]);
    }
    println!("{t}");
    Ok(())
}

const SOCKET: &str = "/var/run/glusterd.socket";
