//! The verify verdicts on synthetic cells: they must be able to fail, and
//! they judge by what the kit knows of each build, not by how it behaved.

use verify::judge::{judge, DELIVERY, STALL};
use verify::{Cell, Host, Listener, NotRun, Resolver, Role, Shim, Stages, Verdict};

fn resolver(name: &str) -> Resolver {
    *Resolver::ALL.iter().find(|r| r.name() == name).unwrap()
}

fn shim(name: &str) -> Shim {
    *Shim::ALL.iter().find(|s| s.name() == name).unwrap()
}

fn cell(build: &str, resolver_: &str, shim_: &str, seconds: f64, dns: u64, events: u64) -> Cell {
    let (role, fixed) = match build {
        "base" => (Role::Base, Some(false)),
        "branch" => (Role::Branch, Some(true)),
        "reference" => (Role::Reference, Some(true)),
        "probe" => (Role::Probe, Some(false)),
        _ => (Role::Prefix, None),
    };
    let stalled = resolver_ == "blackhole" && seconds > 1.0;
    Cell {
        build: build.into(),
        role,
        // The stall-fixed side of the measured A/B had both stages.
        stages: Stages::unknown().with(STALL, fixed).with(DELIVERY, fixed),
        host: Host::Ipv4,
        resolver: resolver(resolver_),
        legacy_layer: true,
        shim: shim(shim_),
        subvolumes: 3,
        seconds,
        dns_queries: dns,
        events,
        events_v4: events,
        events_v6: 0,
        listener: Listener::Kit,
        events_24009: None,
        listener_not_run: None,
        subvolumes_up: 3,
        going_up_gaps: if stalled { vec![2.0, 2.01] } else { vec![] },
        exit: 0,
        verdict: None,
        why: String::new(),
    }
}

/// The 3.12 A/B as measured on real builds (k = 3).
fn ab() -> Vec<Cell> {
    let mut cells = Vec::new();
    for shim in ["none", "fail", "loopback"] {
        let events = if shim == "loopback" { 21 } else { 18 };
        cells.push(cell("base", "healthy", shim, 0.12, 0, events));
        let (s, q) = if shim == "none" { (6.12, 6) } else { (0.09, 0) };
        cells.push(cell("base", "blackhole", shim, s, q, events));
        cells.push(cell("branch", "healthy", shim, 0.11, 0, 21));
        cells.push(cell("branch", "blackhole", shim, 0.09, 0, 21));
    }
    cells
}

fn failed(cells: &[Cell]) -> Vec<(String, String, String)> {
    cells
        .iter()
        .filter(|c| c.verdict == Some(Verdict::Fail))
        .map(|c| (c.build.clone(), c.resolver.to_string(), c.shim.to_string()))
        .collect()
}

fn at<'a>(cells: &'a mut [Cell], build: &str, resolver: &str, shim: &str) -> &'a mut Cell {
    cells
        .iter_mut()
        .find(|c| c.build == build && c.resolver.name() == resolver && c.shim.name() == shim)
        .unwrap()
}

#[test]
fn the_measured_3_12_ab_passes() {
    let mut cells = ab();
    assert!(judge(&mut cells), "{:#?}", failed(&cells));
}

#[test]
fn a_base_that_does_not_stall_fails() {
    let mut cells = ab();
    *at(&mut cells, "base", "blackhole", "none") = cell("base", "blackhole", "none", 0.1, 0, 18);
    assert!(!judge(&mut cells));
    assert_eq!(
        failed(&cells),
        vec![("base".into(), "blackhole".into(), "none".into())]
    );
}

#[test]
fn a_stall_without_going_up_gaps_of_two_seconds_fails() {
    let mut cells = ab();
    at(&mut cells, "base", "blackhole", "none").going_up_gaps = vec![0.01, 6.0];
    assert!(!judge(&mut cells));
    let c = at(&mut cells, "base", "blackhole", "none");
    assert!(c.why.contains("Going UP gaps"), "{}", c.why);
    // Subvolumes that all came up at once did not wait on DNS in between.
    let mut cells = ab();
    at(&mut cells, "base", "blackhole", "none").going_up_gaps = vec![0.01, 0.02];
    assert!(!judge(&mut cells));
}

