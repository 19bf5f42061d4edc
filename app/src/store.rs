//! The local store: every project on this device, on disk.
//!
//! ```text
//! DATA_DIR/
//!   profile.toml                 who this device's user is (see `profile`)
//!   device.key                   this device's Ed25519 and X25519 secret keys, mode 0600
//!                                (see `device`; public halves go into `people`)
//!   projects/<document id>/
//!     secret                     the project's key, mode 0600: the 32-byte secret for an
//!                                editor, `v` and 96 bytes for a viewer
//!     epoch.key                  after someone was removed: the current epoch's key,
//!                                mode 0600 (`SEK1`, epoch u32 LE, then a key as above);
//!                                the project keeps its first id as its name here
//!     doc.automerge              the document as of the last compaction (a `save()`)
//!     changes.log                changes since then, appended one record per save
//!     sync.json                  relay URL, last sequence number, unacknowledged entries
//!     lock                       taken while appending, compacting or writing sync.json
//!     *.damaged-YYYYMMDD-HHMMSS  bytes that could not be read, moved aside (see below)
//! ```
//!
//! `changes.log` starts with an 8-byte magic and holds records of
//! `[len: u32 LE][BLAKE3(data)[..8]][BLAKE3(len ‖ data checksum)[..4]][data]`, each one
//! or more Automerge changes that are new since the previous record (the byte format,
//! and telling whole records from a torn tail and damage, is
//! [`samspill_shared::changelog`]; this module does the file I/O). Appends are
//! fsynced and made under the project's lock, so several processes (the app, the CLI,
//! `sync --watch`) can write one project at once. Logs of the first format (no header
//! checksum) are read and rewritten in this format by the next append.
//!
//! The header checksum tells a torn tail from damage. A crash can only leave an
//! incomplete record at the end (a partial header, or a header whose data is cut
//! short): loading drops it and the next append writes over it. Anything else that
//! does not check out is damage: loading keeps every record that is whole (it finds the
//! next good header after a bad stretch), copies the original file aside to
//! `changes.log.damaged-<date>`, rewrites the log with the good records, and reports
//! what it did in [`Loaded::recovered`]. A snapshot that does not load, or a project
//! with no snapshot at all, is moved aside the same way, and the project opens from
//! what the log holds; sync then refills the rest from the relay. No append ever cuts
//! off anything but a torn tail, and a project never disappears from [`Store::list`].
//!
//! Compaction (when the log has grown as large as the snapshot) writes the whole
//! document to a temp file, fsyncs it, renames it over `doc.automerge`, fsyncs the
//! directory, and only then empties the log the same way. A crash between the two steps
//! leaves a log whose changes the snapshot already holds; Automerge ignores changes it
//! has. A document with changes whose dependencies are missing (after damage) is never
//! compacted: `save()` would drop those changes.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use automerge::AutoCommit;
use samspill_shared::changelog::{self, Format};
use samspill_shared::crypto::{Capability, DocumentId};

