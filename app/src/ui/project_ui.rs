//! An open project: its overview (header, people, progress), a phase (guide, tasks,
//! checklist, notes) and the project log.

use egui::{Align, Layout, RichText};
use samspill_shared::content::{Lang, library};
use samspill_shared::ids::PersonId;
use samspill_shared::model::{Phase, PhaseStatus, Project, date_of_ms};

use super::edit::{Edit, TextField};
use super::projects_ui::empty_ui;
use std::path::PathBuf;

use super::date_picker::date_picker_ui;
use super::presence_ui::dots_ui;
use super::state::{Command, Dialog, ExportFormat, ExportWhat, Outbox, Section, SessionUi};
use super::text_bind::{FieldLook, Fields};
use super::theme::{self, accent, card_fill, muted};
use super::{tr, tr_dyn};

/// A section of the project drawn from `v`; `live` is false for an earlier version
/// (no printing, nothing to change).
#[allow(clippy::too_many_arguments)]
pub fn project_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    section: Section,
    v: &Project,
    sui: &mut SessionUi,
    fields: &mut Fields,
    out: &mut Outbox,
    live: bool,
) {
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.set_max_width(ui.available_width().min(980.0));
            match section {
                Section::Phase(i) => {
                    if let Some(phase) = v.phases.get(i) {
                        phase_ui(ui, lang, i, phase, v, sui, fields, out);
                    }
                }
                Section::Log => log_ui(ui, lang, v, &mut sui.new_log, out),
                _ => {
                    overview_ui(ui, lang, v, sui, fields, out, live);
                    if live {
                        print_ui(ui, lang, v, &ExportWhat::Plan, sui, out);
                    }
                }
            }
        });
}

/// "Print": a path (with a default in the documents folder) and PDF / HTML buttons.
pub fn print_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    v: &Project,
    what: &ExportWhat,
    sui: &mut SessionUi,
    out: &mut Outbox,
) {
    let t = |k: &'static str| tr(lang, k);
    let key = what.key();
    let (title, name) = match what {
        ExportWhat::Plan => (t("print-plan"), format!("{}-plan", slug(&v.meta.title))),
        ExportWhat::Gathering(id) => (
            t("print-agenda"),
            format!(
                "{}-{}",
                slug(&v.meta.title),
                slug(&v.gathering(id).map(|g| g.title.clone()).unwrap_or_default())
            ),
        ),
    };
    card_ui(ui, title, |ui| {
        let path = sui.export_paths.entry(key.clone()).or_insert_with(|| {
            super::file_dialog::default_folder()
                .join(name)
                .display()
                .to_string()
        });
        // "Lagre som …": the desktop's own dialog, starting where the path points.
        ui.horizontal_wrapped(|ui| {
            for (format, label) in [
                (ExportFormat::Pdf, t("print-save-pdf")),
                (ExportFormat::Html, t("print-save-html")),
            ] {
                if ui.button(format!("💾 {label}")).clicked() {
                    out.send(Command::SaveAs {
                        what: what.clone(),
                        format,
                        suggested: PathBuf::from(expand_home(path.trim())),
                    });
                }
            }
        });
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(RichText::new(t("print-path")).color(muted(ui)));
            ui.add(
                egui::TextEdit::singleline(path)
                    .desired_width((ui.available_width() - 190.0).max(200.0))
                    .hint_text(t("print-path-hint")),
            )
            .labelled_by(l.id);
            for (format, label) in [
                (ExportFormat::Pdf, t("print-pdf")),
                (ExportFormat::Html, t("print-html")),
            ] {
                if ui.button(format!("🖶 {label}")).clicked() && !path.trim().is_empty() {
                    let mut file = PathBuf::from(expand_home(path.trim()));
                    file.set_extension(format.extension());
                    out.send(Command::Export {
                        what: what.clone(),
                        format,
                        path: file,
                    });
                }
            }
        });
        ui.label(RichText::new(t("print-help")).small().color(muted(ui)));
        // Said on the card it was printed from only.
        if let Some((_, done)) = sui.exported.as_ref().filter(|(k, _)| *k == key) {
            ui.label(
                RichText::new(format!("✔ {} {}", t("print-written"), done.display()))
                    .color(accent(ui)),
            );
        }
    });
}

