//! `cargo xtask`: parses the command line and dispatches; each subcommand is
//! a plain function in its own module.

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use xtask::backport;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "gluster-legacy-kit tasks")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Port the upstream events.c fixes (or any upstream commit) onto a legacy branch.
    Backport(BackportArgs),
    /// Build and install a legacy GlusterFS tree (3.10 to 7.x) with this toolchain.
    Build(BuildArgs),
    /// Run the main job on the built-in example.
    Demo,
    /// Build the portable TARGET_DIR/shim/libgfresolv.so (glibc 2.17 symbols).
    Shim,
    /// heal-info against real glfsheal builds on a throwaway cluster: healthy
    /// and black-hole DNS, without and with the shim (needs root). The flags
    /// are the verify program's: `cargo xtask verify --help` lists them.
    #[command(disable_help_flag = true)]
    Verify {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Build the RPMs and .debs of gfresolv and heal-info (glibc 2.17), with
    /// man pages and completions, into TARGET_DIR/dist/.
    Dist {
        /// Print one JSON document: version and artifacts (path, kind, sha256).
        #[arg(long)]
        json: bool,
        /// Output directory [default: TARGET_DIR/dist]
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
    /// Run the whole test suite (installs missing Debian packages as root).
    Test,
    /// Benchmarks, each printing ratios measured side by side in one run.
    #[command(subcommand)]
    Bench(BenchCmd),
}

#[derive(clap::Args)]
struct BuildArgs {
    /// Branch, tag or commit to build
    #[arg(default_value = "HEAD")]
    rev: String,
    /// The GlusterFS repository [default: $GLUSTER_REPO, then .]
    #[arg(long)]
    repo: Option<PathBuf>,
    /// Install prefix (created if absent)
    #[arg(long)]
    prefix: PathBuf,
    /// make -j [default: number of CPUs]
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    jobs: usize,
    /// Rebuild even if PREFIX already holds this commit.
    #[arg(long)]
    force: bool,
    /// Keep the built tree after install (for code built against it).
    #[arg(long)]
    keep_tree: bool,
    /// Print the report as one JSON document on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum BenchCmd {
    /// A cold build beside a ccache-warm build of a tree differing in one file.
    Build {
        /// A GlusterFS clone [default: the shared 3.12.15 repository, backported]
        #[arg(long)]
        repo: Option<PathBuf>,
        #[arg(long, default_value = "v3.12.15")]
        base: String,
        #[arg(long, default_value = "release-3.12")]
        branch: String,
        /// make -j [default: number of CPUs]
        #[arg(long, default_value_t = 0, hide_default_value = true)]
        jobs: usize,
    },
    /// The events.c series onto real release tags, beside git cherry-pick.
    Backport {
        /// A full GlusterFS clone [default: $GLUSTER_REPO]
        #[arg(long)]
        repo: Option<PathBuf>,
        #[arg(long = "tag", default_values = ["v3.12.15", "v4.1.10", "v6.0", "v7.2"])]
        tags: Vec<String>,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// libgfresolv.so: intercepted calls, pass-through overhead, black-hole stall.
    Shim {
        #[arg(long, default_value_t = 7)]
        rounds: usize,
    },
    /// heal info under the black hole on the real unfixed, backported and
    /// shimmed 3.12.15 builds, for k disperse subvolumes (needs root and
    /// ../shared/glusterfs).
    Stall {
        #[arg(long = "k", value_delimiter = ',', default_values_t = [1, 3, 6, 12])]
        ks: Vec<usize>,
        /// A fork whose release-3.12 has the series (its builds are reused)
        /// [default: a fresh port of ../shared/glusterfs]
        #[arg(long, requires = "upstream")]
        repo: Option<PathBuf>,
        /// Where the fork's series is read from.
        #[arg(long, requires = "repo")]
        upstream: Option<PathBuf>,
    },
    /// The real A/B on the last release of each line (3.10 to 7.2): backport,
    /// build tag and branch, verify --branch (needs root and a full clone).
    Lines {
        /// A full GlusterFS clone [default: $GLUSTER_REPO]
        #[arg(long)]
        repo: Option<PathBuf>,
        #[arg(long = "tag", default_values = xtask::lines::TAGS)]
        tags: Vec<String>,
    },
    /// heal-info parsing 1M-entry glfsheal output beside reference parsers.
    HealInfo {
        #[arg(long, default_value_t = 1_000_000)]
        entries: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// Real human backports (release-4.1 after the reformat) beside the
    /// engine, git cherry-pick -Xignore-all-space and patch -l -F3.
    Corpus {
        /// A full GlusterFS clone [default: $GLUSTER_REPO]
        #[arg(long)]
        repo: Option<PathBuf>,
        #[arg(long, default_value = "release-4.1")]
        branch: String,
        /// Print every pair's result as JSON lines too.
        #[arg(long)]
        json: bool,
    },
    /// backport --survey RANGE beside git cherry and a git cherry-pick loop,
    /// then the presence rules on the corpus pairs beside git cherry.
    Survey {
        /// A full GlusterFS clone [default: $GLUSTER_REPO]
        #[arg(long)]
        repo: Option<PathBuf>,
        /// The fork's base: a branch is made there in a scratch repository.
        #[arg(long, default_value = "v3.12.15")]
        base: String,
        #[arg(long, default_value = "v3.12.15..v6.10")]
        range: String,
        /// At most this many commits go through the cherry-pick loop.
        #[arg(long, default_value_t = 150)]
        cap: usize,
        #[arg(long, default_value = "release-4.1")]
        corpus_branch: String,
    },
}

#[derive(clap::Args)]
struct BackportArgs {
    /// The branch to port onto (it need not be checked out).
    branch: String,
    /// The GlusterFS repository holding BRANCH [default: $GLUSTER_REPO, then .]
    #[arg(long)]
    repo: Option<PathBuf>,
    /// Repository to read upstream commits from [default: --repo]
    #[arg(long)]
    upstream: Option<PathBuf>,
    /// Series manifest [default: patches/events.toml of this project]
    #[arg(long)]
    series: Option<PathBuf>,
    /// Port only this fix (id, Change-Id or SHA prefix of any port); repeatable.
    #[arg(long)]
    only: Vec<String>,
    /// Port (or check) only the fixes of this stage of the series: `stall`
    /// (heal info's DNS stall) or `delivery` (events on every host); repeatable.
    #[arg(long = "stage", value_name = "STAGE")]
    stages: Vec<String>,
    /// Port this upstream commit instead of the series; repeatable, in order.
    #[arg(long = "commit")]
    commits: Vec<String>,
    /// Print the diff that would be committed; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Change nothing; exit 0 if every selected fix is present, 1 if a fix
    /// of the stall stage is missing, 4 if the stall is fixed but a fix of
    /// the delivery stage is missing (events still lost).
    #[arg(long)]
    check: bool,
    /// Print a machine-readable report on stdout.
    #[arg(long)]
    json: bool,
    /// When a hunk cannot be placed, leave BRANCH alone and write BRANCH-wip
    /// (overwritten if it exists) with the hunks that could be placed and
    /// conflict markers for the rest; exits 3.
    #[arg(long)]
    wip: bool,
    /// With --commit or --survey: only the files matching GLOB (e.g.
    /// 'libglusterfs/**'); repeatable. Left-out files are named in the message.
    #[arg(long = "path", value_name = "GLOB")]
    paths: Vec<String>,
    /// With --commit or --survey: leave out files matching GLOB (e.g. 'tests/**'); repeatable.
    #[arg(long = "exclude", value_name = "GLOB")]
    excludes: Vec<String>,
    /// Classify every non-merge upstream commit in RANGE (A..B) against
    /// BRANCH: present, clean, context-dropped, unplaceable, not-applicable
    /// or needs. Changes nothing unless --apply-clean.
    #[arg(long, value_name = "RANGE", conflicts_with_all = ["commits", "only", "check", "dry_run", "wip"])]
    survey: Option<String>,
    /// With --survey: port the clean commits, in order, one commit each.
    #[arg(long, requires = "survey")]
    apply_clean: bool,
}

fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn backport_cmd(a: BackportArgs) -> Result<ExitCode> {
    let repo = a
        .repo
        .or_else(|| std::env::var_os("GLUSTER_REPO").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."));
    if let Some(range) = a.survey {
        let s = backport::survey::run(&backport::survey::Options {
            branch: a.branch,
            repo,
            upstream: a.upstream,
            range,
            paths: a.paths,
            excludes: a.excludes,
            apply_clean: a.apply_clean,
            progress: true,
        })?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&s)?);
        } else {
            print!("{}", backport::survey::text(&s));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let opts = backport::Options {
        branch: a.branch,
        repo,
        upstream: a.upstream,
        series: a
            .series
            .unwrap_or_else(|| project_root().join("patches/events.toml")),
        only: a.only,
        stages: a.stages,
        commits: a.commits,
        dry_run: a.dry_run,
        check: a.check,
        wip: a.wip,
        paths: a.paths,
        excludes: a.excludes,
    };
    let outcome = backport::run(&opts)?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&backport::report::json(&outcome))?
        );
    } else {
        print!("{}", backport::report::text(&outcome));
    }
    Ok(if outcome.wip_branch.is_some() {
        ExitCode::from(3)
    } else if opts.check && !outcome.all_present() {
        ExitCode::from(outcome.check_exit_code())
    } else {
        ExitCode::SUCCESS
    })
}

