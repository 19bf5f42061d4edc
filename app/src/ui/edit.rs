//! Edits of the open project's document, and their inverses (for undo).
//!
//! Every change the UI makes to a project goes through [`Edit::apply`], which returns the
//! edit that undoes it. Undo is honest rather than magic: it makes a *new* change that
//! puts back the previous value of what you changed (a field's text, a tick, an item you
//! added or removed), so it merges with co-facilitators' edits like any other change.

use automerge::ChangeHash;
use samspill_shared::content::Library;
use samspill_shared::ids::{
    AgendaId, GatheringId, ItemId, LogId, PersonId, PhaseId, TaskId, WorkId,
};
use samspill_shared::model::{AgendaUpdate, PhaseStatus, Project, ProjectDoc, WorkUpdate};

/// A free-text field of the project, bound to Automerge Text (or a plain string for
/// dates and times).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TextField {
    Title,
    Goal,
    Service,
    StartDate,
    EndDate,
    PhaseNotes(PhaseId),
    TaskTitle(TaskId),
    TaskDue(TaskId),
    CheckText(ItemId),
    GatheringTitle(GatheringId),
    GatheringPlace(GatheringId),
    GatheringDate(GatheringId),
    GatheringStart(GatheringId),
    GatheringLog(GatheringId),
    EvalWorked(GatheringId),
    EvalChange(GatheringId),
    AgendaTitle(AgendaId),
    AgendaNotes(AgendaId),
    WorkTitle(WorkId),
    WorkDescription(WorkId),
    WorkDue(WorkId),
}

/// This year, in the local time zone (for a date typed without one).
fn this_year() -> i32 {
    i32::from(jiff::Zoned::now().year())
}

/// How a field's text is checked before it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Any,
    NonEmpty,
    Date,
    Time,
}

impl TextField {
    pub fn check(&self) -> Check {
        match self {
            TextField::Title
            | TextField::TaskTitle(_)
            | TextField::CheckText(_)
            | TextField::GatheringTitle(_)
            | TextField::AgendaTitle(_)
            | TextField::WorkTitle(_) => Check::NonEmpty,
            TextField::StartDate
            | TextField::EndDate
            | TextField::TaskDue(_)
            | TextField::GatheringDate(_)
            | TextField::WorkDue(_) => Check::Date,
            TextField::GatheringStart(_) => Check::Time,
            _ => Check::Any,
        }
    }

    /// Whether `text` may be written to this field.
    pub fn accepts(&self, text: &str) -> bool {
        self.stored(text).is_some()
    }

    /// What typed `text` is stored as: dates and times as people type them
    /// (`15.01.2027`, `3.2`, `8.30`) become `YYYY-MM-DD` and `HH:MM`. `None` when it
    /// may not be written.
    pub fn stored(&self, text: &str) -> Option<String> {
        use samspill_shared::model::{normalize_date, normalize_time};
        match self.check() {
            Check::Any => Some(text.to_owned()),
            Check::NonEmpty => (!text.trim().is_empty()).then(|| text.to_owned()),
            Check::Date if text.trim().is_empty() => Some(String::new()),
            Check::Date => normalize_date(text, this_year()),
            Check::Time if text.trim().is_empty() => Some(String::new()),
            Check::Time => normalize_time(text),
        }
    }

    /// How the stored `text` is shown in the field (a date as `15.01.2027`).
    pub fn shown(&self, text: &str) -> String {
        match self.check() {
            Check::Date => samspill_shared::model::display_date(text),
            _ => text.to_owned(),
        }
    }

