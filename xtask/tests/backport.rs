//! The backport engine on fixture repositories built in temp dirs from the
//! project's own small C files (`xtask::dev::fixture`), in both styles.
//!
//! Not through the git room (`backport::git`): a test reads and builds its
//! repositories with git2 and the git binary of its own, so that what it
//! checks does not rest on the code it checks.

use backport::{self, plan::Verdict, Options};
use git2::Repository;
use std::path::Path;
use std::process::Command;
use xtask::dev::fixture::{self, Example};

fn options(ex: &Example) -> Options {
    Options {
        branch: "v1.2".into(),
        repo: ex.legacy.clone(),
        upstream: Some(ex.upstream.clone()),
        series: ex.manifest.clone(),
        ..Default::default()
    }
}

fn tip(repo: &Path) -> git2::Oid {
    Repository::open(repo)
        .unwrap()
        .refname_to_id("refs/heads/v1.2")
        .unwrap()
}

fn file_at_tip(repo: &Path) -> String {
    let r = Repository::open(repo).unwrap();
    let tree = r.find_commit(tip(repo)).unwrap().tree().unwrap();
    let blob = tree
        .get_path(Path::new(fixture::PATH))
        .unwrap()
        .to_object(&r)
        .unwrap()
        .peel_to_blob()
        .unwrap();
    String::from_utf8(blob.content().to_vec()).unwrap()
}

fn xtask(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .unwrap()
}

/// The legacy file with fix 1 typed in by a maintainer, in their own layout.
const HAND_FIXED: &str = r#"/* notify.c */
int
notify_send (struct notify_ctx *ctx, const char *msg)
{
        int                ret           = 0;
        int                sock          = -1;
        char              *host          = NULL;
        struct addrinfo    hints;
        struct addrinfo   *result        = NULL;
        char              *transport     = NULL;

        sock = socket (AF_INET, SOCK_DGRAM, 0);
        if (sock < 0) {
                ret = -1;
                goto out;
        }

        memset (&hints, 0, sizeof (hints));
        hints.ai_family = AF_UNSPEC;

        if (ctx) { transport = ctx->server_transport; }
        if (!transport) { transport = "tcp"; }
        /* unix servers are paths: never resolve them (by hand, bz#100) */
        if (ctx && ctx->server &&
            (strcmp (transport, "unix"))) {
                if (getaddrinfo (ctx->server, NULL, &hints, &result) != 0) {
                        ret = -2;
                        goto out;
                }
                host = first_ip (result);
        } else {
                host = strdup (MONITOR_HOST);
        }

        ret = send_to (sock, host, MONITOR_PORT, msg);
 out:
        if (sock >= 0)
                close (sock);
        if (result)
                freeaddrinfo (result);
        return ret;
}
"#;

#[test]
fn clean_port_writes_one_commit_per_fix_in_the_legacy_style() {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), fixture::LEGACY, false).unwrap();
    let before = tip(&ex.legacy);
    let outcome = backport::run(&options(&ex)).unwrap();
    assert_eq!(outcome.commits.len(), 2);

    let text = file_at_tip(&ex.legacy);
    // Added declaration aligned to its block, 8-space indents, `name (`.
    assert!(
        text.contains("\n        char              *transport     = NULL;\n"),
        "{text}"
    );
    assert!(
        text.contains("\n        if (ctx && ctx->server && (strcmp (transport, \"unix\"))) {\n"),
        "{text}"
    );
    assert!(text.contains("\n                log_error (\"notify\", \"sending to %s:%d failed with %d\", host,\n                           MONITOR_PORT, ret);\n"), "{text}");
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("    ") && !l.starts_with("        ")),
        "4-space line in:\n{text}"
    );

    let repo = Repository::open(&ex.legacy).unwrap();
    let second = repo.find_commit(tip(&ex.legacy)).unwrap();
    let first = second.parent(0).unwrap();
    assert_eq!(first.parent_id(0).unwrap(), before);
    assert_eq!(first.author().name(), Some("Ada Upstream"));
    assert_eq!(first.author().when().seconds(), 1_571_900_000);
    assert_eq!(first.committer().name(), Some("Legacy Maintainer"));
    let msg = first.message().unwrap();
    assert!(
        msg.starts_with("notify: Handle unix servers\n\nProblem:\n"),
        "{msg}"
    );
    let provenance = format!("(cherry picked from commit {})\nChange-Id: I1111111111111111111111111111111111111111\nFixes: bz#100\n", ex.fix1);
    assert!(msg.contains(&provenance), "{msg}");
    // The branch is checked out: work tree and index follow it.
    assert_eq!(
        std::fs::read_to_string(ex.legacy.join(fixture::PATH)).unwrap(),
        text
    );
    let statuses = repo.statuses(None).unwrap();
    assert!(statuses.iter().all(|s| s.status() == git2::Status::CURRENT));
}

