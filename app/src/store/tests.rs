//! The store on its own: appends, torn tails, damage in every place a file can be
//! damaged, compaction. Real files in a temp dir.

use super::*;
use automerge::transaction::Transactable;
use automerge::{ROOT, ReadDoc};
use samspill_shared::crypto::{ProjectSecret, Role};

fn doc_with(n: i64) -> AutoCommit {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "n", n).unwrap();
    doc.commit();
    doc
}

fn value(doc: &AutoCommit) -> i64 {
    match doc.get(ROOT, "n").unwrap() {
        Some((automerge::Value::Scalar(s), _)) => s.as_i64().unwrap(),
        _ => panic!("no n"),
    }
}

fn key(doc: &AutoCommit, k: &str) -> Option<i64> {
    match doc.get(ROOT, k).unwrap() {
        Some((automerge::Value::Scalar(s), _)) => s.as_i64(),
        _ => None,
    }
}

fn store_with_project() -> (tempfile::TempDir, Store, ProjectFiles, AutoCommit) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut doc = doc_with(1);
    let files = store
        .create(&ProjectSecret::from_bytes([3; 32]).into(), &mut doc)
        .unwrap();
    (dir, store, files, doc)
}

/// Appends `count` changes, each setting its own key `k<i>`, each record holding only
/// that change.
fn append_keys(files: &ProjectFiles, doc: &mut AutoCommit, range: std::ops::Range<i64>) {
    for i in range {
        let before = doc.get_heads();
        doc.put(ROOT, format!("k{i}"), i).unwrap();
        doc.commit();
        files.append(&doc.save_after(&before)).unwrap();
    }
}

fn asides(files: &ProjectFiles, prefix: &str) -> Vec<PathBuf> {
    fs::read_dir(files.dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(&format!("{prefix}.damaged-"))
        })
        .collect()
}

#[test]
fn appended_changes_are_there_after_reload() {
    let (_dir, store, files, mut doc) = store_with_project();
    for n in 2..5 {
        let before = doc.get_heads();
        doc.put(ROOT, "n", n).unwrap();
        doc.commit();
        files.append(&doc.save_after(&before)).unwrap();
    }
    let loaded = store.project(files.id()).unwrap().load().unwrap();
    assert_eq!(value(&loaded.doc), 4);
    assert!(!loaded.torn_tail);
    assert!(loaded.recovered.is_empty());
    assert_eq!(store.list().unwrap(), vec![*files.id()]);
}

#[test]
fn the_secret_file_is_private_and_checked_against_the_project_id() {
    let (_dir, _store, files, _doc) = store_with_project();
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(files.secret_path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        *files.capability().unwrap().to_bytes(),
        *ProjectSecret::from_bytes([3; 32]).as_bytes()
    );

    // A key of zeros (or any other project's key) is refused, never used.
    fs::write(files.secret_path(), [0u8; 32]).unwrap();
    let err = files.capability().unwrap_err();
    assert!(matches!(err, StoreError::BadSecret { .. }), "{err}");
    assert!(err.to_string().contains("another project"), "{err}");
    fs::write(files.secret_path(), [3u8; 31]).unwrap();
    assert!(matches!(
        files.capability(),
        Err(StoreError::BadSecret { .. })
    ));
    fs::remove_file(files.secret_path()).unwrap();
    let err = files.capability().unwrap_err();
    assert!(matches!(err, StoreError::MissingSecret { .. }), "{err}");
    assert!(err.to_string().contains("join the project again"), "{err}");

    restore_secret(&files, &ProjectSecret::from_bytes([3; 32]).into()).unwrap();
    assert!(files.capability().is_ok());

    // A viewer's key is stored as such, read back as one, and checked like an editor's.
    let viewer = Capability::from(ProjectSecret::from_bytes([3; 32]))
        .for_role(Role::Viewer)
        .unwrap();
    restore_secret(&files, &viewer).unwrap();
    assert_eq!(files.capability().unwrap().role(), Role::Viewer);
    let mut damaged = fs::read(files.secret_path()).unwrap();
    damaged[0] = b'x';
    fs::write(files.secret_path(), &damaged).unwrap();
    assert!(matches!(
        files.capability(),
        Err(StoreError::BadSecret { .. })
    ));
}

