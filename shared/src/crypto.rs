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
//! Entries and snapshots are then signed with the project's **write key**:
//!
//! ```text
//! [format: 1 byte = 3][Ed25519 signature: 64 bytes][the sealed blob above]
//! signed message = context || document id || (covers, for a snapshot) || sealed blob
//! ```
//!
//! Every client verifies the signature with the write key's public half before opening
//! the blob, so a reader (who holds the content key) colluding with the relay cannot
//! inject changes. An unsigned entry (made before signing existed) is refused.
//!
//! ## Capabilities
//!
//! An **editor** holds the 32-byte project secret and derives everything from it: the
//! content key, the read key (whose public half is the document id) and the write key.
//! A **viewer** holds only the content key, the read key and the write key's public half
//! ([`ReadCapability`]): it can subscribe, open and verify, and cannot sign entries or
//! prove write access. [`Capability`] is either.
//!
//! ## Subscribe and authorize proofs
//!
//! The relay opens every connection with a random 32-byte challenge. To subscribe, a
//! client signs `b"samspill subscribe v1" || challenge || document id` with the read
//! key. The verifying key is the document id itself, so the relay needs no registry of
//! keys, and whoever cannot derive the key cannot read the log. To push, a client also
//! signs `b"samspill authorize v1" || challenge || document id || write public key` with
//! the write key; the relay keeps each document's write public key (registered by the
//! first authorize) and accepts pushes only from connections that proved it.

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
/// Context for the Ed25519 write key that signs entries and snapshots.
const WRITE_KEY_CONTEXT: &str = "samspill 2026-12-02 project write key v1";

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
        let read = self.read_capability();
        let write = SigningKey::from_bytes(&blake3::derive_key(WRITE_KEY_CONTEXT, &self.0));
        let mut keys = read.keys();
        keys.write = Some(write);
        keys
    }

    /// What a viewer gets: everything but the write key.
    pub fn read_capability(&self) -> ReadCapability {
        let write = SigningKey::from_bytes(&blake3::derive_key(WRITE_KEY_CONTEXT, &self.0));
        ReadCapability {
            content_key: blake3::derive_key(CONTENT_KEY_CONTEXT, &self.0),
            read_seed: blake3::derive_key(SIGNING_KEY_CONTEXT, &self.0),
            write_public: write.verifying_key(),
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

/// A viewer's capability: it may subscribe (read key), open (content key) and verify
/// (the write key's public half), and cannot write.
#[derive(Clone)]
pub struct ReadCapability {
    content_key: [u8; 32],
    read_seed: [u8; 32],
    write_public: VerifyingKey,
}

impl ReadCapability {
    /// The bytes: content key, read key seed, write public key (96 bytes).
    fn to_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(96));
        out.extend_from_slice(&self.content_key);
        out.extend_from_slice(&self.read_seed);
        out.extend_from_slice(self.write_public.as_bytes());
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (content, rest) = bytes.split_first_chunk::<32>()?;
        let (read, rest) = rest.split_first_chunk::<32>()?;
        let write: &[u8; 32] = rest.try_into().ok()?;
        Some(Self {
            content_key: *content,
            read_seed: *read,
            write_public: VerifyingKey::from_bytes(write).ok()?,
        })
    }

    /// The keys a viewer works with (no write key).
    pub fn keys(&self) -> ProjectKeys {
        let signing = SigningKey::from_bytes(&self.read_seed);
        let doc_id = DocumentId(signing.verifying_key().to_bytes());
        ProjectKeys {
            content_key: self.content_key,
            signing,
            doc_id,
            write: None,
            write_public: self.write_public,
        }
    }
}

impl Drop for ReadCapability {
    fn drop(&mut self) {
        self.content_key.zeroize();
        self.read_seed.zeroize();
    }
}

impl fmt::Debug for ReadCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReadCapability(<redacted>)")
    }
}

/// What a member may do in a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads and writes (holds the project secret).
    Editor,
    /// Reads only.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Editor => "editor",
            Self::Viewer => "viewer",
        }
    }
}

/// What this device holds for a project: the secret (editor) or a read capability.
#[derive(Clone)]
pub enum Capability {
    Editor(ProjectSecret),
    Viewer(Box<ReadCapability>),
}