    /// The field's current value in the view model (`None` when the item is gone).
    pub fn read(&self, v: &Project) -> Option<String> {
        let task = |id: &TaskId| {
            v.phases
                .iter()
                .flat_map(|p| &p.tasks)
                .find(|t| t.id == id.as_str())
        };
        let agenda = |id: &AgendaId| {
            v.gatherings
                .iter()
                .flat_map(|g| &g.agenda)
                .find(|a| a.id == id.as_str())
        };
        let work = |id: &WorkId| v.between_work.iter().find(|w| w.id == id.as_str());
        let g = |id: &GatheringId| v.gathering(id.as_str());
        Some(match self {
            TextField::Title => v.meta.title.clone(),
            TextField::Goal => v.meta.goal.clone(),
            TextField::Service => v.meta.service.clone(),
            TextField::StartDate => v.meta.start_date.clone(),
            TextField::EndDate => v.meta.end_date.clone(),
            TextField::PhaseNotes(p) => v.phase(p.as_str())?.notes.clone(),
            TextField::TaskTitle(t) => task(t)?.title.clone(),
            TextField::TaskDue(t) => task(t)?.due.clone(),
            TextField::CheckText(i) => v
                .phases
                .iter()
                .flat_map(|p| &p.checklist)
                .find(|c| c.id == i.as_str())?
                .text
                .clone(),
            TextField::GatheringTitle(id) => g(id)?.title.clone(),
            TextField::GatheringPlace(id) => g(id)?.place.clone(),
            TextField::GatheringDate(id) => g(id)?.date.clone(),
            TextField::GatheringStart(id) => g(id)?.start.clone(),
            TextField::GatheringLog(id) => g(id)?.log.clone(),
            TextField::EvalWorked(id) => g(id)?.evaluation.worked.clone(),
            TextField::EvalChange(id) => g(id)?.evaluation.change.clone(),
            TextField::AgendaTitle(a) => agenda(a)?.title.clone(),
            TextField::AgendaNotes(a) => agenda(a)?.notes.clone(),
            TextField::WorkTitle(w) => work(w)?.title.clone(),
            TextField::WorkDescription(w) => work(w)?.description.clone(),
            TextField::WorkDue(w) => work(w)?.due.clone(),
        })
    }

    /// Writes `text` (splicing from the old to the new text for Text fields).
    fn write(&self, doc: &mut ProjectDoc, v: &Project, text: &str) -> anyhow::Result<()> {
        match self {
            TextField::Title => doc.set_title(text)?,
            TextField::Goal => doc.set_goal(text)?,
            TextField::Service => doc.set_service(text)?,
            TextField::StartDate => doc.set_dates(text, &v.meta.end_date)?,
            TextField::EndDate => doc.set_dates(&v.meta.start_date, text)?,
            TextField::PhaseNotes(p) => doc.set_notes(p, text)?,
            TextField::TaskTitle(t) => doc.set_task_title(t, text)?,
            TextField::TaskDue(t) => doc.set_task_due(t, text)?,
            TextField::CheckText(i) => doc.set_check_text(i, text)?,
            TextField::GatheringTitle(g) => doc.set_gathering_title(g, text)?,
            TextField::GatheringPlace(g) => doc.set_gathering_place(g, text)?,
            TextField::GatheringDate(g) => {
                let start = v
                    .gathering(g.as_str())
                    .map(|x| x.start.clone())
                    .unwrap_or_default();
                doc.set_gathering_when(g, text, &start)?;
            }
            TextField::GatheringStart(g) => {
                let date = v
                    .gathering(g.as_str())
                    .map(|x| x.date.clone())
                    .unwrap_or_default();
                doc.set_gathering_when(g, &date, text)?;
            }
            TextField::GatheringLog(g) => doc.set_gathering_log(g, text)?,
            TextField::EvalWorked(g) => {
                let change = v
                    .gathering(g.as_str())
                    .map(|x| x.evaluation.change.clone())
                    .unwrap_or_default();
                doc.set_evaluation(g, text, &change)?;
            }
            TextField::EvalChange(g) => {
                let worked = v
                    .gathering(g.as_str())
                    .map(|x| x.evaluation.worked.clone())
                    .unwrap_or_default();
                doc.set_evaluation(g, &worked, text)?;
            }
            TextField::AgendaTitle(a) => doc.update_agenda_item(
                a,
                &AgendaUpdate {
                    title: Some(text),
                    ..Default::default()
                },
            )?,
            TextField::AgendaNotes(a) => doc.update_agenda_item(
                a,
                &AgendaUpdate {
                    notes: Some(text),
                    ..Default::default()
                },
            )?,
            TextField::WorkTitle(w) => doc.update_between_work(
                w,
                &WorkUpdate {
                    title: Some(text),
                    ..Default::default()
                },
            )?,
            TextField::WorkDescription(w) => {
                doc.update_between_work(
                    w,
                    &WorkUpdate {
                        description: Some(text),
                        ..Default::default()
                    },
                )?;
            }
            TextField::WorkDue(w) => doc.update_between_work(
                w,
                &WorkUpdate {
                    due: Some(text),
                    ..Default::default()
                },
            )?,
        }
        Ok(())
    }
}

