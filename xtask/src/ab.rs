//! The A/B behind `verify --branch`: which two revisions to build (the
//! branch, and its base, by default the newest release tag it contains),
//! building them with `cargo xtask build`, and asking the kit itself
//! (`backport --check` on each revision) which one has the events.c fix, so
//! the verdicts rest on what the code is, not on how a cell behaved.
//!
//! And the suite's real A/B on GlusterFS 3.12.15, from the small upstream
//! repository in `../shared/glusterfs/` (read-only: it is extracted to a temp
//! dir): clone it as a user's fork, port the series onto release-3.12 with
//! the engine, build base and branch before the tests (so the legacy-build
//! tests run on them), then `verify --branch release-3.12`, which reuses the
//! builds and judges both strictly.

use anyhow::{bail, Context, Result};
use duct::cmd;
use git2::{DescribeOptions, Repository};
use std::path::{Path, PathBuf};
use verify::Role;

pub struct Options {
    pub branch: String,
    pub repo: PathBuf,
    /// Where the series' upstream commits are read from [default: repo].
    pub upstream: Option<PathBuf>,
    /// The revision to compare with [default: newest tag in the branch].
    pub base: Option<String>,
    pub jobs: usize,
    /// Where builds are installed, one prefix per commit.
    pub builds_dir: PathBuf,
    /// Name the base's built tree in its report (the suite compiles
    /// against it). The tree is kept either way: the branch starts from it.
    pub keep_base_tree: bool,
}

/// A revision by the ref that names it, since `backport --check` reads refs.
#[derive(Debug, Clone)]
pub struct Rev {
    pub name: String,
    pub refname: String,
    pub commit: String,
}

fn resolve(repo: &Repository, name: &str) -> Result<Rev> {
    let candidates = if name.starts_with("refs/") {
        vec![name.to_string()]
    } else {
        vec![format!("refs/heads/{name}"), format!("refs/tags/{name}")]
    };
    for refname in candidates {
        if let Ok(r) = repo.find_reference(&refname) {
            let commit = r.peel_to_commit()?.id().to_string();
            return Ok(Rev {
                name: name.trim_start_matches("refs/heads/").to_string(),
                refname,
                commit,
            });
        }
    }
    bail!(
        "no branch or tag {name} in {}: name a branch or tag (the fix check reads refs; for a bare commit, make a branch: git branch NAME SHA)",
        repo.path().display()
    )
}

/// The newest release tag that `branch` contains, as `git describe --tags --abbrev=0`.
fn newest_tag(repo: &Repository, branch: &Rev) -> Result<String> {
    let obj = repo.revparse_single(&branch.commit)?;
    let d = obj
        .describe(DescribeOptions::new().describe_tags().pattern("v[0-9]*"))
        .with_context(|| {
            format!(
                "{} contains no release tag (v*): pass --base REV",
                branch.name
            )
        })?;
    Ok(d.format(Some(git2::DescribeFormatOptions::new().abbreviated_size(0)))?)
}

/// The newest release tag (v*) in `branch`'s history: the base an A/B
/// takes when none is named.
pub fn nearest_release_tag(repo: &Path, branch: &str) -> Result<String> {
    let git = crate::backport::open_repo(repo, "--repo")?;
    let rev = resolve(&git, branch)?;
    newest_tag(&git, &rev)
}

/// The base and the branch, resolved (nothing built yet).
pub fn revisions(opts: &Options) -> Result<(Rev, Rev)> {
    let repo = crate::backport::open_repo(&opts.repo, "--repo")?;
    let branch = resolve(&repo, &opts.branch)?;
    let base_name = match &opts.base {
        Some(b) => b.clone(),
        None => newest_tag(&repo, &branch)?,
    };
    let base = resolve(&repo, &base_name)?;
    if base.commit == branch.commit {
        bail!(
            "{} and its base {} are the same commit: there is nothing to compare. Port the fix first (cargo xtask backport {}), or pass --base",
            branch.name,
            base.name,
            branch.name
        );
    }
    Ok((base, branch))
}

