//! The project document: one Automerge document per project.
//!
//! [`ProjectDoc`] wraps an [`AutoCommit`] and offers the operations the UI and the CLI
//! share. Every operation is one Automerge change carrying a short message and the
//! author's person id (see [`ChangeMeta`]). The layout of the document is documented
//! path by path in `docs/schema.md`; in short:
//!
//! - collections people add to, remove from or reorder are maps keyed by a random id,
//!   each item carrying an `order` key (see [`order`]), so a reorder writes one field;
//! - free text several people edit is Automerge Text, changed by splices computed from
//!   the old and the new string, so concurrent edits merge character by character;
//! - `schema` at the root says which layout the document uses. Older documents are
//!   migrated forward; a newer document is opened read-only.
//!
//! Time and randomness come in through [`Editor`], so this module does no I/O.

pub mod history;
mod import;
pub mod order;
mod read;
pub mod run;
pub mod view;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, AutoCommit, AutomergeError, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
};
use serde::{Deserialize, Serialize};

use crate::content::{Lang, Library, Template};
use crate::ids::{
    AgendaId, Entropy, GatheringId, ItemId, LogId, PersonId, PhaseId, TaskId, WorkId,
};
pub use view::*;
// Dates live in one module (`crate::dates`, jiff); the model checks and stores them.
pub use crate::dates::{date_of_ms, display_date, normalize_date, normalize_time, parse_date};

/// The document layout this build writes.
pub const SCHEMA_VERSION: u64 = 3;

/// Errors from reading or changing a project.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(
        "this project was made by a newer version of Samspill (schema {0}); it is open read-only — update Samspill to edit it"
    )]
    ReadOnly(u64),
    #[error(
        "this copy of the project is incomplete after damage on this device; it is read-only until the rest arrives from the relay"
    )]
    Incomplete,
    #[error(
        "this device has read access only to the project (Du har lesetilgang): it joined from a viewer's link, so it cannot change anything"
    )]
    Viewer,
    #[error("no {what} with id “{id}” in this project")]
    NotFound { what: &'static str, id: String },
    #[error("“{0}” is not a date; use YYYY-MM-DD")]
    InvalidDate(String),
    #[error("“{0}” is not a time; use HH:MM")]
    InvalidTime(String),
    #[error("“{0}” is not a colour; use #RRGGBB")]
    InvalidColour(String),
    #[error("unknown template “{0}”; `samspill templates` lists them")]
    UnknownTemplate(String),
    #[error("the text is empty")]
    EmptyText,
    #[error("the gathering is not running")]
    NotRunning,
    #[error("“{0}” matches more than one change; give more of the hash")]
    Ambiguous(String),
    #[error("this is not a Samspill project: {0}")]
    NotAProject(String),
    #[error("the Automerge document could not be changed: {0}")]
    Automerge(#[from] AutomergeError),
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;

/// A source of the current time, in milliseconds since the Unix epoch.
pub trait Clock: Send {
    fn now_ms(&self) -> i64;
}

/// A clock that always says the same time (tests, simulations).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.0
    }
}

/// Who is editing, and the time and randomness their operations use.
pub struct Editor {
    pub author: PersonId,
    pub clock: Box<dyn Clock>,
    pub entropy: Box<dyn Entropy>,
}

impl std::fmt::Debug for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editor")
            .field("author", &self.author)
            .finish_non_exhaustive()
    }
}

/// What every change's message holds, JSON-encoded: the author's person id and a short
/// description. Other Automerge implementations read it from the change's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeMeta {
    pub by: String,
    pub msg: String,
}

impl ChangeMeta {
    /// Reads a change message; a message not written by Samspill becomes `msg` alone.
    pub fn parse(message: &str) -> Self {
        serde_json::from_str(message).unwrap_or_else(|_| ChangeMeta {
            by: String::new(),
            msg: message.to_owned(),
        })
    }
}

/// Collections at the root of the document, in the order they are created.
const ROOT_MAPS: [&str; 7] = [
    "meta",
    "people",
    "phases",
    "gatherings",
    "between_work",
    "log",
    "checkpoints",
];

/// A project document and the editor changing it.
pub struct ProjectDoc {
    doc: AutoCommit,
    editor: Editor,
    schema: u64,
    /// Opened by a device holding only a viewer's capability: every change is refused.
    viewer: bool,
}

impl std::fmt::Debug for ProjectDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectDoc")
            .field("schema", &self.schema)
            .field("editor", &self.editor)
            .finish_non_exhaustive()
    }
}

/// How a new project starts.
#[derive(Debug, Clone)]
pub struct NewProject<'a> {
    pub template: &'a Template,
    pub title: &'a str,
    /// `None` uses the template's first language.
    pub language: Option<Lang>,
}

