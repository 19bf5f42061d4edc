//! The invite link and the relay URL.
//!
//! ```text
//! samspill://HOST[:PORT]/join#SECRET      relay at wss://HOST[:PORT] (TLS)
//! samspill+ws://HOST[:PORT]/join#SECRET   relay at ws://HOST[:PORT] (plain, for local relays)
//! samspill+lan:///join#SECRET             no relay: found on the local network (`sync --lan`)
//! ```
//!
//! `SECRET` is the capability in base64url without padding: an editor's link carries the
//! project's 32-byte secret (43 characters), a viewer's the content key, the read key and
//! the write key's public half (a `v` and 96 bytes: 130 characters). It sits in the
//! fragment, which browsers and proxies never send to a server. Whoever holds an
//! editor's link can read and write the project, a viewer's can read it, so:
//!
//! - [`Invite`]'s `Display` prints the whole link (that is what it is for: showing it to
//!   the user to pass on), but its `Debug` is redacted;
//! - no [`LinkError`] ever contains any part of the input, so a mistyped link can be
//!   logged or shown without leaking the secret.
//!
//! Hosts are lowercased; a host is a DNS name, an IPv4 address or a bracketed IPv6
//! address. No path, query or user info is allowed on a relay URL: the relay serves its
//! sync endpoint at [`SYNC_PATH`].

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::crypto::{Capability, Role};

/// The path of the relay's websocket endpoint.
pub const SYNC_PATH: &str = "/v1/sync";

const TLS_LINK_SCHEME: &str = "samspill";
const PLAIN_LINK_SCHEME: &str = "samspill+ws";
const LAN_LINK_SCHEME: &str = "samspill+lan";
const JOIN_PATH: &str = "/join";

/// Why a string is not an invite link or relay URL. Never contains the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is empty")]
    Empty,
    #[error(
        "not a Samspill invite link: it should start with samspill://, samspill+ws:// or samspill+lan://"
    )]
    NotAnInvite,
    #[error("not a relay URL: it should start with ws:// or wss://")]
    NotARelayUrl,
    #[error("the link names no relay host")]
    MissingHost,
    #[error("the relay host is not a valid host name or IP address")]
    BadHost,
    #[error("the relay port is not a number from 1 to 65535")]
    BadPort,
    #[error("a relay URL has no path, query or user name: use ws://HOST:PORT or wss://HOST[:PORT]")]
    UnexpectedPath,
    #[error("a link for the local network names no host: it reads samspill+lan:///join#…")]
    UnexpectedHost,
    #[error("an invite link's path is /join")]
    BadInvitePath,
    #[error("the invite link has no secret after '#'; copy the whole link")]
    MissingSecret,
    #[error(
        "the secret in the invite link is damaged (expected 43 or 130 base64url characters); copy the whole link again"
    )]
    BadSecret,
}

/// A relay's base URL: `ws://HOST[:PORT]` or `wss://HOST[:PORT]`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RelayUrl {
    tls: bool,
    host: String,
    port: Option<u16>,
}

impl RelayUrl {
    /// Whether the relay is reached over TLS (`wss://`).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The host, lowercased; IPv6 addresses keep their brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port as written, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port to connect to: the written one, or 443 for `wss` and 80 for `ws`.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(if self.tls { 443 } else { 80 })
    }

    /// The websocket URL of the sync endpoint, e.g. `wss://relay.example.org/v1/sync`.
    pub fn sync_url(&self) -> String {
        format!("{self}{SYNC_PATH}")
    }

    fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }
}

impl fmt::Display for RelayUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "wss" } else { "ws" };
        write!(f, "{scheme}://{}", self.authority())
    }
}

impl fmt::Debug for RelayUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RelayUrl({self})")
    }
}

impl FromStr for RelayUrl {
    type Err = LinkError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(LinkError::Empty);
        }
        let (scheme, rest) = s.split_once("://").ok_or(LinkError::NotARelayUrl)?;
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "wss" => true,
            "ws" => false,
            _ => return Err(LinkError::NotARelayUrl),
        };
        // A single trailing slash is what people paste; anything more is a path.
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = parse_authority(authority)?;
        Ok(Self { tls, host, port })
    }
}