/// Whether the build installed at `prefix` has the stall fix: its stamp
/// names the repository and commit, and `backport --check` is asked there.
pub fn stamp_fixed(prefix: &Path, upstream: Option<&Path>) -> Result<bool> {
    let report = verify::stamp::read(prefix)?;
    let rev = ref_at(&report.repo, &report.commit)?;
    has_fix(&report.repo, upstream, &rev)
}

/// Whether the build at `prefix` has the delivery stage, by its stamp;
/// None when the stage's commits cannot be read.
pub fn stamp_delivery(prefix: &Path, upstream: Option<&Path>) -> Result<Option<bool>> {
    let report = verify::stamp::read(prefix)?;
    let rev = ref_at(&report.repo, &report.commit)?;
    has_delivery(&report.repo, upstream, &rev)
}

/// A branch or tag of `repo` at `commit` (the fix check reads refs).
fn ref_at(repo: &Path, commit: &str) -> Result<Rev> {
    let r = crate::backport::open_repo(repo, "the build stamp's repo")?;
    for reference in r.references()?.flatten() {
        let Some(name) = reference.name().map(String::from) else {
            continue;
        };
        if !(name.starts_with("refs/heads/") || name.starts_with("refs/tags/")) {
            continue;
        }
        if reference
            .peel_to_commit()
            .is_ok_and(|c| c.id().to_string() == commit)
        {
            return Ok(Rev {
                name: name.clone(),
                refname: name,
                commit: commit.into(),
            });
        }
    }
    bail!(
        "no branch or tag of {} points at {commit}, the commit the build was made from: make one (git branch NAME {commit}), or pass --fixed/--unfixed",
        repo.display()
    )
}

/// Whether `rev` has the stall fix, by the kit's own `backport --check`.
pub fn has_fix(repo: &Path, upstream: Option<&Path>, rev: &Rev) -> Result<bool> {
    let only = crate::backport::Options {
        only: vec![STALL_FIX.into()],
        ..Default::default()
    };
    check(repo, upstream, rev, only, "the events.c fix")
}

/// Whether `rev` has the delivery stage (events on every host shape), by
/// `backport --check --stage delivery`; None when the stage's upstream
/// commits cannot be read (the small shared repository lacks them), so the
/// kit cannot tell.
pub fn has_delivery(repo: &Path, upstream: Option<&Path>, rev: &Rev) -> Result<Option<bool>> {
    if !delivery_commits_in(upstream.unwrap_or(repo))? {
        return Ok(None);
    }
    let stage = crate::backport::Options {
        stages: vec![DELIVERY_STAGE.into()],
        ..Default::default()
    };
    check(repo, upstream, rev, stage, "the delivery stage").map(Some)
}

/// `backport --check` of the fixes `select` names on `rev`: all present.
fn check(
    repo: &Path,
    upstream: Option<&Path>,
    rev: &Rev,
    select: crate::backport::Options,
    what: &str,
) -> Result<bool> {
    let opts = crate::backport::Options {
        branch: rev.refname.clone(),
        repo: repo.to_path_buf(),
        upstream: upstream.map(Path::to_path_buf),
        series: crate::paths::series(),
        check: true,
        ..select
    };
    let outcome =
        crate::backport::run(&opts).with_context(|| format!("checking {} for {what}", rev.name))?;
    Ok(outcome.all_present())
}

/// Whether `upstream` holds a port of every default fix of the delivery stage.
pub fn delivery_commits_in(upstream: &Path) -> Result<bool> {
    let repo = crate::backport::open_repo(upstream, "the upstream commits")?;
    let m = crate::backport::manifest::load(&crate::paths::series())?;
    Ok(m.fixes
        .iter()
        .filter(|f| !f.optional && m.stage_of(f).is_some_and(|s| s.id == DELIVERY_STAGE))
        .all(|f| {
            f.ports
                .iter()
                .any(|p| crate::backport::upstream::find(&repo, &p.commit).is_some())
        }))
}

