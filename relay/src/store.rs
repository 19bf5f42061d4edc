//! Durable storage: per document, an ordered log of encrypted entries and the latest
//! encrypted snapshot.
//!
//! [`Store`] is the seam for another backend (Postgres, to run several relay nodes behind
//! one address). [`SqliteStore`] is the one we ship:
//!
//! - SQLite in WAL mode with `synchronous = FULL`, one file in the data directory;
//! - every write goes to one **writer thread** that drains whatever is queued and commits
//!   it in one transaction (group commit), so concurrent pushes share an fsync; a push's
//!   future resolves only after the commit that holds it;
//! - reads run on tokio's blocking pool with a small pool of read-only connections, so
//!   the async runtime never waits on the disk.
//!
//! **Numbering happens before the writer** (early forwarding). A `Sequencer` keeps each
//! active document's last given-out number in memory; `append` numbers the entry in the
//! pushing connection's own task, tells the [`CommitListener`] (the fan-out hub) so the
//! other subscribers get it at once, and queues it for the writer, all under the
//! sequencer's lock, so numbers, forwarding and the writer's queue share one order per
//! document. Neither a thread hop nor an fsync (not even the previous batch's) lies on
//! the forwarding path. After each commit the writer tells the listener what became
//! durable, before the pushes are acknowledged.
//!
//! A document's counter is read from the database the first time it is needed (appends
//! arriving meanwhile wait in order) and forgotten once it has been idle a while with
//! nothing in flight. When a commit fails, the writer resets the counters of the
//! documents in it to what is stored and starts a new *generation*: entries numbered
//! under the old one that are still queued fail without being written, and the listener
//! closes the subscriptions that saw them (they resubscribe from what is durable).

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use samspill_shared::crypto::DocumentId;
use tokio::sync::oneshot;

use crate::metrics as m;

/// A boxed future, so the trait stays object safe (`Arc<dyn Store>`).
pub type StoreFuture<T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'static>>;

/// Why a storage operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the relay has no document {0}")]
    UnknownDocument(DocumentId),
    #[error(
        "a snapshot must cover entries 1..=N for an N the relay has; the log ends at {head} and the snapshot claims {covers}"
    )]
    BadSnapshot { covers: u64, head: u64 },
    #[error("storage failed: {0}")]
    Backend(String),
    #[error("an earlier entry of this document failed to commit; push again")]
    RolledBack,
    #[error("the relay's storage is shut down")]
    Closed,
    /// The document is sealed: it was rotated to this successor.
    #[error("the document was moved to {0} (it is sealed)")]
    Moved(DocumentId),
    /// A successor named a document the relay already has.
    #[error("the relay already has document {0}")]
    Exists(DocumentId),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Backend(e.to_string())
    }
}

/// Where a document's log stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocHead {
    /// The last sequence number assigned (0 for a new document).
    pub head: u64,
    /// The entries `1..=snapshot_seq` are covered by the stored snapshot (0 = none).
    pub snapshot_seq: u64,
    /// Sealed: rotated to this successor (its last entry is the rotation).
    pub moved_to: Option<DocumentId>,
}

/// A new epoch's document, created by [`Store::rotate`] as the successor of a sealed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Successor {
    pub doc: DocumentId,
    pub write_key: [u8; 32],
    /// Its entry 1: the document as of the rotation.
    pub first: Vec<u8>,
}

/// One read of a document's log, taken in a single consistent read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    /// The snapshot, when the reader was behind it: `(covers, blob)`.
    pub snapshot: Option<(u64, Vec<u8>)>,
    /// Entries after the reader's position (or after the snapshot), in order.
    pub entries: Vec<(u64, Vec<u8>)>,
    /// The log's head at the time of the read.
    pub head: u64,
}

impl Page {
    /// The last sequence number this page brings the reader to, if it brings anything.
    pub fn last_seq(&self) -> Option<u64> {
        self.entries
            .last()
            .map(|(seq, _)| *seq)
            .or(self.snapshot.as_ref().map(|(seq, _)| *seq))
    }
}

/// An entry that has its sequence number and is on its way to the disk.
#[derive(Debug, Clone, Copy)]
pub struct Committed<'a> {
    pub doc: DocumentId,
    pub seq: u64,
    /// The connection that pushed it, as passed to [`Store::append`].
    pub origin: u64,
    pub blob: &'a [u8],
}

