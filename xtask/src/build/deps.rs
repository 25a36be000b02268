//! The Debian packages a GlusterFS 3.x–7.x build needs. As root the missing
//! ones are installed (through the suite's own installer); otherwise the
//! build stops before configure with the apt-get line to run.

use anyhow::{bail, Result};
use duct::cmd;
use std::path::Path;

/// (package, a program it installs or a header under /usr/include).
const BUILD_DEPS: &[(&str, &str)] = &[
    ("gcc", "gcc"),
    ("make", "make"),
    ("autoconf", "autoconf"),
    ("automake", "automake"),
    ("libtool", "libtoolize"),
    ("pkg-config", "pkg-config"),
    ("flex", "flex"),
    ("bison", "bison"),
    ("python3", "python3"),
    ("ccache", "ccache"),
    ("git", "git"),
    ("libssl-dev", "openssl/ssl.h"),
    ("libxml2-dev", "libxml2/libxml/parser.h"),
    ("uuid-dev", "uuid/uuid.h"),
    ("libacl1-dev", "sys/acl.h"),
    ("liburcu-dev", "urcu.h"),
    ("zlib1g-dev", "zlib.h"),
    ("libaio-dev", "libaio.h"),
    ("libreadline-dev", "readline/readline.h"),
    ("libtirpc-dev", "tirpc/rpc/rpc.h"),
    ("libibverbs-dev", "infiniband/verbs.h"),
    ("librdmacm-dev", "rdma/rdma_cma.h"),
    ("libsqlite3-dev", "sqlite3.h"),
];

/// Resolves a probe to what `host::install_packages` checks: a program name
/// as is, a header to its path in /usr/include or the multiarch directory.
fn probe(what: &str, multiarch: &str) -> String {
    if !what.ends_with(".h") {
        return what.to_string();
    }
    let plain = format!("/usr/include/{what}");
    let arch = format!("/usr/include/{multiarch}/{what}");
    if !Path::new(&plain).exists() && Path::new(&arch).exists() {
        arch
    } else {
        plain
    }
}

pub fn ensure() -> Result<()> {
    let multiarch = cmd!("gcc", "-print-multiarch")
        .stderr_null()
        .read()
        .unwrap_or_default();
    let probes = || -> Vec<(&str, String)> {
        BUILD_DEPS
            .iter()
            .map(|(p, w)| (*p, probe(w, multiarch.trim())))
            .collect()
    };
    let before = probes();
    let pairs: Vec<(&str, &str)> = before.iter().map(|(p, w)| (*p, w.as_str())).collect();
    crate::host::install_packages(&pairs)?;
    // Probed again: an installed header may be in the multiarch directory.
    let after = probes();
    let pairs: Vec<(&str, &str)> = after.iter().map(|(p, w)| (*p, w.as_str())).collect();
    let missing = crate::host::missing(&pairs);
    if !missing.is_empty() {
        bail!(
            "build dependencies missing: {m}; run as root (they are then installed) or \
             `apt-get install {m}`",
            m = missing.join(" ")
        );
    }
    Ok(())
}