impl ProjectDoc {
    /// Creates a project from a template, as one change by the editor.
    pub fn create(new: &NewProject<'_>, actor: ActorId, editor: Editor) -> Result<Self> {
        let title = new.title.trim();
        if title.is_empty() {
            return Err(ModelError::EmptyText);
        }
        let template = new.template;
        let lang = new
            .language
            .filter(|l| template.languages.contains(l))
            .unwrap_or_else(|| template.default_language());
        let mut doc = AutoCommit::new();
        doc.set_actor(actor);
        let mut this = Self {
            doc,
            editor,
            schema: SCHEMA_VERSION,
            viewer: false,
        };
        this.doc.put(ROOT, "schema", SCHEMA_VERSION)?;
        for name in ROOT_MAPS {
            this.doc.put_object(ROOT, name, ObjType::Map)?;
        }
        let meta = this.root_map("meta")?;
        this.put_text(&meta, "title", title)?;
        for key in ["goal", "service"] {
            this.put_text(&meta, key, "")?;
        }
        for key in ["start_date", "end_date"] {
            this.doc.put(&meta, key, "")?;
        }
        this.doc.put(&meta, "template", template.id.as_str())?;
        this.doc.put(&meta, "language", lang.code())?;
        this.doc.put(&meta, "archived", false)?;

        let phases = this.root_map("phases")?;
        let mut last: Option<String> = None;
        for tp in &template.phases {
            let key = order::between(last.as_deref(), None);
            let phase = this.doc.put_object(&phases, tp.id.as_str(), ObjType::Map)?;
            this.doc.put(&phase, "order", key.as_str())?;
            last = Some(key);
            this.doc.put(&phase, "kind", tp.kind.to_string())?;
            this.put_text(&phase, "name", tp.name.get(lang))?;
            this.doc
                .put(&phase, "status", PhaseStatus::NotStarted.as_str())?;
            this.doc
                .put(&phase, "guide", format!("{}/{}", template.id, tp.id))?;
            this.put_text(&phase, "notes", "")?;
            let tasks = this.doc.put_object(&phase, "tasks", ObjType::Map)?;
            for t in &tp.tasks {
                let id = TaskId::random(this.editor.entropy.as_mut());
                this.new_task(&tasks, &id, t.get(lang))?;
            }
            let checklist = this.doc.put_object(&phase, "checklist", ObjType::Map)?;
            for c in &tp.checklist {
                let id = ItemId::random(this.editor.entropy.as_mut());
                this.new_check_item(&checklist, &id, c.get(lang))?;
            }
        }
        let gatherings = this.root_map("gatherings")?;
        let between = this.root_map("between_work")?;
        for tg in &template.gatherings {
            let gid = GatheringId::random(this.editor.entropy.as_mut());
            let g = this.new_gathering(&gatherings, &gid, tg.title.get(lang))?;
            let agenda = this.child_map(&g, "agenda")?;
            for item in &tg.agenda {
                let aid = AgendaId::random(this.editor.entropy.as_mut());
                let method = item.method.as_deref().unwrap_or("");
                this.new_agenda_item(&agenda, &aid, item.title.get(lang), item.minutes, method)?;
            }
            for w in &tg.between_work {
                let wid = WorkId::random(this.editor.entropy.as_mut());
                let work = this.new_between_work(&between, &wid, w.get(lang))?;
                this.doc.put(&work, "gathering", gid.as_str())?;
            }
        }
        let msg = format!("Created “{title}” from template {}", template.id);
        this.commit(&msg);
        Ok(this)
    }

