//! API keys for other systems (12345 hotline, rating pads, the government portal).
//! A key reads `pk_<prefix>_<secret>`; the prefix finds the row, the secret is checked against
//! its SHA-256. The whole key is shown once, when it is created.

use sha2::{Digest, Sha256};

use crate::db::api_keys::{self, ApiKey};
use crate::db::{AnyConnection, DbError, audit};
use crate::security;

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

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("未知的权限范围 unknown scope '{0}' (see docs/api.md for the list)")]
    UnknownScope(String),
    #[error("名称不能为空 the key needs a name")]
    NoName,
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
    if name.trim().is_empty() {
        return Err(ApiKeyError::NoName);
    }
    if let Some(bad) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(ApiKeyError::UnknownScope(bad.clone()));
    }
    let prefix = security::random_url_token(8);
    let secret = security::random_url_token(32);
    let id = api_keys::create(
        conn,
        name.trim(),
        &prefix,
        &digest(&secret),
        &scopes.join(","),
        None,
    )?;
    audit::record(
        conn,
        audit::NewEntry {
            actor_id: None,
            actor_label,
            action: "api_key.create",
            entity: "api_key",
            entity_id: id.to_string(),
            before: None,
            after: Some(serde_json::json!({ "name": name, "prefix": prefix, "scopes": scopes })),
        },
    )?;
    Ok(format!("pk_{prefix}_{secret}"))
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
