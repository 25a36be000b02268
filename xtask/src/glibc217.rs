//! glibc 2.17, CentOS 7's C library, built from the shared unmodified source
//! (`../shared/glibc/glibc-2.17.tar.xz`) into a prefix of its own under the
//! target dir, so that the shim, heal-info and the resolver stall run on the
//! real thing rather than on a stand-in. Every glibc on this machine (2.36)
//! refuses '/' names before DNS; 2.17 sends them. An engine: it runs the
//! steps through `build::make` (a log, a line per step with its time, an
//! error naming the step and the log), and `cargo xtask glibc`, the suite
//! and the tests all build or reuse it here.
//!
//! The steps: extract the tar (read, never written) into
//! `TARGET/glibc-2.17/glibc-2.17`, apply the kit's one change
//! (`xtask/glibc/configure-version-gates.patch`: configure's gcc and make
//! version gates predate gcc 10 and make 4), configure out of tree without
//! PIE (Debian's gcc makes PIEs by default, and 2.17's own programs then
//! fail to link) and with `--disable-werror`, make, make install into
//! `TARGET/glibc-2.17/prefix`, and check that the installed libc says 2.17.
//! A stamp records the cache key: the tar's sha256, the patch's, the
//! compiler, the flags and the prefix (which the loader names). An equal key
//! and an installed libc mean the build is reused.

use crate::build::make::{Env, Steps};
use crate::digest::{file_sha256, sha256_hex};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The kit's change to the source, as a patch (see its header).
pub const PATCH: &str = include_str!("../glibc/configure-version-gates.patch");
/// What the build runs beyond the C linker Rust needs, as (Debian package,
/// program): a minimal Debian has none of them (configure refuses mawk,
/// the tar is xz, the kit's change goes in with patch(1)).
pub const BUILD_TOOLS: &[(&str, &str)] = &[
    ("gawk", "gawk"),
    ("xz-utils", "xz"),
    ("patch", "patch"),
    ("make", "make"),
    ("gcc", "gcc"),
];

/// The compiler: no PIE (see the module's comment).
pub const CC: &str = "gcc -no-pie";
/// configure's flags beside `--prefix`. `--enable-kernel=2.6.32` is
/// CentOS 7's; `--without-selinux` keeps the build the same whether or not
/// libselinux's headers happen to be installed.
pub const CONFIGURE_FLAGS: &[&str] = &[
    "--disable-werror",
    "--enable-kernel=2.6.32",
    "--without-selinux",
];
/// Bumped when the steps change what gets installed, so that the stamps of
/// older builds no longer match.
const RECIPE: u32 = 1;
/// The tar's top directory.
const SOURCE_DIR: &str = "glibc-2.17";
/// The default deadline of a build: the measured one takes about 7 min on
/// two shared cores.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(40 * 60);

/// What to build, where.
pub struct Options {
    /// The unmodified source tar.
    pub tar: PathBuf,
    /// The work dir: the source, the build tree, the prefix, the log and
    /// the stamp live in it.
    pub dir: PathBuf,
    /// `make -j`.
    pub jobs: usize,
    /// The whole build's deadline; a step still running then is killed.
    pub deadline: Duration,
    /// Build even when the stamp matches.
    pub force: bool,
}

impl Options {
    /// The shared tar, into `TARGET/glibc-2.17`, two jobs.
    pub fn default_for_target() -> Result<Self> {
        let tar = crate::paths::shared_glibc_tar().context(
            "the glibc 2.17 source is not there: put glibc-2.17.tar.xz in ../shared/glibc/ \
             (or $GLK_SHARED/glibc/)",
        )?;
        Ok(Options {
            tar,
            dir: default_dir()?,
            jobs: 2,
            deadline: DEFAULT_DEADLINE,
            force: false,
        })
    }
}

