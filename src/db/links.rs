//! Survey links (评价链接): `/s/{code}` bound to a questionnaire version, a department and a
//! channel, with an optional expiry and response cap.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{departments, links, questionnaire_versions, questionnaires, questions, responses};
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = links)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct Link {
    pub id: i64,
    pub code: String,
    pub questionnaire_version_id: i64,
    pub department_id: i64,
    pub channel: String,
    pub label: String,
    pub expires_at: Option<NaiveDateTime>,
    pub max_responses: Option<i32>,
    pub response_count: i32,
    pub active: bool,
}

/// What a survey page shows about whom it rates, in both languages.
#[derive(Debug, Clone, Queryable)]
pub struct PageText {
    pub department_name: String,
    pub department_name_en: String,
    pub title: String,
    pub title_en: String,
    pub description: String,
    pub description_en: String,
}

/// The columns of [`PageText`]: the department's and the questionnaire version's names.
pub type PageTextColumns = (
    departments::name,
    departments::name_en,
    questionnaire_versions::title,
    questionnaire_versions::title_en,
    questionnaire_versions::description,
    questionnaire_versions::description_en,
);

pub const PAGE_TEXT: PageTextColumns = (
    departments::name,
    departments::name_en,
    questionnaire_versions::title,
    questionnaire_versions::title_en,
    questionnaire_versions::description,
    questionnaire_versions::description_en,
);

/// A link with what its page shows.
#[derive(Debug, Clone)]
pub struct LinkPage {
    pub link: Link,
    pub text: PageText,
    /// A deactivated department's links take no more ratings.
    pub department_active: bool,
}

pub struct NewLink<'a> {
    pub code: &'a str,
    pub questionnaire_version_id: i64,
    pub department_id: i64,
    pub channel: &'a str,
    pub label: &'a str,
    pub expires_at: Option<NaiveDateTime>,
    pub max_responses: Option<i32>,
    /// The use case's instant.
    pub created_at: NaiveDateTime,
}

pub fn create(conn: &mut AnyConnection, new: NewLink<'_>) -> Result<i64, DbError> {
    Ok(diesel::insert_into(links::table)
        .values((
            links::code.eq(new.code),
            links::questionnaire_version_id.eq(new.questionnaire_version_id),
            links::department_id.eq(new.department_id),
            links::channel.eq(new.channel),
            links::label.eq(new.label),
            links::expires_at.eq(new.expires_at),
            links::max_responses.eq(new.max_responses),
            links::active.eq(true),
            links::created_at.eq(new.created_at),
        ))
        .returning(links::id)
        .get_result(conn)?)
}

pub fn page(conn: &mut AnyConnection, code: &str) -> Result<Option<LinkPage>, DbError> {
    let row = links::table
        .inner_join(departments::table)
        .inner_join(questionnaire_versions::table)
        .filter(links::code.eq(code))
        .select((Link::as_select(), PAGE_TEXT, departments::active))
        .first::<(Link, PageText, bool)>(conn)
        .optional()?;
    Ok(row.map(|(link, text, department_active)| LinkPage {
        link,
        text,
        department_active,
    }))
}

/// Counts one more response on the link unless it no longer takes ratings (cap reached,
/// switched off, expired); false then. Done in the submission's transaction, so two residents
/// cannot both take the last place, and a link page served from memory cannot outlive the link.
pub fn take_place(conn: &mut AnyConnection, link_id: i64, now: NaiveDateTime) -> Result<bool, DbError> {
    let n = diesel::update(
        links::table
            .find(link_id)
            .filter(links::active.eq(true))
            .filter(links::expires_at.is_null().or(links::expires_at.gt(now)))
            .filter(
                links::max_responses
                    .is_null()
                    .or(links::response_count.lt(links::max_responses.assume_not_null())),
            ),
    )
    .set(links::response_count.eq(links::response_count + 1))
    .execute(conn)?;
    Ok(n == 1)
}

/// (id, kind, prompt, prompt_en, required, options JSON, max_length) of a version, in order.
pub type QuestionRow = (i64, String, String, String, bool, String, Option<i32>);

