//! heal-info's command line against stand-in glfsheal scripts and saved
//! output: every failure gets its own exit code and a message, never a panic.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn heal_info(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heal-info"))
        .args(args)
        .env_remove("GLFSHEAL")
        .output()
        .unwrap()
}

fn script(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("glfsheal");
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn stderr_json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

const TEXT: &str = "Brick n1:/b/1\n/a\nStatus: Connected\nNumber of entries: 1\n\nBrick n1:/b/2\nStatus: Connected\nNumber of entries: 0\n";

#[test]
fn saved_output_is_reported_with_exit_1_for_pending_entries() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("out.txt");
    std::fs::write(&f, TEXT).unwrap();
    let o = heal_info(&[
        "v",
        "--from",
        f.to_str().unwrap(),
        "--format",
        "json",
        "--entries",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = stderr_json(&o);
    assert_eq!(v["totals"]["entries"], 1);
    assert_eq!(v["bricks"][0]["entry_paths"][0], "/a");
    let o = heal_info(&["v", "--from", f.to_str().unwrap()]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("n1:/b/1") && table.contains("2/2 bricks connected, 1 entries pending heal"),
        "{table}"
    );
}

#[test]
fn prometheus_output_parses_with_a_real_parser() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("out.txt");
    std::fs::write(&f, TEXT).unwrap();
    let o = heal_info(&[
        "v-x",
        "--from",
        f.to_str().unwrap(),
        "--format",
        "prometheus",
    ]);
    let text = String::from_utf8(o.stdout).unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let s = scrape
        .samples
        .iter()
        // prometheus-client keeps a family's series in a hash map: find
        // the brick by its label, not by its place.
        .find(|s| {
            s.metric == "gluster_volume_heal_count" && s.labels.get("brick_path") == Some("/b/1")
        })
        .unwrap();
    assert_eq!(s.labels.get("volume"), Some("v-x"));
    assert_eq!(s.labels.get("brick_path"), Some("/b/1"));
    assert_eq!(s.labels.get("host"), Some("n1"));
    assert!(matches!(s.value, prometheus_parse::Value::Gauge(v) if v == 1.0));
    // Label values are escaped as the exposition format requires.
    let o = heal_info(&[
        "v\"x",
        "--from",
        f.to_str().unwrap(),
        "--format",
        "prometheus",
    ]);
    assert!(String::from_utf8_lossy(&o.stdout).contains(r#"volume="v\"x""#));
}

#[test]
fn malformed_truncated_and_empty_output_exit_4_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    for (body, want) in [
        (
            "echo '<cliOutput><healInfo><bricks><brick><name>n:/b</name>'",
            "truncated",
        ),
        ("true", "printed nothing"),
        (
            "echo 'Brick n:/b'; echo 'Number of entries: many'",
            "not a number",
        ),
        ("echo 'Volume v does not exist'", "does not exist"),
        ("kill -SEGV $$", "signal 11"),
    ] {
        let g = script(dir.path(), body);
        let o = heal_info(&["v", "--glfsheal", g.to_str().unwrap(), "--format", "json"]);
        assert_eq!(o.status.code(), Some(4), "{body}");
        let v = stderr_json(&o);
        let e = v["error"].as_str().unwrap_or("");
        assert!(e.contains(want), "{body}: {e}");
    }
}

#[test]
fn deadline_is_kept_and_the_hang_is_diagnosed() {
    let dir = tempfile::tempdir().unwrap();
    let g = script(dir.path(), "exec sleep 30");
    let t = std::time::Instant::now();
    let o = heal_info(&[
        "v",
        "--glfsheal",
        g.to_str().unwrap(),
        "--timeout",
        "1",
        "--format",
        "json",
    ]);
    assert!(t.elapsed().as_secs_f64() < 25.0);
    assert_eq!(o.status.code(), Some(3));
    let v = stderr_json(&o);
    assert!(v["diagnosis"]["pid"].as_u64().unwrap() > 0);
    assert!(!v["diagnosis"]["threads"].as_array().unwrap().is_empty());
}

#[test]
fn missing_glfsheal_says_where_it_looked() {
    let o = heal_info(&["v", "--prefix", "/nonexistent/prefix"]);
    assert_eq!(o.status.code(), Some(4));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("/nonexistent/prefix/libexec/glusterfs/glfsheal") && e.contains("--glfsheal"),
        "{e}"
    );
}

#[test]
fn a_summary_of_3_12_plain_output_is_computed_from_the_entry_marks() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("out.txt");
    // 3.12.15's glfsheal VOL (no info-summary): each entry's status ends its line.
    std::fs::write(
        &f,
        "Brick n1:/b/1\n/a - Is in split-brain\n\n/b - Possibly undergoing heal\n\n/c \nStatus: Connected\nNumber of entries: 3\n\nBrick n1:/b/2\nStatus: Connected\nNumber of entries: 0\n",
    )
    .unwrap();
    let o = heal_info(&[
        "v",
        "--from",
        f.to_str().unwrap(),
        "--summary",
        "--format",
        "json",
    ]);
    let v = stderr_json(&o);
    assert_eq!(v["summary_source"], "computed-from-entries", "{v}");
    let b = &v["bricks"][0];
    assert_eq!(
        (
            &b["entries"],
            &b["heal_pending"],
            &b["split_brain"],
            &b["possibly_healing"]
        ),
        (&3.into(), &1.into(), &1.into(), &1.into()),
        "{v}"
    );
    assert_eq!(v["totals"]["possibly_healing"], 1);
    let o = heal_info(&["v", "--from", f.to_str().unwrap(), "--summary"]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("possibly-healing") && table.contains("computed from glfsheal's entry list"),
        "{table}"
    );
}

