//! An install for another prefix (`--run-at`): the tree is configured for
//! the prefix the build will run at, `make install DESTDIR=` puts the files
//! in a staging dir inside the install dir, and they are moved from there
//! into place. Nothing is written at the prefix it runs at, which may hold
//! another build (the A/B's base). The programs name that prefix, as a
//! package's name /usr before it is installed, so the install runs where it
//! is bound there: the kit's clusters and test glusterds do it in their own
//! mount namespace (`verify::cluster::Flavor::installed`).
//!
//! The A/B builds its branch this way at the base's prefix: then the branch
//! starts from a copy of the base's tree bound over the base's tree, with
//! every path as configured, and make redoes only what the branch changed
//! (`build::in_base_paths`), byte for byte what a cold build for that
//! prefix makes (`bench build --warm` compares them).

use super::make::{self, Bind, Env, Steps};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// The staging dir's name in the install dir: on its filesystem, so the
/// files are moved, not copied.
const STAGE: &str = ".glk-destdir";

/// `make install` in `dir` with DESTDIR, then the files moved from
/// DESTDIR/`run_at` into `prefix`; the seconds make install took. `run_at`
/// is read-only for make install, so a rule that ignores DESTDIR fails the
/// install instead of writing what is there (the A/B's base). On any
/// failure the staging dir is removed again.
pub fn install(
    steps: &mut Steps,
    dir: &Path,
    env: &Env,
    run_at: &Path,
    prefix: &Path,
) -> Result<f64> {
    let stage = prefix.join(STAGE);
    remove_stage(prefix)?;
    // A failed move fails any build into this prefix the same way: an
    // [`InstallFailed`], so the caller does not try another build path.
    let installed = steps.with_read_only(run_at, |steps| steps.install(dir, env, Some(&stage)));
    let result = installed.and_then(|secs| {
        move_into_place(&stage, run_at, prefix)
            .map(|_| secs)
            .map_err(|e| make::InstallFailed(format!("{e:#}")).into())
    });
    let cleaned = remove_stage(prefix);
    let secs = result?;
    cleaned?;
    Ok(secs)
}

/// Removes the staging dir from `prefix`, should one be there.
pub fn remove_stage(prefix: &Path) -> Result<()> {
    crate::paths::remove_dir_all_if_present(&prefix.join(STAGE))
        .context("removing the staging dir of an earlier install")
}

/// Moves every file under `stage`/`run_at` to the same place under
/// `prefix`, over what is there (as make install would write it); the
/// number of files. Anything make install wrote elsewhere under `stage`
/// would be missing where the build runs, so it is an error.
pub fn move_into_place(stage: &Path, run_at: &Path, prefix: &Path) -> Result<usize> {
    let root = stage.join(run_at.strip_prefix("/").unwrap_or(run_at));
    if let Some(stray) = outside(stage, &root)? {
        bail!(
            "make install wrote {} outside the prefix {} it was configured for: it would be \
             missing where the build runs (a configure option that names an absolute path?)",
            stray.display(),
            run_at.display()
        );
    }
    if !root.is_dir() {
        bail!(
            "make install put nothing under the prefix {} (in {})",
            run_at.display(),
            stage.display()
        );
    }
    // Every clash first, so that a refused install moves nothing.
    for entry in WalkDir::new(&root).min_depth(1) {
        let entry = entry?;
        let to = prefix.join(entry.path().strip_prefix(&root).expect("under root"));
        let Ok(there) = std::fs::symlink_metadata(&to) else {
            continue;
        };
        if entry.file_type().is_dir() != there.is_dir() {
            bail!(
                "{} in the prefix is {}, and make install made {} there: remove it, or choose \
                 another --prefix",
                to.display(),
                if there.is_dir() {
                    "a directory"
                } else {
                    "a file"
                },
                if there.is_dir() {
                    "a file"
                } else {
                    "a directory"
                }
            );
        }
    }
    let mut files = 0;
    for entry in WalkDir::new(&root).min_depth(1) {
        let entry = entry?;
        let to = prefix.join(entry.path().strip_prefix(&root).expect("under root"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).with_context(|| format!("creating {}", to.display()))?;
            std::fs::set_permissions(&to, entry.metadata()?.permissions())?;
            continue;
        }
        std::fs::rename(entry.path(), &to)
            .with_context(|| format!("moving {} to {}", entry.path().display(), to.display()))?;
        files += 1;
    }
    Ok(files)
}

