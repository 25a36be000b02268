//! Running glfsheal under a deadline (`deadline::stream`). Its output is
//! parsed as it streams in on another thread; if the deadline passes
//! first, the live process is diagnosed (`diagnose`) before it is killed.

use crate::deadline::{self, Ending};
use crate::diagnose;
use crate::find::{self, Build};
use crate::model::{self, exit, Mode, Report, SummarySource};
use crate::parse::{self, Parsed};
use crate::version::Version;
use std::io::BufReader;
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Options {
    pub volume: String,
    pub timeout: Duration,
    pub keep_entries: bool,
    pub mode: Mode,
    /// Run glfsheal with `--nolog` where it takes it: for `serve`, whose
    /// refreshes would grow glfsheal-VOL.log without end. A one-off run
    /// keeps its log, which the diagnosis reads within the one deadline.
    pub nolog: bool,
}

/// glfsheal's words after the volume for `mode`, and where a summary then
/// comes from. 3.12 has no `info-summary`, and its XML drops each entry's
/// status, so its summary is counted from the plain entry list.
fn glfsheal_args(
    mode: Mode,
    version: Option<&str>,
    xml_arg: &'static str,
    nolog: bool,
) -> (Vec<&'static str>, Option<SummarySource>) {
    let (args, source) = match mode {
        Mode::Info => (vec![xml_arg], None),
        Mode::SplitBrain => (vec!["split-brain-info", xml_arg], None),
        Mode::Summary => match version.and_then(Version::parse) {
            Some(v) if !v.glfsheal_has_summary() => {
                (vec![], Some(SummarySource::ComputedFromEntries))
            }
            _ => (vec!["info-summary", xml_arg], Some(SummarySource::Glfsheal)),
        },
    };
    (if nolog { with_nolog(args) } else { args }, source)
}

/// glfsheal's switch to log nothing. Without it every run appends to
/// glfsheal-VOL.log, which a refresh every minute grows without end
/// (gluster-prometheus #183).
const NOLOG: &str = "--nolog";

