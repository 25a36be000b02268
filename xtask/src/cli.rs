//! Every flag of `cargo xtask`, declared once, and the defaults resolved
//! once: the repository (--repo, then $GLUSTER_REPO, then the current
//! directory), the series (`paths::series`), the target directory
//! (`paths::target_dir`). `main.rs` parses and dispatches; each task gets
//! typed options, never a flag to read again.

use crate::{ab, matrix};
use anyhow::Result;
use std::path::PathBuf;

/// --repo, else $GLUSTER_REPO: a GlusterFS clone, when one was named.
pub fn named_repo(flag: Option<PathBuf>) -> Option<PathBuf> {
    flag.or_else(|| std::env::var_os("GLUSTER_REPO").map(PathBuf::from))
}

/// --repo, else $GLUSTER_REPO, else the current directory.
pub fn repo(flag: Option<PathBuf>) -> PathBuf {
    named_repo(flag).unwrap_or_else(|| PathBuf::from("."))
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
    /// An installed build known to lack the events.c fix; repeatable.
    #[arg(long)]
    pub unfixed: Vec<PathBuf>,
    /// The A/B: build BRANCH and its base, run the matrix on both.
    #[arg(long, requires = "repo")]
    pub branch: Option<String>,
    /// The repository holding BRANCH.
    #[arg(long)]
    pub repo: Option<PathBuf>,
    /// Where the series' upstream commits are read from [default: --repo].
    #[arg(long)]
    pub upstream: Option<PathBuf>,
    /// The base of the A/B [default: the newest release tag BRANCH contains].
    #[arg(long, requires = "branch")]
    pub base: Option<String>,
    /// Where the A/B installs its builds [default: TARGET_DIR/gluster-builds].
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
    /// Print the matrix as one JSON document on stdout (progress on stderr).
    #[arg(long)]
    pub json: bool,
}

impl VerifyArgs {
    /// The matrix's plan, with the A/B's defaults resolved.
    pub fn plan(self) -> Result<matrix::Plan> {
        let ab = match self.branch {
            None => None,
            Some(branch) => Some(ab::Options {
                branch,
                repo: self.repo.expect("clap requires --repo with --branch"),
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
        Ok(matrix::Plan {
            prefixes: self.prefix,
            fixed: self.fixed,
            unfixed: self.unfixed,
            upstream: self.upstream,
            ab,
            reference: self.reference,
            subvols: self.subvols,
        })
    }
}
