//! The relay's wire protocol: binary websocket frames at `GET /v1/sync`.
//!
//! Every websocket message is one frame, encoded with [postcard]. Each side's first frame
//! is its `Hello`, carrying [`PROTOCOL_VERSION`]; the relay's hello also carries a random
//! challenge that the client signs to subscribe (see [`crate::crypto::sign_subscribe`]).
//! `docs/protocol.md` walks through the exchange; this module is the source of truth for
//! the bytes.
//!
//! Stability: `Hello` is variant 0 of both enums and its first field is the version, so a
//! peer of any version can read the other side's version and say clearly that they do
//! not match. New variants are only ever appended.
//!
//! Decoding is strict: a frame longer than the caller's limit, a truncated frame, an
//! unknown frame type or trailing bytes are each a [`ProtocolError`], and every error
//! maps to an [`ErrorCode`] the relay sends back.

use serde::{Deserialize, Serialize};

pub use crate::crypto::{DocumentId, Signature64};

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u16 = 5;

/// The relay's default limit on one frame, in bytes (a snapshot is the largest frame).
pub const DEFAULT_MAX_FRAME_BYTES: usize = 4 * 1024 * 1024;

/// Room a server frame needs beyond the blob a client sent: a client decoding server
/// frames should allow `relay limit + FRAME_OVERHEAD` bytes.
pub const FRAME_OVERHEAD: usize = 1024;

/// Websocket close codes the relay uses besides the standard ones (1000 normal, 1001
/// going away, 1002 protocol error, 1008 policy, 1009 too big).
pub mod close_code {
    /// The client did not read fast enough; its send queue filled up. Reconnect and catch
    /// up from the log with `since`.
    pub const TOO_SLOW: u16 = 4001;
    /// The client's first frame was not a `Hello` of a version the relay speaks.
    pub const UNSUPPORTED_VERSION: u16 = 4002;
    /// The relay rolled back entries it had already forwarded (a failed commit): their
    /// numbers will be given out again. Reconnect and subscribe from what is durable.
    pub const RESUBSCRIBE: u16 = 4003;
}

/// A frame from a client to the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientFrame {
    /// The client's first frame.
    Hello { version: u16 },
    /// Subscribe to a document: catch up from `since`, then receive it live.
    Subscribe {
        doc: DocumentId,
        /// The last sequence number the client holds; 0 = none.
        since: u64,
        /// Create the document if the relay does not have it. When false, an absent
        /// document is an [`ErrorCode::UnknownDocument`] error.
        create: bool,
        /// `sign_subscribe(keys, challenge)`: a signature by the document's key over the
        /// relay's challenge and the document id.
        proof: Signature64,
    },
    /// Stop receiving a document. Unsubscribing from a document one is not subscribed to
    /// does nothing.
    Unsubscribe { doc: DocumentId },
    /// Append an encrypted entry to a subscribed document's log.
    Push {
        doc: DocumentId,
        /// Chosen by the client, echoed in the `Ack` (or in the `Error` that refuses it).
        id: u64,
        #[serde(with = "serde_bytes")]
        blob: Vec<u8>,
    },
    /// Store an encrypted snapshot covering entries `1..=covers`; the relay may then drop
    /// those entries.
    Snapshot {
        doc: DocumentId,
        covers: u64,
        #[serde(with = "serde_bytes")]
        blob: Vec<u8>,
    },
    /// Forward an encrypted blob (presence) to the other subscribers; never stored.
    Ephemeral {
        doc: DocumentId,
        #[serde(with = "serde_bytes")]
        blob: Vec<u8>,
    },
    /// Prove write access to a subscribed document: `Push` and `Snapshot` are accepted
    /// only after this. The first authorize registers the document's write key; later
    /// ones must name the same key.
    Authorize {
        doc: DocumentId,
        /// The document's write public key.
        write_key: [u8; 32],
        /// `sign_authorize(keys, challenge)`: a signature by the write key over the
        /// challenge, the document id and `write_key`.
        proof: Signature64,
    },
    /// Start a new epoch (someone was removed): atomically create `to` as the successor
    /// of `doc` with `first` as its entry 1 and `write_key` as its write key, append
    /// `rotation` (the wrapped capabilities) to `doc`, and seal `doc`. Needs no token:
    /// the connection must have proven write access to `doc`. Answered with an `Ack`
    /// (for `rotation`, by `id`) and `Moved`, or an `Error` carrying `id`.
    Rotate {
        doc: DocumentId,
        id: u64,
        to: DocumentId,
        /// The successor's write public key.
        write_key: [u8; 32],
        /// `sign_authorize(new keys, challenge)` for `to`.
        proof: Signature64,
        /// The `Rotation` entry for `doc` (signed and sealed with `doc`'s keys).
        #[serde(with = "serde_bytes")]
        rotation: Vec<u8>,
        /// The document as of the rotation, sealed and signed with `to`'s keys.
        #[serde(with = "serde_bytes")]
        first: Vec<u8>,
    },
}

