//! The window's frame: top bar (sync status, presence, undo), side panel (sections),
//! the central area, dialogs and the notice line.

use egui::{Align, Color32, Layout, RichText};
use samspill_shared::content::library;
use samspill_shared::link::Invite;

use super::state::{AppState, Command, Dialog, Outbox, Screen, Section};
use super::sync_hook::{SyncCommand, SyncStatus};
use super::theme::{self, accent, muted};
use super::{
    gatherings_ui, history_ui, library_ui, presence_ui, project_ui, projects_ui, run_ui,
    settings_ui, tr,
};

pub fn window_ui(ui: &mut egui::Ui, state: &mut AppState, out: &mut Outbox) {
    let lang = state.lang();
    if let Some(session) = &mut state.session
        && let Some(run) = &mut session.ui.run
    {
        run_ui::signal_time_up(ui.ctx(), &session.view, run);
        if run.projector && state.screen == Screen::Project {
            egui::CentralPanel::default().show(ui, |ui| {
                run_ui::projector_ui(ui, lang, &session.view, run);
            });
            return;
        }
    }
    top_bar_ui(ui, state, out);
    if let Some(n) = &state.notice {
        let (text, error) = (n.text.clone(), n.error);
        egui::Panel::bottom("notice").show(ui, |ui| {
            ui.horizontal(|ui| {
                let colour = if error {
                    ui.visuals().error_fg_color
                } else {
                    accent(ui)
                };
                ui.label(RichText::new(if error { "⚠" } else { "✔" }).color(colour));
                ui.label(RichText::new(text).color(colour));
            });
        });
    }
    if !state.sidebar_folded {
        side_panel_ui(ui, state, out);
    }
    // Narrow windows keep more of their width for the page.
    let side = if ui.available_width() < 1100.0 {
        14
    } else {
        28
    };
    let frame =
        egui::Frame::central_panel(ui.style()).inner_margin(egui::Margin::symmetric(side, 18));
    egui::CentralPanel::default()
        .frame(frame)
        .show(ui, |ui| central_ui(ui, state, out));
    dialog_ui(ui, state, out);
}

fn central_ui(ui: &mut egui::Ui, state: &mut AppState, out: &mut Outbox) {
    let lang = state.lang();
    match state.screen {
        Screen::Projects => projects_ui::projects_ui(ui, state, out),
        Screen::Library => library_ui::library_ui(ui, state, out),
        Screen::Settings => settings_ui::settings_ui(ui, state, out),
        Screen::MyTasks => projects_ui::my_tasks_ui(ui, state, out),
        Screen::Project => {
            if state.opening.is_some() {
                ui.add_space(80.0);
                ui.vertical_centered(|ui| {
                    ui.add(egui::Spinner::new().size(32.0));
                    ui.label(tr(lang, "project-loading"));
                });
                return;
            }
            let Some(session) = &mut state.session else {
                out.send(Command::Navigate(Screen::Projects));
                return;
            };
            let presence = state.sync.presence(&session.project.id());
            session.ui.peers = presence_ui::marks(lang, &session.view, presence);
            let fields = &mut state.fields;
            if let Some(run) = &mut session.ui.run {
                run_ui::run_ui(ui, lang, &session.view, run, out);
                return;
            }
            if let Some(viewing) = session.ui.viewing.take() {
                history_ui::viewing_banner_ui(ui, lang, &viewing, out);
                if session.section() == Section::History {
                    history_ui::history_ui(ui, lang, session, out);
                } else {
                    // The same screens, drawn from the old version: fields show text
                    // only, and of what the panels ask only moving around is done.
                    let mut read_only = super::text_bind::Fields::read_only();
                    let mut ignored = Outbox::default();
                    section_ui(
                        ui,
                        lang,
                        session.section(),
                        &viewing.view,
                        &mut session.ui,
                        &mut read_only,
                        &mut ignored,
                        false,
                    );
                    for c in ignored.commands {
                        if matches!(c, Command::Section(_)) {
                            out.send(c);
                        }
                    }
                }
                if session.ui.viewing.is_none() {
                    session.ui.viewing = Some(viewing);
                }
                return;
            }
            if state.sync.status(&session.project.id()) == SyncStatus::Removed {
                removed_banner_ui(ui, lang);
            } else if session.viewer {
                viewer_banner_ui(ui, lang);
            }
            running_banner_ui(ui, lang, &session.view, out);
            if session.section() == Section::Access {
                egui::ScrollArea::both().show(ui, |ui| {
                    super::access_ui::access_ui(ui, lang, &state.device, session, out);
                });
                return;
            }
            if session.section() == Section::History {
                history_ui::history_ui(ui, lang, session, out);
                return;
            }
            section_ui(
                ui,
                lang,
                session.section(),
                &session.view,
                &mut session.ui,
                fields,
                out,
                true,
            );
        }
    }
}