/// `~/x` as the home directory's `x`.
fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), directories::UserDirs::new()) {
        (Some(rest), Some(d)) => d.home_dir().join(rest).display().to_string(),
        _ => path.to_owned(),
    }
}

/// A file-name-friendly form of a title: lower case, letters and digits, dashes.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'æ' => "ae".to_owned(),
            'ø' => "o".to_owned(),
            'å' => "a".to_owned(),
            c if c.is_alphanumeric() => c.to_string(),
            _ => "-".to_owned(),
        };
        if c == "-" && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push_str(&c);
    }
    let out = out.trim_end_matches('-');
    // At most about 48 characters, cut between words, never inside one.
    let mut short = String::new();
    for word in out.split('-') {
        let len = short.chars().count() + word.chars().count();
        if !short.is_empty() && len >= 48 {
            break;
        }
        if !short.is_empty() {
            short.push('-');
        }
        short.push_str(word);
    }
    if short.is_empty() {
        "samspill".to_owned()
    } else {
        short
    }
}

/// A task's due date in full ("torsdag 14. januar 2027"), red and marked "⚠ forfalt"
/// when it has passed and the task is open; nothing when it has none.
pub fn due_ui(ui: &mut egui::Ui, lang: Lang, task: &samspill_shared::model::Task) {
    if task.due.is_empty() {
        return;
    }
    let late = crate::dates::is_overdue(&task.due, task.done);
    let colour = if late {
        ui.visuals().error_fg_color
    } else {
        accent(ui)
    };
    ui.label(
        RichText::new(crate::dates::long_date(lang, &task.due))
            .strong()
            .color(colour),
    );
    if late {
        ui.label(
            RichText::new(format!("⚠ {}", tr(lang, "project-overdue")))
                .small()
                .color(colour),
        );
    }
}

/// A person's role in words: a known role in the UI's language, else as written.
pub fn role_name(lang: Lang, role: &str) -> String {
    if samspill_shared::model::PERSON_ROLES.contains(&role) {
        tr_dyn(lang, &format!("role-{role}"))
    } else {
        role.to_owned()
    }
}

/// "Legg til person": a name and a role, for people from the municipality who get
/// tasks without using Samspill themselves.
fn add_person_ui(ui: &mut egui::Ui, lang: Lang, sui: &mut SessionUi, out: &mut Outbox) {
    let t = |k: &'static str| tr(lang, k);
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut sui.new_person)
                .id_salt("new-person")
                .hint_text(t("people-name-hint"))
                .desired_width(220.0),
        )
        .accessible_name(t("people-name"));
        if sui.new_person_role.is_empty() {
            sui.new_person_role = "leder".to_owned();
        }
        egui::ComboBox::from_id_salt("new-person-role")
            .selected_text(role_name(lang, &sui.new_person_role))
            .show_ui(ui, |ui| {
                for role in samspill_shared::model::PERSON_ROLES {
                    ui.selectable_value(
                        &mut sui.new_person_role,
                        role.to_owned(),
                        role_name(lang, role),
                    );
                }
            })
            .response
            .accessible_name(t("people-role"));
        if ui.button(format!("+ {}", t("people-add"))).clicked()
            && !sui.new_person.trim().is_empty()
        {
            out.edit(Edit::AddPerson {
                name: sui.new_person.trim().to_owned(),
                role: sui.new_person_role.clone(),
            });
            sui.new_person.clear();
        }
    });
}