/// A frame from the relay to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerFrame {
    /// The relay's first frame.
    Hello {
        version: u16,
        /// Random bytes the client signs to subscribe; fresh for every connection.
        challenge: [u8; 32],
    },
    /// Sent on subscribe when the client is behind the latest snapshot: the document as
    /// of entry `seq`. Entries after it follow.
    Snapshot {
        doc: DocumentId,
        seq: u64,
        #[serde(with = "serde_bytes")]
        blob: Vec<u8>,
    },
    /// One entry of the log, during catch-up and live.
    Entry {
        doc: DocumentId,
        seq: u64,
        #[serde(with = "serde_bytes")]
        blob: Vec<u8>,
    },
    /// Catch-up is complete up to `head`; entries after it arrive live. A `head` lower
    /// than the client's `since` means the relay has lost entries the client holds
    /// (restored from an old backup): the client should push them again.
    Subscribed { doc: DocumentId, head: u64 },
    /// The push with this `id` is durably stored as entry `seq`.
    Ack { doc: DocumentId, id: u64, seq: u64 },
    /// The snapshot covering `1..=covers` is durably stored.
    SnapshotAck { doc: DocumentId, covers: u64 },
    /// A blob another subscriber sent with `ClientFrame::Ephemeral`.
    Ephemeral {
        doc: DocumentId,
        #[serde(with = "serde_bytes")]
        blob: Vec<u8>,
    },
    /// Something the client sent was refused. Nothing was stored for it.
    Error {
        code: ErrorCode,
        /// The document the refused frame was about, if any.
        doc: Option<DocumentId>,
        /// The `id` of the refused `Push`, if it was one.
        id: Option<u64>,
        /// For people: what went wrong and what to do. Never contains blob contents.
        message: String,
    },
    /// Every entry of `doc` up to `upto` is durably stored. Entries are forwarded
    /// before they are durable (early forwarding); a client persists and resubscribes
    /// only from what is durable, so a number reused after a relay crash is fetched
    /// again, never skipped.
    Durable { doc: DocumentId, upto: u64 },
    /// The connection may push to `doc`: its write key is the document's.
    Authorized { doc: DocumentId },
    /// `doc` is sealed: it was rotated to its successor `to` (its last entry says how
    /// to follow). Sent after `Subscribed` to a sealed document and to its subscribers
    /// when it is sealed; pushes to it are refused with [`ErrorCode::Moved`].
    Moved { doc: DocumentId, to: DocumentId },
}

