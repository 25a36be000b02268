//! `cargo xtask bench NAME`: benchmarks that print ratios measured side by
//! side in one run, one module per bench, each with a `run` that `main.rs`
//! calls. Machines are noisy, so each figure is the median of several runs
//! (`timing`) and each comparison is taken in the same run. `timing` and
//! `worktree` are leaves the benches share; no bench imports another.

pub mod backport;
pub mod build;
pub mod corpus;
pub mod heal_all;
pub mod heal_info;
pub mod lines;
pub mod regress;
pub mod shim;
pub mod stall;
pub mod survey;
pub mod timing;
pub mod toolchains;
pub mod worktree;
