//! When the monthly run is due. Pure: the caller supplies the local time.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime};

use super::period::Period;

/// The month whose scoring sheet is due at local time `now`, for a run on `day` at `time`
/// each month: the month before the most recent scheduled moment that has passed. A node that
/// was down on the day finds the same month still due when it comes back (catch-up).
pub fn due_month(now: NaiveDateTime, day: u32, time: NaiveTime) -> Period {
    let this_month =
        NaiveDate::from_ymd_opt(now.year(), now.month(), day.clamp(1, 28)).expect("day 1–28 exists");
    let scheduled = if now >= this_month.and_time(time) {
        this_month
    } else {
        this_month - Months::new(1)
    };
    Period::month_of(scheduled - Months::new(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn the_previous_month_is_due_once_the_moment_has_passed() {
        let two = NaiveTime::from_hms_opt(2, 0, 0).unwrap();
        assert_eq!(due_month(at("2026-11-01 02:00"), 1, two).to_string(), "2026-10");
        assert_eq!(due_month(at("2026-11-01 01:59"), 1, two).to_string(), "2026-09");
        assert_eq!(due_month(at("2026-11-20 10:00"), 1, two).to_string(), "2026-10");
        assert_eq!(due_month(at("2027-01-01 03:00"), 1, two).to_string(), "2026-12");
        assert_eq!(due_month(at("2026-11-04 23:00"), 5, two).to_string(), "2026-09");
    }
}
