//! Whether two installs of one commit hold the same programs: the same
//! file list, and for every ELF file the same code (`objdump -d`). This is
//! what makes a build from the base's tree (`reuse`) trustworthy, checked
//! against a cold build of the same commit. Prefixes of equal length keep
//! the layout alike, so the disassembly, addresses included, must be
//! identical; debug info and build IDs, which name the build tree, are not
//! compared.

use anyhow::{Context, Result};
use duct::cmd;
use std::collections::BTreeSet;
use std::path::Path;

/// What differs between two installs.
#[derive(Debug, Default)]
pub struct Comparison {
    pub files: usize,
    pub elf_files: usize,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
    /// ELF files whose disassembly differs.
    pub code_differs: Vec<String>,
}

impl Comparison {
    pub fn same(&self) -> bool {
        self.only_in_a.is_empty() && self.only_in_b.is_empty() && self.code_differs.is_empty()
    }
}

/// The regular files under `prefix`, relative, without the kit's stamp
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

fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| &magic == b"\x7fELF")
}

/// The code of `path` as `objdump -d` prints it, without its first lines
/// (which name the file).
fn disassembly(path: &Path) -> Result<String> {
    let out = cmd!("objdump", "-d", "--no-show-raw-insn", path)
        .read()
        .with_context(|| format!("objdump -d {}", path.display()))?;
    Ok(out.lines().skip(2).collect::<Vec<_>>().join("\n"))
}

pub fn installs(a: &Path, b: &Path) -> Result<Comparison> {
    let (fa, fb) = (files(a)?, files(b)?);
    let mut c = Comparison {
        files: fa.len(),
        only_in_a: fa.difference(&fb).cloned().collect(),
        only_in_b: fb.difference(&fa).cloned().collect(),
        ..Default::default()
    };
    for rel in fa.intersection(&fb) {
        let (pa, pb) = (a.join(rel), b.join(rel));
        // Symlinks (libfoo.so -> libfoo.so.0.0.1) are compared as names.
        if pa.is_symlink() || !is_elf(&pa) {
            continue;
        }
        c.elf_files += 1;
        if disassembly(&pa)? != disassembly(&pb)? {
            c.code_differs.push(rel.clone());
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn install(dir: &Path, program: &str, extra: bool) {
        std::fs::create_dir_all(dir.join("sbin")).unwrap();
        std::fs::copy(program, dir.join("sbin/prog")).unwrap();
        std::fs::write(dir.join("README"), "text\n").unwrap();
        std::os::unix::fs::symlink("prog", dir.join("sbin/link")).unwrap();
        if extra {
            std::fs::write(dir.join("extra"), "").unwrap();
        }
    }

    #[test]
    fn same_programs_are_the_same_and_other_code_or_files_are_named() {
        let t = tempfile::tempdir().unwrap();
        let (a, b, c) = (t.path().join("a"), t.path().join("b"), t.path().join("c"));
        install(&a, "/bin/true", false);
        install(&b, "/bin/true", false);
        install(&c, "/bin/ls", true);
        let same = installs(&a, &b).unwrap();
        assert!(same.same(), "{same:?}");
        assert_eq!((same.files, same.elf_files), (3, 1));
        let other = installs(&a, &c).unwrap();
        assert!(!other.same());
        assert_eq!(other.code_differs, ["sbin/prog"]);
        assert_eq!(other.only_in_b, ["extra"]);
        assert!(other.only_in_a.is_empty());
    }
}
