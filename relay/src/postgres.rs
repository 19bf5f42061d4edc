//! The PostgreSQL store: several relay nodes share one database behind one address.
//!
//! Nodes hold no document state of their own; everything the relay stores lives in
//! PostgreSQL (documents, entries, snapshots, tokens), so any node may serve any client.
//!
//! - **Appends** go to one writer task per node, which commits whatever is queued in one
//!   transaction (group commit). The transaction takes the row locks of its documents in
//!   id order (`SELECT … FOR UPDATE`), numbers the entries from the locked heads (gap-free
//!   across nodes), writes them, and queues a `pg_notify` per document. Its entries are
//!   forwarded to this node's own subscribers before the `COMMIT` (early forwarding,
//!   within a node only); pushes are acknowledged after it.
//! - **Other nodes' entries** arrive as notices on a dedicated `LISTEN` connection. A
//!   notice carries `(doc, first, last)` and is delivered at its commit, in commit order;
//!   the writer task reads the entries from the table and forwards them, for documents
//!   someone here subscribes to, continuing from what it forwarded last (no duplicates,
//!   no gaps). A lost `LISTEN` connection means notices were missed: every subscriber
//!   here resubscribes (from what it holds) once the connection is back.
//! - **Presence** and other ephemeral frames cross nodes as notices too, their (small,
//!   encrypted) blob in the payload.
//! - **Reads** (catch-up, heads, tokens) and snapshots use a connection pool.
//!
//! Schema migrations are numbered, run at start under an advisory lock (so nodes starting
//! together do not race) and recorded in `samspill_schema`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::StreamExt;
use samspill_shared::crypto::DocumentId;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::{AsyncMessage, IsolationLevel, NoTls};
use tokio_util::sync::CancellationToken;

use crate::config::DatabaseUrl;
use crate::metrics as m;
use crate::store::{
    CommitListener, Committed, DocHead, Page, Store, StoreError, StoreFuture, Successor,
};

/// The schema, one migration per version; a database at version N gets N+1.. applied.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "CREATE TABLE documents (
         id bytea PRIMARY KEY,
         head bigint NOT NULL DEFAULT 0,
         created_at timestamptz NOT NULL DEFAULT now(),
         created_by text
     );
     CREATE TABLE entries (
         doc bytea NOT NULL REFERENCES documents(id),
         seq bigint NOT NULL,
         blob bytea NOT NULL,
         PRIMARY KEY (doc, seq)
     );
     CREATE TABLE snapshots (
         doc bytea PRIMARY KEY REFERENCES documents(id),
         covers bigint NOT NULL,
         blob bytea NOT NULL
     );
     CREATE TABLE tokens (
         name text PRIMARY KEY,
         hash bytea NOT NULL UNIQUE,
         created_at timestamptz NOT NULL DEFAULT now(),
         revoked_at timestamptz
     );",
    ),
    (
        2,
        // Documents made before write keys get theirs from their first authorize.
        "ALTER TABLE documents ADD COLUMN write_key bytea;",
    ),
    (
        3,
        // A sealed document names its successor (a rotation: someone was removed).
        "ALTER TABLE documents ADD COLUMN moved_to bytea;",
    ),
];

/// Taken while migrating ("SAMSPILL" in ASCII).
const MIGRATION_LOCK: i64 = 0x5341_4d53_5049_4c4c;
/// Notices of committed entries: `NODE DOC FIRST LAST`.
const ENTRIES_CHANNEL: &str = "samspill_entries";
/// Ephemeral blobs: `NODE DOC BASE64`.
const EPHEMERAL_CHANNEL: &str = "samspill_ephemeral";
/// PostgreSQL's notice payloads are shorter than 8000 bytes.
const MAX_PAYLOAD: usize = 7999;
/// Most appends committed in one transaction; more wait for the next.
const MAX_BATCH: usize = 1024;
/// Connections in the pool (reads, snapshots, creates, the writer's transactions).
const POOL_SIZE: usize = 16;
/// How long an operation waits for a pooled connection, or to make one.
const POOL_WAIT: Duration = Duration::from_secs(5);
/// Between attempts to re-establish the `LISTEN` connection (doubling up to the max).
const LISTEN_RETRY: Duration = Duration::from_millis(200);
const LISTEN_RETRY_MAX: Duration = Duration::from_secs(5);
/// How often the writer forgets what it forwarded for documents nobody here watches.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// The error and what caused it ("error connecting to server: Connection refused").
fn with_cause(e: &tokio_postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => Self::Backend(format!("PostgreSQL: {}", db.message())),
            None => Self::Backend(format!("PostgreSQL: {}", with_cause(&e))),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::Backend(format!("no PostgreSQL connection: {e}"))
    }
}

