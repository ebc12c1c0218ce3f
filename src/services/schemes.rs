//! Saving 考核方案 from a definition (TOML file or JSON body): indicators are referred to by
//! code and created on first mention; the parameters are validated by the scoring module.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use crate::db::schemes::{self, StoredScheme};
use crate::db::{AnyConnection, DbError, questionnaires};
use crate::domain::scoring::{
    Basis, DEFAULT_LEVEL_SCORES, GradeBands, Group, Scheme, SchemeError, SchemeIndicator, Shrinkage,
};
use crate::domain::text::Bi;
use crate::services::{Audit, Ctx};

/// A scheme as the office writes it. Everything but `code`, `name` and `indicators` has the
/// design's default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeDefinition {
    pub code: String,
    pub name: String,
    #[serde(default = "default_basis")]
    pub basis: Basis,
    #[serde(default = "default_satisfied")]
    pub satisfied_min_level: u8,
    #[serde(default = "default_level_scores")]
    pub level_scores: [f64; 5],
    #[serde(default = "default_min_sample")]
    pub min_sample: u64,
    /// A number, or "auto".
    #[serde(default = "default_k")]
    pub k: KValue,
    #[serde(default)]
    pub bands: Option<GradeBands>,
    #[serde(default = "default_cap")]
    pub excellent_cap: f64,
    /// e.g. { public = 70, panel = 30 }; empty pools all respondents.
    #[serde(default)]
    pub groups: BTreeMap<String, f64>,
    pub indicators: Vec<IndicatorDefinition>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum KValue {
    Number(f64),
    Word(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDefinition {
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub weight: f64,
    /// `ratings` (the default): scored from residents' answers. `case_on_time`: scored from
    /// 差评整改, 100 × cases answered on time ÷ cases opened (at most one such indicator).
    #[serde(default)]
    pub source: Option<String>,
}

fn default_basis() -> Basis {
    Basis::Rate
}
fn default_satisfied() -> u8 {
    crate::domain::scoring::DEFAULT_SATISFIED_MIN_LEVEL
}
fn default_level_scores() -> [f64; 5] {
    DEFAULT_LEVEL_SCORES
}
fn default_min_sample() -> u64 {
    30
}
fn default_k() -> KValue {
    KValue::Number(10.0)
}
fn default_cap() -> f64 {
    0.2
}

#[derive(Debug, thiserror::Error)]
pub enum SchemeSaveError {
    #[error(
        "方案代码须为 1–32 位字母、数字、_ 或 - the scheme code must be 1–32 letters, digits, '_' or '-'"
    )]
    Code,
    #[error("k 应为数字或 auto k must be a number or \"auto\", not \"{0}\"")]
    K(String),
    #[error("未知的群体 unknown respondent group '{0}' (public, panel)")]
    Group(String),
    #[error("新指标 {0} 需要名称 the new indicator '{0}' needs a name")]
    IndicatorName(String),
    #[error(
        "指标来源应为 ratings 或 case_on_time，且 case_on_time 至多一个 an indicator's source must be ratings or case_on_time, with at most one case_on_time: '{0}'"
    )]
    Source(String),
    #[error(transparent)]
    Invalid(#[from] SchemeError),
    #[error(transparent)]
    Db(#[from] DbError),
}

fn valid_code(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// What every entry point says when a definition equal to the current version is saved.
pub const UNCHANGED: Bi = Bi("方案未改变，未生成新版本", "unchanged, no new version");

/// The outcome of a save: the scheme's current version, and whether this save made it.
#[derive(Debug, Clone)]
pub struct Saved {
    pub stored: StoredScheme,
    /// False when the definition equals the current version: nothing was written, no audit
    /// entry either (a version is a change of parameters, not a click on "save").
    pub new_version: bool,
}

/// Validates `def` and saves it as the next version of its scheme, unless it is the current
/// version's definition again (same name, same parameters and indicators in the same order).
pub fn save(conn: &mut AnyConnection, ctx: &Ctx, def: &SchemeDefinition) -> Result<Saved, SchemeSaveError> {
    if !valid_code(&def.code) {
        return Err(SchemeSaveError::Code);
    }
    let shrinkage = match &def.k {
        KValue::Number(k) => Shrinkage::Fixed(*k),
        KValue::Word(w) if w == "auto" => Shrinkage::Auto,
        KValue::Word(w) => match w.parse::<f64>() {
            Ok(k) => Shrinkage::Fixed(k),
            Err(_) => return Err(SchemeSaveError::K(w.clone())),
        },
    };
    let group_weights = def
        .groups
        .iter()
        .map(|(g, w)| {
            Group::parse(g)
                .map(|g| (g, *w))
                .ok_or_else(|| SchemeSaveError::Group(g.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    crate::db::write_transaction(conn, |conn| {
        let mut indicators = Vec::with_capacity(def.indicators.len());
        let mut case_indicator = None;
        for ind in &def.indicators {
            let found =
                questionnaires::indicator_by_code_or_create(conn, &ind.code, &ind.name, &ind.name_en)?;
            if found.name.is_empty() {
                return Err(SchemeSaveError::IndicatorName(ind.code.clone()));
            }
            match ind.source.as_deref() {
                None | Some("ratings") => {}
                Some("case_on_time") if case_indicator.is_none() => case_indicator = Some(found.id),
                Some(other) => return Err(SchemeSaveError::Source(other.to_string())),
            }
            indicators.push(SchemeIndicator {
                indicator_id: found.id,
                weight: ind.weight,
            });
        }
        let scheme = Scheme {
            indicators,
            basis: def.basis,
            satisfied_min_level: def.satisfied_min_level,
            level_scores: def.level_scores,
            min_sample: def.min_sample,
            shrinkage,
            bands: def.bands.unwrap_or_default(),
            excellent_cap: def.excellent_cap,
            group_weights,
            case_indicator,
        };
        scheme.validate()?;
        if let Some(current) = schemes::latest(conn, Some(&def.code))?
            && current.name == def.name
            && current.scheme == scheme
        {
            return Ok(Saved {
                stored: current,
                new_version: false,
            });
        }
        let stored = schemes::save_version(conn, &def.code, &def.name, &scheme, ctx.actor.user_id, ctx.now)?;
        ctx.record(
            conn,
            Audit::new("scheme.save", "scheme", &def.code)
                .after(json!({ "version": stored.version, "parameters": stored.scheme })),
        )?;
        Ok(Saved {
            stored,
            new_version: true,
        })
    })
}

impl From<diesel::result::Error> for SchemeSaveError {
    fn from(e: diesel::result::Error) -> Self {
        SchemeSaveError::Db(e.into())
    }
}

/// A stored scheme version written back as the TOML definition it could be saved from, so the
/// office edits the current parameters rather than starting from a blank page.
pub fn definition_toml(conn: &mut AnyConnection, stored: &StoredScheme) -> Result<String, DbError> {
    let ids: Vec<i64> = stored.scheme.indicators.iter().map(|i| i.indicator_id).collect();
    let named = questionnaires::indicators_by_ids(conn, &ids)?;
    let indicators: Vec<serde_json::Value> = stored
        .scheme
        .indicators
        .iter()
        .filter_map(|i| named.iter().find(|n| n.id == i.indicator_id).map(|n| (i, n)))
        .map(|(i, n)| {
            let mut v = json!({ "code": n.code, "name": n.name, "name_en": n.name_en, "weight": i.weight });
            if stored.scheme.case_indicator == Some(i.indicator_id) {
                v["source"] = json!("case_on_time");
            }
            v
        })
        .collect();
    let s = &stored.scheme;
    let k = match s.shrinkage {
        Shrinkage::Fixed(k) => json!(k),
        Shrinkage::Auto => json!("auto"),
    };
    let groups: BTreeMap<&str, f64> = s.group_weights.iter().map(|(g, w)| (g.as_str(), *w)).collect();
    let value = json!({
        "code": stored.code,
        "name": stored.name,
        "basis": s.basis,
        "satisfied_min_level": s.satisfied_min_level,
        "level_scores": s.level_scores,
        "min_sample": s.min_sample,
        "k": k,
        "excellent_cap": s.excellent_cap,
        "bands": s.bands,
        "groups": groups,
        "indicators": indicators,
    });
    Ok(toml::to_string(&value).unwrap_or_default())
}
