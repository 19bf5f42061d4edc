//! Epochs: how a project leaves someone behind.
//!
//! Removing a person starts a new epoch: a fresh [`ProjectSecret`] (so a new document
//! id, content key and write key), the document put on the relay under the new id, and
//! a [`Rotation`] entry in the old document that carries the new capability wrapped
//! for every remaining device with HPKE (RFC 9180: DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, ChaCha20-Poly1305), to the X25519 key each device published in
//! `people`. The relay then seals the old document. A device that finds its own wrap
//! in the rotation opens it and moves; one that finds none has been removed.
//!
//! The rotation entry is an ordinary entry of the old document (sealed with its content
//! key and signed with its write key): its plaintext is [`ROTATION_MAGIC`] followed by
//! the record as JSON, which no Automerge change starts with. Each wrap binds, as HPKE
//! associated data, the old and new document ids, the epoch and the device id, so a
//! wrap cannot be moved to another rotation or device.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable as _, Serializable as _};
use serde::{Deserialize, Serialize};

use crate::crypto::{Capability, DeviceIdentity, DevicePublic, DocumentId};
use crate::ids::Entropy;

/// How a rotation entry's plaintext starts (an Automerge chunk starts `85 6f 4a 83`).
pub const ROTATION_MAGIC: &[u8; 8] = b"SSROT01\n";

/// HPKE's `info`: which protocol and purpose these wraps are for.
const WRAP_INFO: &[u8] = b"samspill 2026-12-03 epoch capability wrap v1";

type Aead = hpke::aead::ChaCha20Poly1305;
type Kdf = hpke::kdf::HkdfSha256;
type Kem = X25519HkdfSha256;

/// The record a rotation entry carries.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// The new epoch's number (the project's first is 0).
    pub epoch: u32,
    /// The document sealed by this rotation (hex id).
    pub from: String,
    /// Its successor (hex id).
    pub to: String,
    /// The old document's heads as of the rotation (hex change hashes). The new
    /// document's first entry holds all of it (and the removal mark): a device that has
    /// them pushes only what it has beyond them.
    pub heads: Vec<String>,
    /// The person ids removed.
    pub removed: Vec<String>,
    /// Who removed them (person id).
    pub by: String,
    /// The new capability, once per remaining device.
    pub keys: Vec<WrappedCapability>,
    /// The remover's device id: its published Ed25519 key signs the record, so the
    /// remover named in `by` is the one who made it (not just any holder of the old
    /// write key).
    #[serde(default)]
    pub signer: String,
    /// Base64 Ed25519 signature over the record with this field empty.
    #[serde(default)]
    pub signature: String,
}

/// What a rotation's device signature covers, before the record.
const SIGN_CONTEXT: &[u8] = b"samspill 2026-12-03 rotation v1\n";

impl fmt::Debug for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rotation")
            .field("epoch", &self.epoch)
            .field("to", &self.to)
            .field("removed", &self.removed)
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

/// One device's copy of the new capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedCapability {
    pub person: String,
    pub device: String,
    /// The HPKE encapsulated key (32 bytes), base64.
    pub enc: String,
    /// The capability's bytes, sealed (base64).
    pub sealed: String,
}

/// Why a rotation cannot be read or followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpochError {
    #[error("the rotation record is damaged: {0}")]
    Damaged(String),
    /// No wrap for this device: it was removed (or never published an identity).
    #[error("this device is not among the rotation's remaining devices")]
    NotIncluded,
    #[error("this device's copy of the new key does not open (damaged or not for it)")]
    Unwrap,
    #[error("the new key does not belong to the rotation's new document")]
    WrongDocument,
    #[error("could not wrap the new key for device {0}: its published key is not usable")]
    BadRecipient(String),
}

