//! The relay never sees what a project contains.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use samspill_tests::{Client, Relay, shared_project};

#[test]
fn the_relays_files_never_hold_the_projects_text() {
    let relay_dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    let title = "Kvasirsnegl-prosjektet i Tromsø";
    let (id, link) = shared_project(&alice, &relay, title);
    bob.last_line(&["join", &link]);
    alice.ok(&["note", &id, "--phase", "1", "Hemmelig-notat-Xylofon"]);
    alice.sync_until_ok(&id);
    bob.sync_until_ok(&id);
    // Kill it so the WAL is left as it is, unmerged.
    relay.kill();
    let mut checked = 0;
    for entry in std::fs::read_dir(relay_dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            for needle in [title, "Kvasirsnegl", "Hemmelig-notat-Xylofon", "Alice"] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} holds “{needle}”",
                    path.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "the relay wrote files");
}
