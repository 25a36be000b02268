//! One cell of the verify matrix, typed: the build's role, the matrix's
//! dimensions (host, resolver, shim), and what was measured. Each dimension is an
//! enum made by `named_enum!`, serialized by the same lowercase names the
//! JSON has always carried; a new dimension is one more `named_enum!`, one
//! more field of `Cell` and `Key`, its values in `matrix::Dimensions`, and
//! the judge's rule for it.

use crate::stages::Stages;
use crate::stamp::Report;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// An enum of named values: serde and `Display` use the names given, and
/// `ALL` lists the values in order. A name is any `&'static str`
/// expression, so a dimension can take its words from where they are
/// defined (the shim's modes from `gfresolv_conf::Mode`); serde is written
/// out here because `#[serde(rename)]` takes only a literal.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:expr,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let word = String::deserialize(d)?;
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.name() == word)
                    .ok_or_else(|| {
                        let names: Vec<&str> = $name::ALL.iter().map(|v| v.name()).collect();
                        serde::de::Error::custom(format_args!(
                            "unknown {} `{word}`, expected one of {}",
                            stringify!($name),
                            names.join(", ")
                        ))
                    })
            }
        }

        impl $name {
            /// Every value, in the matrix's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's name, as in the JSON and the table.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum! {
    /// What a build is to the matrix.
    Role {
        /// Debian's 10.3, upstream with the fix.
        Reference = "reference",
        /// The probe: 3.12's events.c calls, once per subvolume.
        Probe = "probe",
        /// The unfixed side of an A/B.
        Base = "base",
        /// The fixed side of an A/B.
        Branch = "branch",
        /// A build named with --prefix, --fixed or --unfixed.
        Prefix = "prefix",
    }
}

named_enum! {
    /// The DNS the cell's lookups reach.
    Resolver {
        /// Never asked: a healthy cluster needs no DNS.
        Healthy = "healthy",
        /// A server that counts queries and never answers.
        Blackhole = "blackhole",
    }
}

named_enum! {
    /// Whether the resolver shim is preloaded, and in which mode.
    Shim {
        /// Not preloaded.
        None = "none",
        /// Socket paths fail at once (EAI_NONAME).
        Fail = gfresolv_conf::Mode::Fail.word(),
        /// Socket paths answer 127.0.0.1, so the events still go out.
        Loopback = gfresolv_conf::Mode::Loopback.word(),
    }
}

impl Shim {
    /// The shim's mode in this cell; None when it is not preloaded.
    pub fn mode(self) -> Option<gfresolv_conf::Mode> {
        match self {
            Shim::None => None,
            Shim::Fail => Some(gfresolv_conf::Mode::Fail),
            Shim::Loopback => Some(gfresolv_conf::Mode::Loopback),
        }
    }
}

named_enum! {
    /// The kind of host the cluster's network namespace is shaped like, by
    /// the addresses glibc's AI_ADDRCONFIG counts (127.0.0.1 and ::1 never
    /// count; everything else on `lo` does, which works on every kernel).
    Host {
        /// A non-loopback IPv4 address (the brick host's) and no IPv6 one.
        Ipv4 = "ipv4",
        /// Non-loopback IPv4 and IPv6 addresses: `getaddrinfo(NULL)`
        /// answers ::1 first.
        DualStack = "dual-stack",
        /// A non-loopback IPv6 address only; the bricks on 127.0.0.1.
        Ipv6 = "ipv6",
    }
}

named_enum! {
    /// What counted the events that reached the events ports.
    Listener {
        /// The kit's dual-stack counter on [::]:24009 and [::]:55555, standing
        /// in for glustereventsd (3.x's is Python 2, which this host lacks).
        Kit = "kit",
        /// The build's own glustereventsd (Python 3 lines: the reference's
        /// 10.3) on its configured port, 55555, IPv4 0.0.0.0 and IPv6 ::1;
        /// its events are the `EVENT: ... from ADDR` lines its DEBUG log
        /// writes, one per datagram. The kit still counts 24009 beside it.
        Glustereventsd = "glustereventsd",
    }
}

/// Why a cell's listener did not run, so that nothing was counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotRun {
    pub why: String,
    /// Whether it should have run here (installed, its interpreter
    /// present): then the cell fails.
    pub expected: bool,
}

named_enum! {
    /// The judge's word on a cell.
    Verdict {
        Pass = "pass",
        Fail = "fail",
    }
}

/// Seconds one lookup waits on the black hole: A and AAAA, timeout:1 attempts:1.
pub const LOOKUP_STALL: f64 = 2.0;

/// Where a cell stands in the matrix: one value of each dimension. The
/// judge finds the cells it compares with by key, changing only the
/// dimensions its rule names (`with_resolver`, `with_shim`), so a new
/// dimension is matched on its own value by every rule that says nothing
/// of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub host: Host,
    pub resolver: Resolver,
    pub shim: Shim,
    pub listener: Listener,
}

impl Key {
    pub fn with_host(self, host: Host) -> Key {
        Key { host, ..self }
    }

