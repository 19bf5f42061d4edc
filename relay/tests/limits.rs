//! The relay's limits, tried as an attacker would: connections that never say Hello,
//! request headers sent one byte at a time, a large frame before Hello, a subscriber
//! that stops reading during catch-up, too many connections, subscribe floods, and a
//! relay out of file descriptors. Each limit is set low here so the test is quick.
// Tests and their helpers: a panic is a failed test, and says where.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use samspill_shared::crypto::BlobKind;
use samspill_shared::protocol::{ClientFrame, ErrorCode, ServerFrame, close_code};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A TCP connection to `addr` from the loopback address `from` (127.0.0.x are all
/// loopback on Linux, so one machine can play several clients' addresses).
async fn tcp_from(from: [u8; 4], addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(addr).await
}

/// Reads until the peer closes; returns what it sent.
async fn read_to_close(tcp: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let result = tokio::time::timeout(PATIENCE, tcp.read_to_end(&mut got)).await;
    assert!(result.is_ok(), "the relay did not close the connection");
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_that_never_says_hello_is_closed() {
    let relay = Relay::start_with(|c| c.limits.hello_timeout = Duration::from_millis(500)).await;
    let mut ws = Client::connect_raw(&relay.url(), None).await;
    // The relay's Hello arrives, then, with nothing sent back, the close.
    let mut close = None;
    while let Some(Ok(msg)) = tokio::time::timeout(PATIENCE, ws.next()).await.unwrap() {
        if let Message::Close(frame) = msg {
            close = frame;
            break;
        }
    }
    let close = close.expect("a close frame");
    assert_eq!(u16::from(close.code), 1008);
    assert_eq!(close.reason.as_str(), "no Hello in time");
    // Hello alone proves nothing (it needs no key): one that never subscribes goes too.
    let mut idle = relay.connect().await;
    let close = idle.closed().await.expect("a close frame");
    assert_eq!(u16::from(close.code), 1008);
    assert_eq!(close.reason.as_str(), "no subscribe in time");
    // A client that says Hello and subscribes in time is served as always.
    let project = keys(1);
    let mut alice = relay.connect().await;
    alice.subscribe(&project, 0, true).await;
    assert_eq!(alice.push(&project, 1, "hello").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_headers_must_arrive_in_time_even_one_byte_at_a_time() {
    let relay = Relay::start_with(|c| c.limits.header_timeout = Duration::from_millis(700)).await;
    // A TCP connection that sends nothing at all.
    let mut silent = TcpStream::connect(relay.addr).await.unwrap();
    // Slowloris: a byte every 200 ms, never finishing the headers.
    let mut slow = TcpStream::connect(relay.addr).await.unwrap();
    let trickle = tokio::spawn(async move {
        let request =
            b"GET /v1/sync HTTP/1.1\r\nHost: relay\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaa";
        for byte in request {
            if slow.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // The relay closed on us (or we ran out of bytes): see whether it is closed.
        let mut rest = Vec::new();
        tokio::time::timeout(PATIENCE, slow.read_to_end(&mut rest))
            .await
            .is_ok()
    });
    read_to_close(&mut silent).await;
    assert!(
        trickle.await.unwrap(),
        "a trickling client is cut off at the header deadline"
    );
    // Meanwhile a real request is answered.
    let response = http_get(relay.addr, "/healthz").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

async fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    String::from_utf8_lossy(&read_to_close(&mut tcp).await).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_frame_before_hello_is_refused_and_after_hello_it_is_fine() {
    let relay = Relay::start_with(|c| c.limits.max_bytes_before_hello = 64 * 1024).await;
    let mut ws = Client::connect_raw(&relay.url(), None).await;
    let big = vec![7u8; 200 * 1024];
    // The send may fail part way: the relay stops reading once over the budget.
    let _ = ws.send(Message::Binary(big.into())).await;
    let mut closed = false;
    while let Ok(next) = tokio::time::timeout(PATIENCE, ws.next()).await {
        match next {
            Some(Ok(Message::Close(frame))) => {
                if let Some(frame) = frame {
                    assert_eq!(u16::from(frame.code), 1009);
                }
                closed = true;
                break;
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => {
                closed = true;
                break;
            }
        }
    }
    assert!(closed, "the connection was not closed");
    // After Hello the same size is an ordinary push.
    let project = keys(1);
    let mut alice = relay.connect().await;
    alice.subscribe(&project, 0, true).await;
    let text = "x".repeat(200 * 1024);
    alice
        .send(&ClientFrame::Push {
            doc: project.doc_id,
            id: 1,
            blob: seal(&project, BlobKind::Entry, 1, &text),
        })
        .await;
    assert_eq!(alice.ack(1).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_frame_before_hello_closes_with_1002() {
    let relay = Relay::start().await;
    let mut ws = Client::connect_raw(&relay.url(), None).await;
    ws.send(Message::Text("hello?".into())).await.unwrap();
    let mut client = Client {
        ws,
        challenge: [0; 32],
        durable: 0,
    };
    // The relay's Hello, the BadFrame error, then the close.
    let mut saw_error = false;
    loop {
        match client.next().await {
            Received::Frame(ServerFrame::Error { code, .. }) => {
                assert_eq!(code, ErrorCode::BadFrame);
                saw_error = true;
            }
            Received::Frame(_) => {}
            Received::Closed(frame) => {
                assert_eq!(u16::from(frame.expect("a close frame").code), 1002);
                break;
            }
        }
    }
    assert!(saw_error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_stops_reading_during_catch_up_is_disconnected() {
    let relay = Relay::start_with(|c| {
        c.limits.max_frame_bytes = 600 * 1024;
        c.limits.send_buffer_bytes = 2 << 20;
        c.limits.write_timeout = Duration::from_secs(3);
        c.limits.max_pushes_per_sec = 100_000;
    })
    .await;
    let project = keys(1);
    let mut alice = relay.connect().await;
    alice.subscribe(&project, 0, true).await;
    // 20 MiB of log: far more than the send buffer and the sloth's socket buffers.
    let blob = seal(&project, BlobKind::Entry, 1, &"y".repeat(512 * 1024));
    for id in 1..=40 {
        alice
            .send(&ClientFrame::Push {
                doc: project.doc_id,
                id,
                blob: blob.clone(),
            })
            .await;
        if id % 10 == 0 {
            alice.ack(id).await;
        }
    }
    // The sloth subscribes from the start and reads nothing; a small receive buffer
    // keeps the kernel from taking much of the log off the relay's hands.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(64 * 1024).unwrap();
    let tcp = socket.connect(relay.addr).await.unwrap();
    let request = relay.url().into_client_request().unwrap();
    let tcp = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
    let (ws, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
    let mut sloth = Client::greet(ws).await;
    let frame = sloth.subscribe_frame(&project, 0, false);
    sloth.send(&frame).await;
    // The relay registers it, then, while it is still catching up, lets go of it
    // within the write timeout.
    wait_for(|| relay.state.hub().subscriber_count(&project.doc_id) == 2).await;
    wait_for(|| relay.state.hub().subscriber_count(&project.doc_id) == 1).await;
    // The close frame says why, if it got out before the socket was dropped.
    if let Some(close) = sloth.closed().await {
        assert_eq!(u16::from(close.code), close_code::TOO_SLOW);
    }
    // Alice is untouched, and a reading client gets the whole log.
    assert_eq!(alice.push(&project, 41, "still here").await, 41);
    let mut back = relay.connect().await;
    let (catch_up, head) = back.subscribe(&project, 0, false).await;
    assert_eq!(head, 41);
    assert_eq!(entries(&project, &catch_up).len(), 41);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_capped_in_total_and_per_address() {
    let relay = Relay::start_with(|c| {
        c.limits.max_connections = 6;
        c.limits.max_connections_per_ip = Some(3);
    })
    .await;
    // Three from 127.0.0.2 are let in (they are served: a request gets an answer later).
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tcp_from([127, 0, 0, 2], relay.addr).await.unwrap());
    }
    wait_for(|| relay.state.open_connections() == 3).await;
    // The fourth from the same address gets a 503 and is closed.
    let mut fourth = tcp_from([127, 0, 0, 2], relay.addr).await.unwrap();
    let answer = String::from_utf8_lossy(&read_to_close(&mut fourth).await).into_owned();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    // Other addresses are still welcome, up to the total.
    for from in [[127, 0, 0, 3], [127, 0, 0, 3], [127, 0, 0, 4]] {
        held.push(tcp_from(from, relay.addr).await.unwrap());
    }
    wait_for(|| relay.state.open_connections() == 6).await;
    let mut seventh = tcp_from([127, 0, 0, 5], relay.addr).await.unwrap();
    let answer = String::from_utf8_lossy(&read_to_close(&mut seventh).await).into_owned();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    // Closing connections frees their slots; a websocket counts until it closes.
    held.clear();
    wait_for(|| relay.state.open_connections() == 0).await;
    let project = keys(1);
    let mut alice = relay.connect().await;
    alice.subscribe(&project, 0, true).await;
    assert_eq!(relay.state.open_connections(), 1);
    assert_eq!(alice.push(&project, 1, "in").await, 1);
    drop(alice);
    wait_for(|| relay.state.open_connections() == 0).await;
}

/// Polls `done` until it holds (or the test's patience runs out).
async fn wait_for(mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "gave up waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribes_are_rate_limited() {
    let relay = Relay::start_with(|c| c.limits.max_subscribes_per_sec = 1).await;
    let mut alice = relay.connect().await;
    let projects: Vec<_> = (1..=20).map(keys).collect();
    for project in &projects {
        let frame = alice.subscribe_frame(project, 0, true);
        alice.send(&frame).await;
    }
    let (mut subscribed, mut limited) = (0, 0);
    while subscribed + limited < projects.len() {
        match alice.recv().await {
            ServerFrame::Subscribed { .. } => subscribed += 1,
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                doc: Some(_),
                ..
            } => limited += 1,
            other => panic!("{other:?}"),
        }
    }
    assert!(
        subscribed >= 1 && limited >= 10,
        "{subscribed} subscribed, {limited} limited"
    );
}

/// Starts the real relay binary with at most `files` file descriptors (through
/// util-linux's `prlimit`); None (and a printed reason) where that is not available.
fn relay_with_few_files(
    data: &std::path::Path,
    files: u32,
) -> Option<(std::process::Child, SocketAddr)> {
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("skipped: prlimit (util-linux) is not installed");
        return None;
    }
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--nofile={files}:{files}"))
        .arg(env!("CARGO_BIN_EXE_samspill-relay"))
        .args(["--listen", "127.0.0.1:0", "--header-secs", "1", "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stderr(Stdio::piped());
    Some(spawn_listening(command))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accept_loop_survives_running_out_of_file_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    let Some((mut relay, addr)) = relay_with_few_files(dir.path(), 48) else {
        return;
    };
    // More idle connections than the relay has descriptors: it runs out and cannot
    // accept; the kernel still completes the handshakes into the listen backlog.
    let mut idle = Vec::new();
    for _ in 0..80 {
        match TcpStream::connect(addr).await {
            Ok(tcp) => idle.push(tcp),
            Err(_) => break,
        }
    }
    // The header deadline frees the descriptors; the relay accepts again and serves.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    drop(idle);
    let url = format!("ws://{addr}/v1/sync");
    let project = keys(1);
    let mut alice = tokio::time::timeout(PATIENCE, Client::connect(&url, None))
        .await
        .expect("the relay accepts again");
    alice.subscribe(&project, 0, true).await;
    assert_eq!(alice.push(&project, 1, "after EMFILE").await, 1);
    relay.kill().unwrap();
    relay.wait().unwrap();
    let mut log = String::new();
    relay
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains("cannot accept connections"),
        "the failure is logged: {log}"
    );
    assert!(
        log.matches("cannot accept connections").count() < 10,
        "logged once per run of failures, not per attempt: {log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handshake_upgrades_websockets_and_refuses_plain_requests() {
    let relay = Relay::start().await;
    let tcp = TcpStream::connect(relay.addr).await.unwrap();
    let request = relay.url().into_client_request().unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
    let first = tokio::time::timeout(PATIENCE, ws.next()).await.unwrap();
    assert!(matches!(first, Some(Ok(Message::Binary(_)))), "{first:?}");
    let response = http_get(relay.addr, "/v1/sync").await;
    assert!(response.starts_with("HTTP/1.1 426"), "{response}");
}