/// Says that this device was removed from the project, and what that means.
fn removed_banner_ui(ui: &mut egui::Ui, lang: samspill_shared::content::Lang) {
    theme::amber_banner().show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("⚠").size(18.0));
            ui.vertical(|ui| {
                ui.label(egui::RichText::new(tr(lang, "sync-removed")).strong());
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(tr(lang, "project-removed-body"))
                            .small()
                            .color(muted(ui)),
                    )
                    .wrap(),
                );
            });
        });
    });
    ui.add_space(8.0);
}

/// Says that this device may only read the project, and what to do about it.
fn viewer_banner_ui(ui: &mut egui::Ui, lang: samspill_shared::content::Lang) {
    theme::amber_banner().show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("👁").size(18.0));
            ui.vertical(|ui| {
                ui.label(egui::RichText::new(tr(lang, "project-viewer-title")).strong());
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(tr(lang, "project-viewer-body"))
                            .small()
                            .color(muted(ui)),
                    )
                    .wrap(),
                );
            });
        });
    });
    ui.add_space(8.0);
}

/// One section of a project; `live` is false for an earlier version.
#[allow(clippy::too_many_arguments)]
fn section_ui(
    ui: &mut egui::Ui,
    lang: samspill_shared::content::Lang,
    section: Section,
    v: &samspill_shared::model::Project,
    sui: &mut super::state::SessionUi,
    fields: &mut super::text_bind::Fields,
    out: &mut Outbox,
    live: bool,
) {
    match section {
        Section::Gatherings => gatherings_ui::gatherings_ui(ui, lang, v, sui, fields, out, live),
        Section::BetweenWork => gatherings_ui::between_work_ui(ui, lang, v, sui, fields, out),
        section => project_ui::project_ui(ui, lang, section, v, sui, fields, out, live),
    }
}

/// "A gathering is on: <item>" with "follow", while someone runs a gathering.
fn running_banner_ui(
    ui: &mut egui::Ui,
    lang: samspill_shared::content::Lang,
    v: &samspill_shared::model::Project,
    out: &mut Outbox,
) {
    for g in v.gatherings.iter().filter(|g| g.run.is_running()) {
        let item = g
            .agenda
            .iter()
            .find(|a| a.id == g.run.current)
            .map(|a| a.title.as_str())
            .unwrap_or_default();
        egui::Frame::new()
            .fill(accent(ui).gamma_multiply(0.15))
            .stroke(egui::Stroke::new(1.0, accent(ui)))
            .corner_radius(8)
            .inner_margin(egui::Margin::symmetric(14, 8))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    ui.label(RichText::new("▶").color(accent(ui)));
                    ui.label(RichText::new(format!("{}: {item}", tr(lang, "run-banner"))).strong());
                    ui.label(RichText::new(format!("({})", g.title)).color(muted(ui)));
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                        if ui.button(format!("👁 {}", tr(lang, "run-follow"))).clicked() {
                            out.send(Command::OpenRun(g.id.clone()));
                        }
                    });
                });
            });
        ui.add_space(8.0);
    }
}

