//! Keepalive: the relay pings every connection and drops one that has been silent for
//! three intervals (a network that went away without closing); a peer that answers
//! stays. Real sockets on loopback, a relay served in-process.

// Test helpers panic on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt as _;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_peer_that_never_answers_pings_is_dropped_and_one_that_does_stays() {
    let relay = Relay::start_with(|c| c.limits.ping_every = Duration::from_millis(200)).await;
    let mut silent = relay.connect().await;
    let mut lively = relay.connect().await;

    // The lively peer reads (so its websocket answers every ping) for seven intervals.
    let mut pings = 0;
    let listened = tokio::time::timeout(Duration::from_millis(1500), async {
        loop {
            match lively.ws.next().await {
                Some(Ok(Message::Ping(_))) => pings += 1,
                Some(Ok(Message::Close(frame))) => panic!("a lively peer was closed: {frame:?}"),
                None | Some(Err(_)) => panic!("a lively peer was dropped"),
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(listened.is_err(), "still open after seven intervals");
    assert!(pings >= 3, "pinged every interval: {pings}");

    // The silent one read nothing meanwhile: its pings went unanswered, so it was closed.
    let frame = silent.closed().await;
    let frame = frame.expect("a close frame");
    assert_eq!(u16::from(frame.code), 1001);
    assert!(frame.reason.contains("ping"), "{}", frame.reason);
}
