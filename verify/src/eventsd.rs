//! A build's own glustereventsd as a cell's listener, inside a cluster's
//! namespaces: whether it can run here (installed, and Python 3, which the
//! 3.x lines are not), its log level set to DEBUG through the custom config
//! file it reads (under the cluster's private /var/lib/glusterd), started in
//! the foreground with its pid file under the private /run, and its
//! `EVENT: ... from ADDR` lines counted per source family. It runs in the
//! cluster's PID namespace, so it dies with the cluster.

use crate::cell::NotRun;
use crate::cluster::Cluster;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

/// The system's daemon: where Debian installs it.
pub const PROGRAM: &str = "/usr/sbin/glustereventsd";

pub struct Eventsd {
    child: Child,
    /// Its events log, as the host sees it (inside the cluster's log dir).
    log: PathBuf,
}

/// Datagrams the daemon logged: all of them, from IPv4, from IPv6.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Logged {
    pub events: u64,
    pub v4: u64,
    pub v6: u64,
}

/// Counts the `EVENT: ... from ADDR` lines of a glustereventsd log: the
/// source address is the line's last word, IPv6 when it has a colon.
pub fn count_events(log: &str) -> Logged {
    let mut n = Logged::default();
    for line in log.lines().filter(|l| l.contains("- EVENT: ")) {
        let Some((_, addr)) = line.rsplit_once(" from ") else {
            continue;
        };
        n.events += 1;
        if addr.trim().contains(':') {
            n.v6 += 1;
        } else {
            n.v4 += 1;
        }
    }
    n
}

/// Why the daemon cannot run on this machine at all (then the kit's
/// listener stands in, and that is no failure), or None when it can.
pub fn unavailable() -> Option<String> {
    let Ok(text) = std::fs::read(PROGRAM) else {
        return Some(format!("{PROGRAM} is not installed"));
    };
    let first = String::from_utf8_lossy(&text)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    let Some(interp) = first.strip_prefix("#!") else {
        return Some(format!("{PROGRAM} is no script: {first:?}"));
    };
    let interp = interp.split_whitespace().next().unwrap_or("");
    let version = std::process::Command::new(interp)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match version {
        Ok(v) if v.starts_with("Python 3") => None,
        Ok(v) => Some(format!("{PROGRAM} runs under {interp} ({v}), not Python 3")),
        Err(e) => Some(format!("{PROGRAM}'s interpreter {interp} cannot run: {e}")),
    }
}

fn failed(why: String) -> NotRun {
    NotRun {
        why,
        expected: true,
    }
}