/// The first byte of a viewer capability's stored form (an editor's is the bare secret).
const VIEWER_TAG: u8 = b'v';
/// Length of a viewer capability's stored form: tag and three 32-byte keys.
pub const VIEWER_CAPABILITY_LEN: usize = 1 + 96;

/// Why bytes are not a capability. Carries none of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapabilityError {
    #[error("a project key is 32 bytes (editor) or {VIEWER_CAPABILITY_LEN} bytes (viewer)")]
    Length,
    #[error("the viewer key is damaged")]
    Damaged,
}

impl Capability {
    pub fn keys(&self) -> ProjectKeys {
        match self {
            Self::Editor(secret) => secret.keys(),
            Self::Viewer(read) => read.keys(),
        }
    }

    pub fn role(&self) -> Role {
        match self {
            Self::Editor(_) => Role::Editor,
            Self::Viewer(_) => Role::Viewer,
        }
    }

    pub fn doc_id(&self) -> DocumentId {
        self.keys().doc_id
    }

    /// The capability for `role`: a viewer's from an editor's; `None` when asked for
    /// more than this holds (an editor's from a viewer's).
    pub fn for_role(&self, role: Role) -> Option<Self> {
        match (self, role) {
            (Self::Editor(_), Role::Editor) | (Self::Viewer(_), Role::Viewer) => Some(self.clone()),
            (Self::Editor(secret), Role::Viewer) => {
                Some(Self::Viewer(Box::new(secret.read_capability())))
            }
            (Self::Viewer(_), Role::Editor) => None,
        }
    }

    /// The stored form: the 32-byte secret for an editor, `'v'` and 96 bytes for a viewer.
    pub fn to_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        match self {
            Self::Editor(secret) => zeroize::Zeroizing::new(secret.as_bytes().to_vec()),
            Self::Viewer(read) => {
                let mut out = zeroize::Zeroizing::new(Vec::with_capacity(VIEWER_CAPABILITY_LEN));
                out.push(VIEWER_TAG);
                out.extend_from_slice(&read.to_bytes());
                out
            }
        }
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CapabilityError> {
        match bytes.len() {
            32 => {
                let mut secret = [0u8; 32];
                secret.copy_from_slice(bytes);
                let cap = Self::Editor(ProjectSecret::from_bytes(secret));
                secret.zeroize();
                Ok(cap)
            }
            VIEWER_CAPABILITY_LEN if bytes[0] == VIEWER_TAG => {
                ReadCapability::from_bytes(&bytes[1..])
                    .map(|read| Self::Viewer(Box::new(read)))
                    .ok_or(CapabilityError::Damaged)
            }
            VIEWER_CAPABILITY_LEN => Err(CapabilityError::Damaged),
            _ => Err(CapabilityError::Length),
        }
    }
}

impl fmt::Debug for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Capability({}, <redacted>)", self.role().as_str())
    }
}

impl From<ProjectSecret> for Capability {
    fn from(secret: ProjectSecret) -> Self {
        Self::Editor(secret)
    }
}

/// This device's own keys, made on first start: an Ed25519 key (signatures) and an
/// X25519 key (key agreement, for capabilities wrapped to this device). The public
/// halves are published in each project's `people` map beside the person.
pub struct DeviceIdentity {
    signing: SigningKey,
    kx_secret: [u8; 32],
}

/// A device's public keys, as published in a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevicePublic {
    pub sign: [u8; 32],
    pub kx: [u8; 32],
}

/// Length of a device identity's stored form: the Ed25519 seed and the X25519 secret.
pub const DEVICE_IDENTITY_LEN: usize = 64;

impl DeviceIdentity {
    /// From 64 random bytes (the caller supplies the randomness), or from the stored form.
    pub fn from_bytes(bytes: &[u8; DEVICE_IDENTITY_LEN]) -> Self {
        let mut seed = [0u8; 32];
        let mut kx_secret = [0u8; 32];
        seed.copy_from_slice(&bytes[..32]);
        kx_secret.copy_from_slice(&bytes[32..]);
        let signing = SigningKey::from_bytes(&seed);
        seed.zeroize();
        Self { signing, kx_secret }
    }

