//! `cargo xtask build`: builds and installs a legacy GlusterFS tree (release
//! lines 3.10 to 7.x) with this machine's modern toolchain. It reads REV from
//! the user's repository without touching its work tree, index or refs,
//! exports it to a work dir of its own, applies there what the toolchain
//! needs (each item named in the report), and runs autogen, configure, make
//! and make install through ccache. Stages, in order: `export` (resolve and
//! write the tree), `deps` (Debian build dependencies), `compat` (plan and
//! apply the toolchain fixes), `make` (the autotools steps, logged), `report`
//! (the result and the stamp that lets a second call reuse the install).
//! With a base build to start from (`--from-build`), `reuse` replaces
//! autogen and configure by a copy of the base's tree when configure reads
//! none of the files that differ; `compare` checks such a build against a
//! cold one of the same commit. A build for another prefix (`--run-at`) is
//! installed through `staged`, and one for its base's prefix is made in the
//! base's own paths (`in_base_paths`), so make redoes only what differs.

pub mod compare;
pub mod compat;
mod deps;
mod export;
pub mod make;
pub mod report;
pub mod reuse;
pub mod rpm_layout;
pub mod staged;

pub use report::{Report, Seconds};

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to build and where to install it.
pub struct Options {
    /// A branch, tag or commit of `repo`.
    pub rev: String,
    pub repo: PathBuf,
    /// The install prefix (`configure --prefix`); created if absent.
    pub prefix: PathBuf,
    /// `make -j` (0: the number of CPUs).
    pub jobs: usize,
    /// Rebuild even when PREFIX already holds an install of the same commit.
    pub force: bool,
    /// Keep the built tree (its generated headers, config.h) after install,
    /// for code that compiles against the build, or for a later build to
    /// start from; its path is in the report.
    pub keep_tree: bool,
    /// A build (its prefix) whose kept tree this one may start from, when
    /// configure reads none of the files that differ; else a cold build.
    pub from: Option<PathBuf>,
    /// The prefix to configure for when it is not `prefix` (see
    /// `staged`): an existing absolute directory.
    pub run_at: Option<PathBuf>,
}

/// Whether a build can be made in its base's paths here (the steps get a
/// mount namespace to bind them in), as the A/B asks with `run_at`.
pub fn can_build_in_base_paths() -> bool {
    make::can_bind()
}

/// Builds `opts.rev` and installs it into `opts.prefix`, or reports the
/// install already there when it is of the same commit.
pub fn run(opts: &Options) -> Result<Report> {
    let start = Instant::now();
    let source = export::resolve(&opts.repo, &opts.rev)?;
    let existed = opts.prefix.exists();
    let run_at = run_at(opts)?;
    let prefix = make::prepare_prefix(&opts.prefix)?;
    let run_at = run_at.filter(|r| *r != prefix);
    let result = build(opts, &source, &prefix, run_at.as_deref(), start);
    if result.is_err() && !existed {
        // A prefix this call created goes again if nothing was installed.
        let _ = std::fs::remove_dir(&prefix);
    }
    result
}

/// `--run-at`, checked: the programs will name it, and it is bound over to
/// run them, so it must be an existing directory, named absolutely.
fn run_at(opts: &Options) -> Result<Option<PathBuf>> {
    let Some(r) = &opts.run_at else {
        return Ok(None);
    };
    if !r.is_absolute() || !r.is_dir() {
        bail!(
            "--run-at {} is not an existing directory named from /: the install is bound there \
             to run, so build (or create) it first",
            r.display()
        );
    }
    if !make::can_bind() {
        bail!(
            "--run-at needs a mount namespace to run the install where it was built for, and \
             unshare is refused here: run as root, or allow unprivileged user namespaces"
        );
    }
    Ok(Some(
        r.canonicalize()
            .with_context(|| format!("resolving {}", r.display()))?,
    ))
}

