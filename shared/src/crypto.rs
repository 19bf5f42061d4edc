//! Keys derived from a project's secret.
//!
//! Creating a project makes a 32-byte random secret. Everything else is derived from it
//! with BLAKE3's key derivation mode and fixed, versioned context strings. Changing a
//! context string changes every key and document id, so the known-answer tests below
//! pin them.
//!
//! ## Blobs
//!
//! Everything the relay stores or forwards is a blob sealed with XChaCha20-Poly1305
//! under the project's content key:
//!
//! ```text
//! [format version: 1 byte = 1][nonce: 24 bytes][ciphertext + 16-byte tag]
//! associated data = format version || kind byte || document id (32 bytes)
//! ```
//!
//! The kind byte ([`BlobKind`]) and the document id in the associated data mean a blob
//! cannot be replayed as another kind (an entry as a snapshot) or into another document.
//! The nonce is supplied by the caller: this crate does no I/O, so it takes 24 random
//! bytes instead of asking the operating system for them.
//!
//! ## Subscribe proof
//!
//! The relay opens every connection with a random 32-byte challenge. To subscribe, a
//! client signs `b"samspill subscribe v1" || challenge || document id` with the project's
//! Ed25519 key. The verifying key is the document id itself, so the relay needs no
//! registry of keys, and whoever cannot derive the key cannot read the log.

use std::fmt;
use std::str::FromStr;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use zeroize::Zeroize;

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

/// Wiped from memory when dropped (the key should not linger in freed memory).
impl Drop for ProjectSecret {
    fn drop(&mut self) {
        self.0.zeroize();
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

/// The content key is wiped when dropped; the signing key wipes itself.
impl Drop for ProjectKeys {
    fn drop(&mut self) {
        self.content_key.zeroize();
    }
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
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
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

/// What a blob holds. Bound into the associated data, so one kind cannot pass as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum BlobKind {
    /// One or more Automerge changes, appended to the document's log.
    Entry = 1,
    /// A `save()` of the whole document, covering the log up to a sequence number.
    Snapshot = 2,
    /// Presence and other frames that are forwarded and never stored.
    Ephemeral = 3,
}

/// The first byte of entry and ephemeral blobs (and of snapshots made before the
/// snapshot format bound what they cover).
pub const BLOB_FORMAT_V1: u8 = 1;
/// The first byte of snapshot blobs: their associated data also holds the sequence
/// number they cover, so a relay cannot relabel a snapshot as covering more than it
/// does (which would make clients skip the entries in between).
pub const SNAPSHOT_FORMAT_V2: u8 = 2;
/// Length of the XChaCha20 nonce carried in every blob.
pub const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag.
pub const TAG_LEN: usize = 16;
/// Bytes a blob adds to its plaintext: version byte, nonce and tag.
pub const BLOB_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;
/// Length of the challenge the relay sends in its hello.
pub const CHALLENGE_LEN: usize = 32;
/// Domain separation for the subscribe proof.
const SUBSCRIBE_CONTEXT: &[u8] = b"samspill subscribe v1";

/// Why a blob could not be opened. Never carries key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the blob is {len} bytes, shorter than the {BLOB_OVERHEAD} bytes of header and tag")]
    TooShort { len: usize },
    #[error(
        "the blob has format version {0}, and this version of Samspill reads only version {BLOB_FORMAT_V1}; update Samspill"
    )]
    UnknownFormat(u8),
    #[error(
        "the blob does not open with this project's key: it was altered, belongs to another project, or is not a {0:?}"
    )]
    Rejected(BlobKind),
    #[error(
        "the snapshot was made by an older Samspill and does not say what it covers; it is ignored until a member's Samspill makes a new one"
    )]
    LegacySnapshot,
    #[error(
        "the snapshot does not open as covering entry {0}: the relay relabelled it, or it was altered"
    )]
    WrongCovers(u64),
}

