//! The one decision: is this "host name" a socket path, and is the shim on
//! for this program? A host name never contains '/'; a unix socket path
//! always does.

use crate::config::{self, Mode};
use libc::c_char;

/// Whether the NUL-terminated `name` contains '/'. NULL is not a path.
///
/// # Safety
/// `name` is NULL or points to a NUL-terminated string.
pub unsafe fn is_socket_path(name: *const c_char) -> bool {
    if name.is_null() {
        return false;
    }
    !libc::strchr(name, b'/' as libc::c_int).is_null()
}

/// The mode to answer `name` in, or None to forward it to libc.
///
/// # Safety
/// As for `is_socket_path`.
pub unsafe fn intercept(name: *const c_char) -> Option<Mode> {
    if !is_socket_path(name) {
        return None;
    }
    let cfg = config::get();
    cfg.active.then_some(cfg.mode)
}
