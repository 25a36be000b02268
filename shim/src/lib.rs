//! libgfresolv.so: an `LD_PRELOAD` hotfix for GlusterFS hosts that cannot be
//! rebuilt today. 3.x's `_gf_event()` resolves the volfile server, which for
//! glfsheal is the unix socket *path* `/var/run/glusterd.socket`; glibc 2.17
//! sends that name to DNS and waits out every timeout, once per disperse
//! subvolume. A name with '/' in it cannot be a host name, so this library
//! answers it at once, without the resolver, NSS or the network, and hands
//! every other call to libc untouched.
//!
//! One function per interposed symbol (this file): decide (`decide`), then
//! either answer (`answer`, logging through `log`) or forward (`forward`) at
//! once; the forwarding path is a byte scan and a call, nothing else. The
//! settings (`config`, with the ceiling in `conf_file`) are worked out once,
//! at the first socket path; in a privileged (AT_SECURE) process they are
//! "pass everything through", with no environment read and no file opened.
//! Nothing here may panic into the host: each entry point catches unwinding
//! and falls back to libc, and nothing allocates before the real symbols
//! are known.

mod answer;
mod conf_file;
mod config;
mod decide;
mod forward;
mod log;

use libc::{addrinfo, c_char, c_int, hostent, size_t};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use config::Mode;

/// Runs `act` unless it panics; a panic forwards the call to libc instead.
fn guarded<T>(act: impl FnOnce() -> T, fallback: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(act)).unwrap_or_else(|_| fallback())
}

/// # Safety
/// Same contract as libc's `getaddrinfo`.
#[no_mangle]
pub unsafe extern "C" fn getaddrinfo(
    node: *const c_char,
    service: *const c_char,
    hints: *const addrinfo,
    res: *mut *mut addrinfo,
) -> c_int {
    if !decide::is_socket_path(node) {
        return forward::getaddrinfo(node, service, hints, res);
    }
    guarded(
        || {
            decide::intercept(
                node,
                |s| {
                    log::intercepted("getaddrinfo", node, s.mode, s);
                    answer::getaddrinfo(s.mode, service, hints, res)
                },
                || forward::getaddrinfo(node, service, hints, res),
            )
        },
        || forward::getaddrinfo(node, service, hints, res),
    )
}

/// # Safety
/// Same contract as libc's `gethostbyname`.
#[no_mangle]
pub unsafe extern "C" fn gethostbyname(name: *const c_char) -> *mut hostent {
    if !decide::is_socket_path(name) {
        return forward::gethostbyname(name);
    }
    guarded(
        || {
            decide::intercept(
                name,
                |s| {
                    log::intercepted("gethostbyname", name, s.mode, s);
                    answer::gethostbyname2(s.mode, libc::AF_INET)
                },
                || forward::gethostbyname(name),
            )
        },
        || forward::gethostbyname(name),
    )
}

/// # Safety
/// Same contract as glibc's `gethostbyname2`.
#[no_mangle]
pub unsafe extern "C" fn gethostbyname2(name: *const c_char, af: c_int) -> *mut hostent {
    if !decide::is_socket_path(name) {
        return forward::gethostbyname2(name, af);
    }
    guarded(
        || {
            decide::intercept(
                name,
                |s| {
                    log::intercepted("gethostbyname2", name, s.mode, s);
                    answer::gethostbyname2(s.mode, af)
                },
                || forward::gethostbyname2(name, af),
            )
        },
        || forward::gethostbyname2(name, af),
    )
}

/// # Safety
/// Same contract as glibc's `gethostbyname_r`.
#[no_mangle]
pub unsafe extern "C" fn gethostbyname_r(
    name: *const c_char,
    ret: *mut hostent,
    buf: *mut c_char,
    buflen: size_t,
    result: *mut *mut hostent,
    h_errnop: *mut c_int,
) -> c_int {
    if !decide::is_socket_path(name) {
        return forward::gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
    }
    guarded(
        || {
            decide::intercept(
                name,
                |s| {
                    log::intercepted("gethostbyname_r", name, s.mode, s);
                    answer::gethostbyname2_r(
                        s.mode,
                        libc::AF_INET,
                        ret,
                        buf,
                        buflen,
                        result,
                        h_errnop,
                    )
                },
                || forward::gethostbyname_r(name, ret, buf, buflen, result, h_errnop),
            )
        },
        || forward::gethostbyname_r(name, ret, buf, buflen, result, h_errnop),
    )
}

/// # Safety
/// Same contract as glibc's `gethostbyname2_r`.
#[no_mangle]
pub unsafe extern "C" fn gethostbyname2_r(
    name: *const c_char,
    af: c_int,
    ret: *mut hostent,
    buf: *mut c_char,
    buflen: size_t,
    result: *mut *mut hostent,
    h_errnop: *mut c_int,
) -> c_int {
    if !decide::is_socket_path(name) {
        return forward::gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop);
    }
    guarded(
        || {
            decide::intercept(
                name,
                |s| {
                    log::intercepted("gethostbyname2_r", name, s.mode, s);
                    answer::gethostbyname2_r(s.mode, af, ret, buf, buflen, result, h_errnop)
                },
                || forward::gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop),
            )
        },
        || forward::gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop),
    )
}
