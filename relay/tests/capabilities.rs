//! Who may write: the relay accepts pushes and snapshots only on a connection that has
//! proven the document's write key (`Authorize`), registers that key with the first
//! proof, and refuses a viewer's hand-built frames with a typed error, storing nothing.
//! Runs the real binary, so the registered key is checked to survive a SIGKILL.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Command, Stdio};

use common::*;
use ed25519_dalek::SigningKey;
use samspill_shared::crypto::{BlobKind, ProjectKeys, ProjectSecret, sign_authorize};
use samspill_shared::protocol::{ClientFrame, ErrorCode, ServerFrame};

fn spawn_relay(data: &std::path::Path) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_samspill-relay"));
    command
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stderr(Stdio::null());
    let (child, addr) = spawn_listening(command);
    (child, format!("ws://{addr}/v1/sync"))
}

fn viewer_keys(n: u8) -> ProjectKeys {
    ProjectSecret::from_bytes([n; 32]).read_capability().keys()
}

/// Subscribes without proving write access (`Client::subscribe` authorizes an editor).
async fn subscribe_only(client: &mut Client, keys: &ProjectKeys, since: u64, create: bool) {
    let subscribe = client.subscribe_frame(keys, since, create);
    client.send(&subscribe).await;
    while !matches!(client.recv().await, ServerFrame::Subscribed { .. }) {}
}

/// The next error frame, skipping live entries and the like.
async fn error(client: &mut Client) -> (ErrorCode, Option<u64>, String) {
    for _ in 0..1000 {
        if let ServerFrame::Error {
            code, id, message, ..
        } = client.recv().await
        {
            return (code, id, message);
        }
    }
    panic!("no error frame");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_reads_and_its_hand_built_writes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut relay, url) = spawn_relay(dir.path());
    let editor = keys(1);
    let viewer = viewer_keys(1);
    assert_eq!(viewer.doc_id, editor.doc_id);

    let mut alice = Client::connect(&url, None).await;
    alice.subscribe(&editor, 0, true).await;
    assert_eq!(alice.push(&editor, 1, "plan").await, 1);

    // The viewer subscribes with the read key and gets the log.
    let mut reader = Client::connect(&url, None).await;
    let (catch_up, head) = reader.subscribe(&viewer, 0, false).await;
    assert_eq!(head, 1);
    assert_eq!(entries(&viewer, &catch_up), vec![(1, "plan".to_owned())]);

    // A push it builds by hand (it holds the content key) is refused, typed.
    reader
        .send(&ClientFrame::Push {
            doc: viewer.doc_id,
            id: 7,
            blob: seal(&viewer, BlobKind::Entry, 7, "forged"),
        })
        .await;
    let (code, id, message) = error(&mut reader).await;
    assert_eq!(code, ErrorCode::ReadOnly, "{message}");
    assert_eq!(id, Some(7));
    assert!(message.contains("only read"), "{message}");
    reader
        .send(&ClientFrame::Snapshot {
            doc: viewer.doc_id,
            covers: 1,
            blob: seal_snapshot(&viewer, 1, 8, "forged state"),
        })
        .await;
    assert_eq!(error(&mut reader).await.0, ErrorCode::ReadOnly);

    // It cannot make itself a writer: a key of its own, with a proof that verifies for
    // that key, is not the document's write key.
    let mut forger = viewer_keys(1);
    forger.write = Some(SigningKey::from_bytes(&[99; 32]));
    forger.write_public = forger.write.as_ref().unwrap().verifying_key();
    let frame = reader.authorize_frame(&forger).unwrap();
    reader.send(&frame).await;
    let (code, _, message) = error(&mut reader).await;
    assert_eq!(code, ErrorCode::BadSignature);
    assert!(
        message.contains("not the document's write key"),
        "{message}"
    );
    // Nor by replaying the editor's proof from another connection (another challenge).
    let replayed = alice.authorize_frame(&editor).unwrap();
    reader.send(&replayed).await;
    assert_eq!(error(&mut reader).await.0, ErrorCode::BadSignature);
    reader
        .send(&ClientFrame::Push {
            doc: viewer.doc_id,
            id: 9,
            blob: seal(&viewer, BlobKind::Entry, 9, "forged again"),
        })
        .await;
    assert_eq!(error(&mut reader).await.0, ErrorCode::ReadOnly);

    // Nothing was stored: the editor's next entry is 2, and the viewer gets it live.
    assert_eq!(alice.push(&editor, 2, "more").await, 2);
    assert_eq!(reader.entry(&viewer).await, (2, "more".to_owned()));

    // The registered key survives a SIGKILL: after a restart the forger is still refused
    // and the editor still writes.
    relay.kill().unwrap();
    relay.wait().unwrap();
    let (mut relay, url) = {
        let (child, url) = spawn_relay(dir.path());
        (child, url)
    };
    let mut reader = Client::connect(&url, None).await;
    reader.subscribe(&viewer, 2, false).await;
    let frame = reader.authorize_frame(&forger).unwrap();
    reader.send(&frame).await;
    assert_eq!(error(&mut reader).await.0, ErrorCode::BadSignature);
    let mut alice = Client::connect(&url, None).await;
    alice.subscribe(&editor, 2, false).await;
    assert_eq!(alice.push(&editor, 3, "after restart").await, 3);
    relay.kill().unwrap();
    relay.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writing_needs_a_subscription_and_a_write_proof_first() {
    let dir = tempfile::tempdir().unwrap();
    let (mut relay, url) = spawn_relay(dir.path());
    let editor = keys(2);
    let mut client = Client::connect(&url, None).await;
    // Authorize before subscribing: refused, nothing registered.
    let frame = client.authorize_frame(&editor).unwrap();
    client.send(&frame).await;
    assert_eq!(error(&mut client).await.0, ErrorCode::NotSubscribed);
    // Subscribed but not authorized: a push is refused as read-only.
    subscribe_only(&mut client, &editor, 0, true).await;
    client
        .send(&ClientFrame::Push {
            doc: editor.doc_id,
            id: 1,
            blob: seal(&editor, BlobKind::Entry, 1, "too early"),
        })
        .await;
    assert_eq!(error(&mut client).await.0, ErrorCode::ReadOnly);
    // A proof with a bad signature is refused; the right one is answered `Authorized`.
    let Some(ClientFrame::Authorize {
        doc,
        write_key,
        mut proof,
    }) = client.authorize_frame(&editor)
    else {
        unreachable!()
    };
    proof.0[0] ^= 1;
    client
        .send(&ClientFrame::Authorize {
            doc,
            write_key,
            proof,
        })
        .await;
    assert_eq!(error(&mut client).await.0, ErrorCode::BadSignature);
    let good = sign_authorize(&editor, &client.challenge).unwrap();
    client
        .send(&ClientFrame::Authorize {
            doc,
            write_key,
            proof: good,
        })
        .await;
    assert_eq!(client.recv().await, ServerFrame::Authorized { doc });
    assert_eq!(client.push(&editor, 2, "now").await, 1);
    // Unsubscribing ends write access too.
    client.send(&ClientFrame::Unsubscribe { doc }).await;
    subscribe_only(&mut client, &editor, 1, false).await;
    client
        .send(&ClientFrame::Push {
            doc,
            id: 3,
            blob: seal(&editor, BlobKind::Entry, 3, "after unsubscribe"),
        })
        .await;
    assert_eq!(error(&mut client).await.0, ErrorCode::ReadOnly);
    relay.kill().unwrap();
    relay.wait().unwrap();
}

