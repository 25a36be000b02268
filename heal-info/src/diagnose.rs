//! What a hung glfsheal is waiting on, read from the live process before it
//! is killed: its threads' wait channels (and, as root, kernel stacks), its
//! open UDP sockets to port 53, a gdb backtrace where gdb can attach, and the
//! "Going UP" lines of its log with the gaps between them. From that picture
//! it names the cause and the remedy.

use crate::find::Build;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// _gf_event() resolving the unix volfile-server path (the events.c bug).
    EventsResolverStall,
    /// Resolving a brick's host name through a DNS server that does not answer.
    BrickHostDns,
    /// glusterd does not hand out the volfile.
    GlusterdNotAnswering,
    /// The graph is up but a brick does not respond.
    BrickNotResponding,
    Unknown,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Thread {
    pub tid: u32,
    pub name: String,
    pub wchan: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_stack: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Diagnosis {
    pub cause: Cause,
    pub summary: String,
    pub remedy: String,
    pub pid: u32,
    pub threads: Vec<Thread>,
    /// UDP sockets the process has open to port 53, and where to.
    pub dns_sockets: usize,
    pub dns_servers: Vec<String>,
    /// TCP connections still being set up (SYN sent), to which address.
    pub tcp_connecting: Vec<String>,
    /// gdb's `thread apply all bt`, when gdb could attach.
    pub backtrace: Option<String>,
    /// Times of the "Going UP" lines this run wrote, in seconds since 1970
    /// of the log's wall clock.
    pub going_up: Vec<f64>,
    pub going_up_gaps: Vec<f64>,
    pub graph_received: bool,
    pub glusterd_stopped: bool,
    /// The resolver's worst case per lookup, from resolv.conf.
    pub resolver_timeout_seconds: Option<f64>,
}

pub const UPSTREAM_FIX: &str = "\"gf-event: Handle unix volfile-servers\" (master b6da637929, release-7 f4f24c8c78, release-6 b7c10c2693; in 6.8 and 7.3)";

fn read(path: &str) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

fn threads(pid: u32) -> Vec<Thread> {
    let mut out = Vec::new();
    let Ok(dir) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for e in dir.flatten() {
        let Some(tid) = e.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let base = format!("/proc/{pid}/task/{tid}");
        let stack = read(&format!("{base}/stack"));
        out.push(Thread {
            tid,
            name: read(&format!("{base}/comm")).trim().to_string(),
            wchan: read(&format!("{base}/wchan")).trim().to_string(),
            kernel_stack: (!stack.trim().is_empty()).then(|| stack.trim().to_string()),
        });
    }
    out.sort_by_key(|t| t.tid);
    out
}

fn socket_inodes(pid: u32) -> HashSet<String> {
    let mut set = HashSet::new();
    if let Ok(dir) = fs::read_dir(format!("/proc/{pid}/fd")) {
        for e in dir.flatten() {
            if let Ok(target) = fs::read_link(e.path()) {
                let t = target.to_string_lossy();
                if let Some(inode) = t.strip_prefix("socket:[").and_then(|s| s.strip_suffix(']')) {
                    set.insert(inode.to_string());
                }
            }
        }
    }
    set
}

/// Decodes /proc/net/{udp,tcp}[6] "ADDR:PORT" hex into text and port.
fn endpoint(hex: &str) -> Option<(String, u16)> {
    let (addr, port) = hex.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let text = if addr.len() == 8 {
        let v = u32::from_str_radix(addr, 16).ok()?;
        std::net::Ipv4Addr::from(v.to_le_bytes()).to_string()
    } else {
        let mut bytes = [0u8; 16];
        for i in 0..4 {
            let w = u32::from_str_radix(addr.get(i * 8..i * 8 + 8)?, 16).ok()?;
            bytes[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
        }
        std::net::Ipv6Addr::from(bytes).to_string()
    };
    Some((text, port))
}

/// Rows of /proc/PID/net/<table> owned by the process: (remote, state).
fn rows(pid: u32, tables: &[&str], inodes: &HashSet<String>) -> Vec<((String, u16), String)> {
    let mut out = Vec::new();
    for t in tables {
        for line in read(&format!("/proc/{pid}/net/{t}")).lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || !inodes.contains(f[9]) {
                continue;
            }
            if let Some(remote) = endpoint(f[2]) {
                out.push((remote, f[3].to_string()));
            }
        }
    }
    out
}

fn backtrace(pid: u32) -> Option<String> {
    // A full path: duct runs a bare relative Path from the current directory.
    let gdb = std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("gdb"))
        .find(|p| p.is_file())?;
    let args = [
        "-p",
        &pid.to_string(),
        "-batch",
        "-nx",
        "-ex",
        "thread apply all bt",
    ];
    // Under a deadline, and reaped the moment it exits.
    let out = crate::deadline::run(&gdb, &args, Duration::from_secs(10)).ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let frames: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with('#') || l.starts_with("Thread "))
        .collect();
    (!frames.is_empty()).then(|| frames.join("\n"))
}

