//! Sync over real websockets: ordering, catch-up with `since`, snapshots, ephemeral.

mod common;

use common::*;
use samspill_shared::crypto::BlobKind;
use samspill_shared::protocol::{ClientFrame, ServerFrame};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_receive_each_others_entries_in_order() {
    let relay = Relay::start().await;
    let project = keys(1);
    let mut alice = relay.connect().await;
    let mut bob = relay.connect().await;
    let (catch_up, head) = alice.subscribe(&project, 0, true).await;
    assert!(catch_up.is_empty());
    assert_eq!(head, 0);
    let (_, head) = bob.subscribe(&project, 0, false).await;
    assert_eq!(head, 0);

    // Alice writes three entries, Bob one, interleaved.
    assert_eq!(alice.push(&project, 1, "a1").await, 1);
    assert_eq!(alice.push(&project, 2, "a2").await, 2);
    assert_eq!(bob.entry(&project).await, (1, "a1".to_owned()));
    assert_eq!(bob.entry(&project).await, (2, "a2".to_owned()));
    // Entries are forwarded before their commit; each batch's commit is announced.
    bob.durable_at_least(2).await;
    assert_eq!(bob.push(&project, 1, "b1").await, 3);
    assert_eq!(alice.entry(&project).await, (3, "b1".to_owned()));

    // Many pushes in flight from both sides: each sees the other's in increasing order.
    for i in 0..50 {
        alice
            .send(&ClientFrame::Push {
                doc: project.doc_id,
                id: 100 + i,
                blob: seal(&project, BlobKind::Entry, i, &format!("a{i}")),
            })
            .await;
        bob.send(&ClientFrame::Push {
            doc: project.doc_id,
            id: 100 + i,
            blob: seal(&project, BlobKind::Entry, i, &format!("b{i}")),
        })
        .await;
    }
    for client in [&mut alice, &mut bob] {
        let mut acks = 0;
        let mut last_entry = 3;
        let mut last_ack = 3;
        while acks < 50 || last_entry.max(last_ack) < 103 {
            match client.recv().await {
                ServerFrame::Entry { seq, .. } => {
                    assert!(seq > last_entry, "entry {seq} after {last_entry}");
                    last_entry = seq;
                }
                ServerFrame::Ack { seq, .. } => {
                    assert!(seq > last_ack, "ack {seq} after {last_ack}");
                    last_ack = seq;
                    acks += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(relay.head(project.doc_id).await, Some(103));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnecting_with_since_gets_exactly_the_missing_entries() {
    let relay = Relay::start().await;
    let project = keys(2);
    let mut alice = relay.connect().await;
    alice.subscribe(&project, 0, true).await;
    for i in 1..=3 {
        alice.push(&project, i, &format!("e{i}")).await;
    }
    // Bob saw entries 1..=3, went offline; Alice wrote two more.
    let mut bob = relay.connect().await;
    let (catch_up, head) = bob.subscribe(&project, 0, false).await;
    assert_eq!(entries(&project, &catch_up).len(), 3);
    assert_eq!(head, 3);
    drop(bob);
    alice.push(&project, 4, "e4").await;
    alice.push(&project, 5, "e5").await;

    let mut bob = relay.connect().await;
    let (catch_up, head) = bob.subscribe(&project, 3, false).await;
    assert_eq!(
        entries(&project, &catch_up),
        vec![(4, "e4".to_owned()), (5, "e5".to_owned())]
    );
    assert_eq!(catch_up.len(), 2, "no snapshot, nothing else");
    assert_eq!(head, 5);

    // Already up to date: nothing but Subscribed.
    let mut carol = relay.connect().await;
    let (catch_up, head) = carol.subscribe(&project, 5, false).await;
    assert!(catch_up.is_empty());
    assert_eq!(head, 5);

    // A client that holds more than the relay (relay restored from an old backup) is
    // told the relay's head, which is lower than its since.
    let (catch_up, head) = carol.subscribe(&project, 9, false).await;
    assert!(catch_up.is_empty());
    assert_eq!(head, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_drops_covered_entries_and_late_subscriber_gets_snapshot_and_tail() {
    let relay = Relay::start().await;
    let project = keys(3);
    let mut alice = relay.connect().await;
    alice.subscribe(&project, 0, true).await;
    for i in 1..=5 {
        alice.push(&project, i, &format!("e{i}")).await;
    }
    alice
        .send(&ClientFrame::Snapshot {
            doc: project.doc_id,
            covers: 4,
            blob: seal_snapshot(&project, 4, 99, "state@4"),
        })
        .await;
    assert_eq!(
        alice.recv().await,
        ServerFrame::SnapshotAck {
            doc: project.doc_id,
            covers: 4
        }
    );
    alice.push(&project, 6, "e6").await;

    // Entries 1..=4 are gone from storage.
    let page = relay
        .state
        .store()
        .read_page(project.doc_id, 4, 1 << 20)
        .await
        .unwrap();
    assert_eq!(page.snapshot, None);
    assert_eq!(
        page.entries.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![5, 6]
    );

    // A late subscriber gets the snapshot, then the tail.
    let mut bob = relay.connect().await;
    let (catch_up, head) = bob.subscribe(&project, 0, false).await;
    assert_eq!(head, 6);
    match &catch_up[0] {
        ServerFrame::Snapshot { seq, blob, .. } => {
            assert_eq!(*seq, 4);
            assert_eq!(open_snapshot(&project, *seq, blob), "state@4");
        }
        other => panic!("expected the snapshot first, got {other:?}"),
    }
    assert_eq!(
        entries(&project, &catch_up[1..]),
        vec![(5, "e5".to_owned()), (6, "e6".to_owned())]
    );

    // One behind the snapshot also gets it; one at the snapshot does not.
    let (catch_up, _) = bob.subscribe(&project, 2, false).await;
    assert!(matches!(catch_up[0], ServerFrame::Snapshot { seq: 4, .. }));
    let (catch_up, _) = bob.subscribe(&project, 4, false).await;
    assert_eq!(entries(&project, &catch_up).len(), 2);
    assert_eq!(catch_up.len(), 2);

    // An older snapshot than the stored one is acknowledged and changes nothing.
    alice
        .send(&ClientFrame::Snapshot {
            doc: project.doc_id,
            covers: 2,
            blob: seal_snapshot(&project, 2, 98, "state@2"),
        })
        .await;
    assert_eq!(
        alice.recv().await,
        ServerFrame::SnapshotAck {
            doc: project.doc_id,
            covers: 2
        }
    );
    let page = relay
        .state
        .store()
        .read_page(project.doc_id, 0, 1 << 20)
        .await
        .unwrap();
    assert_eq!(page.snapshot.map(|(seq, _)| seq), Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemeral_frames_are_forwarded_to_others_and_never_stored() {
    let relay = Relay::start().await;
    let project = keys(4);
    let mut alice = relay.connect().await;
    let mut bob = relay.connect().await;
    alice.subscribe(&project, 0, true).await;
    bob.subscribe(&project, 0, false).await;
    alice
        .send(&ClientFrame::Ephemeral {
            doc: project.doc_id,
            blob: seal(&project, BlobKind::Ephemeral, 1, "alice is on phase 2"),
        })
        .await;
    match bob.recv().await {
        ServerFrame::Ephemeral { doc, blob } => {
            assert_eq!(doc, project.doc_id);
            assert_eq!(
                open(&project, BlobKind::Ephemeral, &blob),
                "alice is on phase 2"
            );
        }
        other => panic!("expected ephemeral, got {other:?}"),
    }
    // Not echoed to Alice: her next frame is the ack of her next push.
    assert_eq!(alice.push(&project, 1, "e1").await, 1);
    assert!(alice.recv_after_push_is_nothing().await.is_none());
    assert_eq!(relay.head(project.doc_id).await, Some(1));
    let mut carol = relay.connect().await;
    let (catch_up, _) = carol.subscribe(&project, 0, false).await;
    assert_eq!(
        catch_up.len(),
        1,
        "only the entry, no ephemeral: {catch_up:?}"
    );
}

trait Quiet {
    async fn recv_after_push_is_nothing(&mut self) -> Option<ServerFrame>;
}

impl Quiet for Client {
    /// Checks there is nothing waiting without relying on timing: a round trip through
    /// the relay (a subscribe to a fresh document) comes back before anything else.
    async fn recv_after_push_is_nothing(&mut self) -> Option<ServerFrame> {
        let probe = keys(200);
        let frame = self.subscribe_frame(&probe, 0, true);
        self.send(&frame).await;
        match self.recv().await {
            ServerFrame::Subscribed { doc, .. } if doc == probe.doc_id => None,
            other => Some(other),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_spans_many_pages_in_order() {
    let relay = Relay::start().await;
    let project = keys(5);
    let mut alice = relay.connect().await;
    alice.subscribe(&project, 0, true).await;
    let big = "x".repeat(100_000);
    for i in 1..=25 {
        alice
            .send(&ClientFrame::Push {
                doc: project.doc_id,
                id: i,
                blob: seal(&project, BlobKind::Entry, i, &big),
            })
            .await;
    }
    alice.ack(25).await;
    let mut bob = relay.connect().await;
    let (catch_up, head) = bob.subscribe(&project, 0, false).await;
    assert_eq!(head, 25);
    let seqs: Vec<u64> = entries(&project, &catch_up)
        .iter()
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(seqs, (1..=25).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_acknowledges_pending_pushes_then_closes() {
    let relay = Relay::start().await;
    let project = keys(6);
    let mut alice = relay.connect().await;
    alice.subscribe(&project, 0, true).await;
    for i in 1..=20 {
        alice
            .send(&ClientFrame::Push {
                doc: project.doc_id,
                id: i,
                blob: seal(&project, BlobKind::Entry, i, "x"),
            })
            .await;
    }
    alice.ack(1).await;
    relay.state.shutdown().await;
    // Whatever was acknowledged is stored; the connection ends with "going away".
    let mut acked = 1;
    loop {
        match alice.next().await {
            Received::Frame(ServerFrame::Ack { seq, .. }) => acked = acked.max(seq),
            Received::Frame(other) => panic!("unexpected {other:?}"),
            Received::Closed(frame) => {
                let frame = frame.expect("a close reason");
                assert_eq!(u16::from(frame.code), 1001);
                break;
            }
        }
    }
    let stored = samspill_relay::store::open_database(relay.dir.path())
        .unwrap()
        .query_row("SELECT head FROM documents", [], |r| r.get::<_, i64>(0))
        .unwrap();
    assert!(stored as u64 >= acked, "stored {stored}, acked {acked}");
}
