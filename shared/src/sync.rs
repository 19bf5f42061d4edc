//! The client's sync state machine for one document: events in, effects out.
//!
//! [`DocSync`] knows nothing of sockets, files or clocks. The engine (`app/src/sync`)
//! feeds it what happens — a connection came up ([`DocSync::connected`]), a frame
//! arrived ([`DocSync::handle`]), the document changed locally
//! ([`DocSync::local_change`]), time passed ([`DocSync::tick`]) — and carries out the
//! [`Output`]s it returns, **in order**: send a frame, save the document, save the
//! [`SyncState`], tell the UI something. Time is passed in as milliseconds and nonces
//! come from a caller-supplied [`Entropy`], so tests are deterministic.
//!
//! What it keeps (see `docs/sync.md` for the full story):
//!
//! - `last_seq`: every relay entry up to it has been applied (or skipped as unreadable).
//!   Entries are applied in whatever order they come; `last_seq` only moves over a
//!   contiguous run, so a lost frame is noticed and fetched again by subscribing again
//!   (a second `Subscribe` replaces the first on the relay; no `Unsubscribe` is sent, so
//!   the two can never cross).
//! - `unacked`: encrypted entries pushed (or waiting to be pushed) and not yet
//!   acknowledged. They are pushed again after every reconnect until acknowledged;
//!   Automerge ignores changes it already has, so duplicates are harmless.
//! - `shipped_heads`: the document heads as of the last entry cut. Local changes after
//!   them, batched over [`SyncConfig::batch_ms`], become the next entry.
//!
//! An entry that fails to decrypt or is not Automerge is reported with
//! [`Notice::Skipped`] and never applied; the machine still moves past it. A snapshot
//! that does not open *as covering the sequence number the relay gave it* is reported
//! and not moved past: a relay that relabels a snapshot cannot make a client skip
//! entries. Sequence numbers from the relay are used with checked arithmetic.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use automerge::{AutoCommit, ChangeHash};
use serde::{Deserialize, Serialize};

use crate::crypto::{self, BlobKind, CHALLENGE_LEN, NONCE_LEN, ProjectKeys};
use crate::epoch::Rotation;
use crate::ids::Entropy;
use crate::protocol::{ClientFrame, ErrorCode, ServerFrame};

/// Tunables. [`SyncConfig::default`] is what the app uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// At most one entry of local changes per this long: a change after a quiet spell is
    /// cut at once (on the next tick), changes that follow within it are gathered.
    pub batch_ms: u64,
    /// Upload a snapshot when the relay's log holds this many entries after its last one.
    pub compact_after: u64,
    /// Whether this client puts snapshots on the relay at all. Off for a relay on the
    /// local network: a snapshot covers the numbering of the relay it was made for, and
    /// one made for a relay in the middle could cut another relay's log.
    pub snapshots: bool,
    /// How often to announce presence while connected.
    pub heartbeat_ms: u64,
    /// A peer not heard from for this long has left.
    pub presence_ttl_ms: u64,
    /// Push again, or subscribe again, when the relay has not answered for this long.
    pub retry_ms: u64,
    /// The largest plaintext of one entry; bigger batches are split.
    pub max_entry_bytes: usize,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            batch_ms: 50,
            compact_after: 500,
            snapshots: true,
            heartbeat_ms: 10_000,
            presence_ttl_ms: 30_000,
            retry_ms: 10_000,
            max_entry_bytes: 1024 * 1024,
        }
    }
}

/// What survives a restart: written to `sync.json` by the app whenever
/// [`Output::SaveState`] says so.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// Every relay entry up to this one is in the local document.
    pub last_seq: u64,
    /// The newest snapshot on the relay this client knows of (its `covers`).
    pub snapshot_seq: u64,
    /// Whether that snapshot binds its `covers` (protocol 2). State saved before
    /// version 2 says false: the relay's snapshot is then one newcomers refuse, and
    /// this client makes a new one at the next chance.
    #[serde(default)]
    pub snapshot_bound: bool,
    /// Whether that snapshot is signed with the write key. State saved before entries
    /// were signed says false: an editor then makes a signed snapshot at the next
    /// chance, so newcomers (who refuse unsigned entries) get everything.
    #[serde(default)]
    pub snapshot_signed: bool,
    /// The relay has confirmed that this client's write key is the document's (an
    /// `Authorized` answer). A viewer link is only handed out once it is, so nobody who
    /// can only read could register a write key of their own first.
    #[serde(default)]
    pub write_registered: bool,
    /// The id the next push gets.
    pub next_push_id: u64,
    /// Document heads as of the last entry cut (hex change hashes).
    pub shipped_heads: Vec<String>,
    /// Entries not yet acknowledged by the relay, oldest first.
    pub unacked: Vec<Unacked>,
}

/// One encrypted entry waiting for its acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unacked {
    pub id: u64,
    /// The encrypted blob exactly as pushed (base64 in JSON).
    #[serde(with = "b64")]
    pub blob: Vec<u8>,
}

mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        STANDARD.decode(s).map_err(serde::de::Error::custom)
    }
}

