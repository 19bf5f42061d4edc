//! Every page at 1024×640, the smallest window the app is made for: each control is
//! found by its label, lies within the window's width without sideways scrolling,
//! and, scrolled down to as a person would, inside its height.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{four_phase, new_app};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use samspill::ui::SamspillApp;
use samspill::ui::file_dialog::{Chosen, FileDialogs, OpenRequest, SaveRequest};

const W: f32 = 1024.0;
const H: f32 = 640.0;

fn small_harness(app: SamspillApp) -> Harness<'static, SamspillApp> {
    Harness::builder()
        .with_size(egui::vec2(W, H))
        .with_max_steps(24)
        .build_ui_state(|ui, app: &mut SamspillApp| app.frame_ui(ui), app)
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

/// Every control labelled `label` (at least one) can be scrolled into the window.
fn reachable(h: &mut Harness<'_, SamspillApp>, page: &str, label: &str) {
    let n = h.query_all_by_label(label).count();
    assert!(n > 0, "{page}: no control labelled {label:?}");
    for i in 0..n {
        // Across: inside the window as laid out, with no sideways scrolling needed.
        let r = h.query_all_by_label(label).nth(i).unwrap().rect();
        assert!(
            r.left() >= -0.5 && r.right() <= W + 0.5,
            "{page}: {label:?} (#{i}) lies at {r:?}, past the edge of the {W}-wide window"
        );
        // Down: there once scrolled to.
        h.query_all_by_label(label).nth(i).unwrap().scroll_to_me();
        h.run();
        let r = h.query_all_by_label(label).nth(i).unwrap().rect();
        assert!(
            r.top() >= -0.5 && r.bottom() <= H + 0.5,
            "{page}: {label:?} (#{i}) lies at {r:?}, outside the {H}-high window after scrolling"
        );
    }
}

fn page(h: &mut Harness<'_, SamspillApp>, page: &str, labels: &[&str]) {
    for label in labels {
        reachable(h, page, label);
    }
}

fn click(h: &mut Harness<'_, SamspillApp>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run();
    h.get_by_label(label).click();
    h.run();
    settle(h);
}

/// Clicks the side menu's entry whose label starts with `text` (the menu comes first
/// on screen; its entries carry counts after the name).
fn nav(h: &mut Harness<'_, SamspillApp>, text: &str) {
    let by = egui_kittest::kittest::By::new().predicate(move |n| {
        n.role() == egui::accesskit::Role::Button
            && n.label().is_some_and(|l| {
                l.trim_start_matches(|c: char| !c.is_alphanumeric())
                    .starts_with(text)
            })
    });
    h.get_all(by).next().unwrap().click();
    h.run();
    settle(h);
}

/// Answers save dialogs with a path in the test's directory, and records the question.
struct AnswerWith {
    path: std::path::PathBuf,
    asked: Mutex<Vec<SaveRequest>>,
}

impl FileDialogs for AnswerWith {
    fn save(&self, request: &SaveRequest) -> Chosen {
        self.asked.lock().unwrap().push(request.clone());
        Chosen::File(self.path.clone())
    }
    fn open(&self, _: &OpenRequest) -> Chosen {
        Chosen::Cancelled
    }
}