/// Told about entries as they are numbered, and then whether they became durable (early
/// forwarding: see docs/protocol.md). `sequenced` calls about one document come in
/// sequence order, never two at once; `durable` and `rolled_back` come from the writer
/// thread and may overlap a `sequenced` of later entries. None may block.
pub trait CommitListener: Send + Sync {
    /// Entries numbered and queued for a commit that has not happened yet; forward them.
    fn sequenced(&self, entries: &[Committed<'_>]);
    /// The batch committed: each document's entries up to `upto` are durable.
    fn durable(&self, docs: &[(DocumentId, u64)]);
    /// The batch rolled back: the numbers given out for these documents will be given
    /// out again, so whoever got them must resubscribe from what is durable.
    fn rolled_back(&self, docs: &[DocumentId]);
    /// Whether anyone here subscribes to `doc` (a store shared by several nodes reads
    /// another node's entries only for documents someone here watches).
    fn is_watched(&self, doc: &DocumentId) -> bool;
    /// The store lost track of what other nodes committed (its notices were cut off):
    /// every subscriber must resubscribe from what it holds.
    fn lost_track(&self);
    /// An ephemeral blob another node's client sent; forward it to the subscribers here.
    fn remote_ephemeral(&self, doc: DocumentId, blob: Vec<u8>);
}

/// Durable storage of documents' encrypted logs and snapshots, and of token hashes.
///
/// Writes resolve only once durable. Implementations tell their [`CommitListener`] about
/// every numbered entry, in sequence order per document, no later than the commit that
/// stores it, and then that it is durable (or rolled back), before resolving the append.
pub trait Store: Send + Sync {
    /// The document's head, or `None` when the relay does not have it.
    fn head(&self, doc: DocumentId) -> StoreFuture<Option<DocHead>>;
    /// Creates the document if absent (recording which token created it); returns its head.
    fn create(&self, doc: DocumentId, created_by: Option<String>) -> StoreFuture<DocHead>;
    /// Appends an entry; resolves to its sequence number once committed.
    fn append(&self, doc: DocumentId, origin: u64, blob: Vec<u8>) -> StoreFuture<u64>;
    /// Stores a snapshot covering `1..=covers` and drops those entries. A snapshot that
    /// covers less than the stored one is accepted and discarded; one that covers as
    /// much replaces it.
    fn put_snapshot(&self, doc: DocumentId, covers: u64, blob: Vec<u8>) -> StoreFuture<()>;
    /// Reads what a client holding `since` is missing: the snapshot if `since` is behind
    /// it, then entries, up to about `max_bytes` of blobs (always at least one item).
    fn read_page(&self, doc: DocumentId, since: u64, max_bytes: usize) -> StoreFuture<Page>;
    /// Registers `key` as the document's write key unless it already has one; resolves
    /// to the key stored (this one, or the one registered earlier) once durable.
    fn register_write_key(&self, doc: DocumentId, key: [u8; 32]) -> StoreFuture<[u8; 32]>;
    /// Starts a new epoch, atomically: appends `rotation` to `doc` (numbered and
    /// forwarded like any entry) as its last entry, seals `doc`, and creates `to` with
    /// its write key and entry 1. Resolves to the rotation's sequence number once
    /// durable; fails with [`StoreError::Moved`] when `doc` is already sealed, and
    /// [`StoreError::Exists`] when `to` exists. Appends to a sealed document fail with
    /// `Moved`.
    fn rotate(
        &self,
        doc: DocumentId,
        origin: u64,
        rotation: Vec<u8>,
        to: Successor,
    ) -> StoreFuture<u64>;
    /// The name of the active token with this hash.
    fn token_name(&self, hash: [u8; 32]) -> StoreFuture<Option<String>>;
    /// Passes an ephemeral blob to the other relay nodes sharing this store, which hand
    /// it to their listeners' `remote_ephemeral` (best effort; a store of one node has
    /// nobody to tell).
    fn publish_ephemeral(&self, doc: DocumentId, blob: &[u8]) {
        let _ = (doc, blob);
    }
    /// Finishes queued writes and stops. Blocks; call it off the async runtime.
    fn close(&self);
}

/// SQLite integers are signed; sequence numbers from the wire are clamped.
fn sql_seq(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn from_sql_seq(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or(0)
}

/// 1: documents, entries, snapshots, tokens. 2: each document's write key. 3: sealed
/// documents' successors (`moved_to`).
const SCHEMA_VERSION: i64 = 3;

/// Opens (creating if needed) the relay database in `data_dir` and brings its schema up
/// to date. Used by the store's writer and by the token commands.
pub fn open_database(data_dir: &Path) -> Result<Connection, StoreError> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        StoreError::Backend(format!(
            "cannot create data directory {}: {e}",
            data_dir.display()
        ))
    })?;
    let path = crate::config::database_path(data_dir);
    let conn = Connection::open(&path)
        .map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!(
            "{} cannot use write-ahead logging (journal mode {mode})",
            path.display()
        )));
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Backend(format!(
            "{} was written by a newer samspill-relay (schema {version}); run that version",
            path.display()
        )));
    }
    conn.execute_batch(
        "BEGIN;
         CREATE TABLE IF NOT EXISTS documents (
             id BLOB PRIMARY KEY,
             head INTEGER NOT NULL DEFAULT 0,
             created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
             created_by TEXT
         ) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS entries (
             doc BLOB NOT NULL REFERENCES documents(id),
             seq INTEGER NOT NULL,
             blob BLOB NOT NULL,
             PRIMARY KEY (doc, seq)
         ) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS snapshots (
             doc BLOB PRIMARY KEY REFERENCES documents(id),
             covers INTEGER NOT NULL,
             blob BLOB NOT NULL
         ) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS tokens (
             name TEXT PRIMARY KEY,
             hash BLOB NOT NULL UNIQUE,
             created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
             revoked_at TEXT
         );
         COMMIT;",
    )?;
    if version < 2 {
        // Documents made before write keys get theirs from their first authorize.
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             ALTER TABLE documents ADD COLUMN write_key BLOB;
             PRAGMA user_version = 2;
             COMMIT;",
        )
        .or_else(|e| {
            // Another process (a token command) migrated it meanwhile.
            let now: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
            if now >= 2 { Ok(()) } else { Err(e) }
        })?;
    }
    if version < 3 {
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             ALTER TABLE documents ADD COLUMN moved_to BLOB;
             PRAGMA user_version = 3;
             COMMIT;",
        )
        .or_else(|e| {
            let now: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
            if now >= 3 { Ok(()) } else { Err(e) }
        })?;
    }
    Ok(conn)
}