/// Seconds per step of the build that made the prefix.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Seconds {
    pub extract: f64,
    pub configure: f64,
    pub make: f64,
    pub install: f64,
    pub total: f64,
}

/// The stamp beside the prefix: what was built, from what, how long.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stamp {
    pub key: String,
    pub tar_sha256: String,
    pub patch_sha256: String,
    pub cc: String,
    pub configure: Vec<String>,
    /// The first line the installed libc.so.6 prints.
    pub version: String,
    pub ccache: bool,
    pub seconds: Seconds,
}

/// An installed glibc 2.17.
#[derive(Debug, Clone, Serialize)]
pub struct Built {
    pub prefix: PathBuf,
    pub loader: PathBuf,
    /// Whether a former build was reused (the stamp matched).
    pub reused: bool,
    /// This call's seconds (a reuse: the key's check).
    pub seconds: f64,
    pub stamp: Stamp,
    pub log: PathBuf,
}

/// `TARGET/glibc-2.17`.
pub fn default_dir() -> Result<PathBuf> {
    Ok(crate::paths::target_dir()?.join("glibc-2.17"))
}

/// The install prefix in a work dir.
pub fn prefix_in(dir: &Path) -> PathBuf {
    dir.join("prefix")
}

/// The dynamic loader of an installed 2.17: programs run on it as
/// `LOADER --library-path PREFIX/lib PROG`, or linked with
/// `--dynamic-linker=LOADER`.
pub fn loader(prefix: &Path) -> PathBuf {
    prefix.join("lib/ld-linux-x86-64.so.2")
}

fn stamp_path(dir: &Path) -> PathBuf {
    dir.join("stamp.json")
}

/// The cache key: everything that decides what gets installed.
pub fn key(tar_sha256: &str, prefix: &Path) -> String {
    let text = format!(
        "recipe {RECIPE}\ntar {tar_sha256}\npatch {}\ncc {CC}\nconfigure {}\nprefix {}\n",
        sha256_hex(PATCH.as_bytes()),
        CONFIGURE_FLAGS.join(" "),
        prefix.display()
    );
    sha256_hex(text.as_bytes())
}

/// The build in `dir` when its stamp matches the tar and this kit's recipe
/// and its libc is installed; None otherwise.
pub fn cached(tar: &Path, dir: &Path) -> Result<Option<Built>> {
    let start = Instant::now();
    let prefix = prefix_in(dir);
    let Some(stamp) = std::fs::read_to_string(stamp_path(dir))
        .ok()
        .and_then(|t| serde_json::from_str::<Stamp>(&t).ok())
    else {
        return Ok(None);
    };
    let prefix = match prefix.canonicalize() {
        Ok(p) => p,
        Err(_) => return Ok(None),
    };
    if stamp.key != key(&file_sha256(tar)?, &prefix) || !prefix.join("lib/libc.so.6").is_file() {
        return Ok(None);
    }
    Ok(Some(Built {
        loader: loader(&prefix),
        prefix,
        reused: true,
        seconds: start.elapsed().as_secs_f64(),
        stamp,
        log: dir.join("build.log"),
    }))
}

/// The variable naming an installed glibc 2.17 prefix to use instead of
/// the kit's own build (one made elsewhere, by hand).
pub const PREFIX_VAR: &str = "GLK_GLIBC217_PREFIX";

/// An installed glibc 2.17 for the tests and benches: `$GLK_GLIBC217_PREFIX`,
/// else the kit's build in the target dir (made now, minutes, when the
/// cache does not match). Ok(None) only where the source is not there.
pub fn installed() -> Result<Option<PathBuf>> {
    if let Some(p) = std::env::var_os(PREFIX_VAR).filter(|v| !v.is_empty()) {
        let p = PathBuf::from(p);
        installed_version(&p).with_context(|| format!("{PREFIX_VAR}={}", p.display()))?;
        return Ok(Some(p));
    }
    if crate::paths::shared_glibc_tar().is_none() {
        return Ok(None);
    }
    Ok(Some(ensure(&Options::default_for_target()?)?.prefix))
}

