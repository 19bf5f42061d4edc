//! Dates as a person reads them: "torsdag 14. januar 2027" in bokmål, "Thursday 14
//! January 2027" in English, and what is overdue. Stored dates are always `YYYY-MM-DD`
//! (`samspill_shared::dates` parses what people type and shows times in their zone;
//! this module adds the calendar's names and month grid for the date picker).

use jiff::civil::{Date, Weekday};
use samspill_shared::content::Lang;

/// Today in the machine's time zone.
pub fn today() -> Date {
    jiff::Zoned::now().date()
}

/// `YYYY-MM-DD` as a date; `None` for anything else (including "").
pub fn parse(iso: &str) -> Option<Date> {
    iso.trim().parse::<Date>().ok()
}

/// `YYYY-MM-DD` of a date.
pub fn iso(d: Date) -> String {
    d.strftime("%Y-%m-%d").to_string()
}

/// The weekday's name in `lang`, lower case in bokmål and Danish as they write it.
pub fn weekday_name(lang: Lang, w: Weekday) -> &'static str {
    let i = usize::from(w.to_monday_zero_offset().unsigned_abs());
    let names: [&str; 7] = match lang {
        Lang::Nb => [
            "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag",
        ],
        Lang::Da => [
            "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag",
        ],
        Lang::En => [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ],
    };
    names.get(i).copied().unwrap_or("")
}

/// Two-letter weekday heads for a calendar, Monday first.
pub fn weekday_heads(lang: Lang) -> [&'static str; 7] {
    match lang {
        Lang::Nb | Lang::Da => ["ma", "ti", "on", "to", "fr", "lø", "sø"],
        Lang::En => ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"],
    }
}

/// The month's name (1–12) in `lang`.
pub fn month_name(lang: Lang, month: i8) -> &'static str {
    let i = usize::from(month.unsigned_abs()).saturating_sub(1);
    let names: [&str; 12] = match lang {
        Lang::Nb => [
            "januar",
            "februar",
            "mars",
            "april",
            "mai",
            "juni",
            "juli",
            "august",
            "september",
            "oktober",
            "november",
            "desember",
        ],
        Lang::Da => [
            "januar",
            "februar",
            "marts",
            "april",
            "maj",
            "juni",
            "juli",
            "august",
            "september",
            "oktober",
            "november",
            "december",
        ],
        Lang::En => [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
    };
    names.get(i).copied().unwrap_or("")
}

/// "torsdag 14. januar 2027" / "Thursday 14 January 2027"; text that is not a date
/// comes back as it is.
pub fn long_date(lang: Lang, iso: &str) -> String {
    let Some(d) = parse(iso) else {
        return iso.to_owned();
    };
    let (w, m) = (weekday_name(lang, d.weekday()), month_name(lang, d.month()));
    match lang {
        Lang::Nb | Lang::Da => format!("{w} {}. {m} {}", d.day(), d.year()),
        Lang::En => format!("{w} {} {m} {}", d.day(), d.year()),
    }
}

/// "januar 2027": a calendar's title.
pub fn month_title(lang: Lang, d: Date) -> String {
    format!("{} {}", month_name(lang, d.month()), d.year())
}

/// Whether a task due on `iso` and not `done` is past its date (today is not late).
pub fn is_overdue(iso: &str, done: bool) -> bool {
    !done && parse(iso).is_some_and(|d| d < today())
}

/// The six weeks (Monday first) a calendar shows for the month `d` is in: each day, or
/// `None` outside the month.
pub fn month_grid(d: Date) -> Vec<[Option<Date>; 7]> {
    let first = d.first_of_month();
    let lead = usize::from(first.weekday().to_monday_zero_offset().unsigned_abs());
    let days = usize::from(first.days_in_month().unsigned_abs());
    let mut weeks = Vec::new();
    let mut week = [None; 7];
    for i in 0..lead + days {
        if i >= lead {
            let offset = i64::try_from(i - lead).unwrap_or(0);
            week[i % 7] = first.checked_add(jiff::Span::new().days(offset)).ok();
        }
        if i % 7 == 6 {
            weeks.push(week);
            week = [None; 7];
        }
    }
    if week.iter().any(Option::is_some) {
        weeks.push(week);
    }
    weeks
}

/// The first of the month `months` away from `d`'s (negative goes back).
pub fn shift_month(d: Date, months: i32) -> Date {
    let first = d.first_of_month();
    first
        .checked_add(jiff::Span::new().months(i64::from(months)))
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_reads_in_full_in_each_language() {
        assert_eq!(long_date(Lang::Nb, "2027-01-14"), "torsdag 14. januar 2027");
        assert_eq!(
            long_date(Lang::En, "2027-01-14"),
            "Thursday 14 January 2027"
        );
        assert_eq!(long_date(Lang::Da, "2027-03-01"), "mandag 1. marts 2027");
        assert_eq!(long_date(Lang::Nb, "neste uke"), "neste uke");
        assert_eq!(long_date(Lang::Nb, ""), "");
    }

    #[test]
    fn a_month_grid_starts_on_monday_and_holds_every_day_once() {
        // January 2027 starts on a Friday.
        let grid = month_grid(Date::constant(2027, 1, 20));
        assert_eq!(grid[0][..4], [None; 4]);
        assert_eq!(grid[0][4], Some(Date::constant(2027, 1, 1)));
        let days: Vec<Date> = grid.iter().flatten().flatten().copied().collect();
        assert_eq!(days.len(), 31);
        assert_eq!(days.last(), Some(&Date::constant(2027, 1, 31)));
        // February 2027 starts on a Monday: no blank lead.
        assert_eq!(
            month_grid(Date::constant(2027, 2, 1))[0][0],
            Some(Date::constant(2027, 2, 1))
        );
    }

    #[test]
    fn only_an_open_task_past_its_date_is_overdue() {
        let yesterday = iso(today().yesterday().unwrap_or(today()));
        assert!(is_overdue(&yesterday, false));
        assert!(!is_overdue(&yesterday, true));
        assert!(!is_overdue(&iso(today()), false));
        assert!(!is_overdue("", false));
        assert!(!is_overdue("snart", false));
    }

    #[test]
    fn months_shift_across_years() {
        let d = Date::constant(2027, 1, 31);
        assert_eq!(shift_month(d, -1), Date::constant(2026, 12, 1));
        assert_eq!(shift_month(d, 13), Date::constant(2028, 2, 1));
    }
}