fn prefix_for(builds_dir: &Path, rev: &Rev) -> PathBuf {
    build_prefix(builds_dir, &rev.name, &rev.commit)
}

/// Where the A/Bs install the build of `name` at `commit` in
/// `builds_dir`: the name made path-safe, and the commit's first ten digits.
pub fn build_prefix(builds_dir: &Path, name: &str, commit: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    builds_dir.join(format!("{safe}-{}", &commit[..10]))
}

/// One side of the A/B, built.
pub struct Built {
    /// Base or branch.
    pub role: Role,
    pub rev: Rev,
    pub prefix: PathBuf,
    /// `backport --check` on the revision: it has the stall fix.
    pub fixed: bool,
    /// `backport --check --stage delivery`: None when the kit cannot tell.
    pub delivery: Option<bool>,
    pub report: crate::build::Report,
}

/// Builds base and branch (reusing a prefix that already holds the same
/// commit); the branch starts from a copy of the base's built tree when
/// configure reads none of the files between them (`build::reuse`).
/// Refuses an A/B whose base has the fix or whose branch lacks it.
pub fn prepare(opts: &Options) -> Result<Vec<Built>> {
    let (base, branch) = revisions(opts)?;
    let mut built = Vec::new();
    let fixes = [
        has_fix(&opts.repo, opts.upstream.as_deref(), &base)?,
        has_fix(&opts.repo, opts.upstream.as_deref(), &branch)?,
    ];
    if fixes[0] {
        bail!(
            "the base {} already has the events.c fix: an A/B needs an unfixed base; pass an older --base",
            base.name
        );
    }
    if !fixes[1] {
        bail!(
            "{} lacks the events.c fix: port it first (cargo xtask backport {} --repo {}), then verify",
            branch.name,
            branch.name,
            opts.repo.display()
        );
    }
    for ((role, rev), fixed) in [(Role::Base, &base), (Role::Branch, &branch)]
        .into_iter()
        .zip(fixes)
    {
        eprintln!(
            "[verify] {role} {} ({}): {}",
            rev.name,
            &rev.commit[..10],
            if fixed {
                "has the events.c fix"
            } else {
                "lacks the events.c fix"
            }
        );
        let delivery = has_delivery(&opts.repo, opts.upstream.as_deref(), rev)?;
        eprintln!(
            "[verify] {role} {}: {}",
            rev.name,
            match delivery {
                Some(true) => "has the delivery stage",
                Some(false) => "lacks the delivery stage (events lost on dual-stack and IPv6-only hosts)",
                None => "delivery stage unknown: its upstream commits are not in the upstream repository",
            }
        );
        let prefix = prefix_for(&opts.builds_dir, rev);
        askable(&prefix)?;
        // The base's install as its stamp names it: canonical, whatever
        // --builds-dir was given as.
        let base_prefix = built.first().map(|b: &Built| b.report.prefix.clone());
        let mut report = crate::build::run(&crate::build::Options {
            rev: rev.commit.clone(),
            repo: opts.repo.clone(),
            prefix: prefix.clone(),
            jobs: opts.jobs,
            force: false,
            keep_tree: role == Role::Base,
            // The branch is built for the base's prefix where it can be, so
            // make redoes only what differs; it then runs bound there.
            run_at: base_prefix
                .clone()
                .filter(|_| crate::build::can_build_in_base_paths()),
            from: base_prefix,
        })
        .with_context(|| format!("building {role} {}", rev.name))?;
        if role == Role::Base && !opts.keep_base_tree {
            report.tree = None;
        }
        built.push(Built {
            role,
            rev: rev.clone(),
            prefix,
            fixed,
            delivery,
            report,
        });
    }
    Ok(built)
}

