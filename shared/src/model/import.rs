//! Building a new document from the view model's JSON (`samspill import FILE.json`).

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT};

use super::{
    Editor, ModelError, Project, ProjectDoc, ROOT_MAPS, Result, SCHEMA_VERSION, check_colour,
    check_date, check_time, order,
};

fn check_id(id: &str, what: &'static str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ModelError::NotAProject(format!(
            "“{}” is not a valid {what} id",
            id.chars().take(40).collect::<String>()
        )))
    }
}

impl ProjectDoc {
    /// A new document holding what `project` describes, ids and order kept. Computed
    /// fields (clock times, totals) are ignored; everything else is checked first, so a
    /// bad file changes nothing.
    pub fn from_project(project: &Project, actor: ActorId, editor: Editor) -> Result<Self> {
        validate(project)?;
        let mut doc = AutoCommit::new();
        doc.set_actor(actor);
        let mut this = Self {
            doc,
            editor,
            schema: SCHEMA_VERSION,
            viewer: false,
        };
        this.doc.put(ROOT, "schema", SCHEMA_VERSION)?;
        for name in ROOT_MAPS {
            this.doc.put_object(ROOT, name, ObjType::Map)?;
        }
        let m = &project.meta;
        let meta = this.root_map("meta")?;
        this.put_text(&meta, "title", &m.title)?;
        this.put_text(&meta, "goal", &m.goal)?;
        this.put_text(&meta, "service", &m.service)?;
        this.doc.put(&meta, "start_date", m.start_date.as_str())?;
        this.doc.put(&meta, "end_date", m.end_date.as_str())?;
        this.doc.put(&meta, "template", m.template.as_str())?;
        this.doc.put(&meta, "language", m.language.as_str())?;
        this.doc.put(&meta, "archived", m.archived)?;

        let people = this.root_map("people")?;
        for p in &project.people {
            let obj = this.insert_item(&people, &p.id, None)?;
            this.put_text(&obj, "name", &p.name)?;
            this.doc.put(&obj, "centre", p.centre.as_str())?;
            this.doc.put(&obj, "role", p.role.as_str())?;
            this.doc.put(&obj, "colour", p.colour.as_str())?;
            if !p.devices.is_empty() {
                let devices = this.doc.put_object(&obj, "devices", ObjType::Map)?;
                for d in &p.devices {
                    let dev = this.doc.put_object(&devices, d.id.as_str(), ObjType::Map)?;
                    this.doc.put(&dev, "sign", d.sign.as_str())?;
                    this.doc.put(&dev, "kx", d.kx.as_str())?;
                }
            }
        }
        let phases = this.root_map("phases")?;
        let mut last: Option<String> = None;
        for ph in &project.phases {
            let key = order::between(last.as_deref(), None);
            let obj = this.doc.put_object(&phases, ph.id.as_str(), ObjType::Map)?;
            this.doc.put(&obj, "order", key.as_str())?;
            last = Some(key);
            this.doc.put(&obj, "kind", ph.kind.as_str())?;
            this.put_text(&obj, "name", &ph.name)?;
            this.doc.put(&obj, "status", ph.status.as_str())?;
            this.doc.put(&obj, "guide", ph.guide.as_str())?;
            this.put_text(&obj, "notes", &ph.notes)?;
            let tasks = this.doc.put_object(&obj, "tasks", ObjType::Map)?;
            for t in &ph.tasks {
                let o = this.insert_item(&tasks, &t.id, None)?;
                this.put_text(&o, "title", &t.title)?;
                this.doc.put(&o, "assignee", t.assignee.as_str())?;
                this.doc.put(&o, "due", t.due.as_str())?;
                this.doc.put(&o, "done", t.done)?;
                this.doc.put(&o, "done_by", t.done_by.as_str())?;
                this.put_opt_int(&o, "done_at", t.done_at)?;
            }
            let list = this.doc.put_object(&obj, "checklist", ObjType::Map)?;
            for c in &ph.checklist {
                let o = this.insert_item(&list, &c.id, None)?;
                this.put_text(&o, "text", &c.text)?;
                this.doc.put(&o, "done", c.done)?;
                this.doc.put(&o, "done_by", c.done_by.as_str())?;
                this.put_opt_int(&o, "done_at", c.done_at)?;
            }
        }
        let gatherings = this.root_map("gatherings")?;
        for g in &project.gatherings {
            let obj = this.insert_item(&gatherings, &g.id, None)?;
            this.put_text(&obj, "title", &g.title)?;
            this.doc.put(&obj, "date", g.date.as_str())?;
            this.doc.put(&obj, "start", g.start.as_str())?;
            this.put_text(&obj, "place", &g.place)?;
            this.put_text(&obj, "log", &g.log)?;
            let eval = this.doc.put_object(&obj, "evaluation", ObjType::Map)?;
            this.put_text(&eval, "worked", &g.evaluation.worked)?;
            this.put_text(&eval, "change", &g.evaluation.change)?;
            super::run::create_run_map(&mut this.doc, &obj)?;
            let agenda = this.doc.put_object(&obj, "agenda", ObjType::Map)?;
            for a in &g.agenda {
                let o = this.insert_item(&agenda, &a.id, None)?;
                this.put_text(&o, "title", &a.title)?;
                this.doc.put(&o, "minutes", u64::from(a.minutes))?;
                this.doc.put(&o, "method", a.method.as_str())?;
                this.doc.put(&o, "responsible", a.responsible.as_str())?;
                this.put_text(&o, "notes", &a.notes)?;
            }
        }
        let between = this.root_map("between_work")?;
        for w in &project.between_work {
            let o = this.insert_item(&between, &w.id, None)?;
            this.put_text(&o, "title", &w.title)?;
            this.put_text(&o, "description", &w.description)?;
            this.doc.put(&o, "gathering", w.gathering.as_str())?;
            this.doc.put(&o, "assignee", w.assignee.as_str())?;
            this.doc.put(&o, "due", w.due.as_str())?;
            this.doc.put(&o, "done", w.done)?;
        }
        let log = this.root_map("log")?;
        for e in &project.log {
            let o = this.insert_item(&log, &e.id, None)?;
            this.doc.put(&o, "date", e.date.as_str())?;
            this.doc.put(&o, "author", e.author.as_str())?;
            this.put_text(&o, "text", &e.text)?;
        }
        this.commit(&format!("Imported “{}”", m.title));
        Ok(this)
    }

