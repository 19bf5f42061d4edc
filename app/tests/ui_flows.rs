//! The desktop app driven as a person would: by the labels on screen.
//!
//! Each test starts the app on a fresh data directory, with the profile of Kari
//! Nordmann from RVTS Sør, and clicks and types its way through a flow.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{four_phase, harness, new_app, view};
use std::time::Duration;

use automerge::ActorId;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use samspill::device::Device;
use samspill::ui::SamspillApp;
use samspill_shared::ids::{PersonId, SeededEntropy};
use samspill_shared::model::{Editor, FixedClock, ProjectDoc};

/// Steps until background work (loading a project, listing projects) is done.
/// The app on `dir`, its one project open on "Deling og tilgang".
fn sharing_page(dir: &std::path::Path) -> Harness<'static, SamspillApp> {
    let mut h = harness(new_app(dir));
    settle(&mut h);
    h.get_by_label("Åpne").click();
    settle(&mut h);
    h.get_all_by_label_contains("Deling og tilgang")
        .next()
        .unwrap()
        .click();
    h.run();
    h
}

fn settle(h: &mut Harness<'_, SamspillApp>) {
    for _ in 0..400 {
        h.step();
        if !h.state().is_busy() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!h.state().is_busy(), "background work did not finish");
    h.run();
}

/// Creates a project from the four-phase template through the "new project" dialog.
fn create_project(h: &mut Harness<'_, SamspillApp>, title: &str) {
    h.get_by_label("+ Nytt prosjekt").click();
    h.run();
    let name = h.get_by_label("Prosjektnavn");
    name.focus();
    name.type_text(title);
    h.run();
    let service = h.get_by_label("Tjeneste");
    service.focus();
    service.type_text("Hjemmetjenesten i Lindvik kommune");
    h.run();
    h.get_by_label("Opprett prosjekt").click();
    settle(h);
}

/// Scrolls a widget into view, as a person would, and clicks it.
fn click_scrolled(h: &mut Harness<'_, SamspillApp>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run();
    h.get_by_label(label).click();
    h.run();
}

#[test]
fn a_new_project_from_the_four_phase_template_opens_with_its_phases() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    h.get_by_label_contains("Du har ingen prosjekter ennå");

    create_project(&mut h, "Bedre overganger i hjemmetjenesten");

    for phase in [
        "1. Oppstart",
        "2. Planlegging",
        "3. Gjennomføring",
        "4. Evaluering",
    ] {
        // In the side panel and in the overview's phase progress.
        assert_eq!(h.query_all_by_label_contains(phase).count(), 2);
    }
    let v = view(&h);
    assert_eq!(v.meta.title, "Bedre overganger i hjemmetjenesten");
    assert_eq!(v.meta.service, "Hjemmetjenesten i Lindvik kommune");
    assert!(v.people.iter().any(|p| p.name == "Kari Nordmann"));

    // The project list shows it, with its phase progress.
    h.get_by_label("📂  Prosjekter").click();
    settle(&mut h);
    h.get_by_label("Åpne");
    h.get_by_label_contains("Oppstart  0/");
}

