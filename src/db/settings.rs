//! Deployment-wide values kept in the database so that every node sees the same ones
//! (the generated secret key, the address the server serves, thresholds the office edits).

use chrono::Utc;
use diesel::prelude::*;

use super::schema::settings;
use super::{AnyConnection, DbError};

pub const SECRET_KEY: &str = "secret_key";
/// The base URL the server last started with, so that the CLI, which has no listener of its own,
/// prints and encodes the same address in links, QR codes and emails.
pub const PUBLIC_URL: &str = "public_url";

pub fn get(conn: &mut AnyConnection, key: &str) -> Result<Option<String>, DbError> {
    Ok(settings::table
        .find(key)
        .select(settings::value)
        .first::<String>(conn)
        .optional()?)
}

/// Stores `value` unless the key already has one, and returns what is stored: when two nodes
/// start at once, both end up with the first node's value.
pub fn get_or_insert(conn: &mut AnyConnection, key: &str, value: &str) -> Result<String, DbError> {
    if let Some(existing) = get(conn, key)? {
        return Ok(existing);
    }
    let inserted = diesel::insert_into(settings::table)
        .values((
            settings::key.eq(key),
            settings::value.eq(value),
            settings::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
        .map_err(DbError::from);
    match inserted {
        Ok(_) => Ok(value.to_string()),
        Err(e) if e.is_unique_violation() => get(conn, key)?.ok_or(e),
        Err(e) => Err(e),
    }
}

/// Every setting whose key starts with `prefix`, in one query.
pub fn with_prefix(conn: &mut AnyConnection, prefix: &str) -> Result<Vec<(String, String)>, DbError> {
    Ok(settings::table
        .filter(settings::key.like(format!("{prefix}%")))
        .select((settings::key, settings::value))
        .load(conn)?)
}

/// Stores `value` under `key`, replacing what was there.
pub fn set(conn: &mut AnyConnection, key: &str, value: &str) -> Result<(), DbError> {
    super::write_transaction(conn, |conn| {
        diesel::delete(settings::table.find(key)).execute(conn)?;
        diesel::insert_into(settings::table)
            .values((
                settings::key.eq(key),
                settings::value.eq(value),
                settings::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        Ok(())
    })
}
