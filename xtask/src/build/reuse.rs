//! A build that starts from another build's tree (issue 17): when a branch
//! differs from its base only in files that configure does not read, the
//! base's configured and built tree is copied (mtimes kept, reflinked where
//! the filesystem can), the branch's changed files are written over it, and
//! `make` recompiles what changed and relinks. Anything configure reads
//! differing (configure.ac, Makefile.am, `*.in`, build-aux/, m4/ ...) means a
//! cold build, and the report says which and why.
//!
//! The base's tree names the base's prefix and its own path: configure put
//! them in config.status (and so in every Makefile, libtool and the
//! `-DXLATORDIR=...` flags of about 40 objects), libtool in every `.la`. So
//! the copy's config.status is rewritten to the branch's prefix and tree and
//! run again, and every file that still names the base's prefix (objects
//! compiled with it, libraries and programs linked with its rpath) or, except
//! objects, the base's tree (`.la` files, libtool wrappers) is removed for
//! make to rebuild. An object naming the base's tree only in its debug info
//! (DW_AT_comp_dir) is kept, as a ccache hit from another export would be.
//! After install, no installed file may name the base's prefix: that is the
//! proof that the branch's programs load the branch's own libraries and
//! xlators, and the build fails otherwise. A build to run at the base's
//! prefix (`--run-at`) needs neither rewrite nor removals: `in_base_paths`.

use super::compat::{Edit, Plan};
use super::report::Report;
use anyhow::{bail, Context, Result};
use duct::cmd;
use memchr::memmem;
use std::path::{Path, PathBuf};
use verify::stamp::{Start, StartedFrom};

/// A base build whose tree the branch can start from.
pub struct Base {
    pub report: Report,
    /// The base's kept tree (`--keep-tree`), configured and built.
    pub tree: PathBuf,
    /// The files that differ between base and branch.
    pub changed: Vec<String>,
}

/// Whether configure (or autogen, which makes it) reads `path`: its inputs
/// and the templates it fills in. A change to any of them can change every
/// Makefile and config.h, so the copy would not be the branch's tree.
pub fn read_by_configure(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let top = path.split('/').next().unwrap_or(path);
    matches!(
        name,
        "configure.ac"
            | "configure.in"
            | "configure"
            | "Makefile.am"
            | "aclocal.m4"
            | "acinclude.m4"
            | "autogen.sh"
            | "VERSION"
    ) || name.ends_with(".in")
        || name.ends_with(".m4")
        || name.ends_with(".ac")
        || matches!(top, "build-aux" | "m4")
}

/// Decides whether the build of `commit` can start from the build at
/// `from`: Ok(base) when it can, Err(why not) for a cold build.
pub fn decide(
    repo: &Path,
    commit: &str,
    from: Option<&Path>,
    prefix: &Path,
) -> std::result::Result<Base, String> {
    let Some(from) = from else {
        return Err("no base build to start from".into());
    };
    let from = from.canonicalize().unwrap_or_else(|_| from.to_path_buf());
    if from == prefix {
        return Err(format!(
            "the base build {} is this build's own prefix",
            from.display()
        ));
    }
    let Some(report) = verify::stamp::load(&from) else {
        return Err(format!("{} holds no build stamp", from.display()));
    };
    let who = label(&report);
    let Some(tree) = report
        .tree
        .clone()
        .filter(|t| t.join("config.status").is_file())
    else {
        return Err(format!(
            "the base {who}'s built tree was not kept (build it with --keep-tree)"
        ));
    };
    if !report.events {
        return Err(format!("the base {who} was built without events"));
    }
    let changed = changed_files(repo, &report.commit, commit)
        .map_err(|e| format!("cannot compare with the base {who}: {e:#}"))?;
    let read: Vec<&String> = changed.iter().filter(|p| read_by_configure(p)).collect();
    if let Some(first) = read.first() {
        return Err(format!(
            "configure reads {first}{}, which differs from the base {who}",
            match read.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            }
        ));
    }
    Ok(Base {
        report,
        tree,
        changed,
    })
}

/// The paths that differ between two commits of `repo`, either side.
fn changed_files(repo: &Path, a: &str, b: &str) -> Result<Vec<String>> {
    let git = backport::git::open(repo, "the build's source")?;
    backport::git::changed_paths(&git, a, b)
}

