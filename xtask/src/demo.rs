//! `cargo xtask demo`: the main job on the built-in example. Builds a legacy
//! GNU-style repository and an upstream clang-format one in a temp dir, ports
//! the upstream fixes onto the legacy branch, and prints the new commits.

use crate::{backport, fixture};
use anyhow::Result;
use git2::{DiffFormat, Repository};

pub fn run() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let ex = fixture::build(dir.path(), fixture::LEGACY, false)?;
    println!("== built-in example in {}", dir.path().display());
    println!(
        "   legacy repo   {} (branch v1.2, GNU style, 8-space indents)",
        ex.legacy.display()
    );
    println!(
        "   upstream repo {} (clang-format style, two fixes on master)",
        ex.upstream.display()
    );
    println!(
        "\n$ cargo xtask backport v1.2 --repo legacy --upstream upstream --series notify.toml\n"
    );
    let opts = backport::Options {
        branch: "v1.2".into(),
        repo: ex.legacy.clone(),
        upstream: Some(ex.upstream.clone()),
        series: ex.manifest.clone(),
        ..Default::default()
    };
    let outcome = backport::run(&opts)?;
    print!("{}", backport::report::text(&outcome));

    println!("\n== the new commits (git log -p v1.2)\n");
    let repo = Repository::open(&ex.legacy)?;
    for (_, id) in outcome.commits.iter().rev() {
        let c = repo.find_commit(*id)?;
        println!(
            "commit {id}\nAuthor: {}\nCommit: {}\n",
            c.author(),
            c.committer()
        );
        for l in c.message().unwrap_or_default().lines() {
            println!("    {l}");
        }
        println!();
        let diff = repo.diff_tree_to_tree(Some(&c.parent(0)?.tree()?), Some(&c.tree()?), None)?;
        diff.print(DiffFormat::Patch, |_, _, line| {
            let origin = line.origin();
            if matches!(origin, '+' | '-' | ' ') {
                print!("{origin}");
            }
            print!("{}", String::from_utf8_lossy(line.content()));
            true
        })?;
        println!();
    }
    println!("== a second run changes nothing\n");
    let again = backport::run(&opts)?;
    print!("{}", backport::report::text(&again));
    Ok(())
}