fn top_bar_ui(ui: &mut egui::Ui, state: &mut AppState, out: &mut Outbox) {
    let lang = state.lang();
    let frame =
        egui::Frame::side_top_panel(ui.style()).inner_margin(egui::Margin::symmetric(14, 8));
    egui::Panel::top("top").frame(frame).show(ui, |ui| {
        ui.horizontal(|ui| {
            let fold = if state.sidebar_folded {
                "nav-show"
            } else {
                "nav-hide"
            };
            // Screen readers (and the UI tests) hear what it does, not "☰".
            if ui
                .add(egui::Button::new("☰").frame(false))
                .accessible_name(tr(lang, fold))
                .on_hover_text(format!("{} (Ctrl+B)", tr(lang, fold)))
                .clicked()
            {
                out.send(Command::ToggleSidebar);
            }
            logo_ui(ui);
            ui.label(
                RichText::new("Samspill")
                    .size(18.0)
                    .strong()
                    .color(accent(ui)),
            );
            // The right-hand side (status, undo, settings) as wide as it was last frame:
            // a long title is cut short to leave it room, and shown whole on hover.
            let right_id = egui::Id::unique("top-bar-right");
            let right_width: f32 = ui.ctx().data(|d| d.get_temp(right_id)).unwrap_or(0.0);
            if let (Some(s), Screen::Project) = (&state.session, state.screen) {
                ui.label(RichText::new("›").color(muted(ui)));
                let room = (ui.available_width() - right_width - 16.0).max(40.0);
                let title = &s.view.meta.title;
                ui.scope(|ui| {
                    ui.set_max_width(room);
                    ui.add(egui::Label::new(RichText::new(title).strong()).truncate())
                        .on_hover_text(title);
                });
            }
            let right = ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if ui
                    .button(format!("⚙ {}", tr(lang, "settings-title")))
                    .on_hover_text("Ctrl+,")
                    .clicked()
                {
                    out.send(Command::Navigate(Screen::Settings));
                }
                let redo = ui.add_enabled(
                    state.undo.can_redo(),
                    egui::Button::new(format!("⟳ {}", tr(lang, "action-redo"))),
                );
                if redo.on_hover_text("Ctrl+Shift+Z").clicked() {
                    out.send(Command::Redo);
                }
                let undo = ui.add_enabled(
                    state.undo.can_undo(),
                    egui::Button::new(format!("⟲ {}", tr(lang, "action-undo"))),
                );
                if undo.on_hover_text("Ctrl+Z").clicked() {
                    out.send(Command::Undo);
                }
                ui.separator();
                if let Some(s) = &state.session {
                    let status = state.sync.status(&s.project.id());
                    if status == SyncStatus::Local
                        && !s.viewer
                        && ui
                            .button(format!("👥 {}", tr(lang, "sync-share")))
                            .clicked()
                    {
                        let relay = state.device.profile.default_relay.clone();
                        out.send(Command::OpenDialog(Dialog::Share {
                            relay,
                            token: String::new(),
                        }));
                    }
                    if matches!(status, SyncStatus::Offline { .. })
                        && ui
                            .button(format!("⟳ {}", tr(lang, "sync-reconnect")))
                            .on_hover_text(tr(lang, "sync-reconnect-hint"))
                            .clicked()
                    {
                        out.send(Command::ReconnectNow);
                    }
                    let on_lan = state.sync.live_on_lan(&s.project.id());
                    if on_lan > 0 {
                        let text =
                            super::tr_args(lang, "sync-lan-live", &[("count", on_lan.into())]);
                        ui.label(RichText::new("📡").color(accent(ui)))
                            .on_hover_text(&text)
                            .accessible_name(&text);
                    }
                    status_ui(ui, lang, &status);
                    presence_ui(ui, state);
                } else {
                    status_ui(ui, lang, &SyncStatus::Local);
                }
                // What the right-hand side took (the layout spans the rest of the bar).
                ui.min_rect().width()
            });
            ui.ctx().data_mut(|d| d.insert_temp(right_id, right.inner));
        });
    });
}

/// Two overlapping circles: two parties working together.
fn logo_ui(ui: &mut egui::Ui) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(26.0, 18.0), egui::Sense::hover());
    let c = rect.center();
    ui.painter().circle_filled(
        c - egui::vec2(4.5, 0.0),
        7.5,
        accent(ui).gamma_multiply(0.55),
    );
    ui.painter()
        .circle_filled(c + egui::vec2(4.5, 0.0), 7.5, accent(ui));
}

/// The sync status: a coloured dot and what is true now (see [`SyncStatus`]). Always
/// visible; a long reason is cut short, and shown whole on hover.
fn status_ui(ui: &mut egui::Ui, lang: samspill_shared::content::Lang, status: &SyncStatus) {
    let colour = match status {
        SyncStatus::Local | SyncStatus::Shared => muted(ui),
        SyncStatus::Synced => accent(ui),
        SyncStatus::Connecting | SyncStatus::Waiting(_) | SyncStatus::Offline { .. } => {
            theme::AMBER
        }
        SyncStatus::Stopped(_) | SyncStatus::Removed => ui.visuals().error_fg_color,
    };
    let full = status.text(lang);
    const SHOWN: usize = 48;
    let text = if full.chars().count() > SHOWN {
        format!("{}…", full.chars().take(SHOWN).collect::<String>())
    } else {
        full.clone()
    };
    let r = ui.label(RichText::new(text).color(colour));
    let r = match status {
        SyncStatus::Local => r.on_hover_text(tr(lang, "sync-local-hint")),
        _ if full.chars().count() > SHOWN => r.on_hover_text(full),
        _ => r,
    };
    let dot = egui::pos2(r.rect.left() - 8.0, r.rect.center().y);
    ui.painter().circle_filled(dot, 4.0, colour);
    ui.add_space(16.0);
}

/// Who is here: your own mark, then others the sync engine reports, as the project's
/// people know them (see `presence_ui`).
fn presence_ui(ui: &mut egui::Ui, state: &AppState) {
    let Some(s) = &state.session else { return };
    let lang = state.lang();
    let peers = presence_ui::marks(lang, &s.view, state.sync.presence(&s.project.id()));
    for p in peers {
        let hover = match p.section {
            Some(sec) => format!("{} — {}", p.name, section_name(lang, &s.view, sec)),
            None => p.name.clone(),
        };
        theme::avatar_ui(ui, &p.name, &p.colour, 24.0).on_hover_text(hover);
    }
    let me = &state.device.profile;
    theme::avatar_ui(ui, me.display_name(), &me.colour, 24.0);
}

