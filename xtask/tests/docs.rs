//! The documentation a newcomer reads first: the README's first screen has
//! what the kit is and the two commands; the book lists every chapter it
//! has and has every chapter it lists; the generated command reference is
//! what `cli.rs` says. (Building the book and checking its links needs
//! mdBook and LinkChecker: the suite's `docs` step, `cargo xtask docs`.)

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn the_generated_command_reference_is_what_cli_rs_says() {
    let have = std::fs::read_to_string(root().join(xtask::tasks::docs::REFERENCE)).unwrap();
    assert!(
        have == xtask::tasks::docs::reference(),
        "{} is stale: run cargo xtask docs and commit it",
        xtask::tasks::docs::REFERENCE
    );
}

#[test]
fn the_readme_says_what_the_kit_is_and_gives_the_two_commands_on_its_first_screen() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    assert!(
        lines.len() <= 200,
        "README.md has {} lines; keep it under about 200 and move the rest to docs/",
        lines.len()
    );
    let first_screen = lines[..lines.len().min(40)].join("\n");
    // What `cargo xtask fresh` installs before the two commands, and no more.
    let prereqs = xtask::tasks::fresh::RUST_PREREQS;
    for needle in [
        "cargo xtask demo",
        "cargo xtask test",
        "backport",
        "shim",
        "heal-info",
        prereqs,
    ] {
        assert!(
            first_screen.contains(needle),
            "the README's first 40 lines lack {needle:?}"
        );
    }
}

/// The chapter paths SUMMARY.md links to.
fn summary_chapters(summary: &str) -> Vec<String> {
    summary
        .lines()
        .filter_map(|l| {
            let start = l.find("](")? + 2;
            let end = start + l[start..].find(')')?;
            Some(l[start..end].to_string())
        })
        .collect()
}

#[test]
fn the_book_has_every_chapter_it_lists_and_lists_every_chapter_it_has() {
    let src = root().join("docs/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).unwrap();
    let listed = summary_chapters(&summary);
    assert!(listed.len() >= 10, "{listed:?}");
    for c in &listed {
        assert!(
            src.join(c).is_file(),
            "SUMMARY.md lists {c}, which is not in docs/src"
        );
    }
    for e in walkdir::WalkDir::new(&src)
        .into_iter()
        .filter_map(Result::ok)
    {
        let rel = e
            .path()
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel.ends_with(".md") && rel != "SUMMARY.md" {
            assert!(
                listed.contains(&rel),
                "docs/src/{rel} is in no chapter of SUMMARY.md"
            );
        }
    }
}

#[test]
fn the_summary_reader_sees_links_and_nothing_else() {
    let s = "# Summary\n\n[Intro](introduction.md)\n\n# Guides\n\n- [A `b`](guide/a.md)\n";
    assert_eq!(summary_chapters(s), ["introduction.md", "guide/a.md"]);
}
