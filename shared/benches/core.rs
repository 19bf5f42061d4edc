//! Benchmarks of the pure core: the text-editing path on a real editing trace, save and
//! load, entry encryption, frame encoding, merging diverged replicas, and reading the view
//! model of a large project.
//!
//! The trace is automerge-paper from Joseph Gentle's editing-traces (CC BY 4.0), vendored
//! in `tests/data` (see its README). Run: `cargo bench -p samspill-shared`.

// Benchmarks are test code: a missing trace or a failed setup should stop them loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::io::Read;

use automerge::{ActorId, AutoCommit};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use samspill_shared::content::library;
use samspill_shared::crypto::{
    BlobKind, ProjectSecret, decrypt, decrypt_entry, encrypt, encrypt_entry,
};
use samspill_shared::ids::{PhaseId, SeededEntropy};
use samspill_shared::model::{Editor, FixedClock, NewProject, ProjectDoc};
use samspill_shared::protocol::{
    ClientFrame, DEFAULT_MAX_FRAME_BYTES, decode_client, encode_client,
};

/// Edits of the automerge-paper trace, as (position, deleted, inserted).
fn trace(limit: usize) -> Vec<(usize, usize, String)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/automerge-paper.json.gz"
    );
    let file = std::fs::File::open(path).expect("the trace is vendored in tests/data");
    let mut json = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut json)
        .expect("a gzip file");
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let mut edits = Vec::new();
    for txn in value["txns"].as_array().expect("txns") {
        for patch in txn["patches"].as_array().expect("patches") {
            let pos = patch[0].as_u64().expect("pos") as usize;
            let del = patch[1].as_u64().expect("del") as usize;
            let ins = patch[2].as_str().expect("ins").to_owned();
            edits.push((pos, del, ins));
            if edits.len() == limit {
                return edits;
            }
        }
    }
    edits
}

fn editor(seed: u64) -> Editor {
    Editor {
        author: "bench".parse().expect("id"),
        clock: Box::new(FixedClock(1_763_900_000_000)),
        entropy: Box::new(SeededEntropy::new(seed)),
    }
}

fn project(seed: u8) -> ProjectDoc {
    let template = library().template("four-phase").expect("template");
    let new = NewProject {
        template,
        title: "Benchmark",
        language: None,
    };
    ProjectDoc::create(&new, ActorId::from(vec![seed; 16]), editor(u64::from(seed)))
        .expect("create")
}

/// Replays edits the way the app does: the text box's new string is handed to the
/// model, which splices from the old one, and each keystroke is one change.
fn replay(doc: &mut ProjectDoc, phase: &PhaseId, edits: &[(usize, usize, String)]) {
    let mut text: Vec<char> = Vec::new();
    for (pos, del, ins) in edits {
        let pos = (*pos).min(text.len());
        let end = (pos + del).min(text.len());
        text.splice(pos..end, ins.chars());
        let s: String = text.iter().collect();
        doc.set_notes(phase, &s).expect("edit");
    }
}

fn text_editing(c: &mut Criterion) {
    let edits = trace(5_000);
    let mut g = c.benchmark_group("text");
    g.sample_size(10);
    g.bench_function(
        "automerge-paper first 5000 keystrokes, one change each",
        |b| {
            b.iter_batched(
                || (project(1), "oppstart".parse::<PhaseId>().expect("phase")),
                |(mut doc, phase)| replay(&mut doc, &phase, &edits),
                BatchSize::PerIteration,
            );
        },
    );
    g.finish();
}

fn save_and_load(c: &mut Criterion) {
    let edits = trace(5_000);
    let mut doc = project(1);
    replay(&mut doc, &"oppstart".parse().expect("phase"), &edits);
    let bytes = doc.automerge_mut().save();
    let mut g = c.benchmark_group("storage");
    g.sample_size(20);
    g.bench_function("save (5000-keystroke project)", |b| {
        b.iter(|| black_box(doc.automerge_mut().save()));
    });
    g.bench_function("load (5000-keystroke project)", |b| {
        b.iter(|| black_box(AutoCommit::load(&bytes).expect("load")));
    });
    g.finish();
}

fn crypto_and_frames(c: &mut Criterion) {
    let keys = ProjectSecret::from_bytes([7; 32]).keys();
    let entry = vec![0x42u8; 1024];
    let blob = encrypt(&keys, BlobKind::Entry, [9; 24], &entry);
    let mut g = c.benchmark_group("wire");
    g.bench_function("encrypt 1 KiB entry", |b| {
        b.iter(|| black_box(encrypt(&keys, BlobKind::Entry, [9; 24], &entry)));
    });
    g.bench_function("decrypt 1 KiB entry", |b| {
        b.iter(|| black_box(decrypt(&keys, BlobKind::Entry, &blob).expect("ok")));
    });
    // What every entry costs since protocol 4: sealing plus an Ed25519 signature, and
    // verifying it before opening.
    let signed = encrypt_entry(&keys, [9; 24], &entry).expect("an editor signs");
    g.bench_function("encrypt and sign 1 KiB entry", |b| {
        b.iter(|| black_box(encrypt_entry(&keys, [9; 24], &entry).expect("ok")));
    });
    g.bench_function("verify and decrypt 1 KiB entry", |b| {
        b.iter(|| black_box(decrypt_entry(&keys, &signed).expect("ok")));
    });
    let frame = ClientFrame::Push {
        doc: keys.doc_id,
        id: 42,
        blob: blob.clone(),
    };
    let bytes = encode_client(&frame);
    g.bench_function("encode push frame (1 KiB)", |b| {
        b.iter(|| black_box(encode_client(&frame)));
    });
    g.bench_function("decode push frame (1 KiB)", |b| {
        b.iter(|| black_box(decode_client(&bytes, DEFAULT_MAX_FRAME_BYTES).expect("ok")));
    });
    g.finish();
}

