//! The byte format of a project's change log (`changes.log`), with no file I/O.
//!
//! The app's store (`app/src/store.rs`) appends one record per save and reads the whole
//! file back on load; this module is the part of that which is only bytes: encoding a
//! record, and telling in a log buffer the whole records from a torn tail and from
//! damage. Keeping it here, pure, lets it be unit tested and fuzzed without the app.
//!
//! ```text
//! v2 (current):  MAGIC    = "SPLOG\0\x02\n", then records of
//!                [len: u32 LE][BLAKE3(data)[..8]][BLAKE3(len ‖ data checksum)[..4]][data]
//! v1 (read only): MAGIC_V1 = "SPLOG\0\x01\n", then records of
//!                [len: u32 LE][BLAKE3(data)[..8]][data]
//! ```
//!
//! The header checksum of v2 tells a torn tail from damage. A crash can only leave an
//! incomplete record at the end (a partial header, a header whose data is cut short, or
//! a block of zeros the file system allotted before the crash): that is a *torn tail*,
//! and the next append writes over it. Anything else that does not check out is
//! *damage*: the parser skips to the next header that checks out and whose record is
//! whole, so every whole record is kept. v1 has no header checksum, so damage in a v1
//! log cannot be skipped over: everything from it on counts as damaged.
//!
//! [`parse`] describes a buffer as ranges into it. Every byte of a non-empty buffer is
//! in exactly one of: the magic (when it is readable), a record (its header and data), a
//! damaged range, or the torn tail.

use std::ops::Range;

/// The magic that starts a log of the first format (no header checksum).
pub const MAGIC_V1: &[u8; 8] = b"SPLOG\x00\x01\n";
/// The magic that starts a log of the current format.
pub const MAGIC: &[u8; 8] = b"SPLOG\x00\x02\n";
/// The size of a v1 record header: length and data checksum.
pub const HEADER_V1: usize = 12;
/// The size of a v2 record header: length, data checksum and header checksum.
pub const HEADER: usize = 16;

/// A record's data does not fit the header's 32-bit length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a change of {0} bytes is larger than the 4 GiB a log record can hold")]
pub struct RecordTooLarge(pub usize);

/// The data checksum of a record: the first 8 bytes of the data's BLAKE3 hash.
pub fn checksum(data: &[u8]) -> [u8; 8] {
    let hash = blake3::hash(data);
    let mut out = [0u8; 8];
    out.copy_from_slice(&hash.as_bytes()[..8]);
    out
}

/// The header checksum of a v2 record: BLAKE3 over the length and the data checksum.
fn header_checksum(len: [u8; 4], data_checksum: &[u8]) -> [u8; 4] {
    let mut h = blake3::Hasher::new();
    h.update(&len);
    h.update(data_checksum);
    let mut out = [0u8; 4];
    out.copy_from_slice(&h.finalize().as_bytes()[..4]);
    out
}

fn record_len(data: &[u8]) -> Result<[u8; 4], RecordTooLarge> {
    u32::try_from(data.len())
        .map(u32::to_le_bytes)
        .map_err(|_| RecordTooLarge(data.len()))
}

/// One record of the current format: header, then `data`.
pub fn encode_record(data: &[u8]) -> Result<Vec<u8>, RecordTooLarge> {
    let len = record_len(data)?;
    let sum = checksum(data);
    let mut record = Vec::with_capacity(HEADER + data.len());
    record.extend_from_slice(&len);
    record.extend_from_slice(&sum);
    record.extend_from_slice(&header_checksum(len, &sum));
    record.extend_from_slice(data);
    Ok(record)
}

/// One record of the first format. Nothing writes this format any more; this is for
/// tests and tools that need a v1 log to read.
pub fn encode_record_v1(data: &[u8]) -> Result<Vec<u8>, RecordTooLarge> {
    let len = record_len(data)?;
    let mut record = Vec::with_capacity(HEADER_V1 + data.len());
    record.extend_from_slice(&len);
    record.extend_from_slice(&checksum(data));
    record.extend_from_slice(data);
    Ok(record)
}

