//! The answers for socket-path names, in the two modes.
//!
//! Fail: `EAI_NONAME`, or `HOST_NOT_FOUND` for the gethostbyname family,
//! as glibc gives for a name that does not exist, but at once.
//!
//! Loopback: localhost addresses, as upstream's fix does for unix volfile
//! servers, so events still reach glustereventsd. For getaddrinfo the
//! addresses come from libc itself, asked for the numeric hosts `127.0.0.1`
//! and `::1` with `AI_NUMERICHOST` (which never touches NSS or DNS), so
//! socktype, protocol, service and every hints flag are handled exactly as
//! libc handles them, and libc's `freeaddrinfo` frees the result: each node
//! is one glibc block with its sockaddr inside.
//!
//! IPv4 comes first, as /etc/hosts' `localhost` line answers: 3.x's
//! `_gf_event()` turns the *first* answer into text and hands it to
//! `inet_addr()` for an AF_INET socket, so `::1` first would become
//! 255.255.255.255 and every event would be lost.

use crate::forward;
use crate::netdb::{set_h_errno, HOST_NOT_FOUND, NETDB_INTERNAL};
use gfresolv_conf::Mode;
use libc::{addrinfo, c_char, c_int, hostent, size_t};
use std::cell::UnsafeCell;
use std::ptr::null_mut;

const V6: &[u8; 16] = &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const V4: &[u8; 4] = &[127, 0, 0, 1];

/// # Safety
/// libc's contract for getaddrinfo.
pub unsafe fn getaddrinfo(
    mode: Mode,
    service: *const c_char,
    hints: *const addrinfo,
    res: *mut *mut addrinfo,
) -> c_int {
    if mode == Mode::Fail {
        return libc::EAI_NONAME;
    }
    let mut h: addrinfo = std::mem::zeroed();
    if !hints.is_null() {
        h = *hints;
    }
    h.ai_flags |= libc::AI_NUMERICHOST;
    h.ai_addr = null_mut();
    h.ai_canonname = null_mut();
    h.ai_next = null_mut();
    let hosts: &[&std::ffi::CStr] = match h.ai_family {
        libc::AF_INET => &[c"127.0.0.1"],
        libc::AF_INET6 => &[c"::1"],
        _ => &[c"127.0.0.1", c"::1"],
    };
    let mut head: *mut addrinfo = null_mut();
    let mut tail: *mut addrinfo = null_mut();
    let mut last_err = libc::EAI_NONAME;
    for host in hosts {
        let mut part: *mut addrinfo = null_mut();
        let rc = forward::getaddrinfo(host.as_ptr(), service, &h, &mut part);
        if rc != 0 {
            last_err = rc;
            continue;
        }
        if head.is_null() {
            head = part;
        } else {
            (*tail).ai_next = part;
        }
        tail = part;
        while !(*tail).ai_next.is_null() {
            tail = (*tail).ai_next;
        }
    }
    if head.is_null() {
        return last_err;
    }
    if res.is_null() {
        libc::freeaddrinfo(head);
        return libc::EAI_SYSTEM;
    }
    *res = head;
    0
}

/// Storage for the non-reentrant answers, like glibc's own static buffers.
struct Static {
    ent: UnsafeCell<hostent>,
    addr: UnsafeCell<[u8; 16]>,
    list: UnsafeCell<[*mut c_char; 2]>,
    aliases: UnsafeCell<[*mut c_char; 1]>,
}

// SAFETY: like glibc's gethostbyname, the result is shared and not thread-safe
// by contract; callers that need safety use the _r variants.
unsafe impl Sync for Static {}

static STATIC: Static = Static {
    ent: UnsafeCell::new(hostent {
        h_name: null_mut(),
        h_aliases: null_mut(),
        h_addrtype: 0,
        h_length: 0,
        h_addr_list: null_mut(),
    }),
    addr: UnsafeCell::new([0; 16]),
    list: UnsafeCell::new([null_mut(); 2]),
    aliases: UnsafeCell::new([null_mut(); 1]),
};