impl Rotation {
    /// The plaintext of the rotation entry.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = ROTATION_MAGIC.to_vec();
        // A struct of strings and vectors always serializes.
        out.extend_from_slice(&serde_json::to_vec(self).unwrap_or_default());
        out
    }

    /// `None` when `plain` is not a rotation record (an ordinary entry).
    pub fn decode(plain: &[u8]) -> Option<Result<Self, EpochError>> {
        let body = plain.strip_prefix(ROTATION_MAGIC.as_slice())?;
        Some(
            serde_json::from_slice::<Self>(body)
                .map_err(|e| EpochError::Damaged(e.to_string()))
                .and_then(|r| {
                    r.from_doc()?;
                    r.to_doc()?;
                    Ok(r)
                }),
        )
    }

    pub fn from_doc(&self) -> Result<DocumentId, EpochError> {
        self.from
            .parse()
            .map_err(|_| EpochError::Damaged("its old document id is not 64 hex digits".into()))
    }

    pub fn to_doc(&self) -> Result<DocumentId, EpochError> {
        self.to
            .parse()
            .map_err(|_| EpochError::Damaged("its new document id is not 64 hex digits".into()))
    }

    /// Wraps `cap` (the new epoch's capability) for a device and adds it.
    pub fn wrap_for(
        &mut self,
        person: &str,
        device: &DevicePublic,
        cap: &Capability,
        rng: &mut dyn Entropy,
    ) -> Result<(), EpochError> {
        let device_id = device.device_id();
        let recipient = <Kem as hpke::Kem>::PublicKey::from_bytes(&device.kx)
            .map_err(|_| EpochError::BadRecipient(device_id.clone()))?;
        let aad = self.aad(&device_id);
        let (enc, sealed) = hpke::single_shot_seal::<Aead, Kdf, Kem, _>(
            &hpke::OpModeS::Base,
            &recipient,
            WRAP_INFO,
            &cap.to_bytes(),
            &aad,
            &mut Rng(rng),
        )
        .map_err(|_| EpochError::BadRecipient(device_id.clone()))?;
        self.keys.push(WrappedCapability {
            person: person.to_owned(),
            device: device_id,
            enc: STANDARD.encode(enc.to_bytes()),
            sealed: STANDARD.encode(sealed),
        });
        Ok(())
    }

    /// Opens this device's copy of the new capability.
    pub fn unwrap_for(&self, identity: &DeviceIdentity) -> Result<Capability, EpochError> {
        let device_id = identity.device_id();
        let wrapped = self
            .keys
            .iter()
            .find(|k| k.device == device_id)
            .ok_or(EpochError::NotIncluded)?;
        let enc = STANDARD
            .decode(&wrapped.enc)
            .map_err(|_| EpochError::Unwrap)?;
        let sealed = STANDARD
            .decode(&wrapped.sealed)
            .map_err(|_| EpochError::Unwrap)?;
        let enc =
            <Kem as hpke::Kem>::EncappedKey::from_bytes(&enc).map_err(|_| EpochError::Unwrap)?;
        let secret = <Kem as hpke::Kem>::PrivateKey::from_bytes(identity.kx_secret())
            .map_err(|_| EpochError::Unwrap)?;
        let plain = zeroize::Zeroizing::new(
            hpke::single_shot_open::<Aead, Kdf, Kem>(
                &hpke::OpModeR::Base,
                &secret,
                &enc,
                WRAP_INFO,
                &sealed,
                &self.aad(&device_id),
            )
            .map_err(|_| EpochError::Unwrap)?,
        );
        let cap = Capability::from_bytes(&plain).map_err(|_| EpochError::Unwrap)?;
        if cap.doc_id() != self.to_doc()? {
            return Err(EpochError::WrongDocument);
        }
        Ok(cap)
    }

    /// Signs the record with the remover's device key (after every wrap is added).
    pub fn sign(&mut self, identity: &DeviceIdentity) {
        self.signer = identity.device_id();
        self.signature.clear();
        let sig = identity.sign(&self.signing_bytes());
        self.signature = STANDARD.encode(sig);
    }

    /// Whether the record is signed by the device whose Ed25519 public key is `key`.
    pub fn verify(&self, key: &[u8; 32]) -> bool {
        let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(key) else {
            return false;
        };
        let Some(sig) = STANDARD
            .decode(&self.signature)
            .ok()
            .and_then(|s| <[u8; 64]>::try_from(s.as_slice()).ok())
        else {
            return false;
        };
        key.verify_strict(
            &self.signing_bytes(),
            &ed25519_dalek::Signature::from_bytes(&sig),
        )
        .is_ok()
    }

    fn signing_bytes(&self) -> Vec<u8> {
        let mut unsigned = self.clone();
        unsigned.signature.clear();
        let mut out = SIGN_CONTEXT.to_vec();
        out.extend_from_slice(&serde_json::to_vec(&unsigned).unwrap_or_default());
        out
    }

    /// Whether the device has a wrap here.
    pub fn includes(&self, device_id: &str) -> bool {
        self.keys.iter().any(|k| k.device == device_id)
    }

    fn aad(&self, device_id: &str) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64 + 4 + 64 + device_id.len());
        aad.extend_from_slice(self.from.as_bytes());
        aad.extend_from_slice(self.to.as_bytes());
        aad.extend_from_slice(&self.epoch.to_le_bytes());
        aad.extend_from_slice(device_id.as_bytes());
        aad
    }
}

/// Our [`Entropy`] as the RNG HPKE wants (the caller's randomness, so tests are
/// deterministic and the app uses the OS).
struct Rng<'a>(&'a mut dyn Entropy);

impl rand_core_09::RngCore for Rng<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.0.fill(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.0.fill(dst);
    }
}

