//! The audit log: who did what to which record, with the state before and after.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::audit_log;
use super::{AnyConnection, DbError};

/// One entry to record. `actor_label` names the actor even when it is not a user
/// (the CLI, the scheduler, an API key).
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// When it happened (UTC), as the use case's context says.
    pub at: NaiveDateTime,
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
            audit_log::at.eq(entry.at),
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

/// What the console's audit page narrows the log to; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Part of the actor's label (case-insensitive for Latin letters).
    pub actor: Option<String>,
    /// An action (`user.update`), or a prefix of actions ending in `.` (`user.`).
    pub action: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// From this UTC instant (inclusive).
    pub from: Option<NaiveDateTime>,
    /// Until this UTC instant (exclusive).
    pub until: Option<NaiveDateTime>,
}

diesel::define_sql_function! {
    /// `lower(text)`, the same on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// `text` with LIKE's wildcards (and the escape character `\`) escaped.
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One page of entries matching `filter`, by time (newest first unless `oldest_first`), and the
/// number of all that match.
pub fn search(
    conn: &mut AnyConnection,
    filter: &Filter,
    oldest_first: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Entry>, i64), DbError> {
    let filtered = || {
        let mut q = audit_log::table.into_boxed::<crate::db::MultiBackend>();
        if let Some(actor) = &filter.actor {
            let pattern = format!("%{}%", like_literal(&actor.to_lowercase()));
            q = q.filter(lower(audit_log::actor_label).like(pattern).escape('\\'));
        }
        if let Some(action) = &filter.action {
            q = if action.ends_with('.') {
                q.filter(
                    audit_log::action
                        .like(format!("{}%", like_literal(action)))
                        .escape('\\'),
                )
            } else {
                q.filter(audit_log::action.eq(action.clone()))
            };
        }
        if let Some(entity) = &filter.entity {
            q = q.filter(audit_log::entity.eq(entity.clone()));
        }
        if let Some(entity_id) = &filter.entity_id {
            q = q.filter(audit_log::entity_id.eq(entity_id.clone()));
        }
        if let Some(from) = filter.from {
            q = q.filter(audit_log::at.ge(from));
        }
        if let Some(until) = filter.until {
            q = q.filter(audit_log::at.lt(until));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let q = if oldest_first {
        filtered().order((audit_log::at.asc(), audit_log::id.asc()))
    } else {
        filtered().order((audit_log::at.desc(), audit_log::id.desc()))
    };
    let rows = q
        .offset(offset)
        .limit(limit)
        .select(Entry::as_select())
        .load(conn)?;
    Ok((rows, total))
}

#[cfg(test)]
mod tests {
    use super::like_literal;

    #[test]
    fn like_wildcards_are_taken_literally() {
        assert_eq!(like_literal("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(like_literal("张三"), "张三");
    }
}