/// Two replicas of one project, each having made `n` changes the other has not seen.
fn diverged(n: usize) -> (AutoCommit, AutoCommit) {
    let mut base = project(1);
    let bytes = base.automerge_mut().save();
    let phase: PhaseId = "planlegging".parse().expect("phase");
    let mut sides = Vec::new();
    for side in 2..4u8 {
        let mut p = ProjectDoc::load(
            &bytes,
            ActorId::from(vec![side; 16]),
            editor(u64::from(side)),
        )
        .expect("load");
        let mut last = None;
        for i in 0..n {
            match (i % 3, &last) {
                (2, Some(t)) => p
                    .set_task_title(t, &format!("oppgave {i} fra {side}"))
                    .expect("rename"),
                _ => last = Some(p.add_task(&phase, &format!("oppgave {i}")).expect("add")),
            }
        }
        sides.push(p.automerge_mut().clone());
    }
    let b = sides.pop().expect("two");
    let a = sides.pop().expect("two");
    (a, b)
}

fn merging(c: &mut Criterion) {
    let mut g = c.benchmark_group("merge");
    g.sample_size(10);
    for n in [1_000, 10_000] {
        let (a, b) = diverged(n);
        g.bench_function(
            format!("two replicas diverged by {n} changes each"),
            |bench| {
                bench.iter_batched(
                    || (a.clone(), b.clone()),
                    |(mut a, mut b)| {
                        a.merge(&mut b).expect("merge");
                        black_box(a)
                    },
                    BatchSize::PerIteration,
                );
            },
        );
    }
    g.finish();
}

fn view_model(c: &mut Criterion) {
    let mut p = project(1);
    let phases: Vec<PhaseId> = p
        .view()
        .phases
        .iter()
        .map(|ph| ph.id.parse().expect("phase"))
        .collect();
    for i in 0..2_500 {
        p.add_task(&phases[i % phases.len()], &format!("Oppgave nummer {i}"))
            .expect("add");
    }
    for gi in 0..25 {
        let g = p
            .add_gathering(&format!("Samling {gi}"))
            .expect("gathering");
        for i in 0..100 {
            p.add_agenda_item(&g, &format!("Punkt {i}"), 15, Some("igp"))
                .expect("item");
        }
    }
    let mut g = c.benchmark_group("view");
    g.sample_size(10);
    g.bench_function(
        "read the view model of 2,500 tasks and 2,500 agenda items",
        |b| b.iter(|| black_box(p.view())),
    );
    g.finish();
}

/// A removal: wrapping the new epoch's key for one device (the remover does it once per
/// remaining device) and opening it (each device once).
fn removal(c: &mut Criterion) {
    use samspill_shared::crypto::{Capability, DeviceIdentity};
    use samspill_shared::epoch::Rotation;
    use samspill_shared::ids::SeededEntropy;
    let new: Capability = ProjectSecret::from_bytes([2; 32]).into();
    let device = DeviceIdentity::from_bytes(&[5; 64]);
    let base = Rotation {
        epoch: 1,
        from: ProjectSecret::from_bytes([1; 32]).keys().doc_id.to_string(),
        to: new.doc_id().to_string(),
        heads: vec![],
        removed: vec![],
        by: String::new(),
        keys: vec![],
        signer: String::new(),
        signature: String::new(),
    };
    let mut rng = SeededEntropy::new(1);
    let mut g = c.benchmark_group("removal");
    g.bench_function("wrap the new key for one device (HPKE)", |b| {
        b.iter_batched(
            || base.clone(),
            |mut r| {
                r.wrap_for("p", &device.public(), &new, &mut rng)
                    .expect("wraps");
                black_box(r)
            },
            BatchSize::SmallInput,
        );
    });
    let mut wrapped = base.clone();
    wrapped
        .wrap_for("p", &device.public(), &new, &mut SeededEntropy::new(2))
        .expect("wraps");
    g.bench_function("open this device's copy (HPKE)", |b| {
        b.iter(|| black_box(wrapped.unwrap_for(&device).expect("opens")));
    });
    g.finish();
}

criterion_group!(
    benches,
    removal,
    text_editing,
    save_and_load,
    crypto_and_frames,
    merging,
    view_model
);
criterion_main!(benches);
