//! Which of an upstream commit's files to port: `--path GLOB` keeps only
//! matching files, `--exclude GLOB` leaves matching ones out (globs as
//! `globset` reads them, so `tests/**` is everything under tests/). What is
//! left out is named in the commit message, so the port says it is partial.

use super::upstream::Commit;
use anyhow::{bail, Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};

#[derive(Debug, Clone, Default)]
pub struct PathFilter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    /// The options as given, for the commit message.
    pub described: Vec<String>,
}

fn set(globs: &[String], flag: &str) -> Result<Option<GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).with_context(|| {
            format!(
                "{flag} {g:?} is not a valid glob; write e.g. 'tests/**' or 'libglusterfs/src/*.h'"
            )
        })?);
    }
    Ok(Some(b.build()?))
}

impl PathFilter {
    pub fn new(paths: &[String], excludes: &[String]) -> Result<Self> {
        let mut described: Vec<String> = paths.iter().map(|p| format!("--path '{p}'")).collect();
        described.extend(excludes.iter().map(|e| format!("--exclude '{e}'")));
        Ok(PathFilter {
            include: set(paths, "--path")?,
            exclude: set(excludes, "--exclude")?,
            described,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.include.is_none() && self.exclude.is_none()
    }

    pub fn keeps(&self, path: &str) -> bool {
        self.include.as_ref().is_none_or(|s| s.is_match(path))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(path))
    }

    /// Drops the changes the filter leaves out, recording their paths in
    /// `commit.left_out`. A change is kept when either of its paths is.
    pub fn apply(&self, commit: &mut Commit) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let (kept, out): (Vec<_>, Vec<_>) = commit.changes.drain(..).partition(|ch| {
            [&ch.old_path, &ch.new_path]
                .into_iter()
                .flatten()
                .any(|p| self.keeps(p))
        });
        commit.changes = kept;
        commit.left_out = out
            .iter()
            .filter_map(|ch| ch.new_path.clone().or(ch.old_path.clone()))
            .collect();
        if commit.changes.is_empty() {
            bail!(
                "{}: {} leaves none of its files ({}); loosen the filter",
                super::upstream::short(commit.id),
                self.described.join(" "),
                commit.left_out.join(", ")
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclude_wins_over_path_and_stars_cross_directories() {
        let f = PathFilter::new(&["libglusterfs/**".into()], &["**/*.h".into()]).unwrap();
        assert!(f.keeps("libglusterfs/src/events.c"));
        assert!(!f.keeps("libglusterfs/src/run.h"));
        assert!(!f.keeps("tests/volume.rc"));
        let t = PathFilter::new(&[], &["tests/**".into()]).unwrap();
        assert!(!t.keeps("tests/bugs/glusterd/optimized-basic-testcases.t"));
        assert!(t.keeps("xlators/mgmt/glusterd/src/glusterd.c"));
        assert!(PathFilter::new(&[], &["a/[".into()]).is_err());
    }
}
