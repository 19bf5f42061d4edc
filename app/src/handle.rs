//! One owner of each open project per process: the [`DocHandle`].
//!
//! Everyone in a process who has a project open (the UI, the sync engine, a CLI
//! command) holds a clone of the same handle, so there is one in-memory document and
//! it is never reloaded behind anyone's back:
//!
//! - a local edit is made with [`DocHandle::with`]; the engine sees it on its next tick
//!   (it saves it and cuts an entry at its batch rate);
//! - the engine applies remote changes with [`DocHandle::with`] too; the UI sees the
//!   [`DocHandle::version`] move (a listener wakes it) and rebuilds its view model;
//! - other processes' writes are picked up by [`DocHandle::refresh_from_disk`], called
//!   by the file watcher ([`crate::watch`]) off the UI thread.
//!
//! Saving appends exactly the changes that are new since the last append (each change
//! once), under the project's lock, in order ([`DocHandle::save`] holds the handle's disk
//! lock across taking the bytes and writing them). [`DocHandle::save_in_background`]
//! does the same on the handle's saver thread, so the UI never waits for an fsync.
//! Nothing is lost when a write fails: the bytes stay in a backlog and go out with the
//! next save, and the failure is kept for the person in [`DocHandle::take_notices`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use automerge::{AutoCommit, ChangeHash};
use samspill_shared::crypto::DocumentId;
use samspill_shared::model::{Project, ProjectDoc};

use crate::store::{LogTail, ProjectFiles};

/// Called (from whichever thread changed the document) after a change.
pub type Listener = Arc<dyn Fn() + Send + Sync>;

/// A shared, in-memory open project. Cheap to clone; every clone is the same document.
#[derive(Clone)]
pub struct DocHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for DocHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocHandle")
            .field("id", &self.inner.id)
            .field("version", &self.version())
            .finish_non_exhaustive()
    }
}

/// Locks are taken in one order only: `disk` before `doc`.
struct Inner {
    id: DocumentId,
    files: ProjectFiles,
    doc: Mutex<DocState>,
    /// Held across taking unsaved bytes and writing them, so appends stay in order.
    disk: Mutex<DiskState>,
    /// Moves on every change to the document, whoever made it.
    version: AtomicU64,
    /// Moves when changes reach the disk (this process's or another's).
    durable: AtomicU64,
    listeners: Mutex<Vec<(String, Listener)>>,
    saver: Mutex<Option<mpsc::Sender<()>>>,
    /// Things the person should be told (damage repaired, a failed save).
    notices: Mutex<Vec<String>>,
}

struct DocState {
    doc: ProjectDoc,
    /// Heads as of the last append: everything up to them is on disk or in the backlog.
    saved: Vec<ChangeHash>,
}

struct DiskState {
    tail: LogTail,
    /// Bytes whose write failed, written in front of the next save.
    backlog: Vec<u8>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the data as it was between two whole
    // operations (each one commits or does nothing), so it is safe to go on.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl DocHandle {
    /// Wraps a document loaded from `files` (read up to `tail`).
    /// A device holding only a viewer's key opens it read-only.
    pub fn new(files: ProjectFiles, mut doc: ProjectDoc, tail: LogTail) -> Self {
        let viewer = files
            .capability()
            .is_ok_and(|c| c.role() == samspill_shared::crypto::Role::Viewer);
        // Left out of a removal: what it had stays, read-only.
        let removed = crate::sync::persist::load(&files)
            .ok()
            .flatten()
            .is_some_and(|f| f.removed.is_some());
        doc.set_viewer(viewer || removed);
        let saved = doc.automerge_mut().get_heads();
        Self {
            inner: Arc::new(Inner {
                id: *files.id(),
                files,
                doc: Mutex::new(DocState { doc, saved }),
                disk: Mutex::new(DiskState {
                    tail,
                    backlog: Vec::new(),
                }),
                version: AtomicU64::new(0),
                durable: AtomicU64::new(0),
                listeners: Mutex::new(Vec::new()),
                saver: Mutex::new(None),
                notices: Mutex::new(Vec::new()),
            }),
        }
    }

