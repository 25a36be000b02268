//! The fast way to start from a base's build (issue 17), when the branch's
//! prefix is a sibling of the base's with a name of the same length (the
//! A/B names its prefixes by commit for this): the branch is built in the
//! base's own paths, configured as it is, so nothing is rewritten and make
//! recompiles only what changed. Each step runs in a mount namespace of its
//! own where the copy of the base's tree is bound over the base's tree and
//! the branch's prefix over the base's prefix (`make::Steps::bind`);
//! neither base path is written.
//!
//! The branch's prefix starts as a copy of the base's install. make
//! rewrites many files with the same bytes (every program and xlator is
//! relinked against the rebuilt library), so only the directories whose
//! files now differ from the base's tree are installed over the copy
//! (`make -C DIR install`). Everything installed then names the base's
//! prefix, and the base's name is replaced by the branch's, of the same
//! length, in every file and symlink, binaries included, as conda relocates
//! its packages. The name, not the whole path: gcc copies a constant string
//! into an array 16 or 8 bytes at a time, from pieces it stores apart, so a
//! path may be in a binary only in pieces (glusterd.so holds one whose
//! piece starts at the prefix's name). Should a piece cut the name itself,
//! 6 bytes of it stay together (the name is 12 or more), and any 6 bytes of
//! the base's name left after the rename make the build reconfigure
//! instead ([`Unsafe`]). `bench build --warm` compares the result byte for
//! byte with a cold build of the same commit (`compare`).

use anyhow::{Context, Result};
use memchr::memmem;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use walkdir::WalkDir;

/// How many bytes of a name stay together however gcc cuts a path.
const PIECE: usize = 6;

/// Why a build from `base_prefix` into `prefix` cannot be relocated, if it
/// cannot: it is reconfigured then (`reuse::prepare`).
pub fn unusable(base_prefix: &Path, prefix: &Path, keep_tree: bool) -> Option<String> {
    let name = |p: &Path| p.file_name().map(|n| n.as_encoded_bytes().to_vec());
    let (Some(a), Some(b)) = (name(base_prefix), name(prefix)) else {
        return Some("a prefix without a name".into());
    };
    if base_prefix.parent() != prefix.parent() {
        return Some(format!(
            "the prefix is not beside the base's (in {})",
            base_prefix.parent().unwrap_or(Path::new("/")).display()
        ));
    }
    if a.len() != b.len() || a.len() < 2 * PIECE {
        return Some(format!(
            "the prefixes' names are {} and {} bytes long: binaries can only be relocated \
             between names of one length, {} or more",
            a.len(),
            b.len(),
            2 * PIECE
        ));
    }
    if let Some(w) = a.windows(PIECE).find(|w| memmem::find(&b, w).is_some()) {
        return Some(format!(
            "the prefixes' names share {:?}: a piece of one could not be told from the other",
            String::from_utf8_lossy(w)
        ));
    }
    if keep_tree {
        return Some(
            "the tree is to be kept, and a relocated build's tree keeps the base's paths".into(),
        );
    }
    if !base_prefix.is_dir() {
        return Some(format!(
            "the base's prefix {} is gone",
            base_prefix.display()
        ));
    }
    if !super::make::can_bind() {
        return Some("the build steps get no mount namespace here to bind the base's paths".into());
    }
    None
}

/// Pieces of the base's prefix's name are left in an installed file after
/// the rename: the build reconfigures instead.
#[derive(Debug)]
pub struct Unsafe(pub String);

impl std::fmt::Display for Unsafe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsafe {}