/// A card: a white rounded box with a title.
pub fn card_ui<R>(ui: &mut egui::Ui, title: &str, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let r = egui::Frame::new()
        .fill(card_fill(ui))
        .corner_radius(8)
        .inner_margin(egui::Margin::symmetric(16, 12))
        .stroke(ui.visuals().widgets.noninteractive.bg_stroke)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            if !title.is_empty() {
                ui.label(RichText::new(title).strong().size(15.5));
                ui.add_space(4.0);
            }
            add(ui)
        })
        .inner;
    ui.add_space(12.0);
    r
}

#[allow(clippy::too_many_arguments)]
fn overview_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    v: &Project,
    sui: &mut SessionUi,
    fields: &mut Fields,
    out: &mut Outbox,
    live: bool,
) {
    let peers = sui.peers.clone();
    let peers = peers.as_slice();
    let t = |k: &'static str| tr(lang, k);
    ui.horizontal(|ui| {
        fields.field_ui(
            ui,
            &mut out.edits,
            &TextField::Title,
            &v.meta.title,
            FieldLook::line(t("project-title-label"))
                .big()
                .width(ui.available_width() - 60.0),
        );
        dots_ui(ui, peers, |p| p == "meta");
    });
    ui.add_space(6.0);
    card_ui(ui, "", |ui| {
        egui::Grid::new("meta")
            .num_columns(2)
            .spacing([16.0, 8.0])
            .min_col_width(110.0)
            .show(ui, |ui| {
                let l = ui.label(RichText::new(t("project-goal")).color(muted(ui)));
                fields
                    .field_ui(
                        ui,
                        &mut out.edits,
                        &TextField::Goal,
                        &v.meta.goal,
                        FieldLook::area(t("project-goal"), 2).hint(t("project-goal-hint")),
                    )
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label(RichText::new(t("project-service")).color(muted(ui)));
                fields
                    .field_ui(
                        ui,
                        &mut out.edits,
                        &TextField::Service,
                        &v.meta.service,
                        FieldLook::line(t("project-service")).hint(t("projects-service-hint")),
                    )
                    .labelled_by(l.id);
                ui.end_row();
                ui.label(RichText::new(t("project-dates")).color(muted(ui)));
                ui.horizontal(|ui| {
                    for (field, value, label) in [
                        (TextField::StartDate, &v.meta.start_date, t("project-start")),
                        (TextField::EndDate, &v.meta.end_date, t("project-end")),
                    ] {
                        if field == TextField::EndDate {
                            ui.label("–");
                        }
                        fields.field_ui(
                            ui,
                            &mut out.edits,
                            &field,
                            value,
                            FieldLook::line(label)
                                .hint(t("common-date-hint"))
                                .width(112.0),
                        );
                        if let Some(text) = date_picker_ui(ui, lang, label, label, value) {
                            out.edit(Edit::SetText { field, text });
                        }
                    }
                });
                ui.end_row();
            });
    });

    card_ui(ui, t("project-phases"), |ui| {
        ui.columns(v.phases.len().max(1), |cols| {
            for (i, (col, p)) in cols.iter_mut().zip(&v.phases).enumerate() {
                // Columns are justified; a wrapped name must not be spread out.
                col.with_layout(Layout::top_down(Align::Min), |col| {
                    let (d, total) = p.progress();
                    // A label that wraps: a long phase name must not widen its column.
                    let r = col.add(
                        egui::Label::new(RichText::new(format!("{}. {}", i + 1, p.name)).strong())
                            .wrap()
                            .sense(egui::Sense::click()),
                    );
                    let r = r.on_hover_cursor(egui::CursorIcon::PointingHand);
                    if r.clicked() {
                        out.send(Command::Section(Section::Phase(i)));
                    }
                    col.label(
                        RichText::new(tr_dyn(lang, &format!("status-{}", p.status.as_str())))
                            .small()
                            .color(status_colour(col, p.status)),
                    );
                    theme::progress_ui(col, d, total, col.available_width().min(180.0));
                    col.label(
                        RichText::new(format!("{d} / {total} {}", t("project-done-of")))
                            .small()
                            .color(muted(col)),
                    );
                });
            }
        });
    });

    card_ui(ui, t("project-people"), |ui| {
        if v.people.is_empty() {
            ui.label(RichText::new(t("project-people-empty")).color(muted(ui)));
        }
        for p in &v.people {
            ui.horizontal_wrapped(|ui| {
                theme::avatar_ui(ui, &p.name, &p.colour, 26.0);
                ui.label(RichText::new(&p.name).strong());
                if !p.centre.is_empty() {
                    ui.label(RichText::new(&p.centre).color(muted(ui)));
                }
                if !p.role.is_empty() {
                    ui.label(
                        RichText::new(format!("· {}", role_name(lang, &p.role))).color(muted(ui)),
                    );
                }
            });
        }
        if live {
            add_person_ui(ui, lang, sui, out);
        }
    });

    let next: Vec<(&str, &samspill_shared::model::Task)> = v
        .phases
        .iter()
        .flat_map(|p| {
            p.tasks
                .iter()
                .filter(|t| !t.done && !t.due.is_empty())
                .map(move |t| (p.name.as_str(), t))
        })
        .collect();
    if !next.is_empty() {
        card_ui(ui, t("project-upcoming"), |ui| {
            let mut next = next;
            next.sort_by(|a, b| a.1.due.cmp(&b.1.due));
            for (phase, task) in next.into_iter().take(6) {
                ui.horizontal_wrapped(|ui| {
                    due_ui(ui, lang, task);
                    ui.label(&task.title);
                    ui.label(RichText::new(format!("· {phase}")).small().color(muted(ui)));
                });
            }
        });
    }
}

