//! This device: its data directory, store and profile, and opening projects.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use automerge::ActorId;
use samspill_shared::content::Library;
use samspill_shared::crypto::{
    Capability, DEVICE_IDENTITY_LEN, DeviceIdentity, DocumentId, ProjectSecret,
};
use samspill_shared::ids::Entropy;
use samspill_shared::model::{Clock, Editor, NewProject, PersonFields, ProjectDoc};

use crate::handle::{DocHandle, WeakHandle};
use crate::profile::Profile;
use crate::store::Store;

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// The operating system's randomness.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, buf: &mut [u8]) {
        // getrandom fails only on platforms without a randomness source, where nothing
        // safe can be done: a secret must never be made from predictable bytes.
        #[allow(clippy::expect_used)]
        getrandom::fill(buf).expect("the operating system has no source of randomness"); // ok: see above
    }
}

/// The device's identity file, beside the profile: 64 bytes, readable by this user only.
pub const IDENTITY_FILE: &str = "device.key";

/// Reads this device's identity, making it on first start. A damaged file is moved
/// aside (`device.key.damaged-SECONDS`) and a new identity made: it only matters for
/// being handed new keys after someone is removed, and a new one is published at once.
fn load_identity(data_dir: &Path) -> anyhow::Result<DeviceIdentity> {
    let path = data_dir.join(IDENTITY_FILE);
    for attempt in 0..2 {
        match std::fs::read(&path) {
            Ok(bytes) => {
                let bytes = zeroize::Zeroizing::new(bytes);
                if let Ok(arr) = <&[u8; DEVICE_IDENTITY_LEN]>::try_from(bytes.as_slice()) {
                    return Ok(DeviceIdentity::from_bytes(arr));
                }
                let secs = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let aside = data_dir.join(format!("{IDENTITY_FILE}.damaged-{secs}"));
                std::fs::rename(&path, &aside).with_context(|| {
                    format!("could not move the damaged {} aside", path.display())
                })?;
                tracing::warn!(path = %aside.display(), "this device's identity file was damaged; a new identity is made");
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("could not read {}", path.display())),
        }
        let mut bytes = zeroize::Zeroizing::new([0u8; DEVICE_IDENTITY_LEN]);
        OsEntropy.fill(&mut *bytes);
        match crate::store::write_private(&path, &*bytes) {
            Ok(()) => return Ok(DeviceIdentity::from_bytes(&bytes)),
            // Another process made it first: read theirs.
            Err(_) if attempt == 0 && path.exists() => {}
            Err(e) => return Err(e.into()),
        }
    }
    anyhow::bail!(
        "could not make this device's identity in {}",
        path.display()
    )
}

/// The platform data directory, unless `--data-dir` / `SAMSPILL_DATA_DIR` says otherwise.
pub fn default_data_dir() -> anyhow::Result<PathBuf> {
    directories::ProjectDirs::from("no", "Samspill", "samspill")
        .map(|d| d.data_dir().to_owned())
        .context("could not find a home directory for the data; pass --data-dir")
}

/// Fills `buf` from the operating system's randomness.
pub fn fill_random(buf: &mut [u8]) {
    OsEntropy.fill(buf);
}

/// A fresh Automerge actor. Every opening of a project takes its own, so no two
/// writers (processes, or two openings in one process) ever share an actor id; the
/// person is recorded in each change's message (see `model`).
pub(crate) fn fresh_actor() -> ActorId {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes);
    ActorId::from(bytes.as_slice())
}

/// This device's store and profile, and the projects this process has open.
#[derive(Debug, Clone)]
pub struct Device {
    pub store: Store,
    pub profile: Profile,
    /// This device's keys; their public halves go into every project it edits.
    pub identity: Arc<DeviceIdentity>,
    open: Arc<Mutex<BTreeMap<DocumentId, WeakHandle>>>,
}

/// Whether a project is opened to change it (this device's person is then added to the
/// project's people) or only to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Edit,
}

impl Device {
    pub fn open(data_dir: &Path) -> anyhow::Result<Self> {
        let store = Store::open(data_dir)?;
        let profile = Profile::load_or_create(data_dir, &mut OsEntropy)?;
        let identity = Arc::new(load_identity(data_dir)?);
        Ok(Self {
            store,
            profile,
            identity,
            open: Arc::default(),
        })
    }

    pub fn editor(&self) -> Editor {
        Editor {
            author: self.profile.person_id.clone(),
            clock: Box::new(SystemClock),
            entropy: Box::new(OsEntropy),
        }
    }