/// Copies the base's install into `prefix`, but not its stamp nor the
/// state a glusterd may have left under var/ since: make install puts files
/// there too (hooks, option groups), so var's files are copied when written
/// no later than the stamp, which the build writes after install. The
/// number of files copied.
pub fn copy_install(base_prefix: &Path, prefix: &Path) -> Result<usize> {
    let stamp = verify::stamp::path(base_prefix);
    let installed = std::fs::metadata(&stamp)
        .and_then(|m| m.modified())
        .with_context(|| format!("reading the base's stamp {}", stamp.display()))?;
    let var = base_prefix.join("var");
    let mut files = 0;
    for entry in WalkDir::new(base_prefix).min_depth(1) {
        let entry = entry?;
        let from = entry.path();
        let rel = from
            .strip_prefix(base_prefix)
            .expect("under the walked dir");
        let to = prefix.join(rel);
        let kind = entry.file_type();
        if kind.is_dir() {
            std::fs::create_dir_all(&to).with_context(|| format!("creating {}", to.display()))?;
            continue;
        }
        let later =
            || -> Result<bool> { Ok(std::fs::symlink_metadata(from)?.modified()? > installed) };
        if from == stamp || (from.starts_with(&var) && later()?) {
            continue;
        }
        crate::paths::remove_file_if_present(&to)?;
        if kind.is_symlink() {
            let target = std::fs::read_link(from)?;
            std::os::unix::fs::symlink(&target, &to)
                .with_context(|| format!("linking {}", to.display()))?;
        } else if kind.is_file() {
            std::fs::copy(from, &to)
                .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
            files += 1;
        }
    }
    Ok(files)
}

/// The directories (relative to the tree, each with its own Makefile) to
/// run `make install` in: those holding a file written since `since` whose
/// bytes differ from the base's tree, other than those only configure
/// reads, none inside another (make install there installs its
/// subdirectories too). The root is "": install all.
pub fn dirs_to_install(copy: &Path, base_tree: &Path, since: SystemTime) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for entry in WalkDir::new(copy).min_depth(1) {
        let entry = entry?;
        if !entry.file_type().is_file() {
            continue;
        }
        let written = entry.metadata()?.modified()?;
        if written < since {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(copy)
            .expect("under the walked dir");
        // Read by configure alone (VERSION, whose release part differs with
        // every commit), it changes nothing make installs without it.
        if super::reuse::read_by_configure(&rel.to_string_lossy()) {
            continue;
        }
        let theirs = std::fs::read(base_tree.join(rel)).ok();
        if theirs.as_deref() == Some(&std::fs::read(entry.path())?[..]) {
            continue;
        }
        let mut dir = rel.parent().unwrap_or(Path::new("")).to_path_buf();
        while !copy.join(&dir).join("Makefile").is_file() {
            if !dir.pop() {
                break;
            }
        }
        dirs.push(dir);
    }
    dirs.sort();
    dirs.dedup();
    // Sorted, a parent comes before its children.
    let mut outer: Vec<PathBuf> = Vec::new();
    for d in dirs {
        if !outer.iter().any(|o| d.starts_with(o)) {
            outer.push(d);
        }
    }
    Ok(outer)
}

/// Replaces the name of the prefix `old` with that of `new` (see
/// [`unusable`]) in every file and symlink target under `prefix`, then
/// fails with [`Unsafe`] if any piece of the old name is left; the number
/// of files and links changed.
pub fn rename_prefix(prefix: &Path, old: &Path, new: &Path) -> Result<usize> {
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.as_encoded_bytes().to_vec())
            .with_context(|| format!("{} has no name", p.display()))
    };
    let (old_b, new_b) = (name(old)?, name(new)?);
    anyhow::ensure!(
        old_b.len() == new_b.len(),
        "{} and {} differ in length",
        old.display(),
        new.display()
    );
    let finder = memmem::Finder::new(&old_b);
    let pieces: Vec<memmem::Finder> = old_b.windows(PIECE).map(memmem::Finder::new).collect();
    let stamp = verify::stamp::path(prefix);
    let mut changed = 0;
    for entry in WalkDir::new(prefix).min_depth(1) {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type().is_symlink() {
            let target = std::fs::read_link(path)?;
            let mut bytes = target.as_os_str().as_encoded_bytes().to_vec();
            if replace_all(&finder, &mut bytes, &new_b) {
                let target = PathBuf::from(std::ffi::OsString::from(
                    String::from_utf8(bytes).context("a symlink target that is not UTF-8")?,
                ));
                std::fs::remove_file(path)?;
                std::os::unix::fs::symlink(&target, path)
                    .with_context(|| format!("relinking {}", path.display()))?;
                changed += 1;
            }
            continue;
        }
        if !entry.file_type().is_file() || path == stamp {
            continue;
        }
        let mut bytes =
            std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        if replace_all(&finder, &mut bytes, &new_b) {
            // Written in place: the file keeps its mode and owner.
            std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            changed += 1;
        }
        if let Some(p) = pieces.iter().find(|p| p.find(&bytes).is_some()) {
            return Err(Unsafe(format!(
                "{} still holds {:?}, a piece of the base's prefix's name, after relocating",
                path.display(),
                String::from_utf8_lossy(p.needle())
            ))
            .into());
        }
    }
    Ok(changed)
}

