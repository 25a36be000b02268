//! The two modes, parsed and named in one place: the environment
//! (`GFRESOLV_MODE`), the file (`mode = ...`) and the log line all use these.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// EAI_NONAME / HOST_NOT_FOUND at once: the design's fast fail.
    Fail,
    /// Localhost addresses, as upstream's fix uses for unix volfile servers.
    Loopback,
}

impl Mode {
    /// The mode a setting names, or None for anything else (each caller
    /// warns in its own words and falls back to `Fail`, the narrower one).
    pub fn parse(v: &[u8]) -> Option<Mode> {
        match v {
            b"fail" => Some(Mode::Fail),
            b"loopback" => Some(Mode::Loopback),
            _ => None,
        }
    }

    /// The setting's word for this mode.
    pub fn name(self) -> &'static [u8] {
        match self {
            Mode::Fail => b"fail",
            Mode::Loopback => b"loopback",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_parses_from_its_own_name_and_nothing_else() {
        for m in [Mode::Fail, Mode::Loopback] {
            assert_eq!(Mode::parse(m.name()), Some(m));
        }
        for bad in [&b""[..], b"Fail", b" loopback", b"sideways"] {
            assert_eq!(Mode::parse(bad), None);
        }
    }
}