#[test]
fn the_measured_12_subvolume_stall_with_overlapping_lookups_passes() {
    // The real unfixed 3.12.15, 12x(2+1), black hole: 20.17 s, 24 queries.
    let mut c = cell("base", "blackhole", "none", 20.17, 24, 72);
    c.subvolumes = 12;
    c.subvolumes_up = 12;
    c.going_up_gaps = vec![
        2.025, 2.006, 2.003, 2.004, 2.003, 0.931, 1.072, 0.93, 1.073, 2.003, 2.003,
    ];
    let mut h = cell("base", "healthy", "none", 0.16, 0, 72);
    h.subvolumes = 12;
    h.subvolumes_up = 12;
    let mut cells = vec![h, c];
    assert!(judge(&mut cells), "{:#?}", cells[1].why);
    // The same with a stall of a few seconds only: the lookups did not wait.
    cells[1].seconds = 4.0;
    assert!(!judge(&mut cells));
}

#[test]
fn a_branch_without_k_more_events_than_its_base_fails() {
    let mut cells = ab();
    at(&mut cells, "branch", "blackhole", "none").events = 19;
    assert!(!judge(&mut cells));
    let c = at(&mut cells, "branch", "blackhole", "none");
    assert!(c.why.contains("k more"), "{}", c.why);
}

#[test]
fn loopback_mode_that_loses_the_events_the_branch_delivers_fails() {
    // The shim answering ::1 first: 3.x's inet_addr() refuses it.
    let mut cells = ab();
    at(&mut cells, "base", "healthy", "loopback").events = 18;
    at(&mut cells, "base", "blackhole", "loopback").events = 18;
    assert!(!judge(&mut cells));
    assert_eq!(
        failed(&cells),
        vec![
            ("base".into(), "healthy".into(), "loopback".into()),
            ("base".into(), "blackhole".into(), "loopback".into())
        ]
    );
}

#[test]
fn a_fixed_branch_that_stalls_or_queries_fails() {
    let mut cells = ab();
    at(&mut cells, "branch", "blackhole", "none").seconds = 3.0;
    at(&mut cells, "branch", "blackhole", "fail").dns_queries = 1;
    assert!(!judge(&mut cells));
    assert_eq!(
        failed(&cells),
        vec![
            ("branch".into(), "blackhole".into(), "none".into()),
            ("branch".into(), "blackhole".into(), "fail".into())
        ]
    );
    assert!(at(&mut cells, "branch", "blackhole", "none")
        .why
        .contains("limit"));
}

#[test]
fn a_log_without_every_subvolume_going_up_fails() {
    let mut cells = ab();
    at(&mut cells, "branch", "healthy", "fail").subvolumes_up = 0;
    assert!(!judge(&mut cells));
    let c = at(&mut cells, "branch", "healthy", "fail");
    assert!(c.why.contains("0 of 3"), "{}", c.why);
}

#[test]
fn a_build_of_unknown_fix_status_is_not_judged_consistent() {
    let mut cells = vec![
        cell("mystery", "healthy", "none", 0.1, 0, 18),
        cell("mystery", "blackhole", "none", 6.1, 6, 18),
    ];
    assert!(!judge(&mut cells));
    assert!(
        cells[1].why.contains("--fixed/--unfixed"),
        "{}",
        cells[1].why
    );
}

/// The A/B on every host shape, as the real 3.12.15 builds deliver: the
/// base's glusterd sends to 127.0.0.1 whatever the host (18, or 21 with
/// the shim in loopback mode); the branch with both stages sends ::1 over
/// IPv6 where the host has IPv6.
fn ab_hosts() -> Vec<Cell> {
    let mut cells = Vec::new();
    for host in Host::ALL {
        for mut c in ab() {
            c.host = *host;
            if c.role == Role::Branch && *host != Host::Ipv4 {
                (c.events_v4, c.events_v6) = (0, c.events);
            }
            cells.push(c);
        }
    }
    cells
}

fn at_host<'a>(
    cells: &'a mut [Cell],
    build: &str,
    host: Host,
    resolver: &str,
    shim: &str,
) -> &'a mut Cell {
    cells
        .iter_mut()
        .find(|c| {
            c.build == build
                && c.host == host
                && c.resolver.name() == resolver
                && c.shim.name() == shim
        })
        .unwrap()
}

#[test]
fn the_measured_ab_passes_on_every_host_shape() {
    let mut cells = ab_hosts();
    assert!(judge(&mut cells), "{:#?}", failed(&cells));
    let c = at_host(&mut cells, "branch", Host::DualStack, "healthy", "none");
    assert!(c.why.contains("as on IPv4-only"), "{}", c.why);
}

