//! libgfresolv.so against this machine's glibc, and against glibc 2.17's
//! behaviour (the legacy resolver layer) under a black-hole DNS server.

use std::path::{Path, PathBuf};
use std::process::Command;
use tests::skip;
use verify::tools::{blackhole_bin, can_unshare, legacy_resolv_so, probe, shim_so};
use xtask::blackhole;

const SOCKET: &str = "/var/run/glusterd.socket";

fn preload(parts: &[&std::path::Path]) -> String {
    parts
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

fn shim() -> std::path::PathBuf {
    let so = shim_so();
    assert!(
        so.exists(),
        "{} is missing: run cargo build --workspace (cargo xtask test does)",
        so.display()
    );
    so
}

/// Runs the probe directly with `env`.
fn run_probe(args: &[&str], env: &[(&str, String)]) -> (String, String) {
    let mut cmd = Command::new(probe());
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("running the probe");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn field(out: &str, key: &str) -> f64 {
    out.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key}= in {out:?}"))
}

#[test]
fn stall_under_black_hole_without_shim_and_instant_rescue_with_it() {
    if let Err(why) = can_unshare() {
        return skip("stall_under_black_hole", &why);
    }
    let bh = blackhole_bin();
    assert!(
        bh.exists(),
        "{} is missing: run cargo build --workspace",
        bh.display()
    );
    let (shim, legacy) = (shim(), legacy_resolv_so());
    let p = probe();
    let argv = [p.to_str().unwrap(), "call", SOCKET, "3"];

    // 3.12's call, once per subvolume of a 3-subvolume volume, on "glibc 2.17".
    let stalled = blackhole::run(&bh, &argv, &[("LD_PRELOAD", &preload(&[&legacy]))]);
    assert!(stalled.success, "{}", stalled.stderr);
    assert!(
        stalled.seconds >= 3.0,
        "expected a stall of a resolver timeout per call: {:.2}s",
        stalled.seconds
    );
    assert!(
        stalled.queries >= 3,
        "the black hole saw {} queries",
        stalled.queries
    );

    for (mode, rc) in [("fail", -2.0), ("loopback", 0.0)] {
        let rescued = blackhole::run(
            &bh,
            &argv,
            &[
                ("LD_PRELOAD", &preload(&[&shim, &legacy])),
                ("GFRESOLV_MODE", mode),
            ],
        );
        assert!(rescued.success, "{}", rescued.stderr);
        assert_eq!(
            field(&rescued.stdout, "rc"),
            rc,
            "{mode}: {}",
            rescued.stdout
        );
        assert_eq!(
            rescued.queries, 0,
            "{mode}: no DNS query may leave for a socket path"
        );
        assert!(
            field(&rescued.stdout, "seconds") < 0.05,
            "{mode}: {}",
            rescued.stdout
        );
        eprintln!(
            "stall without shim: {:.2}s, {} queries; with shim ({mode}): {}s, 0 queries",
            stalled.seconds,
            stalled.queries,
            field(&rescued.stdout, "seconds")
        );
    }

    // The gethostbyname family (3.9-era events.c) is covered the same way.
    let argv = [p.to_str().unwrap(), "ghbn", SOCKET];
    let rescued = blackhole::run(&bh, &argv, &[("LD_PRELOAD", &preload(&[&shim, &legacy]))]);
    assert_eq!(rescued.queries, 0, "{}", rescued.stdout);
    assert!(
        rescued.stdout.contains("gethostbyname NULL h_errno=1"),
        "{}",
        rescued.stdout
    );
    assert!(rescued.seconds < 1.0);
}

#[test]
fn ordinary_names_get_exactly_what_libc_gives() {
    let shim = shim();
    let (plain, _) = run_probe(&["battery"], &[]);
    assert!(
        plain.contains("numeric-v4 rc=0") && plain.contains("bad-family rc=-6"),
        "{plain}"
    );
    for mode in ["fail", "loopback"] {
        let (with, _) = run_probe(
            &["battery"],
            &[
                ("LD_PRELOAD", shim.display().to_string()),
                ("GFRESOLV_MODE", mode.into()),
            ],
        );
        assert_eq!(with, plain, "pass-through differs from libc in {mode} mode");
    }
}

#[test]
fn answers_socket_paths_in_both_modes() {
    let shim = shim().display().to_string();
    let (out, _) = run_probe(&["call", SOCKET, "1"], &[("LD_PRELOAD", shim.clone())]);
    assert_eq!(field(&out, "rc"), -2.0, "EAI_NONAME in fail mode: {out}");
    let (out, _) = run_probe(
        &["free", SOCKET],
        &[
            ("LD_PRELOAD", shim.clone()),
            ("GFRESOLV_MODE", "loopback".into()),
        ],
    );
    assert!(out.starts_with("rc=0 results="), "{out}");
    assert!(field(&out, "results") >= 1.0, "{out}");
    let (out, _) = run_probe(
        &["ghbn", SOCKET],
        &[
            ("LD_PRELOAD", shim.clone()),
            ("GFRESOLV_MODE", "loopback".into()),
        ],
    );
    assert!(out.contains("gethostbyname localhost h_errno=0"), "{out}");
    assert!(out.contains("gethostbyname2 localhost len=16"), "{out}");
    assert!(
        out.contains("gethostbyname_r rc=0 localhost herr=0"),
        "{out}"
    );
    assert!(
        out.contains("gethostbyname2_r rc=0 localhost herr=0"),
        "{out}"
    );
    assert!(
        out.contains("gethostbyname_r-small rc=34 herr=-1"),
        "ERANGE for a small buffer: {out}"
    );
    let (out, _) = run_probe(&["ghbn", SOCKET], &[("LD_PRELOAD", shim)]);
    assert!(
        out.contains("gethostbyname_r rc=0 NULL herr=1"),
        "HOST_NOT_FOUND in fail mode: {out}"
    );
}

#[test]
fn sixty_four_threads_fork_and_dlopen_are_safe() {
    let shim = shim();
    let env = [("LD_PRELOAD", shim.display().to_string())];
    let (out, err) = run_probe(&["threads", SOCKET, "64", "100000"], &env);
    assert_eq!(out.trim(), "ok", "{err}");
    let (out, err) = run_probe(&["threads", "127.0.0.1", "8", "2000"], &env);
    assert_eq!(out.trim(), "ok", "{err}");
    let (out, err) = run_probe(&["fork", SOCKET], &env);
    assert_eq!(out.trim(), "ok", "{err}");
    let (out, err) = run_probe(&["dlopen", shim.to_str().unwrap()], &[]);
    assert_eq!(out.trim(), "ok", "{err}");
}

#[test]
fn loopback_results_are_freed_cleanly_by_libc_under_valgrind() {
    if xtask::paths::which("valgrind").is_none() {
        return skip(
            "loopback_results_are_freed_cleanly_by_libc_under_valgrind",
            "valgrind is not installed",
        );
    }
    let out = Command::new("valgrind")
        .args([
            "--error-exitcode=9",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "-q",
        ])
        .arg(probe())
        .args(["free", SOCKET])
        .env("LD_PRELOAD", shim())
        .env("GFRESOLV_MODE", "loopback")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "valgrind found errors:\n{err}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("rc=0"));
}

#[test]
fn log_only_and_bad_settings_never_break_the_host() {
    let shim = shim().display().to_string();
    let legacy = legacy_resolv_so().display().to_string();
    let both = format!("{shim}:{legacy}");
    let (out, err) = run_probe(
        &["call", SOCKET, "1"],
        &[
            ("LD_PRELOAD", shim.clone()),
            ("GFRESOLV_LOG", "stderr".into()),
        ],
    );
    assert_eq!(field(&out, "rc"), -2.0);
    assert!(
        err.contains("getaddrinfo(\"/var/run/glusterd.socket\") answered at once, mode=fail"),
        "{err}"
    );
    assert!(err.contains("libgfresolv: pid "), "{err}");

    // GFRESOLV_ONLY names other programs: this one is passed through to the
    // layer below (here the legacy layer, which asks the machine's DNS as
    // 2.17 would: EAI_NONAME when it answers, EAI_SYSTEM when it is silent),
    // never the shim's own at-once answer.
    let (out, err) = run_probe(
        &["call", SOCKET, "1"],
        &[
            ("LD_PRELOAD", both.clone()),
            ("GFRESOLV_ONLY", "glfsheal,glusterfs".into()),
            ("GFRESOLV_LOG", "stderr".into()),
        ],
    );
    assert!([-2.0, -11.0].contains(&field(&out, "rc")), "{out}");
    assert!(!err.contains("answered at once"), "{err}");
    let (out, _) = run_probe(
        &["call", SOCKET, "1"],
        &[
            ("LD_PRELOAD", both),
            ("GFRESOLV_ONLY", "glfsheal, probe".into()),
        ],
    );
    assert_eq!(field(&out, "rc"), -2.0, "{out}");

    let (out, err) = run_probe(
        &["call", SOCKET, "2"],
        &[
            ("LD_PRELOAD", shim.clone()),
            ("GFRESOLV_MODE", "sideways".into()),
        ],
    );
    assert_eq!(field(&out, "rc"), -2.0);
    assert_eq!(
        err.matches("unknown GFRESOLV_MODE 'sideways'; using fail")
            .count(),
        1,
        "{err}"
    );

    let (out, err) = run_probe(
        &["call", SOCKET, "2"],
        &[
            ("LD_PRELOAD", shim),
            ("GFRESOLV_LOG", "/nonexistent/dir/log".into()),
        ],
    );
    assert_eq!(field(&out, "rc"), -2.0);
    assert_eq!(
        err.matches("cannot write log file /nonexistent/dir/log")
            .count(),
        1,
        "{err}"
    );
}

#[test]
fn heal_info_names_the_events_stall_and_its_remedies() {
    if let Err(why) = can_unshare() {
        return skip("heal_info_names_the_events_stall_and_its_remedies", &why);
    }
    let heal_info = verify::tools::heal_info_bin();
    assert!(
        heal_info.exists(),
        "build heal-info first (cargo build --workspace)"
    );
    // A stand-in glfsheal that does what 3.12's does on a 3-subvolume disperse
    // volume (a "Going UP" line, then _gf_event()'s lookup of the socket path,
    // per subvolume), on glibc 2.17's resolver, under a black-hole DNS server.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("glfsheal");
    let logs = dir.path().join("log");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nexec {} events /var/log/glusterfs/glfsheal-$1.log {SOCKET} 3\n",
            probe().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let script = format!(
        "mkdir -p /var/log/glusterfs && mount --bind {} /var/log/glusterfs && exec {} ec --glfsheal {} --timeout 5 --format json",
        logs.display(),
        heal_info.display(),
        fake.display()
    );
    let run = blackhole::run(
        &blackhole_bin(),
        &["bash", "-c", &script],
        &[("LD_PRELOAD", &legacy_resolv_so().display().to_string())],
    );
    let v: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    assert_eq!(v["exit"], 3, "{v}");
    let d = &v["diagnosis"];
    assert_eq!(d["cause"], "events-resolver-stall", "{v}");
    assert!(d["dns_sockets"].as_u64().unwrap() >= 1, "{d}");
    assert_eq!(d["dns_servers"][0], "127.0.0.1");
    let gaps: Vec<f64> = d["going_up_gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_f64().unwrap())
        .collect();
    assert!(
        !gaps.is_empty() && gaps.iter().all(|g| (1.5..3.0).contains(g)),
        "one resolver timeout (A+AAAA, 1 s each) per subvolume: {gaps:?}"
    );
    let remedy = d["remedy"].as_str().unwrap();
    assert!(
        remedy.contains("f4f24c8c78")
            && remedy.contains("cargo xtask backport")
            && remedy.contains("libgfresolv.so"),
        "{remedy}"
    );

    // With the shim on top, the same stand-in finishes at once.
    let both = format!("{}:{}", shim().display(), legacy_resolv_so().display());
    let run = blackhole::run(
        &blackhole_bin(),
        &["bash", "-c", &script],
        &[("LD_PRELOAD", &both)],
    );
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["exit"], 0, "{v}");
    assert_eq!(run.queries, 0);
}

/// Datagrams the probe's `events` (3.12's _gf_event(), call for call) gets
/// to a local events port for `k` subvolumes, with `env`.
fn events_delivered(k: usize, env: &[(&str, String)]) -> usize {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_millis(300)))
        .unwrap();
    let port = sock.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("glfsheal-probe.log");
    let mut env = env.to_vec();
    env.push(("EVENTS_PORT", port));
    let (out, err) = run_probe(
        &["events", log.to_str().unwrap(), SOCKET, &k.to_string()],
        &env,
    );
    assert!(out.contains("Number of entries: 0"), "{out} {err}");
    let mut buf = [0u8; 256];
    let mut n = 0;
    while let Ok((len, _)) = sock.recv_from(&mut buf) {
        let msg = String::from_utf8_lossy(&buf[..len]);
        assert!(msg.contains("subvol=probe-disperse-"), "{msg}");
        n += 1;
    }
    n
}

