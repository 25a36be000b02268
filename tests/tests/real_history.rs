//! The backport over the real GlusterFS history, tag by tag. Opt-in, since
//! it needs a full clone of upstream GlusterFS:
//! `GLUSTER_REPO=/path/to/glusterfs cargo test -p tests --test real_history -- --ignored --nocapture`

use std::path::PathBuf;
use xtask::history;

#[test]
#[ignore = "needs GLUSTER_REPO pointing at a full GlusterFS clone"]
fn every_release_tag_from_3_10_to_7_2_takes_the_series() {
    let Some(upstream) = std::env::var_os("GLUSTER_REPO").map(PathBuf::from) else {
        eprintln!("skipped: GLUSTER_REPO is not set; it must point at a full GlusterFS clone");
        return;
    };
    let series = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../patches/events.toml");
    let up = git2::Repository::open(&upstream).expect("GLUSTER_REPO is a git repository");
    let tags = history::release_tags(&up, (3, 10, 0), (7, 2, 0)).unwrap();
    assert!(
        tags.len() > 60,
        "expected the full release history, found {} tags",
        tags.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let scratch = history::scratch_repo(&upstream, dir.path()).unwrap();
    let mut failures = Vec::new();
    for tag in &tags {
        let r = history::sweep_tag(&upstream, &scratch, &series, tag).unwrap();
        println!("{}", serde_json::to_string(&r).unwrap());
        let ok = r.fix3_applied
            && r.series_applied
            && r.token_exact
            && r.idempotent
            && r.token_equal_ref != Some(false)
            && r.byte_equal_ref != Some(false)
            && r.fix3_byte_equal_ref != Some(false);
        if !ok {
            failures.push(r);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} tags failed: {failures:#?}",
        failures.len(),
        tags.len()
    );
}
