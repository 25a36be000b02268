//! The verify matrix as the tasks run it (`verify`, `test`, `bench lines`,
//! `bench stall`): which builds to run it on and what each has of every
//! stage of the series, resolved here with the kit's own `backport --check`
//! (a build's stamp, the A/B's two builds, or the user's word), then handed
//! to `verify::run` as typed targets. The document that comes back is typed.
//! `Plan::default()` is where the matrix's defaults live: the kit's series
//! and every host shape.

use crate::ab;
use anyhow::{bail, Result};
use std::path::PathBuf;
use verify::judge::{DELIVERY, STALL};
use verify::{Document, Role, Stages, Target};

/// What to run the matrix on.
pub struct Plan {
    /// The series whose stages `backport --check` asks about.
    pub series: PathBuf,
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

impl Default for Plan {
    fn default() -> Self {
        Plan {
            series: crate::paths::series(),
            prefixes: Vec::new(),
            fixed: Vec::new(),
            fixed_delivery: None,
            unfixed: Vec::new(),
            upstream: None,
            ab: None,
            reference: false,
            subvols: 3,
            hosts: verify::Host::ALL.to_vec(),
        }
    }
}

/// The targets and the A/B's build reports.
fn targets(plan: &Plan) -> Result<(Vec<Target>, Vec<verify::stamp::Report>)> {
    let mut targets = Vec::new();
    let mut builds = Vec::new();
    let named = |p: &PathBuf, stages: Stages| Target {
        name: p.display().to_string(),
        role: Role::Prefix,
        prefix: p.clone(),
        stages,
    };
    for p in &plan.prefixes {
        let stages = ab::stamp_stages(&plan.series, p, plan.upstream.as_deref())?;
        targets.push(named(p, stages));
    }
    // The user's word: --fixed is the stall stage, with the delivery stage
    // as --fixed-delivery says.
    let fixed = Stages::unknown()
        .with(STALL, Some(true))
        .with(DELIVERY, plan.fixed_delivery);
    targets.extend(plan.fixed.iter().map(|p| named(p, fixed.clone())));
    // 3.x as released sends to 127.0.0.1 whatever the host; an unfixed
    // build of a later line may not: the kit cannot tell.
    let unfixed = Stages::unknown().with(STALL, Some(false));
    targets.extend(plan.unfixed.iter().map(|p| named(p, unfixed.clone())));
    if let Some(opts) = &plan.ab {
        for b in ab::prepare(opts, &plan.series)? {
            targets.push(Target {
                name: b.rev.name.clone(),
                role: b.role,
                prefix: b.prefix,
                stages: b.stages,
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
            hosts: plan.hosts.clone(),
            ..verify::Dimensions::default()
        },
    };
    let (cells, ok) = verify::run(&opts)?;
    Ok(Document { builds, cells, ok })
}
