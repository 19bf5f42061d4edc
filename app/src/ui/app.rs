//! The app's logic: background jobs, applying commands and edits, undo, saving.
//! Drawing lives in the `*_ui.rs` files; they only read state and fill an [`Outbox`].

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use samspill_shared::content::library;
use samspill_shared::crypto::DocumentId;
use samspill_shared::model::NewProject;

use super::edit::Edit;
use super::file_dialog::{
    Chosen, FileDialogs, OpenRequest, PortalDialogs, SaveRequest, default_folder,
};
use super::state::{
    AppState, Command, Dialog, ExportFormat, ExportWhat, JobDone, Notice, Outbox, ProjectRow,
    RunUi, Screen, Section, Session, Viewing,
};
use super::sync_hook::{NoSync, SyncHook, SyncReply};
use super::text_bind::Fields;
use super::{theme, tr};
use crate::device::{Access, Device};
use crate::export::Scope;

/// How long after the first unsaved change a project is saved, even while typing goes
/// on (a shared project's engine saves sooner, at its batch rate).
pub const SAVE_DELAY: Duration = Duration::from_millis(300);

/// The desktop app: state plus the logic that changes it.
pub struct SamspillApp {
    pub state: AppState,
}

impl SamspillApp {
    pub fn new(device: Device, data_dir: PathBuf) -> Self {
        Self::with_sync(device, data_dir, Box::new(NoSync))
    }

    /// With other file dialogs than the desktop's (the UI tests answer them).
    pub fn with_file_dialogs(mut self, files: std::sync::Arc<dyn FileDialogs>) -> Self {
        self.state.files = files;
        self
    }

    /// With a sync engine plugged in (see [`SyncHook`]).
    pub fn with_sync(device: Device, data_dir: PathBuf, sync: Box<dyn SyncHook>) -> Self {
        let settings = AppState::draft_from_profile(&device);
        // First start: say who you are (skippable). The name starts as the login name.
        let p = &device.profile;
        let new = p.name.trim().is_empty() || p.centre.trim().is_empty();
        let dialog = (!p.welcomed && new).then(|| Dialog::Welcome {
            name: p.name.clone(),
            centre: p.centre.clone(),
            colour: p.colour.clone(),
            first: true,
        });
        Self {
            state: AppState {
                device,
                data_dir,
                screen: Screen::Projects,
                rows: Vec::new(),
                rows_loading: false,
                show_archived: false,
                session: None,
                opening: None,
                dialog,
                notice: None,
                library: Default::default(),
                settings,
                fields: Fields::default(),
                undo: Default::default(),
                sync,
                files: std::sync::Arc::new(PortalDialogs),
                jobs: Vec::new(),
                started: false,
                repaint: None,
                editing: None,
                sidebar_folded: false,
                open_at: None,
            },
        }
    }

    /// Opens the join dialog with an invite link from outside (a clicked link, the app's
    /// first argument). Nothing is joined until the person presses "Bli med".
    pub fn open_invite(&mut self, link: &str) {
        self.state.dialog = Some(Dialog::Join {
            link: link.trim().to_owned(),
            from_outside: true,
        });
    }

    /// Whether background work is still running (tests wait for it): loading, or
    /// changes not yet on disk.
    pub fn is_busy(&self) -> bool {
        !self.state.jobs.is_empty()
            || self
                .state
                .session
                .as_ref()
                .is_some_and(|s| s.dirty_since.is_none() && s.project.has_unsaved())
    }

    /// One frame: take in what happened, draw, then apply what the user did.
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if !self.state.started {
            self.state.started = true;
            self.state.repaint = Some(ctx.clone());
            theme::apply(&ctx, self.state.device.profile.theme);
            self.refresh_rows(&ctx);
        }
        self.poll_jobs();
        self.poll_saves();
        for reply in self.state.sync.replies() {
            self.sync_reply(&ctx, reply);
        }
        for row in &mut self.state.rows {
            row.sync = self.state.sync.status(&row.id);
        }
        self.take_changes();

        let mut out = Outbox::default();
        super::keys::shortcuts(&ctx, &mut self.state, &mut out);
        super::chrome_ui::window_ui(ui, &mut self.state, &mut out);

