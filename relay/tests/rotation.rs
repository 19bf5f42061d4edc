//! Removing someone, as the relay sees it: `Rotate` seals a document and creates its
//! successor in one step, without a token, only for a connection that proved write
//! access; a sealed document refuses pushes and snapshots with `Moved` and tells late
//! subscribers where it went; all of it survives a SIGKILL. Runs the real binary.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Command, Stdio};

use common::*;
use samspill_shared::crypto::{BlobKind, ProjectKeys, sign_authorize};
use samspill_shared::protocol::{ClientFrame, ErrorCode, ServerFrame};

fn spawn_relay(data: &std::path::Path, require_token: bool) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_samspill-relay"));
    command
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stderr(Stdio::null());
    if require_token {
        command.arg("--require-token");
    }
    let (child, addr) = spawn_listening(command);
    (child, format!("ws://{addr}/v1/sync"))
}

fn rotate_frame(client: &Client, from: &ProjectKeys, to: &ProjectKeys, id: u64) -> ClientFrame {
    ClientFrame::Rotate {
        doc: from.doc_id,
        id,
        to: to.doc_id,
        write_key: to.write_public.to_bytes(),
        proof: sign_authorize(to, &client.challenge).unwrap(),
        rotation: seal(from, BlobKind::Entry, 90 + id, "rotation"),
        first: seal(to, BlobKind::Entry, 1, "the whole document"),
    }
}

