//! The gluster-legacy-kit task runner as a library, so that the CLI, the
//! end-to-end tests and the benchmarks all call the same functions.
//!
//! Leaves, which import no task: `host` (programs, root, packages and the
//! packaging tools), `paths` (the project, the series, cargo's target dir),
//! `tools` (the programs the verify cells run, built). Engines: `backport`,
//! `build`, `ab` (the A/B and fix status), `matrix` (the verify crate's
//! matrix on resolved targets), `dist`, `shim`, `chroot` (minimal Debian
//! chroots and `chroot-build`). Tasks, one per subcommand: `demo`,
//! `verify`, `test`, `fresh`, `bench`. `cli` declares the flags; `main.rs`
//! dispatches.

pub mod ab;
pub mod backport;
pub mod bench;
pub mod blackhole;
pub mod build;
pub mod chroot;
pub mod cli;
pub mod corpus;
pub mod demo;
pub mod dist;
pub mod fixture;
pub mod fresh;
pub mod git;
pub mod history;
pub mod host;
pub mod host_dirs;
pub mod matrix;
pub mod operator_host;
pub mod paths;
pub mod regress;
pub mod shim;
pub mod tasks;
pub mod test;
pub mod tools;
pub mod verify;
