//! The sync engine: shared projects kept in step with their relay.
//!
//! The protocol logic is the pure [`samspill_shared::sync::DocSync`]; this module gives it
//! a websocket ([`conn`]), files ([`persist`]: `sync.json`) and a clock, and offers:
//!
//! - [`share`], [`join`] and [`sync_once`]: what `samspill share | join | sync` do;
//! - [`SyncHandle`]: a background engine for the desktop app, one task per relay, that
//!   reconnects with jittered exponential backoff and reports [`SyncEvent`]s over a
//!   channel that never blocks (the UI drains it once a frame with
//!   [`SyncHandle::events`]; a repaint callback wakes it). It works on the process's
//!   [`DocHandle`]s, the same documents the UI edits: edits reach it as they happen,
//!   and its remote changes reach the UI the same way.
//! - [`SyncStatus`] ([`status`]): the one status model the header, the project list,
//!   `samspill list` and `sync --watch` show.
//!
//! Ordering rules (see `docs/sync.md`): a local change is saved to the store before the
//! state machine hears of it; `sync.json` is written before an entry is sent; remote
//! changes are appended to the store before `sync.json` records their sequence numbers.

pub mod conn;
pub mod persist;
mod removal;
mod session;
pub mod status;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, bail};
use automerge::AutoCommit;
use samspill_shared::crypto::{DocumentId, Role};
use samspill_shared::ids::Entropy as _;
use samspill_shared::link::{Invite, RelayUrl};
use samspill_shared::model::ProjectDoc;
use samspill_shared::protocol::ErrorCode;
use samspill_shared::sync::{DocSync, Output, Phase, Presence, SyncState};

pub use conn::{ConnError, Connection};
pub use persist::SyncFile;
pub use removal::{Removal, remove, resolve_person};
use session::{Interrupt, SessionOutcome, Stop, Tracked, drive, now_ms};
pub use session::{LEFT_OUT_REASON, REMOVED_REASON};

pub use status::SyncStatus;

use crate::device::{Access, Device, OsEntropy};

/// How long `share`, `join` and `sync` wait for the relay before giving up.
const ONCE_TIMEOUT: Duration = Duration::from_secs(60);

/// What the engine tells the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncEvent {
    /// Connected to a relay (hellos exchanged).
    Connected { relay: RelayUrl },
    /// A project's status changed (see [`SyncStatus`]).
    Status {
        project: DocumentId,
        status: SyncStatus,
    },
    /// The relay cannot be reached (since this time); changes wait on disk.
    Offline {
        relay: RelayUrl,
        since: SystemTime,
        reason: String,
    },
    PeerJoined {
        project: DocumentId,
        presence: Presence,
    },
    PeerLeft {
        project: DocumentId,
        presence: Presence,
    },
    /// Someone else's changes were applied to the project's document and saved.
    RemoteChange { project: DocumentId },
    /// Someone was removed from the project: it moved to a new key (epoch), and this
    /// device followed.
    Moved {
        project: DocumentId,
        epoch: u32,
        /// Who removed (a name from the project's people, or the id).
        by: String,
        /// Who was removed.
        removed: Vec<String>,
    },
    /// This device was left out of a removal: the project is read-only here now.
    Removed { project: DocumentId },
    /// Something went wrong; the text says what (never a secret).
    Error {
        project: Option<DocumentId>,
        message: String,
    },
}

type Repaint = Arc<Mutex<Option<Box<dyn Fn() + Send + Sync>>>>;

#[derive(Default)]
struct Shared {
    status: BTreeMap<DocumentId, SyncStatus>,
    peers: BTreeMap<DocumentId, BTreeMap<String, Presence>>,
    /// Projects of each relay (for `Offline`).
    by_relay: BTreeMap<String, Vec<DocumentId>>,
    /// Bumped by "Koble til nå": every relay task waiting to reconnect tries at once.
    retries: u64,
}

/// Where the engine's events go: a channel, a status table and a repaint callback.
#[derive(Clone, Default)]
pub struct Events {
    tx: Option<mpsc::Sender<SyncEvent>>,
    shared: Arc<Mutex<Shared>>,
    repaint: Repaint,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

impl Events {
    /// Events that go nowhere (the one-shot commands), except errors to the log.
    pub fn discard() -> Self {
        Self::default()
    }

