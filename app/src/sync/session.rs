//! Driving [`DocSync`] machines over one [`Connection`]: frames in, outputs carried out
//! in order (documents and `sync.json` saved before anything is sent), local changes
//! picked up from the shared [`DocHandle`].

use std::time::{Duration, SystemTime};

use futures_util::FutureExt as _;
use samspill_shared::crypto::DocumentId;
use samspill_shared::protocol::ServerFrame;
use samspill_shared::sync::{DocSync, Notice, Output, Phase, SyncConfig};

use super::conn::{ConnError, Connection};
use super::persist::{self, SyncFile};
use super::{Events, SyncEvent};
use crate::device::OsEntropy;
use crate::handle::DocHandle;

/// How often the machines are ticked (batching is 50 ms).
const TICK: Duration = Duration::from_millis(25);
/// At most this many frames are taken at once before saving.
const FRAME_BATCH: usize = 256;

/// A shared project being synced.
pub struct Tracked {
    /// The process's one copy of the document, shared with the UI.
    pub handle: DocHandle,
    pub sm: DocSync,
    pub file: SyncFile,
    /// The handle's durable counter as last seen: when it moves, changes reached the
    /// disk (from this process or another) and may be pushed.
    seen_durable: u64,
}

impl std::fmt::Debug for Tracked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracked")
            .field("sm", &self.sm)
            .finish_non_exhaustive()
    }
}

/// The state machine's settings. `SAMSPILL_COMPACT_AFTER` overrides the compaction
/// threshold (for tests and for relays that want smaller logs).
pub fn config() -> SyncConfig {
    let mut config = SyncConfig::default();
    if let Some(n) = std::env::var("SAMSPILL_COMPACT_AFTER")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|n| *n > 0)
    {
        config.compact_after = n;
    }
    config
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Tracked {
    /// Fails when the project's key is missing, damaged or not this project's: no key,
    /// no sync (never a fallback key).
    pub fn new(handle: DocHandle, file: SyncFile) -> anyhow::Result<Self> {
        let keys = handle.files().capability()?.keys();
        let mut sm = DocSync::new(keys, file.state.clone(), config());
        sm.set_create(!file.created);
        // Changes saved since the last cut (by this or another process) go out first.
        sm.local_change(now_ms());
        Ok(Self {
            seen_durable: handle.durable(),
            handle,
            sm,
            file,
        })
    }

    pub fn id(&self) -> DocumentId {
        self.handle.id()
    }

    /// Saves what anyone in this process changed (the UI's typing reaches the relay at
    /// the batch rate, not when typing stops), and lets the state machine cut an entry
    /// from changes that are on disk.
    pub fn pick_up_local(&mut self) -> anyhow::Result<()> {
        if self.handle.has_unsaved() {
            self.handle.save()?;
        }
        let durable = self.handle.durable();
        if durable != self.seen_durable {
            self.seen_durable = durable;
            self.sm.local_change(now_ms());
        }
        Ok(())
    }

    /// Carries out outputs in order: saves (document first, then state) before any send.
    pub async fn run(
        &mut self,
        outputs: Vec<Output>,
        conn: Option<&mut Connection>,
        events: &Events,
    ) -> Result<(), SessionError> {
        let mut conn = conn;
        let mut dirty_doc = false;
        let mut dirty_state = false;
        for o in outputs {
            match o {
                Output::SaveDoc => dirty_doc = true,
                Output::SaveState => dirty_state = true,
                Output::Send(frame) => {
                    self.flush(&mut dirty_doc, &mut dirty_state)?;
                    if let Some(c) = conn.as_deref_mut() {
                        c.send(&frame).await?;
                    }
                }
                Output::Notice(n) => {
                    // Whoever hears "remote change" reads the store: save it first.
                    if matches!(n, Notice::RemoteChange) {
                        self.flush(&mut dirty_doc, &mut dirty_state)?;
                    }
                    self.notice(n, events);
                }
            }
        }
        if !self.file.created && *self.sm.phase() == Phase::Live {
            // The relay has the document now: never ask it to create it again.
            self.file.created = true;
            self.sm.set_create(false);
            dirty_state = true;
        }
        self.flush(&mut dirty_doc, &mut dirty_state)?;
        events.report(self);
        Ok(())
    }

    fn flush(&mut self, doc: &mut bool, state: &mut bool) -> Result<(), SessionError> {
        if std::mem::take(doc) {
            self.handle.save().map_err(SessionError::Local)?;
        }
        if std::mem::take(state) {
            self.file.state = self.sm.state().clone();
            persist::save(self.handle.files(), &self.file).map_err(SessionError::Local)?;
        }
        Ok(())
    }

    fn notice(&mut self, n: Notice, events: &Events) {
        let project = self.id();
        let event = match n {
            // The status is worked out after every batch of outputs (`Events::report`).
            Notice::InSync | Notice::Syncing => return,
            Notice::RemoteChange => SyncEvent::RemoteChange { project },
            Notice::PeerJoined(p) => SyncEvent::PeerJoined {
                project,
                presence: p,
            },
            Notice::PeerLeft(p) => SyncEvent::PeerLeft {
                project,
                presence: p,
            },
            Notice::Skipped { seq, reason } => SyncEvent::Error {
                project: Some(project),
                message: if seq == 0 {
                    format!("a presence message could not be read and was ignored: {reason}")
                } else {
                    format!(
                        "entry {seq} from the relay could not be read and was skipped: {reason}"
                    )
                },
            },
            Notice::Refused { code, message } => SyncEvent::Error {
                project: Some(project),
                message: format!("the relay refused: {message} ({})", code.as_str()),
            },
            Notice::RelayBehind { relay_head, ours } => SyncEvent::Error {
                project: Some(project),
                message: format!(
                    "the relay has {relay_head} entries of this project but this device had seen {ours}; sending the whole project again"
                ),
            },
        };
        events.emit(event);
    }
}

