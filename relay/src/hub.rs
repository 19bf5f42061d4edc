//! Fan-out: who is subscribed to which document, and handing them new entries.
//!
//! The hub holds, per document, its set of subscribers and the entries forwarded but not
//! yet durable (early forwarding; dropped at the commit): no log. Each subscription is
//! in one of three modes:
//!
//! - **catching up**: the connection is still sending the log from the store; live
//!   entries for it are parked, taking room in the connection's send buffer;
//! - **live**: entries go straight onto the connection's send queue;
//! - **closed**: unsubscribed; anything still queued for it is dropped.
//!
//! In every mode the connection's send buffer is bounded in bytes (`--send-buffer-bytes`):
//! an entry that finds no room means the client does not keep up, and it is disconnected
//! (it catches up from the log when it returns) rather than allowed to grow the relay's
//! memory.
//!
//! Entries arrive through [`CommitListener`] as the store numbers them (on the pushing
//! connection's own task, before the commit), in sequence order per document, which
//! keeps every subscriber's stream in sequence. The
//! connection's writer task switches a subscription from catching up to live (see
//! `ws.rs`) and skips entries it has already sent during catch-up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use axum::body::Bytes;
use samspill_shared::crypto::DocumentId;
use samspill_shared::protocol::{ServerFrame, close_code, encode_server};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use crate::metrics as m;
use crate::store::{CommitListener, Committed};

/// What a connection's writer task sends, in queue order.
pub(crate) enum Outbound {
    /// A frame from the connection's own handler (hello, acks, errors, catch-up).
    Frame(Bytes),
    /// A live entry; sent only if the subscription is live and has not sent `seq` yet.
    Live {
        sub: Arc<Subscription>,
        seq: u64,
        frame: Bytes,
    },
    /// A presence or `Durable` frame; sent only if the subscription is live (a
    /// catching-up one learns the same from its `Subscribed`).
    IfLive {
        sub: Arc<Subscription>,
        frame: Bytes,
    },
    /// Catch-up is sent up to `head`: send `subscribed`, then switch to live.
    CatchUpDone {
        sub: Arc<Subscription>,
        head: u64,
        subscribed: Bytes,
    },
    /// Close the websocket with this code and reason after what is queued before it.
    Close(u16, &'static str),
    /// A websocket ping (keepalive).
    Ping,
}

impl Outbound {
    /// The bytes this message takes in the connection's send buffer.
    pub(crate) fn cost(&self) -> usize {
        match self {
            Self::Frame(bytes) => bytes.len(),
            Self::Live { frame, .. } | Self::IfLive { frame, .. } => frame.len(),
            Self::CatchUpDone { subscribed, .. } => subscribed.len(),
            Self::Close(..) | Self::Ping => 0,
        }
    }
}

/// A message on a connection's queue with the room it holds in the send buffer; the
/// room is given back when the writer has written it (or drops it).
pub(crate) struct Queued {
    pub msg: Outbound,
    _room: Option<OwnedSemaphorePermit>,
}

/// Room in a connection's send buffer, taken before a message is queued.
pub(crate) type Room = OwnedSemaphorePermit;

/// One connection, as the hub sees it.
///
/// Its queue is unbounded in messages but bounded in bytes: every message first takes
/// its size from a semaphore, and the writer gives it back once the bytes are on the
/// socket. `send_buffer_bytes` is split in two halves, so neither side can starve the
/// other: the connection's own handler (catch-up pages, acks, errors) waits for room in
/// its half as long as the socket makes progress; live and parked entries take room in
/// the other half, and finding none means the client is too slow.
pub(crate) struct Conn {
    pub id: u64,
    tx: mpsc::UnboundedSender<Queued>,
    /// The handler's half.
    own_room: Arc<Semaphore>,
    /// The live half (entries from others, presence).
    live_room: Arc<Semaphore>,
    /// Permits in each half.
    capacity: usize,
    /// Cancelled to drop the connection at once (too slow).
    pub kill: CancellationToken,
    kill_reason: OnceLock<(u16, &'static str)>,
}

impl Conn {
    /// A connection whose queue holds at most `capacity` bytes, and its receiving end.
    pub fn new(id: u64, capacity: usize) -> (Self, mpsc::UnboundedReceiver<Queued>) {
        let capacity = (capacity / 2).clamp(1, u32::MAX as usize);
        let (tx, rx) = mpsc::unbounded_channel();
        let conn = Self {
            id,
            tx,
            own_room: Arc::new(Semaphore::new(capacity)),
            live_room: Arc::new(Semaphore::new(capacity)),
            capacity,
            kill: CancellationToken::new(),
            kill_reason: OnceLock::new(),
        };
        (conn, rx)
    }

