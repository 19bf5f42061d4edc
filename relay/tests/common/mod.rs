//! A relay served on a free loopback port with a temporary data directory, and a small
//! websocket client speaking the protocol.
#![allow(dead_code)]
// Test helpers: a failure here is a failed test, and panicking says where.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use samspill_relay::{Config, RelayState, serve};
use samspill_shared::crypto::{
    BlobKind, DocumentId, ProjectKeys, ProjectSecret, decrypt, decrypt_entry, decrypt_snapshot,
    encrypt, encrypt_snapshot, is_signed, sign_entry, sign_subscribe,
};
use samspill_shared::protocol::{
    ClientFrame, PROTOCOL_VERSION, ServerFrame, decode_server, encode_client,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Long enough never to fire on a working relay; only keeps a broken test from hanging.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct Relay {
    pub addr: SocketAddr,
    pub state: Arc<RelayState>,
    pub dir: tempfile::TempDir,
}

impl Relay {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, configure).await
    }

    pub async fn start_in(dir: tempfile::TempDir, configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::new(dir.path());
        configure(&mut config);
        let state = RelayState::open(config).unwrap();
        Self::serve(dir, state).await
    }

    /// Serves a state built by the test (for instance around a store of its own).
    pub async fn serve(dir: tempfile::TempDir, state: Arc<RelayState>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, Arc::clone(&state), std::future::pending()));
        Self { addr, state, dir }
    }

    pub fn url(&self) -> String {
        format!("ws://{}/v1/sync", self.addr)
    }

    pub async fn connect(&self) -> Client {
        Client::connect(&self.url(), None).await
    }

    /// The document's head as stored (None if the relay does not have it).
    pub async fn head(&self, doc: DocumentId) -> Option<u64> {
        self.state.store().head(doc).await.unwrap().map(|h| h.head)
    }
}

/// Starts the real relay binary as `command` says (flags, environment, stderr) with its
/// stdout piped, and waits for its "listening on ADDR" line.
pub fn spawn_listening(mut command: std::process::Command) -> (std::process::Child, SocketAddr) {
    use std::io::BufRead;
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the relay binary");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("the relay's first line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .expect("an address in the listening line");
    (child, addr)
}

pub fn keys(n: u8) -> ProjectKeys {
    ProjectSecret::from_bytes([n; 32]).keys()
}

/// Seals `text` as a blob of `kind`; an entry is signed with the write key as an editor's
/// client signs it (a viewer's keys, with none, make an unsigned one). Snapshots, which
/// are signed for what they cover, come from [`seal_snapshot`].
pub fn seal(keys: &ProjectKeys, kind: BlobKind, n: u64, text: &str) -> Vec<u8> {
    let mut nonce = [0u8; 24];
    nonce[..8].copy_from_slice(&n.to_le_bytes());
    let sealed = encrypt(keys, kind, nonce, text.as_bytes());
    match kind {
        BlobKind::Entry if keys.write.is_some() => sign_entry(keys, &sealed).unwrap(),
        _ => sealed,
    }
}

/// A snapshot covering the log up to `covers`, signed as an editor signs it (unsigned
/// from a viewer's keys).
pub fn seal_snapshot(keys: &ProjectKeys, covers: u64, n: u64, text: &str) -> Vec<u8> {
    let mut nonce = [0u8; 24];
    nonce[..8].copy_from_slice(&n.to_le_bytes());
    if keys.write.is_none() {
        return encrypt(keys, BlobKind::Snapshot, nonce, text.as_bytes());
    }
    encrypt_snapshot(keys, covers, nonce, text.as_bytes()).unwrap()
}

pub fn open(keys: &ProjectKeys, kind: BlobKind, blob: &[u8]) -> String {
    let plain = match kind {
        BlobKind::Entry if is_signed(blob) => decrypt_entry(keys, blob),
        _ => decrypt(keys, kind, blob),
    };
    String::from_utf8(plain.unwrap()).unwrap()
}

/// Opens a snapshot the relay says covers `covers`.
pub fn open_snapshot(keys: &ProjectKeys, covers: u64, blob: &[u8]) -> String {
    String::from_utf8(decrypt_snapshot(keys, covers, blob).unwrap()).unwrap()
}

pub enum Received {
    Frame(ServerFrame),
    Closed(Option<CloseFrame>),
}

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub challenge: [u8; 32],
    /// The highest `Durable { upto }` seen (those frames are not returned by `next`).
    pub durable: u64,
}

impl Client {
    pub async fn connect(url: &str, token: Option<&str>) -> Self {
        Self::greet(Self::connect_raw(url, token).await).await
    }

    /// Says Hello on an open websocket and reads the relay's.
    pub async fn greet(mut ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        ws.send(Message::Binary(
            encode_client(&ClientFrame::Hello {
                version: PROTOCOL_VERSION,
            })
            .into(),
        ))
        .await
        .unwrap();
        let mut client = Self {
            ws,
            challenge: [0; 32],
            durable: 0,
        };
        match client.recv().await {
            ServerFrame::Hello { version, challenge } => {
                assert_eq!(version, PROTOCOL_VERSION);
                client.challenge = challenge;
            }
            other => panic!("expected Hello, got {other:?}"),
        }
        client
    }

