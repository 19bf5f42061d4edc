//! Settings: who you are, language, theme, default relay. Saved to the profile.

use egui::RichText;
use samspill_shared::content::Lang;

use super::project_ui::card_ui;
use super::state::{AppState, Command, Outbox};
use super::theme::{self, muted};
use super::tr;
use crate::profile::Theme;

/// Colours to choose from: calm, distinct, readable with white initials.
pub(super) const COLOURS: [&str; 8] = [
    "#2f7d6d", "#3b6ea5", "#8a5a9e", "#b5533c", "#b7791f", "#4d7c2f", "#a63d6b", "#5a6270",
];

pub fn settings_ui(ui: &mut egui::Ui, state: &mut AppState, out: &mut Outbox) {
    let lang = state.lang();
    let t = |k: &'static str| tr(lang, k);
    let d = &mut state.settings;
    ui.heading(t("settings-title"));
    ui.label(RichText::new(t("settings-help")).color(muted(ui)));
    ui.add_space(8.0);
    ui.set_max_width(ui.available_width().min(640.0));
    card_ui(ui, t("settings-you"), |ui| {
        egui::Grid::new("you")
            .num_columns(2)
            .spacing([16.0, 8.0])
            .show(ui, |ui| {
                let l = ui.label(t("settings-name"));
                ui.add(egui::TextEdit::singleline(&mut d.name).desired_width(300.0))
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label(t("settings-centre"));
                ui.add(
                    egui::TextEdit::singleline(&mut d.centre)
                        .desired_width(300.0)
                        .hint_text("RVTS Sør"),
                )
                .labelled_by(l.id);
                ui.end_row();
                ui.label(t("settings-colour"));
                ui.horizontal(|ui| {
                    for c in COLOURS {
                        let (rect, r) =
                            ui.allocate_exact_size(egui::vec2(24.0, 24.0), egui::Sense::click());
                        ui.painter()
                            .circle_filled(rect.center(), 11.0, theme::parse_colour(c));
                        if d.colour.eq_ignore_ascii_case(c) {
                            ui.painter().circle_stroke(
                                rect.center(),
                                12.5,
                                egui::Stroke::new(2.0, ui.visuals().text_color()),
                            );
                        }
                        if r.on_hover_text(c).clicked() {
                            d.colour = c.to_owned();
                        }
                    }
                });
                ui.end_row();
            });
    });
    card_ui(ui, t("settings-appearance"), |ui| {
        egui::Grid::new("look")
            .num_columns(2)
            .spacing([16.0, 8.0])
            .show(ui, |ui| {
                ui.label(t("settings-language"));
                ui.horizontal(|ui| {
                    ui.radio_value(&mut d.language, Lang::Nb, "Norsk bokmål");
                    ui.radio_value(&mut d.language, Lang::En, "English");
                    ui.radio_value(&mut d.language, Lang::Da, "Dansk");
                });
                ui.end_row();
                ui.label(t("settings-theme"));
                ui.horizontal(|ui| {
                    ui.radio_value(&mut d.theme, Theme::Light, t("settings-light"));
                    ui.radio_value(&mut d.theme, Theme::Dark, t("settings-dark"));
                });
                ui.end_row();
            });
    });
    card_ui(ui, t("settings-sync"), |ui| {
        let l = ui.label(t("settings-relay"));
        ui.add(
            egui::TextEdit::singleline(&mut d.default_relay)
                .desired_width(360.0)
                .hint_text("wss://relay.example.no"),
        )
        .labelled_by(l.id);
        ui.label(
            RichText::new(t("settings-relay-help"))
                .small()
                .color(muted(ui)),
        );
    });
    let changed = *d != AppState::draft_from_profile(&state.device);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(changed, egui::Button::new(t("common-save")))
            .clicked()
        {
            out.send(Command::SaveProfile(d.clone()));
        }
        if changed && ui.button(t("common-cancel")).clicked() {
            *d = AppState::draft_from_profile(&state.device);
        }
    });
}