/// Holds an exclusive lock on `dir.lock` while alive: the suite's build in
/// the background and a test that needs the prefix never build it twice
/// at once. The lock goes with the file, when this is dropped.
struct Lock {
    _file: std::fs::File,
}

impl Lock {
    fn take(dir: &Path) -> Result<Lock> {
        use std::os::fd::AsRawFd;
        // Appended, not with_extension: that would make glibc-2.17 "glibc-2.lock".
        let mut name = dir.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        let f = std::fs::File::create(&path)
            .with_context(|| format!("creating the lock {}", path.display()))?;
        // SAFETY: flock on a descriptor this function owns.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            eprintln!(
                "    another glibc 2.17 build holds {}; waiting for it",
                path.display()
            );
            // SAFETY: as above.
            if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
                bail!(
                    "locking {}: {}",
                    path.display(),
                    std::io::Error::last_os_error()
                );
            }
        }
        Ok(Lock { _file: f })
    }
}

/// Installs what the build runs, as root; without root, an error naming
/// what is missing, before any step starts.
fn build_tools() -> Result<()> {
    crate::host::install_packages(BUILD_TOOLS)?;
    let missing = crate::host::missing(BUILD_TOOLS);
    if !missing.is_empty() {
        bail!(
            "building glibc 2.17 needs {}: apt-get install {} (or run as root, which installs them)",
            missing.join(", "),
            missing.join(" ")
        );
    }
    Ok(())
}

/// The installed glibc 2.17: the cached one when its key matches, else a
/// build (progress on stderr).
pub fn ensure(opts: &Options) -> Result<Built> {
    std::fs::create_dir_all(&opts.dir)
        .with_context(|| format!("creating {}", opts.dir.display()))?;
    let _lock = Lock::take(&opts.dir)?;
    if !opts.force {
        if let Some(b) = cached(&opts.tar, &opts.dir)? {
            eprintln!(
                "==> glibc 2.17 is already built in {} (same source, patch and flags); reusing it",
                b.prefix.display()
            );
            return Ok(b);
        }
    }
    build(opts)
}

