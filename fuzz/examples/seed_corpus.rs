//! Writes the seed corpus of every fuzz target into `fuzz/corpus/<target>/`, from the
//! real encoders, so the fuzzer starts from inputs that get past the first checks.
//!
//! ```text
//! cargo +nightly run --manifest-path fuzz/Cargo.toml --example seed_corpus
//! ```
//!
//! Everything is deterministic (fixed secrets, actors, clock and randomness): running it
//! again writes the same files.

use std::fs;
use std::path::{Path, PathBuf};

use automerge::ActorId;
use samspill_shared::changelog::{self, MAGIC, MAGIC_V1};
use samspill_shared::content::library;
use samspill_shared::crypto::{Capability, ProjectSecret, Role, sign_subscribe};
use samspill_shared::ids::SeededEntropy;
use samspill_shared::link::{Invite, RelayUrl};
use samspill_shared::model::{
    Editor, FixedClock, NewProject, PersonFields, PhaseStatus, Project, ProjectDoc,
};
use samspill_shared::protocol::{
    ClientFrame, ErrorCode, PROTOCOL_VERSION, ServerFrame, encode_client, encode_server,
};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    frames(&root.join("frames"))?;
    invite(&root.join("invite"))?;
    change_log(&root.join("change_log"))?;
    json_import(&root.join("json_import"))?;
    println!("wrote the seed corpus in {}", root.display());
    Ok(())
}

/// Empties `dir` (of files) and writes each `(name, bytes)` into it.
fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> Result {
    fs::create_dir_all(dir)?;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() {
            fs::remove_file(path)?;
        }
    }
    for (name, bytes) in files {
        let path: PathBuf = dir.join(name);
        fs::write(&path, bytes)?;
    }
    Ok(())
}

/// Every client and server frame type, once each.
fn frames(dir: &Path) -> Result {
    let secret = ProjectSecret::from_bytes([1; 32]);
    let keys = secret.keys();
    let doc = keys.doc_id;
    let blob = b"ciphertext".to_vec();
    let client = [
        (
            "hello",
            ClientFrame::Hello {
                version: PROTOCOL_VERSION,
            },
        ),
        (
            "subscribe",
            ClientFrame::Subscribe {
                doc,
                since: 42,
                create: true,
                proof: sign_subscribe(&keys, &[3; 32]),
            },
        ),
        ("unsubscribe", ClientFrame::Unsubscribe { doc }),
        (
            "push",
            ClientFrame::Push {
                doc,
                id: 7,
                blob: blob.clone(),
            },
        ),
        (
            "snapshot",
            ClientFrame::Snapshot {
                doc,
                covers: 300,
                blob: blob.clone(),
            },
        ),
        (
            "ephemeral",
            ClientFrame::Ephemeral {
                doc,
                blob: blob.clone(),
            },
        ),
    ];
    let server = [
        (
            "hello",
            ServerFrame::Hello {
                version: PROTOCOL_VERSION,
                challenge: [9; 32],
            },
        ),
        (
            "snapshot",
            ServerFrame::Snapshot {
                doc,
                seq: 300,
                blob: blob.clone(),
            },
        ),
        (
            "entry",
            ServerFrame::Entry {
                doc,
                seq: 301,
                blob: blob.clone(),
            },
        ),
        ("subscribed", ServerFrame::Subscribed { doc, head: 301 }),
        (
            "ack",
            ServerFrame::Ack {
                doc,
                id: 7,
                seq: 302,
            },
        ),
        (
            "snapshot-ack",
            ServerFrame::SnapshotAck { doc, covers: 300 },
        ),
        ("ephemeral", ServerFrame::Ephemeral { doc, blob }),
        (
            "error",
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                doc: Some(doc),
                id: Some(8),
                message: "too many pushes; retry later".to_owned(),
            },
        ),
    ];
    let mut files: Vec<(String, Vec<u8>)> = client
        .iter()
        .map(|(name, f)| (format!("client-{name}"), encode_client(f)))
        .collect();
    files.extend(
        server
            .iter()
            .map(|(name, f)| (format!("server-{name}"), encode_server(f))),
    );
    write_all(dir, &files)
}

