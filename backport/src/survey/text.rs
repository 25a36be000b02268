//! The survey for people: one line per commit, then the totals (`--json`
//! prints the `Survey` itself).

use super::{Status, Survey};

/// The survey for people: one line per commit in RANGE order, then totals.
pub fn text(s: &Survey) -> String {
    let mut out = format!(
        "survey of {} onto {} ({} commits, {:.1} s)\n",
        s.range,
        s.branch,
        s.commits.len(),
        s.seconds
    );
    for e in &s.commits {
        out.push_str(&format!(
            "  {} {:<15} {}",
            &e.commit[..10],
            e.status.name(),
            e.subject
        ));
        if !e.how.is_empty() {
            out.push_str(&format!("\n      {}", e.how));
        }
        for n in &e.needs {
            out.push_str(&format!(
                "\n      needs {} ({}) {}",
                &n.commit[..10],
                n.status.name(),
                n.subject
            ));
        }
        for f in e
            .files
            .iter()
            .filter(|f| f.status != "clean" && f.status != "present")
        {
            out.push_str(&format!("\n      {} {}: {}", f.status, f.path, f.detail));
        }
        out.push('\n');
    }
    let totals: Vec<String> = Status::ALL
        .iter()
        .map(|st| format!("{} {}", s.totals[st.name()], st.name()))
        .collect();
    out.push_str(&format!("totals: {}\n", totals.join(", ")));
    if let Some(a) = &s.applied {
        out.push_str(&format!(
            "{} clean commit(s) added to {}\n",
            a.commits.len(),
            s.branch
        ));
        for (c, why) in &a.skipped {
            out.push_str(&format!("  skipped {}: {why}\n", &c[..10]));
        }
    }
    out
}
