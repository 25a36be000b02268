//! `heal-info serve`: a Prometheus exporter that never makes a scrape wait
//! on glfsheal. A refresh loop asks glusterd for the started volumes and
//! runs one glfsheal per volume (at most `jobs` at once by `slots`, each
//! under its deadline) in the background; each result is encoded once
//! (`metrics`) and every scrape is answered at once from the last encoding.
//! A volume whose previous run is still going is skipped that round, so one
//! volume never has two glfsheals; each child is waited for by the thread
//! that started it (duct), so none is left defunct; and glfsheal's output
//! is counted as it streams, entry paths not kept, so a huge heal list
//! costs no memory. With `--textfile DIR` every new encoding is also
//! written to DIR/gluster_heal_info.prom for node_exporter, through a temp
//! file and a rename so the collector never reads half a file.
//!
//! The HTTP side (hyper on its own two-thread tokio runtime, TLS and basic
//! auth from `--web-config`, see `web`) bounds what clients can hold: at
//! most `MAX_CONNECTIONS` at once (more are closed at accept), a TLS
//! handshake and each request's headers within `HEADER_TIMEOUT`, and a
//! connection closed gracefully after `CONNECTION_LIFETIME`, so neither a
//! half-sent request nor an idle or unread connection stays for ever.

use crate::find::Build;
use crate::metrics::{self, Exporter, VolumeState};
use crate::model::{Mode, Report};
use crate::run::{self, Options};
use crate::slots::Slots;
use crate::volumes;
use crate::web::Web;
use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
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
    /// TLS and basic auth (`--web-config`).
    pub web: Web,
    /// Run glfsheal and export on every node, not only on the connected
    /// peer with the highest UUID (`peers`).
    pub all_nodes: bool,
}

