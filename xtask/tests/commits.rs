//! `backport --commit`: arbitrary upstream commits (several files, added,
//! deleted and renamed files, headers) on fixture repositories.
//!
//! Not through the git room (`backport::git`): a test reads and builds its
//! repositories with git2 and the git binary of its own, so that what it
//! checks does not rest on the code it checks.

use backport::{self, Options};
use git2::{Oid, Repository, Signature, Time};
use std::path::{Path, PathBuf};
use xtask::dev::fixture::{self, commit_files};

const LEGACY_H: &str = "/* notify.h (legacy-kit fixture) */\n#ifndef _NOTIFY_H\n#define _NOTIFY_H\n\nstruct notify_ctx {\n        char    *server;\n        int      port;\n};\n\nint notify_send (struct notify_ctx *ctx, const char *msg);\n\n#endif /* _NOTIFY_H */\n";
const UP_H: &str = "/* notify.h (legacy-kit fixture) */\n#ifndef _NOTIFY_H\n#define _NOTIFY_H\n\nstruct notify_ctx {\n    char *server;\n    int port;\n};\n\nint\nnotify_send(struct notify_ctx *ctx, const char *msg);\n\n#endif /* _NOTIFY_H */\n";
const UP_H_FIELD: &str = "/* notify.h (legacy-kit fixture) */\n#ifndef _NOTIFY_H\n#define _NOTIFY_H\n\nstruct notify_ctx {\n    char *server;\n    int port;\n    char *server_transport;\n};\n\nint\nnotify_send(struct notify_ctx *ctx, const char *msg);\n\n#endif /* _NOTIFY_H */\n";
const UP_H_MOVED: &str = "/* notify.h (legacy-kit fixture) */\n#ifndef _NOTIFY_H\n#define _NOTIFY_H\n\n#include <stddef.h>\n\nstruct notify_ctx {\n    char *server;\n    int port;\n    char *server_transport;\n};\n\nint\nnotify_send(struct notify_ctx *ctx, const char *msg);\n\n#endif /* _NOTIFY_H */\n";
const LEGACY_HELPER: &str =
    "/* old_helper.c */\nint\nold_helper (int a)\n{\n        return a + 1;\n}\n";
const UP_HELPER: &str = "/* old_helper.c */\nint\nold_helper(int a)\n{\n    return a + 1;\n}\n";
const TRANSPORT_C: &str = "/* transport.c */\nint\ntransport_is_unix(const char *t)\n{\n    return t && !strcmp(t, \"unix\");\n}\n";

struct Repos {
    _dir: tempfile::TempDir,
    legacy: PathBuf,
    upstream: PathBuf,
    /// multi-file, header-only, added, deleted, renamed, unplaceable
    commits: Vec<Oid>,
}

