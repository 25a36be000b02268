//! The proof that the backport and the shim work, as a library: a throwaway
//! GlusterFS cluster in private namespaces (`cluster`), the matrix of cells
//! run on it (`matrix`, over the typed dimensions of `cell`), the verdicts
//! drawn from what the kit knows of each build (`judge`), and the stamp an
//! installed build carries (`stamp`). `cargo xtask verify` resolves the
//! builds and their fix status and calls `matrix::run`; the end-to-end tests
//! use the cluster and the counters directly. Nothing here knows the
//! backport engine or the task runner: data comes in as typed targets.
//! For the exporter's tests and bench: daemons in a cluster
//! (`background`), HTTP into its network namespace (`netns_http`), and a
//! volume that hangs for one program only (`hung_volume`).

pub mod background;
pub mod cell;
pub mod cluster;
pub mod counter;
pub mod eventsd;
pub mod hung_volume;
pub mod judge;
pub mod matrix;
pub mod netns_http;
pub mod stages;
pub mod stamp;
pub mod tools;

pub use cell::{
    Cell, Document, Host, Key, Listener, NotRun, Resolver, Role, Shim, Target, Verdict,
    LOOKUP_STALL,
};
pub use counter::Counter;
pub use matrix::{run, table, Dimensions, Options};
pub use stages::Stages;