/// One change to the open project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    SetText {
        field: TextField,
        text: String,
    },
    SetPhaseStatus {
        phase: PhaseId,
        status: PhaseStatus,
    },
    AddTask {
        phase: PhaseId,
        title: String,
    },
    /// Someone from the municipality (or anyone) who can be given tasks.
    AddPerson {
        name: String,
        role: String,
    },
    /// Puts back a removed task (undo of a removal).
    RestoreTask {
        phase: PhaseId,
        title: String,
        assignee: String,
        due: String,
        done: bool,
        index: usize,
    },
    RemoveTask {
        task: TaskId,
    },
    SetTaskDone {
        task: TaskId,
        done: bool,
    },
    SetTaskAssignee {
        task: TaskId,
        assignee: Option<PersonId>,
    },
    MoveTask {
        task: TaskId,
        index: usize,
    },
    AddCheckItem {
        phase: PhaseId,
        text: String,
    },
    RestoreCheckItem {
        phase: PhaseId,
        text: String,
        index: usize,
    },
    RemoveCheckItem {
        item: ItemId,
    },
    SetCheckDone {
        item: ItemId,
        done: bool,
    },
    AddGathering {
        title: String,
    },
    RemoveGathering {
        gathering: GatheringId,
    },
    AddAgendaItem {
        gathering: GatheringId,
        title: String,
        minutes: u32,
    },
    AddMethodToAgenda {
        gathering: GatheringId,
        method: String,
    },
    RestoreAgendaItem {
        gathering: GatheringId,
        title: String,
        minutes: u32,
        method: String,
        responsible: String,
        notes: String,
        index: usize,
    },
    RemoveAgendaItem {
        item: AgendaId,
    },
    SetAgendaMinutes {
        item: AgendaId,
        minutes: u32,
    },
    SetAgendaResponsible {
        item: AgendaId,
        responsible: String,
    },
    MoveAgendaItem {
        item: AgendaId,
        index: usize,
    },
    AddBetweenWork {
        title: String,
        after: Option<GatheringId>,
    },
    RemoveBetweenWork {
        work: WorkId,
    },
    SetWorkDone {
        work: WorkId,
        done: bool,
    },
    SetWorkAssignee {
        work: WorkId,
        assignee: String,
    },
    AddLogEntry {
        text: String,
    },
    RemoveLogEntry {
        entry: LogId,
    },
    /// Run mode: start at the first agenda item, move on, stop, take a note. Not undone
    /// by Ctrl+Z: what happened in the room happened.
    RunStart {
        gathering: GatheringId,
    },
    RunNext {
        gathering: GatheringId,
    },
    RunStop {
        gathering: GatheringId,
    },
    RunNote {
        gathering: GatheringId,
        text: String,
    },
    /// Pauses (`true`) or resumes the run clock.
    RunPause {
        gathering: GatheringId,
        pause: bool,
    },
    /// More (or fewer) minutes for the item on now.
    RunAdjust {
        gathering: GatheringId,
        minutes: i64,
    },
    /// Makes the project look as it did after a change, as a new change (history is
    /// never rewritten; restoring again goes back).
    Restore {
        heads: Vec<ChangeHash>,
    },
    AddCheckpoint {
        name: String,
    },
}

/// What applying an edit did.
#[derive(Debug)]
pub struct Applied {
    /// The edit that puts things back, if the edit can be undone.
    pub inverse: Option<Edit>,
    /// The id of an item the edit created (to focus it, for instance).
    pub created: Option<String>,
}

impl Applied {
    fn nothing() -> Self {
        Self {
            inverse: None,
            created: None,
        }
    }
}

impl Edit {
    /// Whether undo should merge this edit with the one before it (typing in one field).
    pub fn coalesces_with(&self, earlier: &Edit) -> bool {
        matches!((self, earlier), (Edit::SetText { field: a, .. }, Edit::SetText { field: b, .. }) if a == b)
    }

