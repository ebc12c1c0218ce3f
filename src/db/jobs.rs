//! Scheduled job runs, claimed through `UNIQUE (job, run_key)` so that a run happens once
//! across every node sharing the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::job_runs;
use super::{AnyConnection, DbError};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = job_runs)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct JobRun {
    pub id: i64,
    pub job: String,
    pub run_key: String,
    pub status: String,
    pub node: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub detail: String,
}

/// Claims run `key` of `job` for `node`. A run that failed before `retry_failed_before`, or that
/// has been "running" since before `stale_before` (its node died), may be claimed again.
/// Returns the run id when this node got it.
pub fn claim(
    conn: &mut AnyConnection,
    job: &str,
    key: &str,
    node: &str,
    now: NaiveDateTime,
    retry_failed_before: NaiveDateTime,
    stale_before: NaiveDateTime,
) -> Result<Option<i64>, DbError> {
    let inserted = diesel::insert_into(job_runs::table)
        .values((
            job_runs::job.eq(job),
            job_runs::run_key.eq(key),
            job_runs::status.eq("running"),
            job_runs::node.eq(node),
            job_runs::started_at.eq(now),
            job_runs::detail.eq(""),
        ))
        .returning(job_runs::id)
        .get_result::<i64>(conn)
        .map_err(DbError::from);
    match inserted {
        Ok(id) => Ok(Some(id)),
        Err(e) if e.is_unique_violation() => {
            let retaken = diesel::update(
                job_runs::table
                    .filter(job_runs::job.eq(job))
                    .filter(job_runs::run_key.eq(key))
                    .filter(
                        (job_runs::status
                            .eq("failed")
                            .and(job_runs::finished_at.lt(retry_failed_before)))
                        .or(job_runs::status
                            .eq("running")
                            .and(job_runs::started_at.lt(stale_before))),
                    ),
            )
            .set((
                job_runs::status.eq("running"),
                job_runs::node.eq(node),
                job_runs::started_at.eq(now),
                job_runs::finished_at.eq(None::<NaiveDateTime>),
            ))
            .returning(job_runs::id)
            .get_result::<i64>(conn)
            .optional()?;
            Ok(retaken)
        }
        Err(e) => Err(e),
    }
}

pub fn finish(
    conn: &mut AnyConnection,
    id: i64,
    ok: bool,
    detail: &str,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(job_runs::table.find(id))
        .set((
            job_runs::status.eq(if ok { "succeeded" } else { "failed" }),
            job_runs::finished_at.eq(now),
            job_runs::detail.eq(detail),
        ))
        .execute(conn)?;
    Ok(())
}

/// The newest runs first.
pub fn recent(conn: &mut AnyConnection, limit: i64) -> Result<Vec<JobRun>, DbError> {
    Ok(job_runs::table
        .order(job_runs::id.desc())
        .limit(limit)
        .select(JobRun::as_select())
        .load(conn)?)
}
