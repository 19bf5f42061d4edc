//! The view model: a plain, owned snapshot of a project, read from the document.
//!
//! The UI renders from this and never walks the Automerge document per frame; the CLI
//! prints it as JSON (`show --json`, `export --format json`). Its JSON shape is stable and
//! documented in `docs/schema.md`: collections are arrays in display order, computed
//! values (agenda clock times, totals, progress) are included for readers' convenience
//! and ignored on import.

use serde::{Deserialize, Serialize};

/// A whole project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub schema: u64,
    pub meta: Meta,
    pub people: Vec<Person>,
    pub phases: Vec<Phase>,
    pub gatherings: Vec<Gathering>,
    pub between_work: Vec<BetweenWork>,
    pub log: Vec<LogEntry>,
    /// Named points in the history. Not carried over by `samspill import` (the change
    /// hashes belong to the original document).
    #[serde(default)]
    pub checkpoints: Vec<Checkpoint>,
}

/// A named point in the project's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub id: String,
    pub name: String,
    /// The document heads at the checkpoint: comma-separated change hashes.
    pub heads: String,
    pub at: Option<i64>,
    pub by: String,
}

/// A gathering being run live.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    /// The agenda item on now; empty when not running.
    pub current: String,
    pub started_at: Option<i64>,
    pub item_started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// Paused since then (the clock of the current item stands still).
    #[serde(default)]
    pub paused_at: Option<i64>,
    /// How long the current item has been paused before, in all.
    #[serde(default)]
    pub paused_ms: i64,
    /// Minutes given to (or taken from) the current item while it runs; a counter, so
    /// "+5" pressed on two machines at once gives ten.
    #[serde(default)]
    pub extra_minutes: i64,
    /// Actual start and end of each item that has been run, in agenda order.
    pub actual: Vec<ActualTime>,
}

impl RunState {
    pub fn is_running(&self) -> bool {
        !self.current.is_empty()
    }

    pub fn is_paused(&self) -> bool {
        self.is_running() && self.paused_at.is_some()
    }

    /// Milliseconds the current item has run at `now`, pauses not counted.
    pub fn item_elapsed_ms(&self, now: i64) -> i64 {
        let Some(start) = self.item_started_at else {
            return 0;
        };
        let until = self.paused_at.unwrap_or(now);
        (until - start - self.paused_ms).max(0)
    }

    /// The current item's planned minutes with what was added or taken while running
    /// (never below zero).
    pub fn planned_minutes(&self, minutes: u32) -> i64 {
        (i64::from(minutes) + self.extra_minutes).max(0)
    }
}

/// When an agenda item actually ran (milliseconds since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActualTime {
    pub item: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub title: String,
    /// The shared "realistic dream" the process works towards.
    pub goal: String,
    /// The municipal service being supported.
    pub service: String,
    /// `YYYY-MM-DD` or empty.
    pub start_date: String,
    pub end_date: String,
    pub template: String,
    /// `nb`, `en` or `da`.
    pub language: String,
    pub archived: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub centre: String,
    pub role: String,
    /// `#rrggbb`.
    pub colour: String,
    /// The devices this person works from, as they published themselves (by device id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<PersonDevice>,
    /// Removed from the project: the epoch that left them out (see `epoch`). Their
    /// devices get no key in any later epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<u32>,
}

/// A device's public keys, published in the project by the device itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDevice {
    /// 16 hex digits (`crypto::DevicePublic::device_id`).
    pub id: String,
    /// Ed25519 public key, 64 hex digits.
    pub sign: String,
    /// X25519 public key, 64 hex digits.
    pub kx: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseStatus {
    #[default]
    NotStarted,
    Active,
    Done,
}

impl PhaseStatus {
    pub const ALL: [PhaseStatus; 3] = [Self::NotStarted, Self::Active, Self::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::Active => "active",
            Self::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    pub id: String,
    /// One of the four kinds: `oppstart`, `planlegging`, `gjennomforing`, `evaluering`.
    pub kind: String,
    pub name: String,
    pub status: PhaseStatus,
    /// The template phase whose guide text applies (`template/phase`).
    pub guide: String,
    pub notes: String,
    pub tasks: Vec<Task>,
    pub checklist: Vec<CheckItem>,
}

impl Phase {
    /// Done tasks and ticked checklist items, and how many there are in all.
    pub fn progress(&self) -> (usize, usize) {
        let done = self.tasks.iter().filter(|t| t.done).count()
            + self.checklist.iter().filter(|c| c.done).count();
        (done, self.tasks.len() + self.checklist.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub title: String,
    /// A person id, or empty.
    pub assignee: String,
    /// `YYYY-MM-DD` or empty.
    pub due: String,
    pub done: bool,
    pub done_by: String,
    /// Milliseconds since the Unix epoch, when ticked.
    pub done_at: Option<i64>,
    /// Values of `assignee` or `due` set at the same time on another device, which lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
}

/// A field two people set at the same time: the value shown won (Automerge picks the
/// same winner everywhere); `others` are the values that lost, offered to the user.
/// Setting the field again resolves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub field: String,
    pub others: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckItem {
    pub id: String,
    pub text: String,
    pub done: bool,
    pub done_by: String,
    pub done_at: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gathering {
    pub id: String,
    pub title: String,
    /// `YYYY-MM-DD` or empty.
    pub date: String,
    /// `HH:MM` or empty.
    pub start: String,
    pub place: String,
    pub agenda: Vec<AgendaItem>,
    /// Sum of the agenda's minutes.
    pub total_minutes: u32,
    /// `HH:MM` when the agenda ends, if the start time is set.
    pub end: Option<String>,
    pub log: String,
    pub evaluation: Evaluation,
    /// Run mode: the current item and actual times.
    #[serde(default)]
    pub run: RunState,
    /// Concurrent values of `date` or `start` that lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaItem {
    pub id: String,
    pub title: String,
    pub minutes: u32,
    /// A method id from the library, or empty.
    pub method: String,
    /// A person id, or free text, or empty.
    pub responsible: String,
    pub notes: String,
    /// Clock time the item starts, computed from the gathering's start and the minutes
    /// before it; `None` when the gathering has no start time.
    pub starts_at: Option<String>,
    /// Concurrent values of `minutes` or `responsible` that lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub worked: String,
    pub change: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BetweenWork {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The gathering this work follows, or empty.
    pub gathering: String,
    pub assignee: String,
    pub due: String,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub id: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub author: String,
    pub text: String,
}

impl Project {
    pub fn phase(&self, id: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.id == id)
    }

    pub fn gathering(&self, id: &str) -> Option<&Gathering> {
        self.gatherings.iter().find(|g| g.id == id)
    }

    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }

    /// A person's display name, or the raw value when it is not a known person id.
    pub fn person_name<'a>(&'a self, id_or_name: &'a str) -> &'a str {
        self.person(id_or_name)
            .map_or(id_or_name, |p| p.name.as_str())
    }

    /// Done and total over all phases.
    pub fn progress(&self) -> (usize, usize) {
        self.phases.iter().fold((0, 0), |(d, t), p| {
            let (pd, pt) = p.progress();
            (d + pd, t + pt)
        })
    }
}
