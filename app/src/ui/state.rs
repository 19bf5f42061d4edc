//! What the app remembers between frames. No drawing and no document changes here.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use automerge::ChangeHash;
use samspill_shared::content::{Lang, PhaseKind};
use samspill_shared::crypto::DocumentId;
use samspill_shared::model::Project;

use super::edit::{Edit, UndoStack};
use super::sync_hook::{SyncCommand, SyncHook, SyncStatus};
use super::text_bind::Fields;
use crate::device::{Device, LocalProject};
use crate::profile::Theme;

/// The top-level places in the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Projects,
    Project,
    Library,
    Settings,
}

/// The parts of an open project, as the side panel lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Phase(usize),
    Gatherings,
    BetweenWork,
    Log,
}

/// A project as the list shows it.
#[derive(Debug, Clone)]
pub struct ProjectRow {
    pub id: DocumentId,
    pub title: String,
    pub service: String,
    pub archived: bool,
    /// Each phase's name, done and total.
    pub phases: Vec<(String, usize, usize)>,
    pub sync: SyncStatus,
}

/// What a panel asks the app to do; drained once per frame, after drawing.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Navigate(Screen),
    Section(Section),
    OpenProject(DocumentId),
    CloseProject,
    RefreshProjects,
    CreateProject {
        template: String,
        title: String,
        service: String,
    },
    RenameProject {
        id: DocumentId,
        title: String,
    },
    SetArchived {
        id: DocumentId,
        archived: bool,
    },
    Import(PathBuf),
    Edit(Edit),
    Undo,
    Redo,
    SaveProfile(ProfileDraft),
    Sync(SyncCommand),
    OpenDialog(Dialog),
    CloseDialog,
    /// Opens the method library with a gathering preselected as the target (and
    /// perhaps a method shown).
    PickMethodFor {
        gathering: String,
        method: Option<String>,
    },
}

/// Commands and document edits collected while drawing one frame.
#[derive(Debug, Default)]
pub struct Outbox {
    pub commands: Vec<Command>,
    pub edits: Vec<Edit>,
}

impl Outbox {
    pub fn send(&mut self, c: Command) {
        self.commands.push(c);
    }
    pub fn edit(&mut self, e: Edit) {
        self.edits.push(e);
    }
}

/// A modal dialog.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    NewProject {
        template: usize,
        title: String,
        service: String,
    },
    Rename {
        id: DocumentId,
        title: String,
    },
    Archive {
        id: DocumentId,
        title: String,
        archive: bool,
    },
    Import {
        path: String,
    },
    Join {
        link: String,
    },
    Share {
        relay: String,
        token: String,
    },
    Invite {
        link: String,
    },
    /// "Are you sure?" before a destructive edit.
    Confirm {
        question: String,
        edit: Edit,
    },
    Shortcuts,
}

/// A short message at the bottom of the window.
#[derive(Debug, Clone)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    pub at: Instant,
}

/// The method library's browsing state.
#[derive(Debug, Clone, Default)]
pub struct LibraryState {
    pub query: String,
    pub phase: Option<PhaseKind>,
    pub tag: Option<String>,
    pub selected: Option<String>,
    /// The gathering "Add to agenda" adds to.
    pub target: Option<String>,
}

/// The settings form, saved with a button.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileDraft {
    pub name: String,
    pub centre: String,
    pub colour: String,
    pub language: Lang,
    pub theme: Theme,
    pub default_relay: String,
}

/// UI state of the open project that is not in the document.
#[derive(Debug, Default)]
pub struct SessionUi {
    pub section: Option<Section>,
    pub gathering: Option<String>,
    /// The agenda item Alt+⏶/↓ moves.
    pub agenda_item: Option<String>,
    pub new_task: String,
    pub new_check: String,
    pub new_agenda: String,
    pub new_gathering: String,
    pub new_work: String,
    pub new_log: String,
    pub read_more: bool,
    /// Move keyboard focus to the "new task" field next frame (Ctrl+N).
    pub focus_new_task: bool,
}

/// The open project.
pub struct Session {
    pub project: LocalProject,
    /// Rebuilt when the document changes, never per frame.
    pub view: Project,
    pub heads: Vec<ChangeHash>,
    /// Unsaved local changes since (saved ~300 ms after the last one).
    pub dirty_since: Option<Instant>,
    pub ui: SessionUi,
}

impl Session {
    pub fn new(mut project: LocalProject) -> Self {
        let view = project.doc.view();
        let heads = project.doc.automerge_mut().get_heads();
        Self {
            project,
            view,
            heads,
            dirty_since: None,
            ui: SessionUi {
                section: Some(Section::Overview),
                ..Default::default()
            },
        }
    }

    pub fn section(&self) -> Section {
        self.ui.section.unwrap_or(Section::Overview)
    }
}

/// Background work the UI waits for.
pub enum JobDone {
    Rows(anyhow::Result<Vec<ProjectRow>>),
    Opened(DocumentId, anyhow::Result<Box<Session>>),
}

/// Everything the app holds.
pub struct AppState {
    pub device: Device,
    pub data_dir: PathBuf,
    pub screen: Screen,
    pub rows: Vec<ProjectRow>,
    pub rows_loading: bool,
    pub show_archived: bool,
    pub session: Option<Session>,
    /// A project being loaded on a background thread.
    pub opening: Option<DocumentId>,
    pub dialog: Option<Dialog>,
    pub notice: Option<Notice>,
    pub library: LibraryState,
    pub settings: ProfileDraft,
    pub fields: Fields,
    pub undo: UndoStack,
    pub sync: Box<dyn SyncHook>,
    pub jobs: Vec<Receiver<JobDone>>,
    pub started: bool,
}

impl AppState {
    pub fn lang(&self) -> Lang {
        self.device.profile.language
    }

    pub fn draft_from_profile(device: &Device) -> ProfileDraft {
        let p = &device.profile;
        ProfileDraft {
            name: p.name.clone(),
            centre: p.centre.clone(),
            colour: p.colour.clone(),
            language: p.language,
            theme: p.theme,
            default_relay: p.default_relay.clone(),
        }
    }
}
