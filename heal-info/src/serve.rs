//! `heal-info serve`: a Prometheus exporter that never makes a scrape wait
//! on glfsheal. A refresh loop asks glusterd for the started volumes and
//! runs one glfsheal per volume (at most `jobs` at once, each under its
//! deadline) in the background; each result is encoded once (`metrics`)
//! and every scrape is answered at once from the last encoding. A volume
//! whose previous run is still going is skipped that round, so one volume
//! never has two glfsheals; each child is waited for by the thread that
//! started it (duct), so none is left defunct; and glfsheal's output is
//! counted as it streams, entry paths not kept, so a huge heal list costs
//! no memory. With `--textfile DIR` every new encoding is also written to
//! DIR/gluster_heal_info.prom for node_exporter, through a temp file and a
//! rename so the collector never reads half a file.

use crate::find::Build;
use crate::metrics::{self, Exporter, VolumeState};
use crate::model::{Mode, Report};
use crate::run::{self, Options};
use crate::volumes;
use anyhow::{Context, Result};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

pub struct ServeOptions {
    pub listen: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub jobs: usize,
    pub textfile: Option<PathBuf>,
    pub cluster_id: String,
    /// Volumes to watch; empty: every started volume glusterd lists.
    pub volumes: Vec<String>,
    /// Stop after this many refresh rounds (benchmarks and tests).
    pub rounds: Option<u64>,
}

/// The textfile collector's file in `--textfile DIR`.
pub const TEXTFILE: &str = "gluster_heal_info.prom";

/// OpenMetrics, which prometheus-client writes and Prometheus scrapes.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Default)]
struct State {
    /// Each volume's latest report and when it last succeeded.
    volumes: BTreeMap<String, (Report, Option<f64>)>,
    /// Volumes whose glfsheal is queued or running.
    busy: HashSet<String>,
    exporter: Exporter,
}

struct Shared {
    cluster_id: String,
    state: Mutex<State>,
    /// The last encoding, which every scrape gets.
    exposition: RwLock<String>,
    textfile: Option<PathBuf>,
    /// Free glfsheal slots, out of `jobs`.
    slots: (Mutex<usize>, Condvar),
    /// Held from encoding to publishing, so an older encoding never lands
    /// after a newer one (in the textfile especially).
    publishing: Mutex<()>,
}

impl Shared {
    /// Encodes the state once and publishes it to scrapes and the textfile.
    fn publish(&self) {
        let _turn = self.publishing.lock().unwrap();
        let text = {
            let st = self.state.lock().unwrap();
            let states: Vec<VolumeState> = st
                .volumes
                .values()
                .map(|(report, last)| VolumeState {
                    report,
                    last_success: *last,
                })
                .collect();
            metrics::encode(&self.cluster_id, &states, Some(st.exporter))
        };
        if let Some(dir) = &self.textfile {
            if let Err(e) = write_atomically(dir, &text) {
                eprintln!("heal-info serve: {e:#}");
            }
        }
        *self.exposition.write().unwrap() = text;
    }

    fn take_slot(&self) {
        let (lock, cv) = &self.slots;
        let mut free = lock.lock().unwrap();
        while *free == 0 {
            free = cv.wait(free).unwrap();
        }
        *free -= 1;
    }

    fn give_slot(&self) {
        let (lock, cv) = &self.slots;
        *lock.lock().unwrap() += 1;
        cv.notify_one();
    }
}

/// Writes `text` to DIR/gluster_heal_info.prom: a temp file in DIR (not
/// ending in .prom, which the collector would read), then a rename.
pub fn write_atomically(dir: &Path, text: &str) -> Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".gluster_heal_info.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in --textfile directory {}", dir.display()))?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    // node_exporter runs as its own user: the file must be readable.
    use std::os::unix::fs::PermissionsExt;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    tmp.persist(dir.join(TEXTFILE))
        .with_context(|| format!("cannot rename into {}", dir.display()))?;
    Ok(())
}

