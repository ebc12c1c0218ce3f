//! Console sessions the server knows about: a session cookie is honoured only while its row is
//! here, so ending a session (sign-out, password change, deactivation) holds on every node.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{sessions, users};
use super::users::User;
use super::{AnyConnection, DbError};

/// Records a new session of `user_id`, and forgets sessions begun before `expired_before`
/// (past the absolute limit, so no cookie could use them any more).
pub fn start(
    conn: &mut AnyConnection,
    id: &str,
    user_id: i64,
    now: NaiveDateTime,
    expired_before: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::delete(sessions::table.filter(sessions::created_at.lt(expired_before))).execute(conn)?;
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The user of a live session: one lookup by primary key, joined to the account.
pub fn user_of(conn: &mut AnyConnection, id: &str) -> Result<Option<User>, DbError> {
    Ok(sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(id))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Ends one session.
pub fn end(conn: &mut AnyConnection, id: &str) -> Result<(), DbError> {
    diesel::delete(sessions::table.find(id)).execute(conn)?;
    Ok(())
}

/// Ends every session of `user_id` except `keep` (the one that asked, on a password change).
pub fn end_all_of(conn: &mut AnyConnection, user_id: i64, keep: Option<&str>) -> Result<usize, DbError> {
    let mine = sessions::table.filter(sessions::user_id.eq(user_id));
    Ok(match keep {
        Some(keep) => diesel::delete(mine.filter(sessions::id.ne(keep))).execute(conn)?,
        None => diesel::delete(mine).execute(conn)?,
    })
}
