//! The one decision: is this "host name" a socket path, and is the shim on
//! for this program? A host name never contains '/'; a unix socket path
//! always does. Only a socket path ever looks at the settings.

use crate::config::{self, Settings};
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

/// Runs `act` with the settings when the shim is on for this program, or
/// `pass` to forward the call to libc. Only called for socket paths.
pub fn intercept<R>(act: impl FnOnce(&Settings) -> R, pass: impl FnOnce() -> R) -> R {
    config::with(|s| if s.active { act(s) } else { pass() })
}