#[test]
fn loopback_mode_delivers_every_event_of_3_12s_gf_event() {
    // 3.12 turns the first answer into text and gives it to inet_addr() for
    // an AF_INET socket: "::1" first would be 255.255.255.255, and lost.
    let shim = shim().display().to_string();
    let loopback = [
        ("LD_PRELOAD", shim.clone()),
        ("GFRESOLV_MODE", "loopback".to_string()),
    ];
    assert_eq!(events_delivered(3, &loopback), 3);
    // Fail mode (and this glibc without the shim) resolve nothing: no event,
    // as 3.12 gives up with EVENT_ERROR_RESOLVE.
    assert_eq!(events_delivered(2, &[("LD_PRELOAD", shim)]), 0);
    assert_eq!(events_delivered(2, &[]), 0);
}

/// The real unfixed GlusterFS build `cargo xtask test` makes (its A/B base):
/// its prefix (GLUSTER_LEGACY_PREFIX), and its kept build tree
/// (GLUSTER_LEGACY_TREE) for the headers libglusterfs does not install.
/// The backported build (GLUSTER_LEGACY_FIXED_PREFIX) shares the base's
/// headers: the series changes events.c only.
fn real_build(prefix_var: &str) -> Result<(PathBuf, PathBuf), String> {
    let name = "3.12.15";
    let var = |v: &str| {
        std::env::var_os(v).map(PathBuf::from).ok_or_else(|| {
            format!("{v} is not set (cargo xtask test sets it to the {name} build it makes)")
        })
    };
    let prefix = var(prefix_var)?;
    let tree = var("GLUSTER_LEGACY_TREE")?;
    let config = std::fs::read_to_string(tree.join("config.h")).unwrap_or_default();
    let version = name.split('-').next().unwrap_or(name);
    if !config.contains(&format!("#define PACKAGE_VERSION \"{version}\""))
        || !tree.join("libglusterfs/src/eventtypes.h").exists()
    {
        return Err(format!(
            "{} is not a built {version} tree (its headers are needed)",
            tree.display()
        ));
    }
    Ok((prefix, tree))
}

