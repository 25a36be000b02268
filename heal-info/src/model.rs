//! What heal info reports, per brick and per volume, and the exit codes
//! that summarise it. One stable schema for `--format json`, written here
//! and read back by the same types (`verify`'s matrix, the heal-all bench,
//! the cluster tests), so a reader cannot drift from the writer.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Brick {
    /// As glfsheal names it: `host:/path`.
    pub name: String,
    pub host: String,
    pub path: String,
    /// glfsheal's words: `Connected`, `Transport endpoint is not connected`, ...
    pub status: String,
    pub connected: bool,
    /// Entries pending heal; None when the brick could not be asked (`-`).
    pub entries: Option<u64>,
    /// Entries in split-brain, where the build reports them (or, on 3.12's
    /// computed summary, the entries glfsheal marked "Is in split-brain").
    pub split_brain: Option<u64>,
    /// `--summary`: entries waiting for the self-heal daemon, no lock held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heal_pending: Option<u64>,
    /// `--summary`: entries another client holds a heal lock on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub possibly_healing: Option<u64>,
    /// Entries glfsheal's plain text marked " - Is in split-brain" and
    /// " - Possibly undergoing heal": what 3.12's summary is computed from.
    #[serde(skip)]
    pub marked_split_brain: u64,
    #[serde(skip)]
    pub marked_healing: u64,
    /// Why glfsheal's crawl of this brick stopped partway ("Failed to
    /// process entries completely. (ERROR)"): `entries` then counts what
    /// it read before, a lower bound. The brick did answer, so it is not
    /// disconnected.
    pub crawl_error: Option<String>,
    /// The entry paths (or `<gfid:...>`), kept with `--entries`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry_paths: Vec<String>,
}

impl Brick {
    pub fn set_name(&mut self, name: &str) {
        self.name = name.to_string();
        match name.rsplit_once(':') {
            Some((h, p)) if p.starts_with('/') => {
                self.host = h.to_string();
                self.path = p.to_string();
            }
            _ => self.path = name.to_string(),
        }
    }
}

/// Exit codes, documented in `--help`.
pub mod exit {
    pub const CLEAN: u8 = 0;
    pub const PENDING: u8 = 1;
    pub const DISCONNECTED: u8 = 2;
    pub const DEADLINE: u8 = 3;
    pub const FAILED: u8 = 4;
    /// The command line is wrong (sysexits.h's EX_USAGE). Not clap's 2,
    /// which a script would read as DISCONNECTED.
    pub const USAGE: u8 = 64;
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Totals {
    pub bricks: usize,
    pub connected: usize,
    pub entries: u64,
    /// None (null) when no brick's output counts split-brain entries: info
    /// mode's output has no such count, and an unknown is not a zero.
    pub split_brain: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub possibly_healing: Option<u64>,
}

/// What glfsheal was asked: `info` (the default), `split-brain`
/// (`split-brain-info`: only entries in split-brain), `summary` (per-brick
/// counts of pending, split-brain and possibly healing entries).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    #[default]
    Info,
    SplitBrain,
    Summary,
}

/// Where a `--summary` came from: glfsheal's own `info-summary` (3.13 and
/// later), or counted here from glfsheal's plain entry list, whose lines
/// carry the status (3.12 lost `info summary` in v3.12.4, f4867128fe, and
/// its XML drops the per-entry status).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SummarySource {
    Glfsheal,
    ComputedFromEntries,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub volume: String,
    pub mode: Mode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary_source: Option<SummarySource>,
    pub glfsheal: String,
    pub version: Option<String>,
    pub duration_seconds: f64,
    pub exit: u8,
    pub ok: bool,
    pub bricks: Vec<Brick>,
    pub totals: Totals,
    /// Why glfsheal failed or its output could not be read.
    pub error: Option<String>,
    /// What a hung glfsheal was waiting on.
    pub diagnosis: Option<crate::diagnose::Diagnosis>,
}

