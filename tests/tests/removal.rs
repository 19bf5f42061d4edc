//! Removing someone, over a real relay process and the real CLI: the removed member is
//! told while online and keeps what they had read-only; a member who was offline comes
//! back, follows by themselves and their offline change arrives; two editors removing
//! different people at once end in one epoch without either; and what is written after
//! a removal cannot be read with anything the removed member holds, even with every
//! byte the relay stores.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use samspill_shared::crypto::{self, Capability};
use samspill_tests::{Client, Relay, all_notes, eventually, shared_project};

fn project_file(client: &Client, id: &str, name: &str) -> std::path::PathBuf {
    client.data_dir().join("projects").join(id).join(name)
}

/// A member joins and writes once, so their device is published in the project.
fn member(name: &str, link: &str, id: &str) -> Client {
    let c = Client::new(name);
    assert_eq!(c.last_line(&["join", link]), id);
    c.ok(&["note", id, "--phase", "1", &format!("{name} var her")]);
    c.sync_until_ok(id);
    c
}

fn fails_saying(client: &Client, args: &[&str], what: &str) {
    let out = client.run(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(what), "{args:?}: {err}");
}

/// Every blob the relay stores, of every document (entries and snapshots).
fn stored_blobs(relay_dir: &std::path::Path) -> Vec<Vec<u8>> {
    let db = rusqlite::Connection::open_with_flags(
        relay_dir.join("relay.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut out = Vec::new();
    for table in ["entries", "snapshots"] {
        let mut stmt = db.prepare(&format!("SELECT blob FROM {table}")).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out
}

#[test]
fn a_removed_member_is_told_online_and_an_offline_member_follows_later() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let (id, link) = shared_project(&alice, &relay, "Fjerning");
    let bob = member("Bob", &link, &id);
    let carol = member("Carol", &link, &id);
    let dave = member("Dave", &link, &id);
    alice.sync_until_ok(&id);
    let members = alice.ok(&["members", &id]);
    assert_eq!(members.lines().count(), 4, "{members}");

    // Dave is offline and edits; Carol is online, syncing live.
    dave.ok(&["note", &id, "--phase", "1", "Dave skrev på toget"]);
    let mut watch = carol
        .command()
        .args(["sync", &id, "--watch"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `sync --watch` says what happens on standard error.
    let (lines_tx, lines) = mpsc::channel();
    let stdout = watch.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let wait_for = |what: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        while std::time::Instant::now() < deadline {
            if let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
                if line.contains(what) {
                    return line;
                }
                seen.push(line);
            }
        }
        panic!("sync --watch never said {what:?}; it said {seen:#?}");
    };
    wait_for("in sync");

    let said = alice.ok(&["remove", &id, "Carol"]);
    assert!(said.contains("Carol was removed"), "{said}");
    assert!(said.contains("epoch 1"), "{said}");
    assert!(said.contains("3 devices"), "{said}");

    let members = alice.ok(&["members", &id]);
    let carol_line = members.lines().find(|l| l.contains("Carol")).unwrap();
    assert!(carol_line.contains("removed (epoch 1)"), "{members}");

    // Carol's running sync hears it at once, and says so.
    wait_for("no longer have access");
    watch.kill().unwrap();
    let _ = watch.wait();

    alice.ok(&["note", &id, "--phase", "1", "ETTER-FJERNING hemmelig"]);
    alice.sync_until_ok(&id);
    bob.sync_until_ok(&id);
    assert!(all_notes(&bob.show(&id)).contains("ETTER-FJERNING"));
    assert!(project_file(&bob, &id, "epoch.key").exists());
    // The links are the new epoch's now; one of them on a device that has the project
    // under its first id is that project, not a second copy.
    let new_link = alice.last_line(&["invite", &id, "--role", "editor"]);
    assert_ne!(new_link, link);
    assert_eq!(bob.last_line(&["join", &new_link]), id);
    assert_eq!(bob.ok(&["list"]).lines().count(), 1);
    // The old link no longer opens the project, and says so.
    let stranger = Client::new("Fremmed");
    fails_saying(
        &stranger,
        &["join", &link],
        "ask one of its editors for a new link",
    );
    assert_eq!(stranger.ok(&["list"]).lines().count(), 0);
    // A newcomer with the new link gets everything.
    let erin = Client::new("Erin");
    let erins = erin.last_line(&["join", &new_link]);
    assert!(all_notes(&erin.show(&erins)).contains("ETTER-FJERNING"));

    // Carol keeps what she had, read-only, and is told why wherever she tries.
    fails_saying(&carol, &["sync", &id], "no longer have access");
    fails_saying(
        &carol,
        &["note", &id, "--phase", "1", "Carol prøver igjen"],
        "no longer have access",
    );
    let hers = all_notes(&carol.show(&id));
    assert!(hers.contains("Bob var her") && !hers.contains("ETTER-FJERNING"));
    assert!(carol.sync_column(&id).contains("no longer have access"));
    fails_saying(
        &carol,
        &["invite", &id, "--role", "viewer"],
        "no longer have access",
    );

    // Dave comes back: he follows, and his offline change reaches the others.
    dave.sync_until_ok(&id);
    assert!(all_notes(&dave.show(&id)).contains("ETTER-FJERNING"));
    eventually("Dave's offline note to reach Alice", || {
        alice.sync(&id) && all_notes(&alice.show(&id)).contains("Dave skrev på toget")
    });
    dave.ok(&["note", &id, "--phase", "1", "Dave etter flyttingen"]);
    dave.sync_until_ok(&id);
    eventually("Dave's new note to reach Bob", || {
        bob.sync(&id) && all_notes(&bob.show(&id)).contains("Dave etter flyttingen")
    });

    // Carol colluding with the relay: nothing it stores opens with her keys to reveal
    // what was written after the removal.
    let key = Capability::from_bytes(&std::fs::read(project_file(&carol, &id, "secret")).unwrap())
        .unwrap()
        .keys();
    let blobs = stored_blobs(relay_dir.path());
    assert!(blobs.len() >= 6, "{}", blobs.len());
    let secret = b"ETTER-FJERNING";
    for blob in &blobs {
        assert!(!blob.windows(secret.len()).any(|w| w == secret));
        let opened = [
            crypto::decrypt_entry(&key, blob).ok(),
            (0..64).find_map(|seq| crypto::decrypt_snapshot(&key, seq, blob).ok()),
        ];
        for plain in opened.into_iter().flatten() {
            let readable = automerge::AutoCommit::load(&plain)
                .map(|mut d| d.save())
                .unwrap_or(plain);
            assert!(
                !readable.windows(secret.len()).any(|w| w == secret),
                "Carol's key opened a blob written after her removal"
            );
        }
    }
}

#[test]
fn two_editors_removing_different_people_at_once_end_without_either() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let (id, link) = shared_project(&alice, &relay, "Samtidig");
    let bob = member("Bob", &link, &id);
    let _carol = member("Carol", &link, &id);
    let _dave = member("Dave", &link, &id);
    alice.sync_until_ok(&id);
    bob.sync_until_ok(&id);

    // Both at once: two processes started together.
    let a = alice
        .command()
        .args(["remove", &id, "Carol"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let b = bob
        .command()
        .args(["remove", &id, "Dave"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for out in [&a, &b] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    alice.sync_until_ok(&id);
    bob.sync_until_ok(&id);
    // One epoch, the same key on both.
    let alice_key = std::fs::read(project_file(&alice, &id, "epoch.key")).unwrap();
    let bob_key = std::fs::read(project_file(&bob, &id, "epoch.key")).unwrap();
    assert_eq!(alice_key, bob_key);
    assert_eq!(u32::from_le_bytes(alice_key[4..8].try_into().unwrap()), 2);
    for (name, c) in [("Carol", &_carol), ("Dave", &_dave)] {
        fails_saying(c, &["sync", &id], "no longer have access");
        assert!(
            c.sync_column(&id).contains("no longer have access"),
            "{name}"
        );
    }
    alice.ok(&["note", &id, "--phase", "1", "Bare Alice og Bob nå"]);
    alice.sync_until_ok(&id);
    eventually("Alice's note to reach Bob", || {
        bob.sync(&id) && all_notes(&bob.show(&id)).contains("Bare Alice og Bob nå")
    });
}

#[test]
fn a_remover_killed_at_any_moment_leaves_the_project_whole_one_way_or_the_other() {
    let mut outcomes = Vec::new();
    for delay_ms in [0u64, 15, 40, 80, 150, 300] {
        let relay_dir = tempfile::tempdir().unwrap();
        let relay = Relay::start(relay_dir.path());
        let alice = Client::new("Alice");
        let (id, link) = shared_project(&alice, &relay, "Avbrutt");
        let bob = member("Bob", &link, &id);
        let carol = member("Carol", &link, &id);
        alice.sync_until_ok(&id);
        let mut remover = alice
            .command()
            .args(["remove", &id, "Carol"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        // SIGKILL, wherever it is.
        let _ = remover.kill();
        let _ = remover.wait();
        alice.sync_until_ok(&id);
        bob.sync_until_ok(&id);
        let removed = !carol.sync(&id);
        if removed {
            fails_saying(&carol, &["sync", &id], "no longer have access");
            // Alice follows her own rotation (she wrapped a key for herself).
            assert!(
                project_file(&alice, &id, "epoch.key").exists(),
                "{delay_ms} ms"
            );
        } else {
            assert!(
                !project_file(&alice, &id, "epoch.key").exists(),
                "{delay_ms} ms"
            );
            let members = alice.ok(&["members", &id]);
            assert!(!members.contains("removed"), "{delay_ms} ms: {members}");
            // Nothing half-done: removing again works.
            alice.ok(&["remove", &id, "Carol"]);
            fails_saying(&carol, &["sync", &id], "no longer have access");
        }
        let note = format!("Etter avbruddet ({delay_ms} ms)");
        alice.ok(&["note", &id, "--phase", "1", &note]);
        alice.sync_until_ok(&id);
        eventually("Alice's note to reach Bob", || {
            bob.sync(&id) && all_notes(&bob.show(&id)).contains(&note)
        });
        outcomes.push((delay_ms, removed));
    }
    eprintln!("removed when killed after (ms, removed): {outcomes:?}");
}

/// Appends a blob to a document straight into the relay's SQLite file (the relay is
/// stopped), as a relay colluding with an attacker could.
fn inject(relay_dir: &std::path::Path, doc: &crypto::DocumentId, blob: &[u8]) {
    let db = rusqlite::Connection::open(relay_dir.join("relay.sqlite3")).unwrap();
    let head: i64 = db
        .query_row(
            "SELECT head FROM documents WHERE id = ?1",
            [&doc.0[..]],
            |r| r.get(0),
        )
        .unwrap();
    db.execute(
        "INSERT INTO entries (doc, seq, blob) VALUES (?1, ?2, ?3)",
        rusqlite::params![&doc.0[..], head + 1, blob],
    )
    .unwrap();
    db.execute(
        "UPDATE documents SET head = ?2 WHERE id = ?1",
        rusqlite::params![&doc.0[..], head + 1],
    )
    .unwrap();
}

fn device_identity(client: &Client) -> crypto::DeviceIdentity {
    let bytes: [u8; 64] = std::fs::read(client.data_dir().join("device.key"))
        .unwrap()
        .try_into()
        .unwrap();
    crypto::DeviceIdentity::from_bytes(&bytes)
}

#[test]
fn a_rotation_made_by_an_editor_in_someone_elses_name_is_not_followed() {
    use samspill_shared::epoch::Rotation;

    let relay_dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let (id, link) = shared_project(&alice, &relay, "Forfalsket fjerning");
    let bob = member("Bob", &link, &id);
    let carol = member("Carol", &link, &id);
    alice.sync_until_ok(&id);
    bob.sync_until_ok(&id);
    let members = alice.ok(&["members", &id]);
    let alice_id = members
        .lines()
        .find(|l| l.contains("Alice"))
        .and_then(|l| l.split('\t').next())
        .unwrap()
        .to_owned();

    // Carol (an editor, so she holds the write key) makes "Alice removes Alice" with a
    // key of her own choosing wrapped for Bob, signs it with her own device, and the
    // relay slips it into the log.
    let keys = Capability::from_bytes(&std::fs::read(project_file(&carol, &id, "secret")).unwrap())
        .unwrap()
        .keys();
    let hers: Capability = crypto::ProjectSecret::from_bytes([66; 32]).into();
    let mut forged = Rotation {
        epoch: 1,
        from: keys.doc_id.to_string(),
        to: hers.doc_id().to_string(),
        heads: vec![],
        removed: vec![alice_id.clone()],
        by: alice_id,
        keys: vec![],
        signer: String::new(),
        signature: String::new(),
    };
    let mut rng = samspill_shared::ids::SeededEntropy::new(5);
    forged
        .wrap_for("bob", &device_identity(&bob).public(), &hers, &mut rng)
        .unwrap();
    forged.sign(&device_identity(&carol));
    let blob = crypto::encrypt_entry(&keys, [7; 24], &forged.encode()).unwrap();
    relay.kill();
    inject(relay_dir.path(), &keys.doc_id, &blob);
    relay.restart();

    // Bob does not follow it: he stays in the project's epoch and keeps syncing.
    bob.sync_until_ok(&id);
    assert!(!project_file(&bob, &id, "epoch.key").exists());
    alice.ok(&["note", &id, "--phase", "1", "Fortsatt samme nøkler"]);
    alice.sync_until_ok(&id);
    eventually("Alice's note to reach Bob", || {
        bob.sync(&id) && all_notes(&bob.show(&id)).contains("Fortsatt samme nøkler")
    });
}