    /// Permits for `bytes`: a message larger than the whole buffer takes all of it.
    fn permits(&self, bytes: usize) -> u32 {
        // `capacity` is at most u32::MAX (see `new`).
        u32::try_from(bytes.min(self.capacity)).unwrap_or(u32::MAX)
    }

    /// Room for a live message of `bytes` if the live half has it now.
    pub fn try_room(&self, bytes: usize) -> Option<Room> {
        Arc::clone(&self.live_room)
            .try_acquire_many_owned(self.permits(bytes))
            .ok()
    }

    /// Waits for room for one of the handler's messages of `bytes`; `None` when the
    /// connection is being dropped.
    pub async fn room(&self, bytes: usize) -> Option<Room> {
        Arc::clone(&self.own_room)
            .acquire_many_owned(self.permits(bytes))
            .await
            .ok()
    }

    /// Whether anything is queued or being written.
    pub fn has_queued(&self) -> bool {
        self.own_room.available_permits() < self.capacity
            || self.live_room.available_permits() < self.capacity
    }

    /// Puts a message whose room is already taken on the queue.
    pub fn queue(&self, msg: Outbound, room: Option<Room>) -> Result<(), ()> {
        self.tx.send(Queued { msg, _room: room }).map_err(|_| ())
    }

    /// Disconnects a client that does not keep up.
    pub fn too_slow(&self) {
        if self
            .kill_reason
            .set((
                close_code::TOO_SLOW,
                "too slow: reconnect and catch up with since",
            ))
            .is_ok()
        {
            tracing::info!(
                conn = self.id,
                "disconnecting a client that does not keep up"
            );
            metrics::counter!(m::SLOW_DISCONNECTS_TOTAL).increment(1);
        }
        self.kill.cancel();
        // Wake a handler waiting for room.
        self.own_room.close();
        self.live_room.close();
    }

    /// Disconnects a client that received entries the relay then rolled back.
    pub fn must_resubscribe(&self) {
        self.resubscribe(
            "entries were rolled back: resubscribe from what is durable",
            "disconnecting a client after a rollback",
        );
    }

    /// Disconnects a client whose stream would skip entries (the relay lost track of a
    /// document's fan-out, as when another node's notices were missed): it resubscribes
    /// from what it holds, so nothing is skipped.
    pub fn missed_entries(&self) {
        self.resubscribe(
            "entries were missed: resubscribe from what you hold",
            "disconnecting a client whose stream would skip entries",
        );
    }

    fn resubscribe(&self, reason: &'static str, log: &'static str) {
        if self
            .kill_reason
            .set((close_code::RESUBSCRIBE, reason))
            .is_ok()
        {
            tracing::info!(conn = self.id, "{log}");
            metrics::counter!(m::RESUBSCRIBES_ASKED_TOTAL).increment(1);
        }
        self.kill.cancel();
        self.own_room.close();
        self.live_room.close();
    }

    pub fn kill_reason(&self) -> Option<(u16, &'static str)> {
        self.kill_reason.get().copied()
    }

    /// Queues a live message if there is room; no room means the client is too slow.
    fn offer(&self, msg: Outbound) {
        match self.try_room(msg.cost()) {
            // A closed queue: the connection is ending; nothing to deliver to.
            Some(room) => {
                let _ = self.queue(msg, Some(room));
            }
            None => self.too_slow(),
        }
    }
}

/// A live entry parked while its subscription catches up, with its room.
pub(crate) type Parked = (u64, Bytes, Room);

pub(crate) enum Mode {
    CatchingUp(Vec<Parked>),
    Live { last: u64 },
    Closed,
}

/// A connection's subscription to one document.
pub(crate) struct Subscription {
    pub doc: DocumentId,
    pub conn: Arc<Conn>,
    mode: Mutex<Mode>,
}

impl Subscription {
    pub fn new(doc: DocumentId, conn: Arc<Conn>) -> Self {
        Self {
            doc,
            conn,
            mode: Mutex::new(Mode::CatchingUp(Vec::new())),
        }
    }

