//! Every flag of `cargo xtask`, declared once, and the defaults resolved
//! once: the repository (--repo, then $GLUSTER_REPO, then the current
//! directory), the series (`paths::series`), the target directory
//! (`paths::target_dir`). `main.rs` parses and dispatches; each task gets
//! typed options, never a flag to read again.

use crate::{ab, matrix};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// `bench lines`: one release tag of each line the kit serves, 3.10 to 7.2.
const LINES_TAGS: &[&str] = &["v3.10.12", "v3.12.15", "v4.1.10", "v5.13", "v6.7", "v7.2"];

/// --repo, else $GLUSTER_REPO: a GlusterFS clone, when one was named.
pub fn named_repo(flag: Option<PathBuf>) -> Option<PathBuf> {
    flag.or_else(|| std::env::var_os("GLUSTER_REPO").map(PathBuf::from))
}

/// --repo, else $GLUSTER_REPO, for the benches that need the real history.
pub fn full_clone(flag: Option<PathBuf>) -> Result<PathBuf> {
    named_repo(flag).context(
        "this benchmark needs the real GlusterFS history: pass --repo PATH or set GLUSTER_REPO to a full clone",
    )
}

/// --repo, else $GLUSTER_REPO, else the current directory.
pub fn repo(flag: Option<PathBuf>) -> PathBuf {
    named_repo(flag).unwrap_or_else(|| PathBuf::from("."))
}

