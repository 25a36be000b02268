//! The verify verdicts on synthetic cells: they must be able to fail.

use tests::verify::{judge, Cell};

fn cell(build: &str, resolver: &str, shim: &str, seconds: f64, dns: u64, events: u64) -> Cell {
    Cell {
        build: build.into(),
        resolver: resolver.into(),
        legacy_layer: true,
        shim: shim.into(),
        subvolumes: 3,
        seconds,
        dns_queries: dns,
        events,
        going_up_gaps: vec![],
        exit: 0,
        verdict: String::new(),
        why: String::new(),
    }
}

fn fixed(b: &str) -> Option<bool> {
    match b {
        "fixed" => Some(true),
        "unfixed" => Some(false),
        _ => None,
    }
}

#[test]
fn consistent_matrix_passes() {
    let mut cells = vec![
        cell("unfixed", "healthy", "none", 0.01, 0, 0),
        cell("unfixed", "healthy", "loopback", 0.01, 0, 3),
        cell("unfixed", "blackhole", "none", 6.0, 6, 0),
        cell("unfixed", "blackhole", "loopback", 0.01, 0, 3),
        cell("fixed", "healthy", "none", 0.04, 0, 21),
        cell("fixed", "blackhole", "none", 0.05, 0, 21),
    ];
    assert!(judge(&mut cells, &fixed), "{cells:#?}");
}

#[test]
fn each_broken_promise_fails_its_cell() {
    let mut cells = vec![
        cell("unfixed", "healthy", "none", 0.01, 0, 0),
        cell("unfixed", "healthy", "fail", 0.01, 0, 0),
        cell("unfixed", "healthy", "loopback", 0.01, 0, 3),
        // The shim let a query through.
        cell("unfixed", "blackhole", "fail", 0.01, 1, 0),
        // The unfixed build did not stall: the black hole is not working.
        cell("unfixed", "blackhole", "none", 0.02, 0, 0),
        // Loopback mode lost the events.
        cell("unfixed", "blackhole", "loopback", 0.01, 0, 0),
        cell("fixed", "healthy", "none", 0.04, 0, 21),
        // A fixed build that stalls.
        cell("fixed", "blackhole", "none", 3.0, 0, 21),
    ];
    assert!(!judge(&mut cells, &fixed));
    let failed: Vec<(&str, &str, &str)> = cells
        .iter()
        .filter(|c| c.verdict == "fail")
        .map(|c| (c.build.as_str(), c.resolver.as_str(), c.shim.as_str()))
        .collect();
    assert_eq!(
        failed,
        vec![
            ("unfixed", "blackhole", "fail"),
            ("unfixed", "blackhole", "none"),
            ("unfixed", "blackhole", "loopback"),
            ("fixed", "blackhole", "none")
        ]
    );
    assert!(cells[7].why.contains("limit"), "{}", cells[7].why);
}
