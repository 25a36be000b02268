//! A DNS server that never answers: it counts the queries that reach it
//! and drops them, so every lookup waits out the resolver's timeout. Made
//! the nameserver of a private mount and network namespace by the tests.
//!
//! `blackhole ADDR:PORT COUNT_FILE READY_FILE [SECONDS]`
//!
//! Bound to `[::]`, it takes both families (the socket is dual-stack), and
//! `COUNT_FILE.family` says how many came from an IPv4 source (plain or
//! v4-mapped) and how many from IPv6: `v4 N v6 M`. `COUNT_FILE.queries`
//! has one line per query, in the order they came: its type and name
//! (`A /var/run/glusterd.socket`), so that two resolvers can be compared
//! query for query, not only by their counts.

use std::net::{IpAddr, UdpSocket};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: blackhole ADDR:PORT COUNT_FILE READY_FILE [SECONDS]");
        std::process::exit(2);
    }
    let limit = Duration::from_secs(args.get(4).and_then(|s| s.parse().ok()).unwrap_or(600));
    let sock = UdpSocket::bind(&args[1]).unwrap_or_else(|e| {
        eprintln!("blackhole: cannot bind {}: {e}", args[1]);
        std::process::exit(1);
    });
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("setting a read timeout");
    let count_file = &args[2];
    let write = |path: &str, text: String| {
        let tmp = format!("{path}.tmp");
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    };
    let family_file = format!("{count_file}.family");
    let write_count = |n: u64, v4: u64, v6: u64| {
        write(&family_file, format!("v4 {v4} v6 {v6}\n"));
        write(count_file, format!("{n}\n"));
    };
    write_count(0, 0, 0);
    std::fs::write(&args[3], "ready\n").expect("writing the ready file");
    let started = Instant::now();
    let (mut n, mut v4, mut v6) = (0, 0, 0);
    let mut buf = [0u8; 1500];
    let queries_file = format!("{count_file}.queries");
    let mut queries = String::new();
    write(&queries_file, String::new());
    while started.elapsed() < limit {
        if let Ok((len, from)) = sock.recv_from(&mut buf) {
            n += 1;
            queries.push_str(&question(&buf[..len]));
            queries.push('\n');
            write(&queries_file, queries.clone());
            let ipv4 = match from.ip() {
                IpAddr::V4(_) => true,
                IpAddr::V6(a) => a.to_ipv4_mapped().is_some(),
            };
            if ipv4 {
                v4 += 1;
            } else {
                v6 += 1;
            }
            write_count(n, v4, v6);
        }
    }
}

/// A query's first question as `TYPE NAME` (the name's labels joined by
/// dots, as the resolver was given it); `? ?` for what cannot be read.
fn question(msg: &[u8]) -> String {
    let mut labels = Vec::new();
    let mut i = 12;
    while let Some(&len) = msg.get(i) {
        i += 1;
        if len == 0 {
            let qtype = msg.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
            let name = labels.join(".");
            return match qtype {
                Some(1) => format!("A {name}"),
                Some(28) => format!("AAAA {name}"),
                Some(t) => format!("TYPE{t} {name}"),
                None => "? ?".into(),
            };
        }
        let Some(label) = msg.get(i..i + len as usize) else {
            break;
        };
        labels.push(String::from_utf8_lossy(label).into_owned());
        i += len as usize;
    }
    "? ?".into()
}
