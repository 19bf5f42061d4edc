//! The method library: search, filter by phase and tag, read a method, add it to an
//! agenda.

use egui::RichText;
use samspill_shared::content::{Lang, Method, PhaseKind, library};

use super::edit::Edit;
use super::project_ui::card_ui;
use super::state::{AppState, Command, Outbox, Screen, Section};
use super::theme::{accent, card_fill, muted};
use super::{tr, tr_dyn};

/// Whether a method matches the search words (name, summary, purpose, tags).
pub fn matches(m: &Method, lang: Lang, query: &str) -> bool {
    let text = m.text(lang);
    let hay = format!(
        "{} {} {} {}",
        text.name,
        text.summary,
        text.purpose,
        m.tags.join(" ")
    )
    .to_lowercase();
    query
        .to_lowercase()
        .split_whitespace()
        .all(|w| hay.contains(w))
}

pub fn library_ui(ui: &mut egui::Ui, state: &mut AppState, out: &mut Outbox) {
    let lang = state.lang();
    let t = |k: &'static str| tr(lang, k);
    let lib = &mut state.library;
    ui.heading(t("library-title"));
    ui.label(RichText::new(t("library-help")).color(muted(ui)));
    ui.add_space(8.0);

    ui.horizontal(|ui| {
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut lib.query)
                    .hint_text(t("library-search-hint"))
                    .desired_width(260.0),
            )
            .accessible_name(t("library-search"));
        if ui.input(|i| i.modifiers.command && i.key_pressed(egui::Key::F)) {
            r.request_focus();
        }
        let phase_text = lib.phase.map_or_else(
            || t("library-all-phases").to_owned(),
            |k| tr_dyn(lang, &format!("phase-kind-{}", k.id())),
        );
        egui::ComboBox::from_id_salt("phase-filter")
            .selected_text(phase_text)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut lib.phase, None, t("library-all-phases"));
                for k in PhaseKind::ALL {
                    ui.selectable_value(
                        &mut lib.phase,
                        Some(k),
                        tr_dyn(lang, &format!("phase-kind-{}", k.id())),
                    );
                }
            })
            .response
            .accessible_name(t("library-all-phases"));
        let mut tags: Vec<&str> = library()
            .methods
            .iter()
            .flat_map(|m| m.tags.iter().map(String::as_str))
            .collect();
        tags.sort_unstable();
        tags.dedup();
        let tag_text = lib.tag.as_ref().map_or_else(
            || t("library-all-tags").to_owned(),
            |x| tr_dyn(lang, &format!("tag-{x}")),
        );
        egui::ComboBox::from_id_salt("tag-filter")
            .selected_text(tag_text)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut lib.tag, None, t("library-all-tags"));
                for tag in tags {
                    ui.selectable_value(
                        &mut lib.tag,
                        Some(tag.to_owned()),
                        tr_dyn(lang, &format!("tag-{tag}")),
                    );
                }
            })
            .response
            .accessible_name(t("library-all-tags"));
        if (!lib.query.is_empty() || lib.phase.is_some() || lib.tag.is_some())
            && ui.button(t("library-clear")).clicked()
        {
            lib.query.clear();
            lib.phase = None;
            lib.tag = None;
        }
    });
    ui.add_space(8.0);

    let found: Vec<&Method> = library()
        .methods
        .iter()
        .filter(|m| lib.phase.is_none_or(|k| m.suits(k)))
        .filter(|m| lib.tag.as_ref().is_none_or(|x| m.tags.contains(x)))
        .filter(|m| matches(m, lang, &lib.query))
        .collect();
    if lib
        .selected
        .as_ref()
        .is_none_or(|id| !found.iter().any(|m| &m.id == id))
    {
        lib.selected = found.first().map(|m| m.id.clone());
    }

    let gatherings: Vec<(String, String)> = state
        .session
        .as_ref()
        .map(|s| {
            s.view
                .gatherings
                .iter()
                .map(|g| (g.id.clone(), g.title.clone()))
                .collect()
        })
        .unwrap_or_default();

    // Two fixed columns side by side: the list (narrower in a narrow window) and the
    // chosen method, each in its own rectangle so neither can push the other off.
    let area = ui.available_rect_before_wrap();
    let list_width = (area.width() * 0.34).clamp(200.0, 300.0);
    let list_rect = egui::Rect::from_min_size(area.min, egui::vec2(list_width, area.height()));
    let detail_rect =
        egui::Rect::from_min_max(egui::pos2(list_rect.right() + 17.0, area.top()), area.max);
    ui.painter().vline(
        list_rect.right() + 8.0,
        area.y_range(),
        ui.visuals().widgets.noninteractive.bg_stroke,
    );
    ui.allocate_rect(area, egui::Sense::hover());
    {
        ui.scope_builder(egui::UiBuilder::new().max_rect(list_rect), |ui| {
            ui.label(
                RichText::new(super::tr_args(
                    lang,
                    "library-count",
                    &[("n", found.len().into())],
                ))
                .small()
                .color(muted(ui)),
            );
            egui::ScrollArea::vertical()
                .id_salt("methods")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    if found.is_empty() {
                        ui.label(RichText::new(t("library-none")).color(muted(ui)));
                    }
                    for m in &found {
                        let selected = lib.selected.as_deref() == Some(m.id.as_str());
                        let text = m.text(lang);
                        let r = ui.add(
                            egui::Button::selectable(selected, RichText::new(&text.name).strong())
                                .right_text(
                                    RichText::new(format!("{} min", m.duration_minutes))
                                        .small()
                                        .color(muted(ui)),
                                )
                                .min_size(egui::vec2(ui.available_width(), 30.0)),
                        );
                        if r.clicked() {
                            lib.selected = Some(m.id.clone());
                        }
                    }
                });
        });
        // The chosen method.
        ui.scope_builder(egui::UiBuilder::new().max_rect(detail_rect), |ui| {
            let Some(m) = lib.selected.as_deref().and_then(|id| library().method(id)) else {
                return;
            };
            egui::ScrollArea::vertical()
                .id_salt("method")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    ui.set_max_width(ui.available_width().min(640.0));
                    method_ui(ui, lang, m);
                    ui.add_space(8.0);
                    add_to_agenda_ui(ui, lang, m, &gatherings, &mut lib.target, out);
                });
        });
    }
}

