//! History, checkpoints and running a gathering live, driven by the labels on screen.
//!
//! Kari Nordmann from RVTS Sør plans a process; she looks back at an earlier version
//! and restores it, names a checkpoint, and runs a gathering while Ola, on another
//! machine, moves the agenda on.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{harness, new_app, view};
use std::time::Duration;

use automerge::ActorId;
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use samspill::ui::SamspillApp;
use samspill_shared::ids::{GatheringId, PersonId, SeededEntropy};
use samspill_shared::model::{Editor, FixedClock, ProjectDoc};

fn settle(h: &mut Harness<'_, SamspillApp>) {
    for _ in 0..400 {
        h.step();
        if !h.state().is_busy() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!h.state().is_busy(), "background work did not finish");
    // Run mode ticks once a second, so the harness never sees the app idle: step a few
    // frames instead of running until nothing is left to do.
    for _ in 0..4 {
        h.step();
    }
}

fn step(h: &mut Harness<'_, SamspillApp>) {
    for _ in 0..3 {
        h.step();
    }
}

fn create_project(h: &mut Harness<'_, SamspillApp>, title: &str) {
    h.get_by_label("+ Nytt prosjekt").click();
    step(h);
    let name = h.get_by_label("Prosjektnavn");
    name.focus();
    name.type_text(title);
    step(h);
    h.get_by_label("Opprett prosjekt").click();
    settle(h);
}

fn type_into(h: &mut Harness<'_, SamspillApp>, label: &str, text: &str) {
    let field = h.get_by_label(label);
    field.focus();
    field.type_text(text);
    step(h);
}

/// Clicks somewhere empty, so no text field keeps the keyboard.
fn unfocus(h: &mut Harness<'_, SamspillApp>) {
    h.state_mut()
        .state
        .repaint
        .clone()
        .unwrap()
        .memory_mut(|m| m.stop_text_input());
    step(h);
}

/// A gathering "Første samling" with two agenda items, made through the UI.
fn gathering_with_agenda(h: &mut Harness<'_, SamspillApp>) {
    h.get_by_label_contains("Samlinger").click();
    step(h);
    type_into(h, "Navn på ny samling", "Første samling");
    h.key_press(Key::Enter);
    step(h);
    type_into(h, "Start", "09:00");
    for item in ["Velkommen og innsjekk", "Gruppearbeid om overganger"] {
        type_into(h, "Nytt programpunkt", item);
        h.key_press(Key::Enter);
        step(h);
    }
    unfocus(h);
    assert_eq!(view(h).gatherings[0].agenda.len(), 2);
}

#[test]
fn an_earlier_version_is_shown_read_only_and_restored_as_a_new_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    create_project(&mut h, "Trygge overganger");
    type_into(&mut h, "Realistisk drøm", "Alle barn skal trives");
    unfocus(&mut h);

    // Later she adds a task.
    h.get_all_by_label_contains("1. Oppstart")
        .next()
        .unwrap()
        .click();
    step(&mut h);
    type_into(&mut h, "Ny oppgave", "Ringe rådmannen");
    h.key_press(Key::Enter);
    step(&mut h);
    unfocus(&mut h);
    h.get_by_label("Ringe rådmannen");
    let changes_before = h
        .state_mut()
        .state
        .session
        .as_mut()
        .unwrap()
        .project
        .with(|d| d.history())
        .len();

    // History: who (from the project's people) and what.
    h.get_by_label("🕘  Historikk").click();
    step(&mut h);
    h.get_by_label("Kari Nordmann");
    assert!(h.get_all_by_label("RVTS Sør").count() >= 1);
    h.get_by_label_contains("La til oppgave «Ringe rådmannen»");

    // The project as it was right after the goal was written: no task yet.
    h.get_by_label_contains("Skrev målet").click();
    step(&mut h);
    h.get_by_label_contains("Slik så prosjektet ut etter endringen");
    assert_eq!(
        h.get_by_label("Realistisk drøm").value().as_deref(),
        Some("Alle barn skal trives")
    );
    h.get_all_by_label_contains("1. Oppstart")
        .next()
        .unwrap()
        .click();
    step(&mut h);
    assert!(h.query_by_label("Ringe rådmannen").is_none());
    // Nothing changed by looking.
    assert!(
        view(&h).phases[0]
            .tasks
            .iter()
            .any(|t| t.title == "Ringe rådmannen")
    );

    // Restore it, after saying yes.
    h.get_by_label("⟲ Gjenopprett denne versjonen").click();
    step(&mut h);
    h.get_by_label_contains("Gjenopprettingen blir en ny endring");
    h.get_by_label("Gjenopprett").click();
    step(&mut h);
    assert!(h.query_by_label_contains("Slik så prosjektet ut").is_none());
    let v = view(&h);
    assert!(
        v.phases[0]
            .tasks
            .iter()
            .all(|t| t.title != "Ringe rådmannen")
    );
    assert_eq!(v.meta.goal, "Alle barn skal trives");

    // History was not rewritten: the task's change is still there, and the restore
    // is one more.
    let history = h
        .state_mut()
        .state
        .session
        .as_mut()
        .unwrap()
        .project
        .with(|d| d.history());
    assert_eq!(history.len(), changes_before + 1);
    assert!(history.iter().any(|e| e.msg.contains("Ringe rådmannen")));
    h.get_by_label("🕘  Historikk").click();
    step(&mut h);
    h.get_by_label_contains("Gjenopprettet prosjektet slik det var etter");

    // Angre undoes the whole restore in one step: the task is back, nothing else
    // changed, and no mix of the two versions is left.
    let restored = view(&h);
    h.get_by_label("⟲ Angre").click();
    step(&mut h);
    let undone = view(&h);
    assert!(
        undone.phases[0]
            .tasks
            .iter()
            .any(|t| t.title == "Ringe rådmannen"),
        "the task is back"
    );
    assert_eq!(undone.meta.goal, "Alle barn skal trives");
    assert_eq!(
        undone.phases[0].tasks.len(),
        restored.phases[0].tasks.len() + 1,
        "exactly the one task the restore took away"
    );
}

