//! Tests of the document operations, migration and convergence.

use super::*;
use crate::content::{Lang, library};
use crate::ids::SeededEntropy;
use automerge::ROOT;
use proptest::prelude::*;

fn editor(seed: u64, author: &str) -> Editor {
    Editor {
        author: author.parse().unwrap(),
        clock: Box::new(FixedClock(1_763_900_000_000)),
        entropy: Box::new(SeededEntropy::new(seed)),
    }
}

fn actor(n: u8) -> ActorId {
    ActorId::from(vec![n; 16])
}

fn new_project(template: &str) -> ProjectDoc {
    let template = library().template(template).unwrap();
    let new = NewProject {
        template,
        title: "Samhandling i Fjellvik",
        language: None,
    };
    ProjectDoc::create(&new, actor(1), editor(1, "alice")).unwrap()
}

/// Another device's copy of the same project.
fn replica(of: &mut ProjectDoc, n: u8, author: &str) -> ProjectDoc {
    let bytes = of.automerge_mut().save();
    ProjectDoc::load(&bytes, actor(n), editor(u64::from(n) * 7919, author)).unwrap()
}

fn sync(a: &mut ProjectDoc, b: &mut ProjectDoc) {
    a.automerge_mut().merge(b.automerge_mut()).unwrap();
    b.automerge_mut().merge(a.automerge_mut()).unwrap();
}

fn json(p: &ProjectDoc) -> String {
    serde_json::to_string_pretty(&p.view()).unwrap()
}

fn phase(p: &ProjectDoc, n: usize) -> PhaseId {
    p.view().phases[n].id.parse().unwrap()
}

#[test]
fn a_new_project_has_the_templates_phases_tasks_and_checklists() {
    let p = new_project("four-phase");
    let v = p.view();
    assert_eq!(v.schema, SCHEMA_VERSION);
    assert_eq!(v.meta.title, "Samhandling i Fjellvik");
    assert_eq!(v.meta.language, "nb");
    assert_eq!(v.meta.template, "four-phase");
    let ids: Vec<&str> = v.phases.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        ["oppstart", "planlegging", "gjennomforing", "evaluering"]
    );
    let template = library().template("four-phase").unwrap();
    for (phase, tp) in v.phases.iter().zip(&template.phases) {
        assert_eq!(phase.name, tp.name.get(Lang::Nb));
        let titles: Vec<&str> = phase.tasks.iter().map(|t| t.title.as_str()).collect();
        let expected: Vec<&str> = tp.tasks.iter().map(|t| t.get(Lang::Nb)).collect();
        assert_eq!(titles, expected, "tasks keep the template's order");
        assert_eq!(phase.checklist.len(), tp.checklist.len());
    }
}

#[test]
fn the_danish_template_makes_a_danish_project_and_english_on_request() {
    let template = library().template("samskabt-styring").unwrap();
    let new = NewProject {
        template,
        title: "Samskabt styring",
        language: None,
    };
    let p = ProjectDoc::create(&new, actor(1), editor(1, "alice")).unwrap();
    assert_eq!(p.view().meta.language, "da");
    assert_eq!(p.view().phases.len(), 6);
    let new = NewProject {
        template,
        title: "Co-created governance",
        language: Some(Lang::En),
    };
    let p = ProjectDoc::create(&new, actor(1), editor(1, "alice")).unwrap();
    assert_eq!(p.view().meta.language, "en");
    // A language the template is not written in falls back to its own.
    let new = NewProject {
        template,
        title: "x",
        language: Some(Lang::Nb),
    };
    let p = ProjectDoc::create(&new, actor(1), editor(1, "alice")).unwrap();
    assert_eq!(p.view().meta.language, "da");
}

#[test]
fn the_programme_template_brings_gatherings_with_timed_agendas_and_between_work() {
    let p = new_project("gathering-programme");
    let v = p.view();
    assert!(!v.gatherings.is_empty());
    assert!(v.gatherings.iter().all(|g| !g.agenda.is_empty()));
    assert!(!v.between_work.is_empty());
    let gathering_ids: Vec<&str> = v.gatherings.iter().map(|g| g.id.as_str()).collect();
    assert!(
        v.between_work
            .iter()
            .all(|w| gathering_ids.contains(&w.gathering.as_str()))
    );
}

#[test]
fn an_empty_title_is_refused() {
    let template = library().template("four-phase").unwrap();
    let new = NewProject {
        template,
        title: "  ",
        language: None,
    };
    assert!(matches!(
        ProjectDoc::create(&new, actor(1), editor(1, "a")),
        Err(ModelError::EmptyText)
    ));
}