/// A relay in the middle (or a forged advert on the LAN) can pass an editor's proof on
/// for its own connection and so get write access; the relay still stores nothing the
/// editor did not sign: no entry, no snapshot that would cut the log, no rotation that
/// would seal the document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_with_a_passed_on_proof_still_stores_only_what_an_editor_signed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut relay, url) = spawn_relay(dir.path());
    let editor = keys(2);
    let viewer = viewer_keys(2);
    let mut alice = Client::connect(&url, None).await;
    alice.subscribe(&editor, 0, true).await;
    assert_eq!(alice.push(&editor, 1, "plan").await, 1);
    assert_eq!(alice.push(&editor, 2, "more").await, 2);

    // Mallory holds only the read key; the editor's client, fooled into talking to her,
    // signs her connection's challenge, and the relay authorizes her.
    let mut mallory = Client::connect(&url, None).await;
    subscribe_only(&mut mallory, &viewer, 0, false).await;
    let passed_on = mallory.authorize_frame(&editor).unwrap();
    mallory.send(&passed_on).await;
    while !matches!(mallory.recv().await, ServerFrame::Authorized { .. }) {}

    let mut forger = viewer_keys(2);
    forger.write = Some(SigningKey::from_bytes(&[98; 32]));
    forger.write_public = forger.write.as_ref().unwrap().verifying_key();
    let mut genuine_snapshot = seal_snapshot(&editor, 1, 5, "state@1");
    let refused: Vec<(&str, ClientFrame)> = vec![
        (
            "an unsigned entry",
            ClientFrame::Push {
                doc: viewer.doc_id,
                id: 10,
                blob: seal(&viewer, BlobKind::Entry, 10, "unsigned"),
            },
        ),
        (
            "an entry signed with another key",
            ClientFrame::Push {
                doc: viewer.doc_id,
                id: 11,
                blob: seal(&forger, BlobKind::Entry, 11, "forged"),
            },
        ),
        (
            "a snapshot covering everything, signed with another key",
            ClientFrame::Snapshot {
                doc: viewer.doc_id,
                covers: 2,
                blob: seal_snapshot(&forger, 2, 12, "nothing"),
            },
        ),
        (
            "an editor's snapshot relabelled to cover more",
            ClientFrame::Snapshot {
                doc: viewer.doc_id,
                covers: 2,
                blob: std::mem::take(&mut genuine_snapshot),
            },
        ),
        (
            "a rotation that is not the editor's",
            ClientFrame::Rotate {
                doc: viewer.doc_id,
                id: 13,
                to: keys(3).doc_id,
                write_key: keys(3).write_public.to_bytes(),
                proof: sign_authorize(&keys(3), &mallory.challenge).unwrap(),
                rotation: seal(&forger, BlobKind::Entry, 13, "rotation"),
                first: seal(&keys(3), BlobKind::Entry, 1, "the whole document"),
            },
        ),
    ];
    for (what, frame) in refused {
        mallory.send(&frame).await;
        let (code, _, message) = error(&mut mallory).await;
        assert_eq!(code, ErrorCode::BadSignature, "{what}: {message}");
        assert!(message.contains("signed"), "{what}: {message}");
    }

    // Nothing was stored, cut or sealed: a newcomer gets the whole log, and the editor
    // goes on writing.
    let mut bob = Client::connect(&url, None).await;
    let (catch_up, head) = bob.subscribe(&viewer, 0, false).await;
    assert_eq!(head, 2);
    assert_eq!(
        entries(&viewer, &catch_up),
        vec![(1, "plan".to_owned()), (2, "more".to_owned())]
    );
    assert_eq!(alice.push(&editor, 3, "still mine").await, 3);
    relay.kill().unwrap();
    relay.wait().unwrap();
}

