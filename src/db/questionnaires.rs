//! Indicators (指标) and questionnaires with their immutable versions and questions.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::{indicators, invitations, links, questionnaire_versions, questionnaires, questions};
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
    crate::db::write_transaction(conn, |conn| {
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
        let ids = insert_questions(conn, version_id, questions_in)?;
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

/// Every indicator, by code (for binding rating questions).
pub fn all_indicators(conn: &mut AnyConnection) -> Result<Vec<Indicator>, DbError> {
    Ok(indicators::table
        .order(indicators::code)
        .select(Indicator::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = questionnaires)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct Questionnaire {
    pub id: i64,
    pub code: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = questionnaire_versions)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct Version {
    pub id: i64,
    pub questionnaire_id: i64,
    pub version: i32,
    pub title: String,
    pub title_en: String,
    pub description: String,
    pub description_en: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
}

/// A stored question with everything the console shows.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = questions)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct StoredQuestion {
    pub id: i64,
    pub position: i32,
    pub kind: String,
    pub prompt: String,
    pub prompt_en: String,
    pub required: bool,
    pub indicator_id: Option<i64>,
    pub options: String,
    pub max_length: Option<i32>,
}

/// Columns the questionnaire list may be sorted by.
pub const SORT_COLUMNS: [&str; 2] = ["code", "created_at"];

/// One page of questionnaires and how many there are.
pub fn list_page(
    conn: &mut AnyConnection,
    sort: &str,
    descending: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Questionnaire>, i64), DbError> {
    let total: i64 = questionnaires::table.count().get_result(conn)?;
    let q = questionnaires::table.into_boxed();
    let q = match (sort, descending) {
        ("created_at", true) => q.order((questionnaires::created_at.desc(), questionnaires::id.desc())),
        ("created_at", false) => q.order((questionnaires::created_at.asc(), questionnaires::id.asc())),
        (_, true) => q.order(questionnaires::code.desc()),
        (_, false) => q.order(questionnaires::code.asc()),
    };
    let rows = q
        .select(Questionnaire::as_select())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

pub fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Questionnaire>, DbError> {
    Ok(questionnaires::table
        .find(id)
        .select(Questionnaire::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<Questionnaire>, DbError> {
    Ok(questionnaires::table
        .filter(questionnaires::code.eq(code))
        .select(Questionnaire::as_select())
        .first(conn)
        .optional()?)
}

/// The versions of the given questionnaires, newest first within each.
pub fn versions_of(conn: &mut AnyConnection, questionnaire_ids: &[i64]) -> Result<Vec<Version>, DbError> {
    Ok(questionnaire_versions::table
        .filter(questionnaire_versions::questionnaire_id.eq_any(questionnaire_ids))
        .order((
            questionnaire_versions::questionnaire_id,
            questionnaire_versions::version.desc(),
        ))
        .select(Version::as_select())
        .load(conn)?)
}

/// Version `number` of questionnaire `questionnaire_id`.
pub fn version(
    conn: &mut AnyConnection,
    questionnaire_id: i64,
    number: i32,
) -> Result<Option<Version>, DbError> {
    Ok(questionnaire_versions::table
        .filter(questionnaire_versions::questionnaire_id.eq(questionnaire_id))
        .filter(questionnaire_versions::version.eq(number))
        .select(Version::as_select())
        .first(conn)
        .optional()?)
}

/// The highest-numbered version of a questionnaire (a draft if there is one).
pub fn latest_version(conn: &mut AnyConnection, questionnaire_id: i64) -> Result<Option<Version>, DbError> {
    Ok(questionnaire_versions::table
        .filter(questionnaire_versions::questionnaire_id.eq(questionnaire_id))
        .order(questionnaire_versions::version.desc())
        .select(Version::as_select())
        .first(conn)
        .optional()?)
}

/// The questions of a version, in order.
pub fn questions_in(conn: &mut AnyConnection, version_id: i64) -> Result<Vec<StoredQuestion>, DbError> {
    Ok(questions::table
        .filter(questions::questionnaire_version_id.eq(version_id))
        .order(questions::position)
        .select(StoredQuestion::as_select())
        .load(conn)?)
}

/// Number of questions per version.
pub fn question_counts(conn: &mut AnyConnection, version_ids: &[i64]) -> Result<Vec<(i64, i64)>, DbError> {
    use diesel::dsl::count_star;
    Ok(questions::table
        .filter(questions::questionnaire_version_id.eq_any(version_ids))
        .group_by(questions::questionnaire_version_id)
        .select((questions::questionnaire_version_id, count_star()))
        .load(conn)?)
}

/// Per version: (version id, links bound to it, responses received through those links).
/// Read from the links table, so it stays cheap however many responses there are.
pub fn link_counts(
    conn: &mut AnyConnection,
    version_ids: &[i64],
) -> Result<Vec<(i64, i64, Option<i64>)>, DbError> {
    use diesel::dsl::{count_star, sum};
    Ok(links::table
        .filter(links::questionnaire_version_id.eq_any(version_ids))
        .group_by(links::questionnaire_version_id)
        .select((
            links::questionnaire_version_id,
            count_star(),
            sum(links::response_count),
        ))
        .load(conn)?)
}

/// Whether anything points at a version (links or invitations), so it must not change.
pub fn version_in_use(conn: &mut AnyConnection, version_id: i64) -> Result<bool, DbError> {
    use diesel::dsl::exists;
    let linked: bool = diesel::select(exists(
        links::table.filter(links::questionnaire_version_id.eq(version_id)),
    ))
    .get_result(conn)?;
    let invited: bool = diesel::select(exists(
        invitations::table.filter(invitations::questionnaire_version_id.eq(version_id)),
    ))
    .get_result(conn)?;
    Ok(linked || invited)
}

pub fn create_questionnaire(
    conn: &mut AnyConnection,
    code: &str,
    now: NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(questionnaires::table)
        .values((questionnaires::code.eq(code), questionnaires::created_at.eq(now)))
        .returning(questionnaires::id)
        .get_result(conn)?)
}

/// The texts of a version.
pub struct VersionText<'a> {
    pub title: &'a str,
    pub title_en: &'a str,
    pub description: &'a str,
    pub description_en: &'a str,
}

/// Adds version `number` as a draft; returns its id.
pub fn insert_draft(
    conn: &mut AnyConnection,
    questionnaire_id: i64,
    number: i32,
    text: &VersionText<'_>,
    now: NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(questionnaire_versions::table)
        .values((
            questionnaire_versions::questionnaire_id.eq(questionnaire_id),
            questionnaire_versions::version.eq(number),
            questionnaire_versions::title.eq(text.title),
            questionnaire_versions::title_en.eq(text.title_en),
            questionnaire_versions::description.eq(text.description),
            questionnaire_versions::description_en.eq(text.description_en),
            questionnaire_versions::status.eq("draft"),
            questionnaire_versions::created_at.eq(now),
        ))
        .returning(questionnaire_versions::id)
        .get_result(conn)?)
}

/// Rewrites a draft's texts and removes its questions (the caller inserts the new ones).
/// Refuses (NotFound) a version that is not a draft.
pub fn reset_draft(conn: &mut AnyConnection, version_id: i64, text: &VersionText<'_>) -> Result<(), DbError> {
    let n = diesel::update(
        questionnaire_versions::table
            .find(version_id)
            .filter(questionnaire_versions::status.eq("draft")),
    )
    .set((
        questionnaire_versions::title.eq(text.title),
        questionnaire_versions::title_en.eq(text.title_en),
        questionnaire_versions::description.eq(text.description),
        questionnaire_versions::description_en.eq(text.description_en),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(DbError::Query(diesel::result::Error::NotFound));
    }
    diesel::delete(questions::table.filter(questions::questionnaire_version_id.eq(version_id)))
        .execute(conn)?;
    Ok(())
}

/// Adds `questions_in` to a version at positions 1, 2, ...; returns their ids in that order.
pub fn insert_questions(
    conn: &mut AnyConnection,
    version_id: i64,
    questions_in: &[NewQuestion<'_>],
) -> Result<Vec<i64>, DbError> {
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
    Ok(ids)
}

/// Publishes a draft; false when the version is not a draft (already published).
pub fn publish(conn: &mut AnyConnection, version_id: i64, at: NaiveDateTime) -> Result<bool, DbError> {
    let n = diesel::update(
        questionnaire_versions::table
            .find(version_id)
            .filter(questionnaire_versions::status.eq("draft")),
    )
    .set((
        questionnaire_versions::status.eq("published"),
        questionnaire_versions::published_at.eq(Some(at)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