        for edit in out.edits.drain(..) {
            self.apply_edit(&edit, true);
        }
        for command in out.commands {
            self.run(&ctx, command);
        }
        if ctx.memory(|m| m.focused().is_none()) {
            self.state.undo.seal();
        }
        self.announce_editing(&ctx);
        self.save_when_due(&ctx);
        if self
            .state
            .session
            .as_ref()
            .is_some_and(|s| s.view.gatherings.iter().any(|g| g.run.is_running()))
        {
            // The run clock ticks.
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        if let Some(n) = &self.state.notice {
            if n.at.elapsed() > Duration::from_secs(8) {
                self.state.notice = None;
            } else {
                ctx.request_repaint_after(Duration::from_secs(1));
            }
        }
    }

    /// Hands unsaved changes to the handle's saver thread; never waits for the disk.
    fn save_soon(&mut self) {
        if let Some(s) = &mut self.state.session
            && s.dirty_since.take().is_some()
        {
            s.project.save_in_background();
            self.state.sync.local_changes_saved(&s.project.id());
        }
    }

    /// Saves everything now and waits until it is on disk (closing a project, exit).
    pub fn flush(&mut self) {
        if let Some(s) = &mut self.state.session {
            s.dirty_since = None;
            if let Err(e) = s.project.save() {
                let lang = self.state.lang();
                self.state.notice =
                    Some(error_notice(format!("{}: {e:#}", tr(lang, "save-failed"))));
            }
        }
        self.poll_saves();
    }

    /// What the person should hear of the open project: a save that failed (and will
    /// be retried), damage that was repaired.
    fn poll_saves(&mut self) {
        let Some(s) = &self.state.session else { return };
        let notices = s.project.take_notices();
        if let Some(last) = notices.last() {
            self.state.notice = Some(error_notice(last.clone()));
        }
    }

    fn save_when_due(&mut self, ctx: &egui::Context) {
        let due = self
            .state
            .session
            .as_ref()
            .and_then(|s| s.dirty_since)
            .map(|t| t.elapsed() >= SAVE_DELAY);
        match due {
            Some(true) => self.save_soon(),
            Some(false) => ctx.request_repaint_after(SAVE_DELAY),
            None => {}
        }
    }

    /// Tells the others what this user is on (a field, an agenda item, a phase), when
    /// it changed.
    fn announce_editing(&mut self, ctx: &egui::Context) {
        let Some(s) = &self.state.session else { return };
        let now = if self.state.screen == Screen::Project && s.ui.viewing.is_none() {
            self.state
                .fields
                .focused(ctx)
                .map(|f| super::presence_ui::place_of_field(f, &s.view))
                .or_else(|| super::presence_ui::place_of_section(s))
        } else {
            None
        };
        if now != self.state.editing {
            self.state.editing = now.clone();
            self.state.sync.set_editing(&s.project.id(), now);
        }
    }

    fn notify(&mut self, text: impl Into<String>) {
        self.state.notice = Some(Notice {
            text: text.into(),
            error: false,
            at: Instant::now(),
        });
    }

    /// A confirmation ("Skrevet til …", "Kopiert") belongs to the page it was made on;
    /// moving to another page takes it away. Errors stay until they expire.
    fn clear_confirmation(&mut self) {
        if self.state.notice.as_ref().is_some_and(|n| !n.error) {
            self.state.notice = None;
        }
    }

    fn fail(&mut self, e: &anyhow::Error) {
        self.state.notice = Some(error_notice(format!("{e:#}")));
    }

    // ----- background work -----

    fn refresh_rows(&mut self, ctx: &egui::Context) {
        let device = self.state.device.clone();
        self.state.rows_loading = true;
        self.spawn(ctx, move || JobDone::Rows(load_rows(&device)));
    }