#[test]
fn a_write_torn_midway_is_dropped_and_cut_off_by_the_next_append() {
    let (_dir, _store, files, mut doc) = store_with_project();
    append_keys(&files, &mut doc, 0..1);
    // A crash halfway through writing the next record.
    let before = doc.get_heads();
    doc.put(ROOT, "n", 3).unwrap();
    doc.commit();
    let record = encode_record(&doc.save_after(&before), &files.log_path()).unwrap();
    let mut f = OpenOptions::new()
        .append(true)
        .open(files.log_path())
        .unwrap();
    f.write_all(&record[..record.len() / 2]).unwrap();
    drop(f);

    let loaded = files.load().unwrap();
    assert!(loaded.torn_tail);
    assert!(loaded.recovered.is_empty(), "a torn tail is not damage");
    assert_eq!(value(&loaded.doc), 1, "the state before the torn write");
    assert_eq!(key(&loaded.doc, "k0"), Some(0));

    let mut doc = loaded.doc;
    let before = doc.get_heads();
    doc.put(ROOT, "n", 5).unwrap();
    doc.commit();
    files.append(&doc.save_after(&before)).unwrap();
    let loaded = files.load().unwrap();
    assert!(!loaded.torn_tail);
    assert_eq!(value(&loaded.doc), 5);
    assert!(asides(&files, "changes.log").is_empty());
}

#[test]
fn a_flipped_length_byte_in_a_middle_record_loses_only_that_record() {
    let (_dir, _store, files, mut doc) = store_with_project();
    append_keys(&files, &mut doc, 0..6);
    let original = fs::read(files.log_path()).unwrap();
    // Find the third record's header and flip a byte of its length.
    let mut pos = LOG_MAGIC.len();
    for _ in 0..2 {
        let len = u32::from_le_bytes(original[pos..pos + 4].try_into().unwrap()) as usize;
        pos += changelog::HEADER + len;
    }
    let mut bytes = original.clone();
    bytes[pos] ^= 0x40;
    fs::write(files.log_path(), &bytes).unwrap();

    let loaded = files.load().unwrap();
    assert_eq!(key(&loaded.doc, "k1"), Some(1), "before the damage: there");
    // Every later change depends on the lost one, so Automerge holds them until it
    // arrives (from the relay); they are all kept in the repaired log meanwhile.
    assert_eq!(
        parse_log(&fs::read(files.log_path()).unwrap())
            .records
            .len(),
        5
    );
    assert_eq!(loaded.recovered.len(), 1, "{:?}", loaded.recovered);
    assert!(
        loaded.recovered[0].contains("copied to"),
        "{:?}",
        loaded.recovered
    );
    // The original bytes are kept aside, whole.
    let aside = asides(&files, "changes.log");
    assert_eq!(aside.len(), 1);
    assert_eq!(fs::read(&aside[0]).unwrap(), bytes);

    // The next append (of another process) never truncates the later records.
    let mut other = doc_with(7);
    files.append(&other.save()).unwrap();
    let mut again = files.load().unwrap();
    assert!(
        again.recovered.is_empty(),
        "repaired once: {:?}",
        again.recovered
    );
    // The relay refills the lost change: everything is there again.
    again.doc.merge(&mut doc).unwrap();
    for i in 0..6 {
        assert_eq!(key(&again.doc, &format!("k{i}")), Some(i), "k{i} kept");
    }
}

#[test]
fn a_flipped_data_byte_in_a_middle_record_is_damage_not_a_torn_tail() {
    let (_dir, _store, files, mut doc) = store_with_project();
    append_keys(&files, &mut doc, 0..3);
    let mut bytes = fs::read(files.log_path()).unwrap();
    bytes[LOG_MAGIC.len() + changelog::HEADER + 2] ^= 0xff;
    fs::write(files.log_path(), &bytes).unwrap();
    let loaded = files.load().unwrap();
    assert!(!loaded.torn_tail);
    assert!(!loaded.recovered.is_empty());
    assert_eq!(
        parse_log(&fs::read(files.log_path()).unwrap())
            .records
            .len(),
        2
    );
}