/// Connections served at once; more are closed as they are accepted, so
/// a flood costs file descriptors and buffers up to this and no further.
pub const MAX_CONNECTIONS: usize = 512;
/// A TLS handshake, and each request's headers, must arrive within this;
/// hyper counts an idle kept-alive connection's wait for its next request
/// too, so those close after it as well. Prometheus sends a scrape's
/// request at once (and reconnects when its scrape interval is longer);
/// only a stalled or slowloris client takes longer.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection is closed (after its request in flight, if any) this long
/// after it opened; Prometheus just opens another for its next scrape.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);

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
    /// The last encoding, which every scrape gets (a clone is a refcount).
    exposition: RwLock<Bytes>,
    textfile: Option<PathBuf>,
    /// The glfsheal runs allowed at once (`jobs`).
    slots: Slots,
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
        *self.exposition.write().unwrap() = Bytes::from(text);
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
pub fn serve(build: Build, mut opts: ServeOptions) -> Result<()> {
    let listener = std::net::TcpListener::bind(&opts.listen).map_err(|e| {
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
    // The bound address, so `--listen 127.0.0.1:0` says which port it got.
    let addr = listener.local_addr()?;
    eprintln!(
        "heal-info serve: /metrics on {}://{addr}{}, refreshing every {:.1} s",
        if opts.web.tls.is_some() {
            "https"
        } else {
            "http"
        },
        if opts.web.needs_auth() {
            " (basic auth)"
        } else {
            ""
        },
        opts.interval.as_secs_f64()
    );
    let shared = Arc::new(Shared {
        cluster_id: opts.cluster_id.clone(),
        state: Mutex::new(State::default()),
        exposition: RwLock::new(Bytes::new()),
        textfile: opts.textfile.clone(),
        slots: Slots::new(opts.jobs),
        publishing: Mutex::new(()),
    });
    shared.publish();
    let web = Arc::new(std::mem::replace(&mut opts.web, Web::plain()));
    start_http(listener, web, shared.clone())?;
    refresh_loop(&build, &opts, &shared);
    Ok(())
}

/// Serves `listener` on a runtime of its own, in a thread of its own.
/// The listen backlog. std listens with 128; when more clients than that
/// connect at once (200 scrapers in the load test) the kernel drops the
/// extra SYNs and each client retries a second later. The kernel caps it
/// at net.core.somaxconn.
pub const BACKLOG: i32 = 1024;

fn start_http(listener: std::net::TcpListener, web: Arc<Web>, shared: Arc<Shared>) -> Result<()> {
    // Listening again on a listening socket only changes its backlog.
    socket2::SockRef::from(&listener).listen(BACKLOG)?;
    listener.set_nonblocking(true)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // bcrypt checks run here; a few at once are plenty for scrapers
        // and bound what wrong passwords can cost.
        .max_blocking_threads(4)
        .thread_name("heal-info-http")
        .enable_io()
        .enable_time()
        .build()?;
    let listener = {
        let _in = rt.enter();
        tokio::net::TcpListener::from_std(listener)?
    };
    std::thread::spawn(move || rt.block_on(accept_loop(listener, web, shared)));
    Ok(())
}

async fn accept_loop(listener: tokio::net::TcpListener, web: Arc<Web>, shared: Arc<Shared>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let tls = web.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    loop {
        let sock = match listener.accept().await {
            Ok((sock, _)) => sock,
            Err(e) => {
                // EMFILE and the like: wait rather than spin.
                eprintln!("heal-info serve: accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            drop(sock);
            continue;
        };
        let (web, shared, tls) = (web.clone(), shared.clone(), tls.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let _ = sock.set_nodelay(true);
            match tls {
                Some(tls) => {
                    if let Ok(Ok(s)) = tokio::time::timeout(HEADER_TIMEOUT, tls.accept(sock)).await
                    {
                        connection(s, web, shared).await;
                    }
                }
                None => connection(sock, web, shared).await,
            }
        });
    }
}

async fn connection<I>(io: I, web: Arc<Web>, shared: Arc<Shared>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let (web, shared) = (web.clone(), shared.clone());
        async move { Ok::<_, std::convert::Infallible>(respond(req, &web, &shared).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(64 * 1024)
        .serve_connection(hyper_util::rt::TokioIo::new(io), service);
    let mut conn = std::pin::pin!(conn);
    if tokio::time::timeout(CONNECTION_LIFETIME, conn.as_mut())
        .await
        .is_ok()
    {
        return;
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(HEADER_TIMEOUT, conn).await;
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r
}

async fn respond(
    req: Request<hyper::body::Incoming>,
    web: &Arc<Web>,
    shared: &Shared,
) -> Response<Full<Bytes>> {
    if web.needs_auth() {
        let header = req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .map(|v| v.as_bytes().to_vec());
        let web = web.clone();
        // bcrypt takes tens of ms on purpose: not on the async threads.
        let ok = tokio::task::spawn_blocking(move || web.authorized(header.as_deref()))
            .await
            .unwrap_or(false);
        if !ok {
            let mut r = text(StatusCode::UNAUTHORIZED, "Unauthorized\n");
            r.headers_mut().insert(
                hyper::header::WWW_AUTHENTICATE,
                hyper::header::HeaderValue::from_static("Basic"),
            );
            return r;
        }
    }
    match req.uri().path() {
        "/metrics" => {
            let body = shared.exposition.read().unwrap().clone();
            let mut r = Response::new(Full::new(body));
            r.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static(CONTENT_TYPE),
            );
            r
        }
        "/" => text(StatusCode::OK, "heal-info serve: metrics at /metrics\n"),
        _ => text(
            StatusCode::NOT_FOUND,
            "not found: metrics are at /metrics\n",
        ),
    }
}

/// This round's answer to "does this node export?" (see `peers`), and
/// whether glusterd answered it. A glusterd that does not answer makes
/// this node a non-exporting one for the round: its other peers will
/// have picked a leader without it, and heal counts must not appear twice.
fn exporting(build: &Build, opts: &ServeOptions, was: bool) -> (bool, Option<bool>) {
    if opts.all_nodes {
        return (true, None);
    }
    let (now, ok) = match crate::peers::exporting_node(build, opts.timeout) {
        Ok(b) => (b, true),
        Err(e) => {
            eprintln!("heal-info serve: {e:#}; not exporting this round");
            (false, false)
        }
    };
    if now != was {
        eprintln!(
            "heal-info serve: {}",
            if now {
                "this node is the connected peer with the highest UUID: exporting heal counts"
            } else {
                "another peer exports heal counts (the connected one with the highest UUID): no glfsheal here (--all-nodes to run on every node)"
            }
        );
    }
    (now, Some(ok))
}

fn refresh_loop(build: &Build, opts: &ServeOptions, shared: &Arc<Shared>) {
    let mut known: Vec<String> = opts.volumes.clone();
    let mut round = 0u64;
    let mut was_exporting = false;
    loop {
        let started = Instant::now();
        round += 1;
        let (exporting, peers_listed) = exporting(build, opts, was_exporting);
        was_exporting = exporting;
        if !exporting {
            {
                let mut st = shared.state.lock().unwrap();
                st.exporter = Exporter {
                    listed: None,
                    rounds: round,
                    exporting,
                    peers_listed,
                };
                // The series this node exported as leader go: the new
                // leader has them now.
                st.volumes.clear();
            }
            shared.publish();
            if opts.rounds.is_some_and(|n| round >= n) {
                return;
            }
            std::thread::sleep(opts.interval.saturating_sub(started.elapsed()));
            continue;
        }
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
                listed: Some(listed),
                rounds: round,
                exporting,
                peers_listed,
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
                // A refresh every interval: glfsheal-VOL.log would grow
                // for ever (gluster-prometheus #183).
                nolog: true,
            };
            // glfsheal gets PR_SET_PDEATHSIG from this thread, which lives
            // until glfsheal is reaped.
            std::thread::spawn(move || {
                let slot = shared.slots.take();
                let report = run::heal_info(&build, &o);
                drop(slot);
                {
                    let mut st = shared.state.lock().unwrap();
                    st.busy.remove(&volume);
                    // Leadership passed while this ran: the report is the
                    // new leader's to give.
                    if !st.exporter.exporting {
                        drop(st);
                        shared.publish();
                        return;
                    }
                    let before = st.volumes.get(&volume).and_then(|(_, t)| *t);
                    let last = VolumeState::after(&report, before).last_success;
                    st.volumes.insert(volume.clone(), (report, last));
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
