//! `backport --commit` of a Python change: upstream's Python 3 daemon
//! (`socketserver`, behind a try/except import) onto a branch whose copy is
//! still Python 2 (`SocketServer`), as glustereventsd.py is on 3.x. The
//! fixture daemon is ours, a few lines shaped like that file.
//!
//! Not through the git room (`backport::git`): a test reads and builds its
//! repositories with git2 and the git binary of its own, so that what it
//! checks does not rest on the code it checks.

use backport::{self, Options};
use git2::{Oid, Repository, Signature, Time};
use std::path::PathBuf;
use xtask::dev::fixture::{self, commit_files};

const PATH: &str = "events/eventsd.py";

const LEGACY: &str = r#"#!/usr/bin/env python
import sys
import SocketServer
import socket

from conf import SERVER_ADDRESS


class Handler(SocketServer.BaseRequestHandler):

    def handle(self):
        data = self.request[0].strip()
        sys.stdout.write(data)


def serve(port):
    try:
        server = SocketServer.ThreadingUDPServer(
            (SERVER_ADDRESS, port), Handler)
    except socket.error as e:
        sys.stderr.write("cannot listen: {0}\n".format(e))
        sys.exit(1)
    server.serve_forever()
"#;

const UP_BASE: &str = r#"#!/usr/bin/python3
import sys
try:
    import socketserver
except ImportError:
    import SocketServer as socketserver
import socket

from conf import SERVER_ADDRESS


class Handler(socketserver.BaseRequestHandler):

    def handle(self):
        data = self.request[0].strip()
        sys.stdout.write(data)


def serve(port):
    try:
        server = socketserver.ThreadingUDPServer(
            (SERVER_ADDRESS, port), Handler)
    except socket.error as e:
        sys.stderr.write("cannot listen: {0}\n".format(e))
        sys.exit(1)
    server.serve_forever()
"#;

/// Upstream's fix: an IPv6 server class, and the daemon listening on ::1.
fn up_fix() -> String {
    UP_BASE
        .replace(
            "class Handler(",
            "class ServerV6(socketserver.ThreadingUDPServer):\n    address_family = socket.AF_INET6\n\n\nclass Handler(",
        )
        .replace(
            "        server = socketserver.ThreadingUDPServer(\n            (SERVER_ADDRESS, port), Handler)\n",
            "        server = ServerV6((\"::1\", port), Handler)\n",
        )
}

struct Repos {
    _dir: tempfile::TempDir,
    legacy: PathBuf,
    upstream: PathBuf,
    fix: Oid,
}

fn build() -> Repos {
    let dir = tempfile::tempdir().unwrap();
    let ada = Signature::new(
        "Ada Upstream",
        "ada@upstream.example",
        &Time::new(1_600_000_000, 0),
    )
    .unwrap();
    let upstream = dir.path().join("upstream");
    let up = Repository::init_bare(&upstream).unwrap();
    let base = commit_files(
        &up,
        Some("refs/heads/master"),
        None,
        &[(PATH, UP_BASE)],
        "base\n",
        &ada,
    )
    .unwrap();
    let fix = commit_files(
        &up,
        Some("refs/heads/master"),
        Some(base),
        &[(PATH, &up_fix())],
        "eventsd: listen on IPv6\n\nChange-Id: Ipy3\n",
        &ada,
    )
    .unwrap();
    let legacy = dir.path().join("legacy");
    let repo = Repository::init(&legacy).unwrap();
    fixture::set_identity(&repo).unwrap();
    commit_files(
        &repo,
        Some("refs/heads/v1.2"),
        None,
        &[(PATH, LEGACY)],
        "v1.2\n",
        &ada,
    )
    .unwrap();
    repo.set_head("refs/heads/v1.2").unwrap();
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
    Repos {
        _dir: dir,
        legacy,
        upstream,
        fix,
    }
}

fn port(r: &Repos) -> backport::Outcome {
    backport::run(&Options {
        branch: "v1.2".into(),
        repo: r.legacy.clone(),
        upstream: Some(r.upstream.clone()),
        commits: vec![r.fix.to_string()],
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn a_python3_change_ports_onto_a_python2_file_in_its_own_module_names() {
    let r = build();
    let outcome = port(&r);
    assert_eq!(outcome.commits.len(), 1);
    let text = std::fs::read_to_string(r.legacy.join(PATH)).unwrap();
    // Upstream's lines, with the branch's Python 2 module name and
    // upstream's indentation; the branch's own imports left as they were.
    assert!(
        text.contains("class ServerV6(SocketServer.ThreadingUDPServer):\n    address_family = socket.AF_INET6\n"),
        "{text}"
    );
    assert!(
        text.contains("        server = ServerV6((\"::1\", port), Handler)\n"),
        "{text}"
    );
    assert!(
        text.starts_with("#!/usr/bin/env python\nimport sys\nimport SocketServer\n"),
        "{text}"
    );
    assert!(!text.contains("socketserver"), "{text}");
    assert!(!text.contains("SERVER_ADDRESS, port"), "{text}");
    // A second run finds it present and changes nothing.
    let again = port(&r);
    assert!(again.commits.is_empty());
}

#[test]
fn a_python_file_that_names_both_modules_is_not_renamed_and_refused() {
    // Both spellings on the branch (as 5.0-5.3's glustereventsd.py had):
    // no rename applies, and the hunk that needs one has no anchor.
    let r = build();
    let mixed = LEGACY.replace("import SocketServer\n", "try:\n    import socketserver\nexcept ImportError:\n    import SocketServer as socketserver\n");
    let repo = Repository::open(&r.legacy).unwrap();
    let ada = Signature::now("Ada", "ada@upstream.example").unwrap();
    let tip = repo.head().unwrap().target().unwrap();
    let mixed_tip = commit_files(
        &repo,
        Some("refs/heads/v1.2"),
        Some(tip),
        &[(PATH, &mixed)],
        "mixed\n",
        &ada,
    )
    .unwrap();
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
    let err = backport::run(&Options {
        branch: "v1.2".into(),
        repo: r.legacy.clone(),
        upstream: Some(r.upstream.clone()),
        commits: vec![r.fix.to_string()],
        ..Default::default()
    })
    .unwrap_err();
    assert!(format!("{err:#}").contains("no anchor"), "{err:#}");
    // Refused, and the branch is where it was.
    assert_eq!(repo.refname_to_id("refs/heads/v1.2").unwrap(), mixed_tip);
}
