//! Dates and times, all through `jiff`: what people type, what is stored, and what is
//! shown.
//!
//! - Stored: dates as `YYYY-MM-DD`, times of day as `HH:MM`, moments as seconds (or
//!   milliseconds) since the Unix epoch, UTC.
//! - Typed: Norwegian and Danish forms are accepted wherever ISO is — `15.01.2027`,
//!   `15.1.27`, `15.1` for a date; `8.30`, `08:30`, `0830`, `8` for a time
//!   ([`normalize_date`], [`normalize_time`]).
//! - Shown: in the reader's time zone, Europe/Oslo for bokmål and English and
//!   Europe/Copenhagen for Danish ([`zone`]), with summer time from the time-zone
//!   database compiled into the binary (no guessing at the rules, no system files).

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use std::sync::OnceLock;

use crate::content::Lang;

/// Parses `YYYY-MM-DD` into (year, month, day), checking the day exists.
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    let digits = b
        .iter()
        .enumerate()
        .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits {
        return None;
    }
    let y: i16 = s.get(0..4)?.parse().ok()?;
    let m: i8 = s.get(5..7)?.parse().ok()?;
    let d: i8 = s.get(8..10)?.parse().ok()?;
    let date = Date::new(y, m, d).ok()?;
    Some((
        i32::from(date.year()),
        u32::try_from(date.month()).ok()?,
        u32::try_from(date.day()).ok()?,
    ))
}

