//! Reading glfsheal's output as a stream, XML or plain text, told apart by
//! the first non-blank byte. Memory stays flat however many entries there
//! are: only counts are kept, and entry paths only when asked for.

use crate::model::Brick;
use anyhow::{anyhow, bail, Context, Result};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::BufRead;

#[derive(Debug, Default)]
pub struct Parsed {
    pub bricks: Vec<Brick>,
    /// XML's opRet/opErrstr, when present and failing.
    pub op_error: Option<String>,
    pub format: &'static str,
}

/// Parses glfsheal output from `input`, keeping entry paths if `keep_entries`.
pub fn parse(mut input: impl BufRead, keep_entries: bool) -> Result<Parsed> {
    let first = loop {
        let buf = input.fill_buf().context("reading glfsheal's output")?;
        if buf.is_empty() {
            bail!("glfsheal printed nothing");
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => break buf[i],
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    };
    if first == b'<' {
        parse_xml(input, keep_entries)
    } else {
        parse_text(input, keep_entries)
    }
}

/// How glfsheal's plain output ends an entry's line by its status
/// (`glfsh_print_heal_status`); its XML leaves the status out.
const SPLIT_BRAIN_MARK: &str = " - Is in split-brain";
const HEALING_MARK: &str = " - Possibly undergoing heal";

/// How glfsheal begins a brick's status when its crawl stopped partway,
/// after counting some entries (glfsh_print_xml_heal_op_status and
/// glfsh_print_hr_heal_op_status, glfs-heal.c v3.12.15 lines 247 and 356).
const PARTIAL_MARK: &str = "Failed to process entries completely.";

/// Reads a brick's status. A partial crawl names its error in parentheses;
/// the XML writer also puts the count there ("...(ERROR)Number of entries:
/// 5", or "...(ERROR)totalNumberOfEntries5" in a summary) and writes no
/// count element, so the trailing digits are the count.
fn set_status(b: &mut Brick, status: &str) -> Result<()> {
    b.status = status.to_string();
    let Some(rest) = status.strip_prefix(PARTIAL_MARK) else {
        b.connected = status == "Connected";
        return Ok(());
    };
    // It listed entries before it failed: it reached the brick.
    b.connected = true;
    let rest = rest.trim_start();
    let (error, after) = match (rest.strip_prefix('('), rest.rfind(')')) {
        (Some(_), Some(end)) => (&rest[1..end], &rest[end + 1..]),
        _ => (rest, ""),
    };
    b.crawl_error = Some(error.trim().to_string());
    // The same words from XML and text: the count has its own field.
    b.status = format!("{PARTIAL_MARK} ({})", error.trim());
    let after = after.trim_end();
    let digits = after.len() - after.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits < after.len() {
        b.entries = number(&after[digits..])?;
    }
    Ok(())
}

fn number(s: &str) -> Result<Option<u64>> {
    let s = s.trim();
    if s == "-" || s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| anyhow!("{s:?} is not a number of entries"))
}

