//! A relay killed with SIGKILL loses no acknowledged entry. Runs the real binary.

mod common;

use std::process::{Child, Command, Stdio};

use common::*;
use samspill_shared::crypto::BlobKind;
use samspill_shared::protocol::{ClientFrame, ServerFrame};

fn spawn_relay(data: &std::path::Path) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_samspill-relay"));
    command
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(["--max-pushes-per-sec", "100000"])
        .stderr(Stdio::null());
    let (child, addr) = spawn_listening(command);
    (child, format!("ws://{addr}/v1/sync"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_entry() {
    let dir = tempfile::tempdir().unwrap();
    let (mut relay, url) = spawn_relay(dir.path());
    let projects = [keys(1), keys(2), keys(3)];

    // Three writers push as fast as acks come back, each recording what was acked.
    let started = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut writers = Vec::new();
    for w in 0..projects.len() {
        let url = url.clone();
        let project = ProjectKeysOwned(w as u8 + 1);
        let started = started.clone();
        writers.push(tokio::spawn(async move {
            let keys = project.keys();
            let mut client = Client::connect(&url, None).await;
            client.subscribe(&keys, 0, true).await;
            let mut acked = Vec::new();
            // Keep up to 16 pushes in flight; stop at the first sign of the kill.
            let mut next_id = 1u64;
            for _ in 0..16 {
                // On a slow machine the kill may come this early: stop, do not panic.
                if client.ws_send(push(&keys, next_id)).await.is_err() {
                    break;
                }
                next_id += 1;
            }
            for _ in 0..100_000 {
                match client.next().await {
                    Received::Frame(ServerFrame::Ack { id, seq, .. }) => {
                        if acked.is_empty() {
                            started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        acked.push((id, seq));
                        if client.ws_send(push(&keys, next_id)).await.is_err() {
                            break;
                        }
                        next_id += 1;
                    }
                    Received::Frame(other) => panic!("unexpected {other:?}"),
                    Received::Closed(_) => break,
                }
            }
            acked
        }));
    }
    // Let some acks happen, then kill -9 mid-stream.
    let mut watcher = Client::connect(&url, None).await;
    watcher.subscribe(&projects[0], 0, true).await;
    for _ in 0..200 {
        watcher.recv().await;
    }
    // Every writer has had an ack (a loaded machine may start one late).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while started.load(std::sync::atomic::Ordering::SeqCst) < projects.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "every writer got an ack"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    relay.kill().unwrap();
    relay.wait().unwrap();
    let mut acked = Vec::new();
    for w in writers {
        acked.push(w.await.unwrap());
    }
    assert!(
        acked.iter().all(|a| !a.is_empty()),
        "every writer got acks before the kill"
    );

    // Restart on the same data: every acknowledged entry is there, with its content.
    let (mut relay, url) = spawn_relay(dir.path());
    for (project, acked) in projects.iter().zip(&acked) {
        let mut reader = Client::connect(&url, None).await;
        let (catch_up, head) = reader.subscribe(project, 0, false).await;
        let stored = entries(project, &catch_up);
        assert_eq!(stored.len() as u64, head);
        for (id, seq) in acked {
            let (_, text) = stored
                .iter()
                .find(|(s, _)| s == seq)
                .unwrap_or_else(|| panic!("acked seq {seq} lost"));
            assert_eq!(text, &format!("entry {id}"));
        }
    }
    relay.kill().unwrap();
    relay.wait().unwrap();
}

fn push(keys: &samspill_shared::crypto::ProjectKeys, id: u64) -> ClientFrame {
    ClientFrame::Push {
        doc: keys.doc_id,
        id,
        blob: seal(keys, BlobKind::Entry, id, &format!("entry {id}")),
    }
}

/// Keys are not Clone; move the secret byte into the task instead.
struct ProjectKeysOwned(u8);

impl ProjectKeysOwned {
    fn keys(&self) -> samspill_shared::crypto::ProjectKeys {
        keys(self.0)
    }
}

trait TrySend {
    async fn ws_send(&mut self, frame: ClientFrame) -> Result<(), ()>;
}

impl TrySend for Client {
    async fn ws_send(&mut self, frame: ClientFrame) -> Result<(), ()> {
        use futures_util::SinkExt;
        self.ws
            .send(tokio_tungstenite::tungstenite::Message::Binary(
                samspill_shared::protocol::encode_client(&frame).into(),
            ))
            .await
            .map_err(|_| ())
    }
}