    pub fn id(&self) -> DocumentId {
        self.inner.id
    }

    /// Makes the open document read-only from now on (this device was removed).
    pub fn set_read_only(&self) {
        lock(&self.inner.doc).doc.set_viewer(true);
        self.changed();
    }

    pub fn files(&self) -> &ProjectFiles {
        &self.inner.files
    }

    /// A reference that does not keep the project open (for the registry).
    pub fn downgrade(&self) -> WeakHandle {
        WeakHandle(Arc::downgrade(&self.inner))
    }

    /// Reads the document.
    pub fn read<R>(&self, f: impl FnOnce(&ProjectDoc) -> R) -> R {
        f(&lock(&self.inner.doc).doc)
    }

    /// The view model as of now.
    pub fn view(&self) -> Project {
        self.read(ProjectDoc::view)
    }

    /// Changes the document (or reads it mutably); when its heads moved, the version
    /// moves and the listeners hear of it.
    pub fn with<R>(&self, f: impl FnOnce(&mut ProjectDoc) -> R) -> R {
        let (result, changed) = {
            let mut state = lock(&self.inner.doc);
            let before = state.doc.automerge_mut().get_heads();
            let result = f(&mut state.doc);
            let changed = state.doc.automerge_mut().get_heads() != before;
            if changed {
                state.doc.recheck();
            }
            (result, changed)
        };
        if changed {
            self.changed();
        }
        result
    }

    /// [`Self::with`] on the Automerge document itself (the sync engine).
    pub fn with_automerge<R>(&self, f: impl FnOnce(&mut AutoCommit) -> R) -> R {
        self.with(|d| f(d.automerge_mut()))
    }

    fn changed(&self) {
        self.inner.version.fetch_add(1, Ordering::SeqCst);
        let listeners: Vec<Listener> = lock(&self.inner.listeners)
            .iter()
            .map(|(_, l)| l.clone())
            .collect();
        for l in listeners {
            l();
        }
    }

    /// Moves on every change to the document.
    pub fn version(&self) -> u64 {
        self.inner.version.load(Ordering::SeqCst)
    }

    /// Moves whenever changes reach the disk, from this process or another one.
    pub fn durable(&self) -> u64 {
        self.inner.durable.load(Ordering::SeqCst)
    }

    /// Calls `listener` after every change (e.g. to wake the UI). A listener of the
    /// same `name` is replaced.
    pub fn on_change(&self, name: impl Into<String>, listener: Listener) {
        let name = name.into();
        let mut listeners = lock(&self.inner.listeners);
        listeners.retain(|(n, _)| *n != name);
        listeners.push((name, listener));
    }

    /// Whether the document holds changes that are not on disk yet.
    pub fn has_unsaved(&self) -> bool {
        // Lock order is disk, then doc (see `save_locked`): never the other way round.
        let unsaved = {
            let mut state = lock(&self.inner.doc);
            let heads = state.doc.automerge_mut().get_heads();
            heads != state.saved
        };
        unsaved || !lock(&self.inner.disk).backlog.is_empty()
    }

    /// Appends every change not yet on disk (fsynced) and returns once it is there.
    pub fn save(&self) -> anyhow::Result<()> {
        let mut disk = lock(&self.inner.disk);
        self.save_locked(&mut disk)
    }