/// Which format a log is in, as its magic says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The first format; read, and rewritten in the current one by the next append.
    V1,
    /// The current format; also assumed when the magic is unreadable.
    #[default]
    V2,
}

impl Format {
    /// The size of this format's record header.
    pub fn header_len(self) -> usize {
        match self {
            Format::V1 => HEADER_V1,
            Format::V2 => HEADER,
        }
    }
}

/// What a log buffer holds, as ranges into it (see [`parse`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedLog {
    /// The format named by the magic ([`Format::V2`] when the magic is unreadable or
    /// the buffer is too short to hold one).
    pub format: Format,
    /// The data of every whole record, in order. A record's header is the
    /// [`Format::header_len`] bytes before its data.
    pub records: Vec<Range<usize>>,
    /// Where the next append goes: after the last whole record, or after the last
    /// damaged range of a current-format log (damage is never cut off). 0 for an empty
    /// or too short buffer. In a v1 log, damage runs to the end and this is where it
    /// starts (the store rewrites a v1 log before it appends).
    pub valid_len: usize,
    /// An incomplete record at the end, from `valid_len` to the end: a crash mid-append.
    pub torn_tail: Option<Range<usize>>,
    /// Bytes that are neither the magic, whole records nor a torn tail, in order.
    pub damaged: Vec<Range<usize>>,
}

impl ParsedLog {
    /// How many bytes are damaged in all.
    pub fn unreadable(&self) -> usize {
        self.damaged.iter().map(ExactSizeIterator::len).sum()
    }

    /// The data of every whole record of `bytes` (the buffer this was parsed from).
    pub fn record_data<'a>(&self, bytes: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
        self.records.iter().map(move |r| &bytes[r.clone()])
    }
}

/// Reads a whole log buffer: its format, its whole records, a torn tail and damage.
///
/// An empty buffer has nothing (the store reports an empty file on its own). A buffer
/// shorter than a magic is all damage. A buffer whose magic is neither format's is read
/// as the current format with its first 8 bytes damaged (a damaged first block).
pub fn parse(bytes: &[u8]) -> ParsedLog {
    let mut out = ParsedLog::default();
    if bytes.is_empty() {
        return out;
    }
    if bytes.len() < MAGIC.len() {
        out.damaged.push(0..bytes.len());
        return out;
    }
    let magic = &bytes[..MAGIC.len()];
    if magic == MAGIC_V1 {
        return parse_v1(bytes);
    }
    if magic != MAGIC {
        // Not our header: look for records anyway.
        out.damaged.push(0..MAGIC.len());
    }
    let mut pos = MAGIC.len();
    out.valid_len = pos;
    let scanner = Scanner::new(bytes);
    while pos < bytes.len() {
        match scanner.at(pos) {
            At::Record { data, next } => {
                out.records.push(data);
                pos = next;
                out.valid_len = pos;
            }
            At::Torn => {
                out.torn_tail = Some(pos..bytes.len());
                break;
            }
            At::Bad => {
                let next = scanner.resync(pos);
                out.damaged.push(pos..next);
                pos = next;
                out.valid_len = pos;
            }
        }
    }
    out
}

/// The first format: `[len][checksum][data]`. Without a header checksum, damage in the
/// middle cannot be skipped over: everything from it on is damaged.
fn parse_v1(bytes: &[u8]) -> ParsedLog {
    let mut out = ParsedLog {
        format: Format::V1,
        ..ParsedLog::default()
    };
    let mut pos = MAGIC_V1.len();
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        let Some(header) = rest.get(..HEADER_V1) else {
            out.torn_tail = Some(pos..bytes.len());
            break;
        };
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let Some(data) = HEADER_V1
            .checked_add(len)
            .and_then(|end| rest.get(HEADER_V1..end))
        else {
            out.torn_tail = Some(pos..bytes.len());
            break;
        };
        let end = pos + HEADER_V1 + len;
        if checksum(data) != header[4..12] {
            if end == bytes.len() {
                out.torn_tail = Some(pos..bytes.len());
            } else {
                out.damaged.push(pos..bytes.len());
            }
            break;
        }
        out.records.push(pos + HEADER_V1..end);
        pos = end;
    }
    out.valid_len = pos;
    out
}

