//! 考核方案 and their versions. Every saved change is a new version; a version used by a
//! published snapshot is marked `in_use` and is never altered.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{scheme_indicators, scheme_versions, schemes};
use super::{AnyConnection, DbError};
use crate::domain::scoring::{Basis, GradeBands, Group, Scheme, SchemeIndicator, Shrinkage};

/// A scheme version as stored, with its parameters as the scoring module takes them.
#[derive(Debug, Clone, Serialize)]
pub struct StoredScheme {
    pub scheme_id: i64,
    pub code: String,
    pub name: String,
    pub version: i32,
    pub version_id: i64,
    pub created_at: NaiveDateTime,
    pub scheme: Scheme,
}

#[derive(Queryable)]
struct VersionRow {
    id: i64,
    scheme_id: i64,
    version: i32,
    basis: String,
    satisfied_min_level: i32,
    level_scores: String,
    min_sample: i32,
    shrinkage_k: String,
    grade_bands: String,
    excellent_cap: f64,
    group_weights: String,
    created_at: NaiveDateTime,
    case_indicator_id: Option<i64>,
}

fn corrupt(what: &str) -> DbError {
    DbError::Query(diesel::result::Error::DeserializationError(
        format!("stored scheme has an unreadable {what}").into(),
    ))
}

fn load_version(conn: &mut AnyConnection, row: VersionRow) -> Result<StoredScheme, DbError> {
    let (code, name): (String, String) = schemes::table
        .find(row.scheme_id)
        .select((schemes::code, schemes::name))
        .first(conn)?;
    let indicators: Vec<(i64, f64)> = scheme_indicators::table
        .filter(scheme_indicators::scheme_version_id.eq(row.id))
        .order((scheme_indicators::position, scheme_indicators::id))
        .select((scheme_indicators::indicator_id, scheme_indicators::weight))
        .load(conn)?;
    let basis = match row.basis.as_str() {
        "mean_score" => Basis::MeanScore,
        _ => Basis::Rate,
    };
    let shrinkage = match row.shrinkage_k.as_str() {
        "auto" => Shrinkage::Auto,
        k => Shrinkage::Fixed(k.parse().map_err(|_| corrupt("k"))?),
    };
    let groups: BTreeMap<String, f64> =
        serde_json::from_str(&row.group_weights).map_err(|_| corrupt("group weights"))?;
    let group_weights = groups
        .into_iter()
        .map(|(g, w)| Group::parse(&g).map(|g| (g, w)).ok_or_else(|| corrupt("group")))
        .collect::<Result<_, _>>()?;
    let scheme = Scheme {
        indicators: indicators
            .into_iter()
            .map(|(indicator_id, weight)| SchemeIndicator { indicator_id, weight })
            .collect(),
        basis,
        satisfied_min_level: u8::try_from(row.satisfied_min_level).map_err(|_| corrupt("level"))?,
        level_scores: serde_json::from_str(&row.level_scores).map_err(|_| corrupt("level scores"))?,
        min_sample: u64::try_from(row.min_sample).map_err(|_| corrupt("minimum sample"))?,
        shrinkage,
        bands: serde_json::from_str::<GradeBands>(&row.grade_bands).map_err(|_| corrupt("grade bands"))?,
        excellent_cap: row.excellent_cap,
        group_weights,
        case_indicator: row.case_indicator_id,
    };
    Ok(StoredScheme {
        scheme_id: row.scheme_id,
        code,
        name,
        version: row.version,
        version_id: row.id,
        created_at: row.created_at,
        scheme,
    })
}

/// The columns a `VersionRow` is read from, in its order.
type VersionColumns = (
    scheme_versions::id,
    scheme_versions::scheme_id,
    scheme_versions::version,
    scheme_versions::basis,
    scheme_versions::satisfied_min_level,
    scheme_versions::level_scores,
    scheme_versions::min_sample,
    scheme_versions::shrinkage_k,
    scheme_versions::grade_bands,
    scheme_versions::excellent_cap,
    scheme_versions::group_weights,
    scheme_versions::created_at,
    scheme_versions::case_indicator_id,
);

fn version_columns() -> VersionColumns {
    (
        scheme_versions::id,
        scheme_versions::scheme_id,
        scheme_versions::version,
        scheme_versions::basis,
        scheme_versions::satisfied_min_level,
        scheme_versions::level_scores,
        scheme_versions::min_sample,
        scheme_versions::shrinkage_k,
        scheme_versions::grade_bands,
        scheme_versions::excellent_cap,
        scheme_versions::group_weights,
        scheme_versions::created_at,
        scheme_versions::case_indicator_id,
    )
}

pub fn version_by_id(conn: &mut AnyConnection, id: i64) -> Result<StoredScheme, DbError> {
    let row: VersionRow = scheme_versions::table
        .find(id)
        .select(version_columns())
        .first(conn)?;
    load_version(conn, row)
}

