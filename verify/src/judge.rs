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
//!
//! Per host shape (every rule above compares cells of the same host):
//! - a stall-fixed build with the delivery stage, without the shim,
//!   delivers on dual-stack and IPv6-only hosts as many events as on an
//!   IPv4-only one, at least k of them over IPv6;
//! - a stall-fixed build the kit knows lacks the delivery stage loses them
//!   there (fewer than on IPv4-only): the known defect, shown, not hidden;
//!   its branch-over-base rule holds on IPv4-only hosts only;
//! - a stall-fixed build whose delivery stage the kit cannot tell fails on
//!   those hosts, with what to do.
//!
//! Where the build's own glustereventsd is the listener (every rule above
//! compares it with cells of the same listener), it receives at least what
//! the kit's listener counted in the same build's cell, glfsheal's k events
//! among them, over IPv6 on dual-stack and IPv6-only hosts. One that could
//! not run says why, and fails only if it should have run.

use crate::cell::{Cell, Host, Key, Listener, Resolver, Role, Shim, Verdict, LOOKUP_STALL};
use crate::stages::Stages;

/// The stage of the series that ends the stall (`[[stage]] id` in
/// `patches/events.toml`): the rules above that say "fixed" read it.
pub const STALL: &str = "stall";
/// The stage that makes events arrive on dual-stack and IPv6-only hosts.
pub const DELIVERY: &str = "delivery";

/// Whether a build with `stages`, without the shim, must stall under the
/// black hole: the kit knows it lacks the stall stage.
pub fn stalls(stages: &Stages) -> bool {
    stages.has(STALL) == Some(false)
}

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

/// The first cell `pick` chooses at `key`, of those whose listener ran.
fn find(cells: &[Cell], pick: impl Fn(&Cell) -> bool, key: Key) -> Option<&Cell> {
    cells
        .iter()
        .find(|c| pick(c) && c.key() == key && c.listener_not_run.is_none())
}

