//! sha256 in hex, the one way the kit names contents: the glibc build's
//! cache key, the packages' checksums, the manifest a stamp's stages were
//! checked against. A leaf.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The sha256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The sha256 of the file at `path`, in lower-case hex.
pub fn file_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(sha256_hex(&bytes))
}
