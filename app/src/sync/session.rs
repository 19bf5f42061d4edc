//! Driving [`DocSync`] machines over one [`Connection`]: frames in, outputs carried out
//! in order (documents and `sync.json` saved before anything is sent), local changes
//! picked up from the shared [`DocHandle`].

use std::time::{Duration, SystemTime};

use futures_util::FutureExt as _;
use std::sync::Arc;

use samspill_shared::crypto::{DeviceIdentity, DocumentId};
use samspill_shared::epoch::{EpochError, Rotation};
use samspill_shared::protocol::ServerFrame;
use samspill_shared::sync::{DocSync, Notice, Output, Phase, SyncConfig};

use super::conn::{ConnError, Connection};
use super::persist::{self, RelayRef, RelaySync, Removed};
use super::{Events, SyncEvent};
use crate::device::{Device, OsEntropy};
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
    /// This relay's part of `sync.json`.
    pub entry: RelaySync,
    /// This device was left out of a removal (read from `sync.json`).
    removed: Option<Removed>,
    /// The handle's durable counter as last seen: when it moves, changes reached the
    /// disk (from this process or another) and may be pushed.
    seen_durable: u64,
    /// This device's keys, to open a rotation's wrapped key.
    identity: Arc<DeviceIdentity>,
    /// This device's person id.
    person: String,
    /// A rotation to follow once the current outputs are carried out.
    rotation: Option<Box<Rotation>>,
}

impl std::fmt::Debug for Tracked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracked")
            .field("sm", &self.sm)
            .finish_non_exhaustive()
    }
}

/// The state machine's settings for `relay`: no snapshots on a relay on the local
/// network (see [`SyncConfig::snapshots`]). `SAMSPILL_COMPACT_AFTER` overrides the
/// compaction threshold (for tests and for relays that want smaller logs).
pub fn config_for(relay: &RelayRef) -> SyncConfig {
    let mut config = config();
    config.snapshots = !relay.is_lan();
    config
}

