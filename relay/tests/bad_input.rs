//! Every kind of bad input gets a typed error (or a close with a reason), stores nothing,
//! and leaves the connection's other work and every other connection alone.

mod common;

use common::*;
use futures_util::SinkExt;
use samspill_shared::crypto::{BlobKind, Signature64};
use samspill_shared::protocol::{ClientFrame, ErrorCode, ServerFrame, close_code, encode_client};
use tokio_tungstenite::tungstenite::Message;

/// Alice and Bob share a project with two entries; Bob stays subscribed throughout.
async fn setup(relay: &Relay) -> (Client, Client) {
    let project = keys(1);
    let mut alice = relay.connect().await;
    alice.subscribe(&project, 0, true).await;
    alice.push(&project, 1, "one").await;
    alice.push(&project, 2, "two").await;
    let mut bob = relay.connect().await;
    bob.subscribe(&project, 2, false).await;
    (alice, bob)
}

fn expect_error(frame: ServerFrame, code: ErrorCode) -> String {
    match frame {
        ServerFrame::Error {
            code: got, message, ..
        } => {
            assert_eq!(got, code, "{message}");
            message
        }
        other => panic!("expected {code:?}, got {other:?}"),
    }
}

/// After the bad input: nothing was stored, Alice's connection still works, and Bob
/// (another connection) receives her next entry.
async fn still_fine(relay: &Relay, alice: &mut Client, bob: &mut Client, id: u64) {
    let project = keys(1);
    assert_eq!(
        relay.head(project.doc_id).await,
        Some(2),
        "the bad input stored something"
    );
    assert_eq!(alice.push(&project, id, "after").await, 3);
    assert_eq!(bob.entry(&project).await, (3, "after".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bytes_get_bad_frame() {
    let relay = Relay::start().await;
    let (mut alice, mut bob) = setup(&relay).await;
    alice
        .send_raw(vec![0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff, 0xff])
        .await;
    expect_error(alice.recv().await, ErrorCode::BadFrame);
    alice.ws.send(Message::Text("hello?".into())).await.unwrap();
    expect_error(alice.recv().await, ErrorCode::BadFrame);
    still_fine(&relay, &mut alice, &mut bob, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_frame_gets_bad_frame() {
    let relay = Relay::start().await;
    let (mut alice, mut bob) = setup(&relay).await;
    let project = keys(1);
    let push = encode_client(&ClientFrame::Push {
        doc: project.doc_id,
        id: 9,
        blob: seal(&project, BlobKind::Entry, 9, "cut"),
    });
    alice.send_raw(push[..push.len() - 5].to_vec()).await;
    let message = expect_error(alice.recv().await, ErrorCode::BadFrame);
    assert!(message.contains("truncated"), "{message}");
    still_fine(&relay, &mut alice, &mut bob, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_frame_type_gets_bad_frame() {
    let relay = Relay::start().await;
    let (mut alice, mut bob) = setup(&relay).await;
    alice.send_raw(vec![42, 1, 2, 3]).await;
    let message = expect_error(alice.recv().await, ErrorCode::BadFrame);
    assert!(message.contains("unknown frame type 42"), "{message}");
    still_fine(&relay, &mut alice, &mut bob, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_over_the_limit_gets_too_large() {
    let relay = Relay::start_with(|c| c.limits.max_frame_bytes = 64 * 1024).await;
    let (mut alice, mut bob) = setup(&relay).await;
    let project = keys(1);
    let big = "x".repeat(70 * 1024);
    alice
        .send(&ClientFrame::Push {
            doc: project.doc_id,
            id: 9,
            blob: seal(&project, BlobKind::Entry, 9, &big),
        })
        .await;
    expect_error(alice.recv().await, ErrorCode::TooLarge);
    still_fine(&relay, &mut alice, &mut bob, 10).await;

    // Far over the limit the websocket itself refuses it, with a reason.
    let huge = "x".repeat(300 * 1024);
    alice
        .send(&ClientFrame::Push {
            doc: project.doc_id,
            id: 11,
            blob: seal(&project, BlobKind::Entry, 11, &huge),
        })
        .await;
    let close = alice.closed().await.expect("a close reason");
    assert_eq!(u16::from(close.code), 1009);
    // Bob never noticed.
    let mut carol = relay.connect().await;
    carol.subscribe(&project, 3, false).await;
    carol.push(&project, 1, "carol").await;
    assert_eq!(bob.entry(&project).await, (4, "carol".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_version_and_missing_hello_close_with_a_reason() {
    let relay = Relay::start().await;
    let (mut alice, mut bob) = setup(&relay).await;

    let mut ws = Client::connect_raw(&relay.url(), None).await;
    ws.send(Message::Binary(
        encode_client(&ClientFrame::Hello { version: 99 }).into(),
    ))
    .await
    .unwrap();
    let mut client = Client {
        ws,
        challenge: [0; 32],
        durable: 0,
    };
    assert!(matches!(client.recv().await, ServerFrame::Hello { .. }));
    let message = expect_error(client.recv().await, ErrorCode::UnsupportedVersion);
    assert!(message.contains("99"), "{message}");
    let close = client.closed().await.expect("a close reason");
    assert_eq!(u16::from(close.code), close_code::UNSUPPORTED_VERSION);

    // A push before hello.
    let project = keys(1);
    let ws = Client::connect_raw(&relay.url(), None).await;
    let mut client = Client {
        ws,
        challenge: [0; 32],
        durable: 0,
    };
    client
        .send(&ClientFrame::Push {
            doc: project.doc_id,
            id: 1,
            blob: seal(&project, BlobKind::Entry, 1, "sneaky"),
        })
        .await;
    assert!(matches!(client.recv().await, ServerFrame::Hello { .. }));
    expect_error(client.recv().await, ErrorCode::BadFrame);
    let close = client.closed().await.expect("a close reason");
    assert_eq!(u16::from(close.code), 1002);

    still_fine(&relay, &mut alice, &mut bob, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signature_gets_bad_signature_and_no_subscription() {
    let relay = Relay::start().await;
    let (mut alice, mut bob) = setup(&relay).await;
    let project = keys(1);
    let mut mallory = relay.connect().await;
    // A proof for another challenge (Alice's connection), and a proof by another key.
    let stolen = samspill_shared::crypto::sign_subscribe(&project, &alice.challenge);
    mallory
        .send(&ClientFrame::Subscribe {
            doc: project.doc_id,
            since: 0,
            create: false,
            proof: stolen,
        })
        .await;
    expect_error(mallory.recv().await, ErrorCode::BadSignature);
    let wrong_key = samspill_shared::crypto::sign_subscribe(&keys(66), &mallory.challenge);
    mallory
        .send(&ClientFrame::Subscribe {
            doc: project.doc_id,
            since: 0,
            create: true,
            proof: wrong_key,
        })
        .await;
    expect_error(mallory.recv().await, ErrorCode::BadSignature);
    mallory
        .send(&ClientFrame::Subscribe {
            doc: project.doc_id,
            since: 0,
            create: true,
            proof: Signature64([0; 64]),
        })
        .await;
    expect_error(mallory.recv().await, ErrorCode::BadSignature);
    // Not subscribed, so Mallory cannot push either.
    mallory
        .send(&ClientFrame::Push {
            doc: project.doc_id,
            id: 1,
            blob: vec![1; 50],
        })
        .await;
    expect_error(mallory.recv().await, ErrorCode::NotSubscribed);
    still_fine(&relay, &mut alice, &mut bob, 10).await;
    // And nothing of Alice's reached Mallory.
    assert!(mallory.recv_nothing().await);
}

trait Nothing {
    async fn recv_nothing(&mut self) -> bool;
}

impl Nothing for Client {
    /// True if nothing is waiting: a probe subscribe round trip comes back first.
    async fn recv_nothing(&mut self) -> bool {
        let probe = keys(201);
        let frame = self.subscribe_frame(&probe, 0, true);
        self.send(&frame).await;
        matches!(self.recv().await, ServerFrame::Subscribed { doc, .. } if doc == probe.doc_id)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_snapshot_and_ephemeral_without_subscribe_get_not_subscribed() {
    let relay = Relay::start().await;
    let (mut alice, mut bob) = setup(&relay).await;
    let project = keys(1);
    let mut eve = relay.connect().await;
    eve.send(&ClientFrame::Push {
        doc: project.doc_id,
        id: 7,
        blob: vec![1; 50],
    })
    .await;
    match eve.recv().await {
        ServerFrame::Error {
            code: ErrorCode::NotSubscribed,
            doc,
            id,
            ..
        } => {
            assert_eq!(doc, Some(project.doc_id));
            assert_eq!(id, Some(7), "the error names the refused push");
        }
        other => panic!("{other:?}"),
    }
    eve.send(&ClientFrame::Snapshot {
        doc: project.doc_id,
        covers: 1,
        blob: vec![1; 50],
    })
    .await;
    expect_error(eve.recv().await, ErrorCode::NotSubscribed);
    eve.send(&ClientFrame::Ephemeral {
        doc: project.doc_id,
        blob: vec![1; 50],
    })
    .await;
    expect_error(eve.recv().await, ErrorCode::NotSubscribed);
    // Unsubscribing stops pushes too.
    alice
        .send(&ClientFrame::Unsubscribe {
            doc: project.doc_id,
        })
        .await;
    alice
        .send(&ClientFrame::Push {
            doc: project.doc_id,
            id: 8,
            blob: vec![1; 50],
        })
        .await;
    expect_error(alice.recv().await, ErrorCode::NotSubscribed);
    alice.subscribe(&project, 2, false).await;
    still_fine(&relay, &mut alice, &mut bob, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_for_a_seq_the_relay_does_not_have_gets_bad_snapshot() {
    let relay = Relay::start().await;
    let (mut alice, mut bob) = setup(&relay).await;
    let project = keys(1);
    for covers in [3, 0, u64::MAX] {
        alice
            .send(&ClientFrame::Snapshot {
                doc: project.doc_id,
                covers,
                blob: seal_snapshot(&project, covers, 1, "future"),
            })
            .await;
        expect_error(alice.recv().await, ErrorCode::BadSnapshot);
    }
    let page = relay
        .state
        .store()
        .read_page(project.doc_id, 0, 1 << 20)
        .await
        .unwrap();
    assert_eq!(page.snapshot, None);
    assert_eq!(page.entries.len(), 2);
    still_fine(&relay, &mut alice, &mut bob, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_document_without_create_gets_unknown_document() {
    let relay = Relay::start().await;
    let (mut alice, mut bob) = setup(&relay).await;
    let stranger = keys(77);
    let frame = alice.subscribe_frame(&stranger, 0, false);
    alice.send(&frame).await;
    expect_error(alice.recv().await, ErrorCode::UnknownDocument);
    assert_eq!(relay.head(stranger.doc_id).await, None, "not created");
    still_fine(&relay, &mut alice, &mut bob, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_on_subscriptions_and_push_rate() {
    let relay = Relay::start_with(|c| {
        c.limits.max_subscriptions = 2;
        c.limits.max_pushes_per_sec = 5;
    })
    .await;
    let (mut alice, mut bob) = setup(&relay).await;
    alice.subscribe(&keys(2), 0, true).await;
    let frame = alice.subscribe_frame(&keys(3), 0, true);
    alice.send(&frame).await;
    expect_error(alice.recv().await, ErrorCode::TooManySubscriptions);
    assert_eq!(relay.head(keys(3).doc_id).await, None);

    // A burst far over the rate: some are refused with RateLimited naming the push.
    let other = keys(2);
    for id in 1..=40 {
        alice
            .send(&ClientFrame::Push {
                doc: other.doc_id,
                id,
                blob: seal(&other, BlobKind::Entry, id, "burst"),
            })
            .await;
    }
    let (mut acked, mut limited) = (0, 0);
    while acked + limited < 40 {
        match alice.recv().await {
            ServerFrame::Ack { .. } => acked += 1,
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                id: Some(_),
                ..
            } => limited += 1,
            other => panic!("{other:?}"),
        }
    }
    assert!(limited > 0 && acked > 0, "acked {acked}, limited {limited}");
    assert_eq!(relay.head(other.doc_id).await, Some(acked));
    // Bob, on his own connection, is not limited by Alice's burst.
    let project = keys(1);
    assert_eq!(bob.push(&project, 1, "bob").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_is_disconnected_and_catches_up_later() {
    let relay = Relay::start_with(|c| {
        c.limits.send_buffer_bytes = 1 << 20;
        c.limits.max_pushes_per_sec = 100_000;
    })
    .await;
    let project = keys(1);
    let mut alice = relay.connect().await;
    alice.subscribe(&project, 0, true).await;
    let mut sloth = relay.connect().await;
    sloth.subscribe(&project, 0, false).await;

    // Alice pushes far more than socket buffers and the queue hold; the sloth reads nothing.
    let big = "x".repeat(256 * 1024);
    let blob = seal(&project, BlobKind::Entry, 1, &big);
    let mut last = 0;
    for id in 1..=400 {
        alice
            .send(&ClientFrame::Push {
                doc: project.doc_id,
                id,
                blob: blob.clone(),
            })
            .await;
        if id % 10 == 0 {
            last = alice.ack(id).await;
            if relay.state.hub().subscriber_count(&project.doc_id) == 1 {
                break; // the relay let go of the sloth
            }
        }
    }
    // The sloth finds, after whatever was already in flight, a close with the reason.
    let close = sloth.closed().await.expect("a close reason");
    assert_eq!(u16::from(close.code), close_code::TOO_SLOW);
    // Alice never noticed, and the sloth catches up from the log.
    let mut back = relay.connect().await;
    let (catch_up, head) = back.subscribe(&project, 0, false).await;
    assert!(head >= last);
    assert_eq!(entries(&project, &catch_up).len() as u64, head);
}