    pub fn to_bytes(&self) -> zeroize::Zeroizing<[u8; DEVICE_IDENTITY_LEN]> {
        let mut out = zeroize::Zeroizing::new([0u8; DEVICE_IDENTITY_LEN]);
        out[..32].copy_from_slice(&self.signing.to_bytes());
        out[32..].copy_from_slice(&self.kx_secret);
        out
    }

    pub fn public(&self) -> DevicePublic {
        DevicePublic {
            sign: self.signing.verifying_key().to_bytes(),
            kx: curve25519_dalek::MontgomeryPoint::mul_base_clamped(self.kx_secret).to_bytes(),
        }
    }

    /// The device's id: 16 hex digits from its signing key (stable, not secret).
    pub fn device_id(&self) -> String {
        self.public().device_id()
    }

    /// Signs `msg` with the device's Ed25519 key (a rotation names its remover so).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }

    /// The X25519 secret, for opening capabilities wrapped to this device.
    pub(crate) fn kx_secret(&self) -> &[u8; 32] {
        &self.kx_secret
    }
}

impl DevicePublic {
    /// 16 hex digits of BLAKE3 over the signing key.
    pub fn device_id(&self) -> String {
        blake3::hash(&self.sign).as_bytes()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl Drop for DeviceIdentity {
    fn drop(&mut self) {
        self.kx_secret.zeroize();
    }
}

impl fmt::Debug for DeviceIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceIdentity({}, <redacted>)", self.device_id())
    }
}

/// Keys derived from a [`Capability`].
pub struct ProjectKeys {
    /// XChaCha20-Poly1305 key for entries and snapshots.
    pub content_key: [u8; 32],
    /// The read key: signs subscribe proofs; its public key is the document id.
    pub signing: SigningKey,
    /// The id the relay knows the document by.
    pub doc_id: DocumentId,
    /// The write key: signs entries, snapshots and authorize proofs. `None` for a viewer.
    pub write: Option<SigningKey>,
    /// The write key's public half: every entry and snapshot is verified with it.
    pub write_public: VerifyingKey,
}

impl ProjectKeys {
    pub fn role(&self) -> Role {
        if self.write.is_some() {
            Role::Editor
        } else {
            Role::Viewer
        }
    }
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
/// Domain separation for the authorize proof (write access).
const AUTHORIZE_CONTEXT: &[u8] = b"samspill authorize v1";
/// Domain separation for the signature on an entry.
const ENTRY_SIGNATURE_CONTEXT: &[u8] = b"samspill signed entry v1";
/// Domain separation for the signature on a snapshot.
const SNAPSHOT_SIGNATURE_CONTEXT: &[u8] = b"samspill signed snapshot v1";
/// The first byte of a signed entry or snapshot: `[3][signature][sealed blob]`.
pub const SIGNED_FORMAT: u8 = 3;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

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
        "the snapshot was made by an older Samspill (unsigned, or not saying what it covers); it is ignored until an editor's Samspill makes a new one"
    )]
    LegacySnapshot,
    #[error(
        "the entry is not signed (an older Samspill made it before entries were signed), so it is not trusted"
    )]
    Unsigned,
    #[error(
        "the {0:?} is not signed with this project's write key: it was forged or altered (by someone who may only read, or by the relay)"
    )]
    BadSignature(BlobKind),
    #[error("this device may only read the project, so it cannot sign changes")]
    ReadOnly,
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

/// Seals and signs an entry (one or more Automerge changes) for the keys' document.
pub fn encrypt_entry(
    keys: &ProjectKeys,
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    sign_entry(keys, &encrypt(keys, BlobKind::Entry, nonce, plaintext))
}

/// Signs a sealed entry blob (format 1) with the write key: `[3][signature][blob]`. A
/// blob that is already signed comes back as it is. Used for entries sealed before
/// entries were signed, still waiting for their acknowledgement.
pub fn sign_entry(keys: &ProjectKeys, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.first() == Some(&SIGNED_FORMAT) {
        return Ok(sealed.to_vec());
    }
    let write = keys.write.as_ref().ok_or(CryptoError::ReadOnly)?;
    let sig = write.sign(&signed_message(
        ENTRY_SIGNATURE_CONTEXT,
        &keys.doc_id,
        None,
        sealed,
    ));
    Ok(signed_blob(&sig.to_bytes(), sealed))
}

