//! A DNS server that never answers: it counts the queries that reach it
//! and drops them, so every lookup waits out the resolver's timeout. Made
//! the nameserver of a private mount and network namespace by the tests.
//!
//! `blackhole ADDR:PORT COUNT_FILE READY_FILE [SECONDS]`

use std::net::UdpSocket;
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
    let write_count = |n: u64| {
        let tmp = format!("{count_file}.tmp");
        if std::fs::write(&tmp, format!("{n}\n")).is_ok() {
            let _ = std::fs::rename(&tmp, count_file);
        }
    };
    write_count(0);
    std::fs::write(&args[3], "ready\n").expect("writing the ready file");
    let started = Instant::now();
    let mut n = 0;
    let mut buf = [0u8; 1500];
    while started.elapsed() < limit {
        if sock.recv_from(&mut buf).is_ok() {
            n += 1;
            write_count(n);
        }
    }
}
