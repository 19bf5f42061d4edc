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
pub mod lan;
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
pub use persist::{RelayRef, RelaySync, SyncFile};
pub use removal::{Removal, remove, resolve_person};
use session::{Interrupt, SessionOutcome, Stop, Tracked, drive, now_ms};
pub use session::{LEFT_OUT_REASON, REMOVED_REASON};

pub use status::SyncStatus;

use crate::device::{Access, Device, OsEntropy};
use crate::store::ProjectFiles;

/// How long `share`, `join` and `sync` wait for the relay before giving up.
const ONCE_TIMEOUT: Duration = Duration::from_secs(60);

/// What the engine tells the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncEvent {
    /// Connected to a relay (hellos exchanged).
    Connected { relay: RelayRef },
    /// A project's status changed (see [`SyncStatus`]).
    Status {
        project: DocumentId,
        status: SyncStatus,
    },
    /// The relay cannot be reached (since this time); changes wait on disk.
    Offline {
        relay: RelayRef,
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
    /// Each project's status as shown: its home relay's, or the best of its relays on
    /// the local network when it has no home relay.
    status: BTreeMap<DocumentId, SyncStatus>,
    /// Each project's status on each relay it syncs through.
    per_relay: BTreeMap<(DocumentId, RelayRef), SyncStatus>,
    /// The relay whose status a project shows (absent: shared on the LAN only).
    home: BTreeMap<DocumentId, RelayRef>,
    peers: BTreeMap<DocumentId, BTreeMap<String, Presence>>,
    /// Projects of each relay (for `Offline`).
    by_relay: BTreeMap<RelayRef, Vec<DocumentId>>,
    /// This device's own relay on the LAN (not another machine).
    own_lan: Option<RelayRef>,
    /// A project moved to new keys: the LAN adverts and tasks start over with them.
    lan_restart: bool,
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

    /// A project's status on one relay; the project's own status follows from it.
    fn set_relay_status(&self, project: DocumentId, relay: &RelayRef, status: SyncStatus) {
        let shown = {
            let mut s = self.shared();
            s.per_relay.insert((project, relay.clone()), status);
            shown_status(&s, &project)
        };
        if let Some(shown) = shown {
            self.set_status(project, shown);
        }
    }

    /// How many relays on the local network the project is live on now.
    fn live_on_lan(&self, project: &DocumentId) -> usize {
        let s = self.shared();
        s.per_relay
            .iter()
            .filter(|((p, r), st)| {
                p == project
                    && r.is_lan()
                    && s.own_lan.as_ref() != Some(r)
                    && matches!(st, SyncStatus::Synced | SyncStatus::Waiting(_))
            })
            .count()
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
        let relay = t.relay().clone();
        self.set_relay_status(t.id(), &relay, status);
    }

    /// How many changes of a project wait for a relay, as of its last status there.
    fn waiting(&self, project: &DocumentId, relay: &RelayRef) -> usize {
        match self.shared().per_relay.get(&(*project, relay.clone())) {
            Some(SyncStatus::Waiting(n) | SyncStatus::Offline { waiting: n, .. }) => *n,
            _ => 0,
        }
    }

    fn emit(&self, event: SyncEvent) {
        {
            let mut s = self.shared();
            match &event {
                SyncEvent::Offline { relay, since, .. } => {
                    let ids = s.by_relay.get(relay).cloned().unwrap_or_default();
                    drop(s);
                    for id in ids {
                        let waiting = self.waiting(&id, relay);
                        self.set_relay_status(
                            id,
                            relay,
                            SyncStatus::Offline {
                                since: *since,
                                waiting,
                            },
                        );
                        // Peers are heard through every relay; without this one they
                        // may still be there through another, and say so within 30 s.
                        if self.live_on_lan(&id) == 0 {
                            self.shared().peers.remove(&id);
                        }
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

/// What a project shows: its home relay's status, or (shared on the local network
/// only) the best of its relays'.
fn shown_status(s: &Shared, project: &DocumentId) -> Option<SyncStatus> {
    if let Some(home) = s.home.get(project) {
        return s.per_relay.get(&(*project, home.clone())).cloned();
    }
    let rank = |st: &SyncStatus| match st {
        SyncStatus::Removed => 7,
        SyncStatus::Synced => 6,
        SyncStatus::Waiting(_) => 5,
        SyncStatus::Connecting => 4,
        SyncStatus::Offline { .. } => 3,
        SyncStatus::Stopped(_) => 2,
        SyncStatus::Local | SyncStatus::Shared => 1,
    };
    s.per_relay
        .iter()
        .filter(|((p, _), _)| p == project)
        .map(|(_, st)| st)
        .max_by_key(|st| rank(st))
        .cloned()
}

fn open_tracked(
    device: &Device,
    id: &DocumentId,
    relay: &RelayRef,
) -> anyhow::Result<Option<Tracked>> {
    let project = device.open_project(id, Access::Read)?;
    if !project.files().sync_path().exists() {
        return Ok(None);
    }
    Ok(Some(Tracked::new(project, relay, device)?))
}

/// Adds the relays other members recorded in the project (`ProjectDoc::relays`) to its
/// `sync.json`, so a device that joined on the local network reaches them too once
/// the internet is back. Returns the relays added. Only a project with no relay of its
/// own learns one: a project lives on one relay, and an editor must not be able to point
/// every member's machine at further addresses of their choosing.
fn learn_relays(device: &Device, id: &DocumentId) -> anyhow::Result<Vec<RelayUrl>> {
    let files = device.store.project(id)?;
    let Some(file) = persist::load(&files)? else {
        return Ok(Vec::new());
    };
    if file.removed.is_some() || file.home().is_some() {
        return Ok(Vec::new());
    }
    let project = device.open_project(id, Access::Read)?;
    let recorded: Vec<RelayUrl> = project
        .read(samspill_shared::model::ProjectDoc::relays)
        .iter()
        .filter_map(|r| r.parse().ok())
        .collect();
    let new: Vec<RelayUrl> = recorded
        .into_iter()
        .filter(|r| file.relay(&RelayRef::Url(r.clone())).is_none())
        .collect();
    if new.is_empty() {
        return Ok(new);
    }
    let (epoch, _) = project.files().epoch()?;
    persist::update(project.files(), |f| {
        for r in &new {
            if f.relay(&RelayRef::Url(r.clone())).is_none() {
                let entry = RelaySync::existing(RelayRef::Url(r.clone()), epoch);
                // A relay learned by a project that had none becomes its home.
                f.put(entry);
            }
        }
    })?;
    Ok(new)
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

/// Runs `docs` (all on the relay at `url`) until everything is acknowledged and
/// nothing is missing.
async fn once_on(
    url: &RelayUrl,
    token: Option<&str>,
    docs: &mut [Tracked],
    events: &Events,
) -> anyhow::Result<()> {
    let work = async {
        let mut conn = Connection::open(url, token).await?;
        let result = drive(&mut conn, docs, events, &Stop::WhenInSync, || None).await;
        match result {
            Ok(_) => {
                conn.close().await;
                Ok(())
            }
            Err(SessionOutcome::Refused { code, message }) => {
                conn.close().await;
                bail!("{}", refused_message(url, code, &message))
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
            "the relay at {url} did not acknowledge everything within {} seconds; local changes are kept, run `samspill sync` again",
            ONCE_TIMEOUT.as_secs()
        ),
    }
}

/// Puts a project on a relay and returns its invite link (`samspill share`). The
/// relay is recorded in the project, so members who joined on the local network find
/// it too.
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
    let key = RelayRef::Url(relay.clone());
    let (epoch, _) = project.files().epoch()?;
    let before = persist::load(project.files())?;
    let first_time = match &before {
        Some(f) => match f.home() {
            Some(home) if home != relay => bail!(
                "this project is already shared on {home}; its link works there (a project lives on one relay)"
            ),
            Some(_) => false,
            None => {
                // Shared on the local network only until now: this becomes its home
                // (under the lock: an engine may be saving a LAN relay's state).
                persist::update(project.files(), |f| {
                    if f.relay(&key).is_none() {
                        f.relays.insert(0, RelaySync::new(key.clone(), epoch));
                    }
                })?;
                true
            }
        },
        None => {
            persist::save(
                project.files(),
                &SyncFile::with(vec![RelaySync::new(key.clone(), epoch)]),
            )?;
            true
        }
    };
    let mut docs = vec![Tracked::new(project.clone(), &key, device)?];
    if let Err(e) = once_on(relay, token, &mut docs, &Events::discard()).await {
        // A first share that did not go through leaves the project as it was, so it
        // can be shared again, on this relay or another. (Anything the relay did store
        // is pushed again next time; duplicates are harmless.)
        if first_time {
            let undo = match &before {
                Some(_) => {
                    persist::update(project.files(), |f| f.relays.retain(|r| r.relay != key))
                }
                None => std::fs::remove_file(project.files().sync_path()).map_err(Into::into),
            };
            undo.context("could not undo the failed share")?;
        }
        return Err(e);
    }
    let recorded = project.with(|d| d.add_relay(&relay.to_string()));
    if let Err(e) = recorded
        .map_err(anyhow::Error::new)
        .and_then(|()| project.save())
    {
        // The project is shared; only members on the LAN miss the relay's address.
        tracing::warn!("the relay could not be recorded in the project: {e:#}");
    }
    Ok(Invite::new(relay.clone(), secret))
}

/// Why a viewer cannot change a project, said wherever a change is refused.
pub const READ_ONLY_REASON: &str =
    "this device has read access only to the project (it joined from a viewer's link)";

/// An invite link for a project with the given role (`samspill invite`). A viewer's
/// link for a relay is handed out only once the relay has this project's write key
/// from one of its editors, so nobody holding it could register a write key first.
/// With `lan`, the link names no relay: the joiner finds the project on the local
/// network, and a project never shared is shared this way (on the LAN only).
pub fn invite(device: &Device, id: &DocumentId, role: Role, lan: bool) -> anyhow::Result<Invite> {
    let project = device.open_project(id, Access::Read)?;
    let cap = project.files().capability()?;
    let file = match persist::load(project.files())? {
        Some(f) => f,
        None if lan => {
            let f = SyncFile::with(Vec::new());
            persist::save(project.files(), &f)?;
            f
        }
        None => bail!(
            "this project is not shared yet; put it on a relay with `samspill share ID --relay URL` first, or pass --lan for a link for this network"
        ),
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
    if lan {
        // On the LAN nobody can register a write key without the write key itself.
        return Ok(Invite::lan(for_role));
    }
    let Some(home) = file.home() else {
        bail!(
            "this project is shared on the local network only; pass --lan, or put it on a relay with `samspill share ID --relay URL`"
        );
    };
    let registered = file
        .relay(&RelayRef::Url(home.clone()))
        .is_some_and(|r| r.state.write_registered && r.state.snapshot_signed);
    if role == Role::Viewer && cap.role() == Role::Editor && !registered {
        bail!(
            "the relay at {home} has not confirmed this project's write key yet; run `samspill sync` once (online) and ask again",
        );
    }
    Ok(Invite::new(home.clone(), for_role))
}

/// Syncs one project (already on this device) once through its relays with an
/// address.
async fn sync_local(device: &Device, id: &DocumentId) -> anyhow::Result<()> {
    let Some(file) = persist::load(&device.store.project(id)?)? else {
        return Ok(());
    };
    for r in &file.relays {
        if let Some(url) = r.relay.url()
            && let Some(t) = open_tracked(device, id, &r.relay)?
        {
            once_on(url, None, &mut [t], &Events::discard()).await?;
        }
    }
    Ok(())
}

/// Fetches a shared project from an invite link and stores it (`samspill join`).
/// Returns its id. Joining a project already on this device syncs it. A link for the
/// local network waits up to `lan_wait` for a member's advert ([`LAN_JOIN_WAIT`] by
/// default).
pub async fn join(device: &Device, link: &str, lan_wait: Duration) -> anyhow::Result<DocumentId> {
    let invite = Invite::parse(link).map_err(|e| anyhow::anyhow!("{e}"))?;
    let keys = invite.capability.keys();
    let id = keys.doc_id;
    // A link of a later epoch (made after someone was removed) for a project this
    // device has under its first id: that project, synced.
    if let Some(local) = project_in_epoch(device, &id)? {
        let files = device.store.project(&local)?;
        if let Some(file) = persist::load(&files)?
            && let Some(removed) = file.removed.clone()
        {
            // Given the new epoch's key by link: back in, from the new document's start.
            files.set_epoch(removed.epoch, &invite.capability)?;
            let relays = file
                .relays
                .iter()
                .map(|r| {
                    if Some(&r.relay) == file.home().map(|h| RelayRef::Url(h.clone())).as_ref() {
                        RelaySync::existing(r.relay.clone(), removed.epoch)
                    } else {
                        RelaySync::new(r.relay.clone(), removed.epoch)
                    }
                })
                .collect();
            persist::save(&files, &SyncFile::with(relays))?;
        }
        Box::pin(sync_local(device, &local)).await?;
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
        Box::pin(sync_local(device, &id)).await?;
        return Ok(id);
    }
    let (relay, url, (mut doc, mut state, legacy)) = match &invite.relay {
        Some(url) => {
            let fetched = Box::pin(fetch(url, keys, session::config())).await?;
            (RelayRef::Url(url.clone()), url.clone(), fetched)
        }
        None => {
            let lan = lan::Lan::start(
                device.store.data_dir(),
                &[(id, invite.capability.keys())],
                false,
            )
            .await?;
            let got = Box::pin(fetch_on_lan(&lan, &invite.capability, lan_wait)).await;
            lan.stop().await;
            let (relay, url, fetched) = got?;
            (RelayRef::Lan(relay), url, fetched)
        }
    };
    if doc.get_heads().is_empty() {
        bail!("the relay at {url} has this project but holds nothing readable in it");
    }
    let project_doc = ProjectDoc::open(doc, crate::device::fresh_actor(), device.editor())
        .context("the shared project is not a Samspill project")?;
    let project = device.adopt(&invite.capability, project_doc)?;
    // Everything it fetched was signed: nothing on the relay needs a signed snapshot
    // from this device (else it makes one at the first chance).
    state.snapshot_signed |= !legacy;
    let entry = RelaySync {
        state,
        ..RelaySync::existing(relay, 0)
    };
    persist::save(project.files(), &SyncFile::with(vec![entry]))?;
    learn_relays(device, &id)?;
    Ok(id)
}

/// How long `join` with a link for the local network looks for a member by default.
pub const LAN_JOIN_WAIT: Duration = Duration::from_secs(30);

/// The first of a LAN relay's addresses that answers (its machine may have several).
async fn first_reachable(urls: &[RelayUrl]) -> anyhow::Result<RelayUrl> {
    let mut last = None;
    for url in urls {
        match Connection::open(url, None).await {
            Ok(c) => {
                c.close().await;
                return Ok(url.clone());
            }
            Err(e) => last = Some(e),
        }
    }
    match last {
        Some(e) => Err(e.into()),
        None => bail!("the member's machine named no address to reach it at"),
    }
}

/// A fetched document, its sync state, and whether any of it was unsigned.
type Fetched = (AutoCommit, SyncState, bool);

/// Fetches the project from the first member found on the network within `within`
/// whose relay answers and has it: a member whose machine cannot be reached from here,
/// or that does not have the project (a copied advert), does not stop the others.
async fn fetch_on_lan(
    lan: &lan::Lan,
    cap: &samspill_shared::crypto::Capability,
    within: Duration,
) -> anyhow::Result<(samspill_shared::lan::LanRelayId, RelayUrl, Fetched)> {
    // A day is as long as anyone waits (and keeps the deadline representable).
    let within = within.min(Duration::from_secs(24 * 3600));
    let until = tokio::time::Instant::now() + within;
    let mut tried: Vec<(samspill_shared::lan::LanRelayId, Vec<RelayUrl>)> = Vec::new();
    let mut last = None;
    let mut config = session::config();
    config.snapshots = false;
    loop {
        for f in lan.found() {
            let key = (f.relay, f.urls);
            if tried.contains(&key) {
                continue;
            }
            let got = match first_reachable(&key.1).await {
                Ok(url) => Box::pin(fetch(&url, cap.keys(), config.clone()))
                    .await
                    .map(|fetched| (url, fetched)),
                Err(e) => Err(e),
            };
            match got {
                Ok((url, fetched)) => return Ok((key.0, url, fetched)),
                Err(e) => last = Some(e),
            }
            tried.push(key);
        }
        if tokio::time::Instant::now() >= until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    match last {
        Some(e) => Err(e.context("found this project on the network, but could not reach it")),
        None => bail!(
            "found no one with this project on this network within {} seconds; ask whoever sent the link to run `samspill sync --lan --watch` (or \"Synkroniser på dette nettverket\" in the app) on this network",
            within.as_secs()
        ),
    }
}

/// Fetches a whole document from a relay: the document, the state that goes with it,
/// and whether any of it was unsigned (written before entries were signed).
async fn fetch(
    relay: &RelayUrl,
    keys: samspill_shared::crypto::ProjectKeys,
    config: samspill_shared::sync::SyncConfig,
) -> anyhow::Result<Fetched> {
    let mut sm = DocSync::new(keys, SyncState::default(), config);
    let mut doc = AutoCommit::new();
    let work = async {
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
    match tokio::time::timeout(ONCE_TIMEOUT, work).await {
        Ok(r) => r?,
        Err(_) => bail!("the relay at {relay} did not send the whole project within 60 seconds"),
    }
    let legacy = sm.saw_legacy();
    Ok((doc, sm.state().clone(), legacy))
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

/// Every shared project on this device (on a relay or on the local network).
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
/// projects when empty), on every relay with an address, and returns once everything
/// is in sync (`samspill sync`). A project that cannot sync (its key is missing, say)
/// fails the command after the others have synced.
pub async fn sync_once(device: &Device, ids: &[DocumentId]) -> anyhow::Result<usize> {
    let (groups, failed) = group_by_relay(device, ids, true)?;
    let mut n = 0;
    let mut removed = Vec::new();
    for (relay, mut docs) in groups {
        let Some(url) = relay.url() else { continue };
        n += docs.len();
        once_on(url, None, &mut docs, &Events::discard()).await?;
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

/// How long `sync --lan` (once) looks for members on the network.
pub const LAN_LOOK: Duration = Duration::from_secs(3);

/// Syncs `ids` (all shared projects when empty) once through every member found on
/// the local network within [`LAN_LOOK`] (`samspill sync --lan`). Returns how many
/// relays each project was synced through; fails when nobody was found.
pub async fn sync_lan_once(device: &Device, ids: &[DocumentId]) -> anyhow::Result<usize> {
    let projects = lan_projects(device, ids)?;
    if projects.is_empty() {
        bail!(
            "no shared projects on this device; `samspill invite ID --role editor --lan` shares one on this network"
        );
    }
    let lan = lan::Lan::start(device.store.data_dir(), &projects, true).await?;
    let all: Vec<DocumentId> = projects.iter().map(|(id, _)| *id).collect();
    let own = lan.own().map(|(relay, url)| (RelayRef::Lan(relay), url));
    // This device's own relay first, so that members syncing through it meanwhile find
    // what this device has, and again at the end, for what they left there.
    let mut result = Ok(());
    if let Some((relay, url)) = &own
        && let Err(e) = once_through(device, relay, url, &all).await
    {
        result = Err(e);
    }
    tokio::time::sleep(LAN_LOOK).await;
    let mut found: BTreeMap<RelayRef, (Vec<RelayUrl>, Vec<DocumentId>)> = BTreeMap::new();
    for f in lan.found() {
        let e = found
            .entry(RelayRef::Lan(f.relay))
            .or_insert_with(|| (f.urls.clone(), Vec::new()));
        e.0 = f.urls;
        if !e.1.contains(&f.project) {
            e.1.push(f.project);
        }
    }
    let mut n = 0;
    for (relay, (urls, ids)) in found {
        let url = match first_reachable(&urls).await {
            Ok(u) => u,
            Err(e) => {
                result = Err(e);
                continue;
            }
        };
        match once_through(device, &relay, &url, &ids).await {
            Ok(synced) => n += synced,
            Err(e) => result = Err(e),
        }
    }
    if let Some((relay, url)) = &own
        && let Err(e) = once_through(device, relay, url, &all).await
    {
        result = Err(e);
    }
    lan.stop().await;
    result?;
    if n == 0 {
        bail!(
            "found no one with these projects on this network; the others run `samspill sync --lan --watch` (or \"Synkroniser på dette nettverket\" in the app)"
        );
    }
    Ok(n)
}

/// Syncs `ids` once through one relay; returns how many were synced there.
async fn once_through(
    device: &Device,
    relay: &RelayRef,
    url: &RelayUrl,
    ids: &[DocumentId],
) -> anyhow::Result<usize> {
    let mut docs = Vec::new();
    for id in ids {
        if let Some(t) = open_tracked(device, id, relay)? {
            docs.push(t);
        }
    }
    once_on(url, None, &mut docs, &Events::discard()).await?;
    Ok(docs.len())
}

/// The projects shared on the local network only (no relay with an address).
fn lan_only(device: &Device, ids: &[DocumentId]) -> Vec<DocumentId> {
    let all = if ids.is_empty() {
        shared_projects(device).unwrap_or_default()
    } else {
        ids.to_vec()
    };
    all.into_iter()
        .filter(|id| {
            device
                .store
                .project(id)
                .ok()
                .and_then(|f| persist::load(&f).ok().flatten())
                .is_some_and(|f| f.removed.is_none() && f.home().is_none())
        })
        .collect()
}

/// Which projects, in which epoch, the LAN adverts are for.
fn lan_signature(device: &Device, ids: &[DocumentId]) -> Vec<(DocumentId, u32)> {
    let all = if ids.is_empty() {
        shared_projects(device).unwrap_or_default()
    } else {
        ids.to_vec()
    };
    all.into_iter()
        .filter(|id| !is_removed(device, id))
        .filter_map(|id| {
            let epoch = device.store.project(&id).ok()?.epoch().ok()?.0;
            Some((id, epoch))
        })
        .collect()
}

/// The projects (with their current keys) to look for and advertise on the LAN.
fn lan_projects(
    device: &Device,
    ids: &[DocumentId],
) -> anyhow::Result<Vec<(DocumentId, samspill_shared::crypto::ProjectKeys)>> {
    let all = if ids.is_empty() {
        shared_projects(device)?
    } else {
        ids.to_vec()
    };
    let mut out = Vec::new();
    for id in all {
        if is_removed(device, &id) {
            continue;
        }
        let files = device.store.project(&id)?;
        match files.epoch() {
            Ok((_, cap)) => out.push((id, cap.keys())),
            Err(e) => tracing::warn!(project = %id, "not on the local network: {e}"),
        }
    }
    Ok(out)
}

type Groups = Vec<(RelayRef, Vec<Tracked>)>;

/// The projects' relays with an address, each with its projects (relays on the local
/// network are found by mDNS instead).
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
    let mut groups: BTreeMap<RelayRef, Vec<Tracked>> = BTreeMap::new();
    let mut failed = Vec::new();
    for id in all {
        // Asked for all: a project this device was removed from has nothing to sync.
        if ids.is_empty() && is_removed(device, &id) {
            continue;
        }
        if let Err(e) = learn_relays(device, &id) {
            failed.push((id, e));
            continue;
        }
        let file = match device
            .store
            .project(&id)
            .map_err(anyhow::Error::new)
            .and_then(|f| persist::load(&f))
        {
            Ok(f) => f,
            Err(e) => {
                failed.push((id, e));
                continue;
            }
        };
        let Some(file) = file else {
            if explicit_must_be_shared && !ids.is_empty() {
                bail!(
                    "project {id} is not shared; `samspill share {id} --relay URL` puts it on a relay"
                );
            }
            continue;
        };
        let relays: Vec<RelayRef> = file
            .relays
            .iter()
            .map(|r| r.relay.clone())
            .filter(|r| !r.is_lan())
            .collect();
        if relays.is_empty() && explicit_must_be_shared && !ids.is_empty() && file.removed.is_none()
        {
            bail!(
                "project {id} is shared on the local network only; `samspill sync --lan` syncs it there"
            );
        }
        for relay in relays {
            match open_tracked(device, &id, &relay) {
                Ok(Some(t)) => groups.entry(relay).or_default().push(t),
                Ok(None) => {}
                Err(e) => {
                    failed.push((id, e));
                    break;
                }
            }
        }
    }
    Ok((groups.into_iter().collect(), failed))
}

/// Keeps `ids` (all shared projects when empty) in sync until `stop` is set, reconnecting
/// with jittered exponential backoff (`samspill sync --watch`, and the app's engine).
/// Works on `device`'s open documents (start a [`crate::watch::FileWatch`] beside it to
/// pick up other processes' writes). A project that cannot sync is reported as
/// stopped; the others go on.
///
/// One task per relay with an address, for the projects on it. While `lan` is set, this
/// device also serves and advertises its projects on the local network, and one task
/// per (relay, project) found there syncs through it; relays another member recorded
/// in a project are picked up as they appear.
pub async fn watch(
    device: Device,
    ids: Vec<DocumentId>,
    events: Events,
    stop: Arc<AtomicBool>,
    presence: Option<Presence>,
    commands: Arc<Mutex<mpsc::Receiver<(DocumentId, Command)>>>,
    lan: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let (groups, failed) = group_by_relay(&device, &ids, true)?;
    for (id, e) in failed {
        if is_removed(&device, &id) {
            events.set_status(id, SyncStatus::Removed);
        } else {
            events.stopped(&[id], &format!("{e:#}"));
        }
    }
    // Shared on the LAN only: nothing to say until the LAN is on.
    for id in lan_only(&device, &ids) {
        events.set_status(id, SyncStatus::Shared);
    }
    // Every task hears every command (a project may sync through several relays).
    let (fan_out, _) = tokio::sync::broadcast::channel::<(DocumentId, Command)>(1024);
    let mut sup = Supervisor {
        device,
        events,
        presence,
        fan_out,
        tasks: tokio::task::JoinSet::new(),
        running: BTreeMap::new(),
        lan_addresses: BTreeMap::new(),
        learned: BTreeMap::new(),
    };
    for (relay, docs) in groups {
        sup.spawn(&relay, None, docs, None);
    }
    let mut lan_on: Option<lan::Lan> = None;
    let mut lan_stop = Arc::new(AtomicBool::new(false));
    // The projects (and their epochs) the LAN adverts were made for.
    let mut lan_for: Vec<(DocumentId, u32)> = Vec::new();
    let mut last_learn = tokio::time::Instant::now();
    while !stop.load(Ordering::SeqCst) {
        // A removal moved a project to new keys, or a project was shared on the LAN
        // since: the old adverts (and the old documents on the LAN) must go, at once.
        let moved = std::mem::take(&mut sup.events.shared().lan_restart);
        let changed = last_learn.elapsed() > LEARN_EVERY
            && lan_on.as_ref().is_some_and(|l| {
                // An engine being replaced held this data directory's relay when this
                // one started: serve it as soon as it is free.
                (l.own().is_none() && lan::can_host(sup.device.store.data_dir()))
                    || lan_signature(&sup.device, &ids) != lan_for
            });
        if (moved || changed)
            && let Some(l) = lan_on.take()
        {
            tracing::info!("the projects on the local network changed; advertising them anew");
            lan_stop.store(true, Ordering::SeqCst);
            sup.forget_lan();
            l.stop().await;
        }
        if let Ok(rx) = commands.lock() {
            for c in rx.try_iter() {
                // No task listening is fine: nothing to tell.
                let _ = sup.fan_out.send(c);
            }
        }
        if last_learn.elapsed() > LEARN_EVERY {
            last_learn = tokio::time::Instant::now();
            sup.learn(&ids);
        }
        let want_lan = lan.load(Ordering::SeqCst);
        if want_lan && lan_on.is_none() {
            lan_for = lan_signature(&sup.device, &ids);
            let started = match lan_projects(&sup.device, &ids) {
                Ok(projects) => lan::Lan::start(sup.device.store.data_dir(), &projects, true)
                    .await
                    .map(|l| (l, projects)),
                Err(e) => Err(e),
            };
            match started {
                Ok((l, projects)) => {
                    lan_stop = Arc::new(AtomicBool::new(false));
                    sup.events.shared().own_lan = l.own().map(|(r, _)| RelayRef::Lan(r));
                    if let Some((relay, url)) = l.own() {
                        let own: Vec<lan::Found> = projects
                            .iter()
                            .map(|(id, _)| lan::Found {
                                project: *id,
                                relay,
                                urls: vec![url.clone()],
                            })
                            .collect();
                        sup.found(&own, &lan_stop);
                    }
                    lan_on = Some(l);
                }
                Err(e) => {
                    lan.store(false, Ordering::SeqCst);
                    sup.events.emit(SyncEvent::Error {
                        project: None,
                        message: format!("syncing on this network could not start: {e:#}"),
                    });
                }
            }
        } else if !want_lan && let Some(l) = lan_on.take() {
            lan_stop.store(true, Ordering::SeqCst);
            sup.forget_lan();
            l.stop().await;
        }
        if let Some(l) = &lan_on {
            sup.found(&l.found(), &lan_stop);
        }
        sup.reap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for flag in sup.running.values() {
        flag.store(true, Ordering::SeqCst);
    }
    let mut result = Ok(());
    while let Some(done) = sup.tasks.join_next().await {
        if let Err(e) = done {
            result = Err(anyhow::Error::new(e).context("a sync task failed"));
        }
    }
    // Whatever happened: the relay on the network closes its store before its lock goes.
    if let Some(l) = lan_on {
        l.stop().await;
    }
    result
}

/// How often the engine looks for relays other members recorded in a project.
const LEARN_EVERY: Duration = Duration::from_secs(2);

/// Where a relay task connects: a fixed address, or wherever mDNS last found a relay
/// on the local network.
#[derive(Clone)]
enum Address {
    Fixed(RelayUrl),
    /// Every address the relay's advert named, best first.
    Found(Arc<Mutex<Vec<RelayUrl>>>),
}

impl Address {
    fn candidates(&self) -> Vec<RelayUrl> {
        match self {
            Self::Fixed(u) => vec![u.clone()],
            Self::Found(u) => u
                .lock()
                .map_or_else(|e| e.into_inner().clone(), |u| u.clone()),
        }
    }

    /// Connects to the first candidate that answers; the one that did is tried first
    /// next time. (A relay is found only with an address, so there is always one.)
    async fn open(&self) -> Result<Connection, ConnError> {
        let mut candidates = self.candidates().into_iter();
        let Some(first) = candidates.next() else {
            return Err(ConnError::NoAddress);
        };
        let mut result = Connection::open(&first, None).await;
        let mut used = first;
        for url in candidates {
            if result.is_ok() {
                break;
            }
            used = url;
            result = Connection::open(&used, None).await;
        }
        if result.is_ok()
            && let Self::Found(cell) = self
            && let Ok(mut urls) = cell.lock()
            && let Some(i) = urls.iter().position(|u| *u == used)
        {
            let u = urls.remove(i);
            urls.insert(0, u);
        }
        result
    }
}

/// The relay tasks of a [`watch`]: which (relay, project) pairs run, with their stop
/// flags.
struct Supervisor {
    device: Device,
    events: Events,
    presence: Option<Presence>,
    fan_out: tokio::sync::broadcast::Sender<(DocumentId, Command)>,
    tasks: tokio::task::JoinSet<()>,
    /// Each running task's (relay, projects) and stop flag.
    running: BTreeMap<(RelayRef, Vec<DocumentId>), Arc<AtomicBool>>,
    lan_addresses: BTreeMap<RelayRef, Arc<Mutex<Vec<RelayUrl>>>>,
    /// Each project's files as [`Supervisor::learn`] last read them: it reads a project
    /// again only when they changed.
    learned: BTreeMap<DocumentId, FilesSeen>,
}

/// The length and modification time of a project's log, snapshot and `sync.json`.
type FilesSeen = [Option<(u64, std::time::SystemTime)>; 3];

fn files_seen(files: &ProjectFiles) -> FilesSeen {
    [files.log_path(), files.snapshot_path(), files.sync_path()].map(|p| {
        let m = std::fs::metadata(p).ok()?;
        Some((m.len(), m.modified().ok()?))
    })
}

impl Supervisor {
    fn runs(&self, relay: &RelayRef, id: &DocumentId) -> bool {
        self.running
            .keys()
            .any(|(r, ids)| r == relay && ids.contains(id))
    }

    fn spawn(
        &mut self,
        relay: &RelayRef,
        address: Option<Address>,
        docs: Vec<Tracked>,
        also_stop: Option<&Arc<AtomicBool>>,
    ) {
        let address = match (address, relay.url()) {
            (Some(a), _) => a,
            (None, Some(url)) => Address::Fixed(url.clone()),
            (None, None) => return,
        };
        let ids: Vec<DocumentId> = docs.iter().map(Tracked::id).collect();
        {
            let mut s = self.events.shared();
            let on = s.by_relay.entry(relay.clone()).or_default();
            on.extend(ids.iter().copied());
            on.sort();
            on.dedup();
            for t in &docs {
                let home = t
                    .handle
                    .files()
                    .sync_path()
                    .exists()
                    .then(|| persist::load(t.handle.files()).ok().flatten())
                    .flatten()
                    .and_then(|f| f.home().cloned());
                match home {
                    Some(h) => s.home.insert(t.id(), RelayRef::Url(h)),
                    None => s.home.remove(&t.id()),
                };
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        self.running
            .insert((relay.clone(), ids.clone()), Arc::clone(&stop));
        let stops = match also_stop {
            Some(s) => vec![stop, Arc::clone(s)],
            None => vec![stop],
        };
        let (events, presence, commands) = (
            self.events.clone(),
            self.presence.clone(),
            self.fan_out.subscribe(),
        );
        let relay = relay.clone();
        self.tasks.spawn(async move {
            let lan = relay.is_lan();
            if let Err(e) = Box::pin(relay_task(
                relay,
                address,
                docs,
                events.clone(),
                stops,
                presence,
                commands,
            ))
            .await
            {
                if lan {
                    // A member's laptop that went away is no reason to stop the project.
                    events.emit(SyncEvent::Error {
                        project: None,
                        message: format!("{e:#}"),
                    });
                } else {
                    events.stopped(&ids, &format!("{e:#}"));
                }
            }
        });
    }

    /// A project's relay was found on the LAN: sync through it (at its new address,
    /// when it is one already known).
    /// Relays found on the network: each one's address is updated, and the projects
    /// found there that no task syncs yet start syncing, one connection per relay for
    /// all of them found together (a relay on the network holds a bounded number of
    /// connections per machine).
    fn found(&mut self, found: &[lan::Found], lan_stop: &Arc<AtomicBool>) {
        let mut by_relay: BTreeMap<RelayRef, Vec<Tracked>> = BTreeMap::new();
        for f in found {
            let relay = RelayRef::Lan(f.relay);
            match self.lan_addresses.get(&relay) {
                Some(cell) => {
                    if let Ok(mut u) = cell.lock() {
                        *u = f.urls.clone();
                    }
                }
                None => {
                    let cell = Arc::new(Mutex::new(f.urls.clone()));
                    self.lan_addresses.insert(relay.clone(), cell);
                }
            }
            let batch = by_relay.entry(relay.clone()).or_default();
            if self.runs(&relay, &f.project) || batch.iter().any(|t| t.id() == f.project) {
                continue;
            }
            match open_tracked(&self.device, &f.project, &relay) {
                Ok(Some(t)) => batch.push(t),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(project = %f.project, "cannot sync on the local network: {e:#}");
                }
            }
        }
        for (relay, docs) in by_relay {
            let Some(cell) = self.lan_addresses.get(&relay).map(Arc::clone) else {
                continue;
            };
            if !docs.is_empty() {
                tracing::info!(%relay, projects = docs.len(), "syncing on the local network");
                self.spawn(&relay, Some(Address::Found(cell)), docs, Some(lan_stop));
            }
        }
    }

    /// Relays recorded in a project by another member: start syncing through them.
    fn learn(&mut self, ids: &[DocumentId]) {
        let all = if ids.is_empty() {
            shared_projects(&self.device).unwrap_or_default()
        } else {
            ids.to_vec()
        };
        for id in all {
            let Ok(files) = self.device.store.project(&id) else {
                continue;
            };
            let seen = files_seen(&files);
            if self.learned.get(&id) == Some(&seen) {
                continue;
            }
            let Ok(Some(file)) = persist::load(&files) else {
                continue;
            };
            if file.removed.is_some() {
                self.learned.insert(id, seen);
                continue;
            }
            // Relays recorded by another member, or added by another process here
            // (`samspill share` while this engine runs).
            if learn_relays(&self.device, &id).is_err() {
                continue;
            }
            let Ok(Some(file)) = persist::load(&files) else {
                continue;
            };
            // What this pass read (and maybe wrote), unless something failed: the next
            // pass reads only if the project changes again.
            let read = files_seen(&files);
            let mut done = true;
            for entry in file.relays {
                let relay = entry.relay;
                if relay.is_lan() || self.runs(&relay, &id) {
                    continue;
                }
                match open_tracked(&self.device, &id, &relay) {
                    Ok(Some(t)) => {
                        tracing::info!(project = %id, %relay, "syncing through a relay new to this engine");
                        self.spawn(&relay, None, vec![t], None);
                    }
                    Ok(None) => {}
                    Err(_) => done = false,
                }
            }
            if done {
                self.learned.insert(id, read);
            }
        }
    }

    /// The LAN was switched off: its tasks are stopping; forget them and their status.
    fn forget_lan(&mut self) {
        self.running.retain(|(r, _), _| !r.is_lan());
        self.lan_addresses.clear();
        let changed: Vec<DocumentId> = {
            let mut s = self.events.shared();
            let ids: Vec<DocumentId> = s
                .per_relay
                .keys()
                .filter(|(_, r)| r.is_lan())
                .map(|(p, _)| *p)
                .collect();
            s.per_relay.retain(|(_, r), _| !r.is_lan());
            s.by_relay.retain(|r, _| !r.is_lan());
            ids
        };
        for id in changed {
            let shown = shown_status(&self.events.shared(), &id);
            self.events
                .set_status(id, shown.unwrap_or(SyncStatus::Shared));
        }
    }

    /// Drops the bookkeeping of tasks that ended.
    fn reap(&mut self) {
        while let Some(done) = self.tasks.try_join_next() {
            if let Err(e) = done {
                tracing::warn!("a sync task failed: {e}");
            }
        }
    }
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

fn any_set(stops: &[Arc<AtomicBool>]) -> bool {
    stops.iter().any(|s| s.load(Ordering::SeqCst))
}

async fn relay_task(
    relay: RelayRef,
    address: Address,
    mut docs: Vec<Tracked>,
    events: Events,
    stops: Vec<Arc<AtomicBool>>,
    presence: Option<Presence>,
    mut commands: tokio::sync::broadcast::Receiver<(DocumentId, Command)>,
) -> anyhow::Result<()> {
    let ids: Vec<DocumentId> = docs.iter().map(Tracked::id).collect();
    let mut me = presence;
    for t in &mut docs {
        t.sm.set_presence(me.clone());
    }
    let mut backoff = Backoff::default();
    let mut offline_since: Option<SystemTime> = None;
    let mut retries = events.retries();
    let stop = StopFlags(stops);
    while !stop.is_set() {
        // "Koble til nå" since the last wait: start the backoff over.
        if events.retries() != retries {
            retries = events.retries();
            backoff = Backoff::default();
        }
        let mut conn = match address.open().await {
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
            if stop.is_set() {
                return Some(Interrupt::Stop);
            }
            loop {
                let (id, cmd) = match commands.try_recv() {
                    Ok(c) => c,
                    // Missed commands were pushes and presence: the next tick covers them.
                    Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => continue,
                    Err(_) => return None,
                };
                if !ids.contains(&id) {
                    continue;
                }
                return Some(match cmd {
                    Command::LocalChangesSaved => Interrupt::LocalChange(id),
                    Command::Editing(what) => {
                        let p = me.as_mut().map(|p| {
                            p.editing = what;
                            p.clone()
                        });
                        Interrupt::Presence(id, p)
                    }
                });
            }
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
    if relay.is_lan() {
        // Switched off: this relay says nothing about the project any more.
        let mut s = events.shared();
        for id in &ids {
            s.per_relay.remove(&(*id, relay.clone()));
        }
    }
    Ok(())
}

/// A relay task stops when any of its flags is set (the engine's, the LAN's, its own).
struct StopFlags(Vec<Arc<AtomicBool>>);

impl StopFlags {
    fn is_set(&self) -> bool {
        any_set(&self.0)
    }
}

/// Waits out a backoff while the relay is out of reach, keeping the status true: what
/// the person changes meanwhile is saved and counted ("Frakoblet siden 14:02 · 3
/// endringer venter"), every half second. Ends early on stop or "Koble til nå".
async fn wait_offline(
    d: Duration,
    stop: &StopFlags,
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
            let relay = t.relay().clone();
            events.set_relay_status(
                t.id(),
                &relay,
                SyncStatus::Offline {
                    since,
                    waiting: changes + entries,
                },
            );
        }
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() || stop.is_set() || events.retries() != retries {
            return;
        }
        sleep_unless_stopped(left.min(Duration::from_millis(500)), stop, events, retries).await;
    }
}

/// Sleeps `d`, waking early on stop or when "Koble til nå" moves `events`' retries on.
async fn sleep_unless_stopped(d: Duration, stop: &StopFlags, events: &Events, retries: u64) {
    let until = tokio::time::Instant::now() + d;
    while tokio::time::Instant::now() < until && !stop.is_set() && events.retries() == retries {
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
    lan: Arc<AtomicBool>,
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
        let lan = Arc::new(AtomicBool::new(false));
        let thread = {
            let (events, stop, lan) = (events.clone(), stop.clone(), lan.clone());
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
                        lan,
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
            lan,
            thread,
        }
    }

    /// "Synkroniser på dette nettverket": serve and find this device's projects on the
    /// local network (beside their relays), or stop doing so.
    pub fn set_lan(&self, on: bool) {
        self.lan.store(on, Ordering::SeqCst);
    }

    /// Whether the engine syncs on the local network.
    pub fn lan(&self) -> bool {
        self.lan.load(Ordering::SeqCst)
    }

    /// How many members' relays on the local network the project is live on.
    pub fn live_on_lan(&self, project: &DocumentId) -> usize {
        self.events.live_on_lan(project)
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