#[derive(Parser)]
#[command(name = "cargo xtask", about = "gluster-legacy-kit tasks")]
pub struct Cli {
    /// cargo's target directory [default: $GLK_TARGET_DIR, then
    /// $CARGO_TARGET_DIR, then `cargo metadata`]; where cargo is absent,
    /// this or GLK_TARGET_DIR is needed.
    #[arg(long, global = true, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Port the upstream events.c fixes (or any upstream commit) onto a legacy branch.
    Backport(BackportArgs),
    /// Build and install a legacy GlusterFS tree (3.10 to 7.x) with this toolchain.
    Build(BuildArgs),
    /// Run the main job on the built-in example.
    Demo,
    /// Build the portable TARGET_DIR/shim/libgfresolv.so (glibc 2.17 symbols).
    Shim,
    /// Build glibc 2.17 (CentOS 7's C library) from ../shared/glibc into
    /// TARGET_DIR/glibc-2.17/prefix, or reuse the build there when the
    /// source, the kit's patch and the flags are the same.
    Glibc(GlibcArgs),
    /// heal-info against real glfsheal builds on a throwaway cluster: healthy
    /// and black-hole DNS, without and with the shim (needs root).
    Verify(VerifyArgs),
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
    /// Print the target directory the kit reads and writes (--target-dir,
    /// then $GLK_TARGET_DIR, then $CARGO_TARGET_DIR, then `cargo metadata`).
    TargetDir,
    /// Write the generated reference (docs/src/reference/xtask.md), build
    /// the book in docs/ into TARGET_DIR/book with mdBook and check its
    /// links and anchors (installs mdBook and LinkChecker, as root).
    Docs {
        /// Write nothing: a reference that is not what cli.rs says is an error.
        #[arg(long)]
        check: bool,
    },
    /// Run the whole test suite (installs missing Debian packages as root).
    /// GLK_CHROOTS=bullseye,trixie adds the kit's build of v3.12.15 in a
    /// fresh chroot of each release (needs root and ../shared).
    Test,
    /// Build the shared v3.12.15 with the kit in a fresh minimal chroot of a
    /// Debian release, deps installed by the kit (needs root and ../shared).
    ChrootBuild {
        /// Debian release (bullseye, bookworm, trixie, ...); repeatable.
        #[arg(long = "suite", required = true)]
        suites: Vec<String>,
        /// make -j
        #[arg(long, default_value_t = 2)]
        jobs: usize,
        /// Print the outcomes as one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// The README's two commands on a machine with nothing installed: a
    /// clone of this kit's HEAD in a minimal chroot, the host's Rust
    /// toolchain overlaid read-only, then `cargo xtask demo` and the
    /// legacy build (needs root and ../shared).
    Fresh {
        #[arg(long, default_value = "bookworm")]
        suite: String,
        /// Keep the chroot (under TARGET_DIR/chroots/run) for a look inside.
        #[arg(long)]
        keep: bool,
        /// Run the whole suite (`cargo xtask test`, as .ci/run) in place of
        /// the legacy build, before the demo: the README's second command,
        /// from nothing, as CI runs it on a new machine.
        #[arg(long)]
        whole_suite: bool,
    },
    /// The operator's 3.x host as it really is: BASE and BRANCH built as
    /// EL7's RPMs lay them out (/usr/sbin/glfsheal, /var/lib/glusterd) into
    /// a minimal Debian root with the kit's .debs installed by apt; then
    /// `gluster volume heal VOL info` without the shim, with it, off again,
    /// and after the fixed build's upgrade, each checked (needs root).
    OperatorHost(OperatorHostArgs),
    /// Upstream's own `.t` regression tests against a kit build, each in
    /// namespaces of its own, side by side (needs root).
    Regress(RegressArgs),
    /// Benchmarks, each printing ratios measured side by side in one run.
    #[command(subcommand)]
    Bench(BenchCmd),
}

#[derive(clap::Args)]
pub struct GlibcArgs {
    /// make -j
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Build again even when the stamp matches.
    #[arg(long)]
    pub force: bool,
    /// The whole build's deadline, in minutes.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub deadline_min: u64,
    /// Print one JSON document on stdout: the prefix, the loader, the stamp.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct RegressArgs {
    /// Test files or globs, relative to the build's tree
    /// (tests/basic/ec/*.t); with --branch, `auto` (the default) is every
    /// `.t` the branch's commits beyond the base add or change.
    pub tests: Vec<String>,
    /// One build: the install dir of a build made with `cargo xtask build --keep-tree`.
    #[arg(long, value_name = "PREFIX", conflicts_with_all = ["branch", "base"])]
    pub build: Option<PathBuf>,
    /// The A/B: build BRANCH and its base (each with its tree kept) and
    /// run every test on both, one verdict per test.
    #[arg(long)]
    pub branch: Option<String>,
    /// With --branch: the base [default: the nearest release tag, v*].
    #[arg(long, requires = "branch")]
    pub base: Option<String>,
    /// The GlusterFS repository [default: $GLUSTER_REPO, then .]
    #[arg(long)]
    pub repo: Option<PathBuf>,
    /// With --branch: a test failing on both builds that does not fail
    /// the A/B (repeatable).
    #[arg(long, requires = "branch")]
    pub known_failing: Vec<String>,
    /// The build's kept tree [default: the one its stamp names].
    #[arg(long, conflicts_with = "branch")]
    pub tree: Option<PathBuf>,
    /// Tests run side by side.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub jobs: u16,
    /// Each test's deadline, in seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Runs of a failed test after the first; a pass then is "flaky".
    #[arg(long, default_value_t = 1)]
    pub retries: u32,
    /// Print every test's result as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// What `cargo xtask regress` runs: one build's tests, or the A/B.
pub enum Regress {
    One(crate::regress::Options),
    Ab(crate::regress::ab::Sides),
}

impl RegressArgs {
    pub fn plan(self) -> Result<Regress> {
        let keep = crate::paths::target_dir()?.join("regress");
        let timeout = std::time::Duration::from_secs(self.timeout);
        if let Some(branch) = self.branch {
            let repo = repo(self.repo);
            let base = match self.base {
                Some(b) => b,
                None => crate::ab::nearest_release_tag(&repo, &branch)?,
            };
            let (base_prefix, branch_prefix, tree) = crate::regress::ab::build_sides(
                &repo,
                &base,
                &branch,
                &crate::ab::builds_dir()?,
                self.jobs.into(),
            )?;
            let tests = if self.tests.is_empty() || self.tests == ["auto"] {
                crate::regress::ab::auto(&repo, &base, &branch)?
            } else {
                self.tests
            };
            anyhow::ensure!(
                !tests.is_empty(),
                "{base}..{branch} adds or changes no .t test: name tests (paths or globs in the tree)"
            );
            return Ok(Regress::Ab(crate::regress::ab::Sides {
                base: base_prefix,
                branch: branch_prefix,
                tree,
                tests,
                known_failing: self.known_failing,
                jobs: self.jobs.into(),
                timeout,
                retries: self.retries,
                keep,
            }));
        }
        let build = self
            .build
            .context("give --build PREFIX (one build) or --branch BRANCH (the A/B)")?;
        anyhow::ensure!(
            !self.tests.is_empty(),
            "name the tests to run (paths or globs in the build's tree, e.g. tests/basic/ec/*.t)"
        );
        let tree = match self.tree {
            Some(t) => t,
            None => verify::stamp::load(&build)
                .and_then(|r| r.tree)
                .with_context(|| {
                    format!(
                        "{} has no kept tree in its stamp: build it with `cargo xtask build --keep-tree`, or pass --tree",
                        build.display()
                    )
                })?,
        };
        Ok(Regress::One(crate::regress::Options {
            tree,
            prefix: build,
            tests: self.tests,
            jobs: self.jobs.into(),
            timeout,
            retries: self.retries,
            keep,
        }))
    }
}

#[derive(clap::Args)]
pub struct OperatorHostArgs {
    /// The fork's branch with the fix ported (the upgrade of step 6).
    pub branch: String,
    /// The GlusterFS repository [default: $GLUSTER_REPO, then .]
    #[arg(long)]
    pub repo: Option<PathBuf>,
    /// The unfixed release the host runs first.
    #[arg(long, default_value = "v3.12.15")]
    pub base: String,
    /// Disperse subvolumes of the volume (k x (2+1) bricks).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub subvols: u8,
    /// make -j
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// Print the outcome as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

impl OperatorHostArgs {
    pub fn options(self) -> crate::operator_host::Options {
        crate::operator_host::Options {
            repo: repo(self.repo),
            base: self.base,
            branch: self.branch,
            k: self.subvols.into(),
            jobs: self.jobs.max(1),
        }
    }
}

#[derive(clap::Args)]
pub struct BuildArgs {
    /// Branch, tag or commit to build
    #[arg(default_value = "HEAD")]
    pub rev: String,
    /// The GlusterFS repository [default: $GLUSTER_REPO, then .]
    #[arg(long)]
    pub repo: Option<PathBuf>,
    /// Install prefix (created if absent)
    #[arg(long)]
    pub prefix: PathBuf,
    /// make -j [default: number of CPUs]
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    pub jobs: usize,
    /// Rebuild even if PREFIX already holds this commit.
    #[arg(long)]
    pub force: bool,
    /// Keep the built tree after install (for code built against it, or a
    /// later --from-build).
    #[arg(long)]
    pub keep_tree: bool,
    /// Start from the kept tree of the build in this prefix (made with
    /// --keep-tree) when configure reads none of the files that differ;
    /// otherwise build cold. The report says which, and why.
    #[arg(long, value_name = "PREFIX")]
    pub from_build: Option<PathBuf>,
    /// Configure for this prefix and install into --prefix (make install
    /// DESTDIR=): the programs name RUN_AT, so they run where --prefix is
    /// bound there, as the kit's clusters do. With --from-build of the
    /// build at RUN_AT, make redoes only what differs.
    #[arg(long, value_name = "RUN_AT")]
    pub run_at: Option<PathBuf>,
    /// Print the report as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum BenchCmd {
    /// The kit's cold build of v3.12.15 in a fresh chroot per Debian
    /// release, deps included (needs root and ../shared).
    Toolchains {
        #[arg(long = "suite", value_delimiter = ',', default_values = ["bullseye", "trixie"])]
        suites: Vec<String>,
        #[arg(long, default_value_t = 2)]
        jobs: usize,
    },
    /// A cold build beside the branch's build from its tree (one file differs).
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
        /// Also build the branch cold with the warm ccache (about 4 more minutes).
        #[arg(long)]
        warm: bool,
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
    /// The smoke set of upstream .t tests on v3.12.15, one at a time
    /// against side by side (needs root and ../shared).
    Regress {
        #[arg(long = "jobs", value_delimiter = ',', default_values_t = [1, 2, 4])]
        jobs: Vec<usize>,
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
        /// Only the real glibc 2.17's curve (k lookups under the black hole,
        /// default and suite resolver settings), not the builds' matrix.
        #[arg(long, conflicts_with_all = ["repo", "upstream"])]
        glibc217_only: bool,
    },
    /// The real A/B on the last release of each line (3.10 to 7.2): backport,
    /// build tag and branch, verify --branch (needs root and a full clone).
    Lines {
        /// A full GlusterFS clone [default: $GLUSTER_REPO]
        #[arg(long)]
        repo: Option<PathBuf>,
        #[arg(long = "tag", default_values = LINES_TAGS)]
        tags: Vec<String>,
    },
    /// heal-info --all over many volumes beside one by one, and serve's
    /// scrape latency while a volume hangs (real 10.3 cluster, needs root).
    HealAll {
        #[arg(long, default_value_t = 6)]
        volumes: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
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
pub struct BackportArgs {
    /// The branch to port onto (it need not be checked out).
    pub branch: String,
    /// The GlusterFS repository holding BRANCH [default: $GLUSTER_REPO, then .]
    #[arg(long)]
    pub repo: Option<PathBuf>,
    /// Repository to read upstream commits from [default: --repo]
    #[arg(long)]
    pub upstream: Option<PathBuf>,
    /// Series manifest [default: patches/events.toml of this project]
    #[arg(long)]
    pub series: Option<PathBuf>,
    /// Port only this fix (id, Change-Id or SHA prefix of any port); repeatable.
    #[arg(long)]
    pub only: Vec<String>,
    /// Port (or check) only the fixes of this stage of the series: `stall`
    /// (heal info's DNS stall) or `delivery` (events on every host); repeatable.
    #[arg(long = "stage", value_name = "STAGE")]
    pub stages: Vec<String>,
    /// Port this upstream commit instead of the series; repeatable, in order.
    #[arg(long = "commit")]
    pub commits: Vec<String>,
    /// Print the diff that would be committed; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Change nothing; exit 0 if every selected fix is present, 1 if a fix
    /// of the stall stage is missing, 4 if the stall is fixed but a fix of
    /// the delivery stage is missing (events still lost).
    #[arg(long)]
    pub check: bool,
    /// Print a machine-readable report on stdout.
    #[arg(long)]
    pub json: bool,
    /// When a hunk cannot be placed, leave BRANCH alone and write BRANCH-wip
    /// (overwritten if it exists) with the hunks that could be placed and
    /// conflict markers for the rest; exits 3.
    #[arg(long)]
    pub wip: bool,
    /// With --commit or --survey: only the files matching GLOB (e.g.
    /// 'libglusterfs/**'); repeatable. Left-out files are named in the message.
    #[arg(long = "path", value_name = "GLOB")]
    pub paths: Vec<String>,
    /// With --commit or --survey: leave out files matching GLOB (e.g. 'tests/**'); repeatable.
    #[arg(long = "exclude", value_name = "GLOB")]
    pub excludes: Vec<String>,
    /// Classify every non-merge upstream commit in RANGE (A..B) against
    /// BRANCH: present, clean, context-dropped, unplaceable, not-applicable
    /// or needs. Changes nothing unless --apply-clean.
    #[arg(long, value_name = "RANGE", conflicts_with_all = ["commits", "only", "check", "dry_run", "wip"])]
    pub survey: Option<String>,
    /// With --survey: port the clean commits, in order, one commit each.
    #[arg(long, requires = "survey")]
    pub apply_clean: bool,
}

#[derive(clap::Args)]
#[command(
    about = "heal-info against real glfsheal builds, healthy and black-hole DNS, with and without the shim",
    after_help = "Every build runs its own cluster in private namespaces; no host file is touched.\n\
The A/B: verify --branch release-3.12 --repo FORK [--upstream UPSTREAM] builds the branch and\n\
its base with cargo xtask build, checks which has the fix, and judges both strictly."
)]
pub struct VerifyArgs {
    /// An installed build made by `cargo xtask build` (its fix status is read
    /// from the build's stamp and the repository it names); repeatable.
    #[arg(long)]
    pub prefix: Vec<PathBuf>,
    /// An installed build known to have the events.c fix; repeatable.
    #[arg(long)]
    pub fixed: Vec<PathBuf>,
    /// The --fixed builds also have the delivery stage (events on
    /// dual-stack and IPv6-only hosts); without it their events there are
    /// judged lost.
    #[arg(long, requires = "fixed")]
    pub fixed_delivery: bool,
    /// An installed build known to lack the events.c fix; repeatable.
    #[arg(long)]
    pub unfixed: Vec<PathBuf>,
    /// The A/B: build BRANCH and its base, run the matrix on both.
    #[arg(long)]
    pub branch: Option<String>,
    /// The repository holding BRANCH [default: $GLUSTER_REPO].
    #[arg(long)]
    pub repo: Option<PathBuf>,
    /// Where the series' upstream commits are read from [default: --repo].
    #[arg(long)]
    pub upstream: Option<PathBuf>,
    /// The base of the A/B [default: the newest release tag BRANCH contains].
    #[arg(long, requires = "branch")]
    pub base: Option<String>,
    /// Where the A/B installs its builds [default: TARGET_DIR/gluster.builds].
    #[arg(long)]
    pub builds_dir: Option<PathBuf>,
    /// make -j for the A/B's builds.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// Also run the reference (Debian's 10.3 and the probe) beside --branch
    /// or --prefix builds; without those it always runs.
    #[arg(long)]
    pub reference: bool,
    /// Disperse subvolumes in the test volume (each 2+1).
    #[arg(long, default_value_t = 3)]
    pub subvols: usize,
    /// Host shapes, each its own cluster: ipv4 (a non-loopback IPv4
    /// address), dual-stack (IPv4 and IPv6), ipv6 (IPv6 only; bricks on
    /// 127.0.0.1) [default: all three].
    #[arg(long, value_delimiter = ',', value_parser = parse_host)]
    pub hosts: Vec<verify::Host>,
    /// Print the matrix as one JSON document on stdout (progress on stderr).
    #[arg(long)]
    pub json: bool,
    /// With --branch: in place of the matrix, upstream's own `.t` tests on
    /// both builds (`auto`: every .t the branch's commits add or change;
    /// or paths and globs in the tree), as `cargo xtask regress --branch`.
    #[arg(long, requires = "branch", num_args = 1..)]
    pub tests: Vec<String>,
}

fn parse_host(s: &str) -> Result<verify::Host, String> {
    verify::Host::ALL
        .iter()
        .copied()
        .find(|h| h.name() == s)
        .ok_or_else(|| format!("unknown host shape {s}: ipv4, dual-stack or ipv6"))
}

impl VerifyArgs {
    /// `verify --branch B --tests ...`: the same as `regress --branch B`.
    pub fn regress(&self) -> Option<RegressArgs> {
        if self.tests.is_empty() {
            return None;
        }
        Some(RegressArgs {
            tests: self.tests.clone(),
            build: None,
            branch: self.branch.clone(),
            base: self.base.clone(),
            repo: self.repo.clone(),
            known_failing: Vec::new(),
            tree: None,
            jobs: 2,
            timeout: 300,
            retries: 1,
            json: self.json,
        })
    }

