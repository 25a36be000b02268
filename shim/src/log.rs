//! `GFRESOLV_LOG=stderr|PATH`: one line per intercepted call, written with
//! `write(2)` from a stack buffer (no allocation, safe after fork), the file
//! opened per line with `O_APPEND` so concurrent processes do not clobber
//! each other. A log that cannot be written is reported once on stderr and
//! otherwise ignored.

use crate::config::Mode;
use libc::c_char;
use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, Ordering};

static LOG_WARNED: AtomicBool = AtomicBool::new(false);

struct Line {
    buf: [u8; 512],
    len: usize,
}

impl Line {
    fn new() -> Self {
        Line {
            buf: [0; 512],
            len: 0,
        }
    }

    fn push(&mut self, s: &[u8]) {
        let n = s.len().min(self.buf.len() - 1 - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
    }

    fn push_num(&mut self, mut v: u64) {
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

    fn finish(&mut self) -> &[u8] {
        if self.len < self.buf.len() {
            self.buf[self.len] = b'\n';
            self.len += 1;
        }
        &self.buf[..self.len]
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

/// Says something on stderr, once per process for each `flag`.
pub fn warn_once(flag: &AtomicBool, a: &[u8], b: &[u8], c: &[u8]) {
    if flag.swap(true, Ordering::AcqRel) {
        return;
    }
    let mut l = Line::new();
    l.push(b"libgfresolv: ");
    l.push(a);
    l.push(b);
    l.push(c);
    write_all(2, l.finish());
}

/// Logs one intercepted call when GFRESOLV_LOG is set.
///
/// # Safety
/// `name` is a NUL-terminated string (the caller checked it is not NULL).
pub unsafe fn intercepted(func: &str, name: *const c_char, mode: Mode) {
    let target = libc::getenv(c"GFRESOLV_LOG".as_ptr());
    if target.is_null() || *target == 0 {
        return;
    }
    let mut l = Line::new();
    l.push(b"libgfresolv: pid ");
    l.push_num(libc::getpid() as u64);
    l.push(b" ");
    l.push(func.as_bytes());
    l.push(b"(\"");
    l.push(CStr::from_ptr(name).to_bytes());
    l.push(b"\") answered at once, mode=");
    l.push(if mode == Mode::Fail {
        b"fail"
    } else {
        b"loopback"
    });
    let line = l.finish();
    let target = CStr::from_ptr(target);
    if target.to_bytes() == b"stderr" {
        write_all(2, line);
        return;
    }
    let fd = libc::open(
        target.as_ptr(),
        libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT | libc::O_CLOEXEC,
        0o644,
    );
    if fd < 0 || !write_all(fd, line) {
        warn_once(
            &LOG_WARNED,
            b"cannot write GFRESOLV_LOG file ",
            target.to_bytes(),
            b"; not logging",
        );
    }
    if fd >= 0 {
        libc::close(fd);
    }
}