/// Verifies and opens an entry. An unsigned entry, or one not signed with the project's
/// write key, is refused before decryption.
pub fn decrypt_entry(keys: &ProjectKeys, blob: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let sealed = verified(keys, ENTRY_SIGNATURE_CONTEXT, None, BlobKind::Entry, blob)?;
    decrypt(keys, BlobKind::Entry, sealed)
}

/// Seals a snapshot that covers the log up to `covers`, binding `covers` into the
/// associated data, and signs it with the write key.
pub fn encrypt_snapshot(
    keys: &ProjectKeys,
    covers: u64,
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let write = keys.write.as_ref().ok_or(CryptoError::ReadOnly)?;
    let ad = snapshot_associated_data(&keys.doc_id, covers);
    let sealed = seal(keys, SNAPSHOT_FORMAT_V2, &ad, nonce, plaintext);
    let msg = signed_message(
        SNAPSHOT_SIGNATURE_CONTEXT,
        &keys.doc_id,
        Some(covers),
        &sealed,
    );
    Ok(signed_blob(&write.sign(&msg).to_bytes(), &sealed))
}

fn signed_message(context: &[u8], doc: &DocumentId, covers: Option<u64>, sealed: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(context.len() + 32 + 8 + sealed.len());
    msg.extend_from_slice(context);
    msg.extend_from_slice(&doc.0);
    if let Some(covers) = covers {
        msg.extend_from_slice(&covers.to_le_bytes());
    }
    msg.extend_from_slice(sealed);
    msg
}

fn signed_blob(sig: &[u8; SIGNATURE_LEN], sealed: &[u8]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(1 + SIGNATURE_LEN + sealed.len());
    blob.push(SIGNED_FORMAT);
    blob.extend_from_slice(sig);
    blob.extend_from_slice(sealed);
    blob
}

/// The sealed blob inside a signed one, once its signature verifies.
fn verified<'a>(
    keys: &ProjectKeys,
    context: &[u8],
    covers: Option<u64>,
    kind: BlobKind,
    blob: &'a [u8],
) -> Result<&'a [u8], CryptoError> {
    signed_by(
        &keys.write_public,
        context,
        &keys.doc_id,
        covers,
        kind,
        blob,
    )
}

fn signed_by<'a>(
    write_public: &VerifyingKey,
    context: &[u8],
    doc: &DocumentId,
    covers: Option<u64>,
    kind: BlobKind,
    blob: &'a [u8],
) -> Result<&'a [u8], CryptoError> {
    match blob.first() {
        None => return Err(CryptoError::TooShort { len: 0 }),
        Some(&SIGNED_FORMAT) => {}
        Some(&BLOB_FORMAT_V1) if kind == BlobKind::Entry => return Err(CryptoError::Unsigned),
        Some(&(BLOB_FORMAT_V1 | SNAPSHOT_FORMAT_V2)) if kind == BlobKind::Snapshot => {
            return Err(CryptoError::LegacySnapshot);
        }
        Some(&other) => return Err(CryptoError::UnknownFormat(other)),
    }
    let Some((sig, sealed)) = blob[1..].split_first_chunk::<SIGNATURE_LEN>() else {
        return Err(CryptoError::TooShort { len: blob.len() });
    };
    let sig = ed25519_dalek::Signature::from_bytes(sig);
    write_public
        .verify_strict(&signed_message(context, doc, covers, sealed), &sig)
        .map_err(|_| CryptoError::BadSignature(kind))?;
    Ok(sealed)
}

/// What a relay checks before it stores a write: that an entry or snapshot is signed
/// with the document's write key. The signature covers only public things (the
/// document id, what a snapshot covers, the sealed bytes), so a relay can check it
/// without any secret; a session that got write access by passing on someone else's
/// proof (a relay in the middle) still cannot store anything an editor did not sign.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct WriteVerifier(VerifyingKey);