    /// Events sent to the returned receiver as well (`sync --watch` prints them).
    pub fn channel() -> (Self, mpsc::Receiver<SyncEvent>) {
        let (tx, rx) = mpsc::channel();
        (
            Self {
                tx: Some(tx),
                ..Self::default()
            },
            rx,
        )
    }

    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Asks every relay task waiting out a backoff to try again now.
    pub fn retry_now(&self) {
        self.shared().retries += 1;
    }

    fn retries(&self) -> u64 {
        self.shared().retries
    }

    /// Sets a project's status; an event goes out only when it changed.
    fn set_status(&self, project: DocumentId, status: SyncStatus) {
        let changed = self.shared().status.insert(project, status.clone()) != Some(status.clone());
        if changed {
            self.send(SyncEvent::Status { project, status });
        }
    }

    /// The project's status now, from what the state machine says.
    fn report(&self, t: &mut Tracked) {
        let status = match t.sm.phase() {
            _ if t.is_removed() => SyncStatus::Removed,
            Phase::Refused { message, .. } => SyncStatus::Stopped(message.clone()),
            Phase::Offline | Phase::CatchingUp | Phase::Moved { .. } => SyncStatus::Connecting,
            Phase::Live => {
                let state = t.sm.state();
                let (changes, entries) = t
                    .handle
                    .with_automerge(|doc| samspill_shared::sync::unsent(state, doc));
                match changes + entries {
                    0 => SyncStatus::Synced,
                    n => SyncStatus::Waiting(n),
                }
            }
        };
        self.set_status(t.id(), status);
    }

    /// How many changes of a project wait, as of its last status.
    fn waiting(&self, project: &DocumentId) -> usize {
        match self.shared().status.get(project) {
            Some(SyncStatus::Waiting(n) | SyncStatus::Offline { waiting: n, .. }) => *n,
            _ => 0,
        }
    }

    fn emit(&self, event: SyncEvent) {
        {
            let mut s = self.shared();
            match &event {
                SyncEvent::Offline { relay, since, .. } => {
                    let ids = s
                        .by_relay
                        .get(&relay.to_string())
                        .cloned()
                        .unwrap_or_default();
                    drop(s);
                    for id in ids {
                        let waiting = self.waiting(&id);
                        self.set_status(
                            id,
                            SyncStatus::Offline {
                                since: *since,
                                waiting,
                            },
                        );
                        self.shared().peers.remove(&id);
                    }
                }
                SyncEvent::PeerJoined { project, presence } => {
                    s.peers
                        .entry(*project)
                        .or_default()
                        .insert(presence.session.clone(), presence.clone());
                }
                SyncEvent::PeerLeft { project, presence } => {
                    if let Some(p) = s.peers.get_mut(project) {
                        p.remove(&presence.session);
                    }
                }
                SyncEvent::Status { .. }
                | SyncEvent::RemoteChange { .. }
                | SyncEvent::Moved { .. }
                | SyncEvent::Removed { .. }
                | SyncEvent::Connected { .. }
                | SyncEvent::Error { .. } => {}
            }
        }
        if let SyncEvent::Error { message, .. } = &event {
            tracing::warn!("{message}");
        }
        self.send(event);
    }

    fn send(&self, event: SyncEvent) {
        if let Some(tx) = &self.tx
            // The receiver is gone only when the UI has shut down.
            && tx.send(event).is_ok()
            && let Ok(r) = self.repaint.lock()
            && let Some(r) = r.as_ref()
        {
            r();
        }
    }

    /// Syncing of these projects has stopped for good (until restarted).
    fn stopped(&self, ids: &[DocumentId], reason: &str) {
        for id in ids {
            self.set_status(*id, SyncStatus::Stopped(reason.to_owned()));
        }
    }

