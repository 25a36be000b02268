//! The Grafana dashboard shipped for heal-info serve
//! (heal-info/dist/gluster-heal-info-dashboard.json): it loads, its layout
//! and variables hold together, every query names only metrics that
//! `heal_info::metrics::encode` writes (and every such metric is shown),
//! and every query is valid PromQL by promtool's parser. No JSON schema of
//! Grafana dashboards is packaged for Debian, crates.io or PyPI as a file
//! to check against, so the structure is checked here.

use heal_info::metrics::{self, Exporter, VolumeState};
use heal_info::model::{self, Brick, Mode, Report};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tests::skip;

fn dashboard() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../heal-info/dist/gluster-heal-info-dashboard.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).expect("the dashboard is JSON")
}

/// Every sample name serve's /metrics can have: one exposition with each
/// family filled (a brick with every count, a last success, the exporter's
/// own gauges).
fn exported() -> BTreeSet<String> {
    let bricks = vec![Brick {
        name: "n1:/b".into(),
        host: "n1".into(),
        path: "/b".into(),
        status: "Connected".into(),
        connected: true,
        entries: Some(1),
        split_brain: Some(1),
        possibly_healing: Some(1),
        ..Default::default()
    }];
    let report = Report {
        volume: "v".into(),
        mode: Mode::Summary,
        summary_source: None,
        glfsheal: "glfsheal".into(),
        version: None,
        duration_seconds: 1.0,
        exit: 1,
        ok: true,
        totals: model::totals(&bricks),
        bricks,
        error: None,
        diagnosis: None,
    };
    let text = metrics::encode(
        "c",
        &[VolumeState {
            report: &report,
            last_success: Some(1.0),
        }],
        Some(Exporter {
            listed: Some(true),
            rounds: 1,
            exporting: true,
            peers_listed: Some(true),
        }),
    );
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap().to_string())
        .collect()
}

/// Metric-looking names in a PromQL expression: `gluster_...` identifiers.
fn names_in(expr: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut word = String::new();
    for c in expr.chars().chain([' ']) {
        if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            if word.starts_with("gluster_") {
                out.insert(word.clone());
            }
            word.clear();
        }
    }
    out
}

/// Each panel's (title, exprs), rows left out.
fn queries(d: &Value) -> Vec<(String, Vec<String>)> {
    d["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] != "row")
        .map(|p| {
            let exprs = p["targets"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .map(|t| t["expr"].as_str().unwrap_or("").to_string())
                        .collect()
                })
                .unwrap_or_default();
            (p["title"].as_str().unwrap_or("").to_string(), exprs)
        })
        .collect()
}

fn variable_queries(d: &Value) -> Vec<String> {
    d["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["definition"].as_str().map(String::from))
        .collect()
}

#[test]
fn every_query_names_an_exported_metric_and_every_metric_is_shown() {
    let d = dashboard();
    let exported = exported();
    assert!(
        exported.contains("gluster_volume_heal_count"),
        "{exported:?}"
    );
    assert!(
        exported.contains("gluster_heal_info_refreshes_total"),
        "{exported:?}"
    );
    let mut shown = BTreeSet::new();
    for (title, exprs) in queries(&d) {
        assert!(!exprs.is_empty(), "panel {title} has no query");
        for e in exprs {
            let names = names_in(&e);
            assert!(
                !names.is_empty(),
                "panel {title}: {e} names no gluster metric"
            );
            for n in names {
                assert!(
                    exported.contains(&n),
                    "panel {title}: {n} is not exported ({exported:?})"
                );
                shown.insert(n);
            }
        }
    }
    for q in variable_queries(&d) {
        for n in names_in(&q) {
            assert!(
                exported.contains(&n),
                "variable query {q}: {n} is not exported"
            );
        }
    }
    let missing: Vec<_> = exported.difference(&shown).collect();
    assert!(missing.is_empty(), "exported but on no panel: {missing:?}");
}

#[test]
fn the_layout_and_variables_hold_together() {
    let d = dashboard();
    assert!(d["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(d["uid"]
        .as_str()
        .is_some_and(|u| !u.is_empty() && u.len() <= 40));
    assert!(
        d["schemaVersion"].as_u64().is_some_and(|v| v >= 36),
        "{}",
        d["schemaVersion"]
    );
    let vars: BTreeSet<String> = d["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    assert!(vars.contains("datasource"));
    let panels = d["panels"].as_array().unwrap();
    let mut ids = BTreeSet::new();
    let mut cells = BTreeSet::new();
    for p in panels {
        let title = p["title"].as_str().unwrap_or("?");
        assert!(
            ids.insert(p["id"].as_u64().expect("an id")),
            "duplicate id at {title}"
        );
        let g = &p["gridPos"];
        let (x, y, w, h) = (
            g["x"].as_u64().unwrap(),
            g["y"].as_u64().unwrap(),
            g["w"].as_u64().unwrap(),
            g["h"].as_u64().unwrap(),
        );
        assert!(w > 0 && h > 0 && x + w <= 24, "{title}: {g}");
        // No two panels overlap on Grafana's 24-column grid.
        for cx in x..x + w {
            for cy in y..y + h {
                assert!(
                    cells.insert((cx, cy)),
                    "{title} overlaps another panel at {cx},{cy}"
                );
            }
        }
        if p["type"] == "row" {
            continue;
        }
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{title}");
        let targets = p["targets"].as_array().unwrap();
        let refs: BTreeSet<&str> = targets
            .iter()
            .map(|t| t["refId"].as_str().unwrap())
            .collect();
        assert_eq!(refs.len(), targets.len(), "{title}: refIds repeat");
        for t in targets {
            let e = t["expr"].as_str().unwrap();
            // Every $variable a query uses is declared (or Grafana's own).
            for part in e.split('$').skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    name.starts_with("__") || vars.contains(&name),
                    "{title}: ${name} undeclared"
                );
            }
        }
    }
}

/// The queries as Grafana sends them, variables given values.
fn substituted(e: &str) -> String {
    e.replace("$__rate_interval", "5m")
        .replace("$cluster_id", ".*")
        .replace("$volume", ".*")
}

#[test]
fn every_query_is_promql_that_promtool_parses() {
    let promtool = PathBuf::from("/usr/bin/promtool");
    if !promtool.exists() {
        return skip(
            "every_query_is_promql_that_promtool_parses",
            "promtool is not installed (the prometheus package; cargo xtask test installs it as root)",
        );
    }
    let d = dashboard();
    // Each query as a recording rule: `promtool check rules` parses each
    // expression with Prometheus's own parser.
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    let mut n = 0;
    for (_, exprs) in queries(&d) {
        for e in exprs {
            n += 1;
            rules.push_str(&format!(
                "      - record: dashboard:query{n}\n        expr: {}\n",
                serde_json::to_string(&substituted(&e)).unwrap()
            ));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dashboard-rules.yml");
    std::fs::write(&file, &rules).unwrap();
    let out = std::process::Command::new(&promtool)
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}\n{rules}");
    assert!(
        text.contains(&format!("SUCCESS: {n} rules found")),
        "{text}"
    );
    // And the check can fail: a broken query is refused.
    std::fs::write(&file, rules.replacen("sum(", "sum((", 1)).unwrap();
    let out = std::process::Command::new(&promtool)
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
}