/// The harness that calls the build's own _gf_event(), built against it.
fn real_gf_event_bin(prefix: &Path, tree: &Path, out: &Path) -> PathBuf {
    let bin = out.join("real_gf_event");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("c/real_gf_event.c");
    let inc = |p: &Path| format!("-I{}", p.display());
    let st = Command::new("cc")
        .args([
            "-O1",
            "-DHAVE_CONFIG_H",
            "-D_GNU_SOURCE",
            "-DGF_LINUX_HOST_OS",
        ])
        .args([
            "-D_FILE_OFFSET_BITS=64",
            "-I/usr/include/tirpc",
            "-I/usr/include/uuid",
        ])
        .arg(inc(tree))
        .arg(inc(&tree.join("libglusterfs/src")))
        .arg(inc(&tree.join("rpc/xdr/src")))
        .arg(inc(&prefix.join("include/glusterfs")))
        .arg("-o")
        .arg(&bin)
        .arg(src)
        .arg(format!("-L{}", prefix.join("lib").display()))
        .arg(format!("-Wl,-rpath,{}", prefix.join("lib").display()))
        .arg("-lglusterfs")
        .status()
        .unwrap();
    assert!(
        st.success(),
        "building real_gf_event against {}",
        prefix.display()
    );
    bin
}