#[test]
fn a_named_checkpoint_is_listed_and_shows_the_project_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    create_project(&mut h, "Læringsnettverk");
    type_into(&mut h, "Realistisk drøm", "Før samlingen");
    unfocus(&mut h);

    h.get_by_label("🕘  Historikk").click();
    step(&mut h);
    type_into(&mut h, "Navn på sjekkpunkt", "Etter første samling");
    h.get_by_label("⚑ Legg til sjekkpunkt").click();
    step(&mut h);
    let v = view(&h);
    assert_eq!(v.checkpoints.len(), 1);
    assert_eq!(v.checkpoints[0].name, "Etter første samling");
    h.get_by_label("Etter første samling");

    // The goal changes afterwards.
    h.get_by_label("Oversikt").click();
    step(&mut h);
    type_into(&mut h, "Realistisk drøm", " – og etter");
    unfocus(&mut h);
    assert_eq!(view(&h).meta.goal, "Før samlingen – og etter");

    // At the checkpoint, the goal was as before.
    h.get_by_label("🕘  Historikk").click();
    step(&mut h);
    h.get_all_by_label("Vis").next().unwrap().click();
    step(&mut h);
    h.get_by_label_contains("«Etter første samling»");
    assert_eq!(
        h.get_by_label("Realistisk drøm").value().as_deref(),
        Some("Før samlingen")
    );
    h.get_by_label("↩ Tilbake til nåværende versjon").click();
    step(&mut h);
    assert_eq!(
        h.get_by_label("Realistisk drøm").value().as_deref(),
        Some("Før samlingen – og etter")
    );
}

#[test]
fn a_gathering_is_run_item_by_item_with_notes_in_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    create_project(&mut h, "Bedre overganger");
    gathering_with_agenda(&mut h);

    h.get_by_label("▶ Kjør").click();
    step(&mut h);
    let g = &view(&h).gatherings[0];
    assert!(g.run.is_running());
    assert_eq!(g.run.current, g.agenda[0].id);
    h.get_by_label_contains("Programpunkt 1 / 2");
    h.get_by_label_contains("15:00 igjen");
    h.get_by_label("Deretter: Gruppearbeid om overganger (15 min)");

    // Next.
    h.get_by_label("Neste ⏵").click();
    step(&mut h);
    h.get_by_label_contains("Programpunkt 2 / 2");
    h.get_by_label("Dette er siste programpunkt.");
    let g = &view(&h).gatherings[0];
    assert_eq!(g.run.current, g.agenda[1].id);
    // The first item's actual time is in the table of planned against actual.
    h.get_by_label("Planlagt og faktisk tid");
    assert!(
        g.run
            .actual
            .iter()
            .any(|a| a.item == g.agenda[0].id && a.ended_at.is_some())
    );

    // A note goes into the gathering's log, headed by the item on now.
    type_into(&mut h, "Notat til loggen", "Gruppene ønsker mer tid");
    h.get_by_label("Skriv i loggen").click();
    step(&mut h);
    assert!(
        view(&h).gatherings[0]
            .log
            .contains("Gruppearbeid om overganger: Gruppene ønsker mer tid")
    );

    // Stop.
    h.get_by_label("■ Avslutt").click();
    step(&mut h);
    let g = &view(&h).gatherings[0];
    assert!(!g.run.is_running());
    assert!(g.run.finished_at.is_some());
    h.get_by_label("Samlingen er ferdig.");
}

#[test]
fn space_and_right_arrow_move_on_once_per_press_when_no_field_has_the_keyboard() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    create_project(&mut h, "Tastatur");
    gathering_with_agenda(&mut h);
    h.get_by_label("▶ Kjør").click();
    step(&mut h);
    unfocus(&mut h);
    h.key_press(Key::Space);
    step(&mut h);
    // A burst of spaces (text typed while the note field lost the keyboard) moves on
    // once, not through the whole agenda.
    h.key_press(Key::Space);
    step(&mut h);
    let g = &view(&h).gatherings[0];
    assert_eq!(g.run.current, g.agenda[1].id);
    std::thread::sleep(Duration::from_millis(1600));
    h.key_press(Key::ArrowRight);
    step(&mut h);
    let g = &view(&h).gatherings[0];
    assert!(
        !g.run.is_running(),
        "past the last item the gathering is done"
    );
}

