//! Fan-out: who is subscribed to which document, and handing them new entries.
//!
//! The hub holds, per document, only its set of subscribers: no contents, no log. Each
//! subscription is in one of three modes:
//!
//! - **catching up**: the connection is still sending the log from the store; live
//!   entries for it are parked in a small buffer (bounded; overflowing it is "too slow");
//! - **live**: entries go straight onto the connection's bounded send queue; a full queue
//!   means the client does not keep up, and it is disconnected (it catches up from the
//!   log when it returns) rather than allowed to grow the relay's memory;
//! - **closed**: unsubscribed; anything still queued for it is dropped.
//!
//! Entries arrive through [`CommitListener`] on the store's writer thread, one batch at a
//! time in commit order, which keeps every subscriber's stream in sequence. The
//! connection's writer task switches a subscription from catching up to live (see
//! `ws.rs`) and skips entries it has already sent during catch-up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use axum::body::Bytes;
use samspill_shared::crypto::DocumentId;
use samspill_shared::protocol::{ServerFrame, close_code, encode_server};
use tokio::sync::mpsc;
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
    /// An ephemeral frame; sent only if the subscription is live.
    Ephemeral {
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

/// One connection, as the hub sees it.
pub(crate) struct Conn {
    pub id: u64,
    pub tx: mpsc::Sender<Outbound>,
    /// Cancelled to drop the connection at once (too slow).
    pub kill: CancellationToken,
    kill_reason: OnceLock<(u16, &'static str)>,
    /// Live entries a catching-up subscription may park before the client counts as slow.
    pub buffer_limit: usize,
}

impl Conn {
    pub fn new(id: u64, tx: mpsc::Sender<Outbound>, buffer_limit: usize) -> Self {
        Self {
            id,
            tx,
            kill: CancellationToken::new(),
            kill_reason: OnceLock::new(),
            buffer_limit,
        }
    }

    /// Disconnects a client whose queue is full.
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
    }

    pub fn kill_reason(&self) -> Option<(u16, &'static str)> {
        self.kill_reason.get().copied()
    }

    fn offer(&self, msg: Outbound) {
        match self.tx.try_send(msg) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => self.too_slow(),
            // The connection is ending; nothing to deliver to.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

pub(crate) enum Mode {
    CatchingUp(Vec<(u64, Bytes)>),
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
            Mode::CatchingUp(parked) => {
                if parked.len() >= self.conn.buffer_limit {
                    drop(mode);
                    self.conn.too_slow();
                } else {
                    parked.push((seq, frame.clone()));
                }
            }
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

    fn offer_ephemeral(self: &Arc<Self>, frame: &Bytes) {
        if matches!(*self.mode(), Mode::Live { .. }) {
            self.conn.offer(Outbound::Ephemeral {
                sub: Arc::clone(self),
                frame: frame.clone(),
            });
        }
    }

    pub fn close(&self) {
        *self.mode() = Mode::Closed;
    }
}

/// Subscribers per document.
#[derive(Default)]
pub struct Hub {
    docs: Mutex<HashMap<DocumentId, Vec<Arc<Subscription>>>>,
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    fn docs(&self) -> MutexGuard<'_, HashMap<DocumentId, Vec<Arc<Subscription>>>> {
        // Every change under this lock is a single push/retain/remove; a panic elsewhere
        // cannot leave the map inconsistent.
        self.docs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn subscribers(&self, doc: &DocumentId) -> Vec<Arc<Subscription>> {
        self.docs().get(doc).cloned().unwrap_or_default()
    }

    pub(crate) fn add(&self, sub: Arc<Subscription>) {
        self.docs().entry(sub.doc).or_default().push(sub);
        metrics::gauge!(m::SUBSCRIPTIONS).increment(1.0);
    }

    pub(crate) fn remove(&self, sub: &Arc<Subscription>) {
        sub.close();
        let mut docs = self.docs();
        if let Some(subs) = docs.get_mut(&sub.doc) {
            let before = subs.len();
            subs.retain(|s| !Arc::ptr_eq(s, sub));
            if subs.len() < before {
                metrics::gauge!(m::SUBSCRIPTIONS).decrement(1.0);
            }
            if subs.is_empty() {
                docs.remove(&sub.doc);
            }
        }
    }

    /// Forwards an ephemeral frame to every live subscriber of `doc` but the sender.
    pub(crate) fn ephemeral(&self, doc: &DocumentId, from: u64, frame: &Bytes) {
        for sub in self.subscribers(doc) {
            if sub.conn.id != from {
                sub.offer_ephemeral(frame);
            }
        }
    }

    /// How many connections are subscribed to `doc` (for tests and diagnostics).
    pub fn subscriber_count(&self, doc: &DocumentId) -> usize {
        self.docs().get(doc).map_or(0, Vec::len)
    }

    /// Documents with at least one subscriber (for tests and diagnostics).
    pub fn active_documents(&self) -> usize {
        self.docs().len()
    }
}

impl CommitListener for Hub {
    fn committed(&self, entries: &[Committed<'_>]) {
        for entry in entries {
            let subs = self.subscribers(&entry.doc);
            if subs.iter().all(|s| s.conn.id == entry.origin) {
                continue;
            }
            let frame = Bytes::from(encode_server(&ServerFrame::Entry {
                doc: entry.doc,
                seq: entry.seq,
                blob: entry.blob.to_vec(),
            }));
            for sub in subs {
                if sub.conn.id != entry.origin {
                    sub.offer_live(entry.seq, &frame);
                }
            }
        }
    }
}