/// The newest version of the scheme with `code`; without a code, of the only scheme there is.
pub fn latest(conn: &mut AnyConnection, code: Option<&str>) -> Result<Option<StoredScheme>, DbError> {
    let scheme_id: Option<i64> = match code {
        Some(code) => schemes::table
            .filter(schemes::code.eq(code))
            .select(schemes::id)
            .first(conn)
            .optional()?,
        None => {
            let ids: Vec<i64> = schemes::table.select(schemes::id).limit(2).load(conn)?;
            if ids.len() == 1 {
                ids.first().copied()
            } else {
                None
            }
        }
    };
    let Some(scheme_id) = scheme_id else {
        return Ok(None);
    };
    let row: VersionRow = scheme_versions::table
        .filter(scheme_versions::scheme_id.eq(scheme_id))
        .order(scheme_versions::version.desc())
        .select(version_columns())
        .first(conn)?;
    load_version(conn, row).map(Some)
}

/// Codes and names of all schemes.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<(String, String)>, DbError> {
    Ok(schemes::table
        .order(schemes::code)
        .select((schemes::code, schemes::name))
        .load(conn)?)
}

/// Saves `scheme` (already validated) as the next version of `code`, creating the scheme on
/// first use. Returns the stored version.
pub fn save_version(
    conn: &mut AnyConnection,
    code: &str,
    name: &str,
    scheme: &Scheme,
    created_by: Option<i64>,
    now: NaiveDateTime,
) -> Result<StoredScheme, DbError> {
    crate::db::write_transaction(conn, |conn| {
        let existing: Option<i64> = schemes::table
            .filter(schemes::code.eq(code))
            .select(schemes::id)
            .first(conn)
            .optional()?;
        let scheme_id = match existing {
            Some(id) => {
                diesel::update(schemes::table.find(id))
                    .set(schemes::name.eq(name))
                    .execute(conn)?;
                id
            }
            None => diesel::insert_into(schemes::table)
                .values((
                    schemes::code.eq(code),
                    schemes::name.eq(name),
                    schemes::created_at.eq(now),
                ))
                .returning(schemes::id)
                .get_result(conn)?,
        };
        let last: Option<i32> = scheme_versions::table
            .filter(scheme_versions::scheme_id.eq(scheme_id))
            .select(diesel::dsl::max(scheme_versions::version))
            .first(conn)?;
        let shrinkage = match scheme.shrinkage {
            Shrinkage::Auto => "auto".to_string(),
            Shrinkage::Fixed(k) => k.to_string(),
        };
        let groups: BTreeMap<&str, f64> = scheme
            .group_weights
            .iter()
            .map(|(g, w)| (g.as_str(), *w))
            .collect();
        let basis = match scheme.basis {
            Basis::Rate => "rate",
            Basis::MeanScore => "mean_score",
        };
        let json = |v: serde_json::Value| v.to_string();
        let version_id: i64 = diesel::insert_into(scheme_versions::table)
            .values((
                scheme_versions::scheme_id.eq(scheme_id),
                scheme_versions::version.eq(last.unwrap_or(0) + 1),
                scheme_versions::basis.eq(basis),
                scheme_versions::satisfied_min_level.eq(i32::from(scheme.satisfied_min_level)),
                scheme_versions::level_scores.eq(json(serde_json::json!(scheme.level_scores))),
                scheme_versions::min_sample.eq(i32::try_from(scheme.min_sample).unwrap_or(i32::MAX)),
                scheme_versions::shrinkage_k.eq(shrinkage),
                scheme_versions::grade_bands.eq(json(serde_json::json!(scheme.bands))),
                scheme_versions::excellent_cap.eq(scheme.excellent_cap),
                scheme_versions::group_weights.eq(json(serde_json::json!(groups))),
                scheme_versions::in_use.eq(false),
                scheme_versions::case_indicator_id.eq(scheme.case_indicator),
                scheme_versions::created_by.eq(created_by),
                scheme_versions::created_at.eq(now),
            ))
            .returning(scheme_versions::id)
            .get_result(conn)?;
        for (position, ind) in scheme.indicators.iter().enumerate() {
            diesel::insert_into(scheme_indicators::table)
                .values((
                    scheme_indicators::scheme_version_id.eq(version_id),
                    scheme_indicators::indicator_id.eq(ind.indicator_id),
                    scheme_indicators::weight.eq(ind.weight),
                    scheme_indicators::position.eq(position as i32),
                ))
                .execute(conn)?;
        }
        version_by_id(conn, version_id)
    })
}

pub fn mark_in_use(conn: &mut AnyConnection, version_id: i64) -> Result<(), DbError> {
    diesel::update(scheme_versions::table.find(version_id))
        .set(scheme_versions::in_use.eq(true))
        .execute(conn)?;
    Ok(())
}

/// Every version of the scheme `code`, newest first: (version, created at, used by a publication).
pub fn versions(conn: &mut AnyConnection, code: &str) -> Result<Vec<(i32, NaiveDateTime, bool)>, DbError> {
    Ok(scheme_versions::table
        .inner_join(schemes::table)
        .filter(schemes::code.eq(code))
        .order(scheme_versions::version.desc())
        .select((
            scheme_versions::version,
            scheme_versions::created_at,
            scheme_versions::in_use,
        ))
        .load(conn)?)
}
