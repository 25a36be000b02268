//! The settings, worked out once per process, the first time a socket path
//! is looked up (never for ordinary names, so the pass-through path pays
//! nothing): the mode (fail or loopback), whether this program is one the
//! shim acts in, and where to log.
//!
//! In a privileged process (`getauxval(AT_SECURE)`: setuid, setgid or file
//! capabilities), whose environment belongs to the less privileged user who
//! started it, the shim reads no environment variable, opens no file,
//! writes nothing, and passes every call to libc: it acts as if it were not
//! loaded. Otherwise `/etc/gfresolv.conf` (see `conf_file`) sets a ceiling,
//! and `GFRESOLV_MODE`, `GFRESOLV_ONLY` and `GFRESOLV_LOG` may narrow it.
//! Everything lives in fixed storage, so nothing allocates; a bad value falls
//! back to the narrower choice and is reported once on stderr.

use crate::conf_file::{self, Log};
use crate::log::{warn_once, LogTo, LOG_PATH_MAX};
use gfresolv_conf::Mode;
use libc::c_char;
use std::cell::UnsafeCell;
use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

static MODE_WARNED: AtomicBool = AtomicBool::new(false);
static LOG_WARNED: AtomicBool = AtomicBool::new(false);

#[derive(Clone, Copy)]
pub struct Settings {
    pub mode: Mode,
    /// False in privileged processes, and when `only` does not name this program.
    pub active: bool,
    pub log: LogTo,
    /// With `log == File`: the path, NUL-terminated.
    pub log_path: [u8; LOG_PATH_MAX + 1],
}

const PASS_THROUGH: Settings = Settings {
    mode: Mode::Fail,
    active: false,
    log: LogTo::Off,
    log_path: [0; LOG_PATH_MAX + 1],
};

// The settings, published once: EMPTY, then one thread WRITING, then READY.
// A thread that finds them not READY works out its own copy on its stack
// rather than waiting, so no thread (and no child forked mid-way) can block.
const EMPTY: u8 = 0;
const WRITING: u8 = 1;
const READY: u8 = 2;
static STATE: AtomicU8 = AtomicU8::new(EMPTY);
struct Shared(UnsafeCell<Settings>);
// SAFETY: written only by the thread that moved STATE from EMPTY to WRITING,
// read only after STATE is READY.
unsafe impl Sync for Shared {}
static SHARED: Shared = Shared(UnsafeCell::new(PASS_THROUGH));

/// Runs `f` with this process's settings.
pub fn with<R>(f: impl FnOnce(&Settings) -> R) -> R {
    if STATE.load(Ordering::Acquire) == READY {
        // SAFETY: READY means the settings are written and never change again.
        return f(unsafe { &*SHARED.0.get() });
    }
    let s = work_out();
    if STATE
        .compare_exchange(EMPTY, WRITING, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
    {
        // SAFETY: only this thread got WRITING; nobody reads before READY.
        unsafe { *SHARED.0.get() = s };
        STATE.store(READY, Ordering::Release);
    }
    f(&s)
}

/// Whether the kernel marked this process as running with privileges its
/// caller does not have. Checked once, with the rest of the settings.
pub fn privileged() -> bool {
    // SAFETY: getauxval has no preconditions; glibc has had it since 2.16.
    unsafe { libc::getauxval(libc::AT_SECURE) != 0 }
}

extern "C" {
    // glibc 2.17: NULL in privileged processes, getenv otherwise.
    fn secure_getenv(name: *const c_char) -> *mut c_char;
}

fn env(name: &CStr) -> Option<&'static [u8]> {
    // SAFETY: secure_getenv returns NULL or a pointer into the environment.
    let p = unsafe { secure_getenv(name.as_ptr()) };
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

fn work_out() -> Settings {
    if privileged() {
        return PASS_THROUGH;
    }
    let mut buf = [0u8; conf_file::MAX];
    let ceiling = conf_file::read(&mut buf)
        .map(conf_file::parse)
        .unwrap_or_default();
    let env = Env {
        mode: env(c"GFRESOLV_MODE"),
        only: env(c"GFRESOLV_ONLY"),
        log: env(c"GFRESOLV_LOG"),
    };
    combine(&ceiling, &env, program_name())
}

/// The environment's settings (None: not set).
pub struct Env<'a> {
    pub mode: Option<&'a [u8]>,
    pub only: Option<&'a [u8]>,
    pub log: Option<&'a [u8]>,
}

fn names(list: &[u8], me: &[u8]) -> bool {
    list.split(|&c| c == b',').any(|p| p.trim_ascii() == me)
}

