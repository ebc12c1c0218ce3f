//! Generated files kept for download (e.g. each month's scoring sheet).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::stored_exports;
use super::{AnyConnection, DbError};

pub struct NewExport<'a> {
    pub kind: &'a str,
    pub period_id: Option<i64>,
    pub snapshot_id: Option<i64>,
    pub job_run_id: Option<i64>,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
}

pub fn store(conn: &mut AnyConnection, new: NewExport<'_>, now: NaiveDateTime) -> Result<i64, DbError> {
    Ok(diesel::insert_into(stored_exports::table)
        .values((
            stored_exports::kind.eq(new.kind),
            stored_exports::period_id.eq(new.period_id),
            stored_exports::snapshot_id.eq(new.snapshot_id),
            stored_exports::job_run_id.eq(new.job_run_id),
            stored_exports::filename.eq(new.filename),
            stored_exports::content_type.eq(new.content_type),
            stored_exports::content.eq(new.content),
            stored_exports::created_at.eq(now),
        ))
        .returning(stored_exports::id)
        .get_result(conn)?)
}

/// (id, kind, filename, size, created_at), newest first.
pub fn recent(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<(i64, String, String, NaiveDateTime)>, DbError> {
    Ok(stored_exports::table
        .order(stored_exports::id.desc())
        .limit(limit)
        .select((
            stored_exports::id,
            stored_exports::kind,
            stored_exports::filename,
            stored_exports::created_at,
        ))
        .load(conn)?)
}

/// A stored file: (file name, content type, bytes).
pub fn content(conn: &mut AnyConnection, id: i64) -> Result<Option<(String, String, Vec<u8>)>, DbError> {
    Ok(stored_exports::table
        .find(id)
        .select((
            stored_exports::filename,
            stored_exports::content_type,
            stored_exports::content,
        ))
        .first(conn)
        .optional()?)
}