#[test]
fn tasks_are_added_ticked_and_the_tick_can_be_undone() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    create_project(&mut h, "Samarbeid om barn i barnehagen");

    // The side panel comes first.
    h.get_all_by_label_contains("1. Oppstart")
        .next()
        .unwrap()
        .click();
    h.run();
    // The phase guide from the template, with "read more".
    h.get_by_label_contains("Oppstarten handler om");
    h.get_by_label("Les mer").click();
    h.run();
    h.get_by_label_contains("Vi arbeider styrkebasert");

    let new_task = h.get_by_label("Ny oppgave");
    new_task.focus();
    new_task.type_text("Avtale oppstartsmøte med enhetsleder");
    h.run();
    h.key_press(Key::Enter);
    h.run();
    let v = view(&h);
    let task = v.phases[0]
        .tasks
        .iter()
        .find(|t| t.title == "Avtale oppstartsmøte med enhetsleder")
        .expect("the task was added");
    assert!(!task.done);

    h.get_by_label("Avtale oppstartsmøte med enhetsleder")
        .click();
    h.run();
    let v = view(&h);
    let task = v.phases[0]
        .tasks
        .iter()
        .find(|t| t.title == "Avtale oppstartsmøte med enhetsleder")
        .unwrap();
    assert!(task.done);
    assert!(!task.done_by.is_empty());
    h.get_by_label_contains("Utført av Kari Nordmann");

    // Tick a checklist item too: who ticked it is shown.
    let first_check = v.phases[0].checklist[0].text.clone();
    click_scrolled(&mut h, &first_check);
    h.get_by_label_contains("✔ Kari Nordmann");

    // Ctrl+Z undoes the last edit (the checklist tick), then the task tick.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert!(!view(&h).phases[0].checklist[0].done);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    let v = view(&h);
    assert!(
        !v.phases[0]
            .tasks
            .iter()
            .find(|t| t.title.starts_with("Avtale"))
            .unwrap()
            .done
    );
    // And Ctrl+Shift+Z redoes it.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run();
    assert!(
        view(&h).phases[0]
            .tasks
            .iter()
            .find(|t| t.title.starts_with("Avtale"))
            .unwrap()
            .done
    );

    // The changes are on disk after the save delay.
    std::thread::sleep(samspill::ui::app::SAVE_DELAY);
    h.run();
    // Written by the saver thread: wait for it.
    settle(&mut h);
    let device = Device::open(dir.path()).unwrap();
    let id = device.store.list().unwrap()[0];
    let saved = device
        .open_project(&id, samspill::device::Access::Read)
        .unwrap()
        .view();
    assert!(
        saved.phases[0]
            .tasks
            .iter()
            .any(|t| t.title.starts_with("Avtale") && t.done)
    );
}

#[test]
fn an_agenda_shows_clock_times_and_takes_a_method_from_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    create_project(&mut h, "Læringsnettverk for helsesykepleiere");

    h.get_by_label_contains("Samlinger").click();
    h.run();
    h.get_by_label_contains("Ingen samlinger ennå");
    let name = h.get_by_label("Navn på ny samling");
    name.focus();
    name.type_text("Første samling");
    h.run();
    h.key_press(Key::Enter);
    h.run();

    let start = h.get_by_label("Start");
    start.focus();
    start.type_text("09:00");
    h.run();
    let item = h.get_by_label("Nytt programpunkt");
    item.focus();
    item.type_text("Velkommen og innsjekk");
    h.run();
    h.key_press(Key::Enter);
    h.run();
    h.get_by_label("09:00");
    h.get_by_label_contains("Totalt: 15 min");

    // From the library: search, read, add.
    h.get_by_label("📖  Metodebibliotek").click();
    h.run();
    let search = h.get_by_label("Søk i metoder");
    search.focus();
    search.type_text("IGP");
    h.run();
    h.get_by_label("Hensikt");
    h.get_by_label_contains("IGP er en enkel og strukturert form");
    click_scrolled(&mut h, "+ Legg til i programmet");

    // Back in the gathering: the method follows the first item at 09:15.
    h.get_by_label("09:15");
    h.get_by_label_contains("Totalt: 45 min");
    h.get_by_label_contains("slutter 09:45");
    let g = &view(&h).gatherings[0];
    assert_eq!(g.agenda.len(), 2);
    assert_eq!(g.agenda[1].method, "igp");

    // Moving the method first recomputes the times.
    h.get_all_by_label("⏶").nth(1).unwrap().click();
    h.run();
    let g = &view(&h).gatherings[0];
    assert_eq!(g.agenda[0].method, "igp");
    assert_eq!(g.agenda[1].starts_at.as_deref(), Some("09:30"));
}

#[test]
fn switching_the_language_to_english_changes_every_label() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    h.get_by_label("⚙  Innstillinger").click();
    h.run();
    h.get_by_label("English").click();
    h.run();
    h.get_by_label("Lagre").click();
    h.run();
    h.get_by_label("📂  Projects");
    h.get_by_label("📖  Method library");
    h.get_by_label_contains("Local");
    assert!(h.query_by_label("📂  Prosjekter").is_none());
    // Persisted in the profile.
    let device = Device::open(dir.path()).unwrap();
    assert_eq!(device.profile.language, samspill_shared::content::Lang::En);
}

