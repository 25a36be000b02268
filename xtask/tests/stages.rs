//! Stages are data: a series whose manifest has a third stage, which no
//! code of the kit names, gets each stage's status by id from the kit's own
//! `backport --check` (`ab::stages`), carried unchanged into verify's
//! targets and cells and their JSON, and judged by the rules the judge has
//! (none for the new stage: it neither breaks nor changes a verdict).

use std::path::{Path, PathBuf};
use verify::judge::{judge, STALL};
use verify::{Cell, Host, Listener, Resolver, Role, Shim, Stages};
use xtask::ab;
use xtask::dev::fixture;

/// The fixture's two fixes in stages of their own, and a third stage whose
/// one fix's upstream commit the upstream repository does not have.
fn three_stages(ex: &fixture::Example) -> String {
    let two = fixture::manifest(ex.fix1, ex.fix2);
    let (series, fixes) = two.split_once("[[fix]]").unwrap();
    let fixes = format!("[[fix]]{fixes}")
        .replacen(
            "id = \"unix-server\"\n",
            "id = \"unix-server\"\nstage = \"stall\"\n",
            1,
        )
        .replacen(
            "id = \"log-send\"\n",
            "id = \"log-send\"\nstage = \"delivery\"\n",
            1,
        );
    format!(
        r#"{series}
[[stage]]
id = "stall"
title = "the first"

[[stage]]
id = "delivery"
title = "the second"

[[stage]]
id = "hardening"
title = "a third no code names"

{fixes}
[[fix]]
id = "later"
stage = "hardening"
subject = "notify: a fix upstream has not got here"
change_id = "I3333333333333333333333333333333333333333"
bugs = ["bz#300"]
port = [{{ branch = "master", commit = "3333333333333333333333333333333333333333" }}]
"#
    )
}

fn cell(stages: Stages) -> Cell {
    Cell {
        build: "v1.2".into(),
        role: Role::Prefix,
        stages,
        host: Host::Ipv4,
        resolver: Resolver::Healthy,
        legacy_layer: true,
        shim: Shim::None,
        subvolumes: 3,
        seconds: 0.1,
        dns_queries: 0,
        events: 3,
        events_v4: 3,
        events_v6: 0,
        listener: Listener::Kit,
        events_24009: None,
        listener_not_run: None,
        subvolumes_up: 3,
        going_up_gaps: vec![],
        exit: 0,
        verdict: None,
        why: String::new(),
    }
}

fn rev(repo: &Path, branch: &str) -> ab::Rev {
    let git = backport::git::open(repo, "the fixture").unwrap();
    backport::git::rev::branch_or_tag(&git, branch)
        .unwrap()
        .expect("the fixture's branch")
}

/// The fixture with the three-stage manifest in `dir`, and the first stage
/// only ported onto its v1.2.
fn stall_stage_ported(dir: &Path) -> (fixture::Example, PathBuf, backport::Outcome) {
    let ex = fixture::build(dir, fixture::LEGACY, false).unwrap();
    let series = dir.join("three.toml");
    std::fs::write(&series, three_stages(&ex)).unwrap();
    let outcome = backport::run(&backport::Options {
        branch: "v1.2".into(),
        repo: ex.legacy.clone(),
        upstream: Some(ex.upstream.clone()),
        series: series.clone(),
        stages: vec!["stall".into()],
        ..Default::default()
    })
    .unwrap();
    (ex, series, outcome)
}

#[test]
fn a_third_stage_reaches_the_cells_by_id_with_no_code_for_it() {
    let d = tempfile::tempdir().unwrap();
    let (ex, series, outcome) = stall_stage_ported(d.path());
    assert_eq!(outcome.commits.len(), 1, "the stall stage's one fix");

    let known = ab::stages(
        &series,
        &ex.legacy,
        Some(&ex.upstream),
        &rev(&ex.legacy, "v1.2"),
    )
    .unwrap();
    assert_eq!(
        known.iter().collect::<Vec<_>>(),
        vec![
            ("delivery", Some(false)),
            ("hardening", None),
            ("stall", Some(true)),
        ],
        "each stage of the manifest by id: ported, not ported, and unknown (its commit is not upstream)"
    );
    assert_eq!(
        known.to_string(),
        "delivery no, hardening unknown, stall yes"
    );

    // Into a cell and its JSON, unchanged; the judge rules by the stall
    // stage it knows and passes the healthy cell.
    let mut cells = vec![cell(known.clone())];
    assert!(judge(&mut cells), "{}", cells[0].why);
    assert_eq!(cells[0].stages.has(STALL), Some(true));
    let json = serde_json::to_value(&cells[0]).unwrap();
    assert_eq!(
        json["stages"],
        serde_json::json!({"stall": true, "delivery": false, "hardening": null})
    );
    let back: Cell = serde_json::from_value(json).unwrap();
    assert_eq!(back.stages, known);
}