fn build() -> Repos {
    let dir = tempfile::tempdir().unwrap();
    let ada = Signature::new(
        "Ada Upstream",
        "ada@upstream.example",
        &Time::new(1_600_000_000, 0),
    )
    .unwrap();
    let up_path = dir.path().join("upstream");
    let up = Repository::init_bare(&up_path).unwrap();
    let c = |parent: Option<Oid>, files: &[(&str, &str)], msg: &str| {
        commit_files(&up, Some("refs/heads/master"), parent, files, msg, &ada).unwrap()
    };
    let base = c(
        None,
        &[
            (fixture::PATH, fixture::UPSTREAM_BASE),
            ("src/notify.h", UP_H),
            ("src/old_helper.c", UP_HELPER),
        ],
        "base\n",
    );
    let multi = c(
        Some(base),
        &[
            (fixture::PATH, fixture::UPSTREAM_FIX1),
            ("src/notify.h", UP_H_FIELD),
        ],
        "notify: unix servers, with the field\n\nChange-Id: Iaaaa\nfixes: bz#1\n",
    );
    let header = c(
        Some(multi),
        &[(
            "src/notify.h",
            &UP_H_FIELD.replace(
                "#define _NOTIFY_H\n",
                "#define _NOTIFY_H\n#define NOTIFY_RETRIES 3\n",
            ),
        )],
        "notify.h: retries\n",
    );
    let added = c(
        Some(header),
        &[("src/transport.c", TRANSPORT_C)],
        "transport: add helper\n",
    );
    // Deleting and renaming need tree edits beyond upserts.
    let tree_edit = |parent: Oid, edit: &dyn Fn(&mut git2::build::TreeUpdateBuilder), msg: &str| {
        let p = up.find_commit(parent).unwrap();
        let mut b = git2::build::TreeUpdateBuilder::new();
        edit(&mut b);
        let tree = up
            .find_tree(b.create_updated(&up, &p.tree().unwrap()).unwrap())
            .unwrap();
        up.commit(Some("refs/heads/master"), &ada, &ada, msg, &tree, &[&p])
            .unwrap()
    };
    let deleted = tree_edit(
        added,
        &|b| {
            b.remove("src/old_helper.c");
        },
        "remove old_helper\n",
    );
    let moved_blob = up
        .blob(
            UP_H_MOVED
                .replace(
                    "#define _NOTIFY_H\n",
                    "#define _NOTIFY_H\n#define NOTIFY_RETRIES 3\n",
                )
                .as_bytes(),
        )
        .unwrap();
    let renamed = tree_edit(
        deleted,
        &|b| {
            b.remove("src/notify.h");
            b.upsert("include/notify.h", moved_blob, git2::FileMode::Blob);
        },
        "move notify.h to include/\n",
    );
    let unplaceable = c(
        Some(renamed),
        &[(
            fixture::PATH,
            &fixture::UPSTREAM_FIX1
                .replace("stats_count(ctx, ret);", "stats_count(ctx, ret, host);"),
        )],
        "notify: count per host\n",
    );

    let legacy_path = dir.path().join("legacy");
    let legacy = Repository::init(&legacy_path).unwrap();
    fixture::set_identity(&legacy).unwrap();
    let files = [
        (fixture::PATH, fixture::LEGACY),
        ("src/notify.h", LEGACY_H),
        ("src/old_helper.c", LEGACY_HELPER),
    ];
    commit_files(
        &legacy,
        Some("refs/heads/v1.2"),
        None,
        &files,
        "v1.2\n",
        &ada,
    )
    .unwrap();
    legacy.set_head("refs/heads/v1.2").unwrap();
    legacy
        .checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
    Repos {
        _dir: dir,
        legacy: legacy_path,
        upstream: up_path,
        commits: vec![multi, header, added, deleted, renamed, unplaceable],
    }
}

fn opts(r: &Repos, commits: &[Oid]) -> Options {
    Options {
        branch: "v1.2".into(),
        repo: r.legacy.clone(),
        upstream: Some(r.upstream.clone()),
        commits: commits
            .iter()
            .map(|c| c.to_string()[..10].to_string())
            .collect(),
        ..Default::default()
    }
}

fn read(repo: &Path, rev: &str, path: &str) -> Option<String> {
    let r = Repository::open(repo).unwrap();
    let tree = r
        .revparse_single(rev)
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .tree()
        .unwrap();
    let entry = tree.get_path(Path::new(path)).ok()?;
    let blob = entry.to_object(&r).unwrap().peel_to_blob().unwrap();
    let text = String::from_utf8(blob.content().to_vec()).unwrap();
    Some(text)
}