/// Bytes appended to a current-format log after a record boundary, as [`read_appended`]
/// found them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Appended {
    /// The data of every whole record, in order.
    pub records: Vec<Range<usize>>,
    /// Where the last whole record ends: the next read starts here.
    pub end: usize,
}

/// Reads the records at the start of `bytes`, which another process appended to a
/// current-format log after a known record boundary. Reading stops at the first
/// record that is not whole (it may still be being written; it is read next time).
/// `None` when `bytes` does not start with a record that checks out or could still be
/// being written: the log was rewritten since, so it should be read again from the
/// start.
pub fn read_appended(bytes: &[u8]) -> Option<Appended> {
    let scanner = Scanner::new(bytes);
    if !bytes.is_empty() && matches!(scanner.at(0), At::Bad) {
        return None;
    }
    let mut out = Appended::default();
    while let At::Record { data, next } = scanner.at(out.end) {
        out.records.push(data);
        out.end = next;
    }
    Some(out)
}

/// What starts at a position of a current-format log.
enum At {
    /// A whole record: its data, and where the next record starts.
    Record { data: Range<usize>, next: usize },
    /// An incomplete record that runs to the end: a crash mid-append.
    Torn,
    /// A header or record that does not check out.
    Bad,
}

/// Reads records of a current-format log buffer at any position.
struct Scanner<'a> {
    bytes: &'a [u8],
    /// Where the trailing run of zero bytes starts (`bytes.len()` if there is none).
    zeros_from: usize,
}

