//! Writing a plan into the repository: one commit per ported fix, chained on
//! the branch tip, then a single compare-and-swap update of the branch ref.
//! Until that update nothing is visible; if it fails, the new objects are
//! unreferenced and the branch, index and work tree are as they were.
//!
//! A checked-out branch has a window no order closes: the work tree and index
//! move, then the ref. A journal (`<git dir>/xtask-backport-pending`: the
//! branch, its old and its new tip) is written before the work tree is
//! touched and removed once the ref has moved, so a run killed in between is
//! finished by the next one (`require_clean`) instead of leaving changes
//! that look like the user's.

use super::message;
use super::plan::{FileWrite, Planned, Verdict};
use crate::git::Branch;
use crate::git::{
    build::CheckoutBuilder, build::TreeUpdateBuilder, FileMode, Oid, Repository, Signature, Status,
    StatusOptions,
};
use anyhow::{bail, Context, Result};

/// Finishes a move a killed run left in its journal, then refuses a
/// checked-out branch whose work tree or index has changes.
pub fn require_clean(repo: &Repository, branch: &mut Branch) -> Result<()> {
    if !branch.checked_out {
        return Ok(());
    }
    finish_pending(repo, branch)?;
    let mut opts = StatusOptions::new();
    opts.include_untracked(false).include_ignored(false);
    let dirty: Vec<String> = repo
        .statuses(Some(&mut opts))?
        .iter()
        .filter(|s| s.status() != Status::CURRENT)
        .filter_map(|s| s.path().map(String::from))
        .collect();
    if !dirty.is_empty() {
        bail!(
            "{} is checked out in {} and has uncommitted changes ({}); commit or stash them, then run again. Nothing was changed.",
            branch.refname.trim_start_matches("refs/heads/"),
            repo.workdir().map_or_else(|| repo.path().display().to_string(), |w| w.display().to_string()),
            dirty.join(", ")
        );
    }
    Ok(())
}

fn journal(repo: &Repository) -> std::path::PathBuf {
    repo.path().join("xtask-backport-pending")
}

/// Writes the journal atomically (a temp file renamed over it).
fn write_journal(repo: &Repository, branch: &Branch, new_tip: Oid) -> Result<()> {
    let path = journal(repo);
    let tmp = path.with_extension("tmp");
    let text = format!("{} {} {new_tip}\n", branch.refname, branch.tip);
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// A run killed between the work tree and the ref left a journal: the
/// branch still at its old tip, the work tree and index at (or on the way
/// to) the new one, whose commits exist. Moves them both to the new tip (a
/// safe checkout, so nothing changed since is overwritten), then the ref.
fn finish_pending(repo: &Repository, branch: &mut Branch) -> Result<()> {
    let path = journal(repo);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [refname, old, new] = fields[..] else {
        std::fs::remove_file(&path)?;
        return Ok(());
    };
    if refname != branch.refname {
        return Ok(());
    }
    let (old, new) = (Oid::from_str(old)?, Oid::from_str(new)?);
    if branch.tip == old {
        let target = repo.find_commit(new).with_context(|| {
            format!(
                "{} names {new}, which is not in the repository",
                path.display()
            )
        })?;
        let mut co = CheckoutBuilder::new();
        co.safe();
        repo.checkout_tree(target.as_object(), Some(&mut co))
            .with_context(|| format!("finishing the backport a killed run left in {}: the work tree has changes of its own; to drop it, remove that file and run git checkout -f", path.display()))?;
        let log = "backport: finish a killed run's move";
        repo.reference_matching(&branch.refname, new, true, old, log)?;
        branch.tip = new;
    }
    std::fs::remove_file(&path)?;
    Ok(())
}

/// The user who runs the tool, as git would name them.
pub fn committer(repo: &Repository) -> Result<Signature<'static>> {
    repo.signature().map(|s| s.to_owned()).context(
        "git has no committer identity here; set one with git config user.name and user.email, then run again",
    )
}

