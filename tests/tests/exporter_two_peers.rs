//! The one-node rule with two real glusterd peers: two clusters, each in
//! its own namespaces, joined by a veth pair the test makes between their
//! network namespaces (addresses from the benchmarking range 198.18.0.0/15,
//! which exist only on that pair), peered with `gluster peer probe`. heal-info
//! serve runs in both; only the peer with the higher UUID runs glfsheal
//! (a stand-in that counts its runs) and exports; when that one's glusterd
//! is killed, the other takes over.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tests::skip;
use verify::background::Background;
use verify::cluster::{self, Cluster};
use verify::netns_http::get;
use verify::tools::heal_info_bin;

const SERVE: &str = "127.0.0.1:19713";
const EXPORTING: &str = "gluster_heal_info_exporting_node{cluster_id=\"\"} 1";
const NOT_EXPORTING: &str = "gluster_heal_info_exporting_node{cluster_id=\"\"} 0";

fn uuid(c: &Cluster) -> String {
    c.sh("gluster --mode=script system:: uuid get")
        .unwrap()
        .trim()
        .trim_start_matches("UUID:")
        .trim()
        .to_ascii_lowercase()
}

/// `ip` in `c`'s network namespace only (the host's /proc, so a PID names
/// the other namespace).
fn ip(c: &Cluster, args: &str) {
    let st = Command::new("nsenter")
        .args(["-t", &c.init_pid.to_string(), "-n", "--", "sh", "-c"])
        .arg(format!("ip {args}"))
        .status()
        .unwrap();
    assert!(st.success(), "ip {args}");
}

fn connected_peers(c: &Cluster) -> usize {
    c.sh("gluster --mode=script pool list --xml")
        .unwrap_or_default()
        .matches("<connected>1</connected>")
        .count()
}

fn runs(file: &Path) -> usize {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .count()
}

fn metrics(c: &Cluster) -> String {
    get(c.init_pid, SERVE, "/metrics", Duration::from_secs(5))
        .map(|a| a.body)
        .unwrap_or_default()
}

fn wait(what: &str, limit: Duration, mut check: impl FnMut() -> bool, dump: impl Fn() -> String) {
    let t = Instant::now();
    while !check() {
        assert!(t.elapsed() < limit, "{what}\n{}", dump());
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn of_two_real_peers_only_the_higher_uuid_runs_glfsheal() {
    let name = "of_two_real_peers_only_the_higher_uuid_runs_glfsheal";
    if let Err(why) = cluster::available() {
        return skip(name, &why);
    }
    assert!(heal_info_bin().exists(), "build heal-info first");
    let a = Cluster::start().unwrap();
    let b = Cluster::start().unwrap();
    ip(
        &a,
        &format!("link add gha type veth peer name ghb netns {}", b.init_pid),
    );
    ip(&a, "addr add 198.18.1.1/24 dev gha");
    ip(&a, "link set gha up");
    ip(&b, "addr add 198.18.1.2/24 dev ghb");
    ip(&b, "link set ghb up");
    a.sh("gluster --mode=script peer probe 198.18.1.2").unwrap();
    wait(
        "the two glusterds never saw each other connected",
        Duration::from_secs(60),
        || connected_peers(&a) == 2 && connected_peers(&b) == 2,
        || {
            format!(
                "a: {}\nb: {}",
                a.sh("gluster --mode=script pool list --xml")
                    .unwrap_or_default(),
                b.sh("gluster --mode=script pool list --xml")
                    .unwrap_or_default()
            )
        },
    );
    eprintln!(
        "pool list --xml on a (two peers):\n{}",
        a.sh("gluster --mode=script pool list --xml").unwrap()
    );
    let (ua, ub) = (uuid(&a), uuid(&b));
    assert_ne!(ua, ub);
    let (leader, follower) = if ua > ub { (&a, &b) } else { (&b, &a) };

    // Each node's stand-in glfsheal counts its runs in its own cluster dir.
    let serve = |c: &Cluster| -> (Background, std::path::PathBuf) {
        let d = c.dir.path();
        let counter = d.join("glfsheal-runs");
        let fake = d.join("glfsheal");
        std::fs::write(
            &fake,
            format!("#!/bin/sh\necho \"$*\" >> {}\nexit 1\n", counter.display()),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let bin = heal_info_bin().display().to_string();
        let fake = fake.display().to_string();
        let bg = Background::start(
            c,
            "serve",
            &[
                &bin,
                "serve",
                "--listen",
                SERVE,
                "--glfsheal",
                &fake,
                "--volume",
                "v",
                "--interval",
                "0.5",
                "--timeout",
                "10",
            ],
        )
        .unwrap();
        (bg, counter)
    };
    let (lead_serve, lead_runs) = serve(leader);
    let (follow_serve, follow_runs) = serve(follower);
    let dump = || {
        format!(
            "leader /metrics:\n{}\nfollower /metrics:\n{}\nleader log:\n{}\nfollower log:\n{}",
            metrics(leader),
            metrics(follower),
            lead_serve.log_text(),
            follow_serve.log_text()
        )
    };
    wait(
        "the higher UUID never exported, or the lower one did",
        Duration::from_secs(60),
        || {
            metrics(leader).contains(EXPORTING)
                && metrics(follower).contains(NOT_EXPORTING)
                && runs(&lead_runs) > 0
        },
        dump,
    );
    // Several more rounds: the follower still runs nothing, exports no volume.
    std::thread::sleep(Duration::from_secs(3));
    let m = metrics(follower);
    assert!(m.contains(NOT_EXPORTING), "{}", dump());
    assert!(!m.contains("gluster_heal_info_success{"), "{m}");
    assert!(
        m.contains("gluster_heal_info_peer_list_success{cluster_id=\"\"} 1"),
        "{m}"
    );
    assert!(metrics(leader).contains("gluster_heal_info_success{cluster_id=\"\",volume=\"v\"} 0"));
    assert_eq!(
        runs(&follow_runs),
        0,
        "the follower ran glfsheal\n{}",
        dump()
    );
    // What an operator's Prometheus scrapes from each node.
    for (name, node) in [("leader", leader), ("follower", follower)] {
        let body = metrics(node);
        let shown: Vec<&str> = body
            .lines()
            .filter(|l| {
                l.starts_with("gluster_heal_info_exporting_node")
                    || l.starts_with("gluster_heal_info_success")
                    || l.starts_with("gluster_volume_heal_count")
            })
            .collect();
        eprintln!("scrape of the {name}:\n{}", shown.join("\n"));
    }
    eprintln!(
        "leader {} ran glfsheal {} times, follower {} none",
        if ua > ub { ua.as_str() } else { ub.as_str() },
        runs(&lead_runs),
        if ua > ub { ub.as_str() } else { ua.as_str() },
    );

    // The leader's glusterd dies: the follower takes over, and the old
    // leader, which cannot ask its glusterd, stops exporting.
    let pid = leader.glusterd_pid().unwrap();
    let st = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    wait(
        "the follower never took over",
        Duration::from_secs(60),
        || {
            metrics(follower).contains(EXPORTING)
                && runs(&follow_runs) > 0
                && metrics(leader)
                    .contains("gluster_heal_info_peer_list_success{cluster_id=\"\"} 0")
                && metrics(leader).contains(NOT_EXPORTING)
        },
        dump,
    );
    eprintln!("after the leader's glusterd was killed the follower took over");
    drop(follow_serve);
    drop(lead_serve);
}