    fn spawn(&mut self, ctx: &egui::Context, job: impl FnOnce() -> JobDone + Send + 'static) {
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            // The receiver is gone only when the app has closed; nothing to do then.
            if tx.send(job()).is_ok() {
                ctx.request_repaint();
            }
        });
        self.state.jobs.push(rx);
    }

    fn poll_jobs(&mut self) {
        let mut done = Vec::new();
        self.state.jobs.retain(|rx| match rx.try_recv() {
            Ok(result) => {
                done.push(result);
                false
            }
            Err(mpsc::TryRecvError::Empty) => true,
            Err(mpsc::TryRecvError::Disconnected) => false,
        });
        for result in done {
            match result {
                JobDone::Rows(Ok(mut rows)) => {
                    for row in &mut rows {
                        row.sync = self.state.sync.status(&row.id);
                    }
                    // Damage found (and repaired) while listing: say so, once.
                    if let Some(n) = rows.iter().flat_map(|r| r.notices.iter()).next() {
                        self.state.notice = Some(error_notice(n.clone()));
                    }
                    self.state.rows = rows;
                    self.state.rows_loading = false;
                }
                JobDone::Rows(Err(e)) => {
                    self.state.rows_loading = false;
                    self.fail(&e);
                }
                JobDone::SaveChosen {
                    what,
                    format,
                    chosen,
                } => match chosen {
                    Chosen::File(mut path) => {
                        if path.extension().is_none() {
                            path.set_extension(format.extension());
                        }
                        if let Some(s) = &mut self.state.session {
                            // The next print starts from here.
                            let mut typed = path.clone();
                            typed.set_extension("");
                            s.ui.export_paths
                                .insert(what.key(), typed.display().to_string());
                        }
                        self.export(&what, format, &path);
                    }
                    Chosen::Cancelled => {}
                    Chosen::Unavailable => {
                        let lang = self.state.lang();
                        self.state.notice =
                            Some(error_notice(tr(lang, "files-unavailable").to_owned()));
                    }
                },
                JobDone::ImportChosen(chosen) => match chosen {
                    Chosen::File(path) => {
                        if let Some(Dialog::Import { path: typed }) = &mut self.state.dialog {
                            *typed = path.display().to_string();
                        }
                    }
                    Chosen::Cancelled => {}
                    Chosen::Unavailable => {
                        let lang = self.state.lang();
                        self.state.notice =
                            Some(error_notice(tr(lang, "files-unavailable").to_owned()));
                    }
                },
                JobDone::Opened(id, result) => {
                    if self.state.opening != Some(id) {
                        continue;
                    }
                    self.state.opening = None;
                    match result {
                        Ok(session) => self.set_session(*session),
                        Err(e) => {
                            self.state.screen = Screen::Projects;
                            self.fail(&e);
                        }
                    }
                }
            }
        }
    }

    fn set_session(&mut self, session: Session) {
        self.flush();
        self.state.editing = None;
        self.state.undo.clear();
        self.state.fields = if session.viewer {
            Fields::read_only()
        } else {
            Fields::default()
        };
        self.state.library.target = session.view.gatherings.first().map(|g| g.id.clone());
        let mut session = session;
        if let Some((id, section)) = self.state.open_at.take()
            && id == session.project.id()
        {
            session.ui.section = Some(section);
        }
        self.state.session = Some(session);
        self.state.screen = Screen::Project;
    }

    /// Rebuilds the view model when the document changed elsewhere (the sync engine,
    /// another program): the handle's version moved.
    fn take_changes(&mut self) {
        let Some(s) = &mut self.state.session else {
            return;
        };
        let version = s.project.version();
        if version != s.version {
            s.version = version;
            s.view = s.project.view();
            s.heads = s.project.with_automerge(|d| d.get_heads());
            // Removed from the project meanwhile: read-only from now on.
            s.viewer = s
                .project
                .read(samspill_shared::model::ProjectDoc::is_viewer);
        }
    }

    // ----- edits and undo -----

    /// Applies an edit to the open project; `record` puts its inverse on the undo stack.
    fn apply_edit(&mut self, edit: &Edit, record: bool) -> Option<Edit> {
        if self.state.session.as_ref()?.viewer {
            self.notify(tr(self.state.lang(), "project-viewer-refused"));
            return None;
        }
        let s = self.state.session.as_mut()?;
        let view = &s.view;
        match s.project.with(|doc| edit.apply(doc, view, library())) {
            Ok(applied) => {
                s.version = s.project.version();
                s.view = s.project.view();
                s.heads = s.project.with_automerge(|d| d.get_heads());
                s.dirty_since.get_or_insert_with(Instant::now);
                if matches!(edit, Edit::Restore { .. }) {
                    s.ui.viewing = None;
                }
                if let Some(id) = &applied.created {
                    match edit {
                        Edit::AddGathering { .. } => s.ui.gathering = Some(id.clone()),
                        Edit::AddAgendaItem { .. } | Edit::AddMethodToAgenda { .. } => {
                            s.ui.agenda_item = Some(id.clone());
                        }
                        _ => {}
                    }
                }
                if record && let Some(inverse) = applied.inverse.clone() {
                    self.state.undo.record(edit, inverse);
                }
                applied.inverse
            }
            Err(e) => {
                self.fail(&e);
                None
            }
        }
    }

    fn undo(&mut self) {
        let Some(inverse) = self.state.undo.pop_undo() else {
            self.notify(tr(self.state.lang(), "undo-nothing"));
            return;
        };
        if let Some(redo) = self.apply_edit(&inverse, false) {
            self.state.undo.push_redo(redo);
        }
    }

    fn redo(&mut self) {
        let Some(edit) = self.state.undo.pop_redo() else {
            self.notify(tr(self.state.lang(), "redo-nothing"));
            return;
        };
        if let Some(undo) = self.apply_edit(&edit, false) {
            self.state.undo.push_undo(undo);
        }
    }

    // ----- commands -----

    fn run(&mut self, ctx: &egui::Context, command: Command) {
        let lang = self.state.lang();
        match command {
            Command::SaveAs {
                what,
                format,
                suggested,
            } => {
                let folder = suggested
                    .parent()
                    .filter(|d| d.is_dir())
                    .map_or_else(default_folder, ToOwned::to_owned);
                let mut name = suggested
                    .file_name()
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from("samspill"));
                name.set_extension(format.extension());
                let request = SaveRequest {
                    title: tr(lang, "files-save-title").to_owned(),
                    folder,
                    file_name: name.display().to_string(),
                    extension: format.extension().to_owned(),
                    kind: format.extension().to_uppercase(),
                };
                let files = self.state.files.clone();
                self.spawn(ctx, move || JobDone::SaveChosen {
                    what,
                    format,
                    chosen: files.save(&request),
                });
            }
            Command::ChooseImport => {
                let request = OpenRequest {
                    title: tr(lang, "import-title").to_owned(),
                    folder: default_folder(),
                    extensions: vec!["automerge".to_owned(), "json".to_owned()],
                    kind: "Samspill".to_owned(),
                };
                let files = self.state.files.clone();
                self.spawn(ctx, move || JobDone::ImportChosen(files.open(&request)));
            }
            Command::ToggleSidebar => self.state.sidebar_folded = !self.state.sidebar_folded,
            Command::Navigate(screen) => {
                self.clear_confirmation();
                if matches!(screen, Screen::Projects | Screen::MyTasks) {
                    self.refresh_rows(ctx);
                }
                if screen == Screen::Settings {
                    self.state.settings = AppState::draft_from_profile(&self.state.device);
                }
                self.state.screen = screen;
            }
            Command::Section(section) => {
                self.clear_confirmation();
                if let Some(s) = &mut self.state.session {
                    s.ui.section = Some(section);
                    // Read the links again whenever the page is opened.
                    s.ui.access = None;
                    self.state.screen = Screen::Project;
                }
            }
            Command::OpenPhase(id, phase) => {
                let section = crate::ui::state::Section::Phase(phase);
                match &mut self.state.session {
                    Some(s) if s.project.id() == id => {
                        s.ui.section = Some(section);
                        self.state.screen = Screen::Project;
                    }
                    _ => {
                        self.state.open_at = Some((id, section));
                        self.run(ctx, Command::OpenProject(id));
                    }
                }
            }
            Command::OpenProject(id) => {
                if self
                    .state
                    .session
                    .as_ref()
                    .is_some_and(|s| s.project.id() == id)
                {
                    self.state.screen = Screen::Project;
                    return;
                }
                self.flush();
                self.state.session = None;
                self.state.opening = Some(id);
                self.state.screen = Screen::Project;
                let device = self.state.device.clone();
                let repaint = Some(ctx.clone());
                self.spawn(ctx, move || {
                    let result = device
                        .open_project(&id, Access::Edit)
                        .map(|p| Box::new(Session::new(p, repaint)));
                    JobDone::Opened(id, result)
                });
            }
            Command::CloseProject => {
                self.flush();
                self.state.session = None;
                self.state.undo.clear();
                self.state.screen = Screen::Projects;
                self.refresh_rows(ctx);
            }
            Command::RefreshProjects => self.refresh_rows(ctx),
            Command::CreateProject {
                template,
                title,
                service,
            } => self.create_project(&template, &title, &service),
            Command::RenameProject { id, title } => {
                // Undo covers the open project only.
                let is_open = self
                    .state
                    .session
                    .as_ref()
                    .is_some_and(|s| s.project.id() == id);
                let edit = Edit::SetText {
                    field: super::edit::TextField::Title,
                    text: title,
                };
                self.change_project(ctx, id, move |app| {
                    app.apply_edit(&edit, is_open);
                });
                self.state.dialog = None;
            }
            Command::SetArchived { id, archived } => {
                self.change_project(ctx, id, move |app| {
                    if let Some(s) = &mut app.state.session {
                        match s.project.with(|d| d.set_archived(archived)) {
                            Ok(()) => {
                                s.dirty_since.get_or_insert_with(Instant::now);
                            }
                            Err(e) => app.state.notice = Some(error_notice(e.to_string())),
                        }
                    }
                });
                let key = if archived {
                    "projects-archived-notice"
                } else {
                    "projects-restored-notice"
                };
                self.notify(tr(lang, key));
            }
            Command::Import(path) => match crate::cli::import(&self.state.device, &path) {
                Ok(id) => {
                    self.notify(tr(lang, "import-done"));
                    self.run(ctx, Command::OpenProject(id));
                }
                Err(e) => self.fail(&e),
            },
            Command::Edit(edit) => {
                self.apply_edit(&edit, true);
            }
            Command::Undo => self.undo(),
            Command::ReconnectNow => self.state.sync.reconnect_now(),
            Command::SetLan(on) => self.state.sync.set_lan(on),
            Command::Notify(text) => self.notify(text),
            Command::Redo => self.redo(),
            Command::SkipWelcome => {
                self.state.dialog = None;
                self.state.device.profile.welcomed = true;
                if let Err(e) = self.state.device.profile.save(&self.state.data_dir) {
                    self.fail(&e.into());
                }
            }
            Command::SaveProfile(draft) => {
                if matches!(self.state.dialog, Some(Dialog::Welcome { .. })) {
                    self.state.dialog = None;
                }
                self.state.settings = draft.clone();
                let p = &mut self.state.device.profile;
                p.welcomed = true;
                p.name = draft.name.trim().to_owned();
                p.centre = draft.centre.trim().to_owned();
                p.colour = draft.colour.clone();
                p.language = draft.language;
                p.theme = draft.theme;
                p.default_relay = draft.default_relay.trim().to_owned();
                match self.state.device.profile.save(&self.state.data_dir) {
                    Ok(()) => {
                        theme::apply(ctx, draft.theme);
                        self.notify(tr(draft.language, "settings-saved"));
                    }
                    Err(e) => self.fail(&e.into()),
                }
            }
            Command::Sync(cmd) => {
                let reply = self.state.sync.send(cmd);
                self.sync_reply(ctx, reply);
            }
            Command::OpenDialog(d) => self.state.dialog = Some(d),
            Command::CloseDialog => self.state.dialog = None,
            Command::PickMethodFor { gathering, method } => {
                self.state.library.target = Some(gathering);
                if method.is_some() {
                    self.state.library.selected = method;
                }
                self.state.screen = Screen::Library;
            }
            Command::ViewAt(hash) => self.view_at(&hash),
            Command::ViewCheckpoint(id) => self.view_checkpoint(&id),
            Command::ViewNow => {
                if let Some(s) = &mut self.state.session {
                    s.ui.viewing = None;
                }
            }
            Command::OpenRun(gathering) => {
                if let Some(s) = &mut self.state.session {
                    let running = s
                        .view
                        .gathering(&gathering)
                        .is_some_and(|g| g.run.is_running());
                    let mine = s.ui.run.as_ref().is_some_and(|r| r.gathering == gathering);
                    if !mine {
                        s.ui.run = Some(RunUi {
                            gathering: gathering.clone(),
                            following: running,
                            note: String::new(),
                            last_key: None,
                            projector: false,
                            signalled: None,
                        });
                    }
                    s.ui.viewing = None;
                    self.state.screen = Screen::Project;
                    if !running && let Ok(g) = gathering.parse() {
                        self.apply_edit(&Edit::RunStart { gathering: g }, false);
                    }
                }
            }
            Command::CloseRun => {
                if let Some(s) = &mut self.state.session {
                    s.ui.run = None;
                }
            }
            Command::Export { what, format, path } => self.export(&what, format, &path),
        }
    }

    fn view_at(&mut self, hash: &str) {
        let lang = self.state.lang();
        let Some(s) = &mut self.state.session else {
            return;
        };
        let result = s.project.with(|d| {
            d.resolve_change(hash).and_then(|change| {
                let view = d.view_at(change)?;
                Ok((change, view))
            })
        });
        match result {
            Ok((change, view)) => {
                let entry =
                    s.ui.history
                        .as_ref()
                        .and_then(|h| h.entries.iter().find(|e| e.hash == change.to_string()));
                let label = match entry {
                    Some(e) => format!(
                        "{} {} ({} · {})",
                        tr(lang, "history-after"),
                        super::history_ui::when(lang, e.time),
                        s.view.person_name(&e.by),
                        super::history_ui::message_in(lang, &e.msg)
                    ),
                    None => format!(
                        "{} {}",
                        tr(lang, "history-after"),
                        &hash[..hash.len().min(12)]
                    ),
                };
                s.ui.viewing = Some(Viewing {
                    heads: vec![change],
                    label,
                    view: Box::new(view),
                });
                if s.ui.section == Some(Section::History) {
                    s.ui.section = Some(Section::Overview);
                }
            }
            Err(e) => self.fail(&e.into()),
        }
    }

    fn view_checkpoint(&mut self, id: &str) {
        let Some(s) = &mut self.state.session else {
            return;
        };
        let Some(cp) = s.view.checkpoints.iter().find(|c| c.id == id).cloned() else {
            return;
        };
        let heads = samspill_shared::model::history::parse_heads(&cp.heads);
        // With concurrent heads at the checkpoint (two people editing at the moment it
        // was taken) the view shows them merged, and a restore brings back that merge.
        if heads.is_empty() {
            return;
        }
        match s.project.with(|d| d.view_at_heads(&heads)) {
            Ok(view) => {
                s.ui.viewing = Some(Viewing {
                    heads: heads.clone(),
                    label: format!("«{}»", cp.name),
                    view: Box::new(view),
                });
                if s.ui.section == Some(Section::History) {
                    s.ui.section = Some(Section::Overview);
                }
            }
            Err(e) => self.fail(&e.into()),
        }
    }

    fn export(&mut self, what: &ExportWhat, format: ExportFormat, path: &std::path::Path) {
        let lang = self.state.lang();
        let Some(s) = &mut self.state.session else {
            return;
        };
        let lib = library();
        let v = &s.view;
        let scope = match what {
            ExportWhat::Plan => Scope::Plan,
            ExportWhat::Gathering(id) => match v.gathering(id) {
                Some(g) => Scope::Gathering(g),
                None => return,
            },
        };
        let bytes = match format {
            ExportFormat::Pdf => match crate::export::pdf(v, lib, scope) {
                Ok(bytes) => bytes,
                Err(e) => return self.fail(&anyhow::Error::new(e)),
            },
            ExportFormat::Html => crate::export::html_of(v, lib, scope).into_bytes(),
        };
        let written = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(path, bytes));
        match written {
            Ok(()) => {
                s.ui.exported = Some((what.key(), path.to_owned()));
                self.notify(format!("{} {}", tr(lang, "print-written"), path.display()));
            }
            Err(e) => self.fail(
                &anyhow::Error::new(e).context(format!("could not write {}", path.display())),
            ),
        }
    }

    fn sync_reply(&mut self, ctx: &egui::Context, reply: SyncReply) {
        let lang = self.state.lang();
        match reply {
            SyncReply::Invite { link } => self.state.dialog = Some(Dialog::Invite { link }),
            SyncReply::Joined { project } => {
                self.state.dialog = None;
                self.refresh_rows(ctx);
                self.run(ctx, Command::OpenProject(project));
            }
            SyncReply::Started => {
                self.state.dialog = None;
                self.notify(tr(lang, "sync-started"));
            }
            SyncReply::Unavailable => {
                self.state.dialog = None;
                self.notify(tr(lang, "sync-unavailable"));
            }
            SyncReply::Removed { name, need_link } => {
                self.state.dialog = None;
                let mut text =
                    super::tr_args(lang, "access-removed", &[("name", name.as_str().into())]);
                if !need_link.is_empty() {
                    text.push(' ');
                    text.push_str(&super::tr_args(
                        lang,
                        "access-need-link",
                        &[("names", need_link.join(", ").into())],
                    ));
                }
                if let Some(s) = &mut self.state.session {
                    s.ui.access = None;
                }
                self.notify(&text);
            }
            SyncReply::Failed(msg) => self.state.notice = Some(error_notice(msg)),
        }
    }

    fn create_project(&mut self, template: &str, title: &str, service: &str) {
        let Some(t) = library().template(template) else {
            return;
        };
        let lang = self.state.lang();
        let new = NewProject {
            template: t,
            title,
            language: Some(lang),
        };
        let result = self.state.device.create_project(&new).and_then(|p| {
            if !service.trim().is_empty() {
                p.with(|d| d.set_service(service.trim()))?;
            }
            p.save()?;
            Ok(p)
        });
        match result {
            Ok(project) => {
                self.state.dialog = None;
                let repaint = self.state.repaint.clone();
                self.set_session(Session::new(project, repaint));
                self.notify(tr(lang, "projects-created"));
            }
            Err(e) => self.fail(&e),
        }
    }

    /// Runs `change` with `id` as the open project (opening it first, synchronously, if
    /// another one is open), then refreshes the list.
    fn change_project(
        &mut self,
        ctx: &egui::Context,
        id: DocumentId,
        change: impl FnOnce(&mut Self),
    ) {
        if self
            .state
            .session
            .as_ref()
            .is_none_or(|s| s.project.id() != id)
        {
            match self.state.device.open_project(&id, Access::Edit) {
                Ok(p) => {
                    let previous = self.state.session.take();
                    let screen = self.state.screen;
                    self.flush();
                    self.state.session = Some(Session::new(p, None));
                    change(self);
                    self.flush();
                    self.state.session = previous;
                    self.state.screen = screen;
                }
                Err(e) => self.fail(&e),
            }
        } else {
            change(self);
            self.flush();
        }
        self.refresh_rows(ctx);
    }
}

