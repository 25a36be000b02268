//! The `heal-info` command line.

use anyhow::Result;
use clap::Parser;
use heal_info::cli::{Cli, Cmd, Format, InfoArgs, UsageError};
use heal_info::model::{exit, Mode};
use heal_info::{all, find, output, run, scan};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // --help and --version are no errors (clap prints them to stdout).
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { 0 });
        }
    };
    let result = match cli.cmd {
        Some(Cmd::Scan { bricks, json }) => scan_cmd(&bricks, json),
        Some(Cmd::Doctor {
            json,
            etc,
            glusterfs,
            no_measure,
            probe_keeps_preload,
            proc,
        }) => doctor_cmd(
            json,
            heal_info::doctor::Inputs {
                etc,
                glusterfs,
                measure: !no_measure,
                probe_keeps_preload,
                proc,
            },
        ),
        Some(Cmd::PathProbe) => heal_info::doctor::path_probe_inside().and_then(|p| {
            println!("{}", serde_json::to_string(&p)?);
            Ok(exit::CLEAN)
        }),
        #[cfg(feature = "gfapi")]
        Some(Cmd::Probe {
            volume,
            prefix,
            write_files,
            dir,
        }) => probe_cmd(&volume, prefix.as_deref(), write_files, &dir),
        Some(Cmd::Serve {
            listen,
            interval,
            timeout,
            jobs,
            textfile,
            cluster_id,
            volumes,
            glfsheal,
            prefix,
            rounds,
            web_config,
            all_nodes,
        }) => find::find(glfsheal.as_deref(), prefix.as_deref()).and_then(|build| {
            let secs = |name: &str, v: f64| {
                if !(v.is_finite() && v > 0.0) {
                    return Err(usage(format!(
                        "--{name} must be a positive number of seconds, not {v}"
                    )));
                }
                Ok(Duration::from_secs_f64(v))
            };
            let opts = heal_info::serve::ServeOptions {
                listen,
                interval: secs("interval", interval)?,
                timeout: secs("timeout", timeout)?,
                jobs: jobs.into(),
                textfile,
                cluster_id,
                volumes,
                rounds,
                web: match &web_config {
                    Some(path) => heal_info::web::Web::load(path)?,
                    None => heal_info::web::Web::plain(),
                },
                all_nodes,
            };
            heal_info::serve::serve(build, opts).map(|()| exit::CLEAN)
        }),
        None => info_cmd(cli.info),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("heal-info: {e:#}");
            ExitCode::from(if e.downcast_ref::<UsageError>().is_some() {
                exit::USAGE
            } else {
                exit::FAILED
            })
        }
    }
}

fn usage(message: String) -> anyhow::Error {
    UsageError(message).into()
}

fn info_cmd(a: InfoArgs) -> Result<u8> {
    if !(a.timeout.is_finite() && a.timeout > 0.0) {
        return Err(usage(format!(
            "--timeout must be a positive number of seconds, not {}",
            a.timeout
        )));
    }
    let mode = if a.summary {
        Mode::Summary
    } else if a.split_brain {
        Mode::SplitBrain
    } else {
        Mode::Info
    };
    // Split-brain mode is for the list itself.
    let keep_entries = a.entries || a.split_brain;
    if a.all {
        return all_cmd(&a, mode, keep_entries);
    }
    let Some(volume) = a.volume.clone() else {
        return Err(usage("name a volume: heal-info VOLUME, or every started volume: heal-info --all (see --help)".into()));
    };
    let report = match &a.from {
        Some(file) => run::from_file(&volume, file, keep_entries, mode),
        None => {
            let build = find::find(a.glfsheal.as_deref(), a.prefix.as_deref())?;
            let opts = run::Options {
                volume,
                timeout: Duration::from_secs_f64(a.timeout),
                keep_entries,
                mode,
                nolog: a.nolog,
            };
            run::heal_info(&build, &opts)
        }
    };
    match a.format {
        Format::Table => print!("{}", output::table(&report)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Prometheus => print!("{}", output::prometheus(&report, &a.cluster_id)),
    }
    Ok(report.exit)
}

/// `--all`: the volume list from glusterd, then every volume at once
/// (`all::run_all`); one document for all of them.
fn all_cmd(a: &InfoArgs, mode: Mode, keep_entries: bool) -> Result<u8> {
    let build = find::find(a.glfsheal.as_deref(), a.prefix.as_deref())?;
    let started = std::time::Instant::now();
    let timeout = Duration::from_secs_f64(a.timeout);
    let (listed, error) = match heal_info::volumes::listed(&build, timeout) {
        Ok(v) => (v, None),
        Err(e) => (Default::default(), Some(format!("{e:#}"))),
    };
    let heal_info::volumes::Listed {
        healable: volumes,
        skipped,
    } = listed;
    eprintln!("heal-info: {} started volume(s)", volumes.len());
    for s in &skipped {
        eprintln!("heal-info: {}: skipped: {}", s.volume, s.reason);
    }
    let template = run::Options {
        volume: String::new(),
        timeout,
        keep_entries,
        mode,
        nolog: a.nolog,
    };
    let reports = all::run_all(&build, &volumes, &template, a.jobs.into());
    let report = all::AllReport {
        cluster_id: a.cluster_id.clone(),
        seconds: started.elapsed().as_secs_f64(),
        exit: if error.is_some() {
            exit::FAILED
        } else {
            all::worst_exit(&reports)
        },
        volumes: reports,
        skipped,
        error,
    };
    match a.format {
        Format::Table => print!("{}", output::all_table(&report)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Prometheus => {
            let states: Vec<_> = report
                .volumes
                .iter()
                .map(|r| heal_info::metrics::VolumeState::after(r, None))
                .collect();
            print!(
                "{}",
                heal_info::metrics::encode(&a.cluster_id, &states, None)
            )
        }
    }
    Ok(report.exit)
}

fn scan_cmd(bricks: &[PathBuf], json: bool) -> Result<u8> {
    let scans: Vec<scan::BrickScan> = bricks
        .iter()
        .map(|b| scan::scan(b))
        .collect::<Result<_>>()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&scans)?);
    } else {
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.set_header(vec![
            "brick",
            "pending",
            "xattrop",
            "dirty",
            "entry-changes",
        ]);
        for s in &scans {
            t.add_row(vec![
                s.brick.clone(),
                s.pending.to_string(),
                s.xattrop.to_string(),
                s.dirty.to_string(),
                s.entry_changes.to_string(),
            ]);
        }
        println!("{t}");
    }
    Ok(if scans.iter().any(|s| s.pending > 0) {
        exit::PENDING
    } else {
        exit::CLEAN
    })
}

#[cfg(feature = "gfapi")]
fn probe_cmd(
    volume: &str,
    prefix: Option<&std::path::Path>,
    files: usize,
    dir: &str,
) -> Result<u8> {
    let wait = std::time::Duration::from_secs(120);
    let r = heal_info::probe::run(volume, prefix, files, dir, wait)?;
    println!("{}", serde_json::to_string(&r)?);
    Ok(if r.subvolumes_up < r.subvolumes {
        exit::FAILED
    } else {
        exit::CLEAN
    })
}

fn doctor_cmd(json: bool, inputs: heal_info::doctor::Inputs) -> Result<u8> {
    let r = heal_info::doctor::run(&inputs);
    if json {
        println!("{}", r.json()?);
    } else {
        print!("{}", r.text());
    }
    Ok(if r.at_risk {
        exit::PENDING
    } else {
        exit::CLEAN
    })
}
