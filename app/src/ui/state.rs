//! What the app remembers between frames. No drawing and no document changes here.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use automerge::ChangeHash;
use samspill_shared::content::{Lang, PhaseKind};
use samspill_shared::crypto::DocumentId;
use samspill_shared::model::Project;
use samspill_shared::model::history::HistoryEntry;

use super::edit::{Edit, UndoStack};
use super::file_dialog::{Chosen, FileDialogs};
use super::presence_ui::PeerMark;
use super::sync_hook::{SyncCommand, SyncHook, SyncStatus};
use super::text_bind::Fields;
use crate::device::Device;
use crate::handle::DocHandle;
use crate::profile::Theme;

/// The top-level places in the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Projects,
    Project,
    Library,
    Settings,
    /// "Mine oppgaver": the tasks given to me, across every project.
    MyTasks,
}

/// The parts of an open project, as the side panel lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Phase(usize),
    Gatherings,
    BetweenWork,
    Log,
    History,
    /// "Deling og tilgang": invite links and members.
    Access,
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
    /// Damage found and repaired when the project was read, in words for the person.
    pub notices: Vec<String>,
    /// Open tasks given to this device's person: (phase index, phase name, task).
    pub my_tasks: Vec<(usize, String, samspill_shared::model::Task)>,
}

/// What a panel asks the app to do; drained once per frame, after drawing.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Navigate(Screen),
    /// Folds the side panel away or back.
    ToggleSidebar,
    /// "Koble til nå": try the relay at once.
    ReconnectNow,
    /// "Synkroniser på dette nettverket" on or off.
    SetLan(bool),
    /// Show a short confirmation at the bottom ("Kopiert").
    Notify(String),
    Section(Section),
    OpenProject(DocumentId),
    /// Opens a project at one of its phases (from "Mine oppgaver").
    OpenPhase(DocumentId, usize),
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
    /// "Hopp over" on the first-start screen: not shown again by itself.
    SkipWelcome,
    Sync(SyncCommand),
    OpenDialog(Dialog),
    CloseDialog,
    /// Opens the method library with a gathering preselected as the target (and
    /// perhaps a method shown).
    PickMethodFor {
        gathering: String,
        method: Option<String>,
    },
    /// Shows the project as it was right after a change (hash in hex), read-only.
    ViewAt(String),
    /// Shows the project as it was at a checkpoint.
    ViewCheckpoint(String),
    /// Back from an earlier version to the project as it is.
    ViewNow,
    /// Opens run mode for a gathering (following it when it is already running).
    OpenRun(String),
    CloseRun,
    /// Asks where to save the plan or an agenda (the desktop's own dialog), then
    /// writes it there.
    SaveAs {
        what: ExportWhat,
        format: ExportFormat,
        /// The typed path: the dialog starts in its folder with its name.
        suggested: PathBuf,
    },
    /// "Velg fil …" in the import dialog.
    ChooseImport,
    /// Writes the plan or a gathering's agenda to a file.
    Export {
        what: ExportWhat,
        format: ExportFormat,
        path: PathBuf,
    },
}

/// What to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportWhat {
    Plan,
    Gathering(String),
}

impl ExportWhat {
    /// Which print card it is printed from ("plan", or the gathering's id).
    pub fn key(&self) -> String {
        match self {
            ExportWhat::Plan => "plan".to_owned(),
            ExportWhat::Gathering(id) => id.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Pdf,
    Html,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Pdf => "pdf",
            ExportFormat::Html => "html",
        }
    }
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
        /// Opened by a clicked link (the app's first argument), not by the person.
        from_outside: bool,
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
    /// "Are you sure?" before removing someone from the project: says what removal does
    /// and does not do.
    ConfirmRemove {
        person: String,
        name: String,
    },
    /// "Are you sure?" before restoring an earlier version (shown in `label`).
    ConfirmRestore {
        label: String,
        edit: Edit,
    },
    Shortcuts,
    /// Who you are, on first start (and from the avatar): name, centre, colour.
    Welcome {
        name: String,
        centre: String,
        colour: String,
        /// Shown by itself on first start (else opened from the avatar).
        first: bool,
    },
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
    /// "Legg til person": the name and role being typed.
    pub new_person: String,
    pub new_person_role: String,
    pub new_check: String,
    pub new_agenda: String,
    pub new_gathering: String,
    pub new_work: String,
    pub new_log: String,
    pub read_more: bool,
    /// Move keyboard focus to the "new task" field next frame (Ctrl+N).
    pub focus_new_task: bool,
    /// The change history, read when the history is shown and the heads moved.
    pub history: Option<HistoryCache>,
    /// An earlier version being looked at (read-only).
    pub viewing: Option<Viewing>,
    pub new_checkpoint: String,
    /// Run mode: the gathering shown running (or followed).
    pub run: Option<RunUi>,
    /// Where "print" writes, per thing printed (plan, or a gathering id).
    pub export_paths: HashMap<String, String>,
    /// The last file written and the print card it came from (see
    /// [`ExportWhat::key`]), shown under that card's buttons.
    pub exported: Option<(String, PathBuf)>,
    /// Co-facilitators and where they are, refreshed every frame.
    pub peers: Vec<PeerMark>,
    /// The invite links, read when "Deling og tilgang" is opened.
    pub access: Option<super::access_ui::AccessLinks>,
}