#[test]
fn a_danish_facilitator_gets_the_app_in_danish_with_danish_plurals() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    h.get_by_label("⚙  Innstillinger").click();
    h.run();
    h.get_by_label("Dansk").click();
    h.run();
    h.get_by_label("Lagre").click();
    h.run();
    h.get_by_label("📂  Projekter");
    h.get_by_label("⚙  Indstillinger");
    assert!(h.query_by_label("📂  Prosjekter").is_none());
    // The library counts its methods with the plural form.
    h.get_by_label_contains("Metodebibliotek").click();
    h.run();
    let n = samspill_shared::content::library().methods.len();
    h.get_by_label(&format!("{n} metoder"));
    let device = Device::open(dir.path()).unwrap();
    assert_eq!(device.profile.language, samspill_shared::content::Lang::Da);
}

#[test]
fn a_remote_edit_while_typing_does_not_make_the_cursor_jump() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    create_project(&mut h, "Trygg oppvekst i Lindvik");

    let goal = h.get_by_label("Realistisk drøm");
    goal.focus();
    goal.type_text("alle barn skal");
    h.run();

    // Meanwhile Ola, on another machine, puts words in front of what Kari is typing.
    {
        let app = h.state_mut();
        let handle = app.state.session.as_ref().unwrap().project.clone();
        handle.with(|doc| {
            let bytes = doc.automerge_mut().save();
            let ola = Editor {
                author: PersonId::random(&mut SeededEntropy::new(2)),
                clock: Box::new(FixedClock(1_750_000_000_000)),
                entropy: Box::new(SeededEntropy::new(3)),
            };
            let mut remote = ProjectDoc::load(&bytes, ActorId::random(), ola).unwrap();
            remote.set_goal("I Lindvik: alle barn skal").unwrap();
            doc.automerge_mut().merge(remote.automerge_mut()).unwrap();
        });
    }
    h.run();
    assert_eq!(
        h.get_by_label("Realistisk drøm").value().as_deref(),
        Some("I Lindvik: alle barn skal")
    );

    // Kari keeps typing: her words land after her own, not in the middle of Ola's.
    h.get_by_label("Realistisk drøm").type_text(" trives");
    h.run();
    assert_eq!(view(&h).meta.goal, "I Lindvik: alle barn skal trives");
    assert_eq!(
        h.get_by_label("Realistisk drøm").value().as_deref(),
        Some("I Lindvik: alle barn skal trives")
    );
}

#[test]
fn an_existing_project_opens_on_a_background_thread() {
    let dir = tempfile::tempdir().unwrap();
    {
        let device = Device::open(dir.path()).unwrap();
        let p = four_phase(&device, "Fra kommandolinjen");
        p.save().unwrap();
    }
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    h.get_by_label("Åpne").click();
    settle(&mut h);
    assert_eq!(view(&h).meta.title, "Fra kommandolinjen");
    h.get_all_by_label_contains("4. Evaluering").next().unwrap();
}

#[test]
fn norwegian_letters_survive_a_bound_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    create_project(&mut h, "Æ Ø Å");
    let goal = h.get_by_label("Realistisk drøm");
    goal.focus();
    for ch in ["P", "å", " ", "ø", "y", "a"] {
        h.get_by_label("Realistisk drøm").type_text(ch);
        h.run();
    }
    assert_eq!(view(&h).meta.goal, "På øya");
}