fn status_colour(ui: &egui::Ui, status: PhaseStatus) -> egui::Color32 {
    match status {
        PhaseStatus::Done => accent(ui),
        PhaseStatus::Active => theme::AMBER,
        PhaseStatus::NotStarted => muted(ui),
    }
}

/// The template's guide for a phase: (guide, read more), in the UI language if the
/// template has it.
fn guide_texts(v: &Project, phase: &Phase, lang: Lang) -> Option<(String, String)> {
    let (template, phase_id) = phase.guide.split_once('/')?;
    let template = library()
        .template(template)
        .or_else(|| library().template(&v.meta.template))?;
    let tp = template.phases.iter().find(|p| p.id == phase_id)?;
    let lang = if tp.guide.has(lang) {
        lang
    } else {
        v.meta.language.parse().unwrap_or(lang)
    };
    Some((
        tp.guide.get(lang).to_owned(),
        tp.read_more.get(lang).to_owned(),
    ))
}

#[allow(clippy::too_many_arguments)]
fn phase_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    index: usize,
    phase: &Phase,
    v: &Project,
    sui: &mut super::state::SessionUi,
    fields: &mut Fields,
    out: &mut Outbox,
) {
    let t = |k: &'static str| tr(lang, k);
    let Ok(phase_id) = phase.id.parse::<samspill_shared::ids::PhaseId>() else {
        return;
    };
    let peers = &sui.peers;
    ui.horizontal(|ui| {
        ui.heading(format!("{}. {}", index + 1, phase.name));
        let here = format!("phases/{}", phase.id);
        dots_ui(ui, peers, |p| p == here);
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            for status in PhaseStatus::ALL.iter().rev() {
                let label = tr_dyn(lang, &format!("status-{}", status.as_str()));
                if ui
                    .add(egui::Button::selectable(phase.status == *status, label))
                    .clicked()
                    && phase.status != *status
                {
                    out.edit(Edit::SetPhaseStatus {
                        phase: phase_id.clone(),
                        status: *status,
                    });
                }
            }
            ui.label(RichText::new(t("project-status")).color(muted(ui)));
        });
    });
    let (d, total) = phase.progress();
    ui.horizontal(|ui| {
        theme::progress_ui(ui, d, total, 220.0);
        ui.label(
            RichText::new(format!("{d} / {total} {}", t("project-done-of")))
                .small()
                .color(muted(ui)),
        );
    });
    ui.add_space(8.0);

    if let Some((guide, more)) = guide_texts(v, phase, lang) {
        let frame = egui::Frame::new()
            .fill(if ui.visuals().dark_mode {
                theme::TEAL_DARK_BG
            } else {
                theme::TEAL_LIGHT
            })
            .corner_radius(8)
            .inner_margin(egui::Margin::symmetric(16, 12));
        frame.show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(t("project-guide")).strong().color(accent(ui)));
            ui.label(guide);
            if !more.is_empty() {
                if sui.read_more {
                    ui.add_space(4.0);
                    for para in more.split("\n\n") {
                        ui.label(para.trim());
                        ui.add_space(2.0);
                    }
                    if ui.link(t("project-read-less")).clicked() {
                        sui.read_more = false;
                    }
                } else if ui.link(t("project-read-more")).clicked() {
                    sui.read_more = true;
                }
            }
        });
        ui.add_space(12.0);
    }

    card_ui(ui, t("project-tasks"), |ui| {
        if phase.tasks.is_empty() {
            ui.label(RichText::new(t("project-tasks-empty")).color(muted(ui)));
        }
        for task in &phase.tasks {
            let Ok(id) = task.id.parse::<samspill_shared::ids::TaskId>() else {
                continue;
            };
            ui.horizontal(|ui| {
                let mut done = task.done;
                if ui
                    .checkbox(&mut done, "")
                    .accessible_name(&task.title)
                    .changed()
                {
                    out.edit(Edit::SetTaskDone {
                        task: id.clone(),
                        done,
                    });
                }
                let here = format!("tasks/{}", task.id);
                dots_ui(ui, &sui.peers, |p| p == here);
                // Room for the assignee, due date, calendar, "overdue" and delete.
                let w = (ui.available_width() - 440.0).max(160.0);
                fields.field_ui(
                    ui,
                    &mut out.edits,
                    &TextField::TaskTitle(id.clone()),
                    &task.title,
                    FieldLook::line(t("project-task-title")).width(w),
                );
                person_combo_ui(
                    ui,
                    lang,
                    v,
                    ("assignee", &task.id),
                    t("project-assignee"),
                    &task.assignee,
                    |p| {
                        out.edit(Edit::SetTaskAssignee {
                            task: id.clone(),
                            assignee: p.and_then(|p| p.parse::<PersonId>().ok()),
                        });
                    },
                );
                fields.field_ui(
                    ui,
                    &mut out.edits,
                    &TextField::TaskDue(id.clone()),
                    &task.due,
                    FieldLook::line(t("project-due"))
                        .hint(t("project-due"))
                        .width(96.0),
                );
                if let Some(text) =
                    date_picker_ui(ui, lang, ("due", &task.id), t("project-due"), &task.due)
                {
                    out.edit(Edit::SetText {
                        field: TextField::TaskDue(id.clone()),
                        text,
                    });
                }
                if crate::dates::is_overdue(&task.due, task.done) {
                    ui.label(
                        RichText::new(format!("⚠ {}", t("project-overdue")))
                            .small()
                            .color(ui.visuals().error_fg_color),
                    )
                    .on_hover_text(crate::dates::long_date(lang, &task.due));
                }
                if ui
                    .small_button("🗑")
                    .on_hover_text(t("common-delete"))
                    .clicked()
                {
                    out.edit(Edit::RemoveTask { task: id.clone() });
                }
            });
            for c in &task.conflicts {
                let (label, shown) = match c.field.as_str() {
                    "assignee" => (t("project-assignee"), task.assignee.as_str()),
                    _ => (t("project-due"), task.due.as_str()),
                };
                let name = |s: &str| v.person_name(s).to_owned();
                if let Some(value) = conflict_ui(ui, lang, label, shown, &c.others, name) {
                    if c.field == "assignee" {
                        out.edit(Edit::SetTaskAssignee {
                            task: id.clone(),
                            assignee: value.parse::<PersonId>().ok(),
                        });
                    } else {
                        out.edit(Edit::SetText {
                            field: TextField::TaskDue(id.clone()),
                            text: value,
                        });
                    }
                }
            }
            if task.done && !task.done_by.is_empty() {
                ui.label(
                    RichText::new(format!(
                        "    {} {} {}",
                        t("project-done-by"),
                        v.person_name(&task.done_by),
                        task.done_at.map(date_of_ms).unwrap_or_default()
                    ))
                    .small()
                    .color(muted(ui)),
                );
            }
        }
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut sui.new_task)
                        // A stable id: the new row above must not take the focus.
                        .id_salt("new-task")
                        .hint_text(t("project-new-task-hint"))
                        .desired_width(ui.available_width() - 130.0),
                )
                .accessible_name(t("project-new-task"));
            if sui.focus_new_task {
                sui.focus_new_task = false;
                r.request_focus();
            }
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui
                .button(t("project-add-task"))
                .on_hover_text("Ctrl+N")
                .clicked()
                || enter)
                && !sui.new_task.trim().is_empty()
            {
                out.edit(Edit::AddTask {
                    phase: phase_id.clone(),
                    title: sui.new_task.trim().to_owned(),
                });
                sui.new_task.clear();
                if enter {
                    r.request_focus();
                }
            }
        });
    });

    card_ui(ui, t("project-checklist"), |ui| {
        ui.label(
            RichText::new(t("project-checklist-help"))
                .small()
                .color(muted(ui)),
        );
        for item in &phase.checklist {
            let Ok(id) = item.id.parse::<samspill_shared::ids::ItemId>() else {
                continue;
            };
            ui.horizontal(|ui| {
                let mut done = item.done;
                if ui
                    .checkbox(&mut done, "")
                    .accessible_name(&item.text)
                    .changed()
                {
                    out.edit(Edit::SetCheckDone {
                        item: id.clone(),
                        done,
                    });
                }
                let w = (ui.available_width() - 230.0).max(160.0);
                fields.field_ui(
                    ui,
                    &mut out.edits,
                    &TextField::CheckText(id.clone()),
                    &item.text,
                    FieldLook::line(t("project-check-text")).width(w),
                );
                if item.done {
                    let who = v.person_name(&item.done_by);
                    let when = item.done_at.map(date_of_ms).unwrap_or_default();
                    ui.label(
                        RichText::new(format!("✔ {who} {when}"))
                            .small()
                            .color(accent(ui)),
                    );
                }
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if ui
                        .small_button("🗑")
                        .on_hover_text(t("common-delete"))
                        .clicked()
                    {
                        out.edit(Edit::RemoveCheckItem { item: id.clone() });
                    }
                });
            });
        }
        ui.horizontal(|ui| {
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut sui.new_check)
                        .id_salt("new-check")
                        .hint_text(t("project-new-check-hint"))
                        .desired_width(ui.available_width() - 130.0),
                )
                .accessible_name(t("project-new-check"));
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button(t("project-add-check")).clicked() || enter)
                && !sui.new_check.trim().is_empty()
            {
                out.edit(Edit::AddCheckItem {
                    phase: phase_id.clone(),
                    text: sui.new_check.trim().to_owned(),
                });
                sui.new_check.clear();
            }
        });
    });

    card_ui(ui, t("project-notes"), |ui| {
        fields.field_ui(
            ui,
            &mut out.edits,
            &TextField::PhaseNotes(phase_id.clone()),
            &phase.notes,
            FieldLook::area(t("project-notes"), 5).hint(t("project-notes-hint")),
        );
    });
}

