//! Gatherings (samlinger) with their agenda builder, log and evaluation; and the
//! between-work (mellomarbeid) that happens between them.

use egui::{Align, Layout, RichText};
use samspill_shared::content::{Lang, library};
use samspill_shared::ids::{AgendaId, GatheringId, WorkId};
use samspill_shared::model::{BetweenWork, Gathering, Project, format_time, parse_time};

use super::date_picker::date_picker_ui;
use super::edit::{Edit, TextField};
use super::presence_ui::{dots_ui, in_gathering};
use super::project_ui::{card_ui, person_combo_ui, print_ui};
use super::projects_ui::empty_ui;
use super::state::{Command, Dialog, ExportWhat, Outbox, SessionUi};
use super::text_bind::{FieldLook, Fields, field_id};
use super::theme::{accent, muted};
use super::tr;

/// The gatherings of `v`; `live` is false for an earlier version (no run, no print).
pub fn gatherings_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    v: &Project,
    sui: &mut SessionUi,
    fields: &mut Fields,
    out: &mut Outbox,
    live: bool,
) {
    let t = |k: &'static str| tr(lang, k);
    ui.heading(t("gatherings-title"));
    ui.label(RichText::new(t("gatherings-help")).color(muted(ui)));
    ui.add_space(8.0);

    // Tabs: one per gathering, then "new gathering".
    if sui
        .gathering
        .as_ref()
        .is_none_or(|id| v.gathering(id).is_none())
    {
        sui.gathering = v.gatherings.first().map(|g| g.id.clone());
    }
    ui.horizontal_wrapped(|ui| {
        for (i, g) in v.gatherings.iter().enumerate() {
            let selected = sui.gathering.as_deref() == Some(g.id.as_str());
            let mut label = format!("{}. {}", i + 1, g.title);
            if !g.date.is_empty() {
                label.push_str(&format!(
                    "  ·  {}",
                    samspill_shared::model::display_date(&g.date)
                ));
            }
            if g.run.is_running() {
                label.push_str("  ▶");
            }
            if ui.add(egui::Button::selectable(selected, label)).clicked() {
                sui.gathering = Some(g.id.clone());
                sui.agenda_item = None;
            }
            dots_ui(ui, &sui.peers, |p| in_gathering(p, v, &g.id));
        }
        ui.add_space(8.0);
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut sui.new_gathering)
                    .id_salt("new-gathering")
                    .hint_text(t("gatherings-new-hint"))
                    .desired_width(180.0),
            )
            .accessible_name(t("gatherings-new"));
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button(format!("+ {}", t("gatherings-add"))).clicked() || enter)
            && !sui.new_gathering.trim().is_empty()
        {
            out.edit(Edit::AddGathering {
                title: sui.new_gathering.trim().to_owned(),
            });
            sui.new_gathering.clear();
        }
    });
    ui.add_space(10.0);

    let Some(g) = sui.gathering.as_deref().and_then(|id| v.gathering(id)) else {
        empty_ui(ui, t("gatherings-empty"));
        return;
    };
    let Ok(gid) = g.id.parse::<GatheringId>() else {
        return;
    };
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.set_max_width(ui.available_width().min(1040.0));
            gathering_ui(ui, lang, v, g, &gid, sui, fields, out, live);
            if live {
                print_ui(ui, lang, v, &ExportWhat::Gathering(g.id.clone()), sui, out);
            }
        });
}

