//! `cargo xtask verify`: the proof that the backport and the shim work, run
//! on the throwaway cluster. A matrix of builds (Debian's 10.3, the upstream
//! fixed reference; a `probe` that makes 3.12's events.c call once per
//! subvolume; and each `--prefix` build), resolvers (healthy; a black hole),
//! and the shim (none, fail, loopback). Each cell runs heal-info against the
//! build's glfsheal and records wall time, the gaps between "Going UP" lines,
//! DNS queries the black hole counted, events that reached the events ports,
//! and heal-info's exit code; then verdicts are drawn across cells.

use crate::cluster::{Cluster, Flavor};
use anyhow::{Context, Result};
use serde::Serialize;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub build: String,
    pub resolver: String,
    pub legacy_layer: bool,
    pub shim: String,
    pub subvolumes: usize,
    pub seconds: f64,
    pub dns_queries: u64,
    pub events: u64,
    pub going_up_gaps: Vec<f64>,
    pub exit: i32,
    pub verdict: String,
    pub why: String,
}

pub struct Options {
    pub prefixes: Vec<PathBuf>,
    pub subvols: usize,
}

/// Seconds one lookup waits on the black hole: A and AAAA, timeout:1 attempts:1.
pub const LOOKUP_STALL: f64 = 2.0;
const RESOLV: &str = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n";
/// Cells under a second differ by process start-up noise more than by 20%.
const SLACK: f64 = 0.5;
const EVENT_PORTS: [u16; 2] = [24009, 55555];

/// Whether this glibc refuses '/' names before DNS (2.36 does; 2.17 does not),
/// so the legacy layer must be stacked in to reproduce the field.
pub fn glibc_rejects_paths() -> bool {
    let v = unsafe { std::ffi::CStr::from_ptr(libc_version()) }
        .to_string_lossy()
        .into_owned();
    let mut it = v.split('.').map(|x| x.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0)) > (2, 17)
}

extern "C" {
    #[link_name = "gnu_get_libc_version"]
    fn libc_version() -> *const std::os::raw::c_char;
}

struct Counter {
    child: std::process::Child,
    file: PathBuf,
}

impl Counter {
    fn start(c: &Cluster, addr: &str, name: &str) -> Result<Counter> {
        let file = c.dir.path().join(format!("{name}.count"));
        let ready = c.dir.path().join(format!("{name}.ready"));
        // Its own process group: nsenter forks to enter the PID namespace, and
        // the listener inside must die with it.
        let child = c
            .command(&[
                crate::blackhole_bin().to_str().unwrap(),
                addr,
                file.to_str().unwrap(),
                ready.to_str().unwrap(),
                "3600",
            ])
            .process_group(0)
            .spawn()
            .context("starting a counting listener")?;
        c.poll(&format!("{name} listens"), Duration::from_secs(10), |_| {
            Ok(ready.exists())
        })?;
        Ok(Counter { child, file })
    }

