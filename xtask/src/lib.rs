//! The gluster-legacy-kit task runner as a library, so that the CLI, the
//! end-to-end tests and the benchmarks all call the same functions.

pub mod ab;
pub mod backport;
pub mod bench;
pub mod blackhole;
pub mod build;
pub mod corpus;
pub mod demo;
pub mod dist;
pub mod fixture;
pub mod git;
pub mod history;
pub mod host_dirs;
pub mod lines;
pub mod paths;
pub mod shim;
pub mod stall;
pub mod test;
pub mod verify;