/// A stamp as `cargo xtask build` leaves it, for a build of `commit` of
/// `repo` at `prefix` (the stage record needs no installed files).
fn stamp_at(prefix: &Path, repo: &Path, commit: &str) {
    let report = verify::stamp::Report {
        rev: "v1.2".into(),
        commit: commit.into(),
        repo: repo.to_path_buf(),
        prefix: prefix.to_path_buf(),
        run_at: None,
        version: "1.2".into(),
        events: true,
        glfsheal: prefix.join("sbin/glfsheal"),
        compat: vec![],
        reused: false,
        seconds: Default::default(),
        tree: None,
        start: Default::default(),
        stages: None,
    };
    verify::stamp::write(prefix, &report).unwrap();
}

#[test]
fn a_stamp_answers_for_its_stages_after_the_repository_is_gone() {
    let d = tempfile::tempdir().unwrap();
    let (ex, series, _) = stall_stage_ported(d.path());
    let commit = rev(&ex.legacy, "v1.2").commit;
    let prefix = d.path().join("prefix");
    stamp_at(&prefix, &ex.legacy, &commit);

    let recorded = ab::record_stages(&series, &prefix, Some(&ex.upstream)).unwrap();
    let want = Stages::unknown()
        .with("stall", Some(true))
        .with("delivery", Some(false))
        .with("hardening", None);
    assert_eq!(recorded.stages, want);
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(verify::stamp::path(&prefix)).unwrap()).unwrap();
    assert_eq!(
        on_disk["stages"]["stages"],
        serde_json::json!({"stall": true, "delivery": false, "hardening": null}),
        "the stamp on disk carries each stage by id"
    );
    assert_eq!(
        on_disk["stages"]["series_sha256"].as_str().unwrap().len(),
        64,
        "and the manifest it was checked against"
    );

    // The repository the stamp names is gone: the stamp still answers,
    // unknown stage and all.
    let moved = d.path().join("legacy-moved");
    std::fs::rename(&ex.legacy, &moved).unwrap();
    assert_eq!(ab::stamp_stages(&series, &prefix, None).unwrap(), want);

    // A manifest changed since the build is not answered from the stamp:
    // with the repository gone the kit says it cannot tell...
    let changed = d.path().join("changed.toml");
    std::fs::write(
        &changed,
        format!("{}\n# a fix added later\n", three_stages(&ex)),
    )
    .unwrap();
    let e = format!(
        "{:#}",
        ab::stamp_stages(&changed, &prefix, None).unwrap_err()
    );
    assert!(e.contains("records no stages checked against"), "{e}");
    // ...and asks the repository again where it is.
    std::fs::rename(&moved, &ex.legacy).unwrap();
    assert_eq!(
        ab::stamp_stages(&changed, &prefix, Some(&ex.upstream)).unwrap(),
        want
    );
}

/// In the suite (`cargo xtask test`), the A/B's real 3.12.15 builds: the
/// base's stamp records the stall stage absent, the branch's present, and
/// each stamp answers with no repository to ask.
#[test]
fn the_suites_real_builds_record_their_stages_in_their_stamps() {
    let (Some(base), Some(branch)) = (
        std::env::var_os("GLUSTER_LEGACY_PREFIX"),
        std::env::var_os("GLUSTER_LEGACY_FIXED_PREFIX"),
    ) else {
        eprintln!("SKIPPED: GLUSTER_LEGACY_PREFIX and GLUSTER_LEGACY_FIXED_PREFIX name the suite's A/B builds");
        return;
    };
    let series = xtask::paths::series();
    let manifest = backport::manifest::load(&series).unwrap();
    for (prefix, stall) in [(base, false), (branch, true)] {
        let prefix = Path::new(&prefix);
        let mut report = verify::stamp::read(prefix).unwrap();
        let recorded = report.stages.clone().unwrap_or_else(|| {
            panic!("{} records no stages", prefix.display());
        });
        assert_eq!(
            recorded.stages.has(STALL),
            Some(stall),
            "{}",
            prefix.display()
        );
        for stage in &manifest.stages {
            assert!(
                recorded.stages.iter().any(|(id, _)| id == stage.id),
                "{} names no status for stage {}",
                prefix.display(),
                stage.id
            );
        }
        let d = tempfile::tempdir().unwrap();
        report.repo = d.path().join("no-such-repository");
        verify::stamp::write(d.path(), &report).unwrap();
        assert_eq!(
            ab::stamp_stages(&series, d.path(), None).unwrap(),
            recorded.stages
        );
    }
}
