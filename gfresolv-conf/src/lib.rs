//! `/etc/gfresolv.conf`'s rules, in one place: where the file is, how large
//! it may be, and which files may set the shim's ceiling. The shim
//! (`gfresolv`) applies them to the file it opens; `heal-info doctor`
//! applies them to the file it finds, so what the doctor calls "ignored" is
//! exactly what the shim ignores.
//!
//! The file counts only when it is a regular file (not a symlink) owned by
//! root, not writable by group or others, and at most `MAX` bytes: a file
//! someone else could write is no better than their environment.
//!
//! The words of the shim's modes live here too (`Mode`): the file's
//! `mode = ...`, `GFRESOLV_MODE`, the shim's log line and the verify
//! matrix's shim dimension all spell them from this one place.
//!
//! No allocation, no panic and no dependency: this runs inside a preloaded
//! library in every process, setuid ones included.

#![no_std]

use core::ffi::CStr;

/// The one place the file is looked for. Tests put their own file here by
/// bind-mounting it in a private mount namespace; there is deliberately no
/// variable or build switch an attacker could point elsewhere.
pub const PATH: &CStr = c"/etc/gfresolv.conf";

/// Larger files are refused rather than read in part.
pub const MAX: usize = 4096;

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFLNK: u32 = 0o120_000;

/// What the rules look at, from `fstat` (the shim) or `symlink_metadata`
/// (heal-info).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// `st_mode`: the file type and permission bits.
    pub mode: u32,
    pub uid: u32,
    pub size: u64,
}

/// Why the file was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Symlink,
    NotRegular,
    NotRootOwned,
    Writable,
    TooLarge,
    Unreadable,
}

impl Refusal {
    /// What is wrong, to follow the file's name: "is a symlink".
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Symlink => "is a symlink",
            Refusal::NotRegular => "is not a regular file",
            Refusal::NotRootOwned => "is not owned by root",
            Refusal::Writable => "is writable by group or others",
            Refusal::TooLarge => "is larger than 4096 bytes",
            Refusal::Unreadable => "cannot be read",
        }
    }
}

/// Whether a file with this `stat` may set the ceiling.
pub fn judge(st: Stat) -> Result<(), Refusal> {
    let kind = st.mode & S_IFMT;
    if kind == S_IFLNK {
        Err(Refusal::Symlink)
    } else if kind != S_IFREG {
        Err(Refusal::NotRegular)
    } else if st.uid != 0 {
        Err(Refusal::NotRootOwned)
    } else if st.mode & 0o022 != 0 {
        Err(Refusal::Writable)
    } else if st.size > MAX as u64 {
        Err(Refusal::TooLarge)
    } else {
        Ok(())
    }
}

/// What the shim answers for a socket path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// EAI_NONAME / HOST_NOT_FOUND at once: the design's fast fail.
    Fail,
    /// Localhost addresses, as upstream's fix uses for unix volfile servers.
    Loopback,
}

impl Mode {
    /// Every mode, `Fail` (the narrower, and the default) first.
    pub const ALL: [Mode; 2] = [Mode::Fail, Mode::Loopback];

    /// The setting's word for this mode.
    pub const fn word(self) -> &'static str {
        match self {
            Mode::Fail => "fail",
            Mode::Loopback => "loopback",
        }
    }

    /// The mode a setting names, or None for anything else (each caller
    /// warns in its own words and falls back to `Fail`, the narrower one).
    pub fn parse(v: &[u8]) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.word().as_bytes() == v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_parses_from_its_own_word_and_nothing_else() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.word().as_bytes()), Some(m));
        }
        for bad in [&b""[..], b"Fail", b" loopback", b"sideways", b"none"] {
            assert_eq!(Mode::parse(bad), None);
        }
    }

    #[test]
    fn only_a_small_root_owned_regular_file_not_writable_by_others_counts() {
        let ok = Stat {
            mode: S_IFREG | 0o644,
            uid: 0,
            size: 100,
        };
        assert_eq!(judge(ok), Ok(()));
        assert_eq!(judge(Stat { uid: 1000, ..ok }), Err(Refusal::NotRootOwned));
        for mode in [0o664, 0o646] {
            let st = Stat {
                mode: S_IFREG | mode,
                ..ok
            };
            assert_eq!(judge(st), Err(Refusal::Writable), "{mode:o}");
        }
        let fifo = Stat {
            mode: 0o010_000 | 0o600,
            ..ok
        };
        assert_eq!(judge(fifo), Err(Refusal::NotRegular));
        let link = Stat {
            mode: S_IFLNK | 0o777,
            ..ok
        };
        assert_eq!(judge(link), Err(Refusal::Symlink));
        assert_eq!(judge(Stat { size: 4096, ..ok }), Ok(()));
        assert_eq!(judge(Stat { size: 4097, ..ok }), Err(Refusal::TooLarge));
    }
}
