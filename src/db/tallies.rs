//! Running totals of counted responses and rating answers (see docs/scoring.md, "How counts are
//! kept"). A response counts while it is `valid` and not excluded by an upheld appeal; every change
//! of that is applied here in the same transaction as the change itself.

use std::collections::HashMap;

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::upsert::excluded;

use super::schema::{rating_tallies, response_tallies};
use super::{AnyConnection, DbError};
use crate::per_backend;

/// Key of one rating tally: department, indicator, local day, channel, group, level.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RatingKey {
    pub department_id: i64,
    pub indicator_id: i64,
    pub day: String,
    pub channel: String,
    pub group: String,
    pub level: i32,
}

/// Key of one response tally: department, local day, channel, group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResponseKey {
    pub department_id: i64,
    pub day: String,
    pub channel: String,
    pub group: String,
}

/// Changes to apply, accumulated (e.g. over a batch of responses) and written in one go.
#[derive(Debug, Default)]
pub struct TallyDelta {
    pub ratings: HashMap<RatingKey, i32>,
    pub responses: HashMap<ResponseKey, i32>,
}

impl TallyDelta {
    pub fn is_empty(&self) -> bool {
        self.ratings.values().all(|n| *n == 0) && self.responses.values().all(|n| *n == 0)
    }
}

/// Adds the deltas to the tallies (upserts; negative deltas for responses that stop counting).
pub fn apply(conn: &mut AnyConnection, delta: &TallyDelta) -> Result<(), DbError> {
    let mut ratings: Vec<_> = delta.ratings.iter().filter(|(_, n)| **n != 0).collect();
    ratings.sort();
    for (k, n) in ratings {
        let row = (
            rating_tallies::department_id.eq(k.department_id),
            rating_tallies::indicator_id.eq(k.indicator_id),
            rating_tallies::day.eq(&k.day),
            rating_tallies::channel.eq(&k.channel),
            rating_tallies::respondent_group.eq(&k.group),
            rating_tallies::level.eq(k.level),
            rating_tallies::n.eq(*n),
        );
        per_backend!(conn, |c| diesel::insert_into(rating_tallies::table)
            .values(row)
            .on_conflict((
                rating_tallies::department_id,
                rating_tallies::indicator_id,
                rating_tallies::day,
                rating_tallies::channel,
                rating_tallies::respondent_group,
                rating_tallies::level,
            ))
            .do_update()
            .set(rating_tallies::n.eq(rating_tallies::n + excluded(rating_tallies::n)))
            .execute(c))?;
    }
    let mut responses: Vec<_> = delta.responses.iter().filter(|(_, n)| **n != 0).collect();
    responses.sort();
    for (k, n) in responses {
        let row = (
            response_tallies::department_id.eq(k.department_id),
            response_tallies::day.eq(&k.day),
            response_tallies::channel.eq(&k.channel),
            response_tallies::respondent_group.eq(&k.group),
            response_tallies::n.eq(*n),
        );
        per_backend!(conn, |c| diesel::insert_into(response_tallies::table)
            .values(row)
            .on_conflict((
                response_tallies::department_id,
                response_tallies::day,
                response_tallies::channel,
                response_tallies::respondent_group,
            ))
            .do_update()
            .set(response_tallies::n.eq(response_tallies::n + excluded(response_tallies::n)))
            .execute(c))?;
    }
    Ok(())
}

/// Rating answers of counted responses, summed over a range of days.
#[derive(Debug, Clone, Queryable)]
pub struct RatingCount {
    pub department_id: i64,
    pub group: String,
    pub channel: String,
    pub indicator_id: i64,
    pub level: i32,
    pub n: i64,
}

/// Counted responses, summed over a range of days.
#[derive(Debug, Clone, Queryable)]
pub struct ResponseCount {
    pub department_id: i64,
    pub group: String,
    pub channel: String,
    pub n: i64,
}

/// Rating answers of counted responses for local days `first..=last`.
pub fn ratings_between(
    conn: &mut AnyConnection,
    first: &str,
    last: &str,
) -> Result<Vec<RatingCount>, DbError> {
    Ok(rating_tallies::table
        .filter(rating_tallies::day.ge(first).and(rating_tallies::day.le(last)))
        .group_by((
            rating_tallies::department_id,
            rating_tallies::respondent_group,
            rating_tallies::channel,
            rating_tallies::indicator_id,
            rating_tallies::level,
        ))
        .select((
            rating_tallies::department_id,
            rating_tallies::respondent_group,
            rating_tallies::channel,
            rating_tallies::indicator_id,
            rating_tallies::level,
            sql::<BigInt>("COALESCE(SUM(n), 0)"),
        ))
        .load(conn)?)
}

/// Counted responses for local days `first..=last`.
pub fn responses_between(
    conn: &mut AnyConnection,
    first: &str,
    last: &str,
) -> Result<Vec<ResponseCount>, DbError> {
    Ok(response_tallies::table
        .filter(
            response_tallies::day
                .ge(first)
                .and(response_tallies::day.le(last)),
        )
        .group_by((
            response_tallies::department_id,
            response_tallies::respondent_group,
            response_tallies::channel,
        ))
        .select((
            response_tallies::department_id,
            response_tallies::respondent_group,
            response_tallies::channel,
            sql::<BigInt>("COALESCE(SUM(n), 0)"),
        ))
        .load(conn)?)
}