/// Addresses of an IPv4-only host (as verify's cluster has): 127.0.0.2 is
/// not 127.0.0.1, so glibc's AI_ADDRCONFIG counts IPv4 as configured.
const IPV4_HOST: &str = "ip link set lo up && ip addr add 127.0.0.2/8 dev lo";
/// A dual-stack host: non-loopback IPv4 and IPv6 addresses.
const DUAL_STACK_HOST: &str = "ip link set lo up && ip addr add 198.18.0.2/32 dev lo && ip addr add 2001:db8::2/128 dev lo nodad";
/// An IPv6-only host: a non-loopback IPv6 address, no IPv4 but 127.0.0.1
/// (which AI_ADDRCONFIG does not count).
const IPV6_HOST: &str = "ip link set lo up && ip addr add 2001:db8::2/128 dev lo nodad";
/// Every host shape, by the name verify gives it.
const HOSTS: [(&str, &str); 3] = [
    ("ipv4", IPV4_HOST),
    ("dual-stack", DUAL_STACK_HOST),
    ("ipv6", IPV6_HOST),
];
/// A host whose loopback is down: every send fails (ENETUNREACH).
const NO_NETWORK: &str = "true";

/// What one run of the harness saw.
#[derive(Debug, PartialEq)]
struct Delivered {
    codes: Vec<i32>,
    received: usize,
    v4: usize,
    v6: usize,
}