#[test]
fn tasks_are_added_renamed_assigned_ticked_reordered_and_removed() {
    let mut p = new_project("four-phase");
    let ph = phase(&p, 0);
    let before = p.view().phases[0].tasks.len();
    let a = p.add_task(&ph, "Ring kommuneoverlegen").unwrap();
    let b = p.add_task(&ph, "Book rom").unwrap();
    let tasks = &p.view().phases[0].tasks;
    assert_eq!(tasks.len(), before + 2);
    assert_eq!(tasks[before].title, "Ring kommuneoverlegen");

    p.set_task_title(&a, "Ring kommuneoverlegen i dag").unwrap();
    p.set_task_assignee(&a, Some(&"alice".parse().unwrap()))
        .unwrap();
    p.set_task_due(&a, "2026-12-01").unwrap();
    p.set_task_done(&a, true).unwrap();
    let t = p.view().phases[0].tasks[before].clone();
    assert_eq!(t.title, "Ring kommuneoverlegen i dag");
    assert_eq!(
        (t.assignee.as_str(), t.due.as_str(), t.done),
        ("alice", "2026-12-01", true)
    );
    assert_eq!(t.done_by, "alice");
    assert_eq!(t.done_at, Some(1_763_900_000_000));

    p.set_task_done(&a, false).unwrap();
    let t = p.view().phases[0].tasks[before].clone();
    assert!(!t.done && t.done_by.is_empty() && t.done_at.is_none());

    p.move_task(&b, 0).unwrap();
    assert_eq!(p.view().phases[0].tasks[0].id, b.as_str());
    p.remove_task(&b).unwrap();
    assert_eq!(p.view().phases[0].tasks.len(), before + 1);
    assert!(matches!(
        p.remove_task(&b),
        Err(ModelError::NotFound { .. })
    ));
}

#[test]
fn bad_dates_times_and_colours_change_nothing() {
    let mut p = new_project("four-phase");
    let ph = phase(&p, 0);
    let t = p.add_task(&ph, "x").unwrap();
    let heads = p.automerge_mut().get_heads();
    assert!(matches!(
        p.set_task_due(&t, "2026-02-30"),
        Err(ModelError::InvalidDate(_))
    ));
    assert!(matches!(
        p.set_dates("i morgen", ""),
        Err(ModelError::InvalidDate(_))
    ));
    let g = p.add_gathering("Samling 1").unwrap();
    let heads_g = p.automerge_mut().get_heads();
    assert_ne!(heads, heads_g);
    assert!(matches!(
        p.set_gathering_when(&g, "2026-01-01", "25:00"),
        Err(ModelError::InvalidTime(_))
    ));
    let me: PersonId = "alice".parse().unwrap();
    let bad = PersonFields {
        name: "A",
        colour: "red",
        ..Default::default()
    };
    assert!(matches!(
        p.upsert_person(&me, &bad),
        Err(ModelError::InvalidColour(_))
    ));
    assert_eq!(p.automerge_mut().get_heads(), heads_g);
}

#[test]
fn checklist_items_are_ticked_with_who_and_when_and_unticked() {
    let mut p = new_project("four-phase");
    let ph = phase(&p, 1);
    let item = p
        .add_check_item(&ph, "Rammer avklart med ledelsen")
        .unwrap();
    p.set_check_done(&item, true).unwrap();
    let c = p.view().phases[1].checklist.last().cloned().unwrap();
    assert!(c.done);
    assert_eq!(c.done_by, "alice");
    p.set_check_done(&item, false).unwrap();
    assert!(!p.view().phases[1].checklist.last().unwrap().done);
    p.set_check_text(&item, "Rammer avklart").unwrap();
    p.move_check_item(&item, 0).unwrap();
    assert_eq!(p.view().phases[1].checklist[0].text, "Rammer avklart");
    p.remove_check_item(&item).unwrap();
    assert!(
        p.view().phases[1]
            .checklist
            .iter()
            .all(|c| c.id != item.as_str())
    );
}

#[test]
fn notes_and_log_entries_are_appended_as_paragraphs() {
    let mut p = new_project("four-phase");
    let ph = phase(&p, 0);
    p.append_note(&ph, "Første møte gikk bra.").unwrap();
    p.append_note(&ph, "Neste gang: ta med tallene.").unwrap();
    assert_eq!(
        p.view().phases[0].notes,
        "Første møte gikk bra.\n\nNeste gang: ta med tallene.\n\n"
    );
    assert!(matches!(
        p.append_note(&ph, "  "),
        Err(ModelError::EmptyText)
    ));
    p.add_log_entry("Avtale signert").unwrap();
    let log = &p.view().log;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].date, "2025-11-23");
    assert_eq!(log[0].author, "alice");
}