/// The file's ceiling narrowed by the environment, for program `me`.
pub fn combine(ceiling: &conf_file::Ceiling, env: &Env, me: &[u8]) -> Settings {
    let asked = match env.mode {
        None | Some(b"") => None,
        Some(v) => Some(Mode::parse(v).unwrap_or_else(|| {
            warn_once(
                &MODE_WARNED,
                b"unknown GFRESOLV_MODE '",
                v,
                b"'; using fail",
            );
            Mode::Fail
        })),
    };
    let mode = match (ceiling.mode, asked) {
        (Some(Mode::Fail), Some(Mode::Loopback)) => {
            warn_once(
                &MODE_WARNED,
                b"GFRESOLV_MODE=loopback is wider than ",
                conf_file::PATH.to_bytes(),
                b"'s mode = fail; using fail",
            );
            Mode::Fail
        }
        (_, Some(m)) | (Some(m), None) => m,
        (None, None) => Mode::Fail,
    };
    // Each list, where given and not empty, must name this program.
    let active = [ceiling.only, env.only]
        .iter()
        .flatten()
        .filter(|l| !l.trim_ascii().is_empty())
        .all(|l| names(l, me));
    let from_env = env.log.map(Log::parse);
    let log = match (ceiling.log, from_env) {
        (_, Some(Log::Off)) => Log::Off,
        (None, Some(l)) => l,
        (Some(c), Some(l)) if c != l => {
            warn_once(
                &LOG_WARNED,
                b"GFRESOLV_LOG may only turn off the log ",
                conf_file::PATH.to_bytes(),
                b" sets; using the file's",
            );
            c
        }
        (Some(c), _) => c,
        (None, None) => Log::Off,
    };
    let mut s = Settings {
        mode,
        active,
        ..PASS_THROUGH
    };
    match log {
        Log::Off => {}
        Log::Stderr => s.log = LogTo::Stderr,
        Log::File(p) if p.first() != Some(&b'/') || p.len() > LOG_PATH_MAX || p.contains(&0) => {
            warn_once(
                &LOG_WARNED,
                b"log path '",
                p,
                b"' is not an absolute path of at most 255 bytes; not logging",
            );
        }
        Log::File(p) => {
            s.log = LogTo::File;
            s.log_path[..p.len()].copy_from_slice(p);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use conf_file::Ceiling;

    fn env<'a>(mode: Option<&'a str>, only: Option<&'a str>, log: Option<&'a str>) -> Env<'a> {
        Env {
            mode: mode.map(str::as_bytes),
            only: only.map(str::as_bytes),
            log: log.map(str::as_bytes),
        }
    }

    fn path(s: &Settings) -> &[u8] {
        let n = s.log_path.iter().position(|&b| b == 0).unwrap();
        &s.log_path[..n]
    }

    #[test]
    fn without_a_file_the_environment_decides_as_before() {
        let none = Ceiling::default();
        let s = combine(&none, &env(None, None, None), b"glfsheal");
        assert_eq!((s.mode, s.active, s.log), (Mode::Fail, true, LogTo::Off));
        let s = combine(
            &none,
            &env(
                Some("loopback"),
                Some("glfsheal, gluster"),
                Some("/var/log/g.log"),
            ),
            b"gluster",
        );
        assert_eq!(
            (s.mode, s.active, s.log),
            (Mode::Loopback, true, LogTo::File)
        );
        assert_eq!(path(&s), b"/var/log/g.log");
        let s = combine(&none, &env(None, Some("glfsheal"), Some("stderr")), b"cron");
        assert_eq!((s.active, s.log), (false, LogTo::Stderr));
    }

    #[test]
    fn the_environment_narrows_the_file_but_never_widens_it() {
        let file = Ceiling {
            mode: Some(Mode::Fail),
            only: Some(b"glfsheal,gluster"),
            log: Some(Log::File(b"/var/log/glusterfs/gfresolv.log")),
        };
        let s = combine(
            &file,
            &env(Some("loopback"), Some("probe"), Some("/tmp/x")),
            b"probe",
        );
        assert_eq!(s.mode, Mode::Fail, "loopback is wider than fail");
        assert!(!s.active, "a program the file does not name stays off");
        assert_eq!(
            path(&s),
            b"/var/log/glusterfs/gfresolv.log",
            "the log cannot move"
        );
        let s = combine(&file, &env(None, Some("glfsheal"), Some("off")), b"gluster");
        assert!(!s.active, "the environment may drop a name");
        assert_eq!(s.log, LogTo::Off, "the environment may turn the log off");
        let loop_file = Ceiling {
            mode: Some(Mode::Loopback),
            ..Ceiling::default()
        };
        let s = combine(&loop_file, &env(Some("fail"), None, None), b"glfsheal");
        assert_eq!(s.mode, Mode::Fail);
        let off = Ceiling {
            log: Some(Log::Off),
            ..Ceiling::default()
        };
        let s = combine(&off, &env(None, None, Some("stderr")), b"glfsheal");
        assert_eq!(s.log, LogTo::Off);
    }

    #[test]
    fn relative_or_overlong_log_paths_are_refused() {
        let none = Ceiling::default();
        let s = combine(&none, &env(None, None, Some("gfresolv.log")), b"x");
        assert_eq!(s.log, LogTo::Off);
        let long = format!("/{}", "a".repeat(LOG_PATH_MAX));
        let s = combine(&none, &env(None, None, Some(&long)), b"x");
        assert_eq!(s.log, LogTo::Off);
    }
}
