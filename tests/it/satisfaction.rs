//! One rule for 满意 across the figures: the scores' totals, the dashboard and the annual
//! figures count the same answers as satisfied, and all follow the scheme's lowest satisfied
//! level when it changes.

use chrono::NaiveDate;
use chrono_tz::Asia::Shanghai;
use diesel::prelude::*;
use pingyi::db::dashboard;
use pingyi::db::schema::scheme_versions;
use pingyi::domain::period::Period;
use pingyi::services::{annual, results};

use crate::fixtures::{self, UNITS};
use crate::helpers::backends;

/// Answers of the worked example at `from` or above, over every unit and indicator.
fn answers_at_or_above(from: usize) -> u64 {
    UNITS
        .iter()
        .flat_map(|(_, _, _, indicators)| indicators)
        .map(|levels_5_to_1| levels_5_to_1[..=5 - from].iter().sum::<u64>())
        .sum()
}

/// (satisfied, rated) of October 2026 as the results, the dashboard and the annual figures count them.
fn counted(conn: &mut pingyi::db::AnyConnection) -> [(u64, u64); 3] {
    let october: Period = "2026-10".parse().unwrap();
    let r = results::compute(conn, Shanghai, &october, None).unwrap();
    let start = NaiveDate::from_ymd_opt(2026, 9, 30)
        .unwrap()
        .and_hms_opt(16, 0, 0)
        .unwrap();
    let d = dashboard::figures(conn, start, start, start, "2026-10-01", None).unwrap();
    let a = annual::figures(conn, 2026).unwrap();
    [
        (r.totals.satisfied, r.totals.rated),
        (d.satisfied_this_month as u64, d.rated_this_month as u64),
        (a.satisfied, a.rated),
    ]
}

#[test]
fn results_dashboard_and_annual_figures_share_the_schemes_satisfied_levels() {
    let rated = answers_at_or_above(1);
    for backend in backends() {
        let (_db, mut conn, _) = fixtures::example_db(backend);
        assert_eq!(
            counted(&mut conn),
            [(answers_at_or_above(3), rated); 3],
            "{backend:?}"
        );

        // The office counts only 满意 and 非常满意 from now on: every figure follows.
        diesel::update(scheme_versions::table)
            .set(scheme_versions::satisfied_min_level.eq(4))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(
            counted(&mut conn),
            [(answers_at_or_above(4), rated); 3],
            "{backend:?}"
        );
        assert!(answers_at_or_above(4) < answers_at_or_above(3));
    }
}
