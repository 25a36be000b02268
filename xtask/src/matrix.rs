//! The verify matrix as the tasks run it (`verify`, `test`, `bench lines`,
//! `bench stall`): which builds to run it on and whether each has the
//! events.c fix, resolved here with the kit's own `backport --check` (a
//! build's stamp, the A/B's two builds, or the user's word), then handed to
//! `verify::run` as typed targets. The document that comes back is typed.

use crate::ab;
use anyhow::{bail, Result};
use std::path::PathBuf;
use verify::{Document, Role, Target};

/// What to run the matrix on.
#[derive(Default)]
pub struct Plan {
    /// Installed builds made by `cargo xtask build`: the fix status is read
    /// from each one's stamp and the repository it names.
    pub prefixes: Vec<PathBuf>,
    /// Installed builds known to have the fix (the stall stage; the delivery
    /// stage too when `fixed_delivery`).
    pub fixed: Vec<PathBuf>,
    /// Whether the `fixed` builds have the delivery stage; None: unknown.
    pub fixed_delivery: Option<bool>,
    /// Installed builds known to lack the fix.
    pub unfixed: Vec<PathBuf>,
    /// Where the series' upstream commits are read from, for the stamps' checks.
    pub upstream: Option<PathBuf>,
    /// The A/B: build a branch and its base.
    pub ab: Option<ab::Options>,
    /// Also run the reference (Debian's 10.3 and the probe); without other
    /// builds it always runs.
    pub reference: bool,
    /// Disperse subvolumes in the test volume (each 2+1).
    pub subvols: usize,
    /// The host shapes to run each build on [default: all three].
    pub hosts: Vec<verify::Host>,
}

/// The targets and the A/B's build reports.
fn targets(plan: &Plan) -> Result<(Vec<Target>, Vec<verify::stamp::Report>)> {
    let mut targets = Vec::new();
    let mut builds = Vec::new();
    let named = |p: &PathBuf, fixed: Option<bool>, delivery: Option<bool>| Target {
        name: p.display().to_string(),
        role: Role::Prefix,
        prefix: p.clone(),
        fixed,
        delivery,
    };
    for p in &plan.prefixes {
        let fixed = ab::stamp_fixed(p, plan.upstream.as_deref())?;
        let delivery = ab::stamp_delivery(p, plan.upstream.as_deref())?;
        targets.push(named(p, Some(fixed), delivery));
    }
    targets.extend(
        plan.fixed
            .iter()
            .map(|p| named(p, Some(true), plan.fixed_delivery)),
    );
    // 3.x as released sends to 127.0.0.1 whatever the host; an unfixed
    // build of a later line may not: the kit cannot tell.
    targets.extend(plan.unfixed.iter().map(|p| named(p, Some(false), None)));
    if let Some(opts) = &plan.ab {
        for b in ab::prepare(opts)? {
            targets.push(Target {
                name: b.rev.name.clone(),
                role: b.role,
                prefix: b.prefix,
                fixed: Some(b.fixed),
                delivery: b.delivery,
            });
            builds.push(b.report);
        }
    }
    for t in &mut targets {
        if !t.prefix.join("sbin").is_dir() {
            bail!(
                "{} is not an installed GlusterFS build (no sbin/): build one with cargo xtask build",
                t.prefix.display()
            );
        }
        // The cluster runs in other namespaces, whose commands must not
        // depend on this process's working directory.
        t.prefix = t.prefix.canonicalize()?;
    }
    Ok((targets, builds))
}

/// Runs the matrix (the programs must be built: `tools::build_tools`).
pub fn run(plan: &Plan) -> Result<Document> {
    if let Err(why) = verify::cluster::available() {
        bail!("cannot run here: {why}");
    }
    let (targets, builds) = targets(plan)?;
    let opts = verify::Options {
        reference: plan.reference || targets.is_empty(),
        targets,
        subvols: plan.subvols,
        dimensions: verify::Dimensions {
            hosts: if plan.hosts.is_empty() {
                verify::Host::ALL.to_vec()
            } else {
                plan.hosts.clone()
            },
            ..verify::Dimensions::default()
        },
    };
    let (cells, ok) = verify::run(&opts)?;
    Ok(Document { builds, cells, ok })
}