#[test]
fn second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), fixture::LEGACY, false).unwrap();
    backport::run(&options(&ex)).unwrap();
    let after_first = tip(&ex.legacy);
    let again = backport::run(&options(&ex)).unwrap();
    assert!(again.commits.is_empty());
    assert!(again
        .planned
        .iter()
        .all(|p| matches!(p.verdict, Verdict::Present { .. })));
    assert_eq!(tip(&ex.legacy), after_first);
}

#[test]
fn fix_brought_in_by_hand_is_detected_and_only_the_rest_is_ported() {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), HAND_FIXED, false).unwrap();
    let outcome = backport::run(&options(&ex)).unwrap();
    let status: Vec<(&str, bool)> = outcome
        .planned
        .iter()
        .map(|p| (p.id.as_str(), matches!(p.verdict, Verdict::Present { .. })))
        .collect();
    assert_eq!(status, vec![("unix-server", true), ("log-send", false)]);
    assert_eq!(outcome.commits.len(), 1);
    assert!(file_at_tip(&ex.legacy)
        .contains("/* unix servers are paths: never resolve them (by hand, bz#100) */"));
}

#[test]
fn already_fixed_branch_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), fixture::UPSTREAM_FIX2, false).unwrap();
    let before = tip(&ex.legacy);
    let outcome = backport::run(&options(&ex)).unwrap();
    assert!(outcome.commits.is_empty());
    assert_eq!(tip(&ex.legacy), before);
    let out = xtask(&[
        "backport",
        "v1.2",
        "--repo",
        ex.legacy.to_str().unwrap(),
        "--upstream",
        ex.upstream.to_str().unwrap(),
        "--series",
        ex.manifest.to_str().unwrap(),
        "--check",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn refuses_dirty_worktree_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), fixture::LEGACY, false).unwrap();
    let before = tip(&ex.legacy);
    let dirty = format!("{}/* local edit */\n", fixture::LEGACY);
    std::fs::write(ex.legacy.join(fixture::PATH), &dirty).unwrap();
    let err = backport::run(&options(&ex)).unwrap_err().to_string();
    assert!(
        err.contains("uncommitted changes") && err.contains(fixture::PATH),
        "{err}"
    );
    assert!(err.contains("commit or stash"), "{err}");
    assert_eq!(tip(&ex.legacy), before);
    assert_eq!(
        std::fs::read_to_string(ex.legacy.join(fixture::PATH)).unwrap(),
        dirty
    );
}

/// Runs the series on a legacy branch holding `legacy`, expects a refusal,
/// checks that branch, file and work tree are untouched, and returns the error.
fn refused_and_untouched(legacy: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), legacy, false).unwrap();
    let before = tip(&ex.legacy);
    let err = format!("{:#}", backport::run(&options(&ex)).unwrap_err());
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(tip(&ex.legacy), before);
    assert_eq!(
        std::fs::read_to_string(ex.legacy.join(fixture::PATH)).unwrap(),
        legacy
    );
    let repo = Repository::open(&ex.legacy).unwrap();
    assert!(repo
        .statuses(None)
        .unwrap()
        .iter()
        .all(|s| s.status() == git2::Status::CURRENT));
    err
}

