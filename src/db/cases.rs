//! Cases (整改), their events, appeals and the working-day calendar as stored.

use chrono::NaiveDateTime;
use diesel::dsl::{exists, not};
use diesel::prelude::*;

use super::schema::{answers, appeals, calendar_days, case_events, cases, questions, responses, settings};
use super::{AnyConnection, DbError};
use crate::domain::calendar::{DayKind, WorkCalendar};
use crate::domain::cases::{CaseFacts, CaseRules, CaseStatus};
use crate::domain::vocabulary::ResponseStatus;

/// The calendar's exceptions to Monday–Friday.
pub fn calendar(conn: &mut AnyConnection) -> Result<WorkCalendar, DbError> {
    let rows: Vec<(String, String)> = calendar_days::table
        .select((calendar_days::day, calendar_days::kind))
        .load(conn)?;
    Ok(WorkCalendar::new(rows.into_iter().filter_map(|(day, kind)| {
        Some((day.parse().ok()?, DayKind::parse(&kind)?))
    })))
}

/// Stores calendar days, replacing what was stored for the same dates. Returns how many.
pub fn store_calendar(
    conn: &mut AnyConnection,
    days: &[(chrono::NaiveDate, DayKind, String)],
) -> Result<usize, DbError> {
    super::write_transaction(conn, |conn| {
        for (day, kind, name) in days {
            let key = day.to_string();
            diesel::delete(calendar_days::table.filter(calendar_days::day.eq(&key))).execute(conn)?;
            diesel::insert_into(calendar_days::table)
                .values((
                    calendar_days::day.eq(&key),
                    calendar_days::kind.eq(kind.as_str()),
                    calendar_days::name.eq(name),
                ))
                .execute(conn)?;
        }
        Ok(days.len())
    })
}

/// The office's case rules from the settings table (`cases.*`); defaults where unset.
pub fn rules(conn: &mut AnyConnection) -> Result<CaseRules, DbError> {
    let stored: Vec<(String, String)> = settings::table
        .filter(settings::key.like("cases.%"))
        .select((settings::key, settings::value))
        .load(conn)?;
    let get = |key: &str| {
        stored
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.trim().parse().ok())
    };
    let d = CaseRules::default();
    Ok(CaseRules {
        due_working_days: get("cases.due_working_days").unwrap_or(d.due_working_days),
        poor_max_level: get("cases.poor_max_level")
            .map(|l: u32| l as i32)
            .unwrap_or(d.poor_max_level),
        remind_days_before: get("cases.remind_days_before").unwrap_or(d.remind_days_before),
    })
}

/// Valid, counted responses after `after_id`, submitted since `since`, with a poor rating and no
/// case yet: (response id, department id, submitted at), oldest first.
pub fn poor_without_case(
    conn: &mut AnyConnection,
    after_id: i64,
    since: NaiveDateTime,
    poor_max_level: i32,
    limit: i64,
) -> Result<Vec<(i64, i64, NaiveDateTime)>, DbError> {
    Ok(responses::table
        .filter(responses::id.gt(after_id))
        .filter(responses::submitted_at.ge(since))
        .filter(responses::status.eq(ResponseStatus::Valid.as_str()))
        .filter(responses::excluded.eq(false))
        .filter(exists(
            answers::table
                .inner_join(questions::table)
                .filter(answers::response_id.eq(responses::id))
                .filter(questions::kind.eq("rating5"))
                .filter(answers::level.between(1, poor_max_level)),
        ))
        .filter(not(exists(
            cases::table.filter(cases::response_id.eq(responses::id)),
        )))
        .order(responses::id)
        .limit(limit)
        .select((responses::id, responses::department_id, responses::submitted_at))
        .load(conn)?)
}

/// The five-level ratings of one response.
pub fn rating_levels(conn: &mut AnyConnection, response_id: i64) -> Result<Vec<i32>, DbError> {
    let levels: Vec<Option<i32>> = answers::table
        .inner_join(questions::table)
        .filter(answers::response_id.eq(response_id))
        .filter(questions::kind.eq("rating5"))
        .select(answers::level)
        .load(conn)?;
    Ok(levels.into_iter().flatten().collect())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cases)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct Case {
    pub id: i64,
    pub response_id: i64,
    pub department_id: i64,
    pub status: String,
    pub opened_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub reply: Option<String>,
    pub replied_at: Option<NaiveDateTime>,
    pub replied_by: Option<i64>,
    pub verified_at: Option<NaiveDateTime>,
    pub verified_by: Option<i64>,
    pub followup_level: Option<i32>,
    pub followup_at: Option<NaiveDateTime>,
    pub last_reminded_at: Option<NaiveDateTime>,
}

