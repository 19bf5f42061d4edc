//! Run mode: a gathering on the wall. The current agenda item in big letters, its
//! method, the time left (ticking), what comes next, notes that go into the gathering's
//! log, and how long each finished item really took.
//!
//! The run state lives in the document, so a co-facilitator on another machine who
//! "follows" sees the same item and clock; whoever presses "next" moves everyone on.

use egui::{Align, Color32, Layout, RichText};
use samspill_shared::content::{Lang, library};
use samspill_shared::ids::GatheringId;
use samspill_shared::model::{AgendaItem, Gathering, Project};

use super::edit::Edit;
use super::gatherings_ui::duration;
use super::project_ui::card_ui;
use super::state::{Command, Outbox, RunUi};
use super::theme::{self, accent, muted};
use super::tr;
use crate::device::SystemClock;
use samspill_shared::model::Clock as _;

pub fn run_ui(ui: &mut egui::Ui, lang: Lang, v: &Project, run: &mut RunUi, out: &mut Outbox) {
    let t = |k: &'static str| tr(lang, k);
    let Some(g) = v.gathering(&run.gathering) else {
        out.send(Command::CloseRun);
        return;
    };
    let Ok(gid) = g.id.parse::<GatheringId>() else {
        return;
    };
    let now = SystemClock.now_ms();
    let current = g
        .agenda
        .iter()
        .position(|a| a.id == g.run.current)
        .map(|i| (i, &g.agenda[i]));
    let typing = ui.ctx().egui_wants_keyboard_input();

    ui.horizontal(|ui| {
        let (mark, key) = if g.run.is_running() {
            ("▶", "run-title")
        } else {
            ("■", "run-view")
        };
        ui.label(
            RichText::new(format!("{mark} {}", t(key)))
                .strong()
                .color(accent(ui)),
        );
        ui.label(RichText::new(&g.title).strong().size(18.0));
        if !g.date.is_empty() || !g.place.is_empty() {
            ui.label(RichText::new(format!("{} {}", g.date, g.place)).color(muted(ui)));
        }
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui.button(format!("✖ {}", t("run-close"))).clicked() {
                out.send(Command::CloseRun);
            }
            if run.following {
                ui.label(RichText::new(t("run-following")).color(muted(ui)));
            }
        });
    });
    ui.separator();

    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.set_max_width(ui.available_width().min(1100.0));
            match current {
                Some((i, item)) => {
                    current_ui(ui, lang, g, i, item, now);
                    ui.add_space(10.0);
                    controls_ui(ui, lang, g, &gid, i, run, typing, out);
                }
                None => {
                    ui.add_space(24.0);
                    let key = if g.run.finished_at.is_some() {
                        "run-finished"
                    } else {
                        "run-not-running"
                    };
                    ui.label(RichText::new(t(key)).size(26.0).strong());
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        if !g.agenda.is_empty()
                            && ui.button(format!("▶ {}", t("run-start-again"))).clicked()
                        {
                            out.edit(Edit::RunStart {
                                gathering: gid.clone(),
                            });
                        }
                        if ui.button(t("run-back")).clicked() {
                            out.send(Command::CloseRun);
                        }
                    });
                    ui.add_space(12.0);
                }
            }
            ui.add_space(6.0);
            card_ui(ui, t("run-log"), |ui| {
                ui.horizontal(|ui| {
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut run.note)
                                .id_salt("run-note")
                                .hint_text(t("run-note-hint"))
                                .desired_width(ui.available_width() - 160.0),
                        )
                        .accessible_name(t("run-note"));
                    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if (ui.button(t("run-note-add")).clicked() || enter)
                        && !run.note.trim().is_empty()
                    {
                        out.edit(Edit::RunNote {
                            gathering: gid.clone(),
                            text: run.note.trim().to_owned(),
                        });
                        run.note.clear();
                        if enter {
                            r.request_focus();
                        }
                    }
                });
                if !g.log.trim().is_empty() {
                    ui.add_space(4.0);
                    let paragraphs: Vec<&str> = g
                        .log
                        .split("\n\n")
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .collect();
                    let skip = paragraphs.len().saturating_sub(5);
                    for p in &paragraphs[skip..] {
                        ui.label(RichText::new(*p).color(muted(ui)));
                    }
                }
            });
            actual_ui(ui, lang, g, now);
        });
    if g.run.is_running() {
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(1));
    }
}