/// Writes the commits' objects, each on the last: what was made, and the
/// last commit. Nothing but objects is written, so a failure here leaves
/// every ref, the index and the work tree as they were.
fn write_commits<'r>(
    repo: &'r Repository,
    branch: &Branch,
    planned: &[Planned],
    committer: &Signature,
) -> Result<(Vec<(String, Oid)>, crate::git::Commit<'r>), crate::git::Error> {
    let mut parent = repo.find_commit(branch.tip)?;
    let mut made = Vec::new();
    for p in planned {
        let Verdict::Port { writes, .. } = &p.verdict else {
            continue;
        };
        let base = parent.tree()?;
        let mut update = TreeUpdateBuilder::new();
        for w in writes {
            match w {
                FileWrite::Put { path, text } => {
                    let blob = repo.blob(text.as_bytes())?;
                    let mode = base
                        .get_path(std::path::Path::new(path))
                        .map(|e| e.filemode())
                        .unwrap_or(i32::from(FileMode::Blob));
                    let mode = if mode == i32::from(FileMode::BlobExecutable) {
                        FileMode::BlobExecutable
                    } else {
                        FileMode::Blob
                    };
                    update.upsert(path, blob, mode);
                }
                FileWrite::Remove { path } => {
                    update.remove(path);
                }
            }
        }
        let tree = repo.find_tree(update.create_updated(repo, &base)?)?;
        let up = &p.upstream;
        let author = Signature::new(&up.author_name, &up.author_email, &up.author_time)?;
        let msg = message::compose(
            &up.message,
            &up.id.to_string(),
            p.change_id.as_deref(),
            &p.bugs,
            &up.left_out,
            &p.filter,
        );
        let failed = p.failed_hunks();
        let msg = if failed.is_empty() {
            msg
        } else {
            let mut m =
                format!("[wip] {msg}\nHunks left as conflict markers, to finish by hand:\n");
            for (path, f) in failed {
                m.push_str(&format!("  {path}: {f}\n"));
            }
            m
        };
        let id = repo.commit(None, &author, committer, &msg, &tree, &[&parent])?;
        parent = repo.find_commit(id)?;
        made.push((p.id.clone(), id));
    }
    Ok((made, parent))
}

/// An object write that failed, said as what it means for the user: the
/// usual causes (a read-only mount, a full disk, another owner's files) have
/// one remedy, and nothing was changed meanwhile.
fn object_write_error(repo: &Repository, e: crate::git::Error) -> anyhow::Error {
    let objects = repo.path().join("objects");
    let msg = e.message();
    let cause = if msg.contains("Read-only file system") {
        "its file system is mounted read-only"
    } else if msg.contains("No space left") || msg.contains("Disk quota") {
        "its file system is full"
    } else if msg.contains("Permission denied") {
        "you may not write there"
    } else {
        "see the error below"
    };
    anyhow::anyhow!(
        "cannot write the new commits into {}: {cause}. No ref, index or work tree was changed; make that directory writable (remount read-write, free space, or run as its owner) and run again.\ngit: {msg}",
        objects.display()
    )
}

/// Creates the commits and moves the branch. Returns the new commit per
/// ported fix, in order, or nothing if no fix needed porting.
pub fn commit_all(
    repo: &Repository,
    branch: &Branch,
    planned: &[Planned],
) -> Result<Vec<(String, Oid)>> {
    let committer = committer(repo)?;
    let (made, parent) = write_commits(repo, branch, planned, &committer)
        .map_err(|e| object_write_error(repo, e))?;
    if made.is_empty() {
        return Ok(made);
    }
    let new_tip = parent.id();
    if branch.checked_out {
        write_journal(repo, branch, new_tip)?;
        let mut co = CheckoutBuilder::new();
        co.safe();
        repo.checkout_tree(parent.as_object(), Some(&mut co))
            .context("updating the work tree; nothing was changed")?;
    }
    let log = format!("backport: {} fix(es) from upstream", made.len());
    if let Err(e) = repo.reference_matching(&branch.refname, new_tip, true, branch.tip, &log) {
        if branch.checked_out {
            let old = repo.find_commit(branch.tip)?;
            let mut co = CheckoutBuilder::new();
            co.force();
            repo.checkout_tree(old.as_object(), Some(&mut co))?;
            std::fs::remove_file(journal(repo))?;
        }
        return Err(e).context(format!(
            "{} moved while the backport ran; run again",
            branch.refname
        ));
    }
    if branch.checked_out {
        std::fs::remove_file(journal(repo))?;
    }
    Ok(made)
}