#[test]
fn refuses_ambiguous_anchor_and_changes_nothing() {
    // Two builds of the same function under #ifdef: every anchor of fix 1,
    // even narrowed to the function it belongs to, stands twice.
    let body = &fixture::LEGACY[fixture::LEGACY.find("int\nnotify_send").unwrap()..];
    let legacy = format!("/* notify.c */\n#ifdef NOTIFY_V2\n{body}#else\n{body}#endif\n");
    let err = refused_and_untouched(&legacy);
    assert!(
        err.contains("unix-server") && err.contains("hunk 1") && err.contains("refusing to guess"),
        "{err}"
    );
}

#[test]
fn a_later_fix_that_fails_leaves_the_earlier_ones_unwritten() {
    // Fix 2 anchors on send_to(), which this branch calls send_msg(); fix 1
    // is planned fine, yet nothing of it may be written either.
    let err = refused_and_untouched(&fixture::LEGACY.replace("send_to (", "send_msg ("));
    assert!(
        err.contains("log-send") && err.contains("hunk 1") && err.contains("no anchor"),
        "{err}"
    );
}

#[test]
fn context_from_commits_the_branch_never_got_is_left_out_within_the_function() {
    // The lines fix 2 anchors on stand twice in notify_send; upstream's
    // context line after them (stats_count) is missing here, but what
    // follows it (`out:`) tells the two places apart.
    let send = "        ret = send_to (sock, host, MONITOR_PORT, msg);\n";
    let retry = format!("{send}        if (ret < 0 && ctx->retry) {{\n                host = strdup (MONITOR_HOST);\n        }}\n\n{send}");
    let legacy = fixture::LEGACY.replace(send, &retry);
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), &legacy, false).unwrap();
    let outcome = backport::run(&options(&ex)).unwrap();
    assert_eq!(outcome.commits.len(), 2);
    let text = file_at_tip(&ex.legacy);
    let log_at = text.find("log_error").unwrap();
    assert!(
        text[..log_at].matches("send_to (").count() == 2,
        "placed after the second send_to:\n{text}"
    );
    assert!(text[log_at..]
        .trim_start_matches(|c| c != '\n')
        .contains(" out:"));
}

#[test]
fn ports_into_a_bare_repository_by_moving_the_ref() {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), fixture::LEGACY, true).unwrap();
    let outcome = backport::run(&options(&ex)).unwrap();
    assert_eq!(outcome.commits.len(), 2);
    assert_eq!(tip(&ex.legacy), outcome.commits[1].1);
    assert!(file_at_tip(&ex.legacy).contains("log_error (\"notify\""));
}

#[test]
fn ports_onto_a_branch_that_is_not_checked_out() {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), fixture::LEGACY, false).unwrap();
    let repo = Repository::open(&ex.legacy).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    repo.branch("other", &head, false).unwrap();
    repo.set_head("refs/heads/other").unwrap();
    let outcome = backport::run(&options(&ex)).unwrap();
    assert_eq!(outcome.commits.len(), 2);
    // The checked-out branch and its files are not touched.
    assert_eq!(
        repo.head().unwrap().peel_to_commit().unwrap().id(),
        head.id()
    );
    assert_eq!(
        std::fs::read_to_string(ex.legacy.join(fixture::PATH)).unwrap(),
        fixture::LEGACY
    );
}

#[test]
fn only_selects_fixes_by_id_change_id_or_sha_prefix() {
    for key in [
        "unix-server",
        "I1111111111111111111111111111111111111111",
        "sha",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let ex = fixture::build(dir.path(), fixture::LEGACY, false).unwrap();
        let key = if key == "sha" {
            ex.fix1.to_string()[..8].to_string()
        } else {
            key.to_string()
        };
        let outcome = backport::run(&Options {
            only: vec![key.clone()],
            ..options(&ex)
        })
        .unwrap();
        let ids: Vec<&str> = outcome.planned.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, vec!["unix-server"], "--only {key}");
        assert_eq!(outcome.commits.len(), 1);
    }
}