    pub fn with_resolver(self, resolver: Resolver) -> Key {
        Key { resolver, ..self }
    }

    pub fn with_shim(self, shim: Shim) -> Key {
        Key { shim, ..self }
    }

    pub fn with_listener(self, listener: Listener) -> Key {
        Key { listener, ..self }
    }

    /// The kit's listener's cell at host, resolver and shim.
    pub fn kit(host: Host, resolver: Resolver, shim: Shim) -> Key {
        Key {
            host,
            resolver,
            shim,
            listener: Listener::Kit,
        }
    }
}

/// One run of heal-info: a build under one value of each dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub build: String,
    pub role: Role,
    /// What the kit knows of the build's stages of the series, by id.
    pub stages: Stages,
    pub host: Host,
    pub resolver: Resolver,
    pub legacy_layer: bool,
    pub shim: Shim,
    pub subvolumes: usize,
    pub seconds: f64,
    pub dns_queries: u64,
    pub events: u64,
    /// Of `events`, those from an IPv4 source and from an IPv6 one.
    pub events_v4: u64,
    pub events_v6: u64,
    pub listener: Listener,
    /// Where the listener is not the kit's: the datagrams the kit's
    /// counter on 24009 took meanwhile (the daemon listens on 55555 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_24009: Option<u64>,
    /// Why the listener did not run; then the counts are zero, not measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_not_run: Option<NotRun>,
    /// Subvolumes whose "Going UP" line glfsheal's log shows.
    pub subvolumes_up: usize,
    pub going_up_gaps: Vec<f64>,
    pub exit: i32,
    /// None until `judge` has looked at the cell.
    pub verdict: Option<Verdict>,
    pub why: String,
}

impl Cell {
    pub fn key(&self) -> Key {
        Key {
            host: self.host,
            resolver: self.resolver,
            shim: self.shim,
            listener: self.listener,
        }
    }

    pub fn passed(&self) -> bool {
        self.verdict == Some(Verdict::Pass)
    }
}

/// One installed build to run the matrix on.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    /// Base, branch or prefix.
    pub role: Role,
    pub prefix: PathBuf,
    /// From `backport --check --stage ID` on the build's revision, per
    /// stage of the series, or the user's word.
    pub stages: Stages,
}

/// What `verify --json` prints: every cell, the A/B's build reports, and
/// whether every verdict passed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub builds: Vec<Report>,
    pub cells: Vec<Cell>,
    pub ok: bool,
}

impl Document {
    /// The cell of the build with `role` at `key` (whose listener is part
    /// of it: `Key::kit` for the kit's).
    pub fn cell(&self, role: Role, key: Key) -> Option<&Cell> {
        self.cells.iter().find(|c| c.role == role && c.key() == key)
    }

    /// One JSON document on one line, its keys in order as a
    /// `serde_json::Value` prints them (as verify has always printed it).
    pub fn json(&self) -> serde_json::Result<String> {
        Ok(serde_json::to_value(self)?.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimension_values_keep_their_json_names() {
        let names = |v: serde_json::Value| v.to_string();
        assert_eq!(
            names(serde_json::to_value(Role::ALL).unwrap()),
            r#"["reference","probe","base","branch","prefix"]"#
        );
        assert_eq!(
            names(serde_json::to_value(Resolver::ALL).unwrap()),
            r#"["healthy","blackhole"]"#
        );
        assert_eq!(
            names(serde_json::to_value(Shim::ALL).unwrap()),
            r#"["none","fail","loopback"]"#
        );
        assert_eq!(
            names(serde_json::to_value(Host::ALL).unwrap()),
            r#"["ipv4","dual-stack","ipv6"]"#
        );
        let back: Shim = serde_json::from_str(r#""loopback""#).unwrap();
        assert_eq!(back, Shim::Loopback);
        let err = serde_json::from_str::<Shim>(r#""sideways""#).unwrap_err();
        assert!(err.to_string().contains("unknown Shim `sideways`"), "{err}");
    }

    #[test]
    fn every_shim_mode_is_a_cell_of_the_matrix_by_the_shims_own_word() {
        let modes: Vec<_> = Shim::ALL.iter().filter_map(|s| s.mode()).collect();
        assert_eq!(modes, gfresolv_conf::Mode::ALL);
        for s in Shim::ALL {
            if let Some(m) = s.mode() {
                assert_eq!(s.name(), m.word());
            }
        }
    }

    #[test]
    fn a_key_changed_in_one_dimension_keeps_the_others() {
        let k = Key::kit(Host::DualStack, Resolver::Blackhole, Shim::Loopback);
        assert_eq!(
            k.with_shim(Shim::None),
            Key::kit(Host::DualStack, Resolver::Blackhole, Shim::None)
        );
        assert_eq!(
            k.with_listener(Listener::Glustereventsd).shim,
            Shim::Loopback
        );
        assert_eq!(k.with_resolver(Resolver::Healthy).shim, Shim::Loopback);
        assert_eq!(k.with_host(Host::Ipv4).resolver, Resolver::Blackhole);
    }
}
