//! A `blackhole` listener inside a cluster's namespaces: counts what
//! reaches an address (DNS queries on :53, events on the events ports).

use crate::cluster::Cluster;
use anyhow::{Context, Result};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::time::Duration;

pub struct Counter {
    child: std::process::Child,
    file: PathBuf,
}

impl Counter {
    pub fn start(c: &Cluster, addr: &str, name: &str) -> Result<Counter> {
        let file = c.dir.path().join(format!("{name}.count"));
        let ready = c.dir.path().join(format!("{name}.ready"));
        // Its own process group: nsenter forks to enter the PID namespace, and
        // the listener inside must die with it. The listener is a process of
        // the cluster's PID namespace, so if the tool dies before dropping it
        // the namespace's end kills it (see `cluster`), and its nsenter exits.
        let child = c
            .command(&[
                crate::tools::blackhole_bin().to_str().unwrap(),
                addr,
                file.to_str().unwrap(),
                ready.to_str().unwrap(),
                "3600",
            ])
            .process_group(0)
            .spawn()
            .context("starting a counting listener")?;
        c.poll(&format!("{name} listens"), Duration::from_secs(10), |_| {
            Ok(ready.exists())
        })?;
        Ok(Counter { child, file })
    }

    /// (from IPv4, from IPv6) of what reached it: `blackhole` writes
    /// `v4 N v6 M` beside its count.
    pub fn families(&self) -> (u64, u64) {
        let text =
            std::fs::read_to_string(self.file.with_extension("count.family")).unwrap_or_default();
        let n: Vec<u64> = text
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        (
            n.first().copied().unwrap_or(0),
            n.get(1).copied().unwrap_or(0),
        )
    }

    pub fn count(&self) -> u64 {
        std::fs::read_to_string(&self.file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        unsafe { libc::killpg(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