#[allow(clippy::too_many_arguments)]
fn gathering_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    v: &Project,
    g: &Gathering,
    gid: &GatheringId,
    sui: &mut SessionUi,
    fields: &mut Fields,
    out: &mut Outbox,
    live: bool,
) {
    let t = |k: &'static str| tr(lang, k);
    ui.horizontal(|ui| {
        let w = ui.available_width() - 270.0;
        fields.field_ui(
            ui,
            &mut out.edits,
            &TextField::GatheringTitle(gid.clone()),
            &g.title,
            FieldLook::line(t("gatherings-name")).big().width(w),
        );
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if live {
                let (label, hint) = if g.run.is_running() {
                    (format!("👁 {}", t("run-follow")), t("run-follow-hint"))
                } else {
                    (format!("▶ {}", t("run-run")), t("run-run-hint"))
                };
                let enabled = !g.agenda.is_empty();
                if ui
                    .add_enabled(
                        enabled,
                        egui::Button::new(RichText::new(label).color(egui::Color32::WHITE))
                            .fill(accent(ui)),
                    )
                    .on_hover_text(hint)
                    .on_disabled_hover_text(t("run-empty"))
                    .clicked()
                {
                    out.send(Command::OpenRun(g.id.clone()));
                }
            }
            if ui.button(format!("🗑 {}", t("gatherings-delete"))).clicked() {
                let question = format!("{} «{}»", t("gatherings-delete-confirm"), g.title);
                out.send(Command::OpenDialog(Dialog::Confirm {
                    question,
                    edit: Edit::RemoveGathering {
                        gathering: gid.clone(),
                    },
                }));
            }
        });
    });
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(RichText::new(t("gatherings-date")).color(muted(ui)));
        fields
            .field_ui(
                ui,
                &mut out.edits,
                &TextField::GatheringDate(gid.clone()),
                &g.date,
                FieldLook::line(t("gatherings-date"))
                    .hint(t("common-date-hint"))
                    .width(112.0),
            )
            .labelled_by(l.id);
        if let Some(text) = date_picker_ui(
            ui,
            lang,
            ("gathering", &g.id),
            t("gatherings-date"),
            &g.date,
        ) {
            out.edit(Edit::SetText {
                field: TextField::GatheringDate(gid.clone()),
                text,
            });
        }
        if !g.date.is_empty() {
            ui.label(RichText::new(crate::dates::long_date(lang, &g.date)).color(muted(ui)));
        }
        ui.add_space(8.0);
        let l = ui.label(RichText::new(t("gatherings-start")).color(muted(ui)));
        fields
            .field_ui(
                ui,
                &mut out.edits,
                &TextField::GatheringStart(gid.clone()),
                &g.start,
                FieldLook::line(t("gatherings-start"))
                    .hint(t("common-time-hint"))
                    .width(64.0),
            )
            .labelled_by(l.id);
        ui.add_space(8.0);
        let l = ui.label(RichText::new(t("gatherings-place")).color(muted(ui)));
        fields
            .field_ui(
                ui,
                &mut out.edits,
                &TextField::GatheringPlace(gid.clone()),
                &g.place,
                FieldLook::line(t("gatherings-place")).hint(t("gatherings-place-hint")),
            )
            .labelled_by(l.id);
    });
    for c in &g.conflicts {
        let (label, shown, field) = match c.field.as_str() {
            "date" => (
                t("gatherings-date"),
                g.date.as_str(),
                TextField::GatheringDate(gid.clone()),
            ),
            _ => (
                t("gatherings-start"),
                g.start.as_str(),
                TextField::GatheringStart(gid.clone()),
            ),
        };
        if let Some(text) =
            super::project_ui::conflict_ui(ui, lang, label, shown, &c.others, str::to_owned)
        {
            out.edit(Edit::SetText { field, text });
        }
    }
    ui.add_space(10.0);

    card_ui(ui, t("agenda-title"), |ui| {
        agenda_ui(ui, lang, v, g, gid, sui, fields, out);
    });

    ui.columns(2, |cols| {
        card_ui(&mut cols[0], t("gatherings-log"), |ui| {
            fields.field_ui(
                ui,
                &mut out.edits,
                &TextField::GatheringLog(gid.clone()),
                &g.log,
                FieldLook::area(t("gatherings-log"), 6).hint(t("gatherings-log-hint")),
            );
        });
        card_ui(&mut cols[1], t("gatherings-evaluation"), |ui| {
            let l = ui.label(RichText::new(t("gatherings-worked")).color(muted(ui)));
            fields
                .field_ui(
                    ui,
                    &mut out.edits,
                    &TextField::EvalWorked(gid.clone()),
                    &g.evaluation.worked,
                    FieldLook::area(t("gatherings-worked"), 2),
                )
                .labelled_by(l.id);
            let l = ui.label(RichText::new(t("gatherings-change")).color(muted(ui)));
            fields
                .field_ui(
                    ui,
                    &mut out.edits,
                    &TextField::EvalChange(gid.clone()),
                    &g.evaluation.change,
                    FieldLook::area(t("gatherings-change"), 2),
                )
                .labelled_by(l.id);
        });
    });

    card_ui(ui, t("gatherings-between-work"), |ui| {
        let works: Vec<&BetweenWork> = v
            .between_work
            .iter()
            .filter(|w| w.gathering == g.id)
            .collect();
        if works.is_empty() {
            ui.label(RichText::new(t("work-none-after")).color(muted(ui)));
        }
        for w in works {
            work_row_ui(ui, lang, v, w, fields, out);
        }
        ui.horizontal(|ui| {
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut sui.new_work)
                        .id_salt("new-work-a")
                        .hint_text(t("work-new-hint"))
                        .desired_width(ui.available_width() - 200.0),
                )
                .accessible_name(t("work-new"));
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button(t("work-add")).clicked() || enter) && !sui.new_work.trim().is_empty() {
                out.edit(Edit::AddBetweenWork {
                    title: sui.new_work.trim().to_owned(),
                    after: Some(gid.clone()),
                });
                sui.new_work.clear();
            }
        });
    });
}

