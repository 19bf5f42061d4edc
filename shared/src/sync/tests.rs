//! An in-memory network of clients and a relay model, driven until nothing is left to
//! do (like samod's `run_until_quiescent`), with frames dropped, duplicated and
//! reordered and connections cut at random.

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};
use proptest::prelude::*;

use super::*;
use crate::crypto::{DocumentId, ProjectSecret, verify_authorize, verify_subscribe};
use crate::ids::SeededEntropy;
use crate::protocol::PROTOCOL_VERSION;

// ---------------------------------------------------------------- the relay model

#[derive(Default)]
struct RelayDoc {
    entries: BTreeMap<u64, Vec<u8>>,
    head: u64,
    /// Entries up to here are committed; those after it are forwarded but may still be
    /// lost (early forwarding).
    durable: u64,
    snapshot: Option<(u64, Vec<u8>)>,
    /// The write key registered by the first authorize.
    write_key: Option<[u8; 32]>,
    /// Sealed: rotated to this successor.
    moved: Option<DocumentId>,
}

/// What the relay does, without storage or sockets: an ordered log per document, a
/// snapshot that replaces the entries it covers, forwarding to other subscribers before
/// the entry is durable, acks and `Durable` once it is ([`RelayModel::commit`]), and a
/// crash that loses what was not ([`RelayModel::crash`]).
type Tamper = fn(u64, Vec<u8>) -> Vec<u8>;

#[derive(Default)]
struct RelayModel {
    docs: BTreeMap<DocumentId, RelayDoc>,
    subs: BTreeSet<(u64, DocumentId)>,
    /// Connections that proved write access to a document.
    writers: BTreeSet<(u64, DocumentId)>,
    /// Rewrites a blob before it is stored (to model a tampering relay).
    tamper: Option<Tamper>,
    /// Acks waiting for their entries' commit.
    pending_acks: Vec<(u64, ServerFrame)>,
}

fn challenge(conn: u64) -> [u8; 32] {
    let mut c = [0u8; 32];
    c[..8].copy_from_slice(&conn.to_le_bytes());
    c
}

impl RelayModel {
    fn hello(conn: u64) -> ServerFrame {
        ServerFrame::Hello {
            version: PROTOCOL_VERSION,
            challenge: challenge(conn),
        }
    }

    fn close(&mut self, conn: u64) {
        self.subs.retain(|(c, _)| *c != conn);
        self.writers.retain(|(c, _)| *c != conn);
    }

    /// The group commit: what was forwarded is durable; acks and `Durable` go out.
    fn commit(&mut self) -> Vec<(u64, ServerFrame)> {
        let mut out = std::mem::take(&mut self.pending_acks);
        for (doc, d) in &mut self.docs {
            if d.head > d.durable {
                d.durable = d.head;
                for (conn, _) in self.subs.iter().filter(|(_, x)| x == doc) {
                    out.push((
                        *conn,
                        ServerFrame::Durable {
                            doc: *doc,
                            upto: d.head,
                        },
                    ));
                }
            }
        }
        out
    }

    /// Killed before the commit: entries not yet durable are gone (their numbers will
    /// be given out again), every connection is dropped.
    fn crash(&mut self) {
        for d in self.docs.values_mut() {
            d.entries.retain(|seq, _| *seq <= d.durable);
            d.head = d.durable;
        }
        self.pending_acks.clear();
        self.subs.clear();
    }

    fn error(code: ErrorCode, doc: DocumentId, id: Option<u64>) -> ServerFrame {
        ServerFrame::Error {
            code,
            doc: Some(doc),
            id,
            message: code.as_str().to_owned(),
        }
    }

