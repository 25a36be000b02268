//! Where the programs the cells run are: the ones cargo built beside the
//! running executable (heal-info, the black hole, the shim), and the C
//! helpers this crate's build script compiled (the probe, the legacy
//! resolver layer). `cargo xtask verify` builds the first kind before it
//! runs the matrix.

use std::path::PathBuf;

/// The workspace's target directory for this build profile.
pub fn target_dir() -> PathBuf {
    // Test executables live in target/<profile>/deps, programs in target/<profile>.
    let exe = std::env::current_exe().expect("the executable's path");
    let dir = exe.parent().expect("the executable's directory");
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().expect("target/<profile>").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// The shim built by this workspace (native build; the portable one is
/// `portable_shim_so`).
pub fn shim_so() -> PathBuf {
    target_dir().join("libgfresolv.so")
}

/// The portable shim `cargo xtask shim` builds (glibc 2.17 symbols), which
/// the cells preload.
pub fn portable_shim_so() -> PathBuf {
    target_dir().join("../shim/libgfresolv.so")
}

/// The legacy resolver layer: hands '/' names to DNS as glibc 2.17 does.
pub fn legacy_resolv_so() -> PathBuf {
    PathBuf::from(env!("LEGACY_RESOLV_SO"))
}

/// The never-answering DNS server (built from the xtask crate).
pub fn blackhole_bin() -> PathBuf {
    target_dir().join("blackhole")
}

/// The heal-info binary of this build.
pub fn heal_info_bin() -> PathBuf {
    target_dir().join("heal-info")
}

/// The probe: 3.12's events.c calls, and single lookups.
pub fn probe() -> PathBuf {
    PathBuf::from(env!("PROBE_BIN"))
}

/// The getaddrinfo probe (`c/gai_probe.c`) built for this machine's glibc.
pub fn gai_probe() -> PathBuf {
    PathBuf::from(env!("GAI_PROBE_BIN"))
}

/// The getaddrinfo probe's source, which the glibc 2.17 tests build
/// against that glibc.
pub fn gai_probe_src() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/c/gai_probe.c"))
}

/// Whether this process may make namespaces (root with unshare available).
pub fn can_unshare() -> Result<(), String> {
    let ok = std::process::Command::new("unshare")
        .args(["-m", "-n", "true"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err("needs root and unshare(1) to make private mount and network namespaces".into())
    }
}
