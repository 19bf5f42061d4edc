//! A commit that fails after its entries were forwarded early: every subscriber that got
//! them is told to resubscribe, nothing numbered after them is stored out of order, and
//! the numbers are given out again. The failure is real: the SQLite database is capped
//! (`PRAGMA max_page_count`), so a large entry fails the way a full disk does.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use samspill_relay::store::{SqliteStore, Store};
use samspill_relay::{Config, RelayState};
use samspill_shared::crypto::BlobKind;
use samspill_shared::protocol::{ClientFrame, ServerFrame, close_code};

/// 4 KiB pages: room for the schema and a few small entries, not for a 1 MiB one.
const MAX_PAGES: u64 = 64;

async fn capped_relay() -> Relay {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.limits.max_pushes_per_sec = 100_000;
    let data = dir.path().to_owned();
    let state = RelayState::with_store(config, |listener| {
        Ok(Arc::new(SqliteStore::open_capped(&data, listener, MAX_PAGES)?) as Arc<dyn Store>)
    })
    .unwrap();
    Relay::serve(dir, state).await
}

fn push(keys: &samspill_shared::crypto::ProjectKeys, id: u64, text: &str) -> ClientFrame {
    ClientFrame::Push {
        doc: keys.doc_id,
        id,
        blob: seal(keys, BlobKind::Entry, id, text),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_commit_makes_everyone_who_saw_its_entries_resubscribe_and_reuses_its_numbers() {
    let relay = capped_relay().await;
    let keys = keys(1);
    let mut writer = relay.connect().await;
    writer.subscribe(&keys, 0, true).await;
    let mut reader = relay.connect().await;
    reader.subscribe(&keys, 0, false).await;

    for id in 1..=3 {
        let seq = writer.push(&keys, id, &format!("small {id}")).await;
        assert_eq!(seq, id);
        assert_eq!(reader.entry(&keys).await, (id, format!("small {id}")));
    }

    // A 1 MiB entry cannot fit; the small one behind it is numbered after it, before
    // the failure is known.
    let big = "x".repeat(1 << 20);
    writer.send(&push(&keys, 4, &big)).await;
    writer.send(&push(&keys, 5, "after the big one")).await;

    // The reader may get the big entry early (it is forwarded before the commit; whether
    // it is on the wire before the close depends on timing, since closing drops what is
    // still queued), and is then told to resubscribe.
    let mut early = Vec::new();
    let close = loop {
        match reader.next().await {
            Received::Frame(ServerFrame::Entry { seq, .. }) => early.push(seq),
            Received::Frame(other) => panic!("unexpected {other:?}"),
            Received::Closed(frame) => break frame,
        }
    };
    assert!(
        early.iter().all(|seq| *seq == 4 || *seq == 5),
        "only the lost numbers: {early:?}"
    );
    let close = close.expect("a close frame");
    assert_eq!(u16::from(close.code), close_code::RESUBSCRIBE, "{close:?}");

    // Neither push is acknowledged; both are refused, and the writer is told to
    // resubscribe as well.
    let mut refused = Vec::new();
    loop {
        match writer.next().await {
            Received::Frame(ServerFrame::Error { id: Some(id), .. }) => refused.push(id),
            Received::Frame(ServerFrame::Ack { id, seq, .. }) => {
                panic!("push {id} acknowledged as {seq} after a failed commit")
            }
            Received::Frame(_) => {}
            Received::Closed(_) => break,
        }
    }
    assert!(refused.iter().all(|id| *id == 4 || *id == 5), "{refused:?}");

    // What is stored ends at 3, with no gap; the numbers are given out again.
    assert_eq!(relay.head(keys.doc_id).await, Some(3));
    let mut writer = relay.connect().await;
    let (catch_up, head) = writer.subscribe(&keys, 0, false).await;
    assert_eq!(head, 3);
    let texts: Vec<_> = entries(&keys, &catch_up);
    assert_eq!(
        texts,
        (1..=3)
            .map(|i| (i, format!("small {i}")))
            .collect::<Vec<_>>()
    );
    let mut reader = relay.connect().await;
    reader.subscribe(&keys, 3, false).await;
    assert_eq!(writer.push(&keys, 6, "again").await, 4);
    assert_eq!(reader.entry(&keys).await, (4, "again".to_owned()));
    assert_eq!(relay.head(keys.doc_id).await, Some(4));
}
