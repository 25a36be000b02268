//! `cargo xtask bench stall`: the stall curve on real builds. For k disperse
//! subvolumes under the black hole, heal info on the unfixed 3.12.15, the
//! backported branch, and the unfixed build with the shim, measured side by
//! side in one run through `verify --branch` (which builds both once, then
//! reuses them). The field saw 30 s per subvolume on 12x(4+1); here one
//! lookup waits 2 s (timeout:1 attempts:1, A and AAAA), so unfixed should
//! take about 2k s and the others stay flat.

use crate::matrix::Plan;
use anyhow::{bail, Result};
use std::path::PathBuf;
use verify::{Document, Host, Key, Resolver, Role, Shim};

fn seconds(v: &Document, role: Role, shim: Shim) -> (f64, u64) {
    let key = Key::kit(Host::Ipv4, Resolver::Blackhole, shim);
    v.cell(role, key)
        .map_or((f64::NAN, 0), |c| (c.seconds, c.dns_queries))
}

/// `fork`: a repository whose release-3.12 already has the series, and the
/// upstream it reads it from (its builds are reused); else the shared
/// repository is cloned and ported afresh.
pub fn run(ks: &[usize], fork: Option<(PathBuf, PathBuf)>) -> Result<()> {
    crate::tools::build_tools()?;
    let dir = tempfile::tempdir()?;
    let (upstream, fork) = match fork {
        Some((f, u)) => (u, f),
        None => {
            let Some(tar) = crate::ab::shared_tar() else {
                bail!("bench stall builds 3.12.15 from ../shared/glusterfs, which is not beside the project: pass --repo FORK --upstream UPSTREAM");
            };
            crate::ab::fork_with_backport(&tar, dir.path())?
        }
    };
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::ASCII_MARKDOWN);
    t.set_header(vec![
        "k",
        "unfixed s (DNS)",
        "backported s",
        "unfixed + shim fail s",
        "unfixed + shim loopback s",
        "unfixed / backported",
        "verdicts",
    ]);
    for &k in ks {
        eprintln!("==> bench stall: k = {k} disperse subvolumes");
        let v = crate::matrix::run(&Plan {
            // The stall is the same on every host shape.
            hosts: vec![Host::Ipv4],
            ab: Some(crate::ab::Options {
                branch: "release-3.12".into(),
                repo: fork.clone(),
                upstream: Some(upstream.clone()),
                base: None,
                jobs: 2,
                builds_dir: crate::ab::builds_dir()?,
                keep_base_tree: false,
            }),
            upstream: Some(upstream.clone()),
            subvols: k,
            ..Default::default()
        })?;
        let ok = v.ok;
        let (u, uq) = seconds(&v, Role::Base, Shim::None);
        let (b, _) = seconds(&v, Role::Branch, Shim::None);
        let (f, _) = seconds(&v, Role::Base, Shim::Fail);
        let (l, _) = seconds(&v, Role::Base, Shim::Loopback);
        t.add_row(vec![
            k.to_string(),
            format!("{u:.2} ({uq})"),
            format!("{b:.3}"),
            format!("{f:.3}"),
            format!("{l:.3}"),
            format!("{:.0}x", u / b),
            if ok { "all pass" } else { "FAILED" }.to_string(),
        ]);
    }
    println!("{t}");
    Ok(())
}
