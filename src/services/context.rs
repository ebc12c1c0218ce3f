//! What every use case is given besides its input: who acts, the moment it acts at and the
//! deployment's time zone. The console, the API and the CLI each build one `Ctx` at their edge
//! and hand it to the same service, so a rule never depends on the entry point.

use chrono::{NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use crate::db::{AnyConnection, DbError, audit};

/// Who acts, as the audit log records it: a signed-in user, or a named system actor (the CLI,
/// the scheduler, an API key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub label: String,
}

impl Actor {
    /// A console user; `label` is how the audit log names them.
    pub fn user(id: i64, label: impl Into<String>) -> Self {
        Self {
            user_id: Some(id),
            label: label.into(),
        }
    }

    /// An actor that is not a user: `cli`, `system`, `api-key:门户网站`.
    pub fn system(label: impl Into<String>) -> Self {
        Self {
            user_id: None,
            label: label.into(),
        }
    }
}

/// The context of one use case.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    /// The instant (UTC) the use case acts at: stored times and audit entries use it, so one
    /// change never straddles two clock readings.
    pub now: NaiveDateTime,
    pub tz: Tz,
}

/// One change for the audit log: what was done to which record, before and after.
#[derive(Debug, Clone)]
pub struct Audit<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl<'a> Audit<'a> {
    /// `action` done to `entity` `id`, with no states yet.
    pub fn new(action: &'a str, entity: &'a str, id: impl ToString) -> Self {
        Self {
            action,
            entity,
            entity_id: id.to_string(),
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, state: Value) -> Self {
        self.before = Some(state);
        self
    }

    pub fn after(mut self, state: Value) -> Self {
        self.after = Some(state);
        self
    }

    /// A state before that may not exist (a first version has none).
    pub fn before_opt(mut self, state: Option<Value>) -> Self {
        self.before = state;
        self
    }
}

impl Ctx {
    /// A context acting now.
    pub fn new(actor: Actor, tz: Tz) -> Self {
        Self::at(actor, tz, Utc::now().naive_utc())
    }

    pub fn at(actor: Actor, tz: Tz, now: NaiveDateTime) -> Self {
        Self { actor, now, tz }
    }

    /// Records `change` as done by this context's actor at its instant. Call it inside the
    /// transaction that makes the change, so the two commit together.
    pub fn record(&self, conn: &mut AnyConnection, change: Audit<'_>) -> Result<(), DbError> {
        audit::record(
            conn,
            audit::NewEntry {
                at: self.now,
                actor_id: self.actor.user_id,
                actor_label: &self.actor.label,
                action: change.action,
                entity: change.entity,
                entity_id: change.entity_id,
                before: change.before,
                after: change.after,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_carries_its_states() {
        let c = Audit::new("link.create", "link", 7)
            .before(serde_json::json!({ "a": 1 }))
            .after(serde_json::json!({ "a": 2 }));
        assert_eq!(
            (c.action, c.entity, c.entity_id.as_str()),
            ("link.create", "link", "7")
        );
        assert_eq!(c.before, Some(serde_json::json!({ "a": 1 })));
        assert_eq!(c.after, Some(serde_json::json!({ "a": 2 })));
        assert_eq!(Actor::system("cli").user_id, None);
        assert_eq!(Actor::user(3, "张三").user_id, Some(3));
    }
}
