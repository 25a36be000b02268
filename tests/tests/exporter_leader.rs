//! The one-node rule of `heal-info serve`: only the connected peer with the
//! highest UUID runs glfsheal and exports heal counts (gluster-prometheus's
//! rule); the others answer /metrics with gluster_heal_info_exporting_node 0
//! and run nothing. Driven through a `--prefix` tree whose `gluster` prints
//! a `pool list --xml` the test rewrites (the real shape of glusterd's
//! answer) and whose glfsheal counts its runs, on loopback.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};
use tests::exporter::{get, Exporter};

const ME: &str = "7b1d0c2e-5a4f-4e3d-9c8b-1a2b3c4d5e6f";

fn pool_list(other_uuid: &str, other_connected: u8) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <peerStatus>
    <peer>
      <uuid>{other_uuid}</uuid>
      <hostname>gl-node2</hostname>
      <hostnames>
        <hostname>gl-node2</hostname>
      </hostnames>
      <connected>{other_connected}</connected>
      <state>3</state>
      <stateStr>Peer in Cluster</stateStr>
    </peer>
    <peer>
      <uuid>{ME}</uuid>
      <hostname>localhost</hostname>
      <connected>1</connected>
    </peer>
  </peerStatus>
</cliOutput>
"#
    )
}

fn script(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A prefix whose gluster answers `pool list` from DIR/pool.xml and whose
/// glfsheal appends a line to DIR/runs and fails.
fn prefix(dir: &Path) {
    script(
        &dir.join("sbin/gluster"),
        &format!(
            "#!/bin/sh\ncase \"$*\" in\n*'pool list'*) cat {d}/pool.xml ;;\n*) exit 1 ;;\nesac\n",
            d = dir.display()
        ),
    );
    script(
        &dir.join("libexec/glusterfs/glfsheal"),
        &format!("#!/bin/sh\necho \"$*\" >> {}/runs\nexit 1\n", dir.display()),
    );
}

fn runs(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("runs"))
        .unwrap_or_default()
        .lines()
        .count()
}

fn metrics(ex: &Exporter) -> String {
    let (status, body) = get(ex.addr, "/metrics", Duration::from_secs(5)).unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

/// Waits until /metrics holds `want` (and `cond` on the prefix dir).
fn wait_for(ex: &Exporter, want: &str, what: &str) -> String {
    let t = Instant::now();
    loop {
        let m = metrics(ex);
        if m.contains(want) {
            return m;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "{what}: no {want} in\n{m}\n{}",
            ex.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

const NOT_EXPORTING: &str = "gluster_heal_info_exporting_node{cluster_id=\"\"} 0";
const EXPORTING: &str = "gluster_heal_info_exporting_node{cluster_id=\"\"} 1";

#[test]
fn only_the_connected_peer_with_the_highest_uuid_runs_glfsheal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    prefix(d);
    // The other peer's UUID is higher and it is connected: it exports.
    std::fs::write(
        d.join("pool.xml"),
        pool_list("f0000000-0000-4000-8000-000000000000", 1),
    )
    .unwrap();
    let p = d.display().to_string();
    let ex = Exporter::start_argv(&[
        "--prefix",
        &p,
        "--volume",
        "v",
        "--interval",
        "0.3",
        "--timeout",
        "5",
    ]);
    wait_for(&ex, NOT_EXPORTING, "a lower UUID");
    // Several rounds pass: still no glfsheal and no heal series.
    wait_for(
        &ex,
        "gluster_heal_info_refreshes_total{cluster_id=\"\"} 5",
        "five rounds",
    );
    let m = metrics(&ex);
    assert!(m.contains(NOT_EXPORTING), "{m}");
    assert!(
        m.contains("gluster_heal_info_peer_list_success{cluster_id=\"\"} 1"),
        "{m}"
    );
    assert!(!m.contains("gluster_heal_info_success{"), "{m}");
    // It asked glusterd for no volume list, so it says nothing of one
    // (a 0 would read as glusterd failing).
    assert!(!m.contains("gluster_heal_info_volume_list_success"), "{m}");
    assert_eq!(runs(d), 0, "the non-exporting node ran glfsheal");

    // The other peer disconnects: this node has the highest connected UUID.
    std::fs::write(
        d.join("pool.xml"),
        pool_list("f0000000-0000-4000-8000-000000000000", 0),
    )
    .unwrap();
    let m = wait_for(
        &ex,
        "gluster_heal_info_success{cluster_id=\"\",volume=\"v\"} 0",
        "leader",
    );
    assert!(m.contains(EXPORTING), "{m}");
    assert!(runs(d) > 0);

    // It comes back: this node stops, and its volume series go with it.
    std::fs::write(
        d.join("pool.xml"),
        pool_list("f0000000-0000-4000-8000-000000000000", 1),
    )
    .unwrap();
    wait_for(&ex, NOT_EXPORTING, "the peer back");
    std::thread::sleep(Duration::from_secs(1));
    let before = runs(d);
    std::thread::sleep(Duration::from_secs(2));
    let m = metrics(&ex);
    assert!(!m.contains("gluster_heal_info_success{"), "{m}");
    assert_eq!(runs(d), before, "glfsheal ran after leadership passed");
    assert!(
        ex.log_text().contains("another peer exports"),
        "{}",
        ex.log_text()
    );

    // A glusterd that does not answer: not exporting, and said so.
    std::fs::write(d.join("pool.xml"), "").unwrap();
    wait_for(
        &ex,
        "gluster_heal_info_peer_list_success{cluster_id=\"\"} 0",
        "no answer",
    );
    assert!(metrics(&ex).contains(NOT_EXPORTING));
}

#[test]
fn all_nodes_exports_whatever_the_peers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    prefix(d);
    std::fs::write(
        d.join("pool.xml"),
        pool_list("f0000000-0000-4000-8000-000000000000", 1),
    )
    .unwrap();
    let p = d.display().to_string();
    let ex = Exporter::start_argv(&[
        "--prefix",
        &p,
        "--volume",
        "v",
        "--interval",
        "0.3",
        "--timeout",
        "5",
        "--all-nodes",
    ]);
    let m = wait_for(
        &ex,
        "gluster_heal_info_success{cluster_id=\"\",volume=\"v\"} 0",
        "all nodes",
    );
    assert!(m.contains(EXPORTING), "{m}");
    // It asks glusterd for no peer list at all.
    assert!(!m.contains("gluster_heal_info_peer_list_success"), "{m}");
    assert!(runs(d) > 0);
}
