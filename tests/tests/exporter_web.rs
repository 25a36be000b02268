//! `heal-info serve --web-config`: TLS and basic auth in exporter-toolkit's
//! file format, checked with a real client (curl) against a certificate
//! made here, all on loopback.

use std::path::Path;
use std::process::Command;
use tests::exporter::Exporter;
use tests::skip;

/// curl's HTTP status (0 when no HTTP answer came), its exit code, the
/// headers and the body.
fn curl(args: &[&str]) -> (u16, i32, String) {
    let out = Command::new("curl")
        .args(["-sS", "-i", "--max-time", "10", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("running curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (
        code.trim().parse().unwrap_or(0),
        out.status.code().unwrap_or(-1),
        format!("{body}{}", String::from_utf8_lossy(&out.stderr)),
    )
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn tls_and_basic_auth_from_a_web_config_file() {
    let name = "tls_and_basic_auth_from_a_web_config_file";
    if Command::new("curl").arg("--version").output().is_err() {
        return skip(name, "curl is not installed");
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    write(d, "cert.pem", &cert.cert.pem());
    write(d, "key.pem", &cert.signing_key.serialize_pem());
    // What `htpasswd -nbB prom s3cret` gives, at a low cost to keep the test quick.
    let hash = bcrypt::hash("s3cret", 5).unwrap();
    // Relative paths: taken from the file's directory, as exporter-toolkit does.
    write(
        d,
        "web.yml",
        &format!(
            "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_users:\n  prom: {hash}\n"
        ),
    );
    let web = d.join("web.yml");
    let ex = Exporter::start(&["--web-config", web.to_str().unwrap()]);
    assert!(ex.log_text().contains("https://"), "{}", ex.log_text());
    let port = ex.addr.port();
    let https = format!("https://localhost:{port}/metrics");
    let ca = d.join("cert.pem");
    let ca = ca.to_str().unwrap();
    let resolve = format!("localhost:{port}:127.0.0.1");

    let (code, rc, out) = curl(&[
        "--resolve",
        &resolve,
        "--cacert",
        ca,
        "-u",
        "prom:s3cret",
        &https,
    ]);
    assert_eq!((code, rc), (200, 0), "{out}\n{}", ex.log_text());
    assert!(out.contains("gluster_heal_info_refreshes_total"), "{out}");
    assert!(out.contains("application/openmetrics-text"), "{out}");

    let (code, _, out) = curl(&[
        "--resolve",
        &resolve,
        "--cacert",
        ca,
        "-u",
        "prom:wrong",
        &https,
    ]);
    assert_eq!(code, 401, "{out}");
    assert!(
        out.to_ascii_lowercase().contains("www-authenticate: basic"),
        "{out}"
    );
    assert!(!out.contains("gluster_heal_info"), "{out}");
    let (code, _, out) = curl(&[
        "--resolve",
        &resolve,
        "--cacert",
        ca,
        "-u",
        "nobody:s3cret",
        &https,
    ]);
    assert_eq!(code, 401, "{out}");
    let (code, _, out) = curl(&["--resolve", &resolve, "--cacert", ca, &https]);
    assert_eq!(code, 401, "{out}");

    // Plain HTTP to the TLS port gets no HTTP answer at all.
    let (code, rc, out) = curl(&[
        "-u",
        "prom:s3cret",
        &format!("http://127.0.0.1:{port}/metrics"),
    ]);
    assert_eq!(code, 0, "{out}");
    assert_ne!(rc, 0, "{out}");
    assert!(!out.contains("gluster_heal_info"), "{out}");
    // The certificate served is the one made here: without it as the CA,
    // curl refuses it (60: peer certificate cannot be authenticated).
    let (code, rc, out) = curl(&["--resolve", &resolve, "-u", "prom:s3cret", &https]);
    assert_eq!((code, rc), (0, 60), "{out}");
}

#[test]
fn basic_auth_without_tls_and_no_config_means_open() {
    if Command::new("curl").arg("--version").output().is_err() {
        return skip(
            "basic_auth_without_tls_and_no_config_means_open",
            "curl is not installed",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let hash = bcrypt::hash("pw", 5).unwrap();
    write(
        dir.path(),
        "web.yml",
        &format!("basic_auth_users:\n  a: '{hash}'\n"),
    );
    let ex = Exporter::start(&[
        "--web.config.file",
        dir.path().join("web.yml").to_str().unwrap(),
    ]);
    let url = format!("http://{}/metrics", ex.addr);
    assert_eq!(curl(&["-u", "a:pw", &url]).0, 200);
    assert_eq!(curl(&["-u", "a:px", &url]).0, 401);
    assert_eq!(curl(&[&url]).0, 401);
    drop(ex);
    let ex = Exporter::start(&[]);
    let (code, _, out) = curl(&[&format!("http://{}/metrics", ex.addr)]);
    assert_eq!(code, 200, "{out}");
    assert!(out.contains("gluster_heal_info_refreshes_total"), "{out}");
}

/// A client that starts a TLS handshake and stalls is dropped by the
/// server's handshake timeout (10 s), and meanwhile scrapes over TLS are
/// answered.
#[test]
fn a_stalled_tls_handshake_is_dropped_and_does_not_delay_scrapes() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    if Command::new("curl").arg("--version").output().is_err() {
        return skip(
            "a_stalled_tls_handshake_is_dropped_and_does_not_delay_scrapes",
            "curl is not installed",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    write(d, "cert.pem", &cert.cert.pem());
    write(d, "key.pem", &cert.signing_key.serialize_pem());
    write(
        d,
        "web.yml",
        "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n",
    );
    let ex = Exporter::start(&["--web-config", d.join("web.yml").to_str().unwrap()]);
    // A TLS record header announcing a ClientHello, and nothing more.
    let mut stalled: Vec<std::net::TcpStream> = (0..20)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(ex.addr).unwrap();
            s.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00]).unwrap();
            s
        })
        .collect();
    let t = Instant::now();
    let ca = d.join("cert.pem");
    let resolve = format!("localhost:{}:127.0.0.1", ex.addr.port());
    let url = format!("https://localhost:{}/metrics", ex.addr.port());
    for _ in 0..5 {
        let (code, rc, out) = curl(&[
            "--resolve",
            &resolve,
            "--cacert",
            ca.to_str().unwrap(),
            &url,
        ]);
        assert_eq!((code, rc), (200, 0), "{out}");
    }
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "scrapes waited on the stalled handshakes"
    );
    for s in &mut stalled {
        s.set_read_timeout(Some(
            Duration::from_secs(20)
                .saturating_sub(t.elapsed())
                .max(Duration::from_millis(1)),
        ))
        .unwrap();
        let mut buf = [0u8; 64];
        let closed = match s.read(&mut buf) {
            Ok(0) => true,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
            Ok(_) => false,
        };
        assert!(
            closed,
            "a stalled handshake still open after {:?}",
            t.elapsed()
        );
    }
    let took = t.elapsed();
    assert!(
        took >= Duration::from_secs(9),
        "closed before the timeout: {took:?}"
    );
    eprintln!(
        "20 stalled TLS handshakes dropped after {:.1} s",
        took.as_secs_f64()
    );
}
