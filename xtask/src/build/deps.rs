//! The Debian packages a GlusterFS 3.x–7.x build needs. As root the missing
//! ones are installed (through the suite's own installer); otherwise the
//! build stops before configure with the apt-get line to run.

use anyhow::{bail, Result};
use duct::cmd;
use std::path::{Path, PathBuf};

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
/// as is, a header to the first of `root`/usr/include/HEADER,
/// `root`/usr/include/MULTIARCH/HEADER and `root`/usr/include/*-linux-gnu/HEADER
/// that exists (the plain path when none does). Every multiarch directory is
/// looked in, so a header is found even when the multiarch name could not be
/// asked (gcc not installed yet).
fn probe(root: &Path, what: &str, multiarch: &str) -> String {
    if !what.ends_with(".h") {
        return what.to_string();
    }
    let include = root.join("usr/include");
    let plain = include.join(what);
    let mut candidates = vec![plain.clone()];
    if !multiarch.is_empty() {
        candidates.push(include.join(multiarch).join(what));
    }
    let mut arch_dirs: Vec<PathBuf> = std::fs::read_dir(&include)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with("-linux-gnu"))
        .map(|e| e.path())
        .collect();
    arch_dirs.sort();
    candidates.extend(arch_dirs.into_iter().map(|d| d.join(what)));
    candidates
        .into_iter()
        .find(|c| c.exists())
        .unwrap_or(plain)
        .to_string_lossy()
        .into_owned()
}

/// The multiarch triplet (x86_64-linux-gnu), asked each time it is needed:
/// gcc first, then dpkg-architecture; empty when neither answers.
fn multiarch() -> String {
    let ask = |program: &str, args: &[&str]| {
        cmd(program, args)
            .stderr_null()
            .unchecked()
            .read()
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let gcc = ask("gcc", &["-print-multiarch"]);
    if !gcc.is_empty() {
        return gcc;
    }
    ask("dpkg-architecture", &["-qDEB_HOST_MULTIARCH"])
}

/// (package, resolved probe) for every build dependency, under `root`.
fn probes(root: &Path, multiarch: &str) -> Vec<(&'static str, String)> {
    BUILD_DEPS
        .iter()
        .map(|(p, w)| (*p, probe(root, w, multiarch)))
        .collect()
}

pub fn ensure() -> Result<()> {
    let root = Path::new("/");
    let before = probes(root, &multiarch());
    let pairs: Vec<(&str, &str)> = before.iter().map(|(p, w)| (*p, w.as_str())).collect();
    crate::host::install_packages(&pairs)?;
    // Checked only after the install step, with the multiarch directory asked
    // again: gcc (and the headers) may have just been installed.
    let after = probes(root, &multiarch());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str) -> PathBuf {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "/* fake */\n").unwrap();
        path
    }

    #[test]
    fn finds_a_multiarch_header_without_knowing_the_multiarch_name() {
        // A fresh machine right after apt installed liburcu-dev: gcc could
        // not be asked, so the multiarch name is empty.
        let root = tempfile::tempdir().unwrap();
        let urcu = write(root.path(), "usr/include/x86_64-linux-gnu/urcu.h");
        assert_eq!(probe(root.path(), "urcu.h", ""), urcu.to_string_lossy());
        let pairs = [("liburcu-dev", probe(root.path(), "urcu.h", ""))];
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(p, w)| (*p, w.as_str())).collect();
        assert!(crate::host::missing(&pairs).is_empty());
    }

    #[test]
    fn prefers_the_plain_include_dir_then_the_named_multiarch_one() {
        let root = tempfile::tempdir().unwrap();
        let arm = write(root.path(), "usr/include/aarch64-linux-gnu/zlib.h");
        let x86 = write(root.path(), "usr/include/x86_64-linux-gnu/zlib.h");
        assert_eq!(
            probe(root.path(), "zlib.h", "x86_64-linux-gnu"),
            x86.to_string_lossy()
        );
        assert_eq!(probe(root.path(), "zlib.h", ""), arm.to_string_lossy());
        let plain = write(root.path(), "usr/include/zlib.h");
        assert_eq!(
            probe(root.path(), "zlib.h", "x86_64-linux-gnu"),
            plain.to_string_lossy()
        );
    }

    #[test]
    fn a_header_nowhere_stays_missing_and_programs_pass_through() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("usr/include/x86_64-linux-gnu")).unwrap();
        let probed = probe(root.path(), "urcu.h", "");
        assert_eq!(
            probed,
            root.path().join("usr/include/urcu.h").to_string_lossy()
        );
        assert_eq!(
            crate::host::missing(&[("liburcu-dev", probed.as_str())]),
            ["liburcu-dev"]
        );
        assert_eq!(probe(root.path(), "gcc", "x86_64-linux-gnu"), "gcc");
    }
}
