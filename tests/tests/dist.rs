//! The packages operators install (`cargo xtask dist`), inspected with the
//! real tools: rpm and dpkg-deb read them, both are installed into throwaway
//! roots and the installed heal-info runs from there, the binaries need
//! nothing above glibc 2.17, and a second dist gives the same bytes. The
//! dist build (heal-info for glibc 2.17) is slow, so it runs once per test
//! binary and the tests share its output.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use tests::skip;

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `cargo xtask dist --json` (with extra args) and returns its report.
fn dist(extra: &[&str]) -> Value {
    let out = Command::new("cargo")
        .args(["xtask", "dist", "--json"])
        .args(extra)
        .current_dir(project())
        .output()
        .expect("running cargo xtask dist");
    assert!(
        out.status.success(),
        "cargo xtask dist failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "dist --json printed no single JSON document ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The first dist of this run, shared by all tests.
fn report() -> &'static Value {
    static REPORT: OnceLock<Value> = OnceLock::new();
    REPORT.get_or_init(|| dist(&[]))
}

/// The artifact of `kind` whose file name starts with `prefix`.
fn artifact(kind: &str, prefix: &str) -> PathBuf {
    let found: Vec<PathBuf> = report()["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter(|a| a["kind"] == kind)
        .map(|a| PathBuf::from(a["path"].as_str().unwrap()))
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    assert_eq!(found.len(), 1, "one {kind} named {prefix}*: {found:?}");
    found[0].clone()
}

fn have(program: &str) -> bool {
    xtask::paths::which(program).is_some()
}

fn run(cmd: &mut Command) -> String {
    let out: Output = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn rpm_q(rpm: &Path, args: &[&str]) -> String {
    run(Command::new("rpm").args(["-qp"]).args(args).arg(rpm))
}

fn lines(s: &str) -> Vec<&str> {
    s.lines().filter(|l| !l.is_empty()).collect()
}

const HEAL_INFO_MAN: &[&str] = &[
    "heal-info.1.gz",
    "heal-info-doctor.1.gz",
    "heal-info-probe.1.gz",
    "heal-info-scan.1.gz",
    "heal-info-serve.1.gz",
];

/// heal-info serve's systemd unit and its example drop-in, in both formats.
const HEAL_INFO_UNIT: &str = "/usr/lib/systemd/system/heal-info.service";
const HEAL_INFO_DROPIN_EXAMPLE: &str = "/usr/share/gluster-heal-info/heal-info-textfile.conf";
const HEAL_INFO_ALERTS: &str = "/usr/share/gluster-heal-info/gluster-heal-info-alerts.yml";
const HEAL_INFO_DASHBOARD: &str = "/usr/share/gluster-heal-info/gluster-heal-info-dashboard.json";

/// The features rpm 4.11 (EL7) provides; a package needing another
/// `rpmlib(...)` would not install there.
const EL7_RPMLIB: &[&str] = &[
    "BuiltinLuaScripts",
    "CompressedFileNames",
    "ConcurrentAccess",
    "ExplicitPackageProvide",
    "FileCaps",
    "FileDigests",
    "HeaderLoadSortsTags",
    "PartialHardlinkSets",
    "PayloadFilesHavePrefix",
    "PayloadIsBzip2",
    "PayloadIsLzma",
    "PayloadIsXz",
    "ScriptletExpansion",
    "ScriptletInterpreterArgs",
    "TildeInVersions",
    "VersionedDependencies",
];

/// glibc's libraries, the only ones the programs link (libgfapi is opened
/// at run time, so it must not be required).
const GLIBC_SONAMES: &[&str] = &[
    "libc.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "libm.so.6",
    "librt.so.1",
    "ld-linux-x86-64.so.2",
];

#[test]
fn dist_json_names_every_artifact_with_its_digest() {
    let r = report();
    assert_eq!(r["version"], env!("CARGO_PKG_VERSION"));
    let arts = r["artifacts"].as_array().unwrap();
    for kind in ["rpm", "deb"] {
        assert_eq!(
            arts.iter().filter(|a| a["kind"] == kind).count(),
            2,
            "{kind}"
        );
    }
    for a in arts {
        let path = Path::new(a["path"].as_str().unwrap());
        let bytes = std::fs::read(path).unwrap();
        let out = run(Command::new("sha256sum").arg(path));
        assert_eq!(
            a["sha256"].as_str().unwrap(),
            &out[..64],
            "{}",
            path.display()
        );
        assert!(!bytes.is_empty());
    }
    // Under cargo's target dir, as the README says.
    let so = artifact("so", "libgfresolv.so");
    assert_eq!(
        so.parent().unwrap(),
        xtask::paths::target_dir().unwrap().join("dist")
    );
    artifact("bin", "heal-info");
    artifact("completion", "heal-info");
    for page in HEAL_INFO_MAN.iter().chain(&["gfresolv.8.gz"]) {
        artifact("man", page);
    }
}

#[test]
fn binaries_need_nothing_above_glibc_2_17() {
    for file in [
        artifact("so", "libgfresolv.so"),
        artifact("bin", "heal-info"),
    ] {
        let v = xtask::portable::max_glibc(&file).unwrap();
        assert!(
            v <= (2, 17),
            "{} needs GLIBC_{}.{}",
            file.display(),
            v.0,
            v.1
        );
        assert!(
            v >= (2, 2),
            "objdump found no GLIBC versions in {}",
            file.display()
        );
    }
}

#[test]
fn rpms_are_gzip_with_a_license_libc_requires_and_no_scriptlets() {
    if !have("rpm") {
        return skip(
            "rpms_are_gzip",
            "rpm not installed (cargo xtask test installs it)",
        );
    }
    let heal_info_files: Vec<String> = HEAL_INFO_MAN
        .iter()
        .map(|m| format!("/usr/share/man/man1/{m}"))
        .chain([
            "/usr/bin/heal-info".into(),
            "/usr/share/bash-completion/completions/heal-info".into(),
            HEAL_INFO_UNIT.into(),
            HEAL_INFO_DROPIN_EXAMPLE.into(),
            HEAL_INFO_ALERTS.into(),
            HEAL_INFO_DASHBOARD.into(),
        ])
        .collect();
    let shim_files: Vec<String> = [
        "/etc/gfresolv.conf",
        "/usr/lib64/libgfresolv.so",
        "/usr/share/gfresolv/glusterd-gfresolv.conf",
        "/usr/share/man/man8/gfresolv.8.gz",
    ]
    .map(String::from)
    .into();
    for (prefix, files) in [
        ("gfresolv-", shim_files),
        ("gluster-heal-info-", heal_info_files),
    ] {
        let rpm = artifact("rpm", prefix);
        let name = prefix.trim_end_matches('-');
        let q = rpm_q(
            &rpm,
            &["--qf", "%{NAME}|%{PAYLOADCOMPRESSOR}|%{LICENSE}|%{ARCH}"],
        );
        assert_eq!(q, format!("{name}|gzip|MIT OR Apache-2.0|x86_64"));
        let mut listed = lines(&rpm_q(&rpm, &["-l"]))
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        listed.sort();
        let mut want = files;
        want.sort();
        assert_eq!(listed, want, "{}", rpm.display());
        assert_eq!(rpm_q(&rpm, &["--scripts"]), "", "no scriptlets");
        // Only glibc (found from the ELF files), the config file's own
        // provide, and rpmlib features EL7 has.
        let requires = rpm_q(&rpm, &["--requires"]);
        assert!(
            requires.contains("libc.so.6(GLIBC_2.2.5)(64bit)"),
            "{requires}"
        );
        for r in lines(&requires) {
            if let Some(feature) = r.strip_prefix("rpmlib(") {
                let feature = feature.split(')').next().unwrap();
                assert!(EL7_RPMLIB.contains(&feature), "rpm 4.11 lacks {r}");
            } else if !r.starts_with(&format!("config({name}) = ")) {
                let soname = r.split('(').next().unwrap();
                assert!(GLIBC_SONAMES.contains(&soname), "Requires {r}: not glibc");
            }
        }
    }
    // The config file is %config(noreplace): flags config (1) + noreplace (16).
    let flags = rpm_q(
        &artifact("rpm", "gfresolv-"),
        &["--qf", "[%{FILENAMES} %{FILEFLAGS}\n]"],
    );
    assert!(
        flags.lines().any(|l| l == "/etc/gfresolv.conf 17"),
        "{flags}"
    );
}

#[test]
fn debs_depend_on_libc_and_keep_the_config_as_a_conffile() {
    let shim = artifact("deb", "gfresolv_");
    let heal = artifact("deb", "gluster-heal-info_");
    let field = |deb: &Path, f: &str| run(Command::new("dpkg-deb").args(["-f"]).arg(deb).arg(f));
    for deb in [&shim, &heal] {
        // glibc 2.17 is what the build links against (checked above).
        assert_eq!(field(deb, "Depends").trim(), "libc6 (>= 2.17)");
        assert_eq!(field(deb, "Architecture").trim(), "amd64");
        // No maintainer scripts: turning the shim on stays an explicit act.
        let info = run(Command::new("dpkg-deb").arg("-I").arg(deb));
        for script in ["preinst", "postinst", "prerm", "postrm"] {
            assert!(
                !info.contains(&format!(" {script} ")),
                "{script} in\n{info}"
            );
        }
    }
    let ctrl = tempfile::tempdir().unwrap();
    run(Command::new("dpkg-deb")
        .arg("-e")
        .arg(&shim)
        .arg(ctrl.path()));
    assert_eq!(
        std::fs::read_to_string(ctrl.path().join("conffiles")).unwrap(),
        "/etc/gfresolv.conf\n"
    );
    let files = |deb: &Path| -> Vec<String> {
        let mut v: Vec<String> = run(Command::new("dpkg-deb").arg("-c").arg(deb))
            .lines()
            .filter(|l| !l.starts_with('d'))
            .map(|l| {
                l.split_whitespace()
                    .last()
                    .unwrap()
                    .trim_start_matches('.')
                    .to_owned()
            })
            .collect();
        v.sort();
        v
    };
    let shim_files = files(&shim);
    for want in [
        "/etc/gfresolv.conf",
        "/usr/lib/x86_64-linux-gnu/libgfresolv.so",
        "/usr/share/gfresolv/glusterd-gfresolv.conf",
        "/usr/share/man/man8/gfresolv.8.gz",
        "/usr/share/doc/gfresolv/copyright",
    ] {
        assert!(
            shim_files.iter().any(|f| f == want),
            "{want} not in {shim_files:?}"
        );
    }
    let heal_files = files(&heal);
    for want in HEAL_INFO_MAN
        .iter()
        .map(|m| format!("/usr/share/man/man1/{m}"))
        .chain([
            "/usr/bin/heal-info".into(),
            "/usr/share/bash-completion/completions/heal-info".into(),
            HEAL_INFO_UNIT.into(),
            HEAL_INFO_DROPIN_EXAMPLE.into(),
            HEAL_INFO_ALERTS.into(),
            HEAL_INFO_DASHBOARD.into(),
        ])
    {
        assert!(heal_files.contains(&want), "{want} not in {heal_files:?}");
    }
}

/// Checks what a package installed under `root`, with the library in `libdir`.
fn check_installed(root: &Path, libdir: &str) {
    let heal = root.join("usr/bin/heal-info");
    let version = run(Command::new(&heal).arg("--version"));
    assert_eq!(
        version.trim(),
        format!("heal-info {}", env!("CARGO_PKG_VERSION"))
    );
    // The doctor reads this machine (and, as root, measures in private
    // namespaces with the installed binary); one JSON document.
    let out = Command::new(&heal)
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("doctor --json");
    assert!(v["glibc"].is_string() && v["verdict"].is_string(), "{v}");
    if verify::tools::can_unshare().is_ok() {
        assert!(v["path_probe"]["sends_paths_to_dns"].is_boolean(), "{v}");
    }
    // The gfapi feature is in: probe exists and opens libgfapi at run time.
    let out = Command::new(&heal)
        .args(["probe", "vol", "--prefix", "/nonexistent-prefix"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("loading /nonexistent-prefix/lib/libgfapi.so.0"),
        "{err}"
    );
    // Nothing reached glusterd, so nothing may point at it or at a log.
    assert!(
        !err.contains("glusterd running") && !err.contains("its log"),
        "{err}"
    );
    // With a real libgfapi (Debian's 10.3) it resolves every symbol and gets
    // as far as glfs_init, which fails: there is no glusterd socket here.
    let system = Path::new("/usr/lib/x86_64-linux-gnu/libgfapi.so.0");
    if system.exists() {
        let prefix = tempfile::tempdir().unwrap();
        std::fs::create_dir(prefix.path().join("lib")).unwrap();
        std::os::unix::fs::symlink(system, prefix.path().join("lib/libgfapi.so.0")).unwrap();
        let out = Command::new(&heal)
            .args(["probe", "novolume", "--prefix"])
            .arg(prefix.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("glfs_init for novolume failed"), "{err}");
        assert!(
            err.contains("the last lines of its log") || err.contains("is glusterd running on"),
            "{err}"
        );
    } else {
        skip(
            "probe with libgfapi",
            "no system libgfapi (glusterfs-common)",
        );
    }
    // The man pages render and the completion loads.
    let man = run(Command::new("man")
        .arg("-l")
        .arg(root.join("usr/share/man/man1/heal-info-doctor.1.gz"))
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80"));
    assert!(man.contains("--no-measure"), "{man}");
    let man = run(Command::new("man")
        .arg("-l")
        .arg(root.join("usr/share/man/man8/gfresolv.8.gz"))
        .env("MANPAGER", "cat"));
    assert!(man.contains("GFRESOLV_ONLY"), "{man}");
    run(Command::new("bash").arg("-c").arg(format!(
        "source {} && complete -p heal-info",
        root.join("usr/share/bash-completion/completions/heal-info")
            .display()
    )));
    // The installed shim answers a socket path at once.
    let so = root
        .join(libdir.trim_start_matches('/'))
        .join("libgfresolv.so");
    let out = tests::probe_socket_path_with(&so);
    assert!(out.starts_with("rc=-2 "), "{out}");
    // The drop-in example points at that library and is not active.
    let example =
        std::fs::read_to_string(root.join("usr/share/gfresolv/glusterd-gfresolv.conf")).unwrap();
    assert!(
        example.contains(&format!("Environment=LD_PRELOAD={libdir}/libgfresolv.so\n")),
        "{example}"
    );
    assert!(!root.join("etc/systemd").exists());
    // heal-info serve's unit runs the installed heal-info, and systemd
    // accepts it (with its path under this root).
    let unit = std::fs::read_to_string(root.join(HEAL_INFO_UNIT.trim_start_matches('/'))).unwrap();
    assert!(
        unit.contains("ExecStart=/usr/bin/heal-info serve "),
        "{unit}"
    );
    assert!(unit.contains("heal-info.service.d"), "{unit}");
    let example =
        std::fs::read_to_string(root.join(HEAL_INFO_DROPIN_EXAMPLE.trim_start_matches('/')))
            .unwrap();
    assert!(
        example.contains("Environment=\"HEAL_INFO_ARGS=--textfile "),
        "{example}"
    );
    if have("systemd-analyze") {
        let unit = unit.replace("/usr/bin/heal-info", heal.to_str().unwrap());
        let (ok, stderr) = systemd_verify(&unit, &example);
        assert!(
            ok && stderr.trim().is_empty(),
            "systemd-analyze verify:\n{stderr}"
        );
        // The check can fail: the first example drop-in, unquoted, which
        // systemd split at the space and so lost the directory.
        let unquoted = example.replace(
            "Environment=\"HEAL_INFO_ARGS=--textfile /var/lib/prometheus/node-exporter\"",
            "Environment=HEAL_INFO_ARGS=--textfile /var/lib/prometheus/node-exporter",
        );
        assert_ne!(
            unquoted, example,
            "the example drop-in changed: update this test"
        );
        let (_, stderr) = systemd_verify(&unit, &unquoted);
        assert!(
            stderr.contains("Invalid environment assignment"),
            "systemd-analyze verify took the unquoted drop-in without a warning:\n{stderr}"
        );
    } else {
        skip(
            "systemd-analyze verify heal-info.service",
            "systemd-analyze is not installed",
        );
    }
    assert!(!root.join("etc/ld.so.preload").exists());
    assert_eq!(
        std::fs::read(root.join("etc/gfresolv.conf")).unwrap(),
        std::fs::read(project().join("shim/gfresolv.conf")).unwrap()
    );
}

/// `systemd-analyze verify` of `unit` with `dropin` in its drop-in
/// directory, as an operator installs it: (exit status success, stderr).
/// A warning (an ignored assignment, an unknown option) exits 0, so the
/// caller reads stderr too.
fn systemd_verify(unit: &str, dropin: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("heal-info.service");
    std::fs::write(&path, unit).unwrap();
    let dropins = dir.path().join("heal-info.service.d");
    std::fs::create_dir(&dropins).unwrap();
    std::fs::write(dropins.join("textfile.conf"), dropin).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn rpms_install_into_a_throwaway_root_and_heal_info_runs_there() {
    if !have("rpm") {
        return skip(
            "rpms_install",
            "rpm not installed (cargo xtask test installs it)",
        );
    }
    if let Err(why) = verify::tools::can_unshare() {
        // rpm sets owners and modes of the files it installs.
        return skip("rpms_install", &why);
    }
    let dir = tempfile::tempdir().unwrap();
    run(Command::new("rpm")
        .arg("--root")
        .arg(dir.path())
        .arg("--initdb"));
    run(Command::new("rpm")
        .arg("--root")
        .arg(dir.path())
        .args(["-i", "--nodeps"])
        .arg(artifact("rpm", "gfresolv-"))
        .arg(artifact("rpm", "gluster-heal-info-")));
    let installed = run(Command::new("rpm").arg("--root").arg(dir.path()).args([
        "-q",
        "--qf",
        "%{NAME}\n",
        "gfresolv",
        "gluster-heal-info",
    ]));
    assert_eq!(installed, "gfresolv\ngluster-heal-info\n");
    check_installed(dir.path(), "/usr/lib64");
}

#[test]
fn debs_unpack_into_a_throwaway_root_and_heal_info_runs_there() {
    let dir = tempfile::tempdir().unwrap();
    for deb in [
        artifact("deb", "gfresolv_"),
        artifact("deb", "gluster-heal-info_"),
    ] {
        run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(dir.path()));
    }
    check_installed(dir.path(), "/usr/lib/x86_64-linux-gnu");
}

#[test]
fn a_second_dist_gives_byte_identical_artifacts() {
    let first = report();
    let out = tempfile::tempdir().unwrap();
    let second = dist(&["--out-dir", out.path().to_str().unwrap()]);
    let digests = |r: &Value| -> Vec<(String, String, String)> {
        let mut v: Vec<(String, String, String)> = r["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let p = Path::new(a["path"].as_str().unwrap());
                (
                    a["kind"].as_str().unwrap().to_owned(),
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    a["sha256"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(digests(first), digests(&second));
    // Two packages in each format, the two bare files, six man pages
    // (heal-info serve's among them) and the completion.
    assert_eq!(first["artifacts"].as_array().unwrap().len(), 13);
}
