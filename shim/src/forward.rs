//! The real libc functions, found once with `dlsym(RTLD_NEXT, ...)` and kept
//! in atomics. Forwarding does nothing else: same arguments, same results,
//! same errno and h_errno. If a symbol cannot be found (it always can on
//! glibc), the call fails the way libc reports an internal error.

use crate::netdb;
use libc::{addrinfo, c_char, c_int, c_void, hostent, size_t};
use std::ffi::CStr;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Real {
    name: &'static CStr,
    addr: AtomicUsize,
}

impl Real {
    const fn new(name: &'static CStr) -> Self {
        Real {
            name,
            addr: AtomicUsize::new(0),
        }
    }

    /// The real symbol, or None. Racing threads may both call dlsym; they
    /// get the same answer, so no lock is needed (and none can deadlock a fork).
    fn get(&self) -> Option<*mut c_void> {
        let mut a = self.addr.load(Ordering::Acquire);
        if a == 0 {
            // SAFETY: dlsym with RTLD_NEXT and a NUL-terminated name.
            a = unsafe { libc::dlsym(libc::RTLD_NEXT, self.name.as_ptr()) } as usize;
            self.addr.store(a, Ordering::Release);
        }
        (a != 0).then_some(a as *mut c_void)
    }
}

static GETADDRINFO: Real = Real::new(c"getaddrinfo");
static GETHOSTBYNAME: Real = Real::new(c"gethostbyname");
static GETHOSTBYNAME2: Real = Real::new(c"gethostbyname2");
static GETHOSTBYNAME_R: Real = Real::new(c"gethostbyname_r");
static GETHOSTBYNAME2_R: Real = Real::new(c"gethostbyname2_r");

type Gai = unsafe extern "C" fn(
    *const c_char,
    *const c_char,
    *const addrinfo,
    *mut *mut addrinfo,
) -> c_int;
type Ghbn = unsafe extern "C" fn(*const c_char) -> *mut hostent;
type Ghbn2 = unsafe extern "C" fn(*const c_char, c_int) -> *mut hostent;
type GhbnR = unsafe extern "C" fn(
    *const c_char,
    *mut hostent,
    *mut c_char,
    size_t,
    *mut *mut hostent,
    *mut c_int,
) -> c_int;
type Ghbn2R = unsafe extern "C" fn(
    *const c_char,
    c_int,
    *mut hostent,
    *mut c_char,
    size_t,
    *mut *mut hostent,
    *mut c_int,
) -> c_int;

/// # Safety
/// libc's contract for getaddrinfo.
pub unsafe fn getaddrinfo(
    node: *const c_char,
    service: *const c_char,
    hints: *const addrinfo,
    res: *mut *mut addrinfo,
) -> c_int {
    match GETADDRINFO.get() {
        Some(f) => std::mem::transmute::<*mut c_void, Gai>(f)(node, service, hints, res),
        None => libc::EAI_SYSTEM,
    }
}

/// # Safety
/// libc's contract for gethostbyname.
pub unsafe fn gethostbyname(name: *const c_char) -> *mut hostent {
    match GETHOSTBYNAME.get() {
        Some(f) => std::mem::transmute::<*mut c_void, Ghbn>(f)(name),
        None => {
            netdb::set_h_errno(netdb::NO_RECOVERY);
            std::ptr::null_mut()
        }
    }
}

/// # Safety
/// glibc's contract for gethostbyname2.
pub unsafe fn gethostbyname2(name: *const c_char, af: c_int) -> *mut hostent {
    match GETHOSTBYNAME2.get() {
        Some(f) => std::mem::transmute::<*mut c_void, Ghbn2>(f)(name, af),
        None => {
            netdb::set_h_errno(netdb::NO_RECOVERY);
            std::ptr::null_mut()
        }
    }
}

/// # Safety
/// glibc's contract for gethostbyname_r.
pub unsafe fn gethostbyname_r(
    name: *const c_char,
    ret: *mut hostent,
    buf: *mut c_char,
    buflen: size_t,
    result: *mut *mut hostent,
    h_errnop: *mut c_int,
) -> c_int {
    match GETHOSTBYNAME_R.get() {
        Some(f) => {
            std::mem::transmute::<*mut c_void, GhbnR>(f)(name, ret, buf, buflen, result, h_errnop)
        }
        None => libc::ENOSYS,
    }
}

/// # Safety
/// glibc's contract for gethostbyname2_r.
pub unsafe fn gethostbyname2_r(
    name: *const c_char,
    af: c_int,
    ret: *mut hostent,
    buf: *mut c_char,
    buflen: size_t,
    result: *mut *mut hostent,
    h_errnop: *mut c_int,
) -> c_int {
    match GETHOSTBYNAME2_R.get() {
        Some(f) => std::mem::transmute::<*mut c_void, Ghbn2R>(f)(
            name, af, ret, buf, buflen, result, h_errnop,
        ),
        None => libc::ENOSYS,
    }
}