/// `args` with `--nolog` where glfsheal takes it, and without where it
/// does not. `--nolog` came in the same change as `--xml` (e7dd46ae54: 6.0,
/// 4.1.7, 5.2), so a build that takes one takes the other; a build that
/// wants the word `xml` would print its usage for `--nolog`.
fn with_nolog(args: Vec<&'static str>) -> Vec<&'static str> {
    let mut args: Vec<&'static str> = args.into_iter().filter(|a| *a != NOLOG).collect();
    if args.contains(&"--xml") {
        args.push(NOLOG);
    }
    args
}

/// In split-brain-info mode every entry glfsheal lists is in split-brain,
/// whether it counted them as `numberOfEntries` (XML) or as "Number of
/// entries in split-brain" (text): the count is the brick's split-brain count.
fn split_brain_counts(report: &mut Report) {
    for b in &mut report.bricks {
        if b.split_brain.is_none() {
            b.split_brain = b.entries;
        }
        if b.entries.is_none() {
            b.entries = b.split_brain;
        }
    }
    report.totals = model::totals(&report.bricks);
}

/// A summary counted from plain entries: glfsheal's per-brick number is
/// every entry listed, split-brain and possibly-healing ones included.
fn compute_summary(report: &mut Report) {
    for b in &mut report.bricks {
        if let Some(total) = b.entries {
            b.split_brain = Some(b.marked_split_brain);
            b.possibly_healing = Some(b.marked_healing);
            b.heal_pending = Some(total.saturating_sub(b.marked_split_brain + b.marked_healing));
        }
    }
    report.totals = model::totals(&report.bricks);
    report.exit = model::exit_for(&report.bricks);
    report.ok = report.exit == exit::CLEAN;
}

pub fn heal_info(build: &Build, opts: &Options) -> Report {
    let started = Instant::now();
    let version = find::version(build);
    let arg = find::xml_arg(version.as_deref());
    let (mut args, mut source) = glfsheal_args(opts.mode, version.as_deref(), arg, opts.nolog);
    let mut report = attempt(build, opts, &args, started, !args.contains(&NOLOG));
    // A build that did not take this form of the XML switch (an unknown
    // version, or a distribution's backport of the other form; glfsheal
    // then prints its usage): try the other form once. A summary glfsheal
    // does not know is counted from its plain entries instead.
    let usage = |r: &Report| {
        r.error
            .as_deref()
            .is_some_and(|e| e.trim_start().starts_with("Usage:"))
    };
    let retry = |r: &Report| {
        (version.is_none() || usage(r)) && r.exit == exit::FAILED && r.diagnosis.is_none()
    };
    if retry(&report) && source == Some(SummarySource::Glfsheal) {
        source = Some(SummarySource::ComputedFromEntries);
        args = vec![];
        report = attempt(build, opts, &args, started, true);
    } else if retry(&report) && !args.is_empty() {
        let other = if arg == "--xml" { "xml" } else { "--xml" };
        let swapped: Vec<&str> = args
            .iter()
            .map(|a| if *a == arg { other } else { a })
            .collect();
        let swapped = if opts.nolog {
            with_nolog(swapped)
        } else {
            swapped
        };
        report = attempt(build, opts, &swapped, started, !swapped.contains(&NOLOG));
        args = swapped;
    }
    // A run without its log leaves the diagnosis no Going UP lines to
    // read: past the deadline, glfsheal runs once more with its log (and
    // the same deadline), and that run is diagnosed if it hangs too.
    if report.exit == exit::DEADLINE && args.contains(&NOLOG) {
        let logged: Vec<&str> = args.iter().copied().filter(|a| *a != NOLOG).collect();
        report = attempt(build, opts, &logged, Instant::now(), true);
        report.duration_seconds = started.elapsed().as_secs_f64();
        if report.exit == exit::DEADLINE {
            report.error = Some(format!(
                "glfsheal did not finish within {:.0} s, twice: without its log (--nolog), then with its log for the diagnosis",
                opts.timeout.as_secs_f64()
            ));
        }
    }
    if source == Some(SummarySource::ComputedFromEntries) && report.error.is_none() {
        compute_summary(&mut report);
    }
    if opts.mode == Mode::SplitBrain {
        split_brain_counts(&mut report);
    }
    report.summary_source = source;
    report.version = version;
    report
}

/// A report from saved glfsheal output, parsed as a stream like live output.
pub fn from_file(volume: &str, file: &std::path::Path, keep_entries: bool, mode: Mode) -> Report {
    let started = Instant::now();
    let parsed = std::fs::File::open(file)
        .map_err(anyhow::Error::from)
        .and_then(|f| parse::parse(BufReader::with_capacity(1 << 16, f), keep_entries));
    let mut report = empty_report(volume, &file.display().to_string());
    report.mode = mode;
    settle(&mut report, parsed, None);
    if mode == Mode::SplitBrain && report.error.is_none() {
        split_brain_counts(&mut report);
    }
    // Saved output of a summary: glfsheal's own has the counts; plain
    // entries (3.12) are counted here.
    if mode == Mode::Summary && report.error.is_none() {
        if report.bricks.iter().any(|b| b.possibly_healing.is_some()) {
            report.summary_source = Some(SummarySource::Glfsheal);
        } else {
            compute_summary(&mut report);
            report.summary_source = Some(SummarySource::ComputedFromEntries);
        }
    }
    report.duration_seconds = started.elapsed().as_secs_f64();
    report
}

fn empty_report(volume: &str, source: &str) -> Report {
    Report {
        volume: volume.to_string(),
        mode: Mode::Info,
        summary_source: None,
        glfsheal: source.to_string(),
        version: None,
        duration_seconds: 0.0,
        exit: exit::FAILED,
        ok: false,
        bricks: vec![],
        totals: model::totals(&[]),
        error: None,
        diagnosis: None,
    }
}

/// Fills `report` from a finished parse; `signal` is what killed glfsheal, if anything.
fn settle(report: &mut Report, parsed: anyhow::Result<Parsed>, signal: Option<i32>) {
    match parsed {
        Ok(p) if p.op_error.is_none() && !p.bricks.is_empty() => {
            report.exit = model::exit_for(&p.bricks);
            report.totals = model::totals(&p.bricks);
            report.bricks = p.bricks;
            report.ok = report.exit == exit::CLEAN;
        }
        Ok(p) => {
            report.error = Some(
                p.op_error
                    .unwrap_or_else(|| "glfsheal reported no bricks".into()),
            )
        }
        Err(e) => {
            let how = signal
                .map(|s| format!(" (glfsheal was killed by signal {s})"))
                .unwrap_or_default();
            report.error = Some(format!("{e:#}{how}"));
        }
    }
}

/// One glfsheal run, its deadline counted from `started`. Past it, the
/// live process is diagnosed first when `diagnose` (a run without its log
/// is rerun with it instead, so it is only killed).
fn attempt(
    build: &Build,
    opts: &Options,
    args: &[&str],
    started: Instant,
    diagnose: bool,
) -> Report {
    let mut report = empty_report(&opts.volume, &build.glfsheal.display().to_string());
    report.mode = opts.mode;
    let argv: Vec<&str> = std::iter::once(opts.volume.as_str())
        .chain(args.iter().copied())
        .collect();
    let log_offset =
        std::fs::metadata(diagnose::log_path(build, &opts.volume)).map_or(0, |m| m.len());
    let keep = opts.keep_entries;
    let remaining = opts.timeout.saturating_sub(started.elapsed());
    let ending = deadline::stream(
        duct::cmd(&build.glfsheal, argv).stderr_null(),
        remaining,
        move |r| parse::parse(BufReader::new(r), keep),
        |pid| {
            pid.filter(|_| diagnose)
                .map(|pid| diagnose::diagnose(pid, build, &opts.volume, log_offset))
        },
    );
    report.duration_seconds = started.elapsed().as_secs_f64();
    match ending {
        Err(e) => {
            report.error = Some(format!("cannot run {}: {e}", build.glfsheal.display()));
        }
        Ok(Ending::InTime { value, output }) => {
            let signal = output.and_then(|o| {
                use std::os::unix::process::ExitStatusExt;
                o.status.signal()
            });
            settle(&mut report, value, signal);
        }
        Ok(Ending::Late(diagnosis)) => {
            report.exit = exit::DEADLINE;
            report.error = Some(format!(
                "glfsheal did not finish within {:.0} s",
                opts.timeout.as_secs_f64()
            ));
            report.diagnosis = diagnosis;
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nolog_goes_with_the_dashed_xml_switch() {
        let args = |mode, version: Option<&str>| {
            glfsheal_args(mode, version, find::xml_arg(version), true).0
        };
        for (version, want) in [
            (Some("3.12.15"), &["xml"][..]),
            (Some("4.1.6"), &["xml"]),
            (Some("4.1.7"), &["--xml", "--nolog"]),
            (Some("5.1"), &["xml"]),
            (Some("5.2"), &["--xml", "--nolog"]),
            (Some("6.0"), &["--xml", "--nolog"]),
            (Some("10.3"), &["--xml", "--nolog"]),
            // Unknown: the newer form first; a usage answer retries with
            // `xml` and no --nolog.
            (None, &["--xml", "--nolog"]),
        ] {
            assert_eq!(args(Mode::Info, version), want, "{version:?}");
        }
        assert_eq!(
            args(Mode::SplitBrain, Some("10.3")),
            ["split-brain-info", "--xml", "--nolog"]
        );
        assert_eq!(
            args(Mode::SplitBrain, Some("3.12.15")),
            ["split-brain-info", "xml"]
        );
        assert_eq!(args(Mode::Summary, Some("4.0.2")), ["info-summary", "xml"]);
        assert_eq!(
            args(Mode::Summary, Some("10.3")),
            ["info-summary", "--xml", "--nolog"]
        );
        // 3.12's computed summary: plain text, no switches at all.
        assert!(args(Mode::Summary, Some("3.12.15")).is_empty());
    }
}