/// `_gf_event()` of the real build `k` times in a private network
/// namespace shaped by `host`: its return codes and the events that reached
/// port 24009, per family.
fn real_events(bin: &Path, host: &str, k: usize, env: &[(&str, String)]) -> Delivered {
    let script = format!("{host} && exec {} {SOCKET} {k}", bin.display());
    let mut cmd = Command::new("unshare");
    cmd.args(["-n", "bash", "-c", &script]);
    for (key, v) in env {
        cmd.env(key, v);
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let num = |prefix: &str, nth: usize| -> usize {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().nth(nth)?.parse().ok())
            .unwrap_or_else(|| panic!("no `{prefix}` line in: {text}"))
    };
    Delivered {
        codes: text.lines().filter_map(|l| l.parse().ok()).collect(),
        received: num("received ", 0),
        v4: num("v4 ", 0),
        v6: num("v4 ", 2),
    }
}

/// (codes, received) of a run, for the checks that do not look at families.
fn sent(d: Delivered) -> (Vec<i32>, usize) {
    (d.codes, d.received)
}

/// EVENT_ERROR_SEND of 3.x's eventtypes.h (events/eventskeygen.py's ERRORS).
const EVENT_ERROR_SEND: i32 = 4;

#[test]
fn real_3_12_15_gf_event_loses_no_event_with_the_shim_in_loopback_mode() {
    if let Err(why) = can_unshare() {
        return skip("real_3_12_15_gf_event", &why);
    }
    let (prefix, tree) = match real_build("GLUSTER_LEGACY_PREFIX") {
        Ok(b) => b,
        Err(why) => return skip("real_3_12_15_gf_event", &why),
    };
    let dir = tempfile::tempdir().unwrap();
    let bin = real_gf_event_bin(&prefix, &tree, dir.path());
    let shim = shim().display().to_string();
    // Unfixed, no shim: this glibc refuses the path; nothing is sent.
    assert_eq!(
        sent(real_events(&bin, IPV4_HOST, 3, &[])),
        (vec![5, 5, 5], 0)
    );
    // Loopback mode: 127.0.0.1 first, so inet_addr() gets an IPv4 address,
    // on every host shape, IPv6-only included (127.0.0.1 is on lo there too).
    let loopback = [
        ("LD_PRELOAD", shim.clone()),
        ("GFRESOLV_MODE", "loopback".to_string()),
    ];
    for (name, host) in HOSTS {
        assert_eq!(
            real_events(&bin, host, 3, &loopback),
            Delivered {
                codes: vec![0, 0, 0],
                received: 3,
                v4: 3,
                v6: 0
            },
            "{name}"
        );
    }
    assert_eq!(
        sent(real_events(&bin, IPV4_HOST, 2, &[("LD_PRELOAD", shim)])),
        (vec![5, 5], 0)
    );
}

