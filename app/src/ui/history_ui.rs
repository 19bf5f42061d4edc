//! History: who changed what and when, grouped into sessions of work; looking at the
//! project as it was; restoring an earlier version; named checkpoints.

use egui::{Align, Layout, RichText};
use samspill_shared::content::{Arg, Lang, library};
use samspill_shared::model::Project;
use samspill_shared::model::history::{self, HistoryEntry};

use super::edit::Edit;
use super::project_ui::card_ui;
use super::projects_ui::empty_ui;
use super::state::{Command, Dialog, HistoryCache, Outbox, Session, Viewing};
use super::theme::{self, accent, muted};
use super::{tr, tr_args};

/// Changes further apart than this start a new session of work.
pub const SESSION_GAP_S: i64 = 30 * 60;

/// Sessions shown at first; "show more" adds this many again.
const SESSIONS_SHOWN: usize = 40;

/// Reads the history when it is shown and the document moved since it was last read.
pub fn refresh(s: &mut Session) {
    let fresh = s.ui.history.as_ref().is_some_and(|h| h.heads == s.heads);
    if !fresh {
        s.ui.history = Some(HistoryCache {
            heads: s.heads.clone(),
            entries: s.project.with(|d| d.history()),
        });
    }
}

pub fn history_ui(ui: &mut egui::Ui, lang: Lang, s: &mut Session, out: &mut Outbox) {
    let t = |k: &'static str| tr(lang, k);
    refresh(s);
    let v = &s.view;
    let Some(cache) = &s.ui.history else { return };
    let new_checkpoint = &mut s.ui.new_checkpoint;
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.set_max_width(ui.available_width().min(980.0));
            ui.heading(t("history-title"));
            ui.label(RichText::new(t("history-help")).color(muted(ui)));
            ui.add_space(8.0);

            card_ui(ui, t("history-checkpoints"), |ui| {
                ui.label(
                    RichText::new(t("history-checkpoints-help"))
                        .small()
                        .color(muted(ui)),
                );
                for cp in v.checkpoints.iter().rev() {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new("⚑").color(accent(ui)));
                        ui.label(RichText::new(&cp.name).strong());
                        let when = cp.at.map(|ms| when(lang, ms.div_euclid(1000)));
                        ui.label(
                            RichText::new(format!(
                                "{} · {}",
                                when.unwrap_or_default(),
                                v.person_name(&cp.by)
                            ))
                            .small()
                            .color(muted(ui)),
                        );
                        if ui
                            .button(t("history-view"))
                            .on_hover_text(t("history-view-checkpoint"))
                            .clicked()
                        {
                            out.send(Command::ViewCheckpoint(cp.id.clone()));
                        }
                    });
                }
                ui.horizontal(|ui| {
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(new_checkpoint)
                                .id_salt("new-checkpoint")
                                .hint_text(t("history-checkpoint-hint"))
                                .desired_width(320.0),
                        )
                        .accessible_name(t("history-checkpoint-name"));
                    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if (ui
                        .button(format!("⚑ {}", t("history-add-checkpoint")))
                        .clicked()
                        || enter)
                        && !new_checkpoint.trim().is_empty()
                    {
                        out.edit(Edit::AddCheckpoint {
                            name: new_checkpoint.trim().to_owned(),
                        });
                        new_checkpoint.clear();
                    }
                });
            });

            let sessions = history::sessions(&cache.entries, SESSION_GAP_S);
            if sessions.is_empty() {
                empty_ui(ui, t("history-empty"));
            }
            let total = sessions.len();
            for (i, session) in sessions.iter().rev().take(SESSIONS_SHOWN).enumerate() {
                session_ui(ui, lang, v, session, i == 0, out);
            }
            if total > SESSIONS_SHOWN {
                ui.label(
                    RichText::new(tr_args(
                        lang,
                        "history-older",
                        &[("n", (total - SESSIONS_SHOWN).into())],
                    ))
                    .color(muted(ui)),
                );
            }
        });
}