enum WriteOp {
    Create {
        doc: DocumentId,
        created_by: Option<String>,
        reply: oneshot::Sender<Result<DocHead, StoreError>>,
    },
    /// An entry numbered by the sequencer under `generation`.
    Append {
        doc: DocumentId,
        seq: u64,
        generation: u64,
        blob: Vec<u8>,
        /// Set for a rotation: the entry seals `doc` and creates this successor.
        successor: Option<Box<Successor>>,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
    Snapshot {
        doc: DocumentId,
        covers: u64,
        blob: Vec<u8>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    /// Registers a write key unless the document has one; answers the stored key.
    WriteKey {
        doc: DocumentId,
        key: [u8; 32],
        reply: oneshot::Sender<Result<[u8; 32], StoreError>>,
    },
    Shutdown,
}

/// The outcome of one op inside a batch, held until the batch commits.
enum Outcome {
    Head(Result<DocHead, StoreError>),
    Seq(Result<u64, StoreError>),
    Snapshot(Result<(), StoreError>),
    WriteKey(Result<[u8; 32], StoreError>),
    None,
}

impl WriteOp {
    /// Answers the op's waiter. A waiter that went away (its connection closed) no longer
    /// needs the answer; what was committed stays committed either way.
    fn answer(self, outcome: Outcome) {
        match (self, outcome) {
            (Self::Create { reply, .. }, Outcome::Head(r)) => {
                let _ = reply.send(r);
            }
            (Self::Append { reply, .. }, Outcome::Seq(r)) => {
                let _ = reply.send(r);
            }
            (Self::Snapshot { reply, .. }, Outcome::Snapshot(r)) => {
                let _ = reply.send(r);
            }
            (Self::WriteKey { reply, .. }, Outcome::WriteKey(r)) => {
                let _ = reply.send(r);
            }
            _ => {}
        }
    }

    fn fail(self, e: StoreError) {
        match self {
            Self::Create { reply, .. } => {
                let _ = reply.send(Err(e));
            }
            Self::Append { reply, .. } => {
                let _ = reply.send(Err(e));
            }
            Self::Snapshot { reply, .. } => {
                let _ = reply.send(Err(e));
            }
            Self::WriteKey { reply, .. } => {
                let _ = reply.send(Err(e));
            }
            Self::Shutdown => {}
        }
    }
}

/// Most ops committed in one transaction; more wait for the next.
const MAX_BATCH: usize = 1024;
/// Idle read connections kept open.
const READ_POOL: usize = 4;
/// A document's counter is forgotten after this long with nothing in flight.
const SEQUENCER_IDLE: Duration = Duration::from_secs(60);

/// The SQLite store. See the module docs.
pub struct SqliteStore {
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

/// What the store's callers, its head loads and its writer thread share.
struct Shared {
    writes: std_mpsc::Sender<WriteOp>,
    readers: ReadPool,
    sequencer: Sequencer,
    listener: Arc<dyn CommitListener>,
}

struct ReadPool {
    path: std::path::PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut conn = match pooled {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(std::time::Duration::from_secs(10))?;
                conn
            }
        };
        let result = f(&mut conn);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < READ_POOL
        {
            idle.push(conn);
        }
        result
    }
}

/// An append waiting for its document's counter to be read.
struct Waiting {
    origin: u64,
    blob: Vec<u8>,
    successor: Option<Box<Successor>>,
    reply: oneshot::Sender<Result<u64, StoreError>>,
}

enum Slot {
    /// The document's head is being read from the database; appends wait here, in order.
    Loading(Vec<Waiting>),
    Ready(Counter),
}

/// One document's numbering.
struct Counter {
    /// The last number given out (stored or on its way to the disk).
    head: u64,
    generation: u64,
    used: Instant,
    /// Sealed (stored, or by a rotation numbered here): appends fail with `Moved`.
    sealed: Option<DocumentId>,
}

/// Sequence numbers per active document, given out ahead of the writer.
#[derive(Default)]
struct Sequencer {
    state: Mutex<SequencerState>,
}

#[derive(Default)]
struct SequencerState {
    docs: HashMap<DocumentId, Slot>,
    /// Per document, appends given a number (in any generation) and not yet answered by
    /// the writer. Kept apart from the slots so that replacing or dropping a slot can
    /// never lose count: a counter is forgotten only when this is zero.
    in_flight: HashMap<DocumentId, u64>,
    /// The last generation handed out; only ever grows.
    generation: u64,
    swept: Option<Instant>,
}

impl SequencerState {
    fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// Whether an entry numbered under `generation` may still be written.
    fn is_current(&self, doc: &DocumentId, generation: u64) -> bool {
        matches!(self.docs.get(doc), Some(Slot::Ready(c)) if c.generation == generation)
    }

