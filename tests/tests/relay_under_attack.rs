//! The relay as a centre puts it on the internet, attacked on loopback while real
//! facilitators use it: 2,000 connections that never get anywhere, and four subscribers
//! of a 240 MiB log that stop reading. Real relay and `samspill` processes.
//!
//! The figures (how long until the silent connections are gone, the relay's peak RSS)
//! are printed for docs/PERFORMANCE.md; the tests assert only what must hold (every
//! silent connection closed, the real client served, memory bounded), never a time.

// Tests: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use samspill_shared::crypto::{ProjectSecret, sign_subscribe};
use samspill_shared::protocol::{
    ClientFrame, PROTOCOL_VERSION, ServerFrame, decode_server, encode_client,
};
use samspill_tests::{Client, Relay, shared_project, task_titles};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Lets this process (and the relay it starts) open a few thousand sockets; false
/// (with the reason printed) where it cannot.
fn raise_file_limit() -> bool {
    let pid = std::process::id().to_string();
    let raised = std::process::Command::new("prlimit")
        .args(["--pid", &pid, "--nofile=16384:"])
        .status();
    if matches!(raised, Ok(s) if s.success()) {
        return true;
    }
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    if soft >= 8192 {
        return true;
    }
    eprintln!("skipped: cannot raise the open-file limit to 16384 (prlimit failed; it is {soft})");
    false
}

async fn tcp_from(from: [u8; 4], addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(addr).await
}

/// One attacker connection: how it misbehaves.
#[derive(Clone, Copy)]
enum Silent {
    /// Connects and sends nothing.
    Tcp,
    /// Sends the request headers one byte every 2 s.
    Slowloris,
    /// Completes the websocket handshake and never says Hello.
    NoHello,
}

/// Opens the connection, misbehaves, and returns when the relay has closed it.
async fn silent(kind: Silent, from: [u8; 4], addr: SocketAddr) {
    let mut tcp = tcp_from(from, addr).await.expect("connect");
    match kind {
        Silent::Tcp => {}
        Silent::Slowloris => {
            let request = b"GET /v1/sync HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\n";
            for byte in request {
                if tcp.write_all(&[*byte]).await.is_err() {
                    return;
                }
                // Wait 2 s for the next byte, unless the relay hangs up first.
                let mut probe = [0u8; 1];
                let wait = tokio::time::timeout(Duration::from_secs(2), tcp.read(&mut probe));
                if let Ok(Ok(0) | Err(_)) = wait.await {
                    return;
                }
            }
        }
        Silent::NoHello => {
            let request = format!("ws://{addr}/v1/sync")
                .into_client_request()
                .unwrap();
            let tcp = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
            let Ok((mut ws, _)) = tokio_tungstenite::client_async(request, tcp).await else {
                return;
            };
            // Read (the relay's Hello, then its close) until the socket ends.
            while let Some(Ok(_)) = ws.next().await {}
            return;
        }
    }
    let mut sink = Vec::new();
    let _ = tcp.read_to_end(&mut sink).await;
}

#[test]
fn two_thousand_silent_connections_are_closed_while_a_real_client_syncs() {
    if !raise_file_limit() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path());
    let addr: SocketAddr = format!("127.0.0.1:{}", relay.port).parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // 2,000 attackers from eight addresses (250 each, under the default 256 per address):
    // half never send a byte, a quarter trickle headers, a quarter never say Hello.
    let started = Instant::now();
    let attackers = runtime.block_on(async {
        let mut tasks = Vec::new();
        for n in 0..2000u32 {
            let kind = match n % 4 {
                0 | 1 => Silent::Tcp,
                2 => Silent::Slowloris,
                _ => Silent::NoHello,
            };
            let from = [127, 0, 1, 1 + (n % 8) as u8];
            tasks.push(tokio::spawn(async move {
                silent(kind, from, addr).await;
                started.elapsed()
            }));
        }
        tasks
    });

    // Meanwhile facilitators share, join and sync as always.
    let alice = Client::new("Alice");
    let bob = Client::new("Bob");
    let (id, link) = shared_project(&alice, &relay, "Under attack");
    let joined = bob.last_line(&["join", &link]);
    assert_eq!(joined, id);
    alice.ok(&["task", "add", &id, "--phase", "1", "Ringe kommunen"]);
    alice.sync_until_ok(&id);
    bob.sync_until_ok(&id);
    assert!(task_titles(&bob.show(&id)).contains(&"Ringe kommunen".to_owned()));
    let served_after = started.elapsed();

    let closed: Vec<Duration> = runtime.block_on(async {
        let all = futures_util::future::join_all(attackers);
        tokio::time::timeout(Duration::from_secs(120), all)
            .await
            .expect("the relay closed every silent connection")
            .into_iter()
            .map(|r| r.expect("an attacker task"))
            .collect()
    });
    let last = closed.iter().max().copied().unwrap_or_default();
    eprintln!(
        "2000 silent connections: all closed {:.1} s after they opened; the real client shared, joined and synced within {:.1} s",
        last.as_secs_f64(),
        served_after.as_secs_f64()
    );
}

/// A bare protocol client (the relay sees only opaque blobs, so no encryption needed).
struct Raw {
    ws: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>,
    challenge: [u8; 32],
}

