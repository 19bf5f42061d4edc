//! The list of projects on this device.

use egui::{Align, Layout, RichText};

use super::state::{AppState, Command, Dialog, Outbox, ProjectRow};
use super::sync_hook::SyncStatus;
use super::theme::{self, accent, card_fill, muted};
use super::tr;

pub fn projects_ui(ui: &mut egui::Ui, state: &mut AppState, out: &mut Outbox) {
    let lang = state.lang();
    let t = |k: &'static str| tr(lang, k);
    ui.horizontal(|ui| {
        ui.heading(t("projects-title"));
        if state.rows_loading {
            ui.add(egui::Spinner::new());
        }
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            let new = egui::Button::new(
                RichText::new(format!("+ {}", t("projects-new"))).color(egui::Color32::WHITE),
            )
            .fill(accent(ui));
            if ui.add(new).on_hover_text("Ctrl+N").clicked() {
                out.send(Command::OpenDialog(Dialog::NewProject {
                    template: 0,
                    title: String::new(),
                    service: String::new(),
                }));
            }
            let mut lan = state.sync.lan();
            if ui
                .toggle_value(&mut lan, format!("📡 {}", t("sync-lan")))
                .on_hover_text(t("sync-lan-hover"))
                .changed()
            {
                out.send(Command::SetLan(lan));
            }
            if ui.button(t("sync-join")).clicked() {
                out.send(Command::OpenDialog(Dialog::Join {
                    link: String::new(),
                    from_outside: false,
                }));
            }
            if ui.button(t("import-title")).clicked() {
                out.send(Command::OpenDialog(Dialog::Import {
                    path: String::new(),
                }));
            }
        });
    });
    ui.label(RichText::new(t("projects-subtitle")).color(muted(ui)));
    ui.add_space(10.0);

    let rows = state.rows.clone();
    let active: Vec<&ProjectRow> = rows.iter().filter(|r| !r.archived).collect();
    let archived: Vec<&ProjectRow> = rows.iter().filter(|r| r.archived).collect();
    if active.is_empty() && !state.rows_loading {
        empty_ui(ui, t("projects-empty"));
    }
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for row in &active {
                row_ui(ui, state, row, out);
            }
            if !archived.is_empty() {
                ui.add_space(10.0);
                let label = super::tr_args(
                    lang,
                    "projects-show-archived",
                    &[("n", archived.len().into())],
                );
                ui.checkbox(&mut state.show_archived, label);
                if state.show_archived {
                    for row in &archived {
                        row_ui(ui, state, row, out);
                    }
                }
            }
        });
}

/// A friendly "nothing here yet, here is what to do" box.
pub fn empty_ui(ui: &mut egui::Ui, text: &str) {
    egui::Frame::new()
        .fill(card_fill(ui))
        .corner_radius(8)
        .inner_margin(egui::Margin::same(18))
        .stroke(ui.visuals().widgets.noninteractive.bg_stroke)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(text).color(muted(ui)));
        });
    ui.add_space(6.0);
}

fn row_ui(ui: &mut egui::Ui, state: &AppState, row: &ProjectRow, out: &mut Outbox) {
    let lang = state.lang();
    let t = |k: &'static str| tr(lang, k);
    let is_open = state
        .session
        .as_ref()
        .is_some_and(|s| s.project.id() == row.id);
    let frame = egui::Frame::new()
        .fill(card_fill(ui))
        .corner_radius(8)
        .inner_margin(egui::Margin::symmetric(16, 12))
        .stroke(if is_open {
            egui::Stroke::new(1.5, accent(ui))
        } else {
            ui.visuals().widgets.noninteractive.bg_stroke
        });
    frame.show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.vertical(|ui| {
                ui.label(RichText::new(&row.title).size(17.0).strong());
                let service = if row.service.is_empty() {
                    t("projects-no-service")
                } else {
                    row.service.as_str()
                };
                ui.label(RichText::new(service).color(muted(ui)));
            });
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                ui.menu_button("…", |ui| {
                    if ui.button(t("projects-rename")).clicked() {
                        out.send(Command::OpenDialog(Dialog::Rename {
                            id: row.id,
                            title: row.title.clone(),
                        }));
                    }
                    let (key, archive) = if row.archived {
                        ("projects-restore", false)
                    } else {
                        ("projects-archive", true)
                    };
                    if ui.button(t(key)).clicked() {
                        out.send(Command::OpenDialog(Dialog::Archive {
                            id: row.id,
                            title: row.title.clone(),
                            archive,
                        }));
                    }
                })
                .response
                .on_hover_text(t("projects-more"));
                if ui.button(t("projects-open")).clicked() {
                    out.send(Command::OpenProject(row.id));
                }
                let status = row.sync.text(lang);
                let colour = match &row.sync {
                    SyncStatus::Stopped(_) | SyncStatus::Removed => ui.visuals().error_fg_color,
                    _ => muted(ui),
                };
                ui.label(RichText::new(status).small().color(colour));
            });
        });
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            for (name, d, total) in &row.phases {
                ui.vertical(|ui| {
                    ui.label(
                        RichText::new(format!("{name}  {d}/{total}"))
                            .small()
                            .color(muted(ui)),
                    );
                    theme::progress_ui(ui, *d, *total, 120.0);
                });
            }
        });
    });
    ui.add_space(8.0);
}

/// "Mine oppgaver": every open task given to me, in every project, soonest first;
/// overdue ones in red. A click opens the project at the task's phase.
pub fn my_tasks_ui(ui: &mut egui::Ui, state: &mut AppState, out: &mut Outbox) {
    let lang = state.lang();
    let t = |k: &'static str| tr(lang, k);
    ui.heading(t("mytasks-title"));
    ui.label(RichText::new(t("mytasks-help")).color(muted(ui)));
    ui.add_space(10.0);
    let mut tasks: Vec<(&ProjectRow, usize, &str, &samspill_shared::model::Task)> = state
        .rows
        .iter()
        .filter(|r| !r.archived)
        .flat_map(|r| {
            r.my_tasks
                .iter()
                .map(move |(i, phase, task)| (r, *i, phase.as_str(), task))
        })
        .collect();
    if tasks.is_empty() {
        empty_ui(ui, t("mytasks-empty"));
        return;
    }
    // Dated tasks first, soonest first; undated ones after, by project.
    tasks.sort_by(|a, b| {
        (a.3.due.is_empty(), &a.3.due, &a.0.title).cmp(&(b.3.due.is_empty(), &b.3.due, &b.0.title))
    });
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.set_max_width(ui.available_width().min(980.0));
            for (row, phase_index, phase, task) in tasks {
                super::project_ui::card_ui(ui, "", |ui| {
                    ui.horizontal_wrapped(|ui| {
                        super::project_ui::due_ui(ui, lang, task);
                        ui.label(RichText::new(&task.title).strong());
                    });
                    ui.horizontal_wrapped(|ui| {
                        ui.label(
                            RichText::new(format!("{} · {phase}", row.title)).color(muted(ui)),
                        );
                        if ui.link(t("mytasks-open")).clicked() {
                            out.send(Command::OpenPhase(row.id, phase_index));
                        }
                    });
                });
            }
        });
}