/// A person picker: the project's people, or nobody. `value` is a person id or text.
pub fn person_combo_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    v: &Project,
    salt: impl egui::AsIdSalt,
    name: &str,
    value: &str,
    mut on_pick: impl FnMut(Option<&str>),
) {
    let shown = if value.is_empty() {
        tr(lang, "project-nobody").to_owned()
    } else {
        v.person_name(value).to_owned()
    };
    egui::ComboBox::from_id_salt(salt)
        .selected_text(shown)
        .width(140.0)
        .truncate()
        .show_ui(ui, |ui| {
            if ui
                .selectable_label(value.is_empty(), tr(lang, "project-nobody"))
                .clicked()
            {
                on_pick(None);
            }
            for p in &v.people {
                if ui.selectable_label(value == p.id, &p.name).clicked() {
                    on_pick(Some(&p.id));
                }
            }
        })
        .response
        .accessible_name(name);
}

fn log_ui(ui: &mut egui::Ui, lang: Lang, v: &Project, new_log: &mut String, out: &mut Outbox) {
    let t = |k: &'static str| tr(lang, k);
    ui.heading(t("log-title"));
    ui.label(RichText::new(t("log-help")).color(muted(ui)));
    ui.add_space(8.0);
    card_ui(ui, "", |ui| {
        ui.add(
            egui::TextEdit::multiline(new_log)
                .desired_rows(3)
                .desired_width(f32::INFINITY)
                .hint_text(t("log-hint")),
        )
        .accessible_name(t("log-new"));
        if ui.button(t("log-add")).clicked() && !new_log.trim().is_empty() {
            out.edit(Edit::AddLogEntry {
                text: new_log.trim().to_owned(),
            });
            new_log.clear();
        }
    });
    if v.log.is_empty() {
        empty_ui(ui, t("log-empty"));
    }
    for entry in v.log.iter().rev() {
        card_ui(ui, "", |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new(&entry.date).monospace().color(accent(ui)));
                ui.label(RichText::new(v.person_name(&entry.author)).strong());
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if ui
                        .small_button("🗑")
                        .on_hover_text(t("common-delete"))
                        .clicked()
                        && let Ok(id) = entry.id.parse()
                    {
                        let question =
                            format!("{} «{}»", t("log-delete-confirm"), short(&entry.text));
                        out.send(Command::OpenDialog(Dialog::Confirm {
                            question,
                            edit: Edit::RemoveLogEntry { entry: id },
                        }));
                    }
                });
            });
            ui.label(&entry.text);
        });
    }
}