#[test]
fn agenda_clock_times_follow_the_start_time_and_the_minutes_before() {
    let mut p = new_project("four-phase");
    let g = p.add_gathering("Samling 1").unwrap();
    p.set_gathering_when(&g, "2026-01-14", "09:00").unwrap();
    let a = p.add_agenda_item(&g, "Velkommen", 15, None).unwrap();
    p.add_method_to_agenda(&g, library(), "igp").unwrap();
    p.add_agenda_item(&g, "Lunsj", 45, None).unwrap();
    let igp = library().method("igp").unwrap().duration_minutes;
    let v = p.view();
    let gathering = &v.gatherings[0];
    let times: Vec<Option<String>> = gathering
        .agenda
        .iter()
        .map(|i| i.starts_at.clone())
        .collect();
    assert_eq!(times[0].as_deref(), Some("09:00"));
    assert_eq!(times[1].as_deref(), Some("09:15"));
    assert_eq!(times[2], Some(format_time(9 * 60 + 15 + igp)));
    assert_eq!(gathering.total_minutes, 15 + igp + 45);
    assert_eq!(gathering.end, Some(format_time(9 * 60 + 60 + igp)));
    assert_eq!(gathering.agenda[1].method, "igp");

    // Longer welcome: everything after it moves.
    p.update_agenda_item(
        &a,
        &AgendaUpdate {
            minutes: Some(30),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        p.view().gatherings[0].agenda[1].starts_at.as_deref(),
        Some("09:30")
    );
    // Moving the welcome last.
    p.move_agenda_item(&a, 10).unwrap();
    let v = p.view();
    assert_eq!(v.gatherings[0].agenda.last().unwrap().id, a.as_str());
    assert_eq!(
        v.gatherings[0].agenda[0].starts_at.as_deref(),
        Some("09:00")
    );
    // No start time, no clock times.
    p.set_gathering_when(&g, "2026-01-14", "").unwrap();
    assert!(
        p.view().gatherings[0]
            .agenda
            .iter()
            .all(|i| i.starts_at.is_none())
    );
}

#[test]
fn gatherings_have_a_log_an_evaluation_and_between_work() {
    let mut p = new_project("four-phase");
    let g = p.add_gathering("Samling 1").unwrap();
    p.set_gathering_place(&g, "Rådhuset, møterom 2").unwrap();
    p.append_gathering_log(&g, "Alle ledere var til stede.")
        .unwrap();
    p.set_evaluation(&g, "God dialog i gruppene", "Mer tid til plenum")
        .unwrap();
    let w = p
        .add_between_work("Prøv ut IGP i personalmøtet", Some(&g))
        .unwrap();
    p.update_between_work(
        &w,
        &WorkUpdate {
            done: Some(true),
            due: Some("2026-02-01"),
            ..Default::default()
        },
    )
    .unwrap();
    let v = p.view();
    let gathering = &v.gatherings[0];
    assert_eq!(gathering.place, "Rådhuset, møterom 2");
    assert_eq!(gathering.log.trim_end(), "Alle ledere var til stede.");
    assert_eq!(gathering.evaluation.change, "Mer tid til plenum");
    assert_eq!(v.between_work[0].gathering, g.as_str());
    assert!(v.between_work[0].done);
    p.remove_gathering(&g).unwrap();
    assert!(p.view().gatherings.is_empty());
}

#[test]
fn every_change_carries_the_author_and_a_message() {
    let mut p = new_project("four-phase");
    let ph = phase(&p, 0);
    p.add_task(&ph, "Ring rektor").unwrap();
    let changes = p.automerge_mut().get_changes(&[]);
    assert!(changes.len() >= 2);
    for c in &changes {
        let meta = ChangeMeta::parse(c.message().unwrap());
        assert_eq!(meta.by, "alice");
        assert!(!meta.msg.is_empty());
    }
    let last = ChangeMeta::parse(changes.last().unwrap().message().unwrap());
    assert_eq!(last.msg, "Added task “Ring rektor”");
}

#[test]
fn people_are_upserted_without_empty_changes() {
    let mut p = new_project("four-phase");
    let me: PersonId = "alice".parse().unwrap();
    let fields = PersonFields {
        name: "Alice",
        centre: "RVTS Sør",
        role: "prosessleder",
        colour: "#3366cc",
    };
    p.upsert_person(&me, &fields).unwrap();
    let heads = p.automerge_mut().get_heads();
    p.upsert_person(&me, &fields).unwrap();
    assert_eq!(
        p.automerge_mut().get_heads(),
        heads,
        "no change when nothing differs"
    );
    assert_eq!(p.view().people[0].centre, "RVTS Sør");
}

#[test]
fn a_schema_1_document_is_migrated_forward() {
    // Schema 1: task titles and checklist texts as plain strings, no between-work or log.
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "schema", 1_u64).unwrap();
    let meta = doc.put_object(ROOT, "meta", ObjType::Map).unwrap();
    let title = doc.put_object(&meta, "title", ObjType::Text).unwrap();
    doc.splice_text(&title, 0, 0, "Gammelt prosjekt").unwrap();
    doc.put_object(ROOT, "people", ObjType::Map).unwrap();
    doc.put_object(ROOT, "gatherings", ObjType::Map).unwrap();
    let phases = doc.put_object(ROOT, "phases", ObjType::Map).unwrap();
    let ph = doc.put_object(&phases, "oppstart", ObjType::Map).unwrap();
    doc.put(&ph, "order", "i").unwrap();
    let tasks = doc.put_object(&ph, "tasks", ObjType::Map).unwrap();
    let t = doc.put_object(&tasks, "t1", ObjType::Map).unwrap();
    doc.put(&t, "order", "i").unwrap();
    doc.put(&t, "title", "Gammel oppgave").unwrap();
    doc.commit();

    let mut p = ProjectDoc::open(doc, actor(2), editor(2, "bob")).unwrap();
    assert_eq!(p.schema(), SCHEMA_VERSION);
    let v = p.view();
    assert_eq!(v.schema, SCHEMA_VERSION);
    assert_eq!(v.phases[0].tasks[0].title, "Gammel oppgave");
    // The title is Text now, so it can be spliced, and the new collections work.
    let t1: TaskId = "t1".parse().unwrap();
    p.set_task_title(&t1, "Gammel oppgave, revidert").unwrap();
    let tasks = read::map(
        p.automerge(),
        &read::map(p.automerge(), &phases, "oppstart").unwrap(),
        "tasks",
    )
    .unwrap();
    let item = read::map(p.automerge(), &tasks, "t1").unwrap();
    assert!(matches!(
        p.automerge().get(&item, "title").unwrap(),
        Some((Value::Object(ObjType::Text), _))
    ));
    p.add_log_entry("Migrert").unwrap();
    assert_eq!(p.view().log.len(), 1);
}

