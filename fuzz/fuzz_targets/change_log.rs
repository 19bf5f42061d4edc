//! The app's change-log format (`samspill_shared::changelog`) on arbitrary bytes, as
//! the store reads `changes.log` after a crash, a bad disk or anything else.
//!
//! Parsing must never panic, and:
//! - every byte is in exactly one of the magic, a whole record, a damaged range or the
//!   torn tail, and `valid_len` is where the torn tail starts (the end when there is
//!   none; where the damage starts in a v1 log);
//! - every whole record encodes again to exactly its bytes;
//! - the log the store rewrites from the whole records reads back as those records,
//!   with no damage;
//! - for a current-format log without damage, appending a record after `valid_len`
//!   (cutting the torn tail, as the store does) keeps every record and adds that one,
//!   and reading the appended bytes (as another process does) finds the same records;
//! - reading arbitrary bytes as appended records stays in bounds.

#![no_main]

use std::ops::Range;

use libfuzzer_sys::fuzz_target;
use samspill_shared::changelog::{
    Format, MAGIC, MAGIC_V1, ParsedLog, encode_record, encode_record_v1, parse, read_appended,
};

fuzz_target!(|bytes: &[u8]| {
    let parsed = parse(bytes);
    check_tiling(bytes, &parsed);
    check_records_re_encode(bytes, &parsed);
    check_rewrite(bytes, &parsed);
    if parsed.format == Format::V2 && parsed.damaged.is_empty() && !bytes.is_empty() {
        check_append(bytes, &parsed);
    }
    check_read_appended(bytes);
});

/// Every byte belongs to exactly one part, in order.
fn check_tiling(bytes: &[u8], parsed: &ParsedLog) {
    let header = parsed.format.header_len();
    let mut parts: Vec<Range<usize>> = Vec::new();
    if bytes.len() >= MAGIC.len() && (bytes[..8] == *MAGIC || bytes[..8] == *MAGIC_V1) {
        parts.push(0..MAGIC.len());
    }
    for r in &parsed.records {
        assert!(r.start >= header, "record {r:?} has no room for its header");
        parts.push(r.start - header..r.end);
    }
    parts.extend(parsed.damaged.iter().cloned());
    parts.extend(parsed.torn_tail.iter().cloned());
    parts.sort_by_key(|r| (r.start, r.end));
    let mut pos = 0;
    for part in &parts {
        assert_eq!(part.start, pos, "gap or overlap at {pos}: {parts:?}");
        assert!(
            part.start <= part.end && part.end <= bytes.len(),
            "{part:?}"
        );
        pos = part.end;
    }
    assert_eq!(pos, bytes.len(), "parts end early: {parts:?}");
    for d in &parsed.damaged {
        assert!(!d.is_empty(), "an empty damaged range");
    }

    if let Some(torn) = &parsed.torn_tail {
        assert!(!torn.is_empty(), "an empty torn tail");
        assert_eq!(torn.end, bytes.len());
    }
    let valid_len = match (&parsed.torn_tail, parsed.format) {
        (Some(torn), _) => torn.start,
        // A buffer too short for a magic is all damage, and appends go at its start.
        (None, _) if bytes.len() < MAGIC.len() => 0,
        // Damage in a v1 log runs to the end; the store rewrites it before appending.
        (None, Format::V1) => {
            assert!(parsed.damaged.len() <= 1, "{:?}", parsed.damaged);
            parsed.damaged.first().map_or(bytes.len(), |d| d.start)
        }
        // Damage in a current-format log is never cut off by an append.
        (None, Format::V2) => bytes.len(),
    };
    assert_eq!(parsed.valid_len, valid_len);
    assert_eq!(
        parsed.unreadable(),
        parsed.damaged.iter().map(|d| d.len()).sum::<usize>()
    );
}

/// A whole record is exactly what encoding its data gives.
fn check_records_re_encode(bytes: &[u8], parsed: &ParsedLog) {
    let header = parsed.format.header_len();
    for r in &parsed.records {
        let data = &bytes[r.clone()];
        let encoded = match parsed.format {
            Format::V1 => encode_record_v1(data),
            Format::V2 => encode_record(data),
        }
        .expect("a record read from a buffer fits a record");
        assert_eq!(encoded, bytes[r.start - header..r.end], "record {r:?}");
    }
}

/// What the store writes when it repairs a log: the magic and the whole records.
fn check_rewrite(bytes: &[u8], parsed: &ParsedLog) {
    let records: Vec<&[u8]> = parsed.record_data(bytes).collect();
    let rewritten = log_of(&records);
    let again = parse(&rewritten);
    assert_eq!(again.format, Format::V2);
    assert!(again.damaged.is_empty(), "a rewritten log has damage");
    assert_eq!(again.torn_tail, None);
    assert_eq!(again.valid_len, rewritten.len());
    assert_eq!(again.record_data(&rewritten).collect::<Vec<_>>(), records);
}

/// An append after `valid_len` keeps every record, and adds one.
fn check_append(bytes: &[u8], parsed: &ParsedLog) {
    let records: Vec<&[u8]> = parsed.record_data(bytes).collect();
    let new = b"a new change";
    let mut appended = bytes[..parsed.valid_len].to_vec();
    appended.extend(encode_record(new).expect("a small record"));
    let again = parse(&appended);
    assert!(again.damaged.is_empty(), "an append made damage");
    assert_eq!(again.torn_tail, None);
    let mut expected = records.clone();
    expected.push(new);
    assert_eq!(again.record_data(&appended).collect::<Vec<_>>(), expected);

    // Another process reading what was appended after the magic finds the same.
    let body = &bytes[MAGIC.len()..];
    let read = read_appended(body).expect("a damage-free body starts at a record");
    assert_eq!(read.end + MAGIC.len(), parsed.valid_len);
    let read_records: Vec<&[u8]> = read.records.iter().map(|r| &body[r.clone()]).collect();
    assert_eq!(read_records, records);
}

/// Reading any bytes as appended records stays in bounds and finds whole records.
fn check_read_appended(bytes: &[u8]) {
    let Some(read) = read_appended(bytes) else {
        return;
    };
    assert!(read.end <= bytes.len());
    let mut pos = 0;
    for r in &read.records {
        let data = &bytes[r.clone()];
        let encoded = encode_record(data).expect("a record read from a buffer fits a record");
        assert_eq!(encoded, bytes[pos..r.end]);
        pos = r.end;
    }
    assert_eq!(pos, read.end);
}

fn log_of(records: &[&[u8]]) -> Vec<u8> {
    let mut log = MAGIC.to_vec();
    for r in records {
        log.extend(encode_record(r).expect("a record read from a buffer fits a record"));
    }
    log
}
