//! Joining by link: after compaction a newcomer still gets the whole project; a wrong
//! link gets a clear error that never shows the secret.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use samspill_tests::{Client, Relay, all_notes, shared_project};

#[test]
fn a_newcomer_joining_after_compaction_gets_the_whole_project() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let (id, link) = shared_project(&alice, &relay, "Komprimert");
    // Each sync pushes one entry; a low threshold makes Alice compact along the way.
    for i in 0..12 {
        alice.ok(&["note", &id, "--phase", "1", &format!("avsnitt {i}")]);
        let out = alice
            .command()
            .env("SAMSPILL_COMPACT_AFTER", "5")
            .args(["sync", &id])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let state: serde_json::Value = alice.sync_state(&id);
    assert!(
        state["relays"][0]["snapshot_seq"].as_u64().unwrap() >= 5,
        "compacted: {state}"
    );

    let bob = Client::new("Bob");
    assert_eq!(bob.last_line(&["join", &link]), id);
    let a = alice.show(&id);
    let b = bob.show(&id);
    assert_eq!(a["phases"], b["phases"]);
    assert_eq!(a["meta"], b["meta"]);
    for i in 0..12 {
        assert!(all_notes(&b).contains(&format!("avsnitt {i}")));
    }
    assert_eq!(bob.sync_column(&id), "Shared, nothing waiting");
}

#[test]
fn wrong_links_get_clear_errors_without_the_secret() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let bob = Client::new("Bob");
    let secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

    // A project the relay never had.
    let link = format!("samspill+ws://127.0.0.1:{}/join#{secret}", relay.port);
    let out = bob.run(&["join", &link]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not have this project"), "{err}");
    assert!(!err.contains(&secret[..12]), "{err}");

    // A damaged link.
    let out = bob.run(&["join", &link[..link.len() - 5]]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("damaged"), "{err}");
    assert!(!err.contains(&secret[..12]), "{err}");

    // A relay that is not there.
    let out = bob.run(&["join", &format!("samspill+ws://127.0.0.1:1/join#{secret}")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not reach the relay"), "{err}");
    assert!(!err.contains(&secret[..12]), "{err}");
    assert!(bob.ok(&["list"]).trim().is_empty(), "nothing was stored");
}