    /// The mode lock. A panic while holding it cannot leave the mode half-changed (every
    /// change is one assignment), so a poisoned lock is used as is.
    pub fn mode(&self) -> MutexGuard<'_, Mode> {
        self.mode
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn offer_live(self: &Arc<Self>, seq: u64, frame: &Bytes) {
        let mut mode = self.mode();
        match &mut *mode {
            Mode::CatchingUp(parked) => match self.conn.try_room(frame.len()) {
                Some(room) => parked.push((seq, frame.clone(), room)),
                None => {
                    drop(mode);
                    self.conn.too_slow();
                }
            },
            Mode::Live { .. } => {
                drop(mode);
                self.conn.offer(Outbound::Live {
                    sub: Arc::clone(self),
                    seq,
                    frame: frame.clone(),
                });
            }
            Mode::Closed => {}
        }
    }

    /// Presence and `Durable` are best effort: with no room in the buffer they are
    /// dropped, not a reason to disconnect (a later `Durable` says as much).
    fn offer_if_live(self: &Arc<Self>, frame: &Bytes) {
        if matches!(*self.mode(), Mode::Live { .. })
            && let Some(room) = self.conn.try_room(frame.len())
        {
            let _ = self.conn.queue(
                Outbound::IfLive {
                    sub: Arc::clone(self),
                    frame: frame.clone(),
                },
                Some(room),
            );
        }
    }

    pub fn close(&self) {
        *self.mode() = Mode::Closed;
    }
}

/// One document as the hub sees it.
#[derive(Default)]
struct DocSubs {
    subs: Vec<Arc<Subscription>>,
    /// Entries forwarded and not yet durable: `(seq, origin, frame)`. A subscriber that
    /// registers now may read the store before their commit, so it gets these parked.
    inflight: Vec<(u64, u64, Bytes)>,
}

/// Subscribers per document.
#[derive(Default)]
pub struct Hub {
    docs: Mutex<HashMap<DocumentId, DocSubs>>,
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    fn docs(&self) -> MutexGuard<'_, HashMap<DocumentId, DocSubs>> {
        // Every change under this lock is a single push/retain/remove; a panic elsewhere
        // cannot leave the map inconsistent.
        self.docs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn subscribers(&self, doc: &DocumentId) -> Vec<Arc<Subscription>> {
        self.docs()
            .get(doc)
            .map(|d| d.subs.clone())
            .unwrap_or_default()
    }

    /// Registers a subscription (catching up), with the document's in-flight entries
    /// parked for it, replacing `old` (the same connection's earlier subscription) in
    /// the same step.
    pub(crate) fn add(&self, sub: Arc<Subscription>, old: Option<&Arc<Subscription>>) {
        let mut docs = self.docs();
        let d = docs.entry(sub.doc).or_default();
        if let Some(old) = old {
            old.close();
            let before = d.subs.len();
            d.subs.retain(|s| !Arc::ptr_eq(s, old));
            if d.subs.len() < before {
                metrics::gauge!(m::SUBSCRIPTIONS).decrement(1.0);
            }
        }
        for (seq, origin, frame) in &d.inflight {
            if *origin != sub.conn.id {
                sub.offer_live(*seq, frame);
            }
        }
        d.subs.push(sub);
        metrics::gauge!(m::SUBSCRIPTIONS).increment(1.0);
    }

    pub(crate) fn remove(&self, sub: &Arc<Subscription>) {
        sub.close();
        let mut docs = self.docs();
        if let Some(d) = docs.get_mut(&sub.doc) {
            let before = d.subs.len();
            d.subs.retain(|s| !Arc::ptr_eq(s, sub));
            if d.subs.len() < before {
                metrics::gauge!(m::SUBSCRIPTIONS).decrement(1.0);
            }
            if d.subs.is_empty() && d.inflight.is_empty() {
                docs.remove(&sub.doc);
            }
        }
    }