    fn save_locked(&self, disk: &mut DiskState) -> anyhow::Result<()> {
        {
            let mut state = lock(&self.inner.doc);
            let heads = state.doc.automerge_mut().get_heads();
            if heads != state.saved {
                let saved = std::mem::replace(&mut state.saved, heads);
                let bytes = state.doc.automerge_mut().save_after(&saved);
                disk.backlog.extend_from_slice(&bytes);
            }
        }
        if disk.backlog.is_empty() {
            return Ok(());
        }
        match self.inner.files.append(&disk.backlog) {
            Ok(outcome) => {
                disk.backlog.clear();
                self.inner.durable.fetch_add(1, Ordering::SeqCst);
                if !outcome.recovered.is_empty() {
                    self.after_repair(outcome.recovered);
                }
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Saves on the handle's saver thread; returns at once. A failure is kept for
    /// [`Self::take_notices`] and the listeners are woken.
    pub fn save_in_background(&self) {
        let mut saver = lock(&self.inner.saver);
        if saver.is_none() {
            let (tx, rx) = mpsc::channel::<()>();
            let weak = Arc::downgrade(&self.inner);
            let spawned = std::thread::Builder::new()
                .name("samspill-saver".to_owned())
                .spawn(move || {
                    while rx.recv().is_ok() {
                        // One save covers every request queued meanwhile.
                        while rx.try_recv().is_ok() {}
                        let Some(inner) = weak.upgrade() else { return };
                        let handle = DocHandle { inner };
                        if let Err(e) = handle.save() {
                            handle.notice(format!("{e:#}"));
                            handle.changed();
                        }
                    }
                });
            match spawned {
                Ok(_) => *saver = Some(tx),
                Err(e) => {
                    drop(saver);
                    tracing::warn!("could not start a saver thread ({e}); saving in place");
                    if let Err(e) = self.save() {
                        self.notice(format!("{e:#}"));
                    }
                    return;
                }
            }
        }
        if let Some(tx) = saver.as_ref()
            && tx.send(()).is_err()
        {
            *saver = None;
        }
    }

    /// Picks up what other processes wrote to the project's files and merges it in.
    /// Returns whether the document changed. Unsaved local changes are appended first
    /// (in the same step), so nothing is written twice and nothing is skipped.
    pub fn refresh_from_disk(&self) -> anyhow::Result<bool> {
        let mut disk = lock(&self.inner.disk);
        let files = &self.inner.files;
        let (incoming, tail, recovered) = match files.read_since(disk.tail)? {
            Some((records, tail)) => (Incoming::Records(records), tail, Vec::new()),
            None => {
                let loaded = files.load()?;
                (
                    Incoming::Doc(Box::new(loaded.doc)),
                    loaded.tail,
                    loaded.recovered,
                )
            }
        };
        let repaired = !recovered.is_empty();
        if repaired {
            self.after_repair(recovered);
        }
        let changed = {
            let mut state = lock(&self.inner.doc);
            let before = state.doc.automerge_mut().get_heads();
            if before != state.saved {
                let saved = std::mem::replace(&mut state.saved, before.clone());
                let bytes = state.doc.automerge_mut().save_after(&saved);
                disk.backlog.extend_from_slice(&bytes);
            }
            let am = state.doc.automerge_mut();
            let merged = match incoming {
                Incoming::Records(records) => am.load_incremental(&records.concat()).map(drop),
                Incoming::Doc(mut other) => am.merge(&mut other).map(drop),
            };
            let after = am.get_heads();
            // After a repair the log may lack changes this document holds: write it
            // whole again (duplicates are harmless).
            state.saved = if repaired { Vec::new() } else { after.clone() };
            if after != before {
                state.doc.recheck();
            }
            merged.map_err(|e| anyhow::anyhow!("could not merge changes from disk: {e}"))?;
            after != before
        };
        disk.tail = tail;
        // Our own changes that were in memory only go to disk now.
        self.save_locked(&mut disk)?;
        drop(disk);
        if changed {
            self.inner.durable.fetch_add(1, Ordering::SeqCst);
            self.changed();
        }
        Ok(changed)
    }

    /// The files were repaired: what this document holds that the log may have lost is
    /// written again with the next save, the relay is asked to refill the rest, and the
    /// person is told.
    fn after_repair(&self, notices: Vec<String>) {
        lock(&self.inner.doc).saved.clear();
        if let Err(e) = crate::sync::persist::refill_after_damage(&self.inner.files) {
            lock(&self.inner.notices).push(format!("{e:#}"));
        }
        lock(&self.inner.notices).extend(notices);
    }

    fn notice(&self, text: String) {
        lock(&self.inner.notices).push(text);
    }

    /// What the person should be told since the last call (repaired damage, a save that
    /// failed and will be retried).
    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.inner.notices))
    }

