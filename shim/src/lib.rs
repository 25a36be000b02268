//! libgfresolv.so: an `LD_PRELOAD` hotfix for GlusterFS hosts that cannot be
//! rebuilt today. 3.x's `_gf_event()` resolves the volfile server, which for
//! glfsheal is the unix socket *path* `/var/run/glusterd.socket`; glibc 2.17
//! sends that name to DNS and waits out every timeout, once per disperse
//! subvolume. A name with '/' in it cannot be a host name, so this library
//! answers it at once, without the resolver, NSS or the network, and hands
//! every other call to libc untouched.
//!
//! One function per interposed symbol (this file), each one call to
//! `interpose`: decide (`decide`), then either answer (`answer`, logging
//! through `log`) or forward (`forward`) at once; the forwarding path is a
//! byte scan and a call, nothing else. The settings (`config`, with the
//! ceiling in `conf_file` and the mode's words in `gfresolv_conf::Mode`,
//! which the verify matrix spells its shim dimension from) are worked out
//! once, at the first socket path; in a privileged (AT_SECURE) process they
//! are "pass everything through", with no environment read and no file
//! opened. Nothing here may panic into the host: `interpose` catches
//! unwinding and falls back to libc, and nothing allocates before the real
//! symbols are known.
//!
//! The modules import in one direction: `netdb` is a leaf (as is
//! `gfresolv_conf`'s `Mode`); `log` uses `Mode`; `conf_file` uses `log` and
//! `Mode`; `config` uses those; `decide` uses `config`; `forward` uses
//! `netdb`; `answer` uses `forward`, `Mode` and `netdb`.

mod answer;
mod conf_file;
mod config;
mod decide;
mod forward;
mod log;
mod netdb;

use libc::{addrinfo, c_char, c_int, hostent, size_t};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use gfresolv_conf::Mode;

/// The one path of every interposed symbol, `func`, for the host name
/// `name`: an ordinary name goes to libc (`forward`) at once; a socket path
/// is logged and answered (`answer`) when the shim is on for this program,
/// and forwarded otherwise. A panic forwards the call too.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `answer` and `forward` keep the
/// contract of the symbol they stand for.
unsafe fn interpose<R>(
    func: &str,
    name: *const c_char,
    answer: impl FnOnce(Mode) -> R,
    forward: impl Fn() -> R,
) -> R {
    if !decide::is_socket_path(name) {
        return forward();
    }
    let act = || {
        decide::intercept(
            |s| {
                log::intercepted(func, name, s.mode, s.log, &s.log_path);
                answer(s.mode)
            },
            &forward,
        )
    };
    catch_unwind(AssertUnwindSafe(act)).unwrap_or_else(|_| forward())
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
    interpose(
        "getaddrinfo",
        node,
        |mode| answer::getaddrinfo(mode, service, hints, res),
        || forward::getaddrinfo(node, service, hints, res),
    )
}

/// # Safety
/// Same contract as libc's `gethostbyname`.
#[no_mangle]
pub unsafe extern "C" fn gethostbyname(name: *const c_char) -> *mut hostent {
    interpose(
        "gethostbyname",
        name,
        |mode| answer::gethostbyname2(mode, libc::AF_INET),
        || forward::gethostbyname(name),
    )
}

/// # Safety
/// Same contract as glibc's `gethostbyname2`.
#[no_mangle]
pub unsafe extern "C" fn gethostbyname2(name: *const c_char, af: c_int) -> *mut hostent {
    interpose(
        "gethostbyname2",
        name,
        |mode| answer::gethostbyname2(mode, af),
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
    interpose(
        "gethostbyname_r",
        name,
        |mode| answer::gethostbyname2_r(mode, libc::AF_INET, ret, buf, buflen, result, h_errnop),
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
    interpose(
        "gethostbyname2_r",
        name,
        |mode| answer::gethostbyname2_r(mode, af, ret, buf, buflen, result, h_errnop),
        || forward::gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop),
    )
}