    /// Opens a document: migrates an older layout forward (as a change by the editor)
    /// and opens a newer one read-only.
    pub fn open(mut doc: AutoCommit, actor: ActorId, editor: Editor) -> Result<Self> {
        doc.set_actor(actor);
        let schema = match doc.get(ROOT, "schema")? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Uint(n) => *n,
                ScalarValue::Int(n) => u64::try_from(*n).unwrap_or(0),
                _ => 0,
            },
            _ => 0,
        };
        if schema == 0 {
            return Err(ModelError::NotAProject(
                "it has no schema version at its root".to_owned(),
            ));
        }
        let mut this = Self {
            doc,
            editor,
            schema,
            viewer: false,
        };
        if schema < SCHEMA_VERSION {
            this.migrate()?;
        }
        Ok(this)
    }

    /// Opens what is left of a damaged document: one without a schema (its first
    /// changes were lost) opens read-only and empty, and becomes a project again once
    /// the missing changes arrive (see [`Self::recheck`]).
    pub fn open_incomplete(doc: AutoCommit, actor: ActorId, editor: Editor) -> Result<Self> {
        match Self::read_schema(&doc)? {
            0 => {
                let mut doc = doc;
                doc.set_actor(actor);
                Ok(Self {
                    doc,
                    editor,
                    schema: 0,
                    viewer: false,
                })
            }
            _ => Self::open(doc, actor, editor),
        }
    }

    /// After changes arrived: an incomplete document that has its schema now is a
    /// project again.
    pub fn recheck(&mut self) {
        if self.schema == 0
            && let Ok(n) = Self::read_schema(&self.doc)
        {
            self.schema = n;
        }
    }

    /// Whether this is a damaged copy still waiting for its first changes.
    pub fn is_incomplete(&self) -> bool {
        self.schema == 0
    }

    fn read_schema(doc: &AutoCommit) -> Result<u64> {
        Ok(match doc.get(ROOT, "schema")? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Uint(n) => *n,
                ScalarValue::Int(n) => u64::try_from(*n).unwrap_or(0),
                _ => 0,
            },
            _ => 0,
        })
    }

    /// Loads a document from bytes (a `save()` or a `.automerge` export).
    pub fn load(bytes: &[u8], actor: ActorId, editor: Editor) -> Result<Self> {
        let doc = AutoCommit::load(bytes).map_err(|e| ModelError::NotAProject(e.to_string()))?;
        Self::open(doc, actor, editor)
    }

    /// Brings an older layout forward, as one change.
    fn migrate(&mut self) -> Result<()> {
        let from = self.schema;
        self.migrate_steps()?;
        self.commit(&format!("Migrated from schema {from} to {}", self.schema));
        Ok(())
    }

    /// Layout changes from older schemas, applied in order (without committing).
    ///
    /// - 1 → 2: schema 1 (before the first release) had no `between_work` or `log`
    ///   collections and stored task titles and checklist texts as plain strings.
    /// - 2 → 3: adds `checkpoints` at the root and a `run` map to every gathering.
    fn migrate_steps(&mut self) -> Result<()> {
        if self.schema <= 1 {
            for name in [
                "meta",
                "people",
                "phases",
                "gatherings",
                "between_work",
                "log",
            ] {
                if read::map(&self.doc, &ROOT, name).is_none() {
                    self.doc.put_object(ROOT, name, ObjType::Map)?;
                }
            }
            for (_, phase) in read::entries(&self.doc, &self.root_map("phases")?) {
                for (coll, field) in [("tasks", "title"), ("checklist", "text")] {
                    let Some(items) = read::map(&self.doc, &phase, coll) else {
                        continue;
                    };
                    for (_, item) in read::entries(&self.doc, &items) {
                        let old = match self.doc.get(&item, field)? {
                            Some((Value::Scalar(s), _)) => match s.as_ref() {
                                ScalarValue::Str(old) => Some(old.to_string()),
                                _ => None,
                            },
                            _ => None,
                        };
                        if let Some(old) = old {
                            self.put_text(&item, field, &old)?;
                        }
                    }
                }
            }
            self.schema = 2;
        }
        if self.schema == 2 {
            if read::map(&self.doc, &ROOT, "checkpoints").is_none() {
                self.doc.put_object(ROOT, "checkpoints", ObjType::Map)?;
            }
            for (_, g) in read::entries(&self.doc, &self.root_map("gatherings")?) {
                if read::map(&self.doc, &g, "run").is_none() {
                    run::create_run_map(&mut self.doc, &g)?;
                }
            }
            self.schema = 3;
        }
        self.doc.put(ROOT, "schema", self.schema)?;
        Ok(())
    }

    /// The schema version of the document as opened (after any migration).
    pub fn schema(&self) -> u64 {
        self.schema
    }

    /// A document from a newer Samspill, or opened by a viewer, is read-only here.
    pub fn is_read_only(&self) -> bool {
        self.viewer || self.schema > SCHEMA_VERSION || self.schema == 0
    }

    /// Marks the document as opened by a viewer (or not): changes are then refused.
    pub fn set_viewer(&mut self, viewer: bool) {
        self.viewer = viewer;
    }

    /// Whether this device may only read the project (a viewer).
    pub fn is_viewer(&self) -> bool {
        self.viewer
    }

    pub fn author(&self) -> &PersonId {
        &self.editor.author
    }

    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    /// Direct access for syncing and storage (applying remote changes, saving).
    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// Reads the whole project into a view model.
    pub fn view(&self) -> Project {
        read::project(&self.doc)
    }

    // ----- relays -----

    /// The relays this project has been put on (`relays.<url>`), so members who came
    /// in another way (a link for the local network) find them. Reads every
    /// concurrently made `relays` map, so two devices that both added the first relay
    /// offline lose neither.
    pub fn relays(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .doc
            .get_all(ROOT, "relays")
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(v, id)| matches!(v, automerge::Value::Object(ObjType::Map)).then_some(id))
            .flat_map(|m| self.doc.keys(&m).collect::<Vec<_>>())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Records a relay the project was put on (see [`Self::relays`]); nothing changes
    /// when it is there already.
    pub fn add_relay(&mut self, url: &str) -> Result<()> {
        self.writable()?;
        if self.relays().iter().any(|r| r == url) {
            return Ok(());
        }
        let relays = match read::map(&self.doc, &ROOT, "relays") {
            Some(m) => m,
            None => self.doc.put_object(ROOT, "relays", ObjType::Map)?,
        };
        let secs = self.editor.clock.now_ms().div_euclid(1000);
        self.doc.put(&relays, url, secs)?;
        self.commit("Shared through a relay");
        Ok(())
    }

    // ----- meta and people -----

    pub fn set_title(&mut self, title: &str) -> Result<()> {
        self.set_meta_text("title", title, "Renamed the project")
    }

    pub fn set_goal(&mut self, goal: &str) -> Result<()> {
        self.set_meta_text("goal", goal, "Edited the goal")
    }

    pub fn set_service(&mut self, service: &str) -> Result<()> {
        self.set_meta_text("service", service, "Edited the service")
    }

    fn set_meta_text(&mut self, key: &str, value: &str, msg: &str) -> Result<()> {
        self.writable()?;
        let meta = self.root_map("meta")?;
        if read::text(&self.doc, &meta, key) == value {
            return Ok(());
        }
        self.put_text(&meta, key, value)?;
        self.commit(msg);
        Ok(())
    }

    /// Sets the start and end dates (`YYYY-MM-DD` or empty).
    pub fn set_dates(&mut self, start: &str, end: &str) -> Result<()> {
        self.writable()?;
        let (start, end) = (check_date(start)?, check_date(end)?);
        let meta = self.root_map("meta")?;
        self.doc.put(&meta, "start_date", start)?;
        self.doc.put(&meta, "end_date", end)?;
        self.commit("Set the project dates");
        Ok(())
    }

    pub fn set_language(&mut self, lang: Lang) -> Result<()> {
        self.writable()?;
        let meta = self.root_map("meta")?;
        self.doc.put(&meta, "language", lang.code())?;
        self.commit("Changed the project language");
        Ok(())
    }

    pub fn set_archived(&mut self, archived: bool) -> Result<()> {
        self.writable()?;
        let meta = self.root_map("meta")?;
        self.doc.put(&meta, "archived", archived)?;
        self.commit(if archived {
            "Archived the project"
        } else {
            "Restored the project from the archive"
        });
        Ok(())
    }

    /// Adds or updates a person; writes nothing when nothing differs.
    pub fn upsert_person(&mut self, id: &PersonId, person: &PersonFields<'_>) -> Result<()> {
        self.writable()?;
        check_colour(person.colour)?;
        let people = self.root_map("people")?;
        let existing = read::map(&self.doc, &people, id.as_str());
        if let Some(p) = &existing {
            let same = read::text(&self.doc, p, "name") == person.name
                && read::str(&self.doc, p, "centre") == person.centre
                && read::str(&self.doc, p, "role") == person.role
                && read::str(&self.doc, p, "colour") == person.colour;
            if same {
                return Ok(());
            }
        }
        let obj = match existing {
            Some(p) => p,
            None => self.insert_item(&people, id.as_str(), None)?,
        };
        self.put_text(&obj, "name", person.name)?;
        self.doc.put(&obj, "centre", person.centre)?;
        self.doc.put(&obj, "role", person.role)?;
        self.doc.put(&obj, "colour", person.colour)?;
        self.commit(&format!("Updated {}", person.name));
        Ok(())
    }

    /// Adds someone who is in the process without using Samspill themselves (a
    /// manager, staff, a union representative from the municipality), so tasks can be
    /// given to them. `role` is one of [`PERSON_ROLES`] or free text.
    pub fn add_person(&mut self, name: &str, role: &str, centre: &str) -> Result<PersonId> {
        self.writable()?;
        let name = non_empty(name)?;
        let id = PersonId::random(self.editor.entropy.as_mut());
        self.upsert_person(
            &id,
            &PersonFields {
                name: name.trim(),
                centre: centre.trim(),
                role: role.trim(),
                colour: "#7a8a86",
            },
        )?;
        Ok(id)
    }

    /// Publishes a device's public keys under a person (`people.<id>.devices.<device>`);
    /// nothing changes when they are there already.
    pub fn publish_device(
        &mut self,
        person: &PersonId,
        device: &crate::crypto::DevicePublic,
    ) -> Result<()> {
        self.writable()?;
        let people = self.root_map("people")?;
        let p =
            read::map(&self.doc, &people, person.as_str()).ok_or_else(|| ModelError::NotFound {
                what: "person",
                id: person.to_string(),
            })?;
        let id = device.device_id();
        let sign = hex(&device.sign);
        let kx = hex(&device.kx);
        let devices = match read::map(&self.doc, &p, "devices") {
            Some(d) => d,
            None => self.doc.put_object(&p, "devices", ObjType::Map)?,
        };
        if let Some(d) = read::map(&self.doc, &devices, &id)
            && read::str(&self.doc, &d, "sign") == sign
            && read::str(&self.doc, &d, "kx") == kx
        {
            return Ok(());
        }
        let d = self.doc.put_object(&devices, id.as_str(), ObjType::Map)?;
        self.doc.put(&d, "sign", sign)?;
        self.doc.put(&d, "kx", kx)?;
        self.commit("Published a device");
        Ok(())
    }

    /// Records that a person was removed from the project in `epoch`
    /// (`people.<id>.removed`): they stay in the list, and no later epoch's key is
    /// wrapped for their devices.
    pub fn mark_removed(&mut self, person: &PersonId, epoch: u32) -> Result<()> {
        self.writable()?;
        let people = self.root_map("people")?;
        let p =
            read::map(&self.doc, &people, person.as_str()).ok_or_else(|| ModelError::NotFound {
                what: "person",
                id: person.to_string(),
            })?;
        self.doc.put(&p, "removed", i64::from(epoch))?;
        self.commit("Removed from the project");
        Ok(())
    }

    pub fn remove_person(&mut self, id: &PersonId) -> Result<()> {
        self.remove_from_root("people", id.as_str(), "person", "Removed a person")
    }

    // ----- phases -----

    pub fn set_phase_status(&mut self, phase: &PhaseId, status: PhaseStatus) -> Result<()> {
        self.writable()?;
        let p = self.phase(phase)?;
        self.doc.put(&p, "status", status.as_str())?;
        self.commit(&format!("Set phase {phase} to {}", status.as_str()));
        Ok(())
    }

    /// Replaces a phase's notes (splices computed from the old and the new text).
    pub fn set_notes(&mut self, phase: &PhaseId, notes: &str) -> Result<()> {
        self.writable()?;
        let p = self.phase(phase)?;
        if read::text(&self.doc, &p, "notes") == notes {
            return Ok(());
        }
        self.put_text(&p, "notes", notes)?;
        self.commit(&format!("Edited the notes of {phase}"));
        Ok(())
    }

    /// Appends a paragraph to a phase's notes.
    pub fn append_note(&mut self, phase: &PhaseId, paragraph: &str) -> Result<()> {
        self.writable()?;
        let paragraph = paragraph.trim();
        if paragraph.is_empty() {
            return Err(ModelError::EmptyText);
        }
        let p = self.phase(phase)?;
        self.append_paragraph(&p, "notes", paragraph)?;
        self.commit(&format!("Added a note to {phase}"));
        Ok(())
    }

    // ----- tasks -----

    pub fn add_task(&mut self, phase: &PhaseId, title: &str) -> Result<TaskId> {
        self.writable()?;
        let title = non_empty(title)?;
        let p = self.phase(phase)?;
        let tasks = self.child_map(&p, "tasks")?;
        let id = TaskId::random(self.editor.entropy.as_mut());
        self.new_task(&tasks, &id, title)?;
        self.commit(&format!("Added task “{}”", short(title)));
        Ok(id)
    }

    pub fn set_task_title(&mut self, task: &TaskId, title: &str) -> Result<()> {
        self.writable()?;
        let t = self.task(task)?;
        if read::text(&self.doc, &t, "title") == title {
            return Ok(());
        }
        self.put_text(&t, "title", title)?;
        self.commit(&format!("Renamed task “{}”", short(title)));
        Ok(())
    }

    pub fn set_task_done(&mut self, task: &TaskId, done: bool) -> Result<()> {
        self.writable()?;
        let t = self.task(task)?;
        self.set_done(&t, done)?;
        let title = read::text(&self.doc, &t, "title");
        let verb = if done { "Completed" } else { "Reopened" };
        self.commit(&format!("{verb} task “{}”", short(&title)));
        Ok(())
    }

    /// Sets who a task is assigned to (a person id, or empty for nobody).
    pub fn set_task_assignee(&mut self, task: &TaskId, assignee: Option<&PersonId>) -> Result<()> {
        self.writable()?;
        let t = self.task(task)?;
        self.doc
            .put(&t, "assignee", assignee.map_or("", PersonId::as_str))?;
        self.commit("Assigned a task");
        Ok(())
    }

    pub fn set_task_due(&mut self, task: &TaskId, due: &str) -> Result<()> {
        self.writable()?;
        let due = check_date(due)?;
        let t = self.task(task)?;
        self.doc.put(&t, "due", due)?;
        self.commit("Set a task's due date");
        Ok(())
    }

    pub fn remove_task(&mut self, task: &TaskId) -> Result<()> {
        self.writable()?;
        let (tasks, _) = self.locate_in_phases("tasks", task.as_str(), "task")?;
        self.doc.delete(&tasks, task.as_str())?;
        self.commit("Removed a task");
        Ok(())
    }

    /// Moves a task to `index` among its phase's tasks (clamped to the end).
    pub fn move_task(&mut self, task: &TaskId, index: usize) -> Result<()> {
        self.writable()?;
        let (tasks, _) = self.locate_in_phases("tasks", task.as_str(), "task")?;
        self.move_item(&tasks, task.as_str(), index)?;
        self.commit("Reordered tasks");
        Ok(())
    }

    // ----- checklist -----

    pub fn add_check_item(&mut self, phase: &PhaseId, text: &str) -> Result<ItemId> {
        self.writable()?;
        let text = non_empty(text)?;
        let p = self.phase(phase)?;
        let list = self.child_map(&p, "checklist")?;
        let id = ItemId::random(self.editor.entropy.as_mut());
        self.new_check_item(&list, &id, text)?;
        self.commit(&format!("Added checklist item “{}”", short(text)));
        Ok(id)
    }

    pub fn set_check_text(&mut self, item: &ItemId, text: &str) -> Result<()> {
        self.writable()?;
        let (_, obj) = self.locate_in_phases("checklist", item.as_str(), "checklist item")?;
        if read::text(&self.doc, &obj, "text") == text {
            return Ok(());
        }
        self.put_text(&obj, "text", text)?;
        self.commit("Edited a checklist item");
        Ok(())
    }

    /// Ticks or unticks a checklist item, recording who and when.
    pub fn set_check_done(&mut self, item: &ItemId, done: bool) -> Result<()> {
        self.writable()?;
        let (_, obj) = self.locate_in_phases("checklist", item.as_str(), "checklist item")?;
        self.set_done(&obj, done)?;
        let text = read::text(&self.doc, &obj, "text");
        let verb = if done { "Ticked" } else { "Unticked" };
        self.commit(&format!("{verb} “{}”", short(&text)));
        Ok(())
    }

    pub fn remove_check_item(&mut self, item: &ItemId) -> Result<()> {
        self.writable()?;
        let (list, _) = self.locate_in_phases("checklist", item.as_str(), "checklist item")?;
        self.doc.delete(&list, item.as_str())?;
        self.commit("Removed a checklist item");
        Ok(())
    }

    pub fn move_check_item(&mut self, item: &ItemId, index: usize) -> Result<()> {
        self.writable()?;
        let (list, _) = self.locate_in_phases("checklist", item.as_str(), "checklist item")?;
        self.move_item(&list, item.as_str(), index)?;
        self.commit("Reordered the checklist");
        Ok(())
    }

    // ----- gatherings and agendas -----

    pub fn add_gathering(&mut self, title: &str) -> Result<GatheringId> {
        self.writable()?;
        let title = non_empty(title)?;
        let gatherings = self.root_map("gatherings")?;
        let id = GatheringId::random(self.editor.entropy.as_mut());
        self.new_gathering(&gatherings, &id, title)?;
        self.commit(&format!("Added gathering “{}”", short(title)));
        Ok(id)
    }

    pub fn set_gathering_title(&mut self, g: &GatheringId, title: &str) -> Result<()> {
        self.set_gathering_text(g, "title", title, "Renamed a gathering")
    }

    pub fn set_gathering_place(&mut self, g: &GatheringId, place: &str) -> Result<()> {
        self.set_gathering_text(g, "place", place, "Set a gathering's place")
    }

    /// Replaces a gathering's log text.
    pub fn set_gathering_log(&mut self, g: &GatheringId, log: &str) -> Result<()> {
        self.set_gathering_text(g, "log", log, "Edited a gathering's log")
    }

    /// Appends a paragraph to a gathering's log.
    pub fn append_gathering_log(&mut self, g: &GatheringId, paragraph: &str) -> Result<()> {
        self.writable()?;
        let paragraph = non_empty(paragraph)?;
        let obj = self.gathering(g)?;
        self.append_paragraph(&obj, "log", paragraph)?;
        self.commit("Wrote in a gathering's log");
        Ok(())
    }

    /// Sets the gathering's evaluation: what worked and what to change.
    pub fn set_evaluation(&mut self, g: &GatheringId, worked: &str, change: &str) -> Result<()> {
        self.writable()?;
        let obj = self.gathering(g)?;
        let eval = self.child_map(&obj, "evaluation")?;
        self.put_text(&eval, "worked", worked)?;
        self.put_text(&eval, "change", change)?;
        self.commit("Evaluated a gathering");
        Ok(())
    }

    fn set_gathering_text(
        &mut self,
        g: &GatheringId,
        key: &str,
        value: &str,
        msg: &str,
    ) -> Result<()> {
        self.writable()?;
        let obj = self.gathering(g)?;
        if read::text(&self.doc, &obj, key) == value {
            return Ok(());
        }
        self.put_text(&obj, key, value)?;
        self.commit(msg);
        Ok(())
    }

    /// Sets the date (`YYYY-MM-DD`) and start time (`HH:MM`); either may be empty.
    pub fn set_gathering_when(&mut self, g: &GatheringId, date: &str, start: &str) -> Result<()> {
        self.writable()?;
        let date = check_date(date)?;
        let start = check_time(start)?;
        let obj = self.gathering(g)?;
        self.doc.put(&obj, "date", date)?;
        self.doc.put(&obj, "start", start)?;
        self.commit("Set when a gathering happens");
        Ok(())
    }

    pub fn remove_gathering(&mut self, g: &GatheringId) -> Result<()> {
        self.remove_from_root("gatherings", g.as_str(), "gathering", "Removed a gathering")
    }

    pub fn move_gathering(&mut self, g: &GatheringId, index: usize) -> Result<()> {
        self.writable()?;
        let gatherings = self.root_map("gatherings")?;
        self.gathering(g)?;
        self.move_item(&gatherings, g.as_str(), index)?;
        self.commit("Reordered gatherings");
        Ok(())
    }

    /// Adds an agenda item at the end of a gathering's agenda.
    pub fn add_agenda_item(
        &mut self,
        g: &GatheringId,
        title: &str,
        minutes: u32,
        method: Option<&str>,
    ) -> Result<AgendaId> {
        self.writable()?;
        let title = non_empty(title)?;
        let obj = self.gathering(g)?;
        let agenda = self.child_map(&obj, "agenda")?;
        let id = AgendaId::random(self.editor.entropy.as_mut());
        self.new_agenda_item(&agenda, &id, title, minutes, method.unwrap_or(""))?;
        self.commit(&format!("Added “{}” to an agenda", short(title)));
        Ok(id)
    }

    /// Adds a method from the library to the agenda, with its name and typical duration.
    pub fn add_method_to_agenda(
        &mut self,
        g: &GatheringId,
        library: &Library,
        method_id: &str,
    ) -> Result<AgendaId> {
        let method = library
            .method(method_id)
            .ok_or_else(|| ModelError::NotFound {
                what: "method",
                id: method_id.to_owned(),
            })?;
        let lang = self.language();
        let name = method.name(lang).to_owned();
        self.add_agenda_item(g, &name, method.duration_minutes, Some(method_id))
    }

    /// The fields of an agenda item that can be set; `None` leaves a field as it is.
    pub fn update_agenda_item(&mut self, item: &AgendaId, update: &AgendaUpdate<'_>) -> Result<()> {
        self.writable()?;
        let (_, obj) = self.locate_agenda(item)?;
        if let Some(title) = update.title {
            self.put_text(&obj, "title", title)?;
        }
        if let Some(minutes) = update.minutes {
            self.doc.put(&obj, "minutes", u64::from(minutes))?;
        }
        if let Some(method) = update.method {
            self.doc.put(&obj, "method", method)?;
        }
        if let Some(responsible) = update.responsible {
            self.doc.put(&obj, "responsible", responsible)?;
        }
        if let Some(notes) = update.notes {
            self.put_text(&obj, "notes", notes)?;
        }
        self.commit("Edited an agenda item");
        Ok(())
    }

    pub fn remove_agenda_item(&mut self, item: &AgendaId) -> Result<()> {
        self.writable()?;
        let (agenda, _) = self.locate_agenda(item)?;
        self.doc.delete(&agenda, item.as_str())?;
        self.commit("Removed an agenda item");
        Ok(())
    }

    pub fn move_agenda_item(&mut self, item: &AgendaId, index: usize) -> Result<()> {
        self.writable()?;
        let (agenda, _) = self.locate_agenda(item)?;
        self.move_item(&agenda, item.as_str(), index)?;
        self.commit("Reordered an agenda");
        Ok(())
    }

    // ----- between-work -----

    /// Adds a between-work assignment, optionally following a gathering.
    pub fn add_between_work(&mut self, title: &str, after: Option<&GatheringId>) -> Result<WorkId> {
        self.writable()?;
        let title = non_empty(title)?;
        if let Some(g) = after {
            self.gathering(g)?;
        }
        let coll = self.root_map("between_work")?;
        let id = WorkId::random(self.editor.entropy.as_mut());
        let obj = self.new_between_work(&coll, &id, title)?;
        self.doc
            .put(&obj, "gathering", after.map_or("", GatheringId::as_str))?;
        self.commit(&format!("Added between-work “{}”", short(title)));
        Ok(id)
    }

    pub fn update_between_work(&mut self, id: &WorkId, update: &WorkUpdate<'_>) -> Result<()> {
        self.writable()?;
        let coll = self.root_map("between_work")?;
        let obj = read::map(&self.doc, &coll, id.as_str())
            .ok_or_else(|| not_found("between-work", id.as_str()))?;
        if let Some(due) = update.due {
            let due = check_date(due)?;
            self.doc.put(&obj, "due", due)?;
        }
        if let Some(title) = update.title {
            self.put_text(&obj, "title", title)?;
        }
        if let Some(description) = update.description {
            self.put_text(&obj, "description", description)?;
        }
        if let Some(assignee) = update.assignee {
            self.doc.put(&obj, "assignee", assignee)?;
        }
        if let Some(done) = update.done {
            self.doc.put(&obj, "done", done)?;
        }
        self.commit("Edited between-work");
        Ok(())
    }

    pub fn remove_between_work(&mut self, id: &WorkId) -> Result<()> {
        self.remove_from_root(
            "between_work",
            id.as_str(),
            "between-work",
            "Removed between-work",
        )
    }

    // ----- project log -----

    /// Adds a dated entry to the project log (dated by the editor's clock).
    pub fn add_log_entry(&mut self, text: &str) -> Result<LogId> {
        self.writable()?;
        let text = non_empty(text)?;
        let coll = self.root_map("log")?;
        let id = LogId::random(self.editor.entropy.as_mut());
        let obj = self.insert_item(&coll, id.as_str(), None)?;
        let now = self.editor.clock.now_ms();
        self.doc.put(&obj, "date", date_of_ms(now))?;
        self.doc.put(&obj, "at", now)?;
        self.doc.put(&obj, "author", self.editor.author.as_str())?;
        self.put_text(&obj, "text", text)?;
        self.commit("Wrote in the project log");
        Ok(id)
    }

    pub fn remove_log_entry(&mut self, id: &LogId) -> Result<()> {
        self.remove_from_root("log", id.as_str(), "log entry", "Removed a log entry")
    }

    // ----- internals -----

    /// The project's language, `nb` when unset or unknown.
    pub fn language(&self) -> Lang {
        let meta = read::map(&self.doc, &ROOT, "meta");
        meta.and_then(|m| read::str(&self.doc, &m, "language").parse().ok())
            .unwrap_or(Lang::Nb)
    }

    fn writable(&self) -> Result<()> {
        if self.viewer {
            Err(ModelError::Viewer)
        } else if self.schema == 0 {
            Err(ModelError::Incomplete)
        } else if self.is_read_only() {
            Err(ModelError::ReadOnly(self.schema))
        } else {
            Ok(())
        }
    }

    fn commit(&mut self, msg: &str) {
        let meta = ChangeMeta {
            by: self.editor.author.to_string(),
            msg: msg.to_owned(),
        };
        let message = serde_json::to_string(&meta).unwrap_or_else(|_| msg.to_owned());
        let secs = self.editor.clock.now_ms().div_euclid(1000);
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(message)
                .with_time(secs),
        );
    }

    fn root_map(&self, name: &'static str) -> Result<ObjId> {
        read::map(&self.doc, &ROOT, name)
            .ok_or_else(|| ModelError::NotAProject(format!("the root has no “{name}” map")))
    }

    /// A nested map of an item, created if a foreign writer left it out.
    fn child_map(&mut self, parent: &ObjId, key: &str) -> Result<ObjId> {
        match read::map(&self.doc, parent, key) {
            Some(m) => Ok(m),
            None => Ok(self.doc.put_object(parent, key, ObjType::Map)?),
        }
    }

    fn phase(&self, id: &PhaseId) -> Result<ObjId> {
        let phases = self.root_map("phases")?;
        read::map(&self.doc, &phases, id.as_str()).ok_or_else(|| not_found("phase", id.as_str()))
    }

    fn gathering(&self, id: &GatheringId) -> Result<ObjId> {
        let gatherings = self.root_map("gatherings")?;
        read::map(&self.doc, &gatherings, id.as_str())
            .ok_or_else(|| not_found("gathering", id.as_str()))
    }

    fn task(&self, id: &TaskId) -> Result<ObjId> {
        Ok(self.locate_in_phases("tasks", id.as_str(), "task")?.1)
    }

    /// Finds an item of a per-phase collection: (the collection, the item).
    fn locate_in_phases(&self, coll: &str, id: &str, what: &'static str) -> Result<(ObjId, ObjId)> {
        let phases = self.root_map("phases")?;
        for (_, phase) in read::entries(&self.doc, &phases) {
            if let Some(items) = read::map(&self.doc, &phase, coll)
                && let Some(item) = read::map(&self.doc, &items, id)
            {
                return Ok((items, item));
            }
        }
        Err(not_found(what, id))
    }

    fn locate_agenda(&self, id: &AgendaId) -> Result<(ObjId, ObjId)> {
        let gatherings = self.root_map("gatherings")?;
        for (_, g) in read::entries(&self.doc, &gatherings) {
            if let Some(agenda) = read::map(&self.doc, &g, "agenda")
                && let Some(item) = read::map(&self.doc, &agenda, id.as_str())
            {
                return Ok((agenda, item));
            }
        }
        Err(not_found("agenda item", id.as_str()))
    }

    fn remove_from_root(
        &mut self,
        coll: &'static str,
        id: &str,
        what: &'static str,
        msg: &str,
    ) -> Result<()> {
        self.writable()?;
        let map = self.root_map(coll)?;
        if read::map(&self.doc, &map, id).is_none() {
            return Err(not_found(what, id));
        }
        self.doc.delete(&map, id)?;
        self.commit(msg);
        Ok(())
    }

    /// Creates an item map in a collection with an order key at `index` (end if `None`).
    fn insert_item(&mut self, coll: &ObjId, id: &str, index: Option<usize>) -> Result<ObjId> {
        let siblings = read::ordered_keys(&self.doc, coll);
        let key = order_key_at(&siblings, index.unwrap_or(siblings.len()));
        let obj = self.doc.put_object(coll, id, ObjType::Map)?;
        self.doc.put(&obj, "order", key)?;
        Ok(obj)
    }

    /// Gives an item a new order key so that it lands at `index` among its siblings.
    fn move_item(&mut self, coll: &ObjId, id: &str, index: usize) -> Result<()> {
        let obj = read::map(&self.doc, coll, id).ok_or_else(|| not_found("item", id))?;
        let siblings: Vec<(String, String)> = read::ordered_keys(&self.doc, coll)
            .into_iter()
            .filter(|(sid, _)| sid != id)
            .collect();
        let key = order_key_at(&siblings, index.min(siblings.len()));
        self.doc.put(&obj, "order", key)?;
        Ok(())
    }

    fn new_task(&mut self, tasks: &ObjId, id: &TaskId, title: &str) -> Result<ObjId> {
        let obj = self.insert_item(tasks, id.as_str(), None)?;
        self.put_text(&obj, "title", title)?;
        self.doc.put(&obj, "assignee", "")?;
        self.doc.put(&obj, "due", "")?;
        self.doc.put(&obj, "done", false)?;
        self.doc.put(&obj, "done_by", "")?;
        self.doc.put(&obj, "done_at", ScalarValue::Null)?;
        Ok(obj)
    }

    fn new_check_item(&mut self, list: &ObjId, id: &ItemId, text: &str) -> Result<ObjId> {
        let obj = self.insert_item(list, id.as_str(), None)?;
        self.put_text(&obj, "text", text)?;
        self.doc.put(&obj, "done", false)?;
        self.doc.put(&obj, "done_by", "")?;
        self.doc.put(&obj, "done_at", ScalarValue::Null)?;
        Ok(obj)
    }

    fn new_gathering(&mut self, coll: &ObjId, id: &GatheringId, title: &str) -> Result<ObjId> {
        let obj = self.insert_item(coll, id.as_str(), None)?;
        self.put_text(&obj, "title", title)?;
        self.doc.put(&obj, "date", "")?;
        self.doc.put(&obj, "start", "")?;
        self.put_text(&obj, "place", "")?;
        self.doc.put_object(&obj, "agenda", ObjType::Map)?;
        self.put_text(&obj, "log", "")?;
        let eval = self.doc.put_object(&obj, "evaluation", ObjType::Map)?;
        self.put_text(&eval, "worked", "")?;
        self.put_text(&eval, "change", "")?;
        run::create_run_map(&mut self.doc, &obj)?;
        Ok(obj)
    }

    fn new_agenda_item(
        &mut self,
        agenda: &ObjId,
        id: &AgendaId,
        title: &str,
        minutes: u32,
        method: &str,
    ) -> Result<ObjId> {
        let obj = self.insert_item(agenda, id.as_str(), None)?;
        self.put_text(&obj, "title", title)?;
        self.doc.put(&obj, "minutes", u64::from(minutes))?;
        self.doc.put(&obj, "method", method)?;
        self.doc.put(&obj, "responsible", "")?;
        self.put_text(&obj, "notes", "")?;
        Ok(obj)
    }

    fn new_between_work(&mut self, coll: &ObjId, id: &WorkId, title: &str) -> Result<ObjId> {
        let obj = self.insert_item(coll, id.as_str(), None)?;
        self.put_text(&obj, "title", title)?;
        self.put_text(&obj, "description", "")?;
        self.doc.put(&obj, "gathering", "")?;
        self.doc.put(&obj, "assignee", "")?;
        self.doc.put(&obj, "due", "")?;
        self.doc.put(&obj, "done", false)?;
        Ok(obj)
    }

    fn set_done(&mut self, obj: &ObjId, done: bool) -> Result<()> {
        self.doc.put(obj, "done", done)?;
        if done {
            self.doc.put(obj, "done_by", self.editor.author.as_str())?;
            self.doc.put(obj, "done_at", self.editor.clock.now_ms())?;
        } else {
            self.doc.put(obj, "done_by", "")?;
            self.doc.put(obj, "done_at", ScalarValue::Null)?;
        }
        Ok(())
    }

    /// Sets a Text field by splicing from the current value (creating the Text if the
    /// field is missing or holds a plain string).
    fn put_text(&mut self, obj: &ObjId, key: &str, value: &str) -> Result<()> {
        match self.doc.get(obj, key)? {
            Some((Value::Object(ObjType::Text), text)) => {
                self.doc.update_text(&text, value)?;
            }
            _ => {
                let text = self.doc.put_object(obj, key, ObjType::Text)?;
                self.doc.splice_text(&text, 0, 0, value)?;
            }
        }
        Ok(())
    }

    /// Appends a paragraph with one insert at the end, so it merges with concurrent
    /// edits elsewhere in the text.
    fn append_paragraph(&mut self, obj: &ObjId, key: &str, paragraph: &str) -> Result<()> {
        // Each paragraph carries its own terminating blank line, so two devices that
        // append to the same text at the same time still get two separate paragraphs
        // (a separator in front would glue them together when the text was empty).
        let old = read::text(&self.doc, obj, key);
        let sep = if old.is_empty() || old.ends_with("\n\n") {
            ""
        } else if old.ends_with('\n') {
            "\n"
        } else {
            "\n\n"
        };
        let insert = format!("{sep}{paragraph}\n\n");
        match self.doc.get(obj, key)? {
            Some((Value::Object(ObjType::Text), text)) => {
                let len = self.doc.length(&text);
                self.doc.splice_text(&text, len, 0, &insert)?;
            }
            _ => self.put_text(obj, key, &format!("{old}{insert}"))?,
        }
        Ok(())
    }
}