#[test]
fn ports_multi_file_header_added_deleted_and_renamed_commits_in_order() {
    let r = build();
    let outcome = backport::run(&opts(&r, &r.commits[..5])).unwrap();
    assert_eq!(outcome.commits.len(), 5);
    let c = read(&r.legacy, "v1.2", fixture::PATH).unwrap();
    assert!(
        c.contains("        char              *transport     = NULL;\n"),
        "{c}"
    );
    // The header went through a field, a #define and a move, in its own style.
    assert!(read(&r.legacy, "v1.2", "src/notify.h").is_none());
    let h = read(&r.legacy, "v1.2", "include/notify.h").unwrap();
    assert!(
        h.contains("        int      port;\n        char    *server_transport;\n"),
        "{h}"
    );
    assert!(
        h.contains("#define NOTIFY_RETRIES 3\n") && h.contains("#include <stddef.h>\n"),
        "{h}"
    );
    assert!(
        h.contains("int notify_send (struct notify_ctx *ctx, const char *msg);"),
        "{h}"
    );
    assert_eq!(
        read(&r.legacy, "v1.2", "src/transport.c").unwrap(),
        TRANSPORT_C
    );
    assert!(read(&r.legacy, "v1.2", "src/old_helper.c").is_none());
    // Provenance from the commit itself.
    let repo = Repository::open(&r.legacy).unwrap();
    let first = repo.find_commit(outcome.commits[0].1).unwrap();
    let msg = first.message().unwrap();
    assert!(
        msg.contains(&format!(
            "(cherry picked from commit {})\nChange-Id: Iaaaa\nFixes: bz#1\n",
            r.commits[0]
        )),
        "{msg}"
    );
}

#[test]
fn second_run_of_the_same_commits_changes_nothing() {
    let r = build();
    backport::run(&opts(&r, &r.commits[..5])).unwrap();
    let tip = Repository::open(&r.legacy)
        .unwrap()
        .refname_to_id("refs/heads/v1.2")
        .unwrap();
    let again = backport::run(&opts(&r, &r.commits[..5])).unwrap();
    assert!(
        again.commits.is_empty(),
        "{:?}",
        again
            .planned
            .iter()
            .map(|p| (&p.id, &p.verdict))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        Repository::open(&r.legacy)
            .unwrap()
            .refname_to_id("refs/heads/v1.2")
            .unwrap(),
        tip
    );
}

#[test]
fn unplaceable_hunk_is_refused_and_wip_branch_holds_the_rest() {
    let r = build();
    let repo = Repository::open(&r.legacy).unwrap();
    let tip = repo.refname_to_id("refs/heads/v1.2").unwrap();
    let picks = [r.commits[0], r.commits[5]];
    let err = format!("{:#}", backport::run(&opts(&r, &picks)).unwrap_err());
    assert!(
        err.contains("stats_count")
            && err.contains("no anchor")
            && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(repo.refname_to_id("refs/heads/v1.2").unwrap(), tip);
    assert!(repo.find_reference("refs/heads/v1.2-wip").is_err());

    let outcome = backport::run(&Options {
        wip: true,
        ..opts(&r, &picks)
    })
    .unwrap();
    assert_eq!(outcome.wip_branch.as_deref(), Some("v1.2-wip"));
    assert_eq!(
        repo.refname_to_id("refs/heads/v1.2").unwrap(),
        tip,
        "BRANCH must stay untouched"
    );
    let wip = read(&r.legacy, "v1.2-wip", fixture::PATH).unwrap();
    assert!(
        wip.contains("<<<<<<< branch: upstream hunk 1 not placed"),
        "{wip}"
    );
    assert!(
        wip.contains("-    stats_count(ctx, ret);\n+    stats_count(ctx, ret, host);\n"),
        "{wip}"
    );
    assert!(wip.contains("\n>>>>>>> upstream hunk 1\n"), "{wip}");
    // The placeable commit went in whole before it.
    assert!(wip.contains("        char              *transport     = NULL;\n"));
    let report = backport::report::json(&outcome);
    let failed = &report["fixes"][1]["files"][0]["failed_hunks"][0];
    assert_eq!(failed["why"], "no_anchor");
    assert!(
        failed["candidates"][0]["similarity"].as_f64().unwrap() > 0.5,
        "{failed}"
    );
    assert_eq!(report["wip_branch"], "v1.2-wip");
}
