//! Working days (工作日): weekends are off, except the adjusted working days (调休) the State
//! Council announces each year, and public holidays are off even on weekdays. The calendar is
//! data (loaded from a file each year), never code.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// A day off that would otherwise be worked (法定节假日).
    Holiday,
    /// A weekend day that is worked (调休上班).
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn parse(s: &str) -> Option<DayKind> {
        match s.trim() {
            "holiday" | "休" | "假" | "节假日" => Some(DayKind::Holiday),
            "workday" | "班" | "上班" | "调休" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

/// The exceptions to "Monday to Friday" for the years loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    exceptions: BTreeMap<NaiveDate, DayKind>,
}

impl WorkCalendar {
    pub fn new(exceptions: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Self {
        WorkCalendar {
            exceptions: exceptions.into_iter().collect(),
        }
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.exceptions.get(&day) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`th working day after `day` (the day itself does not count): a case opened on
    /// `day` with N working days is due by the end of this date.
    pub fn add_working_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut date = day;
        let mut left = n;
        while left > 0 {
            date = date.succ_opt().unwrap_or(date);
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }

    /// Working days from `from` (exclusive) to `to` (inclusive); 0 when `to` is not later.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        from.iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as u32
    }
}

/// One line of a calendar file that could not be read, or that contradicts an earlier line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarLineError {
    pub line: usize,
    pub text: String,
    pub problem: LineProblem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineProblem {
    /// Not `date,kind[,name]`.
    Unreadable,
    /// The day was given the other kind on `first_line`: a day is either off or worked.
    BothKinds { date: NaiveDate, first_line: usize },
}

impl fmt::Display for CalendarLineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line;
        match self.problem {
            LineProblem::Unreadable => write!(
                f,
                "第{line}行无法识别 line {line}: \"{}\" (应为 expected: 2026-10-01,holiday,国庆节 or 2026-10-11,workday,调休)",
                self.text
            ),
            LineProblem::BothKinds { date, first_line } => write!(
                f,
                "第{line}行 line {line}: {date} 既被定为节假日又被定为工作日（另见第{first_line}行） \
                 {date} is given as both a holiday and a workday (see line {first_line})"
            ),
        }
    }
}

/// Reads a calendar file: one day a line, `date,kind[,name]`, kind `holiday`/`workday` (or
/// 休/班). Blank lines and lines starting with `#` are skipped; a header line `date,...` too.
/// Every bad line is reported; nothing is returned unless all lines are good. A day given as a
/// holiday on one line and a workday on another is refused, naming the date and both lines
/// (the same day twice with the same kind is harmless).
pub fn parse_calendar(text: &str) -> Result<Vec<(NaiveDate, DayKind, String)>, Vec<CalendarLineError>> {
    let mut days = Vec::new();
    let mut errors = Vec::new();
    // Each day → its kind and the line that first gave it.
    let mut seen: BTreeMap<NaiveDate, (DayKind, usize)> = BTreeMap::new();
    for (i, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || (i == 0 && line.starts_with("date")) {
            continue;
        }
        let mut parts = line.splitn(3, [',', '\t']).map(str::trim);
        let date = parts
            .next()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let kind = parts.next().and_then(DayKind::parse);
        let name = parts.next().unwrap_or_default().to_string();
        let text = || line.chars().take(80).collect::<String>();
        match (date, kind) {
            (Some(date), Some(kind)) => match seen.get(&date) {
                Some(&(first_kind, first_line)) if first_kind != kind => errors.push(CalendarLineError {
                    line: i + 1,
                    text: text(),
                    problem: LineProblem::BothKinds { date, first_line },
                }),
                Some(_) => days.push((date, kind, name)),
                None => {
                    seen.insert(date, (kind, i + 1));
                    days.push((date, kind, name));
                }
            },
            _ => errors.push(CalendarLineError {
                line: i + 1,
                text: text(),
                problem: LineProblem::Unreadable,
            }),
        }
    }
    if errors.is_empty() { Ok(days) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The 2026 National Day break as announced: 10-01..10-07 off, 09-27 and 10-10 worked
    /// (illustrative; the real file is loaded each year).
    fn national_day() -> WorkCalendar {
        let mut days: Vec<(NaiveDate, DayKind)> = (1..=7)
            .map(|i| (d(&format!("2026-10-0{i}")), DayKind::Holiday))
            .collect();
        days.push((d("2026-09-27"), DayKind::Workday));
        days.push((d("2026-10-10"), DayKind::Workday));
        WorkCalendar::new(days)
    }

    #[test]
    fn weekends_are_skipped() {
        let cal = WorkCalendar::default();
        // Friday 2026-11-27 + 1 working day = Monday 11-30.
        assert_eq!(cal.add_working_days(d("2026-11-27"), 1), d("2026-11-30"));
        // Saturday + 1 = Monday; + 15 from a Monday = three weeks on, Monday.
        assert_eq!(cal.add_working_days(d("2026-11-28"), 1), d("2026-11-30"));
        assert_eq!(cal.add_working_days(d("2026-11-30"), 15), d("2026-12-21"));
        assert_eq!(cal.add_working_days(d("2026-11-30"), 0), d("2026-11-30"));
    }

    #[test]
    fn holidays_are_off_and_adjusted_weekends_are_worked() {
        let cal = national_day();
        assert!(!cal.is_working_day(d("2026-10-05")), "a weekday in the holiday");
        assert!(cal.is_working_day(d("2026-09-27")), "a Sunday worked (调休)");
        assert!(cal.is_working_day(d("2026-10-10")), "a Saturday worked (调休)");
        // Opened Friday 09-25: Sun 09-27 (worked) is day 1, Mon 09-28 day 2, ... Wed 09-30 day 4,
        // then the holiday, then Thu 10-08 day 5, Fri 10-09 day 6, Sat 10-10 day 7.
        assert_eq!(cal.add_working_days(d("2026-09-25"), 4), d("2026-09-30"));
        assert_eq!(cal.add_working_days(d("2026-09-25"), 7), d("2026-10-10"));
        assert_eq!(cal.add_working_days(d("2026-09-30"), 1), d("2026-10-08"));
        assert_eq!(cal.working_days_between(d("2026-09-30"), d("2026-10-08")), 1);
        assert_eq!(cal.working_days_between(d("2026-10-08"), d("2026-09-30")), 0);
    }

    #[test]
    fn calendar_files_are_read_with_every_bad_line_named() {
        let text = "\u{feff}date,kind,name\n# 2026\n2026-10-01,holiday,国庆节\n\n2026-10-10,班,调休\n";
        let days = parse_calendar(text).unwrap();
        assert_eq!(days.len(), 2);
        assert_eq!(days[1], (d("2026-10-10"), DayKind::Workday, "调休".into()));
        let bad = parse_calendar("2026-10-01,holiday\n2026-13-01,holiday\n2026-10-02,maybe\n").unwrap_err();
        assert_eq!(bad.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 3]);
        assert!(bad[0].to_string().contains("第2行"));
    }

    #[test]
    fn a_day_given_as_both_holiday_and_workday_is_refused_naming_the_date() {
        let text = "date,kind,name\n2026-10-01,holiday,国庆节\n2026-10-02,holiday\n2026-10-01,班,调休\n2026-10-02,休\n";
        let errors = parse_calendar(text).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].problem,
            LineProblem::BothKinds {
                date: d("2026-10-01"),
                first_line: 2
            }
        );
        let message = errors[0].to_string();
        assert!(
            message.starts_with("第4行 line 4: 2026-10-01 既被定为节假日又被定为工作日（另见第2行）")
                && message.contains("2026-10-01 is given as both a holiday and a workday (see line 2)"),
            "{message}"
        );
        // The same kind twice (in words and in 休/班) is not a contradiction.
        assert_eq!(
            parse_calendar("2026-10-02,holiday\n2026-10-02,休,国庆节\n")
                .unwrap()
                .len(),
            2
        );
    }
}