/// The small upstream repository in `../shared/glusterfs/`, when it is there.
pub fn shared_tar() -> Option<PathBuf> {
    crate::paths::shared_glusterfs().map(|d| d.join("glusterfs-v3.12.15.git.tar"))
}

/// Extracts the shared tar (never written to) into `dir`; the bare
/// repository's path.
pub fn extract(tar: &Path, dir: &Path) -> Result<PathBuf> {
    cmd!("tar", "-xf", tar, "-C", dir)
        .run()
        .with_context(|| format!("extracting {}", tar.display()))?;
    Ok(dir.join("glusterfs.git"))
}

/// The upstream repo and a fork with the series ported onto release-3.12.
/// Both stages are read from the shared repository when it holds the
/// delivery stage's commits (it does since they were added to it); an
/// older one with the stall stage alone falls back to a full clone in
/// `$GLUSTER_REPO` (opt-in), else the delivery stage is left out and the
/// run says so.
pub fn fork_with_backport(tar: &Path, dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let shared = extract(tar, dir)?;
    let fork = dir.join("fork");
    cmd!("git", "clone", "--quiet", &shared, &fork)
        .run()
        .context("cloning the fork")?;
    // The fork is the suite's own, in its temp dir: on a machine with no git
    // identity (a fresh one, a CI runner) its commits get the kit's.
    let repo = git2::Repository::open(&fork)?;
    if repo.signature().is_err() {
        let mut cfg = repo.config()?.open_level(git2::ConfigLevel::Local)?;
        cfg.set_str("user.name", "gluster-legacy-kit a/b")?;
        cfg.set_str("user.email", "ab@gluster-legacy-kit.invalid")?;
    }
    let (upstream, stages) = delivery_source(shared)?;
    let outcome = crate::backport::run(&crate::backport::Options {
        branch: "release-3.12".into(),
        repo: fork.clone(),
        upstream: Some(upstream.clone()),
        series: crate::paths::series(),
        stages,
        ..Default::default()
    })?;
    eprint!("{}", crate::backport::report::text(&outcome));
    if outcome.commits.is_empty() {
        bail!("the backport made no commit on release-3.12");
    }
    Ok((upstream, fork))
}

/// Where the fork's series is read from, and which stages it ports: the
/// shared repository with every stage when it holds the delivery stage's
/// commits, else `$GLUSTER_REPO` when that does, else the shared one with
/// the stall stage alone (said as SKIPPED).
fn delivery_source(shared: PathBuf) -> Result<(PathBuf, Vec<String>)> {
    if delivery_commits_in(&shared)? {
        eprintln!("==> both stages of the series from ../shared/glusterfs");
        return Ok((shared, Vec::new()));
    }
    let full = std::env::var_os("GLUSTER_REPO")
        .map(PathBuf::from)
        .filter(|p| delivery_commits_in(p).unwrap_or(false));
    Ok(match full {
        Some(full) => {
            eprintln!(
                "==> the delivery stage's upstream commits from GLUSTER_REPO={}",
                full.display()
            );
            (full, Vec::new())
        }
        None => {
            eprintln!(
                "SKIPPED delivery stage of the a/b fork: its upstream commits are not in this \
                 ../shared/glusterfs; GLUSTER_REPO=<full GlusterFS clone> ports and proves it"
            );
            (shared, vec!["stall".to_string()])
        }
    })
}

/// The suite's A/B material: the fork with the series ported, and both builds.
pub struct Shared {
    _dir: tempfile::TempDir,
    pub upstream: PathBuf,
    pub fork: PathBuf,
    pub built: Vec<Built>,
}

impl Shared {
    pub fn prefix(&self, role: Role) -> Option<&Path> {
        self.built
            .iter()
            .find(|b| b.role == role)
            .map(|b| b.prefix.as_path())
    }

    /// Whether the branch has the delivery stage (None: cannot tell).
    pub fn branch_delivery(&self) -> Option<bool> {
        self.built
            .iter()
            .find(|b| b.role == verify::Role::Branch)
            .and_then(|b| b.delivery)
    }