/// An agenda item's notes field, `width` wide.
fn notes_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    fields: &mut Fields,
    out: &mut Outbox,
    notes: &TextField,
    text: &str,
    width: f32,
) {
    fields.field_ui(
        ui,
        &mut out.edits,
        notes,
        text,
        FieldLook::line(tr(lang, "agenda-notes"))
            .hint(tr(lang, "agenda-notes-hint"))
            .width(width),
    );
}

#[allow(clippy::too_many_arguments)]
fn agenda_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    v: &Project,
    g: &Gathering,
    gid: &GatheringId,
    sui: &mut SessionUi,
    fields: &mut Fields,
    out: &mut Outbox,
) {
    let t = |k: &'static str| tr(lang, k);
    if g.start.is_empty() {
        ui.label(RichText::new(t("agenda-no-start")).small().color(muted(ui)));
    }
    if g.agenda.is_empty() {
        ui.label(RichText::new(t("agenda-empty")).color(muted(ui)));
    }
    let n = g.agenda.len();
    let ctx = ui.ctx().clone();
    // Fixed columns, so rows line up and never push the card wider: the notes take
    // what the handle, time, title, minutes, responsible, method and buttons leave. In
    // a narrow window the notes go on a line of their own under the item.
    let wide = ui.available_width() >= 930.0;
    let notes_width = if wide {
        ui.available_width() - 790.0
    } else {
        ui.available_width() - 80.0
    };
    let title_width = if wide {
        290.0
    } else {
        (ui.available_width() - 500.0).max(160.0)
    };
    for (i, a) in g.agenda.iter().enumerate() {
        let Ok(aid) = a.id.parse::<AgendaId>() else {
            continue;
        };
        let selected = sui.agenda_item.as_deref() == Some(a.id.as_str());
        let row = ui.horizontal(|ui| {
            ui.dnd_drag_source(
                egui::Id::unique(("agenda-drag", &a.id)),
                a.id.clone(),
                |ui| {
                    ui.label(RichText::new("↕").color(muted(ui)));
                },
            )
            .response
            .on_hover_text(t("agenda-drag"));
            let here = format!("agenda/{}", a.id);
            let on_now = g.run.current == a.id;
            // A fixed-width slot, so rows stay aligned whichever item is on.
            let (slot, _) = ui.allocate_exact_size(egui::vec2(10.0, 14.0), egui::Sense::hover());
            if on_now {
                ui.painter().text(
                    slot.center(),
                    egui::Align2::CENTER_CENTER,
                    "▶",
                    egui::FontId::proportional(11.0),
                    accent(ui),
                );
            }
            dots_ui(ui, &sui.peers, |p| p == here);
            let time = a.starts_at.clone().unwrap_or_else(|| "--:--".to_owned());
            let time_colour = if selected {
                accent(ui)
            } else {
                ui.visuals().text_color()
            };
            if ui
                .add(
                    egui::Label::new(RichText::new(time).monospace().strong().color(time_colour))
                        .sense(egui::Sense::click()),
                )
                .clicked()
            {
                sui.agenda_item = Some(a.id.clone());
            }
            let title = TextField::AgendaTitle(aid.clone());
            fields.field_ui(
                ui,
                &mut out.edits,
                &title,
                &a.title,
                FieldLook::line(t("agenda-item-title")).width(title_width),
            );
            let mut minutes = a.minutes;
            let dv = ui
                .add(
                    egui::DragValue::new(&mut minutes)
                        .range(0..=600)
                        .suffix(" min"),
                )
                .accessible_name(t("agenda-minutes"));
            if dv.changed() {
                out.edit(Edit::SetAgendaMinutes {
                    item: aid.clone(),
                    minutes,
                });
            }
            person_combo_ui(
                ui,
                lang,
                v,
                ("responsible", &a.id),
                t("agenda-responsible"),
                &a.responsible,
                |p| {
                    out.edit(Edit::SetAgendaResponsible {
                        item: aid.clone(),
                        responsible: p.unwrap_or_default().to_owned(),
                    });
                },
            );
            match library().method(&a.method) {
                Some(m) => {
                    let r = ui
                        .add(egui::Button::new("📖").small().frame(false))
                        .on_hover_text(format!("{}\n{}", m.name(lang), m.text(lang).summary));
                    if r.clicked() {
                        out.send(Command::PickMethodFor {
                            gathering: g.id.clone(),
                            method: Some(a.method.clone()),
                        });
                    }
                }
                None => {
                    ui.add_space(22.0);
                }
            }
            let notes = TextField::AgendaNotes(aid.clone());
            if wide {
                notes_ui(ui, lang, fields, out, &notes, &a.notes, notes_width);
            }
            if ui.memory(|m| m.has_focus(field_id(&title)) || m.has_focus(field_id(&notes))) {
                sui.agenda_item = Some(a.id.clone());
            }
            if ui
                .add_enabled(i > 0, egui::Button::new("⏶").small())
                .on_hover_text(format!("{} (Alt+⏶)", t("agenda-up")))
                .clicked()
            {
                out.edit(Edit::MoveAgendaItem {
                    item: aid.clone(),
                    index: i - 1,
                });
                sui.agenda_item = Some(a.id.clone());
            }
            if ui
                .add_enabled(i + 1 < n, egui::Button::new("⏷").small())
                .on_hover_text(format!("{} (Alt+⏷)", t("agenda-down")))
                .clicked()
            {
                out.edit(Edit::MoveAgendaItem {
                    item: aid.clone(),
                    index: i + 1,
                });
                sui.agenda_item = Some(a.id.clone());
            }
            if ui
                .small_button("🗑")
                .on_hover_text(t("common-delete"))
                .clicked()
            {
                out.edit(Edit::RemoveAgendaItem { item: aid.clone() });
            }
        });
        if !wide {
            ui.horizontal(|ui| {
                ui.add_space(64.0);
                let notes = TextField::AgendaNotes(aid.clone());
                notes_ui(ui, lang, fields, out, &notes, &a.notes, notes_width);
            });
            ui.add_space(4.0);
        }
        for c in &a.conflicts {
            let minutes = a.minutes.to_string();
            let (label, shown) = match c.field.as_str() {
                "minutes" => (t("agenda-minutes"), minutes.as_str()),
                _ => (t("agenda-responsible"), a.responsible.as_str()),
            };
            let name = |s: &str| v.person_name(s).to_owned();
            if let Some(value) =
                super::project_ui::conflict_ui(ui, lang, label, shown, &c.others, name)
            {
                if c.field == "minutes" {
                    if let Ok(minutes) = value.parse::<u32>() {
                        out.edit(Edit::SetAgendaMinutes {
                            item: aid.clone(),
                            minutes,
                        });
                    }
                } else {
                    out.edit(Edit::SetAgendaResponsible {
                        item: aid.clone(),
                        responsible: value,
                    });
                }
            }
        }
        // Dropping a dragged item on this row moves it here.
        let rect = row.response.rect;
        if ui.rect_contains_pointer(rect)
            && let Some(dragged) = egui::DragAndDrop::payload::<String>(&ctx)
            && *dragged != a.id
        {
            let below = ui
                .input(|i| i.pointer.interact_pos())
                .is_some_and(|p| p.y > rect.center().y);
            let y = if below { rect.bottom() } else { rect.top() };
            ui.painter()
                .hline(rect.x_range(), y, egui::Stroke::new(2.0, accent(ui)));
            if ui.input(|i| i.pointer.any_released())
                && egui::DragAndDrop::take_payload::<String>(&ctx).is_some()
                && let Ok(item) = dragged.parse::<AgendaId>()
            {
                out.edit(Edit::MoveAgendaItem { item, index: i });
            }
        }
    }

    ui.separator();
    ui.horizontal(|ui| {
        let total = g.total_minutes;
        let mut text = format!("{}: {}", t("agenda-total"), duration(lang, total));
        if let Some(end) = &g.end {
            text.push_str(&format!("  ·  {} {}", t("agenda-ends"), end));
        } else if let Some(start) = parse_time(&g.start) {
            text.push_str(&format!(
                "  ·  {} {}",
                t("agenda-ends"),
                format_time(start + total)
            ));
        }
        ui.label(RichText::new(text).strong());
    });
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut sui.new_agenda)
                    .id_salt("new-agenda")
                    .hint_text(t("agenda-new-hint"))
                    .desired_width(260.0),
            )
            .accessible_name(t("agenda-new"));
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button(format!("+ {}", t("agenda-add"))).clicked() || enter)
            && !sui.new_agenda.trim().is_empty()
        {
            out.edit(Edit::AddAgendaItem {
                gathering: gid.clone(),
                title: sui.new_agenda.trim().to_owned(),
                minutes: 15,
            });
            sui.new_agenda.clear();
        }
        ui.label(RichText::new(t("common-or")).color(muted(ui)));
        egui::ComboBox::from_id_salt(("add-method", &g.id))
            .selected_text(t("agenda-add-method"))
            .width(200.0)
            .show_ui(ui, |ui| {
                for m in &library().methods {
                    let label = format!("{} · {} min", m.name(lang), m.duration_minutes);
                    if ui
                        .selectable_label(false, label)
                        .on_hover_text(&m.text(lang).summary)
                        .clicked()
                    {
                        out.edit(Edit::AddMethodToAgenda {
                            gathering: gid.clone(),
                            method: m.id.clone(),
                        });
                    }
                }
            })
            .response
            .accessible_name(t("agenda-add-method"));
        if ui.button(format!("📖 {}", t("agenda-browse"))).clicked() {
            out.send(Command::PickMethodFor {
                gathering: g.id.clone(),
                method: None,
            });
        }
    });
}

