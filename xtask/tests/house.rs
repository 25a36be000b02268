//! The house rules of xtask, read from the code's `use` lines and paths: no
//! task imports another task, no engine imports a task or the flags, and no
//! leaf imports anything above it. Each module's layer is listed here once,
//! so a new module fails this test until someone says where it sits.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    /// Imports nothing of this crate above the leaves.
    Leaf,
    /// Runs one kind of work (the A/B, a build, a chroot); imports leaves
    /// and other engines.
    Engine,
    /// `cli.rs`: the flags, with every default resolved once.
    Flags,
    /// One subcommand; imports anything but another task.
    Task,
}

/// Every top-level module of xtask and its layer.
const LAYERS: &[(&str, Layer)] = &[
    ("paths", Layer::Leaf),
    ("digest", Layer::Leaf),
    ("host", Layer::Leaf),
    ("host_dirs", Layer::Leaf),
    ("blackhole", Layer::Leaf),
    ("portable", Layer::Leaf),
    ("tools", Layer::Leaf),
    ("shared", Layer::Leaf),
    ("dev", Layer::Leaf),
    ("ab", Layer::Engine),
    ("build", Layer::Engine),
    ("chroot", Layer::Engine),
    ("dist", Layer::Engine),
    ("glibc217", Layer::Engine),
    ("matrix", Layer::Engine),
    ("operator_host", Layer::Engine),
    ("regress", Layer::Engine),
    ("cli", Layer::Flags),
    ("tasks", Layer::Task),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn layer_of(module: &str) -> Option<Layer> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The top-level modules a file names through `crate::`, as `crate::x` or
/// inside `use crate::{x, y::z}`, and the task modules it names through
/// `crate::tasks::`.
fn imports(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut modules = BTreeSet::new();
    let mut tasks = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for part in inner.split(',') {
                let name = ident(part.trim());
                if !name.is_empty() {
                    if name == "tasks" {
                        if let Some(t) = part.trim().strip_prefix("tasks::") {
                            tasks.insert(ident(t));
                        }
                    }
                    modules.insert(name);
                }
            }
        } else {
            let name = ident(rest);
            if name == "tasks" {
                tasks.insert(ident(&rest["tasks::".len().min(rest.len())..]));
            }
            modules.insert(name);
        }
    }
    (modules, tasks)
}

/// (file relative to src, its top-level module, the task it belongs to).
fn files() -> Vec<(String, String, Option<String>)> {
    let root = src();
    walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| {
            let rel = e.path().strip_prefix(&root).unwrap();
            let rel_s = rel.to_string_lossy().into_owned();
            let mut parts = rel.iter().map(|p| p.to_string_lossy().into_owned());
            let first = parts.next().unwrap();
            let module = first.trim_end_matches(".rs").to_string();
            let task = (module == "tasks")
                .then(|| parts.next())
                .flatten()
                .map(|t| t.trim_end_matches(".rs").to_string())
                .filter(|t| t != "mod");
            (rel_s, module, task)
        })
        .collect()
}

#[test]
fn every_module_has_a_layer() {
    for (file, module, _) in files() {
        if ["main", "lib", "bin"].contains(&module.as_str()) {
            continue;
        }
        assert!(
            layer_of(&module).is_some(),
            "{file}: module {module} has no layer in tests/house.rs; say whether it is a leaf, an engine or a task"
        );
    }
}

