//! Who may read and who may write, over a real relay process and the real CLI: a viewer
//! reads live and cannot change anything, an editor's link lifts a viewer to editor,
//! and entries a reader forges with the relay's help (written straight into the relay's
//! database) never reach an editor's document.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ChangeHash, ROOT, ReadDoc};
use samspill_shared::crypto::{self, BlobKind, Capability, DocumentId, ProjectKeys};
use samspill_tests::{Client, Relay, all_notes, shared_project};

fn key_file(client: &Client, id: &str) -> Capability {
    let path = client.data_dir().join("projects").join(id).join("secret");
    Capability::from_bytes(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn a_viewer_reads_live_and_cannot_change_anything() {
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let (id, editor_link) = shared_project(&alice, &relay, "Lesetilgang");
    let viewer_link = alice.last_line(&["invite", &id, "--role", "viewer"]);
    assert_ne!(viewer_link, editor_link);
    assert!(!viewer_link.contains(editor_link.split_once('#').unwrap().1));
    assert_eq!(
        alice.last_line(&["invite", &id, "--role", "editor"]),
        editor_link
    );

    let leader = Client::new("Leder");
    assert_eq!(leader.last_line(&["join", &viewer_link]), id);
    assert_eq!(key_file(&leader, &id).role(), crypto::Role::Viewer);
    alice.ok(&["note", &id, "--phase", "1", "Avtalt med kommunalsjefen"]);
    alice.sync_until_ok(&id);
    leader.sync_until_ok(&id);
    assert!(all_notes(&leader.show(&id)).contains("Avtalt med kommunalsjefen"));

    // Every change is refused on the viewer's device, and says why.
    for args in [
        vec!["note", &id, "--phase", "1", "Lederens forslag"],
        vec!["task", "add", &id, "--phase", "1", "Ny oppgave"],
    ] {
        let out = leader.run(&args);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("read access only"), "{err}");
    }
    let out = leader.run(&["invite", &id, "--role", "editor"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        leader.last_line(&["invite", &id, "--role", "viewer"]),
        viewer_link
    );
    let out = leader.run(&["share", &id, "--relay", &relay.url()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(leader.sync_column(&id).contains("read only"));
    assert!(
        leader.sync_state(&id)["relays"][0]["unacked"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(!all_notes(&alice.show(&id)).contains("Lederens forslag"));

    // An editor's link makes the same device an editor; its changes reach Alice.
    assert_eq!(leader.last_line(&["join", &editor_link]), id);
    assert_eq!(key_file(&leader, &id).role(), crypto::Role::Editor);
    leader.ok(&["note", &id, "--phase", "1", "Nå skriver lederen"]);
    leader.sync_until_ok(&id);
    alice.sync_until_ok(&id);
    assert!(all_notes(&alice.show(&id)).contains("Nå skriver lederen"));
    // Both editors are members, each with the device it published; the viewer's first
    // join published nothing (a viewer cannot write).
    let members = alice.ok(&["members", &id]);
    let lines: Vec<&str> = members.lines().collect();
    assert_eq!(lines.len(), 2, "{members}");
    for (line, name) in lines.iter().zip(["Alice", "Leder"]) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 6, "{line}");
        assert_eq!(cols[1], name, "{members}");
        assert_eq!(cols[4].len(), 16, "one device id: {line}");
        assert!(cols[5].starts_with("20"), "last change: {line}");
    }
    // A viewer's link does not take it back.
    leader.last_line(&["join", &viewer_link]);
    assert_eq!(key_file(&leader, &id).role(), crypto::Role::Editor);
}

#[test]
fn a_viewer_link_waits_for_the_relay_to_know_the_write_key() {
    let alice = Client::new("Alice");
    let id = alice.last_line(&["new", "--template", "four-phase", "--title", "Lokalt"]);
    let out = alice.run(&["invite", &id, "--role", "viewer"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not shared yet"), "{err}");
    let out = alice.run(&["invite", &id, "--role", "owner"]);
    assert_eq!(out.status.code(), Some(2), "a role that does not exist");
}

/// A change made on top of the project as `export` gives it, by someone else.
fn change(export: &[u8], text: &str) -> (Vec<u8>, ChangeHash) {
    let mut doc = AutoCommit::load(export).unwrap();
    doc.set_actor(ActorId::random());
    let meta = doc.get(ROOT, "meta").unwrap().unwrap().1;
    doc.put(&meta, "injected", text).unwrap();
    let change = doc.get_last_local_change().unwrap();
    (change.raw_bytes().to_vec(), change.hash())
}

fn nonce(n: u8) -> [u8; 24] {
    [n; 24]
}

/// Appends entries to a document straight into the relay's SQLite file (the relay is
/// stopped), as a relay colluding with a reader could.
fn inject(relay_dir: &std::path::Path, doc: &DocumentId, blobs: &[Vec<u8>]) {
    let db = rusqlite::Connection::open(relay_dir.join("relay.sqlite3")).unwrap();
    let head: i64 = db
        .query_row(
            "SELECT head FROM documents WHERE id = ?1",
            [&doc.0[..]],
            |r| r.get(0),
        )
        .unwrap();
    for (i, blob) in blobs.iter().enumerate() {
        let seq = head + 1 + i as i64;
        db.execute(
            "INSERT INTO entries (doc, seq, blob) VALUES (?1, ?2, ?3)",
            rusqlite::params![&doc.0[..], seq, blob],
        )
        .unwrap();
    }
    db.execute(
        "UPDATE documents SET head = ?2 WHERE id = ?1",
        rusqlite::params![&doc.0[..], head + blobs.len() as i64],
    )
    .unwrap();
}

#[test]
fn a_reader_and_the_relay_together_cannot_inject_changes() {
    let relay_dir = tempfile::tempdir().unwrap();
    let mut relay = Relay::start(relay_dir.path());
    let alice = Client::new("Alice");
    let (id, _) = shared_project(&alice, &relay, "Forfalskning");
    let viewer_link = alice.last_line(&["invite", &id, "--role", "viewer"]);
    let mallory = Client::new("Mallory");
    mallory.last_line(&["join", &viewer_link]);
    let export = mallory.data_dir().join("export.automerge");
    mallory.ok(&[
        "export",
        &id,
        "--format",
        "automerge",
        "-o",
        export.to_str().unwrap(),
    ]);
    let export = std::fs::read(&export).unwrap();

    let reader: ProjectKeys = key_file(&mallory, &id).keys();
    assert!(reader.write.is_none());
    let (unsigned, unsigned_hash) = change(&export, "unsigned");
    let (self_signed, self_signed_hash) = change(&export, "signed with the read key");
    let (genuine, genuine_hash) = change(&export, "signed by an editor");
    let mut forger = key_file(&mallory, &id).keys();
    forger.write = Some(forger.signing.clone());
    let editor = key_file(&alice, &id).keys();
    let blobs = vec![
        crypto::encrypt(&reader, BlobKind::Entry, nonce(1), &unsigned),
        crypto::sign_entry(
            &forger,
            &crypto::encrypt(&reader, BlobKind::Entry, nonce(2), &self_signed),
        )
        .unwrap(),
        // The control: sealed the same way, signed with the write key.
        crypto::encrypt_entry(&editor, nonce(3), &genuine).unwrap(),
    ];
    relay.kill();
    inject(relay_dir.path(), &reader.doc_id, &blobs);
    relay.restart();

    alice.sync_until_ok(&id);
    let path = alice.data_dir().join("alice.automerge");
    alice.ok(&[
        "export",
        &id,
        "--format",
        "automerge",
        "-o",
        path.to_str().unwrap(),
    ]);
    let doc = AutoCommit::load(&std::fs::read(&path).unwrap()).unwrap();
    assert!(
        doc.get_change_by_hash(&genuine_hash).is_some(),
        "the genuine entry arrived"
    );
    assert!(
        doc.get_change_by_hash(&unsigned_hash).is_none(),
        "unsigned entry applied"
    );
    assert!(
        doc.get_change_by_hash(&self_signed_hash).is_none(),
        "an entry signed with the read key was applied"
    );
    // Alice moved past them (they cannot get better) and is in sync.
    assert_eq!(alice.sync_column(&id), "Shared, nothing waiting");
}