fn sql_seq(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn from_sql_seq(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or(0)
}

fn doc_from_sql(bytes: &[u8]) -> Option<DocumentId> {
    <[u8; 32]>::try_from(bytes).ok().map(DocumentId)
}

/// The connection settings from a URL, with timeouts so a dead server is an error, not
/// a hang.
fn pg_config(url: &DatabaseUrl) -> Result<tokio_postgres::Config, StoreError> {
    let mut config: tokio_postgres::Config = url
        .secret()
        .parse()
        .map_err(|e| StoreError::Backend(format!("not a PostgreSQL connection URL: {e}")))?;
    config
        .application_name("samspill-relay")
        .connect_timeout(POOL_WAIT)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(20));
    Ok(config)
}

/// Connects once (for the token commands and migrations).
pub async fn connect(url: &DatabaseUrl) -> Result<tokio_postgres::Client, StoreError> {
    let (client, connection) = pg_config(url)?
        .connect(NoTls)
        .await
        .map_err(|e| StoreError::Backend(format!("cannot connect to {url}: {}", with_cause(&e))))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "a PostgreSQL connection ended");
        }
    });
    Ok(client)
}

/// Brings the schema up to date (or refuses a newer one).
pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS samspill_schema (
             version integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let current: Option<i32> = tx
        .query_one("SELECT max(version) FROM samspill_schema", &[])
        .await?
        .get(0);
    let current = current.unwrap_or(0);
    let latest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if current > latest {
        return Err(StoreError::Backend(format!(
            "the database was set up by a newer samspill-relay (schema {current}, this one knows {latest}); run that version"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO samspill_schema (version) VALUES ($1)",
            &[version],
        )
        .await?;
        tracing::info!(version, "database schema migrated");
    }
    tx.commit().await?;
    Ok(())
}

/// What the writer task works through, in order.
enum Op {
    Append {
        doc: DocumentId,
        origin: u64,
        blob: Vec<u8>,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
    /// A new epoch: see [`Store::rotate`].
    Rotate {
        doc: DocumentId,
        blob: Vec<u8>,
        to: Successor,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
    /// Another node committed `first..=last` of `doc`.
    Notice {
        doc: DocumentId,
        first: u64,
        last: u64,
    },
    /// Notices may have been missed (the `LISTEN` connection was lost, or is back).
    LostTrack,
    Shutdown(std::sync::mpsc::Sender<()>),
}

/// The PostgreSQL store. See the module docs.
pub struct PgStore {
    pool: Pool,
    writes: mpsc::UnboundedSender<Op>,
    /// This node's id in notices (random per process), so it skips its own.
    node: u64,
    stop: CancellationToken,
    closed: AtomicBool,
    writer: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl PgStore {
    /// Connects, migrates, starts listening for the other nodes' notices and starts the
    /// writer task.
    pub async fn connect(
        url: &DatabaseUrl,
        listener: Arc<dyn CommitListener>,
    ) -> Result<Self, StoreError> {
        let config = pg_config(url)?;
        let mut client = connect(url).await?;
        migrate(&mut client).await?;
        drop(client);
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .recycle_timeout(Some(POOL_WAIT))
            .build()
            .map_err(|e| StoreError::Backend(format!("cannot make a connection pool: {e}")))?;
        let mut node_bytes = [0u8; 8];
        getrandom::fill(&mut node_bytes)
            .map_err(|e| StoreError::Backend(format!("no randomness for a node id: {e}")))?;
        let node = u64::from_le_bytes(node_bytes);
        let (writes, rx) = mpsc::unbounded_channel();
        let stop = CancellationToken::new();
        // Listening before the first client is served: nothing committed later is missed.
        let notices = listen(&config, node, &writes, &listener)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot listen on {url}: {e}")))?;
        tokio::spawn(listen_loop(
            config,
            node,
            writes.clone(),
            Arc::clone(&listener),
            stop.clone(),
            notices,
        ));
        let writer = tokio::spawn(writer_loop(pool.clone(), rx, listener, node));
        tracing::info!(database = %url, "using PostgreSQL");
        Ok(Self {
            pool,
            writes,
            node,
            stop,
            closed: AtomicBool::new(false),
            writer: Mutex::new(Some(writer)),
        })
    }

    fn pooled<T: Send + 'static, F>(
        &self,
        f: impl FnOnce(deadpool_postgres::Object) -> F + Send + 'static,
    ) -> StoreFuture<T>
    where
        F: Future<Output = Result<T, StoreError>> + Send,
    {
        let pool = self.pool.clone();
        Box::pin(async move {
            let client = pool.get().await?;
            f(client).await
        })
    }
}

async fn doc_head(
    client: &impl tokio_postgres::GenericClient,
    doc: &DocumentId,
) -> Result<Option<DocHead>, StoreError> {
    let row = client
        .query_opt(
            "SELECT d.head, COALESCE(s.covers, 0), d.moved_to FROM documents d
             LEFT JOIN snapshots s ON s.doc = d.id WHERE d.id = $1",
            &[&&doc.0[..]],
        )
        .await?;
    Ok(row.map(|row| DocHead {
        head: from_sql_seq(row.get(0)),
        snapshot_seq: from_sql_seq(row.get(1)),
        moved_to: row.get::<_, Option<&[u8]>>(2).and_then(doc_from_sql),
    }))
}

impl Store for PgStore {
    fn head(&self, doc: DocumentId) -> StoreFuture<Option<DocHead>> {
        self.pooled(move |client| async move { doc_head(&**client, &doc).await })
    }

    fn create(&self, doc: DocumentId, created_by: Option<String>) -> StoreFuture<DocHead> {
        self.pooled(move |client| async move {
            client
                .execute(
                    "INSERT INTO documents (id, created_by) VALUES ($1, $2)
                     ON CONFLICT (id) DO NOTHING",
                    &[&&doc.0[..], &created_by],
                )
                .await?;
            doc_head(&**client, &doc)
                .await?
                .ok_or(StoreError::UnknownDocument(doc))
        })
    }

    fn append(&self, doc: DocumentId, origin: u64, blob: Vec<u8>) -> StoreFuture<u64> {
        let (reply, rx) = oneshot::channel();
        let sent = self
            .writes
            .send(Op::Append {
                doc,
                origin,
                blob,
                reply,
            })
            .is_ok();
        Box::pin(async move {
            if !sent {
                return Err(StoreError::Closed);
            }
            rx.await.unwrap_or(Err(StoreError::Closed))
        })
    }

    fn put_snapshot(&self, doc: DocumentId, covers: u64, blob: Vec<u8>) -> StoreFuture<()> {
        self.pooled(move |mut client| async move {
            let tx = client.transaction().await?;
            // The row lock orders this against appends to the same document on any node.
            let row = tx
                .query_opt(
                    "SELECT d.head, COALESCE(s.covers, 0), d.moved_to FROM documents d
                     LEFT JOIN snapshots s ON s.doc = d.id WHERE d.id = $1 FOR UPDATE OF d",
                    &[&&doc.0[..]],
                )
                .await?;
            let Some(row) = row else {
                return Err(StoreError::UnknownDocument(doc));
            };
            // A sealed document keeps its rotation entry for whoever comes later.
            if let Some(to) = row.get::<_, Option<&[u8]>>(2).and_then(doc_from_sql) {
                return Err(StoreError::Moved(to));
            }
            let head = from_sql_seq(row.get(0));
            let stored = from_sql_seq(row.get(1));
            if covers == 0 || covers > head {
                return Err(StoreError::BadSnapshot { covers, head });
            }
            // As in SQLite: less coverage than stored is accepted and discarded, equal
            // coverage replaces it.
            if covers < stored {
                return Ok(());
            }
            tx.execute(
                "INSERT INTO snapshots (doc, covers, blob) VALUES ($1, $2, $3)
                 ON CONFLICT (doc) DO UPDATE SET covers = excluded.covers, blob = excluded.blob",
                &[&&doc.0[..], &sql_seq(covers), &blob],
            )
            .await?;
            tx.execute(
                "DELETE FROM entries WHERE doc = $1 AND seq <= $2",
                &[&&doc.0[..], &sql_seq(covers)],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn register_write_key(&self, doc: DocumentId, key: [u8; 32]) -> StoreFuture<[u8; 32]> {
        self.pooled(move |client| async move {
            let row = client
                .query_opt(
                    "UPDATE documents SET write_key = COALESCE(write_key, $2) WHERE id = $1
                     RETURNING write_key",
                    &[&&doc.0[..], &&key[..]],
                )
                .await?;
            let Some(row) = row else {
                return Err(StoreError::UnknownDocument(doc));
            };
            let stored: Vec<u8> = row.get(0);
            <[u8; 32]>::try_from(stored.as_slice())
                .map_err(|_| StoreError::Backend("a stored write key is damaged".to_owned()))
        })
    }

    fn rotate(
        &self,
        doc: DocumentId,
        _origin: u64,
        rotation: Vec<u8>,
        to: Successor,
    ) -> StoreFuture<u64> {
        let (reply, rx) = oneshot::channel();
        let sent = self
            .writes
            .send(Op::Rotate {
                doc,
                blob: rotation,
                to,
                reply,
            })
            .is_ok();
        Box::pin(async move {
            if !sent {
                return Err(StoreError::Closed);
            }
            rx.await.unwrap_or(Err(StoreError::Closed))
        })
    }

    fn read_page(&self, doc: DocumentId, since: u64, max_bytes: usize) -> StoreFuture<Page> {
        self.pooled(move |mut client| async move {
            // One snapshot of the database: the head, the snapshot and the entries agree
            // even while another node stores a snapshot that drops entries.
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let Some(head) = doc_head(&*tx, &doc).await? else {
                return Err(StoreError::UnknownDocument(doc));
            };
            let mut page = Page {
                head: head.head,
                ..Page::default()
            };
            let mut cursor = since;
            let mut bytes = 0usize;
            if since < head.snapshot_seq {
                let row = tx
                    .query_one("SELECT blob FROM snapshots WHERE doc = $1", &[&&doc.0[..]])
                    .await?;
                let blob: Vec<u8> = row.get(0);
                bytes += blob.len();
                page.snapshot = Some((head.snapshot_seq, blob));
                cursor = head.snapshot_seq;
            }
            while bytes < max_bytes {
                // In slices, so a long log is not read whole for one page.
                let rows = tx
                    .query(
                        "SELECT seq, blob FROM entries WHERE doc = $1 AND seq > $2
                         ORDER BY seq LIMIT 256",
                        &[&&doc.0[..], &sql_seq(cursor)],
                    )
                    .await?;
                let got = rows.len();
                for row in rows {
                    let seq = from_sql_seq(row.get(0));
                    let blob: Vec<u8> = row.get(1);
                    bytes += blob.len();
                    cursor = seq;
                    page.entries.push((seq, blob));
                    if bytes >= max_bytes {
                        break;
                    }
                }
                if got < 256 {
                    break;
                }
            }
            tx.commit().await?;
            Ok(page)
        })
    }

    fn token_name(&self, hash: [u8; 32]) -> StoreFuture<Option<String>> {
        self.pooled(move |client| async move {
            let row = client
                .query_opt(
                    "SELECT name FROM tokens WHERE hash = $1 AND revoked_at IS NULL",
                    &[&&hash[..]],
                )
                .await?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    fn publish_ephemeral(&self, doc: DocumentId, blob: &[u8]) {
        let payload = format!("{:016x} {doc} {}", self.node, BASE64.encode(blob));
        if payload.len() > MAX_PAYLOAD {
            tracing::debug!(
                bytes = blob.len(),
                "an ephemeral blob too large for other nodes stays on this one"
            );
            return;
        }
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let sent = async {
                let client = pool.get().await?;
                client
                    .execute("SELECT pg_notify($1, $2)", &[&EPHEMERAL_CHANNEL, &payload])
                    .await?;
                Ok::<_, StoreError>(())
            };
            if let Err(e) = sent.await {
                tracing::debug!(error = %e, "an ephemeral blob did not reach the other nodes");
            }
        });
    }

    fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        let (done, wait) = std::sync::mpsc::channel();
        if self.writes.send(Op::Shutdown(done)).is_ok()
            && wait.recv_timeout(Duration::from_secs(10)).is_err()
        {
            tracing::warn!("the PostgreSQL writer did not finish within 10 s");
        }
        self.stop.cancel();
        if let Ok(mut writer) = self.writer.lock() {
            writer.take();
        }
        self.pool.close();
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Connects and starts listening; returns the notices as they arrive (the channel
/// closes when the connection ends).
async fn listen(
    config: &tokio_postgres::Config,
    node: u64,
    writes: &mpsc::UnboundedSender<Op>,
    listener: &Arc<dyn CommitListener>,
) -> Result<tokio::task::JoinHandle<()>, tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let writes = writes.clone();
    let listener = Arc::clone(listener);
    let (ready_tx, ready_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        // The client lives as long as the connection is read.
        let client = client;
        let mut ready = Some(ready_tx);
        let statement = format!("LISTEN {ENTRIES_CHANNEL}; LISTEN {EPHEMERAL_CHANNEL}");
        let listening = client.batch_execute(&statement);
        tokio::pin!(listening);
        let mut listened = false;
        loop {
            tokio::select! {
                done = &mut listening, if !listened => {
                    listened = true;
                    match done {
                        Ok(()) => {
                            if let Some(tx) = ready.take() {
                                let _ = tx.send(());
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot LISTEN for the other nodes");
                            return;
                        }
                    }
                }
                message = messages.next() => match message {
                    Some(Ok(AsyncMessage::Notification(n))) => {
                        notice(n.channel(), n.payload(), node, &writes, &*listener);
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "lost the PostgreSQL notice connection");
                        return;
                    }
                    None => {
                        tracing::warn!("the PostgreSQL notice connection closed");
                        return;
                    }
                },
            }
        }
    });
    match ready_rx.await {
        Ok(()) => Ok(task),
        Err(_) => {
            // The task ended before listening; its error was logged. Connect again to
            // hand the caller a real error.
            let (_client, _conn) = config.connect(NoTls).await?;
            Ok(task)
        }
    }
}

/// Parses one notice and passes it on; notices this node sent are skipped.
fn notice(
    channel: &str,
    payload: &str,
    node: u64,
    writes: &mpsc::UnboundedSender<Op>,
    listener: &dyn CommitListener,
) {
    let mut parts = payload.split(' ');
    let from = parts.next().and_then(|n| u64::from_str_radix(n, 16).ok());
    let doc = parts.next().and_then(|d| d.parse::<DocumentId>().ok());
    let (Some(from), Some(doc)) = (from, doc) else {
        tracing::warn!(channel, "ignoring a malformed notice");
        return;
    };
    if from == node {
        return;
    }
    match channel {
        ENTRIES_CHANNEL => {
            let first = parts.next().and_then(|s| s.parse::<u64>().ok());
            let last = parts.next().and_then(|s| s.parse::<u64>().ok());
            match (first, last) {
                (Some(first), Some(last)) if first >= 1 && first <= last => {
                    let _ = writes.send(Op::Notice { doc, first, last });
                }
                _ => tracing::warn!("ignoring a malformed entries notice"),
            }
        }
        EPHEMERAL_CHANNEL => match parts.next().map(|b| BASE64.decode(b)) {
            Some(Ok(blob)) => listener.remote_ephemeral(doc, blob),
            _ => tracing::warn!("ignoring a malformed ephemeral notice"),
        },
        _ => {}
    }
}

/// Keeps a `LISTEN` connection up. Each time it is lost and each time it is back, the
/// writer hears that notices may have been missed.
async fn listen_loop(
    config: tokio_postgres::Config,
    node: u64,
    writes: mpsc::UnboundedSender<Op>,
    listener: Arc<dyn CommitListener>,
    stop: CancellationToken,
    mut current: tokio::task::JoinHandle<()>,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => {
                current.abort();
                return;
            }
            _ = &mut current => {}
        }
        let _ = writes.send(Op::LostTrack);
        metrics::counter!(m::PG_NOTICE_RECONNECTS_TOTAL).increment(1);
        let mut delay = LISTEN_RETRY;
        current = loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(delay) => {}
            }
            match listen(&config, node, &writes, &listener).await {
                Ok(task) if !task.is_finished() => break task,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cannot reach PostgreSQL for notices; retrying");
                }
            }
            delay = (delay * 2).min(LISTEN_RETRY_MAX);
        };
        tracing::info!("listening for the other nodes again");
        let _ = writes.send(Op::LostTrack);
    }
}

/// An append waiting in a batch.
struct Pending {
    doc: DocumentId,
    origin: u64,
    blob: Vec<u8>,
    reply: oneshot::Sender<Result<u64, StoreError>>,
    seq: Option<u64>,
}

async fn writer_loop(
    pool: Pool,
    mut rx: mpsc::UnboundedReceiver<Op>,
    listener: Arc<dyn CommitListener>,
    node: u64,
) {
    // Per document, the last entry handed to the listener (this node's or another's).
    let mut forwarded: HashMap<DocumentId, u64> = HashMap::new();
    let mut swept = Instant::now();
    while let Some(first) = rx.recv().await {
        let mut ops = vec![first];
        while ops.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        let mut appends = Vec::new();
        let mut notices: Vec<(DocumentId, u64, u64)> = Vec::new();
        let mut lost = false;
        let mut stop = None;
        let mut rotations = Vec::new();
        for op in ops {
            match op {
                Op::Rotate {
                    doc,
                    blob,
                    to,
                    reply,
                } => rotations.push((doc, blob, to, reply)),
                Op::Append {
                    doc,
                    origin,
                    blob,
                    reply,
                } => appends.push(Pending {
                    doc,
                    origin,
                    blob,
                    reply,
                    seq: None,
                }),
                Op::Notice { doc, first, last } => notices.push((doc, first, last)),
                Op::LostTrack => lost = true,
                Op::Shutdown(done) => stop = Some(done),
            }
        }
        if lost {
            forwarded.clear();
            listener.lost_track();
        }
        if !notices.is_empty() {
            forward_remote(&pool, &*listener, &mut forwarded, &notices).await;
        }
        if !appends.is_empty() {
            commit(&pool, &*listener, &mut forwarded, node, appends).await;
        }
        for (doc, blob, to, reply) in rotations {
            let result = rotate(&pool, &*listener, &mut forwarded, node, doc, blob, to).await;
            if let Err(e) = &result {
                tracing::warn!(error = %e, "a rotation was not stored");
            }
            let _ = reply.send(result);
        }
        if swept.elapsed() >= SWEEP_EVERY {
            swept = Instant::now();
            forwarded.retain(|doc, _| listener.is_watched(doc));
        }
        if let Some(done) = stop {
            let _ = done.send(());
            break;
        }
    }
    tracing::debug!("PostgreSQL writer stopped");
}

/// Reads what other nodes committed, for the documents watched here, and forwards it.
async fn forward_remote(
    pool: &Pool,
    listener: &dyn CommitListener,
    forwarded: &mut HashMap<DocumentId, u64>,
    notices: &[(DocumentId, u64, u64)],
) {
    // Per document, the range still to forward.
    let mut ranges: Vec<(DocumentId, u64, u64)> = Vec::new();
    for &(doc, first, last) in notices {
        if !listener.is_watched(&doc) {
            forwarded.remove(&doc);
            continue;
        }
        let from = match forwarded.get(&doc) {
            Some(&done) if done >= last => continue,
            Some(&done) => done + 1,
            None => first,
        };
        match ranges.iter_mut().find(|(d, _, _)| *d == doc) {
            Some((_, lo, hi)) => {
                *lo = (*lo).min(from);
                *hi = (*hi).max(last);
            }
            None => ranges.push((doc, from, last)),
        }
    }
    if ranges.is_empty() {
        return;
    }
    let read = async {
        let client = pool.get().await?;
        let statement = client.prepare_cached(READ_RANGES).await?;
        read_ranges(&**client, &statement, &ranges).await
    };
    match read.await {
        Ok(entries) => deliver(listener, forwarded, &ranges, &entries),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read another node's entries; its subscribers here start over");
            let docs: Vec<DocumentId> = ranges.iter().map(|(d, _, _)| *d).collect();
            for doc in &docs {
                forwarded.remove(doc);
            }
            listener.rolled_back(&docs);
        }
    }
}

/// The stored entries in each `(doc, lo, hi)` range, in order.
const READ_RANGES: &str = "SELECT e.doc, e.seq, e.blob
     FROM UNNEST($1::bytea[], $2::bigint[], $3::bigint[]) AS r(doc, lo, hi)
     JOIN entries e ON e.doc = r.doc AND e.seq BETWEEN r.lo AND r.hi
     ORDER BY e.doc, e.seq";

/// Runs [`READ_RANGES`] (prepared by the caller, from its statement cache).
async fn read_ranges(
    client: &impl tokio_postgres::GenericClient,
    statement: &tokio_postgres::Statement,
    ranges: &[(DocumentId, u64, u64)],
) -> Result<Vec<(DocumentId, u64, Vec<u8>)>, StoreError> {
    let docs: Vec<&[u8]> = ranges.iter().map(|(d, _, _)| &d.0[..]).collect();
    let lows: Vec<i64> = ranges.iter().map(|(_, lo, _)| sql_seq(*lo)).collect();
    let highs: Vec<i64> = ranges.iter().map(|(_, _, hi)| sql_seq(*hi)).collect();
    let rows = client.query(statement, &[&docs, &lows, &highs]).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let doc = doc_from_sql(row.get(0))?;
            Some((doc, from_sql_seq(row.get(1)), row.get(2)))
        })
        .collect())
}