    fn put_opt_int(&mut self, obj: &automerge::ObjId, key: &str, v: Option<i64>) -> Result<()> {
        match v {
            Some(n) => self.doc.put(obj, key, n)?,
            None => self.doc.put(obj, key, automerge::ScalarValue::Null)?,
        }
        Ok(())
    }
}

fn validate(p: &Project) -> Result<()> {
    if p.schema > SCHEMA_VERSION {
        return Err(ModelError::ReadOnly(p.schema));
    }
    if p.meta.title.trim().is_empty() {
        return Err(ModelError::EmptyText);
    }
    check_date(&p.meta.start_date)?;
    check_date(&p.meta.end_date)?;
    // The language goes into exports (`<html lang>`): only one this build knows.
    if p.meta.language.parse::<crate::content::Lang>().is_err() {
        return Err(ModelError::NotAProject(format!(
            "“{}” is not a language Samspill knows; use nb, en or da",
            p.meta.language.chars().take(20).collect::<String>()
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut unique = |id: &str, what: &'static str| -> Result<()> {
        check_id(id, what)?;
        if seen.insert(id.to_owned()) {
            Ok(())
        } else {
            Err(ModelError::NotAProject(format!(
                "the id “{id}” is used twice"
            )))
        }
    };
    let hex_of = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    for x in &p.people {
        unique(&x.id, "person")?;
        check_colour(&x.colour)?;
        for d in &x.devices {
            if !hex_of(&d.id, 16) || !hex_of(&d.sign, 64) || !hex_of(&d.kx, 64) {
                return Err(ModelError::NotAProject(format!(
                    "a device of “{}” is not 16 hex digits with two keys of 64",
                    x.id
                )));
            }
        }
    }
    for ph in &p.phases {
        unique(&ph.id, "phase")?;
        for t in &ph.tasks {
            unique(&t.id, "task")?;
            check_date(&t.due)?;
        }
        for c in &ph.checklist {
            unique(&c.id, "checklist item")?;
        }
    }
    for g in &p.gatherings {
        unique(&g.id, "gathering")?;
        check_date(&g.date)?;
        check_time(&g.start)?;
        for a in &g.agenda {
            unique(&a.id, "agenda item")?;
        }
    }
    for w in &p.between_work {
        unique(&w.id, "between-work")?;
        check_date(&w.due)?;
    }
    for e in &p.log {
        unique(&e.id, "log entry")?;
    }
    Ok(())
}
