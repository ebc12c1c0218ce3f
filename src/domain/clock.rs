//! Local calendar arithmetic in the deployment's time zone. Stored times are UTC; days and
//! months are the office's local ones (a response at 23:30 UTC on the 31st belongs to the
//! next day in Shanghai).

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// The UTC instant at which local `date` begins (the earliest one, should a change of
/// offset make midnight ambiguous or skipped).
pub fn local_midnight_utc(date: NaiveDate, tz: Tz) -> NaiveDateTime {
    let mut t = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    // A skipped midnight (DST gap) begins the day at the first valid hour after it.
    for _ in 0..3 {
        if let Some(local) = tz.from_local_datetime(&t).earliest() {
            return local.naive_utc();
        }
        t += chrono::Duration::hours(1);
    }
    date.and_hms_opt(0, 0, 0).expect("midnight exists")
}

/// The local calendar date of a UTC instant.
pub fn local_date(utc: NaiveDateTime, tz: Tz) -> NaiveDate {
    tz.from_utc_datetime(&utc).date_naive()
}

/// A UTC instant as local wall-clock time, "2026-11-30 15:04", for people to read.
pub fn local_minute(utc: NaiveDateTime, tz: Tz) -> String {
    tz.from_utc_datetime(&utc).format("%Y-%m-%d %H:%M").to_string()
}

/// The same to the second, "2026-11-30 15:04:05", where order within a minute matters (the
/// audit log, sign-ins, key use, exported rows).
pub fn local_second(utc: NaiveDateTime, tz: Tz) -> String {
    tz.from_utc_datetime(&utc).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// First day of the local month containing `date`.
pub fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("day 1 exists")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America::New_York, Asia::Shanghai};

    fn utc(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn shanghai_day_starts_at_16_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(local_midnight_utc(d, Shanghai), utc("2026-10-31 16:00:00"));
        assert_eq!(local_date(utc("2026-10-31 16:00:00"), Shanghai), d);
        assert_eq!(
            local_date(utc("2026-10-31 15:59:59"), Shanghai),
            d.pred_opt().unwrap()
        );
    }

    #[test]
    fn offset_changes_are_handled() {
        // New York, 2026-03-08: clocks jump at 02:00, midnight exists and is UTC-5.
        let d = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        assert_eq!(local_midnight_utc(d, New_York), utc("2026-03-08 05:00:00"));
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(local_midnight_utc(d, New_York), utc("2026-03-09 04:00:00"));
    }

    #[test]
    fn month_start_is_day_one() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        assert_eq!(month_start(d), NaiveDate::from_ymd_opt(2026, 2, 1).unwrap());
    }
}
