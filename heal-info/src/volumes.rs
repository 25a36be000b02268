//! Which volumes the local glusterd has, read from glusterd itself
//! (`gluster volume info --xml`, under a deadline), for `--all` and
//! `serve`: only started volumes have bricks for glfsheal to ask.

use crate::deadline;
use crate::find::Build;
use anyhow::{anyhow, Result};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub name: String,
    /// glusterd's `statusStr`: Created, Started, Stopped.
    pub status: String,
}

/// The started volumes of the glusterd `build`'s CLI talks to, by name.
pub fn started(build: &Build, limit: Duration) -> Result<Vec<String>> {
    let xml = deadline::output(
        &build.gluster,
        &["--mode=script", "volume", "info", "--xml"],
        limit,
    )?;
    Ok(parse(&xml)?
        .into_iter()
        .filter(|v| v.status == "Started")
        .map(|v| v.name)
        .collect())
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
    fn a_refusal_is_an_error_and_no_volumes_is_none() {
        let xml = "<cliOutput><opRet>-1</opRet><opErrstr>No volumes present</opErrstr></cliOutput>";
        assert!(parse(xml).unwrap().is_empty());
        let xml = "<cliOutput><opRet>-1</opRet><opErrstr>locked</opErrstr></cliOutput>";
        assert!(parse(xml).unwrap_err().to_string().contains("locked"));
    }
}