/// Hands durable entries from other nodes to the listener. A range whose start is gone
/// (a snapshot dropped it) is forwarded as is: clients apply entries only in order, see
/// the hole, and resubscribe (getting the snapshot).
fn deliver(
    listener: &dyn CommitListener,
    forwarded: &mut HashMap<DocumentId, u64>,
    ranges: &[(DocumentId, u64, u64)],
    entries: &[(DocumentId, u64, Vec<u8>)],
) {
    let committed: Vec<Committed<'_>> = entries
        .iter()
        .map(|(doc, seq, blob)| Committed {
            doc: *doc,
            seq: *seq,
            origin: 0,
            blob,
        })
        .collect();
    if !committed.is_empty() {
        listener.sequenced(&committed);
    }
    let durable: Vec<(DocumentId, u64)> = ranges.iter().map(|(d, _, hi)| (*d, *hi)).collect();
    listener.durable(&durable);
    for (doc, hi) in durable {
        forwarded.insert(doc, hi);
    }
    metrics::counter!(m::PG_REMOTE_ENTRIES_TOTAL).increment(entries.len() as u64);
}

/// A new epoch in one transaction: the rotation as the sealed document's last entry,
/// and its successor with entry 1. Forwarded here once committed (with whatever of the
/// document this node had not forwarded yet, so the stream stays in order); other
/// nodes hear of it by the usual notice.
async fn rotate(
    pool: &Pool,
    listener: &dyn CommitListener,
    forwarded: &mut HashMap<DocumentId, u64>,
    node: u64,
    doc: DocumentId,
    blob: Vec<u8>,
    to: Successor,
) -> Result<u64, StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "SELECT head, moved_to FROM documents WHERE id = $1 FOR UPDATE",
            &[&&doc.0[..]],
        )
        .await?;
    let Some(row) = row else {
        return Err(StoreError::UnknownDocument(doc));
    };
    if let Some(sealed) = row.get::<_, Option<&[u8]>>(1).and_then(doc_from_sql) {
        return Err(StoreError::Moved(sealed));
    }
    let seq = from_sql_seq(row.get(0)) + 1;
    let created = tx
        .execute(
            // It counts against the token its predecessor was created with.
            "INSERT INTO documents (id, head, created_by, write_key)
             SELECT $1, 1, created_by, $2 FROM documents WHERE id = $3
             ON CONFLICT (id) DO NOTHING",
            &[&&to.doc.0[..], &&to.write_key[..], &&doc.0[..]],
        )
        .await?;
    if created != 1 {
        return Err(StoreError::Exists(to.doc));
    }
    tx.execute(
        "INSERT INTO entries (doc, seq, blob) VALUES ($1, 1, $2), ($3, $4, $5)",
        &[&&to.doc.0[..], &to.first, &&doc.0[..], &sql_seq(seq), &blob],
    )
    .await?;
    tx.execute(
        "UPDATE documents SET head = $2, moved_to = $3 WHERE id = $1",
        &[&&doc.0[..], &sql_seq(seq), &&to.doc.0[..]],
    )
    .await?;
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&ENTRIES_CHANNEL, &format!("{node:016x} {doc} {seq} {seq}")],
    )
    .await?;
    tx.commit().await?;
    // Committed: the answer is yes whatever happens next. A failed read for this
    // node's subscribers has them start over (they then read it from the table).
    if listener.is_watched(&doc) {
        let from = forwarded.get(&doc).map_or(seq, |done| (done + 1).min(seq));
        let ranges = [(doc, from, seq)];
        let read = async {
            let statement = client.prepare_cached(READ_RANGES).await?;
            read_ranges(&**client, &statement, &ranges).await
        };
        match read.await {
            Ok(entries) => deliver(listener, forwarded, &ranges, &entries),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read a rotation back; its subscribers here start over");
                forwarded.remove(&doc);
                listener.rolled_back(&[doc]);
            }
        }
    }
    Ok(seq)
}