fn associated_data(kind: BlobKind, doc: &DocumentId) -> [u8; 34] {
    let mut ad = [0u8; 34];
    ad[0] = BLOB_FORMAT_V1;
    ad[1] = kind as u8;
    ad[2..].copy_from_slice(&doc.0);
    ad
}

/// Seals `plaintext` as a blob of `kind` for the keys' document.
///
/// `nonce` must be fresh random bytes for every call (24 bytes are enough that random
/// nonces never collide in practice). Snapshots go through [`encrypt_snapshot`].
pub fn encrypt(
    keys: &ProjectKeys,
    kind: BlobKind,
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    let ad = associated_data(kind, &keys.doc_id);
    seal(keys, BLOB_FORMAT_V1, &ad, nonce, plaintext)
}

/// Seals a snapshot that covers the log up to `covers`, binding `covers` into the
/// associated data.
pub fn encrypt_snapshot(
    keys: &ProjectKeys,
    covers: u64,
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    let ad = snapshot_associated_data(&keys.doc_id, covers);
    seal(keys, SNAPSHOT_FORMAT_V2, &ad, nonce, plaintext)
}

fn snapshot_associated_data(doc: &DocumentId, covers: u64) -> [u8; 42] {
    let mut ad = [0u8; 42];
    ad[0] = SNAPSHOT_FORMAT_V2;
    ad[1] = BlobKind::Snapshot as u8;
    ad[2..34].copy_from_slice(&doc.0);
    ad[34..].copy_from_slice(&covers.to_le_bytes());
    ad
}

fn seal(
    keys: &ProjectKeys,
    format: u8,
    ad: &[u8],
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new((&keys.content_key).into());
    let sealed = cipher.encrypt(
        XNonce::from_slice(&nonce),
        Payload {
            msg: plaintext,
            aad: ad,
        },
    );
    // Encryption with XChaCha20-Poly1305 fails only for plaintexts beyond 256 GiB,
    // which no frame can carry; treat that as a programming error rather than thread a
    // Result through every caller.
    let Ok(sealed) = sealed else {
        unreachable!("XChaCha20-Poly1305 refuses only plaintexts over 256 GiB");
    };
    let mut blob = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    blob.push(format);
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&sealed);
    blob
}

fn open(keys: &ProjectKeys, ad: &[u8], blob: &[u8]) -> Option<Vec<u8>> {
    let (nonce, sealed) = blob.get(1..)?.split_at_checked(NONCE_LEN)?;
    let cipher = XChaCha20Poly1305::new((&keys.content_key).into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: ad,
            },
        )
        .ok()
}

/// Opens a blob of `kind` for the keys' document.
pub fn decrypt(keys: &ProjectKeys, kind: BlobKind, blob: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if blob.len() < BLOB_OVERHEAD {
        return Err(CryptoError::TooShort { len: blob.len() });
    }
    if blob[0] != BLOB_FORMAT_V1 {
        return Err(CryptoError::UnknownFormat(blob[0]));
    }
    open(keys, &associated_data(kind, &keys.doc_id), blob).ok_or(CryptoError::Rejected(kind))
}

/// Opens a snapshot the relay says covers the log up to `covers`; fails unless it was
/// sealed for exactly that.
pub fn decrypt_snapshot(
    keys: &ProjectKeys,
    covers: u64,
    blob: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    if blob.len() < BLOB_OVERHEAD {
        return Err(CryptoError::TooShort { len: blob.len() });
    }
    match blob[0] {
        SNAPSHOT_FORMAT_V2 => {}
        BLOB_FORMAT_V1 => return Err(CryptoError::LegacySnapshot),
        other => return Err(CryptoError::UnknownFormat(other)),
    }
    open(keys, &snapshot_associated_data(&keys.doc_id, covers), blob)
        .ok_or(CryptoError::WrongCovers(covers))
}

/// An Ed25519 signature, as carried in a subscribe frame.
#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signature64(#[serde(with = "serde_bytes")] pub [u8; 64]);

impl fmt::Debug for Signature64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature64(")?;
        for b in &self.0[..4] {
            write!(f, "{b:02x}")?;
        }
        f.write_str("…)")
    }
}

