//! `cargo xtask docs`: the book in `docs/` (an mdBook). It writes the
//! reference of every `cargo xtask` command from the flags the kit parses
//! (`docs/src/reference/xtask.md`, so it cannot drift from `cli.rs`),
//! builds the book into TARGET_DIR/book with mdBook, and checks every link
//! and anchor in it offline with LinkChecker. `--check` writes nothing: a
//! stale reference is an error (the suite runs that). mdBook (crates.io) and LinkChecker
//! (Debian) are installed on first use, as root.

use anyhow::{bail, Context, Result};
use clap::CommandFactory;
use std::path::{Path, PathBuf};

/// The generated chapter, relative to the repository.
pub const REFERENCE: &str = "docs/src/reference/xtask.md";

/// mdBook without its `serve` and `watch` (a web server and a file watcher
/// the kit never runs): half the crates to build on a new machine.
const MDBOOK_FEATURES: &[&str] = &["--no-default-features", "--features", "search"];

/// The reference of every `cargo xtask` command: each command's `--help`,
/// as clap renders it from `cli.rs`.
pub fn reference() -> String {
    let mut cmd = crate::cli::Cli::command().bin_name("cargo xtask");
    cmd.build();
    let mut out = String::from(
        "# `cargo xtask` commands\n\n\
         Every command's `--help`, generated from the flags the kit parses \
         (`xtask/src/cli.rs`) by `cargo xtask docs`; the suite fails when this page \
         and the code disagree. heal-info's commands are in its man pages, \
         `heal-info(1)` and `heal-info-SUB(1)`, rendered from its own flags by \
         `cargo xtask dist`.\n",
    );
    render(&mut out, &mut cmd, 2);
    out
}

fn render(out: &mut String, cmd: &mut clap::Command, level: usize) {
    let name = cmd
        .get_bin_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string();
    if level > 2 {
        out.push_str(&format!("\n{} `{name}`\n\n", "#".repeat(level.min(4))));
        out.push_str("```text\n");
        out.push_str(cmd.render_long_help().to_string().trim_end());
        out.push_str("\n```\n");
    } else {
        out.push_str("\n```text\n");
        out.push_str(cmd.render_long_help().to_string().trim_end());
        out.push_str("\n```\n");
    }
    for sub in cmd.get_subcommands_mut() {
        if sub.get_name() == "help" || sub.is_hide_set() {
            continue;
        }
        render(out, sub, level + 1);
    }
}

pub fn run(check: bool) -> Result<()> {
    let root = crate::paths::root();
    let path = root.join(REFERENCE);
    let want = reference();
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if check && have != want {
        bail!("{REFERENCE} is not what cli.rs says: run cargo xtask docs and commit it");
    }
    if have != want {
        std::fs::write(&path, &want).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("docs: wrote {REFERENCE}");
    }
    let book = build(&root.join("docs"))?;
    check_links(&book)?;
    println!(
        "docs: the book is in {} and its links resolve",
        book.display()
    );
    Ok(())
}

/// Builds the book in `docs` into TARGET_DIR/book; its directory.
pub fn build(docs: &Path) -> Result<PathBuf> {
    crate::host::cargo_install_with("mdbook", MDBOOK_FEATURES)?;
    let dest = crate::paths::target_dir()?.join("book");
    eprintln!("==> mdbook build {} -> {}", docs.display(), dest.display());
    duct::cmd!("mdbook", "build", docs, "--dest-dir", &dest)
        .stdout_to_stderr()
        .run()
        .context("mdbook build failed (its messages are above)")?;
    Ok(dest)
}

/// Every link between the book's pages, and every #anchor, resolves
/// (LinkChecker, offline: the web is not asked).
pub fn check_links(book: &Path) -> Result<()> {
    crate::host::install_packages(&[("linkchecker", "linkchecker")])?;
    let dir = tempfile::tempdir()?;
    let rc = dir.path().join("linkcheckerrc");
    std::fs::write(&rc, "[filtering]\ncheckextern=0\n\n[AnchorCheck]\n")?;
    // LinkChecker drops root for `nobody`, who must be able to read it all.
    let readable = |p: &Path| -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p)?.permissions().mode();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode | 0o055))?;
        Ok(())
    };
    readable(dir.path())?;
    readable(&rc)?;
    eprintln!(
        "==> linkchecker (offline, anchors included) {}",
        book.display()
    );
    let out = duct::cmd!(
        "linkchecker",
        "--no-status",
        "--config",
        &rc,
        book.join("index.html")
    )
    .stderr_to_stdout()
    .stdout_capture()
    .unchecked()
    .run()
    .context("running linkchecker")?;
    let text = String::from_utf8_lossy(&out.stdout);
    // A missing anchor is only a warning to LinkChecker: here it is a
    // broken link too.
    if !out.status.success() || !text.contains(" 0 warnings found") {
        let found: Vec<&str> = text
            .lines()
            .filter(|l| {
                ["URL", "Parent URL", "Warning", "Result"]
                    .iter()
                    .any(|k| l.starts_with(k))
            })
            .collect();
        bail!(
            "the book has broken links or anchors (LinkChecker, offline):\n{}",
            found.join("\n")
        );
    }
    Ok(())
}
