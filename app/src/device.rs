//! This device: its data directory, store and profile, and opening projects.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use automerge::ActorId;
use samspill_shared::content::Library;
use samspill_shared::crypto::{DocumentId, ProjectSecret};
use samspill_shared::ids::Entropy;
use samspill_shared::model::{Clock, Editor, NewProject, PersonFields, ProjectDoc};

use crate::profile::Profile;
use crate::store::{ProjectFiles, Store};

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
        getrandom::fill(buf).expect("the operating system has no source of randomness");
    }
}

/// The platform data directory, unless `--data-dir` / `SAMSPILL_DATA_DIR` says otherwise.
pub fn default_data_dir() -> anyhow::Result<PathBuf> {
    directories::ProjectDirs::from("no", "Samspill", "samspill")
        .map(|d| d.data_dir().to_owned())
        .context("could not find a home directory for the data; pass --data-dir")
}

/// This device's store and profile.
#[derive(Debug, Clone)]
pub struct Device {
    pub store: Store,
    pub profile: Profile,
    actor: ActorId,
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
        let actor = profile
            .actor_id()
            .context("the profile's actor id is damaged")?;
        Ok(Self {
            store,
            profile,
            actor,
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
    pub fn create_project(&self, new: &NewProject<'_>) -> anyhow::Result<LocalProject> {
        let mut secret = [0u8; 32];
        OsEntropy.fill(&mut secret);
        let secret = ProjectSecret::from_bytes(secret);
        let mut doc = ProjectDoc::create(new, self.actor.clone(), self.editor())?;
        self.add_me(&mut doc)?;
        let files = self.store.create(&secret, doc.automerge_mut())?;
        Ok(LocalProject {
            id: *files.id(),
            files,
            doc,
            records: 0,
            log_len: 0,
        })
    }

    /// Stores an existing document (an import, or a project joined from a relay).
    pub fn adopt(
        &self,
        secret: &ProjectSecret,
        mut doc: ProjectDoc,
    ) -> anyhow::Result<LocalProject> {
        let files = self.store.create(secret, doc.automerge_mut())?;
        Ok(LocalProject {
            id: *files.id(),
            files,
            doc,
            records: 0,
            log_len: 0,
        })
    }

    pub fn open_project(&self, id: &DocumentId, access: Access) -> anyhow::Result<LocalProject> {
        let files = self.store.project(id)?;
        let loaded = files.load()?;
        if loaded.torn_tail {
            tracing::warn!(path = %files.log_path().display(), "the last change was cut short by a crash and is dropped");
        }
        let doc =
            ProjectDoc::open(loaded.doc, self.actor.clone(), self.editor()).with_context(|| {
                format!(
                    "{} is not a Samspill project",
                    files.snapshot_path().display()
                )
            })?;
        let mut project = LocalProject {
            id: *id,
            files,
            doc,
            records: loaded.records,
            log_len: loaded.log_len,
        };
        if access == Access::Edit && !project.doc.is_read_only() {
            self.add_me(&mut project.doc)?;
            project.save()?;
        }
        Ok(project)
    }

    /// Puts this device's person into the project's people, or updates them.
    fn add_me(&self, doc: &mut ProjectDoc) -> anyhow::Result<()> {
        let p = &self.profile;
        if doc.is_read_only() || p.name.is_empty() {
            return Ok(());
        }
        let fields = PersonFields {
            name: &p.name,
            centre: &p.centre,
            role: "",
            colour: &p.colour,
        };
        let role = doc
            .view()
            .person(p.person_id.as_str())
            .map(|x| x.role.clone())
            .unwrap_or_default();
        doc.upsert_person(
            &p.person_id,
            &PersonFields {
                role: &role,
                ..fields
            },
        )?;
        Ok(())
    }

    /// The compiled-in content library.
    pub fn library(&self) -> &'static Library {
        samspill_shared::content::library()
    }
}

/// A project opened on this device: its document and its files.
#[derive(Debug)]
pub struct LocalProject {
    pub id: DocumentId,
    pub files: ProjectFiles,
    pub doc: ProjectDoc,
    records: usize,
    log_len: u64,
}

impl LocalProject {
    /// The changes made since the last save, taken out to be written elsewhere (with
    /// [`ProjectFiles::append_and_maybe_compact`], e.g. on a background thread). Empty
    /// when there is nothing new.
    pub fn take_unsaved(&mut self) -> Vec<u8> {
        self.doc.automerge_mut().save_incremental()
    }

    /// Persists every change made since the last save (fsynced), compacting the log
    /// now and then.
    pub fn save(&mut self) -> anyhow::Result<()> {
        let bytes = self.doc.automerge_mut().save_incremental();
        if bytes.is_empty() {
            return Ok(());
        }
        self.records = self.files.append(&bytes)?;
        self.log_len += bytes.len() as u64 + 12;
        if ProjectFiles::should_compact_now(self.records, self.log_len) {
            self.files.compact(self.doc.automerge_mut())?;
            self.records = 0;
            self.log_len = 0;
        }
        Ok(())
    }
}
