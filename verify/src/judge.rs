//! The verify verdicts: what each cell of the matrix must show, judged
//! strictly from what the kit knows about the build (its role, and whether
//! `backport --check` says it has the events.c fix), never from how the
//! cell happened to behave.
//!
//! - healthy DNS: heal-info exits 0.
//! - black hole, a fixed build or any shim: within 1.2x (+ slack) of the same
//!   build and shim under healthy DNS, no DNS query, exit 0.
//! - black hole, an unfixed build without the shim: it stalls about k x 2 s
//!   (at least half that: two lookups can overlap), with at least k DNS
//!   queries and "Going UP" gaps of about 2 s.
//! - the branch of an A/B delivers at least k more events than its base.
//! - loopback mode delivers what the fix delivers: k more events than the
//!   unfixed build without the shim, and as many as the branch.
//! - every disperse subvolume's "Going UP" line is in glfsheal's log.
//! - a build whose fix status is unknown cannot be judged, and fails.

use crate::cell::{Cell, Key, Resolver, Role, Shim, Verdict, LOOKUP_STALL};

/// Cells under a second differ by process start-up noise more than by 20%.
pub const SLACK: f64 = 0.5;

/// Fills in each cell's verdict. Returns whether all passed.
pub fn judge(cells: &mut [Cell]) -> bool {
    let snapshot = cells.to_vec();
    for cell in cells.iter_mut() {
        let (ok, why) = verdict(cell, &snapshot);
        cell.verdict = Some(if ok { Verdict::Pass } else { Verdict::Fail });
        cell.why = why;
    }
    cells.iter().all(Cell::passed)
}

/// The first cell `pick` chooses at `key`.
fn find(cells: &[Cell], pick: impl Fn(&Cell) -> bool, key: Key) -> Option<&Cell> {
    cells.iter().find(|c| pick(c) && c.key() == key)
}

fn verdict(cell: &Cell, all: &[Cell]) -> (bool, String) {
    let k = cell.subvolumes as f64;
    let Some(fixed) = cell.fixed else {
        return (
            false,
            format!(
                "cannot judge {}: whether it has the events.c fix is unknown (build it with cargo xtask build, or name it with --fixed/--unfixed)",
                cell.build
            ),
        );
    };
    let key = cell.key();
    let (mut ok, mut why) = if cell.resolver == Resolver::Healthy {
        (
            cell.exit == 0,
            format!("heal-info exit {} on healthy DNS", cell.exit),
        )
    } else if fixed || cell.shim != Shim::None {
        fast(cell, all)
    } else {
        stalled(cell)
    };
    if ok && cell.subvolumes_up != cell.subvolumes {
        ok = false;
        why = format!(
            "glfsheal's log shows {} of {} disperse subvolumes Going UP",
            cell.subvolumes_up, cell.subvolumes
        );
    }
    if ok && cell.role == Role::Branch && cell.shim == Shim::None {
        if let Some(base) = find(all, |c| c.role == Role::Base, key) {
            let need = base.events + cell.subvolumes as u64;
            if cell.events < need {
                ok = false;
                why = format!(
                    "the branch delivered {} events, its base {}: expected at least {need} (k more)",
                    cell.events, base.events
                );
            } else {
                why.push_str(&format!("; {} events, base {}", cell.events, base.events));
            }
        }
    }
    if ok && cell.shim == Shim::Loopback {
        let own_none = find(
            all,
            |c| c.build == cell.build,
            key.with_resolver(Resolver::Healthy).with_shim(Shim::None),
        );
        let mut expected = own_none.map_or(0, |n| n.events);
        if !fixed {
            expected += k as u64;
        }
        let branch = find(all, |c| c.role == Role::Branch, key.with_shim(Shim::None));
        if let Some(b) = branch {
            expected = expected.max(b.events);
        }
        if cell.events < expected {
            ok = false;
            why = format!(
                "loopback mode delivered {} events, expected at least {expected}{}",
                cell.events,
                if branch.is_some() {
                    " (as many as the fixed branch)"
                } else {
                    ""
                }
            );
        } else {
            why.push_str(&format!("; {} events delivered", cell.events));
        }
    }
    (ok, why)
}

/// A cell that must not wait on DNS.
fn fast(cell: &Cell, all: &[Cell]) -> (bool, String) {
    let healthy = find(
        all,
        |c| c.build == cell.build,
        cell.key().with_resolver(Resolver::Healthy),
    );
    let Some(h) = healthy else {
        return (
            false,
            format!(
                "no healthy-DNS cell for {} / shim {} to compare with",
                cell.build, cell.shim
            ),
        );
    };
    let limit = 1.2 * h.seconds + SLACK;
    let ok = cell.seconds <= limit && cell.dns_queries == 0 && cell.exit == 0;
    (
        ok,
        format!(
            "{:.2} s against a limit of {limit:.2} s (1.2x healthy + {SLACK} s), {} DNS queries, exit {}",
            cell.seconds, cell.dns_queries, cell.exit
        ),
    )
}

/// Lookups an unfixed glfsheal can have in flight at once. Measured on the
/// real 3.12.15 with 12 subvolumes: most gaps between "Going UP" lines are
/// one full lookup (2.0 s), but some pairs come about 1 s apart while
/// another lookup is still waiting, as two event threads would make them,
/// and the whole stall is 18-20 s rather than 24.
pub const OVERLAP: f64 = 2.0;

/// An unfixed build under the black hole: one lookup's full wait per
/// subvolume, visible as DNS queries and as the gaps between "Going UP".
/// With up to `OVERLAP` lookups at once, the stall is at least k x 2 s /
/// OVERLAP; no gap is longer than one lookup (plus noise), and at least half
/// of them are a full lookup.
fn stalled(cell: &Cell) -> (bool, String) {
    let k = cell.subvolumes as f64;
    let (lo, hi) = (
        0.8 * k * LOOKUP_STALL / OVERLAP,
        1.5 * k * LOOKUP_STALL + 2.0 * SLACK,
    );
    let in_time = cell.seconds >= lo && cell.seconds <= hi;
    let queried = cell.dns_queries as f64 >= k;
    let gaps = &cell.going_up_gaps;
    let full = gaps.iter().filter(|g| **g >= 0.8 * LOOKUP_STALL).count();
    let gaps_ok = gaps.len() + 1 >= cell.subvolumes
        && gaps.iter().all(|g| *g <= 1.5 * LOOKUP_STALL)
        && 2 * full >= gaps.len();
    let shown: Vec<String> = gaps.iter().map(|g| format!("{g:.2}")).collect();
    (
        in_time && queried && gaps_ok,
        format!(
            "stalled {:.2} s (expected {lo:.1}-{hi:.1} s: {} subvolumes x {LOOKUP_STALL} s, up to {OVERLAP} at once) with {} DNS queries (expected >= {}), Going UP gaps [{}] (expected {}, none over 1.5 x {LOOKUP_STALL} s, half of them a full lookup)",
            cell.seconds,
            cell.subvolumes,
            cell.dns_queries,
            cell.subvolumes,
            shown.join(" "),
            cell.subvolumes.saturating_sub(1)
        ),
    )
}