impl Eventsd {
    /// Sets the daemon's log level to DEBUG, starts it inside `c` and waits
    /// until it listens on `port` over IPv4 and IPv6.
    pub fn start(c: &Cluster, port: u16) -> Result<Eventsd, NotRun> {
        if let Some(why) = unavailable() {
            return Err(NotRun {
                why,
                expected: false,
            });
        }
        // The paths as the daemon's own eventsapiconf computes them (it asks
        // the cluster's glusterd for its working directory).
        let dir = std::fs::canonicalize(PROGRAM)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .ok_or_else(|| failed(format!("{PROGRAM}'s directory not found")))?;
        let paths = c
            .sh(&format!(
                "cd {} && /usr/bin/env -u PYTHONPATH -u PYTHONHOME python3 -c 'import eventsapiconf as c; print(c.CUSTOM_CONFIG_FILE); print(c.LOG_FILE); print(c.DEFAULT_CONFIG_FILE)'",
                dir.display()
            ))
            .map_err(|e| failed(format!("reading eventsapiconf: {e:#}")))?;
        let paths: Vec<&str> = paths.lines().collect();
        let [config, log, default] = paths[..] else {
            return Err(failed(format!("eventsapiconf said {paths:?}")));
        };
        // Only the cluster's private directories are written.
        let private = |p: &str| {
            Path::new(p).starts_with("/var/lib/glusterd/")
                || Path::new(p).starts_with("/var/log/glusterfs/")
        };
        if !private(config) || !private(log) {
            return Err(failed(format!(
                "the daemon's config {config} or log {log} is outside the cluster's private /var/lib/glusterd and /var/log/glusterfs"
            )));
        }
        // Its port is the default config's (/etc, the host's: read, never
        // written); the custom file adds the log level only.
        let configured = c
            .sh(&format!(
                "python3 -c 'import json; print(json.load(open(\"{default}\"))[\"port\"])'"
            ))
            .ok()
            .and_then(|s| s.trim().parse::<u16>().ok());
        if configured != Some(port) {
            return Err(failed(format!(
                "{default} gives port {configured:?}, the cell expects {port}"
            )));
        }
        c.sh(&format!(
            "mkdir -p \"$(dirname {config})\" && printf '%s\\n' '{{\"log-level\": \"DEBUG\"}}' > {config}"
        ))
        .map_err(|e| failed(format!("writing {config}: {e:#}")))?;
        // The kit's counter on the port is gone (it was killed, and its
        // process inside may take a moment to die).
        c.poll(
            &format!("nothing else is bound to UDP {port}"),
            Duration::from_secs(10),
            |c| {
                let ss = c.sh("ss -ulnH")?;
                let suffix = format!(":{port}");
                Ok(!ss.split_whitespace().any(|w| w.ends_with(&suffix)))
            },
        )
        .map_err(|e| failed(format!("{e:#}")))?;
        let output = c.dir.path().join("glustereventsd.out");
        let out = std::fs::File::create(&output).map_err(|e| failed(e.to_string()))?;
        let err = out.try_clone().map_err(|e| failed(e.to_string()))?;
        // Its own process group, as the kit's counters have: nsenter forks
        // to enter the PID namespace, and the daemon inside must die with it.
        let child = c
            .command(&[PROGRAM, "-p", "/run/glustereventsd.pid"])
            .env_remove("PYTHONPATH")
            .env_remove("PYTHONHOME")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| failed(format!("starting {PROGRAM}: {e}")))?;
        let log = c
            .log_dir()
            .join(log.strip_prefix("/var/log/glusterfs/").unwrap_or(log));
        let mut d = Eventsd { child, log };
        let listening = c.poll(
            &format!("glustereventsd listens on 0.0.0.0:{port} and [::1]:{port}"),
            Duration::from_secs(20),
            |c| {
                if let Ok(Some(st)) = d.child.try_wait() {
                    anyhow::bail!("glustereventsd exited ({st})");
                }
                let ss = c.sh("ss -ulnH")?;
                let bound = |a: &str| ss.split_whitespace().any(|w| w == a);
                Ok(bound(&format!("0.0.0.0:{port}")) && bound(&format!("[::1]:{port}")))
            },
        );
        if let Err(e) = listening {
            let said = std::fs::read_to_string(&output).unwrap_or_default();
            return Err(failed(format!("{e:#}; it said: {}", said.trim())));
        }
        Ok(d)
    }

    /// What its log holds so far.
    pub fn logged(&self) -> Logged {
        count_events(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }

    /// What its log holds once it stops growing (its handler threads log
    /// each datagram as it is taken), waiting at most `limit`.
    pub fn settled(&self, limit: Duration) -> Logged {
        let t = std::time::Instant::now();
        let mut last = self.logged();
        while t.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(300));
            let now = self.logged();
            if now == last {
                break;
            }
            last = now;
        }
        last
    }
}

impl Drop for Eventsd {
    fn drop(&mut self) {
        unsafe { libc::killpg(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_event_lines_by_source_family() {
        let log = "\
[2024-01-01 10:00:00,000] INFO [glustereventsd - 1:main] - started
[2024-01-01 10:00:01,000] DEBUG [glustereventsd - 44:handle] - EVENT: '1700000000 15 subvol=ec-disperse-0' from 127.0.0.1
[2024-01-01 10:00:01,000] DEBUG [glustereventsd - 44:handle] - EVENT: '1700000000 15 subvol=ec-disperse-1' from ::1
[2024-01-01 10:00:01,000] INFO [handlers - 1:generic] - {'event': 'EC_MIN_BRICKS_UP'}
";
        assert_eq!(
            count_events(log),
            Logged {
                events: 2,
                v4: 1,
                v6: 1
            }
        );
    }
}
