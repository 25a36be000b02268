//! Settings from the environment, read once: `GFRESOLV_MODE` (fail or
//! loopback), `GFRESOLV_ONLY` (program names) and `GFRESOLV_LOG`. Read with
//! `getenv` into fixed storage, so nothing allocates. A bad value never
//! breaks the host: it falls back to the default and says so once on stderr.

use libc::c_char;
use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

static MODE_WARNED: AtomicBool = AtomicBool::new(false);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// EAI_NONAME / HOST_NOT_FOUND at once: the design's fast fail.
    Fail,
    /// Localhost addresses, as upstream's fix uses for unix volfile servers.
    Loopback,
}

#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub mode: Mode,
    /// False when GFRESOLV_ONLY is set and does not name this program.
    pub active: bool,
}

// 0 = not read yet; otherwise 1 + mode * 2 + active.
static STATE: AtomicU8 = AtomicU8::new(0);

pub fn get() -> Config {
    let mut s = STATE.load(Ordering::Acquire);
    if s == 0 {
        let c = read();
        s = 1 + (c.mode as u8) * 2 + c.active as u8;
        STATE.store(s, Ordering::Release);
    }
    let v = s - 1;
    Config {
        mode: if v / 2 == 1 {
            Mode::Loopback
        } else {
            Mode::Fail
        },
        active: v % 2 == 1,
    }
}

fn env(name: &CStr) -> Option<&'static [u8]> {
    // SAFETY: getenv returns NULL or a pointer into the environment.
    let p = unsafe { libc::getenv(name.as_ptr()) };
    if p.is_null() {
        None
    } else {
        Some(unsafe { CStr::from_ptr(p) }.to_bytes())
    }
}

extern "C" {
    static program_invocation_short_name: *const c_char;
}

fn program_name() -> &'static [u8] {
    // SAFETY: glibc sets this before any constructor runs; it is never freed.
    unsafe {
        let p = program_invocation_short_name;
        if p.is_null() {
            b""
        } else {
            CStr::from_ptr(p).to_bytes()
        }
    }
}

fn read() -> Config {
    let mode = match env(c"GFRESOLV_MODE") {
        None | Some(b"") | Some(b"fail") => Mode::Fail,
        Some(b"loopback") => Mode::Loopback,
        Some(other) => {
            crate::log::warn_once(
                &MODE_WARNED,
                b"unknown GFRESOLV_MODE '",
                other,
                b"'; using fail",
            );
            Mode::Fail
        }
    };
    let active = match env(c"GFRESOLV_ONLY") {
        None | Some(b"") => true,
        Some(list) => {
            let me = program_name();
            list.split(|&c| c == b',').any(|p| p.trim_ascii() == me)
        }
    };
    Config { mode, active }
}
