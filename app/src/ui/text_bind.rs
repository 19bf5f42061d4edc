//! Text fields bound to the document.
//!
//! While a field has focus it edits a local buffer; every change is written to the
//! document at once (the model splices from the old text to the new), so the buffer and
//! the document agree after each keystroke. When the document changes underneath a
//! focused field (a co-facilitator's edit, an undo), the buffer takes the new text and
//! the cursor is shifted by what was inserted or deleted before it, so the next
//! keystroke lands where the user expects. egui keeps cursors as character indices and
//! does not do this by itself (see TESTING.md).

use std::collections::HashMap;

use egui::text::{CCursor, CCursorRange};
use egui::text_edit::TextEditState;

use super::edit::{Edit, TextField};

/// Where a character index ends up after `old` became `new`.
///
/// The change is taken as one replaced span (between the common prefix and the common
/// suffix). An index before the span stays; an index after it moves by the change in
/// length; an index inside it goes to the end of the replacement.
pub fn shift_index(old: &str, new: &str, index: usize) -> usize {
    let old: Vec<char> = old.chars().collect();
    let new: Vec<char> = new.chars().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let old_end = old.len() - suffix;
    let new_end = new.len() - suffix;
    if index <= prefix {
        index
    } else if index >= old_end {
        (index + new_end).saturating_sub(old_end).min(new.len())
    } else {
        new_end
    }
}

/// The focused fields' local buffers.
#[derive(Debug, Default)]
pub struct Fields {
    bufs: HashMap<egui::Id, Buffer>,
    /// The field that had focus when last drawn.
    focused: Option<(egui::Id, TextField)>,
    /// Show text only (an earlier version of the project): nothing can be typed.
    read_only: bool,
}

#[derive(Debug)]
struct Buffer {
    text: String,
    /// The document's text when the buffer last agreed with it.
    base: String,
}

/// How a bound field looks.
#[derive(Debug, Clone, Copy)]
pub struct FieldLook<'a> {
    /// The accessible name (read by screen readers and found by tests).
    pub name: &'a str,
    pub hint: &'a str,
    pub multiline: bool,
    pub width: Option<f32>,
    pub rows: usize,
    /// Draw as a heading-sized title.
    pub big: bool,
}

impl<'a> FieldLook<'a> {
    pub fn line(name: &'a str) -> Self {
        Self {
            name,
            hint: "",
            multiline: false,
            width: None,
            rows: 1,
            big: false,
        }
    }
    pub fn area(name: &'a str, rows: usize) -> Self {
        Self {
            name,
            hint: "",
            multiline: true,
            width: None,
            rows,
            big: false,
        }
    }
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = hint;
        self
    }
    pub fn width(mut self, w: f32) -> Self {
        self.width = Some(w);
        self
    }
    pub fn big(mut self) -> Self {
        self.big = true;
        self
    }
}

/// The egui id of a bound field.
pub fn field_id(field: &TextField) -> egui::Id {
    egui::Id::unique(("samspill-field", field))
}

impl Fields {
    /// Fields that show text and take no input.
    pub fn read_only() -> Self {
        Self {
            read_only: true,
            ..Default::default()
        }
    }

    /// The field with keyboard focus, if it was drawn this frame or the last.
    pub fn focused(&self, ctx: &egui::Context) -> Option<&TextField> {
        self.focused
            .as_ref()
            .filter(|(id, _)| ctx.memory(|m| m.has_focus(*id)))
            .map(|(_, f)| f)
    }