/// One session of work: who, when, and what they did (repeats folded: typing in one
/// field is many changes with one message).
fn session_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    v: &Project,
    session: &[HistoryEntry],
    newest: bool,
    out: &mut Outbox,
) {
    let t = |k: &'static str| tr(lang, k);
    let (Some(first), Some(last)) = (session.first(), session.last()) else {
        return;
    };
    card_ui(ui, "", |ui| {
        ui.horizontal(|ui| {
            who_ui(ui, lang, v, &first.by);
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let span = if when(lang, first.time) == when(lang, last.time) {
                    when(lang, last.time)
                } else {
                    format!("{} – {}", when(lang, first.time), clock(lang, last.time))
                };
                ui.label(RichText::new(span).monospace().color(muted(ui)));
            });
        });
        // Newest first, consecutive equal messages folded into one line.
        let mut lines: Vec<(&HistoryEntry, usize)> = Vec::new();
        for e in session.iter().rev() {
            match lines.last_mut() {
                Some((top, n)) if fold_key(&top.msg) == fold_key(&e.msg) => *n += 1,
                _ => lines.push((e, 1)),
            }
        }
        for (j, (e, n)) in lines.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.add_space(32.0);
                ui.label(
                    RichText::new(clock(lang, e.time))
                        .monospace()
                        .small()
                        .color(muted(ui)),
                );
                let msg = if e.msg.is_empty() {
                    t("history-no-message").to_owned()
                } else {
                    message_in(lang, &e.msg)
                };
                let text = if *n > 1 { format!("{msg}  ×{n}") } else { msg };
                let r = ui
                    .add(egui::Label::new(text).sense(egui::Sense::click()))
                    .on_hover_text(format!("{} · {}", t("history-view-hint"), e.short()));
                if r.clicked() {
                    out.send(Command::ViewAt(e.hash.clone()));
                }
                if newest && j == 0 {
                    ui.label(RichText::new(t("history-now")).small().color(accent(ui)));
                } else if ui.small_button(t("history-view")).clicked() {
                    out.send(Command::ViewAt(e.hash.clone()));
                }
            });
        }
    });
}

/// A change's message (written in English by the model, see `shared::model`) in the
/// reader's language. The `change-*` messages are the English templates and their
/// translations, with a variable (`$v1`, `$v2`) for what varies: the English text is
/// matched to find the values, which then fill in the reader's language. A message no
/// template matches is shown as it is.
pub fn message_in(lang: Lang, msg: &str) -> String {
    let strings = &library().strings;
    for t in change_templates() {
        let literals: Vec<&str> = t.literals.iter().map(String::as_str).collect();
        let Some(parts) = match_template(&literals, msg) else {
            continue;
        };
        let args: Vec<(&str, Arg<'_>)> = t
            .order
            .iter()
            .zip(parts)
            .filter_map(|(&i, part)| Some((t.vars.get(i)?.as_str(), Arg::from(part))))
            .collect();
        return strings.format(lang, &t.key, &args);
    }
    msg.to_owned()
}

/// An English `change-*` message cut where its values go.
struct ChangeTemplate {
    key: String,
    /// Its variables, sorted.
    vars: Vec<String>,
    /// The text between the values.
    literals: Vec<String>,
    /// Which variable each value is, in the order they appear.
    order: Vec<usize>,
}

/// The English `change-*` templates, cut once (the history asks for every line).
fn change_templates() -> &'static [ChangeTemplate] {
    /// Marks where a value goes in a template (a private-use character no message has).
    const MARK: char = '\u{e000}';
    static TEMPLATES: std::sync::OnceLock<Vec<ChangeTemplate>> = std::sync::OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let strings = &library().strings;
        strings
            .keys(Lang::En)
            .filter(|k| k.starts_with("change-"))
            .map(|key| {
                let vars: Vec<String> = strings
                    .variables(Lang::En, key)
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect();
                let marked: Vec<(&str, Arg<'_>)> = vars
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v.as_str(), Arg::from(format!("{MARK}{i}{MARK}"))))
                    .collect();
                let english = strings.format(Lang::En, key, &marked);
                // "lit MARK i MARK lit …": literals at even places, indices between.
                let pieces: Vec<&str> = english.split(MARK).collect();
                ChangeTemplate {
                    key: key.to_owned(),
                    literals: pieces.iter().step_by(2).map(|s| (*s).to_owned()).collect(),
                    order: pieces
                        .iter()
                        .skip(1)
                        .step_by(2)
                        .filter_map(|i| i.parse().ok())
                        .collect(),
                    vars,
                }
            })
            .collect()
    })
}