fn loopback(af: c_int) -> Option<&'static [u8]> {
    match af {
        libc::AF_INET => Some(V4),
        libc::AF_INET6 => Some(V6),
        _ => None,
    }
}

/// # Safety
/// glibc's contract for gethostbyname2.
pub unsafe fn gethostbyname2(mode: Mode, af: c_int) -> *mut hostent {
    let addr = match (mode, loopback(af)) {
        (Mode::Loopback, Some(a)) => a,
        (Mode::Loopback, None) => {
            *libc::__errno_location() = libc::EAFNOSUPPORT;
            set_h_errno(NETDB_INTERNAL);
            return null_mut();
        }
        (Mode::Fail, _) => {
            set_h_errno(HOST_NOT_FOUND);
            return null_mut();
        }
    };
    let s = &STATIC;
    let buf = &mut *s.addr.get();
    buf[..addr.len()].copy_from_slice(addr);
    let list = &mut *s.list.get();
    list[0] = buf.as_mut_ptr().cast();
    list[1] = null_mut();
    (*s.aliases.get())[0] = null_mut();
    let ent = &mut *s.ent.get();
    ent.h_name = c"localhost".as_ptr().cast_mut();
    ent.h_aliases = (*s.aliases.get()).as_mut_ptr();
    ent.h_addrtype = af;
    ent.h_length = addr.len() as c_int;
    ent.h_addr_list = list.as_mut_ptr();
    ent
}

/// # Safety
/// glibc's contract for gethostbyname2_r.
pub unsafe fn gethostbyname2_r(
    mode: Mode,
    af: c_int,
    ret: *mut hostent,
    buf: *mut c_char,
    buflen: size_t,
    result: *mut *mut hostent,
    h_errnop: *mut c_int,
) -> c_int {
    let set_herr = |v| {
        if !h_errnop.is_null() {
            *h_errnop = v;
        }
    };
    if result.is_null() {
        set_herr(NETDB_INTERNAL);
        return libc::EINVAL;
    }
    *result = null_mut();
    let addr = match (mode, loopback(af)) {
        (Mode::Fail, _) => {
            set_herr(HOST_NOT_FOUND);
            return 0;
        }
        (Mode::Loopback, None) => {
            set_herr(NETDB_INTERNAL);
            return libc::EAFNOSUPPORT;
        }
        (Mode::Loopback, Some(a)) => a,
    };
    if ret.is_null() || buf.is_null() {
        set_herr(NETDB_INTERNAL);
        return libc::EINVAL;
    }
    // Layout in the caller's buffer: [pad][aliases: NULL][addr_list: addr, NULL][addr]["localhost\0"].
    let ptr = std::mem::size_of::<*mut c_char>();
    let pad = (ptr - (buf as usize) % ptr) % ptr;
    let name = b"localhost\0";
    let need = pad + 3 * ptr + addr.len() + name.len();
    if buflen < need {
        set_herr(NETDB_INTERNAL);
        return libc::ERANGE;
    }
    let base = buf.add(pad);
    let aliases = base.cast::<*mut c_char>();
    let list = aliases.add(1);
    let addr_at = base.add(3 * ptr);
    let name_at = addr_at.add(addr.len());
    aliases.write(null_mut());
    std::ptr::copy_nonoverlapping(addr.as_ptr(), addr_at.cast::<u8>(), addr.len());
    std::ptr::copy_nonoverlapping(name.as_ptr(), name_at.cast::<u8>(), name.len());
    list.write(addr_at);
    list.add(1).write(null_mut());
    ret.write(hostent {
        h_name: name_at,
        h_aliases: aliases,
        h_addrtype: af,
        h_length: addr.len() as c_int,
        h_addr_list: list,
    });
    *result = ret;
    set_herr(0);
    0
}
