//! The ci/ templates users copy into their forks: linted, and the Ansible
//! role run for real (ansible-core, `-c local`) inside a private mount
//! namespace, against files in a temp dir, never the machine's /etc.

use std::path::{Path, PathBuf};
use std::process::Command;
use tests::skip;
use verify::tools::{can_unshare, heal_info_bin};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn have(program: &str) -> bool {
    xtask::paths::which(program).is_some()
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("running a linter");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn workflow_templates_pass_actionlint_and_their_schemas() {
    if !have("check-jsonschema") {
        return skip(
            "workflow_templates_pass_actionlint_and_their_schemas",
            "check-jsonschema not installed (cargo xtask test installs it from PyPI)",
        );
    }
    let gh = root().join("ci/github/backport-check.yml");
    let gl = root().join("ci/gitlab/backport-check.yml");
    let (ok, out) = run(Command::new("check-jsonschema")
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(&gh));
    assert!(ok, "{out}");
    let (ok, out) = run(Command::new("check-jsonschema")
        .args(["--builtin-schema", "vendor.gitlab-ci"])
        .arg(&gl));
    assert!(ok, "{out}");
    if have("actionlint") {
        let (ok, out) = run(Command::new("actionlint").arg(&gh));
        assert!(ok, "{out}");
    } else {
        skip("actionlint part", "actionlint not installed");
    }
    // Both fetch upstream's commits, run the check, then the A/B (which
    // builds branch and base), and keep the JSON.
    for f in [&gh, &gl] {
        let text = std::fs::read_to_string(f).unwrap();
        // The last mention of each is the step itself (the first may be the header comment).
        let (fetch, check, verify) = (
            text.find("git fetch --no-tags \"$UPSTREAM_URL\"").unwrap(),
            text.rfind("backport --check").unwrap(),
            text.rfind("xtask verify --branch").unwrap(),
        );
        assert!(
            fetch < check && check < verify,
            "{}: steps out of order",
            f.display()
        );
        // Both stages' commits: the stall's (master, release-7, release-6)
        // and the delivery's (devel, release-8, release-9).
        for branch in [
            "master",
            "devel",
            "release-9",
            "release-8",
            "release-7",
            "release-6",
        ] {
            assert!(
                text.contains(&format!("refs/upstream/{branch}")),
                "{}: does not fetch {branch}",
                f.display()
            );
        }
        assert!(text.contains("verify.json") && text.contains("backport-check.json"));
        // The port proven by upstream's own tests, kept as an artifact.
        assert!(
            text.contains("cargo xtask regress --branch") && text.contains("regress.json"),
            "{}: runs no regress A/B",
            f.display()
        );
        // The system `cargo xtask fresh` proves the kit's install steps on.
        assert!(
            text.contains("image: rust:1-bookworm"),
            "{}: runs elsewhere than Debian 12 with Rust",
            f.display()
        );
    }
}

/// The python3 that runs ansible here, so modules run with the same one.
fn python3() -> PathBuf {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        for d in ["etc", "lib64", "systemd"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(
            dir.path().join("etc/environment"),
            "LANG=C.UTF-8\nPATH_EXTRA=/opt/bin\n",
        )
        .unwrap();
        let playbook = format!(
            "- hosts: localhost\n  gather_facts: false\n  roles:\n    - role: {}\n",
            root().join("ci/ansible/roles/gfresolv").display()
        );
        std::fs::write(dir.path().join("play.yml"), playbook).unwrap();
        Sandbox { dir }
    }

    fn p(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// Runs the role; returns the recap's `changed` count.
    fn play(&self, so: &Path, extra: &[(&str, &str)]) -> u32 {
        let mut vars = vec![
            ("gfresolv_so_src".to_string(), so.display().to_string()),
            (
                "gfresolv_lib_dir".into(),
                self.p("lib64").display().to_string(),
            ),
            (
                "gfresolv_etc_dir".into(),
                self.p("etc").display().to_string(),
            ),
            (
                "gfresolv_systemd_dir".into(),
                self.p("systemd").display().to_string(),
            ),
            (
                "gfresolv_doctor".into(),
                heal_info_bin().display().to_string(),
            ),
            ("gfresolv_daemon_reload".into(), "false".into()),
        ];
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let vars_json = serde_json::to_string(
            &vars
                .into_iter()
                .collect::<std::collections::BTreeMap<_, _>>(),
        )
        .unwrap();
        // A PID namespace of its own too: the role's doctor check judges the
        // gluster processes it can see, and a cluster another test or a
        // bench runs on this host is not the role's business.
        let out = Command::new("unshare")
            .args([
                "-m",
                "-p",
                "--fork",
                "--mount-proc",
                "ansible-playbook",
                "-i",
                "localhost,",
                "-c",
                "local",
                "-e",
            ])
            .arg(&vars_json)
            .arg(self.p("play.yml"))
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_LOCAL_TEMP", self.p("ansible-tmp"))
            .env("ANSIBLE_PYTHON_INTERPRETER", python3())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "ansible-playbook failed:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let recap = text
            .lines()
            .find(|l| l.contains("ok=") && l.contains("changed="))
            .unwrap_or_else(|| panic!("no recap:\n{text}"));
        recap
            .split_whitespace()
            .find_map(|w| w.strip_prefix("changed="))
            .unwrap()
            .parse()
            .unwrap()
    }
}

#[test]
fn ansible_role_rolls_out_idempotently_and_rolls_back_exactly() {
    if let Err(why) = can_unshare() {
        return skip("ansible_role", &why);
    }
    if !have("ansible-playbook") {
        return skip(
            "ansible_role",
            "ansible-core not installed (cargo xtask test installs it from PyPI)",
        );
    }
    let so = verify::tools::shim_so();
    assert!(
        so.exists() && heal_info_bin().exists(),
        "build the workspace first"
    );
    let s = Sandbox::new();
    let env_before = std::fs::read(s.p("etc/environment")).unwrap();

    // ld.so.preload with /etc/gfresolv.conf (root's, 0644) limiting the shim,
    // and /etc/environment left alone; the role's own doctor check passes.
    let preload = [("gfresolv_method", "preload")];
    assert!(s.play(&so, &preload) > 0);
    let lib = s.p("lib64/libgfresolv.so");
    assert_eq!(std::fs::read(&lib).unwrap(), std::fs::read(&so).unwrap());
    assert_eq!(
        std::fs::read_to_string(s.p("etc/ld.so.preload")).unwrap(),
        format!("{}\n", lib.display())
    );
    assert_eq!(std::fs::read(s.p("etc/environment")).unwrap(), env_before);
    let conf = s.p("etc/gfresolv.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(
        text.contains("\nonly = glfsheal,gluster\n") && text.contains("\nmode = fail\n"),
        "{text}"
    );
    let meta = std::fs::metadata(&conf).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!((meta.uid(), meta.mode() & 0o777), (0, 0o644));
    let doctor = Command::new(heal_info_bin())
        .args(["doctor", "--json", "--no-measure", "--etc"])
        .arg(s.p("etc"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
    assert_eq!(v["ld_so_preload_has_shim"], true);
    assert_eq!(v["shim_method"], "ld.so.preload", "{v}");
    assert_eq!(v["shim_files_writable"], serde_json::json!([]), "{v}");

    // A second run changes nothing.
    assert_eq!(s.play(&so, &preload), 0);

    // Rollback restores every file exactly, and removes what did not exist.
    assert!(
        s.play(
            &so,
            &[("gfresolv_method", "preload"), ("gfresolv_state", "absent")]
        ) > 0
    );
    assert_eq!(std::fs::read(s.p("etc/environment")).unwrap(), env_before);
    assert!(!s.p("etc/ld.so.preload").exists());
    assert!(!conf.exists());
    assert!(!lib.exists());
    let left: Vec<_> = std::fs::read_dir(s.p("etc"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("environment")],
        "backups left behind"
    );

    // The systemd method: a drop-in per unit, removed on rollback.
    assert!(s.play(&so, &[("gfresolv_method", "systemd")]) > 0);
    let dropin = std::fs::read_to_string(s.p("systemd/glusterd.service.d/gfresolv.conf")).unwrap();
    assert!(
        dropin.contains(&format!("Environment=LD_PRELOAD={}", lib.display())),
        "{dropin}"
    );
    assert_eq!(s.play(&so, &[("gfresolv_method", "systemd")]), 0);
    s.play(
        &so,
        &[("gfresolv_method", "systemd"), ("gfresolv_state", "absent")],
    );
    assert!(!s.p("systemd/glusterd.service.d/gfresolv.conf").exists());

    // A host rolled out by an earlier version of the role (GFRESOLV_ONLY in
    // /etc/environment, the original kept beside it) gets it back as it was.
    std::fs::write(s.p("etc/environment.gfresolv-orig"), &env_before).unwrap();
    let mut old = env_before.clone();
    old.extend_from_slice(b"GFRESOLV_ONLY=glfsheal,gluster\n");
    std::fs::write(s.p("etc/environment"), &old).unwrap();
    assert!(s.play(&so, &preload) > 0);
    assert_eq!(std::fs::read(s.p("etc/environment")).unwrap(), env_before);
    assert!(!s.p("etc/environment.gfresolv-orig").exists());
    assert!(conf.exists());
}

/// `gfresolv_source: package`: the role installs the gfresolv .deb from
/// `cargo xtask dist` with the real apt module and dpkg, then rolls back.
/// dpkg writes the real /usr, /etc and /var, so the whole run happens in a
/// private mount namespace with throwaway overlays on those three: the
/// host's files and package database are never touched.
#[test]
fn ansible_role_installs_the_gfresolv_package_and_purges_it() {
    const NAME: &str = "ansible_role_package";
    if let Err(why) = can_unshare() {
        return skip(NAME, &why);
    }
    if !have("ansible-playbook") || !have("dpkg") {
        return skip(NAME, "needs ansible-core and dpkg (a Debian host)");
    }
    // The apt module needs python3-apt, which only the system python has.
    let python = PathBuf::from("/usr/bin/python3");
    let apt_ok = Command::new(&python)
        .args(["-c", "import apt"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !apt_ok {
        return skip(NAME, "/usr/bin/python3 cannot import apt (python3-apt)");
    }
    let host_files = || {
        [
            "/usr/lib/x86_64-linux-gnu/libgfresolv.so",
            "/etc/gfresolv.conf",
        ]
        .map(|f| Path::new(f).exists())
    };
    let before = host_files();
    let s = Sandbox::new();
    let out = Command::new("cargo")
        .args(["xtask", "dist", "--json", "--out-dir"])
        .arg(s.p("dist"))
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo xtask dist:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let deb = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "deb")
        .map(|a| PathBuf::from(a["path"].as_str().unwrap()))
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("gfresolv_")
        })
        .expect("the gfresolv .deb");
    let libdir = "/usr/lib/x86_64-linux-gnu";
    let vars = |state: &str| {
        serde_json::json!({
            "gfresolv_source": "package",
            "gfresolv_method": "preload",
            "gfresolv_package_src": deb,
            "gfresolv_package_dir": s.p("pkg"),
            "gfresolv_lib_dir": libdir,
            "gfresolv_etc_dir": s.p("etc"),
            "gfresolv_systemd_dir": s.p("systemd"),
            "gfresolv_doctor": heal_info_bin(),
            "gfresolv_daemon_reload": false,
            "gfresolv_state": state,
        })
        .to_string()
    };
    std::fs::create_dir_all(s.p("pkg")).unwrap();
    let play = |state: &str| {
        format!(
            "ansible-playbook -i localhost, -c local -e '{}' {} | grep -E '^localhost|FAILED|fatal' \n",
            vars(state),
            s.p("play.yml").display()
        )
    };
    let mut script = String::from("set -e\n");
    for d in ["usr", "etc", "var"] {
        let ov = s.p(&format!("overlay/{d}"));
        script += &format!(
            "mkdir -p {o}/up {o}/work\nmount -t overlay overlay -o lowerdir=/{d},upperdir={o}/up,workdir={o}/work /{d}\n",
            o = ov.display()
        );
    }
    let check = format!(
        "echo \"check: pkg=$(dpkg-query -W -f '${{db:Status-Status}}' gfresolv 2>/dev/null | grep -qx installed && echo yes || echo no) \
         lib=$(test -e {libdir}/libgfresolv.so && echo yes || echo no) \
         conf=$(test -e /etc/gfresolv.conf && echo yes || echo no) \
         preload=$(cat {etc}/ld.so.preload 2>/dev/null || echo none)\"\n",
        etc = s.p("etc").display()
    );
    script += &(play("present") + &check + &play("present") + &play("absent") + &check);
    let out = Command::new("unshare")
        // Its own PID namespace, as in `Sandbox::play`: the doctor sees
        // only the role's world.
        .args([
            "-m",
            "--propagation",
            "private",
            "-p",
            "--fork",
            "--mount-proc",
            "sh",
            "-c",
            &script,
        ])
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCAL_TEMP", s.p("ansible-tmp"))
        .env("ANSIBLE_PYTHON_INTERPRETER", &python)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && !text.contains("fatal") && !text.contains("failed=1"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let changed: Vec<u32> = text
        .lines()
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("changed="))
        })
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(
        changed.len() == 3 && changed[0] > 0 && changed[1] == 0 && changed[2] > 0,
        "{text}"
    );
    let checks: Vec<&str> = text.lines().filter(|l| l.starts_with("check:")).collect();
    assert_eq!(
        checks,
        vec![
            format!("check: pkg=yes lib=yes conf=yes preload={libdir}/libgfresolv.so").as_str(),
            "check: pkg=no lib=no conf=no preload=none",
        ],
        "{text}"
    );
    // Outside the namespace nothing happened.
    assert_eq!(host_files(), before);
}
