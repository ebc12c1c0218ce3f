//! Responses and their answers. Storing a response and changing its status keep the running
//! tallies in step, in the same transaction.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::schema::{answers, questions, responses};
use super::tallies::{self, RatingKey, ResponseKey, TallyDelta};
use super::{AnyConnection, DbError};
use crate::domain::clock::local_date;
use crate::domain::vocabulary::ResponseStatus;
use crate::per_backend;

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bind-parameter limits.
const RESPONSE_CHUNK: usize = 500;
const ANSWER_CHUNK: usize = 2000;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = responses)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewResponse {
    pub receipt_code: String,
    pub submission_key: Option<String>,
    pub questionnaire_version_id: i64,
    pub department_id: i64,
    pub channel: String,
    pub respondent_group: String,
    pub link_id: Option<i64>,
    pub invitation_id: Option<i64>,
    pub operator_id: Option<i64>,
    pub api_key_id: Option<i64>,
    pub submitted_at: NaiveDateTime,
    pub duration_ms: Option<i32>,
    pub client_hash: Option<String>,
    pub network_hash: Option<String>,
    pub lang: String,
    pub status: String,
    pub flags: String,
    pub excluded: bool,
    pub contact: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAnswer {
    pub question_id: i64,
    pub level: Option<i32>,
    pub choices: Option<String>,
    pub text_value: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = answers)]
#[diesel(treat_none_as_default_value = false)]
struct AnswerRow {
    response_id: i64,
    question_id: i64,
    level: Option<i32>,
    choices: Option<String>,
    text_value: Option<String>,
}

/// A response counts toward scores while it is valid and not excluded by an upheld appeal.
fn counts(status: &str, excluded: bool) -> bool {
    status == ResponseStatus::Valid.as_str() && !excluded
}

/// question id → indicator id, for the rating questions bound to an indicator.
fn indicator_map(conn: &mut AnyConnection, version_ids: &[i64]) -> Result<HashMap<i64, i64>, DbError> {
    let rows: Vec<(i64, Option<i64>)> = questions::table
        .filter(questions::questionnaire_version_id.eq_any(version_ids))
        .filter(questions::kind.eq("rating5"))
        .select((questions::id, questions::indicator_id))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(q, i)| Some((q, i?))).collect())
}

/// Adds one response's contribution (`sign` = +1 or −1) to `delta`.
fn contribute(
    delta: &mut TallyDelta,
    tz: Tz,
    indicators: &HashMap<i64, i64>,
    response: (i64, &str, &str, NaiveDateTime),
    levels: impl Iterator<Item = (i64, i32)>,
    sign: i32,
) {
    let (department_id, channel, group, submitted_at) = response;
    let day = local_date(submitted_at, tz).to_string();
    let key = ResponseKey {
        department_id,
        day: day.clone(),
        channel: channel.to_string(),
        group: group.to_string(),
    };
    *delta.responses.entry(key).or_default() += sign;
    for (question_id, level) in levels {
        if let (Some(&indicator_id), 1..=5) = (indicators.get(&question_id), level) {
            let key = RatingKey {
                department_id,
                indicator_id,
                day: day.clone(),
                channel: channel.to_string(),
                group: group.to_string(),
                level,
            };
            *delta.ratings.entry(key).or_default() += sign;
        }
    }
}

