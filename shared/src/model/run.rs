//! Running a gathering live: which agenda item is on now, and the actual times.
//!
//! The state lives in the document (`gatherings.<id>.run`), so a co-facilitator on
//! another machine follows along, and it survives a restart. The facilitator moves
//! on explicitly; nothing advances by itself.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue};

use super::{ModelError, ProjectDoc, Result, read};
use crate::ids::{AgendaId, GatheringId};

/// Creates the empty `run` map of a gathering.
pub(crate) fn create_run_map(doc: &mut AutoCommit, gathering: &ObjId) -> Result<ObjId> {
    let run = doc.put_object(gathering, "run", ObjType::Map)?;
    doc.put(&run, "current", "")?;
    doc.put(&run, "started_at", ScalarValue::Null)?;
    doc.put(&run, "item_started_at", ScalarValue::Null)?;
    doc.put(&run, "finished_at", ScalarValue::Null)?;
    doc.put_object(&run, "actual", ObjType::Map)?;
    Ok(run)
}

impl ProjectDoc {
    fn run_map(&mut self, g: &GatheringId) -> Result<(ObjId, ObjId)> {
        let obj = self.gathering(g)?;
        let run = match read::map(&self.doc, &obj, "run") {
            Some(r) => r,
            None => create_run_map(&mut self.doc, &obj)?,
        };
        Ok((obj, run))
    }