    fn handle(&mut self, conn: u64, frame: ClientFrame) -> Vec<(u64, ServerFrame)> {
        let mut out = Vec::new();
        match frame {
            ClientFrame::Hello { .. } => {}
            ClientFrame::Subscribe {
                doc,
                since,
                create,
                proof,
            } => {
                if !verify_subscribe(&doc, &challenge(conn), &proof) {
                    out.push((conn, Self::error(ErrorCode::BadSignature, doc, None)));
                    return out;
                }
                if !create && !self.docs.contains_key(&doc) {
                    out.push((conn, Self::error(ErrorCode::UnknownDocument, doc, None)));
                    return out;
                }
                let d = self.docs.entry(doc).or_default();
                self.subs.insert((conn, doc));
                let mut from = since;
                // Only committed entries are read; the rest follow as live ones do.
                let durable = d.durable;
                if let Some((covers, blob)) = &d.snapshot
                    && since < *covers
                {
                    out.push((
                        conn,
                        ServerFrame::Snapshot {
                            doc,
                            seq: *covers,
                            blob: blob.clone(),
                        },
                    ));
                    from = *covers;
                }
                let entry = |(seq, blob): (&u64, &Vec<u8>)| {
                    (
                        conn,
                        ServerFrame::Entry {
                            doc,
                            seq: *seq,
                            blob: blob.clone(),
                        },
                    )
                };
                let split = durable.max(from);
                if split > from {
                    out.extend(d.entries.range(from + 1..=split).map(entry));
                }
                out.push((conn, ServerFrame::Subscribed { doc, head: durable }));
                out.extend(d.entries.range(split + 1..).map(entry));
                if let Some(to) = d.moved {
                    out.push((conn, ServerFrame::Moved { doc, to }));
                }
            }
            ClientFrame::Unsubscribe { doc } => {
                self.subs.remove(&(conn, doc));
                self.writers.remove(&(conn, doc));
            }
            ClientFrame::Authorize {
                doc,
                write_key,
                proof,
            } => {
                if !self.subs.contains(&(conn, doc)) {
                    out.push((conn, Self::error(ErrorCode::NotSubscribed, doc, None)));
                    return out;
                }
                let d = self.docs.entry(doc).or_default();
                if !verify_authorize(&doc, &write_key, &challenge(conn), &proof)
                    || *d.write_key.get_or_insert(write_key) != write_key
                {
                    out.push((conn, Self::error(ErrorCode::BadSignature, doc, None)));
                    return out;
                }
                self.writers.insert((conn, doc));
                out.push((conn, ServerFrame::Authorized { doc }));
            }
            ClientFrame::Push { doc, id, blob } => {
                if !self.subs.contains(&(conn, doc)) {
                    out.push((conn, Self::error(ErrorCode::NotSubscribed, doc, Some(id))));
                    return out;
                }
                if !self.writers.contains(&(conn, doc)) {
                    out.push((conn, Self::error(ErrorCode::ReadOnly, doc, Some(id))));
                    return out;
                }
                let d = self.docs.entry(doc).or_default();
                if d.moved.is_some() {
                    out.push((conn, Self::error(ErrorCode::Moved, doc, Some(id))));
                    return out;
                }
                d.head += 1;
                let seq = d.head;
                let blob = match self.tamper {
                    Some(f) => f(seq, blob),
                    None => blob,
                };
                d.entries.insert(seq, blob.clone());
                self.pending_acks
                    .push((conn, ServerFrame::Ack { doc, id, seq }));
                for (other, _) in self.subs.iter().filter(|(c, d)| *c != conn && *d == doc) {
                    out.push((
                        *other,
                        ServerFrame::Entry {
                            doc,
                            seq,
                            blob: blob.clone(),
                        },
                    ));
                }
            }
            ClientFrame::Snapshot { doc, covers, blob } => {
                if !self.subs.contains(&(conn, doc)) {
                    out.push((conn, Self::error(ErrorCode::NotSubscribed, doc, None)));
                    return out;
                }
                if !self.writers.contains(&(conn, doc)) {
                    out.push((conn, Self::error(ErrorCode::ReadOnly, doc, None)));
                    return out;
                }
                let d = self.docs.entry(doc).or_default();
                if covers == 0 || covers > d.durable {
                    out.push((conn, Self::error(ErrorCode::BadSnapshot, doc, None)));
                    return out;
                }
                if d.snapshot.as_ref().is_none_or(|(c, _)| *c < covers) {
                    d.snapshot = Some((covers, blob));
                    d.entries.retain(|seq, _| *seq > covers);
                }
                out.push((conn, ServerFrame::SnapshotAck { doc, covers }));
            }
            ClientFrame::Rotate {
                doc,
                id,
                to,
                write_key,
                proof,
                rotation,
                first,
            } => {
                if !self.writers.contains(&(conn, doc)) {
                    out.push((conn, Self::error(ErrorCode::ReadOnly, doc, Some(id))));
                    return out;
                }
                if self.docs.get(&doc).is_some_and(|d| d.moved.is_some()) {
                    out.push((conn, Self::error(ErrorCode::Moved, doc, Some(id))));
                    return out;
                }
                if !verify_authorize(&to, &write_key, &challenge(conn), &proof)
                    || self.docs.contains_key(&to)
                {
                    out.push((conn, Self::error(ErrorCode::BadSignature, doc, Some(id))));
                    return out;
                }
                self.docs.insert(
                    to,
                    RelayDoc {
                        entries: BTreeMap::from([(1, first)]),
                        head: 1,
                        durable: 1,
                        write_key: Some(write_key),
                        ..RelayDoc::default()
                    },
                );
                self.writers.insert((conn, to));
                let d = self.docs.entry(doc).or_default();
                d.head += 1;
                let seq = d.head;
                d.entries.insert(seq, rotation.clone());
                d.moved = Some(to);
                self.pending_acks
                    .push((conn, ServerFrame::Ack { doc, id, seq }));
                for (other, _) in self.subs.iter().filter(|(c, d)| *c != conn && *d == doc) {
                    out.push((
                        *other,
                        ServerFrame::Entry {
                            doc,
                            seq,
                            blob: rotation.clone(),
                        },
                    ));
                }
                for (other, _) in self.subs.iter().filter(|(_, d)| *d == doc) {
                    out.push((*other, ServerFrame::Moved { doc, to }));
                }
            }
            ClientFrame::Ephemeral { doc, blob } => {
                for (other, _) in self.subs.iter().filter(|(c, d)| *c != conn && *d == doc) {
                    out.push((
                        *other,
                        ServerFrame::Ephemeral {
                            doc,
                            blob: blob.clone(),
                        },
                    ));
                }
            }
        }
        out
    }
}

// ---------------------------------------------------------------- clients

struct Client {
    actor: ActorId,
    doc: AutoCommit,
    sync: DocSync,
    conn: Option<u64>,
    to_relay: Vec<ClientFrame>,
    to_client: Vec<ServerFrame>,
    rng: SeededEntropy,
    /// What is on this client's disk: the document and the sync state.
    saved_doc: Vec<u8>,
    saved_state: SyncState,
    notices: Vec<Notice>,
}

impl Client {
    fn run(&mut self, outputs: Vec<Output>) {
        for o in outputs {
            match o {
                Output::Send(f) => {
                    if self.conn.is_some() {
                        self.to_relay.push(f);
                    }
                }
                Output::SaveDoc => self.saved_doc = self.doc.save(),
                Output::SaveState => self.saved_state = self.sync.state().clone(),
                Output::Notice(n) => self.notices.push(n),
            }
        }
    }

    fn skipped(&self) -> usize {
        self.notices
            .iter()
            .filter(|n| matches!(n, Notice::Skipped { .. }))
            .count()
    }
}

fn sorted_heads_of(doc: &mut AutoCommit) -> Vec<ChangeHash> {
    let mut h = doc.get_heads();
    h.sort();
    h
}

struct Net {
    relay: RelayModel,
    clients: Vec<Client>,
    secret: ProjectSecret,
    config: SyncConfig,
    now: u64,
    next_conn: u64,
    /// Every change any client made.
    made: Vec<ChangeHash>,
}

fn test_config() -> SyncConfig {
    SyncConfig {
        batch_ms: 50,
        compact_after: 1_000_000,
        snapshots: true,
        heartbeat_ms: 10_000,
        presence_ttl_ms: 30_000,
        retry_ms: 1_000,
        max_entry_bytes: 64 * 1024,
    }
}

