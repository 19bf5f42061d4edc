//! The local store: every project on this device, on disk.
//!
//! ```text
//! DATA_DIR/
//!   profile.toml                 who this device's user is (see `profile`)
//!   projects/<document id>/
//!     secret                     the project's 32-byte secret, mode 0600
//!     doc.automerge              the document as of the last compaction (a `save()`)
//!     changes.log                changes since then, appended one record per save
//!     sync.json                  relay URL, last sequence number, unacknowledged entries
//!     lock                       taken while appending or compacting
//! ```
//!
//! `changes.log` starts with an 8-byte magic and holds records of
//! `[len: u32 LE][checksum: 8 bytes of BLAKE3(data)][data]`, each an Automerge
//! `save_incremental()`. Appends are fsynced. A crash can only tear the last record:
//! loading keeps every whole record before it, reports the torn tail, and the next
//! append cuts it off. A bad record *before* the end, or a snapshot that does not load,
//! is corruption: it is reported with the file's path and nothing is overwritten.
//!
//! Compaction writes the whole document to `doc.automerge.tmp`, fsyncs it, renames it
//! over `doc.automerge`, fsyncs the directory, and only then empties the log the same
//! way. A crash between the two steps leaves a log whose changes the snapshot already
//! holds; Automerge ignores changes it has.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use automerge::AutoCommit;
use samspill_shared::crypto::{DocumentId, ProjectSecret};