    fn agenda_ids(&self, gathering: &ObjId) -> Vec<String> {
        read::map(&self.doc, gathering, "agenda")
            .map(|a| {
                read::ordered_keys(&self.doc, &a)
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn start_item(&mut self, run: &ObjId, item: &str, now: i64) -> Result<()> {
        self.doc.put(run, "current", item)?;
        self.doc.put(run, "item_started_at", now)?;
        // Each item starts unpaused, with its own planned time.
        self.doc.put(run, "paused_at", ScalarValue::Null)?;
        self.doc.put(run, "paused_ms", 0)?;
        self.doc
            .put(run, "extra_minutes", ScalarValue::counter(0))?;
        let actual = match read::map(&self.doc, run, "actual") {
            Some(a) => a,
            None => self.doc.put_object(run, "actual", ObjType::Map)?,
        };
        let entry = self.doc.put_object(&actual, item, ObjType::Map)?;
        self.doc.put(&entry, "started_at", now)?;
        self.doc.put(&entry, "ended_at", ScalarValue::Null)?;
        Ok(())
    }

    fn end_current(&mut self, run: &ObjId, now: i64) -> Result<Option<String>> {
        let current = read::str(&self.doc, run, "current");
        if current.is_empty() {
            return Ok(None);
        }
        if let Some(actual) = read::map(&self.doc, run, "actual")
            && let Some(entry) = read::map(&self.doc, &actual, &current)
        {
            self.doc.put(&entry, "ended_at", now)?;
        }
        Ok(Some(current))
    }

    /// Starts running a gathering at its first agenda item.
    pub fn run_start(&mut self, g: &GatheringId) -> Result<AgendaId> {
        self.writable()?;
        let (obj, run) = self.run_map(g)?;
        let Some(first) = self.agenda_ids(&obj).into_iter().next() else {
            return Err(ModelError::NotFound {
                what: "agenda item",
                id: "(the agenda is empty)".to_owned(),
            });
        };
        let now = self.editor.clock.now_ms();
        self.doc.put(&run, "started_at", now)?;
        self.doc.put(&run, "finished_at", ScalarValue::Null)?;
        self.start_item(&run, &first, now)?;
        self.commit("Started running a gathering");
        first
            .parse()
            .map_err(|_| ModelError::NotAProject("a bad agenda id".to_owned()))
    }

    /// Ends the current item and starts the next; `None` when the agenda is done.
    pub fn run_next(&mut self, g: &GatheringId) -> Result<Option<AgendaId>> {
        self.writable()?;
        let (obj, run) = self.run_map(g)?;
        let now = self.editor.clock.now_ms();
        let ids = self.agenda_ids(&obj);
        let current = self.end_current(&run, now)?;
        let next = match current {
            Some(cur) => ids.iter().skip_while(|id| **id != cur).nth(1).cloned(),
            None => ids.first().cloned(),
        };
        match &next {
            Some(id) => {
                if read::str(&self.doc, &run, "started_at").is_empty()
                    && !read::has_int(&self.doc, &run, "started_at")
                {
                    self.doc.put(&run, "started_at", now)?;
                }
                self.start_item(&run, id, now)?;
                self.commit("Moved to the next agenda item");
            }
            None => {
                self.doc.put(&run, "current", "")?;
                self.doc.put(&run, "finished_at", now)?;
                self.commit("Finished running a gathering");
            }
        }
        Ok(next.and_then(|id| id.parse().ok()))
    }

    /// Stops running: the current item ends now.
    pub fn run_stop(&mut self, g: &GatheringId) -> Result<()> {
        self.writable()?;
        let (_, run) = self.run_map(g)?;
        let now = self.editor.clock.now_ms();
        self.end_current(&run, now)?;
        self.doc.put(&run, "current", "")?;
        self.doc.put(&run, "finished_at", now)?;
        self.commit("Stopped running a gathering");
        Ok(())
    }

    /// A note taken while running: appended to the gathering's log, headed by the
    /// current agenda item's title.
    pub fn run_note(&mut self, g: &GatheringId, text: &str) -> Result<()> {
        self.writable()?;
        let text = super::non_empty(text)?;
        let (obj, run) = self.run_map(g)?;
        let current = read::str(&self.doc, &run, "current");
        let title = read::map(&self.doc, &obj, "agenda")
            .and_then(|a| read::map(&self.doc, &a, &current))
            .map(|item| read::text(&self.doc, &item, "title"))
            .unwrap_or_default();
        let paragraph = if title.is_empty() {
            text.to_owned()
        } else {
            format!("{title}: {text}")
        };
        self.append_paragraph(&obj, "log", &paragraph)?;
        self.commit("Wrote in a gathering's log");
        Ok(())
    }

    /// The run map of a gathering that is running now (for changes only a running
    /// gathering takes).
    fn running(&mut self, g: &GatheringId) -> Result<ObjId> {
        self.writable()?;
        let (_, run) = self.run_map(g)?;
        if read::str(&self.doc, &run, "current").is_empty() {
            return Err(ModelError::NotRunning);
        }
        Ok(run)
    }

    /// Pauses the running gathering's clock (`true`) or lets it go on (`false`);
    /// nothing happens when it already is so.
    pub fn run_pause(&mut self, g: &GatheringId, pause: bool) -> Result<()> {
        let run = self.running(g)?;
        let now = self.editor.clock.now_ms();
        let paused_at = read::int(&self.doc, &run, "paused_at");
        match (pause, paused_at) {
            (true, None) => {
                self.doc.put(&run, "paused_at", now)?;
                self.commit("Paused the gathering");
            }
            (false, Some(at)) => {
                let before = read::int(&self.doc, &run, "paused_ms").unwrap_or(0);
                self.doc
                    .put(&run, "paused_ms", before + (now - at).max(0))?;
                self.doc.put(&run, "paused_at", ScalarValue::Null)?;
                self.commit("Resumed the gathering");
            }
            _ => {}
        }
        Ok(())
    }

    /// Gives the current item `minutes` more (or fewer, when negative) while it runs.
    pub fn run_adjust(&mut self, g: &GatheringId, minutes: i64) -> Result<()> {
        let run = self.running(g)?;
        match self.doc.get(&run, "extra_minutes")? {
            Some((automerge::Value::Scalar(v), _))
                if matches!(v.as_ref(), ScalarValue::Counter(_)) =>
            {
                self.doc.increment(&run, "extra_minutes", minutes)?;
            }
            // Written by an older version, or never: start the counter here.
            _ => self
                .doc
                .put(&run, "extra_minutes", ScalarValue::counter(minutes))?,
        }
        self.commit(&format!("Gave the current agenda item {minutes:+} minutes"));
        Ok(())
    }

    /// Whether an agenda item exists (used to check run targets).
    pub fn has_agenda_item(&self, id: &AgendaId) -> bool {
        self.locate_agenda(id).is_ok()
    }
}