    /// The writer answered one of `doc`'s appends.
    fn settled(&mut self, doc: &DocumentId) {
        if let Some(n) = self.in_flight.get_mut(doc) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.in_flight.remove(doc);
            }
        }
    }

    /// Forgets counters idle for a while with nothing in flight (at most once a
    /// [`SEQUENCER_IDLE`]).
    fn sweep(&mut self, now: Instant) {
        if self
            .swept
            .is_some_and(|t| now.duration_since(t) < SEQUENCER_IDLE)
        {
            return;
        }
        self.swept = Some(now);
        let in_flight = &self.in_flight;
        self.docs.retain(|doc, slot| match slot {
            Slot::Loading(_) => true,
            Slot::Ready(c) => {
                in_flight.contains_key(doc) || now.duration_since(c.used) < SEQUENCER_IDLE
            }
        });
    }
}

impl Sequencer {
    fn lock(&self) -> MutexGuard<'_, SequencerState> {
        // Every change under this lock is a whole assignment or insert: a panic elsewhere
        // cannot leave it half-made.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A document's head being read for its counter; answers the waiting appends however it
/// ends.
struct HeadLoad {
    shared: Arc<Shared>,
    doc: DocumentId,
    done: bool,
}

impl HeadLoad {
    fn run(mut self) {
        let head = self.shared.readers.with(|conn| doc_head(conn, &self.doc));
        self.shared.loaded(self.doc, head);
        self.done = true;
    }
}

impl Drop for HeadLoad {
    fn drop(&mut self) {
        // The read never happened or panicked: the waiters hear so.
        if !self.done {
            self.shared.loaded(self.doc, Err(StoreError::Closed));
        }
    }
}

impl Shared {
    /// Numbers an append, forwards it and queues it for the writer, with the sequencer
    /// locked (which keeps the three in one order per document).
    fn number(
        &self,
        counter: &mut Counter,
        in_flight: &mut HashMap<DocumentId, u64>,
        doc: DocumentId,
        waiting: Waiting,
    ) {
        if let Some(to) = counter.sealed {
            let _ = waiting.reply.send(Err(StoreError::Moved(to)));
            return;
        }
        if let Some(successor) = &waiting.successor {
            counter.sealed = Some(successor.doc);
        }
        let seq = counter.head + 1;
        counter.head = seq;
        *in_flight.entry(doc).or_default() += 1;
        counter.used = Instant::now();
        self.listener.sequenced(&[Committed {
            doc,
            seq,
            origin: waiting.origin,
            blob: &waiting.blob,
        }]);
        // A closed channel drops the op, and its waiter hears `Closed`.
        let _ = self.writes.send(WriteOp::Append {
            doc,
            seq,
            generation: counter.generation,
            blob: waiting.blob,
            successor: waiting.successor,
            reply: waiting.reply,
        });
    }

    /// The document's head was read (or could not be): number what waited for it.
    fn loaded(&self, doc: DocumentId, head: Result<Option<DocHead>, StoreError>) {
        let mut state = self.sequencer.lock();
        if !matches!(state.docs.get(&doc), Some(Slot::Loading(_))) {
            return;
        }
        let Some(Slot::Loading(waiting)) = state.docs.remove(&doc) else {
            return;
        };
        let (head, sealed) = match head {
            Ok(Some(head)) => (head.head, head.moved_to),
            Ok(None) => {
                for w in waiting {
                    let _ = w.reply.send(Err(StoreError::UnknownDocument(doc)));
                }
                return;
            }
            Err(e) => {
                for w in waiting {
                    let _ = w.reply.send(Err(e.clone()));
                }
                return;
            }
        };
        let mut counter = Counter {
            head,
            generation: state.next_generation(),
            used: Instant::now(),
            sealed,
        };
        for w in waiting {
            self.number(&mut counter, &mut state.in_flight, doc, w);
        }
        state.docs.insert(doc, Slot::Ready(counter));
    }
}

impl SqliteStore {
    /// Opens the store in `data_dir` and starts its writer thread.
    pub fn open(data_dir: &Path, listener: Arc<dyn CommitListener>) -> Result<Self, StoreError> {
        Self::open_inner(data_dir, listener, None)
    }