/// What goes between `literals` (a template cut where its values go) in `msg`, if `msg`
/// is made from that template.
fn match_template<'a>(literals: &[&str], msg: &'a str) -> Option<Vec<&'a str>> {
    let (first, rest) = literals.split_first()?;
    let mut tail = msg.strip_prefix(first)?;
    let mut parts = Vec::new();
    for (i, literal) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        let at = if last {
            tail.len()
                .checked_sub(literal.len())
                .filter(|at| tail.get(*at..) == Some(*literal))?
        } else if literal.is_empty() {
            return None;
        } else {
            tail.find(literal)?
        };
        parts.push(tail.get(..at)?);
        tail = tail.get(at + literal.len()..)?;
    }
    (tail.is_empty()).then_some(parts)
}

/// What makes two changes "the same" for folding: the message, except that renaming
/// something names the new text, which changes with every keystroke.
fn fold_key(msg: &str) -> &str {
    if msg.starts_with("Renamed") || msg.starts_with("Edited") {
        msg.split('“').next().unwrap_or(msg)
    } else {
        msg
    }
}

/// A colour dot, the person's name and centre, from the project's people only.
pub fn who_ui(ui: &mut egui::Ui, lang: Lang, v: &Project, person: &str) {
    match v.person(person) {
        Some(p) => {
            theme::avatar_ui(ui, &p.name, &p.colour, 24.0);
            ui.label(RichText::new(&p.name).strong());
            if !p.centre.is_empty() {
                ui.label(RichText::new(&p.centre).color(muted(ui)));
            }
        }
        None => {
            theme::avatar_ui(ui, "?", "#9a9a9a", 24.0);
            ui.label(RichText::new(tr(lang, "history-unknown")).color(muted(ui)));
        }
    }
}

/// The banner over an earlier version: what it is, restore, back.
pub fn viewing_banner_ui(ui: &mut egui::Ui, lang: Lang, viewing: &Viewing, out: &mut Outbox) {
    let t = |k: &'static str| tr(lang, k);
    theme::amber_banner().show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal_top(|ui| {
            ui.label(RichText::new("🕘").size(18.0));
            // Text above, buttons below: a long label wraps instead of running under
            // the buttons.
            ui.vertical(|ui| {
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("{} {}", t("history-as-it-was"), viewing.label))
                            .strong(),
                    )
                    .wrap(),
                );
                ui.add(
                    egui::Label::new(
                        RichText::new(t("history-read-only"))
                            .small()
                            .color(muted(ui)),
                    )
                    .wrap(),
                );
                ui.add_space(4.0);
                ui.horizontal_wrapped(|ui| {
                    if ui.button(format!("⟲ {}", t("history-restore"))).clicked() {
                        out.send(Command::OpenDialog(Dialog::ConfirmRestore {
                            label: viewing.label.clone(),
                            edit: Edit::Restore {
                                heads: viewing.heads.clone(),
                            },
                        }));
                    }
                    if ui.button(format!("↩ {}", t("history-back"))).clicked() {
                        out.send(Command::ViewNow);
                    }
                });
            });
        });
    });
    ui.add_space(10.0);
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM`, in the reader's time zone.
pub fn when(lang: Lang, secs: i64) -> String {
    samspill_shared::dates::when(lang, secs)
}

/// Just the clock, `HH:MM`, in the reader's time zone.
pub fn clock(lang: Lang, secs: i64) -> String {
    samspill_shared::dates::clock(lang, secs)
}

#[cfg(test)]
mod message_tests {
    use super::*;

    #[test]
    fn change_messages_read_in_the_readers_language() {
        assert_eq!(
            message_in(Lang::Nb, "Added task “Kalle inn”"),
            "La til oppgave «Kalle inn»"
        );
        assert_eq!(
            message_in(Lang::Nb, "Set phase Oppstart to in_progress"),
            "Satte fasen Oppstart til in_progress"
        );
        assert_eq!(
            message_in(Lang::En, "Added task “Kalle inn”"),
            "Added task “Kalle inn”"
        );
        // A Danish reader gets Danish, with the value where Danish puts it.
        assert_eq!(
            message_in(Lang::Da, "Added task “Kalle inn”"),
            "Tilføjede opgave »Kalle inn«"
        );
        assert_eq!(message_in(Lang::Nb, "Something new"), "Something new");
        assert_eq!(
            message_in(Lang::Nb, "Assigned a task"),
            "Ga en oppgave til noen"
        );
        // Run mode's pause and ±5 min.
        assert_eq!(
            message_in(Lang::Nb, "Paused the gathering"),
            "Satte samlingen på pause"
        );
        assert_eq!(
            message_in(Lang::Nb, "Gave the current agenda item +5 minutes"),
            "Ga programpunktet som pågikk, +5 minutter"
        );
    }
}
