//! Indicators (指标) and questionnaires with their immutable versions and questions.

use chrono::Utc;
use diesel::prelude::*;

use super::schema::{indicators, questionnaire_versions, questionnaires, questions};
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = indicators)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct Indicator {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub name_en: String,
}

/// The indicator with `code`, created with the given names if it does not exist yet.
pub fn indicator_by_code_or_create(
    conn: &mut AnyConnection,
    code: &str,
    name: &str,
    name_en: &str,
) -> Result<Indicator, DbError> {
    if let Some(found) = indicators::table
        .filter(indicators::code.eq(code))
        .select(Indicator::as_select())
        .first(conn)
        .optional()?
    {
        return Ok(found);
    }
    Ok(diesel::insert_into(indicators::table)
        .values((
            indicators::code.eq(code),
            indicators::name.eq(name),
            indicators::name_en.eq(name_en),
            indicators::created_at.eq(Utc::now().naive_utc()),
        ))
        .returning((
            indicators::id,
            indicators::code,
            indicators::name,
            indicators::name_en,
        ))
        .get_result(conn)?)
}

pub fn indicators_by_ids(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Indicator>, DbError> {
    Ok(indicators::table
        .filter(indicators::id.eq_any(ids))
        .select(Indicator::as_select())
        .load(conn)?)
}

pub struct NewQuestion<'a> {
    pub kind: &'a str,
    pub prompt: &'a str,
    pub prompt_en: &'a str,
    pub required: bool,
    pub indicator_id: Option<i64>,
    /// JSON array of options for single/multi.
    pub options: String,
    pub max_length: Option<i32>,
}

/// Creates a questionnaire with one published version holding `questions` in order.
/// Returns (version id, question ids).
pub fn create_published(
    conn: &mut AnyConnection,
    code: &str,
    title: &str,
    title_en: &str,
    questions_in: &[NewQuestion<'_>],
) -> Result<(i64, Vec<i64>), DbError> {
    conn.transaction(|conn| {
        let now = Utc::now().naive_utc();
        let questionnaire_id: i64 = diesel::insert_into(questionnaires::table)
            .values((questionnaires::code.eq(code), questionnaires::created_at.eq(now)))
            .returning(questionnaires::id)
            .get_result(conn)?;
        let version_id: i64 = diesel::insert_into(questionnaire_versions::table)
            .values((
                questionnaire_versions::questionnaire_id.eq(questionnaire_id),
                questionnaire_versions::version.eq(1),
                questionnaire_versions::title.eq(title),
                questionnaire_versions::title_en.eq(title_en),
                questionnaire_versions::status.eq("published"),
                questionnaire_versions::created_at.eq(now),
                questionnaire_versions::published_at.eq(Some(now)),
            ))
            .returning(questionnaire_versions::id)
            .get_result(conn)?;
        let mut ids = Vec::with_capacity(questions_in.len());
        for (position, q) in questions_in.iter().enumerate() {
            let id: i64 = diesel::insert_into(questions::table)
                .values((
                    questions::questionnaire_version_id.eq(version_id),
                    questions::position.eq(position as i32 + 1),
                    questions::kind.eq(q.kind),
                    questions::prompt.eq(q.prompt),
                    questions::prompt_en.eq(q.prompt_en),
                    questions::required.eq(q.required),
                    questions::indicator_id.eq(q.indicator_id),
                    questions::options.eq(&q.options),
                    questions::max_length.eq(q.max_length),
                ))
                .returning(questions::id)
                .get_result(conn)?;
            ids.push(id);
        }
        Ok((version_id, ids))
    })
}

/// The newest published version of the questionnaire with `code`.
pub fn published_version(conn: &mut AnyConnection, code: &str) -> Result<Option<i64>, DbError> {
    Ok(questionnaire_versions::table
        .inner_join(questionnaires::table)
        .filter(questionnaires::code.eq(code))
        .filter(questionnaire_versions::status.eq("published"))
        .order(questionnaire_versions::version.desc())
        .select(questionnaire_versions::id)
        .first(conn)
        .optional()?)
}