#[test]
fn bad_input_says_what_to_do() {
    let o = heal_info(&[]);
    assert_eq!(o.status.code(), Some(64), "no volume named: a usage error");
    assert!(String::from_utf8_lossy(&o.stderr).contains("heal-info --all"));
    let o = heal_info(&["v", "--timeout", "0"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("positive number of seconds"));
    assert_eq!(o.status.code(), Some(64));
    let o = heal_info(&["--all", "--jobs", "0"]);
    assert_eq!(o.status.code(), Some(64), "clap refuses --jobs 0");
    let o = heal_info(&[
        "serve",
        "--glfsheal",
        "/bin/true",
        "--listen",
        "not-an-address",
    ]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("give --listen HOST:PORT"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Info-mode XML as glfsheal writes it (glfsh_print_xml_heal_op_status,
/// glfs-heal.c v3.12.15 line 253: `numberOfEntries` only), pretty-printed
/// by xmlSaveFormatFileEnc.
const INFO_XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <healInfo>
    <bricks>
      <brick hostUuid="3fc345d8-5ddd-43fe-9106-2265b001d9a0">
        <name>n1:/b/1</name>
        <status>Connected</status>
        <numberOfEntries>0</numberOfEntries>
      </brick>
    </bricks>
  </healInfo>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
</cliOutput>
"#;

#[test]
fn info_mode_split_brain_is_unknown_not_zero() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("out.xml");
    std::fs::write(&f, INFO_XML).unwrap();
    let o = heal_info(&["v", "--from", f.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v = stderr_json(&o);
    assert_eq!(v["totals"]["split_brain"], serde_json::Value::Null, "{v}");
    assert_eq!(
        v["bricks"][0]["split_brain"],
        serde_json::Value::Null,
        "{v}"
    );
    let o = heal_info(&["v", "--from", f.to_str().unwrap()]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("split-brain unknown") && !table.contains("0 in split-brain"),
        "{table}"
    );
    let o = heal_info(&["v", "--from", f.to_str().unwrap(), "--format", "prometheus"]);
    let text = String::from_utf8(o.stdout).unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    assert!(
        !scrape
            .samples
            .iter()
            .any(|s| s.metric == "gluster_volume_split_brain_heal_count"),
        "an unknown count has no series: {text}"
    );
}

#[test]
fn split_brain_mode_counts_go_to_the_split_brain_metric_only() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("out.xml");
    // `glfsheal VOL split-brain-info xml`: the XML writer puts the
    // split-brain count in `numberOfEntries` too
    // (glfsh_print_xml_heal_op_status, glfs-heal.c v3.12.15 line 253).
    std::fs::write(
        &f,
        INFO_XML.replace(
            "<status>Connected</status>\n        <numberOfEntries>0</numberOfEntries>",
            "<file gfid=\"9f0d2f6a-6d3c-4b8e-9b1e-2f5a0c6e7d11\">/a</file>\n        <file gfid=\"1c2b3a49-5e6f-4a8b-9c0d-1e2f3a4b5c6d\">/b</file>\n        <status>Connected</status>\n        <numberOfEntries>2</numberOfEntries>",
        ),
    )
    .unwrap();
    let o = heal_info(&[
        "v",
        "--from",
        f.to_str().unwrap(),
        "--split-brain",
        "--format",
        "prometheus",
    ]);
    let text = String::from_utf8(o.stdout).unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let value = |metric: &str| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == metric && s.labels.get("brick_path") == Some("/b/1"))
            .map(|s| s.value.clone())
    };
    assert!(
        matches!(value("gluster_volume_split_brain_heal_count"), Some(prometheus_parse::Value::Gauge(v)) if v == 2.0),
        "{text}"
    );
    // split-brain-info lists only split-brain entries: the pending count
    // is not known in this mode.
    assert!(value("gluster_volume_heal_count").is_none(), "{text}");
}

#[test]
fn a_partial_crawl_exits_1_with_its_count_and_crawl_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("out.txt");
    // glfsh_print_hr_heal_op_status (glfs-heal.c v3.12.15 line 356) for a
    // brick whose crawl failed after counting 5 entries.
    std::fs::write(
        &f,
        "Brick n1:/b/1\n/a\nStatus: Failed to process entries completely. (Transport endpoint is not connected)\nNumber of entries: 5\n\nBrick n1:/b/2\nStatus: Connected\nNumber of entries: 0\n\n",
    )
    .unwrap();
    let o = heal_info(&["v", "--from", f.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "pending, not disconnected (2)");
    let v = stderr_json(&o);
    let b = &v["bricks"][0];
    assert_eq!(b["connected"], true, "{v}");
    assert_eq!(b["entries"], 5, "{v}");
    assert_eq!(
        b["crawl_error"], "Transport endpoint is not connected",
        "{v}"
    );
    assert_eq!(v["bricks"][1]["crawl_error"], serde_json::Value::Null);
    let o = heal_info(&["v", "--from", f.to_str().unwrap(), "--format", "prometheus"]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("gluster_heal_info_brick_crawl_partial{")
                && l.contains("brick_path=\"/b/1\"")
                && l.ends_with(" 1")),
        "{text}"
    );
}

#[test]
fn usage_errors_exit_64_not_2_which_is_a_disconnected_brick() {
    for args in [
        &["--no-such-flag"][..],
        &["v", "--format", "yaml"],
        &["v", "--summary", "--split-brain"],
        &["serve", "--jobs", "x"],
    ] {
        let o = heal_info(args);
        assert_eq!(o.status.code(), Some(64), "{args:?}");
        assert!(!o.stderr.is_empty(), "{args:?}: clap says why");
    }
    // Asking for help or the version is no error.
    for args in [&["--help"][..], &["--version"]] {
        let o = heal_info(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(!o.stdout.is_empty(), "{args:?}");
    }
    let o = heal_info(&["--help"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains(" 64  the command line is wrong"));
}

/// `gluster volume info --xml` for one volume, in the elements 3.12's
/// cli-xml-output.c writes (cli_xml_output_vol_info: `<type>` and
/// `<typeStr>` from vol_type_str[]).
fn volume_xml(name: &str, type_code: u8, type_str: &str) -> String {
    format!(
        "<volume><name>{name}</name><id>6b4a1e43-9e4c-4a57-8f5e-0c1d2e3f4a5b</id><status>1</status><statusStr>Started</statusStr><snapshotCount>0</snapshotCount><brickCount>2</brickCount><distCount>1</distCount><stripeCount>1</stripeCount><replicaCount>1</replicaCount><arbiterCount>0</arbiterCount><disperseCount>0</disperseCount><redundancyCount>0</redundancyCount><type>{type_code}</type><typeStr>{type_str}</typeStr><transport>0</transport><bricks><brick uuid=\"u\">n1:/b/{name}<name>n1:/b/{name}</name><hostUuid>u</hostUuid><isArbiter>0</isArbiter></brick></bricks><optCount>0</optCount><options/></volume>"
    )
}

#[test]
fn all_skips_pure_distribute_volumes_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let sbin = dir.path().join("sbin");
    std::fs::create_dir_all(&sbin).unwrap();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><volInfo><volumes>{}{}<count>2</count></volumes></volInfo></cliOutput>",
        volume_xml("dist", 0, "Distribute"),
        volume_xml("rep", 2, "Replicate")
    );
    let gluster = sbin.join("gluster");
    std::fs::write(&gluster, format!("#!/bin/sh\ncat <<'EOF'\n{xml}\nEOF\n")).unwrap();
    std::fs::set_permissions(&gluster, std::fs::Permissions::from_mode(0o755)).unwrap();
    // glfsheal's answer for a volume with no afr or ec (glfs-heal.c v3.12.15
    // line 1521, through glfsh_xml_end).
    script(
        &sbin,
        r#"if [ "$1" = dist ]; then
  echo '<cliOutput><opRet>-1</opRet><opErrno>22</opErrno><opErrstr>Volume dist is not of type replicate/disperse</opErrstr></cliOutput>'
  exit 1
fi
printf 'Brick n1:/b/rep\nStatus: Connected\nNumber of entries: 0\n\n'"#,
    );
    let o = heal_info(&[
        "--all",
        "--prefix",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v = stderr_json(&o);
    assert_eq!(o.status.code(), Some(0), "{v}");
    let names: Vec<&str> = v["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["volume"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["rep"], "{v}");
    assert_eq!(v["skipped"][0]["volume"], "dist", "{v}");
    assert!(
        v["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("Distribute"),
        "{v}"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("dist: skipped"), "{err}");
}

/// A stand-in glfsheal under PREFIX/sbin that appends `log` (printf
/// format) to PREFIX/var/log/glusterfs/glfsheal-VOL.log, then hangs.
fn hanging_glfsheal_writing(prefix: &Path, log: &str) {
    let sbin = prefix.join("sbin");
    std::fs::create_dir_all(&sbin).unwrap();
    script(
        &sbin,
        &format!(
            r#"echo "$*" >> "$(dirname "$0")/../args"
log="$(dirname "$0")/../var/log/glusterfs/glfsheal-$1.log"
mkdir -p "$(dirname "$log")"
printf '{log}' >> "$log"
exec sleep 30"#
        ),
    );
}

/// Going UP lines as ec_up logs them (3.x's format, no zone), ten and a
/// half seconds apart.
const GOING_UP: &str = "[2026-11-25 16:08:48.000000] I [ec.c:343:ec_up] 0-v-disperse-0: Going UP\\n[2026-11-25 16:08:58.500000] I [ec.c:343:ec_up] 0-v-disperse-1: Going UP\\n";

#[test]
fn a_non_utf8_byte_in_the_log_keeps_the_going_up_evidence() {
    let dir = tempfile::tempdir().unwrap();
    // \351 is Latin-1 e-acute: not UTF-8 on its own.
    hanging_glfsheal_writing(
        dir.path(),
        &format!(
            "[2026-11-25 16:08:47.000000] W [socket.c:1] 0-v: peer caf\\351 closed\\n{GOING_UP}"
        ),
    );
    let o = heal_info(&[
        "v",
        "--prefix",
        dir.path().to_str().unwrap(),
        "--timeout",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let v = stderr_json(&o);
    assert_eq!(
        v["diagnosis"]["going_up"].as_array().unwrap().len(),
        2,
        "{v}"
    );
    assert_eq!(v["diagnosis"]["going_up_gaps"][0], 10.5, "{v}");
}

#[test]
fn nolog_runs_and_a_deadline_reruns_with_the_log_for_the_diagnosis() {
    let dir = tempfile::tempdir().unwrap();
    let sbin = dir.path().join("sbin");
    std::fs::create_dir_all(&sbin).unwrap();
    let glusterfs = sbin.join("glusterfs");
    std::fs::write(&glusterfs, "#!/bin/sh\necho 'glusterfs 10.3'\n").unwrap();
    std::fs::set_permissions(&glusterfs, std::fs::Permissions::from_mode(0o755)).unwrap();
    // With --nolog glfsheal logs nothing (GF_LOG_NONE, glfs-heal.c v10.3
    // main); without, ec_up's lines reach its log.
    script(
        &sbin,
        &format!(
            r#"echo "$*" >> "$(dirname "$0")/../args"
case " $* " in *" --nolog "*) exec sleep 30 ;; esac
log="$(dirname "$0")/../var/log/glusterfs/glfsheal-$1.log"
mkdir -p "$(dirname "$log")"
printf '{GOING_UP}' >> "$log"
exec sleep 30"#
        ),
    );
    let o = heal_info(&[
        "v",
        "--prefix",
        dir.path().to_str().unwrap(),
        "--timeout",
        "1",
        "--format",
        "json",
        "--nolog",
    ]);
    let v = stderr_json(&o);
    assert_eq!(o.status.code(), Some(3), "{v}");
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    let runs: Vec<&str> = args.lines().collect();
    assert_eq!(runs, ["v --xml --nolog", "v --xml"], "{v}");
    assert_eq!(
        v["diagnosis"]["going_up"].as_array().unwrap().len(),
        2,
        "{v}"
    );
    assert!(v["error"].as_str().unwrap().contains("with its log"), "{v}");
}

#[test]
fn a_hung_plain_summary_after_a_usage_answer_is_diagnosed_not_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let sbin = dir.path().join("sbin");
    std::fs::create_dir_all(&sbin).unwrap();
    // No glusterfs: the version is unknown, so info-summary is tried first;
    // 3.12.15's glfsheal prints its usage for it (USAGE_STR, main), and
    // the summary is then counted from the plain run, which hangs here.
    script(
        &sbin,
        &format!(
            r#"echo "$*" >> "$(dirname "$0")/../args"
case " $* " in *" info-summary "*)
  echo "Usage: $0 <VOLNAME> [bigger-file <FILE> | latest-mtime <FILE> | source-brick <HOSTNAME:BRICKNAME> [<FILE>] | split-brain-info]"
  exit 1 ;;
esac
log="$(dirname "$0")/../var/log/glusterfs/glfsheal-$1.log"
mkdir -p "$(dirname "$log")"
printf '{GOING_UP}' >> "$log"
exec sleep 30"#
        ),
    );
    let o = heal_info(&[
        "v",
        "--prefix",
        dir.path().to_str().unwrap(),
        "--summary",
        "--timeout",
        "1",
        "--format",
        "json",
        "--nolog",
    ]);
    let v = stderr_json(&o);
    assert_eq!(o.status.code(), Some(3), "{v}");
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        ["v info-summary --xml --nolog", "v"],
        "{v}"
    );
    assert_eq!(
        v["diagnosis"]["going_up"].as_array().unwrap().len(),
        2,
        "{v}"
    );
}
