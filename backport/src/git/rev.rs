//! Names to commits: a branch to its ref and tip, a revision (branch, tag,
//! SHA or prefix) to its commit, and a commit to its release tag as
//! `git describe` gives it. Every "no such ..." error says what there is.

use super::{Commit, Oid, Repository};
use anyhow::{anyhow, bail, Result};

/// The commit `spec` names in `repo`, if it names one.
pub fn find(repo: &Repository, spec: &str) -> Option<Oid> {
    repo.revparse_single(spec)
        .ok()
        .and_then(|o| o.peel_to_commit().ok())
        .map(|c| c.id())
}

/// The commit `spec` names, or an error that says how to find one.
pub fn commit<'r>(repo: &'r Repository, spec: &str) -> Result<Commit<'r>> {
    repo.revparse_single(spec)
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| {
            let dir = repo.workdir().unwrap_or_else(|| repo.path());
            anyhow!(
                "unknown revision {spec:?} in {}: give a branch, tag or commit that exists there \
                 (e.g. `git -C {} tag -l 'v3.*'`)",
                dir.display(),
                dir.display()
            )
        })
}

/// `git describe --tags --match 'v[0-9]*'` of the commit `spec` names: the
/// newest release tag it contains, with the distance and SHA after it
/// unless `tag_only` (`--abbrev=0`). GlusterFS takes its version from this.
pub fn describe(repo: &Repository, spec: &str, tag_only: bool) -> Result<String> {
    let c = commit(repo, spec)?;
    let mut opts = git2::DescribeOptions::new();
    opts.describe_tags().pattern("v[0-9]*");
    let mut format = git2::DescribeFormatOptions::new();
    if tag_only {
        format.abbreviated_size(0);
    }
    c.as_object()
        .describe(&opts)
        .and_then(|d| d.format(Some(&format)))
        .map_err(|_| {
            anyhow!(
                "{spec} has no release tag (v*) in its history in {}, and GlusterFS takes its \
                 version from one: fetch the tags (`git fetch --tags`) and try again",
                repo.path().display()
            )
        })
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

/// A branch or tag as found: the name given, its full ref and its commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    pub refname: String,
    pub commit: String,
}

/// The branch or tag `name` (`refs/...` as given, else a branch, else a
/// tag); `None` when there is neither.
pub fn branch_or_tag(repo: &Repository, name: &str) -> Result<Option<Named>> {
    let candidates = if name.starts_with("refs/") {
        vec![name.to_string()]
    } else {
        vec![format!("refs/heads/{name}"), format!("refs/tags/{name}")]
    };
    for refname in candidates {
        if let Ok(r) = repo.find_reference(&refname) {
            return Ok(Some(Named {
                name: name.trim_start_matches("refs/heads/").to_string(),
                commit: r.peel_to_commit()?.id().to_string(),
                refname,
            }));
        }
    }
    Ok(None)
}

/// A branch or tag that points at `commit`, if any does.
pub fn ref_at(repo: &Repository, commit: &str) -> Result<Option<Named>> {
    for reference in repo.references()?.flatten() {
        let Some(name) = reference.name().map(String::from) else {
            continue;
        };
        if !(name.starts_with("refs/heads/") || name.starts_with("refs/tags/")) {
            continue;
        }
        if reference
            .peel_to_commit()
            .is_ok_and(|c| c.id().to_string() == commit)
        {
            return Ok(Some(Named {
                name: name.clone(),
                refname: name,
                commit: commit.into(),
            }));
        }
    }
    Ok(None)
}

/// Points branch `name` at the commit `at` names, making or moving it.
pub fn set_branch(repo: &Repository, name: &str, at: &str) -> Result<()> {
    let c = commit(repo, at)?;
    repo.branch(name, &c, true)
        .map_err(|e| anyhow!("making branch {name} at {at}: {}", e.message()))?;
    Ok(())
}
