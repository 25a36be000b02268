//! The autotools steps (autogen, configure, make, make install), run in the
//! export with the plan's environment. Their output goes to one log file;
//! stderr gets a line per step with its time (and a spinner on a terminal).
//! A failed step's error carries its last lines and the log's path.
//!
//! Each step runs as PID 1's child in a PID namespace of its own that dies
//! with the kit (die-with-parent's namespace holder): make's sub-makes,
//! compilers, linkers and libtool go with it when the kit is killed, which
//! PR_SET_PDEATHSIG on make alone could not give (it is not inherited).

use super::compat::Plan;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How many lines of a failed step's output the error shows.
const TAIL_LINES: usize = 30;

/// Creates PREFIX if needed and checks it is writable, before any long step.
pub fn prepare_prefix(prefix: &Path) -> Result<PathBuf> {
    let why = |e: &dyn std::fmt::Display| {
        anyhow::anyhow!(
            "cannot write to the prefix {} ({e}): choose another --prefix, or run as a user who can write there",
            prefix.display()
        )
    };
    std::fs::create_dir_all(prefix).map_err(|e| why(&e))?;
    tempfile::tempfile_in(prefix).map_err(|e| why(&e))?;
    prefix
        .canonicalize()
        .with_context(|| format!("resolving {}", prefix.display()))
}

/// The environment of every step: the plan's variables, and ccache set up
/// so that two exports at different paths share cache entries.
pub struct Env(Vec<(String, String)>);

impl Env {
    pub fn new(src: &Path, plan: &Plan) -> Self {
        let mut vars = plan.env.clone();
        // Paths under the export are hashed relative to it, and the cwd is
        // left out of the hash, so the same file compiled in another export
        // (another prefix's work dir, a bench's temp dir) is a hit.
        vars.push(("CCACHE_BASEDIR".into(), src.display().to_string()));
        vars.push(("CCACHE_NOHASHDIR".into(), "1".into()));
        Env(vars)
    }

    /// Exactly `vars`, for a build that is not a GlusterFS tree (glibc).
    pub fn with(vars: Vec<(String, String)>) -> Self {
        Env(vars)
    }
}

pub struct Steps {
    log: PathBuf,
    file: File,
    tmp: PathBuf,
    /// Bind mounts made in each step's own mount namespace before it
    /// starts (see [`Steps::bind`]).
    binds: Vec<Bind>,
}

/// `from` seen at `onto`, read-only or not, in a step's mount namespace.
pub struct Bind {
    pub from: PathBuf,
    pub onto: PathBuf,
    pub read_only: bool,
}

impl Steps {
    /// `log` is created (truncated) and a `tmp/` beside it emptied: the
    /// steps' TMPDIR, so the temp files of a compiler killed with the kit
    /// (`/tmp/cc*.s`, found after every killed build) stay in the build's
    /// work dir, which the next build of the prefix empties.
    pub fn new(log: &Path) -> Result<Self> {
        let file =
            File::create(log).with_context(|| format!("creating the log {}", log.display()))?;
        let tmp = log.with_file_name("tmp");
        crate::paths::remove_dir_all_if_present(&tmp).context("emptying the steps' TMPDIR")?;
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        Ok(Steps {
            log: log.to_path_buf(),
            file,
            tmp,
            binds: Vec::new(),
        })
    }

    /// From now on every step sees `from` at `onto`, in its own mount
    /// namespace only: the host's mount table, and whatever is at `onto`,
    /// stay as they were. A build in a copy of another build's tree runs
    /// there with the paths that tree was configured with. Needs
    /// [`can_bind`].
    pub fn bind(&mut self, from: &Path, onto: &Path) {
        self.binds.push(Bind {
            from: from.to_path_buf(),
            onto: onto.to_path_buf(),
            read_only: false,
        });
    }

    /// Runs `f` with `dir` read-only for the steps it runs: a step that
    /// writes there fails, and `dir` stays as it was.
    pub fn with_read_only<T>(&mut self, dir: &Path, f: impl FnOnce(&mut Self) -> T) -> T {
        self.binds.push(Bind {
            from: dir.to_path_buf(),
            onto: dir.to_path_buf(),
            read_only: true,
        });
        let result = f(self);
        self.binds.pop();
        result
    }

