//! A tree's files, indexed once by path and by file name: how the engine
//! finds where a file of an upstream commit lives on a legacy branch.

use super::{Oid, Tree};
use anyhow::Result;
use std::collections::{HashMap, HashSet};

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
