//! Heal state as Prometheus metrics, encoded by `prometheus-client`: one
//! exposition for `--format prometheus`, `serve`'s /metrics and its
//! textfile. The per-brick names and labels are gluster-prometheus's
//! (`gluster_volume_heal_count`, `gluster_volume_split_brain_heal_count`
//! with `cluster_id`, `volume`, `brick_path`, `host`), so its dashboards
//! keep working; the per-volume health of each run is ours
//! (`gluster_heal_info_*`).

use crate::model::{Mode, Report};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BrickLabels {
    cluster_id: String,
    volume: String,
    brick_path: String,
    host: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VolumeLabels {
    cluster_id: String,
    volume: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StallLabels {
    cluster_id: String,
    volume: String,
    cause: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClusterLabels {
    cluster_id: String,
}

/// A volume's latest report, with when it last succeeded (Unix seconds).
pub struct VolumeState<'a> {
    pub report: &'a Report,
    pub last_success: Option<f64>,
}

impl<'a> VolumeState<'a> {
    /// The state once `report` has come in, `before` being when the volume
    /// last succeeded: now if this run succeeded, else unchanged. The one
    /// place that says what a success is for the timestamp, for one-shot
    /// runs (`before` None) and `serve` alike.
    pub fn after(report: &'a Report, before: Option<f64>) -> VolumeState<'a> {
        VolumeState {
            report,
            last_success: if report.error.is_none() {
                Some(now())
            } else {
                before
            },
        }
    }
}

/// The diagnosis cause as a label value: the JSON word (`brick-host-dns`).
pub fn cause_word(r: &Report) -> Option<String> {
    let d = r.diagnosis.as_ref()?;
    serde_json::to_value(d.cause)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
}

/// What `serve` adds about itself: whether glusterd answered the last
/// volume list, how many refresh rounds have started, and whether this
/// node is the one that exports heal counts (`peers`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Exporter {
    /// Whether glusterd answered the volume list; None when it was not
    /// asked this round (a node that does not export).
    pub listed: Option<bool>,
    pub rounds: u64,
    pub exporting: bool,
    /// Whether glusterd answered the peer list; None with `--all-nodes`,
    /// which asks for none.
    pub peers_listed: Option<bool>,
}

/// The exposition (OpenMetrics text, which Prometheus scrapes and
/// node_exporter's textfile collector reads) for `volumes`.
pub fn encode(cluster_id: &str, volumes: &[VolumeState], exporter: Option<Exporter>) -> String {
    let listed = exporter.and_then(|e| e.listed);
    let mut reg = Registry::default();
    let brick = || Family::<BrickLabels, Gauge>::default();
    let (heal, split, healing, connected) = (brick(), brick(), brick(), brick());
    let partial = brick();
    let success = Family::<VolumeLabels, Gauge>::default();
    let duration = Family::<VolumeLabels, Gauge<f64, AtomicU64>>::default();
    let last = Family::<VolumeLabels, Gauge<f64, AtomicU64>>::default();
    let stalled = Family::<StallLabels, Gauge>::default();
    let discovery = Family::<ClusterLabels, Gauge>::default();
    reg.register(
        "gluster_volume_heal_count",
        "Entries pending heal on the brick",
        heal.clone(),
    );
    reg.register(
        "gluster_volume_split_brain_heal_count",
        "Entries in split-brain on the brick",
        split.clone(),
    );
    reg.register(
        "gluster_heal_info_possibly_healing_count",
        "Entries on the brick that a heal holds a lock on (summary mode)",
        healing.clone(),
    );
    reg.register(
        "gluster_heal_info_brick_connected",
        "1 if glfsheal could reach the brick",
        connected.clone(),
    );
    reg.register(
        "gluster_heal_info_brick_crawl_partial",
        "1 if glfsheal's crawl of the brick stopped partway: its heal count is a lower bound",
        partial.clone(),
    );
    reg.register(
        "gluster_heal_info_success",
        "1 if glfsheal answered before the deadline with well-formed output",
        success.clone(),
    );
    reg.register(
        "gluster_heal_info_duration_seconds",
        "How long the volume's last heal info took",
        duration.clone(),
    );
    reg.register(
        "gluster_heal_info_last_success_timestamp_seconds",
        "When heal info last succeeded for the volume (Unix time)",
        last.clone(),
    );
    reg.register(
        "gluster_heal_info_stalled",
        "1 if glfsheal hung past its deadline; cause is the diagnosis",
        stalled.clone(),
    );
    if listed.is_some() {
        reg.register(
            "gluster_heal_info_volume_list_success",
            "1 if glusterd answered the volume list in time",
            discovery.clone(),
        );
    }
    let cluster_id = cluster_id.to_string();
    for v in volumes {
        let r = v.report;
        let vl = VolumeLabels {
            cluster_id: cluster_id.clone(),
            volume: r.volume.clone(),
        };
        for b in &r.bricks {
            let bl = BrickLabels {
                cluster_id: cluster_id.clone(),
                volume: r.volume.clone(),
                brick_path: b.path.clone(),
                host: b.host.clone(),
            };
            let set = |f: &Family<BrickLabels, Gauge>, n: Option<u64>| {
                if let Some(n) = n {
                    f.get_or_create(&bl).set(n as i64);
                }
            };
            // split-brain-info lists only the split-brain entries: its
            // count is no pending-heal count, and goes to the split-brain
            // series alone.
            if r.mode != Mode::SplitBrain {
                set(&heal, b.entries);
            }
            set(&split, b.split_brain);
            set(&healing, b.possibly_healing);
            set(&connected, Some(b.connected as u64));
            set(&partial, Some(b.crawl_error.is_some() as u64));
        }
        success.get_or_create(&vl).set(i64::from(r.error.is_none()));
        duration.get_or_create(&vl).set(r.duration_seconds);
        if let Some(t) = v.last_success {
            last.get_or_create(&vl).set(t);
        }
        let cause = cause_word(r);
        stalled
            .get_or_create(&StallLabels {
                cluster_id: cluster_id.clone(),
                volume: r.volume.clone(),
                cause: cause.clone().unwrap_or_else(|| "none".into()),
            })
            .set(i64::from(cause.is_some()));
    }
    if let Some(ok) = listed {
        discovery
            .get_or_create(&ClusterLabels {
                cluster_id: cluster_id.clone(),
            })
            .set(i64::from(ok));
    }
    if let Some(e) = exporter {
        let exporting = Family::<ClusterLabels, Gauge>::default();
        reg.register(
            "gluster_heal_info_exporting_node",
            "1 if this node runs glfsheal and exports heal counts (the connected peer with the highest UUID, or every node with --all-nodes); 0 on the others",
            exporting.clone(),
        );
        exporting
            .get_or_create(&ClusterLabels {
                cluster_id: cluster_id.clone(),
            })
            .set(i64::from(e.exporting));
        if let Some(ok) = e.peers_listed {
            let peers = Family::<ClusterLabels, Gauge>::default();
            reg.register(
                "gluster_heal_info_peer_list_success",
                "1 if glusterd answered the peer list in time",
                peers.clone(),
            );
            peers
                .get_or_create(&ClusterLabels {
                    cluster_id: cluster_id.clone(),
                })
                .set(i64::from(ok));
        }
        let rounds = Family::<ClusterLabels, Counter>::default();
        reg.register(
            "gluster_heal_info_refreshes",
            "Refresh rounds the exporter has started",
            rounds.clone(),
        );
        rounds
            .get_or_create(&ClusterLabels { cluster_id })
            .inc_by(e.rounds);
    }
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &reg);
    out
}

/// Unix time now, in seconds.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_success_moves_last_success_to_now_and_a_failure_keeps_it() {
        let mut r = crate::model::tests::full_report();
        r.error = None;
        let t0 = now();
        let ok = VolumeState::after(&r, Some(1.0)).last_success.unwrap();
        assert!(ok >= t0);
        r.error = Some("deadline".into());
        assert_eq!(VolumeState::after(&r, Some(1.0)).last_success, Some(1.0));
        assert_eq!(VolumeState::after(&r, None).last_success, None);
    }
}
