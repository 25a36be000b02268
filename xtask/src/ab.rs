//! The A/B behind `verify --branch`: which two revisions to build (the
//! branch, and its base, by default the newest release tag it contains),
//! building them with `cargo xtask build`, and asking the kit itself
//! (`backport --check` on each revision) which one has the events.c fix, so
//! the verdicts rest on what the code is, not on how a cell behaved. What
//! a build has of each stage goes into its stamp when it is built
//! (`record_stages`), so `verify --prefix` can still tell once the
//! repository the stamp names is gone.
//!
//! And the suite's real A/B on GlusterFS 3.12.15, from the small upstream
//! repository in `../shared/glusterfs/` (read-only: it is extracted to a temp
//! dir): clone it as a user's fork, port the series onto release-3.12 with
//! the engine, build base and branch before the tests (so the legacy-build
//! tests run on them), then `verify --branch release-3.12`, which reuses the
//! builds and judges both strictly.

use crate::digest::file_sha256;
use anyhow::{bail, Context, Result};
use backport::git::{self, Repository};
use std::path::{Path, PathBuf};
use verify::judge::STALL;
use verify::{Role, Stages};

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
/// A revision the A/B builds: a branch or tag, by name, ref and commit.
pub type Rev = git::rev::Named;

fn resolve(repo: &Repository, name: &str) -> Result<Rev> {
    match git::rev::branch_or_tag(repo, name)? {
        Some(r) => Ok(r),
        None => bail!(
            "no branch or tag {name} in {}: name a branch or tag (the fix check reads refs; for a bare commit, make a branch: git branch NAME SHA)",
            repo.path().display()
        ),
    }
}

/// The newest release tag that `branch` contains, as `git describe --tags --abbrev=0`.
fn newest_tag(repo: &Repository, branch: &Rev) -> Result<String> {
    git::rev::describe(repo, &branch.commit, true).with_context(|| {
        format!(
            "{} contains no release tag (v*): pass --base REV",
            branch.name
        )
    })
}

/// The newest release tag (v*) in `branch`'s history: the base an A/B
/// takes when none is named.
pub fn nearest_release_tag(repo: &Path, branch: &str) -> Result<String> {
    let git = git::open(repo, "--repo")?;
    let rev = resolve(&git, branch)?;
    newest_tag(&git, &rev)
}

