//! A long-running program inside a cluster's namespaces (heal-info serve,
//! Prometheus, node_exporter), with its output in a log file. It is a
//! process of the cluster's PID namespace, so it dies with the cluster even
//! if the test is SIGKILLed; dropping it kills its process group first.

use crate::cluster::Cluster;
use anyhow::{Context, Result};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Stdio};

pub struct Background {
    child: Child,
    pub log: PathBuf,
}

impl Background {
    /// Starts `argv` in `c`; stdout and stderr go to `<cluster dir>/<name>.log`.
    pub fn start(c: &Cluster, name: &str, argv: &[&str]) -> Result<Background> {
        let log = c.dir.path().join(format!("{name}.log"));
        let file = std::fs::File::create(&log)?;
        let child = c
            .command(argv)
            // Its own group: nsenter forks to enter the PID namespace, and
            // the program must die with it on drop.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        Ok(Background { child, log })
    }

    /// The host PID of nsenter, whose child is the program.
    pub fn nsenter_pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for it to end by itself, for at most `limit`.
    pub fn wait_exit(&mut self, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
        let t = std::time::Instant::now();
        while t.elapsed() < limit {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        None
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        unsafe { libc::killpg(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