/// One group commit: lock the documents, number, write, notify, forward early, commit.
async fn commit(
    pool: &Pool,
    listener: &dyn CommitListener,
    forwarded: &mut HashMap<DocumentId, u64>,
    node: u64,
    mut appends: Vec<Pending>,
) {
    let started = Instant::now();
    let mut told = false;
    // Documents of this batch that are sealed: their appends are refused.
    let mut sealed: HashMap<DocumentId, DocumentId> = HashMap::new();
    let mut docs: Vec<DocumentId> = appends.iter().map(|a| a.doc).collect();
    docs.sort_unstable();
    docs.dedup();
    let result = async {
        let mut client = pool.get().await?;
        let tx = client.transaction().await?;
        let ids: Vec<&[u8]> = docs.iter().map(|d| &d.0[..]).collect();
        let lock = tx
            .prepare_cached(
                "SELECT id, head, moved_to FROM documents WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            )
            .await?;
        let rows = tx.query(&lock, &[&ids]).await?;
        let mut heads: HashMap<DocumentId, (u64, u64)> = HashMap::new();
        for row in rows {
            if let Some(doc) = doc_from_sql(row.get(0)) {
                if let Some(to) = row.get::<_, Option<&[u8]>>(2).and_then(doc_from_sql) {
                    sealed.insert(doc, to);
                    continue;
                }
                let head = from_sql_seq(row.get(1));
                heads.insert(doc, (head, head));
            }
        }
        // Entries other nodes committed that this node has not forwarded yet (their
        // notices are still on the way) go out first, so every stream stays in order.
        let behind: Vec<(DocumentId, u64, u64)> = heads
            .iter()
            .filter_map(|(doc, (head, _))| match forwarded.get(doc) {
                Some(&done) if done < *head && listener.is_watched(doc) => {
                    Some((*doc, done + 1, *head))
                }
                _ => None,
            })
            .collect();
        let earlier = if behind.is_empty() {
            Vec::new()
        } else {
            let statement = tx.prepare_cached(READ_RANGES).await?;
            read_ranges(&*tx, &statement, &behind).await?
        };
        let mut new_docs: Vec<&[u8]> = Vec::new();
        let mut new_seqs: Vec<i64> = Vec::new();
        let mut new_blobs: Vec<&[u8]> = Vec::new();
        for a in &mut appends {
            if let Some((_, next)) = heads.get_mut(&a.doc) {
                *next += 1;
                a.seq = Some(*next);
            }
        }
        for a in &appends {
            if let Some(seq) = a.seq {
                new_docs.push(&a.doc.0[..]);
                new_seqs.push(sql_seq(seq));
                new_blobs.push(a.blob.as_slice());
            }
        }
        if new_docs.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        // Early forwarding: this node's subscribers get the entries as soon as they have
        // their numbers, before they are written (a failure from here on rolls back and
        // closes the subscriptions that saw them).
        let mut out: Vec<Committed<'_>> = earlier
            .iter()
            .map(|(doc, seq, blob)| Committed {
                doc: *doc,
                seq: *seq,
                origin: 0,
                blob,
            })
            .collect();
        out.extend(appends.iter().filter_map(|a| {
            a.seq.map(|seq| Committed {
                doc: a.doc,
                seq,
                origin: a.origin,
                blob: &a.blob,
            })
        }));
        out.sort_by(|a, b| a.doc.cmp(&b.doc).then(a.seq.cmp(&b.seq)));
        listener.sequenced(&out);
        drop(out);
        told = true;
        let moved: Vec<(DocumentId, u64, u64)> = heads
            .iter()
            .filter(|(_, (head, next))| next > head)
            .map(|(doc, (head, next))| (*doc, *head + 1, *next))
            .collect();
        let ids: Vec<&[u8]> = moved.iter().map(|(d, _, _)| &d.0[..]).collect();
        let new_heads: Vec<i64> = moved.iter().map(|(_, _, hi)| sql_seq(*hi)).collect();
        // Delivered at the commit, in commit order, to every node listening.
        let payloads: Vec<String> = moved
            .iter()
            .map(|(doc, lo, hi)| format!("{node:016x} {doc} {lo} {hi}"))
            .collect();
        let insert = tx
            .prepare_cached(
                "INSERT INTO entries (doc, seq, blob)
                 SELECT * FROM UNNEST($1::bytea[], $2::bigint[], $3::bytea[])",
            )
            .await?;
        let update = tx
            .prepare_cached(
                "UPDATE documents SET head = v.head
                 FROM UNNEST($1::bytea[], $2::bigint[]) AS v(id, head)
                 WHERE documents.id = v.id",
            )
            .await?;
        let notify = tx
            .prepare_cached("SELECT pg_notify($1, p) FROM UNNEST($2::text[]) AS p")
            .await?;
        // Pipelined: the three go out together and are answered in order.
        let insert_params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
            [&new_docs, &new_seqs, &new_blobs];
        let update_params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&ids, &new_heads];
        let notify_params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] =
            [&ENTRIES_CHANNEL, &payloads];
        futures_util::try_join!(
            tx.execute(&insert, &insert_params),
            tx.execute(&update, &update_params),
            tx.execute(&notify, &notify_params),
        )?;
        tx.commit().await?;
        Ok::<_, StoreError>((moved, earlier))
    }
    .await;
    let ops = appends.len();
    match result {
        Ok((moved, _)) => {
            metrics::histogram!(m::COMMIT_SECONDS).record(started.elapsed().as_secs_f64());
            metrics::histogram!(m::COMMIT_BATCH_OPS).record(ops as f64);
            let durable: Vec<(DocumentId, u64)> =
                moved.iter().map(|(d, _, hi)| (*d, *hi)).collect();
            if !durable.is_empty() {
                listener.durable(&durable);
            }
            for (doc, hi) in durable {
                forwarded.insert(doc, hi);
            }
            for a in appends {
                let refused = match sealed.get(&a.doc) {
                    Some(to) => StoreError::Moved(*to),
                    None => StoreError::UnknownDocument(a.doc),
                };
                let _ = a.reply.send(a.seq.ok_or(refused));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, ops, "commit failed; the batch was rolled back");
            metrics::counter!(m::COMMIT_FAILURES).increment(1);
            for doc in &docs {
                forwarded.remove(doc);
            }
            if told {
                listener.rolled_back(&docs);
            }
            for a in appends {
                let _ = a.reply.send(Err(e.clone()));
            }
        }
    }
}