const LOG_MAGIC: &[u8; 8] = b"SPLOG\x00\x01\n";
const RECORD_HEADER: usize = 12;
/// Compact when the log holds this many records…
const COMPACT_RECORDS: usize = 256;
/// …or this many bytes.
const COMPACT_BYTES: u64 = 4 << 20;

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
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

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

    fn projects_dir(&self) -> PathBuf {
        self.root.join("projects")
    }

    /// Every project id on this device, sorted. Directories that are not project ids
    /// are ignored.
    pub fn list(&self) -> Result<Vec<DocumentId>> {
        let dir = self.projects_dir();
        let mut ids = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err("read", &dir))? {
            let entry = entry.map_err(io_err("read", &dir))?;
            if let Some(id) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<DocumentId>().ok())
                && entry.path().join("doc.automerge").exists()
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
        if !files.snapshot_path().exists() {
            return Err(StoreError::NoSuchProject(id.to_string()));
        }
        Ok(files)
    }

    /// Stores a new project: its secret and its first full save.
    pub fn create(&self, secret: &ProjectSecret, doc: &mut AutoCommit) -> Result<ProjectFiles> {
        let id = secret.keys().doc_id;
        let files = ProjectFiles {
            dir: self.projects_dir().join(id.to_string()),
            id,
        };
        if files.snapshot_path().exists() {
            return Err(StoreError::AlreadyExists(id.to_string()));
        }
        fs::create_dir_all(&files.dir).map_err(io_err("create", &files.dir))?;
        write_secret(&files.dir.join("secret"), secret)?;
        let _lock = files.lock()?;
        atomic_write(&files.snapshot_path(), &doc.save())?;
        atomic_write(&files.log_path(), LOG_MAGIC)?;
        Ok(files)
    }
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
    /// Records in the log (for deciding when to compact).
    pub records: usize,
    /// Bytes of whole records, where the next append goes.
    pub log_len: u64,
    /// A torn last record was found (a crash mid-append); it will be cut off.
    pub torn_tail: bool,
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

    pub fn secret(&self) -> Result<ProjectSecret> {
        let path = self.dir.join("secret");
        let bytes = fs::read(&path).map_err(io_err("read", &path))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| StoreError::Corrupt {
            path: path.clone(),
            reason: "a project secret is 32 bytes".to_owned(),
        })?;
        Ok(ProjectSecret::from_bytes(bytes))
    }

    /// Loads the snapshot and every whole record of the log.
    pub fn load(&self) -> Result<Loaded> {
        let _lock = self.lock()?;
        self.load_locked()
    }

    fn load_locked(&self) -> Result<Loaded> {
        let snap_path = self.snapshot_path();
        let bytes = fs::read(&snap_path).map_err(io_err("read", &snap_path))?;
        let mut doc = AutoCommit::load(&bytes).map_err(|e| StoreError::Corrupt {
            path: snap_path.clone(),
            reason: e.to_string(),
        })?;
        let log = self.read_log()?;
        for record in &log.records {
            doc.load_incremental(record)
                .map_err(|e| StoreError::Corrupt {
                    path: self.log_path(),
                    reason: e.to_string(),
                })?;
        }
        Ok(Loaded {
            doc,
            records: log.records.len(),
            log_len: log.valid_len,
            torn_tail: log.torn_tail,
        })
    }

    fn read_log(&self) -> Result<LogContents> {
        let path = self.log_path();
        let mut bytes = Vec::new();
        match File::open(&path) {
            Ok(mut f) => {
                f.read_to_end(&mut bytes).map_err(io_err("read", &path))?;
            }
            // A log not yet written (a crash during creation) is an empty log.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(LogContents {
                    records: vec![],
                    valid_len: 0,
                    torn_tail: false,
                });
            }
            Err(e) => return Err(io_err("read", &path)(e)),
        }
        parse_log(&bytes).map_err(|reason| StoreError::Corrupt { path, reason })
    }

    /// Appends one record (an Automerge `save_incremental()`), fsynced before returning.
    /// Returns the number of records now in the log.
    pub fn append(&self, data: &[u8]) -> Result<usize> {
        let _lock = self.lock()?;
        let log = self.read_log()?;
        let path = self.log_path();
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("open", &path))?;
        let mut start = log.valid_len;
        if start == 0 {
            file.write_all(LOG_MAGIC).map_err(io_err("write", &path))?;
            start = LOG_MAGIC.len() as u64;
        }
        // Cut off a torn record left by a crash, then write after the last whole one.
        file.set_len(start).map_err(io_err("truncate", &path))?;
        let mut record = Vec::with_capacity(RECORD_HEADER + data.len());
        let len = u32::try_from(data.len()).map_err(|_| StoreError::Io {
            action: "append to",
            path: path.clone(),
            source: io::Error::other("a change larger than 4 GiB"),
        })?;
        record.extend_from_slice(&len.to_le_bytes());
        record.extend_from_slice(&checksum(data));
        record.extend_from_slice(data);
        use std::io::Seek;
        file.seek(io::SeekFrom::Start(start))
            .map_err(io_err("seek", &path))?;
        file.write_all(&record).map_err(io_err("write", &path))?;
        file.sync_data().map_err(io_err("sync", &path))?;
        Ok(log.records.len() + 1)
    }

    /// Whether the log has grown enough to compact.
    pub fn should_compact_now(records: usize, log_len: u64) -> bool {
        records >= COMPACT_RECORDS || log_len >= COMPACT_BYTES
    }

    /// Replaces the snapshot with `doc` (after folding in any records other processes
    /// appended since `doc` was loaded) and empties the log.
    pub fn compact(&self, doc: &mut AutoCommit) -> Result<()> {
        let _lock = self.lock()?;
        let log = self.read_log()?;
        for record in &log.records {
            doc.load_incremental(record)
                .map_err(|e| StoreError::Corrupt {
                    path: self.log_path(),
                    reason: e.to_string(),
                })?;
        }
        atomic_write(&self.snapshot_path(), &doc.save())?;
        atomic_write(&self.log_path(), LOG_MAGIC)?;
        Ok(())
    }

    /// Appends one record and, when the log has grown enough, compacts the files on disk
    /// (snapshot and log as they are, under the lock). Everything happens here, so a UI
    /// can hand the bytes to a background thread and never wait for the disk.
    pub fn append_and_maybe_compact(&self, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let records = self.append(data)?;
        let log_len = fs::metadata(self.log_path()).map_or(0, |m| m.len());
        if Self::should_compact_now(records, log_len) {
            let _lock = self.lock()?;
            let mut loaded = self.load_locked()?;
            atomic_write(&self.snapshot_path(), &loaded.doc.save())?;
            atomic_write(&self.log_path(), LOG_MAGIC)?;
        }
        Ok(())
    }

    /// Changes other processes appended since `doc` was loaded, applied to it.
    pub fn refresh(&self, doc: &mut AutoCommit) -> Result<()> {
        let loaded = self.load()?;
        let mut other = loaded.doc;
        doc.merge(&mut other).map_err(|e| StoreError::Corrupt {
            path: self.log_path(),
            reason: e.to_string(),
        })?;
        Ok(())
    }
}

struct LogContents {
    records: Vec<Vec<u8>>,
    valid_len: u64,
    torn_tail: bool,
}