    /// Shows a field bound to `doc_text`; an accepted change is pushed to `edits`.
    pub fn field_ui(
        &mut self,
        ui: &mut egui::Ui,
        edits: &mut Vec<Edit>,
        field: &TextField,
        doc_text: &str,
        look: FieldLook<'_>,
    ) -> egui::Response {
        let id = field_id(field);
        let focused = ui.memory(|m| m.has_focus(id));
        let stored = doc_text;
        let shown = field.shown(doc_text);
        let doc_text = shown.as_str();
        let mut temp;
        let text: &mut String = if focused {
            let buf = self.bufs.entry(id).or_insert_with(|| Buffer {
                text: doc_text.to_owned(),
                base: doc_text.to_owned(),
            });
            if buf.base != doc_text {
                shift_cursor(ui.ctx(), id, &buf.text, doc_text);
                buf.text = doc_text.to_owned();
                buf.base = doc_text.to_owned();
            }
            &mut buf.text
        } else if let Some(buf) = self
            .bufs
            .get(&id)
            .filter(|b| b.base == doc_text && !field.accepts(&b.text))
        {
            // Left with text that is no date (or time): it stays, red, rather than
            // vanish; focusing the field again goes on from it.
            temp = buf.text.clone();
            &mut temp
        } else {
            self.bufs.remove(&id);
            temp = doc_text.to_owned();
            &mut temp
        };
        let invalid = !field.accepts(text);
        let mut edit = if look.multiline {
            egui::TextEdit::multiline(text).desired_rows(look.rows)
        } else {
            egui::TextEdit::singleline(text)
        }
        .id(id)
        .interactive(!self.read_only)
        .hint_text(look.hint);
        if look.big {
            edit = edit.font(egui::TextStyle::Heading).frame(egui::Frame::NONE);
        }
        edit = match look.width {
            Some(w) => edit.desired_width(w),
            None => edit.desired_width(f32::INFINITY),
        };
        if invalid {
            edit = edit.text_color(ui.visuals().error_fg_color);
        }
        let response = ui.add(edit).accessible_name(look.name);
        if response.has_focus() {
            self.focused = Some((id, field.clone()));
        }
        // A date is written whenever what is typed is one (`15.1.2` on the way to
        // `15.1.27` is written too, then corrected): the field keeps the typed text
        // while it has focus, and shows the stored date as `15.01.2027` after.
        let accepted = (!self.read_only && response.changed())
            .then(|| field.stored(text))
            .flatten()
            .filter(|new| new.as_str() != stored);
        if let Some(new) = accepted {
            edits.push(Edit::SetText {
                field: field.clone(),
                text: new.clone(),
            });
            if let Some(buf) = self.bufs.get_mut(&id) {
                buf.base = field.shown(&new);
            }
        }
        response
    }

    /// Whether any bound field holds text the document does not have (an invalid date
    /// being typed, for instance).
    pub fn is_empty(&self) -> bool {
        self.bufs.is_empty()
    }
}

/// Moves a focused field's cursor (and selection) from `old` to `new` text.
fn shift_cursor(ctx: &egui::Context, id: egui::Id, old: &str, new: &str) {
    let Some(mut state) = TextEditState::load(ctx, id) else {
        return;
    };
    if let Some(range) = state.cursor.char_range() {
        let primary = shift_index(old, new, range.primary.index.0);
        let secondary = shift_index(old, new, range.secondary.index.0);
        state.cursor.set_char_range(Some(CCursorRange::two(
            CCursor::new(secondary),
            CCursor::new(primary),
        )));
        state.store(ctx, id);
    }
}

#[cfg(test)]
mod tests {
    use super::shift_index;

    #[test]
    fn an_insert_before_the_cursor_pushes_it_right() {
        assert_eq!(shift_index("hei verden", "Ja, hei verden", 4), 8);
    }

    #[test]
    fn an_insert_after_the_cursor_leaves_it() {
        assert_eq!(shift_index("hei verden", "hei verden!", 3), 3);
    }

    #[test]
    fn a_delete_before_the_cursor_pulls_it_left() {
        assert_eq!(shift_index("Ja, hei verden", "hei verden", 8), 4);
    }

    #[test]
    fn a_cursor_inside_a_replaced_span_goes_to_its_end() {
        assert_eq!(shift_index("abcdef", "abXYef", 3), 4);
    }

    #[test]
    fn characters_count_not_bytes() {
        assert_eq!(shift_index("øl", "blåøl", 1), 4);
    }
}