fn build(
    opts: &Options,
    source: &export::Source,
    prefix: &Path,
    run_at: Option<&Path>,
    start: Instant,
) -> Result<Report> {
    refuse_nested(prefix, run_at)?;
    if let Some(r) = reusable(opts, source, prefix, run_at) {
        return Ok(r);
    }
    // Whatever the prefix held is no longer what its stamp says from the
    // first file make install writes: a build killed from here on leaves no
    // stamp, so the next call builds again instead of trusting a half install.
    remove_stamp(prefix)?;
    // A staged install killed before its move: not part of any install.
    staged::remove_stage(prefix)?;
    let work = work_dir(prefix)?;
    let mut steps = make::Steps::new(&work.join("build.log"))?;
    eprintln!(
        "==> building {} ({}) into {}; log: {}",
        opts.rev,
        short(&source.commit),
        prefix.display(),
        steps.log().display()
    );

    let t = Instant::now();
    deps::ensure()?;
    let deps_seconds = t.elapsed().as_secs_f64();

    let toolchain = compat::Toolchain::detect()?;
    let jobs = if opts.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.jobs
    };
    let src = work.join("src");
    let (from_base, why) =
        match reuse::decide(&opts.repo, &source.commit, opts.from.as_deref(), prefix) {
            Ok(base) => {
                let job = FromBase {
                    opts,
                    source,
                    base: &base,
                    toolchain: &toolchain,
                    work: &work,
                    prefix,
                    run_at,
                    jobs,
                };
                job.try_build(&mut steps)?
            }
            Err(why) => {
                if opts.from.is_some() {
                    eprintln!("    cold build: {why}");
                }
                (None, why)
            }
        };
    let built = match from_base {
        Some(b) => b,
        None => cold(
            opts, source, &toolchain, &src, prefix, run_at, jobs, &mut steps, why,
        )?,
    };
    let seconds = Seconds {
        deps: deps_seconds,
        total: start.elapsed().as_secs_f64(),
        ..built.seconds
    };
    let origin = report::Origin {
        repo: &opts.repo,
        rev: &opts.rev,
        commit: &source.commit,
    };
    let report = report::finish(
        prefix,
        run_at,
        origin,
        built.events,
        built.compat,
        seconds,
        opts.keep_tree.then_some(src.as_path()),
        built.start,
    )?;
    // Otherwise the tree is only needed again by a rebuild, which starts
    // from a fresh one; the log stays beside it.
    if !opts.keep_tree {
        let _ = std::fs::remove_dir_all(&src);
    }
    eprintln!(
        "==> installed glusterfs {} in {} ({:.0} s, {}; log: {})",
        report.version,
        prefix.display(),
        report.seconds.total,
        match &report.start.from {
            Some(b) => format!("from the tree of {}", b.label()),
            None => "cold".to_string(),
        },
        steps.log().display()
    );
    Ok(report)
}

/// The install is bound over RUN_AT to run: the two cannot nest.
fn refuse_nested(prefix: &Path, run_at: Option<&Path>) -> Result<()> {
    if let Some(r) = run_at.filter(|r| r.starts_with(prefix) || prefix.starts_with(r)) {
        bail!(
            "--prefix {} and --run-at {} are one inside the other: the install is bound over \
             RUN_AT to run, so give two separate directories",
            prefix.display(),
            r.display()
        );
    }
    Ok(())
}

/// The report of an install of the same commit already in `prefix`, when
/// it serves (unless --force; with --keep-tree, only if its tree is kept).
fn reusable(
    opts: &Options,
    source: &export::Source,
    prefix: &Path,
    run_at: Option<&Path>,
) -> Option<Report> {
    if opts.force {
        return None;
    }
    let r = report::reused(prefix, run_at, &opts.rev, &source.commit)
        .filter(|r| !opts.keep_tree || r.tree.as_ref().is_some_and(|t| t.is_dir()))?;
    eprintln!(
        "==> {} ({}) is already installed in {}; reusing it (--force rebuilds)",
        opts.rev,
        short(&source.commit),
        prefix.display()
    );
    Some(r)
}

/// What a build path hands to the report.
struct Built {
    events: bool,
    compat: Vec<String>,
    seconds: Seconds,
    start: verify::stamp::Start,
}

/// A build that starts from a base's tree: what it needs of the call.
struct FromBase<'a> {
    opts: &'a Options,
    source: &'a export::Source,
    base: &'a reuse::Base,
    toolchain: &'a compat::Toolchain,
    work: &'a Path,
    prefix: &'a Path,
    run_at: Option<&'a Path>,
    jobs: usize,
}

/// `make install`, staged when the build is for another prefix.
fn install(
    steps: &mut make::Steps,
    dir: &Path,
    env: &make::Env,
    prefix: &Path,
    run_at: Option<&Path>,
) -> Result<f64> {
    match run_at {
        Some(r) => staged::install(steps, dir, env, r, prefix),
        None => steps.install(dir, env, None),
    }
}