/// Stores responses with their answers and updates the tallies, all in one transaction.
/// Returns the new ids in input order.
pub fn insert_batch(
    conn: &mut AnyConnection,
    tz: Tz,
    batch: &[(NewResponse, Vec<NewAnswer>)],
) -> Result<Vec<i64>, DbError> {
    crate::db::write_transaction(conn, |conn| {
        let mut versions: Vec<i64> = batch.iter().map(|(r, _)| r.questionnaire_version_id).collect();
        versions.sort_unstable();
        versions.dedup();
        let indicators = indicator_map(conn, &versions)?;
        let mut ids = Vec::with_capacity(batch.len());
        for chunk in batch.chunks(RESPONSE_CHUNK) {
            let rows: Vec<NewResponse> = chunk.iter().map(|(r, _)| r.clone()).collect();
            per_backend!(conn, |c| diesel::insert_into(responses::table)
                .values(&rows)
                .execute(c))?;
            // Receipt codes are unique: they find the generated ids without RETURNING on a batch.
            let codes: Vec<&str> = chunk.iter().map(|(r, _)| r.receipt_code.as_str()).collect();
            let found: HashMap<String, i64> = responses::table
                .filter(responses::receipt_code.eq_any(&codes))
                .select((responses::receipt_code, responses::id))
                .load::<(String, i64)>(conn)?
                .into_iter()
                .collect();
            for code in codes {
                ids.push(
                    *found
                        .get(code)
                        .ok_or(DbError::Query(diesel::result::Error::NotFound))?,
                );
            }
        }
        let mut rows = Vec::new();
        let mut delta = TallyDelta::default();
        for ((response, answers), id) in batch.iter().zip(&ids) {
            for a in answers {
                rows.push(AnswerRow {
                    response_id: *id,
                    question_id: a.question_id,
                    level: a.level,
                    choices: a.choices.clone(),
                    text_value: a.text_value.clone(),
                });
            }
            if counts(&response.status, response.excluded) {
                let key = (
                    response.department_id,
                    response.channel.as_str(),
                    response.respondent_group.as_str(),
                    response.submitted_at,
                );
                let levels = answers.iter().filter_map(|a| Some((a.question_id, a.level?)));
                contribute(&mut delta, tz, &indicators, key, levels, 1);
            }
        }
        for chunk in rows.chunks(ANSWER_CHUNK) {
            per_backend!(conn, |c| diesel::insert_into(answers::table)
                .values(chunk)
                .execute(c))?;
        }
        tallies::apply(conn, &delta)?;
        Ok(ids)
    })
}

/// What a review changes: status (valid / suspect / rejected) and exclusion by appeal.
#[derive(Debug, Clone)]
pub struct StatusChange<'a> {
    pub status: ResponseStatus,
    pub excluded: bool,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: NaiveDateTime,
    pub note: Option<&'a str>,
}

/// Changes a response's status and keeps the tallies in step. Returns the previous
/// (status, excluded).
pub fn set_status(
    conn: &mut AnyConnection,
    tz: Tz,
    id: i64,
    change: &StatusChange<'_>,
) -> Result<(String, bool), DbError> {
    crate::db::write_transaction(conn, |conn| {
        type Current = (i64, i64, String, String, NaiveDateTime, String, bool);
        let query = responses::table.find(id).select((
            responses::department_id,
            responses::questionnaire_version_id,
            responses::channel,
            responses::respondent_group,
            responses::submitted_at,
            responses::status,
            responses::excluded,
        ));
        // On PostgreSQL the row is locked, so two decisions at once cannot both apply the same
        // tally change; SQLite's write transaction already holds the only write lock.
        let (department_id, version_id, channel, group, submitted_at, status, excluded): Current = match conn
        {
            AnyConnection::Postgresql(c) => query.for_update().first(c)?,
            AnyConnection::Sqlite(c) => query.first(c)?,
        };
        diesel::update(responses::table.find(id))
            .set((
                responses::status.eq(change.status.as_str()),
                responses::excluded.eq(change.excluded),
                responses::reviewed_by.eq(change.reviewed_by),
                responses::reviewed_at.eq(change.reviewed_at),
                responses::review_note.eq(change.note),
            ))
            .execute(conn)?;
        let (before, after) = (
            counts(&status, excluded),
            counts(change.status.as_str(), change.excluded),
        );
        if before != after {
            let indicators = indicator_map(conn, &[version_id])?;
            let levels: Vec<(i64, Option<i32>)> = answers::table
                .filter(answers::response_id.eq(id))
                .select((answers::question_id, answers::level))
                .load(conn)?;
            let mut delta = TallyDelta::default();
            let key = (department_id, channel.as_str(), group.as_str(), submitted_at);
            let levels = levels.into_iter().filter_map(|(q, l)| Some((q, l?)));
            contribute(
                &mut delta,
                tz,
                &indicators,
                key,
                levels,
                if after { 1 } else { -1 },
            );
            tallies::apply(conn, &delta)?;
        }
        Ok((status, excluded))
    })
}