fn current_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    g: &Gathering,
    index: usize,
    item: &AgendaItem,
    now: i64,
) {
    let t = |k: &'static str| tr(lang, k);
    ui.add_space(10.0);
    ui.label(
        RichText::new(format!(
            "{} {} / {}{}",
            t("run-item"),
            index + 1,
            g.agenda.len(),
            item.starts_at
                .as_deref()
                .map(|s| format!("  ·  {} {s}", t("run-planned-at")))
                .unwrap_or_default()
        ))
        .color(muted(ui)),
    );
    ui.label(RichText::new(&item.title).size(40.0).strong());
    if let Some(m) = library().method(&item.method) {
        ui.label(
            RichText::new(format!("{} · {}", m.name(lang), m.text(lang).summary))
                .size(16.0)
                .color(muted(ui)),
        );
    }
    if !item.notes.is_empty() {
        ui.label(RichText::new(&item.notes).size(15.0));
    }
    ui.add_space(10.0);
    let elapsed_s = g.run.item_elapsed_ms(now) / 1000;
    let planned_min = g.run.planned_minutes(item.minutes);
    let planned_s = planned_min * 60;
    let left = planned_s - elapsed_s;
    let (text, colour) = if left >= 0 {
        (
            format!("{} {}", mmss(left), t("run-left")),
            if left < 120 { theme::AMBER } else { accent(ui) },
        )
    } else {
        (
            format!("+{} {}", mmss(-left), t("run-over")),
            ui.visuals().error_fg_color,
        )
    };
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(text)
                .size(34.0)
                .monospace()
                .strong()
                .color(colour),
        );
        ui.add_space(12.0);
        ui.label(
            RichText::new(format!(
                "{} {} · {} {}",
                t("run-planned"),
                duration(lang, u32::try_from(planned_min).unwrap_or(u32::MAX)),
                t("run-elapsed"),
                mmss(elapsed_s)
            ))
            .color(muted(ui)),
        );
        if g.run.is_paused() {
            ui.label(
                RichText::new(format!("⏸ {}", t("run-paused")))
                    .strong()
                    .color(theme::AMBER),
            );
        }
    });
    if left < 0 {
        ui.label(RichText::new(t("run-time-up")).color(ui.visuals().error_fg_color));
    }
    // A bar of the time used.
    let frac = if planned_s > 0 {
        (elapsed_s as f32 / planned_s as f32).min(1.0)
    } else {
        1.0
    };
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(ui.available_width().min(700.0), 8.0),
        egui::Sense::hover(),
    );
    ui.painter()
        .rect_filled(rect, 4.0, ui.visuals().widgets.inactive.bg_fill);
    let mut done = rect;
    done.set_width(rect.width() * frac);
    ui.painter().rect_filled(done, 4.0, colour);
    ui.add_space(12.0);
    match g.agenda.get(index + 1) {
        Some(next) => {
            ui.label(
                RichText::new(format!(
                    "{}: {} ({})",
                    t("run-next-item"),
                    next.title,
                    duration(lang, next.minutes)
                ))
                .size(17.0),
            );
        }
        None => {
            ui.label(
                RichText::new(t("run-last-item"))
                    .size(17.0)
                    .color(muted(ui)),
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn controls_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    g: &Gathering,
    gid: &GatheringId,
    index: usize,
    run: &mut RunUi,
    typing: bool,
    out: &mut Outbox,
) {
    let t = |k: &'static str| tr(lang, k);
    if run.following {
        ui.horizontal(|ui| {
            ui.label(RichText::new(t("run-following-help")).color(muted(ui)));
            if ui.button(t("run-take-over")).clicked() {
                run.following = false;
            }
        });
        return;
    }
    let last = index + 1 >= g.agenda.len();
    ui.horizontal(|ui| {
        let next_label = if last {
            format!("✔ {}", t("run-finish"))
        } else {
            format!("{} ⏵", t("run-next"))
        };
        let next = ui
            .add(
                egui::Button::new(RichText::new(next_label).size(20.0).color(Color32::WHITE))
                    .fill(accent(ui))
                    .min_size(egui::vec2(180.0, 44.0)),
            )
            .on_hover_text(t("run-next-keys"));
        let key = !typing
            && ui.input_mut(|i| {
                i.consume_key(egui::Modifiers::NONE, egui::Key::Space)
                    || i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowRight)
            });
        // Text typed while the note field did not have the keyboard must not race
        // through the agenda: a key moves on at most once in a while.
        let key = key && run.last_key.is_none_or(|at| at.elapsed() >= KEY_REPEAT);
        if key {
            run.last_key = Some(std::time::Instant::now());
        }
        if next.clicked() || key {
            out.edit(Edit::RunNext {
                gathering: gid.clone(),
            });
        }
        ui.add_space(8.0);
        let paused = g.run.is_paused();
        let pause_label = if paused {
            format!("▶ {}", t("run-resume"))
        } else {
            format!("⏸ {}", t("run-pause"))
        };
        if ui
            .add(
                egui::Button::new(RichText::new(pause_label).size(16.0))
                    .min_size(egui::vec2(120.0, 44.0)),
            )
            .clicked()
        {
            out.edit(Edit::RunPause {
                gathering: gid.clone(),
                pause: !paused,
            });
        }
        if ui
            .add(
                egui::Button::new(RichText::new(format!("■ {}", t("run-stop"))).size(16.0))
                    .min_size(egui::vec2(120.0, 44.0)),
            )
            .clicked()
        {
            out.edit(Edit::RunStop {
                gathering: gid.clone(),
            });
        }
    });
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        for (minutes, label) in [(-5, t("run-less")), (5, t("run-more"))] {
            if ui.button(label).clicked() {
                out.edit(Edit::RunAdjust {
                    gathering: gid.clone(),
                    minutes,
                });
            }
        }
        ui.add_space(8.0);
        if ui
            .button(format!("⛶ {}", t("run-projector")))
            .on_hover_text(t("run-projector-hint"))
            .clicked()
        {
            run.projector = true;
            ui.ctx()
                .send_viewport_cmd(egui::ViewportCommand::Fullscreen(true));
        }
    });
}

