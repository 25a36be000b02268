//! Which volumes the local glusterd has, read from glusterd itself
//! (`gluster volume info --xml`, under a deadline), for `--all` and
//! `serve`: only started volumes have bricks for glfsheal to ask, and only
//! those with replicas (afr) or redundancy (ec) have anything to heal:
//! glfsheal refuses a pure Distribute volume ("is not of type
//! replicate/disperse") every time it is asked.

use crate::deadline;
use crate::find::Build;
use anyhow::{anyhow, Result};
use quick_xml::events::Event;
use quick_xml::Reader;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub name: String,
    /// glusterd's `statusStr`: Created, Started, Stopped.
    pub status: String,
    /// glusterd's `typeStr` (vol_type_str[]: Distribute, Replicate,
    /// Disperse, Distributed-Replicate, ...; 6.0 and later append
    /// " [NOT SUPPORTED from v6.0]" to the stripe and tier types).
    pub type_str: String,
    /// glusterd's `<type>`, the index into vol_type_str[].
    pub type_code: Option<i64>,
}

/// A started volume heal info leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub volume: String,
    pub reason: String,
}

/// The started volumes: those glfsheal can answer for, and the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listed {
    pub healable: Vec<String>,
    pub skipped: Vec<Skipped>,
}

/// The started volumes with something to heal, of the glusterd `build`'s
/// CLI talks to, by name.
pub fn started(build: &Build, limit: Duration) -> Result<Vec<String>> {
    Ok(listed(build, limit)?.healable)
}

/// The started volumes of the glusterd `build`'s CLI talks to, those with
/// nothing glfsheal can heal set apart with the reason.
pub fn listed(build: &Build, limit: Duration) -> Result<Listed> {
    let xml = deadline::output(
        &build.gluster,
        &["--mode=script", "volume", "info", "--xml"],
        limit,
    )?;
    let mut out = Listed::default();
    for v in parse(&xml)?.into_iter().filter(|v| v.status == "Started") {
        match unhealable(&v) {
            Some(reason) => out.skipped.push(Skipped {
                volume: v.name,
                reason,
            }),
            None => out.healable.push(v.name),
        }
    }
    Ok(out)
}

/// Why glfsheal cannot answer for `v`, judged by its type: it needs afr or
/// ec in the graph (glfsh_validate_volume), which Distribute and the
/// stripe types without replicas lack. A type not known here is asked.
fn unhealable(v: &Volume) -> Option<String> {
    // vol_type_str[] in 3.x and 10.x: 0 Distribute, 1 Stripe, 6 Distributed-Stripe.
    let by_word = match v.type_str.split_whitespace().next() {
        Some(word) => ["Distribute", "Stripe", "Distributed-Stripe"].contains(&word),
        None => matches!(v.type_code, Some(0 | 1 | 6)),
    };
    by_word.then(|| {
        let kind = if v.type_str.is_empty() {
            format!("type {}", v.type_code.unwrap_or_default())
        } else {
            v.type_str.clone()
        };
        format!("a {kind} volume has no replicas or redundancy: glfsheal answers only for replicate and disperse volumes")
    })
}

/// Reads `volume info --xml`: each `<volume>`'s own `<name>` and
/// `<statusStr>` (its bricks and options have `<name>`s of their own).
pub fn parse(xml: &str) -> Result<Vec<Volume>> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut current: Option<Volume> = None;
    let (mut op_ret, mut op_errstr) = (0i64, String::new());
    loop {
        match reader
            .read_event()
            .map_err(|e| anyhow!("glusterd's volume list is malformed: {e}"))?
        {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if name == "volume" && path.last().map(String::as_str) == Some("volumes") {
                    current = Some(Volume {
                        name: String::new(),
                        status: String::new(),
                        type_str: String::new(),
                        type_code: None,
                    });
                }
                path.push(name);
            }
            Event::Text(t) => {
                let text = t.unescape().unwrap_or_default().trim().to_string();
                let at: Vec<&str> = path.iter().rev().take(3).map(String::as_str).collect();
                match (at.as_slice(), current.as_mut()) {
                    (["name", "volume", "volumes"], Some(v)) => v.name = text,
                    (["statusStr", "volume", "volumes"], Some(v)) => v.status = text,
                    (["typeStr", "volume", "volumes"], Some(v)) => v.type_str = text,
                    (["type", "volume", "volumes"], Some(v)) => v.type_code = text.parse().ok(),
                    (["opRet", "cliOutput"] | ["opRet", "cliOutput", ..], _) => {
                        op_ret = text.parse().unwrap_or(0)
                    }
                    (["opErrstr", "cliOutput"] | ["opErrstr", "cliOutput", ..], _) => {
                        op_errstr = text
                    }
                    _ => {}
                }
            }
            Event::End(_) => {
                let closed = path.pop();
                if closed.as_deref() == Some("volume")
                    && path.last().map(String::as_str) == Some("volumes")
                {
                    out.extend(current.take());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // An empty glusterd says so as a failure on some releases.
    if op_ret != 0 && !op_errstr.contains("No volumes present") {
        return Err(anyhow!("glusterd refused the volume list: {op_errstr}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_volumes_own_name_and_status() {
        let xml = r#"<?xml version="1.0"?><cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><volInfo><volumes><volume><name>ec</name><id>x</id><status>1</status><statusStr>Started</statusStr><bricks><brick>n:/b<name>n:/b</name></brick></bricks><options><option><name>a.b</name></option></options></volume><volume><name>old</name><statusStr>Stopped</statusStr></volume><count>2</count></volumes></volInfo></cliOutput>"#;
        let v = parse(xml).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(
            (v[0].name.as_str(), v[0].status.as_str()),
            ("ec", "Started")
        );
        assert_eq!(
            (v[1].name.as_str(), v[1].status.as_str()),
            ("old", "Stopped")
        );
    }

    #[test]
    fn types_without_afr_or_ec_are_unhealable() {
        let v = |type_str: &str, type_code| Volume {
            name: "v".into(),
            status: "Started".into(),
            type_str: type_str.into(),
            type_code,
        };
        for (t, code) in [
            ("Distribute", Some(0)),
            ("Stripe [NOT SUPPORTED from v6.0]", Some(1)),
            ("Distributed-Stripe", Some(6)),
            ("", Some(0)),
        ] {
            assert!(unhealable(&v(t, code)).is_some(), "{t} {code:?}");
        }
        for (t, code) in [
            ("Replicate", Some(2)),
            ("Disperse", Some(4)),
            ("Distributed-Replicate", Some(7)),
            ("Distributed-Disperse", Some(9)),
            ("Striped-Replicate", Some(3)),
            ("Tier", Some(5)),
            ("", None),
        ] {
            assert_eq!(unhealable(&v(t, code)), None, "{t} {code:?}");
        }
    }

    #[test]
    fn a_refusal_is_an_error_and_no_volumes_is_none() {
        let xml = "<cliOutput><opRet>-1</opRet><opErrstr>No volumes present</opErrstr></cliOutput>";
        assert!(parse(xml).unwrap().is_empty());
        let xml = "<cliOutput><opRet>-1</opRet><opErrstr>locked</opErrstr></cliOutput>";
        assert!(parse(xml).unwrap_err().to_string().contains("locked"));
    }
}
