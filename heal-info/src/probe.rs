//! `heal-info probe`: mount a volume through libgfapi as glfsheal does and
//! time the disperse subvolumes coming up, since each `ec_up` runs the
//! events.c path that stalls. `glfs_init` returns as soon as the graph is
//! usable, before every subvolume is up (on 3.12 after the first), so the
//! probe reads the subvolume count from the graph the log prints and waits
//! for each one's "Going UP" line.

use crate::{diagnose, gfapi};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Serialize)]
pub struct Report {
    pub volume: String,
    pub socket: PathBuf,
    pub init_seconds: f64,
    /// Disperse subvolumes in the graph the volfile server sent.
    pub subvolumes: usize,
    pub subvolumes_up: usize,
    /// From mounting until the last "Going UP" (None: not all came up).
    pub all_up_seconds: Option<f64>,
    pub going_up_gaps: Vec<f64>,
    pub files_written: usize,
}

/// Whether the log holds a whole graph dump: glusterfs frames it with a
/// `+---...---+` line before and after, and writes it in pieces, so a dump
/// read half-written would name too few subvolumes.
pub fn graph_dump_complete(log: &str) -> bool {
    log.lines()
        .filter(|l| l.trim_start().starts_with("+---"))
        .count()
        >= 2
}

/// Disperse subvolumes named in the log's graph dump (`N: volume VOL-disperse-K`).
pub fn disperse_subvolumes(log: &str) -> usize {
    log.lines()
        .filter_map(|l| l.split_once(": volume ").map(|(_, name)| name.trim()))
        .filter(|name| {
            name.rsplit_once("-disperse-")
                .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect::<BTreeSet<_>>()
        .len()
}

pub fn run(
    volume: &str,
    prefix: Option<&Path>,
    files: usize,
    dir: &str,
    wait: Duration,
) -> Result<Report> {
    let socket = prefix.map_or(PathBuf::from("/var/run/glusterd.socket"), |p| {
        p.join("var/run/glusterd.socket")
    });
    // A random name made with O_EXCL, never the PID: two probes in two PID
    // namespaces (two clusters on one host, two containers) share /tmp and
    // often the same PID, and one would read or remove the other's log.
    let log = tempfile::Builder::new()
        .prefix("heal-info-probe-")
        .suffix(".log")
        .tempfile()
        .context(
            "creating the probe's gfapi log in the temp dir (set TMPDIR to a writable directory)",
        )?
        .into_temp_path();
    let started = Instant::now();
    let mount = match gfapi::Mount::new(&gfapi::library(prefix), volume, &socket, &log) {
        Ok(m) => m,
        // Loading the library or naming the server failed before gfapi
        // logged anything: the error says all there is.
        Err(e) if e.downcast_ref::<gfapi::InitFailed>().is_none() => return Err(e),
        // The log goes with the probe, so its last lines go in the error.
        Err(e) => {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(12)..].join("\n");
            if tail.is_empty() {
                bail!(
                    "{e:#}; gfapi logged nothing: is glusterd running on {}?",
                    socket.display()
                );
            }
            bail!("{e:#}; the last lines of its log (removed with the probe):\n{tail}");
        }
    };
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let mut subvolumes = 0;
    let mut all_up_seconds = None;
    let mut last_count = 0;
    let mut last_change = Instant::now();
    while started.elapsed() < wait {
        let text = read_log();
        if graph_dump_complete(&text) {
            subvolumes = disperse_subvolumes(&text);
        }
        let (up, _) = diagnose::going_up(&text);
        if subvolumes > 0 && up.len() >= subvolumes {
            all_up_seconds = Some(started.elapsed().as_secs_f64());
            break;
        }
        if up.len() != last_count {
            (last_count, last_change) = (up.len(), Instant::now());
        }
        // No graph in the log to count from: stop once nothing has come up
        // for longer than one lookup can stall.
        if subvolumes == 0 && last_change.elapsed() > Duration::from_secs(3) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for i in 0..files {
        let path = format!("{}/file-{i}", dir.trim_end_matches('/'));
        mount.write_file(&path, format!("heal-info probe {i}\n").as_bytes())?;
    }
    let init_seconds = mount.init_seconds;
    drop(mount);
    let (up, gaps) = diagnose::going_up(&read_log());
    drop(log);
    Ok(Report {
        volume: volume.into(),
        socket,
        init_seconds,
        subvolumes,
        subvolumes_up: up.len(),
        all_up_seconds,
        going_up_gaps: gaps,
        files_written: files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_disperse_subvolumes_in_the_graph_dump() {
        let log = "+------------------------------------------------------------------------------+\n  1: volume ec-client-0\n  2:     type protocol/client\n 10: volume ec-disperse-0\n 11:     type cluster/disperse\n 20: volume ec-disperse-1\n 30: volume ec-disperse-10\n 31:     subvolumes ec-disperse-0 ec-disperse-1\n 40: volume ec-dht\n";
        assert_eq!(disperse_subvolumes(log), 3);
        assert_eq!(disperse_subvolumes("1: volume rep-replicate-0\n"), 0);
        let frame =
            "+------------------------------------------------------------------------------+";
        assert!(
            !graph_dump_complete(log),
            "the dump's closing frame is missing"
        );
        assert!(graph_dump_complete(&format!("{log}{frame}\n")));
        assert!(!graph_dump_complete(""));
    }
}