#[test]
fn a_co_facilitator_moving_the_agenda_on_shows_the_new_item_here() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    create_project(&mut h, "Samspill på tvers");
    gathering_with_agenda(&mut h);

    // Ola, on his machine, starts the gathering; Kari's copy merges his change.
    let ola_moves = |h: &mut Harness<'_, SamspillApp>, start: bool| {
        let app = h.state_mut();
        let handle = app.state.session.as_ref().unwrap().project.clone();
        handle.with(|doc| {
            let gid: GatheringId = doc.view().gatherings[0].id.parse().unwrap();
            let bytes = doc.automerge_mut().save();
            let ola = Editor {
                author: PersonId::random(&mut SeededEntropy::new(7)),
                clock: Box::new(FixedClock(1_750_000_000_000)),
                entropy: Box::new(SeededEntropy::new(8)),
            };
            let mut remote = ProjectDoc::load(&bytes, ActorId::random(), ola).unwrap();
            if start {
                remote.run_start(&gid).unwrap();
            } else {
                remote.run_next(&gid).unwrap();
            }
            doc.automerge_mut().merge(remote.automerge_mut()).unwrap();
        });
    };
    ola_moves(&mut h, true);
    step(&mut h);

    // The banner says a gathering is on; Kari follows.
    h.get_by_label("Samling pågår: Velkommen og innsjekk");
    h.get_all_by_label("👁 Følg").next().unwrap().click();
    step(&mut h);
    h.get_by_label_contains("Programpunkt 1 / 2");
    h.get_by_label("Du følger samlingen");
    assert!(
        h.query_by_label("Neste ⏵").is_none(),
        "following, not leading"
    );

    // Ola moves on: Kari sees the new item without doing anything.
    ola_moves(&mut h, false);
    step(&mut h);
    h.get_by_label_contains("Programpunkt 2 / 2");
    h.get_by_label("Dette er siste programpunkt.");

    // She can take over.
    h.get_by_label("Ta over styringen").click();
    step(&mut h);
    h.get_by_label("✔ Avslutt samlingen").click();
    step(&mut h);
    assert!(!view(&h).gatherings[0].run.is_running());
}

#[test]
fn the_agenda_is_printed_to_a_pdf_where_the_user_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    create_project(&mut h, "Utskrift");
    gathering_with_agenda(&mut h);
    let target = dir.path().join("ut").join("program");
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Fil")
        .scroll_to_me();
    step(&mut h);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Fil")
        .focus();
    step(&mut h);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Fil")
        .type_text(&target.display().to_string());
    step(&mut h);
    unfocus(&mut h);
    h.get_by_label("🖶 PDF").scroll_to_me();
    step(&mut h);
    h.get_by_label("🖶 PDF").click();
    step(&mut h);
    let pdf = target.with_extension("pdf");
    let bytes = std::fs::read(&pdf).expect("the PDF was written");
    assert!(bytes.starts_with(b"%PDF"));
    // Under the buttons and in the notice line.
    let said = format!("Skrevet til {}", pdf.display());
    assert_eq!(h.get_all_by_label_contains(&said).count(), 2);
}

#[test]
fn a_due_date_set_on_two_machines_at_once_is_shown_with_the_other_value_on_offer() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    create_project(&mut h, "Samtidige frister");

    // Kari and Ola both set the first task's due date while apart.
    {
        let app = h.state_mut();
        let handle = app.state.session.as_ref().unwrap().project.clone();
        handle.with(|doc| {
            let task: samspill_shared::ids::TaskId =
                doc.view().phases[0].tasks[0].id.parse().unwrap();
            let bytes = doc.automerge_mut().save();
            let ola = Editor {
                author: PersonId::random(&mut SeededEntropy::new(7)),
                clock: Box::new(FixedClock(1_750_000_000_000)),
                entropy: Box::new(SeededEntropy::new(8)),
            };
            let mut remote = ProjectDoc::load(&bytes, ActorId::random(), ola).unwrap();
            remote.set_task_due(&task, "2026-12-05").unwrap();
            doc.set_task_due(&task, "2026-12-01").unwrap();
            doc.automerge_mut().merge(remote.automerge_mut()).unwrap();
        });
    }
    h.get_all_by_label_contains("1. Oppstart")
        .next()
        .unwrap()
        .click();
    step(&mut h);
    h.get_by_label_contains("Endret samtidig");
    let task = view(&h).phases[0].tasks[0].clone();
    let other = task.conflicts[0].others[0].clone();
    h.get_by_label(&format!("Bruk «{other}»")).click();
    step(&mut h);
    let task = view(&h).phases[0].tasks[0].clone();
    assert_eq!(task.due, other);
    assert!(task.conflicts.is_empty());
    assert!(h.query_by_label_contains("Endret samtidig").is_none());
}