#[test]
fn after_enter_in_new_task_the_focus_stays_there_and_the_next_space_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    create_project(&mut h, "Fokus");
    h.get_all_by_label_contains("1. Oppstart")
        .next()
        .unwrap()
        .click();
    h.run();
    let new_task = h.get_by_label("Ny oppgave");
    new_task.focus();
    new_task.type_text("Første");
    h.run();
    h.key_press(Key::Enter);
    h.run();
    assert!(
        h.get_by_label("Ny oppgave").is_focused(),
        "focus stays in the field"
    );
    // The person goes on typing without clicking: a space, then words.
    h.key_press(Key::Space);
    h.event(egui::Event::Text(" Andre oppgave".to_owned()));
    h.run();
    h.key_press(Key::Enter);
    h.run();
    let v = view(&h);
    let titles: Vec<&str> = v.phases[0].tasks.iter().map(|t| t.title.as_str()).collect();
    assert!(titles.contains(&"Første"), "{titles:?}");
    assert!(titles.contains(&"Andre oppgave"), "{titles:?}");
    assert!(
        v.phases[0].tasks.iter().all(|t| !t.done),
        "the space ticked nothing"
    );
}

#[test]
fn a_task_added_from_the_command_line_shows_up_in_the_open_app() {
    let dir = tempfile::tempdir().unwrap();
    let app = new_app(dir.path());
    // The app watches its files for other programs' writes.
    let _watch = samspill::watch::FileWatch::start(&app.state.device);
    let mut h = harness(app);
    settle(&mut h);
    create_project(&mut h, "Side om side");
    let id = h
        .state()
        .state
        .session
        .as_ref()
        .unwrap()
        .project
        .id()
        .to_string();
    let data = dir.path().to_owned();
    let cli = move |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_samspill"))
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // Kari types in the app while a script adds tasks to the same project.
    let script = std::thread::spawn({
        let id = id.clone();
        move || {
            for i in 0..5 {
                cli(&[
                    "task",
                    "add",
                    &id,
                    "--phase",
                    "1",
                    &format!("Fra skriptet {i}"),
                ]);
            }
        }
    });
    h.get_all_by_label_contains("1. Oppstart")
        .next()
        .unwrap()
        .click();
    h.run();
    for i in 0..5 {
        let new_task = h.get_by_label("Ny oppgave");
        new_task.focus();
        new_task.type_text(&format!("Fra appen {i}"));
        h.run();
        h.key_press(Key::Enter);
        h.run();
    }
    script.join().unwrap();
    let all_there = |h: &Harness<'_, SamspillApp>| {
        let v = view(h);
        (0..5).all(|i| {
            v.phases[0]
                .tasks
                .iter()
                .any(|t| t.title == format!("Fra skriptet {i}"))
                && v.phases[0]
                    .tasks
                    .iter()
                    .any(|t| t.title == format!("Fra appen {i}"))
        })
    };
    for _ in 0..400 {
        if all_there(&h) {
            break;
        }
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(all_there(&h), "the script's tasks reached the open app");
    h.state_mut().flush();
    // On disk, as another program reads it: all ten, once each.
    let device = Device::open(dir.path()).unwrap();
    let saved = device
        .open_project(&id.parse().unwrap(), samspill::device::Access::Read)
        .unwrap()
        .view();
    let mut titles: Vec<String> = saved.phases[0]
        .tasks
        .iter()
        .filter(|t| t.title.starts_with("Fra "))
        .map(|t| t.title.clone())
        .collect();
    titles.sort();
    assert_eq!(titles.len(), 10, "{titles:?}");
    titles.dedup();
    assert_eq!(titles.len(), 10, "nothing twice");
}