/// The first project document: a map of items and a text.
fn seed_doc() -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(ActorId::from([0xaa; 16]));
    doc.put_object(ROOT, "items", ObjType::Map).unwrap();
    let note = doc.put_object(ROOT, "note", ObjType::Text).unwrap();
    doc.splice_text(&note, 0, 0, "start").unwrap();
    doc.commit();
    doc
}

impl Net {
    /// `n` clients; client 0 made the document, the others hold a copy of it (as if they
    /// had joined); the relay already knows the document (empty log).
    fn new(n: usize, config: SyncConfig) -> Self {
        let secret = ProjectSecret::from_bytes([42; 32]);
        let mut relay = RelayModel::default();
        relay.docs.insert(secret.keys().doc_id, RelayDoc::default());
        let mut seed = seed_doc();
        let bytes = seed.save();
        let seed_heads = heads_to_strings(&seed.get_heads());
        let mut net = Self {
            relay,
            clients: Vec::new(),
            secret,
            config,
            now: 1_000,
            next_conn: 1,
            made: seed.get_heads(),
        };
        for i in 0..n {
            let state = if i == 0 {
                SyncState::default()
            } else {
                SyncState {
                    shipped_heads: seed_heads.clone(),
                    ..SyncState::default()
                }
            };
            net.add_client(&bytes, state, i as u8);
        }
        net.clients[0].sync.local_change(net.now);
        net
    }

    fn add_client(&mut self, doc_bytes: &[u8], state: SyncState, i: u8) -> usize {
        let actor = ActorId::from([i + 1; 16]);
        let doc = if doc_bytes.is_empty() {
            AutoCommit::new()
        } else {
            AutoCommit::load(doc_bytes).unwrap()
        }
        .with_actor(actor.clone());
        self.clients.push(Client {
            actor,
            doc,
            sync: DocSync::new(self.secret.keys(), state.clone(), self.config.clone()),
            conn: None,
            to_relay: vec![],
            to_client: vec![],
            rng: SeededEntropy::new(u64::from(i) + 7),
            saved_doc: doc_bytes.to_vec(),
            saved_state: state,
            notices: vec![],
        });
        self.clients.len() - 1
    }

    fn edit(&mut self, c: usize, kind: u8, a: u8, b: u8) {
        let client = &mut self.clients[c];
        let doc = &mut client.doc;
        let Some((_, items)) = doc.get(ROOT, "items").unwrap() else {
            return; // A client that has not received the document yet cannot edit it.
        };
        let Some((_, note)) = doc.get(ROOT, "note").unwrap() else {
            return;
        };
        let key = format!("k{}", a % 6);
        match kind % 4 {
            0 => doc.put(&items, key, i64::from(b)).unwrap(),
            1 => {
                if doc.get(&items, &key).unwrap().is_some() {
                    doc.delete(&items, key).unwrap();
                } else {
                    doc.put(&items, key, -1).unwrap();
                }
            }
            2 => {
                let len = doc.length(&note);
                let pos = usize::from(a) % (len + 1);
                doc.splice_text(&note, pos, 0, &format!("{}", b % 10))
                    .unwrap();
            }
            _ => {
                let len = doc.length(&note);
                if len > 0 {
                    let pos = usize::from(a) % len;
                    doc.splice_text(&note, pos, 1, "").unwrap();
                }
            }
        }
        if let Some(h) = doc.commit() {
            self.made.push(h);
        }
        // The engine saves before telling the state machine.
        client.saved_doc = client.doc.save();
        client.sync.local_change(self.now);
    }

    fn connect(&mut self, c: usize) {
        if self.clients[c].conn.is_some() {
            return;
        }
        let conn = self.next_conn;
        self.next_conn += 1;
        let ServerFrame::Hello { challenge, .. } = RelayModel::hello(conn) else {
            unreachable!()
        };
        let client = &mut self.clients[c];
        client.conn = Some(conn);
        let outputs = client.sync.connected(challenge, self.now);
        client.run(outputs);
    }

    fn cut(&mut self, c: usize) {
        let client = &mut self.clients[c];
        if let Some(conn) = client.conn.take() {
            self.relay.close(conn);
        }
        client.to_relay.clear();
        client.to_client.clear();
        client.sync.disconnected();
    }

    /// The client process dies and starts again from what it saved.
    fn crash(&mut self, c: usize) {
        self.cut(c);
        let client = &mut self.clients[c];
        client.doc = AutoCommit::load(&client.saved_doc)
            .unwrap()
            .with_actor(client.actor.clone());
        client.sync = DocSync::new(
            self.secret.keys(),
            client.saved_state.clone(),
            self.config.clone(),
        );
        // On start the engine looks for changes not yet cut into entries.
        client.sync.local_change(self.now);
    }

    fn deliver_to_relay(&mut self, c: usize, idx: usize) {
        let client = &mut self.clients[c];
        if client.to_relay.is_empty() {
            return;
        }
        let Some(conn) = client.conn else { return };
        let frame = client.to_relay.remove(idx % client.to_relay.len());
        let replies = self.relay.handle(conn, frame);
        self.route(replies);
    }

    fn route(&mut self, frames: Vec<(u64, ServerFrame)>) {
        for (target, frame) in frames {
            if let Some(t) = self.clients.iter_mut().find(|x| x.conn == Some(target)) {
                t.to_client.push(frame);
            }
        }
    }

    fn relay_commit(&mut self) {
        let frames = self.relay.commit();
        self.route(frames);
    }

    /// The relay process is killed: what it had sent still arrives, in order, then
    /// every connection closes; what it had not committed is gone.
    fn relay_crash(&mut self) {
        self.relay.crash();
        for c in 0..self.clients.len() {
            while !self.clients[c].to_client.is_empty() {
                self.deliver_to_client(c, 0);
            }
            self.cut(c);
        }
    }

    fn deliver_to_client(&mut self, c: usize, idx: usize) {
        let now = self.now;
        let client = &mut self.clients[c];
        if client.to_client.is_empty() {
            return;
        }
        let frame = client.to_client.remove(idx % client.to_client.len());
        let outputs = client.sync.handle(frame, &mut client.doc, now);
        client.run(outputs);
    }

