//! Sign-in attempts, counted to throttle password guessing (see `domain::account::LoginLimits`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::login_attempts;
use super::{AnyConnection, DbError};

/// Records an attempt; returns its id.
pub fn record(
    conn: &mut AnyConnection,
    username: &str,
    client_hash: &str,
    succeeded: bool,
    at: NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::at.eq(at),
            login_attempts::username.eq(username),
            login_attempts::client_hash.eq(client_hash),
            login_attempts::succeeded.eq(succeeded),
        ))
        .returning(login_attempts::id)
        .get_result(conn)?)
}

/// Forgets an attempt that was refused unchecked (throttled): it was no guess.
pub fn forget(conn: &mut AnyConnection, id: i64) -> Result<(), DbError> {
    diesel::delete(login_attempts::table.find(id)).execute(conn)?;
    Ok(())
}

/// Marks an attempt recorded as failed (before its password was checked) as a success.
pub fn mark_succeeded(conn: &mut AnyConnection, id: i64) -> Result<(), DbError> {
    diesel::update(login_attempts::table.find(id))
        .set(login_attempts::succeeded.eq(true))
        .execute(conn)?;
    Ok(())
}

/// Failed attempts since `since`: for the account (only those after its last success) and
/// from the client (for any account).
pub fn recent_failures(
    conn: &mut AnyConnection,
    username: &str,
    client_hash: &str,
    since: NaiveDateTime,
) -> Result<(i64, i64), DbError> {
    let last_success: Option<NaiveDateTime> = login_attempts::table
        .filter(login_attempts::username.eq(username))
        .filter(login_attempts::succeeded.eq(true))
        .filter(login_attempts::at.ge(since))
        .select(diesel::dsl::max(login_attempts::at))
        .first(conn)?;
    let account_since = last_success.map_or(since, |t| t.max(since));
    let account = login_attempts::table
        .filter(login_attempts::username.eq(username))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::at.gt(account_since))
        .count()
        .get_result(conn)?;
    let client = login_attempts::table
        .filter(login_attempts::client_hash.eq(client_hash))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::at.ge(since))
        .count()
        .get_result(conn)?;
    Ok((account, client))
}

/// Forgets attempts older than `before` (run with the other housekeeping).
pub fn prune(conn: &mut AnyConnection, before: NaiveDateTime) -> Result<usize, DbError> {
    Ok(diesel::delete(login_attempts::table.filter(login_attempts::at.lt(before))).execute(conn)?)
}
