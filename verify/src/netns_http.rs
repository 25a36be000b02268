//! HTTP GETs from the test into a cluster's private network namespace:
//! a short-lived thread joins the namespace (setns moves only the calling
//! thread) and times the request, so scrape latency is measured without
//! any client program in the cluster.

use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

pub struct Answer {
    pub status: u16,
    pub body: String,
    /// From connecting to the last byte.
    pub took: Duration,
}

/// GET `path` (already URL-encoded) from `addr` inside the network
/// namespace of host PID `ns_pid`, with `limit` for the whole exchange.
pub fn get(ns_pid: u32, addr: &str, path: &str, limit: Duration) -> Result<Answer> {
    let (addr, path) = (addr.to_string(), path.to_string());
    std::thread::spawn(move || -> Result<Answer> {
        let ns = std::fs::File::open(format!("/proc/{ns_pid}/ns/net"))?;
        if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            bail!("setns: {}", std::io::Error::last_os_error());
        }
        let t = Instant::now();
        let sock_addr = addr.parse().context("a literal HOST:PORT")?;
        let mut s = TcpStream::connect_timeout(&sock_addr, limit)?;
        s.set_read_timeout(Some(limit))?;
        // HTTP/1.0: the server closes after one answer, so the body ends at EOF.
        write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let took = t.elapsed();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .context("no HTTP status line")?;
        Ok(Answer {
            status,
            body: body.to_string(),
            took,
        })
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the request thread panicked"))?
}

/// A Prometheus HTTP API instant query's result vector.
pub fn query(ns_pid: u32, addr: &str, promql: &str) -> Result<Vec<serde_json::Value>> {
    let q: String = form_urlencoded::byte_serialize(promql.as_bytes()).collect();
    let a = get(
        ns_pid,
        addr,
        &format!("/api/v1/query?query={q}"),
        Duration::from_secs(10),
    )?;
    let v: serde_json::Value = serde_json::from_str(&a.body)
        .with_context(|| format!("Prometheus answered {}: {}", a.status, a.body))?;
    if v["status"] != "success" {
        bail!("Prometheus refused {promql}: {v}");
    }
    Ok(v["data"]["result"].as_array().cloned().unwrap_or_default())
}