/// The time of a log line, in seconds since 1970-01-01 of the wall clock it
/// was written in (the zone is ignored: only differences are used). 3.x
/// writes `[2026-11-25 16:08:48.000000]`, later releases add the zone:
/// `[2026-11-25 16:08:48.000000 +0000]`. The date counts too, so a run
/// that crosses midnight has no negative gap.
fn log_time(line: &str) -> Option<f64> {
    let mut words = line.strip_prefix('[')?.split_whitespace();
    let mut date = words.next()?.split('-');
    let y: i64 = date.next()?.parse().ok()?;
    let mo: i64 = date.next()?.parse().ok()?;
    let d: i64 = date.next()?.parse().ok()?;
    let t = words.next()?.trim_end_matches(']');
    let mut it = t.split(':');
    let h: f64 = it.next()?.parse().ok()?;
    let m: f64 = it.next()?.parse().ok()?;
    let s: f64 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, mo, d) as f64 * 86400.0 + h * 3600.0 + m * 60.0 + s)
}

/// Days from 1970-01-01 to the proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`), so no date crate is needed for log lines.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The "Going UP" times in `log` and the gaps between them.
pub fn going_up(log: &str) -> (Vec<f64>, Vec<f64>) {
    let times: Vec<f64> = log
        .lines()
        .filter(|l| l.contains("Going UP"))
        .filter_map(log_time)
        .collect();
    let gaps = times
        .windows(2)
        .map(|w| ((w[1] - w[0]) * 1000.0).round() / 1000.0)
        .collect();
    (times, gaps)
}

fn glusterd_stopped() -> bool {
    let Ok(dir) = fs::read_dir("/proc") else {
        return false;
    };
    dir.flatten().any(|e| {
        let p = e.path();
        read(&p.join("comm").to_string_lossy()).trim() == "glusterd"
            && read(&p.join("stat").to_string_lossy())
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('T') || rest.starts_with('t'))
    })
}

/// One lookup's worst case from resolv.conf, if it names a nameserver.
pub fn resolver_timeout(resolv_conf: &str) -> Option<f64> {
    let r = crate::resolver::parse(resolv_conf);
    (!r.nameservers.is_empty()).then(|| r.worst_case())
}

