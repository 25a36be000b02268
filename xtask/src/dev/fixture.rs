//! The built-in example: a tiny "legacy" repository in the old GNU style and
//! an "upstream" repository in clang-format style that carries two fixes as
//! commits, plus a series manifest naming them. All of it is C written for
//! this project (a made-up `notify.c`), small enough to read in a test.
//! `cargo xtask demo` and the end-to-end tests build it in temp dirs.
//!
//! Not through the git room (`backport::git`): it authors history object by
//! object, with fixed signatures and times so that every run makes the same
//! SHAs; the room opens, resolves, diffs and walks, it does not write commits.

use anyhow::Result;
use git2::{Oid, Repository, Signature, Time};
use std::path::Path;

pub const PATH: &str = "src/notify.c";

/// The legacy branch's file: 8-space indents, `name (args)`, aligned declarations.
pub const LEGACY: &str = r#"/* notify.c: tell the monitor what happened (legacy-kit fixture). */

#include <netdb.h>
#include <string.h>
#include <unistd.h>

#define MONITOR_HOST "127.0.0.1"
#define MONITOR_PORT 7000

int
notify_send (struct notify_ctx *ctx, const char *msg)
{
        int                ret           = 0;
        int                sock          = -1;
        char              *host          = NULL;
        struct addrinfo    hints;
        struct addrinfo   *result        = NULL;

        sock = socket (AF_INET, SOCK_DGRAM, 0);
        if (sock < 0) {
                ret = -1;
                goto out;
        }

        memset (&hints, 0, sizeof (hints));
        hints.ai_family = AF_UNSPEC;

        /* Servers name the monitor host */
        if (ctx && ctx->server) {
                if (getaddrinfo (ctx->server, NULL, &hints,
                                 &result) != 0) {
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

/// Upstream's file before the fixes: the same code after a clang-format
/// reformat, plus a line the legacy branch never got (so context differs).
pub const UPSTREAM_BASE: &str = r#"/* notify.c: tell the monitor what happened (legacy-kit fixture). */

#include <netdb.h>
#include <string.h>
#include <unistd.h>

#define MONITOR_HOST "127.0.0.1"
#define MONITOR_PORT 7000

int
notify_send(struct notify_ctx *ctx, const char *msg)
{
    int ret = 0;
    int sock = -1;
    char *host = NULL;
    struct addrinfo hints;
    struct addrinfo *result = NULL;

    sock = socket(AF_INET, SOCK_DGRAM, 0);
    if (sock < 0) {
        ret = -1;
        goto out;
    }

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;

    /* Servers name the monitor host */
    if (ctx && ctx->server) {
        if (getaddrinfo(ctx->server, NULL, &hints, &result) != 0) {
            ret = -2;
            goto out;
        }
        host = first_ip(result);
    } else {
        host = strdup(MONITOR_HOST);
    }

    ret = send_to(sock, host, MONITOR_PORT, msg);
    stats_count(ctx, ret);
out:
    if (sock >= 0)
        close(sock);
    if (result)
        freeaddrinfo(result);
    return ret;
}
"#;

/// Fix 1: a unix-socket server is a path, not a host: do not resolve it.
pub const UPSTREAM_FIX1: &str = r#"/* notify.c: tell the monitor what happened (legacy-kit fixture). */

#include <netdb.h>
#include <string.h>
#include <unistd.h>

#define MONITOR_HOST "127.0.0.1"
#define MONITOR_PORT 7000

int
notify_send(struct notify_ctx *ctx, const char *msg)
{
    int ret = 0;
    int sock = -1;
    char *host = NULL;
    struct addrinfo hints;
    struct addrinfo *result = NULL;
    char *transport = NULL;

    sock = socket(AF_INET, SOCK_DGRAM, 0);
    if (sock < 0) {
        ret = -1;
        goto out;
    }

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;

    if (ctx) {
        transport = ctx->server_transport;
    }
    if (!transport) {
        transport = "tcp";
    }
    /* Servers name the monitor host */
    if (ctx && ctx->server && (strcmp(transport, "unix"))) {
        if (getaddrinfo(ctx->server, NULL, &hints, &result) != 0) {
            ret = -2;
            goto out;
        }
        host = first_ip(result);
    } else {
        host = strdup(MONITOR_HOST);
    }

    ret = send_to(sock, host, MONITOR_PORT, msg);
    stats_count(ctx, ret);
out:
    if (sock >= 0)
        close(sock);
    if (result)
        freeaddrinfo(result);
    return ret;
}
"#;

/// Fix 2: a failed send is logged.
pub const UPSTREAM_FIX2: &str = r#"/* notify.c: tell the monitor what happened (legacy-kit fixture). */

#include <netdb.h>
#include <string.h>
#include <unistd.h>

#define MONITOR_HOST "127.0.0.1"
#define MONITOR_PORT 7000

int
notify_send(struct notify_ctx *ctx, const char *msg)
{
    int ret = 0;
    int sock = -1;
    char *host = NULL;
    struct addrinfo hints;
    struct addrinfo *result = NULL;
    char *transport = NULL;

    sock = socket(AF_INET, SOCK_DGRAM, 0);
    if (sock < 0) {
        ret = -1;
        goto out;
    }

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;

    if (ctx) {
        transport = ctx->server_transport;
    }
    if (!transport) {
        transport = "tcp";
    }
    /* Servers name the monitor host */
    if (ctx && ctx->server && (strcmp(transport, "unix"))) {
        if (getaddrinfo(ctx->server, NULL, &hints, &result) != 0) {
            ret = -2;
            goto out;
        }
        host = first_ip(result);
    } else {
        host = strdup(MONITOR_HOST);
    }

    ret = send_to(sock, host, MONITOR_PORT, msg);
    if (ret < 0) {
        log_error("notify", "sending to %s:%d failed with %d", host,
                  MONITOR_PORT, ret);
    }
    stats_count(ctx, ret);
out:
    if (sock >= 0)
        close(sock);
    if (result)
        freeaddrinfo(result);
    return ret;
}
"#;

pub const FIX1_MESSAGE: &str = "notify: Handle unix servers\n\nProblem:\nA unix-socket server is a path, and resolving it as a host name\nwaits out every DNS timeout.\n\nFix:\nDo not resolve unix servers; use the local monitor host.\n\nfixes: bz#100\nChange-Id: I1111111111111111111111111111111111111111\nSigned-off-by: Ada Upstream <ada@upstream.example>\n";
pub const FIX2_MESSAGE: &str = "notify: log failed sends\n\nfixes: bz#200\nChange-Id: I2222222222222222222222222222222222222222\nSigned-off-by: Ada Upstream <ada@upstream.example>\n";

/// The demo's series manifest, naming the upstream fixture's commits.
pub fn manifest(fix1: Oid, fix2: Oid) -> String {
    format!(
        r#"[series]
name = "notify-demo"
title = "The built-in example series"
upstream_url = "file:///upstream"

[[fix]]
id = "unix-server"
subject = "notify: Handle unix servers"
change_id = "I1111111111111111111111111111111111111111"
bugs = ["bz#100"]
port = [{{ branch = "master", commit = "{fix1}" }}]

[[fix]]
id = "log-send"
subject = "notify: log failed sends"
change_id = "I2222222222222222222222222222222222222222"
bugs = ["bz#200"]
needs = ["unix-server"]
port = [{{ branch = "master", commit = "{fix2}" }}]
"#
    )
}

/// Commits `files` on top of `parent` (or as a root) and returns the commit.
pub fn commit_files(
    repo: &Repository,
    refname: Option<&str>,
    parent: Option<Oid>,
    files: &[(&str, &str)],
    message: &str,
    author: &Signature,
) -> Result<Oid> {
    let parent = parent.map(|p| repo.find_commit(p)).transpose()?;
    let mut builder = git2::build::TreeUpdateBuilder::new();
    for (path, text) in files {
        builder.upsert(path, repo.blob(text.as_bytes())?, git2::FileMode::Blob);
    }
    let base = match &parent {
        Some(p) => p.tree()?,
        None => repo.find_tree(repo.treebuilder(None)?.write()?)?,
    };
    let tree = repo.find_tree(builder.create_updated(repo, &base)?)?;
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    Ok(repo.commit(refname, author, author, message, &tree, &parents)?)
}

pub fn set_identity(repo: &Repository) -> Result<()> {
    let mut cfg = repo.config()?;
    cfg.set_str("user.name", "Legacy Maintainer")?;
    cfg.set_str("user.email", "maint@legacy.example")?;
    Ok(())
}

/// The example, built under `dir`.
pub struct Example {
    pub legacy: std::path::PathBuf,
    pub upstream: std::path::PathBuf,
    pub manifest: std::path::PathBuf,
    pub fix1: Oid,
    pub fix2: Oid,
}

/// Builds the upstream repo (base, fix 1, fix 2 on master) and the legacy
/// repo with `legacy_text` on branch `v1.2` (checked out unless `bare`).
pub fn build(dir: &Path, legacy_text: &str, bare: bool) -> Result<Example> {
    let up_dir = dir.join("upstream");
    let up = Repository::init_bare(&up_dir)?;
    let ada = Signature::new(
        "Ada Upstream",
        "ada@upstream.example",
        &Time::new(1_571_900_000, 330),
    )?;
    let base = commit_files(
        &up,
        Some("refs/heads/master"),
        None,
        &[(PATH, UPSTREAM_BASE)],
        "notify: reformat with clang-format\n",
        &ada,
    )?;
    let fix1 = commit_files(
        &up,
        Some("refs/heads/master"),
        Some(base),
        &[(PATH, UPSTREAM_FIX1)],
        FIX1_MESSAGE,
        &ada,
    )?;
    let fix2 = commit_files(
        &up,
        Some("refs/heads/master"),
        Some(fix1),
        &[(PATH, UPSTREAM_FIX2)],
        FIX2_MESSAGE,
        &ada,
    )?;

    let legacy_dir = dir.join(if bare { "legacy.git" } else { "legacy" });
    let legacy = if bare {
        Repository::init_bare(&legacy_dir)?
    } else {
        Repository::init(&legacy_dir)?
    };
    set_identity(&legacy)?;
    let old = Signature::new(
        "Old Maintainer",
        "old@legacy.example",
        &Time::new(1_500_000_000, 0),
    )?;
    let files = [(PATH, legacy_text), ("README", "legacy notify, 1.2 line\n")];
    commit_files(
        &legacy,
        Some("refs/heads/v1.2"),
        None,
        &files,
        "v1.2\n",
        &old,
    )?;
    legacy.set_head("refs/heads/v1.2")?;
    if !bare {
        legacy.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))?;
    }
    let manifest = dir.join("notify.toml");
    std::fs::write(&manifest, self::manifest(fix1, fix2))?;
    Ok(Example {
        legacy: legacy_dir,
        upstream: up_dir,
        manifest,
        fix1,
        fix2,
    })
}
