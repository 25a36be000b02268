//! CentOS 7's C library for real: glibc 2.17 built from the shared source
//! (`cargo xtask glibc`; the suite starts its build first, and these tests
//! wait for it on its lock, or build it when nothing did). On it: the resolver itself under the black-hole
//! DNS, compared query for query with the kit's legacy-resolver layer on
//! this machine's glibc (the stand-in every stall figure rests on); the
//! portable shim preloaded, in each mode and under a hostile environment;
//! the shim from ld.so.preload in a setuid-root program run by nobody; and
//! the dist heal-info. Nothing of the host is changed: /etc is bound over
//! in private mount namespaces, and the host's ld.so.preload and libc are
//! compared before and after.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tests::attack::{
    cannot_attack, control_run, privileged_helper_writes_nothing, refs, root_config, text, Host,
};
use tests::skip;
use verify::tools::{
    blackhole_bin, can_unshare, gai_probe, gai_probe_src, legacy_resolv_so, portable_shim_so,
};
use xtask::blackhole;

const SOCKET: &str = "/var/run/glusterd.socket";

/// The 2.17 install and the programs built for it.
struct Glibc {
    prefix: PathBuf,
    /// `gai_probe.c` built against 2.17.
    gai: PathBuf,
    /// The attack tests' lookup helper built against 2.17.
    lookup: PathBuf,
}

