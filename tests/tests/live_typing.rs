//! Continuous typing reaches a co-facilitator while it goes on, at the engine's batch
//! rate, not when typing stops: the app's own engine (`SyncHandle`) on both sides,
//! working on the same in-memory documents a UI would edit, through a real relay.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use samspill::device::{Access, Device};
use samspill::handle::DocHandle;
use samspill::sync::{SyncHandle, SyncStatus};
use samspill_tests::{Client, DEADLINE, Relay, shared_project};

/// Alice's and Bob's documents, opened first as the UI does, and an engine for each
/// working on them; returns once both engines are live.
fn live_pair(alice: &Client, bob: &Client, id: &str) -> [(DocHandle, SyncHandle); 2] {
    let pair = [(alice, Access::Edit), (bob, Access::Read)].map(|(client, access)| {
        let device = Device::open(client.data_dir()).unwrap();
        let id = device.resolve(id).unwrap();
        let doc = device.open_project(&id, access).unwrap();
        (doc, SyncHandle::start(device, None))
    });
    let start = Instant::now();
    while !pair
        .iter()
        .all(|(doc, engine)| engine.status(&doc.id()) == SyncStatus::Synced)
    {
        assert!(start.elapsed() < DEADLINE, "both engines live");
        std::thread::sleep(Duration::from_millis(20));
    }
    pair
}

#[test]
fn a_co_facilitator_sees_the_text_grow_while_it_is_being_typed() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    let (id, link) = shared_project(&alice, &relay, "Skriver");
    bob.last_line(&["join", &link]);

    let [(alice_doc, alice_engine), (bob_doc, bob_engine)] = live_pair(&alice, &bob, &id);

    // Alice types a sentence, one keystroke every 15 ms, never pausing; Bob's copy is
    // looked at between her keystrokes.
    // About three seconds of typing: long enough to see several batches go by even on
    // a loaded machine whose disk stalls now and then.
    let sentence = "Alle barn i Lindvik skal ha en voksen de stoler på, hver dag. \
        Vi bygger på det som virker i barnehagen, på skolen og i helsestasjonen, \
        og vi måler om barna selv merker forskjell i løpet av det første året.";
    let mut typed = String::new();
    let mut seen_while_typing = BTreeSet::new();
    for c in sentence.chars() {
        typed.push(c);
        alice_doc.with(|d| d.set_goal(&typed)).unwrap();
        std::thread::sleep(Duration::from_millis(15));
        let goal = bob_doc.view().meta.goal;
        if !goal.is_empty() && goal.len() < sentence.len() {
            assert!(sentence.starts_with(&goal), "{goal:?}");
            seen_while_typing.insert(goal.len());
        }
    }
    println!(
        "Bob saw {} steps while Alice typed",
        seen_while_typing.len()
    );
    assert!(
        seen_while_typing.len() >= 3,
        "Bob saw the text grow while Alice typed ({} steps: {seen_while_typing:?})",
        seen_while_typing.len()
    );
    let start = Instant::now();
    while bob_doc.view().meta.goal != sentence {
        assert!(start.elapsed() < DEADLINE, "the whole sentence arrives");
        std::thread::sleep(Duration::from_millis(20));
    }
    alice_engine.shutdown();
    bob_engine.shutdown();
}

#[test]
fn an_engine_that_cannot_sync_a_project_says_so_instead_of_synced() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let (id, _link) = shared_project(&alice, &relay, "Uten nøkkel");
    std::fs::remove_file(alice.data_dir().join("projects").join(&id).join("secret")).unwrap();
    let device = Device::open(alice.data_dir()).unwrap();
    let id = device.resolve(&id).unwrap();
    let engine = SyncHandle::start(device, None);
    let start = Instant::now();
    loop {
        match engine.status(&id) {
            samspill::sync::SyncStatus::Stopped(reason) => {
                assert!(reason.contains("key"), "{reason}");
                let text = samspill::sync::SyncStatus::Stopped(reason)
                    .text(samspill_shared::content::Lang::Nb);
                assert!(text.starts_with("Synkronisering stoppet: "), "{text}");
                break;
            }
            samspill::sync::SyncStatus::Synced => panic!("never synced without its key"),
            _ => {}
        }
        assert!(start.elapsed() < DEADLINE, "the engine reports the stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    engine.shutdown();
}

#[test]
fn a_network_that_goes_silent_is_noticed_and_edits_made_meanwhile_arrive_after_it() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let tunnel = samspill_tests::Forwarder::start(relay.port);
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    // Alice reaches the relay through the tunnel; Bob directly.
    let id = alice.last_line(&["new", "--template", "four-phase", "--title", "Tunnel"]);
    let link = alice.last_line(&["share", &id, "--relay", &tunnel.url()]);
    let direct = link.replace(&tunnel.port.to_string(), &relay.port.to_string());
    bob.last_line(&["join", &direct]);

    let [(alice_doc, alice_engine), (bob_doc, bob_engine)] = live_pair(&alice, &bob, &id);
    let id = alice_doc.id();

    // The train enters the tunnel: no bytes move, nothing closes.
    tunnel.pause(true);
    let silent_at = Instant::now();
    alice_doc
        .with(|d| d.set_goal("Skrevet i tunnelen"))
        .unwrap();
    while !matches!(
        alice_engine.status(&id),
        samspill::sync::SyncStatus::Offline { .. }
    ) {
        assert!(silent_at.elapsed() < DEADLINE, "the silence is noticed");
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("silence noticed after {:?}", silent_at.elapsed());
    assert_eq!(
        bob_doc.view().meta.goal,
        "",
        "nothing got through meanwhile"
    );

    tunnel.pause(false);
    let back_at = Instant::now();
    while bob_doc.view().meta.goal != "Skrevet i tunnelen" {
        assert!(
            back_at.elapsed() < DEADLINE,
            "the edit arrives after the tunnel"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "edit arrived {:?} after the network came back",
        back_at.elapsed()
    );
    alice_engine.shutdown();
    bob_engine.shutdown();
}