fn build(opts: &Options) -> Result<Built> {
    let start = Instant::now();
    build_tools()?;
    let dir = opts
        .dir
        .canonicalize()
        .with_context(|| format!("resolving {}", opts.dir.display()))?;
    // A build killed from here on leaves no stamp, so the next call builds
    // again instead of trusting a half install.
    let _ = std::fs::remove_file(stamp_path(&dir));
    let src = dir.join(SOURCE_DIR);
    let tree = dir.join("build");
    let prefix = prefix_in(&dir);
    for d in [&src, &tree, &prefix] {
        crate::paths::remove_dir_all_if_present(d)?;
    }
    std::fs::create_dir_all(&tree)?;
    std::fs::create_dir_all(&prefix)?;
    let tar_sha = file_sha256(&opts.tar)?;
    let key = key(&tar_sha, &prefix);
    let mut steps = Steps::new(&dir.join("build.log"))?;
    eprintln!(
        "==> glibc 2.17 from {} into {} (make -j{}, deadline {} min); log: {}",
        opts.tar.display(),
        prefix.display(),
        opts.jobs,
        opts.deadline.as_secs() / 60,
        steps.log().display()
    );
    let ccache = crate::paths::which("ccache").is_some();
    let mut vars = vec![
        (
            "CC".to_string(),
            if ccache {
                format!("ccache {CC}")
            } else {
                CC.to_string()
            },
        ),
        // configure refuses a LD_LIBRARY_PATH with an empty entry (the
        // current directory), which cargo's test runs can hand down.
        ("LD_LIBRARY_PATH".to_string(), String::new()),
        ("LC_ALL".to_string(), "C".to_string()),
    ];
    if ccache {
        vars.push(("CCACHE_BASEDIR".into(), dir.display().to_string()));
        vars.push(("CCACHE_NOHASHDIR".into(), "1".into()));
    }
    let env = Env::with(vars);
    let deadline = Deadline {
        start,
        limit: opts.deadline,
    };
    let mut seconds = Seconds {
        extract: steps.run(
            "extract",
            &dir,
            &env,
            &deadline.argv(&["tar", "-xJf", &opts.tar.display().to_string()])?,
        )?,
        ..Seconds::default()
    };
    let patch = dir.join("configure-version-gates.patch");
    std::fs::write(&patch, PATCH)?;
    steps.run(
        "patch (configure's version gates)",
        &src,
        &env,
        &deadline.argv(&[
            "patch",
            "-p1",
            "--forward",
            "--batch",
            "-i",
            &patch.display().to_string(),
        ])?,
    )?;
    let mut configure = vec![
        src.join("configure").display().to_string(),
        format!("--prefix={}", prefix.display()),
    ];
    configure.extend(CONFIGURE_FLAGS.iter().map(|f| f.to_string()));
    let jobs = format!("-j{}", opts.jobs.max(1));
    let run = |steps: &mut Steps, seconds: &mut Seconds| -> Result<()> {
        seconds.configure = steps.run("configure", &tree, &env, &deadline.argv(&configure)?)?;
        seconds.make = steps.run("make", &tree, &env, &deadline.argv(&["make", &jobs])?)?;
        seconds.install = steps.run(
            "install",
            &tree,
            &env,
            &deadline.argv(&["make", "install"])?,
        )?;
        Ok(())
    };
    // Out of tree, but the source stays writable: 2.17's make writes its
    // translations (po/*.mo, 32 files) into the source tree, so the
    // source is this build's own copy and the tar is only read.
    run(&mut steps, &mut seconds).map_err(|e| deadline.explain(e, steps.log()))?;
    let version = installed_version(&prefix)?;
    seconds.total = start.elapsed().as_secs_f64();
    let stamp = Stamp {
        key,
        tar_sha256: tar_sha,
        patch_sha256: sha256_hex(PATCH.as_bytes()),
        cc: CC.to_string(),
        configure: CONFIGURE_FLAGS.iter().map(|f| f.to_string()).collect(),
        version,
        ccache,
        seconds: seconds.clone(),
    };
    // The trees are 1 GB and only a rebuild needs them, which starts anew.
    crate::paths::remove_dir_all_if_present(&tree)?;
    crate::paths::remove_dir_all_if_present(&src)?;
    std::fs::write(stamp_path(&dir), serde_json::to_string_pretty(&stamp)?)?;
    eprintln!(
        "==> glibc 2.17 installed in {} ({:.0} s: configure {:.0}, make {:.0}, install {:.0})",
        prefix.display(),
        seconds.total,
        seconds.configure,
        seconds.make,
        seconds.install
    );
    Ok(Built {
        loader: loader(&prefix),
        prefix,
        reused: false,
        seconds: seconds.total,
        stamp,
        log: steps.log().to_path_buf(),
    })
}

