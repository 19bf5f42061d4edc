//! Keyboard shortcuts for common actions.
//!
//! Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) undo and redo your own edits when no text field has
//! focus (inside a field, egui's own text undo works on the text being typed); Ctrl+N
//! jumps to "new task" in a phase (or opens "new project" in the list); Ctrl+L opens the
//! method library; Ctrl+, the settings; Alt+⏶/↓ moves the selected agenda item;
//! Ctrl+PageUp/PageDown moves between a project's sections; F1 lists the shortcuts.

use egui::{Key, KeyboardShortcut, Modifiers};

use super::app::sections;
use super::edit::Edit;
use super::state::{AppState, Command, Dialog, Outbox, Screen, Section};

const UNDO: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
const REDO: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z);
const REDO_Y: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);
const NEW: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
const LIBRARY: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::L);
const SETTINGS: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Comma);
const SIDEBAR: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::B);
const UP: KeyboardShortcut = KeyboardShortcut::new(Modifiers::ALT, Key::ArrowUp);
const DOWN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::ALT, Key::ArrowDown);
const NEXT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::PageDown);
const PREV: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::PageUp);
const HELP: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::F1);

/// The shortcuts and their description keys, for the help dialog.
pub const LIST: [(&str, &str); 10] = [
    ("Ctrl+Z", "keys-undo"),
    ("Ctrl+Shift+Z", "keys-redo"),
    ("Ctrl+N", "keys-new"),
    ("Ctrl+L", "keys-library"),
    ("Ctrl+,", "keys-settings"),
    ("Ctrl+B", "keys-sidebar"),
    ("Alt+⏶ / Alt+⏷", "keys-move"),
    ("Ctrl+PgUp / PgDn", "keys-sections"),
    ("Esc", "keys-close"),
    ("F1", "keys-help"),
];

pub fn shortcuts(ctx: &egui::Context, state: &mut AppState, out: &mut Outbox) {
    if state.dialog.is_some() {
        if ctx.input(|i| i.key_pressed(Key::Escape)) {
            out.send(Command::CloseDialog);
        }
        return;
    }
    let typing = ctx.egui_wants_keyboard_input();
    let pressed = |s: &KeyboardShortcut| ctx.input_mut(|i| i.consume_shortcut(s));
    if !typing {
        // Check redo first: Ctrl+Shift+Z also matches Ctrl+Z's logical keys.
        if pressed(&REDO) || pressed(&REDO_Y) {
            out.send(Command::Redo);
        } else if pressed(&UNDO) {
            out.send(Command::Undo);
        }
    }
    if pressed(&HELP) {
        out.send(Command::OpenDialog(Dialog::Shortcuts));
    }
    if pressed(&LIBRARY) {
        out.send(Command::Navigate(Screen::Library));
    }
    if pressed(&SETTINGS) {
        out.send(Command::Navigate(Screen::Settings));
    }
    if pressed(&SIDEBAR) {
        out.send(Command::ToggleSidebar);
    }
    let new = pressed(&NEW);
    let (up, down) = (pressed(&UP), pressed(&DOWN));
    let (next, prev) = (pressed(&NEXT), pressed(&PREV));

    if new && (state.screen == Screen::Projects || state.session.is_none()) {
        out.send(Command::OpenDialog(Dialog::NewProject {
            template: 0,
            title: String::new(),
            service: String::new(),
        }));
        return;
    }
    let Some(s) = &mut state.session else { return };
    if state.screen != Screen::Project {
        return;
    }
    if new {
        if !matches!(s.section(), Section::Phase(_)) {
            let current = s
                .view
                .phases
                .iter()
                .position(|p| p.status == samspill_shared::model::PhaseStatus::Active);
            s.ui.section = Some(Section::Phase(current.unwrap_or(0)));
        }
        s.ui.focus_new_task = true;
    }
    if next || prev {
        let all = sections(s.view.phases.len());
        let i = all.iter().position(|x| *x == s.section()).unwrap_or(0);
        let j = if next {
            (i + 1).min(all.len() - 1)
        } else {
            i.saturating_sub(1)
        };
        s.ui.section = Some(all[j]);
    }
    if (up || down) && s.section() == Section::Gatherings {
        let Some(item) = s.ui.agenda_item.clone() else {
            return;
        };
        let Some(g) = s
            .view
            .gatherings
            .iter()
            .find(|g| g.agenda.iter().any(|a| a.id == item))
        else {
            return;
        };
        let Some(i) = g.agenda.iter().position(|a| a.id == item) else {
            return;
        };
        let target = if up {
            i.checked_sub(1)
        } else {
            (i + 1 < g.agenda.len()).then_some(i + 1)
        };
        if let (Some(index), Ok(item)) = (target, item.parse()) {
            out.edit(Edit::MoveAgendaItem { item, index });
        }
    }
}