/// One group of the full recount: department, group, indicator, level, answers.
pub type RecountRow = (i64, String, i64, i32, i64);

/// A full recount from the stored answers, for checking the tallies: rating answers of counted
/// responses submitted in `[start, end)`.
pub fn recount_ratings(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Result<Vec<RecountRow>, DbError> {
    type Nullable = (i64, String, Option<i64>, Option<i32>, i64);
    let rows: Vec<Nullable> = answers::table
        .inner_join(responses::table)
        .inner_join(questions::table)
        .filter(responses::status.eq(ResponseStatus::Valid.as_str()))
        .filter(responses::excluded.eq(false))
        .filter(
            responses::submitted_at
                .ge(start)
                .and(responses::submitted_at.lt(end)),
        )
        .filter(questions::kind.eq("rating5"))
        .filter(questions::indicator_id.is_not_null())
        .filter(answers::level.between(1, 5))
        .group_by((
            responses::department_id,
            responses::respondent_group,
            questions::indicator_id,
            answers::level,
        ))
        .select((
            responses::department_id,
            responses::respondent_group,
            questions::indicator_id,
            answers::level,
            sql::<BigInt>("COUNT(*)"),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(d, g, i, l, n)| Some((d, g, i?, l?, n)))
        .collect())
}

/// Counted responses per (department, group) in `[start, end)`, recounted from `responses`.
pub fn recount_responses(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Result<Vec<(i64, String, i64)>, DbError> {
    Ok(responses::table
        .filter(responses::status.eq(ResponseStatus::Valid.as_str()))
        .filter(responses::excluded.eq(false))
        .filter(
            responses::submitted_at
                .ge(start)
                .and(responses::submitted_at.lt(end)),
        )
        .group_by((responses::department_id, responses::respondent_group))
        .select((
            responses::department_id,
            responses::respondent_group,
            sql::<BigInt>("COUNT(*)"),
        ))
        .load(conn)?)
}

/// Responses awaiting review or rejected, per (department, status), submitted in `[start, end)`.
/// Uses the (status, submitted_at) index, so it reads only those responses.
pub fn held_back_counts(
    conn: &mut AnyConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Result<Vec<(i64, String, i64)>, DbError> {
    Ok(responses::table
        .filter(responses::status.eq_any([
            ResponseStatus::Suspect.as_str(),
            ResponseStatus::Rejected.as_str(),
        ]))
        .filter(
            responses::submitted_at
                .ge(start)
                .and(responses::submitted_at.lt(end)),
        )
        .group_by((responses::department_id, responses::status))
        .select((
            responses::department_id,
            responses::status,
            sql::<BigInt>("COUNT(*)"),
        ))
        .load(conn)?)
}

/// Responses per page of an export.
const EXPORT_PAGE: i64 = 2000;

/// Which responses to export (see `exports::responses`).
#[derive(Debug, Clone)]
pub struct ResponseFilter {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub department_id: Option<i64>,
    pub channel: Option<crate::domain::vocabulary::Channel>,
    pub status: Option<crate::domain::vocabulary::ResponseStatus>,
    /// Residents' contact details, only for roles and keys allowed to see them.
    pub include_contact: bool,
}

/// One exported response: id, receipt, submitted, department, channel, group, status, flags,
/// duration, contact.
pub type ExportRow = (
    i64,
    String,
    NaiveDateTime,
    i64,
    String,
    String,
    String,
    String,
    Option<i32>,
    Option<String>,
);

pub fn export_page(
    conn: &mut AnyConnection,
    f: &ResponseFilter,
    after: Option<(NaiveDateTime, i64)>,
) -> Result<Vec<ExportRow>, DbError> {
    // One lower bound only: given both the period start and the page's last time, SQLite may
    // start the index range at the period start and rescan every earlier page (quadratic).
    let from = after.map_or(f.start, |(t, _)| t.max(f.start));
    let mut q = responses::table
        .filter(
            responses::submitted_at
                .ge(from)
                .and(responses::submitted_at.lt(f.end)),
        )
        .order((responses::submitted_at, responses::id))
        .select((
            responses::id,
            responses::receipt_code,
            responses::submitted_at,
            responses::department_id,
            responses::channel,
            responses::respondent_group,
            responses::status,
            responses::flags,
            responses::duration_ms,
            responses::contact,
        ))
        .limit(EXPORT_PAGE)
        .into_boxed();
    if let Some((t, id)) = after {
        q = q.filter(responses::submitted_at.gt(t).or(responses::id.gt(id)));
    }
    if let Some(d) = f.department_id {
        q = q.filter(responses::department_id.eq(d));
    }
    if let Some(c) = &f.channel {
        q = q.filter(responses::channel.eq(c.as_str()));
    }
    if let Some(s) = &f.status {
        q = q.filter(responses::status.eq(s.as_str()));
    }
    Ok(q.load(conn)?)
}

/// Question columns: every question of the questionnaire versions in use, in a stable order.
pub fn question_columns(conn: &mut AnyConnection) -> Result<(Vec<String>, HashMap<i64, usize>), DbError> {
    let qs: Vec<(i64, i64, i32, String)> = questions::table
        .order((questions::questionnaire_version_id, questions::position))
        .select((
            questions::id,
            questions::questionnaire_version_id,
            questions::position,
            questions::prompt,
        ))
        .load(conn)?;
    // Questions with the same prompt in different versions share a column.
    let mut titles: Vec<String> = Vec::new();
    let mut index = HashMap::new();
    for (id, _, _, prompt) in qs {
        let col = match titles.iter().position(|t| *t == prompt) {
            Some(c) => c,
            None => {
                titles.push(prompt);
                titles.len() - 1
            }
        };
        index.insert(id, col);
    }
    Ok((titles, index))
}

/// department id → (code, name)
pub fn department_names(conn: &mut AnyConnection) -> Result<HashMap<i64, (String, String)>, DbError> {
    use super::schema::departments;
    Ok(departments::table
        .select((departments::id, departments::code, departments::name))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, name)| (id, (code, name)))
        .collect())
}

/// One stored answer: response, question, level, choices, text.
pub type AnswerRecord = (i64, i64, Option<i32>, Option<String>, Option<String>);

/// The answers of the given responses.
pub fn answers_of(conn: &mut AnyConnection, response_ids: &[i64]) -> Result<Vec<AnswerRecord>, DbError> {
    Ok(answers::table
        .filter(answers::response_id.eq_any(response_ids))
        .select((
            answers::response_id,
            answers::question_id,
            answers::level,
            answers::choices,
            answers::text_value,
        ))
        .load(conn)?)
}

/// The receipt codes of the responses stored under any of `keys` (submission key → receipt).
pub fn receipts_for_submissions(
    conn: &mut AnyConnection,
    keys: &[String],
) -> Result<HashMap<String, String>, DbError> {
    let mut found = HashMap::new();
    for chunk in keys.chunks(RESPONSE_CHUNK) {
        let rows: Vec<(Option<String>, String)> = responses::table
            .filter(responses::submission_key.eq_any(chunk))
            .select((responses::submission_key, responses::receipt_code))
            .load(conn)?;
        found.extend(rows.into_iter().filter_map(|(k, code)| Some((k?, code))));
    }
    Ok(found)
}

/// Which of `keys` are already stored as submission keys.
pub fn existing_submission_keys(
    conn: &mut AnyConnection,
    keys: &[&str],
) -> Result<std::collections::HashSet<String>, DbError> {
    if keys.is_empty() {
        return Ok(Default::default());
    }
    let found: Vec<Option<String>> = responses::table
        .filter(responses::submission_key.eq_any(keys))
        .select(responses::submission_key)
        .load(conn)?;
    Ok(found.into_iter().flatten().collect())
}
