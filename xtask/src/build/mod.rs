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
//! cold one of the same commit.

pub mod compare;
pub mod compat;
mod deps;
mod export;
mod make;
pub mod report;
pub mod reuse;

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
}

/// Builds `opts.rev` and installs it into `opts.prefix`, or reports the
/// install already there when it is of the same commit.
pub fn run(opts: &Options) -> Result<Report> {
    let start = Instant::now();
    let source = export::resolve(&opts.repo, &opts.rev)?;
    let existed = opts.prefix.exists();
    let prefix = make::prepare_prefix(&opts.prefix)?;
    let result = build(opts, &source, &prefix, start);
    if result.is_err() && !existed {
        // A prefix this call created goes again if nothing was installed.
        let _ = std::fs::remove_dir(&prefix);
    }
    result
}

fn build(opts: &Options, source: &export::Source, prefix: &Path, start: Instant) -> Result<Report> {
    if !opts.force {
        let reusable = report::reused(prefix, &opts.rev, &source.commit)
            .filter(|r| !opts.keep_tree || r.tree.as_ref().is_some_and(|t| t.is_dir()));
        if let Some(r) = reusable {
            eprintln!(
                "==> {} ({}) is already installed in {}; reusing it (--force rebuilds)",
                opts.rev,
                short(&source.commit),
                prefix.display()
            );
            return Ok(r);
        }
    }
    // Whatever the prefix held is no longer what its stamp says from the
    // first file make install writes: a build killed from here on leaves no
    // stamp, so the next call builds again instead of trusting a half install.
    remove_stamp(prefix)?;
    let work = work_dir(prefix)?;
    let mut steps = make::Steps::new(&work.join("build.log"))?;
    eprintln!(
        "==> building {} ({}) into {}; log: {}",
        opts.rev,
        short(&source.commit),
        prefix.display(),
        steps.log().display()
    );

    let mut seconds = Seconds::default();
    let t = Instant::now();
    deps::ensure()?;
    seconds.deps = t.elapsed().as_secs_f64();

    let toolchain = compat::Toolchain::detect()?;
    let jobs = if opts.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.jobs
    };
    let src = work.join("src");
    let (base, mut why) =
        match reuse::decide(&opts.repo, &source.commit, opts.from.as_deref(), prefix) {
            Ok(base) => (Some(base), String::new()),
            Err(why) => {
                if opts.from.is_some() {
                    eprintln!("    cold build: {why}");
                }
                (None, why)
            }
        };
    let mut built = None;
    if let Some(base) = &base {
        let result = from_base(
            opts, source, base, &toolchain, &work, prefix, jobs, &mut steps,
        );
        let _ = std::fs::remove_dir_all(work.join("stage"));
        match result {
            Ok(b) => built = Some(b),
            // A full disk or a failing install fails a cold build the same way.
            Err(e) if e.is::<make::InstallFailed>() => return Err(e),
            Err(e) => {
                eprintln!("    starting from the base's tree failed ({e:#}); building cold");
                why = format!(
                    "starting from the tree of {} failed: {e:#}",
                    reuse::label(&base.report)
                );
            }
        }
    }
    let built = match built {
        Some(b) => b,
        None => cold(
            opts, source, &toolchain, &src, prefix, jobs, &mut steps, why,
        )?,
    };
    seconds.export = built.seconds.export;
    seconds.autogen = built.seconds.autogen;
    seconds.configure = built.seconds.configure;
    seconds.make = built.seconds.make;
    seconds.install = built.seconds.install;
    seconds.total = start.elapsed().as_secs_f64();

    let origin = report::Origin {
        repo: &opts.repo,
        rev: &opts.rev,
        commit: &source.commit,
    };
    let report = report::finish(
        prefix,
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

/// What a build path hands to the report.
struct Built {
    events: bool,
    compat: Vec<String>,
    seconds: Seconds,
    start: verify::stamp::Start,
}

/// Export, compat, autogen, configure, make, install: the build from nothing.
#[allow(clippy::too_many_arguments)]
fn cold(
    opts: &Options,
    source: &export::Source,
    toolchain: &compat::Toolchain,
    src: &Path,
    prefix: &Path,
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
        format!("--prefix={}", prefix.display()),
    ];
    configure.extend(plan.configure_args.iter().cloned());
    seconds.configure = steps.run("configure", src, &env, &configure)?;
    let events = make::events_on(src, steps.log())?;
    seconds.make = steps.run("make", src, &env, &["make", &format!("-j{jobs}")])?;
    seconds.install = steps.install(src, &env)?;
    Ok(Built {
        events,
        compat: plan.items,
        seconds,
        start: verify::stamp::Start { from: None, why },
    })
}

/// The branch's tree made from a copy of the base's (see `reuse`), then
/// config.status, make and install.
#[allow(clippy::too_many_arguments)]
fn from_base(
    opts: &Options,
    source: &export::Source,
    base: &reuse::Base,
    toolchain: &compat::Toolchain,
    work: &Path,
    prefix: &Path,
    jobs: usize,
    steps: &mut make::Steps,
) -> Result<Built> {
    let mut seconds = Seconds::default();
    let t = Instant::now();
    // The branch's own export with compat applied: the files to write
    // over the copy are taken from it, exactly as a cold build has them.
    let stage = work.join("stage");
    export::write(&opts.repo, source, &stage)?;
    let plan = compat::plan(&stage, toolchain, &source.describe)?;
    compat::apply(&plan, &stage)?;
    reuse::configured_alike(&base.tree, &plan)?;
    let src = work.join("src");
    eprintln!(
        "    copying the tree of {} from {}",
        reuse::label(&base.report),
        base.tree.display()
    );
    reuse::prepare(base, &stage, &plan, &src, prefix)?;
    seconds.export = t.elapsed().as_secs_f64();

    let env = make::Env::new(&src, &plan);
    seconds.configure = steps.run("config.status", &src, &env, &["./config.status"])?;
    let removed = reuse::invalidate(base, &src)?;
    eprintln!("    {removed} file(s) naming the base's prefix or tree removed for make to redo");
    if !make::events_defined(&src) {
        bail!("the base's config.h does not define USE_EVENTS");
    }
    seconds.make = steps.run("make", &src, &env, &["make", &format!("-j{jobs}")])?;
    seconds.install = steps.install(&src, &env)?;
    let leaks = reuse::leaks(base, prefix)?;
    if !leaks.is_empty() {
        bail!(
            "{} installed file(s) name the base's prefix {} (the first: {}): they would load the \
             base's libraries",
            leaks.len(),
            base.report.prefix.display(),
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