/// The projector view: the whole screen for the room. A big clock, the item on now
/// with its time left, and what comes next. Esc or the button goes back.
pub fn projector_ui(ui: &mut egui::Ui, lang: Lang, v: &Project, run: &mut RunUi) {
    let t = |k: &'static str| tr(lang, k);
    let leave = ui.input(|i| i.key_pressed(egui::Key::Escape));
    ui.horizontal(|ui| {
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui
                .button(format!("✖ {}", t("run-projector-close")))
                .clicked()
                || leave
            {
                run.projector = false;
                ui.ctx()
                    .send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
            }
        });
    });
    let Some(g) = v.gathering(&run.gathering) else {
        run.projector = false;
        return;
    };
    let now = SystemClock.now_ms();
    let height = ui.available_height();
    let big = (height / 6.0).clamp(40.0, 160.0);
    ui.vertical_centered(|ui| {
        ui.add_space(height * 0.04);
        let clock = jiff::Timestamp::from_millisecond(now)
            .map(|ts| {
                ts.to_zoned(jiff::tz::TimeZone::system())
                    .strftime("%H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        ui.label(RichText::new(clock).size(big).monospace().strong());
        ui.add_space(height * 0.03);
        let Some(i) = g.agenda.iter().position(|a| a.id == g.run.current) else {
            ui.label(RichText::new(&g.title).size(big * 0.4).strong());
            return;
        };
        let item = &g.agenda[i];
        ui.label(
            RichText::new(&item.title)
                .size(big * 0.5)
                .strong()
                .color(accent(ui)),
        );
        let left = g.run.planned_minutes(item.minutes) * 60 - g.run.item_elapsed_ms(now) / 1000;
        let (text, colour) = if left >= 0 {
            (format!("{} {}", mmss(left), t("run-left")), muted(ui))
        } else {
            (
                format!("+{} {}", mmss(-left), t("run-over")),
                ui.visuals().error_fg_color,
            )
        };
        let paused = if g.run.is_paused() {
            format!("  ⏸ {}", t("run-paused"))
        } else {
            String::new()
        };
        ui.label(
            RichText::new(format!("{text}{paused}"))
                .size(big * 0.35)
                .monospace()
                .color(colour),
        );
        ui.add_space(height * 0.05);
        if let Some(next) = g.agenda.get(i + 1) {
            ui.label(
                RichText::new(format!("{}: {}", t("run-next-item"), next.title))
                    .size(big * 0.3)
                    .color(muted(ui)),
            );
        }
    });
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_secs(1));
}

/// A gentle signal, once, when the item on now runs out of time: the window asks for
/// attention (the task bar flashes) and the clock turns red. No sound in a room
/// where someone is talking.
pub fn signal_time_up(ctx: &egui::Context, v: &Project, run: &mut RunUi) {
    let Some(g) = v.gathering(&run.gathering) else {
        return;
    };
    let Some(item) = g.agenda.iter().find(|a| a.id == g.run.current) else {
        return;
    };
    if g.run.is_paused() || run.signalled.as_deref() == Some(item.id.as_str()) {
        return;
    }
    let now = SystemClock.now_ms();
    let left = g.run.planned_minutes(item.minutes) * 60_000 - g.run.item_elapsed_ms(now);
    if left <= 0 {
        run.signalled = Some(item.id.clone());
        ctx.send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(
            egui::UserAttentionType::Informational,
        ));
    }
}

