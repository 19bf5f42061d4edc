//! Reading the document into the view model.
//!
//! Readers are forgiving: a field another implementation left out or wrote with the
//! wrong type reads as its empty value, and a plain string where Text is expected is
//! read as text. Items are ordered by their `order` key, ties broken by id; an item
//! with a missing or invalid key sorts last.

use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, ScalarValueRef, Value};

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

pub(crate) fn int(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<i64> {
    match scalar(doc, obj, key) {
        Some(ScalarValue::Int(n)) => Some(n),
        Some(ScalarValue::Uint(n)) => i64::try_from(n).ok(),
        Some(ScalarValue::Timestamp(n)) => Some(n),
        Some(ScalarValue::Counter(c)) => Some(i64::from(&c)),
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

/// One item's fields, read in a single pass over its map (one `get` per field costs
/// several times more on large projects).
struct Item<'a> {
    doc: &'a AutoCommit,
    fields: Vec<(String, Field, bool)>,
}

enum Field {
    Text(ObjId),
    Map(ObjId),
    Scalar(ScalarValue),
    Other,
}

impl<'a> Item<'a> {
    fn read(doc: &'a AutoCommit, obj: &ObjId) -> Self {
        let fields = doc
            .map_range(obj, ..)
            .map(|item| {
                let field = match &item.value {
                    automerge::ValueRef::Object(ObjType::Text) => Field::Text(item.id()),
                    automerge::ValueRef::Object(ObjType::Map) => Field::Map(item.id()),
                    automerge::ValueRef::Object(_) => Field::Other,
                    automerge::ValueRef::Scalar(s) => match s {
                        ScalarValueRef::Str(s) => {
                            Field::Scalar(ScalarValue::Str(s.as_ref().into()))
                        }
                        ScalarValueRef::Int(n) => Field::Scalar(ScalarValue::Int(*n)),
                        ScalarValueRef::Uint(n) => Field::Scalar(ScalarValue::Uint(*n)),
                        ScalarValueRef::Timestamp(n) => Field::Scalar(ScalarValue::Timestamp(*n)),
                        ScalarValueRef::Boolean(b) => Field::Scalar(ScalarValue::Boolean(*b)),
                        _ => Field::Other,
                    },
                };
                (item.key.to_string(), field, item.conflict)
            })
            .collect();
        Self { doc, fields }
    }

    fn get(&self, key: &str) -> Option<&Field> {
        self.fields
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, f, _)| f)
    }

    fn text(&self, key: &str) -> String {
        match self.get(key) {
            Some(Field::Text(id)) => self.doc.text(id).unwrap_or_default(),
            Some(Field::Scalar(ScalarValue::Str(s))) => s.to_string(),
            _ => String::new(),
        }
    }

    fn str(&self, key: &str) -> String {
        match self.get(key) {
            Some(Field::Scalar(ScalarValue::Str(s))) => s.to_string(),
            _ => String::new(),
        }
    }

    fn bool(&self, key: &str) -> bool {
        matches!(
            self.get(key),
            Some(Field::Scalar(ScalarValue::Boolean(true)))
        )
    }

    fn int(&self, key: &str) -> Option<i64> {
        match self.get(key) {
            Some(Field::Scalar(ScalarValue::Int(n) | ScalarValue::Timestamp(n))) => Some(*n),
            Some(Field::Scalar(ScalarValue::Uint(n))) => i64::try_from(*n).ok(),
            _ => None,
        }
    }

    fn map(&self, key: &str) -> Option<ObjId> {
        match self.get(key) {
            Some(Field::Map(id)) => Some(id.clone()),
            _ => None,
        }
    }

    /// Concurrent values that lost, for those of `fields` that have any.
    fn conflicts(&self, obj: &ObjId, fields: &[&str]) -> Vec<Conflict> {
        let flagged: Vec<&str> = fields
            .iter()
            .copied()
            .filter(|f| self.fields.iter().any(|(k, _, c)| *c && k == f))
            .collect();
        if flagged.is_empty() {
            return Vec::new();
        }
        conflicts(self.doc, obj, &flagged)
    }
}

