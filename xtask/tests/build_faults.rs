//! Fault tests of `cargo xtask build` on the real shared 3.12.15 (issue 20),
//! run as the built `xtask` binary:
//! - SIGKILLed mid-install (the kit alone, as a crash, the OOM killer or a
//!   CI runner's timeout would): no make, libtool or install of the run is
//!   left, no stamp claims the prefix, and the next call builds again
//!   instead of reusing the half-installed prefix.
//! - A build for the base's prefix (`--run-at`, as the A/B builds its
//!   branch), made in the base's paths, its install staged, SIGKILLed
//!   mid-make and mid-install: no process of the run is left, no
//!   stamp, and the next call removes the staged files. Mid-make is killed
//!   here only: its make is seconds long, where the reconfigured build's
//!   would add a whole compile to the suite for the same claim.
//! - Into a prefix on a 20 MiB tmpfs, mounted in a private mount namespace
//!   (never on the host's table): it fails naming the install step and the
//!   full disk, prints no report and leaves no stamp.
//!
//! Each build starts from the kept tree of a base build (`--from-build`), so
//! it reaches make in seconds: the A/B's base when `cargo xtask test` made
//! one (GLUSTER_LEGACY_PREFIX), else a build of v3.12.15 made here first.
//! Only the processes a test started are counted: those whose environment
//! carries a marker unique to the run. Nothing else is touched; other
//! builds may be running on the machine.
//!
//! Not through the git room (`backport::git`): a test reads and builds its
//! repositories with git2 and the git binary of its own, so that what it
//! checks does not rest on the code it checks.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use xtask::build::{report, Options, Report};

const MARK: &str = "GLK_FAULT_MARK";
/// How long a killed run's processes may take to go.
const GRACE: Duration = Duration::from_secs(10);
/// Longer than any step of a build from the base's tree takes here.
const STEP_LIMIT: Duration = Duration::from_secs(600);

/// Two builds at once would only make both slower on a small machine.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The base build every test starts from, and a repository holding its commit.
struct Base {
    prefix: PathBuf,
    commit: String,
    repo: PathBuf,
}