#[test]
fn a_delivery_fixed_branch_that_loses_events_on_a_dual_stack_host_fails() {
    let mut cells = ab_hosts();
    // The stall series alone: ::1 over an AF_INET socket, every send lost.
    let c = at_host(&mut cells, "branch", Host::DualStack, "healthy", "none");
    (c.events, c.events_v4, c.events_v6) = (0, 0, 0);
    assert!(!judge(&mut cells));
    let c = at_host(&mut cells, "branch", Host::DualStack, "healthy", "none");
    assert!(c.why.contains("delivery stage delivered 0"), "{}", c.why);
    // Delivered, but not over IPv6: not what the fix does there.
    let mut cells = ab_hosts();
    let c = at_host(&mut cells, "branch", Host::Ipv6, "blackhole", "fail");
    (c.events_v4, c.events_v6) = (21, 0);
    assert!(!judge(&mut cells));
    assert_eq!(
        failed(&cells),
        vec![("branch".into(), "blackhole".into(), "fail".into())]
    );
}

#[test]
fn a_stall_only_branch_is_judged_to_lose_events_where_the_host_has_ipv6() {
    // The kit knows the branch lacks the delivery stage: its events are
    // lost on dual-stack and IPv6-only hosts, as the real build shows.
    let mut cells = ab_hosts();
    for c in cells.iter_mut().filter(|c| c.role == Role::Branch) {
        c.stages = c.stages.clone().with(DELIVERY, Some(false));
        if c.host != Host::Ipv4 {
            (c.events, c.events_v4, c.events_v6) = (0, 0, 0);
        }
    }
    assert!(judge(&mut cells), "{:#?}", failed(&cells));
    let c = at_host(&mut cells, "branch", Host::Ipv6, "healthy", "none");
    assert!(c.why.contains("lost as expected"), "{}", c.why);
    // Said to lack it, yet delivering as on IPv4: the kit's word is wrong.
    let c = at_host(&mut cells, "branch", Host::Ipv6, "healthy", "none");
    (c.events, c.events_v6) = (21, 21);
    assert!(!judge(&mut cells));
    let c = at_host(&mut cells, "branch", Host::Ipv6, "healthy", "none");
    assert!(c.why.contains("wrong"), "{}", c.why);
}

#[test]
fn a_stall_fixed_build_of_unknown_delivery_is_not_judged_where_the_host_has_ipv6() {
    let mut cells = ab_hosts();
    for c in cells.iter_mut().filter(|c| c.role == Role::Branch) {
        c.stages = c.stages.clone().with(DELIVERY, None);
    }
    assert!(!judge(&mut cells));
    // On IPv4-only hosts the delivery stage changes nothing: judged as before.
    assert!(cells
        .iter()
        .filter(|c| c.host == Host::Ipv4)
        .all(|c| c.verdict == Some(Verdict::Pass)));
    let c = at_host(&mut cells, "branch", Host::DualStack, "healthy", "none");
    assert!(c.why.contains("--hosts ipv4"), "{}", c.why);
}

#[test]
fn loopback_mode_delivers_on_an_ipv6_only_host_as_the_fixed_branch_does() {
    let mut cells = ab_hosts();
    at_host(&mut cells, "base", Host::Ipv6, "healthy", "loopback").events = 18;
    assert!(!judge(&mut cells));
    assert_eq!(
        failed(&cells),
        vec![("base".into(), "healthy".into(), "loopback".into())]
    );
}

/// The reference's healthy cells on every host shape, as measured on
/// Debian's 10.3 (k = 3): the kit's listener's cell, and the one whose
/// listener is 10.3's own glustereventsd on 55555 (nothing to 24009).
fn reference_with_daemon() -> Vec<Cell> {
    let mut cells = Vec::new();
    for host in Host::ALL {
        let mut kit = cell("reference", "healthy", "none", 0.04, 0, 21);
        kit.host = *host;
        if *host != Host::Ipv4 {
            (kit.events_v4, kit.events_v6) = (18, 3);
        }
        let mut daemon = kit.clone();
        daemon.listener = Listener::Glustereventsd;
        daemon.events_24009 = Some(0);
        cells.push(kit);
        cells.push(daemon);
    }
    cells
}

fn daemon_at(cells: &mut [Cell], host: Host) -> &mut Cell {
    cells
        .iter_mut()
        .find(|c| c.host == host && c.listener == Listener::Glustereventsd)
        .unwrap()
}

fn failed_listeners(cells: &[Cell]) -> Vec<(Host, Listener)> {
    cells
        .iter()
        .filter(|c| c.verdict == Some(Verdict::Fail))
        .map(|c| (c.host, c.listener))
        .collect()
}

#[test]
fn glustereventsd_hearing_what_the_kit_heard_passes_on_every_host_shape() {
    let mut cells = reference_with_daemon();
    assert!(judge(&mut cells), "{:#?}", failed_listeners(&cells));
    let c = daemon_at(&mut cells, Host::DualStack);
    assert!(c.why.contains("glustereventsd logged 21"), "{}", c.why);
}