impl Case {
    pub fn status(&self) -> CaseStatus {
        CaseStatus::parse(&self.status).unwrap_or(CaseStatus::Open)
    }
}

/// Opens a case (a second one for the same response is refused by the unique key).
pub fn insert(
    conn: &mut AnyConnection,
    response_id: i64,
    department_id: i64,
    opened_at: NaiveDateTime,
    due_at: NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(cases::table)
        .values((
            cases::response_id.eq(response_id),
            cases::department_id.eq(department_id),
            cases::status.eq(CaseStatus::Open.as_str()),
            cases::opened_at.eq(opened_at),
            cases::due_at.eq(due_at),
        ))
        .returning(cases::id)
        .get_result(conn)?)
}

/// Records what happened to a case; `visible` events show on the resident's receipt page.
pub fn event(
    conn: &mut AnyConnection,
    case_id: i64,
    at: NaiveDateTime,
    actor_id: Option<i64>,
    kind: &str,
    note: &str,
    visible: bool,
) -> Result<(), DbError> {
    diesel::insert_into(case_events::table)
        .values((
            case_events::case_id.eq(case_id),
            case_events::at.eq(at),
            case_events::actor_id.eq(actor_id),
            case_events::kind.eq(kind),
            case_events::note.eq(note),
            case_events::visible_to_resident.eq(visible),
        ))
        .execute(conn)?;
    Ok(())
}

/// The case `id`, if it lies within `scope` (a department's own).
pub fn find(conn: &mut AnyConnection, id: i64, scope: Option<i64>) -> Result<Option<Case>, DbError> {
    let mut q = cases::table
        .filter(cases::id.eq(id))
        .select(Case::as_select())
        .into_boxed();
    if let Some(d) = scope {
        q = q.filter(cases::department_id.eq(d));
    }
    Ok(q.first(conn).optional()?)
}

pub fn for_response(conn: &mut AnyConnection, response_id: i64) -> Result<Option<Case>, DbError> {
    Ok(cases::table
        .filter(cases::response_id.eq(response_id))
        .select(Case::as_select())
        .first(conn)
        .optional()?)
}

/// (at, kind, note) of a case's events, oldest first; only the resident's when `resident`.
pub fn events(
    conn: &mut AnyConnection,
    case_id: i64,
    resident: bool,
) -> Result<Vec<(NaiveDateTime, String, String)>, DbError> {
    let mut q = case_events::table
        .filter(case_events::case_id.eq(case_id))
        .order((case_events::at, case_events::id))
        .select((case_events::at, case_events::kind, case_events::note))
        .into_boxed();
    if resident {
        q = q.filter(case_events::visible_to_resident.eq(true));
    }
    Ok(q.load(conn)?)
}