    /// Like [`Self::stopped`], but a project that already says why it stopped keeps
    /// its own reason (a missing key says more than "the engine ended").
    fn stopped_unless_said(&self, ids: &[DocumentId], reason: &str) {
        for id in ids {
            let said = matches!(self.shared().status.get(id), Some(SyncStatus::Stopped(_)));
            if !said {
                self.set_status(*id, SyncStatus::Stopped(reason.to_owned()));
            }
        }
    }
}

/// Opens a shared project for syncing; `None` when it is not shared. Fails when its
/// key is missing, damaged or foreign: no key, no sync.
fn open_tracked(device: &Device, id: &DocumentId) -> anyhow::Result<Option<Tracked>> {
    let project = device.open_project(id, Access::Read)?;
    let Some(file) = persist::load(project.files())? else {
        return Ok(None);
    };
    Ok(Some(Tracked::new(project, file, device)?))
}

fn refused_message(relay: &RelayUrl, code: ErrorCode, message: &str) -> String {
    match code {
        ErrorCode::UnknownDocument => format!(
            "the relay at {relay} does not have this project: it was never shared there, or the link is for another relay; ask for a fresh link"
        ),
        ErrorCode::Unauthorized => format!(
            "the relay at {relay} needs a token to host a new project: {message}; run `samspill share ID --relay {relay} --token TOKEN`"
        ),
        ErrorCode::BadSignature => {
            format!("the relay at {relay} did not accept this project's key ({message})")
        }
        _ => format!(
            "the relay at {relay} refused: {message} ({})",
            code.as_str()
        ),
    }
}

/// Runs `docs` (all on `relay`) until everything is acknowledged and nothing is missing.
async fn once_on(
    relay: &RelayUrl,
    token: Option<&str>,
    docs: &mut [Tracked],
    events: &Events,
) -> anyhow::Result<()> {
    let work = async {
        let mut conn = Connection::open(relay, token).await?;
        let result = drive(&mut conn, docs, events, &Stop::WhenInSync, || None).await;
        match result {
            Ok(_) => {
                conn.close().await;
                Ok(())
            }
            Err(SessionOutcome::Refused { code, message }) => {
                conn.close().await;
                bail!("{}", refused_message(relay, code, &message))
            }
            Err(SessionOutcome::Failed(e)) => Err(anyhow::Error::new(e)),
        }
    };
    let result = tokio::time::timeout(ONCE_TIMEOUT, work).await;
    for t in docs.iter_mut() {
        t.sm.disconnected();
        events.report(t);
    }
    match result {
        Ok(r) => r,
        Err(_) => bail!(
            "the relay at {relay} did not acknowledge everything within {} seconds; local changes are kept, run `samspill sync` again",
            ONCE_TIMEOUT.as_secs()
        ),
    }
}

/// Puts a project on a relay and returns its invite link (`samspill share`).
pub async fn share(
    device: &Device,
    id: &DocumentId,
    relay: &RelayUrl,
    token: Option<&str>,
) -> anyhow::Result<Invite> {
    let project = device.open_project(id, Access::Read)?;
    let secret = project.files().capability()?;
    if secret.role() != Role::Editor {
        bail!("{READ_ONLY_REASON}; only an editor can put it on a relay");
    }
    let sync_path = project.files().sync_path();
    let (file, first_time) = match persist::load(project.files())? {
        Some(f) if &f.relay != relay => bail!(
            "this project is already shared on {}; its link works there (a project lives on one relay)",
            f.relay
        ),
        Some(f) => (f, false),
        None => {
            let f = SyncFile::new(relay.clone());
            persist::save(project.files(), &f)?;
            (f, true)
        }
    };
    let mut docs = vec![Tracked::new(project, file, device)?];
    if let Err(e) = once_on(relay, token, &mut docs, &Events::discard()).await {
        // A first share that did not go through leaves the project local, so it can be
        // shared again, on this relay or another. (Anything the relay did store is
        // pushed again next time; duplicates are harmless.)
        if first_time {
            std::fs::remove_file(&sync_path).with_context(|| {
                format!("could not undo the failed share in {}", sync_path.display())
            })?;
        }
        return Err(e);
    }
    Ok(Invite::new(relay.clone(), secret))
}

/// Why a viewer cannot change a project, said wherever a change is refused.
pub const READ_ONLY_REASON: &str =
    "this device has read access only to the project (it joined from a viewer's link)";

/// An invite link for a shared project with the given role (`samspill invite`). A
/// viewer's link is handed out only once the relay has this project's write key from
/// one of its editors, so nobody holding it could register a write key first.
pub fn invite(device: &Device, id: &DocumentId, role: Role) -> anyhow::Result<Invite> {
    let project = device.open_project(id, Access::Read)?;
    let cap = project.files().capability()?;
    let Some(file) = persist::load(project.files())? else {
        bail!(
            "this project is not shared yet; put it on a relay with `samspill share ID --relay URL` first"
        );
    };
    if let Some(removed) = &file.removed {
        // Its keys are an old epoch's: a link made from them opens nothing.
        bail!(
            "{}",
            if removed.person {
                REMOVED_REASON
            } else {
                LEFT_OUT_REASON
            }
        );
    }
    let Some(for_role) = cap.for_role(role) else {
        bail!("{READ_ONLY_REASON}; it can only pass on a viewer's link");
    };
    if role == Role::Viewer
        && cap.role() == Role::Editor
        && !(file.state.write_registered && file.state.snapshot_signed)
    {
        bail!(
            "the relay at {} has not confirmed this project's write key yet; run `samspill sync` once (online) and ask again",
            file.relay
        );
    }
    Ok(Invite::new(file.relay, for_role))
}

/// Fetches a shared project from an invite link and stores it (`samspill join`).
/// Returns its id. Joining a project already on this device syncs it.
pub async fn join(device: &Device, link: &str) -> anyhow::Result<DocumentId> {
    let invite = Invite::parse(link).map_err(|e| anyhow::anyhow!("{e}"))?;
    let keys = invite.capability.keys();
    let id = keys.doc_id;
    // A link of a later epoch (made after someone was removed) for a project this
    // device has under its first id: that project, synced.
    if let Some(local) = project_in_epoch(device, &id)? {
        let files = device.store.project(&local)?;
        if let Some(file) = persist::load(&files)?
            && let Some(removed) = file.removed
        {
            // Given the new epoch's key by link: back in, from the new document's start.
            files.set_epoch(removed.epoch, &invite.capability)?;
            persist::save(
                &files,
                &SyncFile::for_epoch(file.relay, removed.epoch, Vec::new()),
            )?;
        }
        if let Some(t) = open_tracked(device, &local)? {
            let relay = t.file.relay.clone();
            once_on(&relay, None, &mut [t], &Events::discard()).await?;
        }
        return Ok(local);
    }
    if let Ok(files) = device.store.project(&id)
        && files.has_document()
    {
        let held = files.capability().ok().map(|c| c.role());
        if held.is_none() || (held == Some(Role::Viewer) && invite.role() == Role::Editor) {
            // The link carries the key this device lost (the id proves it is this
            // project's), or more than it holds (an editor's link for a viewer): use it.
            crate::store::restore_secret(&files, &invite.capability)?;
        }
        if let Some(t) = open_tracked(device, &id)? {
            let relay = t.file.relay.clone();
            once_on(&relay, None, &mut [t], &Events::discard()).await?;
        }
        return Ok(id);
    }
    let relay = &invite.relay;
    let mut sm = DocSync::new(keys, SyncState::default(), session::config());
    let mut doc = AutoCommit::new();
    let fetch = async {
        let mut conn = Connection::open(relay, None).await?;
        let now = now_ms();
        for o in sm.connected(conn.challenge, now) {
            if let Output::Send(f) = o {
                conn.send(&f).await?;
            }
        }
        while !sm.is_in_sync() {
            let frame = conn.recv().await?;
            for o in sm.handle(frame, &mut doc, now_ms()) {
                match o {
                    Output::Send(f) => conn.send(&f).await?,
                    Output::Notice(samspill_shared::sync::Notice::Skipped { seq, reason }) => {
                        tracing::warn!("entry {seq} could not be read and was skipped: {reason}");
                    }
                    _ => {}
                }
            }
            if let Phase::Refused { code, message } = sm.phase() {
                bail!("{}", refused_message(relay, *code, message));
            }
            if let Phase::Moved { .. } = sm.phase() {
                bail!(
                    "this link no longer opens the project: it moved to new keys when someone was removed; ask one of its editors for a new link (`samspill invite ID --role editor`)"
                );
            }
        }
        conn.close().await;
        Ok(())
    };
    match tokio::time::timeout(ONCE_TIMEOUT, fetch).await {
        Ok(r) => r?,
        Err(_) => bail!("the relay at {relay} did not send the whole project within 60 seconds"),
    }
    if doc.get_heads().is_empty() {
        bail!("the relay at {relay} has this project but holds nothing readable in it");
    }
    let project_doc = ProjectDoc::open(doc, crate::device::fresh_actor(), device.editor())
        .context("the shared project is not a Samspill project")?;
    let project = device.adopt(&invite.capability, project_doc)?;
    let mut state = sm.state().clone();
    // Everything it fetched was signed: nothing on the relay needs a signed snapshot
    // from this device (else it makes one at the first chance).
    state.snapshot_signed |= !sm.saw_legacy();
    let file = SyncFile {
        created: true,
        state,
        ..SyncFile::new(relay.clone())
    };
    persist::save(project.files(), &file)?;
    Ok(id)
}

/// The project on this device whose current epoch is the document `doc`, when that is
/// not its first (a removal moved it).
fn project_in_epoch(device: &Device, doc: &DocumentId) -> anyhow::Result<Option<DocumentId>> {
    for id in device.store.list()? {
        if id == *doc {
            continue;
        }
        let files = device.store.project(&id)?;
        if files.epoch_path().exists() && files.epoch().is_ok_and(|(_, cap)| cap.doc_id() == *doc) {
            return Ok(Some(id));
        }
        // Left out of a removal (or removed): the new document's link lets it back in.
        if let Some(file) = persist::load(&files)?
            && let Some(removed) = &file.removed
            && removed.to.as_deref() == Some(doc.to_string().as_str())
        {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Whether this device was left out of a removal from the project.
pub fn is_removed(device: &Device, id: &DocumentId) -> bool {
    device
        .store
        .project(id)
        .ok()
        .and_then(|files| persist::load(&files).ok().flatten())
        .is_some_and(|f| f.removed.is_some())
}

/// Every shared project on this device.
pub fn shared_projects(device: &Device) -> anyhow::Result<Vec<DocumentId>> {
    let mut out = Vec::new();
    for id in device.store.list()? {
        let files = device.store.project(&id)?;
        if files.sync_path().exists() {
            out.push(id);
        }
    }
    Ok(out)
}

/// Pulls what is missing and pushes what is unacknowledged, for `ids` (all shared
/// projects when empty), and returns once everything is in sync (`samspill sync`).
/// A project that cannot sync (its key is missing, say) fails the command after the
/// others have synced.
pub async fn sync_once(device: &Device, ids: &[DocumentId]) -> anyhow::Result<usize> {
    let (groups, failed) = group_by_relay(device, ids, true)?;
    let mut n = 0;
    let mut removed = Vec::new();
    for (relay, mut docs) in groups {
        n += docs.len();
        once_on(&relay, None, &mut docs, &Events::discard()).await?;
        removed.extend(docs.iter().filter(|t| t.is_removed()).map(Tracked::id));
    }
    if let Some(id) = removed.first() {
        bail!("project {id}: {REMOVED_REASON}");
    }
    if let Some((id, e)) = failed.into_iter().next() {
        return Err(e.context(format!("project {id} was not synced")));
    }
    Ok(n)
}

type Groups = Vec<(RelayUrl, Vec<Tracked>)>;

fn group_by_relay(
    device: &Device,
    ids: &[DocumentId],
    explicit_must_be_shared: bool,
) -> anyhow::Result<(Groups, Vec<(DocumentId, anyhow::Error)>)> {
    let all = if ids.is_empty() {
        shared_projects(device)?
    } else {
        ids.to_vec()
    };
    let mut groups: BTreeMap<String, (RelayUrl, Vec<Tracked>)> = BTreeMap::new();
    let mut failed = Vec::new();
    for id in all {
        // Asked for all: a project this device was removed from has nothing to sync.
        if ids.is_empty() && is_removed(device, &id) {
            continue;
        }
        match open_tracked(device, &id) {
            Ok(Some(t)) => {
                let relay = t.file.relay.clone();
                groups
                    .entry(relay.to_string())
                    .or_insert_with(|| (relay, Vec::new()))
                    .1
                    .push(t);
            }
            Ok(None) if explicit_must_be_shared && !ids.is_empty() => bail!(
                "project {id} is not shared; `samspill share {id} --relay URL` puts it on a relay"
            ),
            Ok(None) => {}
            Err(e) => failed.push((id, e)),
        }
    }
    Ok((groups.into_values().collect(), failed))
}

/// Keeps `ids` (all shared projects when empty) in sync until `stop` is set, reconnecting
/// with jittered exponential backoff (`samspill sync --watch`, and the app's engine).
/// Works on `device`'s open documents (start a [`crate::watch::FileWatch`] beside it to
/// pick up other processes' writes). A project that cannot sync is reported as
/// stopped; the others go on.
pub async fn watch(
    device: Device,
    ids: Vec<DocumentId>,
    events: Events,
    stop: Arc<AtomicBool>,
    presence: Option<Presence>,
    commands: Arc<Mutex<mpsc::Receiver<(DocumentId, Command)>>>,
) -> anyhow::Result<()> {
    let (groups, failed) = group_by_relay(&device, &ids, true)?;
    for (id, e) in failed {
        if is_removed(&device, &id) {
            events.set_status(id, SyncStatus::Removed);
        } else {
            events.stopped(&[id], &format!("{e:#}"));
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (relay, docs) in groups {
        let ids: Vec<DocumentId> = docs.iter().map(Tracked::id).collect();
        events
            .shared()
            .by_relay
            .insert(relay.to_string(), ids.clone());
        let (events, stop, presence, commands) = (
            events.clone(),
            stop.clone(),
            presence.clone(),
            commands.clone(),
        );
        tasks.spawn(async move {
            if let Err(e) = relay_task(relay, docs, events.clone(), stop, presence, commands).await
            {
                events.stopped(&ids, &format!("{e:#}"));
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.context("a sync task failed")?;
    }
    Ok(())
}

/// What the app asks of a running engine.
#[derive(Debug, Clone)]
pub enum Command {
    /// The project changed in this process: push its changes now rather than at the
    /// next tick.
    LocalChangesSaved,
    /// What this user is editing now.
    Editing(Option<String>),
}

async fn relay_task(
    relay: RelayUrl,
    mut docs: Vec<Tracked>,
    events: Events,
    stop: Arc<AtomicBool>,
    presence: Option<Presence>,
    commands: Arc<Mutex<mpsc::Receiver<(DocumentId, Command)>>>,
) -> anyhow::Result<()> {
    let ids: Vec<DocumentId> = docs.iter().map(Tracked::id).collect();
    let mut me = presence;
    for t in &mut docs {
        t.sm.set_presence(me.clone());
    }
    let mut backoff = Backoff::default();
    let mut offline_since: Option<SystemTime> = None;
    let mut retries = events.retries();
    while !stop.load(Ordering::SeqCst) {
        // "Koble til nå" since the last wait: start the backoff over.
        if events.retries() != retries {
            retries = events.retries();
            backoff = Backoff::default();
        }
        let mut conn = match Connection::open(&relay, None).await {
            Ok(c) => c,
            Err(e) => {
                let since = *offline_since.get_or_insert_with(SystemTime::now);
                events.emit(SyncEvent::Offline {
                    relay: relay.clone(),
                    since,
                    reason: e.to_string(),
                });
                if !e.is_transient() {
                    events.emit(SyncEvent::Error {
                        project: None,
                        message: e.to_string(),
                    });
                }
                wait_offline(backoff.next(), &stop, &mut docs, &events, since, retries).await;
                continue;
            }
        };
        offline_since = None;
        events.emit(SyncEvent::Connected {
            relay: relay.clone(),
        });
        let started = std::time::Instant::now();
        let interrupt = || {
            if stop.load(Ordering::SeqCst) {
                return Some(Interrupt::Stop);
            }
            let rx = commands.lock().ok()?;
            let (id, cmd) = rx.try_recv().ok()?;
            if !ids.contains(&id) {
                return None;
            }
            Some(match cmd {
                Command::LocalChangesSaved => Interrupt::LocalChange(id),
                Command::Editing(what) => {
                    let p = me.as_mut().map(|p| {
                        p.editing = what;
                        p.clone()
                    });
                    Interrupt::Presence(id, p)
                }
            })
        };
        let result = drive(&mut conn, &mut docs, &events, &Stop::Never, interrupt).await;
        let stopping = matches!(result, Ok(false));
        if stopping {
            // Say goodbye to peers, then close.
            for t in &mut docs {
                let outputs = t.sm.leave(&mut OsEntropy);
                // Leaving is best effort: the peers' 30 s expiry covers a lost goodbye.
                let _ = t.run(outputs, Some(&mut conn), &events).await;
            }
            conn.close().await;
        }
        for t in &mut docs {
            t.sm.disconnected();
        }
        match result {
            Ok(_) => {}
            Err(SessionOutcome::Failed(session::SessionError::Local(e))) => {
                return Err(e.context("saving to this device failed"));
            }
            Err(e) => {
                let since = SystemTime::now();
                offline_since = Some(since);
                events.emit(SyncEvent::Offline {
                    relay: relay.clone(),
                    since,
                    reason: e.to_string(),
                });
            }
        }
        if stopping {
            break;
        }
        if started.elapsed() > Duration::from_secs(10) {
            backoff = Backoff::default();
        }
        match offline_since {
            Some(since) => {
                wait_offline(backoff.next(), &stop, &mut docs, &events, since, retries).await;
            }
            None => sleep_unless_stopped(backoff.next(), &stop, &events, retries).await,
        }
    }
    Ok(())
}

/// Waits out a backoff while the relay is out of reach, keeping the status true: what
/// the person changes meanwhile is saved and counted ("Frakoblet siden 14:02 · 3
/// endringer venter"), every half second. Ends early on stop or "Koble til nå".
async fn wait_offline(
    d: Duration,
    stop: &AtomicBool,
    docs: &mut [Tracked],
    events: &Events,
    since: SystemTime,
    retries: u64,
) {
    let until = tokio::time::Instant::now() + d;
    loop {
        for t in docs.iter_mut() {
            // A failed save is tried again next time; the UI shows its own save errors.
            if let Err(e) = t.pick_up_local() {
                tracing::warn!(project = %t.id(), "could not save while offline: {e:#}");
            }
            let state = t.sm.state();
            let (changes, entries) = t
                .handle
                .with_automerge(|doc| samspill_shared::sync::unsent(state, doc));
            events.set_status(
                t.id(),
                SyncStatus::Offline {
                    since,
                    waiting: changes + entries,
                },
            );
        }
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() || stop.load(Ordering::SeqCst) || events.retries() != retries {
            return;
        }
        sleep_unless_stopped(left.min(Duration::from_millis(500)), stop, events, retries).await;
    }
}

/// Sleeps `d`, waking early on stop or when "Koble til nå" moves `events`' retries on.
async fn sleep_unless_stopped(d: Duration, stop: &AtomicBool, events: &Events, retries: u64) {
    let until = tokio::time::Instant::now() + d;
    while tokio::time::Instant::now() < until
        && !stop.load(Ordering::SeqCst)
        && events.retries() == retries
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Jittered exponential backoff: 0.25 s doubling to 5 s, each wait 50–100 % of that
/// (a facilitator back from a tunnel waits at most 5 s for the relay).
#[derive(Debug)]
struct Backoff {
    next_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next_ms: 250 }
    }
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let base = self.next_ms;
        self.next_ms = (self.next_ms * 2).min(5_000);
        let mut b = [0u8; 8];
        OsEntropy.fill(&mut b);
        let jitter = u64::from_le_bytes(b) % (base / 2 + 1);
        Duration::from_millis(base / 2 + jitter)
    }
}

/// Runs a future on a fresh runtime (the CLI is not async).
pub fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("could not start the async runtime")?;
    Ok(rt.block_on(f))
}

/// The background engine for the desktop app. Every method returns at once.
pub struct SyncHandle {
    events_rx: Mutex<mpsc::Receiver<SyncEvent>>,
    events: Events,
    commands: mpsc::Sender<(DocumentId, Command)>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for SyncHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncHandle").finish_non_exhaustive()
    }
}

impl SyncHandle {
    /// Starts syncing every shared project of `device` on a background thread,
    /// announcing `presence` (give it a random `session`). The engine works on
    /// `device`'s open documents: open projects through the same `device` (or a clone).
    pub fn start(device: Device, presence: Option<Presence>) -> Self {
        let (tx, rx) = mpsc::channel();
        let events = Events {
            tx: Some(tx),
            ..Events::default()
        };
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let commands = Arc::new(Mutex::new(cmd_rx));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (events, stop) = (events.clone(), stop.clone());
            std::thread::Builder::new()
                .name("samspill-sync".to_owned())
                .spawn(move || {
                    let shared = shared_projects(&device).unwrap_or_default();
                    let run = watch(
                        device,
                        Vec::new(),
                        events.clone(),
                        stop.clone(),
                        presence,
                        commands,
                    );
                    let result = block_on(run).and_then(|r| r);
                    let reason = match result {
                        Err(e) => format!("{e:#}"),
                        Ok(()) if stop.load(Ordering::SeqCst) || shared.is_empty() => return,
                        Ok(()) => "the sync engine ended".to_owned(),
                    };
                    events.stopped_unless_said(&shared, &reason);
                    events.emit(SyncEvent::Error {
                        project: None,
                        message: reason,
                    });
                })
                .ok()
        };
        Self {
            events_rx: Mutex::new(rx),
            events,
            commands: cmd_tx,
            stop,
            thread,
        }
    }

    /// "Koble til nå": relays that are out of reach are tried at once, and their
    /// backoff starts over.
    pub fn reconnect_now(&self) {
        self.events.retry_now();
    }

    /// Every event since the last call (never blocks).
    pub fn events(&self) -> Vec<SyncEvent> {
        let Ok(rx) = self.events_rx.lock() else {
            return vec![];
        };
        rx.try_iter().collect()
    }

    /// Called (from the engine's thread) after each event: pass `ctx.request_repaint()`.
    pub fn set_repaint(&self, repaint: Box<dyn Fn() + Send + Sync>) {
        if let Ok(mut r) = self.events.repaint.lock() {
            *r = Some(repaint);
        }
    }

    /// The project's status as of now; `Connecting` for a project the engine has not
    /// reported on yet, `Stopped` when the engine is gone.
    pub fn status(&self, project: &DocumentId) -> SyncStatus {
        let known = self.events.shared().status.get(project).cloned();
        match known {
            Some(s) => s,
            None if self.thread.as_ref().is_some_and(|t| t.is_finished()) => {
                SyncStatus::Stopped("the sync engine is not running".to_owned())
            }
            None => SyncStatus::Connecting,
        }
    }

    /// Everyone else with the project open.
    pub fn presence(&self, project: &DocumentId) -> Vec<Presence> {
        self.events
            .shared
            .lock()
            .ok()
            .and_then(|s| s.peers.get(project).map(|p| p.values().cloned().collect()))
            .unwrap_or_default()
    }

    /// The UI saved local changes of this project: push them.
    pub fn local_changes_saved(&self, project: &DocumentId) {
        // The engine thread is gone only after shutdown; nothing to push to then.
        let _ = self.commands.send((*project, Command::LocalChangesSaved));
    }

    /// What this user is editing now, announced to the others.
    pub fn set_editing(&self, project: &DocumentId, what: Option<String>) {
        let _ = self.commands.send((*project, Command::Editing(what)));
    }

    /// Stops the engine, waiting for it to say goodbye and save.
    pub fn shutdown(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            // A panicked engine thread has nothing left to save.
            let _ = t.join();
        }
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests;