/// None (and why) where the tests cannot run.
fn base() -> Result<&'static Base, String> {
    static BASE: OnceLock<Result<Base, String>> = OnceLock::new();
    BASE.get_or_init(|| {
        if !xtask::host::is_root() {
            return Err("needs root (PID and mount namespaces, build dependencies)".into());
        }
        let Some(tar) = xtask::shared::shared_tar() else {
            return Err(
                "../shared/glusterfs is absent beside the project (or set GLK_SHARED)".into(),
            );
        };
        // A static is never dropped, so a TempDir here stayed in /tmp after
        // every run: one fixed directory under the target dir instead,
        // emptied of the last run's copy at each start.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("build-faults-base");
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("emptying {}: {e}", dir.display()));
            }
            _ => {}
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let repo = xtask::shared::extract(&tar, &dir).map_err(|e| format!("{e:#}"))?;
        let from_suite = std::env::var_os("GLUSTER_LEGACY_PREFIX")
            .map(PathBuf::from)
            .and_then(|p| Some((verify::stamp::load(&p)?, p)))
            .filter(|(r, _)| {
                r.tree
                    .as_ref()
                    .is_some_and(|t| t.join("config.status").is_file())
            })
            .filter(|(r, _)| {
                let Ok(git) = git2::Repository::open(&repo) else {
                    return false;
                };
                git2::Oid::from_str(&r.commit).is_ok_and(|oid| git.find_commit(oid).is_ok())
            });
        let (report, prefix) = match from_suite {
            Some(found) => found,
            None => {
                eprintln!(
                    "==> no kept base build (GLUSTER_LEGACY_PREFIX): building v3.12.15 first"
                );
                let prefix = dir.join("base");
                let r = xtask::build::run(&Options {
                    rev: "v3.12.15".into(),
                    repo: repo.clone(),
                    prefix: prefix.clone(),
                    jobs: 2,
                    force: false,
                    keep_tree: true,
                    from: None,
                    run_at: None,
                })
                .map_err(|e| format!("building the base: {e:#}"))?;
                (r, prefix)
            }
        };
        Ok(Base {
            prefix,
            commit: report.commit,
            repo,
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

fn skip(test: &str, why: &str) {
    eprintln!("SKIPPED {test}: {why}");
}

/// A marker unique to this call.
fn new_mark() -> String {
    format!(
        "build-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// The live processes (host PID, name) whose environment carries `mark`.
fn marked(mark: &str) -> Vec<(u32, String)> {
    die_with_parent::procs::marked(MARK, mark, &[])
}

/// What a test builds from the base's tree: the base's commit into a
/// prefix of its own, or a commit that changes events.c for the base's
/// prefix (`--run-at`).
enum Job {
    Reconfigured,
    ForTheBase(String),
}

/// `xtask build` of `job` into `prefix`, from the base's tree.
fn build_cmd(base: &Base, job: &Job, prefix: &Path, work: &Path, mark: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xtask"));
    c.arg("build");
    let rev = match job {
        Job::Reconfigured => &base.commit,
        Job::ForTheBase(commit) => {
            c.arg("--run-at").arg(&base.prefix);
            commit
        }
    };
    c.args([rev, "--json", "--jobs", "2", "--repo"])
        .arg(&base.repo)
        .arg("--prefix")
        .arg(prefix)
        .arg("--from-build")
        .arg(&base.prefix)
        .env(MARK, mark)
        .env("GLK_BUILD_WORK", work)
        .stdin(Stdio::null());
    c
}

/// The build's log (one per prefix under GLK_BUILD_WORK).
fn log_text(work: &Path) -> String {
    walkdir::WalkDir::new(work)
        .max_depth(2)
        .into_iter()
        .flatten()
        .find(|e| e.file_name() == "build.log")
        .and_then(|e| std::fs::read_to_string(e.path()).ok())
        .unwrap_or_default()
}

/// Kills the run when `step` has run for `into` with make's own children
/// alive; the names of its processes just before the kill.
fn kill_during(
    base: &Base,
    job: &Job,
    prefix: &Path,
    work: &Path,
    step: &str,
    into: Duration,
) -> Vec<String> {
    let mark = new_mark();
    std::fs::create_dir_all(work).unwrap();
    let err = std::fs::File::create(work.join(format!("xtask-{step}.err"))).unwrap();
    // PR_SET_PDEATHSIG only guards against this test dying first.
    let mut child =
        die_with_parent::die_with_parent(&mut build_cmd(base, job, prefix, work, &mark))
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .unwrap();
    let header = format!("==> {step}:");
    let t = Instant::now();
    let mut began = None;
    let before = loop {
        if let Some(st) = child.try_wait().unwrap() {
            panic!(
                "the build ended ({st}) before it was killed during {step}:\n{}",
                std::fs::read_to_string(work.join(format!("xtask-{step}.err"))).unwrap()
            );
        }
        assert!(
            t.elapsed() < STEP_LIMIT,
            "no {step} step after {STEP_LIMIT:?}"
        );
        if began.is_none() && log_text(work).contains(&header) {
            began = Some(Instant::now());
        }
        if began.is_some_and(|b| b.elapsed() >= into) {
            let now = marked(&mark);
            // A moment with make's children at work: what PDEATHSIG on make
            // alone would leave behind.
            let busy = now.iter().any(|(_, n)| n == "make")
                && now.iter().any(|(_, n)| {
                    [
                        "cc1", "ld", "collect2", "as", "libtool", "install", "bash", "sh",
                    ]
                    .contains(&n.as_str())
                });
            if busy {
                break now;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // SIGKILL the kit alone: not its group, nothing else.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
    let t = Instant::now();
    let mut left = marked(&mark);
    while !left.is_empty() && t.elapsed() < GRACE {
        std::thread::sleep(Duration::from_millis(100));
        left = marked(&mark);
    }
    let mut names: Vec<&str> = before.iter().map(|(_, n)| n.as_str()).collect();
    names.sort();
    names.dedup();
    eprintln!(
        "[{step}] killed with {} processes of the run ({}); {:.2} s later {} left {left:?}",
        before.len(),
        names.join(" "),
        t.elapsed().as_secs_f64(),
        left.len()
    );
    for (pid, _) in &left {
        // Only what this run started (the marker), so a failing test does
        // not leave a build running.
        unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
    }
    assert!(
        left.is_empty(),
        "{step}: processes of the killed build left: {left:?}"
    );
    before.into_iter().map(|(_, n)| n).collect()
}

#[test]
fn build_killed_mid_install_leaves_no_process_and_no_stamp_and_the_next_call_rebuilds() {
    let name = "build_killed_mid_install";
    let base = match base() {
        Ok(b) => b,
        Err(why) => return skip(name, &why),
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (prefix, work) = (dir.path().join("prefix"), dir.path().join("work"));
    let stamp = report::stamp_path(&prefix);
    let names = kill_during(
        base,
        &Job::Reconfigured,
        &prefix,
        &work,
        "install",
        Duration::from_secs(3),
    );
    assert!(names.iter().any(|n| n == "make"), "{names:?}");
    assert!(
        !stamp.exists(),
        "a stamp claims the killed build: {}",
        stamp.display()
    );
    assert!(
        prefix.join("lib").is_dir(),
        "the kill did not land mid-install: nothing installed yet"
    );

    let mark = new_mark();
    let out = build_cmd(base, &Job::Reconfigured, &prefix, &work, &mark)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the next call failed:\n{stderr}");
    let r: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!r.reused, "the half-installed prefix was reused: {r:?}");
    assert!(r.start.from.is_some(), "{:?}", r.start);
    assert_eq!(
        verify::stamp::load(&prefix).as_ref().map(|s| &s.commit),
        Some(&r.commit)
    );
    let version = Command::new(prefix.join("sbin/glusterfsd"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("glusterfs 3.12.15"));
    assert!(marked(&mark).is_empty(), "a finished build left processes");
}

/// A commit on the base's whose events.c differs by a comment: make has
/// one object to compile and every library and program to relink.
fn commit_touching_events_c(base: &Base) -> String {
    let git = git2::Repository::open(&base.repo).unwrap();
    let parent = git
        .find_commit(git2::Oid::from_str(&base.commit).unwrap())
        .unwrap();
    let tree = parent.tree().unwrap();
    let path = "libglusterfs/src/events.c";
    let old = tree.get_path(Path::new(path)).unwrap();
    let mut text = git.find_blob(old.id()).unwrap().content().to_vec();
    text.extend_from_slice(b"\n/* build_faults: a change for make to compile */\n");
    let blob = git.blob(&text).unwrap();
    let mut update = git2::build::TreeUpdateBuilder::new();
    update.upsert(path, blob, git2::FileMode::Blob);
    let new_tree = git
        .find_tree(update.create_updated(&git, &tree).unwrap())
        .unwrap();
    let sig = git2::Signature::now("build_faults", "build-faults@example.invalid").unwrap();
    git.commit(
        None,
        &sig,
        &sig,
        "events.c: a comment",
        &new_tree,
        &[&parent],
    )
    .unwrap()
    .to_string()
}

#[test]
fn build_for_the_base_prefix_killed_mid_make_and_mid_install_leaves_no_stamp_and_the_next_call_builds_in_the_base_paths(
) {
    let name = "build_for_the_base_prefix_killed_mid_make_and_mid_install";
    let base = match base() {
        Ok(b) => b,
        Err(why) => return skip(name, &why),
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let job = Job::ForTheBase(commit_touching_events_c(base));
    let dir = tempfile::tempdir().unwrap();
    let (prefix, work) = (dir.path().join("prefix"), dir.path().join("work"));
    let stamp = report::stamp_path(&prefix);
    let staging = prefix.join(".glk-destdir");
    for (step, into) in [
        ("make", Duration::from_secs(4)),
        ("install", Duration::from_secs(3)),
    ] {
        let names = kill_during(base, &job, &prefix, &work, step, into);
        assert!(names.iter().any(|n| n == "make"), "{step}: {names:?}");
        assert!(!stamp.exists(), "{step}: a stamp claims the killed build");
        if step == "install" {
            assert!(
                staging.is_dir(),
                "the kill did not land mid-install: nothing staged yet"
            );
            assert!(!prefix.join("lib").exists(), "installed before the move");
        }
    }

    let mark = new_mark();
    let out = build_cmd(base, &job, &prefix, &work, &mark)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the next call failed:\n{stderr}");
    let r: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!r.reused, "{r:?}");
    assert!(
        r.start.why.contains("made in the base's paths"),
        "{:?}",
        r.start
    );
    assert_eq!(
        r.run_at.as_deref(),
        Some(base.prefix.canonicalize().unwrap().as_path())
    );
    assert!(
        !staging.exists(),
        "the staged files of the killed run are left"
    );
    assert!(prefix.join("lib/libglusterfs.so.0").exists());
    // Its programs run where they were built for, bound there.
    let version = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount --bind "$1" "$2" && exec "$2/sbin/glusterfsd" --version"#)
        .arg("sh")
        .arg(&prefix)
        .arg(&base.prefix)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&version.stdout).starts_with("glusterfs 3.12.15"),
        "{version:?}"
    );
    assert!(marked(&mark).is_empty(), "a finished build left processes");
}

fn mount_lines() -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn build_into_a_full_tmpfs_fails_naming_install_and_leaves_nothing_claiming_a_build() {
    let name = "build_into_a_full_tmpfs_fails";
    let base = match base() {
        Ok(b) => b,
        Err(why) => return skip(name, &why),
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (mnt, work) = (dir.path().join("small"), dir.path().join("work"));
    std::fs::create_dir(&mnt).unwrap();
    let stdout = dir.path().join("stdout.json");
    let mark = new_mark();
    let mounts_before = mount_lines();

    // The tmpfs lives and dies with this mount namespace: the host's mount
    // table never sees it. What is left on it is looked at from inside.
    let xtask = build_cmd(base, &Job::Reconfigured, &mnt.join("prefix"), &work, &mark);
    let mut argv: Vec<String> = vec![xtask.get_program().to_string_lossy().into()];
    argv.extend(xtask.get_args().map(|a| a.to_string_lossy().into_owned()));
    let script = r#"
        set -u
        mnt=$1; out=$2; shift 2
        mount -t tmpfs -o size=20m glk-small "$mnt" || exit 90
        "$@" > "$out"
        rc=$?
        stamp="$mnt/prefix/share/gluster-legacy-kit/build.json"
        if [ -e "$stamp" ]; then echo "LEFT: $stamp" >&2; fi
        echo "USED: $(df -k --output=used "$mnt" | tail -1) KiB" >&2
        exit $rc
    "#;
    let mut c = Command::new("unshare");
    die_with_parent::die_with_parent(&mut c)
        .args([
            "-m",
            "--propagation",
            "private",
            "bash",
            "-c",
            script,
            "bash",
        ])
        .arg(&mnt)
        .arg(&stdout)
        .args(&argv)
        .envs(xtask.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdin(Stdio::null());
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(
        out.status.code(),
        Some(90),
        "mounting the tmpfs failed:\n{stderr}"
    );
    assert!(
        !out.status.success(),
        "the build succeeded on a 20 MiB prefix:\n{stderr}"
    );
    assert!(
        stderr.contains("install failed"),
        "the error does not name the step:\n{stderr}"
    );
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(
        stderr.contains("choose another --prefix"),
        "says what to do:\n{stderr}"
    );
    assert!(!stderr.contains("LEFT:"), "a stamp was left:\n{stderr}");
    assert!(!stderr.contains("==> installed"), "{stderr}");
    assert!(
        std::fs::read(&stdout).unwrap().is_empty(),
        "a report was printed for a failed build"
    );
    assert_eq!(mount_lines(), mounts_before, "the host's mounts changed");
    assert_eq!(
        std::fs::read_dir(&mnt).unwrap().count(),
        0,
        "the host's dir was written"
    );
    assert!(marked(&mark).is_empty(), "the failed build left processes");
    let used = stderr
        .lines()
        .find(|l| l.starts_with("USED:"))
        .unwrap_or("");
    eprintln!("tmpfs install failed as it should; {used}");
}
