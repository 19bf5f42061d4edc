//! `--require-token`: creating a document needs a bearer token; joining an existing one
//! needs only the subscribe proof.

mod common;

use common::*;
use samspill_relay::config::Access;
use samspill_relay::tokens;
use samspill_shared::protocol::{ErrorCode, ServerFrame};

async fn expect_unauthorized(client: &mut Client, n: u8) -> String {
    let project = keys(n);
    let frame = client.subscribe_frame(&project, 0, true);
    client.send(&frame).await;
    match client.recv().await {
        ServerFrame::Error {
            code: ErrorCode::Unauthorized,
            doc,
            message,
            ..
        } => {
            assert_eq!(doc, Some(project.doc_id));
            message
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_needs_a_valid_token_and_joining_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let good = tokens::create(dir.path(), "kommune-a", [1; 32]).unwrap();
    let revoked = tokens::create(dir.path(), "old", [2; 32]).unwrap();
    tokens::revoke(dir.path(), "old").unwrap();
    let relay = Relay::start_in(dir, |c| c.access = Access::TokenToCreate).await;
    let url = relay.url();

    // No token, a made-up token, a revoked token: refused, and nothing is created.
    let mut anonymous = Client::connect(&url, None).await;
    let message = expect_unauthorized(&mut anonymous, 10).await;
    assert!(message.contains("token"), "{message}");
    let mut forger = Client::connect(&url, Some("srt_madeup")).await;
    expect_unauthorized(&mut forger, 10).await;
    let mut former = Client::connect(&url, Some(&revoked)).await;
    let message = expect_unauthorized(&mut former, 10).await;
    assert!(!message.contains(&revoked), "the token is not echoed");
    assert_eq!(relay.head(keys(10).doc_id).await, None);

    // With a valid token, the facilitator shares the project.
    let mut host = Client::connect(&url, Some(&good)).await;
    host.subscribe(&keys(10), 0, true).await;
    host.push(&keys(10), 1, "hello").await;
    assert_eq!(
        tokens::list(relay.dir.path())
            .unwrap()
            .iter()
            .find(|t| t.name == "kommune-a")
            .unwrap()
            .documents,
        1
    );

    // A co-facilitator from another centre joins with the link alone (no token)…
    let (catch_up, head) = anonymous.subscribe(&keys(10), 0, false).await;
    assert_eq!(head, 1);
    assert_eq!(entries(&keys(10), &catch_up), vec![(1, "hello".to_owned())]);
    anonymous.push(&keys(10), 1, "hei").await;
    // …and `create: true` on an existing document is not creating.
    let (catch_up, _) = forger.subscribe(&keys(10), 0, true).await;
    assert_eq!(entries(&keys(10), &catch_up).len(), 2);

    // The refused connections kept working the whole time.
    anonymous.push(&keys(10), 2, "hallo").await;
    assert_eq!(forger.entry(&keys(10)).await, (3, "hallo".to_owned()));

    // Revoking takes effect for connections already open.
    assert_eq!(host.entry(&keys(10)).await.0, 2);
    assert_eq!(host.entry(&keys(10)).await.0, 3);
    tokens::revoke(relay.dir.path(), "kommune-a").unwrap();
    expect_unauthorized(&mut host, 11).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_relay_lets_anyone_create() {
    let relay = Relay::start().await;
    let mut anyone = Client::connect(&relay.url(), Some("srt_whatever")).await;
    anyone.subscribe(&keys(12), 0, true).await;
    assert_eq!(relay.head(keys(12).doc_id).await, Some(0));
}