impl rand_core_09::CryptoRng for Rng<'_> {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::crypto::ProjectSecret;
    use crate::ids::SeededEntropy;

    fn device(n: u8) -> DeviceIdentity {
        DeviceIdentity::from_bytes(&[n; 64])
    }

    fn rotation(to: &Capability) -> Rotation {
        Rotation {
            epoch: 1,
            from: ProjectSecret::from_bytes([1; 32]).keys().doc_id.to_string(),
            to: to.doc_id().to_string(),
            heads: vec![],
            removed: vec!["carol".into()],
            by: "alice".into(),
            keys: vec![],
            signer: String::new(),
            signature: String::new(),
        }
    }

    #[test]
    fn a_rotation_is_signed_by_its_removers_device_and_a_change_breaks_it() {
        let new: Capability = ProjectSecret::from_bytes([2; 32]).into();
        let mut rot = rotation(&new);
        let (alice, carol) = (device(10), device(12));
        rot.wrap_for("alice", &alice.public(), &new, &mut SeededEntropy::new(1))
            .unwrap();
        rot.sign(&alice);
        let decoded = Rotation::decode(&rot.encode()).unwrap().unwrap();
        assert!(decoded.verify(&alice.public().sign));
        assert!(!decoded.verify(&carol.public().sign));
        let mut changed = decoded.clone();
        changed.removed = vec!["alice".into()];
        assert!(!changed.verify(&alice.public().sign));
    }

    #[test]
    fn a_remaining_device_opens_its_copy_and_a_removed_one_finds_none() {
        let new: Capability = ProjectSecret::from_bytes([2; 32]).into();
        let mut rot = rotation(&new);
        let mut rng = SeededEntropy::new(7);
        let (alice, bob, carol) = (device(10), device(11), device(12));
        rot.wrap_for("alice", &alice.public(), &new, &mut rng)
            .unwrap();
        rot.wrap_for("bob", &bob.public(), &new, &mut rng).unwrap();
        let decoded = Rotation::decode(&rot.encode()).unwrap().unwrap();
        assert_eq!(decoded, rot);
        for d in [&alice, &bob] {
            let cap = decoded.unwrap_for(d).unwrap();
            assert_eq!(cap.doc_id(), new.doc_id());
            assert_eq!(cap.role(), crate::crypto::Role::Editor);
        }
        assert_eq!(
            decoded.unwrap_for(&carol).err(),
            Some(EpochError::NotIncluded)
        );
    }

    #[test]
    fn a_wrap_moved_to_another_device_or_rotation_does_not_open() {
        let new: Capability = ProjectSecret::from_bytes([2; 32]).into();
        let mut rot = rotation(&new);
        let mut rng = SeededEntropy::new(7);
        let (alice, carol) = (device(10), device(12));
        rot.wrap_for("alice", &alice.public(), &new, &mut rng)
            .unwrap();
        // Carol relabels Alice's wrap as hers: it is bound to Alice's device id and key.
        let mut stolen = rot.clone();
        stolen.keys[0].device = carol.device_id();
        assert_eq!(stolen.unwrap_for(&carol).err(), Some(EpochError::Unwrap));
        // The same wrap in a rotation of another epoch.
        let mut replayed = rot.clone();
        replayed.epoch = 2;
        assert_eq!(replayed.unwrap_for(&alice).err(), Some(EpochError::Unwrap));
        // A flipped byte.
        let mut flipped = rot.clone();
        let mut sealed = STANDARD.decode(&flipped.keys[0].sealed).unwrap();
        sealed[3] ^= 1;
        flipped.keys[0].sealed = STANDARD.encode(sealed);
        assert_eq!(flipped.unwrap_for(&alice).err(), Some(EpochError::Unwrap));
    }

    #[test]
    fn a_new_key_for_another_document_is_refused() {
        let new: Capability = ProjectSecret::from_bytes([2; 32]).into();
        let other: Capability = ProjectSecret::from_bytes([3; 32]).into();
        let mut rot = rotation(&new);
        let alice = device(10);
        rot.wrap_for("alice", &alice.public(), &other, &mut SeededEntropy::new(1))
            .unwrap();
        assert_eq!(
            rot.unwrap_for(&alice).err(),
            Some(EpochError::WrongDocument)
        );
    }

    #[test]
    fn ordinary_entries_and_damaged_records_are_told_apart() {
        assert!(Rotation::decode(&automerge::AutoCommit::new().save()).is_none());
        let mut bad = ROTATION_MAGIC.to_vec();
        bad.extend_from_slice(b"{not json");
        assert!(matches!(
            Rotation::decode(&bad),
            Some(Err(EpochError::Damaged(_)))
        ));
    }

    #[test]
    fn device_keys_agree_with_hpke_x25519() {
        // Our published X25519 public key is the one HPKE derives from the same secret.
        let d = device(10);
        let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(d.kx_secret()).unwrap();
        let pk = <Kem as hpke::Kem>::sk_to_pk(&sk);
        assert_eq!(pk.to_bytes().as_slice(), d.public().kx.as_slice());
    }
}