    /// The matrix's plan, with the A/B's defaults resolved.
    pub fn plan(self) -> Result<matrix::Plan> {
        let env_repo = std::env::var_os("GLUSTER_REPO").map(PathBuf::from);
        self.plan_with(env_repo)
    }

    /// As `plan`, with `$GLUSTER_REPO` as given.
    fn plan_with(self, env_repo: Option<PathBuf>) -> Result<matrix::Plan> {
        let ab = match self.branch {
            None => None,
            Some(branch) => Some(ab::Options {
                branch: branch.clone(),
                repo: self.repo.or(env_repo).with_context(|| {
                    format!("verify --branch {branch}: name the repository holding it: --repo PATH, or set GLUSTER_REPO")
                })?,
                upstream: self.upstream.clone(),
                base: self.base,
                jobs: self.jobs,
                builds_dir: match self.builds_dir {
                    Some(d) => d,
                    None => ab::builds_dir()?,
                },
                keep_base_tree: false,
            }),
        };
        let default = matrix::Plan::default();
        Ok(matrix::Plan {
            series: default.series,
            prefixes: self.prefix,
            fixed: self.fixed,
            fixed_delivery: Some(self.fixed_delivery),
            unfixed: self.unfixed,
            upstream: self.upstream,
            ab,
            reference: self.reference,
            subvols: self.subvols,
            hosts: if self.hosts.is_empty() {
                default.hosts
            } else {
                self.hosts
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn verify_with_tests_is_the_regress_ab_of_the_same_branch() {
        let cli = Cli::try_parse_from([
            "xtask", "verify", "--branch", "fixes", "--repo", "/r", "--base", "v3.12.15",
            "--tests", "auto", "--json",
        ])
        .unwrap();
        let Cmd::Verify(v) = cli.cmd else {
            panic!("not verify")
        };
        let r = v.regress().unwrap();
        assert_eq!(r.branch.as_deref(), Some("fixes"));
        assert_eq!(r.base.as_deref(), Some("v3.12.15"));
        assert_eq!(r.tests, ["auto"]);
        assert!(r.json && r.build.is_none());
        // Without --tests, verify is the matrix.
        let cli =
            Cli::try_parse_from(["xtask", "verify", "--branch", "b", "--repo", "/r"]).unwrap();
        let Cmd::Verify(v) = cli.cmd else {
            panic!("not verify")
        };
        assert!(v.regress().is_none());
        // --tests needs a branch to compare.
        assert!(Cli::try_parse_from(["xtask", "verify", "--tests", "auto"]).is_err());
    }

    #[test]
    fn verify_branch_takes_its_repository_from_gluster_repo_as_every_task_does() {
        let parse = |args: &[&str]| {
            let Cmd::Verify(v) = Cli::try_parse_from(args).unwrap().cmd else {
                panic!("not verify")
            };
            v
        };
        let plan = parse(&["xtask", "verify", "--branch", "b"])
            .plan_with(Some("/env/clone".into()))
            .unwrap();
        assert_eq!(plan.ab.unwrap().repo, std::path::Path::new("/env/clone"));
        let plan = parse(&["xtask", "verify", "--branch", "b", "--repo", "/flag"])
            .plan_with(Some("/env/clone".into()))
            .unwrap();
        assert_eq!(plan.ab.unwrap().repo, std::path::Path::new("/flag"));
        let Err(e) = parse(&["xtask", "verify", "--branch", "b"]).plan_with(None) else {
            panic!("no repository named, yet a plan")
        };
        assert!(
            format!("{e:#}").contains("--repo PATH, or set GLUSTER_REPO"),
            "{e:#}"
        );
        // Every host shape unless told: the default is the plan's own.
        let plan = parse(&["xtask", "verify"]).plan_with(None).unwrap();
        assert_eq!(plan.hosts, verify::Host::ALL);
    }
}
