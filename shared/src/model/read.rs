//! Reading the document into the view model.
//!
//! Readers are forgiving: a field another implementation left out or wrote with the
//! wrong type reads as its empty value, and a plain string where Text is expected is
//! read as text. Items are ordered by their `order` key, ties broken by id; an item
//! with a missing or invalid key sorts last.

use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use super::order;
use super::view::*;
use super::{format_time, parse_time};

pub(super) fn map(doc: &AutoCommit, parent: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(parent, key) {
        Ok(Some((Value::Object(ObjType::Map), id))) => Some(id),
        _ => None,
    }
}

fn scalar(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<ScalarValue> {
    match doc.get(obj, key) {
        Ok(Some((Value::Scalar(s), _))) => Some(s.into_owned()),
        _ => None,
    }
}

/// A Text field (or a plain string), empty when missing.
pub(super) fn text(doc: &AutoCommit, obj: &ObjId, key: &str) -> String {
    match doc.get(obj, key) {
        Ok(Some((Value::Object(ObjType::Text), id))) => doc.text(&id).unwrap_or_default(),
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Str(s) => s.to_string(),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

pub(super) fn str(doc: &AutoCommit, obj: &ObjId, key: &str) -> String {
    match scalar(doc, obj, key) {
        Some(ScalarValue::Str(s)) => s.to_string(),
        _ => String::new(),
    }
}

fn bool(doc: &AutoCommit, obj: &ObjId, key: &str) -> bool {
    matches!(scalar(doc, obj, key), Some(ScalarValue::Boolean(true)))
}

pub(super) fn has_int(doc: &AutoCommit, obj: &ObjId, key: &str) -> bool {
    int(doc, obj, key).is_some()
}

fn int(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<i64> {
    match scalar(doc, obj, key) {
        Some(ScalarValue::Int(n)) => Some(n),
        Some(ScalarValue::Uint(n)) => i64::try_from(n).ok(),
        Some(ScalarValue::Timestamp(n)) => Some(n),
        _ => None,
    }
}

/// Fields of `obj` that hold several concurrent values: the losers, as text.
fn conflicts(doc: &AutoCommit, obj: &ObjId, fields: &[&str]) -> Vec<Conflict> {
    fields
        .iter()
        .filter_map(|field| {
            let all = doc.get_all(obj, *field).ok()?;
            if all.len() < 2 {
                return None;
            }
            let winner = scalar(doc, obj, field);
            let mut others: Vec<String> = all
                .into_iter()
                .filter_map(|(v, _)| match v {
                    Value::Scalar(s) if Some(s.as_ref()) != winner.as_ref() => {
                        Some(scalar_text(s.as_ref()))
                    }
                    _ => None,
                })
                .collect();
            others.dedup();
            (!others.is_empty()).then(|| Conflict {
                field: (*field).to_owned(),
                others,
            })
        })
        .collect()
}

fn scalar_text(s: &ScalarValue) -> String {
    match s {
        ScalarValue::Str(s) => s.to_string(),
        ScalarValue::Int(n) => n.to_string(),
        ScalarValue::Uint(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Every (key, map) entry of a map, in key order.
pub(super) fn entries(doc: &AutoCommit, obj: &ObjId) -> Vec<(String, ObjId)> {
    doc.map_range(obj, ..)
        .filter_map(|item| match item.value {
            automerge::ValueRef::Object(ObjType::Map) => Some((item.key.to_string(), item.id())),
            _ => None,
        })
        .collect()
}

/// (id, order key) of a collection's items in display order.
pub(super) fn ordered_keys(doc: &AutoCommit, coll: &ObjId) -> Vec<(String, String)> {
    let mut items: Vec<(String, String)> = entries(doc, coll)
        .into_iter()
        .map(|(id, obj)| {
            let key = str(doc, &obj, "order");
            (id, key)
        })
        .collect();
    items.sort_by(|(ia, ka), (ib, kb)| {
        let (va, vb) = (order::is_valid(ka), order::is_valid(kb));
        vb.cmp(&va)
            .then_with(|| ka.cmp(kb))
            .then_with(|| ia.cmp(ib))
    });
    items
}

/// Items of a collection in display order, each read by `f`.
fn ordered<T>(
    doc: &AutoCommit,
    parent: &ObjId,
    key: &str,
    mut f: impl FnMut(String, &ObjId) -> T,
) -> Vec<T> {
    let Some(coll) = map(doc, parent, key) else {
        return Vec::new();
    };
    ordered_keys(doc, &coll)
        .into_iter()
        .filter_map(|(id, _)| {
            let obj = map(doc, &coll, &id)?;
            Some(f(id, &obj))
        })
        .collect()
}

pub(super) fn project(doc: &AutoCommit) -> Project {
    let schema = match scalar(doc, &ROOT, "schema") {
        Some(ScalarValue::Uint(n)) => n,
        Some(ScalarValue::Int(n)) => u64::try_from(n).unwrap_or(0),
        _ => 0,
    };
    let meta = map(doc, &ROOT, "meta").map(|m| Meta {
        title: text(doc, &m, "title"),
        goal: text(doc, &m, "goal"),
        service: text(doc, &m, "service"),
        start_date: str(doc, &m, "start_date"),
        end_date: str(doc, &m, "end_date"),
        template: str(doc, &m, "template"),
        language: str(doc, &m, "language"),
        archived: bool(doc, &m, "archived"),
    });
    Project {
        schema,
        meta: meta.unwrap_or_default(),
        people: ordered(doc, &ROOT, "people", |id, p| Person {
            id,
            name: text(doc, p, "name"),
            centre: str(doc, p, "centre"),
            role: str(doc, p, "role"),
            colour: str(doc, p, "colour"),
        }),
        phases: ordered(doc, &ROOT, "phases", |id, p| Phase {
            id,
            kind: str(doc, p, "kind"),
            name: text(doc, p, "name"),
            status: PhaseStatus::parse(&str(doc, p, "status")).unwrap_or_default(),
            guide: str(doc, p, "guide"),
            notes: text(doc, p, "notes"),
            tasks: ordered(doc, p, "tasks", |id, t| Task {
                id,
                title: text(doc, t, "title"),
                assignee: str(doc, t, "assignee"),
                due: str(doc, t, "due"),
                done: bool(doc, t, "done"),
                done_by: str(doc, t, "done_by"),
                done_at: int(doc, t, "done_at"),
                conflicts: conflicts(doc, t, &["assignee", "due"]),
            }),
            checklist: ordered(doc, p, "checklist", |id, c| CheckItem {
                id,
                text: text(doc, c, "text"),
                done: bool(doc, c, "done"),
                done_by: str(doc, c, "done_by"),
                done_at: int(doc, c, "done_at"),
            }),
        }),
        gatherings: ordered(doc, &ROOT, "gatherings", |id, g| gathering(doc, id, g)),
        between_work: ordered(doc, &ROOT, "between_work", |id, w| BetweenWork {
            id,
            title: text(doc, w, "title"),
            description: text(doc, w, "description"),
            gathering: str(doc, w, "gathering"),
            assignee: str(doc, w, "assignee"),
            due: str(doc, w, "due"),
            done: bool(doc, w, "done"),
        }),
        checkpoints: ordered(doc, &ROOT, "checkpoints", |id, c| Checkpoint {
            id,
            name: text(doc, c, "name"),
            heads: str(doc, c, "heads"),
            at: int(doc, c, "at"),
            by: str(doc, c, "by"),
        }),
        log: ordered(doc, &ROOT, "log", |id, e| LogEntry {
            id,
            date: str(doc, e, "date"),
            author: str(doc, e, "author"),
            text: text(doc, e, "text"),
        }),
    }
}

fn gathering(doc: &AutoCommit, id: String, g: &ObjId) -> Gathering {
    let start = str(doc, g, "start");
    let start_min = parse_time(&start);
    let mut elapsed: u32 = 0;
    let agenda = ordered(doc, g, "agenda", |id, a| {
        let minutes = int(doc, a, "minutes")
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(0)
            .min(24 * 60);
        let starts_at = start_min.map(|s| format_time(s + elapsed));
        elapsed += minutes;
        AgendaItem {
            id,
            title: text(doc, a, "title"),
            minutes,
            method: str(doc, a, "method"),
            responsible: str(doc, a, "responsible"),
            notes: text(doc, a, "notes"),
            starts_at,
            conflicts: conflicts(doc, a, &["minutes", "responsible"]),
        }
    });
    let evaluation = map(doc, g, "evaluation")
        .map(|e| Evaluation {
            worked: text(doc, &e, "worked"),
            change: text(doc, &e, "change"),
        })
        .unwrap_or_default();
    let run = map(doc, g, "run").map(|r| {
        let actual_map = map(doc, &r, "actual");
        let actual = agenda
            .iter()
            .filter_map(|item| {
                let e = map(doc, actual_map.as_ref()?, &item.id)?;
                Some(ActualTime {
                    item: item.id.clone(),
                    started_at: int(doc, &e, "started_at")?,
                    ended_at: int(doc, &e, "ended_at"),
                })
            })
            .collect();
        RunState {
            current: str(doc, &r, "current"),
            started_at: int(doc, &r, "started_at"),
            item_started_at: int(doc, &r, "item_started_at"),
            finished_at: int(doc, &r, "finished_at"),
            actual,
        }
    });
    Gathering {
        id,
        run: run.unwrap_or_default(),
        conflicts: conflicts(doc, g, &["date", "start"]),
        title: text(doc, g, "title"),
        date: str(doc, g, "date"),
        end: start_min.map(|s| format_time(s + elapsed)),
        start,
        place: text(doc, g, "place"),
        agenda,
        total_minutes: elapsed,
        log: text(doc, g, "log"),
        evaluation,
    }
}