/// Reads the picture of process `pid` and names the cause.
pub fn diagnose_with_log(pid: u32, log_since_start: &str) -> Diagnosis {
    let inodes = socket_inodes(pid);
    let udp = rows(pid, &["udp", "udp6"], &inodes);
    let dns: Vec<String> = udp
        .iter()
        .filter(|((_, port), _)| *port == 53)
        .map(|((a, _), _)| a.clone())
        .collect();
    let tcp_connecting: Vec<String> = rows(pid, &["tcp", "tcp6"], &inodes)
        .into_iter()
        .filter(|(_, st)| st == "02")
        .map(|((a, p), _)| format!("{a}:{p}"))
        .collect();
    let bt = backtrace(pid);
    let (times, gaps) = going_up(log_since_start);
    let graph = log_since_start.contains("Final graph") || !times.is_empty();
    let stopped = glusterd_stopped();
    let resolver = resolver_timeout(&read("/etc/resolv.conf"));
    let bt_text = bt.as_deref().unwrap_or("");
    let in_events = bt_text.contains("gf_event")
        && (bt_text.contains("getaddrinfo") || bt_text.contains("gethostbyname"));
    let in_brick_dns = bt_text.contains("gf_resolve_ip6")
        || bt_text.contains("af_inet_client_get_remote_sockaddr");
    let mut servers = dns.clone();
    servers.sort();
    servers.dedup();

    let (cause, summary, remedy) = if in_events
        || (!dns.is_empty() && !times.is_empty() && !in_brick_dns)
    {
        (
            Cause::EventsResolverStall,
            format!(
                "glfsheal is stuck in _gf_event(): each disperse subvolume coming up (ec_up) sends an event, and events.c resolves the volfile server, here the unix socket path, through DNS ({} open DNS socket(s) to {}; gaps between subvolumes: {:?} s{}). This is the events.c resolver stall.",
                dns.len(),
                servers.join(", "),
                gaps,
                resolver.map(|r| format!(", one resolver timeout is up to {r:.0} s")).unwrap_or_default()
            ),
            format!(
                "Upstream fixed it in {UPSTREAM_FIX}. Port it to your branch with `cargo xtask backport BRANCH`, or preload the resolver shim now: LD_PRELOAD=/usr/lib64/libgfresolv.so gluster volume heal VOL info"
            ),
        )
    } else if in_brick_dns || !dns.is_empty() {
        (
            Cause::BrickHostDns,
            format!(
                "glfsheal is resolving a brick's host name and the DNS server does not answer ({} open DNS socket(s) to {}; no subvolume is up yet). This is not the events.c bug: the brick host names themselves do not resolve quickly.",
                dns.len(),
                servers.join(", ")
            ),
            "Make the brick host names resolve locally (/etc/hosts on every node, or a working DNS server in /etc/resolv.conf); the events.c fix and the shim do not help here".to_string(),
        )
    } else if stopped || !graph {
        (
            Cause::GlusterdNotAnswering,
            format!(
                "glfsheal never received its volfile: glusterd does not answer on its socket{}.",
                if stopped { " (the glusterd process is stopped, state T)" } else { "" }
            ),
            "Check glusterd: `systemctl status glusterd`, its log /var/log/glusterfs/glusterd.log; resume it (kill -CONT) or restart it".to_string(),
        )
    } else {
        (
            Cause::BrickNotResponding,
            format!(
                "glfsheal has its graph but waits on a brick{}.",
                if tcp_connecting.is_empty() { String::new() } else { format!(" (connecting to {})", tcp_connecting.join(", ")) }
            ),
            "Check `gluster volume status VOL` and the brick's log under /var/log/glusterfs/bricks/; a stopped or hung brick process must be restarted".to_string(),
        )
    };
    Diagnosis {
        cause,
        summary,
        remedy,
        pid,
        threads: threads(pid),
        dns_sockets: dns.len(),
        dns_servers: servers,
        tcp_connecting,
        backtrace: bt,
        going_up: times,
        going_up_gaps: gaps,
        graph_received: graph,
        glusterd_stopped: stopped,
        resolver_timeout_seconds: resolver,
    }
}

/// The path of glfsheal's log for `volume`.
pub fn log_path(build: &Build, volume: &str) -> std::path::PathBuf {
    build.log_dir.join(format!("glfsheal-{volume}.log"))
}

/// Diagnoses glfsheal `pid` of `build` for `volume`, reading the part of its
/// log this run wrote (from byte `log_offset`, its size before the run).
pub fn diagnose(pid: u32, build: &Build, volume: &str, log_offset: u64) -> Diagnosis {
    diagnose_with_log(pid, &log_evidence(&log_path(build, volume), log_offset))
}

/// Longest log line kept whole; the rest of a longer one reads as another line.
const MAX_LINE: u64 = 64 * 1024;