/// Who is in a project right now, as announced in encrypted ephemeral frames.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// Random per app session, so one person on two machines shows twice.
    pub session: String,
    /// The person id in the project's people.
    pub person: String,
    pub name: String,
    /// `#RRGGBB`.
    pub colour: String,
    /// What they are editing (a path such as `phases/<id>/notes`), if anything.
    #[serde(default)]
    pub editing: Option<String>,
    /// Set on the last heartbeat of a session that is closing.
    #[serde(default)]
    pub leaving: bool,
}

/// Where the machine is with its relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No connection.
    Offline,
    /// Subscribed, waiting for the catch-up to finish.
    CatchingUp,
    /// Caught up; entries arrive live.
    Live,
    /// The relay refused the subscription; reconnecting will not help by itself.
    Refused { code: ErrorCode, message: String },
    /// The document was rotated to `to` (someone was removed): every entry before the
    /// rotation is held, and the machine does nothing more. The engine follows the
    /// [`Notice::Rotated`] with a machine for the new document (or, removed, stops).
    Moved { to: crypto::DocumentId },
}

/// Something the engine must do, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send this frame on the current connection.
    Send(ClientFrame),
    /// Remote changes were applied: append them to the local store. Always comes before
    /// the [`Output::SaveState`] that records their sequence numbers.
    SaveDoc,
    /// Write [`DocSync::state`] to disk. Always comes before a `Send` of a new push.
    SaveState,
    /// Tell the user.
    Notice(Notice),
}

/// Things worth telling the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Catch-up is complete and nothing is waiting to be acknowledged.
    InSync,
    /// Catch-up, or pushes, are under way.
    Syncing,
    /// Changes from someone else were applied to the document.
    RemoteChange,
    /// A peer joined, or changed what they are editing.
    PeerJoined(Presence),
    PeerLeft(Presence),
    /// An entry or snapshot could not be read and was skipped (never applied).
    Skipped {
        seq: u64,
        reason: String,
    },
    /// The relay refused something.
    Refused {
        code: ErrorCode,
        message: String,
    },
    /// The relay holds fewer entries than this client has seen (restored from an older
    /// backup): the whole document is pushed again.
    RelayBehind {
        relay_head: u64,
        ours: u64,
    },
    /// The document's log ends in a rotation (signed with its write key) and every entry
    /// before it is held: follow it to the new document, or, left out, stop. `last_seq`
    /// never passes the rotation, so after a crash it is read again.
    Rotated(Box<Rotation>),
}

/// A peer heard from, and when.
#[derive(Debug, Clone)]
struct Peer {
    presence: Presence,
    last_seen: u64,
}

/// The sync state machine for one document. See the module docs.
pub struct DocSync {
    keys: ProjectKeys,
    config: SyncConfig,
    state: SyncState,
    phase: Phase,
    /// The relay's challenge on the current connection (to subscribe again).
    challenge: Option<[u8; CHALLENGE_LEN]>,
    /// Subscribe with `create`, on the next connection (sharing).
    create: bool,
    /// When the current subscribe was sent.
    subscribed_at: u64,
    /// Every entry up to this one is applied (or skipped). `state.last_seq` follows it
    /// only while Automerge holds no changes back for missing dependencies, so what is
    /// saved never claims changes a restart would not have.
    held: u64,
    /// Sequence numbers above `held` already held.
    ahead: BTreeSet<u64>,
    /// Every entry up to this one is durable on the relay (its `Durable`, `Ack`s,
    /// `Subscribed` heads). Entries arrive before they are durable; what is saved and
    /// what a resubscribe asks from never goes past this, so a number the relay reuses
    /// after a crash is fetched again.
    durable: u64,
    /// The highest sequence number the relay has shown on this connection (in
    /// `Subscribed`, entries and acks).
    relay_head: u64,
    /// Subscribes sent on this connection (a `Subscribed` can be stale after a resubscribe).
    subscribes: u32,
    /// `Authorize` was sent on this connection (once, after the first `Subscribed`).
    authorize_sent: bool,
    /// An entry or snapshot from before signing (unsigned) was met and skipped.
    saw_legacy: bool,
    /// Since when the held entries have had a hole in them.
    gap_since: Option<u64>,
    /// When each unacked push was last sent on this connection.
    sent_at: BTreeMap<u64, u64>,
    /// From when waiting local changes count as batched: they are cut once `batch_ms`
    /// has passed since it.
    batch_since: Option<u64>,
    /// When local changes were last cut into an entry.
    last_cut: Option<u64>,
    /// Changes received from the relay since the last cut (not to be pushed back).
    received: HashSet<ChangeHash>,
    snapshot_in_flight: Option<(u64, u64)>,
    me: Option<Presence>,
    last_heartbeat: Option<u64>,
    peers: BTreeMap<String, Peer>,
    was_in_sync: bool,
    /// A rotation entry met in the log, at this sequence number; the machine moves once
    /// everything before it is held.
    rotation: Option<(u64, Rotation)>,
}

impl std::fmt::Debug for DocSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocSync")
            .field("doc", &self.keys.doc_id)
            .field("phase", &self.phase)
            .field("held", &self.held)
            .field("last_seq", &self.state.last_seq)
            .field("unacked", &self.state.unacked.len())
            .finish_non_exhaustive()
    }
}

