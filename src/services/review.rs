//! The review queue's decisions: accept or reject responses (one or many), keeping the tallies
//! in step and auditing each change.

use diesel::prelude::*;
use serde_json::json;

use crate::db::responses::{self, StatusChange};
use crate::db::schema::responses as r;
use crate::db::{AnyConnection, DbError};
use crate::domain::review::Decision;
use crate::services::{Audit, Ctx, cases};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reviewed {
    pub changed: usize,
    /// Already in the decided state, or no longer there.
    pub unchanged: usize,
}

/// Applies `decision` to each response in `ids`, all in one transaction.
pub fn decide(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    ids: &[i64],
    decision: Decision,
    reason: Option<&str>,
) -> Result<Reviewed, DbError> {
    let (tz, now) = (ctx.tz, ctx.now);
    crate::db::write_transaction(conn, |conn| {
        let mut done = Reviewed {
            changed: 0,
            unchanged: 0,
        };
        for &id in ids {
            // Read under a row lock (PostgreSQL; SQLite's write transaction holds the only
            // write lock): of two decisions at once, the second waits and then finds the state
            // already decided, so it changes nothing and audits nothing.
            let query = r::table.find(id).select((r::status, r::excluded, r::review_note));
            let current: Option<(String, bool, Option<String>)> = match conn {
                AnyConnection::Postgresql(c) => query.for_update().first(c).optional()?,
                AnyConnection::Sqlite(c) => query.first(c).optional()?,
            };
            let Some((status, excluded, note)) = current else {
                done.unchanged += 1;
                continue;
            };
            if status == decision.status().as_str() {
                done.unchanged += 1;
                continue;
            }
            let change = StatusChange {
                status: decision.status(),
                excluded,
                reviewed_by: ctx.actor.user_id,
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
                    cases::cancel_for_response(
                        conn,
                        ctx,
                        id,
                        reason.unwrap_or("评价被剔除 rating rejected"),
                    )?;
                }
            }
            ctx.record(
                conn,
                Audit::new(decision.action(), "response", id)
                    .before(json!({ "status": status, "note": note }))
                    .after(json!({ "status": decision.status(), "note": reason })),
            )?;
            done.changed += 1;
        }
        Ok(done)
    })
}
