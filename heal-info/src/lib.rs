//! heal-info: what an operator runs instead of `gluster volume heal VOL info`.
//! It drives glfsheal under a deadline, reads its output as a stream, reports
//! per brick, and when glfsheal hangs, says what it waits on and why.

pub mod all;
pub mod cli;
pub mod deadline;
pub mod diagnose;
pub mod doctor;
pub mod find;
#[cfg(feature = "gfapi")]
pub mod gfapi;
pub mod metrics;
pub mod model;
pub mod output;
pub mod parse;
pub mod peers;
#[cfg(feature = "gfapi")]
pub mod probe;
pub mod resolver;
pub mod run;
pub mod running;
pub mod scan;
pub mod serve;
pub mod shim_install;
pub mod slots;
pub mod version;
pub mod volumes;
pub mod web;

pub use cli::Cli;