fn verdict(cell: &Cell, all: &[Cell]) -> (bool, String) {
    let k = cell.subvolumes as f64;
    let Some(fixed) = cell.stages.has(STALL) else {
        return (
            false,
            format!(
                "cannot judge {}: whether it has the events.c fix is unknown (build it with cargo xtask build, or name it with --fixed/--unfixed)",
                cell.build
            ),
        );
    };
    if let Some(not_run) = &cell.listener_not_run {
        return if not_run.expected {
            (
                false,
                format!(
                    "{} should have listened here, and did not: {}",
                    cell.listener, not_run.why
                ),
            )
        } else {
            (
                true,
                format!(
                    "{} cannot run here ({}): the kit's listener stands in, in the {} cells",
                    cell.listener,
                    not_run.why,
                    Listener::Kit
                ),
            )
        };
    }
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
    // Where the stall series' getaddrinfo(NULL) answers ::1 first, only the
    // delivery stage gets the events out.
    let v6_host = cell.host != Host::Ipv4;
    let delivery_matters = fixed && v6_host;
    // A daemon's cell is held to the kit's cell of its own host instead
    // (`daemon_heard`), which passed this rule.
    if ok && delivery_matters && cell.listener == Listener::Kit {
        (ok, why) = delivered(cell, all, (ok, why));
    }
    let branch_delivers = !delivery_matters || cell.stages.has(DELIVERY) == Some(true);
    if ok && cell.role == Role::Branch && cell.shim == Shim::None && branch_delivers {
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
        // As many as the branch where the two differ only in glfsheal's
        // socket-path lookup. Where the host has IPv6, 3.x's own servers
        // send to the node's IPv6 address through inet_addr() and lose it,
        // which no shim of socket-path lookups can change: there the rule
        // is the k events above.
        let branch = find(all, |c| c.role == Role::Branch, key.with_shim(Shim::None))
            .filter(|_| cell.host == Host::Ipv4 || fixed);
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
    if ok && cell.listener == Listener::Glustereventsd {
        (ok, why) = daemon_heard(cell, all, (ok, why));
    }
    (ok, why)
}

/// The build's own glustereventsd against the kit's listener in the same
/// build's cell at the same host, resolver and shim.
///
/// The kit's cell counts ports 24009 and 55555 together; the daemon listens
/// on its configured 55555 only, and the kit's 24009 counter goes on
/// counting beside it (`events_24009`). So every datagram the kit counted
/// must be accounted for in the daemon's cell, in the daemon's log or on
/// 24009: daemon + 24009 >= kit. The port a build sends to is compiled in
/// (10.3: 55555, and nothing to 24009), so a datagram lost to the daemon
/// cannot hide behind one that went to the other port. Nothing the daemon
/// missed is made up by the kit's count.
fn daemon_heard(cell: &Cell, all: &[Cell], (ok, mut why): (bool, String)) -> (bool, String) {
    let k = cell.subvolumes as u64;
    let beside = cell.events_24009.unwrap_or(0);
    let Some(kit) = find(
        all,
        |c| c.build == cell.build,
        cell.key().with_listener(Listener::Kit),
    ) else {
        return (
            false,
            format!(
                "no cell of {} with the kit's listener at {} / {} / shim {} to compare glustereventsd with",
                cell.build, cell.host, cell.resolver, cell.shim
            ),
        );
    };
    let v6_host = cell.host != Host::Ipv4;
    // The daemon's cell runs only once `ss` shows it bound to [::1]
    // (upstream's SERVER_ADDRESSv6): on an IPv6-only host the servers send
    // to the node's own IPv6 address, which only the kit's [::] hears. There
    // the rule is glfsheal's k over IPv6, and the shortfall is named.
    let unheard = if cell.host == Host::Ipv6 {
        kit.events.saturating_sub(cell.events + beside)
    } else {
        0
    };
    if cell.events + beside + unheard < kit.events {
        return (
            false,
            format!(
                "glustereventsd logged {} events ({}/{} IPv4/IPv6, and the kit {beside} on 24009 beside it), the kit's listener {} ({}/{}) in the same cell: expected at least as many",
                cell.events, cell.events_v4, cell.events_v6, kit.events, kit.events_v4, kit.events_v6
            ),
        );
    }
    if cell.events < k || (v6_host && cell.events_v6 < k) {
        return (
            false,
            format!(
                "glustereventsd logged {} events ({} over IPv6): expected glfsheal's {k} among them{}",
                cell.events,
                cell.events_v6,
                if v6_host { ", over IPv6 on this host" } else { "" }
            ),
        );
    }
    why.push_str(&format!(
        "; glustereventsd logged {} events ({} IPv4, {} IPv6; {beside} on 24009 beside it), the kit's listener {}",
        cell.events, cell.events_v4, cell.events_v6, kit.events
    ));
    if unheard > 0 {
        why.push_str(&format!(
            "; {unheard} sent to the node's IPv6 address not heard: glustereventsd listens on [::1] only (upstream's SERVER_ADDRESSv6)"
        ));
    }
    (ok, why)
}

/// A stall-fixed build on a dual-stack or IPv6-only host: with the delivery
/// stage its events arrive as on an IPv4-only host (glfsheal's k over IPv6);
/// without it they are lost; unknown cannot be judged.
fn delivered(cell: &Cell, all: &[Cell], (ok, mut why): (bool, String)) -> (bool, String) {
    let on_ipv4 = find(
        all,
        |c| c.build == cell.build,
        cell.key().with_host(Host::Ipv4),
    );
    match cell.stages.has(DELIVERY) {
        None => (
            false,
            format!(
                "cannot judge events on a {} host: whether {} has the delivery stage is unknown (give --upstream a GlusterFS clone with the delivery stage's commits, or run --hosts ipv4)",
                cell.host, cell.build
            ),
        ),
        // The shim changes nothing for a build that never looks the socket
        // path up; the rule is the build's, so it holds in every shim cell.
        Some(true) => {
            let k = cell.subvolumes as u64;
            let Some(v4) = on_ipv4 else {
                return (ok, why);
            };
            if cell.events < v4.events || cell.events_v6 < k {
                (
                    false,
                    format!(
                        "the delivery stage delivered {} events here ({} over IPv6), {} on an IPv4-only host: expected as many, at least {k} over IPv6",
                        cell.events, cell.events_v6, v4.events
                    ),
                )
            } else {
                why.push_str(&format!(
                    "; {} events ({} over IPv6), as on IPv4-only",
                    cell.events, cell.events_v6
                ));
                (ok, why)
            }
        }
        Some(false) => {
            let Some(v4) = on_ipv4 else {
                return (ok, why);
            };
            if cell.events >= v4.events {
                (
                    false,
                    format!(
                        "{} lacks the delivery stage, yet delivered {} events here against {} on IPv4-only: the kit's word on the build is wrong",
                        cell.build, cell.events, v4.events
                    ),
                )
            } else {
                why.push_str(&format!(
                    "; events lost as expected without the delivery stage: {} here, {} on IPv4-only (port it: cargo xtask backport BRANCH --stage delivery)",
                    cell.events, v4.events
                ));
                (ok, why)
            }
        }
    }
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
