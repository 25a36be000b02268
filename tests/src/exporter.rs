//! `heal-info serve` run on the host's loopback for the tests that need
//! only its HTTP side (TLS, auth, load): no glusterd, a stand-in glfsheal
//! that fails at once (so /metrics has a real, failed volume), port 0 so
//! tests never collide, and the process killed and reaped on drop.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Exporter {
    child: Child,
    pub addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Exporter {
    /// Starts `heal-info serve --listen 127.0.0.1:0` with the stand-in
    /// glfsheal, one volume `v`, a refresh every second, `--all-nodes`,
    /// and `extra` flags, and waits for the address it bound.
    pub fn start(extra: &[&str]) -> Exporter {
        Self::start_with(&verify::tools::heal_info_bin(), extra)
    }

    /// [`Exporter::start`] with another build of heal-info (the dist one,
    /// on glibc 2.17).
    pub fn start_with(bin: &std::path::Path, extra: &[&str]) -> Exporter {
        let mut args = vec![
            "--glfsheal",
            "/bin/false",
            "--volume",
            "v",
            "--interval",
            "1",
            "--timeout",
            "5",
            // No glusterd to ask which node exports.
            "--all-nodes",
        ];
        args.extend_from_slice(extra);
        Self::start_program(bin, &args)
    }

    /// `heal-info serve --listen 127.0.0.1:0` and exactly `args`.
    pub fn start_argv(args: &[&str]) -> Exporter {
        let bin = verify::tools::heal_info_bin();
        assert!(
            bin.exists(),
            "build heal-info first (cargo build -p heal-info): {}",
            bin.display()
        );
        Self::start_program(&bin, args)
    }

    /// `bin serve --listen 127.0.0.1:0` and exactly `args`: another build
    /// of heal-info (the dist one, on glibc 2.17).
    pub fn start_program(bin: &std::path::Path, args: &[&str]) -> Exporter {
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting heal-info serve");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                {
                    let mut l = sink.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
                if let Some(rest) = line.split("://").nth(1) {
                    if let Some(addr) = rest
                        .split(|c: char| c == '/' || c == ',' || c.is_whitespace())
                        .next()
                        .and_then(|a| a.parse::<SocketAddr>().ok())
                    {
                        let _ = tx.send(addr);
                    }
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("heal-info serve said no address:\n{}", log.lock().unwrap());
            }
        };
        Exporter { child, addr, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `GET path` over a fresh connection (HTTP/1.1, `Connection: close`):
/// the status and the body, or why not within `limit`.
pub fn get(addr: SocketAddr, path: &str, limit: Duration) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect_timeout(&addr, limit)?;
    s.set_read_timeout(Some(limit))?;
    s.set_write_timeout(Some(limit))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}