    /// The base's kept build tree.
    pub fn base_tree(&self) -> Option<&Path> {
        self.built
            .iter()
            .find(|b| b.role == Role::Base)
            .and_then(|b| b.report.tree.as_deref())
    }
}

/// Ports the series onto the shared 3.12.15 and builds base and branch;
/// None (skipped, and why) where it cannot run.
pub fn prepare_shared() -> Result<Option<Shared>> {
    let Some(tar) = shared_tar() else {
        eprintln!(
            "SKIPPED a/b: ../shared/glusterfs is not beside the project. With a GlusterFS clone: \
             cargo xtask backport release-3.12 --repo $GLUSTER_REPO && \
             cargo xtask verify --branch release-3.12 --repo $GLUSTER_REPO"
        );
        return Ok(None);
    };
    if !crate::host::is_root() {
        eprintln!("SKIPPED a/b: needs root to install build dependencies and for the cluster's namespaces");
        return Ok(None);
    }
    eprintln!("==> a/b: backport onto release-3.12 of v3.12.15, build base and branch");
    let dir = tempfile::tempdir()?;
    let (upstream, fork) = fork_with_backport(&tar, dir.path())?;
    let built = prepare(&Options {
        branch: "release-3.12".into(),
        repo: fork.clone(),
        upstream: Some(upstream.clone()),
        base: None,
        jobs: 2,
        builds_dir: builds_dir()?,
        keep_base_tree: true,
    })?;
    Ok(Some(Shared {
        _dir: dir,
        upstream,
        fork,
        built,
    }))
}

/// Where `verify --branch` installs its builds unless told otherwise.
pub fn builds_dir() -> Result<PathBuf> {
    // The dot is for the unfixed build's socket path, which glibc 2.17
    // asks DNS for: it ends the first DNS label early (see `askable`).
    Ok(crate::paths::target_dir()?.join("gluster.builds"))
}

/// Whether a resolver can put the socket path of a build in `prefix` into
/// a DNS query at all: each dot-separated label at most 63 bytes, the name
/// at most 253. If not, glibc 2.17 fails the lookup at once, as
/// `res_mkquery` refuses it, and the unfixed build does not stall: the A/B
/// would prove nothing.
pub fn askable(prefix: &Path) -> Result<()> {
    let socket = prefix.join("var/run/glusterd.socket");
    let name = socket.to_string_lossy();
    let longest = name.split('.').map(str::len).max().unwrap_or(0);
    if longest > 63 || name.len() > 253 {
        bail!(
            "the build's socket path {name} holds a DNS label of {longest} bytes (at most 63, \
             the name at most 253): glibc 2.17 cannot even ask DNS for it, so the unfixed build \
             would fail its lookups at once instead of stalling. Use a shorter --builds-dir, or \
             a checkout or target dir with a shorter path"
        );
    }
    Ok(())
}

/// The fix whose presence decides the verdicts: the one for the stall.
pub const STALL_FIX: &str = "unix-volfile";
/// The stage whose presence decides the per-host event verdicts.
pub const DELIVERY_STAGE: &str = "delivery";

#[cfg(test)]
mod askable_tests {
    use super::askable;
    use std::path::Path;

    #[test]
    fn a_socket_path_with_a_label_over_63_bytes_is_refused() {
        // Seen with prefixes named by commit alone: 65 bytes up to the first
        // dot, so the unfixed build's lookups failed at once and no cell
        // stalled.
        let long = Path::new("/work/fresh10/target/gluster-builds/a1cf0f2c8ba4");
        let e = askable(long).unwrap_err().to_string();
        assert!(e.contains("DNS label of 65 bytes"), "{e}");
        assert!(askable(Path::new(
            "/work/fresh10/target/gluster.builds/a1cf0f2c8ba4"
        ))
        .is_ok());
    }
}