pub fn questions_of(conn: &mut AnyConnection, version_id: i64) -> Result<Vec<QuestionRow>, DbError> {
    Ok(questions::table
        .filter(questions::questionnaire_version_id.eq(version_id))
        .order(questions::position)
        .select((
            questions::id,
            questions::kind,
            questions::prompt,
            questions::prompt_en,
            questions::required,
            questions::options,
            questions::max_length,
        ))
        .load(conn)?)
}

/// Whether `client_hash` rated `department` since `since` (same-client check). Stops at the
/// first match, so a flood from one client does not make every later check slower.
pub fn rated_recently(
    conn: &mut AnyConnection,
    client_hash: &str,
    department_id: i64,
    since: NaiveDateTime,
) -> Result<bool, DbError> {
    let found: Vec<i64> = responses::table
        .filter(responses::client_hash.eq(client_hash))
        .filter(responses::department_id.eq(department_id))
        .filter(responses::submitted_at.ge(since))
        .select(responses::id)
        .limit(1)
        .load(conn)?;
    Ok(!found.is_empty())
}

/// Responses from the network `network_hash` to `department` since `since`, counted up to
/// `cap` (burst check): reading stops at `cap`, whatever the size of the burst.
pub fn recent_from_network(
    conn: &mut AnyConnection,
    network_hash: &str,
    department_id: i64,
    since: NaiveDateTime,
    cap: i64,
) -> Result<i64, DbError> {
    let found: Vec<i64> = responses::table
        .filter(responses::network_hash.eq(network_hash))
        .filter(responses::department_id.eq(department_id))
        .filter(responses::submitted_at.ge(since))
        .select(responses::id)
        .limit(cap.max(1))
        .load(conn)?;
    Ok(found.len() as i64)
}

/// The receipt code of the response stored for a submission key (a re-posted form).
pub fn receipt_for_submission(conn: &mut AnyConnection, key: &str) -> Result<Option<String>, DbError> {
    Ok(responses::table
        .filter(responses::submission_key.eq(key))
        .select(responses::receipt_code)
        .first(conn)
        .optional()?)
}

/// (status, submitted_at, department name) of the response with `receipt`.
pub fn by_receipt(
    conn: &mut AnyConnection,
    receipt: &str,
) -> Result<Option<(String, NaiveDateTime, String)>, DbError> {
    Ok(responses::table
        .inner_join(departments::table)
        .filter(responses::receipt_code.eq(receipt))
        .select((responses::status, responses::submitted_at, departments::name))
        .first(conn)
        .optional()?)
}

/// Links with their department's code, newest first; optionally of one department.
/// Links with their department's code and whether the department is in use.
pub fn list(
    conn: &mut AnyConnection,
    department_id: Option<i64>,
) -> Result<Vec<(Link, String, bool)>, DbError> {
    let mut q = links::table
        .inner_join(departments::table)
        .order(links::id.desc())
        .select((Link::as_select(), departments::code, departments::active))
        .into_boxed();
    if let Some(d) = department_id {
        q = q.filter(links::department_id.eq(d));
    }
    Ok(q.load(conn)?)
}

/// Which links the console lists.
#[derive(Debug, Clone, Default)]
pub struct LinkFilter {
    pub department_id: Option<i64>,
    pub channel: Option<crate::domain::vocabulary::Channel>,
    pub active: Option<bool>,
}

/// Columns the console's link list sorts by; anything else sorts by creation.
pub const LINK_SORTS: &[&str] = &["created", "code", "department", "channel", "expires", "responses"];

/// A link as the console shows it: with its department and questionnaire version.
#[derive(Debug, Clone)]
pub struct LinkRow {
    pub link: Link,
    pub department_code: String,
    pub department_name: String,
    pub questionnaire_code: String,
    pub questionnaire_title: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    /// A deactivated department's links take no ratings, whatever their own switch says.
    pub department_active: bool,
}

type LinkRowTuple = (Link, String, String, String, String, i32, NaiveDateTime, bool);

/// The columns a `LinkRowTuple` is loaded from (for `filtered_links!(..).select(..)`).
macro_rules! link_row_columns {
    () => {
        (
            Link::as_select(),
            departments::code,
            departments::name,
            questionnaires::code,
            questionnaire_versions::title,
            questionnaire_versions::version,
            links::created_at,
            departments::active,
        )
    };
}