fn checksum(data: &[u8]) -> [u8; 8] {
    let hash = blake3::hash(data);
    let mut out = [0u8; 8];
    out.copy_from_slice(&hash.as_bytes()[..8]);
    out
}

fn parse_log(bytes: &[u8]) -> std::result::Result<LogContents, String> {
    if bytes.is_empty() {
        return Ok(LogContents {
            records: vec![],
            valid_len: 0,
            torn_tail: false,
        });
    }
    if bytes.len() < LOG_MAGIC.len() {
        // A crash while writing the header of a fresh log.
        return Ok(LogContents {
            records: vec![],
            valid_len: 0,
            torn_tail: true,
        });
    }
    if &bytes[..LOG_MAGIC.len()] != LOG_MAGIC {
        return Err("it is not a Samspill change log".to_owned());
    }
    let mut pos = LOG_MAGIC.len();
    let mut records = Vec::new();
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        let torn = LogContents {
            records: vec![],
            valid_len: pos as u64,
            torn_tail: true,
        };
        let Some(header) = rest.get(..RECORD_HEADER) else {
            return Ok(LogContents { records, ..torn });
        };
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let Some(data) = rest.get(RECORD_HEADER..RECORD_HEADER + len) else {
            return Ok(LogContents { records, ..torn });
        };
        if checksum(data) != header[4..12] {
            if pos + RECORD_HEADER + len == bytes.len() {
                // The last record, written partly: a crash mid-append.
                return Ok(LogContents { records, ..torn });
            }
            return Err(format!("the record at byte {pos} fails its checksum"));
        }
        records.push(data.to_vec());
        pos += RECORD_HEADER + len;
    }
    Ok(LogContents {
        records,
        valid_len: pos as u64,
        torn_tail: false,
    })
}

/// Writes a file so that a crash leaves either the old or the new contents.
pub fn atomic_write(path: &Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp).map_err(io_err("create", &tmp))?;
        f.write_all(data).map_err(io_err("write", &tmp))?;
        f.sync_all().map_err(io_err("sync", &tmp))?;
    }
    fs::rename(&tmp, path).map_err(io_err("replace", path))?;
    sync_dir(path)
}

fn sync_dir(path: &Path) -> Result<()> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    let d = File::open(dir).map_err(io_err("open", dir))?;
    d.sync_all().map_err(io_err("sync", dir))
}