const LOG_MAGIC: &[u8; 8] = changelog::MAGIC;
/// The log is compacted once it is at least this large…
const COMPACT_MIN_BYTES: u64 = 64 << 10;
/// …and at least as large as the snapshot (so compaction costs stay linear).
const COMPACT_RATIO: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "{path} is damaged ({reason}); it was left as it is — restore it from a backup or join the project again from its relay"
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error("no project with id {0} on this device; `samspill list` shows them")]
    NoSuchProject(String),
    #[error("a project with id {0} already exists on this device")]
    AlreadyExists(String),
    #[error(
        "this project's key ({path}) is missing, so it cannot sync; join the project again from its invite link to restore the key (your local changes are kept)"
    )]
    MissingSecret { path: PathBuf },
    #[error(
        "this project's key ({path}) is damaged ({reason}), so it cannot sync; join the project again from its invite link to restore the key (your local changes are kept)"
    )]
    BadSecret { path: PathBuf, reason: &'static str },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How `epoch.key` starts.
const EPOCH_MAGIC: &[u8; 4] = b"SEK1";

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// The directory holding every project of this device.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let projects = data_dir.join("projects");
        fs::create_dir_all(&projects).map_err(io_err("create", &projects))?;
        Ok(Self {
            root: data_dir.to_owned(),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.root
    }

    pub fn projects_dir(&self) -> PathBuf {
        self.root.join("projects")
    }

    /// Every project id on this device, sorted: every directory named by a project id
    /// that holds any of a project's files (a damaged project is listed too, and opens
    /// with a notice). Other directories are ignored.
    pub fn list(&self) -> Result<Vec<DocumentId>> {
        let dir = self.projects_dir();
        let mut ids = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err("read", &dir))? {
            let entry = entry.map_err(io_err("read", &dir))?;
            if let Some(id) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<DocumentId>().ok())
                && is_project_dir(&entry.path())
            {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// The files of one existing project.
    pub fn project(&self, id: &DocumentId) -> Result<ProjectFiles> {
        let files = ProjectFiles {
            dir: self.projects_dir().join(id.to_string()),
            id: *id,
        };
        if !is_project_dir(&files.dir) {
            return Err(StoreError::NoSuchProject(id.to_string()));
        }
        Ok(files)
    }

    /// Stores a new project: its secret and its first full save. Everything is written
    /// into a fresh directory that is renamed into place, so a crash leaves either no
    /// project or a whole one (and joining the same link again after a crash works).
    pub fn create(&self, secret: &Capability, doc: &mut AutoCommit) -> Result<ProjectFiles> {
        let id = secret.doc_id();
        let projects = self.projects_dir();
        let files = ProjectFiles {
            dir: projects.join(id.to_string()),
            id,
        };
        if files.dir.exists() {
            if files.has_document() {
                return Err(StoreError::AlreadyExists(id.to_string()));
            }
            // A leftover with no document (older versions wrote the secret first, so a
            // crash could leave just that): joining again replaces it.
            fs::remove_dir_all(&files.dir).map_err(io_err("remove", &files.dir))?;
        }
        let mut suffix = [0u8; 8];
        crate::device::fill_random(&mut suffix);
        let tmp = projects.join(format!(".new-{}", hex::encode(suffix)));
        fs::create_dir(&tmp).map_err(io_err("create", &tmp))?;
        let written = (|| {
            write_secret(&tmp.join("secret"), secret)?;
            write_synced(&tmp.join("changes.log"), LOG_MAGIC)?;
            write_synced(&tmp.join("doc.automerge"), &doc.save())?;
            sync_dir(&tmp.join("secret"))
        })();
        if let Err(e) = written {
            // Best effort: a leftover `.new-*` directory is ignored and never listed.
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
        match fs::rename(&tmp, &files.dir) {
            Ok(()) => {}
            Err(e) => {
                let _ = fs::remove_dir_all(&tmp);
                return Err(if files.dir.exists() {
                    StoreError::AlreadyExists(id.to_string())
                } else {
                    io_err("create", &files.dir)(e)
                });
            }
        }
        sync_dir(&files.dir)?;
        Ok(files)
    }
}

fn is_project_dir(dir: &Path) -> bool {
    ["doc.automerge", "changes.log", "secret"]
        .iter()
        .any(|f| dir.join(f).exists())
}

/// The files of one project.
#[derive(Debug, Clone)]
pub struct ProjectFiles {
    dir: PathBuf,
    id: DocumentId,
}

/// A document as loaded, with what loading found.
#[derive(Debug)]
pub struct Loaded {
    pub doc: AutoCommit,
    /// Where the log was read up to (for picking up other processes' appends).
    pub tail: LogTail,
    /// A torn last record was found (a crash mid-append); it was dropped.
    pub torn_tail: bool,
    /// Damage that was found and repaired, in words for the person; empty when none.
    pub recovered: Vec<String>,
}

/// How far the log has been read: which file (inode) and up to which byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogTail {
    pub file: u64,
    pub offset: u64,
}

/// An exclusive lock on a project's files, released on drop.
#[derive(Debug)]
pub struct Lock(File);

impl Drop for Lock {
    fn drop(&mut self) {
        // Unlocking cannot fail in a way we could act on; closing the file unlocks too.
        let _ = self.0.unlock();
    }
}

impl ProjectFiles {
    pub fn id(&self) -> &DocumentId {
        &self.id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn snapshot_path(&self) -> PathBuf {
        self.dir.join("doc.automerge")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("changes.log")
    }

    pub fn sync_path(&self) -> PathBuf {
        self.dir.join("sync.json")
    }

    pub fn secret_path(&self) -> PathBuf {
        self.dir.join("secret")
    }

    pub fn epoch_path(&self) -> PathBuf {
        self.dir.join("epoch.key")
    }

    /// Whether any of the document's files is there (not just a key).
    pub fn has_document(&self) -> bool {
        self.snapshot_path().exists() || self.log_path().exists()
    }

    /// Takes the project's lock (blocking while another process holds it).
    pub fn lock(&self) -> Result<Lock> {
        let path = self.dir.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("open", &path))?;
        file.lock().map_err(io_err("lock", &path))?;
        Ok(Lock(file))
    }

    /// The key of the project's current epoch: the `epoch.key` written when it followed
    /// a removal, else its first key ([`Self::first_capability`]).
    pub fn capability(&self) -> Result<Capability> {
        Ok(self.epoch()?.1)
    }

    /// The current epoch's number and key (0 and the first key before any removal).
    pub fn epoch(&self) -> Result<(u32, Capability)> {
        let path = self.epoch_path();
        let bytes = match fs::read(&path) {
            Ok(b) => zeroize::Zeroizing::new(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok((0, self.first_capability()?));
            }
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        let damaged = |reason| StoreError::BadSecret {
            path: path.clone(),
            reason,
        };
        let rest = bytes
            .strip_prefix(EPOCH_MAGIC.as_slice())
            .ok_or_else(|| damaged("it does not start as an epoch key does"))?;
        let (number, key) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| damaged("it is cut short"))?;
        let cap = Capability::from_bytes(key)
            .map_err(|_| damaged("its key is not 32 bytes (editor) or 97 bytes (viewer)"))?;
        Ok((u32::from_le_bytes(*number), cap))
    }

    /// Records the key of a new epoch (this device followed a removal, or made one).
    /// Written atomically, 0600, under the project's lock.
    pub fn set_epoch(&self, epoch: u32, cap: &Capability) -> Result<()> {
        let _lock = self.lock()?;
        let mut data = zeroize::Zeroizing::new(EPOCH_MAGIC.to_vec());
        data.extend_from_slice(&epoch.to_le_bytes());
        data.extend_from_slice(&cap.to_bytes());
        let path = self.epoch_path();
        let mut suffix = [0u8; 6];
        crate::device::fill_random(&mut suffix);
        let tmp = self
            .dir
            .join(format!(".epoch.key.{}.tmp", hex::encode(suffix)));
        if let Err(e) = write_private(&tmp, &data) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(io_err("replace", &path)(e));
        }
        sync_dir(&path)
    }

    /// The project's first key (an editor's secret or a viewer's capability), checked
    /// against the project's id: a missing, short or foreign key is an error, never a
    /// fallback.
    pub fn first_capability(&self) -> Result<Capability> {
        let path = self.secret_path();
        let bytes = match fs::read(&path) {
            Ok(b) => zeroize::Zeroizing::new(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::MissingSecret { path });
            }
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        let secret = Capability::from_bytes(&bytes).map_err(|e| StoreError::BadSecret {
            path: path.clone(),
            reason: match e {
                samspill_shared::crypto::CapabilityError::Length => {
                    "a project key is 32 bytes (editor) or 97 bytes (viewer)"
                }
                samspill_shared::crypto::CapabilityError::Damaged => "the viewer key is damaged",
            },
        })?;
        if secret.doc_id() != self.id {
            return Err(StoreError::BadSecret {
                path,
                reason: "it belongs to another project",
            });
        }
        Ok(secret)
    }

    /// Writes a file of this project atomically under the project's lock, through a
    /// temp file of its own (so two processes never share a temp file).
    pub fn write_locked(&self, path: &Path, data: &[u8]) -> Result<()> {
        let _lock = self.lock()?;
        atomic_write(path, data)
    }

    /// Loads the snapshot and every whole record of the log, repairing damage (see the
    /// module docs).
    pub fn load(&self) -> Result<Loaded> {
        let _lock = self.lock()?;
        self.load_locked()
    }

    fn load_locked(&self) -> Result<Loaded> {
        let mut recovered = Vec::new();
        let snap_path = self.snapshot_path();
        let mut doc = match fs::read(&snap_path) {
            Ok(bytes) => match AutoCommit::load(&bytes) {
                Ok(doc) => doc,
                Err(e) => {
                    let aside = move_aside(&snap_path)?;
                    recovered.push(format!(
                        "{} could not be read ({e}); it was moved to {} and the project was opened from its recent changes",
                        snap_path.display(),
                        aside.display()
                    ));
                    AutoCommit::new()
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                recovered.push(format!(
                    "{} is missing; the project was opened from its recent changes",
                    snap_path.display()
                ));
                AutoCommit::new()
            }
            Err(e) => return Err(io_err("read", &snap_path)(e)),
        };
        let (log, raw) = self.read_log()?;
        if log.empty_file {
            recovered.push(format!(
                "{} was empty or missing: changes made since the last compaction may be gone from this device",
                self.log_path().display()
            ));
        }
        let mut damaged = log.unreadable > 0 || log.v1;
        let mut unloadable = false;
        let mut records = log.records;
        // Incremental saves concatenate: one load for the whole log is much faster than
        // one per record. Only if that fails is each record tried on its own; one that
        // Automerge cannot load leaves the log (the original is copied aside below).
        if doc.load_incremental(&records.concat()).is_err() {
            records.retain(|record| match doc.load_incremental(record) {
                Ok(_) => true,
                Err(e) => {
                    recovered.push(format!(
                        "a change in {} could not be read ({e})",
                        self.log_path().display()
                    ));
                    unloadable = true;
                    false
                }
            });
            damaged |= unloadable;
        }
        if log.unreadable > 0 || unloadable || (log.v1 && (log.valid_len as usize) < raw.len()) {
            let aside = aside_path(&self.log_path());
            write_synced(&aside, &raw)?;
            recovered.push(format!(
                "{} bytes of {} were unreadable; every whole change was kept and the original file was copied to {}",
                log.unreadable.max(raw.len() - log.valid_len as usize),
                self.log_path().display(),
                aside.display()
            ));
        }
        if damaged || log.empty_file {
            // Rewrite the log with the good records only (and in the current format), so
            // the damage is not met again and appends go after whole records.
            self.rewrite_log(&records)?;
        }
        if !recovered.is_empty() && !self.snapshot_path().exists() {
            // A project always has a snapshot, even an empty one; the log stays as it is.
            atomic_write(&self.snapshot_path(), &AutoCommit::new().save())?;
        }
        let mut tail = self.tail_now()?;
        if !(damaged || log.empty_file) {
            // Appends go after the last whole record (a torn tail is cut then).
            tail.offset = log.valid_len;
        }
        Ok(Loaded {
            doc,
            tail,
            torn_tail: log.torn_tail,
            recovered,
        })
    }

    fn rewrite_log(&self, records: &[Vec<u8>]) -> Result<()> {
        let mut out = LOG_MAGIC.to_vec();
        for r in records {
            out.extend_from_slice(&encode_record(r, &self.log_path())?);
        }
        atomic_write(&self.log_path(), &out)
    }

    /// Which log file is there now, and how long it is.
    fn tail_now(&self) -> Result<LogTail> {
        let path = self.log_path();
        match fs::metadata(&path) {
            Ok(m) => Ok(LogTail {
                file: inode(&m),
                offset: m.len(),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(LogTail::default()),
            Err(e) => Err(io_err("read", &path)(e)),
        }
    }

    fn read_log(&self) -> Result<(LogContents, Vec<u8>)> {
        let path = self.log_path();
        let mut bytes = Vec::new();
        match File::open(&path) {
            Ok(mut f) => {
                f.read_to_end(&mut bytes).map_err(io_err("read", &path))?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok((
                    LogContents {
                        empty_file: true,
                        ..LogContents::default()
                    },
                    bytes,
                ));
            }
            Err(e) => return Err(io_err("read", &path)(e)),
        }
        let log = parse_log(&bytes);
        Ok((log, bytes))
    }

    /// Records other processes appended since `tail`, and the new tail. `None` when the
    /// log was replaced (compacted or repaired) since: then load the project again.
    pub fn read_since(&self, tail: LogTail) -> Result<Option<(Vec<Vec<u8>>, LogTail)>> {
        let path = self.log_path();
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        let meta = f.metadata().map_err(io_err("read", &path))?;
        if inode(&meta) != tail.file || meta.len() < tail.offset {
            return Ok(None);
        }
        use std::io::Seek;
        f.seek(io::SeekFrom::Start(tail.offset))
            .map_err(io_err("read", &path))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(io_err("read", &path))?;
        // A record still being written by another process ends the read; the rest is
        // picked up next time.
        let Some(appended) = changelog::read_appended(&bytes) else {
            // Not at a record boundary (the log was repaired or rewritten): load again.
            return Ok(None);
        };
        let records = appended
            .records
            .iter()
            .map(|r| bytes[r.clone()].to_vec())
            .collect();
        Ok(Some((
            records,
            LogTail {
                file: tail.file,
                offset: tail.offset + appended.end as u64,
            },
        )))
    }

    /// Appends one record (the changes new since the last append), fsynced before
    /// returning, under the project's lock; compacts from disk when the log has grown
    /// as large as the snapshot. A torn tail is cut off first; a log with damage before
    /// its end is repaired first (see the module docs), never cut.
    pub fn append(&self, data: &[u8]) -> Result<AppendOutcome> {
        let _lock = self.lock()?;
        let mut outcome = AppendOutcome::default();
        if data.is_empty() {
            return Ok(outcome);
        }
        let path = self.log_path();
        let (log, _) = self.read_log()?;
        if log.unreadable > 0 || log.v1 || log.empty_file {
            // Repair (and report) before writing anything.
            outcome.recovered = self.load_locked()?.recovered;
        } else if log.torn_tail {
            tracing::warn!(path = %path.display(), "the last change was cut short by a crash and is dropped");
        }
        let (log, _) = self.read_log()?;
        let mut file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(io_err("open", &path))?;
        let start = log.valid_len;
        let record = encode_record(data, &path)?;
        file.set_len(start).map_err(io_err("truncate", &path))?;
        use std::io::Seek;
        file.seek(io::SeekFrom::Start(start))
            .map_err(io_err("seek", &path))?;
        file.write_all(&record).map_err(io_err("write", &path))?;
        file.sync_data().map_err(io_err("sync", &path))?;
        let log_len = start + record.len() as u64;
        let snapshot_len = fs::metadata(self.snapshot_path()).map_or(0, |m| m.len());
        if should_compact(log_len, snapshot_len) {
            // The record is on disk: a compaction that fails (a full disk) is tried
            // again with the next append, never reported as a failed save.
            match self.compact_locked() {
                Ok(c) => outcome.compacted = c,
                Err(e) => tracing::warn!("could not compact {}: {e}", path.display()),
            }
        }
        Ok(outcome)
    }

    /// Folds the log into the snapshot, from what is on disk; the lock is held.
    /// Returns whether it compacted (it does not while changes miss dependencies).
    fn compact_locked(&self) -> Result<bool> {
        let mut loaded = self.load_locked()?;
        // Never fold away what could not be read, nor changes still waiting for their
        // dependencies: `save()` would drop them.
        if !loaded.recovered.is_empty() || !loaded.doc.get_missing_deps(&[]).is_empty() {
            return Ok(false);
        }
        atomic_write(&self.snapshot_path(), &loaded.doc.save())?;
        atomic_write(&self.log_path(), LOG_MAGIC)?;
        Ok(true)
    }

    /// Compacts now, whatever the log's size (under the lock).
    pub fn compact(&self) -> Result<bool> {
        let _lock = self.lock()?;
        self.compact_locked()
    }
}

/// What an append did besides appending.
#[derive(Debug, Default)]
pub struct AppendOutcome {
    /// Damage found (and repaired) before appending, in words for the person.
    pub recovered: Vec<String>,
    pub compacted: bool,
}

fn should_compact(log_len: u64, snapshot_len: u64) -> bool {
    log_len >= COMPACT_MIN_BYTES && log_len >= snapshot_len * COMPACT_RATIO
}

#[cfg(unix)]
fn inode(m: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    m.ino()
}

#[cfg(not(unix))]
fn inode(m: &fs::Metadata) -> u64 {
    // Without inodes, a replaced log is told by its modification time.
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64)
}

/// `<path>.damaged-YYYYMMDD-HHMMSS` (with a counter when that exists already).
fn aside_path(path: &Path) -> PathBuf {
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
    let base = format!("{}.damaged-{stamp}", path.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 1;
    while candidate.exists() {
        n += 1;
        candidate = PathBuf::from(format!("{base}-{n}"));
    }
    candidate
}

fn move_aside(path: &Path) -> Result<PathBuf> {
    let aside = aside_path(path);
    fs::rename(path, &aside).map_err(io_err("move aside", path))?;
    sync_dir(path)?;
    Ok(aside)
}

#[derive(Debug, Default)]
struct LogContents {
    records: Vec<Vec<u8>>,
    /// Where the next append goes: after the last whole record.
    valid_len: u64,
    torn_tail: bool,
    /// Bytes that were neither whole records nor a torn tail.
    unreadable: usize,
    /// Written in the first format (no header checksum).
    v1: bool,
    /// The file was empty or missing (it always holds at least the magic).
    empty_file: bool,
}

fn encode_record(data: &[u8], path: &Path) -> Result<Vec<u8>> {
    changelog::encode_record(data).map_err(|e| StoreError::Io {
        action: "append to",
        path: path.to_owned(),
        source: io::Error::other(e),
    })
}

/// Reads a log file's bytes into what loading and appending need (see
/// [`changelog::parse`]).
fn parse_log(bytes: &[u8]) -> LogContents {
    let parsed = changelog::parse(bytes);
    LogContents {
        records: parsed.record_data(bytes).map(<[u8]>::to_vec).collect(),
        valid_len: parsed.valid_len as u64,
        torn_tail: parsed.torn_tail.is_some(),
        unreadable: parsed.unreadable(),
        v1: parsed.format == Format::V1,
        empty_file: bytes.is_empty(),
    }
}

/// Writes a file so that a crash leaves either the old or the new contents. The temp
/// file's name is unique, so two processes never write the same one.
pub fn atomic_write(path: &Path, data: &[u8]) -> Result<()> {
    let mut suffix = [0u8; 6];
    crate::device::fill_random(&mut suffix);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", hex::encode(suffix)));
    if let Err(e) = write_synced(&tmp, data) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(io_err("replace", path)(e));
    }
    sync_dir(path)
}

fn write_synced(path: &Path, data: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(io_err("create", path))?;
    f.write_all(data).map_err(io_err("write", path))?;
    f.sync_all().map_err(io_err("sync", path))
}

/// Makes a rename in `path`'s directory durable. On Unix that is an fsync of the
/// directory; Windows cannot open a directory as a file, and NTFS journals renames itself.
#[cfg(unix)]
fn sync_dir(path: &Path) -> Result<()> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    let d = File::open(dir).map_err(io_err("open", dir))?;
    d.sync_all().map_err(io_err("sync", dir))
}

#[cfg(not(unix))]
#[allow(clippy::unnecessary_wraps)]
fn sync_dir(_path: &Path) -> Result<()> {
    Ok(())
}

fn write_secret(path: &Path, secret: &Capability) -> Result<()> {
    write_private(path, &secret.to_bytes())
}

/// Writes a new file readable by this user only (0600 on Unix), synced; fails if the
/// file exists.
pub fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io_err("create", path))?;
    f.write_all(data).map_err(io_err("write", path))?;
    f.sync_all().map_err(io_err("sync", path))
}

/// Puts a key back (joining a project again after its key file was lost), or replaces a
/// viewer's key with an editor's (joining again from an editor's link).
pub fn restore_secret(files: &ProjectFiles, secret: &Capability) -> Result<()> {
    let _lock = files.lock()?;
    let path = files.secret_path();
    match fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("replace", &path)(e)),
    }
    write_secret(&path, secret)?;
    sync_dir(&path)
}

#[cfg(test)]
mod tests;