fn link_row(
    (
        link,
        department_code,
        department_name,
        questionnaire_code,
        questionnaire_title,
        version,
        created_at,
        department_active,
    ): LinkRowTuple,
) -> LinkRow {
    LinkRow {
        link,
        department_code,
        department_name,
        questionnaire_code,
        questionnaire_title,
        version,
        created_at,
        department_active,
    }
}

/// The links join (department, questionnaire version, questionnaire), boxed, with `filter` applied.
macro_rules! filtered_links {
    ($filter:expr) => {{
        let filter: &LinkFilter = $filter;
        let mut q = links::table
            .inner_join(departments::table)
            .inner_join(questionnaire_versions::table.inner_join(questionnaires::table))
            .into_boxed();
        if let Some(d) = filter.department_id {
            q = q.filter(links::department_id.eq(d));
        }
        if let Some(c) = &filter.channel {
            q = q.filter(links::channel.eq(c.as_str()));
        }
        if let Some(a) = filter.active {
            q = q.filter(links::active.eq(a));
        }
        q
    }};
}

/// One page of links matching `filter`, sorted by `sort` (one of [`LINK_SORTS`]), and how many
/// match in all. Paging and counting happen in SQL.
pub fn admin_page(
    conn: &mut AnyConnection,
    filter: &LinkFilter,
    sort: &str,
    descending: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<LinkRow>, i64), DbError> {
    let total: i64 = filtered_links!(filter).count().get_result(conn)?;
    let mut q = filtered_links!(filter).select(link_row_columns!());
    q = match (sort, descending) {
        ("code", false) => q.order(links::code.asc()),
        ("code", true) => q.order(links::code.desc()),
        ("department", false) => q.order(departments::code.asc()),
        ("department", true) => q.order(departments::code.desc()),
        ("channel", false) => q.order(links::channel.asc()),
        ("channel", true) => q.order(links::channel.desc()),
        // Links without an expiry sort as the latest.
        ("expires", false) => q.order((links::expires_at.is_null().asc(), links::expires_at.asc())),
        ("expires", true) => q.order((links::expires_at.is_null().desc(), links::expires_at.desc())),
        ("responses", false) => q.order(links::response_count.asc()),
        ("responses", true) => q.order(links::response_count.desc()),
        (_, false) => q.order(links::id.asc()),
        (_, true) => q.order(links::id.desc()),
    };
    let rows: Vec<LinkRowTuple> = q
        .then_order_by(links::id.desc())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows.into_iter().map(link_row).collect(), total))
}

/// One link as the console shows it.
pub fn admin_find(conn: &mut AnyConnection, id: i64) -> Result<Option<LinkRow>, DbError> {
    let row: Option<LinkRowTuple> = filtered_links!(&LinkFilter::default())
        .filter(links::id.eq(id))
        .select(link_row_columns!())
        .first(conn)
        .optional()?;
    Ok(row.map(link_row))
}

/// The link with `code`, if any.
pub fn find_by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<Link>, DbError> {
    Ok(links::table
        .filter(links::code.eq(code))
        .select(Link::as_select())
        .first(conn)
        .optional()?)
}

/// Turns a link on or off; false when no link has `id`.
pub fn set_active(conn: &mut AnyConnection, id: i64, active: bool) -> Result<bool, DbError> {
    let n = diesel::update(links::table.find(id))
        .set(links::active.eq(active))
        .execute(conn)?;
    Ok(n == 1)
}

/// A questionnaire a new link can be bound to: its code and newest published version.
#[derive(Debug, Clone)]
pub struct Bindable {
    pub code: String,
    pub title: String,
    pub version: i32,
}

/// Questionnaires with a published version (the newest one each), by code. Links and
/// invitations are bound to the newest published version when they are made.
pub fn bindable_questionnaires(conn: &mut AnyConnection) -> Result<Vec<Bindable>, DbError> {
    let rows: Vec<(String, String, i32)> = questionnaire_versions::table
        .inner_join(questionnaires::table)
        .filter(questionnaire_versions::status.eq("published"))
        .order((questionnaires::code.asc(), questionnaire_versions::version.desc()))
        .select((
            questionnaires::code,
            questionnaire_versions::title,
            questionnaire_versions::version,
        ))
        .load(conn)?;
    let mut out: Vec<Bindable> = Vec::new();
    for (code, title, version) in rows {
        if out.last().is_none_or(|b| b.code != code) {
            out.push(Bindable { code, title, version });
        }
    }
    Ok(out)
}
