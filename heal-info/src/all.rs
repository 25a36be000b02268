//! `--all`: heal info for many volumes at once, at most `jobs` glfsheals
//! at a time (`slots`), each under its own deadline (`run::heal_info`), so
//! a hung volume holds one slot for at most its deadline and never the
//! others.

use crate::find::Build;
use crate::model::{exit, Report};
use crate::run::{self, Options};
use crate::slots;
use serde::{Deserialize, Serialize};

/// One document for every volume: `heal-info --all --format json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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
/// a time (`slots::map`); reports come back in the order of `volumes`.
pub fn run_all(build: &Build, volumes: &[String], template: &Options, jobs: usize) -> Vec<Report> {
    slots::map(jobs, volumes, |volume| {
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
        report
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::{full_report, unset};
    use crate::volumes::Skipped;

    #[test]
    fn an_all_report_reads_back_as_it_was_written() {
        let r = AllReport {
            cluster_id: "c1".into(),
            seconds: 2.5,
            exit: exit::DEADLINE,
            volumes: vec![full_report()],
            skipped: vec![Skipped {
                volume: "dist".into(),
                reason: "pure Distribute".into(),
            }],
            error: Some("glusterd did not answer".into()),
        };
        let text = serde_json::to_string(&r).unwrap();
        let mut missing = Vec::new();
        unset(&serde_json::from_str(&text).unwrap(), "", &mut missing);
        assert!(missing.is_empty(), "the sample leaves unset: {missing:?}");
        assert_eq!(serde_json::from_str::<AllReport>(&text).unwrap(), r);
    }
}