/// Overwrites every occurrence of the finder's needle in `bytes` with
/// `new`, of the same length; whether any was.
fn replace_all(finder: &memmem::Finder, bytes: &mut [u8], new: &[u8]) -> bool {
    let hits: Vec<usize> = finder.find_iter(bytes).collect();
    for &at in &hits {
        bytes[at..at + new.len()].copy_from_slice(new);
    }
    !hits.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_replaced_in_pieces_and_a_cut_name_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let (old, new) = (d.path().join("a1cf0f2c8ba4"), d.path().join("1e37d5532801"));
        std::fs::create_dir_all(&new).unwrap();
        // A whole path, and a piece of one that starts at the name.
        let mut elf = b"\x7fELF\0".to_vec();
        elf.extend_from_slice(old.as_os_str().as_encoded_bytes());
        elf.extend_from_slice(b"/lib\0handling geo-repla1cf0f2c8ba4/var/log\0");
        std::fs::write(new.join("glusterd.so"), &elf).unwrap();
        assert_eq!(rename_prefix(&new, &old, &new).unwrap(), 1);
        let mut want = b"\x7fELF\0".to_vec();
        want.extend_from_slice(new.as_os_str().as_encoded_bytes());
        want.extend_from_slice(b"/lib\0handling geo-repl1e37d5532801/var/log\0");
        assert_eq!(std::fs::read(new.join("glusterd.so")).unwrap(), want);
        // The name itself cut in two: no rename can be sure of it.
        std::fs::write(
            new.join("cut.so"),
            b"\0geo-repla1cf0f\0\0\x002c8ba4/var/log\0",
        )
        .unwrap();
        let e = rename_prefix(&new, &old, &new).unwrap_err();
        assert!(e.is::<Unsafe>(), "{e:#}");
        assert!(e.to_string().contains("a1cf0f"), "{e:#}");
    }

    #[test]
    fn relocation_needs_sibling_names_of_one_length_that_share_no_piece() {
        let p = |s: &str| PathBuf::from(format!("/b/{s}"));
        let why = |a: &str, b: &str| unusable(&p(a), &p(b), false).unwrap_or_default();
        assert!(why("a1cf0f2c8ba4", "1e37d55328").contains("bytes long"));
        assert!(why("prefix-0", "prefix-1").contains("bytes long"));
        assert!(why("a1cf0f2c8ba4", "a1cf0f999999").contains("share \"a1cf0f\""));
        assert!(
            unusable(&p("a1cf0f2c8ba4"), Path::new("/c/1e37d5532801"), false)
                .unwrap()
                .contains("not beside")
        );
        assert!(why("a1cf0f2c8ba4", "1e37d5532801").contains("gone"));
    }

    #[test]
    fn only_the_outermost_dirs_with_differing_files_are_installed() {
        let d = tempfile::tempdir().unwrap();
        let (copy, base) = (d.path().join("copy"), d.path().join("base"));
        for t in [&copy, &base] {
            for dir in ["", "lib/src", "lib/src/sub", "xl/ec/src", "doc"] {
                std::fs::create_dir_all(t.join(dir)).unwrap();
                std::fs::write(t.join(dir).join("Makefile"), "all:\n").unwrap();
            }
            std::fs::create_dir_all(t.join("lib/src/.libs")).unwrap();
            std::fs::write(t.join("old.txt"), "old").unwrap();
        }
        // As the build gives it: the kernel stamps files with a coarse
        // clock, behind SystemTime::now().
        let since = SystemTime::now() - std::time::Duration::from_secs(1);
        // Rewritten by make with the same bytes: not installed.
        std::fs::write(copy.join("xl/ec/src/ec.so"), "same").unwrap();
        std::fs::write(base.join("xl/ec/src/ec.so"), "same").unwrap();
        // Differs, in a .libs of a dir with a Makefile, and in its subdir.
        std::fs::write(copy.join("lib/src/.libs/lib.so"), "new").unwrap();
        std::fs::write(base.join("lib/src/.libs/lib.so"), "old").unwrap();
        std::fs::write(copy.join("lib/src/sub/x.o"), "new").unwrap();
        assert_eq!(
            dirs_to_install(&copy, &base, since).unwrap(),
            vec![PathBuf::from("lib/src")]
        );
        // Read by configure only, which does not run again: nothing more.
        std::fs::write(copy.join("VERSION"), "v3.12.15-4-g1e37d55").unwrap();
        assert_eq!(
            dirs_to_install(&copy, &base, since).unwrap(),
            vec![PathBuf::from("lib/src")]
        );
        // A differing file at the top: everything.
        std::fs::write(copy.join("old.txt"), "new").unwrap();
        assert_eq!(
            dirs_to_install(&copy, &base, since).unwrap(),
            vec![PathBuf::from("")]
        );
    }

    #[test]
    fn the_copied_install_leaves_out_the_stamp_and_var_state() {
        let d = tempfile::tempdir().unwrap();
        let (base, to) = (d.path().join("a1cf0f2c8ba4"), d.path().join("1e37d5532801"));
        std::fs::create_dir_all(base.join("lib")).unwrap();
        std::fs::create_dir_all(base.join("var/lib/glusterd/vols")).unwrap();
        std::fs::create_dir_all(base.join("var/lib/glusterd/groups")).unwrap();
        std::fs::write(base.join("var/lib/glusterd/groups/virt"), "x=y").unwrap();
        std::fs::write(
            base.join("lib/libx.so.0.0.1"),
            format!("\0{}/lib\0", base.display()),
        )
        .unwrap();
        std::os::unix::fs::symlink("libx.so.0.0.1", base.join("lib/libx.so")).unwrap();
        std::os::unix::fs::symlink(base.join("lib"), base.join("abs")).unwrap();
        let stamp = verify::stamp::path(&base);
        std::fs::create_dir_all(stamp.parent().unwrap()).unwrap();
        std::fs::write(&stamp, "{}").unwrap();
        // glusterd's state, written after the install.
        let info = base.join("var/lib/glusterd/glusterd.info");
        std::fs::write(&info, "UUID=x").unwrap();
        let after = std::fs::metadata(&stamp).unwrap().modified().unwrap()
            + std::time::Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&info)
            .unwrap()
            .set_modified(after)
            .unwrap();

        assert_eq!(copy_install(&base, &to).unwrap(), 2);
        assert!(to.join("var/lib/glusterd/vols").is_dir());
        assert!(to.join("var/lib/glusterd/groups/virt").is_file());
        assert!(!to.join("var/lib/glusterd/glusterd.info").exists());
        assert!(!verify::stamp::path(&to).exists());
        assert_eq!(
            std::fs::read_link(to.join("lib/libx.so")).unwrap(),
            PathBuf::from("libx.so.0.0.1")
        );
        assert_eq!(rename_prefix(&to, &base, &to).unwrap(), 2);
        let bytes = std::fs::read(to.join("lib/libx.so.0.0.1")).unwrap();
        assert_eq!(bytes, format!("\0{}/lib\0", to.display()).into_bytes());
        assert_eq!(std::fs::read_link(to.join("abs")).unwrap(), to.join("lib"));
    }
}
