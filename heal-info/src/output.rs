//! Printing a report: an aligned table (comfy-table), JSON (the `Report`
//! schema), or Prometheus text exposition for node_exporter's textfile
//! collector, with gluster-prometheus's metric names and labels so existing
//! dashboards keep working.

use crate::model::Report;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};

pub fn table(r: &Report, summary: bool) -> String {
    let mut out = String::new();
    if !summary {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED);
        t.set_header(vec!["brick", "status", "entries", "split-brain"]);
        for b in &r.bricks {
            let n = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
            t.add_row(vec![
                b.name.clone(),
                b.status.clone(),
                n(b.entries),
                n(b.split_brain),
            ]);
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
        "volume {}: {}/{} bricks connected, {} entries pending heal, {} in split-brain ({:.2} s)\n",
        r.volume,
        r.totals.connected,
        r.totals.bricks,
        r.totals.entries,
        r.totals.split_brain,
        r.duration_seconds
    ));
    if let Some(e) = &r.error {
        out.push_str(&format!("error: {e}\n"));
    }
    if let Some(d) = &r.diagnosis {
        out.push_str(&d.to_text());
    }
    out
}

fn label(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

pub fn prometheus(r: &Report) -> String {
    let vol = label(&r.volume);
    let mut s = String::new();
    let mut metric = |name: &str, help: &str, rows: Vec<(String, f64)>| {
        s.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for (labels, v) in rows {
            s.push_str(&format!("{name}{{{labels}}} {v}\n"));
        }
    };
    let per_brick = |f: &dyn Fn(&crate::model::Brick) -> Option<f64>| -> Vec<(String, f64)> {
        r.bricks
            .iter()
            .filter_map(|b| {
                let v = f(b)?;
                Some((
                    format!(
                        "volume=\"{vol}\",brick_path=\"{}\",host=\"{}\"",
                        label(&b.path),
                        label(&b.host)
                    ),
                    v,
                ))
            })
            .collect()
    };
    metric(
        "gluster_volume_heal_count",
        "Number of entries pending heal on the brick",
        per_brick(&|b| b.entries.map(|v| v as f64)),
    );
    metric(
        "gluster_volume_split_brain_heal_count",
        "Number of entries in split-brain on the brick",
        per_brick(&|b| b.split_brain.map(|v| v as f64)),
    );
    metric(
        "gluster_heal_info_brick_connected",
        "1 if glfsheal could reach the brick",
        per_brick(&|b| Some(if b.connected { 1.0 } else { 0.0 })),
    );
    metric(
        "gluster_heal_info_duration_seconds",
        "How long heal info took",
        vec![(format!("volume=\"{vol}\""), r.duration_seconds)],
    );
    metric(
        "gluster_heal_info_success",
        "1 if glfsheal answered before the deadline with well-formed output",
        vec![(
            format!("volume=\"{vol}\""),
            if r.error.is_none() { 1.0 } else { 0.0 },
        )],
    );
    s
}