fn error_notice(text: String) -> Notice {
    Notice {
        text,
        error: true,
        at: Instant::now(),
    }
}

fn load_rows(device: &Device) -> anyhow::Result<Vec<ProjectRow>> {
    let mut rows = Vec::new();
    for id in device.store.list()? {
        // A damaged project must not hide the others; it is skipped with a log line.
        let project = match device.open_project(&id, Access::Read) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("could not open project {id}: {e:#}");
                continue;
            }
        };
        let v = project.view();
        let me = device.profile.person_id.as_str();
        let my_tasks = v
            .phases
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                p.tasks
                    .iter()
                    .filter(|t| !t.done && t.assignee == me)
                    .map(move |t| (i, p.name.clone(), t.clone()))
            })
            .collect();
        rows.push(ProjectRow {
            my_tasks,
            id,
            notices: project.take_notices(),
            title: v.meta.title.clone(),
            service: v.meta.service.clone(),
            archived: v.meta.archived,
            phases: v
                .phases
                .iter()
                .map(|p| {
                    let (d, t) = p.progress();
                    (p.name.clone(), d, t)
                })
                .collect(),
            sync: Default::default(),
        });
    }
    rows.sort_by_key(|r| r.title.to_lowercase());
    Ok(rows)
}

impl eframe::App for SamspillApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.flush();
    }
}

/// Sections in side-panel order, for keyboard navigation.
pub fn sections(phases: usize) -> Vec<Section> {
    let mut v = vec![Section::Overview];
    v.extend((0..phases).map(Section::Phase));
    v.extend([
        Section::Gatherings,
        Section::BetweenWork,
        Section::Log,
        Section::History,
        Section::Access,
    ]);
    v
}