/// The next frame that answers push or rotation `id`: its ack's seq, or its error.
async fn answer(client: &mut Client, id: u64) -> Result<u64, (ErrorCode, String)> {
    for _ in 0..1000 {
        match client.recv().await {
            ServerFrame::Ack { id: got, seq, .. } if got == id => return Ok(seq),
            ServerFrame::Error {
                id: Some(got),
                code,
                message,
                ..
            } if got == id => return Err((code, message)),
            _ => {}
        }
    }
    panic!("no answer to {id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_seals_the_document_and_creates_its_successor_in_one_step() {
    let dir = tempfile::tempdir().unwrap();
    // Creating documents needs a token here; the successor needs none.
    let (mut relay, url) = spawn_relay(dir.path(), true);
    let old = keys(1);
    let new = keys(2);
    let token = {
        let out = Command::new(env!("CARGO_BIN_EXE_samspill-relay"))
            .arg("--data")
            .arg(dir.path())
            .args(["token", "create", "rvts"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .last()
            .unwrap()
            .trim()
            .to_owned()
    };
    let mut alice = Client::connect(&url, Some(&token)).await;
    alice.subscribe(&old, 0, true).await;
    alice.push(&old, 1, "before").await;

    // Bob listens on the old document; Carol only reads (no write proof).
    let mut bob = Client::connect(&url, None).await;
    bob.subscribe(&old, 1, false).await;
    let mut carol = Client::connect(&url, None).await;
    let frame = carol.subscribe_frame(&old, 1, false);
    carol.send(&frame).await;
    while !matches!(carol.recv().await, ServerFrame::Subscribed { .. }) {}

    // A reader cannot rotate (or seal) the document.
    let frame = rotate_frame(&carol, &old, &keys(3), 5);
    carol.send(&frame).await;
    assert_eq!(
        answer(&mut carol, 5).await.unwrap_err().0,
        ErrorCode::ReadOnly
    );
    // A proof for the successor made on another connection's challenge is refused.
    let mut bad = rotate_frame(&alice, &old, &new, 6);
    if let ClientFrame::Rotate { proof, .. } = &mut bad {
        *proof = sign_authorize(&new, &carol.challenge).unwrap();
    }
    alice.send(&bad).await;
    assert_eq!(
        answer(&mut alice, 6).await.unwrap_err().0,
        ErrorCode::BadSignature
    );
    // A successor that exists already is refused (it would overwrite a document).
    let mut other = Client::connect(&url, Some(&token)).await;
    other.subscribe(&keys(4), 0, true).await;
    let frame = rotate_frame(&alice, &old, &keys(4), 7);
    alice.send(&frame).await;
    assert_eq!(
        answer(&mut alice, 7).await.unwrap_err().0,
        ErrorCode::BadFrame
    );
    assert_eq!(entries_of(&url, &old).await, vec![(1, "before".to_owned())]);

    let frame = rotate_frame(&alice, &old, &new, 8);
    alice.send(&frame).await;
    assert_eq!(answer(&mut alice, 8).await, Ok(2));
    // Bob gets the rotation entry, then `Moved`.
    assert_eq!(bob.entry(&old).await, (2, "rotation".to_owned()));
    assert_eq!(
        bob.recv().await,
        ServerFrame::Moved {
            doc: old.doc_id,
            to: new.doc_id
        }
    );
    // The sealed document refuses pushes and snapshots, from anyone.
    alice
        .send(&ClientFrame::Push {
            doc: old.doc_id,
            id: 9,
            blob: seal(&old, BlobKind::Entry, 9, "after"),
        })
        .await;
    assert_eq!(answer(&mut alice, 9).await.unwrap_err().0, ErrorCode::Moved);
    let frame = rotate_frame(&bob, &old, &keys(5), 10);
    bob.send(&frame).await;
    assert_eq!(answer(&mut bob, 10).await.unwrap_err().0, ErrorCode::Moved);
    // The rotating connection may write the successor at once.
    let (catch_up, head) = alice.subscribe(&new, 0, false).await;
    assert_eq!(head, 1);
    assert_eq!(
        entries(&new, &catch_up),
        vec![(1, "the whole document".to_owned())]
    );
    alice.push(&new, 11, "in the new epoch").await;

    // After a SIGKILL: still sealed, the successor still there with its write key.
    relay.kill().unwrap();
    relay.wait().unwrap();
    let (mut relay, url) = spawn_relay(dir.path(), true);
    let mut late = Client::connect(&url, None).await;
    let frame = late.subscribe_frame(&old, 0, false);
    late.send(&frame).await;
    let mut seen = Vec::new();
    loop {
        match late.recv().await {
            ServerFrame::Moved { doc, to } => {
                assert_eq!((doc, to), (old.doc_id, new.doc_id));
                break;
            }
            other => seen.push(other),
        }
    }
    assert_eq!(
        entries(&old, &seen),
        vec![(1, "before".to_owned()), (2, "rotation".to_owned())]
    );
    assert!(matches!(
        seen.last(),
        Some(ServerFrame::Subscribed { head: 2, .. })
    ));
    // A forged write key for the successor is refused: the rotation registered it.
    let mut forger = Client::connect(&url, None).await;
    let frame = forger.subscribe_frame(&new, 0, false);
    forger.send(&frame).await;
    while !matches!(forger.recv().await, ServerFrame::Subscribed { .. }) {}
    let forged = keys(6);
    forger
        .send(&ClientFrame::Authorize {
            doc: new.doc_id,
            write_key: forged.write_public.to_bytes(),
            proof: sign_authorize(&forged, &forger.challenge).unwrap(),
        })
        .await;
    loop {
        if let ServerFrame::Error { code, .. } = forger.recv().await {
            assert_eq!(code, ErrorCode::BadSignature);
            break;
        }
    }
    relay.kill().unwrap();
}

/// The decrypted entries of `keys`' document, read on a fresh connection.
async fn entries_of(url: &str, keys: &ProjectKeys) -> Vec<(u64, String)> {
    let mut c = Client::connect(url, None).await;
    let frame = c.subscribe_frame(keys, 0, false);
    c.send(&frame).await;
    let mut seen = Vec::new();
    loop {
        match c.recv().await {
            ServerFrame::Subscribed { .. } => break,
            other => seen.push(other),
        }
    }
    entries(keys, &seen)
}
