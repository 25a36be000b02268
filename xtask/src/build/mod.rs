//! `cargo xtask build`: builds and installs a legacy GlusterFS tree (release
//! lines 3.10 to 7.x) with this machine's modern toolchain. It reads REV from
//! the user's repository without touching its work tree, index or refs,
//! exports it to a work dir of its own, applies there what the toolchain
//! needs (each item named in the report), and runs autogen, configure, make
//! and make install through ccache. Stages, in order: `export` (resolve and
//! write the tree), `deps` (Debian build dependencies), `compat` (plan and
//! apply the toolchain fixes), `make` (the autotools steps, logged), `report`
//! (the result and the stamp that lets a second call reuse the install).

pub mod compat;
mod deps;
mod export;
mod make;
pub mod report;

pub use report::{Report, Seconds};

use anyhow::{Context, Result};
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
    /// for code that compiles against the build; its path is in the report.
    pub keep_tree: bool,
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
    let work = work_dir(prefix)?;
    let mut seconds = Seconds::default();
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
    seconds.deps = t.elapsed().as_secs_f64();

    let src = work.join("src");
    let t = Instant::now();
    export::write(&opts.repo, source, &src)?;
    seconds.export = t.elapsed().as_secs_f64();

    let toolchain = compat::Toolchain::detect()?;
    let plan = compat::plan(&src, &toolchain, &source.describe)?;
    compat::apply(&plan, &src)?;
    for item in &plan.items {
        eprintln!("    compat: {item}");
    }

    let jobs = if opts.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.jobs
    };
    let env = make::Env::new(&src, &plan);
    seconds.autogen = steps.run("autogen", &src, &env, &["./autogen.sh"])?;
    let mut configure = vec![
        "./configure".to_string(),
        format!("--prefix={}", prefix.display()),
    ];
    configure.extend(plan.configure_args.iter().cloned());
    seconds.configure = steps.run("configure", &src, &env, &configure)?;
    let events = make::events_on(&src, steps.log())?;
    seconds.make = steps.run("make", &src, &env, &["make", &format!("-j{jobs}")])?;
    seconds.install = steps.run("install", &src, &env, &["make", "install"])?;
    seconds.total = start.elapsed().as_secs_f64();

    let origin = report::Origin {
        repo: &opts.repo,
        rev: &opts.rev,
        commit: &source.commit,
    };
    let report = report::finish(
        prefix,
        origin,
        events,
        plan.items,
        seconds,
        opts.keep_tree.then_some(src.as_path()),
    )?;
    // Otherwise the export is only needed again by a rebuild, which starts
    // from a fresh one; the log stays beside it.
    if !opts.keep_tree {
        let _ = std::fs::remove_dir_all(&src);
    }
    eprintln!(
        "==> installed glusterfs {} in {} ({:.0} s; log: {})",
        report.version,
        prefix.display(),
        report.seconds.total,
        steps.log().display()
    );
    Ok(report)
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
    Ok(dir)
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}
