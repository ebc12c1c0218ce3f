//! The persistent email outbox. An email is stored before anything is sent; senders claim due
//! emails with a lease (so two nodes never send the same one at once, and a crashed sender's
//! claim expires), and record each attempt.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{email_attachments, email_outbox};
use super::{AnyConnection, DbError};

pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

pub struct NewEmail<'a> {
    /// Makes enqueueing idempotent: a second email with the same key is not stored.
    pub dedupe_key: Option<&'a str>,
    pub to: &'a [String],
    pub subject: &'a str,
    pub body_text: &'a str,
    pub attachments: Vec<NewAttachment>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = email_outbox)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct Email {
    pub id: i64,
    pub to_addrs: String,
    pub subject: String,
    pub body_text: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Stores an email due now. Returns its id, or `None` when the dedupe key was already used.
pub fn enqueue(
    conn: &mut AnyConnection,
    email: NewEmail<'_>,
    now: NaiveDateTime,
) -> Result<Option<i64>, DbError> {
    let stored = crate::db::write_transaction(conn, |conn| {
        let id: i64 = diesel::insert_into(email_outbox::table)
            .values((
                email_outbox::dedupe_key.eq(email.dedupe_key),
                email_outbox::to_addrs.eq(email.to.join(", ")),
                email_outbox::subject.eq(email.subject),
                email_outbox::body_text.eq(email.body_text),
                email_outbox::status.eq("pending"),
                email_outbox::attempts.eq(0),
                email_outbox::next_attempt_at.eq(now),
                email_outbox::created_at.eq(now),
            ))
            .returning(email_outbox::id)
            .get_result(conn)?;
        for a in &email.attachments {
            diesel::insert_into(email_attachments::table)
                .values((
                    email_attachments::email_id.eq(id),
                    email_attachments::filename.eq(&a.filename),
                    email_attachments::content_type.eq(&a.content_type),
                    email_attachments::content.eq(&a.content),
                ))
                .execute(conn)?;
        }
        Ok::<_, DbError>(id)
    });
    match stored {
        Ok(id) => Ok(Some(id)),
        Err(e) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Ids of emails to try now: pending and due, or claimed by a sender whose lease ran out.
pub fn due(conn: &mut AnyConnection, now: NaiveDateTime, limit: i64) -> Result<Vec<i64>, DbError> {
    Ok(email_outbox::table
        .filter(email_outbox::status.eq_any(["pending", "sending"]))
        .filter(email_outbox::next_attempt_at.le(now))
        .order(email_outbox::next_attempt_at)
        .limit(limit)
        .select(email_outbox::id)
        .load(conn)?)
}

/// Claims an email until `lease_until`; false when another sender got it first.
pub fn claim(
    conn: &mut AnyConnection,
    id: i64,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> Result<bool, DbError> {
    let n = diesel::update(
        email_outbox::table
            .find(id)
            .filter(email_outbox::status.eq_any(["pending", "sending"]))
            .filter(email_outbox::next_attempt_at.le(now)),
    )
    .set((
        email_outbox::status.eq("sending"),
        email_outbox::next_attempt_at.eq(lease_until),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn load(conn: &mut AnyConnection, id: i64) -> Result<(Email, Vec<Attachment>), DbError> {
    let email = email_outbox::table
        .find(id)
        .select(Email::as_select())
        .first(conn)?;
    let attachments = email_attachments::table
        .filter(email_attachments::email_id.eq(id))
        .order(email_attachments::id)
        .select((
            email_attachments::filename,
            email_attachments::content_type,
            email_attachments::content,
        ))
        .load(conn)?;
    Ok((email, attachments))
}

/// Records the email as sent, keeping `body_text` as its stored copy (the sender passes the
/// body with any single-use link taken out).
pub fn mark_sent(
    conn: &mut AnyConnection,
    id: i64,
    now: NaiveDateTime,
    body_text: &str,
) -> Result<(), DbError> {
    diesel::update(email_outbox::table.find(id))
        .set((
            email_outbox::status.eq("sent"),
            email_outbox::body_text.eq(body_text),
            email_outbox::sent_at.eq(now),
            email_outbox::attempts.eq(email_outbox::attempts + 1),
            email_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: back to pending at `retry_at`, or `failed` when `give_up`.
pub fn mark_attempt_failed(
    conn: &mut AnyConnection,
    id: i64,
    error: &str,
    retry_at: NaiveDateTime,
    give_up: bool,
) -> Result<(), DbError> {
    diesel::update(email_outbox::table.find(id))
        .set((
            email_outbox::status.eq(if give_up { "failed" } else { "pending" }),
            email_outbox::attempts.eq(email_outbox::attempts + 1),
            email_outbox::next_attempt_at.eq(retry_at),
            email_outbox::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every email, newest first (for the console and tests).
pub fn recent(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Email>, DbError> {
    Ok(email_outbox::table
        .order(email_outbox::id.desc())
        .limit(limit)
        .select(Email::as_select())
        .load(conn)?)
}

/// How many emails were queued under `dedupe_key` (0 or 1).
pub fn count_with_key(conn: &mut AnyConnection, dedupe_key: &str) -> Result<i64, DbError> {
    Ok(email_outbox::table
        .filter(email_outbox::dedupe_key.eq(dedupe_key))
        .count()
        .get_result(conn)?)
}
