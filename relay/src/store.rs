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
//! The writer thread also tells the [`CommitListener`] (the fan-out hub) about each
//! batch's entries as soon as they are numbered, before the commit's fsync (early
//! forwarding), then that they are durable (or rolled back), before their pushes are
//! acknowledged: that one ordered call site keeps live entries in sequence for every
//! subscriber.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

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
    #[error("the relay's storage is shut down")]
    Closed,
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

/// An entry that has its sequence number, in a batch about to commit.
#[derive(Debug, Clone, Copy)]
pub struct Committed<'a> {
    pub doc: DocumentId,
    pub seq: u64,
    /// The connection that pushed it, as passed to [`Store::append`].
    pub origin: u64,
    pub blob: &'a [u8],
}

/// Told about entries as they are numbered, and then whether their batch became
/// durable (early forwarding: see docs/protocol.md). Called on the writer thread, in
/// commit order; it must not block.
pub trait CommitListener: Send + Sync {
    /// Entries numbered in a batch whose commit (the fsync) is under way; forward them.
    fn sequenced(&self, entries: &[Committed<'_>]);
    /// The batch committed: each document's entries up to `upto` are durable.
    fn durable(&self, docs: &[(DocumentId, u64)]);
    /// The batch rolled back: the numbers given out for these documents will be given
    /// out again, so whoever got them must resubscribe from what is durable.
    fn rolled_back(&self, docs: &[DocumentId]);
}

/// Durable storage of documents' encrypted logs and snapshots, and of token hashes.
///
/// Writes resolve only once durable. Implementations tell their [`CommitListener`] about
/// every numbered entry, in commit order, before the commit's fsync, and then that it
/// is durable (or rolled back), before resolving the append.
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
    /// The name of the active token with this hash.
    fn token_name(&self, hash: [u8; 32]) -> StoreFuture<Option<String>>;
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

const SCHEMA_VERSION: i64 = 1;

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
         PRAGMA user_version = 1;
         COMMIT;",
    )?;
    Ok(conn)
}

enum WriteOp {
    Create {
        doc: DocumentId,
        created_by: Option<String>,
        reply: oneshot::Sender<Result<DocHead, StoreError>>,
    },
    Append {
        doc: DocumentId,
        origin: u64,
        blob: Vec<u8>,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
    Snapshot {
        doc: DocumentId,
        covers: u64,
        blob: Vec<u8>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    Shutdown,
}

/// The outcome of one op inside a batch, held until the batch commits.
enum Outcome {
    Head(Result<DocHead, StoreError>),
    Seq(Result<u64, StoreError>),
    Snapshot(Result<(), StoreError>),
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
            Self::Shutdown => {}
        }
    }
}

/// Most ops committed in one transaction; more wait for the next.
const MAX_BATCH: usize = 1024;
/// Idle read connections kept open.
const READ_POOL: usize = 4;