fn dist_cmd(json: bool, out_dir: Option<PathBuf>) -> Result<ExitCode> {
    let out = match out_dir {
        Some(d) => d,
        None => xtask::dist::default_out_dir()?,
    };
    let report = xtask::dist::run(&out)?;
    if json {
        println!("{}", report.json()?);
    } else {
        print!("{}", report.text());
        eprintln!("packages and files in {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn build_cmd(a: BuildArgs) -> Result<ExitCode> {
    let repo = a
        .repo
        .or_else(|| std::env::var_os("GLUSTER_REPO").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."));
    let report = xtask::build::run(&xtask::build::Options {
        rev: a.rev,
        repo,
        prefix: a.prefix,
        jobs: a.jobs,
        force: a.force,
        keep_tree: a.keep_tree,
    })?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", xtask::build::report::text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Backport(a) => backport_cmd(a),
        Cmd::Build(a) => build_cmd(a),
        Cmd::Demo => xtask::demo::run().map(|()| ExitCode::SUCCESS),
        Cmd::Shim => xtask::shim::build().map(|_| ExitCode::SUCCESS),
        Cmd::Verify { args } => xtask::verify::run(&args),
        Cmd::Dist { json, out_dir } => dist_cmd(json, out_dir),
        Cmd::Test => xtask::test::run().map(|()| ExitCode::SUCCESS),
        Cmd::Bench(BenchCmd::Build {
            repo,
            base,
            branch,
            jobs,
        }) => xtask::build::bench::run(repo, &base, &branch, jobs).map(|()| ExitCode::SUCCESS),
        Cmd::Bench(BenchCmd::HealInfo { entries, rounds }) => {
            xtask::bench::heal_info(entries, rounds).map(|()| ExitCode::SUCCESS)
        }
        Cmd::Bench(BenchCmd::Lines { repo, tags }) => {
            xtask::lines::run(repo, &tags).map(|()| ExitCode::SUCCESS)
        }
        Cmd::Bench(BenchCmd::Stall { ks, repo, upstream }) => {
            xtask::stall::run(&ks, repo.zip(upstream)).map(|()| ExitCode::SUCCESS)
        }
        Cmd::Bench(BenchCmd::Shim { rounds }) => {
            xtask::bench::shim(rounds).map(|()| ExitCode::SUCCESS)
        }
        Cmd::Bench(BenchCmd::Corpus { repo, branch, json }) => {
            xtask::bench::corpus(repo, &branch, json).map(|()| ExitCode::SUCCESS)
        }
        Cmd::Bench(BenchCmd::Survey {
            repo,
            base,
            range,
            cap,
            corpus_branch,
        }) => xtask::bench::survey(repo, &base, &range, cap, &corpus_branch)
            .map(|()| ExitCode::SUCCESS),
        Cmd::Bench(BenchCmd::Backport { repo, tags, runs }) => {
            xtask::bench::backport(repo, &tags, runs).map(|()| ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