/// Export, compat, autogen, configure, make, install: the build from nothing.
#[allow(clippy::too_many_arguments)]
fn cold(
    opts: &Options,
    source: &export::Source,
    toolchain: &compat::Toolchain,
    src: &Path,
    prefix: &Path,
    run_at: Option<&Path>,
    jobs: usize,
    steps: &mut make::Steps,
    why: String,
) -> Result<Built> {
    let mut seconds = Seconds::default();
    let t = Instant::now();
    export::write(&opts.repo, source, src)?;
    seconds.export = t.elapsed().as_secs_f64();

    let plan = compat::plan(src, toolchain, &source.describe)?;
    compat::apply(&plan, src)?;
    for item in &plan.items {
        eprintln!("    compat: {item}");
    }

    let env = make::Env::new(src, &plan);
    seconds.autogen = steps.run("autogen", src, &env, &["./autogen.sh"])?;
    let mut configure = vec![
        "./configure".to_string(),
        format!("--prefix={}", run_at.unwrap_or(prefix).display()),
    ];
    configure.extend(plan.configure_args.iter().cloned());
    seconds.configure = steps.run("configure", src, &env, &configure)?;
    let events = make::events_on(src, steps.log())?;
    seconds.make = steps.run("make", src, &env, &["make", &format!("-j{jobs}")])?;
    seconds.install = install(steps, src, &env, prefix, run_at)?;
    Ok(Built {
        events,
        compat: plan.items,
        seconds,
        start: verify::stamp::Start { from: None, why },
    })
}

/// Why the build cannot be made in the base's own paths, if it cannot.
fn why_not_in_base_paths(base: &reuse::Base, configured: &Path, keep_tree: bool) -> Option<String> {
    let theirs = base.report.runs_at();
    if theirs != configured {
        return Some(format!(
            "this build is for the prefix {}, the base's tree for {} (--run-at {1} builds for \
             the base's)",
            configured.display(),
            theirs.display()
        ));
    }
    if keep_tree {
        return Some(
            "the tree is to be kept, and one made in the base's paths builds only there".into(),
        );
    }
    if !make::can_bind() {
        return Some("the build steps get no mount namespace here to bind the base's tree".into());
    }
    None
}