    /// Adds notices found while opening.
    pub(crate) fn add_notices(&self, notices: Vec<String>) {
        lock(&self.inner.notices).extend(notices);
    }
}

/// A [`DocHandle`] that does not keep its project open.
#[derive(Clone)]
pub struct WeakHandle(Weak<Inner>);

impl std::fmt::Debug for WeakHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WeakHandle")
    }
}

impl WeakHandle {
    pub fn upgrade(&self) -> Option<DocHandle> {
        self.0.upgrade().map(|inner| DocHandle { inner })
    }
}

enum Incoming {
    Records(Vec<Vec<u8>>),
    Doc(Box<AutoCommit>),
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last holder is gone: whatever is still in memory goes to disk now.
        let state = self
            .doc
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let heads = state.doc.automerge_mut().get_heads();
        let disk = self
            .disk
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if heads != state.saved {
            let bytes = state.doc.automerge_mut().save_after(&state.saved);
            disk.backlog.extend_from_slice(&bytes);
        }
        if !disk.backlog.is_empty()
            && let Err(e) = self.files.append(&disk.backlog)
        {
            tracing::error!(project = %self.id, "could not save the last changes: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::device::{Access, Device};
    use samspill_shared::model::NewProject;

    fn project(device: &Device) -> DocHandle {
        let template = samspill_shared::content::library()
            .template("four-phase")
            .unwrap();
        device
            .create_project(&NewProject {
                template,
                title: "Delt",
                language: None,
            })
            .unwrap()
    }

    #[test]
    fn another_processes_append_is_merged_by_a_refresh() {
        let dir = tempfile::tempdir().unwrap();
        let app = Device::open(dir.path()).unwrap();
        let mine = project(&app);
        let id = mine.id();
        // The CLI, another process: its own device, its own load.
        let cli = Device::open(dir.path()).unwrap();
        let theirs = cli.open_project(&id, Access::Edit).unwrap();
        let phase = theirs.view().phases[0].id.parse().unwrap();
        theirs.with(|d| d.add_task(&phase, "Fra CLI")).unwrap();
        theirs.save().unwrap();
        let before = mine.version();
        assert!(mine.refresh_from_disk().unwrap(), "merged");
        assert_ne!(mine.version(), before);
        assert!(
            mine.view().phases[0]
                .tasks
                .iter()
                .any(|t| t.title == "Fra CLI")
        );
        assert!(
            !mine.refresh_from_disk().unwrap(),
            "nothing new the second time"
        );
    }

    #[test]
    fn unsaved_local_changes_survive_a_refresh_and_are_appended_once() {
        let dir = tempfile::tempdir().unwrap();
        let app = Device::open(dir.path()).unwrap();
        let mine = project(&app);
        let phase = mine.view().phases[0].id.parse().unwrap();
        mine.with(|d| d.add_task(&phase, "I minnet")).unwrap();
        let cli = Device::open(dir.path()).unwrap();
        let theirs = cli.open_project(&mine.id(), Access::Edit).unwrap();
        theirs.with(|d| d.add_task(&phase, "Fra CLI")).unwrap();
        theirs.save().unwrap();
        mine.refresh_from_disk().unwrap();
        assert!(!mine.has_unsaved(), "written in the same step");
        let fresh = Device::open(dir.path()).unwrap();
        let titles: Vec<String> = fresh
            .open_project(&mine.id(), Access::Read)
            .unwrap()
            .view()
            .phases[0]
            .tasks
            .iter()
            .map(|t| t.title.clone())
            .collect();
        assert!(titles.contains(&"I minnet".to_owned()), "{titles:?}");
        assert!(titles.contains(&"Fra CLI".to_owned()), "{titles:?}");
    }
}