/// The first line the installed libc.so.6 prints when run (it is a
/// program too); an error unless it is 2.17's.
pub fn installed_version(prefix: &Path) -> Result<String> {
    let libc = prefix.join("lib/libc.so.6");
    let out = std::process::Command::new(&libc)
        .output()
        .with_context(|| format!("running {}", libc.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or("").to_string();
    if !first.contains("version 2.17") {
        bail!(
            "{} says {first:?}, not glibc 2.17: the install is not what was built",
            libc.display()
        );
    }
    Ok(first)
}

/// Compiles the C `sources` into the program `out` for the glibc 2.17 in
/// `prefix`: its headers first, its crt files and libraries, its loader as
/// the program's interpreter and its lib dir as the rpath, so the program
/// runs on 2.17 when started directly (and a setuid copy of it too, where
/// the loader ignores LD_LIBRARY_PATH). No PIE: 2.17's crt1.o cannot be
/// linked into one. Checked: no symbol newer than GLIBC_2.17.
pub fn compile(prefix: &Path, sources: &[&Path], out: &Path, extra: &[&str]) -> Result<()> {
    let lib = prefix.join("lib");
    let mut cmd = std::process::Command::new("gcc");
    cmd.args(["-no-pie", "-O2", "-Wall"])
        .arg("-B")
        .arg(&lib)
        .arg("-isystem")
        .arg(prefix.join("include"))
        .arg("-L")
        .arg(&lib)
        .arg(format!("-Wl,--dynamic-linker={}", loader(prefix).display()))
        .arg(format!("-Wl,-rpath={}", lib.display()))
        .arg("-o")
        .arg(out)
        .args(sources)
        .args(extra);
    let o = cmd
        .output()
        .with_context(|| format!("running gcc for {}", out.display()))?;
    if !o.status.success() {
        bail!(
            "compiling {} against glibc 2.17 in {} failed: {}",
            out.display(),
            prefix.display(),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    crate::portable::check_glibc(out)?;
    Ok(())
}

/// The build's deadline, shared by its steps: each step runs under
/// timeout(1) with what is left.
struct Deadline {
    start: Instant,
    limit: Duration,
}

impl Deadline {
    fn left(&self) -> Option<Duration> {
        self.limit.checked_sub(self.start.elapsed())
    }

    fn argv<S: AsRef<str>>(&self, argv: &[S]) -> Result<Vec<String>> {
        let Some(left) = self.left().filter(|l| l.as_secs() > 0) else {
            bail!(
                "the glibc 2.17 build's deadline ({} s) passed before `{}`",
                self.limit.as_secs(),
                argv[0].as_ref()
            );
        };
        let mut v = vec![
            "timeout".to_string(),
            "-k".to_string(),
            "10".to_string(),
            left.as_secs().to_string(),
        ];
        v.extend(argv.iter().map(|a| a.as_ref().to_string()));
        Ok(v)
    }

    /// A failed step's error, saying so when it was the deadline that
    /// ended it (timeout(1) exits 124).
    fn explain(&self, e: anyhow::Error, log: &Path) -> anyhow::Error {
        if self.left().is_none_or(|l| l.as_secs() == 0) {
            e.context(format!(
                "the glibc 2.17 build's deadline of {} s passed (log: {})",
                self.limit.as_secs(),
                log.display()
            ))
        } else {
            e
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_changes_with_the_source_and_the_prefix() {
        let a = key("aa", Path::new("/p"));
        assert_eq!(a, key("aa", Path::new("/p")));
        assert_ne!(a, key("ab", Path::new("/p")));
        assert_ne!(a, key("aa", Path::new("/q")));
    }

    #[test]
    fn the_patch_widens_both_gates_and_nothing_else() {
        let changed: Vec<&str> = PATCH
            .lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .collect();
        assert_eq!(changed.len(), 2, "{changed:?}");
        assert!(changed[0].contains("[1-9][0-9].*"), "gcc 10 and later");
        assert!(changed[1].contains("[4-9].*"), "make 4 and later");
    }

    #[test]
    fn no_cached_build_without_a_stamp() {
        let d = tempfile::tempdir().unwrap();
        let tar = d.path().join("t.tar.xz");
        std::fs::write(&tar, b"x").unwrap();
        assert!(cached(&tar, d.path()).unwrap().is_none());
    }

    #[test]
    fn a_passed_deadline_is_an_error_naming_the_step() {
        let d = Deadline {
            start: Instant::now(),
            limit: Duration::ZERO,
        };
        let e = d.argv(&["make"]).unwrap_err();
        assert!(format!("{e:#}").contains("before `make`"), "{e:#}");
    }
}