    fn count(&self) -> u64 {
        std::fs::read_to_string(&self.file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        unsafe { libc::killpg(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Build {
    name: String,
    /// `--glfsheal` (the probe) or `--prefix` arguments for heal-info.
    heal_args: Vec<String>,
    volume: String,
    /// Known to have the events.c fix (None: find out from the cells).
    fixed: Option<bool>,
}

fn run_cell(
    c: &Cluster,
    b: &Build,
    resolver: &str,
    shim: &str,
    k: usize,
    dns: Option<&Counter>,
    events: &[Counter],
) -> Result<Cell> {
    let legacy = glibc_rejects_paths();
    let mut preload = Vec::new();
    if shim != "none" {
        preload.push(crate::target_dir().join("../shim/libgfresolv.so"));
    }
    if legacy {
        preload.push(crate::legacy_resolv_so());
    }
    let preload: Vec<String> = preload.iter().map(|p| p.display().to_string()).collect();
    let resolv = c.dir.path().join("resolv-cell.conf");
    std::fs::write(&resolv, RESOLV)?;
    let timeout = (k as f64) * LOOKUP_STALL * 2.0 + 20.0;
    let log = c
        .dir
        .path()
        .join("log")
        .join(format!("glfsheal-{}.log", b.volume));
    let log_before = std::fs::metadata(&log).map_or(0, |m| m.len()) as usize;
    let (dns0, ev0) = (
        dns.map_or(0, |d| d.count()),
        events.iter().map(Counter::count).sum::<u64>(),
    );
    let script = format!(
        "mount --bind {} /etc/resolv.conf && exec env LD_PRELOAD='{}' GFRESOLV_MODE={} EVENTS_PORT=24009 {} {} {} --format json --timeout {timeout}",
        resolv.display(),
        preload.join(":"),
        if shim == "none" { "fail" } else { shim },
        crate::heal_info_bin().display(),
        b.volume,
        b.heal_args.join(" "),
    );
    let out = c.exec(&["unshare", "-m", "bash", "-c", &script])?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "heal-info printed no JSON: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    // Let the last datagrams land before counting.
    std::thread::sleep(Duration::from_millis(300));
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let (_, gaps) = heal_info::diagnose::going_up(text.get(log_before..).unwrap_or(""));
    Ok(Cell {
        build: b.name.clone(),
        resolver: resolver.into(),
        legacy_layer: legacy,
        shim: shim.into(),
        subvolumes: k,
        seconds: (v["duration_seconds"].as_f64().unwrap_or(0.0) * 1000.0).round() / 1000.0,
        dns_queries: dns.map_or(0, |d| d.count()) - dns0,
        events: events.iter().map(Counter::count).sum::<u64>() - ev0,
        going_up_gaps: gaps,
        exit: out.status.code().unwrap_or(-1),
        verdict: String::new(),
        why: String::new(),
    })
}

fn probe_glfsheal(dir: &Path, socket: &Path, k: usize) -> Result<PathBuf> {
    let fake = dir.join("probe-glfsheal");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\n# 3.12's glfsheal, as far as events.c goes: per subvolume, ec_up, then _gf_event()\nexec {} events /var/log/glusterfs/glfsheal-$1.log {} {k}\n",
            crate::probe().display(),
            socket.display()
        ),
    )?;
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    Ok(fake)
}

/// Fills in each cell's verdict. Returns whether all passed.
pub fn judge(cells: &mut [Cell], fixed: &dyn Fn(&str) -> Option<bool>) -> bool {
    let snapshot = cells.to_vec();
    let healthy = |build: &str, shim: &str| {
        snapshot
            .iter()
            .find(|c| c.build == build && c.shim == shim && c.resolver == "healthy")
            .cloned()
    };
    for cell in cells.iter_mut() {
        let k = cell.subvolumes as f64;
        let stall_floor = 0.8 * k * LOOKUP_STALL;
        let (ok, why) = if cell.resolver == "healthy" {
            (
                cell.exit == 0,
                format!("heal-info exit {} on healthy DNS", cell.exit),
            )
        } else {
            let base = healthy(&cell.build, &cell.shim);
            let limit = base.as_ref().map_or(f64::MAX, |b| 1.2 * b.seconds + SLACK);
            let fast = cell.seconds <= limit && cell.dns_queries == 0;
            let fast_why = format!(
                "{:.2} s against a limit of {:.2} s (1.2x healthy + {SLACK} s), {} DNS queries",
                cell.seconds, limit, cell.dns_queries
            );
            if cell.shim != "none" || fixed(&cell.build) == Some(true) {
                (fast && cell.exit == 0, fast_why)
            } else {
                let stalled = cell.seconds >= stall_floor && cell.dns_queries as f64 >= k;
                let why = format!(
                    "stalled {:.2} s with {} DNS queries; an unfixed build stalls about {:.0} s ({} subvolumes x {LOOKUP_STALL} s)",
                    cell.seconds, cell.dns_queries, k * LOOKUP_STALL, cell.subvolumes
                );
                match fixed(&cell.build) {
                    Some(false) => (stalled, why),
                    // A --prefix build: either behaviour is a consistent result.
                    _ => (
                        stalled || fast,
                        if fast {
                            format!("behaves as a fixed build: {fast_why}")
                        } else {
                            format!("behaves as an unfixed build: {why}")
                        },
                    ),
                }
            }
        };
        let (mut ok, mut why) = (ok, why);
        if ok && cell.shim == "loopback" {
            let none = snapshot
                .iter()
                .find(|c| c.build == cell.build && c.resolver == "healthy" && c.shim == "none");
            let expected = none
                .map_or(0, |n| n.events)
                .max(if fixed(&cell.build) == Some(false) {
                    1
                } else {
                    0
                });
            if cell.events < expected {
                ok = false;
                why = format!(
                    "loopback mode delivered {} events, expected at least {expected}",
                    cell.events
                );
            } else {
                why.push_str(&format!("; {} events delivered", cell.events));
            }
        }
        cell.verdict = if ok { "pass" } else { "fail" }.into();
        cell.why = why;
    }
    cells.iter().all(|c| c.verdict == "pass")
}

pub fn run(opts: &Options) -> Result<(Vec<Cell>, bool)> {
    let k = opts.subvols;
    let mut cells = Vec::new();
    let mut fixed_known: Vec<(String, Option<bool>)> = Vec::new();
    let mut flavors = vec![(Flavor::system(), true)];
    flavors.extend(opts.prefixes.iter().map(|p| {
        (
            Flavor {
                prefix: Some(p.clone()),
            },
            false,
        )
    }));
    for (flavor, system) in flavors {
        let c = Cluster::start_flavor(flavor.clone())?;
        c.create_volume("ec", "disperse-data 2 redundancy 1", 3 * k)?;
        let events: Vec<Counter> = EVENT_PORTS
            .iter()
            .map(|p| Counter::start(&c, &format!("[::]:{p}"), &format!("events-{p}")))
            .collect::<Result<_>>()?;
        let mut builds = Vec::new();
        match &flavor.prefix {
            None => builds.push(Build {
                name: "debian-10.3".into(),
                heal_args: vec![],
                volume: "ec".into(),
                fixed: Some(true),
            }),
            Some(p) => builds.push(Build {
                name: p.display().to_string(),
                heal_args: vec!["--prefix".into(), p.display().to_string()],
                volume: "ec".into(),
                fixed: None,
            }),
        }
        if system {
            let fake = probe_glfsheal(c.dir.path(), &flavor.socket(), k)?;
            builds.push(Build {
                name: "probe".into(),
                heal_args: vec!["--glfsheal".into(), fake.display().to_string()],
                volume: "ec312".into(),
                fixed: Some(false),
            });
        }
        for b in &builds {
            fixed_known.push((b.name.clone(), b.fixed));
            for resolver in ["healthy", "blackhole"] {
                let dns = if resolver == "blackhole" {
                    Some(Counter::start(&c, "127.0.0.1:53", "dns")?)
                } else {
                    None
                };
                for shim in ["none", "fail", "loopback"] {
                    eprintln!("[verify] {} / {resolver} / shim {shim} ...", b.name);
                    let cell = run_cell(&c, b, resolver, shim, k, dns.as_ref(), &events)?;
                    eprintln!(
                        "[verify]   {:.2} s, {} DNS queries, {} events, exit {}",
                        cell.seconds, cell.dns_queries, cell.events, cell.exit
                    );
                    cells.push(cell);
                }
            }
        }
    }
    let fixed = |name: &str| {
        fixed_known
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, f)| *f)
    };
    let ok = judge(&mut cells, &fixed);
    Ok((cells, ok))
}

pub fn table(cells: &[Cell]) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::ASCII_MARKDOWN);
    t.set_header(vec![
        "build",
        "resolver",
        "legacy layer",
        "shim",
        "seconds",
        "DNS queries",
        "events",
        "Going UP gaps (s)",
        "exit",
        "verdict",
    ]);
    for c in cells {
        let gaps: Vec<String> = c.going_up_gaps.iter().map(|g| format!("{g:.2}")).collect();
        t.add_row(vec![
            c.build.clone(),
            c.resolver.clone(),
            if c.legacy_layer { "yes" } else { "no" }.into(),
            c.shim.clone(),
            format!("{:.3}", c.seconds),
            c.dns_queries.to_string(),
            c.events.to_string(),
            gaps.join(" "),
            c.exit.to_string(),
            c.verdict.clone(),
        ]);
    }
    let mut s = format!("{t}\n");
    for c in cells.iter().filter(|c| c.verdict != "pass") {
        s.push_str(&format!(
            "FAILED {} / {} / shim {}: {}\n",
            c.build, c.resolver, c.shim, c.why
        ));
    }
    s
}
