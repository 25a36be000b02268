//! Whether two installs of one commit, in two prefixes of equal length,
//! hold the same files: the same list, the same symlink targets, and the
//! same bytes once each prefix's name is read as the other's. ELF files are compared
//! without their debug info and build ID (both name the build tree), so
//! everything a program loads is compared: code, read-only data (where
//! `-DXLATORDIR=...` and the other configured paths live), data, the
//! dynamic section's rpath. This checks a build from the base's tree
//! (`reuse`) against a cold build of the same commit: an object still
//! compiled for the base's prefix differs in its strings, not its code, so
//! a disassembly alone would call it the same.

use anyhow::{bail, Context, Result};
use duct::cmd;
use memchr::memmem;
use std::collections::BTreeSet;
use std::path::Path;

/// What differs between two installs.
#[derive(Debug, Default)]
pub struct Comparison {
    pub files: usize,
    pub elf_files: usize,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
    /// Files (or symlinks) whose contents (or targets) differ.
    pub differ: Vec<String>,
}

impl Comparison {
    pub fn same(&self) -> bool {
        self.only_in_a.is_empty() && self.only_in_b.is_empty() && self.differ.is_empty()
    }
}

/// The files and symlinks under `prefix`, relative, without the kit's stamp
/// (it names the prefix and the times of the build).
fn files(prefix: &Path) -> Result<BTreeSet<String>> {
    let stamp = verify::stamp::path(prefix);
    let mut out = BTreeSet::new();
    for entry in walkdir::WalkDir::new(prefix) {
        let entry = entry?;
        if entry.file_type().is_dir() || entry.path() == stamp {
            continue;
        }
        let rel = entry.path().strip_prefix(prefix)?;
        out.insert(rel.display().to_string());
    }
    Ok(out)
}

fn is_elf(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(f.read_exact(&mut magic).is_ok() && &magic == b"\x7fELF")
}

/// What `path` holds once loaded: for an ELF file, the file without debug
/// info, build ID and debug link (`objcopy`); otherwise its bytes.
fn loaded_bytes(path: &Path) -> Result<(bool, Vec<u8>)> {
    if !is_elf(path)? {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        return Ok((false, bytes));
    }
    let out = tempfile::NamedTempFile::new().context("a temp file for objcopy")?;
    cmd!(
        "objcopy",
        "--strip-debug",
        "--remove-section=.note.gnu.build-id",
        "--remove-section=.gnu_debuglink",
        path,
        out.path()
    )
    .stdout_null()
    .run()
    .with_context(|| format!("objcopy --strip-debug {}", path.display()))?;
    let bytes = std::fs::read(out.path()).context("reading objcopy's output")?;
    Ok((true, bytes))
}

/// `bytes` with every `from` written as `to` (of the same length).
fn renamed(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for at in memmem::find_iter(bytes, from) {
        out[at..at + to.len()].copy_from_slice(to);
    }
    out
}

pub fn installs(a: &Path, b: &Path) -> Result<Comparison> {
    // By their last components: the compiler keeps fragments of a path
    // (one of glusterd.so's strings holds "prefix-1/var/log/..." without
    // what comes before), and the work dirs are named after the prefix too.
    // A string naming a third prefix (the base's) still differs.
    let (name_a, name_b) = match (a.file_name(), b.file_name()) {
        (Some(x), Some(y)) if x.len() == y.len() => (x.as_encoded_bytes(), y.as_encoded_bytes()),
        _ => bail!(
            "{} and {} differ in the length of their names: their files cannot be compared byte for byte",
            a.display(),
            b.display()
        ),
    };
    let (fa, fb) = (files(a)?, files(b)?);
    let mut c = Comparison {
        files: fa.len(),
        only_in_a: fa.difference(&fb).cloned().collect(),
        only_in_b: fb.difference(&fa).cloned().collect(),
        ..Default::default()
    };
    for rel in fa.intersection(&fb) {
        // A .pyc is a cache of the .py beside it, which is compared: its
        // header holds that file's mtime, and marshal's output varies with
        // reference counts, so two byte-compilations of one file differ.
        if rel.ends_with(".pyc") {
            continue;
        }
        let (pa, pb) = (a.join(rel), b.join(rel));
        let same = match (pa.is_symlink(), pb.is_symlink()) {
            (true, true) => {
                let (ta, tb) = (std::fs::read_link(&pa)?, std::fs::read_link(&pb)?);
                renamed(ta.as_os_str().as_encoded_bytes(), name_a, name_b)
                    == tb.as_os_str().as_encoded_bytes()
            }
            (false, false) => {
                let ((elf, ba), (_, bb)) = (loaded_bytes(&pa)?, loaded_bytes(&pb)?);
                c.elf_files += usize::from(elf);
                renamed(&ba, name_a, name_b) == bb
            }
            _ => false,
        };
        if !same {
            c.differ.push(rel.clone());
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A C program naming its prefix in read-only data, as GlusterFS's
    /// `-DXLATORDIR=...` objects do.
    fn compile(out: &Path, dir: &str) {
        let src = out.with_extension("c");
        std::fs::write(
            &src,
            format!(
                "#include <stdio.h>\nint main(void) {{ puts(\"{dir}/lib/xlator\"); return 0; }}\n"
            ),
        )
        .unwrap();
        let st = std::process::Command::new("cc")
            .args(["-g", "-O1", "-o"])
            .arg(out)
            .arg(&src)
            .status()
            .unwrap();
        assert!(st.success());
        std::fs::remove_file(src).unwrap();
    }

    fn install(dir: &Path, names: &Path, extra: bool) {
        std::fs::create_dir_all(dir.join("sbin")).unwrap();
        compile(&dir.join("sbin/prog"), names.to_str().unwrap());
        std::fs::write(dir.join("README"), format!("see {}\n", names.display())).unwrap();
        std::os::unix::fs::symlink("prog", dir.join("sbin/link")).unwrap();
        if extra {
            std::fs::write(dir.join("extra"), "").unwrap();
        }
    }

    #[test]
    fn the_same_install_in_another_prefix_is_the_same_and_a_stale_prefix_string_is_not() {
        let t = tempfile::tempdir().unwrap();
        let [a, b, c, d] = ["p-1", "p-2", "p-3", "p-4"].map(|n| t.path().join(n));
        install(&a, &a, false);
        install(&b, &b, false);
        // Built for another prefix: the same code, another string.
        install(&c, &a, true);
        let same = installs(&a, &b).unwrap();
        assert!(same.same(), "{same:?}");
        assert_eq!((same.files, same.elf_files), (3, 1));
        let stale = installs(&b, &c).unwrap();
        assert!(!stale.same());
        assert_eq!(stale.differ, ["README", "sbin/prog"]);
        assert_eq!(stale.only_in_b, ["extra"]);
        assert!(stale.only_in_a.is_empty());
        install(&d, &d, false);
        std::fs::remove_file(d.join("sbin/link")).unwrap();
        std::os::unix::fs::symlink("README", d.join("sbin/link")).unwrap();
        assert_eq!(installs(&a, &d).unwrap().differ, ["sbin/link"]);
        assert!(installs(&a, &t.path().join("p-10")).is_err());
        // A fragment of the path, without what comes before the name.
        let frag = t.path().join("p-5");
        install(&frag, Path::new("p-5/var"), false);
        let other = t.path().join("p-6");
        install(&other, Path::new("p-6/var"), false);
        assert!(installs(&frag, &other).unwrap().same());
    }
}