/// The roles a person in a project may have (the UI names them; `role.<id>`).
pub const PERSON_ROLES: [&str; 5] = ["prosessleder", "leder", "ansatt", "tillitsvalgt", "annen"];

/// Fields of a person.
#[derive(Debug, Clone, Copy, Default)]
pub struct PersonFields<'a> {
    pub name: &'a str,
    pub centre: &'a str,
    pub role: &'a str,
    pub colour: &'a str,
}

/// Changes to an agenda item; `None` leaves a field as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct AgendaUpdate<'a> {
    pub title: Option<&'a str>,
    pub minutes: Option<u32>,
    pub method: Option<&'a str>,
    pub responsible: Option<&'a str>,
    pub notes: Option<&'a str>,
}

/// Changes to a between-work assignment; `None` leaves a field as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkUpdate<'a> {
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub assignee: Option<&'a str>,
    pub due: Option<&'a str>,
    pub done: Option<bool>,
}

/// The order key for a new position `index` among `siblings` (sorted (id, key) pairs).
fn order_key_at(siblings: &[(String, String)], index: usize) -> String {
    let index = index.min(siblings.len());
    let lower = index
        .checked_sub(1)
        .and_then(|i| siblings.get(i))
        .map(|(_, k)| k.as_str());
    // Skip siblings sharing the lower key (concurrent inserts can make equal keys), so
    // there is room between the bounds.
    let upper = siblings[index..]
        .iter()
        .map(|(_, k)| k.as_str())
        .find(|k| lower.is_none_or(|l| *k > l));
    order::between(lower, upper)
}

