//! Removing residents' personal details that have been kept long enough: free-text answers,
//! the client and network hashes, and callback contacts of responses submitted before a cutoff.
//! Ratings, statuses and tallies are never touched, so scores stay as they were. Each call
//! clears at most `limit` rows, so a first purge of a large database never holds the writer long.
//! The policy (which cutoff) lives in `services::retention`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{answers, responses};
use super::{AnyConnection, DbError};

/// Clears the text of free-text answers of responses submitted before `cutoff`; returns how many.
pub fn purge_comments(conn: &mut AnyConnection, cutoff: NaiveDateTime, limit: i64) -> Result<usize, DbError> {
    let ids: Vec<i64> = answers::table
        .inner_join(responses::table)
        .filter(responses::submitted_at.lt(cutoff))
        .filter(answers::text_value.is_not_null())
        .select(answers::id)
        .order(answers::id)
        .limit(limit)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::update(answers::table.filter(answers::id.eq_any(&ids)))
        .set(answers::text_value.eq(None::<String>))
        .execute(conn)?)
}

/// Clears the client and network hashes of responses submitted before `cutoff`.
pub fn purge_client_hashes(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    limit: i64,
) -> Result<usize, DbError> {
    let ids: Vec<i64> = responses::table
        .filter(responses::submitted_at.lt(cutoff))
        .filter(
            responses::client_hash
                .is_not_null()
                .or(responses::network_hash.is_not_null()),
        )
        .select(responses::id)
        .order(responses::id)
        .limit(limit)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(
        diesel::update(responses::table.filter(responses::id.eq_any(&ids)))
            .set((
                responses::client_hash.eq(None::<String>),
                responses::network_hash.eq(None::<String>),
            ))
            .execute(conn)?,
    )
}

/// Clears the callback contact of responses submitted before `cutoff`.
pub fn purge_contacts(conn: &mut AnyConnection, cutoff: NaiveDateTime, limit: i64) -> Result<usize, DbError> {
    let ids: Vec<i64> = responses::table
        .filter(responses::submitted_at.lt(cutoff))
        .filter(responses::contact.is_not_null())
        .select(responses::id)
        .order(responses::id)
        .limit(limit)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(
        diesel::update(responses::table.filter(responses::id.eq_any(&ids)))
            .set(responses::contact.eq(None::<String>))
            .execute(conn)?,
    )
}
