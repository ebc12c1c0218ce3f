//! Figures for the admin dashboard, each one aggregate query.

use crate::domain::vocabulary::ResponseStatus;
use chrono::NaiveDateTime;
use diesel::dsl::sum;
use diesel::prelude::*;

use super::schema::{
    cases, departments, invitations, links, questionnaire_versions, rating_tallies, responses, schemes, users,
};
use super::{AnyConnection, DbError};
use crate::domain::scoring;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub active_departments: i64,
    pub responses_today: i64,
    pub responses_this_month: i64,
    pub suspect_waiting: i64,
    /// Rating answers this month at a satisfied level, and all rating answers this month. The
    /// satisfied levels are those of the only scheme (3–5 without one), as in the annual figures.
    pub satisfied_this_month: i64,
    pub rated_this_month: i64,
    pub open_cases: i64,
    pub overdue_cases: i64,
}

/// Bounds are UTC instants of the local day and month starts; `month_first_day` is the local
/// date `YYYY-MM-DD` of the month's first day, the key of the running tallies.
pub fn figures(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    day_start: NaiveDateTime,
    month_start: NaiveDateTime,
    month_first_day: &str,
    department: Option<i64>,
) -> Result<Figures, DbError> {
    let mut since = |from: NaiveDateTime| -> Result<i64, DbError> {
        let mut q = responses::table
            .filter(responses::submitted_at.ge(from))
            .count()
            .into_boxed();
        if let Some(d) = department {
            q = q.filter(responses::department_id.eq(d));
        }
        Ok(q.get_result(conn)?)
    };
    let responses_today = since(day_start)?;
    let responses_this_month = since(month_start)?;

    let mut suspect = responses::table
        .filter(responses::status.eq(ResponseStatus::Suspect.as_str()))
        .count()
        .into_boxed();
    // Answers per level: which levels are satisfied is the one rule in the domain, not SQL.
    let mut tallies = rating_tallies::table
        .filter(rating_tallies::day.ge(month_first_day))
        .group_by(rating_tallies::level)
        .select((rating_tallies::level, sum(rating_tallies::n)))
        .into_boxed();
    let mut open = cases::table
        .filter(cases::status.eq_any(["open", "returned"]))
        .count()
        .into_boxed();
    let mut overdue = cases::table
        .filter(cases::status.eq_any(["open", "returned"]))
        // Past due as `domain::cases::is_past_due` has it: strictly after the deadline.
        .filter(cases::due_at.lt(now))
        .count()
        .into_boxed();
    let mut active = departments::table
        .filter(departments::active.eq(true))
        .count()
        .into_boxed();
    if let Some(d) = department {
        suspect = suspect.filter(responses::department_id.eq(d));
        tallies = tallies.filter(rating_tallies::department_id.eq(d));
        open = open.filter(cases::department_id.eq(d));
        overdue = overdue.filter(cases::department_id.eq(d));
        active = active.filter(departments::id.eq(d));
    }
    let satisfied_from =
        scoring::satisfied_min_level(super::schemes::latest(conn, None)?.as_ref().map(|s| &s.scheme));
    let (mut satisfied_this_month, mut rated_this_month) = (0, 0);
    for (level, n) in tallies.load::<(i32, Option<i64>)>(conn)? {
        let n = n.unwrap_or(0);
        rated_this_month += n;
        if scoring::is_satisfied(level, satisfied_from) {
            satisfied_this_month += n;
        }
    }
    Ok(Figures {
        active_departments: active.get_result(conn)?,
        responses_today,
        responses_this_month,
        suspect_waiting: suspect.get_result(conn)?,
        satisfied_this_month,
        rated_this_month,
        open_cases: open.get_result(conn)?,
        overdue_cases: overdue.get_result(conn)?,
    })
}

/// Phone entries made by one operator since each bound: (today, this month).
pub fn operator_entries(
    conn: &mut AnyConnection,
    operator_id: i64,
    day_start: NaiveDateTime,
    month_start: NaiveDateTime,
) -> Result<(i64, i64), DbError> {
    let since = |t: NaiveDateTime, conn: &mut AnyConnection| -> Result<i64, DbError> {
        Ok(responses::table
            .filter(responses::operator_id.eq(operator_id))
            .filter(responses::submitted_at.ge(t))
            .count()
            .get_result(conn)?)
    };
    Ok((since(day_start, conn)?, since(month_start, conn)?))
}

/// How far an installation is set up, for the dashboard's first steps: what exists of each
/// thing an office makes before residents can rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Setup {
    pub departments: i64,
    pub schemes: i64,
    pub published_questionnaires: i64,
    /// Survey links and invitations: either brings residents to a questionnaire.
    pub ways_in: i64,
    pub users: i64,
}

pub fn setup(conn: &mut AnyConnection) -> Result<Setup, DbError> {
    Ok(Setup {
        departments: departments::table.count().get_result(conn)?,
        schemes: schemes::table.count().get_result(conn)?,
        published_questionnaires: questionnaire_versions::table
            .filter(questionnaire_versions::status.eq("published"))
            .count()
            .get_result(conn)?,
        ways_in: links::table.count().get_result::<i64>(conn)?
            + invitations::table.count().get_result::<i64>(conn)?,
        users: users::table.count().get_result(conn)?,
    })
}