/// The relay embedded in the app on the local network knows the write key of every
/// document it may create: someone holding only the read key cannot register a key of
/// their own before the editors connect, nor create documents of their own or rotate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_on_the_network_registers_its_projects_write_keys_as_it_creates_them() {
    let editor = keys(4);
    let viewer = viewer_keys(4);
    let list = samspill_relay::DocumentList::default();
    list.insert(editor.doc_id, editor.write_public.to_bytes());
    let relay = Relay::start_with(|c| c.only_documents = Some(list.clone())).await;

    // A viewer's device creates the document (it lists its projects too) and never
    // authorizes; Mallory, with the read key, tries to register a key of her own.
    let mut host = relay.connect().await;
    subscribe_only(&mut host, &viewer, 0, true).await;
    let mut mallory = relay.connect().await;
    subscribe_only(&mut mallory, &viewer, 0, false).await;
    let mut forger = viewer_keys(4);
    forger.write = Some(SigningKey::from_bytes(&[97; 32]));
    forger.write_public = forger.write.as_ref().unwrap().verifying_key();
    let frame = mallory.authorize_frame(&forger).unwrap();
    mallory.send(&frame).await;
    let (code, _, message) = error(&mut mallory).await;
    assert_eq!(code, ErrorCode::BadSignature, "{message}");
    assert!(
        message.contains("not the document's write key"),
        "{message}"
    );

    // The editor writes as usual.
    let mut alice = relay.connect().await;
    alice.subscribe(&editor, 0, false).await;
    assert_eq!(alice.push(&editor, 1, "plan").await, 1);

    // A document it does not list is not created, and no rotation is taken.
    let mut stranger = relay.connect().await;
    let theirs = keys(5);
    let subscribe = stranger.subscribe_frame(&theirs, 0, true);
    stranger.send(&subscribe).await;
    assert_eq!(error(&mut stranger).await.0, ErrorCode::Unauthorized);
    let successor = keys(6);
    alice
        .send(&ClientFrame::Rotate {
            doc: editor.doc_id,
            id: 2,
            to: successor.doc_id,
            write_key: successor.write_public.to_bytes(),
            proof: sign_authorize(&successor, &alice.challenge).unwrap(),
            rotation: seal(&editor, BlobKind::Entry, 2, "rotation"),
            first: seal(&successor, BlobKind::Entry, 1, "the whole document"),
        })
        .await;
    let (code, id, message) = error(&mut alice).await;
    assert_eq!((code, id), (ErrorCode::Unauthorized, Some(2)), "{message}");
    assert_eq!(alice.push(&editor, 3, "still here").await, 2);
}
