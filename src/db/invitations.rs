//! Invitations (一次服务一次评价): one single-use rating link per served case. Only the SHA-256
//! of the token is stored; the token itself exists in the email and nowhere else.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::links::{PAGE_TEXT, PageText};
use super::schema::{departments, invitations, questionnaire_versions};
use super::{AnyConnection, DbError};

pub struct NewInvitation<'a> {
    pub token_hash: &'a str,
    pub questionnaire_version_id: i64,
    pub department_id: i64,
    pub case_ref: &'a str,
    pub email: Option<&'a str>,
    pub group: &'a str,
    pub expires_at: Option<NaiveDateTime>,
}

pub fn create(conn: &mut AnyConnection, new: NewInvitation<'_>) -> Result<i64, DbError> {
    Ok(diesel::insert_into(invitations::table)
        .values((
            invitations::token_hash.eq(new.token_hash),
            invitations::questionnaire_version_id.eq(new.questionnaire_version_id),
            invitations::department_id.eq(new.department_id),
            invitations::case_ref.eq(new.case_ref),
            invitations::email.eq(new.email),
            invitations::respondent_group.eq(new.group),
            invitations::expires_at.eq(new.expires_at),
            invitations::created_at.eq(Utc::now().naive_utc()),
        ))
        .returning(invitations::id)
        .get_result(conn)?)
}

/// An invitation with what its page shows.
#[derive(Debug, Clone)]
pub struct InvitationPage {
    pub id: i64,
    pub questionnaire_version_id: i64,
    pub department_id: i64,
    pub group: String,
    pub expires_at: Option<NaiveDateTime>,
    pub used_at: Option<NaiveDateTime>,
    pub text: PageText,
}

type PageRow = (
    i64,
    i64,
    i64,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    PageText,
);

pub fn page(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<InvitationPage>, DbError> {
    let row: Option<PageRow> = invitations::table
        .inner_join(departments::table)
        .inner_join(questionnaire_versions::table)
        .filter(invitations::token_hash.eq(token_hash))
        .select((
            invitations::id,
            invitations::questionnaire_version_id,
            invitations::department_id,
            invitations::respondent_group,
            invitations::expires_at,
            invitations::used_at,
            PAGE_TEXT,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(id, questionnaire_version_id, department_id, group, expires_at, used_at, text)| InvitationPage {
            id,
            questionnaire_version_id,
            department_id,
            group,
            expires_at,
            used_at,
            text,
        },
    ))
}

/// Marks the invitation used; false when it already was (a second use is refused).
pub fn use_once(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> Result<bool, DbError> {
    let n = diesel::update(invitations::table.find(id).filter(invitations::used_at.is_null()))
        .set(invitations::used_at.eq(now))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn mark_sent(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(invitations::table.find(id))
        .set(invitations::sent_at.eq(now))
        .execute(conn)?;
    Ok(())
}