/// Token commands against PostgreSQL (the SQLite ones are in `tokens`).
pub mod tokens {
    use anyhow::{Context, bail};

    use super::{connect, migrate};
    use crate::config::DatabaseUrl;
    use crate::tokens::TokenInfo;

    /// Stores a new token's hash under `name` (checked by the caller).
    pub async fn create(url: &DatabaseUrl, name: &str, hash: [u8; 32]) -> anyhow::Result<()> {
        let mut client = connect(url).await?;
        migrate(&mut client).await?;
        let active = client
            .query_opt(
                "SELECT revoked_at IS NULL FROM tokens WHERE name = $1",
                &[&name],
            )
            .await
            .context("cannot read tokens")?;
        if active.is_some_and(|row| row.get::<_, bool>(0)) {
            bail!(
                "a token named {name} exists; revoke it first (samspill-relay token revoke {name})"
            );
        }
        client
            .execute(
                "INSERT INTO tokens (name, hash) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET hash = excluded.hash,
                     created_at = now(), revoked_at = NULL",
                &[&name, &&hash[..]],
            )
            .await
            .context("cannot store the token")?;
        Ok(())
    }

    pub async fn list(url: &DatabaseUrl) -> anyhow::Result<Vec<TokenInfo>> {
        let mut client = connect(url).await?;
        migrate(&mut client).await?;
        const UTC: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";
        let rows = client
            .query(
                &format!(
                    "SELECT t.name, to_char(t.created_at AT TIME ZONE 'UTC', {UTC}),
                            to_char(t.revoked_at AT TIME ZONE 'UTC', {UTC}),
                            (SELECT count(*) FROM documents d WHERE d.created_by = t.name)
                     FROM tokens t ORDER BY t.name"
                ),
                &[],
            )
            .await
            .context("cannot read tokens")?;
        Ok(rows
            .into_iter()
            .map(|row| TokenInfo {
                name: row.get(0),
                created_at: row.get(1),
                revoked_at: row.get(2),
                documents: u64::try_from(row.get::<_, i64>(3)).unwrap_or(0),
            })
            .collect())
    }

    pub async fn revoke(url: &DatabaseUrl, name: &str) -> anyhow::Result<()> {
        let mut client = connect(url).await?;
        migrate(&mut client).await?;
        let changed = client
            .execute(
                "UPDATE tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL",
                &[&name],
            )
            .await
            .context("cannot revoke the token")?;
        if changed == 0 {
            bail!("no active token named {name} (see samspill-relay token list)");
        }
        Ok(())
    }
}