/// Items of a collection in display order (by order key, then id), each read by `f`.
fn ordered<T>(
    doc: &AutoCommit,
    coll: Option<ObjId>,
    mut f: impl FnMut(String, &ObjId, &Item<'_>) -> T,
) -> Vec<T> {
    let Some(coll) = coll else {
        return Vec::new();
    };
    let mut items: Vec<(String, ObjId, Item<'_>, String)> = entries(doc, &coll)
        .into_iter()
        .map(|(id, obj)| {
            let item = Item::read(doc, &obj);
            let key = item.str("order");
            (id, obj, item, key)
        })
        .collect();
    items.sort_by(|(ia, _, _, ka), (ib, _, _, kb)| {
        let (va, vb) = (order::is_valid(ka), order::is_valid(kb));
        vb.cmp(&va)
            .then_with(|| ka.cmp(kb))
            .then_with(|| ia.cmp(ib))
    });
    items
        .into_iter()
        .map(|(id, obj, item, _)| f(id, &obj, &item))
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
        // Written by any co-editor: only a language this build knows is read, as the
        // document's own reading does (`ProjectDoc::language`).
        language: str(doc, &m, "language")
            .parse::<crate::content::Lang>()
            .unwrap_or(crate::content::Lang::Nb)
            .code()
            .to_owned(),
        archived: bool(doc, &m, "archived"),
    });
    Project {
        schema,
        meta: meta.unwrap_or_default(),
        people: ordered(doc, map(doc, &ROOT, "people"), |id, _po, p| Person {
            id,
            name: p.text("name"),
            centre: p.str("centre"),
            role: p.str("role"),
            colour: p.str("colour"),
            devices: p
                .map("devices")
                .map(|devices| {
                    entries(doc, &devices)
                        .into_iter()
                        .map(|(id, d)| PersonDevice {
                            id,
                            sign: str(doc, &d, "sign"),
                            kx: str(doc, &d, "kx"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            removed: p
                .int("removed")
                .and_then(|e| u32::try_from(e).ok())
                .filter(|e| *e > 0),
        }),
        phases: ordered(doc, map(doc, &ROOT, "phases"), |id, _po, p| Phase {
            id,
            kind: p.str("kind"),
            name: p.text("name"),
            status: PhaseStatus::parse(&p.str("status")).unwrap_or_default(),
            guide: p.str("guide"),
            notes: p.text("notes"),
            tasks: ordered(doc, p.map("tasks"), |id, to, t| Task {
                id,
                title: t.text("title"),
                assignee: t.str("assignee"),
                due: t.str("due"),
                done: t.bool("done"),
                done_by: t.str("done_by"),
                done_at: t.int("done_at"),
                conflicts: t.conflicts(to, &["assignee", "due"]),
            }),
            checklist: ordered(doc, p.map("checklist"), |id, _co, c| CheckItem {
                id,
                text: c.text("text"),
                done: c.bool("done"),
                done_by: c.str("done_by"),
                done_at: c.int("done_at"),
            }),
        }),
        gatherings: ordered(doc, map(doc, &ROOT, "gatherings"), |id, go, g| {
            gathering(id, go, g)
        }),
        between_work: ordered(doc, map(doc, &ROOT, "between_work"), |id, _wo, w| {
            BetweenWork {
                id,
                title: w.text("title"),
                description: w.text("description"),
                gathering: w.str("gathering"),
                assignee: w.str("assignee"),
                due: w.str("due"),
                done: w.bool("done"),
            }
        }),
        checkpoints: ordered(doc, map(doc, &ROOT, "checkpoints"), |id, _co, c| {
            Checkpoint {
                id,
                name: c.text("name"),
                heads: c.str("heads"),
                at: c.int("at"),
                by: c.str("by"),
            }
        }),
        log: ordered(doc, map(doc, &ROOT, "log"), |id, _eo, e| LogEntry {
            id,
            date: e.str("date"),
            author: e.str("author"),
            text: e.text("text"),
        }),
    }
}

fn gathering(id: String, go: &ObjId, g: &Item<'_>) -> Gathering {
    let doc = g.doc;
    let start = g.str("start");
    let start_min = parse_time(&start);
    let mut elapsed: u32 = 0;
    let agenda = ordered(doc, g.map("agenda"), |id, ao, a| {
        let minutes = a
            .int("minutes")
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(0)
            .min(24 * 60);
        let starts_at = start_min.map(|s| format_time(s + elapsed));
        elapsed += minutes;
        AgendaItem {
            id,
            title: a.text("title"),
            minutes,
            method: a.str("method"),
            responsible: a.str("responsible"),
            notes: a.text("notes"),
            starts_at,
            conflicts: a.conflicts(ao, &["minutes", "responsible"]),
        }
    });
    let evaluation = g
        .map("evaluation")
        .map(|e| Evaluation {
            worked: text(doc, &e, "worked"),
            change: text(doc, &e, "change"),
        })
        .unwrap_or_default();
    let run = g.map("run").map(|r| {
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
            paused_at: int(doc, &r, "paused_at"),
            paused_ms: int(doc, &r, "paused_ms").unwrap_or(0).max(0),
            extra_minutes: int(doc, &r, "extra_minutes").unwrap_or(0),
            actual,
        }
    });
    Gathering {
        id,
        run: run.unwrap_or_default(),
        conflicts: g.conflicts(go, &["date", "start"]),
        title: g.text("title"),
        date: g.str("date"),
        end: start_min.map(|s| format_time(s + elapsed)),
        start,
        place: g.text("place"),
        agenda,
        total_minutes: elapsed,
        log: g.text("log"),
        evaluation,
    }
}
