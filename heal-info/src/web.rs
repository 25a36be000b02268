//! `serve --web-config FILE`: TLS and basic auth from a web configuration
//! file in the format of the Prometheus project's exporter-toolkit (the
//! `--web.config.file` of node_exporter and most exporters), so one file
//! and one set of bcrypt hashes serve every exporter on a node:
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: /etc/heal-info/cert.pem
//!   key_file: /etc/heal-info/key.pem
//! basic_auth_users:
//!   prometheus: $2y$10$...   # htpasswd -nBC 10 "" | tr -d ':\n'
//! ```
//!
//! Relative paths are taken from the file's directory, as exporter-toolkit
//! does. Keys this code does not implement (`client_auth_type`,
//! `min_version`, `http_server_config`, ...) are refused rather than
//! ignored: a file that asks for client certificates must not give a
//! server that accepts anyone. The file is read once at start.

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio_rustls::rustls;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    tls_server_config: Option<TlsFile>,
    basic_auth_users: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert_file: PathBuf,
    key_file: PathBuf,
}

/// What a web configuration file asks of the server.
pub struct Web {
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// user -> bcrypt hash; empty: no authentication.
    users: BTreeMap<String, String>,
    /// Credentials that verified, so a scrape every 15 s costs one bcrypt
    /// (tens of ms by design) once, not each time. Only successes are kept,
    /// and at most `CACHE` of them.
    verified: Mutex<HashSet<(String, String)>>,
}

const CACHE: usize = 256;

impl Web {
    /// No TLS, no authentication: what `serve` does without --web-config.
    pub fn plain() -> Web {
        Web {
            tls: None,
            users: BTreeMap::new(),
            verified: Mutex::new(HashSet::new()),
        }
    }

    pub fn load(path: &Path) -> Result<Web> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --web-config {}", path.display()))?;
        let file: File = if text.trim().is_empty() {
            File::default()
        } else {
            serde_yaml_ng::from_str(&text)
                .with_context(|| format!("--web-config {}", path.display()))?
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let tls = match file.tls_server_config {
            Some(t) => Some(Arc::new(
                tls_config(&dir.join(&t.cert_file), &dir.join(&t.key_file))
                    .with_context(|| format!("--web-config {}", path.display()))?,
            )),
            None => None,
        };
        let users = file.basic_auth_users.unwrap_or_default();
        for (user, hash) in &users {
            // A hash that cannot be read would refuse every scrape; say so now.
            hash.parse::<bcrypt::HashParts>().map_err(|e| {
                anyhow!(
                    "--web-config {}: user {user}: not a bcrypt hash ({e})",
                    path.display()
                )
            })?;
        }
        Ok(Web {
            tls,
            users,
            verified: Mutex::new(HashSet::new()),
        })
    }

    pub fn needs_auth(&self) -> bool {
        !self.users.is_empty()
    }

    /// Whether an `Authorization` header value names a configured user with
    /// the right password. Costs one bcrypt the first time a pair verifies,
    /// and every time for a wrong one: call it off the async threads.
    pub fn authorized(&self, header: Option<&[u8]>) -> bool {
        if !self.needs_auth() {
            return true;
        }
        let Some((user, password)) = header.and_then(basic_credentials) else {
            return false;
        };
        let Some(hash) = self.users.get(&user) else {
            // As exporter-toolkit does: an unknown user costs a bcrypt too,
            // so the answer's timing does not tell which users exist.
            if let Some(any) = self.users.values().next() {
                let _ = bcrypt::verify(&password, any);
            }
            return false;
        };
        let key = (user, password);
        if self.verified.lock().unwrap().contains(&key) {
            return true;
        }
        let ok = bcrypt::verify(&key.1, hash).unwrap_or(false);
        if ok {
            let mut cache = self.verified.lock().unwrap();
            if cache.len() >= CACHE {
                cache.clear();
            }
            cache.insert(key);
        }
        ok
    }
}