    /// Like [`Self::open`], with the database capped at `max_pages` pages, so commits
    /// fail the way they do on a full disk (for tests of a rollback).
    #[doc(hidden)]
    pub fn open_capped(
        data_dir: &Path,
        listener: Arc<dyn CommitListener>,
        max_pages: u64,
    ) -> Result<Self, StoreError> {
        Self::open_inner(data_dir, listener, Some(max_pages))
    }

    fn open_inner(
        data_dir: &Path,
        listener: Arc<dyn CommitListener>,
        max_pages: Option<u64>,
    ) -> Result<Self, StoreError> {
        let conn = open_database(data_dir)?;
        if let Some(pages) = max_pages {
            conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
        }
        let (tx, rx) = std_mpsc::channel();
        let shared = Arc::new(Shared {
            writes: tx,
            readers: ReadPool {
                path: crate::config::database_path(data_dir),
                idle: Mutex::new(Vec::new()),
            },
            sequencer: Sequencer::default(),
            listener,
        });
        let writer_shared = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("relay-writer".to_owned())
            .spawn(move || writer_loop(conn, &rx, &writer_shared))
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            shared,
            writer: Mutex::new(Some(writer)),
        })
    }

    fn submit<T: Send + 'static>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> WriteOp,
    ) -> StoreFuture<T> {
        let (reply, rx) = oneshot::channel();
        let sent = self.shared.writes.send(make(reply)).is_ok();
        Box::pin(async move {
            if !sent {
                return Err(StoreError::Closed);
            }
            rx.await.unwrap_or(Err(StoreError::Closed))
        })
    }

    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> StoreFuture<T> {
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || shared.readers.with(f))
                .await
                .map_err(|e| StoreError::Backend(format!("a read task failed: {e}")))?
        })
    }
}

impl Store for SqliteStore {
    fn head(&self, doc: DocumentId) -> StoreFuture<Option<DocHead>> {
        self.read(move |conn| doc_head(conn, &doc))
    }

    fn create(&self, doc: DocumentId, created_by: Option<String>) -> StoreFuture<DocHead> {
        self.submit(|reply| WriteOp::Create {
            doc,
            created_by,
            reply,
        })
    }

    fn append(&self, doc: DocumentId, origin: u64, blob: Vec<u8>) -> StoreFuture<u64> {
        self.sequence(doc, origin, blob, None)
    }

    fn rotate(
        &self,
        doc: DocumentId,
        origin: u64,
        rotation: Vec<u8>,
        to: Successor,
    ) -> StoreFuture<u64> {
        self.sequence(doc, origin, rotation, Some(Box::new(to)))
    }

    fn put_snapshot(&self, doc: DocumentId, covers: u64, blob: Vec<u8>) -> StoreFuture<()> {
        self.put_snapshot_ordered(doc, covers, blob)
    }

    fn read_page(&self, doc: DocumentId, since: u64, max_bytes: usize) -> StoreFuture<Page> {
        self.read(move |conn| read_page(conn, &doc, since, max_bytes))
    }

    fn register_write_key(&self, doc: DocumentId, key: [u8; 32]) -> StoreFuture<[u8; 32]> {
        self.submit(|reply| WriteOp::WriteKey { doc, key, reply })
    }

    fn token_name(&self, hash: [u8; 32]) -> StoreFuture<Option<String>> {
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT name FROM tokens WHERE hash = ?1 AND revoked_at IS NULL",
                    params![&hash[..]],
                    |row| row.get(0),
                )
                .optional()?)
        })
    }

    fn close(&self) {
        // The writer may already be gone; then there is nothing to finish.
        let _ = self.shared.writes.send(WriteOp::Shutdown);
        let handle = self.writer.lock().ok().and_then(|mut w| w.take());
        if let Some(handle) = handle
            && handle.join().is_err()
        {
            tracing::error!("the storage writer thread panicked");
        }
    }
}

