//! The `heal-info` command line.

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use heal_info::{find, model::exit, output, run, scan};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const EXIT_CODES: &str = "Exit codes:
  0  every brick connected, nothing to heal
  1  entries pending heal (or in split-brain)
  2  a brick is not connected
  3  the deadline passed; glfsheal was diagnosed and killed
  4  glfsheal failed, or its output was empty, truncated or malformed
     (also: no glfsheal found, unknown volume)

A volume named like a subcommand (scan, doctor, probe): heal-info [OPTIONS] -- NAME";

#[derive(Parser)]
#[command(name = "heal-info", version, about = "gluster volume heal VOL info, with a deadline and a diagnosis when it hangs", after_help = EXIT_CODES, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    info: InfoArgs,
}

#[derive(clap::Args)]
struct InfoArgs {
    /// The volume.
    volume: Option<String>,
    /// glfsheal to run.
    #[arg(long, conflicts_with = "prefix")]
    glfsheal: Option<PathBuf>,
    /// An installed GlusterFS build tree (its glfsheal, version, log and socket).
    #[arg(long)]
    prefix: Option<PathBuf>,
    /// Seconds to wait for glfsheal before diagnosing and killing it.
    #[arg(long, default_value_t = 60.0)]
    timeout: f64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Only the volume's totals (table format).
    #[arg(long)]
    summary: bool,
    /// List the entries pending heal.
    #[arg(long)]
    entries: bool,
    /// Read saved glfsheal output (XML or text) from FILE instead of running glfsheal.
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Prometheus,
}

#[derive(Subcommand)]
enum Cmd {
    /// Count pending heals in brick directories (.glusterfs/indices), without glusterd.
    Scan {
        #[arg(required = true)]
        bricks: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Check this host: glibc, resolver, remedies in place, the running builds.
    Doctor {
        #[arg(long)]
        json: bool,
        /// Read resolv.conf, nsswitch.conf, hosts and ld.so.preload from here.
        #[arg(long, default_value = "/etc")]
        etc: PathBuf,
        /// The glusterfs binary to ask for its version.
        #[arg(long)]
        glusterfs: Option<PathBuf>,
        /// Skip the measured probe (which needs root for private namespaces).
        #[arg(long)]
        no_measure: bool,
        #[arg(long, hide = true)]
        probe_keeps_preload: bool,
        /// Where to look for running processes (tests give a directory of
        /// links to the /proc entries of their own cluster).
        #[arg(long, default_value = "/proc", hide = true)]
        proc: PathBuf,
    },
    #[command(name = "__path-probe", hide = true)]
    PathProbe,
    /// Mount VOLUME through libgfapi as glfsheal does (volfile over the unix
    /// socket) and time glfs_init and each subvolume coming up.
    #[cfg(feature = "gfapi")]
    Probe {
        volume: String,
        /// An installed GlusterFS build tree (its libgfapi and socket).
        #[arg(long)]
        prefix: Option<PathBuf>,
        /// Also create this many files in the volume (for tests).
        #[arg(long, default_value_t = 0)]
        write_files: usize,
        /// Directory in the volume for --write-files.
        #[arg(long, default_value = "/")]
        dir: String,
    },
}

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
