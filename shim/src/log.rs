//! The log: one line per intercepted call, written with `write(2)` from a
//! stack buffer (no allocation, safe after fork), to stderr or a file opened
//! per line with `O_APPEND` so concurrent processes do not clobber each
//! other.
//!
//! The name comes from whoever called the resolver, so it cannot shape the
//! line: every byte that is not printable ASCII (and `\` and `"`) is written
//! as `\xHH`, and only the first `NAME_MAX` bytes are kept. The file cannot
//! be turned against a root process either: it is never opened through a
//! symlink, it is created 0600, and only a regular file with one link is
//! appended to. A log that cannot be written is reported once on stderr and
//! otherwise ignored.

use gfresolv_conf::Mode;
use libc::c_char;
use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, Ordering};

static LOG_WARNED: AtomicBool = AtomicBool::new(false);

/// Bytes of a name kept in a line; the rest is counted, not written.
pub const NAME_MAX: usize = 128;

/// Longest log file path kept (a longer one is refused with a warning).
pub const LOG_PATH_MAX: usize = 255;

/// Where the lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTo {
    Off,
    Stderr,
    /// The path given beside it, NUL-terminated.
    File,
}

pub struct Line {
    buf: [u8; 1024],
    len: usize,
}

impl Line {
    pub fn new() -> Self {
        Line {
            buf: [0; 1024],
            len: 0,
        }
    }

    /// Appends `s` as it is, up to the room left (one byte stays for '\n').
    pub fn push(&mut self, s: &[u8]) {
        let n = s.len().min(self.buf.len() - 1 - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
    }

    /// Appends the first `max` bytes of `s`, each byte that is not
    /// printable ASCII (or is `\` or `"`) as `\xHH`, then how many bytes
    /// were left out.
    pub fn push_escaped(&mut self, s: &[u8], max: usize) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for &b in s.iter().take(max) {
            if (0x20..0x7f).contains(&b) && b != b'\\' && b != b'"' {
                self.push(&[b]);
            } else {
                self.push(&[b'\\', b'x', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
            }
        }
        if s.len() > max {
            self.push(b"...(");
            self.push_num((s.len() - max) as u64);
            self.push(b" more bytes)");
        }
    }

    pub fn push_num(&mut self, mut v: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }

    /// The line so far, without its newline.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn finish(&mut self) -> &[u8] {
        self.buf[self.len] = b'\n';
        self.len += 1;
        &self.buf[..self.len]
    }
}

impl Default for Line {
    fn default() -> Self {
        Line::new()
    }
}

fn write_all(fd: libc::c_int, mut b: &[u8]) -> bool {
    while !b.is_empty() {
        // SAFETY: writing from a valid slice.
        let n = unsafe { libc::write(fd, b.as_ptr().cast(), b.len()) };
        if n <= 0 {
            return false;
        }
        b = &b[n as usize..];
    }
    true
}

/// Says something on stderr, once per process for each `flag`; `b` (a value
/// from a file or the environment) is escaped like a name.
pub fn warn_once(flag: &AtomicBool, a: &[u8], b: &[u8], c: &[u8]) {
    if flag.swap(true, Ordering::AcqRel) {
        return;
    }
    let mut l = Line::new();
    l.push(b"libgfresolv: ");
    l.push(a);
    l.push_escaped(b, NAME_MAX);
    l.push(c);
    write_all(2, l.finish());
}

/// Our own "errno" for a target that opened but is not a plain file.
const NOT_REGULAR: libc::c_int = -1;

/// Why a log file was not written.
fn refusal(errno: libc::c_int) -> &'static [u8] {
    match errno {
        libc::ELOOP => b" (a symlink; refused)",
        NOT_REGULAR => b" (not a regular file with one link; refused)",
        libc::ENXIO => b" (a FIFO or socket; refused)",
        _ => b"",
    }
}

/// Opens the log file for one line: never through a symlink, created 0600,
/// and only a regular file with one link (a hard link could name any file).
///
/// # Safety
/// `path` is NUL-terminated.
unsafe fn open_log(path: *const c_char) -> Result<libc::c_int, libc::c_int> {
    let fd = libc::open(
        path,
        libc::O_WRONLY
            | libc::O_APPEND
            | libc::O_CREAT
            | libc::O_NOFOLLOW
            | libc::O_NONBLOCK
            | libc::O_NOCTTY
            | libc::O_CLOEXEC,
        0o600,
    );
    if fd < 0 {
        return Err(*libc::__errno_location());
    }
    let mut st: libc::stat = std::mem::zeroed();
    if libc::fstat(fd, &mut st) != 0
        || st.st_mode & libc::S_IFMT != libc::S_IFREG
        || st.st_nlink != 1
    {
        libc::close(fd);
        return Err(NOT_REGULAR);
    }
    Ok(fd)
}

/// Logs one intercepted call to `to` (with `to == File`, the file at the
/// NUL-terminated `path`).
///
/// # Safety
/// `name` is a NUL-terminated string (the caller checked it is not NULL).
pub unsafe fn intercepted(
    func: &str,
    name: *const c_char,
    mode: Mode,
    to: LogTo,
    path: &[u8; LOG_PATH_MAX + 1],
) {
    if to == LogTo::Off {
        return;
    }
    let mut l = Line::new();
    l.push(b"libgfresolv: pid ");
    l.push_num(libc::getpid() as u64);
    l.push(b" ");
    l.push(func.as_bytes());
    l.push(b"(\"");
    l.push_escaped(CStr::from_ptr(name).to_bytes(), NAME_MAX);
    l.push(b"\") answered at once, mode=");
    l.push(mode.word().as_bytes());
    let line = l.finish();
    if to == LogTo::Stderr {
        write_all(2, line);
        return;
    }
    let path = path.as_ptr().cast::<c_char>();
    match open_log(path) {
        Ok(fd) => {
            let ok = write_all(fd, line);
            libc::close(fd);
            if ok {
                return;
            }
            warn_once(
                &LOG_WARNED,
                b"cannot write log file ",
                CStr::from_ptr(path).to_bytes(),
                b"; not logging",
            );
        }
        Err(errno) => {
            let mut why = Line::new();
            why.push(refusal(errno));
            why.push(b"; not logging");
            warn_once(
                &LOG_WARNED,
                b"cannot write log file ",
                CStr::from_ptr(path).to_bytes(),
                why.as_bytes(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &[u8], max: usize) -> String {
        let mut l = Line::new();
        l.push_escaped(s, max);
        String::from_utf8(l.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn names_cannot_forge_lines() {
        assert_eq!(
            escaped(b"x/y\nroot2::0:0::/root:/bin/sh", 128),
            "x/y\\x0aroot2::0:0::/root:/bin/sh"
        );
        assert_eq!(
            escaped(b"a\"b\\c\r\x1b\xff", 128),
            "a\\x22b\\x5cc\\x0d\\x1b\\xff"
        );
        assert_eq!(
            escaped(b"/var/run/glusterd.socket", 128),
            "/var/run/glusterd.socket"
        );
    }

    #[test]
    fn long_names_are_cut_and_counted() {
        let long = [b'/'; 300];
        let out = escaped(&long, NAME_MAX);
        assert_eq!(out, format!("{}...(172 more bytes)", "/".repeat(128)));
    }

    #[test]
    fn a_full_line_still_ends_in_one_newline() {
        let mut l = Line::new();
        l.push_escaped(&[0u8; 2000], 2000);
        let line = l.finish();
        assert_eq!(line.len(), 1024);
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        assert_eq!(line.last(), Some(&b'\n'));
    }
}
