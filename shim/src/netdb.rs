//! h_errno and its values, as `<netdb.h>` gives them: shared by the answers
//! (which report HOST_NOT_FOUND) and the forwarding (which reports
//! NO_RECOVERY when a real symbol is missing).

use libc::c_int;

pub const HOST_NOT_FOUND: c_int = 1;
pub const NO_RECOVERY: c_int = 3;
pub const NETDB_INTERNAL: c_int = -1;

extern "C" {
    fn __h_errno_location() -> *mut c_int;
}

/// Sets h_errno, as the gethostbyname family reports errors.
pub fn set_h_errno(v: c_int) {
    // SAFETY: glibc's thread-local h_errno.
    unsafe { *__h_errno_location() = v };
}
