//! Calendar dates: the `effective` / `until` dates of the law and the date of an export.

use std::fmt;

/// A day in the proleptic Gregorian calendar, stored as days since 1970-01-01 so that
/// comparisons and ranges are integer operations on the hot path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

impl Date {
    /// The date for a year, month and day, or `None` when no such day exists (2023-02-29).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        if day > days_in_month(year, month) {
            return None;
        }
        Some(Date(days_from_civil(year, month, day)))
    }

    /// Parses `YYYY-MM-DD`, and nothing else.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = text.get(range)?;
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        let year = i32::try_from(number(0..4)?).ok()?;
        Date::from_ymd(year, number(5..7)?, number(8..10)?)
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i32 {
        self.0
    }

    /// The date as written, `YYYY-MM-DD` (as `Display` writes it), without the formatting
    /// machinery: every decision record carries one.
    pub fn text(self) -> [u8; 10] {
        let (year, month, day) = self.ymd();
        let year = year.clamp(0, 9999).unsigned_abs();
        let digit = |n: u32| b'0' + (n % 10) as u8;
        [
            digit(year / 1000),
            digit(year / 100),
            digit(year / 10),
            digit(year),
            b'-',
            digit(month / 10),
            digit(month),
            b'-',
            digit(day / 10),
            digit(day),
        ]
    }

    /// The year, month and day.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    /// The day `days` days later (earlier when negative), or `None` outside the years 1 to
    /// 9999 that dates are written in.
    pub fn add_days(self, days: i32) -> Option<Date> {
        let moved = Date(self.0.checked_add(days)?);
        let (year, _, _) = moved.ymd();
        (1..=9999).contains(&year).then_some(moved)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// The two conversions below follow Howard Hinnant's public-domain civil calendar algorithms,
// which map dates to day counts with no tables and no loops.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn its_text_is_what_it_displays() {
        let mut date = Date::from_ymd(1, 1, 1);
        let mut checked = 0;
        while let Some(day) = date {
            assert_eq!(day.text(), day.to_string().as_bytes(), "{day}");
            checked += 1;
            // Every day around the turn of each century, and every 97th day in between.
            date = day.add_days(if day.ymd().0 % 100 == 0 { 1 } else { 97 });
        }
        assert!(checked > 30_000, "only {checked} dates checked");
    }

    #[test]
    fn parses_and_prints_round_trip() {
        for text in [
            "1970-01-01",
            "2020-10-06",
            "2022-03-07",
            "2024-02-29",
            "2000-02-29",
            "9999-12-31",
        ] {
            assert_eq!(Date::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Date::parse("1970-01-02").unwrap().days(), 1);
    }

    #[test]
    fn adds_days_across_months_and_years() {
        let day = Date::parse("2020-12-31").unwrap();
        assert_eq!(day.add_days(1).unwrap().to_string(), "2021-01-01");
        assert_eq!(day.add_days(-366).unwrap().to_string(), "2019-12-31");
        assert_eq!(Date::parse("9999-12-31").unwrap().add_days(1), None);
    }

    #[test]
    fn rejects_impossible_dates() {
        for text in [
            "2023-02-29",
            "1900-02-29",
            "2020-13-01",
            "2020-00-10",
            "2020-04-31",
            "20-01-01",
            "2020-1-01",
            "abcd-ef-gh",
        ] {
            assert_eq!(Date::parse(text), None, "{text}");
        }
    }

    #[test]
    fn orders_by_day() {
        assert!(Date::parse("2020-10-05").unwrap() < Date::parse("2020-10-06").unwrap());
    }
}
