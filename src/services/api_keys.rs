//! API keys for other systems (12345 hotline, rating pads, the government portal).
//! A key reads `pk_<prefix>_<secret>`; the prefix finds the row, the secret is checked against
//! its SHA-256. The whole key is shown once, when it is created.

use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::db::api_keys::{self, ApiKey};
use crate::db::{AnyConnection, DbError, audit};
use crate::security;
use crate::services::accounts::Actor;

/// Scopes a key may hold.
pub const SCOPES: &[&str] = &[
    "results:read",
    "results:publish",
    "exports:read",
    "responses:read",
    "responses:contacts",
    "responses:write",
    "links:read",
    "links:write",
    "invitations:write",
];

impl From<diesel::result::Error> for ApiKeyError {
    fn from(e: diesel::result::Error) -> Self {
        ApiKeyError::Db(DbError::Query(e))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("未知的权限范围 unknown scope '{0}' (see docs/api.md for the list)")]
    UnknownScope(String),
    #[error("名称不能为空 the key needs a name")]
    NoName,
    #[error("请至少选择一个权限范围 choose at least one scope")]
    NoScope,
    #[error("没有这个密钥 no such key")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a key and returns it in full (the only time it is visible).
pub fn create(
    conn: &mut AnyConnection,
    name: &str,
    scopes: &[String],
    actor_label: &str,
) -> Result<String, ApiKeyError> {
    let actor = Actor {
        id: None,
        label: actor_label,
    };
    insert(conn, name, scopes, actor).map(|(_, key)| key)
}

/// Creates a key from the console: at least one scope, the administrator recorded as its
/// creator. Returns the key's id and the key in full (shown once).
pub fn create_by(
    conn: &mut AnyConnection,
    name: &str,
    scopes: &[String],
    actor: Actor<'_>,
) -> Result<(i64, String), ApiKeyError> {
    if name.trim().is_empty() {
        return Err(ApiKeyError::NoName);
    }
    if scopes.is_empty() {
        return Err(ApiKeyError::NoScope);
    }
    insert(conn, name, scopes, actor)
}

fn insert(
    conn: &mut AnyConnection,
    name: &str,
    scopes: &[String],
    actor: Actor<'_>,
) -> Result<(i64, String), ApiKeyError> {
    if name.trim().is_empty() {
        return Err(ApiKeyError::NoName);
    }
    if let Some(bad) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(ApiKeyError::UnknownScope(bad.clone()));
    }
    let prefix = security::random_url_token(8);
    let secret = security::random_url_token(32);
    let id = crate::db::write_transaction(conn, |conn| {
        let id = api_keys::create(
            conn,
            name.trim(),
            &prefix,
            &digest(&secret),
            &scopes.join(","),
            actor.id,
        )?;
        audit::record(
            conn,
            audit::NewEntry {
                actor_id: actor.id,
                actor_label: actor.label,
                action: "api_key.create",
                entity: "api_key",
                entity_id: id.to_string(),
                before: None,
                after: Some(serde_json::json!({ "name": name.trim(), "prefix": prefix, "scopes": scopes })),
            },
        )?;
        Ok::<_, DbError>(id)
    })?;
    Ok((id, format!("pk_{prefix}_{secret}")))
}

/// Revokes a key at once: the next request with it gets 401. Revoking a revoked key changes
/// nothing and records nothing.
pub fn revoke(conn: &mut AnyConnection, id: i64, actor: Actor<'_>) -> Result<ApiKey, ApiKeyError> {
    crate::db::write_transaction(conn, |conn| {
        let key = api_keys::find(conn, id)?.ok_or(ApiKeyError::NotFound)?;
        let now = Utc::now().naive_utc();
        if api_keys::revoke(conn, id, now)? {
            audit::record(
                conn,
                audit::NewEntry {
                    actor_id: actor.id,
                    actor_label: actor.label,
                    action: "api_key.revoke",
                    entity: "api_key",
                    entity_id: id.to_string(),
                    before: Some(
                        serde_json::json!({ "name": key.name, "prefix": key.prefix, "revoked_at": null }),
                    ),
                    after: Some(serde_json::json!({
                        "name": key.name,
                        "prefix": key.prefix,
                        "revoked_at": now.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                    })),
                },
            )?;
        }
        Ok(key)
    })
}

/// The active key matching `presented`, or `None`.
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
    api_keys::touch(conn, key.id)?;
    Ok(Some(key))
}
