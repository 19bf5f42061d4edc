//! Presence in place: a co-facilitator's colour dot next to the phase, task, agenda item
//! or gathering they are on.
//!
//! What someone is on travels as a *place*: `meta`, `phases/<id>`, `tasks/<id>`,
//! `checklist/<id>`, `gatherings/<id>`, `agenda/<id>` or `work/<id>`. Who they are is
//! looked up by person id in the project's people: a name or colour sent along with
//! presence is never shown, so nobody can appear as someone else; a person id the
//! project does not know shows as "unknown".

use egui::RichText;
use samspill_shared::content::Lang;
use samspill_shared::model::Project;

use super::edit::TextField;
use super::state::{Section, Session};
use super::sync_hook::Presence;
use super::{theme, tr};

/// A co-facilitator as the UI shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerMark {
    pub name: String,
    pub colour: String,
    /// In the project's people.
    pub known: bool,
    pub place: Option<String>,
    /// The section the place is in (for the side panel).
    pub section: Option<Section>,
}

/// Colour of someone the project does not know.
const UNKNOWN_COLOUR: &str = "#9a9a9a";

/// Presence resolved against the project's people.
pub fn marks(lang: Lang, v: &Project, presence: Vec<Presence>) -> Vec<PeerMark> {
    presence
        .into_iter()
        .map(|p| {
            let section = p.editing.as_deref().and_then(|pl| section_of(pl, v));
            match v.person(&p.person) {
                Some(person) => PeerMark {
                    name: person.name.clone(),
                    colour: person.colour.clone(),
                    known: true,
                    place: p.editing,
                    section,
                },
                None => PeerMark {
                    name: tr(lang, "presence-unknown").to_owned(),
                    colour: UNKNOWN_COLOUR.to_owned(),
                    known: false,
                    place: p.editing,
                    section,
                },
            }
        })
        .collect()
}

/// The place of a text field.
pub fn place_of_field(f: &TextField, _v: &Project) -> String {
    match f {
        TextField::Title
        | TextField::Goal
        | TextField::Service
        | TextField::StartDate
        | TextField::EndDate => "meta".to_owned(),
        TextField::PhaseNotes(p) => format!("phases/{p}"),
        TextField::TaskTitle(t) | TextField::TaskDue(t) => format!("tasks/{t}"),
        TextField::CheckText(i) => format!("checklist/{i}"),
        TextField::GatheringTitle(g)
        | TextField::GatheringPlace(g)
        | TextField::GatheringDate(g)
        | TextField::GatheringStart(g)
        | TextField::GatheringLog(g)
        | TextField::EvalWorked(g)
        | TextField::EvalChange(g) => format!("gatherings/{g}"),
        TextField::AgendaTitle(a) | TextField::AgendaNotes(a) => format!("agenda/{a}"),
        TextField::WorkTitle(w) | TextField::WorkDescription(w) | TextField::WorkDue(w) => {
            format!("work/{w}")
        }
    }
}

/// Where the user is when no field has focus: the phase or gathering on screen.
pub fn place_of_section(s: &Session) -> Option<String> {
    if let Some(run) = &s.ui.run {
        return Some(format!("gatherings/{}", run.gathering));
    }
    match s.section() {
        Section::Overview => Some("meta".to_owned()),
        Section::Phase(i) => s.view.phases.get(i).map(|p| format!("phases/{}", p.id)),
        Section::Gatherings => match &s.ui.agenda_item {
            Some(a) => Some(format!("agenda/{a}")),
            None => s.ui.gathering.as_ref().map(|g| format!("gatherings/{g}")),
        },
        _ => None,
    }
}

/// The section a place is in.
pub fn section_of(place: &str, v: &Project) -> Option<Section> {
    let (kind, id) = place.split_once('/').unwrap_or((place, ""));
    match kind {
        "meta" => Some(Section::Overview),
        "phases" => v.phases.iter().position(|p| p.id == id).map(Section::Phase),
        "tasks" => v
            .phases
            .iter()
            .position(|p| p.tasks.iter().any(|t| t.id == id))
            .map(Section::Phase),
        "checklist" => v
            .phases
            .iter()
            .position(|p| p.checklist.iter().any(|c| c.id == id))
            .map(Section::Phase),
        "gatherings" | "agenda" => Some(Section::Gatherings),
        "work" => Some(Section::BetweenWork),
        _ => None,
    }
}

/// Whether a place is inside a gathering (the gathering itself or one of its items).
pub fn in_gathering(place: &str, v: &Project, gathering: &str) -> bool {
    match place.split_once('/') {
        Some(("gatherings", g)) => g == gathering,
        Some(("agenda", a)) => v
            .gathering(gathering)
            .is_some_and(|g| g.agenda.iter().any(|x| x.id == a)),
        _ => false,
    }
}

/// Small colour dots for the peers `here` picks out, with their names on hover.
pub fn dots_ui(ui: &mut egui::Ui, peers: &[PeerMark], here: impl Fn(&str) -> bool) {
    for p in peers {
        if p.place.as_deref().is_some_and(&here) {
            dot_ui(ui, p);
        }
    }
}

fn dot_ui(ui: &mut egui::Ui, p: &PeerMark) {
    let (rect, r) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    let fill = theme::parse_colour(&p.colour);
    ui.painter().circle_filled(rect.center(), 5.0, fill);
    if !p.known {
        ui.painter().text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "?",
            egui::FontId::proportional(8.0),
            egui::Color32::WHITE,
        );
    }
    r.on_hover_text(RichText::new(&p.name));
}
