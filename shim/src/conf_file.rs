//! `/etc/gfresolv.conf`: the operator's ceiling on the settings, for hosts
//! that preload the shim into every program. Which file counts (a regular
//! file, not a symlink, owned by root and not writable by group or others)
//! is decided by `gfresolv_conf`, the rules heal-info doctor reports with;
//! anything else is ignored with a warning. Read into a stack buffer and
//! parsed in place, so nothing allocates.

use crate::log::{self, Line};
use gfresolv_conf::Mode;
pub use gfresolv_conf::{Refusal, MAX, PATH};
use std::sync::atomic::AtomicBool;

static REFUSED: AtomicBool = AtomicBool::new(false);
static BAD_LINE: AtomicBool = AtomicBool::new(false);

/// A `log` setting: off, stderr, or a file path (a slice of the file's text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log<'a> {
    Off,
    Stderr,
    File(&'a [u8]),
}

impl<'a> Log<'a> {
    pub fn parse(v: &'a [u8]) -> Log<'a> {
        match v {
            b"" | b"off" | b"none" => Log::Off,
            b"stderr" => Log::Stderr,
            path => Log::File(path),
        }
    }
}

/// The settings the file gives; None where it says nothing.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Ceiling<'a> {
    pub mode: Option<Mode>,
    pub only: Option<&'a [u8]>,
    pub log: Option<Log<'a>>,
}

/// Parses the file's text. A line that is not `key = value` with a known
/// key, or a bad mode, is reported once; a bad mode counts as `fail`, the
/// narrower answer, so a typo never widens anything.
pub fn parse(text: &[u8]) -> Ceiling<'_> {
    let mut c = Ceiling::default();
    for line in text.split(|&b| b == b'\n') {
        let line = match line.iter().position(|&b| b == b'#') {
            Some(i) => &line[..i],
            None => line,
        }
        .trim_ascii();
        if line.is_empty() {
            continue;
        }
        let Some(eq) = line.iter().position(|&b| b == b'=') else {
            log::warn_once(&BAD_LINE, b"/etc/gfresolv.conf: ignoring '", line, b"'");
            continue;
        };
        let (key, value) = (line[..eq].trim_ascii(), line[eq + 1..].trim_ascii());
        match key {
            b"mode" => {
                c.mode = Some(Mode::parse(value).unwrap_or_else(|| {
                    log::warn_once(
                        &BAD_LINE,
                        b"/etc/gfresolv.conf: unknown mode '",
                        value,
                        b"'; using fail",
                    );
                    Mode::Fail
                }))
            }
            b"only" => c.only = Some(value),
            b"log" => c.log = Some(Log::parse(value)),
            _ => log::warn_once(
                &BAD_LINE,
                b"/etc/gfresolv.conf: unknown setting '",
                key,
                b"'; ignored",
            ),
        }
    }
    c
}

/// Whether a file with this `stat` may set the ceiling.
pub fn judge(st: &libc::stat) -> Result<(), Refusal> {
    gfresolv_conf::judge(gfresolv_conf::Stat {
        mode: st.st_mode,
        uid: st.st_uid,
        // A negative size cannot be; read as huge, it is refused.
        size: st.st_size as u64,
    })
}

/// Reads the file into `buf` and returns its text, or None when there is no
/// file (silently) or it may not be used (with a warning).
pub fn read(buf: &mut [u8; MAX]) -> Option<&[u8]> {
    match read_checked(buf) {
        Ok(n) => Some(&buf[..n]),
        Err(None) => None,
        Err(Some(why)) => {
            let mut said = Line::new();
            said.push(b" ");
            said.push(why.reason().as_bytes());
            said.push(b"; ignored");
            log::warn_once(&REFUSED, b"", PATH.to_bytes(), said.as_bytes());
            None
        }
    }
}

fn read_checked(buf: &mut [u8; MAX]) -> Result<usize, Option<Refusal>> {
    // SAFETY: plain syscalls on a constant path and our own buffers.
    unsafe {
        let fd = libc::open(
            PATH.as_ptr(),
            libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        if fd < 0 {
            return match *libc::__errno_location() {
                libc::ENOENT | libc::ENOTDIR => Err(None),
                libc::ELOOP => Err(Some(Refusal::Symlink)),
                _ => Err(Some(Refusal::Unreadable)),
            };
        }
        let mut st: libc::stat = std::mem::zeroed();
        let checked = if libc::fstat(fd, &mut st) != 0 {
            Err(Some(Refusal::Unreadable))
        } else {
            judge(&st).map_err(Some)
        };
        let result = checked.and_then(|()| {
            let mut n = 0;
            while n < MAX {
                let r = libc::read(fd, buf[n..].as_mut_ptr().cast(), MAX - n);
                if r < 0 {
                    return Err(Some(Refusal::Unreadable));
                }
                if r == 0 {
                    return Ok(n);
                }
                n += r as usize;
            }
            Err(Some(Refusal::TooLarge))
        });
        libc::close(fd);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_settings_comments_and_blank_lines() {
        let c = parse(b"# header\n\nmode = loopback\n  only=glfsheal, gluster # the CLI too\nlog = /var/log/glusterfs/gfresolv.log\n");
        assert_eq!(c.mode, Some(Mode::Loopback));
        assert_eq!(c.only, Some(&b"glfsheal, gluster"[..]));
        assert_eq!(c.log, Some(Log::File(b"/var/log/glusterfs/gfresolv.log")));
    }

    #[test]
    fn the_shipped_example_sets_nothing() {
        let text = include_bytes!("../gfresolv.conf");
        assert_eq!(parse(text), Ceiling::default());
    }

    #[test]
    fn a_bad_mode_counts_as_fail_and_unknown_keys_are_skipped() {
        let c = parse(b"mode = sideways\ncolour = blue\nlog = off\n");
        assert_eq!(c.mode, Some(Mode::Fail));
        assert_eq!(c.log, Some(Log::Off));
        assert_eq!(c.only, None);
    }

    #[test]
    fn only_a_root_owned_regular_file_not_writable_by_others_counts() {
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        st.st_mode = libc::S_IFREG | 0o644;
        assert_eq!(judge(&st), Ok(()));
        st.st_uid = 1000;
        assert_eq!(judge(&st), Err(Refusal::NotRootOwned));
        st.st_uid = 0;
        st.st_mode = libc::S_IFREG | 0o664;
        assert_eq!(judge(&st), Err(Refusal::Writable));
        st.st_mode = libc::S_IFREG | 0o646;
        assert_eq!(judge(&st), Err(Refusal::Writable));
        st.st_mode = libc::S_IFIFO | 0o600;
        assert_eq!(judge(&st), Err(Refusal::NotRegular));
    }
}