/// The SQLite store. See the module docs.
pub struct SqliteStore {
    writes: Mutex<std_mpsc::Sender<WriteOp>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Arc<ReadPool>,
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

impl SqliteStore {
    /// Opens the store in `data_dir` and starts its writer thread.
    pub fn open(data_dir: &Path, listener: Arc<dyn CommitListener>) -> Result<Self, StoreError> {
        let conn = open_database(data_dir)?;
        let (tx, rx) = std_mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("relay-writer".to_owned())
            .spawn(move || writer_loop(conn, &rx, listener.as_ref()))
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            writes: Mutex::new(tx),
            writer: Mutex::new(Some(writer)),
            readers: Arc::new(ReadPool {
                path: crate::config::database_path(data_dir),
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    fn submit<T: Send + 'static>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> WriteOp,
    ) -> StoreFuture<T> {
        let (reply, rx) = oneshot::channel();
        let sent = match self.writes.lock() {
            Ok(writes) => writes.send(make(reply)).is_ok(),
            Err(_) => false,
        };
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
        let pool = Arc::clone(&self.readers);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || pool.with(f))
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
        self.submit(|reply| WriteOp::Append {
            doc,
            origin,
            blob,
            reply,
        })
    }

    fn put_snapshot(&self, doc: DocumentId, covers: u64, blob: Vec<u8>) -> StoreFuture<()> {
        self.submit(|reply| WriteOp::Snapshot {
            doc,
            covers,
            blob,
            reply,
        })
    }

    fn read_page(&self, doc: DocumentId, since: u64, max_bytes: usize) -> StoreFuture<Page> {
        self.read(move |conn| read_page(conn, &doc, since, max_bytes))
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
        if let Ok(writes) = self.writes.lock() {
            // The writer may already be gone; then there is nothing to finish.
            let _ = writes.send(WriteOp::Shutdown);
        }
        let handle = self.writer.lock().ok().and_then(|mut w| w.take());
        if let Some(handle) = handle
            && handle.join().is_err()
        {
            tracing::error!("the storage writer thread panicked");
        }
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
            "SELECT d.head, COALESCE(s.covers, 0) FROM documents d
             LEFT JOIN snapshots s ON s.doc = d.id WHERE d.id = ?1",
            params![&doc.0[..]],
            |row| {
                Ok(DocHead {
                    head: from_sql_seq(row.get(0)?),
                    snapshot_seq: from_sql_seq(row.get(1)?),
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

fn writer_loop(
    mut conn: Connection,
    rx: &std_mpsc::Receiver<WriteOp>,
    listener: &dyn CommitListener,
) {
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
        commit_batch(&mut conn, batch, listener);
    }
    tracing::debug!("storage writer stopped");
}

fn commit_batch(conn: &mut Connection, batch: Vec<WriteOp>, listener: &dyn CommitListener) {
    let started = Instant::now();
    let ops = batch.len();
    let mut forwarded: Vec<(DocumentId, u64)> = Vec::new();
    let result = (|| -> Result<Vec<Outcome>, StoreError> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for op in &batch {
            outcomes.push(apply(&tx, op)?);
        }
        // Early forwarding: the entries have their numbers; subscribers get them now,
        // while the commit below waits for the disk.
        let numbered = sequenced(&batch, &outcomes);
        if !numbered.is_empty() {
            for e in &numbered {
                match forwarded.iter_mut().find(|(doc, _)| *doc == e.doc) {
                    Some((_, upto)) => *upto = (*upto).max(e.seq),
                    None => forwarded.push((e.doc, e.seq)),
                }
            }
            listener.sequenced(&numbered);
        }
        tx.commit()?;
        Ok(outcomes)
    })();
    let outcomes = match result {
        Ok(outcomes) => outcomes,
        Err(e) => {
            // The transaction rolled back: nothing in this batch is stored, and every
            // waiter hears so; subscribers that got its entries start over.
            tracing::error!(error = %e, ops, "commit failed; the batch was rolled back");
            metrics::counter!(m::COMMIT_FAILURES).increment(1);
            if !forwarded.is_empty() {
                let docs: Vec<DocumentId> = forwarded.iter().map(|(doc, _)| *doc).collect();
                listener.rolled_back(&docs);
            }
            for op in batch {
                op.fail(e.clone());
            }
            return;
        }
    };
    metrics::histogram!(m::COMMIT_SECONDS).record(started.elapsed().as_secs_f64());
    metrics::histogram!(m::COMMIT_BATCH_OPS).record(ops as f64);
    if !forwarded.is_empty() {
        listener.durable(&forwarded);
    }
    for (op, outcome) in batch.into_iter().zip(outcomes) {
        op.answer(outcome);
    }
}

/// The batch's appended entries with their numbers, in order.
fn sequenced<'a>(batch: &'a [WriteOp], outcomes: &[Outcome]) -> Vec<Committed<'a>> {
    batch
        .iter()
        .zip(outcomes)
        .filter_map(|pair| match pair {
            (
                WriteOp::Append {
                    doc, origin, blob, ..
                },
                Outcome::Seq(Ok(seq)),
            ) => Some(Committed {
                doc: *doc,
                seq: *seq,
                origin: *origin,
                blob,
            }),
            _ => None,
        })
        .collect()
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
        WriteOp::Append { doc, blob, .. } => {
            let seq: Option<i64> = tx
                .query_row(
                    "UPDATE documents SET head = head + 1 WHERE id = ?1 RETURNING head",
                    params![&doc.0[..]],
                    |row| row.get(0),
                )
                .optional()?;
            match seq {
                None => Outcome::Seq(Err(StoreError::UnknownDocument(*doc))),
                Some(seq) => {
                    tx.prepare_cached("INSERT INTO entries (doc, seq, blob) VALUES (?1, ?2, ?3)")?
                        .execute(params![&doc.0[..], seq, blob])?;
                    Outcome::Seq(Ok(from_sql_seq(seq)))
                }
            }
        }
        WriteOp::Snapshot {
            doc, covers, blob, ..
        } => {
            let covers = *covers;
            Outcome::Snapshot(match doc_head(tx, doc)? {
                None => Err(StoreError::UnknownDocument(*doc)),
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
        WriteOp::Shutdown => Outcome::None,
    })
}
