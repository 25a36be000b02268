//! Which node exports the heal counts. With `serve` on every node, every
//! series would appear once per node and every volume would be crawled by
//! one glfsheal per node each interval; sum() panels (gluster-mixins') then
//! count N times. gluster-prometheus exports volume-wide heal counts from
//! one node only: the connected peer with the highest UUID (its
//! pkg/glusterutils/exporterd.go, IsLeader, compared as strings). `serve`
//! does the same unless `--all-nodes`. The peers and this node's own UUID
//! come from one `gluster pool list --xml`, where glusterd lists itself as
//! `localhost`: no glusterd.info path to guess for a `--prefix` build.

use crate::deadline;
use crate::find::Build;
use anyhow::{anyhow, Result};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub uuid: String,
    /// `localhost` for the glusterd that answered.
    pub hostname: String,
    pub connected: bool,
}

/// Reads `gluster pool list --xml` (or `peer status --xml`, which leaves
/// the local node out): each `<peer>`'s own `<uuid>`, `<hostname>` and
/// `<connected>` (its `<hostnames>` list has `<hostname>`s of its own).
pub fn parse(xml: &str) -> Result<Vec<Peer>> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut current: Option<Peer> = None;
    let (mut op_ret, mut op_errstr, mut seen_status) = (0i64, String::new(), false);
    loop {
        match reader
            .read_event()
            .map_err(|e| anyhow!("glusterd's peer list is malformed: {e}"))?
        {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if name == "peerStatus" {
                    seen_status = true;
                }
                if name == "peer" && path.last().map(String::as_str) == Some("peerStatus") {
                    current = Some(Peer {
                        uuid: String::new(),
                        hostname: String::new(),
                        connected: false,
                    });
                }
                path.push(name);
            }
            Event::Empty(e) if e.name().as_ref() == b"peerStatus" => seen_status = true,
            Event::Text(t) => {
                let text = t.unescape().unwrap_or_default().trim().to_string();
                let at: Vec<&str> = path.iter().rev().take(3).map(String::as_str).collect();
                match (at.as_slice(), current.as_mut()) {
                    (["uuid", "peer", "peerStatus"], Some(p)) => p.uuid = text.to_ascii_lowercase(),
                    (["hostname", "peer", "peerStatus"], Some(p)) => p.hostname = text,
                    (["connected", "peer", "peerStatus"], Some(p)) => p.connected = text == "1",
                    (["opRet", "cliOutput", ..], _) => op_ret = text.parse().unwrap_or(0),
                    (["opErrstr", "cliOutput", ..], _) => op_errstr = text,
                    _ => {}
                }
            }
            Event::End(_) => {
                let closed = path.pop();
                if closed.as_deref() == Some("peer")
                    && path.last().map(String::as_str) == Some("peerStatus")
                {
                    out.extend(current.take());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if op_ret != 0 {
        return Err(anyhow!("glusterd refused the peer list: {op_errstr}"));
    }
    if !seen_status {
        return Err(anyhow!("glusterd's answer has no peer list"));
    }
    Ok(out)
}

/// The exporting node's UUID: the highest among connected peers.
pub fn leader(peers: &[Peer]) -> Option<&str> {
    peers
        .iter()
        .filter(|p| p.connected && !p.uuid.is_empty())
        .map(|p| p.uuid.as_str())
        .max()
}

/// Whether the glusterd whose `pool list` this is should export: its own
/// entry (`localhost`) is the leader.
pub fn is_exporting(peers: &[Peer]) -> Result<bool> {
    let me = peers
        .iter()
        .find(|p| p.hostname == "localhost")
        .ok_or_else(|| anyhow!("glusterd's pool list has no entry for itself (localhost)"))?;
    Ok(leader(peers) == Some(me.uuid.as_str()))
}

/// Asks the glusterd `build`'s CLI talks to, under `limit`.
pub fn exporting_node(build: &Build, limit: Duration) -> Result<bool> {
    let xml = deadline::output(
        &build.gluster,
        &["--mode=script", "pool", "list", "--xml"],
        limit,
    )?;
    is_exporting(&parse(&xml)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Debian's glusterd 10.3 alone, as `pool list --xml` printed it.
    const ALONE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <peerStatus>
    <peer>
      <uuid>a22e4bc6-887a-4e48-b607-43be87d0bf45</uuid>
      <hostname>localhost</hostname>
      <connected>1</connected>
    </peer>
  </peerStatus>
</cliOutput>
"#;

    /// Two Debian 10.3 glusterds peered over a veth pair
    /// (tests/tests/exporter_two_peers.rs printed it), on the lower one.
    const TWO: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <peerStatus>
    <peer>
      <uuid>64f82c72-65fa-46d9-a57d-b65af2576e35</uuid>
      <hostname>198.18.1.2</hostname>
      <hostnames>
        <hostname>198.18.1.2</hostname>
      </hostnames>
      <connected>1</connected>
      <state>3</state>
      <stateStr>Peer in Cluster</stateStr>
    </peer>
    <peer>
      <uuid>4a804598-979b-4f10-a195-0964af480bc0</uuid>
      <hostname>localhost</hostname>
      <connected>1</connected>
    </peer>
  </peerStatus>
</cliOutput>
"#;

    #[test]
    fn of_two_real_peers_the_lower_uuid_does_not_export() {
        let peers = parse(TWO).unwrap();
        assert_eq!(
            peers[0],
            Peer {
                uuid: "64f82c72-65fa-46d9-a57d-b65af2576e35".into(),
                hostname: "198.18.1.2".into(),
                connected: true
            }
        );
        assert!(!is_exporting(&peers).unwrap());
        // Disconnected, the other no longer counts.
        let peers = parse(&TWO.replacen("<connected>1", "<connected>0", 1)).unwrap();
        assert!(is_exporting(&peers).unwrap());
    }

    /// Three nodes as glusterd's cli_xml_output_peer_status writes them
    /// (a remote peer with its <hostnames> list, state and stateStr; the
    /// local one last, as `localhost`), `local` and the third one's
    /// connected flag filled in.
    fn three(local: &str, third_connected: u8) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <peerStatus>
    <peer>
      <uuid>5f0e6a4e-1b7c-4d8e-9a6b-3c2d1e0f9a8b</uuid>
      <hostname>gl-node2</hostname>
      <hostnames>
        <hostname>gl-node2</hostname>
        <hostname>198.18.1.2</hostname>
      </hostnames>
      <connected>1</connected>
      <state>3</state>
      <stateStr>Peer in Cluster</stateStr>
    </peer>
    <peer>
      <uuid>F1D2C3B4-0000-4000-8000-000000000001</uuid>
      <hostname>localhost-not-me</hostname>
      <hostnames>
        <hostname>localhost-not-me</hostname>
      </hostnames>
      <connected>{third_connected}</connected>
      <state>3</state>
      <stateStr>Peer in Cluster</stateStr>
    </peer>
    <peer>
      <uuid>{local}</uuid>
      <hostname>localhost</hostname>
      <connected>1</connected>
    </peer>
  </peerStatus>
</cliOutput>
"#
        )
    }

    #[test]
    fn a_lone_node_exports() {
        let peers = parse(ALONE).unwrap();
        assert_eq!(peers.len(), 1);
        assert!(is_exporting(&peers).unwrap());
    }

    #[test]
    fn only_the_connected_peer_with_the_highest_uuid_exports() {
        // The third peer's UUID is highest (compared lowercased, as
        // glusterd writes them): it exports while connected.
        let low = "0a0a0a0a-0000-4000-8000-000000000000";
        let peers = parse(&three(low, 1)).unwrap();
        assert_eq!(peers.len(), 3);
        // The <hostnames> list did not overwrite the peer's own name.
        assert_eq!(peers[0].hostname, "gl-node2");
        assert_eq!(leader(&peers), Some("f1d2c3b4-0000-4000-8000-000000000001"));
        assert!(!is_exporting(&peers).unwrap());
        // Disconnected, it no longer counts; the next highest is node2.
        let peers = parse(&three(low, 0)).unwrap();
        assert_eq!(leader(&peers), Some("5f0e6a4e-1b7c-4d8e-9a6b-3c2d1e0f9a8b"));
        assert!(!is_exporting(&peers).unwrap());
        // This node above node2 and the disconnected one: it exports.
        let high = "9a0a0a0a-0000-4000-8000-000000000000";
        assert!(is_exporting(&parse(&three(high, 0)).unwrap()).unwrap());
        assert!(!is_exporting(&parse(&three(high, 1)).unwrap()).unwrap());
    }

    #[test]
    fn refusals_and_answers_without_this_node_are_errors() {
        let refused = "<cliOutput><opRet>-1</opRet><opErrstr>Another transaction is in progress</opErrstr></cliOutput>";
        assert!(parse(refused)
            .unwrap_err()
            .to_string()
            .contains("transaction"));
        assert!(parse("<cliOutput><opRet>0</opRet></cliOutput>").is_err());
        // peer status leaves the local node out: no way to tell.
        let peer_status = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <peerStatus/>
</cliOutput>"#;
        let peers = parse(peer_status).unwrap();
        assert!(peers.is_empty());
        assert!(is_exporting(&peers).is_err());
    }
}