/// The state machine's settings for a relay with an address.
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
    /// Syncs the project through `relay`, starting from what `sync.json` holds for it
    /// (a relay it has not synced with starts afresh). Fails when the project's key is
    /// missing, damaged or not this project's: no key, no sync (never a fallback key);
    /// and when this device was removed from it.
    pub fn new(handle: DocHandle, relay: &RelayRef, device: &Device) -> anyhow::Result<Self> {
        let file = persist::load(handle.files())?;
        let removed = file.as_ref().and_then(|f| f.removed.clone());
        match &removed {
            Some(r) if r.person => anyhow::bail!("{REMOVED_REASON}"),
            Some(_) => anyhow::bail!("{LEFT_OUT_REASON}"),
            None => {}
        }
        let (epoch, cap) = handle.files().epoch()?;
        let home = file.as_ref().and_then(|f| f.home().cloned());
        let mut entry = match file.as_ref().and_then(|f| f.relay(relay)) {
            Some(e) => e.clone(),
            None => {
                let e = RelaySync::new(relay.clone(), epoch);
                persist::save_relay(handle.files(), &e)?;
                e
            }
        };
        if entry.epoch < epoch {
            // State for an older epoch's document. On the home relay, where removals
            // happen, the rotation created the new document (a crash came between
            // recording its key and its state); elsewhere it is not there yet. Either
            // way the whole document is pushed once.
            entry = if relay.url() == home.as_ref() {
                RelaySync::for_epoch(relay.clone(), epoch, Vec::new())
            } else {
                RelaySync::new(relay.clone(), epoch)
            };
            persist::save_relay(handle.files(), &entry)?;
        }
        let mut sm = DocSync::new(cap.keys(), entry.state.clone(), config_for(relay));
        sm.set_create(!entry.created);
        // Changes saved since the last cut (by this or another process) go out first.
        sm.local_change(now_ms());
        Ok(Self {
            seen_durable: handle.durable(),
            handle,
            sm,
            entry,
            removed,
            identity: Arc::clone(&device.identity),
            person: device.profile.person_id.as_str().to_owned(),
            rotation: None,
        })
    }

    /// The project's id on this device (its first document id).
    pub fn id(&self) -> DocumentId {
        self.handle.id()
    }

    /// The relay document it syncs with now (another id after a removal).
    pub fn doc_id(&self) -> DocumentId {
        self.sm.doc_id()
    }

    /// This device was left out of a removal: nothing more to sync.
    pub fn is_removed(&self) -> bool {
        self.removed.is_some()
    }

    /// The relay this copy of the project syncs through.
    pub fn relay(&self) -> &RelayRef {
        &self.entry.relay
    }

    /// Done for a one-shot command: settled, or removed.
    pub fn is_done(&self) -> bool {
        self.is_removed() || self.sm.is_settled()
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
                Output::Notice(Notice::Rotated(r)) => self.rotation = Some(r),
                Output::Notice(n) => {
                    // Whoever hears "remote change" reads the store: save it first.
                    if matches!(n, Notice::RemoteChange) {
                        self.flush(&mut dirty_doc, &mut dirty_state)?;
                    }
                    self.notice(n, events);
                }
            }
        }
        if !self.entry.created && *self.sm.phase() == Phase::Live {
            // The relay has the document now: never ask it to create it again.
            self.entry.created = true;
            self.sm.set_create(false);
            dirty_state = true;
        }
        self.flush(&mut dirty_doc, &mut dirty_state)?;
        if let Some(rotation) = self.rotation.take() {
            self.follow(&rotation, conn, events).await?;
        }
        events.report(self);
        Ok(())
    }

    /// A rotation is followed only when it is the next epoch and is signed by a device
    /// its remover published in the project, the remover not being removed themselves
    /// (a removed editor still holds the old write key, so that alone proves nothing).
    fn check_rotation(&self, rotation: &Rotation) -> Result<(), String> {
        let (epoch, _) = self
            .handle
            .files()
            .epoch()
            .map_err(|e| format!("this device's key cannot be read ({e})"))?;
        if Some(rotation.epoch) != epoch.checked_add(1) {
            return Err(format!(
                "it is for epoch {}, and this device is in epoch {epoch}",
                rotation.epoch
            ));
        }
        let view = self.handle.view();
        let by = view
            .person(&rotation.by)
            .filter(|p| p.removed.is_none())
            .ok_or("its remover is not a member of the project")?;
        let key = by
            .devices
            .iter()
            .find(|d| d.id == rotation.signer)
            .and_then(|d| hex::decode(&d.sign).ok())
            .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
            .ok_or("it is not signed by a device its remover published")?;
        if rotation.verify(&key) {
            Ok(())
        } else {
            Err("its signature does not verify".to_owned())
        }
    }

    /// Everything before the document's rotation is saved: move to the new epoch's
    /// document with this device's copy of its key (subscribing on this connection),
    /// or, left out, keep what is here read-only and stop.
    async fn follow(
        &mut self,
        rotation: &Rotation,
        conn: Option<&mut Connection>,
        events: &Events,
    ) -> Result<(), SessionError> {
        let project = self.id();
        if let Err(why) = self.check_rotation(rotation) {
            tracing::warn!(%project, "a rotation was not followed: {why}");
            events.emit(SyncEvent::Error {
                project: Some(project),
                message: format!(
                    "the relay sent a rotation (a removal) that this device does not follow: {why}; ask one of the project's editors"
                ),
            });
            // Moved past as a skipped entry: the project syncs on as it was.
            let _ = self.sm.reject_rotation(now_ms());
            self.entry.state = self.sm.state().clone();
            persist::save_relay(self.handle.files(), &self.entry).map_err(SessionError::Local)?;
            return Ok(());
        }
        let cap = match rotation.unwrap_for(&self.identity) {
            Ok(cap) => cap,
            Err(EpochError::NotIncluded) => {
                let removed = Removed {
                    epoch: rotation.epoch,
                    by: rotation.by.clone(),
                    person: rotation.removed.contains(&self.person),
                    to: Some(rotation.to.clone()),
                };
                self.entry.state = self.sm.state().clone();
                let entry = self.entry.clone();
                persist::update(self.handle.files(), |f| {
                    f.put(entry);
                    f.removed = Some(removed.clone());
                })
                .map_err(SessionError::Local)?;
                self.removed = Some(removed);
                self.handle.set_read_only();
                tracing::info!(%project, "this device was removed from the project");
                events.emit(SyncEvent::Removed { project });
                return Ok(());
            }
            Err(e) => {
                events.emit(SyncEvent::Error {
                    project: Some(project),
                    message: format!(
                        "the project moved to a new key (someone was removed), but this device's copy cannot be used: {e}; ask for a new link"
                    ),
                });
                return Ok(());
            }
        };
        // Push only what the new document's first entry lacks, when this device has
        // everything it holds (else the whole document, once).
        let shipped = self.handle.with_automerge(|doc| {
            let known = rotation.heads.iter().all(|h| {
                h.parse::<automerge::ChangeHash>()
                    .is_ok_and(|h| doc.get_change_by_hash(&h).is_some())
            });
            if known {
                rotation.heads.clone()
            } else {
                Vec::new()
            }
        });
        let files = self.handle.files();
        files
            .set_epoch(rotation.epoch, &cap)
            .map_err(|e| SessionError::Local(e.into()))?;
        self.entry = RelaySync::for_epoch(self.entry.relay.clone(), rotation.epoch, shipped);
        persist::save_relay(files, &self.entry).map_err(SessionError::Local)?;
        let presence = self.sm.presence().cloned();
        self.sm = DocSync::new(
            cap.keys(),
            self.entry.state.clone(),
            config_for(&self.entry.relay),
        );
        self.sm.set_presence(presence);
        let now = now_ms();
        self.sm.local_change(now);
        tracing::info!(%project, epoch = rotation.epoch, "followed a removal to the project's new key");
        // Nothing more goes to the old document on the LAN, where the removed person
        // could still read it.
        events.shared().lan_restart = true;
        let view = self.handle.view();
        events.emit(SyncEvent::Moved {
            project,
            epoch: rotation.epoch,
            by: view.person_name(&rotation.by).to_owned(),
            removed: rotation
                .removed
                .iter()
                .map(|p| view.person_name(p).to_owned())
                .collect(),
        });
        if let Some(c) = conn {
            // The sealed document has nothing more to say on this connection.
            let old = samspill_shared::protocol::ClientFrame::Unsubscribe {
                doc: rotation
                    .from_doc()
                    .map_err(|e| SessionError::Local(e.into()))?,
            };
            c.send(&old).await?;
            for o in self.sm.connected(c.challenge, now) {
                if let Output::Send(frame) = o {
                    c.send(&frame).await?;
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self, doc: &mut bool, state: &mut bool) -> Result<(), SessionError> {
        if std::mem::take(doc) {
            self.handle.save().map_err(SessionError::Local)?;
        }
        if std::mem::take(state) {
            self.entry.state = self.sm.state().clone();
            persist::save_relay(self.handle.files(), &self.entry).map_err(SessionError::Local)?;
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
            Notice::Rotated(_) => return,
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

/// What a device is told that was left out of a removal it was not the target of (it
/// had never published itself in the project, as a viewer never does).
pub const LEFT_OUT_REASON: &str = "this project moved to new keys when someone was removed, and this device was not given them (it had not published itself in the project); ask one of its editors for a new link, and join with it";

/// What a device left out of a removal is told, wherever it tries to sync.
pub const REMOVED_REASON: &str = "you no longer have access to this project (Du har ikke lenger tilgang til dette prosjektet): someone removed you; what you had stays on this device, read-only";

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
            format!("sync-engine {}", t.relay()),
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
            if docs.iter().all(Tracked::is_done) {
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
            if target.is_some_and(|d| d != t.doc_id()) {
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
        | ServerFrame::Authorized { doc }
        | ServerFrame::Moved { doc, .. } => Some(*doc),
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