#[test]
fn check_exits_1_listing_missing_fixes_and_0_once_ported() {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), fixture::LEGACY, false).unwrap();
    let base = [
        "backport",
        "v1.2",
        "--repo",
        ex.legacy.to_str().unwrap(),
        "--upstream",
        ex.upstream.to_str().unwrap(),
        "--series",
        ex.manifest.to_str().unwrap(),
    ];
    let before = tip(&ex.legacy);
    let out = xtask(&[&base[..], &["--check"]].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("missing: unix-server, log-send"));
    assert_eq!(tip(&ex.legacy), before, "--check must not write");
    assert_eq!(xtask(&base).status.code(), Some(0));
    assert_eq!(
        xtask(&[&base[..], &["--check"]].concat()).status.code(),
        Some(0)
    );
}

#[test]
fn json_report_has_a_stable_shape() {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), fixture::LEGACY, false).unwrap();
    let out = xtask(&[
        "backport",
        "v1.2",
        "--repo",
        ex.legacy.to_str().unwrap(),
        "--upstream",
        ex.upstream.to_str().unwrap(),
        "--series",
        ex.manifest.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mode"], "apply");
    assert_eq!(v["ok"], true);
    assert_eq!(v["commits_added"], 2);
    let fix = &v["fixes"][0];
    assert_eq!(fix["id"], "unix-server");
    assert_eq!(fix["status"], "ported");
    assert_eq!(fix["upstream_commit"], ex.fix1.to_string());
    assert_eq!(fix["commit"].as_str().unwrap().len(), 40);
    let file = &fix["files"][0];
    assert_eq!(file["path"], fixture::PATH);
    assert_eq!(file["rendering"], "restyled");
    assert_eq!(file["hunks"][0]["hunk"], "1");
    assert!(file["hunks"][0]["how"]["kind"].is_string());
}

#[test]
fn dry_run_prints_the_diff_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), fixture::LEGACY, false).unwrap();
    let before = tip(&ex.legacy);
    let out = xtask(&[
        "backport",
        "v1.2",
        "--repo",
        ex.legacy.to_str().unwrap(),
        "--upstream",
        ex.upstream.to_str().unwrap(),
        "--series",
        ex.manifest.to_str().unwrap(),
        "--dry-run",
    ]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("+        char              *transport     = NULL;"),
        "{stdout}"
    );
    assert_eq!(tip(&ex.legacy), before);
}

#[test]
fn bad_input_gets_errors_that_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), fixture::LEGACY, false).unwrap();
    let err = |o: Options| format!("{:#}", backport::run(&o).unwrap_err());

    let e = err(Options {
        repo: dir.path().join("nope"),
        ..options(&ex)
    });
    assert!(
        e.contains("no git repository") && e.contains("--repo"),
        "{e}"
    );

    let e = err(Options {
        branch: "v9.9".into(),
        ..options(&ex)
    });
    assert!(e.contains("no branch v9.9") && e.contains("v1.2"), "{e}");

    let e = err(Options {
        only: vec!["nonsense".into()],
        ..options(&ex)
    });
    assert!(e.contains("known fixes: unix-server, log-send"), "{e}");

    // Upstream commits missing: read them from the legacy repo itself.
    let e = err(Options {
        upstream: None,
        ..options(&ex)
    });
    assert!(
        e.contains("none of its upstream commits") && e.contains("--upstream"),
        "{e}"
    );
}