    fn tick_all(&mut self) {
        let now = self.now;
        for client in &mut self.clients {
            let outputs = client.sync.tick(&mut client.doc, now, &mut client.rng);
            client.run(outputs);
        }
    }

    fn advance(&mut self, ms: u64) {
        self.now += ms;
        self.tick_all();
    }

    fn step(&mut self, op: &Op) {
        let n = self.clients.len();
        match *op {
            Op::Edit { c, kind, a, b } => self.edit(c % n, kind, a, b),
            Op::ToRelay { c, idx } => self.deliver_to_relay(c % n, idx),
            Op::ToClient { c, idx } => self.deliver_to_client(c % n, idx),
            Op::Duplicate { c, up, idx } => {
                let client = &mut self.clients[c % n];
                if up && !client.to_relay.is_empty() {
                    let f = client.to_relay[idx % client.to_relay.len()].clone();
                    client.to_relay.push(f);
                } else if !up && !client.to_client.is_empty() {
                    let f = client.to_client[idx % client.to_client.len()].clone();
                    client.to_client.push(f);
                }
            }
            Op::Drop { c, up, idx } => {
                let client = &mut self.clients[c % n];
                let q_len = if up {
                    client.to_relay.len()
                } else {
                    client.to_client.len()
                };
                if q_len > 0 {
                    if up {
                        client.to_relay.remove(idx % q_len);
                    } else {
                        client.to_client.remove(idx % q_len);
                    }
                }
            }
            Op::Cut { c } => self.cut(c % n),
            Op::Connect { c } => self.connect(c % n),
            Op::Crash { c } => self.crash(c % n),
            Op::Advance { ms } => self.advance(ms),
            Op::RelayCommit => self.relay_commit(),
            Op::RelayCrash => self.relay_crash(),
        }
    }

    /// Everyone connects and every frame is delivered in order, with time moving on,
    /// until nothing is left to do. Panics if that never happens.
    fn run_until_quiescent(&mut self) {
        for c in 0..self.clients.len() {
            self.connect(c);
        }
        for _ in 0..5_000 {
            let mut moved = false;
            for c in 0..self.clients.len() {
                while !self.clients[c].to_relay.is_empty() {
                    self.deliver_to_relay(c, 0);
                    moved = true;
                }
            }
            for c in 0..self.clients.len() {
                while !self.clients[c].to_client.is_empty() {
                    self.deliver_to_client(c, 0);
                    moved = true;
                }
            }
            if !self.relay.pending_acks.is_empty()
                || self.relay.docs.values().any(|d| d.head > d.durable)
            {
                self.relay_commit();
                moved = true;
            }
            if !moved && self.clients.iter().all(|c| c.sync.is_in_sync()) {
                return;
            }
            self.advance(100);
        }
        let states: Vec<String> = self
            .clients
            .iter()
            .map(|c| format!("{:?}", c.sync))
            .collect();
        panic!("the network never settled: {states:?}");
    }

    /// A newcomer that holds nothing joins from the relay alone.
    fn newcomer(&mut self) -> usize {
        let c = self.add_client(&[], SyncState::default(), 200);
        self.connect(c);
        self.run_until_quiescent();
        c
    }