impl DocSync {
    /// A machine resuming from `state` (`SyncState::default()` for a document never
    /// synced).
    pub fn new(keys: ProjectKeys, mut state: SyncState, config: SyncConfig) -> Self {
        // Entries sealed before entries were signed, still waiting for their ack: sign
        // them now, or every other client would refuse them.
        if keys.write.is_some() {
            for u in &mut state.unacked {
                if let Ok(signed) = crypto::sign_entry(&keys, &u.blob) {
                    u.blob = signed;
                }
            }
            // State from before entries were signed: what this editor pushed then is
            // unsigned on the relay, and newcomers refuse it. Push the whole document
            // once more, signed (as after a relay that lost entries).
            if !state.snapshot_signed && state.last_seq > 0 {
                state.shipped_heads.clear();
            }
        }
        Self {
            keys,
            config,
            held: state.last_seq,
            durable: state.last_seq,
            state,
            phase: Phase::Offline,
            challenge: None,
            create: false,
            subscribed_at: 0,
            ahead: BTreeSet::new(),
            relay_head: 0,
            subscribes: 0,
            authorize_sent: false,
            saw_legacy: false,
            gap_since: None,
            sent_at: BTreeMap::new(),
            batch_since: None,
            last_cut: None,
            received: HashSet::new(),
            snapshot_in_flight: None,
            me: None,
            last_heartbeat: None,
            peers: BTreeMap::new(),
            was_in_sync: false,
            rotation: None,
        }
    }

    pub fn doc_id(&self) -> crypto::DocumentId {
        self.keys.doc_id
    }

    /// Whether an unsigned entry or snapshot (made before entries were signed) was met.
    /// A newcomer that met none knows the relay's log needs no signed snapshot from it.
    pub fn saw_legacy(&self) -> bool {
        self.saw_legacy
    }

    /// Whether this client may write (holds the write key) or only read.
    pub fn role(&self) -> crypto::Role {
        self.keys.role()
    }

