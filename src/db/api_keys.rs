//! API keys for other systems. Only a SHA-256 of the secret part is stored.

use chrono::{NaiveDateTime, Utc};
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
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(api_keys::table)
        .values((
            api_keys::name.eq(name),
            api_keys::prefix.eq(prefix),
            api_keys::key_hash.eq(key_hash),
            api_keys::scopes.eq(scopes),
            api_keys::created_by.eq(created_by),
            api_keys::created_at.eq(Utc::now().naive_utc()),
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

pub fn touch(conn: &mut AnyConnection, id: i64) -> Result<(), DbError> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::last_used_at.eq(Utc::now().naive_utc()))
        .execute(conn)?;
    Ok(())
}
