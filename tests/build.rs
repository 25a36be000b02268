//! Builds the lookup helper the attack tests make privileged, with the `cc`
//! crate's compiler detection. (The probe and the legacy resolver layer,
//! which the verify cells run too, are built by the verify crate.)

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let compiler = cc::Build::new().opt_level(2).get_compiler();
    let lookup = out.join("lookup");
    let st = compiler
        .to_command()
        .args(["-Wall", "-o", lookup.to_str().unwrap(), "c/lookup.c"])
        .status()
        .expect("running the C compiler");
    assert!(st.success(), "C compiler failed on c/lookup.c");
    println!("cargo:rustc-env=LOOKUP_BIN={}", lookup.display());
    println!("cargo:rerun-if-changed=c");
}