/// The base and the branch, resolved (nothing built yet).
pub fn revisions(opts: &Options) -> Result<(Rev, Rev)> {
    let repo = git::open(&opts.repo, "--repo")?;
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

/// What the build installed at `prefix` has of each stage of the series:
/// what its stamp recorded against this same manifest, where that knows
/// every stage; else `backport --check` asked on the commit the stamp
/// names, in the repository it names; and when that repository cannot be
/// asked, the stamp's record after all, unknown stages and all.
pub fn stamp_stages(series: &Path, prefix: &Path, upstream: Option<&Path>) -> Result<Stages> {
    let report = verify::stamp::read(prefix)?;
    let digest = file_sha256(series)?;
    let stamped = report
        .stages
        .as_ref()
        .filter(|s| s.series_sha256 == digest)
        .map(|s| s.stages.clone());
    let manifest = backport::manifest::load(series)?;
    if let Some(s) = &stamped {
        if manifest.stages.iter().all(|st| s.has(&st.id).is_some()) {
            return Ok(s.clone());
        }
    }
    let asked = ref_at(&report.repo, &report.commit)
        .and_then(|rev| stages(series, &report.repo, upstream, &rev));
    match (asked, stamped) {
        (Ok(s), _) => Ok(s),
        (Err(e), Some(s)) => {
            eprintln!(
                "[verify] {}: {e:#}; its stamp's record is used: {s}",
                prefix.display()
            );
            Ok(s)
        }
        (Err(e), None) => Err(e.context(format!(
            "{} records no stages checked against {} (built before the kit recorded them, or against another manifest)",
            verify::stamp::path(prefix).display(),
            series.display()
        ))),
    }
}

/// Asks what the build at `prefix` has of each stage (`backport --check` on
/// the commit and in the repository its stamp names) and records the
/// answer in its stamp; returns the record.
pub fn record_stages(
    series: &Path,
    prefix: &Path,
    upstream: Option<&Path>,
) -> Result<verify::stamp::StampedStages> {
    let stamp = verify::stamp::read(prefix)?;
    let rev = ref_at(&stamp.repo, &stamp.commit)?;
    let known = stages(series, &stamp.repo, upstream, &rev)?;
    write_stages(series, prefix, stamp, known)
}

/// Records `known`, checked against `series`, in `stamp`, the stamp at
/// `prefix` as read from there: the rest stays as the build wrote it (a
/// caller's report of a reused install says `reused`; the stamp does not).
fn write_stages(
    series: &Path,
    prefix: &Path,
    mut stamp: verify::stamp::Report,
    known: Stages,
) -> Result<verify::stamp::StampedStages> {
    let record = verify::stamp::StampedStages {
        series_sha256: file_sha256(series)?,
        stages: known,
    };
    stamp.stages = Some(record.clone());
    verify::stamp::write(prefix, &stamp)?;
    Ok(record)
}

/// A branch or tag of `repo` at `commit` (the fix check reads refs).
fn ref_at(repo: &Path, commit: &str) -> Result<Rev> {
    let r = git::open(repo, "the build stamp's repo")?;
    match git::rev::ref_at(&r, commit)? {
        Some(rev) => Ok(rev),
        None => bail!(
            "no branch or tag of {} points at {commit}, the commit the build was made from: make one (git branch NAME {commit}), or pass --fixed/--unfixed",
            repo.display()
        ),
    }
}

/// What `rev` has of each stage of the series, by the kit's own
/// `backport --check --stage ID`, stage by stage as the manifest lists
/// them. A stage whose upstream commits the upstream repository lacks is
/// unknown: the kit cannot tell, and says so rather than guess.
pub fn stages(series: &Path, repo: &Path, upstream: Option<&Path>, rev: &Rev) -> Result<Stages> {
    let manifest = backport::manifest::load(series)?;
    let mut known = Stages::unknown();
    for stage in &manifest.stages {
        let status =
            if crate::shared::stage_commits_in(upstream.unwrap_or(repo), series, &stage.id)? {
                let select = backport::Options {
                    stages: vec![stage.id.clone()],
                    ..Default::default()
                };
                Some(check(series, repo, upstream, rev, select, &stage.id)?)
            } else {
                None
            };
        known = known.with(&stage.id, status);
    }
    Ok(known)
}

/// `backport --check` of the fixes `select` names on `rev`: all present.
fn check(
    series: &Path,
    repo: &Path,
    upstream: Option<&Path>,
    rev: &Rev,
    select: backport::Options,
    what: &str,
) -> Result<bool> {
    let opts = backport::Options {
        branch: rev.refname.clone(),
        repo: repo.to_path_buf(),
        upstream: upstream.map(Path::to_path_buf),
        series: series.to_path_buf(),
        check: true,
        ..select
    };
    let outcome =
        backport::run(&opts).with_context(|| format!("checking {} for {what}", rev.name))?;
    Ok(outcome.all_present())
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
    /// `backport --check --stage ID` on the revision, per stage.
    pub stages: Stages,
    pub report: crate::build::Report,
}

/// Builds base and branch (reusing a prefix that already holds the same
/// commit); the branch starts from a copy of the base's built tree when
/// configure reads none of the files between them (`build::reuse`).
/// Refuses an A/B whose base has the fix or whose branch lacks it.
pub fn prepare(opts: &Options, series: &Path) -> Result<Vec<Built>> {
    let (base, branch) = revisions(opts)?;
    let mut built = Vec::new();
    let known = [
        stages(series, &opts.repo, opts.upstream.as_deref(), &base)?,
        stages(series, &opts.repo, opts.upstream.as_deref(), &branch)?,
    ];
    // The A/B proves the stall stage: its base must lack it, its branch have it.
    match known[0].has(STALL) {
        Some(false) => {}
        Some(true) => bail!(
            "the base {} already has the stall stage (the events.c fix): an A/B needs an unfixed base; pass an older --base",
            base.name
        ),
        None => bail!(
            "cannot tell whether the base {} has the stall stage: its upstream commits are not in the upstream repository; pass --upstream a GlusterFS clone",
            base.name
        ),
    }
    if known[1].has(STALL) != Some(true) {
        bail!(
            "{} lacks the stall stage (the events.c fix): port it first (cargo xtask backport {} --repo {}), then verify",
            branch.name,
            branch.name,
            opts.repo.display()
        );
    }
    for ((role, rev), stages) in [(Role::Base, &base), (Role::Branch, &branch)]
        .into_iter()
        .zip(known)
    {
        eprintln!(
            "[verify] {role} {} ({}): {stages}",
            rev.name,
            &rev.commit[..10],
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
        // The stamp answers for the build from now on, repository or not.
        let stamp = verify::stamp::read(&prefix)?;
        report.stages = Some(write_stages(series, &prefix, stamp, stages.clone())?);
        if role == Role::Base && !opts.keep_base_tree {
            report.tree = None;
        }
        built.push(Built {
            role,
            rev: rev.clone(),
            prefix,
            stages,
            report,
        });
    }
    Ok(built)
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

    /// What the branch has of each stage.
    pub fn branch_stages(&self) -> Stages {
        self.built
            .iter()
            .find(|b| b.role == verify::Role::Branch)
            .map(|b| b.stages.clone())
            .unwrap_or_default()
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
    let Some(tar) = crate::shared::shared_tar() else {
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
    let (upstream, fork) = crate::shared::fork_with_backport(&tar, dir.path())?;
    let built = prepare(
        &Options {
            branch: "release-3.12".into(),
            repo: fork.clone(),
            upstream: Some(upstream.clone()),
            base: None,
            jobs: 2,
            builds_dir: builds_dir()?,
            keep_base_tree: true,
        },
        &crate::paths::series(),
    )?;
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
