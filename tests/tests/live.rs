//! Three facilitators on one project: what each adds reaches the other two.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use samspill_tests::{Client, Relay, eventually, shared_project, task_titles};

#[test]
fn edits_from_each_of_three_clients_reach_the_others() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    let carol = Client::new("Carol");

    // Alice shares; Bob and Carol join by the link.
    let (id, link) = shared_project(&alice, &relay, "Felles prosjekt");
    assert_eq!(bob.last_line(&["join", &link]), id);
    assert_eq!(carol.last_line(&["join", &link]), id);

    // Each adds a task and syncs.
    let clients = [
        (&alice, "Alice sin oppgave"),
        (&bob, "Bobs oppgave"),
        (&carol, "Carols oppgave"),
    ];
    for (client, task) in clients {
        client.ok(&["task", "add", &id, "--phase", "1", task]);
        client.sync_until_ok(&id);
    }
    // Everyone syncs until they see all three.
    for (client, _) in clients {
        eventually("every task at every client", || {
            client.sync(&id);
            let titles = task_titles(&client.show(&id));
            clients
                .iter()
                .all(|(_, t)| titles.iter().filter(|x| x == t).count() == 1)
        });
        assert_eq!(client.sync_column(&id), "Shared, nothing waiting");
    }
    let views: Vec<_> = clients.iter().map(|(c, _)| c.show(&id)).collect();
    assert_eq!(views[0]["phases"], views[1]["phases"]);
    assert_eq!(views[1]["phases"], views[2]["phases"]);
}

#[test]
fn sync_watch_delivers_changes_without_being_asked() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    let (id, link) = shared_project(&alice, &relay, "Direkte");
    bob.last_line(&["join", &link]);

    let mut watcher = bob
        .command()
        .args(["sync", "--watch"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut alice_watch = alice
        .command()
        .args(["sync", &id, "--watch"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Alice edits with the CLI while her watcher runs; Bob's watcher stores it.
    alice.ok(&["note", &id, "--phase", "2", "Skrevet mens alle var på"]);
    eventually("Bob's watcher to store Alice's note", || {
        bob.show(&id)["phases"][1]["notes"]
            .as_str()
            .unwrap_or_default()
            .contains("Skrevet mens alle var på")
    });
    // SIGTERM ends --watch cleanly.
    for child in [&mut watcher, &mut alice_watch] {
        let pid = child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "--watch exits 0 on SIGTERM: {status}");
    }
}