fn not_found(what: &'static str, id: &str) -> ModelError {
    ModelError::NotFound {
        what,
        id: id.chars().take(80).collect(),
    }
}

pub(crate) fn non_empty(s: &str) -> Result<&str> {
    let s = s.trim();
    if s.is_empty() {
        Err(ModelError::EmptyText)
    } else {
        Ok(s)
    }
}

pub(crate) fn short(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

/// Accepts `YYYY-MM-DD` (a real calendar date) or an empty string.
pub fn check_date(s: &str) -> Result<&str> {
    let s = s.trim();
    if s.is_empty() || parse_date(s).is_some() {
        Ok(s)
    } else {
        Err(ModelError::InvalidDate(s.chars().take(40).collect()))
    }
}

/// Accepts `HH:MM` (00:00–23:59) or an empty string.
pub fn check_time(s: &str) -> Result<&str> {
    let s = s.trim();
    if s.is_empty() || parse_time(s).is_some() {
        Ok(s)
    } else {
        Err(ModelError::InvalidTime(s.chars().take(40).collect()))
    }
}

/// Minutes after midnight for `HH:MM`.
pub fn parse_time(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// `HH:MM` for minutes after midnight (wrapping past midnight).
pub fn format_time(minutes: u32) -> String {
    let m = minutes % (24 * 60);
    format!("{:02}:{:02}", m / 60, m % 60)
}

pub(crate) fn check_colour(s: &str) -> Result<()> {
    let ok = s.is_empty()
        || (s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(ModelError::InvalidColour(s.chars().take(20).collect()))
    }
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
