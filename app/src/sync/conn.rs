//! One websocket connection to a relay: connect, exchange hellos, send and receive
//! frames.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use samspill_shared::crypto::CHALLENGE_LEN;
use samspill_shared::link::RelayUrl;
use samspill_shared::protocol::{
    self, ClientFrame, DEFAULT_MAX_FRAME_BYTES, FRAME_OVERHEAD, PROTOCOL_VERSION, ServerFrame,
    close_code,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the client pings a connection that is otherwise quiet.
pub const PING_EVERY: Duration = Duration::from_secs(5);
/// A connection on which nothing (not even a pong) arrived for this long is dead: a
/// network that went silent without closing (a train tunnel) is noticed this soon.
pub const SILENCE: Duration = Duration::from_secs(10);

/// Why a connection could not be used. The messages are for people and carry no secret.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    #[error("could not reach the relay at {relay}: {reason}")]
    Unreachable { relay: RelayUrl, reason: String },
    #[error(
        "the relay at {relay} speaks protocol version {theirs} and this Samspill speaks version {PROTOCOL_VERSION}; update whichever is older"
    )]
    Version { relay: RelayUrl, theirs: u16 },
    #[error("the relay at {relay} closed the connection{reason}")]
    Closed { relay: RelayUrl, reason: String },
    #[error("the relay at {relay} sent a frame this Samspill cannot read: {reason}")]
    BadFrame { relay: RelayUrl, reason: String },
    #[error("nothing was heard from the relay at {relay} for {} s; the network is down", SILENCE.as_secs())]
    Silent { relay: RelayUrl },
    #[error("the member's machine on this network named no address to reach it at")]
    NoAddress,
}

impl ConnError {
    /// Whether trying again later may help (as opposed to a version mismatch).
    pub fn is_transient(&self) -> bool {
        !matches!(self, Self::Version { .. })
    }
}

