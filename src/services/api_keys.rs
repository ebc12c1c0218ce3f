//! API keys for other systems (12345 hotline, rating pads, the government portal).
//! A key reads `pk_<prefix>_<secret>`; the prefix finds the row, the secret is checked against
//! its SHA-256. The whole key is shown once, when it is created.

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::db::api_keys::{self, ApiKey};
use crate::db::{AnyConnection, DbError};
use crate::domain::api_key::{ApiKeySpec, KeyProblem};
use crate::security;
use crate::services::{Audit, Ctx};

impl From<diesel::result::Error> for ApiKeyError {
    fn from(e: diesel::result::Error) -> Self {
        ApiKeyError::Db(DbError::Query(e))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error(transparent)]
    Invalid(#[from] KeyProblem),
    #[error("没有这个密钥 no such key")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Checks the name and scopes (the same rules for the console and the CLI), stores the key with
/// its audit entry, and returns the key's id and the key in full (the only time it is visible).
pub fn create(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    name: &str,
    scopes: &[String],
) -> Result<(i64, String), ApiKeyError> {
    let spec = ApiKeySpec::parse(name, scopes)?;
    let prefix = security::random_url_token(8);
    let secret = security::random_url_token(32);
    let id = crate::db::write_transaction(conn, |conn| {
        let id = api_keys::create(
            conn,
            &spec.name,
            &prefix,
            &digest(&secret),
            &spec.scopes_text(),
            ctx.actor.user_id,
            ctx.now,
        )?;
        ctx.record(
            conn,
            Audit::new("api_key.create", "api_key", id)
                .after(json!({ "name": spec.name, "prefix": prefix, "scopes": spec.scopes })),
        )?;
        Ok::<_, DbError>(id)
    })?;
    Ok((id, format!("pk_{prefix}_{secret}")))
}

/// Revokes a key at once: the next request with it gets 401. Revoking a revoked key changes
/// nothing and records nothing.
pub fn revoke(conn: &mut AnyConnection, ctx: &Ctx, id: i64) -> Result<ApiKey, ApiKeyError> {
    crate::db::write_transaction(conn, |conn| {
        let key = api_keys::find(conn, id)?.ok_or(ApiKeyError::NotFound)?;
        if api_keys::revoke(conn, id, ctx.now)? {
            ctx.record(
                conn,
                Audit::new("api_key.revoke", "api_key", id)
                    .before(json!({ "name": key.name, "prefix": key.prefix, "revoked_at": null }))
                    .after(json!({
                        "name": key.name,
                        "prefix": key.prefix,
                        "revoked_at": ctx.now.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                    })),
            )?;
        }
        Ok(key)
    })
}

/// How stale a key's "last used" may be: it is written at most once in this many seconds.
pub const LAST_USED_GRAIN_SECS: i64 = 60;

/// The active key matching `presented`, or `None`; marks it used (to the minute).
pub fn authenticate(conn: &mut AnyConnection, presented: &str) -> Result<Option<ApiKey>, DbError> {
    let Some((prefix, secret)) = presented
        .strip_prefix("pk_")
        .and_then(|rest| rest.split_once('_'))
    else {
        return Ok(None);
    };
    let Some(key) = api_keys::find_by_prefix(conn, prefix)? else {
        return Ok(None);
    };
    let expected = digest(secret);
    let matches = security::constant_time_eq(expected.as_bytes(), key.key_hash.as_bytes());
    if !matches || key.revoked_at.is_some() {
        return Ok(None);
    }
    // "Last used" to the minute: a write per request would be a commit (and, on SQLite, an
    // fsync and the write lock) in front of every API call, submissions included.
    let now = chrono::Utc::now().naive_utc();
    if key
        .last_used_at
        .is_none_or(|at| now - at >= chrono::Duration::seconds(LAST_USED_GRAIN_SECS) || at > now)
    {
        api_keys::touch(conn, key.id, now)?;
    }
    Ok(Some(key))
}
