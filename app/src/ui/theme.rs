//! Calm colours and spacing: teal accent (the export's #2f7d6d) on warm neutrals.

use egui::{Color32, CornerRadius, FontId, Stroke, TextStyle, Visuals};

use crate::profile::Theme;

pub const TEAL: Color32 = Color32::from_rgb(0x2f, 0x7d, 0x6d);
pub const TEAL_LIGHT: Color32 = Color32::from_rgb(0xd9, 0xec, 0xe7);
pub const TEAL_DARK_BG: Color32 = Color32::from_rgb(0x1f, 0x4a, 0x41);
pub const AMBER: Color32 = Color32::from_rgb(0xb7, 0x79, 0x1f);

/// The amber frame of a banner that says the project is shown read-only.
pub fn amber_banner() -> egui::Frame {
    egui::Frame::new()
        .fill(AMBER.gamma_multiply(0.2))
        .stroke(egui::Stroke::new(1.0, AMBER))
        .corner_radius(8)
        .inner_margin(egui::Margin::symmetric(14, 10))
}

/// The accent colour for the current visuals.
pub fn accent(ui: &egui::Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(0x6f, 0xc2, 0xae)
    } else {
        TEAL
    }
}

/// Muted text (secondary information).
pub fn muted(ui: &egui::Ui) -> Color32 {
    ui.visuals().weak_text_color()
}

/// A card's fill, a step apart from the panel.
pub fn card_fill(ui: &egui::Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_gray(38)
    } else {
        Color32::WHITE
    }
}

pub fn apply(ctx: &egui::Context, theme: Theme) {
    for (which, mut visuals) in [(egui::Theme::Light, light()), (egui::Theme::Dark, dark())] {
        visuals.window_corner_radius = CornerRadius::same(10);
        visuals.menu_corner_radius = CornerRadius::same(8);
        for w in [
            &mut visuals.widgets.noninteractive,
            &mut visuals.widgets.inactive,
            &mut visuals.widgets.hovered,
            &mut visuals.widgets.active,
            &mut visuals.widgets.open,
        ] {
            w.corner_radius = CornerRadius::same(6);
        }
        ctx.set_visuals_of(which, visuals);
    }
    ctx.set_theme(match theme {
        Theme::Light => egui::Theme::Light,
        Theme::Dark => egui::Theme::Dark,
    });
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(8.0, 7.0);
        style.spacing.button_padding = egui::vec2(10.0, 4.0);
        style.spacing.interact_size.y = 26.0;
        style.spacing.window_margin = egui::Margin::same(16);
        style
            .text_styles
            .insert(TextStyle::Heading, FontId::proportional(22.0));
        style
            .text_styles
            .insert(TextStyle::Body, FontId::proportional(14.5));
        style
            .text_styles
            .insert(TextStyle::Button, FontId::proportional(14.5));
        style
            .text_styles
            .insert(TextStyle::Small, FontId::proportional(12.0));
        style
            .text_styles
            .insert(TextStyle::Monospace, FontId::monospace(13.5));
    });
}

fn light() -> Visuals {
    let mut v = Visuals::light();
    v.panel_fill = Color32::from_rgb(0xf6, 0xf5, 0xf1);
    v.window_fill = Color32::from_rgb(0xfc, 0xfb, 0xf8);
    v.extreme_bg_color = Color32::WHITE;
    v.faint_bg_color = Color32::from_rgb(0xef, 0xee, 0xe9);
    v.hyperlink_color = TEAL;
    v.selection.bg_fill = TEAL_LIGHT;
    v.selection.stroke = Stroke::new(1.0, TEAL);
    v.widgets.hovered.bg_stroke = Stroke::new(1.0, TEAL);
    v.widgets.active.bg_fill = TEAL_LIGHT;
    v.widgets.inactive.weak_bg_fill = Color32::from_rgb(0xea, 0xe9, 0xe3);
    v.widgets.inactive.bg_fill = Color32::from_rgb(0xe4, 0xe3, 0xdc);
    v.widgets.noninteractive.bg_stroke = Stroke::new(1.0, Color32::from_rgb(0xde, 0xdc, 0xd4));
    v.text_cursor.stroke = Stroke::new(2.0, TEAL);
    v
}

fn dark() -> Visuals {
    let mut v = Visuals::dark();
    v.panel_fill = Color32::from_gray(27);
    v.window_fill = Color32::from_gray(32);
    v.hyperlink_color = Color32::from_rgb(0x6f, 0xc2, 0xae);
    v.selection.bg_fill = TEAL_DARK_BG;
    v.selection.stroke = Stroke::new(1.0, Color32::from_rgb(0x6f, 0xc2, 0xae));
    v.widgets.hovered.bg_stroke = Stroke::new(1.0, Color32::from_rgb(0x6f, 0xc2, 0xae));
    v.text_cursor.stroke = Stroke::new(2.0, Color32::from_rgb(0x6f, 0xc2, 0xae));
    v
}

/// `#rrggbb` to a colour (the accent when it does not parse).
pub fn parse_colour(s: &str) -> Color32 {
    let hex = s.trim_start_matches('#');
    if hex.len() != 6 {
        return TEAL;
    }
    let byte = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
    };
    match (byte(0), byte(2), byte(4)) {
        (Some(r), Some(g), Some(b)) => Color32::from_rgb(r, g, b),
        _ => TEAL,
    }
}

/// A filled circle with initials: a person's mark in lists and the presence area.
pub fn avatar_ui(ui: &mut egui::Ui, name: &str, colour: &str, size: f32) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    let fill = parse_colour(colour);
    ui.painter().circle_filled(rect.center(), size / 2.0, fill);
    let initials: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    let initials = if initials.is_empty() {
        "?".to_owned()
    } else {
        initials.to_uppercase()
    };
    ui.painter().text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        initials,
        FontId::proportional(size * 0.42),
        Color32::WHITE,
    );
    response.on_hover_text(name)
}

/// A thin progress bar with "done/total" next to it.
pub fn progress_ui(ui: &mut egui::Ui, done: usize, total: usize, width: f32) {
    let frac = if total == 0 {
        0.0
    } else {
        done as f32 / total as f32
    };
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, 6.0), egui::Sense::hover());
    let bg = if ui.visuals().dark_mode {
        Color32::from_gray(60)
    } else {
        Color32::from_rgb(0xe2, 0xe0, 0xd8)
    };
    ui.painter().rect_filled(rect, 3.0, bg);
    let mut filled = rect;
    filled.set_width(rect.width() * frac);
    ui.painter().rect_filled(filled, 3.0, accent(ui));
}
