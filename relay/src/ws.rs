//! One websocket connection at `GET /v1/sync`.
//!
//! Two tasks per connection:
//!
//! - the **handler** (this module's `run`) reads and answers frames: hello, subscribe
//!   (proof, access, catch-up from the store), push (append, ack once durable, in order),
//!   snapshot, ephemeral; it keeps up to [`MAX_IN_FLIGHT`] writes pending so one client
//!   can pipeline pushes into the group commit;
//! - the **writer** owns the socket's sending half and drains the connection's bounded
//!   queue ([`Outbound`]); it switches subscriptions from catching up to live.
//!
//! Bad input gets an `Error` frame and the connection carries on; only a bad hello or a
//! broken websocket ends it (with a close reason). On shutdown the handler stops reading,
//! waits for the writes it already submitted, sends their acks and closes with 1001.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use futures_util::SinkExt;
use futures_util::stream::{FuturesOrdered, SplitSink, StreamExt};
use samspill_shared::crypto::{
    CHALLENGE_LEN, DocumentId, Signature64, WriteVerifier, verify_authorize, verify_subscribe,
};
use samspill_shared::protocol::{
    ClientFrame, ErrorCode, PROTOCOL_VERSION, ServerFrame, close_code, decode_client, encode_server,
};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Utf8Bytes;

use crate::config::Access;
use crate::hub::{Conn, Mode, Outbound, Queued, Subscription};
use crate::metrics as m;
use crate::server::RelayState;
use crate::store::{StoreError, Successor};
use crate::tokens::Presented;
use crate::upgrade::{Budget, Progress, Socket};

/// Writes one connection may have waiting for commit before the relay stops reading
/// from it.
pub const MAX_IN_FLIGHT: usize = 256;
/// Blob bytes read from the store per catch-up page.
const CATCH_UP_PAGE_BYTES: usize = 1 << 20;
/// How long a close frame may take to go out before the socket is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

type Pending = Pin<Box<dyn Future<Output = Bytes> + Send>>;

/// Encodes an error frame and counts it.
fn error_frame(
    code: ErrorCode,
    doc: Option<DocumentId>,
    id: Option<u64>,
    message: String,
) -> Bytes {
    metrics::counter!(m::ERRORS_TOTAL, "code" => code.as_str()).increment(1);
    Bytes::from(encode_server(&ServerFrame::Error {
        code,
        doc,
        id,
        message,
    }))
}

fn frame(f: &ServerFrame) -> Bytes {
    Bytes::from(encode_server(f))
}

/// The connection went away (or is being dropped) while we waited to queue a frame.
struct Gone;

