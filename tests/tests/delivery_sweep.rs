//! The whole series (the stall stage, then the delivery stage) over every
//! release tag v3.10.0 to v7.9, as `real_history` sweeps the stall series.
//! Opt-in, since it needs a full clone of upstream GlusterFS:
//! `GLUSTER_REPO=/path/to/glusterfs PYTHON2=/path/to/python2.7 cargo test -p tests --test delivery_sweep -- --ignored --nocapture`
//!
//! Per tag, in a scratch repository borrowing the clone's objects (the clone
//! is never written to):
//! - `--stage stall`, then `--stage delivery` on the same branch, and the
//!   whole series on a second branch at the tag: each fix ported or present,
//!   or the stage refused with the engine's reason;
//! - the whole series gives the same tree as the two stages one by one;
//! - a second run changes nothing, and `--check` exits 0 (4 where the
//!   delivery stage was refused: the stall is fixed, events still lost);
//! - the stall stage is what `real_history` recorded: ported everywhere,
//!   byte-identical to v6.8 / v7.4 on release-6 / release-7;
//! - the ported `_gf_event` against v8.2's (release-8 has the delivery C
//!   fixes), `init_event_server` against v9.4's (fd905fbd28 is on release-9);
//! - the ported Python compiles with the interpreters the tag's own file
//!   compiles with (Python 3's `ast`; Python 2 when `PYTHON2` or `python2`
//!   runs one).
//!
//! Not through the git room (`backport::git`): a test reads and builds its
//! repositories with git2 and the git binary of its own, so that what it
//! checks does not rest on the code it checks.

use backport::{self, manifest, plan::Verdict, port};
use std::path::{Path, PathBuf};
use std::process::Command;
use xtask::dev::history;

const EVENTS_C: &str = "libglusterfs/src/events.c";
const EVENTSD: &str = "events/src/glustereventsd.py";
const CONF: &str = "events/src/eventsapiconf.py.in";
const PY_FILES: [&str; 2] = [EVENTSD, CONF];