#[test]
fn no_task_imports_another_and_no_layer_imports_above_itself() {
    let mut broken = Vec::new();
    for (file, module, task) in files() {
        let Some(layer) = layer_of(&module) else {
            continue;
        };
        let text = std::fs::read_to_string(src().join(&file)).unwrap();
        let (modules, tasks) = imports(&text);
        for m in &modules {
            let Some(theirs) = layer_of(m) else { continue };
            if m == &module {
                continue;
            }
            let allowed = match layer {
                Layer::Leaf => theirs == Layer::Leaf,
                Layer::Engine => matches!(theirs, Layer::Leaf | Layer::Engine),
                Layer::Flags => theirs != Layer::Task,
                Layer::Task => true,
            };
            if !allowed {
                broken.push(format!("{file} ({layer:?}) imports {m} ({theirs:?})"));
            }
        }
        for t in &tasks {
            if task.as_deref() != Some(t.as_str()) {
                broken.push(format!("{file} imports the task {t}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "house rules broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_reader_sees_a_task_importing_a_task() {
    // The rule above must see both spellings of an import.
    let (m, t) = imports("use crate::{paths, tasks::demo};\nfn f() { crate::tasks::bench::run() }");
    assert!(m.contains("paths") && m.contains("tasks"), "{m:?}");
    assert_eq!(t, BTreeSet::from(["demo".to_string(), "bench".to_string()]));
}

/// Spellings of git used directly: the git2 crate, the git binary, and the
/// operations the git room owns (even on a `Repository` named from there).
const GIT_DIRECT: &[&str] = &[
    "git2::",
    "use git2",
    "Command::new(\"git\")",
    "cmd!(\"git\"",
    "cmd(\"git\"",
    "Repository::open(",
    "Repository::init",
    ".revwalk()",
    "revparse_single(",
    "diff_tree_to_tree(",
];

/// The sentence a file's opening gives when it must use git directly.
const GIT_WHY: &str = "Not through the git room";

/// The files that use git directly, outside the room.
fn direct_git_users(root: &Path) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for krate in [
        "backport",
        "xtask",
        "tests",
        "verify",
        "heal-info",
        "shim",
        "gfresolv-conf",
        "die-with-parent",
    ] {
        for e in walkdir::WalkDir::new(root.join(krate))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        {
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel.starts_with("backport/src/git/") || rel == "xtask/tests/house.rs" {
                continue;
            }
            let text = std::fs::read_to_string(e.path()).unwrap();
            if GIT_DIRECT.iter().any(|p| text.contains(p)) {
                let opening: String = text
                    .lines()
                    .take_while(|l| l.starts_with("//!"))
                    .collect::<Vec<_>>()
                    .join(" ")
                    .replace("//!", " ");
                out.push((rel, opening.contains(GIT_WHY)));
            }
        }
    }
    out
}

#[test]
fn git_is_used_only_in_its_room_or_says_why() {
    let root = src().parent().unwrap().parent().unwrap().to_path_buf();
    let users = direct_git_users(&root);
    // The reader must see the engine's callers at all, or this proves nothing.
    assert!(
        users.iter().any(|(f, _)| f == "xtask/src/dev/fixture.rs"),
        "the fixture builder writes commits with git2 and must be seen: {users:?}"
    );
    let silent: Vec<&String> = users
        .iter()
        .filter(|(_, why)| !why)
        .map(|(f, _)| f)
        .collect();
    assert!(
        silent.is_empty(),
        "these files use git2 or the git binary outside backport/src/git/ without saying why \
         in their opening (`//! {GIT_WHY} ...: the reason`); move the call into the git room \
         or give the reason: {silent:?}"
    );
}

#[test]
fn the_git_reader_sees_a_silent_direct_use() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("xtask/src/dev");
    std::fs::create_dir_all(&f).unwrap();
    std::fs::write(
        f.join("fixture.rs"),
        "//! Builds.\nfn f() { git2::Repository::init(\"x\"); }\n",
    )
    .unwrap();
    std::fs::write(
        f.join("quiet.rs"),
        "//! Reads.\nfn g(r: &R) { r.revparse_single(\"HEAD\"); }\n",
    )
    .unwrap();
    std::fs::write(
        f.join("said.rs"),
        "//! Reads.\n//! Not through the git room: a reason.\nfn g() { duct::cmd!(\"git\", \"log\"); }\n",
    )
    .unwrap();
    let mut got = direct_git_users(dir.path());
    got.sort();
    assert_eq!(
        got,
        vec![
            ("xtask/src/dev/fixture.rs".to_string(), false),
            ("xtask/src/dev/quiet.rs".to_string(), false),
            ("xtask/src/dev/said.rs".to_string(), true),
        ]
    );
}