    pub fn state(&self) -> &SyncState {
        &self.state
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    /// Ask the relay to create the document on the next subscribe (sharing it).
    pub fn set_create(&mut self, create: bool) {
        self.create = create;
    }

    /// The presence this client announces; `None` announces nothing.
    pub fn set_presence(&mut self, me: Option<Presence>) {
        let changed = self.me != me;
        self.me = me;
        if changed {
            // Announce on the next tick.
            self.last_heartbeat = None;
        }
    }

    /// The presence this client announces.
    pub fn presence(&self) -> Option<&Presence> {
        self.me.as_ref()
    }

    /// Everyone else heard from recently.
    pub fn peers(&self) -> Vec<Presence> {
        self.peers.values().map(|p| p.presence.clone()).collect()
    }

    /// Caught up, nothing waiting to be cut, pushed or acknowledged, and no hole.
    pub fn is_in_sync(&self) -> bool {
        self.phase == Phase::Live
            && self.state.unacked.is_empty()
            && self.batch_since.is_none()
            && self.ahead.is_empty()
            && self.held >= self.relay_head
    }

    /// In sync, and no compaction due or waiting for its acknowledgement: nothing left
    /// to do for now.
    pub fn is_settled(&self) -> bool {
        self.is_in_sync() && self.snapshot_in_flight.is_none() && !self.compaction_due()
    }

    /// Whether this client should put a snapshot on the relay: the log has grown past
    /// the threshold since the last one, or no signed snapshot covers it yet (newcomers
    /// refuse unsigned entries and snapshots). Only an editor can.
    fn compaction_due(&self) -> bool {
        if self.keys.write.is_none() || !self.config.snapshots {
            return false;
        }
        let tail = self.state.last_seq.saturating_sub(self.covered());
        // A document that skipped unsigned entries lacks what they held: a snapshot of
        // it would make the relay drop them for everyone.
        tail >= self.config.compact_after
            || (!self.state.snapshot_signed && tail > 0 && !self.saw_legacy)
    }

    /// What the relay's snapshot covers, as far as compaction is concerned: one that
    /// does not bind its `covers` counts as none (newcomers cannot use it).
    fn covered(&self) -> u64 {
        if self.state.snapshot_bound && self.state.snapshot_signed {
            self.state.snapshot_seq
        } else {
            0
        }
    }

    /// A connection is up and the relay's hello carried `challenge`: subscribe.
    pub fn connected(&mut self, challenge: [u8; CHALLENGE_LEN], now: u64) -> Vec<Output> {
        self.challenge = Some(challenge);
        self.reset_connection();
        vec![self.subscribe(now), Output::Notice(Notice::Syncing)]
    }

    /// The connection went away (or was cut by the engine).
    pub fn disconnected(&mut self) {
        self.challenge = None;
        self.reset_connection();
        if !matches!(self.phase, Phase::Refused { .. } | Phase::Moved { .. }) {
            self.phase = Phase::Offline;
        }
    }

    fn reset_connection(&mut self) {
        // What was applied but never durable may be numbered differently by the relay
        // now: hold only what is durable, and fetch the rest again (Automerge ignores
        // the changes it has).
        self.held = self.held.min(self.durable);
        self.ahead.clear();
        // A rotation not yet durable may be numbered differently, or be gone, after this.
        if self
            .rotation
            .as_ref()
            .is_some_and(|(at, _)| *at > self.durable)
            && !matches!(self.phase, Phase::Moved { .. })
        {
            self.rotation = None;
        }
        self.gap_since = None;
        self.sent_at.clear();
        self.snapshot_in_flight = None;
        self.last_heartbeat = None;
        self.relay_head = 0;
        self.subscribes = 0;
        self.authorize_sent = false;
        self.was_in_sync = false;
    }

    fn subscribe(&mut self, now: u64) -> Output {
        self.phase = Phase::CatchingUp;
        self.subscribes += 1;
        self.subscribed_at = now;
        self.ahead.clear();
        self.gap_since = None;
        let challenge = self.challenge.unwrap_or([0; CHALLENGE_LEN]);
        Output::Send(ClientFrame::Subscribe {
            doc: self.keys.doc_id,
            since: self.held.min(self.durable),
            create: self.create,
            proof: crypto::sign_subscribe(&self.keys, &challenge),
        })
    }

    /// The document changed locally (already saved to disk): cut an entry soon — at the
    /// next tick after a quiet spell, else `batch_ms` after the last cut.
    pub fn local_change(&mut self, now: u64) {
        let quiet = now.saturating_sub(self.config.batch_ms);
        let from = self.last_cut.map_or(quiet, |cut| cut.max(quiet));
        self.batch_since.get_or_insert(from);
    }

    /// Cut any waiting local changes into an entry now, without waiting for the batch.
    pub fn flush(&mut self, doc: &mut AutoCommit, now: u64, rng: &mut dyn Entropy) -> Vec<Output> {
        self.batch_since = None;
        self.last_cut = Some(now);
        let mut out = self.cut_entries(doc, now, rng);
        self.sync_notice(&mut out);
        out
    }

    /// A frame from the relay about this document.
    pub fn handle(&mut self, frame: ServerFrame, doc: &mut AutoCommit, now: u64) -> Vec<Output> {
        let mut out = Vec::new();
        match frame {
            ServerFrame::Hello { .. } => {}
            ServerFrame::Snapshot { seq, blob, .. } => {
                // Only a snapshot that opens as covering `seq` moves us to `seq`: one the
                // relay relabelled (or an old one that does not say) would make us skip
                // the entries in between.
                if seq > self.held && self.apply_blob(doc, BlobKind::Snapshot, seq, &blob, &mut out)
                {
                    // A stored snapshot is durable.
                    self.durable = self.durable.max(seq);
                    self.relay_head = self.relay_head.max(seq);
                    self.held = seq;
                    self.ahead = match seq.checked_add(1) {
                        Some(next) => self.ahead.split_off(&next),
                        None => BTreeSet::new(),
                    };
                    self.advance();
                    if seq >= self.state.snapshot_seq {
                        self.state.snapshot_seq = seq;
                        self.state.snapshot_bound = true;
                        self.state.snapshot_signed = true;
                    }
                    out.push(Output::SaveState);
                }
            }
            ServerFrame::Entry { seq, blob, .. } => {
                self.relay_head = self.relay_head.max(seq);
                if seq > self.held && !self.ahead.contains(&seq) && !self.is_rotation(seq) {
                    // An unreadable entry is moved past (reported): it cannot get better.
                    let _ = self.apply_blob(doc, BlobKind::Entry, seq, &blob, &mut out);
                    if !self.is_rotation(seq) {
                        self.ahead.insert(seq);
                    }
                    self.advance();
                    self.note_gap(now);
                    out.push(Output::SaveState);
                }
            }
            ServerFrame::Subscribed { head, .. } => {
                if self.phase != Phase::CatchingUp {
                    return out;
                }
                // What we hold durably: entries past it may be in flight on the relay,
                // and a head below them is current, not stale.
                let ours = self.held.min(self.durable);
                if head < ours && (self.subscribes > 1 || self.relay_head > head) {
                    // The answer to an earlier subscribe on this connection, overtaken by
                    // what we have seen since: wait for the current one (or the retry).
                    return out;
                }
                if head < ours {
                    // The relay lost entries we hold: push the whole document again.
                    out.push(Output::Notice(Notice::RelayBehind {
                        relay_head: head,
                        ours,
                    }));
                    self.held = head;
                    self.durable = head;
                    self.state.last_seq = head;
                    self.ahead.clear();
                    self.state.shipped_heads.clear();
                    self.received.clear();
                    self.batch_since.get_or_insert(now);
                    out.push(Output::SaveState);
                }
                // Catch-up is read from what is committed.
                self.durable = self.durable.max(head);
                self.relay_head = self.relay_head.max(head);
                self.phase = Phase::Live;
                self.create = false;
                self.note_gap(now);
                // Prove write access once per connection, before the first push.
                if !self.authorize_sent
                    && let Some(frame) = self.authorize_frame()
                {
                    self.authorize_sent = true;
                    out.push(Output::Send(frame));
                }
                if self.keys.write.is_none() {
                    // A viewer pushes nothing.
                    self.sync_notice(&mut out);
                    return out;
                }
                for u in &self.state.unacked {
                    self.sent_at.insert(u.id, now);
                    out.push(Output::Send(self.push_frame(u)));
                }
            }
            ServerFrame::Ack { id, seq, .. } => {
                // Acks are sent once durable.
                self.durable = self.durable.max(seq);
                self.sent_at.remove(&id);
                let before = self.state.unacked.len();
                self.state.unacked.retain(|u| u.id != id);
                if seq > self.held {
                    // Our own entry: we hold what it holds.
                    self.ahead.insert(seq);
                    self.advance();
                    self.note_gap(now);
                }
                if before != self.state.unacked.len() || seq > self.held {
                    out.push(Output::SaveState);
                }
                self.relay_head = self.relay_head.max(seq);
            }
            ServerFrame::SnapshotAck { covers, .. } => {
                // Only the snapshot we sent: a made-up `covers` would stop compaction.
                if self
                    .snapshot_in_flight
                    .is_some_and(|(sent, _)| sent == covers)
                {
                    self.snapshot_in_flight = None;
                    if covers >= self.state.snapshot_seq {
                        self.state.snapshot_seq = covers;
                        self.state.snapshot_bound = true;
                        self.state.snapshot_signed = true;
                    }
                    out.push(Output::SaveState);
                }
            }
            ServerFrame::Durable { upto, .. } => self.durable = self.durable.max(upto),
            ServerFrame::Moved { to, .. } => {
                // Sent once the rotation is committed: it is durable (even when the
                // `Durable` frame for it was dropped from a full queue).
                if let Some((at, _)) = &self.rotation {
                    self.durable = self.durable.max(*at);
                }
                // The rotation entry comes before this; without one (a relay that sends
                // `Moved` but not the entry) there is no key to follow with.
                if self.rotation.is_none() && !matches!(self.phase, Phase::Moved { .. }) {
                    self.phase = Phase::Refused {
                        code: ErrorCode::Moved,
                        message: format!(
                            "the relay says the project moved to {to}, but sent no rotation entry to follow it with"
                        ),
                    };
                }
            }
            ServerFrame::Authorized { .. } => {
                if !self.state.write_registered && self.keys.write.is_some() {
                    self.state.write_registered = true;
                    out.push(Output::SaveState);
                }
            }
            ServerFrame::Ephemeral { blob, .. } => self.presence_in(&blob, now, &mut out),
            ServerFrame::Error {
                code, id, message, ..
            } => self.error_in(code, id, message, now, &mut out),
        }
        self.announce_rotation(&mut out);
        // Saved only as far as it is both held and durable.
        let saved = self.held.min(self.durable);
        if saved != self.state.last_seq && doc.get_missing_deps(&[]).is_empty() {
            self.state.last_seq = saved;
            out.push(Output::SaveState);
        }
        self.sync_notice(&mut out);
        out
    }

    /// Time passed: cut batched changes, retry what went unanswered, compact, send
    /// heartbeats and let silent peers go.
    pub fn tick(&mut self, doc: &mut AutoCommit, now: u64, rng: &mut dyn Entropy) -> Vec<Output> {
        let mut out = Vec::new();
        if matches!(self.phase, Phase::Moved { .. }) {
            // Sealed: what is changed locally goes to the successor.
            return out;
        }
        if self
            .batch_since
            .is_some_and(|t| now.saturating_sub(t) >= self.config.batch_ms)
        {
            self.batch_since = None;
            self.last_cut = Some(now);
            out.extend(self.cut_entries(doc, now, rng));
        }
        let retry = self.config.retry_ms;
        match self.phase {
            Phase::CatchingUp if now.saturating_sub(self.subscribed_at) >= retry => {
                out.push(self.subscribe(now));
            }
            Phase::Live => {
                if self
                    .gap_since
                    .is_some_and(|t| now.saturating_sub(t) >= retry)
                {
                    out.push(self.subscribe(now));
                } else {
                    for u in &self.state.unacked {
                        let due = self
                            .sent_at
                            .get(&u.id)
                            .is_none_or(|t| now.saturating_sub(*t) >= retry);
                        if due {
                            self.sent_at.insert(u.id, now);
                            out.push(Output::Send(self.push_frame(u)));
                        }
                    }
                    self.maybe_compact(doc, now, rng, &mut out);
                    self.heartbeat(now, rng, &mut out);
                }
            }
            _ => {}
        }
        let ttl = self.config.presence_ttl_ms;
        let gone: Vec<String> = self
            .peers
            .iter()
            .filter(|(_, p)| now.saturating_sub(p.last_seen) >= ttl)
            .map(|(k, _)| k.clone())
            .collect();
        for k in gone {
            if let Some(p) = self.peers.remove(&k) {
                out.push(Output::Notice(Notice::PeerLeft(p.presence)));
            }
        }
        self.sync_notice(&mut out);
        out
    }

    /// A last heartbeat saying this session is leaving (send it before closing).
    pub fn leave(&mut self, rng: &mut dyn Entropy) -> Vec<Output> {
        let Some(mut me) = self.me.clone() else {
            return vec![];
        };
        if self.phase != Phase::Live {
            return vec![];
        }
        me.leaving = true;
        vec![Output::Send(self.ephemeral_frame(&me, rng))]
    }

    fn is_rotation(&self, seq: u64) -> bool {
        self.rotation.as_ref().is_some_and(|(at, _)| *at == seq)
    }

    /// Once everything before the rotation is held: stop, and say where it leads.
    fn announce_rotation(&mut self, out: &mut Vec<Output>) {
        let Some((at, rotation)) = &self.rotation else {
            return;
        };
        // Followed only once durable: a rotation forwarded early and then rolled back
        // (a failed commit on the relay) never happened.
        if matches!(self.phase, Phase::Moved { .. })
            || self.held.checked_add(1) != Some(*at)
            || self.durable < *at
        {
            return;
        }
        let Ok(to) = rotation.to_doc() else {
            return;
        };
        self.phase = Phase::Moved { to };
        self.batch_since = None;
        out.push(Output::Notice(Notice::Rotated(Box::new(rotation.clone()))));
    }

    /// The engine will not follow the announced rotation (it is not signed by a member
    /// of the project, say): move past it as a skipped entry and go on with this
    /// document.
    pub fn reject_rotation(&mut self, now: u64) -> Vec<Output> {
        let mut out = Vec::new();
        let Some((at, _)) = self.rotation.take() else {
            return out;
        };
        if matches!(self.phase, Phase::Moved { .. }) {
            self.phase = if self.challenge.is_some() {
                Phase::Live
            } else {
                Phase::Offline
            };
        }
        if at > self.held {
            self.ahead.insert(at);
            self.advance();
            self.note_gap(now);
        }
        let saved = self.held.min(self.durable);
        if saved > self.state.last_seq {
            self.state.last_seq = saved;
        }
        out.push(Output::SaveState);
        out.push(Output::Notice(Notice::Skipped {
            seq: at,
            reason: "it is a rotation this device does not follow".to_owned(),
        }));
        out
    }

    /// The challenge of the current connection, once connected.
    pub fn challenge(&self) -> Option<[u8; CHALLENGE_LEN]> {
        self.challenge
    }

    /// A `Rotate` frame that moves this document to `new` (a new epoch): `rotation` as
    /// the last entry here, and the whole of `doc` as the successor's first entry. Only
    /// an editor that is live can; `None` otherwise.
    pub fn rotate_frame(
        &mut self,
        doc: &mut AutoCommit,
        new: &ProjectKeys,
        rotation: &Rotation,
        rng: &mut dyn Entropy,
    ) -> Option<(u64, ClientFrame)> {
        if self.phase != Phase::Live || self.keys.write.is_none() {
            return None;
        }
        let challenge = self.challenge?;
        let proof = crypto::sign_authorize(new, &challenge)?;
        let sealed_rotation =
            crypto::encrypt_entry(&self.keys, nonce(rng), &rotation.encode()).ok()?;
        let first = crypto::encrypt_entry(new, nonce(rng), &doc.document().save()).ok()?;
        let id = self.state.next_push_id;
        self.state.next_push_id += 1;
        Some((
            id,
            ClientFrame::Rotate {
                doc: self.keys.doc_id,
                id,
                to: new.doc_id,
                write_key: new.write_public.to_bytes(),
                proof,
                rotation: sealed_rotation,
                first,
            },
        ))
    }

    /// The proof of write access for this connection; `None` for a viewer.
    fn authorize_frame(&self) -> Option<ClientFrame> {
        let proof = crypto::sign_authorize(&self.keys, &self.challenge?)?;
        Some(ClientFrame::Authorize {
            doc: self.keys.doc_id,
            write_key: self.keys.write_public.to_bytes(),
            proof,
        })
    }

    fn push_frame(&self, u: &Unacked) -> ClientFrame {
        ClientFrame::Push {
            doc: self.keys.doc_id,
            id: u.id,
            blob: u.blob.clone(),
        }
    }

    /// Moves `last_seq` over a contiguous run of held entries.
    fn advance(&mut self) {
        // Sequence numbers come from the relay: a hostile one may send u64::MAX.
        while let Some(next) = self.held.checked_add(1)
            && self.ahead.first() == Some(&next)
        {
            self.ahead.pop_first();
            self.held = next;
        }
        // Anything at or below last_seq is held by definition.
        self.ahead = match self.held.checked_add(1) {
            Some(next) => self.ahead.split_off(&next),
            None => BTreeSet::new(),
        };
    }

    fn note_gap(&mut self, now: u64) {
        let hole =
            !self.ahead.is_empty() || (self.phase == Phase::Live && self.held < self.relay_head);
        if hole {
            self.gap_since.get_or_insert(now);
        } else {
            self.gap_since = None;
        }
    }

    /// Decrypts and applies a blob; false (with a `Skipped` notice) when it does not
    /// open or is not Automerge.
    fn apply_blob(
        &mut self,
        doc: &mut AutoCommit,
        kind: BlobKind,
        seq: u64,
        blob: &[u8],
        out: &mut Vec<Output>,
    ) -> bool {
        let opened = match kind {
            BlobKind::Snapshot => crypto::decrypt_snapshot(&self.keys, seq, blob),
            BlobKind::Entry => crypto::decrypt_entry(&self.keys, blob),
            BlobKind::Ephemeral => crypto::decrypt(&self.keys, kind, blob),
        };
        let plain = match opened {
            Ok(p) => p,
            Err(e) => {
                if matches!(
                    e,
                    crypto::CryptoError::Unsigned | crypto::CryptoError::LegacySnapshot
                ) {
                    self.saw_legacy = true;
                }
                out.push(Output::Notice(Notice::Skipped {
                    seq,
                    reason: e.to_string(),
                }));
                return false;
            }
        };
        if kind == BlobKind::Entry
            && let Some(rotation) = Rotation::decode(&plain)
        {
            match rotation {
                Ok(r) if r.from_doc().ok() == Some(self.keys.doc_id) => {
                    self.rotation = Some((seq, r));
                    return true;
                }
                Ok(_) => out.push(Output::Notice(Notice::Skipped {
                    seq,
                    reason: "it is a rotation of another document".to_owned(),
                })),
                Err(e) => out.push(Output::Notice(Notice::Skipped {
                    seq,
                    reason: e.to_string(),
                })),
            }
            return false;
        }
        // Check the bytes on a scratch document first, so a blob that is only partly
        // valid changes nothing.
        if let Err(e) = AutoCommit::new().load_incremental(&plain) {
            out.push(Output::Notice(Notice::Skipped {
                seq,
                reason: format!("it is not a valid Automerge change: {e}"),
            }));
            return false;
        }
        let before = sorted_heads(doc);
        let pending_local = before != parse_heads(&self.state.shipped_heads);
        if let Err(e) = doc.load_incremental(&plain) {
            out.push(Output::Notice(Notice::Skipped {
                seq,
                reason: format!("it is not a valid Automerge change: {e}"),
            }));
            return false;
        }
        let after = sorted_heads(doc);
        if after == before {
            return true;
        }
        if pending_local {
            for c in doc.get_changes(&before) {
                self.received.insert(c.hash());
            }
        } else {
            self.state.shipped_heads = heads_to_strings(&after);
        }
        out.push(Output::SaveDoc);
        out.push(Output::Notice(Notice::RemoteChange));
        true
    }

    /// Turns every local change after `shipped_heads` into entries.
    fn cut_entries(
        &mut self,
        doc: &mut AutoCommit,
        now: u64,
        rng: &mut dyn Entropy,
    ) -> Vec<Output> {
        let shipped = parse_heads(&self.state.shipped_heads);
        let heads = sorted_heads(doc);
        if heads == shipped || self.keys.write.is_none() {
            // Nothing new, or a viewer: it has no write key to sign entries with.
            return vec![];
        }
        let mut blobs: Vec<Vec<u8>> = Vec::new();
        if shipped.is_empty() {
            // The whole document (sharing, or re-seeding a relay that lost it): one
            // compressed save when it fits.
            let saved = doc.document().save();
            if saved.len() <= self.config.max_entry_bytes {
                blobs.push(saved);
            }
        }
        if blobs.is_empty() {
            let mut current = Vec::new();
            for change in doc.get_changes(&shipped) {
                if self.received.contains(&change.hash()) {
                    continue;
                }
                let raw = change.raw_bytes();
                if !current.is_empty() && current.len() + raw.len() > self.config.max_entry_bytes {
                    blobs.push(std::mem::take(&mut current));
                }
                current.extend_from_slice(raw);
            }
            if !current.is_empty() {
                blobs.push(current);
            }
        }
        self.state.shipped_heads = heads_to_strings(&heads);
        self.received.clear();
        let mut out = Vec::new();
        let mut pushes = Vec::new();
        for plain in blobs {
            let id = self.state.next_push_id;
            self.state.next_push_id += 1;
            let Ok(blob) = crypto::encrypt_entry(&self.keys, nonce(rng), &plain) else {
                continue;
            };
            let u = Unacked { id, blob };
            pushes.push(self.push_frame(&u));
            self.state.unacked.push(u);
        }
        // Persisted before it is sent: a crash after the send re-pushes it.
        out.push(Output::SaveState);
        if self.phase == Phase::Live {
            for frame in pushes {
                if let ClientFrame::Push { id, .. } = &frame {
                    self.sent_at.insert(*id, now);
                }
                out.push(Output::Send(frame));
            }
        }
        out
    }

    fn maybe_compact(
        &mut self,
        doc: &mut AutoCommit,
        now: u64,
        rng: &mut dyn Entropy,
        out: &mut Vec<Output>,
    ) {
        // Only what is durable (in `save()`, nothing queued) may be covered.
        if !self.compaction_due() || !self.ahead.is_empty() {
            return;
        }
        if let Some((_, sent)) = self.snapshot_in_flight
            && now.saturating_sub(sent) < self.config.retry_ms
        {
            return;
        }
        // `document().save()` leaves the store's incremental-save cursor alone.
        let saved = doc.document().save();
        let covers = self.state.last_seq;
        let Ok(blob) = crypto::encrypt_snapshot(&self.keys, covers, nonce(rng), &saved) else {
            return;
        };
        self.snapshot_in_flight = Some((covers, now));
        out.push(Output::Send(ClientFrame::Snapshot {
            doc: self.keys.doc_id,
            covers,
            blob,
        }));
    }

    fn heartbeat(&mut self, now: u64, rng: &mut dyn Entropy, out: &mut Vec<Output>) {
        let Some(me) = self.me.clone() else {
            return;
        };
        if self
            .last_heartbeat
            .is_some_and(|t| now.saturating_sub(t) < self.config.heartbeat_ms)
        {
            return;
        }
        self.last_heartbeat = Some(now);
        out.push(Output::Send(self.ephemeral_frame(&me, rng)));
    }

    fn ephemeral_frame(&self, me: &Presence, rng: &mut dyn Entropy) -> ClientFrame {
        let json = serde_json::to_vec(me).unwrap_or_default();
        ClientFrame::Ephemeral {
            doc: self.keys.doc_id,
            blob: crypto::encrypt(&self.keys, BlobKind::Ephemeral, nonce(rng), &json),
        }
    }

    fn presence_in(&mut self, blob: &[u8], now: u64, out: &mut Vec<Output>) {
        let presence = crypto::decrypt(&self.keys, BlobKind::Ephemeral, blob)
            .map_err(|e| e.to_string())
            .and_then(|p| serde_json::from_slice::<Presence>(&p).map_err(|e| e.to_string()));
        let presence = match presence {
            Ok(p) => p,
            Err(reason) => {
                out.push(Output::Notice(Notice::Skipped { seq: 0, reason }));
                return;
            }
        };
        if self
            .me
            .as_ref()
            .is_some_and(|me| me.session == presence.session)
        {
            return;
        }
        if presence.leaving {
            if let Some(p) = self.peers.remove(&presence.session) {
                out.push(Output::Notice(Notice::PeerLeft(p.presence)));
            }
            return;
        }
        let key = presence.session.clone();
        // A peer that is new, or now doing something else (another field), is reported;
        // a plain heartbeat is not.
        let news = self.peers.get(&key).is_none_or(|p| p.presence != presence);
        self.peers.insert(
            key,
            Peer {
                presence: presence.clone(),
                last_seen: now,
            },
        );
        if news {
            out.push(Output::Notice(Notice::PeerJoined(presence)));
        }
    }

    fn error_in(
        &mut self,
        code: ErrorCode,
        id: Option<u64>,
        message: String,
        now: u64,
        out: &mut Vec<Output>,
    ) {
        match code {
            // The relay forgot the subscription (or it raced a resubscribe): subscribe
            // again; refused pushes go out again once caught up. A sealed document: the
            // catch-up brings its rotation (and `Moved`), which this client follows.
            ErrorCode::NotSubscribed | ErrorCode::Moved => {
                if self.phase == Phase::Live {
                    out.push(self.subscribe(now));
                }
            }
            // The relay has not taken our write proof (it was lost on the way): send it
            // again; the refused push goes out again at the next retry.
            ErrorCode::ReadOnly if self.keys.write.is_some() => {
                if let Some(frame) = self.authorize_frame() {
                    out.push(Output::Send(frame));
                }
                if let Some(id) = id {
                    self.sent_at.insert(id, now);
                }
            }
            // A refused push stays unacknowledged and is tried again later.
            _ if id.is_some() => {
                if let Some(id) = id {
                    self.sent_at.insert(id, now);
                }
            }
            ErrorCode::BadSnapshot => self.snapshot_in_flight = None,
            ErrorCode::RateLimited | ErrorCode::Internal | ErrorCode::ReadOnly => {}
            // A proof that does not verify (or a write key that is not the document's)
            // will not verify next time either.
            // While live it can only answer `Authorize` (the write key is not the
            // document's): keep reading; pushes stay refused and are reported.
            ErrorCode::BadSignature => {
                if self.phase != Phase::Live {
                    self.phase = Phase::Refused {
                        code,
                        message: message.clone(),
                    };
                }
            }
            ErrorCode::UnknownDocument
            | ErrorCode::Unauthorized
            | ErrorCode::TooManySubscriptions
            | ErrorCode::UnsupportedVersion
            | ErrorCode::BadFrame
            | ErrorCode::TooLarge => {
                if self.phase == Phase::CatchingUp {
                    self.phase = Phase::Refused {
                        code,
                        message: message.clone(),
                    };
                }
            }
        }
        out.push(Output::Notice(Notice::Refused { code, message }));
    }

    fn sync_notice(&mut self, out: &mut Vec<Output>) {
        let now_in_sync = self.is_in_sync();
        if now_in_sync != self.was_in_sync && self.phase == Phase::Live {
            out.push(Output::Notice(if now_in_sync {
                Notice::InSync
            } else {
                Notice::Syncing
            }));
        }
        self.was_in_sync = now_in_sync;
    }
}

/// How many local changes (after the last cut) and entries (cut, not acknowledged) have
/// not reached the relay: `(changes, entries)`.
pub fn unsent(state: &SyncState, doc: &mut AutoCommit) -> (usize, usize) {
    let shipped = parse_heads(&state.shipped_heads);
    let changes = if sorted_heads(doc) == shipped {
        0
    } else {
        doc.get_changes(&shipped).len()
    };
    (changes, state.unacked.len())
}

fn nonce(rng: &mut dyn Entropy) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    rng.fill(&mut n);
    n
}

fn sorted_heads(doc: &mut AutoCommit) -> Vec<ChangeHash> {
    let mut heads = doc.get_heads();
    heads.sort();
    heads
}

fn parse_heads(heads: &[String]) -> Vec<ChangeHash> {
    let mut out: Vec<ChangeHash> = heads.iter().filter_map(|h| h.parse().ok()).collect();
    out.sort();
    out
}

fn heads_to_strings(heads: &[ChangeHash]) -> Vec<String> {
    let mut sorted = heads.to_vec();
    sorted.sort();
    sorted.iter().map(ToString::to_string).collect()
}

#[cfg(test)]
mod tests;