/// A date as people type it, in the stored form `YYYY-MM-DD`: `2027-01-15`,
/// `15.01.2027`, `15.1.27` (20YY), `15.1` or `15.1.` (in `this_year`), with `.`, `/`
/// or `-` between day, month and year. `None` when it is no real date.
pub fn normalize_date(input: &str, this_year: i32) -> Option<String> {
    let s = input.trim();
    if parse_date(s).is_some() {
        return Some(s.to_owned());
    }
    let parts: Vec<&str> = s
        .trim_end_matches(['.', '/', '-'])
        .split(['.', '/', '-'])
        .map(str::trim)
        .collect();
    let num = |p: &str| -> Option<u32> {
        (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let (d, m, y) = match parts.as_slice() {
        [d, m] if d.len() <= 2 && m.len() <= 2 => (num(d)?, num(m)?, this_year),
        [d, m, y] if d.len() <= 2 && m.len() <= 2 => {
            let y = match num(y)? {
                y @ 0..=99 if parts[2].len() <= 2 => 2000 + y,
                y @ 1000..=9999 => y,
                _ => return None,
            };
            (num(d)?, num(m)?, i32::try_from(y).ok()?)
        }
        _ => return None,
    };
    let iso = format!("{y:04}-{m:02}-{d:02}");
    parse_date(&iso).map(|_| iso)
}

/// A time as people type it, in the stored form `HH:MM`: `08:30`, `8:30`, `8.30`,
/// `0830`, `8` (on the hour). `None` when it is no time of day.
pub fn normalize_time(input: &str) -> Option<String> {
    let s = input.trim();
    let (h, m) = match s.split_once([':', '.']) {
        Some((h, m)) if (1..=2).contains(&h.len()) && m.len() == 2 => (h, m),
        Some(_) => return None,
        None if (1..=2).contains(&s.len()) => (s, "00"),
        None if s.len() == 4 => s.split_at_checked(2)?,
        None => return None,
    };
    if !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    let time = jiff::civil::Time::new(h, m, 0, 0).ok()?;
    Some(format!("{:02}:{:02}", time.hour(), time.minute()))
}

/// A stored `YYYY-MM-DD` as Norwegians and Danes write it: `15.01.2027` (anything else
/// as it is).
pub fn display_date(iso: &str) -> String {
    match parse_date(iso) {
        Some((y, m, d)) => format!("{d:02}.{m:02}.{y:04}"),
        None => iso.to_owned(),
    }
}

/// The UTC calendar date of a timestamp in milliseconds, `YYYY-MM-DD`.
pub fn date_of_ms(ms: i64) -> String {
    let ts = Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH);
    ts.to_zoned(TimeZone::UTC).date().to_string()
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (what scripts read).
pub fn utc_stamp(secs: i64) -> String {
    let ts = Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH);
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The time zone a reader of `lang` lives in: Europe/Copenhagen for Danish,
/// Europe/Oslo otherwise (the facilitators' own, English UI or not).
pub fn zone(lang: Lang) -> TimeZone {
    static ZONES: OnceLock<(TimeZone, TimeZone)> = OnceLock::new();
    let (oslo, copenhagen) = ZONES.get_or_init(|| {
        // The copy of the database compiled into the binary (jiff's `tzdb-bundle-always`),
        // never the system's files: the same rules on every machine. UTC is only a last
        // resort that keeps the time readable.
        let db = jiff::tz::TimeZoneDatabase::bundled();
        let get = |name: &str| db.get(name).unwrap_or(TimeZone::UTC);
        (get("Europe/Oslo"), get("Europe/Copenhagen"))
    });
    match lang {
        Lang::Da => copenhagen.clone(),
        Lang::Nb | Lang::En => oslo.clone(),
    }
}

/// Seconds since the epoch in the reader's zone.
pub fn local(lang: Lang, secs: i64) -> Zoned {
    Timestamp::from_second(secs)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(zone(lang))
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM` in the reader's zone.
pub fn when(lang: Lang, secs: i64) -> String {
    local(lang, secs).strftime("%Y-%m-%d %H:%M").to_string()
}

/// Just the clock, `HH:MM`, in the reader's zone.
pub fn clock(lang: Lang, secs: i64) -> String {
    local(lang, secs).strftime("%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norwegian_time_follows_summer_time_from_the_database() {
        // 2025-01-15 12:00 UTC: CET, an hour ahead.
        assert_eq!(when(Lang::Nb, 1_736_942_400), "2025-01-15 13:00");
        // 2025-06-15 12:00 UTC: CEST, two hours ahead.
        assert_eq!(when(Lang::Nb, 1_749_988_800), "2025-06-15 14:00");
        // Summer time began 2025-03-30 at 01:00 UTC: a second before and at it.
        assert_eq!(clock(Lang::Nb, 1_743_296_399), "01:59");
        assert_eq!(clock(Lang::Nb, 1_743_296_400), "03:00");
        // And ended 2025-10-26 at 01:00 UTC.
        assert_eq!(clock(Lang::Nb, 1_761_440_399), "02:59");
        assert_eq!(clock(Lang::Nb, 1_761_440_400), "02:00");
    }

    #[test]
    fn a_danish_reader_sees_copenhagen_time() {
        assert_eq!(zone(Lang::Da).iana_name(), Some("Europe/Copenhagen"));
        assert_eq!(zone(Lang::Nb).iana_name(), Some("Europe/Oslo"));
        assert_eq!(when(Lang::Da, 1_749_988_800), "2025-06-15 14:00");
    }

    #[test]
    fn utc_dates_and_stamps() {
        assert_eq!(date_of_ms(0), "1970-01-01");
        assert_eq!(date_of_ms(1_749_988_800_000), "2025-06-15");
        assert_eq!(date_of_ms(-1), "1969-12-31");
        assert_eq!(utc_stamp(1_749_988_800), "2025-06-15T12:00:00Z");
        // Out of jiff's range: the epoch, not a panic.
        assert_eq!(date_of_ms(i64::MAX), "1970-01-01");
    }

    #[test]
    fn only_real_calendar_days_parse() {
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2025-02-29"), None);
        assert_eq!(parse_date("2025-13-01"), None);
        assert_eq!(parse_date("2025-1-01"), None);
        assert_eq!(parse_date("２０２５-01-01"), None);
        assert_eq!(parse_date("2025-+1-01"), None);
        assert_eq!(parse_date("+999-01-01"), None);
    }
}