/// Planned against actual for every item that has run.
fn actual_ui(ui: &mut egui::Ui, lang: Lang, g: &Gathering, now: i64) {
    let t = |k: &'static str| tr(lang, k);
    if g.run.actual.is_empty() {
        return;
    }
    card_ui(ui, t("run-actual"), |ui| {
        egui::Grid::new("actual")
            .num_columns(4)
            .spacing([24.0, 6.0])
            .striped(true)
            .show(ui, |ui| {
                ui.label(RichText::new(t("run-col-item")).strong());
                ui.label(RichText::new(t("run-planned")).strong());
                ui.label(RichText::new(t("run-actual-col")).strong());
                ui.label(RichText::new(t("run-difference")).strong());
                ui.end_row();
                // Only this run's items (an earlier run's times stay in the document).
                let this_run = g
                    .run
                    .actual
                    .iter()
                    .filter(|a| g.run.started_at.is_none_or(|s| a.started_at >= s));
                for a in this_run {
                    let Some(item) = g.agenda.iter().find(|i| i.id == a.item) else {
                        continue;
                    };
                    let end = a.ended_at.unwrap_or(now);
                    let actual_s = ((end - a.started_at).max(0)) / 1000;
                    let planned_s = i64::from(item.minutes) * 60;
                    ui.label(&item.title);
                    ui.label(duration(lang, item.minutes));
                    let running = a.ended_at.is_none();
                    ui.label(if running {
                        format!("{} …", mmss(actual_s))
                    } else {
                        mmss(actual_s)
                    });
                    let diff = actual_s - planned_s;
                    let colour = if diff > 60 {
                        ui.visuals().error_fg_color
                    } else {
                        muted(ui)
                    };
                    let sign = if diff >= 0 { "+" } else { "−" };
                    if running && diff < 0 {
                        // Still going and within its time: no difference yet.
                        ui.label(RichText::new("…").color(muted(ui)));
                    } else {
                        ui.label(
                            RichText::new(format!("{sign}{}", mmss(diff.abs()))).color(colour),
                        );
                    }
                    ui.end_row();
                }
            });
    });
}

/// How soon Space or → may move on again.
const KEY_REPEAT: std::time::Duration = std::time::Duration::from_millis(1500);

/// `m:ss` (or `h:mm:ss`).
pub fn mmss(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}