/// "2 t 15 min" / "2 h 15 min".
pub fn duration(lang: Lang, minutes: u32) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    let hours = tr(lang, "agenda-hours-short");
    match (h, m) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} {hours}"),
        (h, m) => format!("{h} {hours} {m} min"),
    }
}

fn work_row_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    v: &Project,
    w: &BetweenWork,
    fields: &mut Fields,
    out: &mut Outbox,
) {
    let t = |k: &'static str| tr(lang, k);
    let Ok(id) = w.id.parse::<WorkId>() else {
        return;
    };
    ui.horizontal(|ui| {
        let mut done = w.done;
        if ui
            .checkbox(&mut done, "")
            .accessible_name(&w.title)
            .changed()
        {
            out.edit(Edit::SetWorkDone {
                work: id.clone(),
                done,
            });
        }
        // Room for the assignee, due date, calendar and delete to its right.
        let width = (ui.available_width() - 380.0).max(160.0);
        fields.field_ui(
            ui,
            &mut out.edits,
            &TextField::WorkTitle(id.clone()),
            &w.title,
            FieldLook::line(t("work-item-title")).width(width),
        );
        person_combo_ui(
            ui,
            lang,
            v,
            ("work-assignee", &w.id),
            t("project-assignee"),
            &w.assignee,
            |p| {
                out.edit(Edit::SetWorkAssignee {
                    work: id.clone(),
                    assignee: p.unwrap_or_default().to_owned(),
                });
            },
        );
        fields.field_ui(
            ui,
            &mut out.edits,
            &TextField::WorkDue(id.clone()),
            &w.due,
            FieldLook::line(t("project-due"))
                .hint(t("project-due"))
                .width(96.0),
        );
        if let Some(text) = date_picker_ui(ui, lang, ("work", &w.id), t("project-due"), &w.due) {
            out.edit(Edit::SetText {
                field: TextField::WorkDue(id.clone()),
                text,
            });
        }
        if ui
            .small_button("🗑")
            .on_hover_text(t("common-delete"))
            .clicked()
        {
            let question = format!("{} «{}»", t("work-delete-confirm"), w.title);
            out.send(Command::OpenDialog(Dialog::Confirm {
                question,
                edit: Edit::RemoveBetweenWork { work: id.clone() },
            }));
        }
    });
    ui.horizontal(|ui| {
        ui.add_space(28.0);
        fields.field_ui(
            ui,
            &mut out.edits,
            &TextField::WorkDescription(id.clone()),
            &w.description,
            FieldLook::line(t("work-description")).hint(t("work-description-hint")),
        );
    });
}