pub fn totals(bricks: &[Brick]) -> Totals {
    Totals {
        bricks: bricks.len(),
        connected: bricks.iter().filter(|b| b.connected).count(),
        entries: bricks.iter().filter_map(|b| b.entries).sum(),
        split_brain: bricks
            .iter()
            .any(|b| b.split_brain.is_some())
            .then(|| bricks.iter().filter_map(|b| b.split_brain).sum()),
        possibly_healing: bricks
            .iter()
            .any(|b| b.possibly_healing.is_some())
            .then(|| bricks.iter().filter_map(|b| b.possibly_healing).sum()),
    }
}

/// The exit code for a complete answer. A brick whose crawl stopped
/// partway reads as pending: it had entries to count (glfsheal reports a
/// partial crawl only after counting some), and its count is a lower
/// bound, so it can never read as clean.
pub fn exit_for(bricks: &[Brick]) -> u8 {
    if bricks.iter().any(|b| !b.connected) {
        exit::DISCONNECTED
    } else if bricks.iter().any(|b| {
        b.entries.unwrap_or(0) > 0 || b.split_brain.unwrap_or(0) > 0 || b.crawl_error.is_some()
    }) {
        exit::PENDING
    } else {
        exit::CLEAN
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::diagnose::{Cause, Diagnosis, Thread};

    /// A report with every serialized field set (no None, no empty list),
    /// so a field that stops round-tripping changes the value read back.
    pub(crate) fn full_report() -> Report {
        let mut brick = Brick {
            status: "Connected".into(),
            connected: true,
            entries: Some(3),
            split_brain: Some(1),
            heal_pending: Some(2),
            possibly_healing: Some(1),
            crawl_error: Some("Failed to process entries completely. (ERROR)".into()),
            entry_paths: vec!["/a".into(), "<gfid:1234>".into()],
            ..Brick::default()
        };
        brick.set_name("h1:/bricks/b1");
        let bricks = vec![brick];
        Report {
            volume: "rep".into(),
            mode: Mode::Summary,
            summary_source: Some(SummarySource::ComputedFromEntries),
            glfsheal: "/usr/sbin/glfsheal".into(),
            version: Some("3.12.15".into()),
            duration_seconds: 1.25,
            exit: exit::DEADLINE,
            ok: false,
            totals: totals(&bricks),
            bricks,
            error: Some("deadline".into()),
            diagnosis: Some(Diagnosis {
                cause: Cause::BrickHostDns,
                summary: "waits on DNS".into(),
                remedy: "fix resolv.conf".into(),
                pid: 42,
                threads: vec![Thread {
                    tid: 43,
                    name: "glfs_epoll000".into(),
                    wchan: "do_sys_poll".into(),
                    kernel_stack: Some("[<0>] do_sys_poll".into()),
                }],
                dns_sockets: 1,
                dns_servers: vec!["10.0.0.53:53".into()],
                tcp_connecting: vec!["10.0.0.7:49152".into()],
                backtrace: Some("#0 poll".into()),
                going_up: vec![1.0, 6.0],
                going_up_gaps: vec![5.0],
                graph_received: true,
                glusterd_stopped: true,
                resolver_timeout_seconds: Some(5.0),
            }),
        }
    }

    /// Every null and empty list in `v`, by path: a sample with one would
    /// not show that field's round trip.
    pub(crate) fn unset(v: &serde_json::Value, at: &str, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Null => out.push(at.into()),
            serde_json::Value::Array(a) if a.is_empty() => out.push(at.into()),
            serde_json::Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    unset(x, &format!("{at}[{i}]"), out);
                }
            }
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    unset(x, &format!("{at}.{k}"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn a_report_reads_back_as_it_was_written() {
        let r = full_report();
        let text = serde_json::to_string_pretty(&r).unwrap();
        let mut missing = Vec::new();
        unset(&serde_json::from_str(&text).unwrap(), "", &mut missing);
        assert!(missing.is_empty(), "the sample leaves unset: {missing:?}");
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn fields_left_out_when_empty_read_back_empty() {
        let r = Report {
            summary_source: None,
            diagnosis: None,
            version: None,
            error: None,
            bricks: vec![Brick::default()],
            totals: totals(&[Brick::default()]),
            ..full_report()
        };
        let text = serde_json::to_string(&r).unwrap();
        assert!(!text.contains("entry_paths") && !text.contains("summary_source"));
        assert_eq!(serde_json::from_str::<Report>(&text).unwrap(), r);
    }
}