    /// Finds a project by its id or any unique prefix of it.
    pub fn resolve(&self, prefix: &str) -> anyhow::Result<DocumentId> {
        let prefix = prefix.trim().to_ascii_lowercase();
        if prefix.is_empty() {
            bail!("give a project id (or the start of one); `samspill list` shows them");
        }
        let matches: Vec<DocumentId> = self
            .store
            .list()?
            .into_iter()
            .filter(|id| id.to_string().starts_with(&prefix))
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => bail!("no project id starts with “{prefix}”; `samspill list` shows them"),
            many => bail!(
                "“{prefix}” matches {} projects; give more of the id",
                many.len()
            ),
        }
    }

    /// Creates a project from a template and stores it.
    pub fn create_project(&self, new: &NewProject<'_>) -> anyhow::Result<DocHandle> {
        let mut secret = [0u8; 32];
        OsEntropy.fill(&mut secret);
        let secret = Capability::Editor(ProjectSecret::from_bytes(secret));
        let mut doc = ProjectDoc::create(new, fresh_actor(), self.editor())?;
        self.add_me(&mut doc)?;
        self.adopt(&secret, doc)
    }

    /// Stores an existing document (an import, or a project joined from a relay).
    pub fn adopt(&self, secret: &Capability, mut doc: ProjectDoc) -> anyhow::Result<DocHandle> {
        let files = self.store.create(secret, doc.automerge_mut())?;
        let tail = files.load()?.tail;
        let handle = DocHandle::new(files, doc, tail);
        self.register(&handle);
        Ok(handle)
    }

    fn register(&self, handle: &DocHandle) {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        open.retain(|_, w| w.upgrade().is_some());
        open.insert(handle.id(), handle.downgrade());
    }

    /// The handle of a project this process has open already, if any.
    pub fn open_handle(&self, id: &DocumentId) -> Option<DocHandle> {
        let open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        open.get(id).and_then(WeakHandle::upgrade)
    }

    /// Every project this process has open.
    pub fn open_handles(&self) -> Vec<DocHandle> {
        let open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        open.values().filter_map(WeakHandle::upgrade).collect()
    }

    /// Opens a project: the handle this process already has, or a fresh load. Damage
    /// found while loading is repaired (see `store`) and kept as notices on the handle;
    /// a shared project then resubscribes from the start, so the relay refills what
    /// was lost.
    pub fn open_project(&self, id: &DocumentId, access: Access) -> anyhow::Result<DocHandle> {
        let handle = match self.open_handle(id) {
            Some(h) => h,
            None => {
                let files = self.store.project(id)?;
                let loaded = files.load()?;
                if loaded.torn_tail {
                    tracing::warn!(path = %files.log_path().display(), "the last change was cut short by a crash and is dropped");
                }
                if !loaded.recovered.is_empty() {
                    crate::sync::persist::refill_after_damage(&files)?;
                }
                // A document without its first changes (lost to damage) opens
                // read-only until sync brings them back.
                let doc = ProjectDoc::open_incomplete(loaded.doc, fresh_actor(), self.editor())
                    .with_context(|| {
                        format!(
                            "{} is not a Samspill project",
                            files.snapshot_path().display()
                        )
                    })?;
                let handle = DocHandle::new(files, doc, loaded.tail);
                handle.add_notices(loaded.recovered);
                // Another thread may have opened it meanwhile: there is one handle.
                let mut open = self
                    .open
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match open.get(id).and_then(WeakHandle::upgrade) {
                    Some(existing) => existing,
                    None => {
                        open.retain(|_, w| w.upgrade().is_some());
                        open.insert(*id, handle.downgrade());
                        handle
                    }
                }
            }
        };
        if access == Access::Edit && !handle.read(ProjectDoc::is_read_only) {
            handle.with(|doc| self.add_me(doc))?;
            handle.save()?;
        }
        Ok(handle)
    }

    /// Puts this device's person into the project's people, or updates them.
    fn add_me(&self, doc: &mut ProjectDoc) -> anyhow::Result<()> {
        let p = &self.profile;
        if doc.is_read_only() || p.name.is_empty() {
            return Ok(());
        }
        let view = doc.view();
        let existing = view.person(p.person_id.as_str());
        let device = self.identity.device_id();
        if existing.is_some_and(|x| {
            x.name == p.name
                && x.centre == p.centre
                && x.colour == p.colour
                && x.devices.iter().any(|d| d.id == device)
        }) {
            return Ok(());
        }
        let role = existing.map(|x| x.role.clone()).unwrap_or_default();
        doc.upsert_person(
            &p.person_id,
            &PersonFields {
                name: &p.name,
                centre: &p.centre,
                role: &role,
                colour: &p.colour,
            },
        )?;
        doc.publish_device(&p.person_id, &self.identity.public())?;
        Ok(())
    }

    /// The compiled-in content library.
    pub fn library(&self) -> &'static Library {
        samspill_shared::content::library()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn the_identity_is_made_once_kept_private_and_replaced_when_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_identity(dir.path()).unwrap();
        let path = dir.path().join(IDENTITY_FILE);
        assert_eq!(std::fs::read(&path).unwrap().len(), DEVICE_IDENTITY_LEN);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            load_identity(dir.path()).unwrap().public(),
            first.public(),
            "the same identity on every start"
        );
        // A damaged file is moved aside, never used, and a new identity made.
        std::fs::write(&path, b"short").unwrap();
        let second = load_identity(dir.path()).unwrap();
        assert_ne!(second.public(), first.public());
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(std::fs::read(aside[0].path()).unwrap(), b"short");
    }
}
