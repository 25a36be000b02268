//! The `heal-info` command line, as clap declares it: `main.rs` parses and
//! dispatches, and `cargo xtask dist` renders the man pages and shell
//! completions from the same definition.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub const EXIT_CODES: &str = "Exit codes:
  0  every brick connected, nothing to heal
  1  entries pending heal (or in split-brain)
  2  a brick is not connected
  3  the deadline passed; glfsheal was diagnosed and killed
  4  glfsheal failed, or its output was empty, truncated or malformed
     (also: no glfsheal found, unknown volume)

A volume named like a subcommand (scan, doctor, probe): heal-info [OPTIONS] -- NAME";

#[derive(Parser)]
#[command(name = "heal-info", version, about = "gluster volume heal VOL info, with a deadline and a diagnosis when it hangs", after_help = EXIT_CODES, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    #[command(flatten)]
    pub info: InfoArgs,
}

#[derive(clap::Args)]
pub struct InfoArgs {
    /// The volume.
    pub volume: Option<String>,
    /// glfsheal to run.
    #[arg(long, conflicts_with = "prefix")]
    pub glfsheal: Option<PathBuf>,
    /// An installed GlusterFS build tree (its glfsheal, version, log and socket).
    #[arg(long)]
    pub prefix: Option<PathBuf>,
    /// Seconds to wait for glfsheal before diagnosing and killing it.
    #[arg(long, default_value_t = 60.0)]
    pub timeout: f64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Only the volume's totals (table format).
    #[arg(long)]
    pub summary: bool,
    /// List the entries pending heal.
    #[arg(long)]
    pub entries: bool,
    /// Read saved glfsheal output (XML or text) from FILE instead of running glfsheal.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Prometheus,
}

#[derive(Subcommand)]
pub enum Cmd {
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
