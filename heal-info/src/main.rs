//! The `heal-info` command line.

use anyhow::Result;
use clap::Parser;
use heal_info::cli::{Cli, Cmd, Format, InfoArgs};
use heal_info::{find, model::exit, output, run, scan};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        None => info_cmd(cli.info),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("heal-info: {e:#}");
            ExitCode::from(exit::FAILED)
        }
    }
}

fn info_cmd(a: InfoArgs) -> Result<u8> {
    let Some(volume) = a.volume else {
        anyhow::bail!("name a volume: heal-info VOLUME (see --help)");
    };
    let report = match &a.from {
        Some(file) => run::from_file(&volume, file, a.entries),
        None => {
            let build = find::find(a.glfsheal.as_deref(), a.prefix.as_deref())?;
            let timeout = Duration::from_secs_f64(a.timeout);
            let opts = run::Options {
                volume,
                timeout,
                keep_entries: a.entries,
            };
            run::heal_info(&build, &opts)
        }
    };
    match a.format {
        Format::Table => print!("{}", output::table(&report, a.summary)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Prometheus => print!("{}", output::prometheus(&report)),
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
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", r.text());
    }
    Ok(if r.at_risk {
        exit::PENDING
    } else {
        exit::CLEAN
    })
}