impl SqliteStore {
    /// Numbers an entry (a rotation too) through the document's counter and queues it.
    fn sequence(
        &self,
        doc: DocumentId,
        origin: u64,
        blob: Vec<u8>,
        successor: Option<Box<Successor>>,
    ) -> StoreFuture<u64> {
        let (reply, rx) = oneshot::channel();
        let waiting = Waiting {
            origin,
            blob,
            successor,
            reply,
        };
        let load = {
            let mut state = self.shared.sequencer.lock();
            let SequencerState {
                docs, in_flight, ..
            } = &mut *state;
            match docs.get_mut(&doc) {
                Some(Slot::Ready(counter)) => {
                    self.shared.number(counter, in_flight, doc, waiting);
                    false
                }
                Some(Slot::Loading(queue)) => {
                    queue.push(waiting);
                    false
                }
                None => {
                    // Nothing of this document that can still be written is queued (a
                    // counter with appends in flight is never forgotten; after a failed
                    // rollback, what is queued is stale and fails unwritten), so the
                    // stored head is the last number.
                    docs.insert(doc, Slot::Loading(vec![waiting]));
                    true
                }
            }
        };
        if load {
            // Off the runtime: a read may wait on the disk. However the load ends (done,
            // panicked, or dropped unrun because the runtime is shutting down), the
            // guard answers the waiters, so a document is never stuck loading.
            let guard = HeadLoad {
                shared: Arc::clone(&self.shared),
                doc,
                done: false,
            };
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    rt.spawn_blocking(move || guard.run());
                }
                Err(_) => drop(guard),
            }
        }
        Box::pin(async move { rx.await.unwrap_or(Err(StoreError::Closed)) })
    }

    fn put_snapshot_ordered(&self, doc: DocumentId, covers: u64, blob: Vec<u8>) -> StoreFuture<()> {
        // Queued with the sequencer locked: an entry the snapshot's maker has seen is
        // queued before it, however early it was forwarded. (After a rollback the same
        // numbers are given out again; clients only ever cover what was durable, so a
        // snapshot never covers a number that was lost.)
        let _order = self.shared.sequencer.lock();
        self.submit(|reply| WriteOp::Snapshot {
            doc,
            covers,
            blob,
            reply,
        })
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.close();
    }
}

fn doc_head(conn: &Connection, doc: &DocumentId) -> Result<Option<DocHead>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT d.head, COALESCE(s.covers, 0), d.moved_to FROM documents d
             LEFT JOIN snapshots s ON s.doc = d.id WHERE d.id = ?1",
            params![&doc.0[..]],
            |row| {
                let moved: Option<Vec<u8>> = row.get(2)?;
                Ok(DocHead {
                    head: from_sql_seq(row.get(0)?),
                    snapshot_seq: from_sql_seq(row.get(1)?),
                    moved_to: moved
                        .and_then(|m| <[u8; 32]>::try_from(m.as_slice()).ok())
                        .map(DocumentId),
                })
            },
        )
        .optional()?)
}

fn read_page(
    conn: &mut Connection,
    doc: &DocumentId,
    since: u64,
    max_bytes: usize,
) -> Result<Page, StoreError> {
    // One read transaction: the snapshot, the entries and the head agree with each other
    // even while the writer commits a new snapshot that drops entries.
    let tx = conn.transaction()?;
    let Some(head) = doc_head(&tx, doc)? else {
        return Err(StoreError::UnknownDocument(*doc));
    };
    let mut page = Page {
        head: head.head,
        ..Page::default()
    };
    let mut cursor = since;
    let mut bytes = 0usize;
    if since < head.snapshot_seq {
        let blob: Vec<u8> = tx.query_row(
            "SELECT blob FROM snapshots WHERE doc = ?1",
            params![&doc.0[..]],
            |row| row.get(0),
        )?;
        bytes += blob.len();
        page.snapshot = Some((head.snapshot_seq, blob));
        cursor = head.snapshot_seq;
    }
    if bytes < max_bytes {
        let mut stmt = tx.prepare_cached(
            "SELECT seq, blob FROM entries WHERE doc = ?1 AND seq > ?2 ORDER BY seq",
        )?;
        let mut rows = stmt.query(params![&doc.0[..], sql_seq(cursor)])?;
        while let Some(row) = rows.next()? {
            let seq = from_sql_seq(row.get(0)?);
            let blob: Vec<u8> = row.get(1)?;
            bytes += blob.len();
            page.entries.push((seq, blob));
            if bytes >= max_bytes {
                break;
            }
        }
    }
    drop(tx);
    Ok(page)
}

fn writer_loop(mut conn: Connection, rx: &std_mpsc::Receiver<WriteOp>, shared: &Shared) {
    let mut stopping = false;
    while !stopping {
        let Ok(first) = rx.recv() else { break };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        if let Some(pos) = batch.iter().position(|op| matches!(op, WriteOp::Shutdown)) {
            // Ops queued after the shutdown request fail with Closed when their reply
            // senders drop with the channel.
            batch.truncate(pos);
            stopping = true;
        }
        if batch.is_empty() {
            continue;
        }
        commit_batch(&mut conn, batch, shared);
        shared.sequencer.lock().sweep(Instant::now());
    }
    tracing::debug!("storage writer stopped");
}