#[test]
fn a_document_from_a_newer_version_opens_read_only() {
    let mut p = new_project("four-phase");
    p.automerge_mut()
        .put(ROOT, "schema", SCHEMA_VERSION + 1)
        .unwrap();
    p.automerge_mut().commit();
    let mut newer = replica(&mut p, 2, "bob");
    assert!(newer.is_read_only());
    let ph = phase(&newer, 0);
    assert!(matches!(
        newer.add_task(&ph, "x"),
        Err(ModelError::ReadOnly(_))
    ));
    assert_eq!(newer.view().meta.title, "Samhandling i Fjellvik");
}

#[test]
fn something_that_is_not_a_project_is_refused() {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "hello", "world").unwrap();
    let bytes = doc.save();
    assert!(matches!(
        ProjectDoc::load(&bytes, actor(1), editor(1, "a")),
        Err(ModelError::NotAProject(_))
    ));
    assert!(matches!(
        ProjectDoc::load(b"garbage", actor(1), editor(1, "a")),
        Err(ModelError::NotAProject(_))
    ));
}

#[test]
fn concurrent_edits_of_one_paragraph_keep_both_character_by_character() {
    let mut alice = new_project("four-phase");
    let ph = phase(&alice, 0);
    alice.set_notes(&ph, "Vi møtes i Arendal.").unwrap();
    let mut bob = replica(&mut alice, 2, "bob");
    alice
        .set_notes(&ph, "Vi møtes i Arendal på tirsdag.")
        .unwrap();
    bob.set_notes(&ph, "Alle vi møtes i Arendal.").unwrap();
    sync(&mut alice, &mut bob);
    assert_eq!(
        alice.view().phases[0].notes,
        "Alle vi møtes i Arendal på tirsdag."
    );
    assert_eq!(json(&alice), json(&bob));
}

#[test]
fn paragraphs_appended_at_the_same_time_stay_separate() {
    let mut alice = new_project("four-phase");
    let ph = phase(&alice, 0);
    let mut bob = replica(&mut alice, 2, "bob");
    alice.append_note(&ph, "Skrevet av Alice").unwrap();
    bob.append_note(&ph, "Skrevet av Bob").unwrap();
    sync(&mut alice, &mut bob);
    let notes = alice.view().phases[0].notes.clone();
    let mut paragraphs: Vec<&str> = notes.split("\n\n").filter(|p| !p.is_empty()).collect();
    paragraphs.sort_unstable();
    assert_eq!(
        paragraphs,
        ["Skrevet av Alice", "Skrevet av Bob"],
        "{notes:?}"
    );
    // A text someone typed by hand gets a blank line before the next paragraph.
    alice.set_notes(&ph, "Egen tekst").unwrap();
    alice.append_note(&ph, "Tillegg").unwrap();
    assert_eq!(alice.view().phases[0].notes, "Egen tekst\n\nTillegg\n\n");
}

#[test]
fn a_reorder_and_a_rename_of_the_same_task_both_survive() {
    let mut alice = new_project("four-phase");
    let ph = phase(&alice, 0);
    let t: TaskId = alice.view().phases[0].tasks[0].id.parse().unwrap();
    let mut bob = replica(&mut alice, 2, "bob");
    alice.move_task(&t, 3).unwrap();
    bob.set_task_title(&t, "Omdøpt").unwrap();
    sync(&mut alice, &mut bob);
    let tasks = &alice.view().phases[0].tasks;
    assert_eq!(tasks[3].id, t.as_str());
    assert_eq!(tasks[3].title, "Omdøpt");
    assert_eq!(json(&alice), json(&bob));
    let _ = ph;
}

// ----- property test: random operations on several replicas converge -----