/// A section's name as the side panel shows it.
fn section_name(
    lang: samspill_shared::content::Lang,
    v: &samspill_shared::model::Project,
    sec: Section,
) -> String {
    match sec {
        Section::Overview => tr(lang, "project-overview").to_owned(),
        Section::Phase(i) => v
            .phases
            .get(i)
            .map(|p| format!("{}. {}", i + 1, p.name))
            .unwrap_or_default(),
        Section::Gatherings => tr(lang, "gatherings-title").to_owned(),
        Section::BetweenWork => tr(lang, "work-title").to_owned(),
        Section::Log => tr(lang, "log-title").to_owned(),
        Section::History => tr(lang, "history-title").to_owned(),
        Section::Access => tr(lang, "access-title").to_owned(),
    }
}

fn nav_item_ui(
    ui: &mut egui::Ui,
    selected: bool,
    text: impl Into<egui::WidgetText>,
    right: Option<String>,
) -> egui::Response {
    let mut button = egui::Button::selectable(selected, text.into())
        .min_size(egui::vec2(ui.available_width(), 28.0));
    if let Some(r) = right {
        button = button.right_text(RichText::new(r).small().color(muted(ui)));
    }
    ui.add(button)
}

fn side_panel_ui(ui: &mut egui::Ui, state: &mut AppState, out: &mut Outbox) {
    let lang = state.lang();
    let frame =
        egui::Frame::side_top_panel(ui.style()).inner_margin(egui::Margin::symmetric(10, 12));
    egui::Panel::left("nav")
        .frame(frame)
        .resizable(false)
        .exact_size(if ui.available_width() < 1100.0 {
            200.0
        } else {
            230.0
        })
        .show(ui, |ui| {
            ui.spacing_mut().item_spacing.y = 3.0;
            // Who you are stays at the bottom; the sections above scroll when the
            // window is too low for them all.
            egui::Panel::bottom("nav-me")
                .frame(egui::Frame::NONE)
                .show(ui, |ui| {
                    ui.with_layout(Layout::bottom_up(Align::Min), |ui| {
                        if ui
                            .link(tr(lang, "keys-title"))
                            .on_hover_text("F1")
                            .clicked()
                        {
                            out.send(Command::OpenDialog(Dialog::Shortcuts));
                        }
                        let me = &state.device.profile;
                        ui.add_space(6.0);
                        let who = ui.horizontal(|ui| {
                            theme::avatar_ui(ui, me.display_name(), &me.colour, 22.0);
                            // One label of two lines, so the bottom-up layout knows its height.
                            let mut job = egui::text::LayoutJob::default();
                            let body = egui::TextStyle::Body.resolve(ui.style());
                            let small = egui::TextStyle::Small.resolve(ui.style());
                            let strong =
                                egui::TextFormat::simple(body, ui.visuals().strong_text_color());
                            job.append(me.display_name(), 0.0, strong);
                            if !me.centre.is_empty() {
                                job.append(
                                    &format!("\n{}", me.centre),
                                    0.0,
                                    egui::TextFormat::simple(small, muted(ui)),
                                );
                            }
                            ui.label(job);
                        });
                        // The avatar opens "who you are".
                        let who = ui
                            .interact(
                                who.response.rect,
                                egui::Id::unique("who-am-i"),
                                egui::Sense::click(),
                            )
                            .on_hover_text(tr(lang, "welcome-edit"));
                        if who.clicked() {
                            out.send(Command::OpenDialog(Dialog::Welcome {
                                name: me.name.clone(),
                                centre: me.centre.clone(),
                                colour: me.colour.clone(),
                                first: false,
                            }));
                        }
                    });
                });
            egui::ScrollArea::vertical()
                .id_salt("nav-scroll")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    let on_list = state.screen == Screen::Projects;
                    if nav_item_ui(
                        ui,
                        on_list,
                        format!("📂  {}", tr(lang, "projects-title")),
                        None,
                    )
                    .clicked()
                    {
                        out.send(Command::Navigate(Screen::Projects));
                    }
                    if let Some(s) = &state.session {
                        // Viewing an earlier version: the counts are that version's.
                        let v = s.ui.viewing.as_ref().map_or(&s.view, |w| &*w.view);
                        ui.add_space(12.0);
                        ui.label(
                            RichText::new(&v.meta.title)
                                .small()
                                .strong()
                                .color(muted(ui)),
                        );
                        ui.add_space(2.0);
                        let here =
                            |sec: Section| state.screen == Screen::Project && s.section() == sec;
                        if nav_item_ui(
                            ui,
                            here(Section::Overview),
                            tr(lang, "project-overview"),
                            None,
                        )
                        .clicked()
                        {
                            out.send(Command::Section(Section::Overview));
                        }
                        for (i, p) in v.phases.iter().enumerate() {
                            let (d, t) = p.progress();
                            let mark = match p.status {
                                samspill_shared::model::PhaseStatus::Done => "✔",
                                samspill_shared::model::PhaseStatus::Active => "▶",
                                samspill_shared::model::PhaseStatus::NotStarted => "○",
                            };
                            let r = nav_item_ui(
                                ui,
                                here(Section::Phase(i)),
                                format!("{mark}  {}. {}", i + 1, p.name),
                                Some(format!("{d}/{t}")),
                            );
                            peer_dots_ui(ui, &r, &s.ui.peers, Section::Phase(i));
                            if r.clicked() {
                                out.send(Command::Section(Section::Phase(i)));
                            }
                        }
                        let n = v.gatherings.len();
                        let r = nav_item_ui(
                            ui,
                            here(Section::Gatherings),
                            tr(lang, "gatherings-title"),
                            Some(n.to_string()),
                        );
                        peer_dots_ui(ui, &r, &s.ui.peers, Section::Gatherings);
                        if r.clicked() {
                            out.send(Command::Section(Section::Gatherings));
                        }
                        let n = v.between_work.len();
                        if nav_item_ui(
                            ui,
                            here(Section::BetweenWork),
                            tr(lang, "work-title"),
                            Some(n.to_string()),
                        )
                        .clicked()
                        {
                            out.send(Command::Section(Section::BetweenWork));
                        }
                        let n = v.log.len();
                        if nav_item_ui(
                            ui,
                            here(Section::Log),
                            tr(lang, "log-title"),
                            Some(n.to_string()),
                        )
                        .clicked()
                        {
                            out.send(Command::Section(Section::Log));
                        }
                        if nav_item_ui(
                            ui,
                            here(Section::History),
                            format!("🕘  {}", tr(lang, "history-title")),
                            None,
                        )
                        .clicked()
                        {
                            out.send(Command::Section(Section::History));
                        }
                        if nav_item_ui(
                            ui,
                            here(Section::Access),
                            format!("🔑  {}", tr(lang, "access-title")),
                            None,
                        )
                        .clicked()
                        {
                            out.send(Command::Section(Section::Access));
                        }
                    }
                    ui.add_space(12.0);
                    ui.separator();
                    ui.add_space(4.0);
                    let mine: usize = state.rows.iter().map(|r| r.my_tasks.len()).sum();
                    let r = nav_item_ui(
                        ui,
                        state.screen == Screen::MyTasks,
                        format!("☑  {}", tr(lang, "mytasks-title")),
                        (mine > 0).then(|| mine.to_string()),
                    );
                    if r.clicked() {
                        out.send(Command::Navigate(Screen::MyTasks));
                    }
                    let r = nav_item_ui(
                        ui,
                        state.screen == Screen::Library,
                        format!("📖  {}", tr(lang, "library-title")),
                        None,
                    );
                    if r.on_hover_text("Ctrl+L").clicked() {
                        out.send(Command::Navigate(Screen::Library));
                    }
                    let r = nav_item_ui(
                        ui,
                        state.screen == Screen::Settings,
                        format!("⚙  {}", tr(lang, "settings-title")),
                        None,
                    );
                    if r.clicked() {
                        out.send(Command::Navigate(Screen::Settings));
                    }
                });
        });
}