impl TryFrom<String> for RelayUrl {
    type Error = LinkError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<RelayUrl> for String {
    fn from(url: RelayUrl) -> Self {
        url.to_string()
    }
}

/// Splits `HOST[:PORT]`, checking both.
fn parse_authority(authority: &str) -> Result<(String, Option<u16>), LinkError> {
    if authority.is_empty() {
        return Err(LinkError::MissingHost);
    }
    if authority.contains(['/', '?', '#', '@']) {
        return Err(LinkError::UnexpectedPath);
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or(LinkError::BadHost)?;
        if inside.is_empty()
            || !inside
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(LinkError::BadHost);
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(LinkError::BadPort)?),
        };
        (format!("[{}]", inside.to_ascii_lowercase()), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err(LinkError::MissingHost);
        }
        let valid = host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        if !valid {
            return Err(LinkError::BadHost);
        }
        (host.to_ascii_lowercase(), port)
    };
    let port = match port {
        None => None,
        Some(p) => {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(LinkError::BadPort);
            }
            match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(LinkError::BadPort),
                Ok(n) => Some(n),
            }
        }
    };
    Ok((host, port))
}

/// An invitation to a project: where its relay is, and the capability that opens it.
#[derive(Clone)]
pub struct Invite {
    /// `None` for a link for the local network: the project is found by mDNS.
    pub relay: Option<RelayUrl>,
    pub capability: Capability,
}

impl PartialEq for Invite {
    fn eq(&self, other: &Self) -> bool {
        self.relay == other.relay && *self.capability.to_bytes() == *other.capability.to_bytes()
    }
}

impl Eq for Invite {}

impl Invite {
    pub fn new(relay: RelayUrl, capability: impl Into<Capability>) -> Self {
        Self {
            relay: Some(relay),
            capability: capability.into(),
        }
    }

    /// A link that names no relay: whoever holds it finds the project on the local
    /// network, where a member runs `samspill sync --lan`.
    pub fn lan(capability: impl Into<Capability>) -> Self {
        Self {
            relay: None,
            capability: capability.into(),
        }
    }

    /// What the link lets its holder do.
    pub fn role(&self) -> Role {
        self.capability.role()
    }

    /// Whether `text` starts like an invite link (`samspill://`, `samspill+ws://` or
    /// `samspill+lan://`), whatever follows.
    pub fn has_link_scheme(text: &str) -> bool {
        let text = text.trim_start().to_ascii_lowercase();
        [TLS_LINK_SCHEME, PLAIN_LINK_SCHEME, LAN_LINK_SCHEME]
            .iter()
            .any(|scheme| text.starts_with(&format!("{scheme}://")))
    }

    /// Parses `samspill://HOST[:PORT]/join#SECRET` or `samspill+ws://…`. Surrounding
    /// whitespace (as pasted from a chat message) is ignored.
    pub fn parse(link: &str) -> Result<Self, LinkError> {
        let link = link.trim();
        if link.is_empty() {
            return Err(LinkError::Empty);
        }
        let (scheme, rest) = link.split_once("://").ok_or(LinkError::NotAnInvite)?;
        let tls = match scheme.to_ascii_lowercase().as_str() {
            TLS_LINK_SCHEME => Some(true),
            PLAIN_LINK_SCHEME => Some(false),
            LAN_LINK_SCHEME => None,
            _ => return Err(LinkError::NotAnInvite),
        };
        let (before_fragment, fragment) = match rest.split_once('#') {
            Some((before, fragment)) => (before, Some(fragment)),
            None => (rest, None),
        };
        let (authority, path) = match before_fragment.find('/') {
            Some(i) => before_fragment.split_at(i),
            None => (before_fragment, ""),
        };
        let relay = match tls {
            Some(tls) => {
                let (host, port) = parse_authority(authority)?;
                Some(RelayUrl { tls, host, port })
            }
            None if authority.is_empty() => None,
            // A link for the local network names no host.
            None => return Err(LinkError::UnexpectedHost),
        };
        if path != JOIN_PATH {
            return Err(LinkError::BadInvitePath);
        }
        let capability = match fragment {
            None | Some("") => return Err(LinkError::MissingSecret),
            Some(s) => decode_capability(s)?,
        };
        Ok(Self { relay, capability })
    }
}

fn decode_capability(s: &str) -> Result<Capability, LinkError> {
    if s.len() != 43 && s.len() != 130 {
        return Err(LinkError::BadSecret);
    }
    let bytes = zeroize::Zeroizing::new(
        URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| LinkError::BadSecret)?,
    );
    Capability::from_bytes(&bytes).map_err(|_| LinkError::BadSecret)
}

