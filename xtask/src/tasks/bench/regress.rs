//! `cargo xtask bench regress`: the smoke set of 3.12.15's own EC and AFR
//! `.t` tests on the kit's build of v3.12.15, one test at a time against
//! `--jobs 2` and `--jobs 4`, in one run: the wall time of each, the ratio
//! to one at a time, and each test's seconds and peak memory (the summed
//! resident set of its namespace's processes) at one at a time. Upstream
//! cannot run two at once on one machine; the kit's namespaces can.

use anyhow::{bail, Result};
use std::time::{Duration, Instant};

use crate::regress::SMOKE;

pub fn run(jobs: &[usize]) -> Result<()> {
    let Some(tar) = crate::shared::shared_tar() else {
        bail!("bench regress builds v3.12.15 from ../shared/glusterfs, which is not beside the project");
    };
    let dir = tempfile::tempdir()?;
    let repo = crate::shared::extract(&tar, dir.path())?;
    let prefix = crate::ab::builds_dir()?.join("v3.12.15-bench");
    let report = crate::build::run(&crate::build::Options {
        rev: "v3.12.15".into(),
        repo,
        prefix: prefix.clone(),
        jobs: 2,
        force: false,
        keep_tree: true,
        from: None,
        run_at: None,
    })?;
    let Some(tree) = report.tree.clone() else {
        bail!("the build kept no tree");
    };
    let keep = crate::paths::target_dir()?.join("regress").join("bench");
    let mut rows = Vec::new();
    for &j in jobs {
        eprintln!("==> bench regress: {} tests, --jobs {j}", SMOKE.len());
        let t = Instant::now();
        let runs = crate::regress::run(&crate::regress::Options {
            tree: tree.clone(),
            prefix: prefix.clone(),
            tests: SMOKE.iter().map(|s| s.to_string()).collect(),
            jobs: j,
            timeout: Duration::from_secs(300),
            retries: 0,
            keep: keep.clone(),
        })?;
        let failed: Vec<&str> = runs
            .iter()
            .filter(|r| !r.passed())
            .map(|r| r.test.as_str())
            .collect();
        if !failed.is_empty() {
            bail!(
                "--jobs {j}: {} did not pass; a timing of failures says nothing",
                failed.join(", ")
            );
        }
        rows.push((j, t.elapsed().as_secs_f64(), runs));
    }
    let one = rows.first().map_or(f64::NAN, |r| r.1);
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::ASCII_MARKDOWN)
        .set_header(["--jobs", "wall s", "of one at a time"]);
    for (j, secs, _) in &rows {
        t.add_row([
            j.to_string(),
            format!("{secs:.1}"),
            format!("{:.2}", secs / one),
        ]);
    }
    println!("{t}");
    if let Some((j, _, runs)) = rows.first() {
        let mut per = comfy_table::Table::new();
        per.load_preset(comfy_table::presets::ASCII_MARKDOWN)
            .set_header([
                "test".to_string(),
                format!("s (--jobs {j})"),
                "peak MiB".to_string(),
            ]);
        for r in runs {
            per.add_row([
                r.test.clone(),
                format!("{:.1}", r.seconds),
                format!("{:.0}", r.peak_kib as f64 / 1024.0),
            ]);
        }
        println!("{per}");
    }
    Ok(())
}
