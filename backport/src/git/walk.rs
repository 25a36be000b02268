//! History walks: the commits reachable from some tips and not from others,
//! in the order asked for (`git rev-list TIPS ^HIDE`).

use super::{Oid, Repository, Sort};
use anyhow::Result;

/// The commits reachable from `tips` and not from `hide`, in `order`
/// (`Sort::NONE` is newest first).
pub fn commits(repo: &Repository, tips: &[Oid], hide: &[Oid], order: Sort) -> Result<Vec<Oid>> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(order)?;
    for t in tips {
        walk.push(*t)?;
    }
    for h in hide {
        walk.hide(*h)?;
    }
    Ok(walk.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_a_range_oldest_first_and_hides_the_base() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let sig = git2::Signature::now("t", "t@example.org").unwrap();
        let tree = repo
            .find_tree(repo.treebuilder(None).unwrap().write().unwrap())
            .unwrap();
        let mut ids = Vec::new();
        for i in 0..4 {
            let parents: Vec<git2::Commit> = ids
                .last()
                .map(|p| repo.find_commit(*p).unwrap())
                .into_iter()
                .collect();
            let refs: Vec<&git2::Commit> = parents.iter().collect();
            ids.push(
                repo.commit(None, &sig, &sig, &format!("c{i}"), &tree, &refs)
                    .unwrap(),
            );
        }
        let got = commits(
            &repo,
            &[ids[3]],
            &[ids[1]],
            Sort::TOPOLOGICAL | Sort::REVERSE,
        )
        .unwrap();
        assert_eq!(got, vec![ids[2], ids[3]]);
        let newest_first = commits(&repo, &[ids[3]], &[], Sort::NONE).unwrap();
        assert_eq!(newest_first, ids.iter().rev().copied().collect::<Vec<_>>());
    }
}
