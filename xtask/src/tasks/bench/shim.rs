//! `cargo xtask bench shim`: libgfresolv.so's intercepted calls in fail and
//! loopback mode, its pass-through overhead against direct libc, and the
//! stall the legacy resolver layer shows under the black hole, with and
//! without the shim.

use super::timing::median;
use anyhow::{Context, Result};
use duct::cmd;
use std::path::Path;

fn probe_ns(
    probe: &Path,
    name: &str,
    calls: u64,
    env: &[(&str, &Path)],
    mode: Option<&str>,
) -> Result<f64> {
    let mut c = cmd(probe, ["call", name, &calls.to_string()]);
    for (k, v) in env {
        c = c.env(k, v);
    }
    if let Some(m) = mode {
        c = c.env("GFRESOLV_MODE", m);
    }
    let out = c.read()?;
    out.split_whitespace()
        .find_map(|w| w.strip_prefix("ns_per_call="))
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("probe printed {out:?}"))
}

/// The shim: intercepted calls, pass-through overhead against direct libc,
/// and the stall the legacy resolver layer shows under the black hole.
pub fn run(rounds: usize) -> Result<()> {
    let so = crate::portable::build_shim()?;
    let (probe, legacy) = (verify::tools::probe(), verify::tools::legacy_resolv_so());
    let sock = "/var/run/glusterd.socket";
    let pre: [(&str, &Path); 1] = [("LD_PRELOAD", &so)];
    let (mut fail, mut loopback) = (Vec::new(), Vec::new());
    let mut pass: Vec<(&str, Vec<f64>, Vec<f64>)> = vec![
        ("127.0.0.1", vec![], vec![]),
        ("::1", vec![], vec![]),
        ("localhost", vec![], vec![]),
    ];
    for r in 0..rounds {
        eprintln!("  round {}/{rounds}", r + 1);
        fail.push(probe_ns(&probe, sock, 1_000_000, &pre, Some("fail"))?);
        loopback.push(probe_ns(&probe, sock, 200_000, &pre, Some("loopback"))?);
        for (name, direct, shimmed) in pass.iter_mut() {
            let n = if *name == "localhost" {
                20_000
            } else {
                300_000
            };
            // Alternate the order so drift in machine load cancels out.
            if r % 2 == 0 {
                direct.push(probe_ns(&probe, name, n, &[], None)?);
                shimmed.push(probe_ns(&probe, name, n, &pre, None)?);
            } else {
                shimmed.push(probe_ns(&probe, name, n, &pre, None)?);
                direct.push(probe_ns(&probe, name, n, &[], None)?);
            }
        }
    }
    println!("shim: {} (median of {rounds} rounds)", so.display());
    println!("{:<44} {:>12} {:>10}", "measure", "value", "goal");
    println!(
        "{:<44} {:>9.1} ns {:>10}",
        "intercepted call, fail mode",
        median(fail),
        "<= 100 ns"
    );
    println!(
        "{:<44} {:>9.1} ns {:>10}",
        "intercepted call, loopback mode",
        median(loopback),
        "<= 2000 ns"
    );
    for (name, direct, shimmed) in pass {
        let (d, s) = (median(direct), median(shimmed));
        println!(
            "{:<44} {:>9.1} ns {:>10}   (libc {d:.1} ns, via shim {s:.1} ns, ratio {:.3})",
            format!("pass-through overhead, {name}"),
            s - d,
            "<= 2%",
            s / d
        );
    }
    let bh = crate::blackhole::built()?;
    let p = probe.to_string_lossy().into_owned();
    let stalled = crate::blackhole::run(
        &bh,
        &[&p, "call", sock, "1"],
        &[("LD_PRELOAD", &legacy.to_string_lossy())],
    );
    let both = format!("{}:{}", so.display(), legacy.display());
    let rescued = crate::blackhole::run(&bh, &[&p, "call", sock, "1"], &[("LD_PRELOAD", &both)]);
    if stalled.stdout.is_empty() {
        println!("black hole: not measured ({})", stalled.stderr.trim());
    } else {
        println!(
            "{:<44} {:>9.3} s  ({} DNS queries); with the shim {:.6} s ({} queries)",
            "one call, legacy layer, black-hole DNS (wall)",
            stalled.seconds,
            stalled.queries,
            rescued.seconds,
            rescued.queries
        );
    }
    Ok(())
}