    fn assert_converged(&mut self) {
        let mut all = Vec::new();
        for client in &mut self.clients {
            all.push(sorted_heads_of(&mut client.doc));
        }
        for (i, heads) in all.iter().enumerate() {
            assert_eq!(heads, &all[0], "client {i} differs from client 0");
        }
        let made = self.made.clone();
        for (i, client) in self.clients.iter_mut().enumerate() {
            for h in &made {
                assert!(
                    client.doc.get_change_by_hash(h).is_some(),
                    "client {i} lacks change {h}"
                );
            }
            assert!(client.sync.state().unacked.is_empty());
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Edit {
        c: usize,
        kind: u8,
        a: u8,
        b: u8,
    },
    ToRelay {
        c: usize,
        idx: usize,
    },
    ToClient {
        c: usize,
        idx: usize,
    },
    Duplicate {
        c: usize,
        up: bool,
        idx: usize,
    },
    Drop {
        c: usize,
        up: bool,
        idx: usize,
    },
    Cut {
        c: usize,
    },
    Connect {
        c: usize,
    },
    Crash {
        c: usize,
    },
    Advance {
        ms: u64,
    },
    /// The relay's group commit.
    RelayCommit,
    /// The relay is killed (SIGKILL) before committing what it forwarded.
    RelayCrash,
}

fn op() -> impl Strategy<Value = Op> {
    let c = 0usize..3;
    prop_oneof![
        6 => (c.clone(), any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(c, kind, a, b)| Op::Edit { c, kind, a, b }),
        8 => (c.clone(), any::<usize>()).prop_map(|(c, idx)| Op::ToRelay { c, idx }),
        8 => (c.clone(), any::<usize>()).prop_map(|(c, idx)| Op::ToClient { c, idx }),
        1 => (c.clone(), any::<bool>(), any::<usize>())
            .prop_map(|(c, up, idx)| Op::Duplicate { c, up, idx }),
        1 => (c.clone(), any::<bool>(), any::<usize>())
            .prop_map(|(c, up, idx)| Op::Drop { c, up, idx }),
        1 => c.clone().prop_map(|c| Op::Cut { c }),
        3 => c.clone().prop_map(|c| Op::Connect { c }),
        1 => c.prop_map(|c| Op::Crash { c }),
        3 => (1u64..3_000).prop_map(|ms| Op::Advance { ms }),
        6 => Just(Op::RelayCommit),
        1 => Just(Op::RelayCrash),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Three clients edit while frames are dropped, duplicated and reordered, links are
    /// cut and processes crash; once the network heals, all hold the same document, and
    /// every change anyone made is in it — and on the relay, as a newcomer proves.
    #[test]
    fn every_client_converges_and_no_change_is_lost(
        ops in proptest::collection::vec(op(), 1..120),
        compact in proptest::bool::ANY,
    ) {
        let mut config = test_config();
        if compact {
            config.compact_after = 4;
        }
        let mut net = Net::new(3, config);
        for op in &ops {
            net.step(op);
        }
        net.run_until_quiescent();
        net.assert_converged();
        net.newcomer();
        net.assert_converged();
    }
}

// ---------------------------------------------------------------- stories

fn items(doc: &AutoCommit) -> BTreeMap<String, String> {
    let Some((_, items)) = doc.get(ROOT, "items").unwrap() else {
        return BTreeMap::new();
    };
    doc.map_range(&items, ..)
        .map(|item| (item.key.to_string(), format!("{:?}", item.value)))
        .collect()
}

fn note(doc: &AutoCommit) -> String {
    let (_, note) = doc.get(ROOT, "note").unwrap().unwrap();
    doc.text(&note).unwrap()
}

fn splice_note(net: &mut Net, c: usize, pos: usize, text: &str) {
    let client = &mut net.clients[c];
    let (_, n) = client.doc.get(ROOT, "note").unwrap().unwrap();
    client.doc.splice_text(&n, pos, 0, text).unwrap();
    let h = client.doc.commit().unwrap();
    net.made.push(h);
    client.saved_doc = client.doc.save();
    client.sync.local_change(net.now);
}

#[test]
fn alice_edits_offline_bob_online_alice_reconnects_both_see_both() {
    let mut net = Net::new(2, test_config());
    net.run_until_quiescent();
    // Alice goes offline and writes at the start of the note.
    net.cut(0);
    splice_note(&mut net, 0, 0, "Alice: ");
    net.advance(100);
    // Bob, online, writes at the end.
    net.connect(1);
    let end = note(&net.clients[1].doc).len();
    splice_note(&mut net, 1, end, " (Bob)");
    net.run_until_quiescent();
    assert_eq!(note(&net.clients[0].doc), "Alice: start (Bob)");
    assert_eq!(note(&net.clients[1].doc), "Alice: start (Bob)");
    net.assert_converged();
}

#[test]
fn local_changes_are_batched_into_one_entry() {
    let mut net = Net::new(2, test_config());
    net.run_until_quiescent();
    let before = net.relay.docs.values().next().unwrap().head;
    for i in 0..5 {
        splice_note(&mut net, 0, i, "x");
        net.now += 5; // keystrokes 5 ms apart
    }
    net.run_until_quiescent();
    let after = net.relay.docs.values().next().unwrap().head;
    assert_eq!(
        after - before,
        1,
        "five keystrokes within 50 ms make one entry"
    );
    assert_eq!(note(&net.clients[1].doc), "xxxxxstart");
}

/// Pushes client `c` has queued for the relay and not yet delivered.
fn queued_pushes(net: &Net, c: usize) -> usize {
    net.clients[c]
        .to_relay
        .iter()
        .filter(|f| matches!(f, ClientFrame::Push { .. }))
        .count()
}

#[test]
fn a_keystroke_after_a_quiet_spell_goes_out_at_the_next_tick_and_typing_is_gathered() {
    let mut net = Net::new(2, test_config());
    net.run_until_quiescent();
    net.advance(1_000);
    let before = queued_pushes(&net, 0);
    // After a quiet second, the first keystroke is cut on the very next tick.
    splice_note(&mut net, 0, 0, "a");
    net.tick_all();
    assert_eq!(queued_pushes(&net, 0), before + 1, "cut at once");
    // Keystrokes every 10 ms right after it are gathered until 50 ms after that cut.
    for i in 1..=4 {
        net.now += 10;
        splice_note(&mut net, 0, i, "b");
        net.tick_all();
        assert_eq!(queued_pushes(&net, 0), before + 1, "gathered ({i})");
    }
    net.advance(10);
    assert_eq!(queued_pushes(&net, 0), before + 2, "one entry for the four");
    net.run_until_quiescent();
    assert_eq!(note(&net.clients[1].doc), "abbbbstart");
    net.assert_converged();
}

#[test]
fn a_tampered_entry_is_reported_and_skipped_and_later_entries_still_apply() {
    let mut net = Net::new(2, test_config());
    net.run_until_quiescent();
    // The relay flips a byte of the next stored entry.
    let doomed = net.relay.docs.values().next().unwrap().head + 1;
    net.relay.tamper = Some(|seq, mut blob| {
        if seq == 2 {
            let last = blob.len() - 1;
            blob[last] ^= 1;
        }
        blob
    });
    assert_eq!(doomed, 2);
    splice_note(&mut net, 0, 0, "lost ");
    net.run_until_quiescent();
    net.relay.tamper = None;
    splice_note(&mut net, 0, 0, "kept ");
    net.run_until_quiescent();
    let bob = &net.clients[1];
    assert_eq!(bob.skipped(), 1, "the bad entry is reported once");
    assert!(bob.sync.is_in_sync(), "and moved past");
    // What is saved stops before the change Automerge holds back, so a restart fetches
    // it again rather than claim it.
    assert_eq!(bob.sync.state().last_seq, 2);
    // "kept " depends on "lost ", which Bob never got: Automerge holds it back rather
    // than applying it half-way. Nothing unreadable was applied.
    assert_eq!(note(&bob.doc), "start");
}

/// An entry forwarded before it was durable, lost in a relay crash, and its number given
/// to another entry after the restart: the client that held the lost one fetches the new
/// one, never skips it.
#[test]
fn a_number_the_relay_reuses_after_a_crash_is_fetched_again() {
    let mut net = Net::new(3, test_config());
    net.run_until_quiescent();
    // Moves every frame of client `c` to the relay and back, with a commit between.
    let pump = |net: &mut Net, c: usize| {
        for _ in 0..4 {
            while !net.clients[c].to_relay.is_empty() {
                net.deliver_to_relay(c, 0);
            }
            net.relay_commit();
            while !net.clients[c].to_client.is_empty() {
                net.deliver_to_client(c, 0);
            }
        }
    };
    let before = net.clients[1].sync.state().last_seq;
    // Alice's edit is forwarded to Bob (not yet to Carol), and the relay dies before
    // the commit: the entry is gone from the relay, and Bob holds it.
    net.edit(0, 0, 1, 11);
    net.advance(100);
    while !net.clients[0].to_relay.is_empty() {
        net.deliver_to_relay(0, 0);
    }
    net.clients[2].to_client.clear();
    net.relay_crash();
    assert_eq!(
        net.clients[1].sync.state().last_seq,
        before,
        "not saved as durable"
    );
    // After the restart Carol is first: her edit takes the lost entry's number.
    net.connect(2);
    pump(&mut net, 2);
    net.edit(2, 0, 2, 22);
    net.advance(100);
    pump(&mut net, 2);
    assert!(items(&net.clients[2].doc).contains_key("k2"));
    // Bob comes back and gets Carol's entry under the number he held Alice's under.
    net.connect(1);
    pump(&mut net, 1);
    assert!(
        items(&net.clients[1].doc).contains_key("k2"),
        "Bob skipped the entry that reused the number"
    );
    net.run_until_quiescent();
    net.assert_converged();
}

#[test]
fn an_entry_sealed_with_another_projects_key_is_skipped() {
    let mut net = Net::new(2, test_config());
    net.run_until_quiescent();
    let other = ProjectSecret::from_bytes([9; 32]).keys();
    let blob = crypto::encrypt_entry(&other, [1; 24], b"whatever").unwrap();
    let doc_id = net.secret.keys().doc_id;
    let client = &mut net.clients[1];
    let outputs = client.sync.handle(
        ServerFrame::Entry {
            doc: doc_id,
            seq: 2,
            blob,
        },
        &mut client.doc,
        0,
    );
    client.run(outputs);
    assert_eq!(client.skipped(), 1);
    assert_eq!(client.sync.state().last_seq, 1, "held, not yet durable");
    let outputs = client.sync.handle(
        ServerFrame::Durable {
            doc: doc_id,
            upto: 3,
        },
        &mut client.doc,
        0,
    );
    client.run(outputs);
    assert_eq!(client.sync.state().last_seq, 2, "durable: saved");
    // Valid encryption around bytes that are not Automerge: skipped too.
    let keys = net.secret.keys();
    let blob = crypto::encrypt_entry(&keys, [2; 24], b"not automerge").unwrap();
    let outputs = client.sync.handle(
        ServerFrame::Entry {
            doc: doc_id,
            seq: 3,
            blob,
        },
        &mut client.doc,
        0,
    );
    client.run(outputs);
    assert_eq!(client.skipped(), 2);
    assert_eq!(client.sync.state().last_seq, 3);
    assert_eq!(note(&client.doc), "start");
}

#[test]
fn a_relay_cannot_make_a_client_skip_entries_by_relabelling_a_snapshot() {
    let mut net = Net::new(2, test_config());
    net.run_until_quiescent();
    let keys = net.secret.keys();
    let client = &mut net.clients[1];
    let held = client.sync.state().last_seq;
    let saved = client.doc.save();
    // A snapshot sealed as covering `held + 1`, offered as covering far more.
    let blob = crypto::encrypt_snapshot(&keys, held + 1, [3; 24], &saved).unwrap();
    let outputs = client.sync.handle(
        ServerFrame::Snapshot {
            doc: keys.doc_id,
            seq: held + 50,
            blob: blob.clone(),
        },
        &mut client.doc,
        0,
    );
    client.run(outputs);
    assert_eq!(client.skipped(), 1, "reported");
    assert_eq!(client.sync.state().last_seq, held, "and not moved past");
    // The same snapshot under its true label is taken.
    let outputs = client.sync.handle(
        ServerFrame::Snapshot {
            doc: keys.doc_id,
            seq: held + 1,
            blob,
        },
        &mut client.doc,
        0,
    );
    client.run(outputs);
    assert_eq!(client.skipped(), 1);
    assert_eq!(client.sync.state().last_seq, held + 1);
}

#[test]
fn sequence_numbers_at_the_edge_of_u64_change_nothing_and_panic_nowhere() {
    let mut net = Net::new(2, test_config());
    net.run_until_quiescent();
    let keys = net.secret.keys();
    let doc_id = keys.doc_id;
    let held = net.clients[1].sync.state().last_seq;
    let saved = net.clients[1].doc.save();
    let entry = crypto::encrypt_entry(&keys, [4; 24], b"not automerge").unwrap();
    let frames = [
        ServerFrame::Entry {
            doc: doc_id,
            seq: u64::MAX,
            blob: entry,
        },
        ServerFrame::Snapshot {
            doc: doc_id,
            seq: u64::MAX,
            // Relabelled: the relay cannot seal one of its own.
            blob: crypto::encrypt_snapshot(&keys, held + 1, [5; 24], &saved).unwrap(),
        },
        ServerFrame::Ack {
            doc: doc_id,
            id: u64::MAX,
            seq: u64::MAX,
        },
        ServerFrame::SnapshotAck {
            doc: doc_id,
            covers: u64::MAX,
        },
        ServerFrame::Subscribed {
            doc: doc_id,
            head: u64::MAX,
        },
    ];
    let client = &mut net.clients[1];
    let snapshot_seq = client.sync.state().snapshot_seq;
    for frame in frames {
        let outputs = client.sync.handle(frame, &mut client.doc, 0);
        client.run(outputs);
        let outputs = client
            .sync
            .tick(&mut client.doc, 10_000, &mut SeededEntropy::new(1));
        client.run(outputs);
    }
    // Whatever the relay said, nothing in between was claimed, and a made-up
    // SnapshotAck did not stop compaction.
    assert_eq!(client.sync.state().last_seq, held);
    assert_eq!(client.sync.state().snapshot_seq, snapshot_seq);
    // And, connected again, the project syncs on as before.
    net.cut(1);
    net.connect(1);
    net.edit(0, 2, 0, 7);
    net.run_until_quiescent();
    assert_eq!(note(&net.clients[1].doc), note(&net.clients[0].doc));
    assert!(net.clients[1].sync.is_in_sync());
}

#[test]
fn a_long_log_is_compacted_and_a_newcomer_loads_the_snapshot() {
    let mut config = test_config();
    config.compact_after = 10;
    let mut net = Net::new(2, config);
    for i in 0..25u8 {
        net.edit(usize::from(i % 2), 0, i, i);
        net.run_until_quiescent();
    }
    let relay_doc = net.relay.docs.values().next().unwrap();
    let (covers, _) = relay_doc.snapshot.clone().expect("a snapshot was uploaded");
    assert!(covers >= 10);
    assert!(relay_doc.entries.keys().all(|seq| *seq > covers));
    let c = net.newcomer();
    assert!(net.clients[c].sync.state().last_seq >= covers);
    net.assert_converged();
    assert_eq!(items(&net.clients[c].doc), items(&net.clients[0].doc));
}

#[test]
fn an_unacknowledged_entry_survives_a_crash_and_is_pushed_after_restart() {
    let mut net = Net::new(2, test_config());
    net.run_until_quiescent();
    splice_note(&mut net, 0, 0, "saved ");
    net.advance(100); // cut and sent, not yet delivered
    assert_eq!(net.clients[0].saved_state.unacked.len(), 1);
    net.crash(0);
    net.run_until_quiescent();
    assert_eq!(note(&net.clients[1].doc), "saved start");
    net.assert_converged();
}

#[test]
fn duplicate_pushes_are_harmless() {
    let mut net = Net::new(2, test_config());
    net.run_until_quiescent();
    splice_note(&mut net, 0, 0, "once ");
    net.advance(100);
    let push = net.clients[0].to_relay[0].clone();
    net.clients[0].to_relay.push(push.clone());
    net.clients[0].to_relay.push(push);
    net.run_until_quiescent();
    assert_eq!(note(&net.clients[1].doc), "once start");
    net.assert_converged();
}

#[test]
fn a_relay_restored_from_an_old_backup_gets_the_whole_document_again() {
    let mut net = Net::new(2, test_config());
    splice_note(&mut net, 1, 0, "B ");
    net.run_until_quiescent();
    // The relay loses everything.
    net.cut(0);
    net.cut(1);
    net.relay
        .docs
        .insert(net.secret.keys().doc_id, RelayDoc::default());
    net.run_until_quiescent();
    assert!(
        net.clients[0]
            .notices
            .iter()
            .any(|n| matches!(n, Notice::RelayBehind { .. }))
    );
    net.newcomer();
    net.assert_converged();
}

#[test]
fn an_unknown_document_refuses_the_subscription() {
    let mut net = Net::new(1, test_config());
    net.relay.docs.clear();
    net.connect(0);
    net.deliver_to_relay(0, 0);
    net.deliver_to_client(0, 0);
    assert!(matches!(
        net.clients[0].sync.phase(),
        Phase::Refused {
            code: ErrorCode::UnknownDocument,
            ..
        }
    ));
    // Sharing creates it.
    net.cut(0);
    net.clients[0].sync.set_create(true);
    net.run_until_quiescent();
    assert!(net.relay.docs.values().next().unwrap().head >= 1);
}

#[test]
fn peers_appear_with_their_heartbeat_and_leave_after_thirty_silent_seconds() {
    let mut net = Net::new(2, test_config());
    for (i, name) in ["Alice", "Bob"].iter().enumerate() {
        net.clients[i].sync.set_presence(Some(Presence {
            session: format!("s{i}"),
            person: format!("p{i}"),
            name: (*name).to_owned(),
            colour: "#2f7d6d".to_owned(),
            editing: None,
            leaving: false,
        }));
    }
    net.run_until_quiescent();
    net.advance(10);
    net.run_until_quiescent();
    assert_eq!(net.clients[1].sync.peers().len(), 1);
    assert_eq!(net.clients[1].sync.peers()[0].name, "Alice");
    // Alice's machine goes quiet; Bob still sees her for a while, then not.
    net.cut(0);
    net.advance(20_000);
    assert_eq!(net.clients[1].sync.peers().len(), 1);
    net.advance(11_000);
    assert!(net.clients[1].sync.peers().is_empty());
    assert!(
        net.clients[1]
            .notices
            .iter()
            .any(|n| matches!(n, Notice::PeerLeft(p) if p.name == "Alice"))
    );
}

#[test]
fn a_peer_moving_to_another_field_is_reported_at_once() {
    let mut net = Net::new(2, test_config());
    let alice = |editing: Option<&str>| Presence {
        session: "s0".to_owned(),
        person: "p0".to_owned(),
        name: "Alice".to_owned(),
        colour: "#2f7d6d".to_owned(),
        editing: editing.map(str::to_owned),
        leaving: false,
    };
    net.clients[0].sync.set_presence(Some(alice(None)));
    net.run_until_quiescent();
    net.advance(10);
    net.run_until_quiescent();
    net.clients[1].notices.clear();
    net.clients[0]
        .sync
        .set_presence(Some(alice(Some("phases/oppstart/notes"))));
    net.advance(10);
    net.run_until_quiescent();
    assert_eq!(
        net.clients[1].sync.peers()[0].editing.as_deref(),
        Some("phases/oppstart/notes")
    );
    assert!(
        net.clients[1].notices.iter().any(
            |n| matches!(n, Notice::PeerJoined(p) if p.editing.as_deref() == Some("phases/oppstart/notes"))
        ),
        "the app hears about the move, not only the first arrival"
    );
}

#[test]
fn state_saved_before_version_2_makes_a_new_snapshot_at_once() {
    // sync.json as protocol 1 wrote it: a snapshot at 500 that did not bind `covers`.
    let old =
        r#"{"last_seq":520,"snapshot_seq":500,"next_push_id":1,"shipped_heads":[],"unacked":[]}"#;
    let state: SyncState = serde_json::from_str(old).unwrap();
    assert!(!state.snapshot_bound);
    let mut config = test_config();
    config.compact_after = 500;
    let keys = ProjectSecret::from_bytes([5; 32]).keys();
    let mut sync = DocSync::new(keys, state, config);
    let mut doc = AutoCommit::new();
    let mut rng = SeededEntropy::new(3);
    let mut out = sync.connected([0; 32], 0);
    out.extend(sync.handle(
        ServerFrame::Subscribed {
            doc: ProjectSecret::from_bytes([5; 32]).keys().doc_id,
            head: 520,
        },
        &mut doc,
        0,
    ));
    // `samspill sync` waits for this: not settled until the new snapshot is made.
    assert!(!sync.is_settled());
    out.extend(sync.tick(&mut doc, 1, &mut rng));
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Send(ClientFrame::Snapshot { covers: 520, .. }))),
        "{out:?}"
    );
}