    /// The steps from now on see the paths as they are.
    pub fn clear_binds(&mut self) {
        self.binds.clear();
    }

    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Runs one step in `dir` and returns its seconds.
    pub fn run<S: AsRef<str>>(
        &mut self,
        name: &str,
        dir: &Path,
        env: &Env,
        argv: &[S],
    ) -> Result<f64> {
        let argv: Vec<&str> = argv.iter().map(AsRef::as_ref).collect();
        let start_offset = self.file.seek(SeekFrom::End(0))?;
        let header = format!("\n==> {name}: {}\n", argv.join(" "));
        std::io::Write::write_all(&mut self.file, header.as_bytes())?;

        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("    {spinner} {msg} {elapsed}").expect("valid template"),
        );
        bar.set_message(name.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        if bar.is_hidden() {
            eprintln!("    {name} ...");
        }

        let program: std::ffi::OsString = match argv[0].strip_prefix("./") {
            Some(local) => dir.join(local).into(),
            None => argv[0].into(),
        };
        let start = Instant::now();
        let mut command = bound_command(&self.binds)?;
        command
            .arg(&program)
            .args(&argv[1..])
            .current_dir(dir)
            .env("GLK_STEP_DIR", dir)
            .stdin(Stdio::null())
            .stdout(self.file.try_clone()?)
            .stderr(self.file.try_clone()?)
            .envs(env.0.iter().map(|(k, v)| (k, v)))
            .env("TMPDIR", &self.tmp);
        let status = command
            .status()
            .with_context(|| format!("starting {}", argv[0]))?;
        let secs = start.elapsed().as_secs_f64();
        bar.finish_and_clear();
        if !status.success() {
            let tail = self.tail(start_offset)?;
            let full = if tail.contains("No space left on device") {
                "\na filesystem it writes to is full (No space left on device): free space \
                 there, or choose another --prefix (or GLK_BUILD_WORK for the build tree)"
            } else {
                ""
            };
            bail!(
                "{name} failed after {secs:.0} s ({status}); its last lines:\n{tail}{full}\nfull log: {}",
                self.log.display()
            );
        }
        eprintln!("    {name} done in {secs:.1} s");
        Ok(secs)
    }

    /// `make install`, into `destdir` when given (`DESTDIR`: the files
    /// land under destdir/PREFIX); its failure is an [`InstallFailed`].
    pub fn install(&mut self, dir: &Path, env: &Env, destdir: Option<&Path>) -> Result<f64> {
        let mut argv = vec!["make".to_string(), "install".to_string()];
        if let Some(d) = destdir {
            argv.push(format!("DESTDIR={}", d.display()));
        }
        self.run("install", dir, env, &argv)
            .map_err(|e| InstallFailed(format!("{e:#}")).into())
    }

    fn tail(&self, from: u64) -> Result<String> {
        let mut f = File::open(&self.log)?;
        f.seek(SeekFrom::Start(from))?;
        let mut text = String::new();
        f.read_to_string(&mut text).ok();
        let lines: Vec<&str> = text.lines().collect();
        Ok(lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n"))
    }
}

/// A failed `make install`: whatever tree it ran in, another would fail
/// the same way (a full disk, a read-only prefix).
#[derive(Debug)]
pub struct InstallFailed(pub String);

impl std::fmt::Display for InstallFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InstallFailed {}

/// Whether steps can have binds ([`Steps::bind`]): they run in a PID and
/// mount namespace of their own here.
pub fn can_bind() -> bool {
    namespace_flags().is_some()
}

/// The namespace holder's extra flags when steps get a PID namespace
/// (`--mount-proc` gives them a mount namespace too), as root or in a user
/// namespace where the kernel allows one; None (said once) where unshare -p
/// is refused.
fn namespace_flags() -> Option<&'static [&'static str]> {
    static HOW: OnceLock<Option<&'static [&'static str]>> = OnceLock::new();
    *HOW.get_or_init(|| {
        let user_ns: &'static [&'static str] = if crate::host::is_root() { &[] } else { &["-r"] };
        let works = die_with_parent::namespace_holder(user_ns, "exit 0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !works {
            eprintln!(
                "    note: no PID namespace for the build steps here (unshare -p refused): \
                 if the kit is killed, make's children may run on until they finish"
            );
        }
        works.then_some(user_ns)
    })
}