    /// Applies the edit as one change by this device's author; `view` is the project as it
    /// was just before.
    pub fn apply(
        &self,
        doc: &mut ProjectDoc,
        view: &Project,
        library: &Library,
    ) -> anyhow::Result<Applied> {
        let undo = |inverse: Edit| {
            Ok(Applied {
                inverse: Some(inverse),
                created: None,
            })
        };
        let task_of = |id: &TaskId| {
            view.phases.iter().find_map(|p| {
                let i = p.tasks.iter().position(|t| t.id == id.as_str())?;
                Some((p, i, &p.tasks[i]))
            })
        };
        match self {
            Edit::SetText { field, text } => {
                let old = field.read(view).unwrap_or_default();
                field.write(doc, view, text)?;
                undo(Edit::SetText {
                    field: field.clone(),
                    text: old,
                })
            }
            Edit::SetPhaseStatus { phase, status } => {
                let old = view
                    .phase(phase.as_str())
                    .map(|p| p.status)
                    .unwrap_or_default();
                doc.set_phase_status(phase, *status)?;
                undo(Edit::SetPhaseStatus {
                    phase: phase.clone(),
                    status: old,
                })
            }
            Edit::AddPerson { name, role } => {
                let id = doc.add_person(name, role, "")?;
                Ok(Applied {
                    inverse: None,
                    created: Some(id.to_string()),
                })
            }
            Edit::AddTask { phase, title } => {
                let id = doc.add_task(phase, title)?;
                Ok(Applied {
                    inverse: Some(Edit::RemoveTask { task: id.clone() }),
                    created: Some(id.to_string()),
                })
            }
            Edit::RestoreTask {
                phase,
                title,
                assignee,
                due,
                done,
                index,
            } => {
                let id = doc.add_task(phase, title)?;
                let person = assignee.parse::<PersonId>().ok();
                if person.is_some() {
                    doc.set_task_assignee(&id, person.as_ref())?;
                }
                if !due.is_empty() {
                    doc.set_task_due(&id, due)?;
                }
                if *done {
                    doc.set_task_done(&id, true)?;
                }
                doc.move_task(&id, *index)?;
                undo(Edit::RemoveTask { task: id })
            }
            Edit::RemoveTask { task } => {
                let inverse = task_of(task).and_then(|(p, index, t)| {
                    Some(Edit::RestoreTask {
                        phase: p.id.parse().ok()?,
                        title: t.title.clone(),
                        assignee: t.assignee.clone(),
                        due: t.due.clone(),
                        done: t.done,
                        index,
                    })
                });
                doc.remove_task(task)?;
                Ok(Applied {
                    inverse,
                    created: None,
                })
            }
            Edit::SetTaskDone { task, done } => {
                doc.set_task_done(task, *done)?;
                undo(Edit::SetTaskDone {
                    task: task.clone(),
                    done: !done,
                })
            }
            Edit::SetTaskAssignee { task, assignee } => {
                let old = task_of(task).and_then(|(_, _, t)| t.assignee.parse::<PersonId>().ok());
                doc.set_task_assignee(task, assignee.as_ref())?;
                undo(Edit::SetTaskAssignee {
                    task: task.clone(),
                    assignee: old,
                })
            }
            Edit::MoveTask { task, index } => {
                let old = task_of(task).map_or(0, |(_, i, _)| i);
                doc.move_task(task, *index)?;
                undo(Edit::MoveTask {
                    task: task.clone(),
                    index: old,
                })
            }
            Edit::AddCheckItem { phase, text } => {
                let id = doc.add_check_item(phase, text)?;
                Ok(Applied {
                    inverse: Some(Edit::RemoveCheckItem { item: id.clone() }),
                    created: Some(id.to_string()),
                })
            }
            Edit::RestoreCheckItem { phase, text, index } => {
                let id = doc.add_check_item(phase, text)?;
                doc.move_check_item(&id, *index)?;
                undo(Edit::RemoveCheckItem { item: id })
            }
            Edit::RemoveCheckItem { item } => {
                let inverse = view.phases.iter().find_map(|p| {
                    let index = p.checklist.iter().position(|c| c.id == item.as_str())?;
                    Some(Edit::RestoreCheckItem {
                        phase: p.id.parse().ok()?,
                        text: p.checklist[index].text.clone(),
                        index,
                    })
                });
                doc.remove_check_item(item)?;
                Ok(Applied {
                    inverse,
                    created: None,
                })
            }
            Edit::SetCheckDone { item, done } => {
                doc.set_check_done(item, *done)?;
                undo(Edit::SetCheckDone {
                    item: item.clone(),
                    done: !done,
                })
            }
            Edit::AddGathering { title } => {
                let id = doc.add_gathering(title)?;
                Ok(Applied {
                    inverse: Some(Edit::RemoveGathering {
                        gathering: id.clone(),
                    }),
                    created: Some(id.to_string()),
                })
            }
            Edit::RemoveGathering { gathering } => {
                // A whole gathering (agenda, log, evaluation) is too much to put back by
                // hand; the UI asks for confirmation instead.
                doc.remove_gathering(gathering)?;
                Ok(Applied {
                    inverse: None,
                    created: None,
                })
            }
            Edit::AddAgendaItem {
                gathering,
                title,
                minutes,
            } => {
                let id = doc.add_agenda_item(gathering, title, *minutes, None)?;
                Ok(Applied {
                    inverse: Some(Edit::RemoveAgendaItem { item: id.clone() }),
                    created: Some(id.to_string()),
                })
            }
            Edit::AddMethodToAgenda { gathering, method } => {
                let id = doc.add_method_to_agenda(gathering, library, method)?;
                Ok(Applied {
                    inverse: Some(Edit::RemoveAgendaItem { item: id.clone() }),
                    created: Some(id.to_string()),
                })
            }
            Edit::RestoreAgendaItem {
                gathering,
                title,
                minutes,
                method,
                responsible,
                notes,
                index,
            } => {
                let method = (!method.is_empty()).then_some(method.as_str());
                let id = doc.add_agenda_item(gathering, title, *minutes, method)?;
                if !responsible.is_empty() || !notes.is_empty() {
                    let update = AgendaUpdate {
                        responsible: Some(responsible),
                        notes: Some(notes),
                        ..Default::default()
                    };
                    doc.update_agenda_item(&id, &update)?;
                }
                doc.move_agenda_item(&id, *index)?;
                undo(Edit::RemoveAgendaItem { item: id })
            }
            Edit::RemoveAgendaItem { item } => {
                let inverse = view.gatherings.iter().find_map(|g| {
                    let index = g.agenda.iter().position(|a| a.id == item.as_str())?;
                    let a = &g.agenda[index];
                    Some(Edit::RestoreAgendaItem {
                        gathering: g.id.parse().ok()?,
                        title: a.title.clone(),
                        minutes: a.minutes,
                        method: a.method.clone(),
                        responsible: a.responsible.clone(),
                        notes: a.notes.clone(),
                        index,
                    })
                });
                doc.remove_agenda_item(item)?;
                Ok(Applied {
                    inverse,
                    created: None,
                })
            }
            Edit::SetAgendaMinutes { item, minutes } => {
                let old = agenda_item(view, item).map_or(0, |(_, a)| a.minutes);
                doc.update_agenda_item(
                    item,
                    &AgendaUpdate {
                        minutes: Some(*minutes),
                        ..Default::default()
                    },
                )?;
                undo(Edit::SetAgendaMinutes {
                    item: item.clone(),
                    minutes: old,
                })
            }
            Edit::SetAgendaResponsible { item, responsible } => {
                let old = agenda_item(view, item)
                    .map(|(_, a)| a.responsible.clone())
                    .unwrap_or_default();
                doc.update_agenda_item(
                    item,
                    &AgendaUpdate {
                        responsible: Some(responsible),
                        ..Default::default()
                    },
                )?;
                undo(Edit::SetAgendaResponsible {
                    item: item.clone(),
                    responsible: old,
                })
            }
            Edit::MoveAgendaItem { item, index } => {
                let old = agenda_item(view, item).map_or(0, |(i, _)| i);
                doc.move_agenda_item(item, *index)?;
                undo(Edit::MoveAgendaItem {
                    item: item.clone(),
                    index: old,
                })
            }
            Edit::AddBetweenWork { title, after } => {
                let id = doc.add_between_work(title, after.as_ref())?;
                Ok(Applied {
                    inverse: Some(Edit::RemoveBetweenWork { work: id.clone() }),
                    created: Some(id.to_string()),
                })
            }
            Edit::RemoveBetweenWork { work } => {
                doc.remove_between_work(work)?;
                Ok(Applied {
                    inverse: None,
                    created: None,
                })
            }
            Edit::SetWorkDone { work, done } => {
                doc.update_between_work(
                    work,
                    &WorkUpdate {
                        done: Some(*done),
                        ..Default::default()
                    },
                )?;
                undo(Edit::SetWorkDone {
                    work: work.clone(),
                    done: !done,
                })
            }
            Edit::SetWorkAssignee { work, assignee } => {
                let old = view
                    .between_work
                    .iter()
                    .find(|w| w.id == work.as_str())
                    .map(|w| w.assignee.clone());
                doc.update_between_work(
                    work,
                    &WorkUpdate {
                        assignee: Some(assignee),
                        ..Default::default()
                    },
                )?;
                undo(Edit::SetWorkAssignee {
                    work: work.clone(),
                    assignee: old.unwrap_or_default(),
                })
            }
            Edit::AddLogEntry { text } => {
                let id = doc.add_log_entry(text)?;
                Ok(Applied {
                    inverse: Some(Edit::RemoveLogEntry { entry: id.clone() }),
                    created: Some(id.to_string()),
                })
            }
            Edit::RemoveLogEntry { entry } => {
                let inverse =
                    view.log
                        .iter()
                        .find(|e| e.id == entry.as_str())
                        .map(|e| Edit::AddLogEntry {
                            text: e.text.clone(),
                        });
                doc.remove_log_entry(entry)?;
                Ok(Applied {
                    inverse,
                    created: None,
                })
            }
            Edit::RunStart { gathering } => {
                doc.run_start(gathering)?;
                Ok(Applied::nothing())
            }
            Edit::RunNext { gathering } => {
                doc.run_next(gathering)?;
                Ok(Applied::nothing())
            }
            Edit::RunStop { gathering } => {
                doc.run_stop(gathering)?;
                Ok(Applied::nothing())
            }
            Edit::RunNote { gathering, text } => {
                doc.run_note(gathering, text)?;
                Ok(Applied::nothing())
            }
            Edit::RunPause { gathering, pause } => {
                doc.run_pause(gathering, *pause)?;
                Ok(Applied::nothing())
            }
            Edit::RunAdjust { gathering, minutes } => {
                doc.run_adjust(gathering, *minutes)?;
                Ok(Applied {
                    inverse: Some(Edit::RunAdjust {
                        gathering: gathering.clone(),
                        minutes: -minutes,
                    }),
                    created: None,
                })
            }
            Edit::Restore { heads } => {
                // Undo is one step: back to exactly what was there before.
                let before = doc.automerge_mut().get_heads();
                doc.restore_heads(heads)?;
                Ok(Applied {
                    inverse: (!before.is_empty()).then_some(Edit::Restore { heads: before }),
                    created: None,
                })
            }
            Edit::AddCheckpoint { name } => {
                let id = doc.add_checkpoint(name)?;
                Ok(Applied {
                    inverse: None,
                    created: Some(id.to_string()),
                })
            }
        }
    }
}