#[test]
fn an_append_to_a_damaged_log_repairs_it_first_and_keeps_every_good_record() {
    let (_dir, _store, files, mut doc) = store_with_project();
    append_keys(&files, &mut doc, 0..4);
    let mut bytes = fs::read(files.log_path()).unwrap();
    bytes[LOG_MAGIC.len() + 1] ^= 0x01;
    fs::write(files.log_path(), &bytes).unwrap();
    // Another process appends without loading first.
    let outcome = files.append(b"").unwrap();
    assert!(outcome.recovered.is_empty(), "an empty append does nothing");
    let mut other = doc_with(9);
    let outcome = files.append(&other.save()).unwrap();
    assert!(!outcome.recovered.is_empty(), "repaired, and said so");
    let body = parse_log(&fs::read(files.log_path()).unwrap());
    assert_eq!(body.records.len(), 4, "three good records and the new one");
    let mut loaded = files.load().unwrap();
    loaded.doc.merge(&mut doc).unwrap();
    for i in 0..4 {
        assert_eq!(key(&loaded.doc, &format!("k{i}")), Some(i));
    }
}

#[test]
fn a_missing_snapshot_keeps_the_project_listed_and_opens_what_the_log_holds() {
    let (_dir, store, files, mut doc) = store_with_project();
    append_keys(&files, &mut doc, 0..2);
    fs::remove_file(files.snapshot_path()).unwrap();
    assert_eq!(store.list().unwrap(), vec![*files.id()], "still listed");
    let loaded = store.project(files.id()).unwrap().load().unwrap();
    assert!(
        loaded.recovered.iter().any(|r| r.contains("missing")),
        "{:?}",
        loaded.recovered
    );
    assert!(
        files.snapshot_path().exists(),
        "an empty snapshot was put back"
    );
}

#[test]
fn a_truncated_snapshot_is_moved_aside_and_reported_with_its_path() {
    let (_dir, _store, files, _doc) = store_with_project();
    let path = files.snapshot_path();
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
    let loaded = files.load().unwrap();
    assert!(
        loaded.recovered.iter().any(|r| r.contains("doc.automerge")),
        "{:?}",
        loaded.recovered
    );
    let aside = asides(&files, "doc.automerge");
    assert_eq!(aside.len(), 1);
    assert_eq!(
        fs::read(&aside[0]).unwrap().len(),
        bytes.len() - 7,
        "kept as it was"
    );
}

#[test]
fn an_empty_log_is_reported_not_silently_taken_for_no_changes() {
    let (_dir, _store, files, mut doc) = store_with_project();
    append_keys(&files, &mut doc, 0..2);
    fs::write(files.log_path(), b"").unwrap();
    let loaded = files.load().unwrap();
    assert!(
        loaded.recovered.iter().any(|r| r.contains("empty")),
        "{:?}",
        loaded.recovered
    );
    assert!(files.load().unwrap().recovered.is_empty(), "and repaired");
}

#[test]
fn garbage_in_place_of_the_log_is_moved_aside_and_the_snapshot_still_opens() {
    let (_dir, _store, files, _doc) = store_with_project();
    fs::write(files.log_path(), b"this is not a log at all").unwrap();
    let loaded = files.load().unwrap();
    assert_eq!(value(&loaded.doc), 1);
    assert!(!loaded.recovered.is_empty());
    assert_eq!(asides(&files, "changes.log").len(), 1);
}

#[test]
fn a_log_of_the_first_format_is_read_and_rewritten_by_the_next_append() {
    let (_dir, _store, files, mut doc) = store_with_project();
    let mut v1 = changelog::MAGIC_V1.to_vec();
    let before = doc.get_heads();
    doc.put(ROOT, "n", 2).unwrap();
    doc.commit();
    let data = doc.save_after(&before);
    v1.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v1.extend_from_slice(&changelog::checksum(&data));
    v1.extend_from_slice(&data);
    fs::write(files.log_path(), &v1).unwrap();
    assert_eq!(value(&files.load().unwrap().doc), 2);
    append_keys(&files, &mut doc, 0..1);
    let bytes = fs::read(files.log_path()).unwrap();
    assert_eq!(&bytes[..8], LOG_MAGIC);
    let loaded = files.load().unwrap();
    assert_eq!(value(&loaded.doc), 2);
    assert_eq!(key(&loaded.doc, "k0"), Some(0));
}

