//! Fuzzing the shim's getaddrinfo with random node, service and hints
//! (proptest), loaded with dlopen so this process's own libc calls are not
//! interposed. Nothing may crash; a path is always EAI_NONAME (fail mode);
//! anything else gets the same return code as libc. Nodes that are not
//! paths are kept numeric-looking so no lookup leaves the machine.

use libc::{addrinfo, c_char, c_int};
use proptest::prelude::*;
use std::ffi::CString;
use std::ptr::null;

type Gai = unsafe extern "C" fn(
    *const c_char,
    *const c_char,
    *const addrinfo,
    *mut *mut addrinfo,
) -> c_int;

fn shim_getaddrinfo() -> Gai {
    let so = CString::new(verify::tools::shim_so().to_str().unwrap()).unwrap();
    unsafe {
        let h = libc::dlopen(so.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        assert!(
            !h.is_null(),
            "dlopen {}",
            verify::tools::shim_so().display()
        );
        let f = libc::dlsym(h, c"getaddrinfo".as_ptr());
        assert!(!f.is_null());
        std::mem::transmute::<*mut libc::c_void, Gai>(f)
    }
}

fn call(
    f: Gai,
    node: &Option<CString>,
    service: &Option<CString>,
    hints: &Option<addrinfo>,
) -> c_int {
    let mut res: *mut addrinfo = std::ptr::null_mut();
    let rc = unsafe {
        f(
            node.as_ref().map_or(null(), |n| n.as_ptr()),
            service.as_ref().map_or(null(), |s| s.as_ptr()),
            hints.as_ref().map_or(null(), |h| h as *const addrinfo),
            &mut res,
        )
    };
    if rc == 0 {
        unsafe { libc::freeaddrinfo(res) };
    }
    rc
}

fn hints() -> impl Strategy<Value = Option<addrinfo>> {
    let fam = prop_oneof![
        Just(libc::AF_UNSPEC),
        Just(libc::AF_INET),
        Just(libc::AF_INET6),
        any::<i32>()
    ];
    let st = prop_oneof![
        Just(0),
        Just(libc::SOCK_STREAM),
        Just(libc::SOCK_DGRAM),
        Just(libc::SOCK_RAW),
        any::<i32>()
    ];
    let proto = prop_oneof![
        Just(0),
        Just(libc::IPPROTO_TCP),
        Just(libc::IPPROTO_UDP),
        any::<i32>()
    ];
    prop::option::of((fam, st, proto, 0i32..0x80).prop_map(|(f, s, p, flags)| {
        let mut h: addrinfo = unsafe { std::mem::zeroed() };
        h.ai_family = f;
        h.ai_socktype = s;
        h.ai_protocol = p;
        h.ai_flags = flags & !libc::AI_CANONNAME;
        h
    }))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, .. ProptestConfig::default() })]

    #[test]
    fn random_calls_never_crash_and_match_libc(
        node in prop::option::of(prop_oneof!["/[ -~]{0,40}", "[0-9a-f:.]{0,20}", "[ -~]{0,10}/[ -~]{0,10}"]),
        service in prop::option::of(prop_oneof!["[0-9]{0,6}", "[a-z]{0,8}", "[ -~]{0,12}"]),
        hints in hints(),
    ) {
        let f = shim_getaddrinfo();
        let node = node.map(|n| CString::new(n.replace('\0', "")).unwrap());
        let service = service.map(|s| CString::new(s.replace('\0', "")).unwrap());
        let rc = call(f, &node, &service, &hints);
        let is_path = node.as_ref().is_some_and(|n| n.as_bytes().contains(&b'/'));
        if is_path {
            prop_assert_eq!(rc, libc::EAI_NONAME);
        } else if node.as_ref().is_none_or(|n| n.as_bytes().iter().all(|b| b"0123456789abcdef:.".contains(b))) {
            prop_assert_eq!(rc, call(libc::getaddrinfo, &node, &service, &hints));
        }
    }
}
