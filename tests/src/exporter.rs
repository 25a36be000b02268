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
    /// Starts `heal-info serve --listen 127.0.0.1:0` with `extra` flags and
    /// waits for the address it bound.
    pub fn start(extra: &[&str]) -> Exporter {
        let bin = verify::tools::heal_info_bin();
        assert!(
            bin.exists(),
            "build heal-info first (cargo build -p heal-info): {}",
            bin.display()
        );
        let mut child = Command::new(&bin)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--glfsheal",
                "/bin/false",
                "--volume",
                "v",
                "--interval",
                "1",
                "--timeout",
                "5",
            ])
            .args(extra)
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