fn parse_xml(input: impl BufRead, keep_entries: bool) -> Result<Parsed> {
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut out = Parsed {
        format: "xml",
        ..Default::default()
    };
    let mut path: Vec<String> = Vec::new();
    let mut brick: Option<Brick> = None;
    let mut text = String::new();
    let (mut op_ret, mut op_errstr) = (None::<i64>, String::new());
    let mut saw_root = false;
    loop {
        let ev = reader.read_event_into(&mut buf).map_err(|e| {
            anyhow!(
                "glfsheal's XML is malformed or truncated at byte {}: {e}",
                reader.buffer_position()
            )
        })?;
        match ev {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if name == "cliOutput" {
                    saw_root = true;
                }
                if name == "brick" {
                    brick = Some(Brick::default());
                }
                path.push(name);
                text.clear();
            }
            Event::Empty(_) => {}
            Event::Text(t) => {
                let s = t
                    .unescape()
                    .map_err(|e| anyhow!("glfsheal's XML has a bad character reference: {e}"))?;
                text.push_str(&s);
            }
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if path.pop().as_deref() != Some(name.as_str()) {
                    bail!("glfsheal's XML is malformed: unexpected </{name}>");
                }
                let t = text.trim().to_string();
                match (name.as_str(), brick.as_mut()) {
                    ("name", Some(b)) => b.set_name(&t),
                    ("status", Some(b)) => set_status(b, &t)?,
                    ("numberOfEntries" | "totalNumberOfEntries", Some(b)) => {
                        b.entries = number(&t)?
                    }
                    ("numberOfEntriesInSplitBrain", Some(b)) => b.split_brain = number(&t)?,
                    ("numberOfEntriesInHealPending", Some(b)) => b.heal_pending = number(&t)?,
                    ("numberOfEntriesPossiblyHealing", Some(b)) => b.possibly_healing = number(&t)?,
                    ("file", Some(b)) if keep_entries => b.entry_paths.push(t),
                    ("brick", Some(_)) => out.bricks.extend(brick.take()),
                    ("opRet", None) => op_ret = t.parse().ok(),
                    ("opErrstr", None) => op_errstr = t,
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_root {
        bail!("glfsheal's XML has no <cliOutput>");
    }
    if !path.is_empty() {
        bail!(
            "glfsheal's XML is truncated: <{}> is never closed",
            path.join("><")
        );
    }
    if let Some(r) = op_ret.filter(|&r| r != 0) {
        out.op_error = Some(if op_errstr.is_empty() {
            format!("glfsheal returned opRet {r}")
        } else {
            op_errstr
        });
    }
    Ok(out)
}

fn parse_text(input: impl BufRead, keep_entries: bool) -> Result<Parsed> {
    let mut out = Parsed {
        format: "text",
        ..Default::default()
    };
    let mut brick: Option<Brick> = None;
    let mut errors = Vec::new();
    for line in input.lines() {
        let line = line.context("reading glfsheal's output")?;
        let l = line.trim_end();
        if let Some(name) = l.strip_prefix("Brick ") {
            out.bricks.extend(brick.take());
            let mut b = Brick::default();
            b.set_name(name.trim());
            brick = Some(b);
        } else if let Some(b) = brick.as_mut() {
            if let Some(s) = l.strip_prefix("Status: ") {
                set_status(b, s)?;
            } else if let Some(n) = l.strip_prefix("Number of entries in split-brain: ") {
                b.split_brain = number(n)?;
            } else if let Some(n) = l.strip_prefix("Number of entries in heal pending: ") {
                b.heal_pending = number(n)?;
            } else if let Some(n) = l.strip_prefix("Number of entries possibly healing: ") {
                b.possibly_healing = number(n)?;
            } else if let Some(n) = l
                .strip_prefix("Total Number of entries: ")
                .or(l.strip_prefix("Number of entries: "))
            {
                b.entries = number(n)?;
            } else if !l.is_empty() && !l.starts_with("Number of entries") {
                let path = if let Some(p) = l.strip_suffix(SPLIT_BRAIN_MARK) {
                    b.marked_split_brain += 1;
                    p
                } else if let Some(p) = l.strip_suffix(HEALING_MARK) {
                    b.marked_healing += 1;
                    p
                } else {
                    l
                };
                if keep_entries {
                    b.entry_paths.push(path.to_string());
                }
            }
        } else if !l.trim().is_empty() {
            errors.push(l.trim().to_string());
        }
    }
    out.bricks.extend(brick.take());
    if out.bricks.is_empty() {
        if errors.is_empty() {
            bail!("glfsheal's output names no brick");
        }
        out.op_error = Some(errors.join("; "));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput><healInfo><bricks>
<brick hostUuid="u"><name>node1:/b/1</name><file gfid="g">/a</file><file gfid="h">/b</file><status>Connected</status><numberOfEntries>2</numberOfEntries></brick>
<brick hostUuid="u"><name>node1:/b/2</name><status>Transport endpoint is not connected</status><numberOfEntries>-</numberOfEntries></brick>
</bricks></healInfo><opRet>0</opRet><opErrno>0</opErrno><opErrstr/></cliOutput>"#;

    #[test]
    fn reads_xml_bricks_entries_and_status() {
        let p = parse(XML.as_bytes(), true).unwrap();
        assert_eq!(p.format, "xml");
        assert_eq!(p.bricks.len(), 2);
        assert_eq!(
            (p.bricks[0].host.as_str(), p.bricks[0].path.as_str()),
            ("node1", "/b/1")
        );
        assert_eq!(p.bricks[0].entries, Some(2));
        assert_eq!(p.bricks[0].entry_paths, vec!["/a", "/b"]);
        assert!(!p.bricks[1].connected);
        assert_eq!(p.bricks[1].entries, None);
    }

    #[test]
    fn reads_plain_text_the_same() {
        let text = "Brick node1:/b/1\n/a\n<gfid:1234>\nStatus: Connected\nNumber of entries: 2\n\nBrick node1:/b/2\nStatus: Transport endpoint is not connected\nNumber of entries: -\n";
        let p = parse(text.as_bytes(), true).unwrap();
        assert_eq!(p.format, "text");
        assert_eq!(p.bricks[0].entry_paths, vec!["/a", "<gfid:1234>"]);
        assert_eq!(p.bricks[0].entries, Some(2));
        assert!(!p.bricks[1].connected);
    }

    #[test]
    fn counts_the_status_marks_of_plain_entries() {
        let text = "Brick n:/b/1\n/a - Is in split-brain\n\n/b - Possibly undergoing heal\n\n/c \nStatus: Connected\nNumber of entries: 3\n";
        let p = parse(text.as_bytes(), true).unwrap();
        let b = &p.bricks[0];
        assert_eq!((b.marked_split_brain, b.marked_healing), (1, 1));
        assert_eq!(b.entry_paths, vec!["/a", "/b", "/c"]);
    }

    #[test]
    fn reads_the_summary_counts_of_newer_builds() {
        let xml = "<cliOutput><healInfo><bricks><brick><name>n:/b</name><status>Connected</status><totalNumberOfEntries>5</totalNumberOfEntries><numberOfEntriesInHealPending>3</numberOfEntriesInHealPending><numberOfEntriesInSplitBrain>1</numberOfEntriesInSplitBrain><numberOfEntriesPossiblyHealing>1</numberOfEntriesPossiblyHealing></brick></bricks></healInfo><opRet>0</opRet></cliOutput>";
        let b = &parse(xml.as_bytes(), false).unwrap().bricks[0];
        assert_eq!(
            (b.entries, b.heal_pending, b.split_brain, b.possibly_healing),
            (Some(5), Some(3), Some(1), Some(1))
        );
    }

    /// A brick whose crawl failed after counting entries, as
    /// glfsh_print_xml_heal_op_status writes it (glfs-heal.c v3.12.15
    /// line 247: "Failed to process entries completely. (%s)%s %"PRIu64
    /// into `<status>`, fmt_str "Number of entries:", no `<numberOfEntries>`).
    const PARTIAL_XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <healInfo>
    <bricks>
      <brick hostUuid="3fc345d8-5ddd-43fe-9106-2265b001d9a0">
        <name>node1:/b/1</name>
        <file gfid="9f0d2f6a-6d3c-4b8e-9b1e-2f5a0c6e7d11">/a</file>
        <status>Failed to process entries completely. (Transport endpoint is not connected)Number of entries: 5</status>
      </brick>
    </bricks>
  </healInfo>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
</cliOutput>
"#;

    #[test]
    fn a_partial_crawl_keeps_its_count_and_is_no_disconnection() {
        let text = "Brick node1:/b/1\n/a\nStatus: Failed to process entries completely. (Transport endpoint is not connected)\nNumber of entries: 5\n\n";
        // The same brick in glfsh_print_hr_heal_op_status's words (line 356).
        for (form, out) in [("xml", PARTIAL_XML), ("text", text)] {
            let b = &parse(out.as_bytes(), false).unwrap().bricks[0];
            assert!(b.connected, "{form}");
            assert_eq!(b.entries, Some(5), "{form}");
            assert_eq!(
                b.crawl_error.as_deref(),
                Some("Transport endpoint is not connected"),
                "{form}"
            );
            assert_eq!(
                b.status,
                "Failed to process entries completely. (Transport endpoint is not connected)",
                "{form}"
            );
        }
        // Summary XML has no space before the number (glfs-heal.c v10.3,
        // glfsh_print_xml_heal_op_summary).
        let summary = PARTIAL_XML.replace("Number of entries: 5", "totalNumberOfEntries7");
        let b = &parse(summary.as_bytes(), false).unwrap().bricks[0];
        assert_eq!((b.connected, b.entries), (true, Some(7)));
        // A complete crawl has no crawl error.
        let b = &parse(XML.as_bytes(), false).unwrap().bricks[0];
        assert_eq!(b.crawl_error, None);
    }

    #[test]
    fn truncated_empty_and_garbage_output_are_errors() {
        let cut = &XML[..XML.len() / 2];
        assert!(parse(cut.as_bytes(), false)
            .unwrap_err()
            .to_string()
            .contains("truncated"));
        assert!(parse("".as_bytes(), false)
            .unwrap_err()
            .to_string()
            .contains("nothing"));
        assert!(parse("<cliOutput><a></b></cliOutput>".as_bytes(), false).is_err());
        assert!(parse("Brick x:/y\nNumber of entries: lots\n".as_bytes(), false).is_err());
        let p = parse("Volume nope does not exist\n".as_bytes(), false).unwrap();
        assert_eq!(p.op_error.as_deref(), Some("Volume nope does not exist"));
    }
}