/// Which stages `cargo xtask test` ported onto the fixed build
/// (GLUSTER_LEGACY_FIXED_STAGES, e.g. `stall,delivery`).
fn fixed_stages() -> Vec<String> {
    std::env::var("GLUSTER_LEGACY_FIXED_STAGES")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn real_backported_3_12_15_delivers_on_every_host_shape_and_reports_a_failed_send() {
    if let Err(why) = can_unshare() {
        return skip("real_backported_3_12_15_gf_event", &why);
    }
    let (prefix, tree) = match real_build("GLUSTER_LEGACY_FIXED_PREFIX") {
        Ok(b) => b,
        Err(why) => return skip("real_backported_3_12_15_gf_event", &why),
    };
    let stages = fixed_stages();
    if !stages.iter().any(|s| s == "stall") {
        return skip(
            "real_backported_3_12_15_gf_event",
            "GLUSTER_LEGACY_FIXED_STAGES does not name the stages the build has (cargo xtask test sets it)",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let fixed = real_gf_event_bin(&prefix, &tree, dir.path());
    // The stall stage alone sends every event on an IPv4-only host.
    assert_eq!(
        real_events(&fixed, IPV4_HOST, 3, &[]),
        Delivered {
            codes: vec![0, 0, 0],
            received: 3,
            v4: 3,
            v6: 0
        }
    );
    if !stages.iter().any(|s| s == "delivery") {
        // Without the delivery stage, getaddrinfo answers ::1 first on a
        // dual-stack host and the AF_INET socket cannot send it: every event
        // is lost, and each call says it was sent.
        assert_eq!(
            sent(real_events(&fixed, DUAL_STACK_HOST, 3, &[])),
            (vec![0, 0, 0], 0),
            "the stall-only backport on a dual-stack host"
        );
        return skip(
            "real_backported_3_12_15_gf_event (delivery stage)",
            "the build has the stall stage only: the delivery stage's upstream commits are not in ../shared/glusterfs (GLUSTER_REPO=<full clone> cargo xtask test ports and proves it)",
        );
    }
    // The delivery stage: the socket is made for the family getaddrinfo
    // answered, so ::1 goes out over IPv6 on dual-stack and IPv6-only hosts.
    for (name, host) in HOSTS {
        let d = real_events(&fixed, host, 3, &[]);
        let (v4, v6) = if name == "ipv4" { (3, 0) } else { (0, 3) };
        assert_eq!(
            d,
            Delivered {
                codes: vec![0, 0, 0],
                received: 3,
                v4,
                v6
            },
            "{name}"
        );
    }
    // And a send that fails is an error, not EVENT_SEND_OK.
    let d = real_events(&fixed, NO_NETWORK, 2, &[]);
    assert_eq!(
        sent(d),
        (vec![EVENT_ERROR_SEND, EVENT_ERROR_SEND], 0),
        "a lost send"
    );
}
