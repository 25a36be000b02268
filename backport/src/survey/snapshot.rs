//! The branch as a survey reads it: its paths, walked once, and the text
//! of every file upstream's commits touch, read once, so the threads that
//! classify share plain data and no repository.

use crate::git::Files;
use crate::git::{Oid, Repository};
use anyhow::Result;
use std::collections::HashMap;

/// The branch's files, read once and tokenized once.
pub(super) struct Snapshot {
    pub files: Files,
    /// Text files upstream's commits touch, read by `load`.
    pub texts: HashMap<String, String>,
}

impl Snapshot {
    pub fn read(repo: &Repository, tip: Oid) -> Result<Self> {
        Ok(Snapshot {
            files: Files::read(&repo.find_commit(tip)?.tree()?)?,
            texts: HashMap::new(),
        })
    }

    /// Reads the text of every branch file that `paths` (upstream's) name.
    pub fn load<'p>(
        &mut self,
        repo: &Repository,
        paths: impl Iterator<Item = &'p str>,
    ) -> Result<()> {
        let mut wanted = Vec::new();
        for p in paths {
            if self.files.blobs.contains_key(p) {
                wanted.push(p.to_string());
            } else if let Some(one) = self.files.only_named(p) {
                wanted.push(one.to_string());
            }
        }
        for p in wanted {
            if self.texts.contains_key(&p) {
                continue;
            }
            let blob = repo.find_blob(self.files.blobs[&p])?;
            if !blob.is_binary() {
                let text = String::from_utf8_lossy(blob.content()).into_owned();
                self.texts.insert(p, text);
            }
        }
        Ok(())
    }

    /// Where the branch keeps upstream's `path`, as `Worktree::resolve`
    /// finds it, among the text files `load` read.
    pub fn resolve(&self, path: &str) -> Option<&str> {
        if let Some((p, _)) = self.texts.get_key_value(path) {
            return Some(p);
        }
        let one = self.files.only_named(path)?;
        self.texts.get_key_value(one).map(|(p, _)| p.as_str())
    }
}