/// An agenda item and its index in its gathering's agenda.
fn agenda_item<'a>(
    view: &'a Project,
    id: &AgendaId,
) -> Option<(usize, &'a samspill_shared::model::AgendaItem)> {
    view.gatherings.iter().find_map(|g| {
        g.agenda
            .iter()
            .position(|a| a.id == id.as_str())
            .map(|i| (i, &g.agenda[i]))
    })
}

/// Your own edits, newest last, as the edits that undo them.
#[derive(Debug, Default)]
pub struct UndoStack {
    undo: Vec<Edit>,
    redo: Vec<Edit>,
    /// The top of `undo` came from typing that is still going on.
    typing: bool,
}

/// How deep undo goes.
const UNDO_DEPTH: usize = 200;

impl UndoStack {
    /// Records the inverse of an edit just made by the user. Typing in one field is one
    /// step: only the first inverse (the text before you started) is kept.
    pub fn record(&mut self, edit: &Edit, inverse: Edit) {
        self.redo.clear();
        if self.typing && self.undo.last().is_some_and(|top| edit.coalesces_with(top)) {
            return;
        }
        self.typing = matches!(edit, Edit::SetText { .. });
        self.undo.push(inverse);
        if self.undo.len() > UNDO_DEPTH {
            self.undo.remove(0);
        }
    }

    /// Breaks typing coalescing (e.g. when focus leaves a field).
    pub fn seal(&mut self) {
        self.typing = false;
    }

    pub fn pop_undo(&mut self) -> Option<Edit> {
        self.typing = false;
        self.undo.pop()
    }

    pub fn pop_redo(&mut self) -> Option<Edit> {
        self.redo.pop()
    }

    pub fn push_undo(&mut self, e: Edit) {
        self.undo.push(e);
    }

    pub fn push_redo(&mut self, e: Edit) {
        self.redo.push(e);
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    pub fn clear(&mut self) {
        self.typing = false;
        self.undo.clear();
        self.redo.clear();
    }
}
