//! API keys for other systems. Only a SHA-256 of the secret part is stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::api_keys;
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub scopes: String,
    pub department_id: Option<i64>,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

impl ApiKey {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.split(',').any(|s| s.trim() == scope)
    }
}

pub fn create(
    conn: &mut AnyConnection,
    name: &str,
    prefix: &str,
    key_hash: &str,
    scopes: &str,
    created_by: Option<i64>,
    created_at: NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(api_keys::table)
        .values((
            api_keys::name.eq(name),
            api_keys::prefix.eq(prefix),
            api_keys::key_hash.eq(key_hash),
            api_keys::scopes.eq(scopes),
            api_keys::created_by.eq(created_by),
            api_keys::created_at.eq(created_at),
        ))
        .returning(api_keys::id)
        .get_result(conn)?)
}

pub fn find_by_prefix(conn: &mut AnyConnection, prefix: &str) -> Result<Option<ApiKey>, DbError> {
    Ok(api_keys::table
        .filter(api_keys::prefix.eq(prefix))
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?)
}

pub fn touch(conn: &mut AnyConnection, id: i64, now: NaiveDateTime) -> Result<(), DbError> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::last_used_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<ApiKey>, DbError> {
    Ok(api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?)
}

/// A key as the console lists it (no hash).
#[derive(Debug, Clone, Queryable)]
pub struct ListedKey {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub department_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Columns the key list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Name,
    Created,
    LastUsed,
}

/// One page of keys (`revoked`: `Some(false)` only usable ones, `Some(true)` only revoked ones)
/// and the number of all that match.
pub fn list(
    conn: &mut AnyConnection,
    revoked: Option<bool>,
    sort: SortBy,
    descending: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<ListedKey>, i64), DbError> {
    let filtered = || {
        let q = api_keys::table.into_boxed::<crate::db::MultiBackend>();
        match revoked {
            Some(true) => q.filter(api_keys::revoked_at.is_not_null()),
            Some(false) => q.filter(api_keys::revoked_at.is_null()),
            None => q,
        }
    };
    let total = filtered().count().get_result(conn)?;
    let q = match (sort, descending) {
        (SortBy::Name, false) => filtered().order(api_keys::name.asc()),
        (SortBy::Name, true) => filtered().order(api_keys::name.desc()),
        (SortBy::Created, false) => filtered().order(api_keys::created_at.asc()),
        (SortBy::Created, true) => filtered().order(api_keys::created_at.desc()),
        // Keys never used come last either way, on both backends.
        (SortBy::LastUsed, false) => {
            filtered().order((api_keys::last_used_at.is_null(), api_keys::last_used_at.asc()))
        }
        (SortBy::LastUsed, true) => {
            filtered().order((api_keys::last_used_at.is_null(), api_keys::last_used_at.desc()))
        }
    };
    let rows = q
        .then_order_by(api_keys::id.desc())
        .offset(offset)
        .limit(limit)
        .select((
            api_keys::id,
            api_keys::name,
            api_keys::prefix,
            api_keys::scopes,
            api_keys::department_id,
            api_keys::created_at,
            api_keys::last_used_at,
            api_keys::revoked_at,
        ))
        .load(conn)?;
    Ok((rows, total))
}

/// Marks the key revoked now; a key already revoked keeps its first revocation time.
/// Returns whether this call revoked it.
pub fn revoke(conn: &mut AnyConnection, id: i64, at: NaiveDateTime) -> Result<bool, DbError> {
    let changed = diesel::update(api_keys::table.find(id).filter(api_keys::revoked_at.is_null()))
        .set(api_keys::revoked_at.eq(at))
        .execute(conn)?;
    Ok(changed > 0)
}
