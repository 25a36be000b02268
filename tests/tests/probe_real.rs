//! `heal-info probe` on real builds under the black hole, with glibc 2.17's
//! resolver behaviour stacked in: it must see every disperse subvolume come
//! up, and the gaps between them must show the events.c stall on an
//! unfixed build (one lookup, about 2 s, per subvolume) and its absence on
//! a fixed one. Runs on Debian's 10.3 always, and on the legacy builds that
//! `cargo xtask test` makes (GLUSTER_LEGACY_PREFIX: unfixed 3.12.15;
//! GLUSTER_LEGACY_FIXED_PREFIX: the same with the backport).

use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use tests::cluster::{self, Cluster, Flavor};
use tests::verify::LOOKUP_STALL;
use tests::{blackhole_bin, heal_info_bin, legacy_resolv_so, skip};

const K: usize = 3;

fn probe_under_black_hole(flavor: Flavor) -> Value {
    let c = Cluster::start_flavor(flavor).unwrap();
    c.create_volume("ec", "disperse-data 2 redundancy 1", 3 * K)
        .unwrap();
    let count = c.dir.path().join("dns-count");
    let ready = c.dir.path().join("dns-ready");
    let mut hole = c
        .command(&[
            blackhole_bin().to_str().unwrap(),
            "127.0.0.1:53",
            count.to_str().unwrap(),
            ready.to_str().unwrap(),
            "120",
        ])
        .spawn()
        .unwrap();
    c.poll("the black hole listens", Duration::from_secs(10), |_| {
        Ok(ready.exists())
    })
    .unwrap();
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
    let _ = hole.kill();
    let _ = hole.wait();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "probe printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn gaps(v: &Value) -> Vec<f64> {
    v["going_up_gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_f64().unwrap())
        .collect()
}

fn check(name: &str, v: &Value, fixed: bool) {
    assert_eq!(v["subvolumes"], K, "{name}: {v}");
    assert_eq!(v["subvolumes_up"], K, "{name}: {v}");
    assert!(v["all_up_seconds"].is_f64(), "{name}: {v}");
    let g = gaps(v);
    assert_eq!(g.len(), K - 1, "{name}: {v}");
    if fixed {
        assert!(g.iter().all(|&x| x < 0.5), "{name}: no stall expected: {v}");
    } else {
        assert!(
            g.iter()
                .all(|x| (0.8 * LOOKUP_STALL..=1.5 * LOOKUP_STALL).contains(x)),
            "{name}: a lookup stall between subvolumes expected: {v}"
        );
    }
    eprintln!("{name}: {v}");
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
        let v = probe_under_black_hole(Flavor {
            prefix: Some(PathBuf::from(p)),
        });
        check(var, &v, fixed);
        legacy += 1;
    }
    eprintln!("legacy builds probed: {legacy}");
}