#[derive(Debug, Clone)]
enum Op {
    AddTask {
        phase: usize,
        title: String,
    },
    RenameTask {
        task: usize,
        at: usize,
        insert: String,
    },
    MoveTask {
        task: usize,
        to: usize,
    },
    RemoveTask {
        task: usize,
    },
    TickTask {
        task: usize,
        done: bool,
    },
    EditNotes {
        phase: usize,
        at: usize,
        delete: usize,
        insert: String,
    },
    TickCheck {
        item: usize,
        done: bool,
    },
    RemoveCheck {
        item: usize,
    },
    AddAgenda {
        minutes: u32,
    },
    MoveAgenda {
        item: usize,
        to: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let text = "[a-zæøå][a-zæøå ]{0,5}";
    prop_oneof![
        (0usize..4, text).prop_map(|(phase, title)| Op::AddTask { phase, title }),
        (0usize..64, 0usize..64, text).prop_map(|(task, at, insert)| Op::RenameTask {
            task,
            at,
            insert
        }),
        (0usize..64, 0usize..12).prop_map(|(task, to)| Op::MoveTask { task, to }),
        (0usize..64).prop_map(|task| Op::RemoveTask { task }),
        (0usize..64, any::<bool>()).prop_map(|(task, done)| Op::TickTask { task, done }),
        (0usize..4, 0usize..64, 0usize..4, text).prop_map(|(phase, at, delete, insert)| {
            Op::EditNotes {
                phase,
                at,
                delete,
                insert,
            }
        }),
        (0usize..64, any::<bool>()).prop_map(|(item, done)| Op::TickCheck { item, done }),
        (0usize..64).prop_map(|item| Op::RemoveCheck { item }),
        (1u32..90).prop_map(|minutes| Op::AddAgenda { minutes }),
        (0usize..64, 0usize..8).prop_map(|(item, to)| Op::MoveAgenda { item, to }),
    ]
}

/// Applies an op to a replica, choosing targets among what that replica can see.
fn apply(p: &mut ProjectDoc, op: &Op, created: &mut Vec<String>, deleted: &mut Vec<String>) {
    let v = p.view();
    let tasks: Vec<&Task> = v.phases.iter().flat_map(|ph| &ph.tasks).collect();
    let items: Vec<&CheckItem> = v.phases.iter().flat_map(|ph| &ph.checklist).collect();
    let pick = |n: usize, len: usize| (len > 0).then(|| n % len);
    match op {
        Op::AddTask { phase, title } => {
            let ph: PhaseId = v.phases[phase % v.phases.len()].id.parse().unwrap();
            created.push(p.add_task(&ph, title).unwrap().to_string());
        }
        Op::RenameTask { task, at, insert } => {
            if let Some(i) = pick(*task, tasks.len()) {
                let mut title: Vec<char> = tasks[i].title.chars().collect();
                let at = at % (title.len() + 1);
                title.splice(at..at, insert.chars());
                let new: String = title.into_iter().collect();
                p.set_task_title(&tasks[i].id.parse().unwrap(), &new)
                    .unwrap();
            }
        }
        Op::MoveTask { task, to } => {
            if let Some(i) = pick(*task, tasks.len()) {
                p.move_task(&tasks[i].id.parse().unwrap(), *to).unwrap();
            }
        }
        Op::RemoveTask { task } => {
            if let Some(i) = pick(*task, tasks.len()) {
                deleted.push(tasks[i].id.clone());
                p.remove_task(&tasks[i].id.parse().unwrap()).unwrap();
            }
        }
        Op::TickTask { task, done } => {
            if let Some(i) = pick(*task, tasks.len()) {
                p.set_task_done(&tasks[i].id.parse().unwrap(), *done)
                    .unwrap();
            }
        }
        Op::EditNotes {
            phase,
            at,
            delete,
            insert,
        } => {
            let ph = &v.phases[phase % v.phases.len()];
            let mut notes: Vec<char> = ph.notes.chars().collect();
            let at = at % (notes.len() + 1);
            let end = (at + delete).min(notes.len());
            notes.splice(at..end, insert.chars());
            let new: String = notes.into_iter().collect();
            p.set_notes(&ph.id.parse().unwrap(), &new).unwrap();
        }
        Op::TickCheck { item, done } => {
            if let Some(i) = pick(*item, items.len()) {
                p.set_check_done(&items[i].id.parse().unwrap(), *done)
                    .unwrap();
            }
        }
        Op::RemoveCheck { item } => {
            if let Some(i) = pick(*item, items.len()) {
                deleted.push(items[i].id.clone());
                p.remove_check_item(&items[i].id.parse().unwrap()).unwrap();
            }
        }
        Op::AddAgenda { minutes } => {
            let g: GatheringId = v.gatherings[0].id.parse().unwrap();
            created.push(
                p.add_agenda_item(&g, "punkt", *minutes, None)
                    .unwrap()
                    .to_string(),
            );
        }
        Op::MoveAgenda { item, to } => {
            let agenda = &v.gatherings[0].agenda;
            if let Some(i) = pick(*item, agenda.len()) {
                p.move_agenda_item(&agenda[i].id.parse().unwrap(), *to)
                    .unwrap();
            }
        }
    }
}

/// Delivers every change `from` has to `to`, shuffled (Automerge queues a change
/// until its dependencies arrive) and partly duplicated.
fn deliver(from: &mut ProjectDoc, to: &mut ProjectDoc, seed: u64) {
    let mut changes = from.automerge_mut().get_changes(&[]);
    let mut rng = SeededEntropy::new(seed);
    for i in (1..changes.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        changes.swap(i, j);
    }
    if let Some(first) = changes.first().cloned() {
        changes.push(first);
    }
    to.automerge_mut().apply_changes(changes).unwrap();
}

fn all_order_keys_valid(p: &ProjectDoc) -> bool {
    let doc = p.automerge();
    let mut colls = vec![];
    for name in ["people", "phases", "gatherings", "between_work", "log"] {
        colls.push(read::map(doc, &ROOT, name).unwrap());
    }
    let phases = read::map(doc, &ROOT, "phases").unwrap();
    for (_, ph) in read::entries(doc, &phases) {
        colls.push(read::map(doc, &ph, "tasks").unwrap());
        colls.push(read::map(doc, &ph, "checklist").unwrap());
    }
    let gatherings = read::map(doc, &ROOT, "gatherings").unwrap();
    for (_, g) in read::entries(doc, &gatherings) {
        colls.push(read::map(doc, &g, "agenda").unwrap());
    }
    colls.iter().all(|c| {
        read::ordered_keys(doc, c)
            .iter()
            .all(|(_, k)| order::is_valid(k))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn replicas_applying_random_operations_converge(
        steps in proptest::collection::vec((0usize..3, op(), 0u8..4, any::<u64>()), 1..40)
    ) {
        let mut base = new_project("gathering-programme");
        let mut replicas = vec![replica(&mut base, 2, "alice"), replica(&mut base, 3, "bob"), replica(&mut base, 4, "carol")];
        let mut created = Vec::new();
        let mut deleted = Vec::new();
        for (who, op, sync_roll, seed) in &steps {
            apply(&mut replicas[*who], op, &mut created, &mut deleted);
            // Now and then, one replica hears from another, in a random order.
            if *sync_roll == 0 {
                let other = (*who + 1 + (*seed as usize % 2)) % 3;
                let (a, b) = two(&mut replicas, *who, other);
                deliver(a, b, *seed);
            }
        }
        // Everyone hears from everyone.
        for round in 0..2u64 {
            for i in 0..3 {
                for j in 0..3 {
                    if i != j {
                        let (a, b) = two(&mut replicas, i, j);
                        deliver(a, b, round * 10 + (i * 3 + j) as u64);
                    }
                }
            }
        }
        let j0 = json(&replicas[0]);
        prop_assert_eq!(&j0, &json(&replicas[1]));
        prop_assert_eq!(&j0, &json(&replicas[2]));

        let v = replicas[0].view();
        let mut ids: Vec<String> = v.phases.iter().flat_map(|p| p.tasks.iter().map(|t| t.id.clone())).collect();
        ids.extend(v.phases.iter().flat_map(|p| p.checklist.iter().map(|c| c.id.clone())));
        ids.extend(v.gatherings[0].agenda.iter().map(|a| a.id.clone()));
        let count = ids.len();
        ids.sort();
        ids.dedup();
        prop_assert_eq!(count, ids.len(), "an item appears twice");
        for id in &created {
            let present = ids.contains(id);
            prop_assert_eq!(present, !deleted.contains(id), "item {} lost or resurrected", id);
        }
        for id in &deleted {
            prop_assert!(!ids.contains(id), "deleted item {} came back", id);
        }
        prop_assert!(all_order_keys_valid(&replicas[0]));
    }
}

fn two<T>(v: &mut [T], i: usize, j: usize) -> (&mut T, &mut T) {
    assert_ne!(i, j);
    if i < j {
        let (a, b) = v.split_at_mut(j);
        (&mut a[i], &mut b[0])
    } else {
        let (a, b) = v.split_at_mut(i);
        (&mut b[0], &mut a[j])
    }
}

// ----- history, restore, checkpoints, run mode -----

#[test]
fn history_lists_every_change_with_author_and_message_oldest_first() {
    let mut p = new_project("four-phase");
    let ph = phase(&p, 0);
    p.add_task(&ph, "Første").unwrap();
    p.add_task(&ph, "Andre").unwrap();
    let h = p.history();
    assert_eq!(h.len(), 3);
    assert!(h[0].msg.starts_with("Created"));
    assert_eq!(h[2].msg, "Added task “Andre”");
    assert!(h.iter().all(|e| e.by == "alice" && e.time == 1_763_900_000));
    assert_eq!(history::sessions(&h, 600).len(), 1);
}

#[test]
fn the_view_at_an_earlier_change_equals_the_document_at_those_heads() {
    let mut p = new_project("four-phase");
    let ph = phase(&p, 0);
    p.add_task(&ph, "Første").unwrap();
    let then = p.view();
    let hash = p.history()[1].hash.clone();
    p.add_task(&ph, "Andre").unwrap();
    p.set_title("Nytt navn").unwrap();
    let change = p.resolve_change(&hash[..8]).unwrap();
    assert_eq!(p.view_at(change).unwrap(), then);
    assert_ne!(p.view(), then);
    assert!(matches!(
        p.resolve_change("zz"),
        Err(ModelError::NotFound { .. })
    ));
}

#[test]
fn restore_brings_back_an_earlier_state_as_a_new_change_that_others_receive() {
    let mut alice = new_project("four-phase");
    let ph = phase(&alice, 0);
    alice.add_task(&ph, "Beholdes").unwrap();
    let good = alice.view();
    let hash = alice.history().last().unwrap().hash.clone();
    let t = alice.add_task(&ph, "Feil").unwrap();
    alice.set_notes(&ph, "Skrevet ved en feil").unwrap();
    alice.remove_task(&t).unwrap();
    let mut bob = replica(&mut alice, 2, "bob");
    let before = alice.history().len();

    let change = alice.resolve_change(&hash).unwrap();
    alice.restore(change).unwrap();
    assert_eq!(alice.view(), good);
    let history = alice.history();
    assert_eq!(history.len(), before + 1, "one new change, history kept");
    assert!(history.last().unwrap().msg.starts_with("Restored"));

    sync(&mut alice, &mut bob);
    assert_eq!(bob.view(), good);
}

#[test]
fn checkpoints_name_a_state_that_can_be_viewed_later() {
    let mut p = new_project("gathering-programme");
    let ph = phase(&p, 0);
    p.add_task(&ph, "Før første samling").unwrap();
    let at_checkpoint = p.view();
    p.add_checkpoint("Etter første samling").unwrap();
    p.add_task(&ph, "Senere").unwrap();
    let v = p.view();
    assert_eq!(v.checkpoints.len(), 1);
    assert_eq!(v.checkpoints[0].name, "Etter første samling");
    let heads = history::parse_heads(&v.checkpoints[0].heads);
    assert_eq!(p.view_at_heads(&heads).unwrap(), at_checkpoint);
}

#[test]
fn a_gathering_is_run_item_by_item_and_a_co_facilitator_follows() {
    let mut alice = new_project("four-phase");
    let g = alice.add_gathering("Samling 1").unwrap();
    alice.set_gathering_when(&g, "2026-01-14", "09:00").unwrap();
    let a = alice
        .add_agenda_item(&g, "Innsjekk", 15, Some("check-in"))
        .unwrap();
    let b = alice.add_agenda_item(&g, "IGP", 45, Some("igp")).unwrap();
    let mut bob = replica(&mut alice, 2, "bob");

    assert_eq!(alice.run_start(&g).unwrap(), a);
    alice.run_note(&g, "Alle er på plass").unwrap();
    sync(&mut alice, &mut bob);
    let run = bob.view().gatherings[0].run.clone();
    assert_eq!(run.current, a.as_str(), "Bob sees what is on now");
    assert!(run.is_running());

    assert_eq!(alice.run_next(&g).unwrap(), Some(b.clone()));
    assert_eq!(alice.run_next(&g).unwrap(), None, "the agenda is done");
    sync(&mut alice, &mut bob);
    let gathering = bob.view().gatherings[0].clone();
    assert!(!gathering.run.is_running());
    assert_eq!(gathering.run.actual.len(), 2);
    assert!(gathering.run.actual.iter().all(|t| t.ended_at.is_some()));
    assert_eq!(gathering.log.trim_end(), "Innsjekk: Alle er på plass");

    // The state is in the document: it survives saving and loading.
    let reloaded = replica(&mut bob, 3, "carol");
    assert_eq!(reloaded.view().gatherings[0].run, gathering.run);
}

#[test]
fn a_paused_item_keeps_its_time_and_plus_five_on_two_machines_gives_ten() {
    let t0 = 1_763_900_000_000;
    let at = |p: &mut ProjectDoc, ms: i64| p.editor.clock = Box::new(FixedClock(t0 + ms));
    let mut alice = new_project("four-phase");
    let g = alice.add_gathering("Samling 1").unwrap();
    alice.add_agenda_item(&g, "IGP", 30, Some("igp")).unwrap();
    alice.add_agenda_item(&g, "Lunsj", 45, None).unwrap();
    at(&mut alice, 0);
    alice.run_start(&g).unwrap();

    // Five minutes in, paused for ten, then on for one more: six minutes used.
    at(&mut alice, 5 * 60_000);
    alice.run_pause(&g, true).unwrap();
    let run = alice.view().gatherings[0].run.clone();
    assert!(run.is_paused());
    assert_eq!(run.item_elapsed_ms(t0 + 15 * 60_000), 5 * 60_000);
    at(&mut alice, 15 * 60_000);
    alice.run_pause(&g, true).unwrap(); // already paused: nothing changes
    alice.run_pause(&g, false).unwrap();
    let run = alice.view().gatherings[0].run.clone();
    assert!(!run.is_paused());
    assert_eq!(run.item_elapsed_ms(t0 + 16 * 60_000), 6 * 60_000);

    // Both facilitators press +5 at once: the item gets ten more minutes.
    let mut bob = replica(&mut alice, 2, "bob");
    alice.run_adjust(&g, 5).unwrap();
    bob.run_adjust(&g, 5).unwrap();
    sync(&mut alice, &mut bob);
    let run = bob.view().gatherings[0].run.clone();
    assert_eq!(run.extra_minutes, 10);
    assert_eq!(run.planned_minutes(30), 40);
    let cut = RunState {
        extra_minutes: -50,
        ..run.clone()
    };
    assert_eq!(cut.planned_minutes(30), 0, "never below zero");

    // The next item starts with its own time, unpaused.
    alice.run_next(&g).unwrap();
    let run = alice.view().gatherings[0].run.clone();
    assert_eq!(
        (run.extra_minutes, run.paused_ms, run.paused_at),
        (0, 0, None)
    );

    alice.run_stop(&g).unwrap();
    assert!(matches!(
        alice.run_pause(&g, true),
        Err(ModelError::NotRunning)
    ));
    assert!(matches!(
        alice.run_adjust(&g, 5),
        Err(ModelError::NotRunning)
    ));
}

#[test]
fn running_an_empty_agenda_is_refused() {
    let mut p = new_project("four-phase");
    let g = p.add_gathering("Tom").unwrap();
    assert!(p.run_start(&g).is_err());
}

#[test]
fn a_schema_2_document_gains_checkpoints_and_run_state() {
    let mut p = new_project("gathering-programme");
    // Make it look like schema 2: no checkpoints, no run maps.
    let doc = p.automerge_mut();
    doc.delete(ROOT, "checkpoints").unwrap();
    let gatherings = read::map(doc, &ROOT, "gatherings").unwrap();
    for (_, g) in read::entries(doc, &gatherings) {
        doc.delete(&g, "run").unwrap();
    }
    doc.put(ROOT, "schema", 2_u64).unwrap();
    doc.commit();
    let mut old = replica(&mut p, 2, "bob");
    assert_eq!(old.schema(), SCHEMA_VERSION);
    let g: GatheringId = old.view().gatherings[0].id.parse().unwrap();
    old.run_start(&g).unwrap();
    old.add_checkpoint("etter migrering").unwrap();
    assert_eq!(old.view().checkpoints.len(), 1);
}

#[test]
fn a_due_date_set_on_two_machines_at_once_shows_the_winner_and_offers_the_other() {
    let mut alice = new_project("four-phase");
    let t = alice.add_task(&phase(&alice, 0), "Felles frist").unwrap();
    let mut bob = replica(&mut alice, 2, "bob");
    alice.set_task_due(&t, "2026-12-01").unwrap();
    bob.set_task_due(&t, "2026-12-05").unwrap();
    sync(&mut alice, &mut bob);
    let task = alice.view().phases[0].tasks.last().cloned().unwrap();
    assert_eq!(
        json(&alice),
        json(&bob),
        "both see the same winner and the same conflict"
    );
    assert_eq!(task.conflicts.len(), 1);
    assert_eq!(task.conflicts[0].field, "due");
    let other = task.conflicts[0].others[0].clone();
    let mut both = [task.due.clone(), other.clone()];
    both.sort();
    assert_eq!(both, ["2026-12-01", "2026-12-05"]);
    // Choosing the other value settles it everywhere.
    bob.set_task_due(&t, &other).unwrap();
    sync(&mut alice, &mut bob);
    let task = alice.view().phases[0].tasks.last().cloned().unwrap();
    assert_eq!(task.due, other);
    assert!(task.conflicts.is_empty());
}

#[test]
fn only_a_known_language_is_imported_or_read() {
    let mut p = new_project("four-phase");
    let mut view = p.view();
    view.meta.language = "nb\"><script>alert(1)</script>".to_owned();
    let refused = ProjectDoc::from_project(&view, actor(2), editor(2, "bob"));
    assert!(
        matches!(&refused, Err(ModelError::NotAProject(m)) if m.contains("not a language")),
        "{:?}",
        refused.err()
    );
    view.meta.language = "da".to_owned();
    assert!(ProjectDoc::from_project(&view, actor(2), editor(2, "bob")).is_ok());

    // A co-editor's document with markup in the field reads as the default language.
    let Some((_, meta)) = p.automerge_mut().get(ROOT, "meta").unwrap() else {
        panic!("no meta");
    };
    p.automerge_mut()
        .put(&meta, "language", "<img src=x onerror=alert(1)>")
        .unwrap();
    assert_eq!(p.view().meta.language, "nb");
    assert_eq!(p.language(), Lang::Nb);
}

#[test]
fn dates_and_times_are_taken_the_way_norwegians_type_them() {
    use super::{display_date, normalize_date, normalize_time};
    for (typed, stored) in [
        ("2027-01-15", "2027-01-15"),
        ("15.01.2027", "2027-01-15"),
        ("15.1.27", "2027-01-15"),
        ("15.1.2027", "2027-01-15"),
        ("3.2", "2026-02-03"),
        ("3.2.", "2026-02-03"),
        (" 29/2/2028 ", "2028-02-29"),
        ("1-12-2026", "2026-12-01"),
    ] {
        assert_eq!(
            normalize_date(typed, 2026).as_deref(),
            Some(stored),
            "{typed}"
        );
    }
    for typed in [
        "30.2.2027",
        "29.2.2027",
        "15",
        "15.13.2027",
        "1.1.123",
        "a.b.c",
        "",
        "15..2027",
    ] {
        assert_eq!(normalize_date(typed, 2026), None, "{typed}");
    }
    for (typed, stored) in [
        ("08:30", "08:30"),
        ("8:30", "08:30"),
        ("8.30", "08:30"),
        ("0830", "08:30"),
        ("8", "08:00"),
        ("23.59", "23:59"),
    ] {
        assert_eq!(normalize_time(typed).as_deref(), Some(stored), "{typed}");
    }
    for typed in ["24:00", "8:3", "8.300", "kl 8", "12345", "", "-1"] {
        assert_eq!(normalize_time(typed), None, "{typed}");
    }
    assert_eq!(display_date("2027-01-15"), "15.01.2027");
    assert_eq!(display_date(""), "");
}

#[test]
fn relays_recorded_on_two_devices_at_once_are_both_kept() {
    let mut a = new_project("four-phase");
    let mut b = replica(&mut a, 2, "maret");
    assert!(a.relays().is_empty());
    // Both add the first relay offline: each makes its own `relays` map.
    a.add_relay("wss://relay.rvts.no").unwrap();
    b.add_relay("ws://192.168.1.5:8787").unwrap();
    let heads = a.automerge_mut().get_heads();
    a.add_relay("wss://relay.rvts.no").unwrap();
    assert_eq!(a.automerge_mut().get_heads(), heads, "no empty change");
    sync(&mut a, &mut b);
    let both = vec![
        "ws://192.168.1.5:8787".to_owned(),
        "wss://relay.rvts.no".to_owned(),
    ];
    assert_eq!(a.relays(), both);
    assert_eq!(b.relays(), both);
    // What a viewer holds cannot record one.
    b.set_viewer(true);
    assert!(b.add_relay("wss://other.example.org").is_err());
}