/// What kind of mistake an `Error` frame reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The frame could not be decoded, or came out of order (before `Hello`).
    BadFrame,
    /// The client's `Hello` named a protocol version the relay does not speak.
    UnsupportedVersion,
    /// The frame is over the relay's size limit.
    TooLarge,
    /// The subscribe proof does not verify for this document and challenge.
    BadSignature,
    /// Push, snapshot or ephemeral for a document the connection is not subscribed to.
    NotSubscribed,
    /// Subscribe without `create` to a document the relay does not have.
    UnknownDocument,
    /// Creating a document needs a valid bearer token on this relay.
    Unauthorized,
    /// A snapshot for a sequence number the relay does not have.
    BadSnapshot,
    /// Too many pushes per second on this connection; retry later.
    RateLimited,
    /// Too many subscriptions on this connection.
    TooManySubscriptions,
    /// The relay failed (storage); nothing was stored, retry later.
    Internal,
    /// Push or snapshot on a connection that has not proven write access (a viewer).
    ReadOnly,
    /// The document is sealed (rotated to a successor): follow its `Moved`.
    Moved,
}

impl ErrorCode {
    /// Every code, for listing (metrics start every series at zero).
    pub const ALL: [Self; 13] = [
        Self::BadFrame,
        Self::UnsupportedVersion,
        Self::TooLarge,
        Self::BadSignature,
        Self::NotSubscribed,
        Self::UnknownDocument,
        Self::Unauthorized,
        Self::BadSnapshot,
        Self::RateLimited,
        Self::TooManySubscriptions,
        Self::Internal,
        Self::ReadOnly,
        Self::Moved,
    ];

    /// A stable lowercase name, used in metrics labels and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadFrame => "bad_frame",
            Self::UnsupportedVersion => "unsupported_version",
            Self::TooLarge => "too_large",
            Self::BadSignature => "bad_signature",
            Self::NotSubscribed => "not_subscribed",
            Self::UnknownDocument => "unknown_document",
            Self::Unauthorized => "unauthorized",
            Self::BadSnapshot => "bad_snapshot",
            Self::RateLimited => "rate_limited",
            Self::TooManySubscriptions => "too_many_subscriptions",
            Self::Internal => "internal",
            Self::ReadOnly => "read_only",
            Self::Moved => "moved",
        }
    }
}

/// Why bytes are not a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("the frame is {len} bytes, over the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("the frame is empty")]
    Empty,
    #[error("the frame ends early (truncated)")]
    Truncated,
    #[error("unknown frame type {0} (is the peer a newer version?)")]
    UnknownFrameType(u64),
    #[error("the frame is malformed: {0}")]
    Malformed(String),
    #[error("the frame has {0} bytes after its end")]
    TrailingBytes(usize),
}

impl ProtocolError {
    /// The code the relay answers this error with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLarge { .. } => ErrorCode::TooLarge,
            _ => ErrorCode::BadFrame,
        }
    }
}

const CLIENT_FRAME_TYPES: u64 = 8;
const SERVER_FRAME_TYPES: u64 = 11;

pub fn encode_client(frame: &ClientFrame) -> Vec<u8> {
    encode(frame)
}

pub fn encode_server(frame: &ServerFrame) -> Vec<u8> {
    encode(frame)
}

pub fn decode_client(bytes: &[u8], max_len: usize) -> Result<ClientFrame, ProtocolError> {
    decode(bytes, max_len, CLIENT_FRAME_TYPES)
}

pub fn decode_server(bytes: &[u8], max_len: usize) -> Result<ServerFrame, ProtocolError> {
    decode(bytes, max_len, SERVER_FRAME_TYPES)
}

fn encode<T: Serialize>(frame: &T) -> Vec<u8> {
    // Serializing these types into a growable Vec cannot fail: no maps of unknown length,
    // no custom serializers that error.
    match postcard::to_stdvec(frame) {
        Ok(bytes) => bytes,
        Err(e) => unreachable!("postcard failed to encode a frame: {e}"),
    }
}