#[test]
fn the_log_is_compacted_by_size_and_appends_hold_only_what_is_new() {
    let (_dir, _store, files, mut doc) = store_with_project();
    let mut sizes = Vec::new();
    for i in 0..2000 {
        let before = doc.get_heads();
        doc.put(ROOT, format!("key-{i}"), "x".repeat(100)).unwrap();
        doc.commit();
        files.append(&doc.save_after(&before)).unwrap();
        sizes.push(fs::metadata(files.log_path()).unwrap().len());
    }
    let log = *sizes.last().unwrap();
    let snapshot = fs::metadata(files.snapshot_path()).unwrap().len();
    assert!(
        sizes.windows(2).any(|w| w[1] < w[0]),
        "compacted along the way"
    );
    assert!(
        log <= COMPACT_MIN_BYTES.max(snapshot) + 4096,
        "log {log} B, snapshot {snapshot} B"
    );
    let mut loaded = files.load().unwrap();
    assert_eq!(loaded.doc.get_heads(), doc.get_heads());
}

#[test]
fn reading_since_a_tail_returns_only_what_others_appended() {
    let (_dir, _store, files, mut doc) = store_with_project();
    let tail = files.load().unwrap().tail;
    append_keys(&files, &mut doc, 0..3);
    let (records, tail2) = files.read_since(tail).unwrap().unwrap();
    assert_eq!(records.len(), 3);
    let (none, _) = files.read_since(tail2).unwrap().unwrap();
    assert!(none.is_empty());
    files.compact().unwrap();
    assert!(
        files.read_since(tail2).unwrap().is_none(),
        "replaced: load again"
    );
}

#[test]
fn a_stale_new_project_directory_or_temp_file_is_ignored() {
    let (_dir, store, files, _doc) = store_with_project();
    fs::create_dir(store.projects_dir().join(".new-0123")).unwrap();
    fs::write(files.dir().join(".doc.automerge.abc.tmp"), b"half").unwrap();
    assert_eq!(store.list().unwrap(), vec![*files.id()]);
    assert_eq!(value(&files.load().unwrap().doc), 1);
}

#[test]
fn a_leftover_with_only_a_key_does_not_block_creating_the_project_again() {
    // What a crash between the key and the snapshot left in older versions.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let secret = ProjectSecret::from_bytes([5; 32]);
    let leftover = store.projects_dir().join(secret.keys().doc_id.to_string());
    fs::create_dir(&leftover).unwrap();
    fs::write(leftover.join("secret"), [5u8; 32]).unwrap();
    let files = store
        .create(&secret.clone().into(), &mut doc_with(4))
        .unwrap();
    assert_eq!(value(&files.load().unwrap().doc), 4);
    assert!(matches!(
        store.create(&secret.into(), &mut doc_with(5)),
        Err(StoreError::AlreadyExists(_))
    ));
}

#[test]
fn after_a_torn_tail_another_processes_append_is_read_from_the_right_place() {
    let (_dir, _store, files, mut doc) = store_with_project();
    append_keys(&files, &mut doc, 0..1);
    let mut f = OpenOptions::new()
        .append(true)
        .open(files.log_path())
        .unwrap();
    f.write_all(&[7, 0, 0, 0, 1, 2]).unwrap();
    drop(f);
    let tail = files.load().unwrap().tail;
    // Another process appends: the torn bytes are cut and its record goes in their place.
    append_keys(&files, &mut doc, 1..2);
    let (records, _) = files.read_since(tail).unwrap().unwrap();
    assert_eq!(records.len(), 1, "the new record, read from its start");
}

#[test]
fn a_long_run_of_zeros_in_the_middle_is_skipped_and_later_records_kept() {
    let (_dir, _store, files, mut doc) = store_with_project();
    append_keys(&files, &mut doc, 0..2);
    let mut bytes = fs::read(files.log_path()).unwrap();
    bytes.extend(std::iter::repeat_n(0u8, 1 << 20));
    fs::write(files.log_path(), &bytes).unwrap();
    append_keys(&files, &mut doc, 2..3);
    // The append above repaired nothing (zeros at the end are a torn tail) and wrote
    // after the good records; now put zeros in the middle by hand.
    let mut bytes = fs::read(files.log_path()).unwrap();
    let at = bytes.len() - 200.min(bytes.len() / 2);
    let tail = bytes.split_off(at);
    bytes.extend(std::iter::repeat_n(0u8, 1 << 20));
    bytes.extend(tail);
    fs::write(files.log_path(), &bytes).unwrap();
    let loaded = files.load().unwrap();
    assert!(!loaded.recovered.is_empty());
    assert_eq!(key(&loaded.doc, "k0"), Some(0));
}