pub fn between_work_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    v: &Project,
    sui: &mut SessionUi,
    fields: &mut Fields,
    out: &mut Outbox,
) {
    let t = |k: &'static str| tr(lang, k);
    ui.heading(t("work-title"));
    ui.label(RichText::new(t("work-help")).color(muted(ui)));
    ui.add_space(8.0);
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.set_max_width(ui.available_width().min(980.0));
            if v.between_work.is_empty() {
                empty_ui(ui, t("work-empty"));
            }
            let mut groups: Vec<(String, Vec<&BetweenWork>)> = Vec::new();
            for g in &v.gatherings {
                let works: Vec<&BetweenWork> = v
                    .between_work
                    .iter()
                    .filter(|w| w.gathering == g.id)
                    .collect();
                if !works.is_empty() {
                    groups.push((format!("{} {}", t("work-after"), g.title), works));
                }
            }
            let loose: Vec<&BetweenWork> = v
                .between_work
                .iter()
                .filter(|w| v.gathering(&w.gathering).is_none())
                .collect();
            if !loose.is_empty() {
                groups.push((t("work-unattached").to_owned(), loose));
            }
            for (title, works) in groups {
                card_ui(ui, &title, |ui| {
                    for w in works {
                        work_row_ui(ui, lang, v, w, fields, out);
                    }
                });
            }
            card_ui(ui, t("work-new"), |ui| {
                ui.horizontal(|ui| {
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut sui.new_work)
                                .id_salt("new-work-b")
                                .hint_text(t("work-new-hint"))
                                .desired_width(ui.available_width() - 200.0),
                        )
                        .accessible_name(t("work-new"));
                    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if (ui.button(t("work-add")).clicked() || enter)
                        && !sui.new_work.trim().is_empty()
                    {
                        out.edit(Edit::AddBetweenWork {
                            title: sui.new_work.trim().to_owned(),
                            after: None,
                        });
                        sui.new_work.clear();
                    }
                });
            });
        });
}
