//! The tasks, one module per subcommand of `cargo xtask`: each runs steps in
//! order over the engines and leaves of this crate (and the `backport` and
//! `verify` crates), and prints its report. No task imports another task:
//! what two tasks share lives in an engine or a leaf (the suite runs the demo
//! as the README does, through the `xtask` binary).

pub mod backport;
pub mod bench;
pub mod build;
pub mod chroot_build;
pub mod demo;
pub mod dist;
pub mod docs;
pub mod fresh;
pub mod glibc;
pub mod operator_host;
pub mod regress;
pub mod shim;
pub mod test;
pub mod verify;