/// Peers' colour dots drawn over the left end of a side-panel item.
fn peer_dots_ui(
    ui: &egui::Ui,
    item: &egui::Response,
    peers: &[presence_ui::PeerMark],
    section: Section,
) {
    let mut x = item.rect.right() - 46.0;
    for p in peers.iter().filter(|p| p.section == Some(section)) {
        let c = egui::pos2(x, item.rect.center().y);
        ui.painter()
            .circle_filled(c, 4.5, theme::parse_colour(&p.colour));
        ui.painter()
            .circle_stroke(c, 4.5, egui::Stroke::new(1.0, ui.visuals().panel_fill));
        x -= 10.0;
    }
}

/// The open dialog, if any, as a modal.
fn dialog_ui(ui: &mut egui::Ui, state: &mut AppState, out: &mut Outbox) {
    let lang = state.lang();
    let Some(dialog) = &mut state.dialog else {
        return;
    };
    let t = |k: &'static str| tr(lang, k);
    // (The new-project dialog keeps one height whichever template is chosen, so the
    // centred dialog does not move under the pointer.)
    let modal = egui::Modal::new(egui::Id::unique("dialog")).show(ui.ctx(), |ui| {
        ui.set_width(460.0);
        ui.scope(|ui| match dialog {
            Dialog::NewProject {
                template,
                title,
                service,
            } => {
                ui.heading(t("projects-new"));
                ui.add_space(6.0);
                let templates = &library().templates;
                ui.label(t("projects-template"));
                ui.vertical(|ui| {
                    for (i, tpl) in templates.iter().enumerate() {
                        let shown = tpl.shown_in(lang);
                        let name = if shown == lang {
                            tpl.name_for(lang).to_owned()
                        } else {
                            // Named in its own language, and saying which.
                            let in_lang = super::tr_dyn(lang, &format!("language-{shown}"));
                            format!("{} ({in_lang})", tpl.name_for(lang))
                        };
                        // Each choice is named by its own label (the heading above
                        // groups them).
                        ui.radio_value(template, i, name);
                    }
                });
                if let Some(tpl) = templates.get(*template) {
                    let shown = tpl.shown_in(lang);
                    egui::Frame::group(ui.style())
                        .fill(theme::card_fill(ui))
                        .show(ui, |ui| {
                            ui.set_width(ui.available_width());
                            // The same height for every template, so that choosing one
                            // moves nothing under the pointer.
                            ui.set_min_height(220.0);
                            ui.label(RichText::new(tpl.description.get(shown)).color(muted(ui)));
                            ui.add_space(4.0);
                            ui.label(RichText::new(t("projects-template-phases")).strong());
                            ui.horizontal_wrapped(|ui| {
                                for (i, p) in tpl.phases.iter().enumerate() {
                                    let (tasks, checks) = (p.tasks.len(), p.checklist.len());
                                    ui.label(format!("{}. {}", i + 1, p.name.get(shown)))
                                        .on_hover_text(format!(
                                            "{tasks} {} · {checks} {}",
                                            t("project-tasks"),
                                            t("project-checklist")
                                        ));
                                    if i + 1 < tpl.phases.len() {
                                        ui.label(RichText::new("›").color(muted(ui)));
                                    }
                                }
                            });
                            if !tpl.gatherings.is_empty() {
                                ui.label(format!(
                                    "{} {}",
                                    tpl.gatherings.len(),
                                    t("projects-template-gatherings")
                                ));
                            }
                        });
                }
                ui.add_space(6.0);
                let l = ui.label(t("project-title-label"));
                let r = ui
                    .add(
                        egui::TextEdit::singleline(title)
                            .desired_width(f32::INFINITY)
                            .hint_text(t("projects-title-hint")),
                    )
                    .labelled_by(l.id);
                if r.gained_focus() || ui.memory(|m| m.focused().is_none()) {
                    r.request_focus();
                }
                let l = ui.label(t("project-service"));
                ui.add(
                    egui::TextEdit::singleline(service)
                        .desired_width(f32::INFINITY)
                        .hint_text(t("projects-service-hint")),
                )
                .labelled_by(l.id);
                ui.add_space(8.0);
                let ok = !title.trim().is_empty();
                ui.horizontal(|ui| {
                    let create = ui.add_enabled(
                        ok,
                        egui::Button::new(
                            RichText::new(t("projects-create")).color(Color32::WHITE),
                        )
                        .fill(accent(ui)),
                    );
                    let enter = ok && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if create.clicked() || enter {
                        let template = templates
                            .get(*template)
                            .map(|x| x.id.clone())
                            .unwrap_or_default();
                        out.send(Command::CreateProject {
                            template,
                            title: title.trim().to_owned(),
                            service: service.clone(),
                        });
                    }
                    if ui.button(t("common-cancel")).clicked() {
                        out.send(Command::CloseDialog);
                    }
                });
            }
            Dialog::Rename { id, title } => {
                ui.heading(t("projects-rename"));
                let l = ui.label(t("project-title-label"));
                let r = ui
                    .add(egui::TextEdit::singleline(title).desired_width(f32::INFINITY))
                    .labelled_by(l.id);
                if ui.memory(|m| m.focused().is_none()) {
                    r.request_focus();
                }
                ui.horizontal(|ui| {
                    let ok = !title.trim().is_empty();
                    if ui
                        .add_enabled(ok, egui::Button::new(t("common-save")))
                        .clicked()
                    {
                        out.send(Command::RenameProject {
                            id: *id,
                            title: title.trim().to_owned(),
                        });
                    }
                    if ui.button(t("common-cancel")).clicked() {
                        out.send(Command::CloseDialog);
                    }
                });
            }
            Dialog::Archive { id, title, archive } => {
                ui.heading(if *archive {
                    t("projects-archive")
                } else {
                    t("projects-restore")
                });
                let q = if *archive {
                    t("projects-archive-confirm")
                } else {
                    t("projects-restore-confirm")
                };
                ui.label(format!("{q} «{title}»"));
                ui.horizontal(|ui| {
                    let yes = if *archive {
                        t("projects-archive")
                    } else {
                        t("projects-restore")
                    };
                    if ui.button(yes).clicked() {
                        out.send(Command::SetArchived {
                            id: *id,
                            archived: *archive,
                        });
                        out.send(Command::CloseDialog);
                    }
                    if ui.button(t("common-cancel")).clicked() {
                        out.send(Command::CloseDialog);
                    }
                });
            }
            Dialog::Import { path } => {
                ui.heading(t("import-title"));
                ui.label(RichText::new(t("import-help")).color(muted(ui)));
                let l = ui.label(t("import-path"));
                ui.add(
                    egui::TextEdit::singleline(path)
                        .desired_width(f32::INFINITY)
                        .hint_text("/home/…/prosjekt.automerge"),
                )
                .labelled_by(l.id);
                if ui.button(format!("📂 {}", t("import-choose"))).clicked() {
                    out.send(Command::ChooseImport);
                }
                ui.add_space(6.0);
                ui.horizontal(|ui| {
                    let ok = !path.trim().is_empty();
                    if ui
                        .add_enabled(ok, egui::Button::new(t("import-do")))
                        .clicked()
                    {
                        out.send(Command::Import(path.trim().into()));
                        out.send(Command::CloseDialog);
                    }
                    if ui.button(t("common-cancel")).clicked() {
                        out.send(Command::CloseDialog);
                    }
                });
            }
            Dialog::Join { link, from_outside } => {
                ui.heading(t("sync-join"));
                if *from_outside {
                    ui.label(RichText::new(t("sync-join-opened")).strong());
                } else {
                    ui.label(RichText::new(t("sync-join-help")).color(muted(ui)));
                }
                let l = ui.label(t("sync-link"));
                ui.add(
                    egui::TextEdit::singleline(link)
                        .desired_width(f32::INFINITY)
                        .hint_text("samspill://relay.example.no/join#…"),
                )
                .labelled_by(l.id);
                // Only the relay is shown: the rest of the link is the project's key.
                let invite = Invite::parse(link.trim());
                match &invite {
                    Ok(invite) => {
                        match &invite.relay {
                            Some(relay) => ui.label(format!("{}: {relay}", t("sync-join-relay"))),
                            None => ui.label(t("sync-join-lan")),
                        };
                    }
                    Err(_) if !link.trim().is_empty() => {
                        ui.colored_label(ui.visuals().error_fg_color, t("sync-join-bad-link"));
                    }
                    Err(_) => {}
                }
                ui.horizontal(|ui| {
                    let ok = invite.is_ok();
                    if ui
                        .add_enabled(ok, egui::Button::new(t("sync-join")))
                        .clicked()
                    {
                        out.send(Command::Sync(SyncCommand::Join {
                            link: link.trim().to_owned(),
                        }));
                    }
                    if ui.button(t("common-cancel")).clicked() {
                        out.send(Command::CloseDialog);
                    }
                });
            }
            Dialog::Share { relay, token } => {
                ui.heading(t("sync-share"));
                ui.label(RichText::new(t("sync-share-help")).color(muted(ui)));
                let l = ui.label(t("settings-relay"));
                ui.add(
                    egui::TextEdit::singleline(relay)
                        .desired_width(f32::INFINITY)
                        .hint_text("wss://relay.example.no"),
                )
                .labelled_by(l.id);
                let l = ui.label(t("sync-token"));
                ui.add(
                    egui::TextEdit::singleline(token)
                        .password(true)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(l.id);
                ui.horizontal(|ui| {
                    let ok = !relay.trim().is_empty();
                    let project = state.session.as_ref().map(|s| s.project.id());
                    if ui
                        .add_enabled(ok && project.is_some(), egui::Button::new(t("sync-share")))
                        .clicked()
                        && let Some(project) = project
                    {
                        let token = (!token.trim().is_empty()).then(|| token.trim().to_owned());
                        out.send(Command::Sync(SyncCommand::Share {
                            project,
                            relay: relay.trim().to_owned(),
                            token,
                        }));
                    }
                    if ui.button(t("common-cancel")).clicked() {
                        out.send(Command::CloseDialog);
                    }
                });
            }
            Dialog::Invite { link } => {
                ui.heading(t("sync-invite"));
                ui.label(RichText::new(t("sync-invite-help")).color(muted(ui)));
                ui.add(egui::TextEdit::singleline(link).desired_width(f32::INFINITY))
                    .accessible_name(t("sync-link"));
                ui.horizontal(|ui| {
                    if ui.button(t("sync-copy")).clicked() {
                        ui.ctx().copy_text(link.clone());
                        out.send(Command::Notify(t("access-copied").to_owned()));
                    }
                    if ui.button(t("common-ok")).clicked() {
                        out.send(Command::CloseDialog);
                    }
                });
            }
            Dialog::ConfirmRemove { person, name } => {
                ui.heading(super::tr_args(
                    lang,
                    "access-remove-title",
                    &[("name", name.as_str().into())],
                ));
                ui.add(
                    egui::Label::new(super::tr_args(
                        lang,
                        "access-remove-does",
                        &[("name", name.as_str().into())],
                    ))
                    .wrap(),
                );
                ui.add_space(4.0);
                ui.add(
                    egui::Label::new(
                        RichText::new(super::tr_args(
                            lang,
                            "access-remove-does-not",
                            &[("name", name.as_str().into())],
                        ))
                        .color(muted(ui)),
                    )
                    .wrap(),
                );
                ui.add_space(6.0);
                ui.horizontal(|ui| {
                    let red = ui.visuals().error_fg_color;
                    let project = state.session.as_ref().map(|s| s.project.id());
                    if ui
                        .add(egui::Button::new(
                            RichText::new(super::tr_args(
                                lang,
                                "access-remove-confirm",
                                &[("name", name.as_str().into())],
                            ))
                            .color(red),
                        ))
                        .clicked()
                        && let Some(project) = project
                    {
                        out.send(Command::Sync(SyncCommand::Remove {
                            project,
                            person: person.clone(),
                        }));
                    }
                    if ui.button(t("common-cancel")).clicked() {
                        out.send(Command::CloseDialog);
                    }
                });
            }
            Dialog::Confirm { question, edit } => {
                ui.heading(t("confirm-title"));
                ui.label(question.as_str());
                ui.add_space(6.0);
                ui.horizontal(|ui| {
                    let red = ui.visuals().error_fg_color;
                    if ui
                        .add(
                            egui::Button::new(
                                RichText::new(t("common-delete")).color(Color32::WHITE),
                            )
                            .fill(red),
                        )
                        .clicked()
                    {
                        out.send(Command::Edit(edit.clone()));
                        out.send(Command::CloseDialog);
                    }
                    if ui.button(t("common-cancel")).clicked() {
                        out.send(Command::CloseDialog);
                    }
                });
            }
            Dialog::ConfirmRestore { label, edit } => {
                ui.heading(t("history-restore"));
                ui.label(format!("{} {label}?", t("history-restore-confirm")));
                ui.label(
                    RichText::new(t("history-restore-help"))
                        .small()
                        .color(muted(ui)),
                );
                ui.add_space(6.0);
                ui.horizontal(|ui| {
                    if ui
                        .add(
                            egui::Button::new(
                                RichText::new(t("history-restore-do")).color(Color32::WHITE),
                            )
                            .fill(accent(ui)),
                        )
                        .clicked()
                    {
                        out.send(Command::Edit(edit.clone()));
                        out.send(Command::CloseDialog);
                    }
                    if ui.button(t("common-cancel")).clicked() {
                        out.send(Command::CloseDialog);
                    }
                });
            }
            Dialog::Welcome {
                name,
                centre,
                colour,
                first,
            } => {
                let first = *first;
                ui.heading(t(if first {
                    "welcome-title"
                } else {
                    "welcome-edit"
                }));
                ui.add(egui::Label::new(RichText::new(t("welcome-body")).color(muted(ui))).wrap());
                ui.add_space(6.0);
                let l = ui.label(t("settings-name"));
                ui.add(
                    egui::TextEdit::singleline(name)
                        .desired_width(f32::INFINITY)
                        .hint_text("Kari Nordmann"),
                )
                .labelled_by(l.id);
                let l = ui.label(t("settings-centre"));
                ui.add(
                    egui::TextEdit::singleline(centre)
                        .desired_width(f32::INFINITY)
                        .hint_text("RVTS Sør"),
                )
                .labelled_by(l.id);
                ui.label(t("settings-colour"));
                ui.horizontal_wrapped(|ui| {
                    for c in super::settings_ui::COLOURS {
                        let (rect, r) =
                            ui.allocate_exact_size(egui::vec2(26.0, 26.0), egui::Sense::click());
                        ui.painter()
                            .circle_filled(rect.center(), 11.0, theme::parse_colour(c));
                        if colour.eq_ignore_ascii_case(c) {
                            ui.painter().circle_stroke(
                                rect.center(),
                                12.5,
                                egui::Stroke::new(2.0, ui.visuals().text_color()),
                            );
                        }
                        if r.on_hover_text(c).clicked() {
                            *colour = c.to_owned();
                        }
                    }
                });
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    let ok = !name.trim().is_empty();
                    let save = if first { "welcome-save" } else { "common-save" };
                    if ui.add_enabled(ok, egui::Button::new(t(save))).clicked() {
                        let mut draft = state.settings.clone();
                        draft.name = name.trim().to_owned();
                        draft.centre = centre.trim().to_owned();
                        draft.colour = colour.clone();
                        out.send(Command::SaveProfile(draft));
                    }
                    if first && ui.button(t("welcome-skip")).clicked() {
                        out.send(Command::SkipWelcome);
                    }
                    if !first && ui.button(t("common-cancel")).clicked() {
                        out.send(Command::CloseDialog);
                    }
                });
            }
            Dialog::Shortcuts => {
                ui.heading(t("keys-title"));
                egui::Grid::new("keys")
                    .num_columns(2)
                    .spacing([24.0, 6.0])
                    .show(ui, |ui| {
                        for (keys, what) in super::keys::LIST {
                            ui.label(RichText::new(keys).monospace());
                            ui.label(tr(lang, what));
                            ui.end_row();
                        }
                    });
                if ui.button(t("common-ok")).clicked() {
                    out.send(Command::CloseDialog);
                }
            }
        });
    });
    if modal.should_close() {
        out.send(Command::CloseDialog);
    }
}