/// The fixture's two fixes as two stages: the stall, then delivery.
fn staged_manifest(ex: &Example) -> std::path::PathBuf {
    let text = std::fs::read_to_string(&ex.manifest).unwrap();
    let text = text
        .replacen(
            "\n[[fix]]\nid = \"unix-server\"",
            "\n[[stage]]\nid = \"stall\"\ntitle = \"no lookups of unix servers\"\n\n[[stage]]\nid = \"delivery\"\ntitle = \"sends that fail are said\"\n\n[[fix]]\nid = \"unix-server\"\nstage = \"stall\"",
            1,
        )
        .replacen(
            "[[fix]]\nid = \"log-send\"",
            "[[fix]]\nid = \"log-send\"\nstage = \"delivery\"",
            1,
        );
    assert!(text.contains("stage = \"delivery\""), "{text}");
    let path = ex.manifest.with_file_name("staged.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `cargo xtask backport v1.2` on the fixture with `manifest`, plus `extra`.
fn staged_run(ex: &Example, manifest: &Path, extra: &[&str]) -> std::process::Output {
    let base = [
        "backport",
        "v1.2",
        "--repo",
        ex.legacy.to_str().unwrap(),
        "--upstream",
        ex.upstream.to_str().unwrap(),
        "--series",
        manifest.to_str().unwrap(),
    ];
    xtask(&[&base[..], extra].concat())
}

#[test]
fn check_exits_4_when_the_stall_stage_is_in_and_a_later_stage_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), fixture::LEGACY, false).unwrap();
    let manifest = staged_manifest(&ex);
    let run = |extra: &[&str]| staged_run(&ex, &manifest, extra);
    // Nothing in: the stall is missing.
    assert_eq!(run(&["--check"]).status.code(), Some(1));
    // An unknown stage is refused, naming the stages there are.
    let out = run(&["--stage", "speed", "--check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stall, delivery"));
    // The stall stage alone: one commit, the delivery fix left out.
    let before = tip(&ex.legacy);
    assert_eq!(run(&["--stage", "stall"]).status.code(), Some(0));
    let repo = git2::Repository::open(&ex.legacy).unwrap();
    let parent = repo
        .find_commit(tip(&ex.legacy))
        .unwrap()
        .parent_id(0)
        .unwrap();
    assert_eq!(parent, before, "one commit for the one fix of the stage");
    // Now the stall is in and events are still lost: exit 4, said per stage.
    let out = run(&["--check"]);
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("stage stall     complete"), "{text}");
    assert!(text.contains("stage delivery  missing log-send"), "{text}");
    let out = run(&["--check", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stages"][0]["id"], "stall");
    assert_eq!(v["stages"][0]["complete"], true);
    assert_eq!(v["stages"][1]["missing"], serde_json::json!(["log-send"]));
    assert_eq!(run(&["--check", "--stage", "stall"]).status.code(), Some(0));
    // The rest: everything present.
    assert_eq!(run(&[]).status.code(), Some(0));
    assert_eq!(run(&["--check"]).status.code(), Some(0));
}

#[test]
fn an_optional_fix_is_ported_only_when_named() {
    let dir = tempfile::tempdir().unwrap();
    let ex = fixture::build(dir.path(), fixture::LEGACY, false).unwrap();
    let manifest = staged_manifest(&ex);
    let text = std::fs::read_to_string(&manifest).unwrap().replacen(
        "stage = \"delivery\"",
        "stage = \"delivery\"\noptional = true",
        1,
    );
    std::fs::write(&manifest, text).unwrap();
    let run = |extra: &[&str]| staged_run(&ex, &manifest, extra);
    assert_eq!(run(&[]).status.code(), Some(0));
    // The default series is complete without it...
    assert_eq!(run(&["--check"]).status.code(), Some(0));
    // ...and it is there to be named.
    assert_eq!(
        run(&["--check", "--only", "log-send"]).status.code(),
        Some(4)
    );
    assert_eq!(run(&["--only", "log-send"]).status.code(), Some(0));
    assert_eq!(
        run(&["--check", "--only", "log-send"]).status.code(),
        Some(0)
    );
}