#[test]
fn every_page_fits_a_1024_by_640_window() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("utskrift").join("program");
    let dialogs = Arc::new(AnswerWith {
        path: saved.clone(),
        asked: Mutex::new(Vec::new()),
    });
    std::fs::create_dir_all(saved.parent().unwrap()).unwrap();
    let app = new_app(dir.path()).with_file_dialogs(dialogs.clone());
    let mut h = small_harness(app);
    settle(&mut h);

    page(
        &mut h,
        "Prosjekter",
        &["+ Nytt prosjekt", "Importer", "Bli med", "Skjul sidemenyen"],
    );

    // The new-project dialog, with every template (the Danish one in Danish).
    click(&mut h, "+ Nytt prosjekt");
    page(
        &mut h,
        "Nytt prosjekt",
        &[
            "Samlingsbasert utviklingsprogram med mellomarbeid",
            "Samskabt styring i seks trin (dansk)",
            "Prosjektnavn",
            "Opprett prosjekt",
        ],
    );
    // Choosing another template moves nothing: the next click lands where aimed.
    let mut heights = Vec::new();
    for t in samspill_shared::content::library().templates.iter() {
        let name = t.name_for(samspill_shared::content::Lang::Nb);
        h.get_by_label_contains(name).click();
        h.run();
        heights.push(h.get_by_label("Opprett prosjekt").rect().top());
    }
    assert!(
        heights.windows(2).all(|w| (w[0] - w[1]).abs() < 0.5),
        "the dialog moved as templates were chosen: {heights:?}"
    );
    click(&mut h, "Samlingsbasert utviklingsprogram med mellomarbeid");
    let name = h.get_by_label("Prosjektnavn");
    name.focus();
    name.type_text("Heltidskultur i Lindvik");
    h.run();
    click(&mut h, "Opprett prosjekt");

    page(
        &mut h,
        "Oversikt",
        &[
            "Tjeneste",
            "Velg dato Startdato",
            "Velg dato Sluttdato",
            "💾 Lagre som PDF …",
            "🖶 PDF",
        ],
    );

    nav(&mut h, "1. Forankring og behov");
    page(
        &mut h,
        "Fase 1",
        &[
            "Ny oppgave",
            "Legg til oppgave",
            "Tildelt",
            "Frist",
            "Velg dato Frist",
            "🗑",
        ],
    );

    nav(&mut h, "Samlinger");
    page(
        &mut h,
        "Samlinger",
        &[
            "▶ Kjør",
            "🗑 Slett samling",
            "Dato",
            "Velg dato Dato",
            "+ Legg til punkt",
            "Legg til mellomarbeid",
            "💾 Lagre som PDF …",
        ],
    );

    // "Lagre som …" asks the dialog, starting in the typed path's folder with its
    // name, and writes where the answer says.
    click(&mut h, "💾 Lagre som PDF …");
    let asked = dialogs.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].extension, "pdf");
    assert!(asked[0].file_name.ends_with(".pdf"), "{:?}", asked[0]);
    assert!(
        asked[0]
            .file_name
            .starts_with("heltidskultur-i-lindvik-samling-1"),
        "{:?}",
        asked[0]
    );
    let pdf = saved.with_extension("pdf");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));

    click(&mut h, "▶ Kjør");
    page(
        &mut h,
        "Kjørevisning",
        &[
            "Neste ⏵",
            "⏸ Pause",
            "■ Avslutt",
            "−5 min",
            "+5 min",
            "⛶ Storskjerm",
            "Skriv i loggen",
            "✖ Lukk kjørevisningen",
        ],
    );
    click(&mut h, "⛶ Storskjerm");
    page(&mut h, "Storskjerm", &["✖ Lukk storskjerm"]);
    click(&mut h, "✖ Lukk storskjerm");
    click(&mut h, "✖ Lukk kjørevisningen");

    nav(&mut h, "Mellomarbeid");
    page(
        &mut h,
        "Mellomarbeid",
        &["Legg til mellomarbeid", "Tildelt", "Frist"],
    );

    nav(&mut h, "Prosjektlogg");
    page(&mut h, "Prosjektlogg", &["Skriv i loggen"]);

    nav(&mut h, "Historikk");
    page(
        &mut h,
        "Historikk",
        &["⚑ Legg til sjekkpunkt", "Navn på sjekkpunkt"],
    );

    nav(&mut h, "Deling og tilgang");
    page(&mut h, "Deling og tilgang", &["👥 Del"]);

    click(&mut h, "📖  Metodebibliotek");
    page(
        &mut h,
        "Metodebibliotek",
        &["+ Legg til i programmet", "Samling:"],
    );

    click(&mut h, "⚙  Innstillinger");
    page(&mut h, "Innstillinger", &["Lagre", "English"]);

    // The side menu folds away and comes back.
    click(&mut h, "Skjul sidemenyen");
    assert_eq!(h.query_all_by_label("⚙  Innstillinger").count(), 0);
    click(&mut h, "Vis sidemenyen");
    reachable(&mut h, "Innstillinger", "⚙  Innstillinger");
}

#[test]
fn a_manager_from_the_municipality_is_added_and_my_overdue_task_shows_under_my_tasks() {
    let dir = tempfile::tempdir().unwrap();
    // A project where one task is given to me (Kari) with a date already past.
    let me = {
        let app = new_app(dir.path());
        drop(app);
        let device = samspill::device::Device::open(dir.path()).unwrap();
        let p = four_phase(&device, "Bedre overganger");
        let me = device.profile.person_id.clone();
        p.with(|d| {
            let phase: samspill_shared::ids::PhaseId = d.view().phases[1].id.parse().unwrap();
            let task = d.add_task(&phase, "Ringe enhetslederen")?;
            d.set_task_assignee(&task, Some(&me))?;
            d.set_task_due(&task, "2020-03-02")
        })
        .unwrap();
        p.save().unwrap();
        me
    };
    let mut h = common::harness(new_app(dir.path()));
    settle(&mut h);

    nav(&mut h, "Mine oppgaver");
    h.get_by_label_contains("Ringe enhetslederen");
    h.get_by_label("mandag 2. mars 2020");
    h.get_by_label("⚠ forfalt");
    // Opening loads the project in the background (a spinner meanwhile).
    h.get_by_label("Åpne fasen").click();
    h.step();
    settle(&mut h);
    h.get_by_label_contains("Ringe enhetslederen");
    assert_eq!(
        h.query_all_by_label("Ny oppgave").count(),
        1,
        "on a phase page"
    );

    // A manager is added by name and role, and can be given a task.
    nav(&mut h, "Oversikt");
    let name = h.get_by_label("Navn på ny person");
    name.focus();
    name.type_text("Per Hansen");
    h.run();
    click(&mut h, "+ Legg til person");
    let v = common::view(&h);
    let per = v
        .people
        .iter()
        .find(|p| p.name == "Per Hansen")
        .expect("added");
    assert_eq!(per.role, "leder");
    assert!(per.devices.is_empty(), "someone who does not use Samspill");
    h.get_by_label("· Leder");
    assert!(v.people.iter().any(|p| p.id == me.as_str()));
}
