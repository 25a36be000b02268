//! The gluster-legacy-kit task runner as a library, so that the CLI, the
//! end-to-end tests and the benchmarks all call the same functions.
//!
//! Three layers, checked by `tests/house.rs` from the `use` lines:
//! - leaves import only leaves: `paths` (the project, the series, cargo's
//!   target dir), `host` (programs, root, packages), `host_dirs` (the host
//!   check), `blackhole` (the never-answering DNS), `portable` (builds for
//!   glibc 2.17 hosts: zigbuild, the shim), `tools` (the programs the verify
//!   cells run), `shared` (the small upstream repository and its fork), and
//!   `dev` (evaluation tools: fixtures, scratch history, the corpus);
//! - engines import leaves and engines: `ab` (which revisions, their builds,
//!   fix status), `build` (a legacy build), `chroot` (minimal Debian roots),
//!   `dist` (packages), `glibc217` (CentOS 7's C library built from
//!   source, through `build`'s steps), `matrix` (verify's matrix on resolved targets),
//!   `operator_host` (the 3.x host as its RPMs lay it out), `regress`
//!   (upstream's `.t` tests);
//! - `tasks`, one module per subcommand, import anything but another task.
//!
//! `cli` declares the flags and resolves every default; `main.rs` dispatches.
//! The backport engine and git's room are the `backport` crate; the cells
//! and the cluster are the `verify` crate.

pub mod ab;
pub mod blackhole;
pub mod build;
pub mod chroot;
pub mod cli;
pub mod dev;
pub mod digest;
pub mod dist;
pub mod glibc217;
pub mod host;
pub mod host_dirs;
pub mod matrix;
pub mod operator_host;
pub mod paths;
pub mod portable;
pub mod regress;
pub mod shared;
pub mod tasks;
pub mod tools;