/// How a step (or any program that needs the steps' binds) is started: in
/// a PID namespace that dies with the kit ([`namespace_flags`]), after
/// `binds`; else with only PR_SET_PDEATHSIG on the step itself.
pub fn bound_command(binds: &[Bind]) -> Result<Command> {
    // bash stays PID 1 (the `; exit` keeps it from exec'ing the step) and
    // reaps the orphans a make leaves, as an init must. The cd comes after
    // the binds: a cwd taken before would still be the directory beneath.
    let mut script = String::from("set -e\n");
    for b in binds {
        let quote = |p: &Path| {
            shlex::try_quote(&p.to_string_lossy())
                .map(|q| q.into_owned())
                .with_context(|| format!("a path the step's shell cannot quote: {}", p.display()))
        };
        let (from, onto) = (quote(&b.from)?, quote(&b.onto)?);
        script.push_str(&format!("mount --bind {from} {onto}\n"));
        if b.read_only {
            script.push_str(&format!("mount -o remount,bind,ro {onto}\n"));
        }
    }
    script.push_str("cd \"$GLK_STEP_DIR\"\nset +e\n\"$0\" \"$@\"; exit $?");
    Ok(match namespace_flags() {
        Some(flags) => die_with_parent::namespace_holder(flags, &script),
        None if !binds.is_empty() => {
            bail!("binds need the steps' mount namespace, which unshare refuses here")
        }
        None => {
            let mut c = Command::new("bash");
            die_with_parent::die_with_parent(&mut c).args(["-c", &script]);
            c
        }
    })
}

/// Whether config.h defines USE_EVENTS (a tree configured before).
pub fn events_defined(src: &Path) -> bool {
    std::fs::read_to_string(src.join("config.h"))
        .unwrap_or_default()
        .lines()
        .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["#define", "USE_EVENTS", "1"])
}

/// Whether configure turned events on: its summary says `Events: yes` and
/// config.h defines USE_EVENTS. A build without them lacks the code the kit
/// is about, so anything else is an error.
pub fn events_on(src: &Path, log: &Path) -> Result<bool> {
    let log_text = std::fs::read_to_string(log)?;
    let summary = log_text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("Events") && l.contains(':'))
        .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string());
    let defined = events_defined(src);
    match (summary.as_deref(), defined) {
        (Some("yes"), true) => Ok(true),
        _ => bail!(
            "configure turned events off (summary: Events: {}, USE_EVENTS {}): such a build \
             lacks events.c, the code under test. Look for 'python' in {}",
            summary.as_deref().unwrap_or("(no line)"),
            if defined { "defined" } else { "not defined" },
            log.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_cannot_write_a_read_only_dir_and_the_binds_end_with_the_call() {
        if !can_bind() {
            eprintln!("SKIPPED a_step_cannot_write_a_read_only_dir: no mount namespace here");
            return;
        }
        let d = tempfile::tempdir().unwrap();
        let (ro, file) = (d.path().join("ro"), d.path().join("ro/written"));
        std::fs::create_dir(&ro).unwrap();
        let mut steps = Steps::new(&d.path().join("build.log")).unwrap();
        let env = Env(Vec::new());
        let touch = ["touch".to_string(), file.display().to_string()];
        let err = steps
            .with_read_only(&ro, |s| s.run("touch", d.path(), &env, &touch))
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("Read-only file system"),
            "{err:#}"
        );
        assert!(!file.exists());
        // The host's mount table never had it, and the next step is free.
        steps.run("touch", d.path(), &env, &touch).unwrap();
        assert!(file.exists());
    }
}