fn method_ui(ui: &mut egui::Ui, lang: Lang, m: &Method) {
    let t = |k: &'static str| tr(lang, k);
    let text = m.text(lang);
    ui.heading(&text.name);
    ui.label(RichText::new(&text.summary).italics().color(muted(ui)));
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        let group = match m.group_size_max {
            Some(max) => format!("{}–{max}", m.group_size_min),
            None => format!("{}+", m.group_size_min),
        };
        chip_ui(ui, &format!("⏱ {} min", m.duration_minutes));
        chip_ui(ui, &format!("👥 {group} {}", t("library-people")));
        for k in &m.phases {
            chip_ui(ui, &tr_dyn(lang, &format!("phase-kind-{}", k.id())));
        }
        for tag in &m.tags {
            chip_ui(ui, &format!("# {}", tr_dyn(lang, &format!("tag-{tag}"))));
        }
    });
    ui.add_space(8.0);
    card_ui(ui, t("library-purpose"), |ui| {
        ui.label(&text.purpose);
    });
    card_ui(ui, t("library-steps"), |ui| {
        for (i, step) in text.steps.iter().enumerate() {
            ui.horizontal_top(|ui| {
                ui.label(
                    RichText::new(format!("{}.", i + 1))
                        .strong()
                        .color(accent(ui)),
                );
                // Wraps within the card (a label in a row does not by itself).
                ui.add(egui::Label::new(step).wrap());
            });
        }
    });
    if !text.materials.is_empty() {
        card_ui(ui, t("library-materials"), |ui| {
            for x in &text.materials {
                ui.label(format!("•  {x}"));
            }
        });
    }
}

fn chip_ui(ui: &mut egui::Ui, text: &str) {
    // A frame is laid out before the row decides to wrap, so measure first: a chip
    // that does not fit starts the next row instead of widening the page.
    let galley = ui.painter().layout_no_wrap(
        text.to_owned(),
        egui::TextStyle::Small.resolve(ui.style()),
        ui.visuals().text_color(),
    );
    let room = ui.max_rect().right() - ui.cursor().left();
    if galley.size().x + 20.0 > room {
        ui.end_row();
    }
    egui::Frame::new()
        .fill(card_fill(ui))
        .corner_radius(10)
        .inner_margin(egui::Margin::symmetric(8, 2))
        .stroke(ui.visuals().widgets.noninteractive.bg_stroke)
        // A chip is one word or two: it never wraps (else a narrow window stacks its
        // letters one per line); the row of chips wraps instead.
        .show(ui, |ui| {
            ui.add(egui::Label::new(RichText::new(text).small()).extend())
        });
}

fn add_to_agenda_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    m: &Method,
    gatherings: &[(String, String)],
    target: &mut Option<String>,
    out: &mut Outbox,
) {
    let t = |k: &'static str| tr(lang, k);
    if gatherings.is_empty() {
        ui.label(RichText::new(t("library-open-project")).color(muted(ui)));
        return;
    }
    if target
        .as_ref()
        .is_none_or(|id| !gatherings.iter().any(|(g, _)| g == id))
    {
        *target = gatherings.first().map(|(g, _)| g.clone());
    }
    // Wraps, and the gathering's name is cut to fit: a long name must not widen the
    // method's column past the window.
    ui.horizontal_wrapped(|ui| {
        ui.label(t("library-add-to"));
        let shown = gatherings
            .iter()
            .find(|(g, _)| Some(g) == target.as_ref())
            .map(|(_, n)| n.clone())
            .unwrap_or_default();
        egui::ComboBox::from_id_salt("target")
            .selected_text(shown)
            .width((ui.available_width() - 140.0).clamp(140.0, 320.0))
            .truncate()
            .show_ui(ui, |ui| {
                for (id, name) in gatherings {
                    ui.selectable_value(target, Some(id.clone()), name);
                }
            })
            .response
            .accessible_name(t("library-add-to"));
        let add = egui::Button::new(
            RichText::new(format!("+ {}", t("library-add"))).color(egui::Color32::WHITE),
        )
        .fill(accent(ui));
        if ui.add(add).clicked()
            && let Some(gathering) = target.as_ref().and_then(|g| g.parse().ok())
        {
            out.edit(Edit::AddMethodToAgenda {
                gathering,
                method: m.id.clone(),
            });
            out.send(Command::Section(Section::Gatherings));
            out.send(Command::Navigate(Screen::Project));
        }
    });
}
