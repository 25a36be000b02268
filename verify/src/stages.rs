//! What the kit knows of a build, stage by stage of the series
//! (`patches/events.toml`'s `[[stage]]`s, by id): has it, lacks it, or
//! cannot tell. Targets, cells and the A/B's builds carry it as data; only
//! the judge gives a stage a meaning, so a new stage is a manifest entry
//! plus the judge's rule for it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The key that stands for every stage not named (an upstream release that
/// has them all).
const EVERY: &str = "*";

/// Stage id -> `Some(true)` has it, `Some(false)` lacks it, `None` the kit
/// cannot tell. A stage never asked about is unknown too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Stages(BTreeMap<String, Option<bool>>);

impl Stages {
    /// Nothing known.
    pub fn unknown() -> Self {
        Self::default()
    }

    /// Every stage present: a release past upstream's fixes.
    pub fn every() -> Self {
        Self::unknown().with(EVERY, Some(true))
    }

    /// These, and every other stage unknown.
    pub fn with(mut self, id: &str, status: Option<bool>) -> Self {
        self.0.insert(id.to_string(), status);
        self
    }

    /// What is known of stage `id`.
    pub fn has(&self, id: &str) -> Option<bool> {
        match self.0.get(id) {
            Some(s) => *s,
            None => self.0.get(EVERY).copied().flatten(),
        }
    }

    /// The stages named, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<bool>)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }
}

impl fmt::Display for Stages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<String> = self
            .iter()
            .map(|(id, s)| {
                let id = if id == EVERY { "every stage" } else { id };
                let s = match s {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "unknown",
                };
                format!("{id} {s}")
            })
            .collect();
        if words.is_empty() {
            f.write_str("no stage known")
        } else {
            f.write_str(&words.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_stages_win_over_every_and_unasked_ones_are_unknown() {
        let s = Stages::unknown()
            .with("stall", Some(true))
            .with("delivery", Some(false));
        assert_eq!(s.has("stall"), Some(true));
        assert_eq!(s.has("delivery"), Some(false));
        assert_eq!(s.has("third"), None);
        let e = Stages::every().with("delivery", None);
        assert_eq!(e.has("stall"), Some(true));
        assert_eq!(e.has("third"), Some(true));
        assert_eq!(e.has("delivery"), None);
    }

    #[test]
    fn reads_back_what_it_writes_as_a_plain_map() {
        let s = Stages::unknown()
            .with("stall", Some(true))
            .with("delivery", None);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"delivery":null,"stall":true}"#);
        assert_eq!(serde_json::from_str::<Stages>(&json).unwrap(), s);
        assert_eq!(s.to_string(), "delivery unknown, stall yes");
    }
}