#[test]
fn sync_state_round_trips_through_json() {
    let state = SyncState {
        last_seq: 7,
        snapshot_seq: 3,
        snapshot_bound: true,
        snapshot_signed: true,
        write_registered: true,
        next_push_id: 9,
        shipped_heads: vec!["00".repeat(32)],
        unacked: vec![Unacked {
            id: 8,
            blob: vec![1, 2, 255],
        }],
    };
    let json = serde_json::to_string(&state).unwrap();
    assert!(json.contains("\"AQL/\""), "{json}");
    assert_eq!(serde_json::from_str::<SyncState>(&json).unwrap(), state);
}

#[test]
fn an_editor_that_skipped_unsigned_entries_makes_no_snapshot_over_them() {
    // sync.json from before entries were signed, and an unsigned entry on the relay.
    let old = r#"{"last_seq":1,"snapshot_seq":0,"next_push_id":1,"shipped_heads":[],"unacked":[]}"#;
    let state: SyncState = serde_json::from_str(old).unwrap();
    assert!(!state.snapshot_signed);
    let keys = ProjectSecret::from_bytes([5; 32]).keys();
    let doc_id = keys.doc_id;
    let unsigned = crypto::encrypt(&keys, BlobKind::Entry, [1; 24], b"older");
    let mut sync = DocSync::new(keys, state, test_config());
    let mut doc = AutoCommit::new();
    let mut rng = SeededEntropy::new(3);
    let mut out = sync.connected([0; 32], 0);
    out.extend(sync.handle(
        ServerFrame::Entry {
            doc: doc_id,
            seq: 2,
            blob: unsigned,
        },
        &mut doc,
        0,
    ));
    out.extend(sync.handle(
        ServerFrame::Subscribed {
            doc: doc_id,
            head: 2,
        },
        &mut doc,
        0,
    ));
    assert!(sync.saw_legacy());
    out.extend(sync.tick(&mut doc, 1, &mut rng));
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::Send(ClientFrame::Snapshot { .. }))),
        "a snapshot without the skipped entry would make the relay drop it: {out:?}"
    );
}