#[test]
fn a_clicked_invite_link_opens_the_join_dialog_filled_in_and_joins_nothing_by_itself() {
    use samspill_shared::crypto::ProjectSecret;
    use samspill_shared::link::Invite;
    let secret = ProjectSecret::from_bytes([7; 32]);
    let link = Invite::new("ws://127.0.0.1:1".parse().unwrap(), secret).to_string();
    let key_part = link.rsplit('#').next().unwrap().to_owned();

    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(dir.path());
    // What `samspill LINK` (the link handler) does.
    app.open_invite(&format!("  {link}\n"));
    let mut h = harness(app);
    settle(&mut h);
    h.get_by_label_contains("Du åpnet en invitasjonslenke");
    // It says where the project comes from, and never shows the key.
    h.get_by_label("Prosjektet hentes fra reléet: ws://127.0.0.1:1");
    assert!(
        h.query_all_by_label_contains(&key_part).count() <= 1,
        "only in the field"
    );
    // The dialog's button (beside the page's own and the dialog's heading) is ready.
    let disabled = |h: &Harness<'_, SamspillApp>| {
        h.query_all_by_label("Bli med")
            .filter(|n| egui_kittest::kittest::NodeT::accesskit_node(n).is_disabled())
            .count()
    };
    assert_eq!(h.query_all_by_label("Bli med").count(), 3);
    assert_eq!(disabled(&h), 0);
    assert!(h.state().state.rows.is_empty(), "nothing joined");

    // Cancelling closes it and joins nothing.
    h.get_by_label("Avbryt").click();
    settle(&mut h);
    assert!(
        h.query_by_label_contains("Du åpnet en invitasjonslenke")
            .is_none()
    );
    assert!(
        Device::open(dir.path())
            .unwrap()
            .store
            .list()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_link_that_is_not_an_invite_is_said_so_and_cannot_be_joined() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = new_app(dir.path());
    app.open_invite("https://example.com/not-an-invite");
    let mut h = harness(app);
    settle(&mut h);
    h.get_by_label_contains("Dette er ikke en invitasjonslenke fra Samspill");
    let disabled = h
        .query_all_by_label("Bli med")
        .filter(|n| egui_kittest::kittest::NodeT::accesskit_node(n).is_disabled())
        .count();
    assert_eq!(disabled, 1, "the dialog's join button is disabled");
}

#[test]
fn a_viewer_sees_the_project_read_only_and_no_change_is_made() {
    let dir = tempfile::tempdir().unwrap();
    {
        let device = Device::open(dir.path()).unwrap();
        let p = four_phase(&device, "Bare for lesing");
        p.save().unwrap();
        // What joining from a viewer's link leaves: the viewer's key, not the secret.
        let viewer = p
            .files()
            .capability()
            .unwrap()
            .for_role(samspill_shared::crypto::Role::Viewer)
            .unwrap();
        samspill::store::restore_secret(p.files(), &viewer).unwrap();
    }
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    h.get_by_label("Åpne").click();
    settle(&mut h);
    h.get_by_label("Du har lesetilgang");
    h.get_all_by_label_contains("1. Oppstart")
        .next()
        .unwrap()
        .click();
    h.run();
    h.get_by_label("Pågår").click();
    h.run();
    assert_eq!(
        view(&h).phases[0].status,
        samspill_shared::model::PhaseStatus::NotStarted,
        "a viewer's click changed the project"
    );
    h.get_by_label("Du har lesetilgang til dette prosjektet, så endringen ble ikke gjort.");
    // The sharing page says there is nothing to share yet, and offers no share button.
    h.get_all_by_label_contains("Deling og tilgang")
        .next()
        .unwrap()
        .click();
    h.run();
    h.get_by_label_contains("Prosjektet finnes bare på denne maskinen");
    assert!(h.query_by_label("🔗 Del").is_none());
}

#[test]
fn removing_someone_asks_first_and_says_what_removal_does_and_does_not_do() {
    let dir = tempfile::tempdir().unwrap();
    {
        let device = Device::open(dir.path()).unwrap();
        let p = four_phase(&device, "Med Carol");
        let carol: samspill_shared::ids::PersonId = "carolcarol01".parse().unwrap();
        p.with(|d| {
            d.upsert_person(
                &carol,
                &samspill_shared::model::PersonFields {
                    name: "Carol",
                    centre: "RBUP",
                    role: "",
                    colour: "#336699",
                },
            )
        })
        .unwrap();
        p.save().unwrap();
        // Shared (as `share` leaves it): the page then offers removal.
        let relay: samspill::sync::RelayRef = "ws://127.0.0.1:9".parse().unwrap();
        let file = samspill::sync::SyncFile::with(vec![samspill::sync::RelaySync::new(relay, 0)]);
        samspill::sync::persist::save(p.files(), &file).unwrap();
    }
    let mut h = sharing_page(dir.path());
    // One button, for Carol: nobody removes themselves.
    let buttons: Vec<_> = h.get_all_by_label("Fjern fra prosjektet").collect();
    assert_eq!(buttons.len(), 1);
    buttons[0].click();
    h.run();
    h.get_by_label("Fjerne Carol fra prosjektet?");
    h.get_by_label_contains("Carol kan ikke lese noe som skrives etter dette");
    h.get_by_label_contains("kan ikke tas tilbake");
    h.get_by_label("Avbryt").click();
    h.run();
    assert!(h.query_by_label("Fjerne Carol fra prosjektet?").is_none());
    assert!(
        view(&h).people.iter().all(|p| p.removed.is_none()),
        "cancelling changed the project"
    );
}

