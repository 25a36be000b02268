//! What a `.t` test needs on the host beyond the build: the programs it
//! (or upstream's framework) calls, each with the Debian package that has
//! it. As root the runner installs them; a test whose needs are still
//! missing is reported "not run: needs X", never passed.

/// Every test: prove runs it, include.rc's cleanup calls killall and
/// pidof, its helpers getfattr and setfattr, and glusterd's own peer
/// files want uuidgen.
pub const ALWAYS: &[(&str, &str)] = &[
    ("prove", "perl"),
    ("killall", "psmisc"),
    ("pidof", "sysvinit-utils"),
    ("getfattr", "attr"),
    ("setfattr", "attr"),
    ("uuidgen", "uuid-runtime"),
];

/// Programs some tests call: (the word in the test, program, package).
pub const SOMETIMES: &[(&str, &str, &str)] = &[
    ("mkfs.xfs", "mkfs.xfs", "xfsprogs"),
    ("losetup", "losetup", "mount"),
    ("dbench", "dbench", "dbench"),
    ("fio", "fio", "fio"),
    ("openssl", "openssl", "openssl"),
];

/// Words that rule a test out on this host, and why: Python 2 is not in
/// Debian 12, and the kit's legacy builds have no gNFS server.
pub const RULED_OUT: &[(&str, &str)] = &[
    ("python2", "Python 2 (Debian 12 has none)"),
    (
        "mount_nfs",
        "gNFS (the kit's legacy builds are configured without it)",
    ),
];

/// The programs `text` (a `.t` file) needs, with their packages.
pub fn of(text: &str) -> Vec<(&'static str, &'static str)> {
    let mut all: Vec<(&str, &str)> = ALWAYS.to_vec();
    for (word, program, package) in SOMETIMES {
        if text.contains(word) && !all.iter().any(|(p, _)| p == program) {
            all.push((program, package));
        }
    }
    all
}

/// Why `text` cannot run here at all, if it cannot.
pub fn ruled_out(text: &str) -> Option<&'static str> {
    RULED_OUT
        .iter()
        .find(|(word, _)| text.contains(word))
        .map(|(_, why)| *why)
}

/// Why a test that mounts a volume cannot run here: no /dev/fuse (a
/// chroot or container without it).
pub fn fuse_missing(text: &str) -> Option<&'static str> {
    let mounts = [
        "_GFS",
        "$GFS",
        "glusterfs -s",
        "glusterfs --volfile",
        "mount_glusterfs",
    ]
    .iter()
    .any(|w| text.contains(w));
    (mounts && !std::path::Path::new("/dev/fuse").exists())
        .then_some("/dev/fuse (it mounts the volume with FUSE)")
}

/// The programs of `needs` that are not on PATH.
pub fn missing(needs: &[(&str, &str)]) -> Vec<String> {
    needs
        .iter()
        .filter(|(program, _)| crate::paths::which(program).is_none())
        .map(|(program, package)| format!("{program} ({package})"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_needs_the_frameworks_programs_and_what_it_calls() {
        let needs = of("TEST mkfs.xfs -f $B0/xfs\nTEST dbench -t 10 10\n");
        let programs: Vec<&str> = needs.iter().map(|(p, _)| *p).collect();
        assert!(programs.contains(&"prove") && programs.contains(&"uuidgen"));
        assert!(programs.contains(&"mkfs.xfs") && programs.contains(&"dbench"));
        assert!(!programs.contains(&"fio"));
        assert_eq!(
            ruled_out("TEST python2 $(dirname $0)/x.py"),
            Some("Python 2 (Debian 12 has none)")
        );
        assert_eq!(ruled_out("TEST glusterd"), None);
    }
}
