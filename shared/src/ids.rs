//! Typed ids for the things inside a project.
//!
//! Items in a project (people, tasks, checklist items, gatherings, agenda items,
//! between-work assignments, log entries) are keys of Automerge maps. Their ids are
//! 12 characters of lowercase base32 (60 random bits), made from randomness passed in,
//! so tests are deterministic. Phase ids come from the template (`oppstart`, `trin-1`).

use std::fmt;
use std::str::FromStr;

/// Supplies random bytes. The app uses the operating system; tests use a seeded source.
pub trait Entropy: Send {
    fn fill(&mut self, buf: &mut [u8]);
}

/// A small deterministic generator (xorshift64*) for tests and simulations.
#[derive(Debug, Clone)]
pub struct SeededEntropy(u64);

impl SeededEntropy {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl Entropy for SeededEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const ID_LEN: usize = 12;

/// Why a string is not an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}” is not a valid {1} id")]
pub struct IdError(pub String, pub &'static str);

fn random_id(entropy: &mut dyn Entropy) -> String {
    let mut bytes = [0u8; 8];
    entropy.fill(&mut bytes);
    let mut n = u64::from_le_bytes(bytes);
    let mut s = String::with_capacity(ID_LEN);
    for _ in 0..ID_LEN {
        s.push(char::from(ALPHABET[(n & 31) as usize]));
        n >>= 5;
    }
    s
}

/// Ids are short and made of `[a-z0-9-_]`, so they are safe as map keys, file names
/// and command-line arguments.
fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// A fresh random id.
            pub fn random(entropy: &mut dyn Entropy) -> Self {
                Self(random_id(entropy))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                if valid_id(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(IdError(s.chars().take(80).collect(), $what))
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

typed_id!(
    /// A person in a project's people list; also the author of changes.
    PersonId, "person");
typed_id!(
    /// A phase of a project; taken from the template (`oppstart`, `trin-1`).
    PhaseId, "phase");
typed_id!(
    /// A task within a phase.
    TaskId, "task");
typed_id!(
    /// A checklist item within a phase.
    ItemId, "checklist item");
typed_id!(
    /// A gathering (samling).
    GatheringId, "gathering");
typed_id!(
    /// An item on a gathering's agenda.
    AgendaId, "agenda item");
typed_id!(
    /// A between-work assignment (mellomarbeid).
    WorkId, "between-work");
typed_id!(
    /// An entry of the project log.
    LogId, "log entry");
typed_id!(
    /// A named checkpoint in a project's history.
    CheckpointId, "checkpoint");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_deterministic_for_a_seed_and_valid() {
        let a = TaskId::random(&mut SeededEntropy::new(9));
        let b = TaskId::random(&mut SeededEntropy::new(9));
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), ID_LEN);
        assert_eq!(a.as_str().parse::<TaskId>().unwrap(), a);
    }

    #[test]
    fn ids_with_odd_characters_are_rejected() {
        assert!("Hello World".parse::<TaskId>().is_err());
        assert!("".parse::<PhaseId>().is_err());
        assert!("trin-1".parse::<PhaseId>().is_ok());
    }
}
