//! The result of a build: what was installed where, with which compat
//! items, and how long each step took. The same document is the stamp in
//! PREFIX/share/gluster-legacy-kit/build.json, by which a later call sees
//! that the prefix already holds this commit; its type, `Report`, is the
//! verify crate's, which reads the stamp back.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

pub use verify::stamp::{Report, Seconds};

/// Where the stamp of a build at `prefix` is (one path, `verify::stamp::STAMP`).
pub fn stamp_path(prefix: &Path) -> PathBuf {
    verify::stamp::path(prefix)
}

/// The stamped report when PREFIX holds a complete install of `commit`,
/// configured for the same prefix (`run_at`, or PREFIX itself).
pub fn reused(prefix: &Path, run_at: Option<&Path>, rev: &str, commit: &str) -> Option<Report> {
    let old = verify::stamp::load(prefix)?;
    if old.commit != commit || !old.glfsheal.is_file() || old.run_at.as_deref() != run_at {
        return None;
    }
    Some(Report {
        rev: rev.to_string(),
        reused: true,
        seconds: Seconds::default(),
        ..old
    })
}

/// Where a build came from: the repository, the revision asked for, and
/// the commit it resolved to.
pub struct Origin<'a> {
    pub repo: &'a Path,
    pub rev: &'a str,
    pub commit: &'a str,
}

/// Checks the install and writes the stamp.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    prefix: &Path,
    run_at: Option<&Path>,
    origin: Origin,
    events: bool,
    compat: Vec<String>,
    seconds: Seconds,
    tree: Option<&Path>,
    start: verify::stamp::Start,
) -> Result<Report> {
    let glfsheal = prefix.join("sbin/glfsheal");
    if !glfsheal.is_file() {
        bail!(
            "make install succeeded but left no {}: is this a GlusterFS 3.10+ tree?",
            glfsheal.display()
        );
    }
    let report = Report {
        rev: origin.rev.to_string(),
        commit: origin.commit.to_string(),
        repo: origin
            .repo
            .canonicalize()
            .unwrap_or_else(|_| origin.repo.to_path_buf()),
        prefix: prefix.to_path_buf(),
        run_at: run_at.map(Path::to_path_buf),
        version: installed_version(prefix, run_at)?,
        events,
        glfsheal,
        compat,
        reused: false,
        seconds,
        tree: tree.map(Path::to_path_buf),
        start,
        // Asked by the caller, which knows the series (`ab::record_stages`).
        stages: None,
    };
    verify::stamp::write(prefix, &report)?;
    Ok(report)
}

/// The version the installed glusterfsd reports (`glusterfs 3.12.15`),
/// run where it runs: at `run_at` with the prefix bound there, so it loads
/// its own libraries.
fn installed_version(prefix: &Path, run_at: Option<&Path>) -> Result<String> {
    let bin = run_at.unwrap_or(prefix).join("sbin/glusterfsd");
    let mut c = match run_at {
        Some(r) => super::staged::command_at(prefix, r, &bin)?,
        None => std::process::Command::new(&bin),
    };
    let out = c
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .with_context(|| format!("running {} --version", bin.display()))?;
    let out = String::from_utf8_lossy(&out.stdout);
    parse_version(&out)
        .with_context(|| format!("{} --version printed no version: {out:?}", bin.display()))
}

pub fn parse_version(out: &str) -> Option<String> {
    let first = out.lines().next()?;
    let v = first.strip_prefix("glusterfs ")?.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// The human summary printed on stdout without --json.
pub fn text(r: &Report) -> String {
    let mut s = format!(
        "glusterfs {} ({} {}) in {}{}\n  events: {}\n  glfsheal: {}\n",
        r.version,
        r.rev,
        &r.commit[..r.commit.len().min(10)],
        r.prefix.display(),
        if r.reused { " (reused)" } else { "" },
        if r.events { "yes" } else { "no" },
        r.glfsheal.display()
    );
    if let Some(at) = &r.run_at {
        s.push_str(&format!(
            "  runs at: {} (built for that prefix: bind {} there to run it, as the kit's clusters do)\n",
            at.display(),
            r.prefix.display()
        ));
    }
    if let Some(st) = &r.stages {
        s.push_str(&format!("  stages: {}\n", st.stages));
    }
    for c in &r.compat {
        s.push_str(&format!("  compat: {c}\n"));
    }
    if !r.reused {
        match &r.start.from {
            Some(b) => s.push_str(&format!(
                "  start: the tree of {} in {}: {}\n",
                b.label(),
                b.prefix.display(),
                r.start.why
            )),
            None => s.push_str(&format!("  start: cold ({})\n", r.start.why)),
        }
        let t = &r.seconds;
        s.push_str(&format!(
            "  seconds: export {:.0}, autogen {:.0}, configure {:.0}, make {:.0}, install {:.0}, total {:.0}\n",
            t.export, t.autogen, t.configure, t.make, t.install, t.total
        ));
    }
    s
}