/// The lines of the log at `path` from byte `offset` on that the diagnosis
/// reads ("Going UP", "Final graph"). Read as bytes, a line at a time: a
/// byte that is not UTF-8 spoils one letter, not the whole log, and a log
/// of any size costs only the lines kept. A log shorter than `offset` was
/// rotated or truncated since: all of it is this run's.
pub fn log_evidence(path: &Path, offset: u64) -> String {
    let Ok(mut file) = fs::File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let start = if len < offset { 0 } else { offset };
    if file.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut reader = BufReader::new(file);
    let mut kept = String::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.by_ref().take(MAX_LINE).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        if text.contains("Going UP") || text.contains("Final graph") {
            kept.push_str(text.trim_end_matches('\n'));
            kept.push('\n');
        }
    }
    kept
}

impl Diagnosis {
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "diagnosis: {:?}\n  {}\n  remedy: {}\n",
            self.cause, self.summary, self.remedy
        );
        s.push_str(&format!(
            "  glfsheal pid {}: {} thread(s)",
            self.pid,
            self.threads.len()
        ));
        let waits: Vec<String> = self
            .threads
            .iter()
            .filter(|t| !t.wchan.is_empty() && t.wchan != "0")
            .map(|t| format!("{}={}", t.name, t.wchan))
            .collect();
        if !waits.is_empty() {
            s.push_str(&format!(", waiting in {}", waits.join(" ")));
        }
        s.push('\n');
        if let Some(bt) = &self.backtrace {
            let interesting: Vec<&str> = bt
                .lines()
                .filter(|l| {
                    l.contains("gf_event") || l.contains("getaddrinfo") || l.contains("resolve")
                })
                .take(6)
                .collect();
            if !interesting.is_empty() {
                s.push_str(&format!("  backtrace: {}\n", interesting.join(" | ")));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_between_going_up_lines() {
        let log = "[2026-11-25 16:08:48.000000 +0000] I [ec.c:336:ec_up] 0-v-disperse-0: Going UP\n[2026-11-25 16:08:58.500000 +0000] I [ec.c:336:ec_up] 0-v-disperse-1: Going UP\n";
        let (t, g) = going_up(log);
        assert_eq!(t.len(), 2);
        assert_eq!(g, vec![10.5]);
    }

    #[test]
    fn gaps_between_going_up_lines_in_3_x_log_format() {
        // 3.12's glfsheal log: no zone after the time.
        let log = "[2026-11-25 16:08:48.000000] I [ec.c:343:ec_up] 0-v-disperse-0: Going UP\n[2026-11-25 16:08:50.012000] I [ec.c:343:ec_up] 0-v-disperse-1: Going UP\n";
        let (t, g) = going_up(log);
        assert_eq!(t.len(), 2);
        assert_eq!(g, vec![2.012]);
    }

    #[test]
    fn gaps_across_midnight_and_month_ends_are_positive() {
        let log = "[2026-11-30 23:59:55.000000] I [ec.c:343:ec_up] 0-v-disperse-0: Going UP\n[2026-12-01 00:00:05.250000] I [ec.c:343:ec_up] 0-v-disperse-1: Going UP\n";
        let (t, g) = going_up(log);
        assert_eq!(t.len(), 2);
        assert_eq!(g, vec![10.25]);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11017);
    }

    #[test]
    fn log_evidence_is_this_runs_lines_read_as_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("glfsheal-v.log");
        let before = b"[2026-11-25 16:00:00.000000] I [ec.c:343:ec_up] 0-v-disperse-0: Going UP\n";
        let run: &[u8] = b"[2026-11-25 16:08:47.000000] W 0-v: caf\xe9\n[2026-11-25 16:08:48.000000] I 0-v-disperse-0: Going UP\n[2026-11-25 16:08:50.000000] I 0-v-disperse-1: Going UP";
        std::fs::write(&log, [&before[..], run].concat()).unwrap();
        let (t, g) = going_up(&log_evidence(&log, before.len() as u64));
        assert_eq!((t.len(), g), (2, vec![2.0]));
        // Rotated since the run began: all of the new file is this run's.
        std::fs::write(&log, run).unwrap();
        assert_eq!(going_up(&log_evidence(&log, 1 << 20)).0.len(), 2);
        assert_eq!(log_evidence(&dir.path().join("none"), 0), "");
    }

    #[test]
    fn decodes_proc_net_endpoints() {
        assert_eq!(endpoint("0100007F:0035"), Some(("127.0.0.1".into(), 53)));
    }
}
