//! The portable libgfresolv.so (`cargo xtask shim`, which `cargo xtask test`
//! runs first) must load on CentOS 7's glibc 2.17.

use tests::{probe_socket_path_with, skip};
use verify::tools::target_dir;

#[test]
fn portable_shim_needs_nothing_above_glibc_2_17_and_works() {
    let so = target_dir().join("../shim/libgfresolv.so");
    if !so.exists() {
        return skip(
            "portable_shim_needs_nothing_above_glibc_2_17",
            "target/shim/libgfresolv.so not built; run cargo xtask shim",
        );
    }
    let (major, minor) = xtask::portable::max_glibc(&so).unwrap();
    assert!(
        (major, minor) <= (2, 17),
        "{} needs GLIBC_{major}.{minor}",
        so.display()
    );
    assert!(
        (major, minor) >= (2, 2),
        "objdump found no GLIBC versions at all in {}",
        so.display()
    );
    let out = probe_socket_path_with(&so);
    assert!(out.starts_with("rc=-2 "), "{out}");
}