/// Why a session ended.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Conn(#[from] ConnError),
    /// Saving to this device failed: stop, the user's data comes first.
    #[error("{0:#}")]
    Local(anyhow::Error),
}

/// What ends a session early besides the connection.
pub enum Stop {
    /// Return once every project is in sync (the `sync` command).
    WhenInSync,
    /// Run until this future completes (shutdown, or a command to handle).
    Never,
}

/// Subscribes every project and drives them until the connection breaks, every project
/// is in sync (with `Stop::WhenInSync`), or `interrupt` fires. With `WhenInSync`, a
/// refused subscription ends the session with its message.
pub async fn drive<F>(
    conn: &mut Connection,
    docs: &mut [Tracked],
    events: &Events,
    stop: &Stop,
    mut interrupt: F,
) -> Result<bool, SessionOutcome>
where
    F: FnMut() -> Option<Interrupt>,
{
    let challenge = conn.challenge;
    let now = now_ms();
    for t in docs.iter_mut() {
        t.pick_up_local()
            .map_err(|e| SessionOutcome::Failed(SessionError::Local(e)))?;
        let sm = &mut t.sm;
        let mut outputs = t
            .handle
            .with_automerge(|doc| sm.flush(doc, now, &mut OsEntropy));
        outputs.extend(t.sm.connected(challenge, now));
        t.run(outputs, Some(conn), events).await?;
    }
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Woken by any change to a tracked document (the engine's own remote changes too;
    // those find nothing to pick up). The listener replaces the previous session's.
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    for t in docs.iter() {
        let wake = std::sync::Arc::clone(&wake);
        t.handle.on_change(
            "sync-engine",
            std::sync::Arc::new(move || wake.notify_one()),
        );
    }
    loop {
        if let Stop::WhenInSync = stop {
            for t in docs.iter() {
                if let Phase::Refused { code, message } = t.sm.phase() {
                    return Err(SessionOutcome::Refused {
                        code: *code,
                        message: message.clone(),
                    });
                }
            }
            if docs.iter().all(|t| t.sm.is_settled()) {
                return Ok(true);
            }
        }
        if let Some(i) = interrupt() {
            match i {
                Interrupt::Stop => return Ok(false),
                Interrupt::LocalChange(id) => {
                    if let Some(t) = docs.iter_mut().find(|t| t.id() == id) {
                        t.pick_up_local()
                            .map_err(|e| SessionOutcome::Failed(SessionError::Local(e)))?;
                    }
                }
                Interrupt::Presence(id, p) => {
                    if let Some(t) = docs.iter_mut().find(|t| t.id() == id) {
                        t.sm.set_presence(p);
                    }
                }
            }
            continue;
        }
        tokio::select! {
            frame = conn.recv() => {
                let mut frames = vec![frame?];
                // Take whatever else has already arrived, then save once.
                while frames.len() < FRAME_BATCH {
                    match conn.recv().now_or_never() {
                        Some(f) => frames.push(f?),
                        None => break,
                    }
                }
                handle_frames(conn, docs, events, frames).await?;
            }
            _ = ticker.tick() => {
                conn.keepalive().await?;
                advance(conn, docs, events).await?;
            }
            // An edit in this process (the UI typing): picked up now rather than on the
            // next tick, so a keystroke after a quiet spell leaves at once.
            () = wake.notified() => advance(conn, docs, events).await?,
        }
    }
}

/// Saves and picks up local changes, and lets each machine act on the time.
async fn advance(
    conn: &mut Connection,
    docs: &mut [Tracked],
    events: &Events,
) -> Result<(), SessionOutcome> {
    let now = now_ms();
    for t in docs.iter_mut() {
        t.pick_up_local()
            .map_err(|e| SessionOutcome::Failed(SessionError::Local(e)))?;
        let sm = &mut t.sm;
        let outputs = t
            .handle
            .with_automerge(|doc| sm.tick(doc, now, &mut OsEntropy));
        t.run(outputs, Some(conn), events).await?;
    }
    Ok(())
}

async fn handle_frames(
    conn: &mut Connection,
    docs: &mut [Tracked],
    events: &Events,
    frames: Vec<ServerFrame>,
) -> Result<(), SessionError> {
    let now = now_ms();
    let mut pending: Vec<Vec<Output>> = docs.iter().map(|_| Vec::new()).collect();
    for frame in frames {
        let target = frame_doc(&frame);
        for (i, t) in docs.iter_mut().enumerate() {
            if target.is_some_and(|d| d != t.id()) {
                continue;
            }
            let sm = &mut t.sm;
            let outputs = t
                .handle
                .with_automerge(|doc| sm.handle(frame.clone(), doc, now));
            pending[i].extend(outputs);
        }
    }
    for (t, outputs) in docs.iter_mut().zip(pending) {
        if !outputs.is_empty() {
            t.run(outputs, Some(conn), events).await?;
        }
    }
    Ok(())
}

fn frame_doc(frame: &ServerFrame) -> Option<DocumentId> {
    match frame {
        ServerFrame::Hello { .. } => None,
        ServerFrame::Snapshot { doc, .. }
        | ServerFrame::Entry { doc, .. }
        | ServerFrame::Subscribed { doc, .. }
        | ServerFrame::Ack { doc, .. }
        | ServerFrame::SnapshotAck { doc, .. }
        | ServerFrame::Ephemeral { doc, .. }
        | ServerFrame::Durable { doc, .. }
        | ServerFrame::Authorized { doc } => Some(*doc),
        ServerFrame::Error { doc, .. } => *doc,
    }
}

/// Something the engine's owner asks of a running session.
#[derive(Debug)]
pub enum Interrupt {
    Stop,
    LocalChange(DocumentId),
    Presence(DocumentId, Option<samspill_shared::sync::Presence>),
}

/// How a session ended, when it did not end well.
#[derive(Debug, thiserror::Error)]
pub enum SessionOutcome {
    #[error(transparent)]
    Failed(#[from] SessionError),
    #[error("the relay refused: {message}")]
    Refused {
        code: samspill_shared::protocol::ErrorCode,
        message: String,
    },
}

impl From<ConnError> for SessionOutcome {
    fn from(e: ConnError) -> Self {
        Self::Failed(SessionError::Conn(e))
    }
}
