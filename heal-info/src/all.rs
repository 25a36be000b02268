//! `--all`: heal info for many volumes at once, at most `jobs` glfsheals
//! at a time, each under its own deadline (`run::heal_info`), so a hung
//! volume holds one slot for at most its deadline and never the others.

use crate::find::Build;
use crate::model::{exit, Report};
use crate::run::{self, Options};
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// One document for every volume: `heal-info --all --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct AllReport {
    pub cluster_id: String,
    pub seconds: f64,
    /// The worst volume's exit code (see `--help`).
    pub exit: u8,
    pub volumes: Vec<Report>,
    /// Started volumes left out, with the reason (a pure Distribute volume
    /// has nothing for glfsheal to heal, and it would fail every time).
    pub skipped: Vec<crate::volumes::Skipped>,
    /// Why glusterd could not list the volumes.
    pub error: Option<String>,
}

/// Exit codes ordered by how much they need an operator: failed, deadline,
/// disconnected, pending, clean.
pub fn worst_exit(reports: &[Report]) -> u8 {
    let rank = |e: u8| match e {
        exit::FAILED => 4,
        exit::DEADLINE => 3,
        exit::DISCONNECTED => 2,
        exit::PENDING => 1,
        _ => 0,
    };
    reports
        .iter()
        .map(|r| r.exit)
        .max_by_key(|&e| rank(e))
        .unwrap_or(exit::CLEAN)
}

/// Runs `template` (its volume replaced) for each of `volumes`, `jobs` at
/// a time; reports come back in the order of `volumes`.
pub fn run_all(build: &Build, volumes: &[String], template: &Options, jobs: usize) -> Vec<Report> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<Report>>> = Mutex::new(vec![None; volumes.len()]);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1).min(volumes.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(volume) = volumes.get(i) else { break };
                let opts = Options {
                    volume: volume.clone(),
                    ..template.clone()
                };
                eprintln!("heal-info: {volume}: running glfsheal");
                let report = run::heal_info(build, &opts);
                eprintln!(
                    "heal-info: {volume}: exit {} in {:.2} s",
                    report.exit, report.duration_seconds
                );
                done.lock().unwrap()[i] = Some(report);
            });
        }
    });
    done.into_inner().unwrap().into_iter().flatten().collect()
}