impl Raw {
    async fn connect(addr: SocketAddr, recv_buffer: Option<u32>) -> Self {
        let socket = TcpSocket::new_v4().unwrap();
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size).unwrap();
        }
        let tcp = socket.connect(addr).await.unwrap();
        let request = format!("ws://{addr}/v1/sync")
            .into_client_request()
            .unwrap();
        let tcp = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
        let (mut ws, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
        let hello = encode_client(&ClientFrame::Hello {
            version: PROTOCOL_VERSION,
        });
        ws.send(Message::Binary(hello.into())).await.unwrap();
        let mut raw = Self {
            ws,
            challenge: [0; 32],
        };
        match raw.recv().await {
            ServerFrame::Hello { challenge, .. } => raw.challenge = challenge,
            other => panic!("expected Hello, got {other:?}"),
        }
        raw
    }

    async fn send(&mut self, frame: &ClientFrame) {
        self.ws
            .send(Message::Binary(encode_client(frame).into()))
            .await
            .unwrap();
    }

    async fn recv(&mut self) -> ServerFrame {
        loop {
            match tokio::time::timeout(Duration::from_secs(60), self.ws.next()).await {
                Ok(Some(Ok(Message::Binary(bytes)))) => {
                    match decode_server(&bytes, 64 << 20).unwrap() {
                        ServerFrame::Durable { .. } => {}
                        frame => return frame,
                    }
                }
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                other => panic!("connection ended: {other:?}"),
            }
        }
    }

    async fn subscribe(&mut self, secret: &ProjectSecret, since: u64, create: bool) {
        let keys = secret.keys();
        let frame = ClientFrame::Subscribe {
            doc: keys.doc_id,
            since,
            create,
            proof: sign_subscribe(&keys, &self.challenge),
        };
        self.send(&frame).await;
    }

    /// Proves write access to a subscribed document and waits for the answer.
    async fn authorize(&mut self, secret: &ProjectSecret) {
        let keys = secret.keys();
        let frame = ClientFrame::Authorize {
            doc: keys.doc_id,
            write_key: keys.write_public.to_bytes(),
            proof: samspill_shared::crypto::sign_authorize(&keys, &self.challenge).unwrap(),
        };
        self.send(&frame).await;
        assert!(matches!(self.recv().await, ServerFrame::Authorized { .. }));
    }
}

/// The relay's resident memory now, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn slow_disconnects(port: u16) -> u64 {
    let Ok(mut tcp) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let _ = tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n");
    let mut body = String::new();
    let _ = tcp.read_to_string(&mut body);
    body.lines()
        .find_map(|l| l.strip_prefix("samspill_relay_slow_disconnects_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

#[test]
fn four_subscribers_that_stop_reading_a_240_mib_log_do_not_grow_the_relay() {
    const ENTRIES: u64 = 240;
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "--max-pushes-per-sec",
        "100000",
        "--write-timeout-secs",
        "5",
    ];
    let mut relay = Relay::start_with(dir.path(), &flags);
    let addr: SocketAddr = format!("127.0.0.1:{}", relay.port).parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let secret = ProjectSecret::from_bytes([42; 32]);
    let doc = secret.keys().doc_id;

    // 240 entries of 1 MiB each.
    runtime.block_on(async {
        let mut writer = Raw::connect(addr, None).await;
        writer.subscribe(&secret, 0, true).await;
        assert!(matches!(
            writer.recv().await,
            ServerFrame::Subscribed { .. }
        ));
        writer.authorize(&secret).await;
        // Signed like an editor's entry: the relay stores nothing else.
        let junk: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
        let blob = samspill_shared::crypto::encrypt_entry(&secret.keys(), [7; 24], &junk).unwrap();
        for id in 1..=ENTRIES {
            writer
                .send(&ClientFrame::Push {
                    doc,
                    id,
                    blob: blob.clone(),
                })
                .await;
            if id % 8 == 0 {
                loop {
                    match writer.recv().await {
                        ServerFrame::Ack { id: acked, .. } if acked == id => break,
                        ServerFrame::Ack { .. } => {}
                        other => panic!("{other:?}"),
                    }
                }
            }
        }
    });
    // A fresh relay process on the same data, so its peak memory is the readers' alone.
    relay.restart();
    let pid = relay.pid().unwrap();
    let at_start = rss(pid);

    // Four subscribers from the start of the log that never read a byte.
    let peak = runtime.block_on(async {
        let mut sloths = Vec::new();
        for _ in 0..4 {
            let mut sloth = Raw::connect(addr, Some(64 * 1024)).await;
            sloth.subscribe(&secret, 0, false).await;
            sloths.push(sloth);
        }
        let mut peak = rss(pid);
        let start = Instant::now();
        while slow_disconnects(relay.port) < 4 {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "the relay kept subscribers that do not read"
            );
            peak = peak.max(rss(pid));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(sloths);
        peak
    });
    eprintln!(
        "4 non-reading subscribers of a {ENTRIES} MiB log: relay RSS {:.1} MiB at start, peak {:.1} MiB",
        at_start as f64 / (1 << 20) as f64,
        peak as f64 / (1 << 20) as f64
    );
    assert!(peak < 100 << 20, "relay RSS reached {} MiB", peak >> 20);

    // A client that reads gets the whole log afterwards.
    let caught_up = runtime.block_on(async {
        let mut reader = Raw::connect(addr, None).await;
        reader.subscribe(&secret, 0, false).await;
        let mut entries = 0;
        loop {
            match reader.recv().await {
                ServerFrame::Entry { .. } => entries += 1,
                ServerFrame::Subscribed { head, .. } => break (entries, head),
                other => panic!("{other:?}"),
            }
        }
    });
    assert_eq!(caught_up, (ENTRIES, ENTRIES));
}
