//! A client killed in the middle of syncing resumes without losing or duplicating.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use samspill_tests::{Client, Relay, all_notes, eventually, shared_project};

#[test]
fn a_client_killed_mid_sync_resumes_without_loss_or_duplicates() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    let (id, link) = shared_project(&alice, &relay, "Omstart");
    bob.last_line(&["join", &link]);

    for round in 0..4 {
        for i in 0..5 {
            alice.ok(&["note", &id, "--phase", "1", &format!("r{round}-n{i}")]);
        }
        // Start syncing and kill the process at once, at a different moment each round.
        let mut child = alice
            .command()
            .args(["sync", &id, "--watch"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50 * round));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    alice.sync_until_ok(&id);
    eventually("Bob to have every note", || {
        bob.sync(&id);
        let notes = all_notes(&bob.show(&id));
        (0..4).all(|r| (0..5).all(|i| notes.contains(&format!("r{r}-n{i}"))))
    });
    let notes = all_notes(&bob.show(&id));
    for r in 0..4 {
        for i in 0..5 {
            assert_eq!(notes.matches(&format!("r{r}-n{i}")).count(), 1);
        }
    }
    assert_eq!(alice.show(&id)["phases"], bob.show(&id)["phases"]);
    assert_eq!(alice.sync_column(&id), "Shared, nothing waiting");
}