/// How one stage went on one tag.
#[derive(Debug, Clone)]
enum Stage {
    /// Each fix of the stage and what the run did with it.
    Done(Vec<(String, &'static str)>),
    Refused(String),
}

impl Stage {
    fn short(&self) -> String {
        match self {
            Stage::Done(fixes) => {
                let ported = fixes.iter().filter(|f| f.1 == "ported").count();
                let present = fixes.len() - ported;
                match (ported, present) {
                    (p, 0) => format!("ported {p}"),
                    (0, q) => format!("present {q}"),
                    (p, q) => format!("ported {p}, present {q}"),
                }
            }
            Stage::Refused(_) => "REFUSED".into(),
        }
    }
}

#[derive(Debug)]
struct Row {
    tag: String,
    stall: Stage,
    delivery: Stage,
    /// The whole series in one run: Ok, or its error.
    series: Result<(), String>,
    /// The whole series' tree equals the two stages' tree.
    series_same_as_staged: Option<bool>,
    stall_token_exact: bool,
    /// Against v6.8 / v7.4 (the stall series upstream), where the tag is on
    /// release-6 / release-7.
    stall_byte_equal_ref: Option<bool>,
    idempotent: bool,
    check_codes: Vec<(&'static str, u8)>,
    check_expected: bool,
    /// `_gf_event` vs v8.2's: token-equal, or the token differences.
    gf_event: Option<Result<(), String>>,
    /// `init_event_server` vs v9.4's: line-equal, token-equal, or the
    /// differences.
    eventsd: Option<Result<&'static str, String>>,
    /// Per ported Python file: which interpreters compiled it; failures.
    python: Vec<String>,
    python_failures: Vec<String>,
}

fn file_at(repo: &git2::Repository, rev: &str, path: &str) -> Option<String> {
    let tree = repo
        .revparse_single(rev)
        .ok()?
        .peel_to_commit()
        .ok()?
        .tree()
        .ok()?;
    let blob = tree
        .get_path(Path::new(path))
        .ok()?
        .to_object(repo)
        .ok()?
        .peel_to_blob()
        .ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

/// The C function `name`: from the line that starts with `name(` or
/// `name (` to the first `}` in column 0.
fn c_function(text: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| {
        l.strip_prefix(name)
            .is_some_and(|r| r.starts_with('(') || r.starts_with(" ("))
    })?;
    let end = start + lines[start..].iter().position(|l| l.starts_with('}'))?;
    Some(lines[start..=end].join("\n"))
}

/// The Python function `name`: its `def` line and every line after it up to
/// the next line in column 0 that is not blank or a comment.
fn py_function(text: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with(&format!("def {name}(")))?;
    let len = lines[start + 1..]
        .iter()
        .position(|l| !l.is_empty() && !l.starts_with([' ', '\t', '#']))
        .unwrap_or(lines.len() - start - 1);
    let body: Vec<&str> = lines[start..=start + len]
        .iter()
        .map(|l| l.trim_end())
        .collect();
    Some(body.join("\n").trim_end().to_string())
}

fn describe_edits(ours: &str, theirs: &str) -> String {
    let (del, ins) = port::token_edits(ours, theirs);
    format!(
        "{} token(s) only in the port [{}], {} only upstream [{}]",
        del.len(),
        del.join(" "),
        ins.len(),
        ins.join(" ")
    )
}

/// A Python 2 interpreter, if one runs: `PYTHON2`, else `python2`, `python2.7`.
fn python2() -> Option<String> {
    let candidates = std::env::var("PYTHON2")
        .ok()
        .into_iter()
        .chain(["python2".to_string(), "python2.7".to_string()]);
    for c in candidates {
        let ok = Command::new(&c)
            .args(["-c", "import sys; sys.exit(sys.version_info[0] != 2)"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(c);
        }
    }
    None
}

/// Whether `text` compiles with `interpreter` (`compile()`, nothing run).
fn compiles(interpreter: &str, text: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.py");
    // A `.py.in` template: configure replaces each `@NAME@`, some outside
    // quotes (`EVENTS_ENABLED = @EVENTS_ENABLED@`).
    let mut t = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let after = &rest[at + 1..];
        let len = after
            .find(|c: char| c != '_' && !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        t.push_str(&rest[..at]);
        if len > 0 && after[len..].starts_with('@') {
            t.push('1');
            rest = &after[len + 1..];
        } else {
            t.push('@');
            rest = after;
        }
    }
    t.push_str(rest);
    std::fs::write(&f, t).unwrap();
    Command::new(interpreter)
        .arg("-c")
        .arg("import sys, ast; ast.parse(open(sys.argv[1]).read(), sys.argv[1])")
        .arg(&f)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(
    scratch: &git2::Repository,
    upstream: &Path,
    series: &Path,
    branch: &str,
    stages: &[&str],
    check: bool,
) -> anyhow::Result<backport::Outcome> {
    backport::run(&backport::Options {
        branch: branch.into(),
        repo: scratch.path().to_path_buf(),
        upstream: Some(upstream.to_path_buf()),
        series: series.to_path_buf(),
        stages: stages.iter().map(|s| s.to_string()).collect(),
        check,
        ..Default::default()
    })
}

fn stage_of(o: &anyhow::Result<backport::Outcome>) -> Stage {
    match o {
        Ok(o) => Stage::Done(
            o.planned
                .iter()
                .map(|p| {
                    let what = match p.verdict {
                        Verdict::Port { .. } => "ported",
                        Verdict::Present { .. } => "present",
                        Verdict::Missing { .. } => "missing",
                    };
                    (p.id.clone(), what)
                })
                .collect(),
        ),
        Err(e) => Stage::Refused(format!("{e:#}")),
    }
}

/// Every ported fix made upstream's token edits, no more, no less.
fn token_exact(o: &backport::Outcome) -> bool {
    o.planned.iter().all(|p| match &p.verdict {
        Verdict::Port { files, .. } => files.iter().all(|f| {
            p.upstream
                .changes
                .iter()
                .find(|c| c.new_path.as_deref() == Some(&f.path))
                .is_some_and(|ch| {
                    port::token_edits(
                        f.before.as_deref().unwrap_or(""),
                        f.after.as_deref().unwrap_or(""),
                    ) == port::token_edits(&ch.old, &ch.new)
                })
        }),
        _ => true,
    })
}

/// A refusal names the fix it refuses and says why, beyond the fix's name.
fn reasoned(m: &manifest::Manifest, stage: &str, msg: &str) -> bool {
    m.fixes
        .iter()
        .filter(|f| m.stage_of(f).is_some_and(|s| s.id == stage))
        .any(|f| {
            msg.strip_prefix(&f.id)
                .is_some_and(|rest| rest.trim_start_matches([' ', ':', '(']).len() > 20)
        })
}

fn sweep_tag(
    up: &git2::Repository,
    upstream: &Path,
    scratch: &git2::Repository,
    series: &Path,
    py2: Option<&str>,
    tag: &str,
) -> Row {
    let tip = up
        .revparse_single(tag)
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id();
    let staged = format!("ds/{tag}/staged");
    let whole = format!("ds/{tag}/series");
    for b in [&staged, &whole] {
        scratch
            .reference(&format!("refs/heads/{b}"), tip, true, "sweep")
            .unwrap();
    }
    let stall_run = run(scratch, upstream, series, &staged, &["stall"], false);
    let stall_token_exact = stall_run.as_ref().is_ok_and(token_exact);
    let stall = stage_of(&stall_run);
    let reference = if tag.starts_with("v6.") {
        Some("v6.8")
    } else if tag.starts_with("v7.") {
        Some("v7.4")
    } else {
        None
    };
    let stall_byte_equal_ref = reference
        .map(|r| file_at(scratch, &staged, EVENTS_C).unwrap() == file_at(up, r, EVENTS_C).unwrap());
    let delivery = stage_of(&run(
        scratch,
        upstream,
        series,
        &staged,
        &["delivery"],
        false,
    ));
    let series_res = run(scratch, upstream, series, &whole, &[], false)
        .map(|_| ())
        .map_err(|e| format!("{e:#}"));
    let tree = |b: &str| {
        scratch
            .revparse_single(b)
            .unwrap()
            .peel_to_commit()
            .unwrap()
            .tree_id()
    };
    let series_same_as_staged = series_res.is_ok().then(|| tree(&staged) == tree(&whole));

    // A second run of what went in changes nothing; --check agrees.
    let delivered = matches!(delivery, Stage::Done(_));
    let again: Vec<&[&str]> = if delivered {
        vec![&[], &["stall"], &["delivery"]]
    } else {
        vec![&["stall"]]
    };
    let before_again = scratch
        .refname_to_id(&format!("refs/heads/{staged}"))
        .unwrap();
    let idempotent = again.iter().all(|stages| {
        run(scratch, upstream, series, &staged, stages, false).is_ok_and(|o| o.commits.is_empty())
    }) && scratch
        .refname_to_id(&format!("refs/heads/{staged}"))
        .unwrap()
        == before_again;
    let mut check_codes = Vec::new();
    for (name, stages) in [
        ("all", &[][..]),
        ("stall", &["stall"][..]),
        ("delivery", &["delivery"][..]),
    ] {
        let code = match run(scratch, upstream, series, &staged, stages, true) {
            Ok(o) => o.check_exit_code(),
            Err(_) => 255,
        };
        check_codes.push((name, code));
    }
    let code = |n: &str| check_codes.iter().find(|c| c.0 == n).unwrap().1;
    let check_expected = if delivered {
        code("all") == 0 && code("stall") == 0 && code("delivery") == 0
    } else {
        code("all") == backport::CHECK_MISSING_LATER_STAGE && code("stall") == 0
    };

    let gf_event = delivered.then(|| {
        let ours = c_function(&file_at(scratch, &staged, EVENTS_C).unwrap(), "_gf_event").unwrap();
        let theirs = c_function(&file_at(up, "v8.2", EVENTS_C).unwrap(), "_gf_event").unwrap();
        if port::token_equal(&ours, &theirs) {
            Ok(())
        } else {
            Err(describe_edits(&ours, &theirs))
        }
    });
    let eventsd = delivered.then(|| {
        let ours = py_function(
            &file_at(scratch, &staged, EVENTSD).unwrap(),
            "init_event_server",
        )
        .unwrap();
        let theirs =
            py_function(&file_at(up, "v9.4", EVENTSD).unwrap(), "init_event_server").unwrap();
        if ours == theirs {
            Ok("line-equal")
        } else if port::token_equal(&ours, &theirs) {
            Ok("token-equal")
        } else {
            Err(describe_edits(&ours, &theirs))
        }
    });

    // The ported Python compiles wherever the tag's own file did.
    let mut python = Vec::new();
    let mut python_failures = Vec::new();
    let interpreters: Vec<(&str, &str)> = std::iter::once(("py3", "python3"))
        .chain(py2.map(|p| ("py2", p)))
        .collect();
    for path in PY_FILES {
        let (Some(before), Some(after)) = (file_at(up, tag, path), file_at(scratch, &staged, path))
        else {
            continue;
        };
        let mut ok = Vec::new();
        for (name, interp) in &interpreters {
            if compiles(interp, &before) {
                if compiles(interp, &after) {
                    ok.push(*name);
                } else {
                    python_failures.push(format!("{path} no longer compiles with {name}"));
                }
            }
        }
        let short = path.rsplit('/').next().unwrap();
        python.push(format!(
            "{short}: {}",
            if ok.is_empty() {
                "-".into()
            } else {
                ok.join("+")
            }
        ));
    }

    Row {
        tag: tag.to_string(),
        stall,
        delivery,
        series: series_res,
        series_same_as_staged,
        stall_token_exact,
        stall_byte_equal_ref,
        idempotent,
        check_codes,
        check_expected,
        gf_event,
        eventsd,
        python,
        python_failures,
    }
}

#[test]
#[ignore = "needs GLUSTER_REPO pointing at a full GlusterFS clone"]
fn the_delivery_stage_on_every_release_tag_from_3_10_to_7_9() {
    let Some(upstream) = std::env::var_os("GLUSTER_REPO").map(PathBuf::from) else {
        tests::skip(
            "the_delivery_stage_on_every_release_tag",
            "GLUSTER_REPO is not set; it must point at a full GlusterFS clone",
        );
        return;
    };
    let series = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../patches/events.toml");
    let m = manifest::load(&series).unwrap();
    let up = git2::Repository::open(&upstream).expect("GLUSTER_REPO is a git repository");
    let mut tags = history::release_tags(&up, (3, 10, 0), (7, 9, 0)).unwrap();
    let full = tags.clone();
    if let Ok(only) = std::env::var("SWEEP_TAGS") {
        let only: Vec<&str> = only.split(',').collect();
        tags.retain(|t| only.contains(&t.as_str()));
    } else {
        assert!(
            tags.len() >= 85,
            "expected the full release history, found {} tags",
            tags.len()
        );
    }
    let all_named = up.tag_names(None).unwrap();
    let skipped = all_named
        .iter()
        .flatten()
        .filter(|t| {
            let v = t.trim_start_matches('v');
            let lines = ["3.10", "3.11", "3.12", "3.13", "4.", "5.", "6.", "7."];
            lines.iter().any(|l| v.starts_with(l)) && !full.iter().any(|x| x == t)
        })
        .count();
    let py2 = python2();
    let dir = tempfile::tempdir().unwrap();
    let scratch = history::scratch_repo(&upstream, dir.path()).unwrap();

    let rows: Vec<Row> = tags
        .iter()
        .map(|t| {
            let r = sweep_tag(&up, &upstream, &scratch, &series, py2.as_deref(), t);
            eprintln!(
                "{t}: stall {}, delivery {}",
                r.stall.short(),
                r.delivery.short()
            );
            r
        })
        .collect();

    println!(
        "\n{:<9} {:<19} {:<20} {:<6} {:<6} {:<10} {:<12} {:<24} {:<9} python",
        "tag",
        "stall",
        "delivery",
        "series",
        "idem",
        "check",
        "stall=ref",
        "_gf_event vs v8.2",
        "eventsd"
    );
    for r in &rows {
        let codes: Vec<String> = r.check_codes.iter().map(|c| c.1.to_string()).collect();
        let gf = match &r.gf_event {
            None => "-".to_string(),
            Some(Ok(())) => "token-equal".into(),
            Some(Err(e)) => format!("differs ({} tok)", e.split(' ').next().unwrap_or("?")),
        };
        let ev = match &r.eventsd {
            None => "-".to_string(),
            Some(Ok(s)) => s.to_string(),
            Some(Err(_)) => "differs".into(),
        };
        println!(
            "{:<9} {:<19} {:<20} {:<6} {:<6} {:<10} {:<12} {:<24} {:<9} {}",
            r.tag,
            r.stall.short(),
            r.delivery.short(),
            if r.series.is_ok() { "ok" } else { "error" },
            if r.idempotent { "yes" } else { "NO" },
            codes.join("/"),
            match r.stall_byte_equal_ref {
                None => "-",
                Some(true) => "byte-equal",
                Some(false) => "DIFFERS",
            },
            gf,
            ev,
            r.python.join(", ")
        );
    }
    println!("\n(check = --check exit codes: whole series / --stage stall / --stage delivery)");
    // Each distinct refusal and difference once, with the tags it is on.
    let mut notes: Vec<(String, Vec<String>)> = Vec::new();
    let mut note = |what: String, tag: &str| match notes.iter_mut().find(|n| n.0 == what) {
        Some(n) => n.1.push(tag.to_string()),
        None => notes.push((what, vec![tag.to_string()])),
    };
    for r in &rows {
        for (name, s) in [("stall", &r.stall), ("delivery", &r.delivery)] {
            if let Stage::Refused(e) = s {
                note(format!("{name} refused: {e}"), &r.tag);
            }
        }
        if let Some(Err(e)) = &r.gf_event {
            note(format!("_gf_event vs v8.2: {e}"), &r.tag);
        }
        if let Some(Err(e)) = &r.eventsd {
            note(format!("init_event_server vs v9.4: {e}"), &r.tag);
        }
        for f in &r.python_failures {
            note(f.clone(), &r.tag);
        }
    }
    for (what, on) in &notes {
        println!("\n{} tag(s) [{}]:\n  {what}", on.len(), on.join(" "));
    }
    let count = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    println!(
        "\n{} release tags v3.10.0..v7.9 ({skipped} rc/alpha/beta/dev/packaging tags of those lines skipped); python2: {}",
        rows.len(),
        py2.as_deref().unwrap_or("not found (Python 3 ast only)")
    );
    println!(
        "stall: ported on {}, present on {}, refused on {}; byte-equal to v6.8/v7.4 on {} of {}",
        count(&|r| matches!(&r.stall, Stage::Done(f) if f.iter().any(|x| x.1 == "ported"))),
        count(&|r| matches!(&r.stall, Stage::Done(f) if f.iter().all(|x| x.1 == "present"))),
        count(&|r| matches!(r.stall, Stage::Refused(_))),
        count(&|r| r.stall_byte_equal_ref == Some(true)),
        count(&|r| r.stall_byte_equal_ref.is_some()),
    );
    println!(
        "delivery: ported on {}, present on {}, refused on {}; whole series in one run on {}; idempotent on {}; --check as expected on {}",
        count(&|r| matches!(&r.delivery, Stage::Done(f) if f.iter().any(|x| x.1 == "ported"))),
        count(&|r| matches!(&r.delivery, Stage::Done(f) if f.iter().all(|x| x.1 == "present"))),
        count(&|r| matches!(r.delivery, Stage::Refused(_))),
        count(&|r| r.series.is_ok()),
        count(&|r| r.idempotent),
        count(&|r| r.check_expected),
    );
    println!(
        "_gf_event token-equal to v8.2's on {} of {}; init_event_server equal to v9.4's on {} of {}",
        count(&|r| matches!(r.gf_event, Some(Ok(())))),
        count(&|r| r.gf_event.is_some()),
        count(&|r| matches!(r.eventsd, Some(Ok(_)))),
        count(&|r| r.eventsd.is_some()),
    );

    // What must hold.
    let mut wrong = Vec::new();
    for r in &rows {
        let mut why = Vec::new();
        // The stall stage as real_history recorded it: ported everywhere.
        if !matches!(r.stall, Stage::Done(_)) {
            why.push(format!("the stall stage failed: {:?}", r.stall));
        }
        if !r.stall_token_exact {
            why.push("the stall stage is not token-exact".into());
        }
        if r.stall_byte_equal_ref == Some(false) {
            why.push("the stall stage is no longer byte-equal to v6.8 / v7.4".into());
        }
        if let Stage::Refused(e) = &r.delivery {
            if !reasoned(&m, "delivery", e) {
                why.push(format!("the delivery stage failed without a reason: {e}"));
            }
        }
        // The whole series goes in exactly when both stages do, and then
        // makes the same tree as the stages one by one.
        if r.series.is_ok() != matches!(r.delivery, Stage::Done(_)) {
            why.push(format!(
                "the whole series and its stages disagree: {:?}",
                r.series
            ));
        }
        if r.series_same_as_staged == Some(false) {
            why.push("the whole series makes another tree than its stages".into());
        }
        if !r.idempotent {
            why.push("a second run changed something".into());
        }
        if !r.check_expected {
            why.push(format!("--check exit codes {:?}", r.check_codes));
        }
        why.extend(r.python_failures.iter().cloned());
        if !why.is_empty() {
            wrong.push((r.tag.clone(), why));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} tags: {wrong:#?}",
        wrong.len(),
        rows.len()
    );
}
