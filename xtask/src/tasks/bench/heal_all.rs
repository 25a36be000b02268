//! `cargo xtask bench heal-all`: on a real 10.3 cluster (needs root),
//! `heal-info --all` over many volumes beside running `heal-info VOL` for
//! each in turn, then with one volume hung under the black hole: what
//! `--all` costs then, and how fast `heal-info serve` answers scrapes
//! while that volume's glfsheal hangs.

use super::timing::{median, time_median};
use anyhow::{anyhow, bail, Result};
use duct::cmd;
use heal_info::all::AllReport;
use std::time::{Duration, Instant};
use verify::background::Background;
use verify::cluster::Cluster;
use verify::hung_volume::HungVolume;
use verify::netns_http::get;
use verify::tools::heal_info_bin;

fn exec_ok(c: &Cluster, argv: &[String]) -> Result<String> {
    let a: Vec<&str> = argv.iter().map(String::as_str).collect();
    let out = c.exec(&a)?;
    // 0 clean, 1 pending, 3 a volume hung: each a full answer here.
    if !matches!(out.status.code(), Some(0 | 1 | 3)) {
        bail!(
            "{argv:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn run(volumes: usize, rounds: usize) -> Result<()> {
    verify::cluster::available().map_err(|e| anyhow!(e))?;
    cmd!(
        "cargo",
        "build",
        "--quiet",
        "-p",
        "heal-info",
        "--features",
        "gfapi"
    )
    .dir(crate::paths::root())
    .run()?;
    let bin = heal_info_bin().display().to_string();
    let c = Cluster::start()?;
    let names: Vec<String> = (0..volumes).map(|i| format!("v{i}")).collect();
    for v in &names {
        c.create_volume(v, "replica 3", 3)?;
    }
    let argv = |rest: &[&str]| -> Vec<String> {
        std::iter::once(bin.clone())
            .chain(rest.iter().map(|s| s.to_string()))
            .collect()
    };
    let one_by_one = time_median(rounds, || {
        for v in &names {
            exec_ok(&c, &argv(&[v, "--format", "json"]))?;
        }
        Ok(())
    })?;
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::ASCII_MARKDOWN);
    t.set_header(vec!["run", "volumes", "seconds (median)", "vs one by one"]);
    t.add_row(vec![
        "heal-info VOL, one after another".to_string(),
        volumes.to_string(),
        format!("{one_by_one:.2}"),
        "1.00x".into(),
    ]);
    for jobs in ["1", "4"] {
        let s = time_median(rounds, || {
            exec_ok(&c, &argv(&["--all", "--jobs", jobs, "--format", "json"])).map(drop)
        })?;
        t.add_row(vec![
            format!("heal-info --all --jobs {jobs}"),
            volumes.to_string(),
            format!("{s:.2}"),
            format!("{:.2}x", one_by_one / s),
        ]);
    }

    // One volume hung: --all keeps its deadline for that volume only.
    let hung = HungVolume::create(&c, "hung")?;
    let timeout = "10";
    let started = Instant::now();
    let doc = exec_ok(
        &c,
        &hung.wrap(&argv(&[
            "--all",
            "--jobs",
            "4",
            "--timeout",
            timeout,
            "--format",
            "json",
        ])),
    )?;
    let all_hung = started.elapsed().as_secs_f64();
    let all: AllReport = serde_json::from_str(&doc)?;
    let healthy: Vec<f64> = all
        .volumes
        .iter()
        .filter(|r| r.volume != "hung")
        .map(|r| r.duration_seconds)
        .collect();
    t.add_row(vec![
        format!("heal-info --all --jobs 4, one volume hung (--timeout {timeout})"),
        (volumes + 1).to_string(),
        format!("{all_hung:.2}"),
        format!(
            "healthy volumes each {:.2} s (median)",
            median(healthy.clone())
        ),
    ]);
    println!("{t}");

    // Scrapes while the hung volume's glfsheal hangs.
    let serve = Background::start(
        &c,
        "serve",
        &hung
            .wrap(&argv(&[
                "serve",
                "--listen",
                "127.0.0.1:19713",
                "--interval",
                "1",
                "--timeout",
                timeout,
            ]))
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )?;
    let ns = c.init_pid;
    let ready = Instant::now();
    loop {
        let body = get(ns, "127.0.0.1:19713", "/metrics", Duration::from_secs(1))
            .map(|a| a.body)
            .unwrap_or_default();
        if body.contains("volume=\"hung\",cause=\"brick-host-dns\"} 1") {
            break;
        }
        if ready.elapsed() > Duration::from_secs(90) {
            bail!(
                "the exporter never reported the hung volume:\n{body}\n{}",
                serve.log_text()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let mut took = Vec::new();
    for _ in 0..200 {
        let a = get(ns, "127.0.0.1:19713", "/metrics", Duration::from_secs(5))?;
        took.push(a.took.as_secs_f64() * 1e3);
        std::thread::sleep(Duration::from_millis(50));
    }
    took.sort_by(f64::total_cmp);
    let mut s = comfy_table::Table::new();
    s.load_preset(comfy_table::presets::ASCII_MARKDOWN);
    s.set_header(vec!["scrapes", "p50 ms", "p99 ms", "max ms", "while"]);
    s.add_row(vec![
        took.len().to_string(),
        format!("{:.2}", took[took.len() / 2]),
        format!("{:.2}", took[took.len() * 99 / 100]),
        format!("{:.2}", took[took.len() - 1]),
        format!(
            "1 of {} volumes hung ({timeout} s deadline, refresh every 1 s)",
            volumes + 1
        ),
    ]);
    println!("{s}");
    drop(serve);
    drop(hung);
    Ok(())
}
