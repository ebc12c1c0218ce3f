//! Periods and the frozen result snapshots published for them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{periods, result_snapshots};
use super::{AnyConnection, DbError};
use crate::domain::period::Period;

/// The stored row of a period, created the first time the period is published.
pub fn get_or_create(
    conn: &mut AnyConnection,
    period: &Period,
    tz: chrono_tz::Tz,
    now: NaiveDateTime,
) -> Result<i64, DbError> {
    let label = period.to_string();
    let find = |conn: &mut AnyConnection| {
        periods::table
            .filter(periods::kind.eq(period.kind.as_str()))
            .filter(periods::label.eq(&label))
            .select(periods::id)
            .first::<i64>(conn)
            .optional()
    };
    if let Some(id) = find(conn)? {
        return Ok(id);
    }
    let (start, end) = period.utc_bounds(tz);
    let inserted = diesel::insert_into(periods::table)
        .values((
            periods::kind.eq(period.kind.as_str()),
            periods::label.eq(&label),
            periods::starts_at.eq(start),
            periods::ends_at.eq(end),
            periods::time_zone.eq(tz.name()),
            periods::created_at.eq(now),
        ))
        .returning(periods::id)
        .get_result(conn)
        .map_err(DbError::from);
    match inserted {
        Ok(id) => Ok(id),
        // Another node created it first.
        Err(e) if e.is_unique_violation() => find(conn)?.ok_or(e),
        Err(e) => Err(e),
    }
}

pub fn find(conn: &mut AnyConnection, period: &Period) -> Result<Option<i64>, DbError> {
    Ok(periods::table
        .filter(periods::kind.eq(period.kind.as_str()))
        .filter(periods::label.eq(period.to_string()))
        .select(periods::id)
        .first(conn)
        .optional()?)
}

/// A snapshot without its (large) bodies.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = result_snapshots)]
#[diesel(check_for_backend(crate::db::MultiBackend))]
pub struct SnapshotMeta {
    pub id: i64,
    pub version: i32,
    pub scheme_version_id: i64,
    pub checksum: String,
    pub note: String,
    pub published_by: Option<i64>,
    pub published_at: NaiveDateTime,
    /// Shown to the public (公示) at `/results`; the office sets it when publishing or later.
    pub public: bool,
}

pub struct NewSnapshot<'a> {
    pub period_id: i64,
    pub scheme_version_id: i64,
    pub counts: &'a str,
    pub results: &'a str,
    pub checksum: &'a str,
    pub note: &'a str,
    pub published_by: Option<i64>,
    /// The use case's instant, the same as its audit entry's.
    pub published_at: NaiveDateTime,
    pub public: bool,
}

/// Stores the next version of the period's snapshot. Earlier versions are never touched.
pub fn insert_snapshot(conn: &mut AnyConnection, new: NewSnapshot<'_>) -> Result<SnapshotMeta, DbError> {
    let last: Option<i32> = result_snapshots::table
        .filter(result_snapshots::period_id.eq(new.period_id))
        .select(diesel::dsl::max(result_snapshots::version))
        .first(conn)?;
    Ok(diesel::insert_into(result_snapshots::table)
        .values((
            result_snapshots::period_id.eq(new.period_id),
            result_snapshots::version.eq(last.unwrap_or(0) + 1),
            result_snapshots::scheme_version_id.eq(new.scheme_version_id),
            result_snapshots::counts.eq(new.counts),
            result_snapshots::results.eq(new.results),
            result_snapshots::checksum.eq(new.checksum),
            result_snapshots::note.eq(new.note),
            result_snapshots::published_by.eq(new.published_by),
            result_snapshots::published_at.eq(new.published_at),
            result_snapshots::public.eq(new.public),
        ))
        .returning(META_COLUMNS)
        .get_result(conn)?)
}

/// `SnapshotMeta`'s columns, for `RETURNING` (`as_returning` does not work on `MultiConnection`).
const META_COLUMNS: (
    result_snapshots::id,
    result_snapshots::version,
    result_snapshots::scheme_version_id,
    result_snapshots::checksum,
    result_snapshots::note,
    result_snapshots::published_by,
    result_snapshots::published_at,
    result_snapshots::public,
) = (
    result_snapshots::id,
    result_snapshots::version,
    result_snapshots::scheme_version_id,
    result_snapshots::checksum,
    result_snapshots::note,
    result_snapshots::published_by,
    result_snapshots::published_at,
    result_snapshots::public,
);

/// Shows a version to the public or withdraws it; the row after the change.
pub fn set_public(conn: &mut AnyConnection, snapshot_id: i64, public: bool) -> Result<SnapshotMeta, DbError> {
    Ok(
        diesel::update(result_snapshots::table.filter(result_snapshots::id.eq(snapshot_id)))
            .set(result_snapshots::public.eq(public))
            .returning(META_COLUMNS)
            .get_result(conn)?,
    )
}

/// A version shown to the public, without its bodies.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct PublicVersion {
    pub kind: String,
    pub label: String,
    pub version: i32,
    pub checksum: String,
    pub published_at: NaiveDateTime,
}

/// Every version currently shown to the public, newest period first, then newest version
/// first. One small indexed query: the public pages read it to learn what they may show.
pub fn public_versions(conn: &mut AnyConnection) -> Result<Vec<PublicVersion>, DbError> {
    Ok(result_snapshots::table
        .inner_join(periods::table)
        .filter(result_snapshots::public.eq(true))
        .order((
            periods::starts_at.desc(),
            periods::ends_at.desc(),
            periods::label.desc(),
            result_snapshots::version.desc(),
        ))
        .select((
            periods::kind,
            periods::label,
            result_snapshots::version,
            result_snapshots::checksum,
            result_snapshots::published_at,
        ))
        .load(conn)?)
}

pub fn snapshots(conn: &mut AnyConnection, period_id: i64) -> Result<Vec<SnapshotMeta>, DbError> {
    Ok(result_snapshots::table
        .filter(result_snapshots::period_id.eq(period_id))
        .order(result_snapshots::version)
        .select(SnapshotMeta::as_select())
        .load(conn)?)
}

/// A snapshot's metadata and its results JSON.
pub fn snapshot(
    conn: &mut AnyConnection,
    period_id: i64,
    version: i32,
) -> Result<Option<(SnapshotMeta, String)>, DbError> {
    Ok(result_snapshots::table
        .filter(result_snapshots::period_id.eq(period_id))
        .filter(result_snapshots::version.eq(version))
        .select((SnapshotMeta::as_select(), result_snapshots::results))
        .first(conn)
        .optional()?)
}

/// Published periods, newest first: (label, versions, last published at).
pub fn published(conn: &mut AnyConnection) -> Result<Vec<(String, i64, NaiveDateTime)>, DbError> {
    Ok(result_snapshots::table
        .inner_join(periods::table)
        .group_by(periods::label)
        .select((
            periods::label,
            diesel::dsl::count(result_snapshots::id),
            diesel::dsl::max(result_snapshots::published_at).assume_not_null(),
        ))
        .order(diesel::dsl::max(result_snapshots::published_at).desc())
        .load(conn)?)
}