/// The 2.17 install, or why these tests cannot run here. A build that
/// fails is a failure, not a skip.
fn glibc() -> Result<&'static Glibc, String> {
    static G: OnceLock<Result<Glibc, String>> = OnceLock::new();
    G.get_or_init(|| {
        can_unshare()?;
        if !blackhole_bin().exists() {
            return Err(format!(
                "{} is not built (cargo build --workspace)",
                blackhole_bin().display()
            ));
        }
        let prefix = xtask::glibc217::installed()
            .expect("building glibc 2.17 (cargo xtask glibc says more)")
            .ok_or("needs the glibc 2.17 source (../shared/glibc/glibc-2.17.tar.xz)")?;
        let dir = prefix.join("../tests");
        std::fs::create_dir_all(&dir).unwrap();
        let gai = dir.join("gai_probe");
        let lookup = dir.join("lookup");
        let lookup_src = Path::new(env!("CARGO_MANIFEST_DIR")).join("c/lookup.c");
        for (src, out) in [(gai_probe_src(), &gai), (lookup_src, &lookup)] {
            xtask::glibc217::compile(&prefix, &[&src], out, &[]).unwrap();
        }
        Ok(Glibc {
            prefix,
            gai,
            lookup,
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// One getaddrinfo of the probe.
#[derive(Debug, Clone, PartialEq)]
struct Call {
    rc: i32,
    errno: i32,
    seconds: f64,
    first: Option<String>,
}

/// A probe run under the black hole: its calls, the queries, the libc.
#[derive(Debug)]
struct Seen {
    calls: Vec<Call>,
    asked: Vec<String>,
    libc: String,
    stderr: String,
}

impl Seen {
    fn one(&self) -> &Call {
        assert_eq!(self.calls.len(), 1, "{self:?}");
        &self.calls[0]
    }
}

fn parse(out: &blackhole::Run) -> Seen {
    let mut calls = Vec::new();
    let mut libc = String::new();
    for line in out.stdout.lines() {
        if let Some(v) = line.strip_prefix("libc=") {
            libc = v.to_string();
            continue;
        }
        let field = |k: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{k}=")).map(str::to_string))
        };
        let num = |k: &str| -> f64 {
            field(k)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {k} in {line:?}"))
        };
        calls.push(Call {
            rc: num("rc") as i32,
            errno: num("errno") as i32,
            seconds: num("seconds"),
            first: field("first"),
        });
    }
    assert!(
        !calls.is_empty() && !libc.is_empty(),
        "the probe printed no result: {}{}",
        out.stdout,
        out.stderr
    );
    Seen {
        calls,
        asked: out.asked.clone(),
        libc,
        stderr: out.stderr.clone(),
    }
}

/// `probe NAME` under the black hole with `conf` as resolv.conf.
fn under_black_hole(conf: &str, probe: &Path, name: &str, env: &[(&str, &str)]) -> Seen {
    let p = probe.display().to_string();
    parse(&blackhole::run_with(
        &blackhole_bin(),
        conf,
        &[&p, name],
        env,
    ))
}

/// The real 2.17's resolver settings, each measured.
const CONFS: &[(&str, &str)] = &[
    (
        "timeout:1 attempts:1, no search",
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    ),
    (
        "timeout:1 attempts:1, search example.com",
        "nameserver 127.0.0.1\nsearch example.com\noptions timeout:1 attempts:1\n",
    ),
    (
        "default timeout:5 attempts:2, no search",
        "nameserver 127.0.0.1\n",
    ),
];

#[test]
fn the_legacy_layer_asks_what_real_glibc_2_17_asks_waits_as_long_and_returns_the_same() {
    let test = "the_legacy_layer_asks_what_real_glibc_2_17_asks";
    let g = match glibc() {
        Ok(g) => g,
        Err(why) => return skip(test, &why),
    };
    let layer = legacy_resolv_so().display().to_string();
    // Every run in a namespace of its own, all at once: the default
    // settings' lookups wait 20 s each.
    let runs: Vec<(&str, Seen, Seen)> = std::thread::scope(|s| {
        let handles: Vec<_> = CONFS
            .iter()
            .map(|(label, conf)| {
                let real = s.spawn(|| under_black_hole(conf, &g.gai, SOCKET, &[]));
                let layer = &layer;
                let model = s.spawn(move || {
                    under_black_hole(conf, &gai_probe(), SOCKET, &[("LD_PRELOAD", layer)])
                });
                (*label, real, model)
            })
            .collect();
        handles
            .into_iter()
            .map(|(l, r, m)| (l, r.join().unwrap(), m.join().unwrap()))
            .collect()
    });
    for (label, real, model) in &runs {
        let (r, m) = (real.one(), model.one());
        eprintln!(
            "{label}:\n  glibc {:<5} rc={} errno={} {:.3} s, {} queries: {:?}\n  glibc {:<5} + legacy layer rc={} errno={} {:.3} s, {} queries: {:?}",
            real.libc,
            r.rc,
            r.errno,
            r.seconds,
            real.asked.len(),
            real.asked,
            model.libc,
            m.rc,
            m.errno,
            m.seconds,
            model.asked.len(),
            model.asked
        );
        assert_eq!(real.libc, "2.17", "{real:?}");
        assert_ne!(model.libc, "2.17", "{model:?}");
        assert_eq!(real.asked, model.asked, "{label}: the queries differ");
        assert_eq!(
            (r.rc, r.errno),
            (m.rc, m.errno),
            "{label}: the return differs"
        );
        assert!(
            (r.seconds - m.seconds).abs() < 0.5,
            "{label}: 2.17 waited {:.3} s, the layer {:.3} s",
            r.seconds,
            m.seconds
        );
    }
    // What real 2.17 does, as measured: A and AAAA together, for the name
    // as is and again through the search list's first domain (one empty
    // one without a search line), each try waiting out the timeout, then
    // EAI_SYSTEM with ETIMEDOUT.
    let aaaa = |n: &str| vec![format!("A {n}"), format!("AAAA {n}")];
    let twice = |a: &str, b: &str| [aaaa(a), aaaa(b)].concat();
    let (_, none, _) = &runs[0];
    assert_eq!(none.asked, twice(SOCKET, SOCKET));
    assert_eq!(
        (none.one().rc, none.one().errno),
        (libc::EAI_SYSTEM, libc::ETIMEDOUT)
    );
    assert!((1.9..2.5).contains(&none.one().seconds), "{none:?}");
    let (_, search, _) = &runs[1];
    assert_eq!(
        search.asked,
        twice(SOCKET, &format!("{SOCKET}.example.com"))
    );
    let (_, default, _) = &runs[2];
    assert_eq!(
        default.asked,
        [twice(SOCKET, SOCKET), twice(SOCKET, SOCKET)].concat()
    );
    assert!((19.5..21.5).contains(&default.one().seconds), "{default:?}");
    // And this machine's glibc alone asks nothing: the layer is what sends.
    let alone = under_black_hole(CONFS[0].1, &gai_probe(), SOCKET, &[]);
    assert!(alone.asked.is_empty(), "{alone:?}");
    assert_eq!(alone.one().rc, libc::EAI_NONAME, "{alone:?}");
}

/// The portable shim, built for glibc 2.17 symbols as `dist` packages it.
fn portable_shim() -> PathBuf {
    xtask::portable::build_shim().expect("building the portable shim (cargo xtask shim)");
    let so = portable_shim_so();
    assert!(so.exists(), "{}", so.display());
    so
}

#[test]
fn the_portable_shim_answers_at_once_on_glibc_2_17_in_each_mode_and_a_hostile_environment() {
    let test = "the_portable_shim_answers_at_once_on_glibc_2_17";
    let g = match glibc() {
        Ok(g) => g,
        Err(why) => return skip(test, &why),
    };
    let shim = portable_shim().display().to_string();
    let conf = CONFS[0].1;
    // No config file: the namespace's /etc is the host's, which has none.
    assert!(
        !Path::new("/etc/gfresolv.conf").exists(),
        "/etc/gfresolv.conf exists on this host: the no-config case needs its absence"
    );
    let run = |env: &[(&str, &str)]| under_black_hole(conf, &g.gai, SOCKET, env);
    let fail = run(&[("LD_PRELOAD", &shim), ("GFRESOLV_LOG", "stderr")]);
    eprintln!(
        "fail mode: {:?} {:?} {}",
        fail.calls, fail.asked, fail.stderr
    );
    assert_eq!(fail.libc, "2.17");
    assert!(fail.asked.is_empty(), "{fail:?}");
    assert_eq!(fail.one().rc, libc::EAI_NONAME, "{fail:?}");
    assert!(fail.one().seconds < 0.1, "{fail:?}");
    assert!(
        fail.stderr
            .contains("getaddrinfo(\"/var/run/glusterd.socket\") answered at once, mode=fail"),
        "{}",
        fail.stderr
    );

    let lo = run(&[("LD_PRELOAD", &shim), ("GFRESOLV_MODE", "loopback")]);
    eprintln!("loopback mode: {:?} {:?}", lo.calls, lo.asked);
    assert!(lo.asked.is_empty(), "{lo:?}");
    assert_eq!(lo.one().rc, 0, "{lo:?}");
    assert_eq!(lo.one().first.as_deref(), Some("127.0.0.1"), "{lo:?}");
    assert!(lo.one().seconds < 0.1, "{lo:?}");

    // Ordinary names get what 2.17 gives without the shim.
    let plain = run(&[]);
    let with = |name: &str, env: &[(&str, &str)]| under_black_hole(conf, &g.gai, name, env);
    for name in ["localhost", "127.0.0.1", "::1"] {
        let a = with(name, &[]);
        let b = with(
            name,
            &[("LD_PRELOAD", &shim), ("GFRESOLV_MODE", "loopback")],
        );
        assert_eq!(
            (a.one().rc, &a.one().first, &a.asked),
            (b.one().rc, &b.one().first, &b.asked),
            "{name}"
        );
    }

    // The hostile environment of tests/shim.rs: a bad mode falls back to
    // fail, said once; an unwritable log is said once and changes nothing;
    // GFRESOLV_ONLY naming other programs leaves 2.17 to ask DNS itself.
    let sideways = run(&[("LD_PRELOAD", &shim), ("GFRESOLV_MODE", "sideways")]);
    assert_eq!(sideways.one().rc, libc::EAI_NONAME, "{sideways:?}");
    assert!(sideways.asked.is_empty(), "{sideways:?}");
    assert_eq!(
        sideways
            .stderr
            .matches("unknown GFRESOLV_MODE 'sideways'; using fail")
            .count(),
        1,
        "{}",
        sideways.stderr
    );
    let nolog = run(&[
        ("LD_PRELOAD", &shim),
        ("GFRESOLV_LOG", "/nonexistent/dir/log"),
    ]);
    assert_eq!(nolog.one().rc, libc::EAI_NONAME, "{nolog:?}");
    assert_eq!(
        nolog
            .stderr
            .matches("cannot write log file /nonexistent/dir/log")
            .count(),
        1,
        "{}",
        nolog.stderr
    );
    let other = run(&[
        ("LD_PRELOAD", &shim),
        ("GFRESOLV_ONLY", "glfsheal,glusterfs"),
    ]);
    assert_eq!(
        other.asked, plain.asked,
        "passed through to 2.17: {other:?}"
    );
    assert_eq!(other.one().rc, plain.one().rc, "{other:?}");
    assert_eq!(plain.asked.len(), 4, "{plain:?}");
}

/// sha256 of a file, or "absent".
fn digest(p: &Path) -> String {
    use std::io::Read;
    let mut f = match std::fs::File::open(p) {
        Ok(f) => f,
        Err(_) => return "absent".into(),
    };
    let mut b = Vec::new();
    f.read_to_end(&mut b).unwrap();
    // FNV-1a over the bytes: enough to see a change, no dependency.
    let h = b.iter().fold(0xcbf29ce484222325u64, |h, &x| {
        (h ^ x as u64).wrapping_mul(0x100000001b3)
    });
    format!("{h:016x} {}", b.len())
}

/// The host files a careless test could change: its ld.so.preload, its
/// libc, and the 2.17 prefix's etc (which 2.17 does not read for preload).
fn host_files(prefix: &Path) -> Vec<(PathBuf, String)> {
    [
        PathBuf::from("/etc/ld.so.preload"),
        PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6"),
        prefix.join("etc/ld.so.preload"),
    ]
    .into_iter()
    .map(|p| {
        let d = digest(&p);
        (p, d)
    })
    .collect()
}

#[test]
fn a_setuid_root_program_on_glibc_2_17_with_the_shim_in_ld_so_preload_writes_nothing() {
    let test = "a_setuid_root_program_on_glibc_2_17_with_the_shim_in_ld_so_preload";
    let g = match glibc() {
        Ok(g) => g,
        Err(why) => return skip(test, &why),
    };
    if let Some(why) = cannot_attack() {
        return skip(test, &why);
    }
    let before = host_files(&g.prefix);
    let mut h = Host::new(true, &portable_shim(), &g.lookup);
    // 2.17 sends '/' names to DNS: with no network they fail at once.
    h.no_network = true;
    // Unprivileged, the shim loads from ld.so.preload and logs where
    // nobody may write: it is there, so "nothing written" below counts.
    control_run(&h);
    root_config(&h);
    let suid = h.helper("lookup", 0o4755);
    assert_eq!(
        std::fs::metadata(&suid).unwrap().permissions().mode() & 0o7777,
        0o4755
    );
    privileged_helper_writes_nothing(&h, &suid);
    // Which preload file 2.17's loader reads, and that the setuid run
    // loads the shim from it: /etc/ld.so.preload (rtld.c names it so),
    // never PREFIX/etc/ld.so.preload.
    let env = tests::attack::attack_env(&h.p("out/traced"));
    let trace = h.traced(&suid, "x/y", &refs(&env));
    assert!(trace.contains("\"/etc/ld.so.preload\""), "{trace}");
    assert!(trace.contains("libgfresolv.so\""), "{trace}");
    assert!(
        !trace.contains(&format!("{}/etc/ld.so.preload", g.prefix.display())),
        "{trace}"
    );
    assert!(
        trace.contains(&format!("{}/lib/libc.so.6", g.prefix.display())),
        "the setuid program runs on 2.17: {trace}"
    );
    assert_eq!(host_files(&g.prefix), before, "a host file changed");
}

/// A copy of the dist heal-info that runs on 2.17 when started: its
/// interpreter the 2.17 loader, its rpath the 2.17 lib dir (patchelf). So
/// the programs it starts itself (doctor's probe re-runs its own file) run
/// on 2.17 too, where `LOADER heal-info` would make /proc/self/exe the
/// loader.
fn heal_info_on(g: &Glibc) -> PathBuf {
    let built =
        xtask::dist::build::build().expect("building the dist heal-info (cargo xtask dist)");
    let copy = g.prefix.join("../tests/heal-info");
    std::fs::copy(&built.heal_info, &copy).unwrap();
    let st = std::process::Command::new("patchelf")
        .arg("--set-interpreter")
        .arg(xtask::glibc217::loader(&g.prefix))
        .arg("--set-rpath")
        .arg(g.prefix.join("lib"))
        .arg(&copy)
        .status()
        .expect("running patchelf (apt-get install patchelf; cargo xtask test installs it)");
    assert!(st.success(), "patchelf on {}", copy.display());
    copy
}

/// Saved glfsheal output: one brick with an entry, one clean.
const SAVED: &str = "Brick n1:/b/1\n/a\nStatus: Connected\nNumber of entries: 1\n\nBrick n1:/b/2\nStatus: Connected\nNumber of entries: 0\n";

#[test]
fn the_dist_heal_info_runs_on_glibc_2_17() {
    let test = "the_dist_heal_info_runs_on_glibc_2_17";
    let g = match glibc() {
        Ok(g) => g,
        Err(why) => return skip(test, &why),
    };
    let bin = heal_info_on(g);
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = std::process::Command::new(&bin);
        c.args(args).env_remove("GLFSHEAL");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    // Every library it loads is 2.17's (the loader lists them).
    let (_, libs, err) = run(&[], &[("LD_TRACE_LOADED_OBJECTS", "1")]);
    eprintln!("heal-info's libraries on 2.17:\n{libs}{err}");
    let lib = g.prefix.join("lib").display().to_string();
    assert!(libs.contains(&format!("{lib}/libc.so.6")), "{libs}{err}");
    for line in libs.lines().filter(|l| l.contains("=>")) {
        assert!(line.contains(&lib), "a library from outside 2.17: {line}");
    }

    let (code, out, err) = run(&["--version"], &[]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("heal-info "), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("out.txt");
    std::fs::write(&saved, SAVED).unwrap();
    let f = saved.to_str().unwrap();
    let (code, out, err) = run(&["v", "--from", f, "--format", "json", "--entries"], &[]);
    assert_eq!(code, Some(1), "pending entries: {out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["totals"]["entries"], 1, "{v}");
    assert_eq!(v["bricks"][0]["entry_paths"][0], "/a", "{v}");

    // serve answers a scrape (its volume fails at once: no glusterd here).
    let ex = tests::exporter::Exporter::start_with(&bin, &[]);
    let (status, body) =
        tests::exporter::get(ex.addr, "/metrics", std::time::Duration::from_secs(20)).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("gluster_heal_info_refreshes_total"), "{body}");
    drop(ex);

    // doctor, its resolver probe measured on real 2.17 (no stand-in): a
    // 3.12 host with nothing done is at risk, and 2.17 sends the path to DNS.
    let etc = dir.path();
    std::fs::write(
        etc.join("resolv.conf"),
        "nameserver 10.0.0.53\noptions timeout:1 attempts:1\n",
    )
    .unwrap();
    std::fs::write(etc.join("nsswitch.conf"), "hosts: files dns\n").unwrap();
    std::fs::write(etc.join("hosts"), "127.0.0.1 localhost\n").unwrap();
    std::fs::write(etc.join("ld.so.preload"), "").unwrap();
    let gfs = etc.join("glusterfs");
    std::fs::write(&gfs, "#!/bin/sh\necho 'glusterfs 3.12.15'\n").unwrap();
    std::fs::set_permissions(&gfs, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir(etc.join("proc")).unwrap();
    let e = etc.to_str().unwrap();
    let (code, out, err) = run(
        &[
            "doctor",
            "--json",
            "--etc",
            e,
            "--glusterfs",
            gfs.to_str().unwrap(),
            "--proc",
            etc.join("proc").to_str().unwrap(),
        ],
        &[],
    );
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    eprintln!("doctor on 2.17: {v}");
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["at_risk"], true, "{v}");
    assert_eq!(v["path_probe"]["sends_paths_to_dns"], true, "{v}");
    assert_eq!(v["glibc"], "2.17", "{v}");
    assert_eq!(v["path_probe"]["queries"], 4, "A and AAAA, twice: {v}");
    assert_eq!(v["glusterfs_has_fix"], false, "{v}");
}
