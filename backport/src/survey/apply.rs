//! `--apply-clean`: the clean commits of a survey ported onto the branch,
//! one commit each, with one move of the branch.

use super::{Applied, Entry, Status};
use crate::apply;
use crate::git::Branch;
use crate::git::{Oid, Repository};
use crate::plan::{self, Worktree};
use crate::presence::{self, History};
use crate::select::PathFilter;
use anyhow::Result;

/// Ports the clean commits in order, one commit each, and moves the branch
/// once. A clean commit that no longer applies after the earlier ones (they
/// were judged against the branch as it was) is skipped and named.
/// `branch`, `history` and `filter` are the ones the survey judged with.
pub(super) fn apply_clean(
    repo: &Repository,
    up: &Repository,
    branch: &Branch,
    history: &History,
    filter: &PathFilter,
    commits: &[Entry],
) -> Result<Applied> {
    let mut tree = Worktree::new(repo, repo.find_commit(branch.tip)?.tree()?);
    let settings = plan::Settings {
        check: false,
        wip: false,
        history,
        filter,
    };
    let (mut planned, mut skipped) = (Vec::new(), Vec::new());
    for e in commits.iter().filter(|e| e.status == Status::Clean) {
        let id = Oid::from_str(&e.commit)?;
        let message = up
            .find_commit(id)?
            .message()
            .unwrap_or_default()
            .to_string();
        let unit = plan::Unit {
            fix: None,
            candidates: vec![(None, id)],
            identity: presence::Identity::of_commit(id, &message),
            selected: true,
        };
        match plan::plan(up, None, &[unit], &mut tree, &settings) {
            Ok(p) => planned.extend(p),
            Err(err) => skipped.push((e.commit.clone(), format!("{err:#}"))),
        }
    }
    let made = apply::commit_all(repo, branch, &planned)?;
    Ok(Applied {
        commits: made
            .into_iter()
            .map(|(up, c)| (up, c.to_string()))
            .collect(),
        skipped,
    })
}