fn decode<T: for<'de> Deserialize<'de>>(
    bytes: &[u8],
    max_len: usize,
    frame_types: u64,
) -> Result<T, ProtocolError> {
    if bytes.len() > max_len {
        return Err(ProtocolError::TooLarge {
            len: bytes.len(),
            max: max_len,
        });
    }
    if bytes.is_empty() {
        return Err(ProtocolError::Empty);
    }
    match read_varint(bytes) {
        Some(tag) if tag >= frame_types => return Err(ProtocolError::UnknownFrameType(tag)),
        Some(_) => {}
        None => return Err(ProtocolError::Malformed("bad frame type".to_owned())),
    }
    let (frame, rest) = postcard::take_from_bytes::<T>(bytes).map_err(|e| match e {
        postcard::Error::DeserializeUnexpectedEnd => ProtocolError::Truncated,
        other => ProtocolError::Malformed(other.to_string()),
    })?;
    if !rest.is_empty() {
        return Err(ProtocolError::TrailingBytes(rest.len()));
    }
    Ok(frame)
}

/// Reads postcard's LEB128 enum tag (at most 5 bytes for a u32).
fn read_varint(bytes: &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, b) in bytes.iter().take(5).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{ProjectSecret, sign_subscribe};

    fn doc() -> DocumentId {
        ProjectSecret::from_bytes([1; 32]).keys().doc_id
    }

    fn all_client_frames() -> Vec<ClientFrame> {
        let keys = ProjectSecret::from_bytes([1; 32]).keys();
        vec![
            ClientFrame::Hello {
                version: PROTOCOL_VERSION,
            },
            ClientFrame::Subscribe {
                doc: doc(),
                since: 42,
                create: true,
                proof: sign_subscribe(&keys, &[3; 32]),
            },
            ClientFrame::Unsubscribe { doc: doc() },
            ClientFrame::Push {
                doc: doc(),
                id: u64::MAX,
                blob: vec![1, 2, 3],
            },
            ClientFrame::Snapshot {
                doc: doc(),
                covers: 7,
                blob: vec![0; 300],
            },
            ClientFrame::Ephemeral {
                doc: doc(),
                blob: vec![],
            },
            ClientFrame::Authorize {
                doc: doc(),
                write_key: keys.write_public.to_bytes(),
                proof: crate::crypto::sign_authorize(&keys, &[3; 32]).unwrap(),
            },
            ClientFrame::Rotate {
                doc: doc(),
                id: 9,
                to: DocumentId([8; 32]),
                write_key: [4; 32],
                proof: crate::crypto::sign_authorize(&keys, &[3; 32]).unwrap(),
                rotation: vec![1; 40],
                first: vec![2; 60],
            },
        ]
    }

    fn all_server_frames() -> Vec<ServerFrame> {
        vec![
            ServerFrame::Hello {
                version: PROTOCOL_VERSION,
                challenge: [9; 32],
            },
            ServerFrame::Snapshot {
                doc: doc(),
                seq: 5,
                blob: vec![5; 10],
            },
            ServerFrame::Entry {
                doc: doc(),
                seq: 6,
                blob: vec![6; 10],
            },
            ServerFrame::Subscribed {
                doc: doc(),
                head: 6,
            },
            ServerFrame::Ack {
                doc: doc(),
                id: 1,
                seq: 6,
            },
            ServerFrame::SnapshotAck {
                doc: doc(),
                covers: 5,
            },
            ServerFrame::Ephemeral {
                doc: doc(),
                blob: vec![1],
            },
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                doc: Some(doc()),
                id: Some(3),
                message: "slow down".to_owned(),
            },
            ServerFrame::Durable {
                doc: doc(),
                upto: 6,
            },
            ServerFrame::Authorized { doc: doc() },
            ServerFrame::Moved {
                doc: doc(),
                to: DocumentId([8; 32]),
            },
        ]
    }

    #[test]
    fn every_frame_round_trips() {
        let client = all_client_frames();
        assert_eq!(client.len() as u64, CLIENT_FRAME_TYPES);
        for frame in client {
            let bytes = encode_client(&frame);
            assert_eq!(
                decode_client(&bytes, DEFAULT_MAX_FRAME_BYTES).unwrap(),
                frame
            );
        }
        let server = all_server_frames();
        assert_eq!(server.len() as u64, SERVER_FRAME_TYPES);
        for frame in server {
            let bytes = encode_server(&frame);
            assert_eq!(
                decode_server(&bytes, DEFAULT_MAX_FRAME_BYTES).unwrap(),
                frame
            );
        }
    }

    /// Pins the bytes of the hellos, which every future version must still read.
    #[test]
    fn known_answer_hello_bytes() {
        assert_eq!(encode_client(&ClientFrame::Hello { version: 3 }), [0, 3]);
        let server = encode_server(&ServerFrame::Hello {
            version: 3,
            challenge: [0xab; 32],
        });
        assert_eq!(&server[..2], &[0, 3]);
        assert_eq!(&server[2..], &[0xab; 32]);
        // A push: tag 3, 32-byte id, varint id, varint length, blob bytes.
        let push = encode_client(&ClientFrame::Push {
            doc: DocumentId([0x11; 32]),
            id: 300,
            blob: vec![7, 8],
        });
        let mut expected = vec![3];
        expected.extend_from_slice(&[0x11; 32]);
        expected.extend_from_slice(&[0xac, 0x02, 2, 7, 8]);
        assert_eq!(push, expected);
    }

    #[test]
    fn oversize_frame_is_rejected_before_decoding() {
        let frame = ClientFrame::Push {
            doc: doc(),
            id: 1,
            blob: vec![0; 100],
        };
        let bytes = encode_client(&frame);
        let err = decode_client(&bytes, bytes.len() - 1).unwrap_err();
        assert_eq!(
            err,
            ProtocolError::TooLarge {
                len: bytes.len(),
                max: bytes.len() - 1
            }
        );
        assert_eq!(err.code(), ErrorCode::TooLarge);
        assert!(decode_client(&bytes, bytes.len()).is_ok());
    }

    #[test]
    fn truncated_frames_are_rejected() {
        for frame in all_client_frames() {
            let bytes = encode_client(&frame);
            for cut in 0..bytes.len() {
                let err = decode_client(&bytes[..cut], DEFAULT_MAX_FRAME_BYTES).unwrap_err();
                assert_eq!(err.code(), ErrorCode::BadFrame, "cut at {cut} of {frame:?}");
            }
        }
        let bytes = encode_client(&ClientFrame::Unsubscribe { doc: doc() });
        assert_eq!(
            decode_client(&bytes[..10], DEFAULT_MAX_FRAME_BYTES),
            Err(ProtocolError::Truncated)
        );
    }

    #[test]
    fn garbage_unknown_types_and_trailing_bytes_are_rejected() {
        assert_eq!(decode_client(&[], 100), Err(ProtocolError::Empty));
        assert_eq!(
            decode_client(&[8], 100),
            Err(ProtocolError::UnknownFrameType(8))
        );
        assert_eq!(
            decode_server(&[11, 0], 100),
            Err(ProtocolError::UnknownFrameType(11))
        );
        assert_eq!(
            decode_client(&[0xff; 8], 100).unwrap_err().code(),
            ErrorCode::BadFrame
        );
        assert_eq!(
            decode_client(&[0, 1, 0], 100),
            Err(ProtocolError::TrailingBytes(1))
        );
        // Subscribe with a bool that is neither 0 nor 1.
        let mut sub = encode_client(&all_client_frames()[1]);
        let create_at = 1 + 32 + 1;
        assert_eq!(sub[create_at], 1);
        sub[create_at] = 2;
        assert!(matches!(
            decode_client(&sub, 1000),
            Err(ProtocolError::Malformed(_))
        ));
        // A blob length that claims more bytes than there are.
        let mut push = encode_client(&ClientFrame::Push {
            doc: doc(),
            id: 1,
            blob: vec![1],
        });
        let len_at = push.len() - 2;
        push[len_at] = 100;
        assert_eq!(decode_client(&push, 1000), Err(ProtocolError::Truncated));
    }

    #[test]
    fn error_messages_never_echo_frame_bytes() {
        let err = decode_client(&[0xff; 8], 100).unwrap_err();
        assert!(!err.to_string().contains("255"));
    }
}
