//! Whether a fix is on a branch by its history, before any look at the code.
//!
//! A fix is present when one of its port commits is an ancestor of the
//! branch, or when a commit on the branch carries its Change-Id or a
//! `(cherry picked from commit <port>)` line: the Gerrit convention
//! GlusterFS used, kept by its GitHub-era commits. The branch's history is
//! read once into an index (every commit it reaches, and the ids its
//! messages name), so asking about many fixes costs a lookup each, not a
//! walk each. The code check stays in `plan`; this module only answers from
//! history.

use crate::git::{self, Oid, Repository};
use anyhow::Result;
use std::collections::{HashMap, HashSet};

/// Which rule found a fix on the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    /// A port commit is an ancestor of the branch.
    Ancestor(Oid),
    /// A branch commit carries the fix's Change-Id.
    ChangeId(Oid),
    /// A branch commit says it was cherry-picked from a port.
    CherryPick(Oid),
    /// The code already shows the fix's effect.
    Code,
}

impl How {
    pub fn by_history(&self) -> bool {
        !matches!(self, How::Code)
    }
}

impl std::fmt::Display for How {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |id: &Oid| id.to_string()[..10].to_string();
        match self {
            How::Ancestor(id) => write!(f, "ancestor {}", s(id)),
            How::ChangeId(id) => write!(f, "Change-Id in {}", s(id)),
            How::CherryPick(id) => write!(f, "cherry-picked in {}", s(id)),
            How::Code => write!(f, "same effect in code"),
        }
    }
}

/// What a fix is known by in history: its commits and its Change-Id.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub commits: Vec<Oid>,
    pub change_id: Option<String>,
}

impl Identity {
    /// An upstream commit: itself, any commit its message says it was
    /// cherry-picked from, and its Change-Id.
    pub fn of_commit(id: Oid, message: &str) -> Self {
        let mut commits = vec![id];
        commits.extend(cherry_picked_from(message));
        Identity {
            commits,
            change_id: super::message::change_id(message),
        }
    }
}

/// The branch's history, read once.
pub struct History {
    reachable: HashSet<Oid>,
    by_change_id: HashMap<String, Oid>,
    /// Full SHA named in a `(cherry picked from commit ...)` line -> the
    /// branch commit that says so.
    by_pick: HashMap<String, Oid>,
    /// Abbreviated SHAs named in pick lines, checked by prefix.
    short_picks: Vec<(String, Oid)>,
}

/// SHAs named by `(cherry picked from commit X)` lines, quoted ones too
/// (`> (cherry picked ...)` in a "Backport of" block names the same change).
pub fn cherry_picked_from(message: &str) -> Vec<Oid> {
    picks(message)
        .filter_map(|s| Oid::from_str(s).ok().filter(|_| s.len() == 40))
        .collect()
}

fn picks(message: &str) -> impl Iterator<Item = &str> {
    message.lines().filter_map(|l| {
        let l = l.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
        let sha = l
            .strip_prefix("(cherry picked from commit ")?
            .trim_end()
            .strip_suffix(')')?;
        (sha.len() >= 7 && sha.chars().all(|c| c.is_ascii_hexdigit())).then_some(sha)
    })
}

/// Change-Id lines of a message, quoted ones too.
fn change_ids(message: &str) -> impl Iterator<Item = &str> {
    message.lines().filter_map(|l| {
        let l = l.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
        let v = l.strip_prefix("Change-Id:")?.trim();
        (!v.is_empty()).then_some(v)
    })
}

impl History {
    /// Reads every commit reachable from `tip`, with its message.
    pub fn read(repo: &Repository, tip: Oid) -> Result<Self> {
        let mut h = History {
            reachable: HashSet::new(),
            by_change_id: HashMap::new(),
            by_pick: HashMap::new(),
            short_picks: Vec::new(),
        };
        for id in git::walk::commits(repo, &[tip], &[], git::Sort::NONE)? {
            h.reachable.insert(id);
            let c = repo.find_commit(id)?;
            let msg = String::from_utf8_lossy(c.message_bytes());
            // The walk goes newest first; the newest carrier is named.
            for cid in change_ids(&msg) {
                h.by_change_id.entry(cid.to_string()).or_insert(id);
            }
            for sha in picks(&msg) {
                let sha = sha.to_ascii_lowercase();
                if sha.len() == 40 {
                    h.by_pick.entry(sha).or_insert(id);
                } else {
                    h.short_picks.push((sha, id));
                }
            }
        }
        Ok(h)
    }

    /// Whether history says the fix is on the branch, and by which rule
    /// (ancestry first, then Change-Id, then a cherry-pick line).
    pub fn find(&self, fix: &Identity) -> Option<How> {
        self.rules(fix).into_iter().next()
    }

    /// Every rule that finds the fix, in that order (for measuring each).
    pub fn rules(&self, fix: &Identity) -> Vec<How> {
        let mut out = Vec::new();
        if let Some(id) = fix.commits.iter().find(|c| self.reachable.contains(c)) {
            out.push(How::Ancestor(*id));
        }
        if let Some(at) = fix
            .change_id
            .as_ref()
            .and_then(|c| self.by_change_id.get(c))
        {
            out.push(How::ChangeId(*at));
        }
        let picked = fix.commits.iter().find_map(|c| {
            let full = c.to_string();
            self.by_pick.get(&full).copied().or_else(|| {
                self.short_picks
                    .iter()
                    .find(|(s, _)| full.starts_with(s.as_str()))
                    .map(|(_, at)| *at)
            })
        });
        out.extend(picked.map(How::CherryPick));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_lines_are_read_quoted_or_not() {
        let sha = "b6da637929d8a3e0e5e6e4a5a3f1f0a2b1c2d3e4";
        let msg = format!(
            "x\n\n> (cherry picked from commit {sha})\n> Change-Id: Iabc\n(cherry picked from commit 1234567)\n"
        );
        assert_eq!(picks(&msg).collect::<Vec<_>>(), vec![sha, "1234567"]);
        assert_eq!(cherry_picked_from(&msg), vec![Oid::from_str(sha).unwrap()]);
        assert_eq!(change_ids(&msg).collect::<Vec<_>>(), vec!["Iabc"]);
    }
}