fn commit_batch(conn: &mut Connection, batch: Vec<WriteOp>, shared: &Shared) {
    let started = Instant::now();
    let ops = batch.len();
    // Which appends are still current: one generation check per op, under one lock.
    let current: Vec<bool> = {
        let state = shared.sequencer.lock();
        batch
            .iter()
            .map(|op| match op {
                WriteOp::Append {
                    doc, generation, ..
                } => state.is_current(doc, *generation),
                _ => true,
            })
            .collect()
    };
    let result = (|| -> Result<Vec<Outcome>, StoreError> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (op, current) in batch.iter().zip(&current) {
            outcomes.push(if *current {
                apply(&tx, op)?
            } else {
                Outcome::Seq(Err(StoreError::RolledBack))
            });
        }
        tx.commit()?;
        Ok(outcomes)
    })();
    // Per document, the last entry this batch stored (or tried to).
    let mut written: Vec<(DocumentId, u64)> = Vec::new();
    for (op, current) in batch.iter().zip(&current) {
        if let (WriteOp::Append { doc, seq, .. }, true) = (op, current) {
            match written.iter_mut().find(|(d, _)| d == doc) {
                Some((_, upto)) => *upto = (*upto).max(*seq),
                None => written.push((*doc, *seq)),
            }
        }
    }
    match result {
        Ok(outcomes) => {
            metrics::histogram!(m::COMMIT_SECONDS).record(started.elapsed().as_secs_f64());
            metrics::histogram!(m::COMMIT_BATCH_OPS).record(ops as f64);
            if !written.is_empty() {
                shared.listener.durable(&written);
            }
            settle(shared, &batch);
            for (op, outcome) in batch.into_iter().zip(outcomes) {
                op.answer(outcome);
            }
        }
        Err(e) => {
            // The transaction rolled back: nothing in this batch is stored, and every
            // waiter hears so; subscribers that got its entries start over.
            tracing::error!(error = %e, ops, "commit failed; the batch was rolled back");
            metrics::counter!(m::COMMIT_FAILURES).increment(1);
            if !written.is_empty() {
                roll_back(conn, shared, &written);
            }
            settle(shared, &batch);
            for op in batch {
                op.fail(e.clone());
            }
        }
    }
}

/// Every append in the batch is answered: they are no longer in flight.
fn settle(shared: &Shared, batch: &[WriteOp]) {
    let mut state = shared.sequencer.lock();
    for op in batch {
        if let WriteOp::Append { doc, .. } = op {
            state.settled(doc);
        }
    }
}

/// Resets the counters of the documents whose entries were lost to what is stored, in a
/// new generation (so entries numbered after the lost ones and still queued fail), and
/// has the listener close the subscriptions that saw them; all under the sequencer's
/// lock, so nothing numbered in the new generation is caught up in it.
fn roll_back(conn: &Connection, shared: &Shared, written: &[(DocumentId, u64)]) {
    let docs: Vec<DocumentId> = written.iter().map(|(doc, _)| *doc).collect();
    // Read before locking (the writer is the only one that writes, so these stay true),
    // so pushes to other documents are not held up by the disk.
    let heads: Vec<_> = docs.iter().map(|doc| doc_head(conn, doc)).collect();
    let mut state = shared.sequencer.lock();
    for (doc, head) in docs.iter().zip(heads) {
        match head {
            Ok(Some(head)) => {
                let generation = state.next_generation();
                if let Some(Slot::Ready(c)) = state.docs.get_mut(doc) {
                    c.head = head.head;
                    c.generation = generation;
                    // A rotation that was rolled back sealed nothing.
                    c.sealed = head.moved_to;
                }
            }
            // Cannot tell what is stored: forget the counter (its queued entries fail as
            // stale), and the next append reads the head again.
            Ok(None) | Err(_) => {
                state.docs.remove(doc);
            }
        }
    }
    shared.listener.rolled_back(&docs);
}

