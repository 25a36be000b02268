//! Writes heal-info's man pages (clap_mangen: `heal-info.1` and one
//! `heal-info-SUB.1` per visible subcommand) and its bash completion
//! (clap_complete) into the directory given, for `cargo xtask dist`. An
//! example rather than code in xtask, so that it renders the command line
//! exactly as the packaged binary is built (with the `gfapi` feature and its
//! `probe` subcommand) without making every xtask build need libclang and
//! glfs.h.

use clap::CommandFactory;
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: dist-docs OUT_DIR");
        std::process::exit(2);
    };
    let (man, completions) = (out.join("man1"), out.join("completions"));
    std::fs::create_dir_all(&man)?;
    std::fs::create_dir_all(&completions)?;
    clap_mangen::generate_to(heal_info::Cli::command(), &man)?;
    let mut bash = Vec::new();
    clap_complete::generate(
        clap_complete::Shell::Bash,
        &mut heal_info::Cli::command(),
        "heal-info",
        &mut bash,
    );
    std::fs::write(completions.join("heal-info"), bash)
}