    /// A websocket with no hello sent yet.
    pub async fn connect_raw(
        url: &str,
        token: Option<&str>,
    ) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
        let mut request = url.into_client_request().unwrap();
        if let Some(token) = token {
            request
                .headers_mut()
                .insert("Authorization", format!("Bearer {token}").parse().unwrap());
        }
        let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        ws
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        self.send_raw(encode_client(frame)).await;
    }

    pub async fn send_raw(&mut self, bytes: Vec<u8>) {
        self.ws.send(Message::Binary(bytes.into())).await.unwrap();
    }

    pub async fn next(&mut self) -> Received {
        loop {
            let msg = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("the relay did not answer in time");
            match msg {
                Some(Ok(Message::Binary(bytes))) => {
                    let frame = decode_server(&bytes, 64 << 20).unwrap();
                    // Durability watermarks follow every forwarded batch; the tests that
                    // look at them use `next_durable`.
                    if let ServerFrame::Durable { upto, .. } = frame {
                        self.durable = self.durable.max(upto);
                        continue;
                    }
                    return Received::Frame(frame);
                }
                Some(Ok(Message::Close(frame))) => return Received::Closed(frame),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(other)) => panic!("unexpected message {other:?}"),
                Some(Err(_)) | None => return Received::Closed(None),
            }
        }
    }

    pub async fn recv(&mut self) -> ServerFrame {
        match self.next().await {
            Received::Frame(frame) => frame,
            Received::Closed(frame) => panic!("connection closed: {frame:?}"),
        }
    }

    /// Reads until the connection closes; returns the close frame.
    pub async fn closed(&mut self) -> Option<CloseFrame> {
        for _ in 0..100_000 {
            if let Received::Closed(frame) = self.next().await {
                return frame;
            }
        }
        panic!("the connection did not close");
    }

    pub fn subscribe_frame(&self, keys: &ProjectKeys, since: u64, create: bool) -> ClientFrame {
        ClientFrame::Subscribe {
            doc: keys.doc_id,
            since,
            create,
            proof: sign_subscribe(keys, &self.challenge),
        }
    }

    /// Subscribes and returns the catch-up frames and the head from `Subscribed`.
    pub async fn subscribe(
        &mut self,
        keys: &ProjectKeys,
        since: u64,
        create: bool,
    ) -> (Vec<ServerFrame>, u64) {
        let frame = self.subscribe_frame(keys, since, create);
        self.send(&frame).await;
        let mut catch_up = Vec::new();
        let mut head = None;
        for _ in 0..100_000 {
            match self.recv().await {
                ServerFrame::Subscribed { doc, head: h }
                    if doc == keys.doc_id && head.is_none() =>
                {
                    // An editor proves write access next, as the app's client does.
                    let Some(frame) = self.authorize_frame(keys) else {
                        return (catch_up, h);
                    };
                    self.send(&frame).await;
                    head = Some(h);
                }
                ServerFrame::Authorized { doc } if doc == keys.doc_id => {
                    if let Some(h) = head {
                        return (catch_up, h);
                    }
                }
                e @ ServerFrame::Error { .. } => panic!("subscribe failed: {e:?}"),
                other => catch_up.push(other),
            }
        }
        panic!("no Subscribed");
    }

    /// The `Authorize` an editor sends on this connection; `None` for a viewer's keys.
    pub fn authorize_frame(&self, keys: &ProjectKeys) -> Option<ClientFrame> {
        Some(ClientFrame::Authorize {
            doc: keys.doc_id,
            write_key: keys.write_public.to_bytes(),
            proof: samspill_shared::crypto::sign_authorize(keys, &self.challenge)?,
        })
    }

    /// Pushes an entry and waits for its ack; returns its seq.
    pub async fn push(&mut self, keys: &ProjectKeys, id: u64, text: &str) -> u64 {
        self.send(&ClientFrame::Push {
            doc: keys.doc_id,
            id,
            blob: seal(keys, BlobKind::Entry, id, text),
        })
        .await;
        self.ack(id).await
    }

    /// Waits for the ack of push `id`, skipping other frames.
    pub async fn ack(&mut self, id: u64) -> u64 {
        for _ in 0..100_000 {
            match self.recv().await {
                ServerFrame::Ack { id: got, seq, .. } if got == id => return seq,
                e @ ServerFrame::Error { .. } => panic!("push failed: {e:?}"),
                _ => {}
            }
        }
        panic!("no ack");
    }

    /// Reads `Durable` frames until one says at least `upto` (any other frame fails).
    pub async fn durable_at_least(&mut self, upto: u64) {
        while self.durable < upto {
            let msg = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("no Durable in time");
            match msg {
                Some(Ok(Message::Binary(bytes))) => {
                    match decode_server(&bytes, 64 << 20).unwrap() {
                        ServerFrame::Durable { upto, .. } => self.durable = self.durable.max(upto),
                        other => panic!("expected Durable, got {other:?}"),
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("expected Durable, got {other:?}"),
            }
        }
    }

    /// Receives the next frame, which must be an entry of `keys`' document; returns
    /// (seq, plaintext).
    pub async fn entry(&mut self, keys: &ProjectKeys) -> (u64, String) {
        match self.recv().await {
            ServerFrame::Entry { doc, seq, blob } if doc == keys.doc_id => {
                (seq, open(keys, BlobKind::Entry, &blob))
            }
            other => panic!("expected an entry, got {other:?}"),
        }
    }
}

/// The entries in a list of catch-up frames, decrypted.
pub fn entries(keys: &ProjectKeys, frames: &[ServerFrame]) -> Vec<(u64, String)> {
    frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Entry { seq, blob, .. } => Some((*seq, open(keys, BlobKind::Entry, blob))),
            _ => None,
        })
        .collect()
}