impl fmt::Debug for WriteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WriteVerifier")
    }
}

impl WriteVerifier {
    /// `None` when the bytes are not an Ed25519 public key.
    pub fn new(write_public: &[u8; 32]) -> Option<Self> {
        VerifyingKey::from_bytes(write_public).ok().map(Self)
    }

    /// Whether `blob` is an entry of `doc` signed with this key.
    pub fn entry(&self, doc: &DocumentId, blob: &[u8]) -> bool {
        signed_by(
            &self.0,
            ENTRY_SIGNATURE_CONTEXT,
            doc,
            None,
            BlobKind::Entry,
            blob,
        )
        .is_ok()
    }

    /// Whether `blob` is a snapshot of `doc` covering the log up to `covers`, signed
    /// with this key.
    pub fn snapshot(&self, doc: &DocumentId, covers: u64, blob: &[u8]) -> bool {
        signed_by(
            &self.0,
            SNAPSHOT_SIGNATURE_CONTEXT,
            doc,
            Some(covers),
            BlobKind::Snapshot,
            blob,
        )
        .is_ok()
    }
}

/// Whether a blob carries a write-key signature (format 3).
pub fn is_signed(blob: &[u8]) -> bool {
    blob.first() == Some(&SIGNED_FORMAT)
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

/// Opens a snapshot the relay says covers the log up to `covers`; fails unless it is
/// signed with the write key and was sealed for exactly that.
pub fn decrypt_snapshot(
    keys: &ProjectKeys,
    covers: u64,
    blob: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let sealed = verified(
        keys,
        SNAPSHOT_SIGNATURE_CONTEXT,
        Some(covers),
        BlobKind::Snapshot,
        blob,
    )
    .map_err(|e| match e {
        // The signature covers `covers` too: a relabelled snapshot fails here.
        CryptoError::BadSignature(_) => CryptoError::WrongCovers(covers),
        other => other,
    })?;
    open_snapshot(keys, covers, sealed)
}

fn open_snapshot(keys: &ProjectKeys, covers: u64, blob: &[u8]) -> Result<Vec<u8>, CryptoError> {
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

fn authorize_message(
    challenge: &[u8; CHALLENGE_LEN],
    doc: &DocumentId,
    write_public: &[u8; 32],
) -> Vec<u8> {
    let mut msg = Vec::with_capacity(AUTHORIZE_CONTEXT.len() + CHALLENGE_LEN + 64);
    msg.extend_from_slice(AUTHORIZE_CONTEXT);
    msg.extend_from_slice(challenge);
    msg.extend_from_slice(&doc.0);
    msg.extend_from_slice(write_public);
    msg
}

/// Proves to the relay that the client holds the document's write key: a signature by
/// it over the challenge, the document id and the write public key. `None` for a viewer.
pub fn sign_authorize(keys: &ProjectKeys, challenge: &[u8; CHALLENGE_LEN]) -> Option<Signature64> {
    let write = keys.write.as_ref()?;
    let msg = authorize_message(challenge, &keys.doc_id, keys.write_public.as_bytes());
    Some(Signature64(write.sign(&msg).to_bytes()))
}

/// Checks an authorize proof for `write_public` (the relay then compares that key with
/// the one registered for the document).
pub fn verify_authorize(
    doc: &DocumentId,
    write_public: &[u8; 32],
    challenge: &[u8; CHALLENGE_LEN],
    sig: &Signature64,
) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(write_public) else {
        return false;
    };
    let sig = ed25519_dalek::Signature::from_bytes(&sig.0);
    key.verify_strict(&authorize_message(challenge, doc, write_public), &sig)
        .is_ok()
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
        let blob = encrypt_snapshot(&keys, 7, [9; NONCE_LEN], b"state@7").unwrap();
        assert_eq!(blob[0], SIGNED_FORMAT);
        assert_eq!(blob[1 + SIGNATURE_LEN], SNAPSHOT_FORMAT_V2);
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
        // Bound but unsigned (protocol 2 and 3): legacy too.
        let unsigned = &blob[1 + SIGNATURE_LEN..];
        assert_eq!(
            decrypt_snapshot(&keys, 7, unsigned),
            Err(CryptoError::LegacySnapshot)
        );
        assert_eq!(
            decrypt_snapshot(&keys, 7, &blob[..10]),
            Err(CryptoError::TooShort { len: 10 })
        );
        // A viewer opens it, and cannot make one.
        let viewer = ProjectSecret::from_bytes([3; 32]).read_capability().keys();
        assert_eq!(decrypt_snapshot(&viewer, 7, &blob).unwrap(), b"state@7");
        assert_eq!(
            encrypt_snapshot(&viewer, 7, [9; NONCE_LEN], b"x"),
            Err(CryptoError::ReadOnly)
        );
    }

    #[test]
    fn a_relay_checks_write_signatures_with_the_public_key_alone() {
        let editor = ProjectSecret::from_bytes([4; 32]).keys();
        let other = ProjectSecret::from_bytes([5; 32]).keys();
        let check = WriteVerifier::new(editor.write_public.as_bytes()).unwrap();
        let doc = editor.doc_id;
        let entry = encrypt_entry(&editor, [1; NONCE_LEN], b"plan").unwrap();
        assert!(check.entry(&doc, &entry));
        // Another document's id, another project's key, no signature, a flipped byte.
        assert!(!check.entry(&other.doc_id, &entry));
        assert!(!check.entry(&doc, &encrypt_entry(&other, [1; NONCE_LEN], b"x").unwrap()));
        assert!(!check.entry(
            &doc,
            &encrypt(&editor, BlobKind::Entry, [1; NONCE_LEN], b"x")
        ));
        let mut flipped = entry.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(!check.entry(&doc, &flipped));
        assert!(!check.entry(&doc, &[]));
        assert!(!check.entry(&doc, &[SIGNED_FORMAT; 10]));
        // A snapshot is checked for exactly what it covers, and is not an entry.
        let snap = encrypt_snapshot(&editor, 4, [2; NONCE_LEN], b"state").unwrap();
        assert!(check.snapshot(&doc, 4, &snap));
        assert!(!check.snapshot(&doc, 5, &snap));
        assert!(!check.entry(&doc, &snap));
        assert!(!check.snapshot(&doc, 4, &entry));
    }

    #[test]
    fn entries_are_signed_and_verified_with_the_write_key() {
        let secret = ProjectSecret::from_bytes([3; 32]);
        let editor = secret.keys();
        let viewer = secret.read_capability().keys();
        assert_eq!(viewer.doc_id, editor.doc_id);
        assert_eq!(viewer.role(), Role::Viewer);
        assert_eq!(editor.role(), Role::Editor);
        let blob = encrypt_entry(&editor, [9; NONCE_LEN], b"plan").unwrap();
        assert!(is_signed(&blob));
        assert_eq!(decrypt_entry(&viewer, &blob).unwrap(), b"plan");
        assert_eq!(decrypt_entry(&editor, &blob).unwrap(), b"plan");
        // A viewer cannot sign.
        assert_eq!(
            encrypt_entry(&viewer, [9; NONCE_LEN], b"x"),
            Err(CryptoError::ReadOnly)
        );
        // A reader who seals with the content key and signs with a key of its own is
        // refused: the signature does not verify with the project's write key.
        let sealed = encrypt(&viewer, BlobKind::Entry, [1; NONCE_LEN], b"forged");
        let mut forger = secret.read_capability().keys();
        forger.write = Some(SigningKey::from_bytes(&[42; 32]));
        let forged = sign_entry(&forger, &sealed).unwrap();
        assert_eq!(
            decrypt_entry(&viewer, &forged),
            Err(CryptoError::BadSignature(BlobKind::Entry))
        );
        // Unsigned, as older versions pushed: refused.
        assert_eq!(decrypt_entry(&viewer, &sealed), Err(CryptoError::Unsigned));
        // Signing an old blob later makes it acceptable (entries waiting for their ack).
        let late = sign_entry(&editor, &sealed).unwrap();
        assert_eq!(decrypt_entry(&viewer, &late).unwrap(), b"forged");
        assert_eq!(sign_entry(&editor, &late).unwrap(), late);
        // Every flipped byte fails.
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 1;
            assert!(decrypt_entry(&viewer, &bad).is_err(), "flipped byte {i}");
        }
        assert!(decrypt_entry(&viewer, &blob[..40]).is_err());
        assert!(decrypt_entry(&viewer, &[]).is_err());
    }

    #[test]
    fn a_device_identity_round_trips_and_its_public_halves_are_stable() {
        let mut bytes = [0u8; DEVICE_IDENTITY_LEN];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = i as u8;
        }
        let id = DeviceIdentity::from_bytes(&bytes);
        assert_eq!(*id.to_bytes(), bytes);
        let public = id.public();
        assert_eq!(DeviceIdentity::from_bytes(&bytes).public(), public);
        assert_ne!(public.sign, public.kx);
        assert_eq!(id.device_id().len(), 16);
        assert_eq!(id.device_id(), public.device_id());
        // X25519 public key of the clamped secret 0..32 (RFC 7748 base point multiply).
        let expected = curve25519_dalek::MontgomeryPoint::mul_base_clamped({
            let mut k = [0u8; 32];
            k.copy_from_slice(&bytes[32..]);
            k
        });
        assert_eq!(public.kx, expected.to_bytes());
        assert!(!format!("{id:?}").contains("0102"));
    }

    #[test]
    fn capabilities_round_trip_and_downgrade() {
        let secret = ProjectSecret::from_bytes([8; 32]);
        let editor = Capability::Editor(secret.clone());
        assert_eq!(editor.to_bytes().as_slice(), secret.as_bytes());
        let viewer = editor.for_role(Role::Viewer).unwrap();
        assert_eq!(viewer.role(), Role::Viewer);
        assert!(viewer.for_role(Role::Editor).is_none());
        let bytes = viewer.to_bytes();
        assert_eq!(bytes.len(), VIEWER_CAPABILITY_LEN);
        let back = Capability::from_bytes(&bytes).unwrap();
        assert_eq!(back.role(), Role::Viewer);
        assert_eq!(back.doc_id(), editor.doc_id());
        assert_eq!(
            back.keys().write_public.as_bytes(),
            editor.keys().write_public.as_bytes()
        );
        assert_eq!(
            Capability::from_bytes(&bytes[..50]).unwrap_err(),
            CapabilityError::Length
        );
        let mut wrong_tag = bytes.to_vec();
        wrong_tag[0] = b'x';
        assert_eq!(
            Capability::from_bytes(&wrong_tag).unwrap_err(),
            CapabilityError::Damaged
        );
        assert!(!format!("{viewer:?}").contains('8'));
    }

    #[test]
    fn authorize_proof_verifies_only_for_the_write_key() {
        let secret = ProjectSecret::from_bytes([5; 32]);
        let keys = secret.keys();
        let challenge = [7; CHALLENGE_LEN];
        let sig = sign_authorize(&keys, &challenge).unwrap();
        let write = keys.write_public.to_bytes();
        assert!(verify_authorize(&keys.doc_id, &write, &challenge, &sig));
        assert!(!verify_authorize(
            &keys.doc_id,
            &write,
            &[8; CHALLENGE_LEN],
            &sig
        ));
        let other = ProjectSecret::from_bytes([6; 32]).keys();
        assert!(!verify_authorize(&other.doc_id, &write, &challenge, &sig));
        // The read key is not the write key.
        assert_ne!(write, keys.doc_id.0);
        assert!(!verify_authorize(
            &keys.doc_id,
            &keys.doc_id.0,
            &challenge,
            &sig
        ));
        assert!(!verify_authorize(
            &keys.doc_id,
            &[0xff; 32],
            &challenge,
            &sig
        ));
        assert!(sign_authorize(&secret.read_capability().keys(), &challenge).is_none());
    }

    /// Pins the write key's derivation (changing it would orphan every project's
    /// registered write key). Computed by this implementation when the key was added.
    #[test]
    fn known_answer_write_key() {
        let keys = ProjectSecret::from_bytes([1; 32]).keys();
        assert_eq!(
            hex(keys.write_public.as_bytes()),
            "d44b89963ed1170ee31a7975cbca331219ebfc50860293fd37e880b12b64e666"
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
