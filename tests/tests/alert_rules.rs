//! The Prometheus alerting rules shipped for heal-info serve
//! (heal-info/dist/gluster-heal-info-alerts.yml, packaged, and its copy in
//! ci/prometheus/): checked and unit-tested with Debian's promtool against
//! the series in ci/prometheus/gluster-heal-info-alerts.test.yml.

use std::path::{Path, PathBuf};
use std::process::Command;
use tests::skip;

const PROMTOOL: &str = "/usr/bin/promtool";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn promtool(args: &[&str]) -> (bool, String) {
    let out = Command::new(PROMTOOL).args(args).output().unwrap();
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
fn the_packaged_rules_and_the_ci_copy_are_one() {
    let packaged =
        std::fs::read(root().join("heal-info/dist/gluster-heal-info-alerts.yml")).unwrap();
    let ci = std::fs::read(root().join("ci/prometheus/gluster-heal-info-alerts.yml")).unwrap();
    assert!(
        packaged == ci,
        "heal-info/dist and ci/prometheus copies differ"
    );
}

#[test]
fn promtool_checks_and_unit_tests_the_alerting_rules() {
    let name = "promtool_checks_and_unit_tests_the_alerting_rules";
    if !Path::new(PROMTOOL).exists() {
        return skip(
            name,
            "promtool is not installed (the prometheus package; cargo xtask test installs it as root)",
        );
    }
    for rules in [
        "heal-info/dist/gluster-heal-info-alerts.yml",
        "ci/prometheus/gluster-heal-info-alerts.yml",
    ] {
        let (ok, out) = promtool(&["check", "rules", root().join(rules).to_str().unwrap()]);
        assert!(ok, "{rules}: {out}");
        assert!(out.contains("SUCCESS: 8 rules found"), "{rules}: {out}");
    }
    let test = root().join("ci/prometheus/gluster-heal-info-alerts.test.yml");
    let (ok, out) = promtool(&["test", "rules", test.to_str().unwrap()]);
    eprintln!("{out}");
    assert!(ok && out.contains("SUCCESS"), "{out}");

    // The unit tests can fail: a rule made to fire at once (no `for`) is
    // caught by the 20-minute check of GlusterHealPending.
    let dir = tempfile::tempdir().unwrap();
    let rules =
        std::fs::read_to_string(root().join("ci/prometheus/gluster-heal-info-alerts.yml")).unwrap();
    let broken = rules.replacen("        for: 30m\n", "", 1);
    assert_ne!(broken, rules);
    std::fs::write(dir.path().join("gluster-heal-info-alerts.yml"), broken).unwrap();
    std::fs::copy(&test, dir.path().join("t.yml")).unwrap();
    let (ok, out) = promtool(&["test", "rules", dir.path().join("t.yml").to_str().unwrap()]);
    assert!(!ok, "a broken rule passed: {out}");
    assert!(out.contains("GlusterHealPending"), "{out}");
}