impl<'a> Scanner<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let zeros_from = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        Self { bytes, zeros_from }
    }

    /// What starts at `pos` (a torn tail at or after the end).
    fn at(&self, pos: usize) -> At {
        let Some(rest) = self.bytes.get(pos..) else {
            return At::Torn;
        };
        let Some(header) = rest.get(..HEADER) else {
            return At::Torn;
        };
        let len = [header[0], header[1], header[2], header[3]];
        if header_checksum(len, &header[4..12]) != header[12..16] {
            // A block of zeros at the end is space the file system allotted before the
            // crash, not damage.
            return if pos >= self.zeros_from {
                At::Torn
            } else {
                At::Bad
            };
        }
        let len = u32::from_le_bytes(len) as usize;
        let Some(data) = HEADER
            .checked_add(len)
            .and_then(|end| rest.get(HEADER..end))
        else {
            return At::Torn;
        };
        let end = pos + HEADER + len;
        if checksum(data) != header[4..12] {
            // The last record, its data not (all) written before a crash.
            return if end == self.bytes.len() {
                At::Torn
            } else {
                At::Bad
            };
        }
        At::Record {
            data: pos + HEADER..end,
            next: end,
        }
    }

    /// Where the first whole record after the bad stretch starting at `pos` is (the end
    /// of the buffer if there is none).
    fn resync(&self, pos: usize) -> usize {
        (pos + 1..self.bytes.len())
            .find(|p| matches!(self.at(*p), At::Record { .. }))
            .unwrap_or(self.bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of(records: &[&[u8]]) -> Vec<u8> {
        let mut log = MAGIC.to_vec();
        for r in records {
            log.extend(encode_record(r).unwrap());
        }
        log
    }

    fn data<'a>(parsed: &ParsedLog, bytes: &'a [u8]) -> Vec<&'a [u8]> {
        parsed.record_data(bytes).collect()
    }

    /// A list of one range.
    fn only(range: Range<usize>) -> Vec<Range<usize>> {
        vec![range]
    }

    #[test]
    fn records_round_trip_and_an_empty_buffer_holds_nothing() {
        let log = log_of(&[b"one", b"", b"three"]);
        let parsed = parse(&log);
        assert_eq!(parsed.format, Format::V2);
        assert_eq!(data(&parsed, &log), [&b"one"[..], b"", b"three"]);
        assert_eq!(parsed.valid_len, log.len());
        assert_eq!(parsed.torn_tail, None);
        assert!(parsed.damaged.is_empty());
        assert_eq!(parse(b""), ParsedLog::default());
    }

    #[test]
    fn a_cut_record_or_trailing_zeros_are_a_torn_tail() {
        let whole = log_of(&[b"first"]);
        let log = log_of(&[b"first", b"second record"]);
        for cut in whole.len() + 1..log.len() {
            let parsed = parse(&log[..cut]);
            assert_eq!(parsed.torn_tail, Some(whole.len()..cut), "cut at {cut}");
            assert_eq!(parsed.valid_len, whole.len());
            assert!(parsed.damaged.is_empty());
        }
        let mut zeros = whole.clone();
        zeros.extend([0u8; 100]);
        let parsed = parse(&zeros);
        assert_eq!(parsed.torn_tail, Some(whole.len()..zeros.len()));
        assert_eq!(parsed.records.len(), 1);
    }

    #[test]
    fn damage_in_the_middle_loses_only_that_record() {
        let mut log = log_of(&[b"a", b"bb", b"ccc"]);
        let second = MAGIC.len() + HEADER + 1;
        // A flipped length byte: the header no longer checks out.
        log[second] ^= 0x40;
        let parsed = parse(&log);
        assert_eq!(data(&parsed, &log), [&b"a"[..], b"ccc"]);
        assert_eq!(parsed.damaged, only(second..second + HEADER + 2));
        assert_eq!(parsed.unreadable(), HEADER + 2);
        assert_eq!(parsed.valid_len, log.len());
        assert_eq!(parsed.torn_tail, None);
    }

    #[test]
    fn an_unknown_magic_or_a_short_buffer_is_damage() {
        let mut log = log_of(&[b"kept"]);
        log[0] = b'X';
        let parsed = parse(&log);
        assert_eq!(parsed.damaged, only(0..MAGIC.len()));
        assert_eq!(data(&parsed, &log), [&b"kept"[..]]);
        assert_eq!(parse(b"SPLOG").damaged, only(0..5));
    }

    #[test]
    fn v1_logs_are_read_and_damage_runs_to_the_end() {
        let mut log = MAGIC_V1.to_vec();
        for r in [&b"old"[..], b"older"] {
            log.extend(encode_record_v1(r).unwrap());
        }
        let parsed = parse(&log);
        assert_eq!(parsed.format, Format::V1);
        assert_eq!(data(&parsed, &log), [&b"old"[..], b"older"]);

        let first_data = MAGIC_V1.len() + HEADER_V1;
        log[first_data] ^= 1;
        let parsed = parse(&log);
        assert!(parsed.records.is_empty());
        assert_eq!(parsed.damaged, only(MAGIC_V1.len()..log.len()));
        assert_eq!(parsed.valid_len, MAGIC_V1.len());
    }

    #[test]
    fn appended_bytes_are_read_up_to_the_first_incomplete_record() {
        let body = log_of(&[b"x", b"yy"]).split_off(MAGIC.len());
        let mut appended = body.clone();
        appended.extend(&encode_record(b"zzz").unwrap()[..5]);
        let read = read_appended(&appended).unwrap();
        assert_eq!(read.records.len(), 2);
        assert_eq!(read.end, body.len());
        assert_eq!(read_appended(b""), Some(Appended::default()));
        assert_eq!(read_appended(&[0xff; 40]), None, "not at a record boundary");
    }
}
