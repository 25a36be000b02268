//! The Debian archive this host's apt already uses, read from
//! /etc/apt/sources.list and sources.list.d (one-line `.list` files and
//! deb822 `.sources` files), so the chroots come from the same place the
//! host's packages do and no other host is named.

use anyhow::{Context, Result};
use std::path::Path;

/// One `deb` source: its URI and suites.
#[derive(Debug, PartialEq)]
struct Source {
    uri: String,
    suites: Vec<String>,
}

/// The archive's URI (e.g. `http://deb.debian.org/debian`), from the first
/// `deb` source that serves a release itself (a suite without `-security`
/// or `-updates`), under `etc` (normally /etc/apt).
pub fn debian_archive(etc: &Path) -> Result<String> {
    let mut sources = Vec::new();
    let list = etc.join("sources.list");
    if let Ok(text) = std::fs::read_to_string(&list) {
        sources.extend(one_line(&text));
    }
    let mut parts: Vec<_> = std::fs::read_dir(etc.join("sources.list.d"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    // apt reads them in name order, so the first match is apt's first too.
    parts.sort();
    for p in parts {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        match p.extension().and_then(|e| e.to_str()) {
            Some("list") => sources.extend(one_line(&text)),
            Some("sources") => sources.extend(deb822(&text)),
            _ => {}
        }
    }
    sources
        .into_iter()
        .find(|s| s.suites.iter().any(|x| !x.contains('-')))
        .map(|s| s.uri.trim_end_matches('/').to_string())
        .with_context(|| {
            format!(
                "no Debian archive in {}/sources.list or sources.list.d: the chroots are made \
                 from the archive apt uses here; add a `deb URI SUITE main` line",
                etc.display()
            )
        })
}

/// `deb [options] URI SUITE COMPONENT...` lines.
fn one_line(text: &str) -> Vec<Source> {
    text.lines()
        .filter_map(|l| {
            let l = l.split('#').next()?.trim();
            let rest = l.strip_prefix("deb ")?.trim_start();
            // `[arch=amd64 signed-by=...]` options come before the URI.
            let rest = match rest.strip_prefix('[') {
                Some(r) => r.split_once(']')?.1,
                None => rest,
            };
            let mut words = rest.split_whitespace();
            Some(Source {
                uri: words.next()?.to_string(),
                suites: vec![words.next()?.to_string()],
            })
        })
        .collect()
}

/// deb822 stanzas (`Types: deb`, `URIs:`, `Suites:`), skipping any with
/// `Enabled: no`.
fn deb822(text: &str) -> Vec<Source> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let field = |name: &str| -> Option<Vec<String>> {
            stanza.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.split_whitespace().map(String::from).collect())
            })
        };
        let is_deb = field("Types").is_some_and(|t| t.iter().any(|t| t == "deb"));
        let enabled = field("Enabled").is_none_or(|e| e.first().is_none_or(|v| v != "no"));
        if !is_deb || !enabled {
            continue;
        }
        if let (Some(uris), Some(suites)) = (field("URIs"), field("Suites")) {
            out.extend(uris.into_iter().map(|uri| Source {
                uri,
                suites: suites.clone(),
            }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn etc(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sources.list.d")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn reads_the_archive_from_a_deb822_file_and_skips_security() {
        let d = etc(&[(
            "sources.list.d/debian.sources",
            "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n\
             Components: main\n\nTypes: deb deb-src\n# a comment: here\nURIs: http://mirror.example/debian/\n\
             Suites: bookworm bookworm-updates\nComponents: main\n",
        )]);
        assert_eq!(
            debian_archive(d.path()).unwrap(),
            "http://mirror.example/debian"
        );
    }

    #[test]
    fn reads_one_line_sources_with_options_and_skips_disabled_stanzas() {
        let d = etc(&[
            (
                "sources.list",
                "# deb http://old.example/debian bullseye main\n",
            ),
            (
                "sources.list.d/a.sources",
                "Enabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: trixie\n",
            ),
            (
                "sources.list.d/b.list",
                "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian trixie main\n",
            ),
            (
                "sources.list.d/c.list.disabled",
                "deb http://never.example/debian trixie main\n",
            ),
        ]);
        assert_eq!(
            debian_archive(d.path()).unwrap(),
            "http://one.example/debian"
        );
    }

    #[test]
    fn says_what_to_add_when_there_is_no_archive() {
        let d = etc(&[(
            "sources.list",
            "deb http://security.example/debian-security bookworm-security main\n",
        )]);
        let e = debian_archive(d.path()).unwrap_err().to_string();
        assert!(e.contains("add a `deb URI SUITE main` line"), "{e}");
    }
}
