//! Results of a period: counts from the running tallies, scored by the pure scoring module,
//! with 环比 (change from the previous period) and a breakdown by channel; publishing them as
//! frozen, checksummed snapshots; reading and comparing published versions.

use crate::domain::vocabulary::ResponseStatus;
use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use serde_json::json;

use crate::db::periods::{self, SnapshotMeta};
use crate::db::schemes::{self, StoredScheme};
use crate::db::{AnyConnection, DbError, departments, questionnaires, responses, tallies};
use crate::domain::period::Period;
use crate::domain::results::{
    CategoryView, Change, ChannelFigure, DepartmentView, IndicatorRef, SchemeRef, checksum,
};
use crate::domain::scoring::{self, Group, GroupCounts, Scheme, UnitCounts, UnitResult};
use crate::services::{Audit, Ctx};
// The model these use cases return and compare lives in the domain; named here for their callers.
pub use crate::domain::results::{PeriodResults, compare};

#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("没有可用的考核方案 no assessment scheme: create one with `pingyi scheme set FILE`")]
    NoScheme,
    #[error("没有代码为 {0} 的考核方案 no assessment scheme has the code '{0}'")]
    UnknownScheme(String),
    #[error("该期间尚未发布 period {0} has not been published")]
    NotPublished(String),
    #[error("该期间没有第 {1} 版 period {0} has no published version {1}")]
    NoSuchVersion(String, i32),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("stored snapshot cannot be read: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// The scoring input of a period plus the channel breakdown, read from the tallies.
struct PeriodCounts {
    units: Vec<UnitCounts>,
    /// (department, channel) → figures
    channels: BTreeMap<(i64, String), ChannelFigure>,
}

fn read_counts(
    conn: &mut AnyConnection,
    scheme: &Scheme,
    period: &Period,
    departments: &[departments::Department],
) -> Result<PeriodCounts, DbError> {
    let (first, last) = (period.first.to_string(), period.last.to_string());
    let scheme_indicators: Vec<i64> = scheme.indicators.iter().map(|i| i.indicator_id).collect();
    let mut units: BTreeMap<i64, UnitCounts> = departments
        .iter()
        .map(|d| {
            (
                d.id,
                UnitCounts {
                    department_id: d.id,
                    category_id: d.category_id,
                    groups: BTreeMap::new(),
                    cases: None,
                },
            )
        })
        .collect();
    let mut channels: BTreeMap<(i64, String), ChannelFigure> = BTreeMap::new();
    for tallies::ResponseCount {
        department_id: department,
        group,
        channel,
        n,
    } in tallies::responses_between(conn, &first, &last)?
    {
        let (Some(unit), Some(group)) = (units.get_mut(&department), Group::parse(&group)) else {
            continue;
        };
        unit.groups.entry(group).or_default().responses += n as u64;
        let figure = channels.entry((department, channel.clone())).or_default();
        figure.channel = channel;
        figure.responses += n as u64;
    }
    for row in tallies::ratings_between(conn, &first, &last)? {
        let tallies::RatingCount {
            department_id: department,
            group,
            channel,
            indicator_id: indicator,
            level,
            n,
        } = row;
        let (Some(unit), Some(group)) = (units.get_mut(&department), Group::parse(&group)) else {
            continue;
        };
        if !scheme_indicators.contains(&indicator) || !(1..=5).contains(&level) {
            continue;
        }
        let counts: &mut GroupCounts = unit.groups.entry(group).or_default();
        counts.indicators.entry(indicator).or_insert([0; 5])[level as usize - 1] += n as u64;
        let figure = channels.entry((department, channel.clone())).or_default();
        figure.channel = channel;
        figure.rated += n as u64;
        if scheme.is_satisfied(level) {
            figure.satisfied += n as u64;
        }
    }
    for figure in channels.values_mut() {
        figure.rate = (figure.rated > 0).then(|| figure.satisfied as f64 / figure.rated as f64);
    }
    Ok(PeriodCounts {
        units: units.into_values().collect(),
        channels,
    })
}

fn find_scheme(conn: &mut AnyConnection, code: Option<&str>) -> Result<StoredScheme, ResultsError> {
    match (schemes::latest(conn, code)?, code) {
        (Some(s), _) => Ok(s),
        (None, Some(code)) => Err(ResultsError::UnknownScheme(code.to_string())),
        (None, None) => Err(ResultsError::NoScheme),
    }
}

/// Scores `period` live from the tallies with the newest version of the scheme (`code`, or
/// the only scheme), including 环比 against the previous period.
pub fn compute(
    conn: &mut AnyConnection,
    tz: Tz,
    period: &Period,
    scheme_code: Option<&str>,
) -> Result<PeriodResults, ResultsError> {
    let stored = find_scheme(conn, scheme_code)?;
    Ok(compute_with(conn, tz, period, &stored, chrono::Utc::now().naive_utc())?.0)
}

/// Gives each unit its case counts when the scheme scores an indicator from cases: the cases
/// opened in the period, judged at `now`.
fn attach_cases(
    conn: &mut AnyConnection,
    tz: Tz,
    scheme: &Scheme,
    period: &Period,
    units: &mut [UnitCounts],
    now: NaiveDateTime,
) -> Result<(), DbError> {
    if scheme.case_indicator.is_none() {
        return Ok(());
    }
    let (start, end) = period.utc_bounds(tz);
    let figures = crate::services::cases::figures(conn, start, end, now)?;
    for unit in units {
        unit.cases = figures.get(&unit.department_id).map(|f| scoring::CaseCounts {
            opened: f.opened,
            on_time: f.on_time,
        });
    }
    Ok(())
}

/// Scores with a given scheme version at `now` (cases are judged then, and the results say it);
/// also returns the scoring input (kept in snapshots).
fn compute_with(
    conn: &mut AnyConnection,
    tz: Tz,
    period: &Period,
    stored: &StoredScheme,
    now: NaiveDateTime,
) -> Result<(PeriodResults, Vec<UnitCounts>), DbError> {
    let scheme = &stored.scheme;
    let all_departments = departments::all(conn)?;
    let mut counts = read_counts(conn, scheme, period, &all_departments)?;
    attach_cases(conn, tz, scheme, period, &mut counts.units, now)?;
    // Inactive departments appear only when they have responses in the period.
    let present: Vec<UnitCounts> = counts
        .units
        .into_iter()
        .filter(|u| {
            !u.groups.is_empty()
                || all_departments
                    .iter()
                    .any(|d| d.id == u.department_id && d.active)
        })
        .collect();
    let results = scoring::score(scheme, &present);

    let previous_period = period.previous();
    let mut previous = read_counts(conn, scheme, &previous_period, &all_departments)?;
    attach_cases(conn, tz, scheme, &previous_period, &mut previous.units, now)?;
    let previous_results = scoring::score(scheme, &previous.units);
    let before: HashMap<i64, &UnitResult> = previous_results
        .units
        .iter()
        .map(|u| (u.department_id, u))
        .collect();

    let (start, end) = period.utc_bounds(tz);
    let mut held_back: HashMap<(i64, String), u64> = HashMap::new();
    for (department, status, n) in responses::held_back_counts(conn, start, end)? {
        held_back.insert((department, status), n as u64);
    }
    let held = |id: i64, status: &str| held_back.get(&(id, status.to_string())).copied().unwrap_or(0);
    // Cases opened in the period, judged now; upheld appeals over the period's responses.
    let case_figures = crate::services::cases::figures(conn, start, end, chrono::Utc::now().naive_utc())?;
    let upheld: BTreeMap<i64, u64> = crate::db::cases::upheld_counts(conn, start, end)?
        .into_iter()
        .map(|(d, n)| (d, n as u64))
        .collect();
    let categories = departments::categories(conn)?;
    // The office's order of categories (sort order), not the order of their ids.
    let position = |id: i64| categories.iter().position(|c| c.id == id).unwrap_or(usize::MAX);
    let mut category_views: Vec<CategoryView> = results
        .categories
        .iter()
        .map(|c| {
            let meta = categories.iter().find(|m| m.id == c.category_id);
            CategoryView {
                id: c.category_id,
                code: meta.map(|m| m.code.clone()).unwrap_or_default(),
                name: meta.map(|m| m.name.clone()).unwrap_or_default(),
                name_en: meta.map(|m| m.name_en.clone()).unwrap_or_default(),
                result: c.clone(),
            }
        })
        .collect();
    let mut totals = ChannelFigure {
        channel: "all".into(),
        ..ChannelFigure::default()
    };
    let mut by_channel: BTreeMap<String, ChannelFigure> = BTreeMap::new();
    for ((_, channel), f) in &counts.channels {
        for sum in [
            &mut totals,
            by_channel
                .entry(channel.clone())
                .or_insert_with(|| ChannelFigure {
                    channel: channel.clone(),
                    ..ChannelFigure::default()
                }),
        ] {
            sum.responses += f.responses;
            sum.rated += f.rated;
            sum.satisfied += f.satisfied;
        }
    }
    for f in by_channel.values_mut().chain(std::iter::once(&mut totals)) {
        f.rate = (f.rated > 0).then(|| f.satisfied as f64 / f.rated as f64);
    }
    category_views.sort_by_key(|c| position(c.id));
    let mut departments_view: Vec<DepartmentView> = results
        .units
        .iter()
        .map(|u| {
            let meta = all_departments.iter().find(|d| d.id == u.department_id);
            let prev = before.get(&u.department_id);
            let diff = |now: Option<f64>, then: Option<f64>| Some(now? - then?);
            let change = Change {
                previous_score: prev.and_then(|p| p.score),
                score: diff(u.score, prev.and_then(|p| p.score)),
                ranking_score: diff(u.ranking_score, prev.and_then(|p| p.ranking_score)),
                rate: diff(u.rate, prev.and_then(|p| p.rate)),
                rank: prev.and_then(|p| Some(i64::from(p.rank?) - i64::from(u.rank?))),
            };
            DepartmentView {
                id: u.department_id,
                code: meta.map(|m| m.code.clone()).unwrap_or_default(),
                name: meta.map(|m| m.name.clone()).unwrap_or_default(),
                name_en: meta.map(|m| m.name_en.clone()).unwrap_or_default(),
                active: meta.is_some_and(|m| m.active),
                result: u.clone(),
                suspect: held(u.department_id, ResponseStatus::Suspect.as_str()),
                rejected: held(u.department_id, ResponseStatus::Rejected.as_str()),
                cases: case_figures.get(&u.department_id).cloned().unwrap_or_default(),
                appeals_upheld: upheld.get(&u.department_id).copied().unwrap_or(0),
                change,
                channels: counts
                    .channels
                    .range((u.department_id, String::new())..(u.department_id + 1, String::new()))
                    .map(|(_, f)| f.clone())
                    .collect(),
            }
        })
        .collect();
    // Stable: within a category the scoring module's rank order is kept.
    departments_view.sort_by_key(|d| position(d.result.category_id));
    let ids: Vec<i64> = scheme.indicators.iter().map(|i| i.indicator_id).collect();
    let names = questionnaires::indicators_by_ids(conn, &ids)?;
    let indicators = scheme
        .indicators
        .iter()
        .map(|si| {
            let meta = names.iter().find(|n| n.id == si.indicator_id);
            IndicatorRef {
                id: si.indicator_id,
                code: meta.map(|m| m.code.clone()).unwrap_or_default(),
                name: meta.map(|m| m.name.clone()).unwrap_or_default(),
                name_en: meta.map(|m| m.name_en.clone()).unwrap_or_default(),
                weight: si.weight,
            }
        })
        .collect();
    let view = PeriodResults {
        period: period.to_string(),
        kind: period.kind.as_str().to_string(),
        first_day: period.first,
        last_day: period.last,
        time_zone: tz.name().to_string(),
        previous_period: previous_period.to_string(),
        scheme: SchemeRef {
            code: stored.code.clone(),
            name: stored.name.clone(),
            version: stored.version,
            version_id: stored.version_id,
            parameters: stored.scheme.clone(),
        },
        generated_at: now,
        indicators,
        categories: category_views,
        departments: departments_view,
        totals,
        channels: by_channel.into_values().collect(),
    };
    Ok((view, present))
}

/// Freezes the period's current results as the next snapshot version, with an audit entry.
/// `public`: also show this version to the public (公示) at `/results`; the office may change
/// that later with [`set_public`].
pub fn publish(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    period: &Period,
    scheme_code: Option<&str>,
    note: &str,
    public: bool,
) -> Result<SnapshotMeta, ResultsError> {
    let stored = find_scheme(conn, scheme_code)?;
    crate::db::write_transaction(conn, |conn| {
        let (results, counts) = compute_with(conn, ctx.tz, period, &stored, ctx.now)?;
        let results_json = results.to_snapshot_json()?;
        let counts_json = serde_json::to_string(&counts)?;
        let sum = checksum(&results_json);
        let period_id = periods::get_or_create(conn, period, ctx.tz, ctx.now)?;
        let previous = periods::snapshots(conn, period_id)?.pop();
        let meta = periods::insert_snapshot(
            conn,
            periods::NewSnapshot {
                period_id,
                scheme_version_id: stored.version_id,
                counts: &counts_json,
                results: &results_json,
                checksum: &sum,
                note,
                published_by: ctx.actor.user_id,
                published_at: ctx.now,
                public,
            },
        )?;
        schemes::mark_in_use(conn, stored.version_id)?;
        ctx.record(
            conn,
            Audit::new(
                if previous.is_some() {
                    "results.republish"
                } else {
                    "results.publish"
                },
                "period",
                period,
            )
            .before_opt(previous.map(|p| json!({ "version": p.version, "checksum": p.checksum })))
            .after(json!({
                "version": meta.version,
                "checksum": meta.checksum,
                "scheme": stored.code,
                "scheme_version": stored.version,
                "note": note,
                "public": public,
            })),
        )?;
        Ok(meta)
    })
}

/// Shows a published version to the public (`public = true`) or withdraws it, with an audit
/// entry (`results.make_public` / `results.withdraw_public`). Setting what is already set
/// changes nothing and records nothing.
pub fn set_public(
    conn: &mut AnyConnection,
    ctx: &Ctx,
    period: &Period,
    version: i32,
    public: bool,
) -> Result<SnapshotMeta, ResultsError> {
    let label = period.to_string();
    crate::db::write_transaction(conn, |conn| {
        let id = periods::find(conn, period)?.ok_or_else(|| ResultsError::NotPublished(label.clone()))?;
        let (meta, _) = periods::snapshot(conn, id, version)?
            .ok_or_else(|| ResultsError::NoSuchVersion(label.clone(), version))?;
        if meta.public == public {
            return Ok(meta);
        }
        let after = periods::set_public(conn, meta.id, public)?;
        ctx.record(
            conn,
            Audit::new(
                if public {
                    "results.make_public"
                } else {
                    "results.withdraw_public"
                },
                "period",
                period,
            )
            .before(json!({ "version": version, "public": meta.public, "checksum": meta.checksum }))
            .after(json!({ "version": version, "public": public, "checksum": meta.checksum })),
        )?;
        Ok(after)
    })
}

/// Every version shown to the public, newest period first (see `db::periods::public_versions`).
pub fn public_versions(conn: &mut AnyConnection) -> Result<Vec<periods::PublicVersion>, ResultsError> {
    Ok(periods::public_versions(conn)?)
}

/// A published version as stored: its metadata and the frozen JSON text, byte for byte (the
/// checksum is over this text).
pub fn snapshot_text(
    conn: &mut AnyConnection,
    period: &Period,
    version: i32,
) -> Result<(SnapshotMeta, String), ResultsError> {
    let label = period.to_string();
    let id = periods::find(conn, period)?.ok_or_else(|| ResultsError::NotPublished(label.clone()))?;
    periods::snapshot(conn, id, version)?.ok_or(ResultsError::NoSuchVersion(label, version))
}

pub fn snapshots(conn: &mut AnyConnection, period: &Period) -> Result<Vec<SnapshotMeta>, ResultsError> {
    match periods::find(conn, period)? {
        Some(id) => Ok(periods::snapshots(conn, id)?),
        None => Ok(Vec::new()),
    }
}

/// A published version, as it was frozen.
pub fn snapshot(
    conn: &mut AnyConnection,
    period: &Period,
    version: i32,
) -> Result<(SnapshotMeta, PeriodResults), ResultsError> {
    let label = period.to_string();
    let id = periods::find(conn, period)?.ok_or_else(|| ResultsError::NotPublished(label.clone()))?;
    let (meta, text) =
        periods::snapshot(conn, id, version)?.ok_or(ResultsError::NoSuchVersion(label, version))?;
    Ok((meta, PeriodResults::from_snapshot_json(&text)?))
}

impl From<diesel::result::Error> for ResultsError {
    fn from(e: diesel::result::Error) -> Self {
        ResultsError::Db(e.into())
    }
}