/// Sets the reply and moves the case to `replied`, if it is still waiting for the department
/// (false when another request changed it first).
pub fn set_reply(
    conn: &mut AnyConnection,
    id: i64,
    reply: &str,
    by: Option<i64>,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    let n = diesel::update(
        cases::table
            .find(id)
            .filter(cases::status.eq_any([CaseStatus::Open.as_str(), CaseStatus::Returned.as_str()])),
    )
    .set((
        cases::status.eq(CaseStatus::Replied.as_str()),
        cases::reply.eq(reply),
        cases::replied_by.eq(by),
        cases::replied_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The office's verification of a replied case: `closed` (accepted) or `returned` (false when
/// the case is no longer waiting for it).
pub fn set_verified(
    conn: &mut AnyConnection,
    id: i64,
    status: CaseStatus,
    by: Option<i64>,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    let n = diesel::update(
        cases::table
            .find(id)
            .filter(cases::status.eq(CaseStatus::Replied.as_str())),
    )
    .set((
        cases::status.eq(status.as_str()),
        cases::verified_by.eq(by),
        cases::verified_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn set_status(conn: &mut AnyConnection, id: i64, status: CaseStatus) -> Result<(), DbError> {
    diesel::update(cases::table.find(id))
        .set(cases::status.eq(status.as_str()))
        .execute(conn)?;
    Ok(())
}

/// The resident's rating of the handling; only once, and only for a closed case.
pub fn set_followup(
    conn: &mut AnyConnection,
    id: i64,
    level: i32,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    let n = diesel::update(
        cases::table
            .find(id)
            .filter(cases::status.eq(CaseStatus::Closed.as_str()))
            .filter(cases::followup_level.is_null()),
    )
    .set((cases::followup_level.eq(level), cases::followup_at.eq(at)))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn mark_reminded(conn: &mut AnyConnection, id: i64, at: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(cases::table.find(id))
        .set(cases::last_reminded_at.eq(at))
        .execute(conn)?;
    Ok(())
}

/// Cases still waiting for their department, with deadlines before `due_before`, that have not
/// had their overdue reminder yet (one sent after the deadline: `domain::cases::is_past_due`).
pub fn awaiting_due_before(
    conn: &mut AnyConnection,
    due_before: NaiveDateTime,
) -> Result<Vec<Case>, DbError> {
    Ok(cases::table
        .filter(cases::status.eq_any([CaseStatus::Open.as_str(), CaseStatus::Returned.as_str()]))
        .filter(cases::due_at.lt(due_before))
        .filter(
            cases::last_reminded_at
                .is_null()
                .or(cases::last_reminded_at.le(cases::due_at.nullable())),
        )
        .order(cases::due_at)
        .select(Case::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub department_id: Option<i64>,
    pub status: Option<String>,
    /// Only cases past their deadline still waiting for the department.
    pub overdue_at: Option<NaiveDateTime>,
}

macro_rules! filtered {
    ($f:expr) => {{
        let f: &Filter = $f;
        let mut q = cases::table.into_boxed();
        if let Some(d) = f.department_id {
            q = q.filter(cases::department_id.eq(d));
        }
        if let Some(s) = &f.status {
            q = q.filter(cases::status.eq(s.clone()));
        }
        if let Some(now) = f.overdue_at {
            q = q
                .filter(cases::status.eq_any([CaseStatus::Open.as_str(), CaseStatus::Returned.as_str()]))
                .filter(cases::due_at.lt(now));
        }
        q
    }};
}

pub fn count(conn: &mut AnyConnection, f: &Filter) -> Result<i64, DbError> {
    Ok(filtered!(f).count().get_result(conn)?)
}

/// A page of cases, soonest deadline first (or latest first when `descending`).
pub fn page(
    conn: &mut AnyConnection,
    f: &Filter,
    descending: bool,
    offset: i64,
    limit: i64,
) -> Result<Vec<Case>, DbError> {
    let q = filtered!(f).select(Case::as_select());
    let q = if descending {
        q.order((cases::due_at.desc(), cases::id.desc()))
    } else {
        q.order((cases::due_at.asc(), cases::id.asc()))
    };
    Ok(q.offset(offset).limit(limit).load(conn)?)
}

/// (department, facts) of every case opened in `[start, end)`.
pub fn facts(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Result<Vec<(i64, CaseFacts)>, DbError> {
    type Row = (
        i64,
        String,
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<i32>,
    );
    let rows: Vec<Row> = cases::table
        .filter(cases::opened_at.ge(start))
        .filter(cases::opened_at.lt(end))
        .select((
            cases::department_id,
            cases::status,
            cases::opened_at,
            cases::due_at,
            cases::replied_at,
            cases::followup_level,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(d, status, opened_at, due_at, replied_at, followup_level)| {
            let status = CaseStatus::parse(&status).unwrap_or(CaseStatus::Open);
            (
                d,
                CaseFacts {
                    status,
                    opened_at,
                    due_at,
                    replied_at,
                    followup_level,
                },
            )
        })
        .collect())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = appeals)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct Appeal {
    pub id: i64,
    pub response_id: i64,
    pub department_id: i64,
    pub ground: String,
    pub statement: String,
    pub evidence: String,
    pub status: String,
    pub submitted_by: Option<i64>,
    pub submitted_at: NaiveDateTime,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_note: Option<String>,
}

pub struct NewAppeal<'a> {
    pub response_id: i64,
    pub department_id: i64,
    pub ground: &'a str,
    pub statement: &'a str,
    pub evidence: &'a str,
    pub submitted_by: Option<i64>,
    pub at: NaiveDateTime,
}

pub fn insert_appeal(conn: &mut AnyConnection, a: NewAppeal<'_>) -> Result<i64, DbError> {
    Ok(diesel::insert_into(appeals::table)
        .values((
            appeals::response_id.eq(a.response_id),
            appeals::department_id.eq(a.department_id),
            appeals::ground.eq(a.ground),
            appeals::statement.eq(a.statement),
            appeals::evidence.eq(a.evidence),
            appeals::status.eq("pending"),
            appeals::submitted_by.eq(a.submitted_by),
            appeals::submitted_at.eq(a.at),
        ))
        .returning(appeals::id)
        .get_result(conn)?)
}

pub fn appeals_of_response(conn: &mut AnyConnection, response_id: i64) -> Result<Vec<Appeal>, DbError> {
    Ok(appeals::table
        .filter(appeals::response_id.eq(response_id))
        .order(appeals::id)
        .select(Appeal::as_select())
        .load(conn)?)
}

pub fn find_appeal(conn: &mut AnyConnection, id: i64, scope: Option<i64>) -> Result<Option<Appeal>, DbError> {
    let mut q = appeals::table
        .filter(appeals::id.eq(id))
        .select(Appeal::as_select())
        .into_boxed();
    if let Some(d) = scope {
        q = q.filter(appeals::department_id.eq(d));
    }
    Ok(q.first(conn).optional()?)
}

/// Records the office's decision on a pending appeal (false when it was decided meanwhile).
pub fn decide_appeal(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    by: Option<i64>,
    at: NaiveDateTime,
    note: &str,
) -> Result<bool, DbError> {
    let n = diesel::update(appeals::table.find(id).filter(appeals::status.eq("pending")))
        .set((
            appeals::status.eq(status),
            appeals::decided_by.eq(by),
            appeals::decided_at.eq(at),
            appeals::decision_note.eq(note),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Upheld appeals over responses submitted in `[start, end)`, per department.
pub fn upheld_counts(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Result<Vec<(i64, i64)>, DbError> {
    Ok(appeals::table
        .inner_join(responses::table)
        .filter(appeals::status.eq("upheld"))
        .filter(responses::submitted_at.ge(start))
        .filter(responses::submitted_at.lt(end))
        .group_by(appeals::department_id)
        .select((appeals::department_id, diesel::dsl::count(appeals::id)))
        .load(conn)?)
}

/// The response with this receipt code: its id.
pub fn response_by_receipt(conn: &mut AnyConnection, receipt: &str) -> Result<Option<i64>, DbError> {
    Ok(responses::table
        .filter(responses::receipt_code.eq(receipt))
        .select(responses::id)
        .first(conn)
        .optional()?)
}

/// The stored calendar days: (date, kind, name), in date order.
pub fn calendar_days(conn: &mut AnyConnection) -> Result<Vec<(String, String, String)>, DbError> {
    Ok(calendar_days::table
        .order(calendar_days::day)
        .select((calendar_days::day, calendar_days::kind, calendar_days::name))
        .load(conn)?)
}

/// An appeal with the receipt code of the rating it is about, as the console lists it.
pub type AppealRow = (Appeal, String);

/// Appeals, pending ones first and then newest, with their ratings' receipt codes; a
/// department sees its own. Returns the total as well.
pub fn appeals_listing(
    conn: &mut AnyConnection,
    scope: Option<i64>,
    status: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<AppealRow>), DbError> {
    let filtered = || {
        let mut q = appeals::table.inner_join(responses::table).into_boxed();
        if let Some(d) = scope {
            q = q.filter(appeals::department_id.eq(d));
        }
        if let Some(s) = status {
            q = q.filter(appeals::status.eq(s.to_string()));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((
            appeals::status.eq("pending").desc(),
            appeals::submitted_at.desc(),
            appeals::id.desc(),
        ))
        .offset(offset)
        .limit(limit)
        .select((Appeal::as_select(), responses::receipt_code))
        .load(conn)?;
    Ok((total, rows))
}