/// The history as last read, and the heads it was read at.
#[derive(Debug, Clone)]
pub struct HistoryCache {
    pub heads: Vec<ChangeHash>,
    pub entries: Vec<HistoryEntry>,
}

/// The project as it was at some point, shown instead of the live one.
#[derive(Debug, Clone)]
pub struct Viewing {
    /// The heads it was read at (what "restore" goes back to): one change, or a
    /// checkpoint's heads when people were editing at the moment it was taken.
    pub heads: Vec<ChangeHash>,
    /// "after Kari's change at 14:02 (Added a task)", or a checkpoint's name.
    pub label: String,
    pub view: Box<Project>,
}

/// Run mode's own state (the running itself is in the document).
#[derive(Debug, Clone, Default)]
pub struct RunUi {
    pub gathering: String,
    /// Opened with "follow" on a gathering someone else runs: the controls are
    /// folded away until "take over".
    pub following: bool,
    pub note: String,
    /// When Space or → last moved on.
    pub last_key: Option<Instant>,
    /// The projector view: full screen, a big clock, the item on now and the next.
    pub projector: bool,
    /// The item whose time running out was last signalled (once per item).
    pub signalled: Option<String>,
}

/// The open project.
pub struct Session {
    /// The process's one copy of the document, shared with the sync engine.
    pub project: DocHandle,
    /// Rebuilt when the document changes, never per frame.
    pub view: Project,
    /// The handle's version the view was built at.
    pub version: u64,
    pub heads: Vec<ChangeHash>,
    /// The first local change not yet handed to the saver (saved at most
    /// [`super::app::SAVE_DELAY`] later, even while typing goes on).
    pub dirty_since: Option<Instant>,
    pub ui: SessionUi,
    /// This device holds only a viewer's key: everything is shown, nothing can change.
    pub viewer: bool,
}

impl Session {
    /// `repaint` wakes the UI when the document changes on another thread (the sync
    /// engine, another program's write, a failed save).
    pub fn new(project: DocHandle, repaint: Option<egui::Context>) -> Self {
        if let Some(ctx) = repaint {
            project.on_change("ui", std::sync::Arc::new(move || ctx.request_repaint()));
        }
        let version = project.version();
        let view = project.view();
        let heads = project.with_automerge(|d| d.get_heads());
        let viewer = project.read(samspill_shared::model::ProjectDoc::is_viewer);
        Self {
            viewer,
            project,
            view,
            version,
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
    /// A save dialog closed.
    SaveChosen {
        what: ExportWhat,
        format: ExportFormat,
        chosen: Chosen,
    },
    /// The import dialog's file dialog closed.
    ImportChosen(Chosen),
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
    /// Save and open dialogs (the desktop's, or a test's).
    pub files: std::sync::Arc<dyn FileDialogs>,
    pub jobs: Vec<Receiver<JobDone>>,
    pub started: bool,
    /// The UI's context, for background threads to wake it (set on the first frame).
    pub repaint: Option<egui::Context>,
    /// What this user was last announced as editing (presence).
    pub editing: Option<String>,
    /// The side panel is folded away (the "☰" button or Ctrl+B), leaving the page the
    /// whole width.
    pub sidebar_folded: bool,
    /// The section a project being opened should open at ("Mine oppgaver").
    pub open_at: Option<(DocumentId, Section)>,
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
