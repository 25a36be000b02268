//! git through git2, in one room: the patterns several tasks repeat. A
//! commit's diff against its parent, a branch resolved to its ref and tip,
//! and a tree's files indexed once by path and by name. A leaf: it imports
//! no task.

use anyhow::{bail, Result};
use git2::{Commit, Diff, DiffFile, DiffFindOptions, Oid, Repository, Tree};
use std::collections::{HashMap, HashSet};

/// The diff of `commit` against its first parent, file by file.
pub fn diff_to_parent<'r>(repo: &'r Repository, commit: &Commit) -> Result<Diff<'r>> {
    let parent = commit.parent(0)?;
    Ok(repo.diff_tree_to_tree(Some(&parent.tree()?), Some(&commit.tree()?), None)?)
}

/// As `diff_to_parent`, with a deleted and an added file that are alike
/// paired into one rename.
pub fn diff_to_parent_with_renames<'r>(repo: &'r Repository, commit: &Commit) -> Result<Diff<'r>> {
    let mut diff = diff_to_parent(repo, commit)?;
    diff.find_similar(Some(DiffFindOptions::new().renames(true)))?;
    Ok(diff)
}

/// The path of one side of a diff entry, as text.
pub fn path_of(file: &DiffFile) -> Option<String> {
    file.path().map(|p| p.to_string_lossy().into_owned())
}

/// A local branch as found: its ref, tip, and whether a work tree shows it.
pub struct Branch {
    pub refname: String,
    pub tip: Oid,
    pub checked_out: bool,
}

/// The branch `name` (`refs/...` as given, else under `refs/heads/`), or an
/// error that lists the branches there are.
pub fn find_branch(repo: &Repository, name: &str) -> Result<Branch> {
    let refname = if name.starts_with("refs/") {
        name.to_string()
    } else {
        format!("refs/heads/{name}")
    };
    let reference = match repo.find_reference(&refname) {
        Ok(r) => r,
        Err(_) => {
            let mut names: Vec<String> = repo
                .branches(Some(git2::BranchType::Local))?
                .filter_map(|b| b.ok()?.0.name().ok()?.map(String::from))
                .collect();
            names.sort();
            let shown = if names.len() > 12 {
                format!("{}, ...", names[..12].join(", "))
            } else {
                names.join(", ")
            };
            bail!(
                "no branch {name} in {}; branches here: {shown}. To port onto a tag, make a branch first: git branch {name} <tag>",
                repo.path().display()
            );
        }
    };
    let tip = reference.peel_to_commit()?.id();
    let checked_out = !repo.is_bare()
        && repo
            .find_reference("HEAD")
            .ok()
            .and_then(|h| h.symbolic_target().map(|t| t == refname))
            .unwrap_or(false);
    Ok(Branch {
        refname,
        tip,
        checked_out,
    })
}

/// A tree's paths, walked once: every file by path and by file name, and
/// every directory.
#[derive(Debug, Clone, Default)]
pub struct Files {
    pub blobs: HashMap<String, Oid>,
    pub dirs: HashSet<String>,
    /// File name -> every path with that name.
    by_name: HashMap<String, Vec<String>>,
}

impl Files {
    pub fn read(tree: &Tree) -> Result<Self> {
        let mut f = Files::default();
        let mut paths = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
            if e.kind() == Some(git2::ObjectType::Blob) {
                let name = e.name().unwrap_or_default().to_string();
                paths.push((format!("{dir}{name}"), e.id()));
            } else if e.kind() == Some(git2::ObjectType::Tree) {
                f.dirs
                    .insert(format!("{dir}{}", e.name().unwrap_or_default()));
            }
            git2::TreeWalkResult::Ok
        })?;
        for (p, id) in paths {
            f.by_name
                .entry(name_of(&p).to_string())
                .or_default()
                .push(p.clone());
            f.blobs.insert(p, id);
        }
        Ok(f)
    }

    /// Every path whose file has the name `path`'s file has, in tree order.
    pub fn named(&self, path: &str) -> &[String] {
        self.by_name.get(name_of(path)).map_or(&[], Vec::as_slice)
    }

    /// The one file named as `path`'s file is, if there is exactly one.
    pub fn only_named(&self, path: &str) -> Option<&str> {
        match self.named(path) {
            [one] => Some(one),
            _ => None,
        }
    }

    /// Whether the directory `path` would be in is there (the root always is).
    pub fn has_dir_of(&self, path: &str) -> bool {
        path.rsplit_once('/')
            .is_none_or(|(dir, _)| self.dirs.contains(dir))
    }
}

/// The last component of a path.
pub fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