impl FromStr for Invite {
    type Err = LinkError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Prints the whole link, secret included: this is the form meant to be shown and shared.
impl fmt::Display for Invite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (scheme, authority) = match &self.relay {
            Some(r) if r.tls => (TLS_LINK_SCHEME, r.authority()),
            Some(r) => (PLAIN_LINK_SCHEME, r.authority()),
            None => (LAN_LINK_SCHEME, String::new()),
        };
        write!(
            f,
            "{scheme}://{authority}{JOIN_PATH}#{}",
            zeroize::Zeroizing::new(URL_SAFE_NO_PAD.encode(self.capability.to_bytes())).as_str()
        )
    }
}

impl fmt::Debug for Invite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invite")
            .field("relay", &self.relay)
            .field("role", &self.capability.role())
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::ProjectSecret;

    fn secret() -> ProjectSecret {
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = i as u8;
        }
        ProjectSecret::from_bytes(bytes)
    }

    const SECRET_B64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

    #[test]
    fn known_answer_tls_link() {
        let relay: RelayUrl = "wss://Relay.Example.org".parse().unwrap();
        let invite = Invite::new(relay, secret());
        assert_eq!(
            invite.to_string(),
            format!("samspill://relay.example.org/join#{SECRET_B64}")
        );
        assert_eq!(
            invite.relay.as_ref().unwrap().sync_url(),
            "wss://relay.example.org/v1/sync"
        );
        assert_eq!(invite.relay.as_ref().unwrap().port_or_default(), 443);
    }

    #[test]
    fn known_answer_plain_link_with_port() {
        let relay: RelayUrl = "ws://127.0.0.1:8787".parse().unwrap();
        let invite = Invite::new(relay, secret());
        assert_eq!(
            invite.to_string(),
            format!("samspill+ws://127.0.0.1:8787/join#{SECRET_B64}")
        );
        assert_eq!(
            invite.relay.as_ref().unwrap().sync_url(),
            "ws://127.0.0.1:8787/v1/sync"
        );
    }

    #[test]
    fn link_round_trips() {
        for link in [
            format!("samspill://relay.example.org/join#{SECRET_B64}"),
            format!("samspill://relay.example.org:8443/join#{SECRET_B64}"),
            format!("samspill+ws://localhost:8787/join#{SECRET_B64}"),
            format!("samspill+ws://[::1]:8787/join#{SECRET_B64}"),
        ] {
            let invite = Invite::parse(&link).unwrap();
            assert_eq!(*invite.capability.to_bytes(), *secret().as_bytes());
            assert_eq!(invite.to_string(), link);
        }
        let pasted = format!("  samspill://relay.example.org/join#{SECRET_B64}\n");
        assert_eq!(
            Invite::parse(&pasted).unwrap().relay.unwrap().host(),
            "relay.example.org"
        );
    }

    #[test]
    fn a_link_for_the_local_network_names_no_relay() {
        let invite = Invite::lan(secret());
        let link = invite.to_string();
        assert_eq!(link, format!("samspill+lan:///join#{SECRET_B64}"));
        let back = Invite::parse(&link).unwrap();
        assert_eq!(back, invite);
        assert!(back.relay.is_none());
        assert!(Invite::has_link_scheme(&link));
        assert_eq!(
            Invite::parse(&format!("samspill+lan://host/join#{SECRET_B64}")),
            Err(LinkError::UnexpectedHost)
        );
        assert_eq!(
            Invite::parse("samspill+lan:///join"),
            Err(LinkError::MissingSecret)
        );
    }

    #[test]
    fn plain_link_points_at_plain_relay() {
        let invite =
            Invite::parse(&format!("samspill+ws://localhost:8787/join#{SECRET_B64}")).unwrap();
        assert!(!invite.relay.as_ref().unwrap().is_tls());
        assert_eq!(
            invite.relay.as_ref().unwrap().to_string(),
            "ws://localhost:8787"
        );
    }

    #[test]
    fn bad_links_get_clear_errors_without_the_secret() {
        let cases = [
            ("", LinkError::Empty),
            (SECRET_B64, LinkError::NotAnInvite),
            ("https://relay.example.org/join#x", LinkError::NotAnInvite),
            ("samspill:///join#SECRET", LinkError::MissingHost),
            ("samspill://bad host/join#SECRET", LinkError::BadHost),
            (
                "samspill://relay.example.org:99999/join#SECRET",
                LinkError::BadPort,
            ),
            (
                "samspill://relay.example.org:0/join#SECRET",
                LinkError::BadPort,
            ),
            (
                "samspill://relay.example.org/joint#SECRET",
                LinkError::BadInvitePath,
            ),
            (
                "samspill://relay.example.org/join",
                LinkError::MissingSecret,
            ),
            (
                "samspill://relay.example.org/join#",
                LinkError::MissingSecret,
            ),
            (
                "samspill://relay.example.org/join#SECRET",
                LinkError::BadSecret,
            ),
        ];
        for (link, expected) in cases {
            let link = link.replace("SECRET", &SECRET_B64[..40]);
            let err = Invite::parse(&link).unwrap_err();
            assert_eq!(err, expected, "{link}");
            let message = err.to_string();
            assert!(!message.contains(&SECRET_B64[..10]), "{message}");
        }
        // One character short, one too many, and a character outside base64url.
        let short = format!("samspill://h/join#{}", &SECRET_B64[..42]);
        let long = format!("samspill://h/join#{SECRET_B64}A");
        let plus = format!("samspill://h/join#{}+", &SECRET_B64[..42]);
        for link in [short, long, plus] {
            assert_eq!(Invite::parse(&link).unwrap_err(), LinkError::BadSecret);
        }
    }

    #[test]
    fn a_viewer_link_round_trips_and_opens_read_only() {
        let relay: RelayUrl = "wss://relay.example.org".parse().unwrap();
        let editor = Invite::new(relay.clone(), secret());
        let viewer = Invite::new(relay, editor.capability.for_role(Role::Viewer).unwrap());
        let link = viewer.to_string();
        let fragment = link.split_once('#').unwrap().1;
        assert_eq!(fragment.len(), 130);
        assert!(!link.contains(SECRET_B64));
        let parsed = Invite::parse(&link).unwrap();
        assert_eq!(parsed, viewer);
        assert_eq!(parsed.role(), Role::Viewer);
        assert_eq!(editor.role(), Role::Editor);
        assert_eq!(parsed.capability.doc_id(), editor.capability.doc_id());
        assert!(parsed.capability.keys().write.is_none());
        // Damaged in the middle: a clear error, not a panic.
        let mut bad = link.clone();
        bad.truncate(link.len() - 1);
        assert_eq!(Invite::parse(&bad).unwrap_err(), LinkError::BadSecret);
        let debug = format!("{parsed:?}");
        assert!(!debug.contains(fragment), "{debug}");
    }

    #[test]
    fn invite_debug_is_redacted() {
        let invite =
            Invite::parse(&format!("samspill://relay.example.org/join#{SECRET_B64}")).unwrap();
        let debug = format!("{invite:?}");
        assert!(!debug.contains(SECRET_B64), "{debug}");
        assert!(debug.contains("relay.example.org"));
    }

    #[test]
    fn relay_urls_parse_strictly() {
        let url: RelayUrl = "wss://relay.example.org/".parse().unwrap();
        assert_eq!(url.to_string(), "wss://relay.example.org");
        let v6: RelayUrl = "ws://[::1]:8787".parse().unwrap();
        assert_eq!(v6.sync_url(), "ws://[::1]:8787/v1/sync");
        assert_eq!("http://x".parse::<RelayUrl>(), Err(LinkError::NotARelayUrl));
        assert_eq!(
            "ws://x/v1/sync".parse::<RelayUrl>(),
            Err(LinkError::UnexpectedPath)
        );
        assert_eq!(
            "ws://user@x".parse::<RelayUrl>(),
            Err(LinkError::UnexpectedPath)
        );
        assert_eq!("ws://x:".parse::<RelayUrl>(), Err(LinkError::BadPort));
        assert_eq!("ws://-x".parse::<RelayUrl>(), Err(LinkError::BadHost));
        assert_eq!("ws://".parse::<RelayUrl>(), Err(LinkError::MissingHost));
    }

    #[test]
    fn relay_url_serializes_as_its_string() {
        let url: RelayUrl = "ws://127.0.0.1:8787".parse().unwrap();
        let json = serde_json::to_string(&url).unwrap();
        assert_eq!(json, "\"ws://127.0.0.1:8787\"");
        assert_eq!(serde_json::from_str::<RelayUrl>(&json).unwrap(), url);
        assert!(serde_json::from_str::<RelayUrl>("\"ftp://x\"").is_err());
    }
}
