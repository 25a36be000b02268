//! What a real glusterd and glfsheal (Debian's 10.3, in private namespaces)
//! say to two of heal-info's choices: glfsheal run with `--nolog` leaves
//! glfsheal-VOL.log as it was however often heal-info runs, and `--all`
//! skips a pure Distribute volume (glusterd's own `typeStr`) instead of
//! failing on glfsheal's "is not of type replicate/disperse".

use heal_info::all::AllReport;
use tests::skip;
use verify::cluster::{self, Cluster, Flavor};
use verify::tools::heal_info_bin;

fn heal_info(c: &Cluster, args: &[&str]) -> (i32, String, String) {
    let bin = heal_info_bin().display().to_string();
    let mut argv = vec![bin.as_str()];
    argv.extend_from_slice(args);
    let out = c.exec(&argv).unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn log_size(c: &Cluster, volume: &str) -> u64 {
    std::fs::metadata(c.log_dir().join(format!("glfsheal-{volume}.log"))).map_or(0, |m| m.len())
}

#[test]
fn nolog_keeps_the_log_and_all_skips_distribute() {
    let name = "nolog_keeps_the_log_and_all_skips_distribute";
    if let Err(why) = cluster::available() {
        return skip(name, &why);
    }
    assert!(
        heal_info_bin().exists(),
        "build heal-info first (cargo build -p heal-info)"
    );
    let c = Cluster::start_flavor(Flavor::system()).unwrap();
    c.create_volume("rep", "replica 3", 3).unwrap();
    // No layout words: a pure Distribute volume of two bricks.
    c.create_volume("dist", "", 2).unwrap();

    let (code, out, err) = heal_info(&c, &["rep", "--format", "json", "--nolog"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let before = log_size(&c, "rep");
    for _ in 0..2 {
        let (code, out, err) = heal_info(&c, &["rep", "--format", "json", "--nolog"]);
        assert_eq!(code, 0, "{out}\n{err}");
    }
    let quiet = (log_size(&c, "rep") - before) / 2;
    // glfsheal as `gluster volume heal rep info` runs it, logging.
    let glfsheal = "/usr/lib/x86_64-linux-gnu/glusterfs/glfsheal";
    let before = log_size(&c, "rep");
    let out = c.exec(&[glfsheal, "rep", "--xml"]).unwrap();
    assert!(out.status.success(), "{out:?}");
    let logged = log_size(&c, "rep") - before;
    eprintln!("log growth per run: {quiet} bytes from heal-info, {logged} from a logging glfsheal");
    let log = || {
        String::from_utf8_lossy(
            &std::fs::read(c.log_dir().join("glfsheal-rep.log")).unwrap_or_default(),
        )
        .into_owned()
    };
    // 10.3's --nolog is not quite silent: io-stats sets the log level from
    // the volume's own options when the graph starts, and logs its one
    // ios_sample_buf_size_configure line at INFO. The graph dump and the
    // connection lines of a logging run stay out.
    assert!(
        quiet < 512 && logged > 10 * quiet.max(1),
        "a heal-info run added {quiet} bytes, a logging glfsheal run {logged}:\n{}",
        log()
    );

    let (code, out, err) = heal_info(&c, &["--all", "--format", "json"]);
    let v: AllReport = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(code, 0, "{v:?}\n{err}");
    let run: Vec<&str> = v.volumes.iter().map(|r| r.volume.as_str()).collect();
    assert_eq!(run, ["rep"], "{v:?}");
    assert_eq!(v.skipped[0].volume, "dist", "{v:?}");
    assert!(v.skipped[0].reason.contains("Distribute"), "{v:?}");
    assert!(err.contains("dist: skipped"), "{err}");

    // glfsheal's own answer for that volume, which --all no longer meets.
    let (code, out, _) = heal_info(&c, &["dist", "--format", "json"]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("is not of type"), "{out}");
}
