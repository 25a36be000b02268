//! `--split-brain` and split-brain counts on a real split-brain, on the
//! real 10.3 cluster and the legacy 3.12.15 build (GLUSTER_LEGACY_PREFIX):
//! a replica 2 volume with quorum and self-heal off, files written with
//! one brick down and then with the other, so each brick blames the other.

use heal_info::model::Report;
use tests::skip;
use verify::cluster::{self, Cluster, Flavor};
use verify::tools::heal_info_bin;

#[test]
fn entries_in_split_brain_are_listed_and_counted() {
    if let Err(why) = cluster::available() {
        return skip("entries_in_split_brain_are_listed_and_counted", &why);
    }
    scenario(Flavor::system());
}

#[test]
fn entries_in_split_brain_are_listed_and_counted_on_a_legacy_build() {
    let name = "entries_in_split_brain_are_listed_and_counted_on_a_legacy_build";
    let Some(prefix) = std::env::var_os("GLUSTER_LEGACY_PREFIX") else {
        return skip(
            name,
            "GLUSTER_LEGACY_PREFIX is not set to an installed legacy build",
        );
    };
    if let Err(why) = cluster::available() {
        return skip(name, &why);
    }
    scenario(Flavor::installed(std::path::Path::new(&prefix)).unwrap());
}

/// heal-info inside the cluster, `--prefix` after the subcommand or volume.
fn heal_info(c: &Cluster, args: &[&str]) -> (i32, String, String) {
    let bin = heal_info_bin().display().to_string();
    let mut argv: Vec<String> = std::iter::once(bin)
        .chain(args.iter().map(|s| s.to_string()))
        .collect();
    if let Some(p) = &c.flavor.prefix {
        argv.splice(2..2, ["--prefix".to_string(), p.display().to_string()]);
    }
    let out = c
        .exec(&argv.iter().map(String::as_str).collect::<Vec<_>>())
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(c: &Cluster, args: &[&str]) -> (i32, Report) {
    let (code, out, err) = heal_info(c, args);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} ({e}): {out}\n{err}"));
    (code, v)
}

fn write_files(c: &Cluster) {
    let (code, _, err) = heal_info(c, &["probe", "sb", "--write-files", "3"]);
    assert_eq!(code, 0, "gfapi writes: {err}");
}

fn scenario(flavor: Flavor) {
    let c = Cluster::start_flavor(flavor).unwrap();
    c.create_volume("sb", "replica 2", 2).unwrap();
    for opt in [
        "cluster.quorum-type none",
        "cluster.self-heal-daemon off",
        "cluster.data-self-heal off",
        "cluster.metadata-self-heal off",
        "cluster.entry-self-heal off",
    ] {
        c.sh(&format!("gluster --mode=script volume set sb {opt}"))
            .unwrap();
    }
    // The files on both bricks, then rewritten with each brick down in turn.
    write_files(&c);
    for down in [0, 1] {
        c.kill_brick("sb", down).unwrap();
        write_files(&c);
        c.sh("gluster --mode=script volume start sb force").unwrap();
        c.wait_bricks_online("sb", 2).unwrap();
    }

    let (code, sb) = json(&c, &["sb", "--split-brain", "--format", "json"]);
    eprintln!("--split-brain: {}", serde_json::to_string(&sb).unwrap());
    assert_eq!(code, 1, "{sb:?}");
    let mut named = false;
    for b in &sb.bricks {
        assert!(b.split_brain.unwrap() >= 3, "{b:?}");
        // glfsheal names an entry by path where it can, else by gfid.
        let listed = &b.entry_paths;
        assert!(listed.len() >= 3, "{b:?}");
        assert!(
            listed
                .iter()
                .all(|p| p.starts_with('/') || p.starts_with("<gfid:")),
            "{b:?}"
        );
        named |= listed.iter().any(|p| p.ends_with("file-0"));
    }
    assert!(named, "no brick named /file-0: {sb:?}");
    let (_, summary) = json(&c, &["sb", "--summary", "--format", "json"]);
    eprintln!("--summary: {}", serde_json::to_string(&summary).unwrap());
    for b in &summary.bricks {
        assert!(b.split_brain.unwrap() >= 3, "{b:?}");
    }
    let (_, text, _) = heal_info(&c, &["sb", "--split-brain", "--format", "prometheus"]);
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let counts: Vec<f64> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "gluster_volume_split_brain_heal_count")
        .filter_map(|s| match s.value {
            prometheus_parse::Value::Gauge(v) => Some(v),
            _ => None,
        })
        .collect();
    assert_eq!(counts.len(), 2, "{text}");
    assert!(counts.iter().all(|&n| n >= 3.0), "{text}");
}
