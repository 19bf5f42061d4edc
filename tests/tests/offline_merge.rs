//! Two facilitators edit while the relay is down, then reconnect and converge.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use samspill::device::{Access, Device};
use samspill_tests::{Client, Relay, shared_project, task_titles};

fn edit(client: &Client, id: &str, f: impl FnOnce(&mut samspill_shared::model::ProjectDoc)) {
    let device = Device::open(client.data_dir()).unwrap();
    let id = device.resolve(id).unwrap();
    let project = device.open_project(&id, Access::Edit).unwrap();
    project.with(f);
    project.save().unwrap();
}

#[test]
fn concurrent_offline_edits_merge_without_loss_or_duplication() {
    let relay_dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    let (id, link) = shared_project(&alice, &relay, "Frakoblet");
    bob.last_line(&["join", &link]);
    alice.ok(&["note", &id, "--phase", "1", "Vi møtes i Bodø."]);
    alice.sync_until_ok(&id);
    bob.sync_until_ok(&id);

    let before = alice.show(&id);
    let phase = before["phases"][0]["id"].as_str().unwrap().to_owned();
    let tasks: Vec<String> = before["phases"][0]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(tasks.len() >= 2, "the template has tasks to reorder");
    let item = before["phases"][0]["checklist"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The relay goes away.
    relay.kill();

    // Alice: edits the note text at its start, renames the second task, ticks an item.
    edit(&alice, &id, |p| {
        let phase = phase.parse().unwrap();
        p.set_notes(&phase, "Obs! Vi møtes i Bodø.").unwrap();
        p.set_task_title(&tasks[1].parse().unwrap(), "Omdøpt av Alice")
            .unwrap();
        p.set_check_done(&item.parse().unwrap(), true).unwrap();
    });
    // Bob: edits the same note at its end, moves the second task first, deletes the item.
    edit(&bob, &id, |p| {
        let phase = phase.parse().unwrap();
        p.set_notes(&phase, "Vi møtes i Bodø. Ta med kaffe.")
            .unwrap();
        p.move_task(&tasks[1].parse().unwrap(), 0).unwrap();
        p.remove_check_item(&item.parse().unwrap()).unwrap();
    });
    // Offline, sync fails with one line and leaves the work alone.
    let out = alice.run(&["sync", &id]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not reach the relay"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(alice.sync_column(&id).ends_with("waiting"));

    relay.restart();
    for _ in 0..2 {
        alice.sync_until_ok(&id);
        bob.sync_until_ok(&id);
    }
    let a = alice.show(&id);
    let b = bob.show(&id);
    assert_eq!(a, {
        let mut b2 = b.clone();
        b2["id"] = a["id"].clone();
        b2
    });
    let notes = a["phases"][0]["notes"].as_str().unwrap();
    assert_eq!(
        notes, "Obs! Vi møtes i Bodø. Ta med kaffe.",
        "both text edits kept"
    );
    let titles = task_titles(&a);
    assert_eq!(titles.iter().filter(|t| *t == "Omdøpt av Alice").count(), 1);
    let first = &a["phases"][0]["tasks"][0];
    assert_eq!(first["id"], tasks[1].as_str(), "Bob's reorder holds");
    assert_eq!(
        first["title"], "Omdøpt av Alice",
        "and Alice's rename with it"
    );
    assert_eq!(
        a["phases"][0]["tasks"].as_array().unwrap().len(),
        tasks.len(),
        "nothing duplicated or lost"
    );
    let items = a["phases"][0]["checklist"].as_array().unwrap();
    assert!(
        items.iter().all(|c| c["id"] != item.as_str()),
        "the deletion wins over the tick"
    );
}