    /// Forwards an ephemeral frame to every live subscriber of `doc` but the sender.
    pub(crate) fn ephemeral(&self, doc: &DocumentId, from: u64, frame: &Bytes) {
        for sub in self.subscribers(doc) {
            if sub.conn.id != from {
                sub.offer_if_live(frame);
            }
        }
    }

    /// How many connections are subscribed to `doc` (for tests and diagnostics).
    pub fn subscriber_count(&self, doc: &DocumentId) -> usize {
        self.docs().get(doc).map_or(0, |d| d.subs.len())
    }

    /// Documents with subscribers or entries in flight (for tests and diagnostics).
    pub fn active_documents(&self) -> usize {
        self.docs().len()
    }
}

impl CommitListener for Hub {
    fn sequenced(&self, entries: &[Committed<'_>]) {
        for entry in entries {
            let frame = Bytes::from(encode_server(&ServerFrame::Entry {
                doc: entry.doc,
                seq: entry.seq,
                blob: entry.blob.to_vec(),
            }));
            // Kept (and the subscribers read) under the lock, so one registering now
            // either gets it parked from `inflight` or is in `subs`.
            let subs = {
                let mut docs = self.docs();
                let d = docs.entry(entry.doc).or_default();
                d.inflight.push((entry.seq, entry.origin, frame.clone()));
                d.subs.clone()
            };
            for sub in subs {
                if sub.conn.id != entry.origin {
                    sub.offer_live(entry.seq, &frame);
                }
            }
        }
    }

    fn durable(&self, docs: &[(DocumentId, u64)]) {
        for &(doc, upto) in docs {
            let subs = {
                let mut all = self.docs();
                let Some(d) = all.get_mut(&doc) else { continue };
                d.inflight.retain(|(seq, _, _)| *seq > upto);
                let subs = d.subs.clone();
                if d.subs.is_empty() && d.inflight.is_empty() {
                    all.remove(&doc);
                }
                subs
            };
            if subs.is_empty() {
                continue;
            }
            // True at any point of the stream, so it goes to catching-up subscriptions
            // too (with no room it is dropped: a later one says as much).
            let frame = Bytes::from(encode_server(&ServerFrame::Durable { doc, upto }));
            for sub in subs {
                if let Some(room) = sub.conn.try_room(frame.len()) {
                    let _ = sub.conn.queue(Outbound::Frame(frame.clone()), Some(room));
                }
            }
        }
    }

    fn is_watched(&self, doc: &DocumentId) -> bool {
        self.docs().get(doc).is_some_and(|d| !d.subs.is_empty())
    }

    fn lost_track(&self) {
        let subs: Vec<Arc<Subscription>> = {
            let mut all = self.docs();
            // Every subscriber is closed, so the order does not matter.
            #[allow(clippy::iter_over_hash_type)]
            for d in all.values_mut() {
                d.inflight.clear();
            }
            #[allow(clippy::iter_over_hash_type)]
            let subs = all.values().flat_map(|d| d.subs.iter().cloned()).collect();
            subs
        };
        for sub in subs {
            sub.conn.missed_entries();
        }
    }

    fn remote_ephemeral(&self, doc: DocumentId, blob: Vec<u8>) {
        let frame = Bytes::from(encode_server(&ServerFrame::Ephemeral { doc, blob }));
        // No connection here sent it (connection ids start at 1).
        self.ephemeral(&doc, 0, &frame);
    }

    fn rolled_back(&self, docs: &[DocumentId]) {
        for doc in docs {
            let subs = {
                let mut all = self.docs();
                let Some(d) = all.get_mut(doc) else { continue };
                d.inflight.clear();
                let subs = d.subs.clone();
                if d.subs.is_empty() {
                    all.remove(doc);
                }
                subs
            };
            for sub in subs {
                sub.conn.must_resubscribe();
            }
        }
    }
}
