//! The relay is killed with SIGKILL during a burst of pushes and started again on the
//! same data: nothing acknowledged is lost and everyone converges.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use samspill_tests::{Client, Relay, all_notes, shared_project};

#[test]
fn a_relay_killed_mid_burst_loses_nothing_acknowledged() {
    let relay_dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    let carol = Client::new("Carol");
    let (id, link) = shared_project(&alice, &relay, "Slitesterk");
    bob.last_line(&["join", &link]);
    carol.last_line(&["join", &link]);
    let clients = [("a", &alice), ("b", &bob), ("c", &carol)];

    // Each client writes notes and syncs in a loop; the relay dies part-way.
    std::thread::scope(|s| {
        for (name, client) in clients {
            let id = id.clone();
            s.spawn(move || {
                for i in 0..8 {
                    client.ok(&["note", &id, "--phase", "1", &format!("{name}-note-{i}")]);
                    client.sync(&id); // may fail while the relay is down
                }
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(600));
        relay.kill();
    });
    relay.restart();
    for _ in 0..2 {
        for (_, client) in clients {
            client.sync_until_ok(&id);
        }
    }
    let expected: Vec<String> = clients
        .iter()
        .flat_map(|(n, _)| (0..8).map(move |i| format!("{n}-note-{i}")))
        .collect();
    let views: Vec<_> = clients.iter().map(|(_, c)| c.show(&id)).collect();
    for (view, (name, _)) in views.iter().zip(clients) {
        let notes = all_notes(view);
        for note in &expected {
            assert_eq!(
                notes.matches(note.as_str()).count(),
                1,
                "{name} has {note} once"
            );
        }
        assert_eq!(view["phases"], views[0]["phases"], "{name} converged");
    }
    // A newcomer reading only from the relay gets everything too.
    let dave = Client::new("Dave");
    dave.last_line(&["join", &link]);
    let notes = all_notes(&dave.show(&id));
    for note in &expected {
        assert!(notes.contains(note.as_str()), "the relay kept {note}");
    }
}