/// Applies one op. Refusals (unknown document, bad snapshot) write nothing and come back
/// as the op's outcome; only storage failures abort the batch.
fn apply(tx: &rusqlite::Transaction<'_>, op: &WriteOp) -> Result<Outcome, StoreError> {
    Ok(match op {
        WriteOp::Create {
            doc, created_by, ..
        } => {
            tx.execute(
                "INSERT OR IGNORE INTO documents (id, created_by) VALUES (?1, ?2)",
                params![&doc.0[..], created_by],
            )?;
            Outcome::Head(doc_head(tx, doc)?.ok_or(StoreError::UnknownDocument(*doc)))
        }
        WriteOp::Append {
            doc,
            seq,
            blob,
            successor,
            ..
        } => {
            // The sequencer numbered it from the stored head: it must follow it exactly
            // (anything else is a bug, and the batch rolls back rather than store a gap).
            let updated = tx
                .prepare_cached("UPDATE documents SET head = ?2 WHERE id = ?1 AND head = ?3")?
                .execute(params![
                    &doc.0[..],
                    sql_seq(*seq),
                    sql_seq(seq.saturating_sub(1))
                ])?;
            if updated != 1 {
                return Err(StoreError::Backend(format!(
                    "entry {seq} does not follow the stored head of its document"
                )));
            }
            tx.prepare_cached("INSERT INTO entries (doc, seq, blob) VALUES (?1, ?2, ?3)")?
                .execute(params![&doc.0[..], sql_seq(*seq), blob])?;
            if let Some(to) = successor {
                // The caller checked that `to` is new; one that is not fails the batch
                // (and so the rotation) rather than overwrite a document.
                // It counts against the token its predecessor was created with.
                tx.execute(
                    "INSERT INTO documents (id, head, created_by, write_key)
                     SELECT ?1, 1, created_by, ?2 FROM documents WHERE id = ?3",
                    params![&to.doc.0[..], &to.write_key[..], &doc.0[..]],
                )?;
                tx.execute(
                    "INSERT INTO entries (doc, seq, blob) VALUES (?1, 1, ?2)",
                    params![&to.doc.0[..], to.first],
                )?;
                tx.execute(
                    "UPDATE documents SET moved_to = ?2 WHERE id = ?1",
                    params![&doc.0[..], &to.doc.0[..]],
                )?;
            }
            Outcome::Seq(Ok(*seq))
        }
        WriteOp::Snapshot {
            doc, covers, blob, ..
        } => {
            let covers = *covers;
            Outcome::Snapshot(match doc_head(tx, doc)? {
                None => Err(StoreError::UnknownDocument(*doc)),
                // A sealed document keeps its rotation entry for whoever comes later.
                Some(DocHead {
                    moved_to: Some(to), ..
                }) => Err(StoreError::Moved(to)),
                Some(head) if covers == 0 || covers > head.head => Err(StoreError::BadSnapshot {
                    covers,
                    head: head.head,
                }),
                // Equal coverage replaces the stored one: a client re-making an older
                // format's snapshot (protocol 1 did not bind `covers`) must be kept.
                Some(head) if covers < head.snapshot_seq => Ok(()),
                Some(_) => {
                    tx.execute(
                        "INSERT INTO snapshots (doc, covers, blob) VALUES (?1, ?2, ?3)
                         ON CONFLICT (doc) DO UPDATE SET covers = excluded.covers, blob = excluded.blob",
                        params![&doc.0[..], sql_seq(covers), blob],
                    )?;
                    tx.execute(
                        "DELETE FROM entries WHERE doc = ?1 AND seq <= ?2",
                        params![&doc.0[..], sql_seq(covers)],
                    )?;
                    Ok(())
                }
            })
        }
        WriteOp::WriteKey { doc, key, .. } => {
            tx.execute(
                "UPDATE documents SET write_key = COALESCE(write_key, ?2) WHERE id = ?1",
                params![&doc.0[..], &key[..]],
            )?;
            let stored: Option<Option<Vec<u8>>> = tx
                .query_row(
                    "SELECT write_key FROM documents WHERE id = ?1",
                    params![&doc.0[..]],
                    |row| row.get(0),
                )
                .optional()?;
            Outcome::WriteKey(match stored {
                None => Err(StoreError::UnknownDocument(*doc)),
                Some(stored) => stored
                    .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
                    .ok_or_else(|| StoreError::Backend("a stored write key is damaged".to_owned())),
            })
        }
        WriteOp::Shutdown => Outcome::None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quiet;
    impl CommitListener for Quiet {
        fn sequenced(&self, _: &[Committed<'_>]) {}
        fn durable(&self, _: &[(DocumentId, u64)]) {}
        fn rolled_back(&self, _: &[DocumentId]) {}
        fn is_watched(&self, _: &DocumentId) -> bool {
            false
        }
        fn lost_track(&self) {}
        fn remote_ephemeral(&self, _: DocumentId, _: Vec<u8>) {}
    }

    fn doc(n: u8) -> DocumentId {
        DocumentId([n; 32])
    }

    #[test]
    fn a_counter_with_appends_in_flight_is_never_swept_even_after_its_slot_was_replaced() {
        let mut state = SequencerState::default();
        let counter = |head| {
            Slot::Ready(Counter {
                head,
                generation: 1,
                used: Instant::now() - SEQUENCER_IDLE * 2,
                sealed: None,
            })
        };
        state.docs.insert(doc(1), counter(5));
        state.in_flight.insert(doc(1), 2);
        // The slot is replaced (a rollback that could not read the head, then a reload):
        // the count of queued appends stays.
        state.docs.insert(doc(1), counter(3));
        state.docs.insert(doc(2), counter(9));
        state.sweep(Instant::now());
        assert!(state.docs.contains_key(&doc(1)), "two appends still queued");
        assert!(!state.docs.contains_key(&doc(2)), "idle, nothing in flight");
        state.settled(&doc(1));
        state.settled(&doc(1));
        state.settled(&doc(1)); // one too many changes nothing
        assert!(state.in_flight.is_empty());
        state.swept = None;
        state.sweep(Instant::now());
        assert!(state.docs.is_empty());
    }

    #[test]
    fn an_append_whose_head_cannot_be_read_is_answered_not_left_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path(), Arc::new(Quiet)).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(store.create(doc(1), None)).unwrap();
        // Outside a runtime the head cannot be read off it: the append is answered.
        let refused = store.append(doc(1), 1, b"x".to_vec());
        assert_eq!(rt.block_on(refused), Err(StoreError::Closed));
        // And the document is not stuck: the next append is numbered from the store.
        let seq = rt.block_on(async { store.append(doc(1), 1, b"y".to_vec()).await });
        assert_eq!(seq, Ok(1));
        let seq = rt.block_on(async { store.append(doc(1), 1, b"z".to_vec()).await });
        assert_eq!(seq, Ok(2));
    }
}
