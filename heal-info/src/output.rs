//! Printing a report: an aligned table (comfy-table), JSON (the `Report`
//! schema), or Prometheus exposition (`metrics`, with gluster-prometheus's
//! metric names and labels so existing dashboards keep working).

use crate::model::{Mode, Report, SummarySource};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};

pub fn table(r: &Report) -> String {
    let mut out = String::new();
    let summary = r.mode == Mode::Summary;
    {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED);
        let mut header = vec!["brick", "status", "entries", "split-brain"];
        if summary {
            header.extend(["heal-pending", "possibly-healing"]);
        }
        t.set_header(header);
        for b in &r.bricks {
            let n = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
            let mut row = vec![
                b.name.clone(),
                b.status.clone(),
                n(b.entries),
                n(b.split_brain),
            ];
            if summary {
                row.extend([n(b.heal_pending), n(b.possibly_healing)]);
            }
            t.add_row(row);
        }
        if !r.bricks.is_empty() {
            out.push_str(&format!("{t}\n"));
        }
        for b in r.bricks.iter().filter(|b| !b.entry_paths.is_empty()) {
            out.push_str(&format!("{}:\n", b.name));
            for p in &b.entry_paths {
                out.push_str(&format!("  {p}\n"));
            }
        }
    }
    out.push_str(&format!(
        "volume {}: {}/{} bricks connected, {} entries pending heal, {} ({:.2} s)\n",
        r.volume,
        r.totals.connected,
        r.totals.bricks,
        r.totals.entries,
        split_brain_words(r.totals.split_brain),
        r.duration_seconds
    ));
    match r.summary_source {
        Some(SummarySource::Glfsheal) => out.push_str("summary: glfsheal's own (info-summary)\n"),
        Some(SummarySource::ComputedFromEntries) => out.push_str(
            "summary: computed from glfsheal's entry list (this build has no info-summary)\n",
        ),
        None => {}
    }
    if let Some(e) = &r.error {
        out.push_str(&format!("error: {e}\n"));
    }
    if let Some(d) = &r.diagnosis {
        out.push_str(&d.to_text());
    }
    out
}

/// A split-brain count in words; info mode's output has none, and saying
/// 0 there would tell an operator there is no split-brain.
fn split_brain_words(n: Option<u64>) -> String {
    match n {
        Some(n) => format!("{n} in split-brain"),
        None => "split-brain unknown (--summary or --split-brain counts it)".to_string(),
    }
}

/// The exposition for one report, via `metrics` (gluster-prometheus's names).
pub fn prometheus(r: &Report, cluster_id: &str) -> String {
    crate::metrics::encode(
        cluster_id,
        &[crate::metrics::VolumeState::after(r, None)],
        None,
    )
}

/// Every volume of `--all`: each volume's table in turn, then one line
/// for the whole run.
pub fn all_table(a: &crate::all::AllReport) -> String {
    let mut out = String::new();
    for r in &a.volumes {
        out.push_str(&table(r));
        out.push('\n');
    }
    for s in &a.skipped {
        out.push_str(&format!("volume {}: skipped: {}\n", s.volume, s.reason));
    }
    if let Some(e) = &a.error {
        out.push_str(&format!("error: {e}\n"));
    }
    let stalled = a.volumes.iter().filter(|r| r.diagnosis.is_some()).count();
    let split_brain = a
        .volumes
        .iter()
        .any(|r| r.totals.split_brain.is_some())
        .then(|| a.volumes.iter().filter_map(|r| r.totals.split_brain).sum());
    out.push_str(&format!(
        "{} volume(s), {} entries pending heal, {}, {} stalled ({:.2} s)\n",
        a.volumes.len(),
        a.volumes.iter().map(|r| r.totals.entries).sum::<u64>(),
        split_brain_words(split_brain),
        stalled,
        a.seconds
    ));
    out
}