impl FromBase<'_> {
    /// The build from the base's tree, in its paths or reconfigured:
    /// `None` and why when it failed and a cold build must follow. A failed
    /// install is an error: a cold build would fail it the same way.
    fn try_build(&self, steps: &mut make::Steps) -> Result<(Option<Built>, String)> {
        let configured = self.run_at.unwrap_or(self.prefix);
        let result = match why_not_in_base_paths(self.base, configured, self.opts.keep_tree) {
            None => self.in_base_paths(steps),
            // Reconfigured for the prefix it already names, every file
            // would stay as the base's: only a cold build makes it anew.
            Some(why) if configured == self.base.report.runs_at() => Err(anyhow::anyhow!("{why}")),
            Some(why) => {
                if self.run_at.is_some() {
                    eprintln!(
                        "    reconfiguring the copy, not building in the base's paths: {why}"
                    );
                }
                self.reconfigured(steps)
            }
        };
        steps.clear_binds();
        let _ = std::fs::remove_dir_all(self.work.join("stage"));
        match result {
            Ok(b) => Ok((Some(b), String::new())),
            Err(e) if e.is::<make::InstallFailed>() => Err(e),
            Err(e) => {
                eprintln!("    starting from the base's tree failed ({e:#}); building cold");
                let why = format!(
                    "starting from the tree of {} failed: {e:#}",
                    reuse::label(&self.base.report)
                );
                Ok((None, why))
            }
        }
    }

    /// The prefix the build is configured for.
    fn configured(&self) -> &Path {
        self.run_at.unwrap_or(self.prefix)
    }

    /// The branch's own export with compat applied, in `work`/stage: the
    /// files to write over the copy of the base's tree are taken from it,
    /// exactly as a cold build has them. Checked against how the base was
    /// configured.
    fn export(&self) -> Result<(PathBuf, compat::Plan)> {
        let stage = self.work.join("stage");
        export::write(&self.opts.repo, self.source, &stage)?;
        let plan = compat::plan(&stage, self.toolchain, &self.source.describe)?;
        compat::apply(&plan, &stage)?;
        reuse::configured_alike(&self.base.tree, &plan)?;
        eprintln!(
            "    copying the tree of {} from {}",
            reuse::label(&self.base.report),
            self.base.tree.display()
        );
        Ok((stage, plan))
    }

    /// The branch built for the base's prefix in the base's own paths: a
    /// copy of the base's tree, the branch's files written over it, bound
    /// over the base's tree in each step's mount namespace (the base's tree
    /// is not written), so everything is as configured and make redoes only
    /// what the branch changed; then the staged install (`staged`).
    fn in_base_paths(&self, steps: &mut make::Steps) -> Result<Built> {
        let (base, mut seconds, t) = (self.base, Seconds::default(), Instant::now());
        let (stage, plan) = self.export()?;
        let src = self.work.join("src");
        reuse::copy_tree(base, &stage, &plan, &src)?;
        seconds.export = t.elapsed().as_secs_f64();

        steps.bind(&src, &base.tree);
        let env = make::Env::new(&base.tree, &plan);
        if !make::events_defined(&src) {
            bail!("the base's config.h does not define USE_EVENTS");
        }
        let make = ["make".to_string(), format!("-j{}", self.jobs)];
        seconds.make = steps.run("make", &base.tree, &env, &make)?;
        seconds.install = staged::install(steps, &base.tree, &env, self.configured(), self.prefix)?;
        let mut start = reuse::started_from(base);
        start.why.push_str(&format!(
            "; made in the base's paths (this tree bound at {}) for its prefix {}",
            base.tree.display(),
            self.configured().display()
        ));
        Ok(Built {
            events: true,
            compat: plan.items,
            seconds,
            start,
        })
    }

    /// The branch's tree made from a copy of the base's (see `reuse`),
    /// reconfigured for this build's prefix: config.status, make and
    /// install.
    fn reconfigured(&self, steps: &mut make::Steps) -> Result<Built> {
        let (base, mut seconds, t) = (self.base, Seconds::default(), Instant::now());
        let (stage, plan) = self.export()?;
        let src = self.work.join("src");
        reuse::prepare(base, &stage, &plan, &src, self.configured())?;
        seconds.export = t.elapsed().as_secs_f64();

        let env = make::Env::new(&src, &plan);
        seconds.configure = steps.run("config.status", &src, &env, &["./config.status"])?;
        let removed = reuse::invalidate(base, &src)?;
        eprintln!(
            "    {removed} file(s) naming the base's prefix or tree removed for make to redo"
        );
        if !make::events_defined(&src) {
            bail!("the base's config.h does not define USE_EVENTS");
        }
        let make = ["make".to_string(), format!("-j{}", self.jobs)];
        seconds.make = steps.run("make", &src, &env, &make)?;
        seconds.install = install(steps, &src, &env, self.prefix, self.run_at)?;
        let leaks = reuse::leaks(base, self.prefix)?;
        if !leaks.is_empty() {
            bail!(
                "{} installed file(s) name the base's prefix {} (the first: {}): they would load \
                 the base's libraries",
                leaks.len(),
                base.report.runs_at().display(),
                leaks[0].display()
            );
        }
        Ok(Built {
            events: true,
            compat: plan.items,
            seconds,
            start: reuse::started_from(base),
        })
    }
}

fn remove_stamp(prefix: &Path) -> Result<()> {
    let stamp = report::stamp_path(prefix);
    match std::fs::remove_file(&stamp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing the old stamp {}", stamp.display()))
        }
        _ => Ok(()),
    }
}

/// The work dir of the build for `prefix`: one per prefix, so that two
/// builds can run at once, under `$GLK_BUILD_WORK` or the target dir.
fn work_dir(prefix: &Path) -> Result<PathBuf> {
    let root = match std::env::var_os("GLK_BUILD_WORK") {
        Some(d) => PathBuf::from(d),
        None => crate::paths::target_dir()?.join("legacy-build"),
    };
    let key: String = prefix
        .to_string_lossy()
        .trim_start_matches('/')
        .chars()
        .map(|c| if c == '/' { '_' } else { c })
        .collect();
    let dir = root.join(key);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating the work dir {}", dir.display()))?;
    // configure records the tree's path, and a later build starting from
    // this tree must find that same path in it: always an absolute one.
    dir.canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}