#[test]
fn a_rotation_stops_every_client_at_it_and_only_remaining_devices_can_follow() {
    use crate::crypto::{Capability, DeviceIdentity};
    use crate::epoch::{EpochError, Rotation};

    let mut net = Net::new(3, test_config());
    net.run_until_quiescent();
    // Carol (client 2) goes offline and edits; she is the one removed.
    net.cut(2);
    splice_note(&mut net, 2, 0, "carol offline ");
    let devices: Vec<DeviceIdentity> = (0..3u8)
        .map(|i| DeviceIdentity::from_bytes(&[i + 50; 64]))
        .collect();
    let new_secret = ProjectSecret::from_bytes([77; 32]);
    let new_cap: Capability = ProjectSecret::from_bytes([77; 32]).into();
    let mut rotation = Rotation {
        epoch: 1,
        from: net.secret.keys().doc_id.to_string(),
        to: new_cap.doc_id().to_string(),
        heads: heads_to_strings(&net.clients[0].doc.get_heads()),
        removed: vec!["carol".into()],
        by: "alice".into(),
        keys: vec![],
        signer: String::new(),
        signature: String::new(),
    };
    let mut rng = SeededEntropy::new(3);
    for (person, d) in [("alice", &devices[0]), ("bob", &devices[1])] {
        rotation
            .wrap_for(person, &d.public(), &new_cap, &mut rng)
            .unwrap();
    }
    let client = &mut net.clients[0];
    let (id, frame) = client
        .sync
        .rotate_frame(&mut client.doc, &new_secret.keys(), &rotation, &mut rng)
        .unwrap();
    client.to_relay.push(frame);
    net.deliver_to_relay(0, 0);
    net.relay_commit();
    for c in 0..2 {
        while !net.clients[c].to_client.is_empty() {
            net.deliver_to_client(c, 0);
        }
    }
    assert!(
        net.clients[0]
            .notices
            .iter()
            .all(|n| !matches!(n, Notice::Refused { .. })),
        "the rotation was refused: {:?}",
        net.clients[0].notices
    );
    let _ = id;
    let rotation_seq = net.relay.docs[&net.secret.keys().doc_id].head;
    // Bob stops at the rotation, never saving past it, and can open the new key.
    let bob = &net.clients[1];
    assert_eq!(
        *bob.sync.phase(),
        Phase::Moved {
            to: new_cap.doc_id()
        }
    );
    assert_eq!(bob.saved_state.last_seq, rotation_seq - 1);
    let seen = bob
        .notices
        .iter()
        .find_map(|n| match n {
            Notice::Rotated(r) => Some(r.clone()),
            _ => None,
        })
        .expect("bob was told of the rotation");
    assert_eq!(
        seen.unwrap_for(&devices[1]).unwrap().doc_id(),
        new_cap.doc_id()
    );
    // Carol comes back: she reads the rotation too, finds no key for her, and her
    // offline change is refused by the sealed document, not lost from her disk.
    net.connect(2);
    for _ in 0..20 {
        while !net.clients[2].to_relay.is_empty() {
            net.deliver_to_relay(2, 0);
        }
        net.relay_commit();
        while !net.clients[2].to_client.is_empty() {
            net.deliver_to_client(2, 0);
        }
        net.advance(100);
    }
    let carol = &net.clients[2];
    assert!(matches!(carol.sync.phase(), Phase::Moved { .. }));
    let seen = carol
        .notices
        .iter()
        .find_map(|n| match n {
            Notice::Rotated(r) => Some(r.clone()),
            _ => None,
        })
        .expect("carol was told of the rotation");
    assert_eq!(
        seen.unwrap_for(&devices[2]).err(),
        Some(EpochError::NotIncluded)
    );
    assert!(note(&carol.doc).contains("carol offline"));
    // Nothing was appended to the sealed document after the rotation.
    assert_eq!(net.relay.docs[&net.secret.keys().doc_id].head, rotation_seq);
}
