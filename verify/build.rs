//! Builds the C helpers the cells run, with the `cc` crate's compiler
//! detection: the legacy resolver layer (a shared library for LD_PRELOAD)
//! the probe (3.12's events.c calls, once per subvolume), and the
//! getaddrinfo probe that the glibc 2.17 tests also build against 2.17.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let compiler = cc::Build::new().opt_level(2).get_compiler();
    let run = |args: &[&str]| {
        let mut cmd = compiler.to_command();
        cmd.args(args);
        let st = cmd.status().expect("running the C compiler");
        assert!(st.success(), "C compiler failed: {args:?}");
    };
    let legacy = out.join("liblegacyresolv.so");
    let probe = out.join("probe");
    let gai_probe = out.join("gai_probe");
    run(&[
        "-shared",
        "-fPIC",
        "-Wall",
        "-o",
        legacy.to_str().unwrap(),
        "c/legacy_resolv.c",
        "-ldl",
        "-lresolv",
    ]);
    run(&[
        "-Wall",
        "-o",
        probe.to_str().unwrap(),
        "c/probe.c",
        "-ldl",
        "-lpthread",
    ]);
    run(&["-Wall", "-o", gai_probe.to_str().unwrap(), "c/gai_probe.c"]);
    println!("cargo:rustc-env=LEGACY_RESOLV_SO={}", legacy.display());
    println!("cargo:rustc-env=GAI_PROBE_BIN={}", gai_probe.display());
    println!("cargo:rustc-env=PROBE_BIN={}", probe.display());
    println!("cargo:rerun-if-changed=c");
}
