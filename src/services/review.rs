//! The review queue's decisions: accept or reject responses (one or many), keeping the tallies
//! in step and auditing each change.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::prelude::*;
use serde_json::json;

use crate::db::responses::{self, StatusChange};
use crate::db::schema::responses as r;
use crate::db::{AnyConnection, DbError, audit};
use crate::domain::review::Decision;
use crate::services::cases;

/// Who decides, as the audit log records it.
pub struct Reviewer<'a> {
    pub id: i64,
    pub label: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reviewed {
    pub changed: usize,
    /// Already in the decided state, or no longer there.
    pub unchanged: usize,
}

/// Applies `decision` to each response in `ids`, all in one transaction.
pub fn decide(
    conn: &mut AnyConnection,
    tz: Tz,
    ids: &[i64],
    decision: Decision,
    reason: Option<&str>,
    reviewer: &Reviewer<'_>,
    now: NaiveDateTime,
) -> Result<Reviewed, DbError> {
    crate::db::write_transaction(conn, |conn| {
        let mut done = Reviewed {
            changed: 0,
            unchanged: 0,
        };
        for &id in ids {
            let current: Option<(String, bool, Option<String>)> = r::table
                .find(id)
                .select((r::status, r::excluded, r::review_note))
                .first(conn)
                .optional()?;
            let Some((status, excluded, note)) = current else {
                done.unchanged += 1;
                continue;
            };
            if status == decision.status() {
                done.unchanged += 1;
                continue;
            }
            let change = StatusChange {
                status: decision.status(),
                excluded,
                reviewed_by: Some(reviewer.id),
                reviewed_at: now,
                note: reason,
            };
            responses::set_status(conn, tz, id, &change)?;
            // An accepted rating may open a case now; a rejected one closes its case.
            match decision {
                Decision::Accept => {
                    cases::open_for_response(conn, tz, id, None, now)?;
                }
                Decision::Reject => {
                    let actor = cases::Actor {
                        id: reviewer.id,
                        label: reviewer.label,
                    };
                    cases::cancel_for_response(
                        conn,
                        id,
                        reason.unwrap_or("评价被剔除 rating rejected"),
                        &actor,
                        now,
                    )?;
                }
            }
            audit::record(
                conn,
                audit::NewEntry {
                    actor_id: Some(reviewer.id),
                    actor_label: reviewer.label,
                    action: match decision {
                        Decision::Accept => "response.accept",
                        Decision::Reject => "response.reject",
                    },
                    entity: "response",
                    entity_id: id.to_string(),
                    before: Some(json!({ "status": status, "note": note })),
                    after: Some(json!({ "status": decision.status(), "note": reason })),
                },
            )?;
            done.changed += 1;
        }
        Ok(done)
    })
}
