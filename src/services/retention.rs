//! Retention: the personal details on responses are removed once they have been kept as long
//! as the settings allow (see `config::Retention` and docs/deployment.md). Run by every node's
//! worker; the removals are idempotent, so two nodes purging at once clear each row once.
//! Scores are unaffected: ratings and tallies stay.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use super::context::{Audit, Ctx};
use crate::config::Retention;
use crate::db::{self, AnyConnection, DbError, retention};

/// Rows of each kind cleared in one transaction; the rest wait for the next run.
pub const BATCH: i64 = 5_000;

/// What one purge removed (counts only: the audit log never holds the removed contents).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub comments: usize,
    pub client_hashes: usize,
    pub contacts: usize,
}

impl Purged {
    pub fn is_empty(&self) -> bool {
        self.comments + self.client_hashes + self.contacts == 0
    }
}

/// The first instant still kept when details are kept `days` days: older ones are purged.
pub fn cutoff(now: NaiveDateTime, days: Option<u32>) -> Option<NaiveDateTime> {
    days.map(|d| now - Duration::days(i64::from(d)))
}

/// Removes at most [`BATCH`] rows of each kind that are past their retention, in one
/// transaction with an audit entry `retention.purge` giving the counts and cutoffs.
/// Nothing is written (not even the audit entry) when nothing was due.
pub fn purge(conn: &mut AnyConnection, ctx: &Ctx, policy: &Retention) -> Result<Purged, DbError> {
    let comments = cutoff(ctx.now, policy.comments_days);
    let hashes = cutoff(ctx.now, policy.client_hash_days);
    let contacts = cutoff(ctx.now, policy.contact_days);
    db::write_transaction(conn, |conn| {
        let purged = Purged {
            comments: match comments {
                Some(c) => retention::purge_comments(conn, c, BATCH)?,
                None => 0,
            },
            client_hashes: match hashes {
                Some(c) => retention::purge_client_hashes(conn, c, BATCH)?,
                None => 0,
            },
            contacts: match contacts {
                Some(c) => retention::purge_contacts(conn, c, BATCH)?,
                None => 0,
            },
        };
        if !purged.is_empty() {
            ctx.record(
                conn,
                Audit::new("retention.purge", "response", "").after(json!({
                    "comments": purged.comments,
                    "client_hashes": purged.client_hashes,
                    "contacts": purged.contacts,
                    "comments_before": comments,
                    "client_hashes_before": hashes,
                    "contacts_before": contacts,
                })),
            )?;
        }
        Ok(purged)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_the_given_days_before_now_and_none_keeps_everything() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 12, 4)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        assert_eq!(
            cutoff(now, Some(90)),
            Some(
                chrono::NaiveDate::from_ymd_opt(2026, 9, 5)
                    .unwrap()
                    .and_hms_opt(9, 0, 0)
                    .unwrap()
            )
        );
        assert_eq!(cutoff(now, None), None);
    }
}