fn write_secret(path: &Path, secret: &ProjectSecret) -> Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io_err("create", path))?;
    f.write_all(secret.as_bytes())
        .map_err(io_err("write", path))?;
    f.sync_all().map_err(io_err("sync", path))?;
    sync_dir(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};

    fn doc_with(n: i64) -> AutoCommit {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "n", n).unwrap();
        doc.commit();
        doc
    }

    fn value(doc: &AutoCommit) -> i64 {
        match doc.get(ROOT, "n").unwrap() {
            Some((automerge::Value::Scalar(s), _)) => s.as_i64().unwrap(),
            _ => panic!("no n"),
        }
    }

    fn store_with_project() -> (tempfile::TempDir, Store, ProjectFiles, AutoCommit) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut doc = doc_with(1);
        let files = store
            .create(&ProjectSecret::from_bytes([3; 32]), &mut doc)
            .unwrap();
        (dir, store, files, doc)
    }

    #[test]
    fn appended_changes_are_there_after_reload() {
        let (_dir, store, files, mut doc) = store_with_project();
        for n in 2..5 {
            doc.put(ROOT, "n", n).unwrap();
            doc.commit();
            files.append(&doc.save_incremental()).unwrap();
        }
        let loaded = store.project(files.id()).unwrap().load().unwrap();
        assert_eq!(value(&loaded.doc), 4);
        assert_eq!(loaded.records, 3);
        assert!(!loaded.torn_tail);
        assert_eq!(store.list().unwrap(), vec![*files.id()]);
    }

    #[test]
    fn the_secret_file_is_private() {
        let (_dir, _store, files, _doc) = store_with_project();
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(files.dir().join("secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(files.secret().unwrap(), ProjectSecret::from_bytes([3; 32]));
    }

    #[test]
    fn a_write_torn_midway_leaves_the_previous_state_loadable_and_is_cut_off_next_time() {
        let (_dir, _store, files, mut doc) = store_with_project();
        doc.put(ROOT, "n", 2).unwrap();
        doc.commit();
        files.append(&doc.save_incremental()).unwrap();
        // A crash halfway through writing the next record.
        doc.put(ROOT, "n", 3).unwrap();
        doc.commit();
        let change = doc.save_incremental();
        let mut record = (change.len() as u32).to_le_bytes().to_vec();
        record.extend_from_slice(&checksum(&change));
        record.extend_from_slice(&change[..change.len() / 2]);
        let mut f = OpenOptions::new()
            .append(true)
            .open(files.log_path())
            .unwrap();
        f.write_all(&record).unwrap();
        drop(f);

        let loaded = files.load().unwrap();
        assert!(loaded.torn_tail);
        assert_eq!(value(&loaded.doc), 2, "the state before the torn write");

        // The next append replaces the torn record.
        let mut doc = loaded.doc;
        doc.put(ROOT, "n", 5).unwrap();
        doc.commit();
        files.append(&doc.save_incremental()).unwrap();
        let loaded = files.load().unwrap();
        assert!(!loaded.torn_tail);
        assert_eq!(value(&loaded.doc), 5);
    }

    #[test]
    fn a_truncated_snapshot_is_reported_with_its_path_and_left_alone() {
        let (_dir, _store, files, _doc) = store_with_project();
        let path = files.snapshot_path();
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
        let err = files.load().unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }));
        assert!(err.to_string().contains("doc.automerge"), "{err}");
        assert_eq!(
            fs::read(&path).unwrap().len(),
            bytes.len() - 7,
            "not overwritten"
        );
    }

    #[test]
    fn a_damaged_record_in_the_middle_of_the_log_is_corruption() {
        let (_dir, _store, files, mut doc) = store_with_project();
        for n in 2..4 {
            doc.put(ROOT, "n", n).unwrap();
            doc.commit();
            files.append(&doc.save_incremental()).unwrap();
        }
        let mut bytes = fs::read(files.log_path()).unwrap();
        bytes[LOG_MAGIC.len() + RECORD_HEADER + 2] ^= 0xff;
        fs::write(files.log_path(), &bytes).unwrap();
        let err = files.load().unwrap_err();
        assert!(err.to_string().contains("changes.log"), "{err}");
        assert!(
            matches!(files.append(b"x"), Err(StoreError::Corrupt { .. })),
            "never written over"
        );
    }

    #[test]
    fn compaction_folds_the_log_into_the_snapshot_and_survives_a_stale_temp_file() {
        let (_dir, _store, files, mut doc) = store_with_project();
        for n in 2..10 {
            doc.put(ROOT, "n", n).unwrap();
            doc.commit();
            files.append(&doc.save_incremental()).unwrap();
        }
        // Another process appended a change this one has not seen.
        let mut other = files.load().unwrap().doc;
        other.put(ROOT, "other", true).unwrap();
        other.commit();
        files.append(&other.save_incremental()).unwrap();

        files.compact(&mut doc).unwrap();
        assert!(
            doc.get(ROOT, "other").unwrap().is_some(),
            "folded in, not lost"
        );
        let loaded = files.load().unwrap();
        assert_eq!(loaded.records, 0);
        assert_eq!(value(&loaded.doc), 9);
        // A crash while writing the next snapshot leaves a half-written temp file.
        fs::write(files.snapshot_path().with_extension("tmp"), b"half").unwrap();
        assert_eq!(value(&files.load().unwrap().doc), 9);
    }

    #[test]
    fn background_appends_compact_on_disk_without_the_document() {
        let (_dir, _store, files, mut doc) = store_with_project();
        for n in 2..(COMPACT_RECORDS as i64 + 10) {
            doc.put(ROOT, "n", n).unwrap();
            doc.commit();
            files
                .append_and_maybe_compact(&doc.save_incremental())
                .unwrap();
        }
        let loaded = files.load().unwrap();
        assert!(loaded.records < COMPACT_RECORDS, "compacted on the way");
        assert_eq!(value(&loaded.doc), COMPACT_RECORDS as i64 + 9);
    }

    #[test]
    fn garbage_in_place_of_the_log_is_corruption() {
        let (_dir, _store, files, _doc) = store_with_project();
        fs::write(files.log_path(), b"this is not a log at all").unwrap();
        assert!(matches!(files.load(), Err(StoreError::Corrupt { .. })));
    }
}