/// Invite links of both schemes and every host form, and relay URLs.
fn invite(dir: &Path) -> Result {
    let secret = ProjectSecret::from_bytes([2; 32]);
    let mut files = Vec::new();
    for (name, url) in [
        ("tls", "wss://relay.example.org"),
        ("plain-port", "ws://127.0.0.1:8080"),
        ("ipv6", "wss://[2001:db8::1]:8443"),
    ] {
        let relay: RelayUrl = url.parse()?;
        files.push((
            format!("link-{name}"),
            Invite::new(relay, secret.clone()).to_string(),
        ));
        files.push((format!("relay-{name}"), url.to_owned()));
    }
    // A viewer's link (a longer fragment).
    let viewer = Capability::from(secret.clone())
        .for_role(Role::Viewer)
        .ok_or("an editor's key gives a viewer's")?;
    files.push((
        "link-viewer".to_owned(),
        Invite::new("wss://relay.example.org".parse()?, viewer).to_string(),
    ));
    // As pasted from a chat message.
    files.push((
        "link-pasted".to_owned(),
        format!(" {}\n", Invite::new("wss://a.b".parse()?, secret)),
    ));
    let files: Vec<_> = files
        .into_iter()
        .map(|(n, s)| (n, s.into_bytes()))
        .collect();
    write_all(dir, &files)
}

/// Logs as the store writes them: real Automerge changes, one record per save.
fn change_log(dir: &Path) -> Result {
    let mut doc = new_project()?;
    let mut records = Vec::new();
    for i in 0..3 {
        let before = doc.automerge_mut().get_heads();
        doc.add_log_entry(&format!("Change {i}"))?;
        records.push(doc.automerge_mut().save_after(&before));
    }
    let mut v2 = MAGIC.to_vec();
    for r in &records {
        v2.extend(changelog::encode_record(r)?);
    }
    let mut v1 = MAGIC_V1.to_vec();
    for r in &records {
        v1.extend(changelog::encode_record_v1(r)?);
    }
    // A crash halfway through the last append, and a damaged middle record.
    let torn = v2[..v2.len() - 10].to_vec();
    let mut damaged = v2.clone();
    damaged[MAGIC.len() + changelog::HEADER + records[0].len() + 2] ^= 0x10;
    let files = vec![
        ("v2".to_owned(), v2),
        ("v2-torn".to_owned(), torn),
        ("v2-damaged".to_owned(), damaged),
        ("v2-empty".to_owned(), MAGIC.to_vec()),
        ("v1".to_owned(), v1),
    ];
    write_all(dir, &files)
}

/// JSON exports (compact, and pretty with the project id as `export --format
/// json` writes it) of a small project with one of everything.
fn json_import(dir: &Path) -> Result {
    let view = small_project()?;
    let compact = serde_json::to_vec(&view)?;
    let mut with_id = serde_json::Map::new();
    with_id.insert("id".to_owned(), "d".repeat(26).into());
    if let serde_json::Value::Object(fields) = serde_json::to_value(&view)? {
        with_id.extend(fields);
    }
    let pretty = serde_json::to_vec_pretty(&with_id)?;
    write_all(
        dir,
        &[("small".to_owned(), compact), ("export".to_owned(), pretty)],
    )
}

fn editor() -> Editor {
    Editor {
        author: "seed".parse().expect("a valid person id"),
        clock: Box::new(FixedClock(1_764_633_600_000)),
        entropy: Box::new(SeededEntropy::new(11)),
    }
}

fn new_project() -> Result<ProjectDoc> {
    let template = library()
        .template("gathering-programme")
        .ok_or("no gathering-programme template")?;
    let new = NewProject {
        template,
        title: "Samhandling i Fjellvik",
        language: None,
    };
    Ok(ProjectDoc::create(
        &new,
        ActorId::from(vec![1; 16]),
        editor(),
    )?)
}

/// A project from a template, cut down to one item of each kind.
fn small_project() -> Result<Project> {
    let mut doc = new_project()?;
    doc.upsert_person(
        &"kari".parse()?,
        &PersonFields {
            name: "Kari Nordmann",
            centre: "Fjellvik",
            role: "leder",
            colour: "#3366cc",
        },
    )?;
    doc.set_dates("2026-01-05", "2026-06-30")?;
    doc.add_log_entry("Started")?;
    let mut view = doc.view();
    view.phases.truncate(1);
    for phase in &mut view.phases {
        phase.status = PhaseStatus::Active;
        phase.tasks.truncate(1);
        phase.checklist.truncate(1);
    }
    view.gatherings.truncate(1);
    for g in &mut view.gatherings {
        g.agenda.truncate(1);
    }
    view.between_work.truncate(1);
    Ok(view)
}
