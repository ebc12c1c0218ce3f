//! Assessment periods: a month (`2026-10`), a quarter (`2026-Q3`), a year (`2026`) or a custom
//! range of local dates (`2026-01-05..2026-02-20`, both days included).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::Serialize;

use super::clock::local_midnight_utc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    Month,
    Quarter,
    Year,
    Custom,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
            PeriodKind::Custom => "custom",
        }
    }
}

/// A period as local calendar days, `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub kind: PeriodKind,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "无法识别的期间 '{0}'：应为 2026-10（月）、2026-Q3（季）、2026（年）或 2026-01-05..2026-02-20 \
     unrecognised period '{0}': expected 2026-10 (month), 2026-Q3 (quarter), 2026 (year) or 2026-01-05..2026-02-20"
)]
pub struct BadPeriod(pub String);

impl FromStr for Period {
    type Err = BadPeriod;

    fn from_str(s: &str) -> Result<Self, BadPeriod> {
        let bad = || BadPeriod(s.to_string());
        let s = s.trim();
        if let Some((a, b)) = s.split_once("..") {
            let first = NaiveDate::parse_from_str(a, "%Y-%m-%d").map_err(|_| bad())?;
            let last = NaiveDate::parse_from_str(b, "%Y-%m-%d").map_err(|_| bad())?;
            return if first <= last {
                Ok(Period {
                    kind: PeriodKind::Custom,
                    first,
                    last,
                })
            } else {
                Err(bad())
            };
        }
        if let Some((y, q)) = s.split_once("-Q") {
            let (year, quarter) = (
                parse_year(y).ok_or_else(bad)?,
                q.parse::<u32>().map_err(|_| bad())?,
            );
            if !(1..=4).contains(&quarter) {
                return Err(bad());
            }
            let first = NaiveDate::from_ymd_opt(year, 3 * quarter - 2, 1).ok_or_else(bad)?;
            return Ok(Period {
                kind: PeriodKind::Quarter,
                first,
                last: end_of(first, 3),
            });
        }
        if let Some((y, m)) = s.split_once('-') {
            let (year, month) = (
                parse_year(y).ok_or_else(bad)?,
                m.parse::<u32>().map_err(|_| bad())?,
            );
            if m.len() != 2 {
                return Err(bad());
            }
            let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
            return Ok(Period {
                kind: PeriodKind::Month,
                first,
                last: end_of(first, 1),
            });
        }
        let year = parse_year(s).ok_or_else(bad)?;
        let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(bad)?;
        Ok(Period {
            kind: PeriodKind::Year,
            first,
            last: end_of(first, 12),
        })
    }
}

fn parse_year(s: &str) -> Option<i32> {
    (s.len() == 4)
        .then(|| s.parse().ok())
        .flatten()
        .filter(|y| (2000..=2999).contains(y))
}

/// The last day of the `months` months starting at `first`.
fn end_of(first: NaiveDate, months: u32) -> NaiveDate {
    (first + Months::new(months))
        .pred_opt()
        .expect("a day before any valid date")
}

impl fmt::Display for Period {
    /// The canonical label, which also parses back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Month => write!(f, "{}", self.first.format("%Y-%m")),
            PeriodKind::Quarter => write!(f, "{}-Q{}", self.first.year(), self.first.month().div_ceil(3)),
            PeriodKind::Year => write!(f, "{}", self.first.year()),
            PeriodKind::Custom => write!(f, "{}..{}", self.first, self.last),
        }
    }
}

impl Period {
    /// The month containing `date`.
    pub fn month_of(date: NaiveDate) -> Period {
        let first = date.with_day(1).expect("day 1 exists");
        Period {
            kind: PeriodKind::Month,
            first,
            last: end_of(first, 1),
        }
    }

    /// The period before this one, for 环比: the previous month, quarter or year; for a custom
    /// range, the same number of days just before it.
    pub fn previous(&self) -> Period {
        let months = match self.kind {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Year => 12,
            PeriodKind::Custom => {
                let days = (self.last - self.first).num_days() + 1;
                let last = self.first.pred_opt().expect("a day before");
                let first = last - chrono::Duration::days(days - 1);
                return Period {
                    kind: PeriodKind::Custom,
                    first,
                    last,
                };
            }
        };
        let first = self.first - Months::new(months);
        Period {
            kind: self.kind,
            first,
            last: end_of(first, months),
        }
    }

    /// `[start, end)` in UTC for the deployment's time zone.
    pub fn utc_bounds(&self, tz: Tz) -> (NaiveDateTime, NaiveDateTime) {
        let after = self.last.succ_opt().expect("a day after");
        (local_midnight_utc(self.first, tz), local_midnight_utc(after, tz))
    }

    pub fn days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn labels_parse_and_print_back() {
        for (label, first, last) in [
            ("2026-10", "2026-10-01", "2026-10-31"),
            ("2024-02", "2024-02-01", "2024-02-29"),
            ("2026-Q3", "2026-07-01", "2026-09-30"),
            ("2026", "2026-01-01", "2026-12-31"),
            ("2026-01-05..2026-02-20", "2026-01-05", "2026-02-20"),
        ] {
            let p: Period = label.parse().unwrap();
            assert_eq!((p.first, p.last), (d(first), d(last)), "{label}");
            assert_eq!(p.to_string(), label);
        }
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            "",
            "2026-13",
            "2026-Q5",
            "26-10",
            "2026-1",
            "2026-02-20..2026-01-05",
            "soon",
            "2026-10-01",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn previous_periods() {
        let p: Period = "2026-01".parse().unwrap();
        assert_eq!(p.previous().to_string(), "2025-12");
        let q: Period = "2026-Q1".parse().unwrap();
        assert_eq!(q.previous().to_string(), "2025-Q4");
        let c: Period = "2026-03-01..2026-03-10".parse().unwrap();
        assert_eq!(c.previous().to_string(), "2026-02-19..2026-02-28");
    }

    #[test]
    fn bounds_are_local_midnights_in_utc() {
        let p: Period = "2026-10".parse().unwrap();
        let (start, end) = p.utc_bounds(chrono_tz::Asia::Shanghai);
        assert_eq!(start.to_string(), "2026-09-30 16:00:00");
        assert_eq!(end.to_string(), "2026-10-31 16:00:00");
    }
}
