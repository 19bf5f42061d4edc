//! Finding a project's members on the local network without telling anyone else.
//!
//! A device that runs `samspill sync --lan` serves a relay on the local network and
//! announces it by mDNS, once per project, as a service of type [`SERVICE_TYPE`] whose
//! TXT record holds an [`Advert`]:
//!
//! ```text
//! n = 16 random bytes (fresh each run), hex
//! r = the relay's id XOR BLAKE3-keyed(lan key, "relay" ‖ n), hex
//! t = BLAKE3-keyed(lan key, "tag" ‖ n ‖ r), first 16 bytes, hex
//! ```
//!
//! The lan key is derived from the project's read key, so every member (viewers too)
//! can recognise the project's adverts, and nobody else can tell them from random
//! bytes: not which project, not whether two adverts are for the same project, not
//! whether an advert is the same relay as yesterday's. The relay's id ([`LanRelayId`],
//! random per device, stable across runs) is what a member keys its sync state for
//! that relay by, since the address changes from one run to the next.
//!
//! An advert proves nothing beyond "someone holding the read key made this": the relay
//! behind it is trusted no more than any relay, and everything it forwards is
//! encrypted and signed as always.

use std::fmt;
use std::str::FromStr;

use crate::crypto::ProjectKeys;

/// The mDNS service type of a Samspill LAN relay.
pub const SERVICE_TYPE: &str = "_samspill._tcp.local.";

const LAN_KEY_CONTEXT: &str = "samspill 2026-12-03 lan advertisement key v1";
const LEN: usize = 16;

/// A LAN relay's id: 16 random bytes made once per device (its relay store). Shown and
/// stored as `lan:` and 32 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanRelayId(pub [u8; LEN]);

impl fmt::Display for LanRelayId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lan:{}", hex(&self.0))
    }
}

impl fmt::Debug for LanRelayId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LanRelayId({self})")
    }
}

/// Why a string is not a LAN relay id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a LAN relay id is `lan:` and 32 hex digits")]
pub struct LanRelayIdError;

impl FromStr for LanRelayId {
    type Err = LanRelayIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix("lan:").ok_or(LanRelayIdError)?;
        unhex(digits).map(Self).ok_or(LanRelayIdError)
    }
}

/// What a relay's mDNS TXT record says about one project (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advert {
    pub nonce: [u8; LEN],
    pub relay: [u8; LEN],
    pub tag: [u8; LEN],
}

impl Advert {
    /// The TXT properties (`n`, `r`, `t`).
    pub fn properties(&self) -> [(&'static str, String); 3] {
        [
            ("n", hex(&self.nonce)),
            ("r", hex(&self.relay)),
            ("t", hex(&self.tag)),
        ]
    }

    /// Reads an advert from TXT properties; `None` when one is missing or malformed
    /// (someone else's service, or a damaged record).
    pub fn from_properties<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Option<Self> {
        Some(Self {
            nonce: unhex(get("n")?)?,
            relay: unhex(get("r")?)?,
            tag: unhex(get("t")?)?,
        })
    }
}

/// A project's key for its LAN adverts, derived from its read key.
pub struct LanKey([u8; 32]);

impl fmt::Debug for LanKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LanKey(..)")
    }
}

impl Drop for LanKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl LanKey {
    pub fn new(keys: &ProjectKeys) -> Self {
        let read = zeroize::Zeroizing::new(keys.signing.to_bytes());
        Self(blake3::derive_key(LAN_KEY_CONTEXT, read.as_slice()))
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut h = blake3::Hasher::new_keyed(&self.0);
        for p in parts {
            h.update(p);
        }
        *h.finalize().as_bytes()
    }

    /// The advert for `relay`, made with a fresh random `nonce`.
    pub fn advertise(&self, relay: LanRelayId, nonce: [u8; LEN]) -> Advert {
        let pad = self.mac(&[b"relay", &nonce]);
        let mut masked = [0u8; LEN];
        for (i, m) in masked.iter_mut().enumerate() {
            *m = relay.0[i] ^ pad[i];
        }
        Advert {
            nonce,
            relay: masked,
            tag: self.tag(&nonce, &masked),
        }
    }

