//! The audit log: who did what to which record, with the state before and after.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::audit_log;
use super::{AnyConnection, DbError};

/// One entry to record. `actor_label` names the actor even when it is not a user
/// (the CLI, the scheduler, an API key).
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub actor_id: Option<i64>,
    pub actor_label: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct Entry {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
}

pub fn record(conn: &mut AnyConnection, entry: NewEntry<'_>) -> Result<(), DbError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(Utc::now().naive_utc()),
            audit_log::actor_id.eq(entry.actor_id),
            audit_log::actor_label.eq(entry.actor_label),
            audit_log::action.eq(entry.action),
            audit_log::entity.eq(entry.entity),
            audit_log::entity_id.eq(&entry.entity_id),
            audit_log::before_state.eq(entry.before.map(|v| v.to_string())),
            audit_log::after_state.eq(entry.after.map(|v| v.to_string())),
        ))
        .execute(conn)?;
    Ok(())
}

/// The newest entries first.
pub fn recent(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Entry>, DbError> {
    Ok(audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .select(Entry::as_select())
        .load(conn)?)
}