/// A token bucket: `rate` per second, bursts up to `rate`.
struct Bucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(rate: u32) -> Self {
        let rate = f64::from(rate);
        Self {
            rate,
            tokens: rate,
            last: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The blob of a write-like frame, checked against the document's write key before it is
/// stored: a session that got write access by passing on an editor's proof (a relay in
/// the middle, a forged LAN advert) still cannot store, seal or cut anything an editor
/// did not sign.
enum Signed<'a> {
    Entry(&'a [u8]),
    Snapshot(u64, &'a [u8]),
}

struct Connection {
    state: Arc<RelayState>,
    conn: Arc<Conn>,
    challenge: [u8; CHALLENGE_LEN],
    presented: Presented,
    subs: BTreeMap<DocumentId, Arc<Subscription>>,
    /// Subscribed documents this connection proved write access to (`Authorize`), with
    /// the write key every entry and snapshot it stores must be signed with.
    writable: BTreeMap<DocumentId, WriteVerifier>,
    pending: FuturesOrdered<Pending>,
    bucket: Bucket,
    subscribe_bucket: Bucket,
    budget: Budget,
    progress: Progress,
    greeted: bool,
    /// A subscribe proof has verified: the peer holds a key. Until then the byte budget
    /// and the deadline apply (Hello alone proves nothing).
    verified: bool,
}

/// Serves one upgraded websocket until it closes.
pub(crate) async fn run(
    state: Arc<RelayState>,
    socket: Socket,
    presented: Presented,
    budget: Budget,
    progress: Progress,
) {
    let id = state.next_connection_id();
    let limits = state.config().limits.clone();
    let (conn, rx) = Conn::new(id, limits.send_buffer_bytes);
    let conn = Arc::new(conn);
    let (sink, mut stream) = socket.split();
    let writer = tokio::spawn(write_loop(
        sink,
        rx,
        Arc::clone(&conn),
        limits.write_timeout,
        progress.clone(),
    ));
    metrics::gauge!(m::CONNECTIONS).increment(1.0);
    metrics::counter!(m::CONNECTIONS_TOTAL).increment(1);
    tracing::debug!(conn = id, "connected");

    let mut challenge = [0u8; CHALLENGE_LEN];
    let mut c = Connection {
        state: Arc::clone(&state),
        conn: Arc::clone(&conn),
        challenge,
        presented,
        subs: BTreeMap::new(),
        writable: BTreeMap::new(),
        pending: FuturesOrdered::new(),
        bucket: Bucket::new(limits.max_pushes_per_sec),
        subscribe_bucket: Bucket::new(limits.max_subscribes_per_sec),
        budget,
        progress,
        greeted: false,
        verified: false,
    };
    if let Err(e) = getrandom::fill(&mut challenge) {
        tracing::error!(error = %e, "no randomness for a challenge; closing the connection");
        let _ = c
            .send(Outbound::Close(1011, "relay error: no randomness"))
            .await;
    } else {
        c.challenge = challenge;
        let hello = frame(&ServerFrame::Hello {
            version: PROTOCOL_VERSION,
            challenge,
        });
        if c.send(Outbound::Frame(hello)).await.is_ok() {
            c.serve(&mut stream).await;
        }
    }
    for sub in c.subs.values() {
        state.hub().remove(sub);
    }
    // Let the writer flush what is queued and close. If it already closed (a close was
    // queued earlier, or the peer is gone), this send fails at once.
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, c.send(Outbound::Close(1000, "goodbye"))).await;
    drop(c);
    let mut writer = writer;
    let finished = match tokio::time::timeout(CLOSE_TIMEOUT * 2, &mut writer).await {
        Ok(result) => result,
        Err(_) => {
            conn.kill.cancel();
            writer.await
        }
    };
    if finished.is_err() {
        tracing::error!(conn = id, "connection writer panicked");
    }
    // Finish the closing handshake: read (and drop) what the peer still sends until its
    // close arrives. Dropping a socket with unread bytes makes the kernel answer with a
    // reset, which can destroy our close frame before the peer has read it.
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        while let Some(Ok(msg)) = stream.next().await {
            if matches!(msg, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    metrics::gauge!(m::CONNECTIONS).decrement(1.0);
    tracing::debug!(conn = id, "disconnected");
}

impl Connection {
    /// Queues a frame, waiting for room in the send buffer (at most the write timeout:
    /// a client that does not read during catch-up is as slow as one that does not read
    /// live); gives up if the connection is being dropped.
    async fn send(&mut self, msg: Outbound) -> Result<(), Gone> {
        let timeout = self.state.config().limits.write_timeout;
        let wait = self.conn.room(msg.cost());
        tokio::pin!(wait);
        let room = loop {
            // Room frees up as the writer gets bytes onto the socket; a slow link is
            // fine, a socket that takes nothing for the whole timeout is not.
            let stalled_in = timeout.saturating_sub(self.progress.idle());
            tokio::select! {
                biased;
                () = self.conn.kill.cancelled() => return Err(Gone),
                room = &mut wait => match room {
                    Some(room) => break room,
                    None => return Err(Gone),
                },
                () = tokio::time::sleep(stalled_in.max(Duration::from_millis(50))) => {
                    if self.progress.idle() >= timeout {
                        self.conn.too_slow();
                        return Err(Gone);
                    }
                }
            }
        };
        self.conn.queue(msg, Some(room)).map_err(|()| Gone)
    }

    async fn error(
        &mut self,
        code: ErrorCode,
        doc: Option<DocumentId>,
        id: Option<u64>,
        message: String,
    ) -> Result<(), Gone> {
        self.send(Outbound::Frame(error_frame(code, doc, id, message)))
            .await
    }

    async fn serve(&mut self, stream: &mut futures_util::stream::SplitStream<Socket>) {
        let shutdown = self.state.shutdown_token();
        // Keepalive: ping every interval; a peer silent for three intervals (a network
        // that went away without closing) is dropped and catches up when it returns.
        let every = self.state.config().limits.ping_every;
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut heard = tokio::time::Instant::now();
        // A connection that never says Hello holds a socket for nothing.
        let hello_timeout = self.state.config().limits.hello_timeout;
        let hello_deadline = tokio::time::sleep(hello_timeout);
        tokio::pin!(hello_deadline);
        loop {
            tokio::select! {
                biased;
                () = self.conn.kill.cancelled() => return,
                () = shutdown.cancelled() => break,
                () = &mut hello_deadline, if !self.verified => {
                    tracing::debug!(conn = self.conn.id, "no Hello or subscribe in time; dropped");
                    metrics::counter!(m::ERRORS_TOTAL, "code" => "hello_timeout").increment(1);
                    let reason = if self.greeted { "no subscribe in time" } else { "no Hello in time" };
                    let _ = self.send(Outbound::Close(1008, reason)).await;
                    return;
                }
                _ = ping.tick() => {
                    // A peer that keeps taking our queued data is alive even if it says
                    // nothing: its pong waits behind a long catch-up on a slow link.
                    let draining = self.conn.has_queued() && self.progress.idle() < every * 3;
                    if heard.elapsed() >= every * 3 && !draining {
                        tracing::debug!(conn = self.conn.id, "silent for three ping intervals; dropped");
                        let _ = self.send(Outbound::Close(1001, "no answer to pings")).await;
                        return;
                    }
                    if self.send(Outbound::Ping).await.is_err() {
                        return;
                    }
                }
                Some(done) = self.pending.next(), if !self.pending.is_empty() => {
                    if self.send(Outbound::Frame(done)).await.is_err() {
                        return;
                    }
                }
                msg = stream.next(), if self.pending.len() < MAX_IN_FLIGHT => {
                    heard = tokio::time::Instant::now();
                    let keep_going = match msg {
                        None | Some(Ok(Message::Close(_))) => {
                            // The client left: finish its pending writes (they are
                            // durable either way), no one to ack to.
                            return;
                        }
                        Some(Ok(Message::Binary(bytes))) => self.on_binary(&bytes).await,
                        Some(Ok(Message::Text(_))) => {
                            let sent = self
                                .error(ErrorCode::BadFrame, None, None, "frames are binary (postcard), not text".to_owned())
                                .await
                                .is_ok();
                            if !self.greeted {
                                let _ = self.send(Outbound::Close(1002, "expected a Hello frame")).await;
                                return;
                            }
                            sent
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => true,
                        Some(Err(e)) => {
                            tracing::debug!(conn = self.conn.id, error = %e, "websocket read failed");
                            let reason = if self.budget.exhausted() {
                                (1009, "too many bytes before Hello")
                            } else if e.to_string().to_ascii_lowercase().contains("too long")
                                || e.to_string().to_ascii_lowercase().contains("too big")
                                || e.to_string().to_ascii_lowercase().contains("capacity")
                            {
                                (1009, "message too big")
                            } else {
                                (1002, "websocket protocol error")
                            };
                            metrics::counter!(m::ERRORS_TOTAL, "code" => "websocket").increment(1);
                            let _ = self.send(Outbound::Close(reason.0, reason.1)).await;
                            return;
                        }
                    };
                    if !keep_going {
                        return;
                    }
                }
            }
        }
        // Shutting down: stop reading, answer what was already submitted, then close.
        while let Some(done) = self.pending.next().await {
            if self.send(Outbound::Frame(done)).await.is_err() {
                return;
            }
        }
        let _ = self
            .send(Outbound::Close(1001, "relay shutting down"))
            .await;
    }

    /// Handles one binary frame. Returns false when the connection should end.
    async fn on_binary(&mut self, bytes: &[u8]) -> bool {
        metrics::counter!(m::BYTES_RECEIVED_TOTAL).increment(bytes.len() as u64);
        let max = self.state.config().limits.max_frame_bytes;
        let frame = match decode_client(bytes, max) {
            Ok(frame) => frame,
            Err(e) => {
                let sent = self
                    .error(e.code(), None, None, e.to_string())
                    .await
                    .is_ok();
                if !self.greeted {
                    let _ = self
                        .send(Outbound::Close(1002, "expected a Hello frame"))
                        .await;
                    return false;
                }
                return sent;
            }
        };
        if !self.greeted {
            return self.on_hello(&frame).await;
        }
        let result = match frame {
            ClientFrame::Hello { .. } => {
                self.error(
                    ErrorCode::BadFrame,
                    None,
                    None,
                    "Hello was already received".to_owned(),
                )
                .await
            }
            ClientFrame::Subscribe {
                doc,
                since,
                create,
                proof,
            } => {
                if !self.subscribe_bucket.take() {
                    let rate = self.state.config().limits.max_subscribes_per_sec;
                    let message = format!(
                        "subscribe refused: more than {rate} per second on this connection; retry shortly"
                    );
                    self.error(ErrorCode::RateLimited, Some(doc), None, message)
                        .await
                } else if verify_subscribe(&doc, &self.challenge, &proof) {
                    if !self.verified {
                        self.verified = true;
                        self.budget.lift();
                    }
                    self.subscribe(doc, since, create).await
                } else {
                    self.error(
                        ErrorCode::BadSignature,
                        Some(doc),
                        None,
                        "the subscribe proof does not verify for this document and this connection's challenge".to_owned(),
                    )
                    .await
                }
            }
            ClientFrame::Unsubscribe { doc } => {
                self.writable.remove(&doc);
                if let Some(sub) = self.subs.remove(&doc) {
                    self.state.hub().remove(&sub);
                }
                Ok(())
            }
            ClientFrame::Authorize {
                doc,
                write_key,
                proof,
            } => self.authorize(doc, write_key, &proof).await,
            ClientFrame::Push { doc, id, blob } => self.push(doc, id, blob).await,
            ClientFrame::Snapshot { doc, covers, blob } => self.snapshot(doc, covers, blob).await,
            ClientFrame::Ephemeral { doc, blob } => self.ephemeral(doc, blob).await,
            ClientFrame::Rotate {
                doc,
                id,
                to,
                write_key,
                proof,
                rotation,
                first,
            } => {
                self.rotate(
                    doc,
                    id,
                    Successor {
                        doc: to,
                        write_key,
                        first,
                    },
                    &proof,
                    rotation,
                )
                .await
            }
        };
        result.is_ok()
    }

    async fn on_hello(&mut self, frame: &ClientFrame) -> bool {
        match frame {
            ClientFrame::Hello { version } if *version == PROTOCOL_VERSION => {
                self.greeted = true;
                true
            }
            ClientFrame::Hello { version } => {
                let _ = self
                    .error(
                        ErrorCode::UnsupportedVersion,
                        None,
                        None,
                        format!(
                            "this relay speaks protocol version {PROTOCOL_VERSION} and the client speaks {version}; update the older of the two"
                        ),
                    )
                    .await;
                let _ = self
                    .send(Outbound::Close(
                        close_code::UNSUPPORTED_VERSION,
                        "unsupported protocol version",
                    ))
                    .await;
                false
            }
            _ => {
                let _ = self
                    .error(
                        ErrorCode::BadFrame,
                        None,
                        None,
                        "the first frame must be Hello".to_owned(),
                    )
                    .await;
                let _ = self
                    .send(Outbound::Close(1002, "expected a Hello frame"))
                    .await;
                false
            }
        }
    }

    async fn subscribe(&mut self, doc: DocumentId, since: u64, create: bool) -> Result<(), Gone> {
        let limits = &self.state.config().limits;
        if !self.subs.contains_key(&doc) && self.subs.len() >= limits.max_subscriptions {
            let message = format!(
                "at most {} subscriptions per connection",
                limits.max_subscriptions
            );
            return self
                .error(ErrorCode::TooManySubscriptions, Some(doc), None, message)
                .await;
        }
        let store = Arc::clone(self.state.store());
        let (exists, moved_to) = match store.head(doc).await {
            Ok(head) => (head.is_some(), head.and_then(|h| h.moved_to)),
            Err(e) => return self.internal(Some(doc), None, &e).await,
        };
        if !exists {
            if !create {
                let message =
                    "the relay does not have this document (share it to create it)".to_owned();
                return self
                    .error(ErrorCode::UnknownDocument, Some(doc), None, message)
                    .await;
            }
            let created_by = match self.may_create(&doc).await {
                Ok(created_by) => created_by,
                Err(Refusal::Unauthorized(message)) => {
                    return self
                        .error(ErrorCode::Unauthorized, Some(doc), None, message)
                        .await;
                }
                Err(Refusal::Store(e)) => return self.internal(Some(doc), None, &e).await,
            };
            if let Err(e) = store.create(doc, created_by).await {
                return self.internal(Some(doc), None, &e).await;
            }
            // A listed document's write key is known: registered now, before anyone
            // could present another.
            if let Some(key) = self
                .state
                .config()
                .only_documents
                .as_ref()
                .and_then(|only| only.write_key(&doc))
                && let Err(e) = store.register_write_key(doc, key).await
            {
                return self.internal(Some(doc), None, &e).await;
            }
            metrics::counter!(m::DOCUMENTS_CREATED_TOTAL).increment(1);
        }

        // Register first, then read: an entry committed meanwhile is either in what we
        // read or parked for us (or both; the writer skips what it already sent).
        // A resubscribe replaces the old subscription in one step, so a rollback can
        // never fall between them (and miss this connection).
        let old = self.subs.remove(&doc);
        let sub = Arc::new(Subscription::new(doc, Arc::clone(&self.conn)));
        self.state.hub().add(Arc::clone(&sub), old.as_ref());
        self.subs.insert(doc, Arc::clone(&sub));

        let mut cursor = since;
        let head = loop {
            let page = match store.read_page(doc, cursor, CATCH_UP_PAGE_BYTES).await {
                Ok(page) => page,
                Err(e) => {
                    if let Some(sub) = self.subs.remove(&doc) {
                        self.state.hub().remove(&sub);
                    }
                    return self.internal(Some(doc), None, &e).await;
                }
            };
            let last = page.last_seq();
            if let Some((seq, blob)) = page.snapshot {
                self.send(Outbound::Frame(frame(&ServerFrame::Snapshot {
                    doc,
                    seq,
                    blob,
                })))
                .await?;
            }
            for (seq, blob) in page.entries {
                self.send(Outbound::Frame(frame(&ServerFrame::Entry {
                    doc,
                    seq,
                    blob,
                })))
                .await?;
            }
            match last {
                Some(last) if last < page.head => cursor = last,
                _ => break page.head,
            }
        };
        metrics::counter!(m::SUBSCRIBES_TOTAL).increment(1);
        let subscribed = frame(&ServerFrame::Subscribed { doc, head });
        self.send(Outbound::CatchUpDone {
            sub,
            head,
            subscribed,
        })
        .await?;
        if let Some(to) = moved_to {
            // Sealed: the log ends in its rotation, which says how to follow.
            self.send(Outbound::Frame(frame(&ServerFrame::Moved { doc, to })))
                .await?;
        }
        Ok(())
    }

    /// Whether this connection may create a document, and under which token name.
    async fn may_create(&mut self, doc: &DocumentId) -> Result<Option<String>, Refusal> {
        if let Some(only) = &self.state.config().only_documents
            && !only.contains(doc)
        {
            return Err(Refusal::Unauthorized(
                "this relay runs in a Samspill app on the local network and keeps only the projects that app shares".to_owned(),
            ));
        }
        let token = match self.presented {
            Presented::Token(hash) => self
                .state
                .store()
                .token_name(hash)
                .await
                .map_err(Refusal::Store)?,
            Presented::None | Presented::Malformed => None,
        };
        match (self.state.config().access, token, self.presented) {
            (Access::Open, token, _) => Ok(token),
            (Access::TokenToCreate, Some(name), _) => Ok(Some(name)),
            (Access::TokenToCreate, None, Presented::None) => Err(Refusal::Unauthorized(
                "creating a document on this relay needs a token (Authorization: Bearer ...); ask the relay's operator for one".to_owned(),
            )),
            (Access::TokenToCreate, None, _) => Err(Refusal::Unauthorized(
                "the token is unknown, revoked or malformed; ask the relay's operator for a new one".to_owned(),
            )),
        }
    }

    async fn internal(
        &mut self,
        doc: Option<DocumentId>,
        id: Option<u64>,
        e: &StoreError,
    ) -> Result<(), Gone> {
        tracing::error!(conn = self.conn.id, error = %e, "storage failed");
        self.error(
            ErrorCode::Internal,
            doc,
            id,
            "the relay could not read or write its storage; retry later".to_owned(),
        )
        .await
    }

    /// Checks the rate limit and the subscription for a write-like frame.
    async fn admit(&mut self, doc: DocumentId, id: Option<u64>, what: &str) -> Result<bool, Gone> {
        if !self.bucket.take() {
            let rate = self.state.config().limits.max_pushes_per_sec;
            let message = format!(
                "{what} refused: more than {rate} per second on this connection; retry shortly"
            );
            self.error(ErrorCode::RateLimited, Some(doc), id, message)
                .await?;
            return Ok(false);
        }
        if !self.subs.contains_key(&doc) {
            let message = format!("{what} refused: subscribe to the document first");
            self.error(ErrorCode::NotSubscribed, Some(doc), id, message)
                .await?;
            return Ok(false);
        }
        Ok(true)
    }

    /// Checks a write proof; the first one for a document registers its write key.
    async fn authorize(
        &mut self,
        doc: DocumentId,
        write_key: [u8; 32],
        proof: &Signature64,
    ) -> Result<(), Gone> {
        if self.writable.contains_key(&doc) {
            return self
                .send(Outbound::Frame(frame(&ServerFrame::Authorized { doc })))
                .await;
        }
        // Each proof costs a signature check and a storage write: limited like subscribes.
        if !self.subscribe_bucket.take() {
            let rate = self.state.config().limits.max_subscribes_per_sec;
            let message = format!(
                "authorize refused: more than {rate} subscribes and authorizes per second on this connection; retry shortly"
            );
            return self
                .error(ErrorCode::RateLimited, Some(doc), None, message)
                .await;
        }
        if !self.subs.contains_key(&doc) {
            let message = "authorize refused: subscribe to the document first".to_owned();
            return self
                .error(ErrorCode::NotSubscribed, Some(doc), None, message)
                .await;
        }
        let verifier = WriteVerifier::new(&write_key);
        let Some(verifier) =
            verifier.filter(|_| verify_authorize(&doc, &write_key, &self.challenge, proof))
        else {
            let message =
                "the write proof does not verify for this document and this connection's challenge"
                    .to_owned();
            return self
                .error(ErrorCode::BadSignature, Some(doc), None, message)
                .await;
        };
        let stored = match self.state.store().register_write_key(doc, write_key).await {
            Ok(stored) => stored,
            Err(e) => return self.internal(Some(doc), None, &e).await,
        };
        if stored != write_key {
            let message = "this is not the document's write key: the relay accepts writes only from editors of the project".to_owned();
            return self
                .error(ErrorCode::BadSignature, Some(doc), None, message)
                .await;
        }
        self.writable.insert(doc, verifier);
        self.send(Outbound::Frame(frame(&ServerFrame::Authorized { doc })))
            .await
    }

    /// Refuses a write-like frame on a document this connection may only read, or one
    /// whose blob is not signed with the document's write key (see [`Signed`]).
    async fn may_write(
        &mut self,
        doc: DocumentId,
        id: Option<u64>,
        what: &str,
        signed: Signed<'_>,
    ) -> Result<bool, Gone> {
        let Some(verifier) = self.writable.get(&doc) else {
            let message = format!(
                "{what} refused: this connection may only read the document (a viewer's link cannot write; an editor's client proves write access with Authorize first)"
            );
            self.error(ErrorCode::ReadOnly, Some(doc), id, message)
                .await?;
            return Ok(false);
        };
        let ok = match signed {
            Signed::Entry(blob) => verifier.entry(&doc, blob),
            Signed::Snapshot(covers, blob) => verifier.snapshot(&doc, covers, blob),
        };
        if !ok {
            let message = format!(
                "{what} refused: not signed with the document's write key (the relay stores only what an editor signed)"
            );
            self.error(ErrorCode::BadSignature, Some(doc), id, message)
                .await?;
            return Ok(false);
        }
        Ok(true)
    }

    async fn push(&mut self, doc: DocumentId, id: u64, blob: Vec<u8>) -> Result<(), Gone> {
        if !self.admit(doc, Some(id), "push").await? {
            return Ok(());
        }
        if blob.is_empty() {
            return self
                .error(
                    ErrorCode::BadFrame,
                    Some(doc),
                    Some(id),
                    "an entry cannot be empty".to_owned(),
                )
                .await;
        }
        if !self
            .may_write(doc, Some(id), "push", Signed::Entry(&blob))
            .await?
        {
            return Ok(());
        }
        let append = self.state.store().append(doc, self.conn.id, blob);
        let conn = self.conn.id;
        self.pending.push_back(Box::pin(async move {
            match append.await {
                Ok(seq) => {
                    metrics::counter!(m::PUSHES_TOTAL).increment(1);
                    frame(&ServerFrame::Ack { doc, id, seq })
                }
                Err(StoreError::Moved(to)) => moved_error(doc, Some(id), to),
                Err(e) => {
                    tracing::error!(conn, error = %e, "append failed");
                    error_frame(
                        ErrorCode::Internal,
                        Some(doc),
                        Some(id),
                        "the entry was not stored; push it again".to_owned(),
                    )
                }
            }
        }));
        Ok(())
    }

    async fn snapshot(&mut self, doc: DocumentId, covers: u64, blob: Vec<u8>) -> Result<(), Gone> {
        if !self.admit(doc, None, "snapshot").await?
            || !self
                .may_write(doc, None, "snapshot", Signed::Snapshot(covers, &blob))
                .await?
        {
            return Ok(());
        }
        let put = self.state.store().put_snapshot(doc, covers, blob);
        let conn = self.conn.id;
        self.pending.push_back(Box::pin(async move {
            match put.await {
                Ok(()) => {
                    metrics::counter!(m::SNAPSHOTS_TOTAL).increment(1);
                    frame(&ServerFrame::SnapshotAck { doc, covers })
                }
                Err(e @ StoreError::BadSnapshot { .. }) => {
                    error_frame(ErrorCode::BadSnapshot, Some(doc), None, e.to_string())
                }
                Err(StoreError::Moved(to)) => moved_error(doc, None, to),
                Err(e) => {
                    tracing::error!(conn, error = %e, "snapshot failed");
                    error_frame(
                        ErrorCode::Internal,
                        Some(doc),
                        None,
                        "the snapshot was not stored; retry later".to_owned(),
                    )
                }
            }
        }));
        Ok(())
    }

    /// A new epoch: checks write access to `doc` and the successor's write proof, then
    /// stores the rotation and the successor in one step (no token: the successor of
    /// a document this connection may write). The connection may write `to` after.
    async fn rotate(
        &mut self,
        doc: DocumentId,
        id: u64,
        to: Successor,
        proof: &Signature64,
        rotation: Vec<u8>,
    ) -> Result<(), Gone> {
        if !self.admit(doc, Some(id), "rotate").await? {
            return Ok(());
        }
        if rotation.is_empty() || to.first.is_empty() {
            let message = "a rotation and the successor's first entry cannot be empty".to_owned();
            return self
                .error(ErrorCode::BadFrame, Some(doc), Some(id), message)
                .await;
        }
        if !self
            .may_write(doc, Some(id), "rotate", Signed::Entry(&rotation))
            .await?
        {
            return Ok(());
        }
        if self.state.config().only_documents.is_some() {
            // It would create a document its device does not share; removals happen
            // on the project's own relay.
            let message = "this relay runs in a Samspill app on the local network and takes no rotations; remove people through the project's relay".to_owned();
            return self
                .error(ErrorCode::Unauthorized, Some(doc), Some(id), message)
                .await;
        }
        // Proof checks and a document creation: limited like subscribes.
        if !self.subscribe_bucket.take() {
            let message = "rotate refused: too many subscribes and authorizes per second on this connection; retry shortly".to_owned();
            return self
                .error(ErrorCode::RateLimited, Some(doc), Some(id), message)
                .await;
        }
        let successor_key = WriteVerifier::new(&to.write_key)
            .filter(|_| verify_authorize(&to.doc, &to.write_key, &self.challenge, proof));
        let Some(successor_key) = successor_key else {
            let message =
                "the successor's write proof does not verify for it and this connection's challenge"
                    .to_owned();
            return self
                .error(ErrorCode::BadSignature, Some(doc), Some(id), message)
                .await;
        };
        if !successor_key.entry(&to.doc, &to.first) {
            let message =
                "the successor's first entry is not signed with the successor's write key"
                    .to_owned();
            return self
                .error(ErrorCode::BadSignature, Some(doc), Some(id), message)
                .await;
        }
        let store = Arc::clone(self.state.store());
        match store.head(to.doc).await {
            Ok(None) => {}
            Ok(Some(_)) => {
                let message = "the successor already exists on this relay".to_owned();
                return self
                    .error(ErrorCode::BadFrame, Some(doc), Some(id), message)
                    .await;
            }
            Err(e) => return self.internal(Some(doc), Some(id), &e).await,
        }
        let successor = to.doc;
        match store.rotate(doc, self.conn.id, rotation, to).await {
            Ok(seq) => {
                metrics::counter!(m::DOCUMENTS_CREATED_TOTAL).increment(1);
                tracing::info!(conn = self.conn.id, "a document was rotated to a successor");
                self.writable.insert(successor, successor_key);
                self.send(Outbound::Frame(frame(&ServerFrame::Ack { doc, id, seq })))
                    .await?;
                let moved = frame(&ServerFrame::Moved { doc, to: successor });
                self.state.hub().ephemeral(&doc, self.conn.id, &moved);
                self.send(Outbound::Frame(moved)).await
            }
            Err(StoreError::Moved(to)) => {
                self.send(Outbound::Frame(moved_error(doc, Some(id), to)))
                    .await
            }
            Err(e @ StoreError::Exists(_)) => {
                self.error(ErrorCode::BadFrame, Some(doc), Some(id), e.to_string())
                    .await
            }
            Err(e) => self.internal(Some(doc), Some(id), &e).await,
        }
    }

    async fn ephemeral(&mut self, doc: DocumentId, blob: Vec<u8>) -> Result<(), Gone> {
        if !self.admit(doc, None, "ephemeral frame").await? {
            return Ok(());
        }
        metrics::counter!(m::EPHEMERAL_TOTAL).increment(1);
        self.state.store().publish_ephemeral(doc, &blob);
        let out = frame(&ServerFrame::Ephemeral { doc, blob });
        self.state.hub().ephemeral(&doc, self.conn.id, &out);
        Ok(())
    }
}

enum Refusal {
    Unauthorized(String),
    Store(StoreError),
}

fn moved_error(doc: DocumentId, id: Option<u64>, to: DocumentId) -> Bytes {
    error_frame(
        ErrorCode::Moved,
        Some(doc),
        id,
        format!(
            "the document is sealed: it moved to {to} when someone was removed; follow its last entry"
        ),
    )
}

/// Drains the connection's queue into the socket.
///
/// Each queued message keeps its room in the send buffer until it is written. A write
/// that takes longer than `write_timeout` (the peer stopped reading and the socket's
/// buffers are full) disconnects the client as too slow.
async fn write_loop(
    mut sink: SplitSink<Socket, Message>,
    mut rx: mpsc::UnboundedReceiver<Queued>,
    conn: Arc<Conn>,
    write_timeout: Duration,
    progress: Progress,
) {
    loop {
        let queued = tokio::select! {
            biased;
            () = conn.kill.cancelled() => break,
            queued = rx.recv() => match queued {
                Some(queued) => queued,
                None => return,
            },
        };
        // Parked entries carry their own room; it is given back when this batch is out.
        let mut parked_room = Vec::new();
        let frames: Vec<Message> = match queued.msg {
            Outbound::Frame(bytes) => vec![Message::Binary(bytes)],
            Outbound::Live { sub, seq, frame } => {
                let mut mode = sub.mode();
                match &mut *mode {
                    Mode::Live { last } if seq > *last => {
                        *last = seq;
                        vec![Message::Binary(frame)]
                    }
                    _ => Vec::new(),
                }
            }
            Outbound::IfLive { sub, frame } => {
                if matches!(*sub.mode(), Mode::Live { .. }) {
                    vec![Message::Binary(frame)]
                } else {
                    Vec::new()
                }
            }
            Outbound::CatchUpDone {
                sub,
                head,
                subscribed,
            } => {
                let mut mode = sub.mode();
                let parked = match std::mem::replace(&mut *mode, Mode::Live { last: head }) {
                    Mode::CatchingUp(parked) => parked,
                    Mode::Closed => {
                        *mode = Mode::Closed;
                        continue;
                    }
                    Mode::Live { .. } => Vec::new(),
                };
                let mut out = vec![Message::Binary(subscribed)];
                let mut last = head;
                for (seq, frame, room) in parked {
                    if seq > last {
                        last = seq;
                        out.push(Message::Binary(frame));
                    }
                    parked_room.push(room);
                }
                *mode = Mode::Live { last };
                out
            }
            Outbound::Close(code, reason) => {
                close(&mut sink, code, reason).await;
                return;
            }
            Outbound::Ping => vec![Message::Ping(Bytes::new())],
        };
        for message in frames {
            let len = message.len() as u64;
            let sent = write(&mut sink, message, &conn, write_timeout, &progress).await;
            match sent {
                Written::Done => metrics::counter!(m::BYTES_SENT_TOTAL).increment(len),
                Written::Failed => {
                    // The peer is gone; the handler notices on its side.
                    conn.kill.cancel();
                    return;
                }
                Written::TimedOut => {
                    conn.too_slow();
                    break;
                }
                Written::Killed => break,
            }
        }
        drop(parked_room);
        if conn.kill.is_cancelled() {
            break;
        }
    }
    if let Some((code, reason)) = conn.kill_reason() {
        close(&mut sink, code, reason).await;
    }
}

enum Written {
    Done,
    Failed,
    TimedOut,
    Killed,
}

/// Writes one message; `TimedOut` only when the socket took no bytes for
/// `write_timeout` (a large frame on a slow link is fine as long as it moves).
async fn write(
    sink: &mut SplitSink<Socket, Message>,
    message: Message,
    conn: &Conn,
    write_timeout: Duration,
    progress: &Progress,
) -> Written {
    progress.touch();
    let send = sink.send(message);
    tokio::pin!(send);
    loop {
        let stalled_in = write_timeout.saturating_sub(progress.idle());
        tokio::select! {
            biased;
            () = conn.kill.cancelled() => return Written::Killed,
            r = &mut send => return if r.is_ok() { Written::Done } else { Written::Failed },
            () = tokio::time::sleep(stalled_in.max(Duration::from_millis(50))) => {
                if progress.idle() >= write_timeout {
                    return Written::TimedOut;
                }
            }
        }
    }
}

async fn close(sink: &mut SplitSink<Socket, Message>, code: u16, reason: &'static str) {
    let frame = Message::Close(Some(CloseFrame {
        code: code.into(),
        reason: Utf8Bytes::from_static(reason),
    }));
    // The peer may be stalled or gone: give the close a moment, then drop the socket.
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.send(frame)).await;
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.close()).await;
}