#[test]
fn glustereventsd_hearing_fewer_events_than_the_kit_fails() {
    // Three datagrams the kit's listener took that the daemon never logged.
    let mut cells = reference_with_daemon();
    let c = daemon_at(&mut cells, Host::Ipv4);
    (c.events, c.events_v4) = (18, 18);
    assert!(!judge(&mut cells));
    assert_eq!(
        failed_listeners(&cells),
        vec![(Host::Ipv4, Listener::Glustereventsd)]
    );
    let c = daemon_at(&mut cells, Host::Ipv4);
    assert!(c.why.contains("at least as many"), "{}", c.why);
    // The daemon bound to 0.0.0.0 only, as before upstream's 0d79397fb1:
    // glfsheal's k over IPv6 never reach it on a dual-stack host.
    let mut cells = reference_with_daemon();
    let c = daemon_at(&mut cells, Host::DualStack);
    (c.events, c.events_v4, c.events_v6) = (18, 18, 0);
    assert!(!judge(&mut cells));
    assert_eq!(
        failed_listeners(&cells),
        vec![(Host::DualStack, Listener::Glustereventsd)]
    );
    // What went to 24009 in the daemon's cell is accounted for, not lost.
    let mut cells = reference_with_daemon();
    let c = daemon_at(&mut cells, Host::Ipv4);
    (c.events, c.events_v4, c.events_24009) = (18, 18, Some(3));
    assert!(judge(&mut cells), "{:#?}", failed_listeners(&cells));
}

#[test]
fn glustereventsd_without_glfsheals_events_over_ipv6_fails_where_the_host_has_ipv6() {
    // As many events as the kit's cell, but none over IPv6: not the fix.
    let mut cells = reference_with_daemon();
    let c = daemon_at(&mut cells, Host::Ipv6);
    (c.events_v4, c.events_v6) = (21, 0);
    assert!(!judge(&mut cells));
    let c = daemon_at(&mut cells, Host::Ipv6);
    assert!(c.why.contains("over IPv6"), "{}", c.why);
    // On an IPv4-only host, IPv4 is where they belong.
    let mut cells = reference_with_daemon();
    let c = daemon_at(&mut cells, Host::Ipv4);
    (c.events_v4, c.events_v6) = (21, 0);
    assert!(judge(&mut cells), "{:#?}", failed_listeners(&cells));
}

#[test]
fn glustereventsd_that_could_not_run_fails_only_where_it_should_have() {
    let not_run = |expected| NotRun {
        why: "/usr/sbin/glustereventsd is not installed".into(),
        expected,
    };
    let mut cells = reference_with_daemon();
    let c = daemon_at(&mut cells, Host::Ipv4);
    (c.events, c.events_v4, c.events_v6, c.events_24009) = (0, 0, 0, None);
    c.listener_not_run = Some(not_run(false));
    assert!(judge(&mut cells), "{:#?}", failed_listeners(&cells));
    let c = daemon_at(&mut cells, Host::Ipv4);
    assert!(c.why.contains("stands in"), "{}", c.why);
    // Installed, Python 3, and still not listening: a failure, said loudly.
    c.listener_not_run = Some(not_run(true));
    assert!(!judge(&mut cells));
    assert_eq!(
        failed_listeners(&cells),
        vec![(Host::Ipv4, Listener::Glustereventsd)]
    );
}

#[test]
fn glustereventsd_on_ipv6_only_hears_glfsheals_events_and_names_what_its_loopback_bind_misses() {
    // As measured on 10.3: the kit's [::] hears the servers' 18 sent to the
    // node's IPv6 address and glfsheal's 3 to ::1; the daemon, bound to
    // [::1], hears the 3.
    let mut cells = reference_with_daemon();
    for c in cells.iter_mut().filter(|c| c.host == Host::Ipv6) {
        (c.events_v4, c.events_v6) = (0, c.events);
    }
    let c = daemon_at(&mut cells, Host::Ipv6);
    (c.events, c.events_v4, c.events_v6) = (3, 0, 3);
    assert!(judge(&mut cells), "{:#?}", failed_listeners(&cells));
    let c = daemon_at(&mut cells, Host::Ipv6);
    assert!(
        c.why
            .contains("18 sent to the node's IPv6 address not heard"),
        "{}",
        c.why
    );
    // Not even glfsheal's: the daemon's side of the fix is missing.
    let c = daemon_at(&mut cells, Host::Ipv6);
    (c.events, c.events_v6) = (2, 2);
    assert!(!judge(&mut cells));
    // On a dual-stack host nothing goes unheard: fewer is a failure.
    let mut cells = reference_with_daemon();
    let c = daemon_at(&mut cells, Host::DualStack);
    (c.events, c.events_v4) = (3, 0);
    assert!(!judge(&mut cells));
}