pub fn short(s: &str) -> String {
    let mut out: String = s.chars().take(50).collect();
    if s.chars().count() > 50 {
        out.push('…');
    }
    out
}

/// A field two people set at the same time: says so, and offers the value that lost
/// (and keeping the one shown). Returns the value the user picked. `show` turns a stored
/// value into what a person reads (a person id into a name).
pub(crate) fn conflict_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    label: &str,
    shown: &str,
    others: &[String],
    show: impl Fn(&str) -> String,
) -> Option<String> {
    let t = |k: &'static str| tr(lang, k);
    let mut picked = None;
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!("⚠ {} — {label}", t("conflict-title")))
                .small()
                .color(theme::AMBER),
        );
        for other in others {
            let shown_other = if other.is_empty() {
                t("conflict-empty").to_owned()
            } else {
                show(other)
            };
            if ui
                .small_button(format!("{} «{shown_other}»", t("conflict-use")))
                .clicked()
            {
                picked = Some(other.clone());
            }
        }
        let shown_now = if shown.is_empty() {
            t("conflict-empty").to_owned()
        } else {
            show(shown)
        };
        if ui
            .small_button(format!("{} «{shown_now}»", t("conflict-keep")))
            .clicked()
        {
            picked = Some(shown.to_owned());
        }
    });
    picked
}