/// A path under `stage` that is neither `root`, under it, nor one of the
/// directories that lead to it: the first file, else the first directory.
fn outside(stage: &Path, root: &Path) -> Result<Option<PathBuf>> {
    let mut walk = WalkDir::new(stage).min_depth(1).into_iter();
    let mut dir = None;
    while let Some(entry) = walk.next() {
        let entry = entry?;
        let path = entry.path();
        if path == root {
            walk.skip_current_dir();
            continue;
        }
        if !entry.file_type().is_dir() {
            return Ok(Some(path.to_path_buf()));
        }
        if !root.starts_with(path) && dir.is_none() {
            dir = Some(path.to_path_buf());
        }
    }
    Ok(dir)
}

/// `program` of the install at `prefix` (a path under `run_at`), started
/// with `prefix` bound at `run_at` in a mount namespace of its own.
pub fn command_at(prefix: &Path, run_at: &Path, program: &Path) -> Result<std::process::Command> {
    let mut c = make::bound_command(&[Bind {
        from: prefix.to_path_buf(),
        onto: run_at.to_path_buf(),
        read_only: false,
    }])?;
    c.arg(program).env("GLK_STEP_DIR", "/");
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, p.display().to_string()).unwrap();
    }

    #[test]
    fn files_under_the_run_prefix_are_moved_over_the_old_install() {
        let d = tempfile::tempdir().unwrap();
        let (stage, prefix) = (d.path().join("stage"), d.path().join("prefix"));
        let run_at = Path::new("/opt/base-prefix");
        write(&stage.join("opt/base-prefix/sbin/glusterd"));
        write(&stage.join("opt/base-prefix/lib/glusterfs/3.12.15/xlator/a.so"));
        write(&prefix.join("sbin/glusterd"));
        write(&prefix.join("sbin/old-only"));
        assert_eq!(move_into_place(&stage, run_at, &prefix).unwrap(), 2);
        let read = |p: &str| std::fs::read_to_string(prefix.join(p)).unwrap();
        assert!(read("sbin/glusterd").contains("stage/opt/base-prefix/sbin/glusterd"));
        assert!(read("lib/glusterfs/3.12.15/xlator/a.so").contains("xlator/a.so"));
        assert!(read("sbin/old-only").contains("prefix/sbin/old-only"));
    }

    #[test]
    fn a_file_installed_outside_the_run_prefix_is_refused_before_anything_moves() {
        let d = tempfile::tempdir().unwrap();
        let (stage, prefix) = (d.path().join("stage"), d.path().join("prefix"));
        let run_at = Path::new("/opt/base-prefix");
        write(&stage.join("opt/base-prefix/sbin/glusterd"));
        write(&stage.join("sbin/mount.glusterfs"));
        let err = move_into_place(&stage, run_at, &prefix).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("sbin/mount.glusterfs"), "{msg}");
        assert!(msg.contains("outside the prefix /opt/base-prefix"), "{msg}");
        assert!(!prefix.join("sbin/glusterd").exists());
        // A sibling whose name starts like the prefix's is outside it too.
        let stage2 = d.path().join("stage2");
        write(&stage2.join("opt/base-prefix/sbin/glusterd"));
        write(&stage2.join("opt/base-prefix-2/x"));
        let msg = format!(
            "{:#}",
            move_into_place(&stage2, run_at, &prefix).unwrap_err()
        );
        assert!(
            msg.contains("opt/base-prefix-2/x outside the prefix"),
            "{msg}"
        );
    }

    #[test]
    fn a_file_where_the_prefix_has_a_directory_is_refused_before_anything_moves() {
        let d = tempfile::tempdir().unwrap();
        let (stage, prefix) = (d.path().join("stage"), d.path().join("prefix"));
        let run_at = Path::new("/opt/p");
        write(&stage.join("opt/p/lib/a.so"));
        write(&stage.join("opt/p/sbin/glusterd"));
        std::fs::create_dir_all(prefix.join("sbin/glusterd")).unwrap();
        let msg = format!(
            "{:#}",
            move_into_place(&stage, run_at, &prefix).unwrap_err()
        );
        assert!(
            msg.contains(
                "sbin/glusterd in the prefix is a directory, and make install made a file"
            ),
            "{msg}"
        );
        assert!(!prefix.join("lib/a.so").exists(), "a file moved");
        assert!(stage.join("opt/p/lib/a.so").exists());
    }

    #[test]
    fn an_empty_install_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let stage = d.path().join("stage");
        std::fs::create_dir_all(stage.join("opt")).unwrap();
        let err = move_into_place(&stage, Path::new("/opt/p"), &d.path().join("prefix"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("nothing under the prefix /opt/p"), "{err}");
    }
}
