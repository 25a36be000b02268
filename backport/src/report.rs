//! Printing what a backport did: a line per fix for people, `--json` for
//! machines, and with `--dry-run` the diff each commit would carry.

use super::plan::{FilePlan, Verdict};
use super::Outcome;
use serde_json::{json, Value};
use similar::TextDiff;

fn status(o: &Outcome, v: &Verdict) -> &'static str {
    match v {
        Verdict::Present { .. } => "present",
        Verdict::Missing { .. } => "missing",
        Verdict::Port { .. } if o.dry_run => "would_port",
        Verdict::Port { .. } => "ported",
    }
}

pub fn diff(files: &[FilePlan]) -> String {
    let mut out = String::new();
    for f in files {
        let before = f.before.as_deref().unwrap_or("");
        let after = f.after.as_deref().unwrap_or("");
        let (a, b) = (
            if f.before.is_some() {
                format!("a/{}", f.path)
            } else {
                "/dev/null".into()
            },
            if f.after.is_some() {
                format!("b/{}", f.path)
            } else {
                "/dev/null".into()
            },
        );
        out.push_str(
            &TextDiff::from_lines(before, after)
                .unified_diff()
                .header(&a, &b)
                .to_string(),
        );
    }
    out
}

pub fn text(o: &Outcome) -> String {
    let mode = if o.check {
        " (check)"
    } else if o.dry_run {
        " (dry run)"
    } else {
        ""
    };
    let mut out = format!("backport onto {} in {}{mode}\n", o.branch, o.repo.display());
    for p in &o.planned {
        let st = status(o, &p.verdict);
        let from = format!(
            "{}{}",
            super::upstream::short(p.upstream.id),
            p.port_branch
                .as_ref()
                .map(|b| format!(" ({b})"))
                .unwrap_or_default()
        );
        let mut line = format!("  {:<18} {:<10} {from}", p.id, st);
        match &p.verdict {
            Verdict::Present {
                via,
                how,
                since_changed,
            } => {
                line.push_str(&format!("  {how}"));
                if let Some(v) = via {
                    line.push_str(&format!(" (superseded by {v}, which is present)"));
                }
                if *since_changed {
                    line.push_str(" (present, since changed: the code no longer shows it)");
                }
            }
            Verdict::Port { files, .. } => {
                if let Some((_, id)) = o.commits.iter().find(|(i, _)| i == &p.id) {
                    line.push_str(&format!(" -> {}", &id.to_string()[..10]));
                }
                for f in files {
                    let hunks: Vec<String> = f
                        .hunks
                        .iter()
                        .map(|h| {
                            let scoped = if h.hunk.ends_with('*') {
                                " (context the branch lacks left out)"
                            } else {
                                ""
                            };
                            format!("#{}@{} {}{scoped}", h.hunk, h.target_line, how(h.how))
                        })
                        .collect();
                    let rendering = f
                        .rendering
                        .map(|r| format!(", {r:?}").to_lowercase())
                        .unwrap_or_default();
                    line.push_str(&format!(
                        "\n      {}: {}{rendering}",
                        f.path,
                        hunks.join(", ")
                    ));
                }
            }
            _ => {}
        }
        out.push_str(&line);
        out.push('\n');
        if o.dry_run {
            if let Verdict::Port { files, .. } = &p.verdict {
                out.push_str(&diff(files));
            }
        }
    }
    for stage in o.stages.iter().filter(|s| !s.fixes.is_empty()) {
        out.push_str(&format!(
            "stage {:<9} {}: {}\n",
            stage.id,
            if stage.complete() {
                "complete".to_string()
            } else {
                format!("missing {}", stage.missing.join(", "))
            },
            stage.title
        ));
    }
    if o.check {
        let missing: Vec<&str> = o
            .planned
            .iter()
            .filter(|p| !matches!(p.verdict, Verdict::Present { .. }))
            .map(|p| p.id.as_str())
            .collect();
        if missing.is_empty() {
            out.push_str("all fixes present\n");
        } else {
            out.push_str(&format!("missing: {}\n", missing.join(", ")));
        }
    } else if !o.dry_run {
        out.push_str(&format!(
            "{} commit(s) added to {}\n",
            o.commits.len(),
            o.branch
        ));
    }
    out
}

fn how(h: super::locate::How) -> String {
    match h {
        super::locate::How::Exact => "exact".into(),
        super::locate::How::WhitespaceOnly => "whitespace-only".into(),
        super::locate::How::Token(n) => format!("token match, {n} context line(s) dropped"),
    }
}

pub fn json(o: &Outcome) -> Value {
    let fixes: Vec<Value> = o
        .planned
        .iter()
        .map(|p| {
            let (files, superseded, present_how, since_changed) = match &p.verdict {
                Verdict::Port { files, .. } => (
                    files
                        .iter()
                        .map(|f| {
                            json!({
                                "path": f.path,
                                "rendering": f.rendering,
                                "hunks": f.hunks,
                                "skipped_cosmetic_hunks": f.skipped_cosmetic,
                                "failed_hunks": f.failed.iter().map(failure_json).collect::<Vec<_>>(),
                            })
                        })
                        .collect(),
                    None,
                    None,
                    false,
                ),
                Verdict::Present {
                    via,
                    how,
                    since_changed,
                } => (vec![], via.clone(), Some(how.to_string()), *since_changed),
                Verdict::Missing { .. } => (vec![], None, None, false),
            };
            let commit = o
                .commits
                .iter()
                .find(|(i, _)| i == &p.id)
                .map(|(_, c)| c.to_string());
            let mut v = json!({
                "id": p.id,
                "subject": p.subject,
                "status": status(o, &p.verdict),
                "superseded_by": superseded,
                "present_how": present_how,
                "since_changed": since_changed,
                "left_out": p.upstream.left_out,
                "upstream_commit": p.upstream.id.to_string(),
                "port_branch": p.port_branch,
                "change_id": p.change_id,
                "commit": commit,
                "files": files,
            });
            if let (true, Verdict::Port { files, .. }) = (o.dry_run, &p.verdict) {
                v["diff"] = json!(diff(files));
            }
            if let Verdict::Missing { state } = &p.verdict {
                v["state"] = json!(state);
            }
            v
        })
        .collect();
    json!({
        "branch": o.branch,
        "repo": o.repo,
        "mode": if o.check { "check" } else if o.dry_run { "dry_run" } else { "apply" },
        "ok": !o.check || o.all_present(),
        "stages": o.stages.iter().map(|s| json!({
            "id": s.id,
            "title": s.title,
            "complete": s.complete(),
            "fixes": s.fixes,
            "missing": s.missing,
        })).collect::<Vec<_>>(),
        "fixes": fixes,
        "commits_added": o.commits.len(),
        "wip_branch": o.wip_branch,
    })
}

fn failure_json(f: &super::port::Failure) -> Value {
    use super::port::Failure;
    match f {
        Failure::Missing {
            hunk,
            headline,
            candidates,
            ..
        } => json!({
            "hunk": hunk, "headline": headline, "why": "no_anchor", "message": f.to_string(),
            "candidates": candidates,
        }),
        Failure::Ambiguous {
            hunk,
            headline,
            lines,
            ..
        } => json!({
            "hunk": hunk, "headline": headline, "why": "ambiguous", "message": f.to_string(),
            "candidates": lines.iter().map(|l| json!({"line": l, "similarity": 1.0})).collect::<Vec<_>>(),
        }),
        other => json!({"why": "other", "message": other.to_string()}),
    }
}
