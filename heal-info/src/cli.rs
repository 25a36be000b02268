//! The `heal-info` command line, as clap declares it: `main.rs` parses and
//! dispatches, and `cargo xtask dist` renders the man pages and shell
//! completions from the same definition.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub const EXIT_CODES: &str = "Exit codes:
  0  every brick connected, nothing to heal
  1  entries pending heal (or in split-brain); also when glfsheal's crawl of
     a brick stopped partway (\"Failed to process entries completely\"):
     its count is then a lower bound, and JSON names the crawl_error
  2  a brick is not connected
  3  the deadline passed; glfsheal was diagnosed and killed
  4  glfsheal failed, or its output was empty, truncated or malformed
     (also: no glfsheal found, unknown volume)
 64  the command line is wrong (an unknown option or value, no volume
     named, a --timeout that is not a positive number); clap's own code
     would be 2, which means a disconnected brick here

A volume named like a subcommand (scan, doctor, probe): heal-info [OPTIONS] -- NAME";

/// A mistake on the command line that clap cannot see (no volume named, a
/// deadline of zero): main exits `exit::USAGE` for it, as for clap's own.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

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
    /// The volume (or --all).
    pub volume: Option<String>,
    /// Every started volume of the local glusterd, concurrently (see --jobs).
    #[arg(long, conflicts_with_all = ["volume", "from"])]
    pub all: bool,
    /// With --all: how many glfsheals run at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    /// glfsheal to run.
    #[arg(long, conflicts_with = "prefix")]
    pub glfsheal: Option<PathBuf>,
    /// An installed GlusterFS build tree (its glfsheal, version, log and socket).
    #[arg(long)]
    pub prefix: Option<PathBuf>,
    /// Seconds to wait for glfsheal before diagnosing and killing it.
    #[arg(long, default_value_t = 60.0)]
    pub timeout: f64,
    /// Run glfsheal with --nolog where it takes it (4.1.7, 5.2, 6.0 and
    /// later), as `serve` always does: nothing more in glfsheal-VOL.log.
    /// Past the deadline it runs once more with its log for the diagnosis,
    /// so a hang then takes up to twice --timeout.
    #[arg(long)]
    pub nolog: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Per brick: total pending, in split-brain and possibly healing
    /// (glfsheal's info-summary; computed from its entries on 3.12, which lacks it).
    #[arg(long, conflicts_with = "split_brain")]
    pub summary: bool,
    /// Only the entries in split-brain (glfsheal's split-brain-info), listed.
    #[arg(long)]
    pub split_brain: bool,
    /// The cluster_id label of the Prometheus format (gluster-prometheus's).
    #[arg(long, default_value = "")]
    pub cluster_id: String,
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

/// Where `serve` listens unless told otherwise. 9713, the first default,
/// is gluster-prometheus's (its 863db4b, "Change default port to 9713
/// (#179)"), so both exporters on one node clashed. Prometheus's "Default
/// port allocations" wiki page has 9100-9999 fully taken since 2023 and
/// new claims go on upwards from 10000 (10019 was claimed in 2024);
/// 19713 lies outside both ranges, is not among that page's "outside the
/// standard ranges" entries (19091 Transmission, 19999 Netdata are the
/// nearest), is in no /etc/services, and sits below Linux's ephemeral
/// range (32768 and up), so an outgoing connection never holds it. Keep
/// 9713 with `--listen 127.0.0.1:9713`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:19713";

#[derive(Subcommand)]
pub enum Cmd {
    /// A Prometheus exporter: /metrics from a background refresh of every
    /// started volume, answered at once from the last result.
    Serve {
        /// Address to serve /metrics on (HOST:PORT; 127.0.0.1:9713 was the
        /// default before 19713).
        #[arg(long, default_value = DEFAULT_LISTEN)]
        listen: String,
        /// Seconds between refreshes.
        #[arg(long, default_value_t = 60.0)]
        interval: f64,
        /// Seconds each volume's glfsheal may take before it is diagnosed and
        /// killed (twice this where a --nolog run is rerun with its log).
        #[arg(long, default_value_t = 60.0)]
        timeout: f64,
        /// How many glfsheals run at once.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: u16,
        /// Also write node_exporter's textfile collector file into DIR.
        #[arg(long, value_name = "DIR")]
        textfile: Option<PathBuf>,
        /// The cluster_id label (gluster-prometheus's).
        #[arg(long, default_value = "")]
        cluster_id: String,
        /// Watch only these volumes (default: every started volume, asked each refresh).
        #[arg(long = "volume", value_name = "VOLUME")]
        volumes: Vec<String>,
        /// glfsheal to run.
        #[arg(long, conflicts_with = "prefix")]
        glfsheal: Option<PathBuf>,
        /// An installed GlusterFS build tree (its glfsheal, gluster, log and socket).
        #[arg(long)]
        prefix: Option<PathBuf>,
        /// Run glfsheal and export heal counts on this node even when it
        /// is not the connected peer with the highest UUID (by default only
        /// that one does, as gluster-prometheus; the others answer /metrics
        /// with gluster_heal_info_exporting_node 0 and run no glfsheal).
        #[arg(long)]
        all_nodes: bool,
        /// TLS and basic auth from a web configuration file in the format of
        /// the Prometheus exporter-toolkit (node_exporter's --web.config.file):
        /// tls_server_config {cert_file, key_file} and basic_auth_users
        /// {user: bcrypt hash}.
        #[arg(long, value_name = "FILE", visible_alias = "web.config.file")]
        web_config: Option<PathBuf>,
        /// Stop after N refresh rounds (tests and benchmarks).
        #[arg(long, hide = true)]
        rounds: Option<u64>,
    },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_listens_by_default_where_the_packaged_unit_says_and_not_on_9713() {
        let cli = Cli::try_parse_from(["heal-info", "serve"]).unwrap();
        let Some(Cmd::Serve { listen, .. }) = cli.cmd else {
            panic!("not serve")
        };
        assert_eq!(listen, "127.0.0.1:19713");
        let unit = include_str!("../dist/heal-info.service");
        assert!(
            unit.contains(&format!("Environment=HEAL_INFO_LISTEN={DEFAULT_LISTEN}\n")),
            "{unit}"
        );
        assert!(!unit.contains(":9713\n"), "{unit}");
        // The old port stays one flag away.
        let cli =
            Cli::try_parse_from(["heal-info", "serve", "--listen", "127.0.0.1:9713"]).unwrap();
        assert!(matches!(cli.cmd, Some(Cmd::Serve { listen, .. }) if listen == "127.0.0.1:9713"));
    }
}