fn subscribe_message(challenge: &[u8; CHALLENGE_LEN], doc: &DocumentId) -> Vec<u8> {
    let mut msg = Vec::with_capacity(SUBSCRIBE_CONTEXT.len() + CHALLENGE_LEN + 32);
    msg.extend_from_slice(SUBSCRIBE_CONTEXT);
    msg.extend_from_slice(challenge);
    msg.extend_from_slice(&doc.0);
    msg
}

/// Proves to the relay that the client holds the keys' document: a signature over the
/// relay's challenge and the document id.
pub fn sign_subscribe(keys: &ProjectKeys, challenge: &[u8; CHALLENGE_LEN]) -> Signature64 {
    let sig = keys
        .signing
        .sign(&subscribe_message(challenge, &keys.doc_id));
    Signature64(sig.to_bytes())
}

/// Checks a subscribe proof. The document id is the verifying key, so an id that is not
/// a valid Ed25519 point never verifies.
pub fn verify_subscribe(
    doc: &DocumentId,
    challenge: &[u8; CHALLENGE_LEN],
    sig: &Signature64,
) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(&doc.0) else {
        return false;
    };
    let sig = ed25519_dalek::Signature::from_bytes(&sig.0);
    key.verify_strict(&subscribe_message(challenge, doc), &sig)
        .is_ok()
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

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Pins the derivation: changing a context string or the KDF changes every
    /// document id, which would orphan every project on every relay. The expected values
    /// were computed independently with Python's `blake3` and `PyNaCl`.
    #[test]
    fn known_answer_document_id_and_content_key() {
        let keys = ProjectSecret::from_bytes([1; 32]).keys();
        assert_eq!(
            keys.doc_id.to_string(),
            "6471ac438794a89944c871a2d20251377554ebd6c12219cb8736acef8d1e4d60"
        );
        assert_eq!(
            hex(&keys.content_key),
            "c03de95611461e00cce05b9e67ecede0af48427fc9b43845c6489dbe864c1ade"
        );
    }

    #[test]
    fn known_answer_blob_layout() {
        let keys = ProjectSecret::from_bytes([1; 32]).keys();
        let blob = encrypt(&keys, BlobKind::Entry, [2; NONCE_LEN], b"hei");
        assert_eq!(blob.len(), 3 + BLOB_OVERHEAD);
        assert_eq!(blob[0], BLOB_FORMAT_V1);
        assert_eq!(&blob[1..25], &[2; NONCE_LEN]);
        assert_eq!(hex(&blob[25..]), "8de7678de8cba6efb07954319feef3bc027544");
    }

    #[test]
    fn a_snapshot_opens_only_as_covering_what_it_was_sealed_for() {
        let keys = ProjectSecret::from_bytes([3; 32]).keys();
        let blob = encrypt_snapshot(&keys, 7, [9; NONCE_LEN], b"state@7");
        assert_eq!(blob[0], SNAPSHOT_FORMAT_V2);
        assert_eq!(decrypt_snapshot(&keys, 7, &blob).unwrap(), b"state@7");
        // Relabelled by the relay as covering more (or less): refused.
        for covers in [8, 6, u64::MAX, 0] {
            assert_eq!(
                decrypt_snapshot(&keys, covers, &blob),
                Err(CryptoError::WrongCovers(covers))
            );
        }
        // Not an entry either, and an old-format snapshot is named as such.
        assert!(decrypt(&keys, BlobKind::Snapshot, &blob).is_err());
        let old = encrypt(&keys, BlobKind::Snapshot, [9; NONCE_LEN], b"state@7");
        assert_eq!(
            decrypt_snapshot(&keys, 7, &old),
            Err(CryptoError::LegacySnapshot)
        );
        assert_eq!(
            decrypt_snapshot(&keys, 7, &blob[..10]),
            Err(CryptoError::TooShort { len: 10 })
        );
    }

    #[test]
    fn blob_round_trips() {
        let keys = ProjectSecret::from_bytes([3; 32]).keys();
        for kind in [BlobKind::Entry, BlobKind::Snapshot, BlobKind::Ephemeral] {
            let blob = encrypt(&keys, kind, [9; NONCE_LEN], b"Oppstartsm\xc3\xb8te");
            assert_eq!(
                decrypt(&keys, kind, &blob).unwrap(),
                b"Oppstartsm\xc3\xb8te"
            );
        }
        let empty = encrypt(&keys, BlobKind::Entry, [0; NONCE_LEN], b"");
        assert_eq!(decrypt(&keys, BlobKind::Entry, &empty).unwrap(), b"");
    }

    #[test]
    fn tampered_blob_is_rejected_at_every_byte() {
        let keys = ProjectSecret::from_bytes([3; 32]).keys();
        let blob = encrypt(&keys, BlobKind::Entry, [9; NONCE_LEN], b"plan");
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x01;
            assert!(
                decrypt(&keys, BlobKind::Entry, &bad).is_err(),
                "flipped byte {i}"
            );
        }
        assert_eq!(
            decrypt(&keys, BlobKind::Entry, &blob[..10]),
            Err(CryptoError::TooShort { len: 10 })
        );
        let mut future = blob.clone();
        future[0] = 2;
        assert_eq!(
            decrypt(&keys, BlobKind::Entry, &future),
            Err(CryptoError::UnknownFormat(2))
        );
    }

    #[test]
    fn blob_cannot_pass_as_another_kind_or_document() {
        let alice = ProjectSecret::from_bytes([3; 32]).keys();
        let other = ProjectSecret::from_bytes([4; 32]).keys();
        let blob = encrypt(&alice, BlobKind::Entry, [9; NONCE_LEN], b"plan");
        assert_eq!(
            decrypt(&alice, BlobKind::Snapshot, &blob),
            Err(CryptoError::Rejected(BlobKind::Snapshot))
        );
        assert!(decrypt(&alice, BlobKind::Ephemeral, &blob).is_err());
        assert!(decrypt(&other, BlobKind::Entry, &blob).is_err());
        // Same content key, other document id: still rejected, because the id is bound.
        let mut mixed = ProjectSecret::from_bytes([3; 32]).keys();
        mixed.doc_id = other.doc_id;
        assert!(decrypt(&mixed, BlobKind::Entry, &blob).is_err());
    }

    #[test]
    fn subscribe_proof_verifies_only_for_its_challenge_and_document() {
        let keys = ProjectSecret::from_bytes([5; 32]).keys();
        let other = ProjectSecret::from_bytes([6; 32]).keys();
        let challenge = [7; CHALLENGE_LEN];
        let sig = sign_subscribe(&keys, &challenge);
        assert!(verify_subscribe(&keys.doc_id, &challenge, &sig));
        assert!(!verify_subscribe(&keys.doc_id, &[8; CHALLENGE_LEN], &sig));
        assert!(!verify_subscribe(&other.doc_id, &challenge, &sig));
        let mut bad = sig;
        bad.0[0] ^= 1;
        assert!(!verify_subscribe(&keys.doc_id, &challenge, &bad));
        // An id that is not a curve point never verifies (and does not panic).
        assert!(!verify_subscribe(&DocumentId([0xff; 32]), &challenge, &sig));
    }

    #[test]
    fn known_answer_subscribe_proof() {
        // Ed25519 signatures are deterministic, so the proof is pinned too.
        let keys = ProjectSecret::from_bytes([1; 32]).keys();
        let sig = sign_subscribe(&keys, &[0; CHALLENGE_LEN]);
        assert_eq!(
            hex(&sig.0),
            "f0767ecad6e2b90fcc0c56255a627c588c6e483694246d7dc70a3ebc3511fe1cdd2a321d0669f3597350b300fbae9f6ebebb5d615f00ac274c1e73a7f6259109"
        );
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = format!("{:?}", ProjectSecret::from_bytes([42; 32]));
        assert!(!s.contains("42"));
    }
}