/// Runs the exporter until `rounds` refreshes are done (forever without).
pub fn serve(build: Build, opts: ServeOptions) -> Result<()> {
    let server = tiny_http::Server::http(&opts.listen).map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {}: {e} (give --listen HOST:PORT, e.g. 127.0.0.1:19713)",
            opts.listen
        )
    })?;
    if let Some(dir) = &opts.textfile {
        anyhow::ensure!(
            dir.is_dir(),
            "--textfile {} is not a directory: give node_exporter's --collector.textfile.directory",
            dir.display()
        );
    }
    eprintln!(
        "heal-info serve: /metrics on {}, refreshing every {:.1} s",
        opts.listen,
        opts.interval.as_secs_f64()
    );
    let shared = Arc::new(Shared {
        cluster_id: opts.cluster_id.clone(),
        state: Mutex::new(State::default()),
        exposition: RwLock::new(String::new()),
        textfile: opts.textfile.clone(),
        slots: (Mutex::new(opts.jobs.max(1)), Condvar::new()),
        publishing: Mutex::new(()),
    });
    shared.publish();
    let server = Arc::new(server);
    // A few answering threads, so one slow client does not delay the rest.
    for _ in 0..4 {
        let (server, shared) = (server.clone(), shared.clone());
        std::thread::spawn(move || answer(&server, &shared));
    }
    refresh_loop(&build, &opts, &shared);
    Ok(())
}

fn answer(server: &tiny_http::Server, shared: &Shared) {
    for req in server.incoming_requests() {
        let resp = if req.url() == "/metrics" || req.url().starts_with("/metrics?") {
            let body = shared.exposition.read().unwrap().clone();
            tiny_http::Response::from_string(body)
                .with_header(tiny_http::Header::from_bytes("Content-Type", CONTENT_TYPE).unwrap())
        } else if req.url() == "/" {
            tiny_http::Response::from_string("heal-info serve: metrics at /metrics\n")
        } else {
            tiny_http::Response::from_string("not found: metrics are at /metrics\n")
                .with_status_code(404)
        };
        let _ = req.respond(resp);
    }
}

fn refresh_loop(build: &Build, opts: &ServeOptions, shared: &Arc<Shared>) {
    let mut known: Vec<String> = opts.volumes.clone();
    let mut round = 0u64;
    loop {
        let started = Instant::now();
        round += 1;
        let listed = if opts.volumes.is_empty() {
            // The list gets the deadline of one volume: a glusterd that
            // does not answer keeps the previous list.
            match volumes::started(build, opts.timeout) {
                Ok(v) => {
                    known = v;
                    true
                }
                Err(e) => {
                    eprintln!("heal-info serve: {e:#}; keeping the previous volume list");
                    false
                }
            }
        } else {
            true
        };
        let mut to_run = Vec::new();
        {
            let mut st = shared.state.lock().unwrap();
            st.exporter = Exporter {
                listed,
                rounds: round,
            };
            if listed {
                st.volumes.retain(|v, _| known.contains(v));
            }
            for v in &known {
                if st.busy.insert(v.clone()) {
                    to_run.push(v.clone());
                } else {
                    eprintln!("heal-info serve: {v}: the previous run is still going; skipped");
                }
            }
        }
        shared.publish();
        for volume in to_run {
            let shared = shared.clone();
            let build = build.clone();
            let o = Options {
                volume: volume.clone(),
                timeout: opts.timeout,
                keep_entries: false,
                // One glfsheal gives pending, split-brain and possibly
                // healing counts (computed from the entries on 3.12).
                mode: Mode::Summary,
            };
            // glfsheal gets PR_SET_PDEATHSIG from this thread, which lives
            // until glfsheal is reaped.
            std::thread::spawn(move || {
                shared.take_slot();
                let report = run::heal_info(&build, &o);
                shared.give_slot();
                {
                    let mut st = shared.state.lock().unwrap();
                    let last = if report.error.is_none() {
                        Some(metrics::now())
                    } else {
                        st.volumes.get(&volume).and_then(|(_, t)| *t)
                    };
                    st.volumes.insert(volume.clone(), (report, last));
                    st.busy.remove(&volume);
                }
                shared.publish();
            });
        }
        if opts.rounds.is_some_and(|n| round >= n) {
            // Let the last round's runs finish (each has its deadline).
            while !shared.state.lock().unwrap().busy.is_empty() {
                std::thread::sleep(Duration::from_millis(50));
            }
            return;
        }
        std::thread::sleep(opts.interval.saturating_sub(started.elapsed()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_textfile_is_replaced_whole_and_no_temp_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        write_atomically(dir.path(), "a 1\n# EOF\n").unwrap();
        write_atomically(dir.path(), "a 2\n# EOF\n").unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [TEXTFILE]);
        let file = dir.path().join(TEXTFILE);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "a 2\n# EOF\n");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        assert!(write_atomically(&dir.path().join("missing"), "x").is_err());
    }
}
