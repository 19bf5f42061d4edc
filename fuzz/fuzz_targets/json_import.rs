//! The JSON import path of `samspill import FILE.json`: the view model from JSON, then
//! `ProjectDoc::from_project`.
//!
//! Neither step may panic on any input. A project that imports must read back (`view`)
//! as a project that imports again to the same view: exporting an imported project and
//! importing it once more loses nothing and adds nothing.

#![no_main]

use automerge::ActorId;
use libfuzzer_sys::fuzz_target;
use samspill_shared::ids::SeededEntropy;
use samspill_shared::model::{Editor, FixedClock, Project, ProjectDoc};

fuzz_target!(|data: &[u8]| {
    let Ok(project) = serde_json::from_slice::<Project>(data) else {
        return;
    };
    let Ok(doc) = ProjectDoc::from_project(&project, actor(1), editor()) else {
        return;
    };
    let view = doc.view();
    let again = ProjectDoc::from_project(&view, actor(2), editor())
        .expect("an imported project's own view imports again");
    assert_eq!(again.view(), view);
});

fn actor(n: u8) -> ActorId {
    ActorId::from(vec![n; 16])
}

/// A deterministic editor, as the CLI's import has one (its clock and randomness are
/// only used by later edits).
fn editor() -> Editor {
    Editor {
        author: "fuzzer".parse().expect("a valid person id"),
        clock: Box::new(FixedClock(1_764_633_600_000)),
        entropy: Box::new(SeededEntropy::new(7)),
    }
}