    fn tag(&self, nonce: &[u8; LEN], masked: &[u8; LEN]) -> [u8; LEN] {
        let full = self.mac(&[b"tag", nonce, masked]);
        let mut tag = [0u8; LEN];
        tag.copy_from_slice(&full[..LEN]);
        tag
    }

    /// The relay behind an advert for this project; `None` when the advert is not this
    /// project's (the comparison takes the same time whatever the bytes).
    pub fn recognise(&self, advert: &Advert) -> Option<LanRelayId> {
        let expected = self.tag(&advert.nonce, &advert.relay);
        let diff = expected
            .iter()
            .zip(advert.tag.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff != 0 {
            return None;
        }
        let pad = self.mac(&[b"relay", &advert.nonce]);
        let mut id = [0u8; LEN];
        for (i, b) in id.iter_mut().enumerate() {
            *b = advert.relay[i] ^ pad[i];
        }
        Some(LanRelayId(id))
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let bytes = s.as_bytes();
    if bytes.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        *o = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::crypto::ProjectSecret;

    fn keys(seed: u8) -> ProjectKeys {
        ProjectSecret::from_bytes([seed; 32]).keys()
    }

    #[test]
    fn a_member_recognises_the_advert_and_learns_the_relay() {
        let relay = LanRelayId([7; 16]);
        let advert = LanKey::new(&keys(1)).advertise(relay, [3; 16]);
        assert_eq!(LanKey::new(&keys(1)).recognise(&advert), Some(relay));
    }

    #[test]
    fn another_project_sees_nothing_it_can_use() {
        let relay = LanRelayId([7; 16]);
        let advert = LanKey::new(&keys(1)).advertise(relay, [3; 16]);
        assert_eq!(LanKey::new(&keys(2)).recognise(&advert), None);
        // The relay id does not show through, and a fresh nonce makes another advert.
        assert_ne!(advert.relay, relay.0);
        let again = LanKey::new(&keys(1)).advertise(relay, [4; 16]);
        assert_ne!(again.relay, advert.relay);
        assert_ne!(again.tag, advert.tag);
    }

    #[test]
    fn a_flipped_bit_anywhere_makes_the_advert_unrecognised() {
        let key = LanKey::new(&keys(1));
        let advert = key.advertise(LanRelayId([7; 16]), [3; 16]);
        for field in 0..3 {
            for i in 0..16 {
                let mut bad = advert.clone();
                let f = match field {
                    0 => &mut bad.nonce,
                    1 => &mut bad.relay,
                    _ => &mut bad.tag,
                };
                f[i] ^= 1;
                assert_eq!(key.recognise(&bad), None);
            }
        }
    }

    #[test]
    fn viewers_recognise_adverts_too() {
        let secret = ProjectSecret::from_bytes([1; 32]);
        let viewer = crate::crypto::Capability::Editor(secret.clone())
            .for_role(crate::crypto::Role::Viewer)
            .unwrap();
        let advert = LanKey::new(&secret.keys()).advertise(LanRelayId([9; 16]), [1; 16]);
        assert_eq!(
            LanKey::new(&viewer.keys()).recognise(&advert),
            Some(LanRelayId([9; 16]))
        );
    }

    #[test]
    fn txt_properties_round_trip_and_junk_is_refused() {
        let advert = LanKey::new(&keys(1)).advertise(LanRelayId([7; 16]), [3; 16]);
        let props = advert.properties();
        let get = |k: &str| props.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(Advert::from_properties(get), Some(advert));
        assert_eq!(Advert::from_properties(|_| Some("zz")), None);
        assert_eq!(Advert::from_properties(|_| None), None);
        let id: LanRelayId = "lan:0707070707070707070707070707070a".parse().unwrap();
        assert_eq!(id.to_string(), "lan:0707070707070707070707070707070a");
        assert!("lan:07".parse::<LanRelayId>().is_err());
        assert!("ws://x".parse::<LanRelayId>().is_err());
    }
}
