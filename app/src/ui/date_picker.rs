//! A calendar beside a date field: a "📅" button opens a month, Monday first, with the
//! weekday and month names in the UI's language (egui_extras' picker speaks English
//! only). Picking a day returns it as `YYYY-MM-DD`; typing in the field still works.

use egui::{Popup, PopupCloseBehavior, RichText};
use jiff::civil::Date;
use samspill_shared::content::Lang;

use super::theme::{accent, muted};
use super::tr;
use crate::dates;

/// The calendar button for a date field named `label` whose stored value is `current`.
/// Returns the day picked this frame.
pub fn date_picker_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    id_salt: impl std::hash::Hash + std::fmt::Debug,
    label: &str,
    current: &str,
) -> Option<String> {
    let button = ui
        .add(egui::Button::new("📅").small())
        .accessible_name(format!("{} {label}", tr(lang, "date-pick")))
        .on_hover_text(tr(lang, "date-pick"));
    let month_id = egui::Id::unique(("date-picker-month", id_salt));
    if button.clicked() {
        // Open on the stored date's month, or this month.
        let start = dates::parse(current).unwrap_or_else(dates::today);
        ui.data_mut(|d| d.insert_temp(month_id, start.first_of_month()));
    }
    let mut picked = None;
    Popup::from_toggle_button_response(&button)
        .close_behavior(PopupCloseBehavior::CloseOnClickOutside)
        .show(|ui| {
            let shown: Date = ui
                .data(|d| d.get_temp(month_id))
                .unwrap_or_else(|| dates::today().first_of_month());
            let mut month = shown;
            ui.horizontal(|ui| {
                if ui
                    .small_button("◀")
                    .accessible_name(tr(lang, "date-previous"))
                    .clicked()
                {
                    month = dates::shift_month(shown, -1);
                }
                ui.label(RichText::new(dates::month_title(lang, shown)).strong());
                if ui
                    .small_button("▶")
                    .accessible_name(tr(lang, "date-next"))
                    .clicked()
                {
                    month = dates::shift_month(shown, 1);
                }
            });
            if month != shown {
                ui.data_mut(|d| d.insert_temp(month_id, month));
            }
            let chosen = dates::parse(current);
            let today = dates::today();
            egui::Grid::new(("date-grid", month_id))
                .spacing([2.0, 2.0])
                .show(ui, |ui| {
                    for head in dates::weekday_heads(lang) {
                        ui.label(RichText::new(head).small().color(muted(ui)));
                    }
                    ui.end_row();
                    for week in dates::month_grid(shown) {
                        for day in week {
                            let Some(day) = day else {
                                ui.label("");
                                continue;
                            };
                            let mut text = RichText::new(format!("{:>2}", day.day())).monospace();
                            if day == today {
                                text = text.strong().color(accent(ui));
                            }
                            let r = ui
                                .add(egui::Button::selectable(chosen == Some(day), text))
                                .accessible_name(dates::long_date(lang, &dates::iso(day)));
                            if r.clicked() {
                                picked = Some(dates::iso(day));
                                ui.close();
                            }
                        }
                        ui.end_row();
                    }
                });
            ui.horizontal(|ui| {
                if ui.small_button(tr(lang, "date-today")).clicked() {
                    picked = Some(dates::iso(today));
                    ui.close();
                }
                if !current.is_empty() && ui.small_button(tr(lang, "date-clear")).clicked() {
                    picked = Some(String::new());
                    ui.close();
                }
            });
        });
    picked
}
