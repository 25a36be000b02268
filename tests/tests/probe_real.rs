//! `heal-info probe` on real builds under the black hole, with glibc 2.17's
//! resolver behaviour stacked in: it must see every disperse subvolume come
//! up, and the gaps between them must show the events.c stall on an
//! unfixed build (one lookup, about 2 s, per subvolume) and its absence on
//! a fixed one. Runs on Debian's 10.3 always, and on the legacy builds that
//! `cargo xtask test` makes (GLUSTER_LEGACY_PREFIX: unfixed 3.12.15;
//! GLUSTER_LEGACY_FIXED_PREFIX: the same with the backport).

use serde_json::Value;
use std::path::PathBuf;
use tests::skip;
use verify::cluster::{self, Cluster, Flavor};
use verify::tools::{heal_info_bin, legacy_resolv_so};
use verify::{Counter, LOOKUP_STALL};

const K: usize = 3;

/// The probe's report, and the DNS queries the black hole saw.
fn probe_under_black_hole(flavor: Flavor) -> (Value, u64) {
    let c = Cluster::start_flavor(flavor).unwrap();
    c.create_volume("ec", "disperse-data 2 redundancy 1", 3 * K)
        .unwrap();
    let dns = Counter::start(&c, "127.0.0.1:53", "dns").unwrap();
    let resolv = c.dir.path().join("resolv-probe.conf");
    std::fs::write(
        &resolv,
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    )
    .unwrap();
    let script = format!(
        "mount --bind {} /etc/resolv.conf && exec env LD_PRELOAD={} {} probe ec {}",
        resolv.display(),
        legacy_resolv_so().display(),
        heal_info_bin().display(),
        c.flavor
            .prefix
            .as_ref()
            .map_or(String::new(), |p| format!("--prefix {}", p.display())),
    );
    let out = c.exec(&["unshare", "-m", "bash", "-c", &script]).unwrap();
    // Let the last query land before counting.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "probe printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, dns.count())
}

fn gaps(v: &Value) -> Vec<f64> {
    v["going_up_gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_f64().unwrap())
        .collect()
}

fn check(name: &str, (v, queries): &(Value, u64), fixed: bool) {
    assert_eq!(v["subvolumes"], K, "{name}: {v}");
    assert_eq!(v["subvolumes_up"], K, "{name}: {v}");
    assert!(v["all_up_seconds"].is_f64(), "{name}: {v}");
    let g = gaps(v);
    assert_eq!(g.len(), K - 1, "{name}: {v}");
    if fixed {
        assert_eq!(*queries, 0, "{name}: a fixed build asks DNS nothing: {v}");
        assert!(g.iter().all(|&x| x < 0.5), "{name}: no stall expected: {v}");
    } else {
        assert!(*queries >= K as u64, "{name}: {queries} DNS queries: {v}");
        assert!(
            g.iter()
                .all(|x| (0.8 * LOOKUP_STALL..=1.5 * LOOKUP_STALL).contains(x)),
            "{name}: a lookup stall between subvolumes expected: {v}"
        );
    }
    eprintln!("{name}: {queries} DNS queries, {v}");
}

#[test]
fn probe_sees_each_subvolume_and_the_stall_between_them() {
    if let Err(why) = cluster::available() {
        return skip("probe_sees_each_subvolume_and_the_stall_between_them", &why);
    }
    let v = probe_under_black_hole(Flavor::system());
    check("debian-10.3", &v, true);
    let mut legacy = 0;
    for (var, fixed) in [
        ("GLUSTER_LEGACY_PREFIX", false),
        ("GLUSTER_LEGACY_FIXED_PREFIX", true),
    ] {
        let Some(p) = std::env::var_os(var) else {
            skip(
                "probe_sees_each_subvolume_and_the_stall_between_them (legacy part)",
                &format!("{var} is not set (cargo xtask test sets it to its 3.12.15 build)"),
            );
            continue;
        };
        let v = probe_under_black_hole(Flavor::installed(&PathBuf::from(p)).unwrap());
        check(var, &v, fixed);
        legacy += 1;
    }
    eprintln!("legacy builds probed: {legacy}");
}