/// An open, greeted connection.
pub struct Connection {
    relay: RelayUrl,
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub challenge: [u8; CHALLENGE_LEN],
    /// When anything last arrived (a frame, a pong, a ping).
    heard: tokio::time::Instant,
    /// When this side last pinged.
    pinged: tokio::time::Instant,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("relay", &self.relay)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects to `relay`'s sync endpoint (with a bearer token, if given) and exchanges
    /// hellos.
    pub async fn open(relay: &RelayUrl, token: Option<&str>) -> Result<Self, ConnError> {
        let unreachable = |reason: String| ConnError::Unreachable {
            relay: relay.clone(),
            reason,
        };
        let mut request = relay
            .sync_url()
            .into_client_request()
            .map_err(|e| unreachable(e.to_string()))?;
        if let Some(token) = token {
            let value =
                HeaderValue::from_str(&format!("Bearer {}", token.trim())).map_err(|_| {
                    unreachable("the token contains characters a header cannot hold".to_owned())
                })?;
            request.headers_mut().insert("authorization", value);
        }
        // TCP_NODELAY: a push right after another frame (a ping, presence) must not wait
        // for the relay's delayed ACK (up to 40 ms) under Nagle's algorithm.
        let connecting = tokio_tungstenite::connect_async_with_config(request, None, true);
        let (ws, _response) = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Err(_) => return Err(unreachable("no answer within 10 seconds".to_owned())),
            Ok(Err(tungstenite::Error::Http(response))) => {
                return Err(unreachable(format!(
                    "it answered HTTP {} to the websocket upgrade",
                    response.status()
                )));
            }
            Ok(Err(e)) => return Err(unreachable(e.to_string())),
            Ok(Ok(ok)) => ok,
        };
        let mut conn = Self {
            relay: relay.clone(),
            ws,
            challenge: [0; CHALLENGE_LEN],
            heard: tokio::time::Instant::now(),
            pinged: tokio::time::Instant::now(),
        };
        conn.send(&ClientFrame::Hello {
            version: PROTOCOL_VERSION,
        })
        .await?;
        let first = tokio::time::timeout(CONNECT_TIMEOUT, conn.recv()).await;
        match first {
            Err(_) => Err(unreachable("it sent no hello within 10 seconds".to_owned())),
            Ok(Err(e)) => Err(e),
            Ok(Ok(ServerFrame::Hello { version, challenge })) => {
                if version != PROTOCOL_VERSION {
                    return Err(ConnError::Version {
                        relay: relay.clone(),
                        theirs: version,
                    });
                }
                conn.challenge = challenge;
                Ok(conn)
            }
            Ok(Ok(_)) => Err(ConnError::BadFrame {
                relay: relay.clone(),
                reason: "its first frame was not a hello".to_owned(),
            }),
        }
    }

    pub fn relay(&self) -> &RelayUrl {
        &self.relay
    }

    pub async fn send(&mut self, frame: &ClientFrame) -> Result<(), ConnError> {
        let bytes = protocol::encode_client(frame);
        self.ws
            .send(Message::Binary(bytes.into()))
            .await
            .map_err(|e| self.closed_by(&e))
    }

    /// Pings the relay when nothing was sent its way for [`PING_EVERY`] (call it now and
    /// then; the engine does on every tick).
    pub async fn keepalive(&mut self) -> Result<(), ConnError> {
        if self.pinged.elapsed() < PING_EVERY {
            return Ok(());
        }
        self.pinged = tokio::time::Instant::now();
        self.ws
            .send(Message::Ping(Vec::new().into()))
            .await
            .map_err(|e| self.closed_by(&e))
    }

    /// The next frame. Pings are answered by the websocket layer; text frames ignored.
    /// Fails with [`ConnError::Silent`] once nothing at all has arrived for [`SILENCE`].
    /// Cancel-safe: dropping the future loses nothing.
    pub async fn recv(&mut self) -> Result<ServerFrame, ConnError> {
        loop {
            let next = tokio::time::timeout_at(self.heard + SILENCE, self.ws.next()).await;
            let Ok(next) = next else {
                return Err(ConnError::Silent {
                    relay: self.relay.clone(),
                });
            };
            self.heard = tokio::time::Instant::now();
            match next {
                None => {
                    return Err(ConnError::Closed {
                        relay: self.relay.clone(),
                        reason: String::new(),
                    });
                }
                Some(Err(e)) => return Err(self.closed_by(&e)),
                Some(Ok(Message::Binary(bytes))) => {
                    return protocol::decode_server(
                        &bytes,
                        DEFAULT_MAX_FRAME_BYTES + FRAME_OVERHEAD,
                    )
                    .map_err(|e| ConnError::BadFrame {
                        relay: self.relay.clone(),
                        reason: e.to_string(),
                    });
                }
                Some(Ok(Message::Close(frame))) => return Err(self.close_error(frame.as_ref())),
                Some(Ok(_)) => {}
            }
        }
    }

    /// Closes politely; errors do not matter any more.
    pub async fn close(mut self) {
        // The connection is being abandoned; a failure to say goodbye changes nothing.
        let _ = tokio::time::timeout(Duration::from_secs(2), self.ws.close(None)).await;
    }

    fn closed_by(&self, e: &tungstenite::Error) -> ConnError {
        ConnError::Closed {
            relay: self.relay.clone(),
            reason: format!(": {e}"),
        }
    }

    fn close_error(&self, frame: Option<&CloseFrame>) -> ConnError {
        let Some(frame) = frame else {
            return ConnError::Closed {
                relay: self.relay.clone(),
                reason: String::new(),
            };
        };
        let code = u16::from(frame.code);
        if code == close_code::UNSUPPORTED_VERSION {
            return ConnError::Closed {
                relay: self.relay.clone(),
                reason: format!(
                    " because it does not speak protocol version {PROTOCOL_VERSION} ({}); update whichever is older",
                    frame.reason
                ),
            };
        }
        ConnError::Closed {
            relay: self.relay.clone(),
            reason: format!(" (code {code}: {})", frame.reason),
        }
    }
}
