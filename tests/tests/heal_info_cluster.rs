//! heal-info against a real GlusterFS 10.3 cluster in private namespaces.
//! One cluster serves the whole scenario, in order, to keep bring-up to once.

use heal_info::diagnose::Cause;
use heal_info::model::Report;
use serde_json::Value;
use std::process::Output;
use std::time::{Duration, Instant};
use tests::skip;
use verify::cluster::{self, Cluster, Flavor, HOST};
use verify::tools::heal_info_bin;
use verify::Counter;

/// Runs heal-info inside the cluster; a legacy cluster's build is named with --prefix.
fn heal_info(c: &Cluster, args: &[&str]) -> (Option<i32>, String, String) {
    let bin = heal_info_bin();
    let mut argv = vec![bin.to_str().unwrap()];
    argv.extend_from_slice(args);
    let prefix = c.flavor.prefix.as_ref().map(|p| p.display().to_string());
    if let Some(p) = &prefix {
        let at = if args.first() == Some(&"probe") { 3 } else { 2 };
        argv.splice(at..at, ["--prefix", p.as_str()]);
    }
    let out: Output = c.exec(&argv).unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `heal-info VOLUME --format json`, read back as heal-info's own `Report`.
fn json(c: &Cluster, volume: &str, extra: &[&str]) -> (i32, Report) {
    let mut args = vec![volume, "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = heal_info(c, &args);
    let v: Report =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad report ({e}): {out}\n{err}"));
    (code.unwrap(), v)
}

fn entries(v: &Report, brick: usize) -> u64 {
    v.bricks.get(brick).and_then(|b| b.entries).unwrap_or(0)
}

fn cause(v: &Report) -> Option<Cause> {
    v.diagnosis.as_ref().map(|d| d.cause)
}

#[test]
fn heal_info_on_a_real_cluster() {
    if let Err(why) = cluster::available() {
        return skip("heal_info_on_a_real_cluster", &why);
    }
    scenario(Flavor::system());
}

/// The same scenario against an installed legacy build (opt-in; CI has none):
/// `GLUSTER_LEGACY_PREFIX=/opt/gluster-3.12 cargo test -p tests --test heal_info_cluster`.
#[test]
fn heal_info_on_a_legacy_build() {
    let Some(prefix) = std::env::var_os("GLUSTER_LEGACY_PREFIX") else {
        return skip(
            "heal_info_on_a_legacy_build",
            "GLUSTER_LEGACY_PREFIX is not set to an installed legacy build",
        );
    };
    if let Err(why) = cluster::available() {
        return skip("heal_info_on_a_legacy_build", &why);
    }
    scenario(Flavor::installed(std::path::Path::new(&prefix)).unwrap());
}

fn scenario(flavor: Flavor) {
    assert!(
        heal_info_bin().exists(),
        "build heal-info first (cargo build --workspace --features heal-info/gfapi)"
    );
    let t = Instant::now();
    let c = Cluster::start_flavor(flavor).unwrap();
    let ec = c
        .create_volume("ec", "disperse-data 2 redundancy 1", 9)
        .unwrap();
    c.create_volume("rep", "replica 3", 3).unwrap();
    eprintln!("bring-up took {:.1}s", t.elapsed().as_secs_f64());

    // Healthy: every brick connected, nothing pending, exit 0.
    let (code, v) = json(&c, "ec", &[]);
    assert_eq!(code, 0, "{v:?}");
    assert_eq!(v.totals.bricks, 9);
    assert_eq!(v.totals.connected, 9);
    assert_eq!(v.totals.entries, 0);
    assert_eq!(v.bricks[0].host, HOST);
    assert_eq!(v.bricks[0].path, ec[0].display().to_string());
    if c.flavor.prefix.is_none() {
        assert_eq!(v.version.as_deref(), Some("10.3"));
    }
    let (code, v) = json(&c, "rep", &[]);
    assert_eq!((code, v.totals.bricks), (0, 3));

    // Prometheus output, read back with a real exposition parser.
    let (code, text, _) = heal_info(&c, &["ec", "--format", "prometheus"]);
    assert_eq!(code, Some(0));
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid exposition format");
    let heal: Vec<_> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "gluster_volume_heal_count")
        .collect();
    assert_eq!(heal.len(), 9);
    assert_eq!(heal[0].labels.get("volume"), Some("ec"));
    assert_eq!(heal[0].labels.get("host"), Some(HOST));
    assert!(heal[0].labels.get("brick_path").unwrap().starts_with('/'));
    assert!(scrape
        .samples
        .iter()
        .any(|s| s.metric == "gluster_heal_info_success"));

    // Two probes at once, each PID 1 of its own PID namespace, sharing /tmp:
    // as two clusters or two containers on one host are. A log named by PID
    // was one file for both, and the first to finish removed the other's
    // (CI: "gfapi writes" exit 4 while a legacy cluster's probe ran beside).
    let probes: Vec<_> = (0..2)
        .map(|_| {
            // A deadline: a probe hung in glfs_init fails the test, not the suite.
            let mut argv = vec![
                "timeout",
                "-k",
                "5",
                "120",
                "unshare",
                "--pid",
                "--fork",
                "--mount-proc",
                "--kill-child",
            ];
            let bin = heal_info_bin().display().to_string();
            let prefix = c.flavor.prefix.as_ref().map(|p| p.display().to_string());
            let mut args = vec![bin, "probe".into()];
            if let Some(p) = prefix {
                args.extend(["--prefix".into(), p]);
            }
            args.push("ec".into());
            argv.extend(args.iter().map(String::as_str));
            let mut cmd = c.command(&argv);
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for p in probes {
        let out = p.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "probe printed no result ({e}, {}): {text} {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(out.status.code(), Some(0), "{v}");
        assert_eq!(
            (v["subvolumes"].as_u64(), v["subvolumes_up"].as_u64()),
            (Some(3), Some(3)),
            "{v}"
        );
    }

    // A brick down while files are written through gfapi: its partners hold
    // the pending heals, exit 2 while it is down.
    c.sh("gluster --mode=script volume heal ec disable")
        .unwrap();
    c.kill_brick("ec", 0).unwrap();
    let (code, out, err) = heal_info(&c, &["probe", "ec", "--write-files", "30"]);
    assert_eq!(code, Some(0), "gfapi writes: {out} {err}");
    let (code, v) = json(&c, "ec", &[]);
    assert_eq!(code, 2, "{v:?}");
    assert!(!v.bricks[0].connected);
    assert!(entries(&v, 1) > 0 && entries(&v, 2) > 0, "{v:?}");

    // The brick index scan, without glusterd, agrees with glfsheal.
    let scan = |i: usize| -> u64 {
        let out = std::process::Command::new(heal_info_bin())
            .args(["scan", "--json"])
            .arg(&ec[i])
            .output()
            .unwrap();
        let s: Value = serde_json::from_slice(&out.stdout).unwrap();
        s[0]["pending"].as_u64().unwrap()
    };
    assert_eq!(scan(1), entries(&v, 1), "scan vs glfsheal, brick 1");
    assert_eq!(scan(2), entries(&v, 2), "scan vs glfsheal, brick 2");
    assert_eq!(scan(4), 0);

    // Back up, self-heal off: entries pending, exit 1, with --entries listing them.
    c.sh("gluster --mode=script volume start ec force").unwrap();
    c.wait_bricks_online("ec", 9).unwrap();
    let (code, v) = json(&c, "ec", &["--entries"]);
    assert_eq!(code, 1, "{v:?}");
    assert!(!v.bricks[1].entry_paths.is_empty());

    // Heal, and back to clean.
    c.sh("gluster --mode=script volume heal ec enable && gluster --mode=script volume heal ec")
        .unwrap();
    c.poll("the heal finishes", Duration::from_secs(120), |c| {
        Ok(json(c, "ec", &[]).0 == 0)
    })
    .unwrap();

    // glusterd stopped: heal-info keeps its deadline and names the cause.
    let gd = c.glusterd_pid().unwrap();
    unsafe { libc::kill(gd as i32, libc::SIGSTOP) };
    let started = Instant::now();
    let (code, v) = json(&c, "ec", &["--timeout", "5"]);
    unsafe { libc::kill(gd as i32, libc::SIGCONT) };
    assert_eq!(code, 3, "{v:?}");
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "the deadline was not kept"
    );
    assert_eq!(cause(&v), Some(Cause::GlusterdNotAnswering), "{v:?}");
    assert!(v.diagnosis.as_ref().is_some_and(|d| d.glusterd_stopped));

    // Brick host names that resolve only through DNS, and DNS is a black hole.
    c.set_hosts(&format!(
        "127.0.0.1 localhost\n{} {HOST}\n{} gl-dns\n",
        c.host_addr(),
        c.host_addr()
    ))
    .unwrap();
    let dirs: Vec<String> = (0..3)
        .map(|i| format!("gl-dns:{}", c.brick_dir("dns", i).display()))
        .collect();
    c.sh(&format!("gluster --mode=script volume create dns disperse-data 2 redundancy 1 {} force && gluster --mode=script volume start dns", dirs.join(" "))).unwrap();
    c.wait_bricks_online("dns", 3).unwrap();
    // glusterd keeps resolving gl-dns from the cluster's hosts file; heal-info
    // runs in a nested mount namespace whose hosts file lacks it, so glfsheal
    // must ask DNS, and DNS is a black hole.
    let no_dns_host = c.dir.path().join("hosts-without-gl-dns");
    std::fs::write(
        &no_dns_host,
        format!("127.0.0.1 localhost\n{} {HOST}\n", c.host_addr()),
    )
    .unwrap();
    let hole = Counter::start(&c, "127.0.0.1:53", "dns").unwrap();
    // A resolver that waits long, as a real unreachable DNS server makes it.
    let slow_resolver = c.dir.path().join("resolv-slow.conf");
    std::fs::write(
        &slow_resolver,
        "nameserver 127.0.0.1\noptions timeout:10 attempts:3\n",
    )
    .unwrap();
    let script = format!(
        "mount --bind {} /etc/hosts && mount --bind {} /etc/resolv.conf && exec {} dns {} --format json --timeout 6",
        no_dns_host.display(),
        slow_resolver.display(),
        heal_info_bin().display(),
        c.flavor.prefix.as_ref().map_or(String::new(), |p| format!("--prefix {}", p.display())),
    );
    let out = c.exec(&["unshare", "-m", "bash", "-c", &script]).unwrap();
    let (code, v): (i32, Report) = (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    );
    let queries = hole.count();
    drop(hole);
    assert_eq!(code, 3, "{v:?}");
    assert_eq!(cause(&v), Some(Cause::BrickHostDns), "{v:?}");
    assert!(queries > 0, "the black hole saw no query");

    // A volume that does not exist: its own clear failure.
    let (code, v) = json(&c, "nope", &["--timeout", "20"]);
    assert_eq!(code, 4, "{v:?}");
    assert!(v.error.as_ref().is_some_and(|e| !e.is_empty()), "{v:?}");
    let up = c.uptime();
    drop(c);
    eprintln!("cluster scenario took {:.1}s in all", up.as_secs_f64());
}
