//! `sync` against a relay that misbehaves: each failure is one clear line, and the
//! project on disk is left as it was.

use futures_util::{SinkExt as _, StreamExt as _};
use samspill_shared::model::NewProject;
use samspill_shared::protocol::{
    ClientFrame, ErrorCode, PROTOCOL_VERSION, ServerFrame, decode_client, encode_server,
};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use super::*;

/// What the fake relay does after accepting the websocket.
#[derive(Clone, Copy)]
enum Misbehaviour {
    NewerVersion,
    RefuseSubscribe,
    CloseMidCatchUp,
}

async fn fake_relay(how: Misbehaviour) -> RelayUrl {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let send = |f: ServerFrame| Message::Binary(encode_server(&f).into());
        let version = match how {
            Misbehaviour::NewerVersion => PROTOCOL_VERSION + 1,
            _ => PROTOCOL_VERSION,
        };
        ws.send(send(ServerFrame::Hello {
            version,
            challenge: [7; 32],
        }))
        .await
        .unwrap();
        let mut doc = None;
        while let Some(Ok(Message::Binary(b))) = ws.next().await {
            if let Ok(ClientFrame::Subscribe { doc: d, .. }) = decode_client(&b, 1 << 20) {
                doc = Some(d);
                break;
            }
        }
        let Some(doc) = doc else { return };
        match how {
            Misbehaviour::RefuseSubscribe => {
                let refusal = ServerFrame::Error {
                    code: ErrorCode::BadSignature,
                    doc: Some(doc),
                    id: None,
                    message: "the proof does not verify".to_owned(),
                };
                ws.send(send(refusal)).await.unwrap();
                // Keep the connection open: the client must stop by itself.
                while ws.next().await.is_some() {}
            }
            Misbehaviour::CloseMidCatchUp => {
                let entry = ServerFrame::Entry {
                    doc,
                    seq: 1,
                    blob: vec![1; 64],
                };
                ws.send(send(entry)).await.unwrap();
                ws.close(None).await.ok();
            }
            Misbehaviour::NewerVersion => {}
        }
    });
    format!("ws://127.0.0.1:{port}").parse().unwrap()
}

struct Setup {
    _dir: tempfile::TempDir,
    device: Device,
    id: DocumentId,
    before_doc: Vec<u8>,
    before_sync: Vec<u8>,
}

fn setup(relay: &RelayUrl) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path()).unwrap();
    let template = &device.library().templates[0];
    let project = device
        .create_project(&NewProject {
            template,
            title: "Lokalt arbeid",
            language: None,
        })
        .unwrap();
    let file = SyncFile::with(vec![super::RelaySync::existing(relay.clone().into(), 0)]);
    persist::save(project.files(), &file).unwrap();
    let before_doc = std::fs::read(project.files().snapshot_path()).unwrap();
    let before_sync = std::fs::read(project.files().sync_path()).unwrap();
    Setup {
        id: project.id(),
        _dir: dir,
        device,
        before_doc,
        before_sync,
    }
}

async fn sync_fails_with(how: Misbehaviour) -> String {
    let relay = fake_relay(how).await;
    let s = setup(&relay);
    let err = sync_once(&s.device, &[s.id]).await.unwrap_err();
    let message = format!("{err:#}");
    assert!(!message.contains('\n'), "one line: {message}");
    // The project is untouched (the first entry was cut into sync.json, nothing else).
    let files = s.device.store.project(&s.id).unwrap();
    assert_eq!(std::fs::read(files.snapshot_path()).unwrap(), s.before_doc);
    let file = persist::load(&files).unwrap().unwrap();
    assert_eq!(file.home(), Some(&relay));
    assert!(!s.before_sync.is_empty());
    assert_eq!(
        s.device
            .open_project(&s.id, Access::Read)
            .unwrap()
            .view()
            .meta
            .title,
        "Lokalt arbeid"
    );
    message
}

#[tokio::test]
async fn a_relay_of_another_protocol_version_is_named_as_such() {
    let m = sync_fails_with(Misbehaviour::NewerVersion).await;
    let theirs = format!("protocol version {}", PROTOCOL_VERSION + 1);
    let ours = format!("version {PROTOCOL_VERSION}");
    assert!(m.contains(&theirs) && m.contains(&ours), "{m}");
    assert!(m.contains("update"), "{m}");
}

#[tokio::test]
async fn a_relay_error_frame_is_reported() {
    let m = sync_fails_with(Misbehaviour::RefuseSubscribe).await;
    assert!(m.contains("did not accept this project"), "{m}");
    assert!(m.contains("the proof does not verify"), "{m}");
}

#[tokio::test]
async fn a_close_in_the_middle_of_catching_up_is_reported() {
    let m = sync_fails_with(Misbehaviour::CloseMidCatchUp).await;
    assert!(m.contains("closed the connection"), "{m}");
}

#[tokio::test]
async fn reconnect_now_ends_a_backoff_wait_at_once() {
    let events = Events::discard();
    let stop = super::StopFlags(vec![std::sync::Arc::new(AtomicBool::new(false))]);
    let retries = events.retries();
    // An hour's wait, cut short by "Koble til nå" (the deadline only keeps a broken
    // test from hanging).
    let waiting = sleep_unless_stopped(Duration::from_secs(3600), &stop, &events, retries);
    let press = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        events.retry_now();
    };
    let both = async { tokio::join!(waiting, press) };
    assert!(
        tokio::time::timeout(Duration::from_secs(60), both)
            .await
            .is_ok(),
        "the wait did not end"
    );
    assert_ne!(events.retries(), retries);
}
