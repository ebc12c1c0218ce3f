//! Reading responses in the admin console: filtered, sorted and paged lists, and one response
//! with its answers. Scoping (a department sees its own) is a filter the caller always sets.

use chrono::NaiveDateTime;
use diesel::dsl::exists;
use diesel::prelude::*;

use super::schema::{answers, questions, responses};
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub department_id: Option<i64>,
    pub status: Option<crate::domain::vocabulary::ResponseStatus>,
    pub channel: Option<crate::domain::vocabulary::Channel>,
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub receipt: Option<String>,
    /// Only responses with a written comment.
    pub with_comment: bool,
}

/// Columns a list may be sorted by.
pub const SORTS: [&str; 4] = ["submitted_at", "department", "status", "channel"];

#[derive(Debug, Clone, Queryable)]
pub struct Row {
    pub id: i64,
    pub receipt_code: String,
    pub submitted_at: NaiveDateTime,
    pub department_id: i64,
    pub channel: String,
    pub status: String,
    pub flags: String,
    pub duration_ms: Option<i32>,
    pub review_note: Option<String>,
}

macro_rules! filtered {
    ($f:expr) => {{
        let f: &Filter = $f;
        let mut q = responses::table.into_boxed();
        if let Some(d) = f.department_id {
            q = q.filter(responses::department_id.eq(d));
        }
        if let Some(s) = &f.status {
            q = q.filter(responses::status.eq(s.as_str()));
        }
        if let Some(c) = &f.channel {
            q = q.filter(responses::channel.eq(c.as_str()));
        }
        if let Some(t) = f.from {
            q = q.filter(responses::submitted_at.ge(t));
        }
        if let Some(t) = f.until {
            q = q.filter(responses::submitted_at.lt(t));
        }
        if let Some(r) = &f.receipt {
            q = q.filter(responses::receipt_code.eq(r.clone()));
        }
        if f.with_comment {
            q = q.filter(exists(
                answers::table
                    .filter(answers::response_id.eq(responses::id))
                    .filter(answers::text_value.is_not_null())
                    .filter(answers::text_value.ne("")),
            ));
        }
        q
    }};
}

pub fn count(conn: &mut AnyConnection, f: &Filter) -> Result<i64, DbError> {
    Ok(filtered!(f).count().get_result(conn)?)
}

/// One page of responses; ties are broken by id so pages never overlap.
pub fn page(
    conn: &mut AnyConnection,
    f: &Filter,
    sort: &str,
    descending: bool,
    offset: i64,
    limit: i64,
) -> Result<Vec<Row>, DbError> {
    let mut q = filtered!(f).select((
        responses::id,
        responses::receipt_code,
        responses::submitted_at,
        responses::department_id,
        responses::channel,
        responses::status,
        responses::flags,
        responses::duration_ms,
        responses::review_note,
    ));
    q = match (sort, descending) {
        ("department", false) => q.order((responses::department_id.asc(), responses::id.asc())),
        ("department", true) => q.order((responses::department_id.desc(), responses::id.desc())),
        ("status", false) => q.order((responses::status.asc(), responses::id.asc())),
        ("status", true) => q.order((responses::status.desc(), responses::id.desc())),
        ("channel", false) => q.order((responses::channel.asc(), responses::id.asc())),
        ("channel", true) => q.order((responses::channel.desc(), responses::id.desc())),
        (_, false) => q.order((responses::submitted_at.asc(), responses::id.asc())),
        (_, true) => q.order((responses::submitted_at.desc(), responses::id.desc())),
    };
    Ok(q.offset(offset).limit(limit).load(conn)?)
}

/// Everything the detail page shows about one response.
#[derive(Debug, Clone, Queryable)]
pub struct Detail {
    pub id: i64,
    pub receipt_code: String,
    pub questionnaire_version_id: i64,
    pub department_id: i64,
    pub channel: String,
    pub respondent_group: String,
    pub submitted_at: NaiveDateTime,
    pub duration_ms: Option<i32>,
    pub lang: String,
    pub status: String,
    pub flags: String,
    pub excluded: bool,
    pub contact: Option<String>,
    pub operator_id: Option<i64>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_note: Option<String>,
}

/// The response `id`, if it exists and lies within `scope` (a department's own).
pub fn detail(conn: &mut AnyConnection, id: i64, scope: Option<i64>) -> Result<Option<Detail>, DbError> {
    let mut q = responses::table
        .filter(responses::id.eq(id))
        .select((
            responses::id,
            responses::receipt_code,
            responses::questionnaire_version_id,
            responses::department_id,
            responses::channel,
            responses::respondent_group,
            responses::submitted_at,
            responses::duration_ms,
            responses::lang,
            responses::status,
            responses::flags,
            responses::excluded,
            responses::contact,
            responses::operator_id,
            responses::reviewed_by,
            responses::reviewed_at,
            responses::review_note,
        ))
        .into_boxed();
    if let Some(d) = scope {
        q = q.filter(responses::department_id.eq(d));
    }
    Ok(q.first(conn).optional()?)
}

/// One answer as the detail page shows it: position, prompt, kind, level, choices, text.
pub type AnswerLine = (i32, String, String, Option<i32>, Option<String>, Option<String>);

pub fn answer_lines(conn: &mut AnyConnection, response_id: i64) -> Result<Vec<AnswerLine>, DbError> {
    Ok(answers::table
        .inner_join(questions::table)
        .filter(answers::response_id.eq(response_id))
        .order(questions::position)
        .select((
            questions::position,
            questions::prompt,
            questions::kind,
            answers::level,
            answers::choices,
            answers::text_value,
        ))
        .load(conn)?)
}

/// Written comments of the given responses: (response id, text).
pub fn comments(conn: &mut AnyConnection, response_ids: &[i64]) -> Result<Vec<(i64, String)>, DbError> {
    let rows: Vec<(i64, Option<String>)> = answers::table
        .filter(answers::response_id.eq_any(response_ids))
        .filter(answers::text_value.is_not_null())
        .order((answers::response_id, answers::id))
        .select((answers::response_id, answers::text_value))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, t)| t.filter(|t| !t.is_empty()).map(|t| (id, t)))
        .collect())
}

/// Lowest rating level per response (a poor rating stands out in lists).
pub fn lowest_levels(
    conn: &mut AnyConnection,
    response_ids: &[i64],
) -> Result<Vec<(i64, Option<i32>)>, DbError> {
    Ok(answers::table
        .inner_join(questions::table)
        .filter(answers::response_id.eq_any(response_ids))
        .filter(questions::kind.eq("rating5"))
        .group_by(answers::response_id)
        .select((answers::response_id, diesel::dsl::min(answers::level)))
        .load(conn)?)
}

/// The newest published version of every questionnaire: (code, version id, title).
pub fn published_questionnaires(conn: &mut AnyConnection) -> Result<Vec<(String, i64, String)>, DbError> {
    use super::schema::{questionnaire_versions as v, questionnaires as q};
    let rows: Vec<(String, i64, i32, String)> = v::table
        .inner_join(q::table)
        .filter(v::status.eq("published"))
        .order((q::code, v::version.desc()))
        .select((q::code, v::id, v::version, v::title))
        .load(conn)?;
    let mut out: Vec<(String, i64, String)> = Vec::new();
    for (code, id, _, title) in rows {
        if out.last().is_none_or(|(c, _, _)| *c != code) {
            out.push((code, id, title));
        }
    }
    Ok(out)
}

/// The highest response id stored (0 when none).
pub fn newest_response_id(conn: &mut AnyConnection) -> Result<i64, DbError> {
    Ok(responses::table
        .select(diesel::dsl::max(responses::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}
