//! `cargo xtask bench heal-info`: heal-info parsing a large glfsheal output,
//! XML and plain, beside Python's streaming parsers (and xmllint --stream
//! where installed), with wall time and peak memory, in the same run.

use super::timing::{median, timed_rss};
use anyhow::Result;
use duct::cmd;
use std::path::Path;

/// Writes glfsheal-like output with `bricks` x `per_brick` entries.
fn write_heal_output(path: &Path, xml: bool, bricks: usize, per_brick: usize) -> Result<()> {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    if xml {
        writeln!(w, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cliOutput>\n  <healInfo>\n    <bricks>")?;
    }
    for b in 0..bricks {
        if xml {
            writeln!(w, "      <brick hostUuid=\"3fc345d8-5ddd-43fe-9106-2265b001d9a0\">\n        <name>node{b}:/bricks/b{b}</name>")?;
        } else {
            writeln!(w, "Brick node{b}:/bricks/b{b}")?;
        }
        for i in 0..per_brick {
            let gfid = format!("{:08x}-0000-4000-8000-{:012x}", b, i);
            if xml {
                writeln!(
                    w,
                    "        <file gfid=\"{gfid}\">/dir-{}/file-{i}</file>",
                    i % 1000
                )?;
            } else {
                writeln!(w, "/dir-{}/file-{i}", i % 1000)?;
            }
        }
        if xml {
            writeln!(w, "        <status>Connected</status>\n        <numberOfEntries>{per_brick}</numberOfEntries>\n      </brick>")?;
        } else {
            writeln!(w, "Status: Connected\nNumber of entries: {per_brick}\n")?;
        }
    }
    if xml {
        writeln!(w, "    </bricks>\n  </healInfo>\n  <opRet>0</opRet>\n  <opErrno>0</opErrno>\n  <opErrstr/>\n</cliOutput>")?;
    }
    Ok(())
}

const PY_XML: &str = "import sys, xml.etree.ElementTree as ET\nn=0\nfor ev, el in ET.iterparse(sys.argv[1]):\n    if el.tag == 'file': n += 1\n    if el.tag in ('file', 'brick'): el.clear()\nprint(n)\n";
const PY_TEXT: &str = "import sys\nn=0\nfor l in open(sys.argv[1]):\n    if l.startswith('/') or l.startswith('<gfid:'): n += 1\nprint(n)\n";

/// Parsing a 1M-entry glfsheal output, XML and plain, beside Python's
/// streaming parsers (and xmllint --stream where installed) in the same run.
pub fn run(entries: usize, rounds: usize) -> Result<()> {
    let root = crate::paths::root();
    cmd!("cargo", "build", "--quiet", "--release", "-p", "heal-info")
        .dir(&root)
        .run()?;
    let bin = crate::paths::built("release", "heal-info")?;
    let dir = tempfile::tempdir()?;
    let bricks = 10;
    println!(
        "{:<8} {:>10} {:<34} {:>9} {:>10} {:>7}",
        "format", "size MiB", "parser", "seconds", "max RSS MiB", "ratio"
    );
    for xml in [true, false] {
        let f = dir.path().join(if xml { "out.xml" } else { "out.txt" });
        write_heal_output(&f, xml, bricks, entries / bricks)?;
        let size = std::fs::metadata(&f)?.len() as f64 / (1 << 20) as f64;
        let fs = f.to_string_lossy().into_owned();
        let ours = [
            bin.to_str().unwrap(),
            "bench",
            "--from",
            &fs,
            "--format",
            "table",
            "--summary",
        ];
        let py = ["python3", "-c", if xml { PY_XML } else { PY_TEXT }, &fs];
        let lint = ["xmllint", "--stream", "--noout", &fs];
        let mut rows: Vec<(&str, &[&str])> = vec![
            ("heal-info (quick-xml / lines)", &ours),
            ("python3 iterparse / line loop", &py),
        ];
        if xml && crate::paths::which("xmllint").is_some() {
            rows.push(("xmllint --stream", &lint));
        }
        let mut results = Vec::new();
        for (name, argv) in &rows {
            let mut secs = Vec::new();
            let mut rss: f64 = 0.0;
            for _ in 0..rounds {
                let (s, r) = timed_rss(argv)?;
                secs.push(s);
                rss = rss.max(r);
            }
            results.push((*name, median(secs), rss));
        }
        let base = results[0].1;
        for (name, s, rss) in results {
            println!(
                "{:<8} {size:>10.1} {name:<34} {s:>9.3} {rss:>10.1} {:>7.2}",
                if xml { "xml" } else { "text" },
                s / base
            );
        }
    }
    println!("({entries} entries over {bricks} bricks; median of {rounds} runs; ratio against heal-info; goal: under 0.5 s, memory flat)");
    Ok(())
}
