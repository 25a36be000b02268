//! GlusterFS version words ("3.12.15", "10.3", "7.2rc1"), read once: every
//! rule that depends on the release (glfsheal's XML switch, which release
//! lines have the events.c fixes) asks a `Version`. A leaf: it imports
//! nothing from this crate.

/// The numbers of a version word: its first runs of digits, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub major: u32,
    pub minor: Option<u32>,
    pub patch: Option<u32>,
}

impl Version {
    /// The numbers in `word`, read as runs of digits with anything between
    /// them; None when it does not start with a number ("git"). A run too
    /// long for a u32 ends the reading there.
    pub fn parse(word: &str) -> Option<Version> {
        let mut it = word
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<u32>().ok());
        let major = it.next()??;
        let minor = it.next().flatten();
        let patch = minor.and(it.next().flatten());
        Some(Version {
            major,
            minor,
            patch,
        })
    }

    /// (major, minor, patch), a missing number read as 0.
    fn triple(self) -> (u32, u32, u32) {
        (self.major, self.minor.unwrap_or(0), self.patch.unwrap_or(0))
    }

    /// Whether the release line has upstream's fix for the events.c stall
    /// ("gf-event: Handle unix volfile-servers"): 6.8 on 6.x, 7.3 on 7.x,
    /// every release from 8.0.
    pub fn has_stall_fix(self) -> bool {
        match self.triple() {
            (0..=5, ..) => false,
            (6, minor, _) => minor >= 8,
            (7, minor, _) => minor >= 3,
            _ => true,
        }
    }

    /// Whether the release has upstream's socket made after getaddrinfo,
    /// for the family it answers ("Events: Socket creation after
    /// getaddrinfo", 0d79397fb1, on release-8 as 93d48622d9 in 8.2;
    /// release-6 and release-7 never got it).
    pub fn has_delivery_fix(self) -> bool {
        self.triple() >= (8, 2, 0)
    }

    /// Whether glfsheal has its own `info-summary` mode: 3.13 and later.
    /// 3.12 had it briefly and lost it again in v3.12.4 (f4867128fe), so
    /// the 3.12 line is judged as lacking it.
    pub fn glfsheal_has_summary(self) -> bool {
        self.triple() >= (3, 13, 0)
    }

    /// Whether glfsheal takes `--xml` (else the positional word `xml`): the
    /// `--nolog` change (e7dd46ae54), in 6.0 and ported to 4.1.7 and 5.2,
    /// so the same releases take `--nolog`.
    pub fn glfsheal_dashed_xml(self) -> bool {
        match (self.major, self.minor, self.patch) {
            (6.., _, _) => true,
            (5, Some(minor), _) => minor >= 2,
            (4, Some(1), Some(patch)) => patch >= 7,
            (4, Some(minor), _) => minor > 1,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_numbers_of_a_version_word() {
        let v = |major, minor, patch| {
            Some(Version {
                major,
                minor,
                patch,
            })
        };
        assert_eq!(Version::parse("3.12.15"), v(3, Some(12), Some(15)));
        assert_eq!(Version::parse("10.3"), v(10, Some(3), None));
        assert_eq!(Version::parse("7.2rc1"), v(7, Some(2), Some(1)));
        assert_eq!(Version::parse("11"), v(11, None, None));
        assert_eq!(Version::parse("git"), None);
        assert_eq!(Version::parse(""), None);
        assert_eq!(Version::parse("99999999999.1"), None);
    }

    #[test]
    fn release_lines_with_the_fix() {
        let has_fix = |w| Version::parse(w).map(Version::has_stall_fix);
        assert_eq!(has_fix("3.12.15"), Some(false));
        assert_eq!(has_fix("6.7"), Some(false));
        assert_eq!(has_fix("6.8"), Some(true));
        assert_eq!(has_fix("7.2"), Some(false));
        assert_eq!(has_fix("7.3"), Some(true));
        assert_eq!(has_fix("10.3"), Some(true));
        assert_eq!(has_fix("git"), None);
    }

    #[test]
    fn glfsheal_summary_from_3_13() {
        for (word, want) in [("3.12.15", false), ("3.13.2", true), ("10.3", true)] {
            assert_eq!(Version::parse(word).unwrap().glfsheal_has_summary(), want);
        }
    }

    #[test]
    fn release_lines_with_the_delivery_fix() {
        for (word, want) in [
            ("3.12.15", false),
            ("7.9", false),
            ("8.1", false),
            ("8.2", true),
            ("9.0", true),
            ("10.3", true),
        ] {
            let v = Version::parse(word).unwrap();
            assert_eq!(v.has_delivery_fix(), want, "{word}");
        }
    }
}