#[test]
fn dates_and_times_are_typed_the_norwegian_way() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(new_app(dir.path()));
    settle(&mut h);
    create_project(&mut h, "Datoer på norsk");
    // Something that is no date changes nothing (and stays in the field, red).
    let start = h.get_by_label("Startdato");
    start.focus();
    start.type_text("31.2.2028");
    h.run();
    h.get_by_label("Sluttdato").focus();
    h.run();
    assert_eq!(view(&h).meta.start_date, "");
    // Typed as in Norway, stored as ISO.
    let end = h.get_by_label("Sluttdato");
    end.type_text("3.2.2028");
    h.run();
    h.get_by_label("Startdato").focus();
    h.run();
    assert_eq!(view(&h).meta.end_date, "2028-02-03");
}

#[test]
fn the_first_start_asks_who_you_are_and_can_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path()).unwrap();
    let mut h = harness(SamspillApp::new(device, dir.path().to_owned()));
    settle(&mut h);
    h.get_by_label("Velkommen til Samspill");
    // The name starts as the login name: select it all and type over it.
    h.get_by_label("Navn").focus();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("Navn").type_text("Kari Nordmann");
    let centre = h.get_by_label("Senter");
    centre.focus();
    centre.type_text("RVTS Sør");
    h.run();
    h.get_by_label("Lagre og start").click();
    settle(&mut h);
    assert!(h.query_by_label("Velkommen til Samspill").is_none());
    let saved = Device::open(dir.path()).unwrap().profile;
    assert_eq!(saved.centre, "RVTS Sør");
    assert!(saved.name.ends_with("Kari Nordmann"), "{}", saved.name);
    assert!(saved.welcomed);
    drop(h);

    // Not again by itself.
    let mut h = harness(SamspillApp::new(
        Device::open(dir.path()).unwrap(),
        dir.path().to_owned(),
    ));
    settle(&mut h);
    assert!(h.query_by_label("Velkommen til Samspill").is_none());

    // Skipped on another machine: not shown the next time either.
    let other = tempfile::tempdir().unwrap();
    let mut h = harness(SamspillApp::new(
        Device::open(other.path()).unwrap(),
        other.path().to_owned(),
    ));
    settle(&mut h);
    h.get_by_label("Hopp over").click();
    settle(&mut h);
    assert!(h.query_by_label("Velkommen til Samspill").is_none());
    drop(h);
    let mut h = harness(SamspillApp::new(
        Device::open(other.path()).unwrap(),
        other.path().to_owned(),
    ));
    settle(&mut h);
    assert!(h.query_by_label("Velkommen til Samspill").is_none());
}

#[test]
fn a_project_shared_on_the_local_network_only_says_so_on_the_sharing_page() {
    let dir = tempfile::tempdir().unwrap();
    {
        let device = Device::open(dir.path()).unwrap();
        let p = four_phase(&device, "På samlingen");
        // `samspill invite ID --role editor --lan`: shared on the LAN, no relay.
        samspill::sync::invite(
            &device,
            &p.id(),
            samspill_shared::crypto::Role::Editor,
            true,
        )
        .unwrap();
    }
    let h = sharing_page(dir.path());
    h.get_by_label_contains("Prosjektet er bare delt på nettverket");
    assert!(
        h.query_by_label_contains("finnes bare på denne maskinen")
            .is_none()
    );
    h.get_by_label_contains("Lag lenke for dette nettverket");
}