/// `Basic base64(user:password)` -> (user, password).
fn basic_credentials(header: &[u8]) -> Option<(String, String)> {
    let header = std::str::from_utf8(header).ok()?.trim();
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

fn tls_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("cannot read cert_file {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("cert_file {}", cert.display()))?;
    if chain.is_empty() {
        bail!("cert_file {} holds no certificate", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("key_file {}: no readable private key", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("cert_file and key_file do not make a certificate and its key")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn basic_auth_checks_the_bcrypt_hash_of_the_named_user() {
        let dir = tempfile::tempdir().unwrap();
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let cfg = write(
            dir.path(),
            "web.yml",
            &format!("basic_auth_users:\n  prom: '{hash}'\n"),
        );
        let web = Web::load(&cfg).unwrap();
        assert!(web.tls.is_none());
        let header = |u: &str, p: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        };
        assert!(web.authorized(Some(header("prom", "s3cret").as_bytes())));
        // Twice: the second answer comes from the cache and must agree.
        assert!(web.authorized(Some(header("prom", "s3cret").as_bytes())));
        assert!(!web.authorized(Some(header("prom", "wrong").as_bytes())));
        assert!(!web.authorized(Some(header("other", "s3cret").as_bytes())));
        assert!(!web.authorized(Some(b"Bearer abc")));
        assert!(!web.authorized(None));
        assert!(Web::plain().authorized(None));
    }

    #[test]
    fn an_unknown_user_takes_as_long_as_a_wrong_password() {
        let dir = tempfile::tempdir().unwrap();
        let hash = bcrypt::hash("s3cret", 8).unwrap();
        let cfg = write(
            dir.path(),
            "web.yml",
            &format!("basic_auth_users:\n  prom: '{hash}'\n"),
        );
        let web = Web::load(&cfg).unwrap();
        let time = |user: &str| {
            let h = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:wrong"))
            );
            let t = std::time::Instant::now();
            assert!(!web.authorized(Some(h.as_bytes())));
            t.elapsed()
        };
        // The fastest of three each, against scheduling noise.
        let wrong = (0..3).map(|_| time("prom")).min().unwrap();
        let unknown = (0..3).map(|_| time("nobody")).min().unwrap();
        // Without the decoy bcrypt an unknown user answered in microseconds.
        assert!(
            unknown * 3 > wrong,
            "unknown user {unknown:?}, wrong password {wrong:?}"
        );
    }

    #[test]
    fn unknown_keys_and_bad_hashes_are_refused_at_load() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = write(
            dir.path(),
            "a.yml",
            "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireAndVerifyClientCert\n",
        );
        let e = format!("{:#}", Web::load(&cfg).err().unwrap());
        assert!(e.contains("client_auth_type"), "{e}");
        let cfg = write(dir.path(), "b.yml", "basic_auth_users:\n  prom: plain\n");
        let e = format!("{:#}", Web::load(&cfg).err().unwrap());
        assert!(e.contains("not a bcrypt hash"), "{e}");
        let cfg = write(dir.path(), "c.yml", "");
        assert!(!Web::load(&cfg).unwrap().needs_auth());
    }

    #[test]
    fn tls_files_are_found_beside_the_config_and_must_match() {
        let dir = tempfile::tempdir().unwrap();
        let a = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let b = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        write(dir.path(), "cert.pem", &a.cert.pem());
        write(dir.path(), "key.pem", &a.signing_key.serialize_pem());
        write(dir.path(), "other-key.pem", &b.signing_key.serialize_pem());
        let cfg = write(
            dir.path(),
            "web.yml",
            "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n",
        );
        assert!(Web::load(&cfg).unwrap().tls.is_some());
        let cfg = write(
            dir.path(),
            "bad.yml",
            "tls_server_config:\n  cert_file: cert.pem\n  key_file: other-key.pem\n",
        );
        let e = format!("{:#}", Web::load(&cfg).err().unwrap());
        assert!(e.contains("do not make a certificate"), "{e}");
        let cfg = write(
            dir.path(),
            "missing.yml",
            "tls_server_config:\n  cert_file: nope.pem\n  key_file: key.pem\n",
        );
        assert!(Web::load(&cfg).is_err());
    }
}