/// Checks that the base's tree was configured as this build would be: the
/// same options, and the same compiler and flags (configure records those
/// it was given in config.status; `--config` prints them).
pub fn configured_alike(tree: &Path, plan: &Plan) -> Result<()> {
    let out = cmd!(tree.join("config.status"), "--config")
        .dir(tree)
        .read()
        .with_context(|| format!("running {}/config.status --config", tree.display()))?;
    let words = shlex::split(out.trim())
        .with_context(|| format!("reading config.status --config: {out:?}"))?;
    let theirs: Vec<String> = words
        .into_iter()
        .filter(|w| !w.starts_with("--prefix="))
        .collect();
    // The variables configure records in every version (PYTHON only where
    // configure.ac declares it, so it is compared only when recorded).
    const ALWAYS: &[&str] = &["CC", "CFLAGS", "CPPFLAGS", "LDFLAGS", "LIBS"];
    let ours = |k: &str| {
        plan.env
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    let mut differ: Vec<String> = Vec::new();
    let (mut their_args, mut our_args): (Vec<&String>, Vec<&String>) = (
        theirs.iter().filter(|w| w.starts_with("--")).collect(),
        plan.configure_args.iter().collect(),
    );
    their_args.sort();
    our_args.sort();
    if their_args != our_args {
        differ.push(format!("options {their_args:?} there, {our_args:?} here"));
    }
    for word in theirs.iter().filter(|w| !w.starts_with("--")) {
        let (k, v) = word.split_once('=').unwrap_or((word, ""));
        if ours(k) != Some(v) {
            differ.push(format!(
                "{k}={v:?} there, {:?} here",
                ours(k).unwrap_or("unset")
            ));
        }
    }
    for k in ALWAYS {
        let recorded = theirs.iter().any(|w| w.starts_with(&format!("{k}=")));
        if let (Some(v), false) = (ours(k), recorded) {
            differ.push(format!("{k} unset there, {v:?} here"));
        }
    }
    if !differ.is_empty() {
        bail!("the base was configured otherwise: {}", differ.join("; "));
    }
    Ok(())
}

/// Copies the base's tree to `dest` and makes it the branch's: the
/// branch's files from `stage` (its export, compat applied), config.status
/// rewritten to `prefix` and `dest`. The caller then runs config.status and
/// [`invalidate`].
pub fn prepare(base: &Base, stage: &Path, plan: &Plan, dest: &Path, prefix: &Path) -> Result<()> {
    copy_tree(base, stage, plan, dest)?;
    let status = dest.join("config.status");
    let text = std::fs::read_to_string(&status)
        .with_context(|| format!("reading {}", status.display()))?;
    let release = pkg_version(stage, "--release")?;
    let mut text = replace_paths(&text, &old_names(base), &[dest, prefix]);
    // The release (from VERSION, which differs with every commit) names
    // only the spec file, but the branch's tree should say the branch's.
    text = text
        .lines()
        .map(|l| {
            if l.starts_with("S[\"PACKAGE_RELEASE\"]=") {
                format!("S[\"PACKAGE_RELEASE\"]=\"{release}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    text.push('\n');
    std::fs::write(&status, text).with_context(|| format!("writing {}", status.display()))?;
    Ok(())
}

fn pkg_version(dir: &Path, what: &str) -> Result<String> {
    cmd!("sh", "build-aux/pkg-version", what)
        .dir(dir)
        .read()
        .with_context(|| format!("running build-aux/pkg-version {what} in {}", dir.display()))
}

/// Copies the base's tree to `dest` (mtimes kept) and writes over it the
/// branch's files from `stage` (its export, compat applied) that differ.
pub fn copy_tree(base: &Base, stage: &Path, plan: &Plan, dest: &Path) -> Result<()> {
    let (theirs, ours) = (
        pkg_version(&base.tree, "--version")?,
        pkg_version(stage, "--version")?,
    );
    if theirs != ours {
        bail!("the version differs from the base's ({theirs} there, {ours} here)");
    }
    if dest.exists() {
        std::fs::remove_dir_all(dest)
            .with_context(|| format!("removing the old tree {}", dest.display()))?;
    }
    // -a keeps the mtimes, so make sees only the files written below as new.
    cmd!("cp", "-a", "--reflink=auto", &base.tree, dest)
        .run()
        .with_context(|| {
            format!(
                "copying the base's tree {} to {}",
                base.tree.display(),
                dest.display()
            )
        })?;

    let mut paths: Vec<PathBuf> = base.changed.iter().map(PathBuf::from).collect();
    for edit in &plan.edits {
        match edit {
            Edit::Write { path, .. } | Edit::Python3 { path, .. } => paths.push(path.clone()),
        }
    }
    for path in &paths {
        let (from, to) = (stage.join(path), dest.join(path));
        if !from.exists() {
            if to.exists() {
                std::fs::remove_file(&to).with_context(|| format!("removing {}", to.display()))?;
            }
            continue;
        }
        // An unchanged file keeps its old mtime, or make would redo its
        // products (a converted generator script would regenerate sources).
        if std::fs::read(&to).ok() == Some(std::fs::read(&from)?) {
            continue;
        }
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::copy(&from, &to).with_context(|| format!("writing {}", to.display()))?;
    }
    Ok(())
}

/// The base's tree and prefix, as its stamp names them: the paths its
/// configure was given and ran in.
fn old_names(base: &Base) -> [PathBuf; 2] {
    [base.tree.clone(), base.report.runs_at().to_path_buf()]
}

/// Replaces each `old[i]` that stands as a whole path (not followed by
/// more of a name) with `new[i]`, in one pass, so a new path that happens
/// to contain an old one is not replaced again.
pub fn replace_paths(text: &str, old: &[PathBuf], new: &[&Path]) -> String {
    let olds: Vec<String> = old.iter().map(|p| p.display().to_string()).collect();
    let news: Vec<String> = new.iter().map(|p| p.display().to_string()).collect();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while !rest.is_empty() {
        // The longest old path first: one may be the other's parent.
        let mut order: Vec<usize> = (0..olds.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(olds[i].len()));
        for i in order {
            if let Some(after) = rest.strip_prefix(olds[i].as_str()) {
                let ends = after
                    .chars()
                    .next()
                    .is_none_or(|c| !(c.is_alphanumeric() || "._-".contains(c)));
                if ends {
                    out.push_str(&news[i]);
                    rest = after;
                    continue 'outer;
                }
            }
        }
        let c = rest.chars().next().expect("not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Removes from the copy at `dest` every file that still names the base's
/// prefix, or (objects aside) the base's tree, so make rebuilds it for
/// the branch's; the number removed.
pub fn invalidate(base: &Base, dest: &Path) -> Result<usize> {
    let [tree, prefix] = old_names(base);
    let tree = tree.display().to_string();
    let prefix = prefix.display().to_string();
    let (in_tree, in_prefix) = (
        memmem::Finder::new(tree.as_bytes()),
        memmem::Finder::new(prefix.as_bytes()),
    );
    let mut doomed = Vec::new();
    for entry in walkdir::WalkDir::new(dest) {
        let entry = entry?;
        if !entry.file_type().is_file() || entry.file_name() == "config.log" {
            continue;
        }
        let path = entry.path();
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let object = path.extension().is_some_and(|e| e == "o");
        let names_prefix = in_prefix.find(&bytes).is_some();
        let names_tree = !object && in_tree.find(&bytes).is_some();
        if !(names_prefix || names_tree) {
            continue;
        }
        doomed.push(path.to_path_buf());
        // make's target for a libtool object is the .lo beside .libs/: it
        // must go too, or make would not notice the object is gone.
        if object {
            let (Some(dir), Some(stem)) = (path.parent(), path.file_stem()) else {
                continue;
            };
            if dir.file_name().is_some_and(|d| d == ".libs") {
                let up = dir.parent().expect(".libs has a parent");
                let stem = stem.to_string_lossy();
                doomed.push(up.join(format!("{stem}.lo")));
                doomed.push(up.join(format!("{stem}.o")));
            }
        }
    }
    doomed.sort();
    doomed.dedup();
    let mut removed = 0;
    for path in &doomed {
        match std::fs::remove_file(path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", path.display())),
        }
    }
    Ok(removed)
}

/// The installed files that name the base's prefix: none may, or a program
/// would load the base's libraries or xlators.
pub fn leaks(base: &Base, prefix: &Path) -> Result<Vec<PathBuf>> {
    let old = base.report.runs_at().display().to_string();
    let finder = memmem::Finder::new(old.as_bytes());
    let stamp = verify::stamp::path(prefix);
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(prefix) {
        let entry = entry?;
        if !entry.file_type().is_file() || entry.path() == stamp {
            continue;
        }
        let bytes = std::fs::read(entry.path())?;
        if finder.find(&bytes).is_some() {
            found.push(entry.path().to_path_buf());
        }
    }
    Ok(found)
}

/// The report's account of a build from the base's tree.
pub fn started_from(base: &Base) -> Start {
    let r = &base.report;
    let list: Vec<&str> = base.changed.iter().take(5).map(String::as_str).collect();
    Start {
        from: Some(from(r)),
        why: format!(
            "{} file(s) differ from {}, none read by configure{}{}",
            base.changed.len(),
            label(r),
            if list.is_empty() { "" } else { ": " },
            list.join(", ") + if base.changed.len() > 5 { ", ..." } else { "" }
        ),
    }
}

/// A build as its stamp names it (see [`StartedFrom::label`]).
pub fn label(r: &Report) -> String {
    from(r).label()
}

fn from(r: &Report) -> StartedFrom {
    StartedFrom {
        rev: r.rev.clone(),
        commit: r.commit.clone(),
        prefix: r.prefix.clone(),
    }
}
