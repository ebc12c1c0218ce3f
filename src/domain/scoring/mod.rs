//! The scoring method of docs/scoring.md: from counts (department × group × indicator × level)
//! to satisfaction rates, Wilson intervals, indicator and department scores, shrinkage toward the
//! category prior, ranks within category and grades with the cap on 优秀.
//! Pure code: no SQL, no HTTP, no clock. Results keep full precision; round only for display.

mod grading;
mod scheme;
mod shrinkage;
mod wilson;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use grading::{Grade, GradeBands, round2};
pub use scheme::{
    Basis, DEFAULT_LEVEL_SCORES, DEFAULT_SATISFIED_MIN_LEVEL, Scheme, SchemeError, SchemeIndicator,
    Shrinkage, is_satisfied, satisfied_min_level,
};
pub use shrinkage::{AUTO_FALLBACK_K, AUTO_K_MAX, AUTO_K_MIN, PriorFit, RANGE_LOG_RATIO, fit_prior_strength};
pub use wilson::wilson_interval;

/// Answers at levels 1..=5 (index 0 is level 1, 非常不满意).
pub type Levels = [u64; 5];

pub use crate::domain::vocabulary::Group;

/// One group's counts for one department in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupCounts {
    /// Valid responses (N of the method).
    pub responses: u64,
    /// Rating answers per indicator id.
    pub indicators: BTreeMap<i64, Levels>,
}

/// One department's counts: the scoring input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitCounts {
    pub department_id: i64,
    /// Departments are ranked within their category.
    pub category_id: i64,
    pub groups: BTreeMap<Group, GroupCounts>,
    /// 差评整改 of the period, for a scheme indicator scored from cases (see `Scheme::case_indicator`).
    #[serde(default)]
    pub cases: Option<CaseCounts>,
}

/// Cases opened in the period and those answered on time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseCounts {
    pub opened: u64,
    pub on_time: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorResult {
    pub indicator_id: i64,
    /// Answers, and answers at a satisfied level, over all groups.
    pub n: u64,
    pub satisfied: u64,
    pub rate: Option<f64>,
    /// The indicator score over all groups, on the scheme's basis.
    pub score: Option<f64>,
}

/// Marks shown beside a result so nobody mistakes what it rests on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    /// 样本不足: fewer valid responses than the scheme's minimum sample.
    pub insufficient_sample: bool,
    /// Some indicator had no answers; the weights of the others were scaled up.
    pub weights_renormalised: bool,
    /// Some weighted respondent group had no responses; the other groups' weights were scaled up.
    pub groups_renormalised: bool,
    /// Qualified for 优秀 but beyond the category's quota, so 良好.
    pub excellent_capped: bool,
    /// No valid rating answers: no score, no rank.
    pub no_data: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitResult {
    pub department_id: i64,
    pub category_id: i64,
    /// Valid responses, all groups.
    pub responses: u64,
    /// Rating answers on the scheme's indicators, pooled over indicators and groups.
    pub rated: u64,
    pub satisfied: u64,
    pub poor: u64,
    pub very_satisfied: u64,
    /// 满意率 = satisfied / rated.
    pub rate: Option<f64>,
    /// Wilson 95% interval of the rate.
    pub interval: Option<(f64, f64)>,
    /// 差评率: answers at a level below the satisfied ones.
    pub poor_rate: Option<f64>,
    /// Share of 非常满意 (level 5).
    pub very_satisfied_share: Option<f64>,
    pub indicators: Vec<IndicatorResult>,
    /// 得分: weighted indicator scores (combined over groups by the group weights).
    pub score: Option<f64>,
    /// 修正得分: the score shrunk toward the category prior.
    pub ranking_score: Option<f64>,
    /// 类别排名: competition rank within the category (1, 2, 2, 4).
    pub rank: Option<u32>,
    pub grade: Option<Grade>,
    pub flags: Flags,
}

/// What a category's departments were shrunk toward, per respondent group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupPrior {
    pub group: Option<Group>,
    /// The score of the category's pooled counts.
    pub prior: Option<f64>,
    /// Prior strength used, in responses.
    pub k: f64,
    /// `k` was fitted from the category's spread (empirical Bayes).
    pub k_fitted: bool,
    /// `auto` was asked but the category had too few departments to fit; the fallback was used.
    pub k_fallback: bool,
    /// With a fitted k: the values of k the category's counts support about as well (the 95%
    /// likelihood-ratio range). Absent for a fixed k, and in snapshots published before the fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k_range: Option<(f64, f64)>,
}

impl GroupPrior {
    /// k as the sheet and the CLI print it: its value, and whether and how surely it was fitted.
    pub fn describe_k(&self) -> String {
        match (self.k_fitted, self.k_range, self.k_fallback) {
            (true, Some((lo, hi)), _) if self.k == AUTO_FALLBACK_K => format!(
                "k = {}（默认值，在数据支持的范围 {lo:.1}–{hi:.1} 之内 default, within the 95% range the counts support）",
                self.k
            ),
            (true, Some((lo, hi)), _) => format!(
                "k = {:.1}（估计 fitted；数据支持的范围 95% range {lo:.1}–{hi:.1}）",
                self.k
            ),
            (true, None, _) => format!("k = {:.1}（估计 fitted）", self.k),
            (false, _, true) => format!("k = {}（单位过少，用默认值 fallback）", self.k),
            _ => format!("k = {}", self.k),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryResult {
    pub category_id: i64,
    pub units: usize,
    pub ranked: usize,
    /// How many may be 优秀: ⌊cap × ranked⌋, at least 1.
    pub excellent_quota: usize,
    pub priors: Vec<GroupPrior>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Ordered by category, then rank (unranked last), then department id.
    pub units: Vec<UnitResult>,
    pub categories: Vec<CategoryResult>,
}

/// Scores every department. `scheme` must have passed [`Scheme::validate`].
pub fn score(scheme: &Scheme, input: &[UnitCounts]) -> Results {
    let mut by_category: BTreeMap<i64, Vec<&UnitCounts>> = BTreeMap::new();
    for unit in input {
        by_category.entry(unit.category_id).or_default().push(unit);
    }
    let mut units = Vec::with_capacity(input.len());
    let mut categories = Vec::with_capacity(by_category.len());
    for (category_id, members) in by_category {
        let (mut results, priors) = score_category(scheme, &members);
        let (ranked, quota) = grading::rank_and_grade(scheme, &mut results);
        categories.push(CategoryResult {
            category_id,
            units: members.len(),
            ranked,
            excellent_quota: quota,
            priors,
        });
        results.sort_by_key(|u| (u.rank.unwrap_or(u32::MAX), u.department_id));
        units.extend(results);
    }
    Results { units, categories }
}

/// The groups scored separately: each weighted group, or one pool of everyone.
fn scoring_groups(scheme: &Scheme) -> Vec<(Option<Group>, f64)> {
    if scheme.group_weights.len() >= 2 {
        scheme.group_weights.iter().map(|(g, w)| (Some(*g), *w)).collect()
    } else {
        vec![(None, 100.0)]
    }
}

/// One department's counts for a scoring group (`None` pools all groups).
fn group_view(unit: &UnitCounts, group: Option<Group>) -> GroupCounts {
    match group {
        Some(g) => unit.groups.get(&g).cloned().unwrap_or_default(),
        None => {
            let mut pooled = GroupCounts::default();
            for counts in unit.groups.values() {
                pooled.responses += counts.responses;
                add_levels(&mut pooled.indicators, &counts.indicators);
            }
            pooled
        }
    }
}

fn add_levels(into: &mut BTreeMap<i64, Levels>, from: &BTreeMap<i64, Levels>) {
    for (indicator, levels) in from {
        let slot = into.entry(*indicator).or_insert([0; 5]);
        for (a, b) in slot.iter_mut().zip(levels) {
            *a += b;
        }
    }
}

/// The weighted score of one set of counts, and whether weights were renormalised.
fn weighted_score(
    scheme: &Scheme,
    counts: &BTreeMap<i64, Levels>,
    cases: Option<CaseCounts>,
) -> (Option<f64>, bool) {
    let mut sum = 0.0;
    let mut weights = 0.0;
    let mut missing = false;
    for ind in &scheme.indicators {
        match scheme.score_of(ind.indicator_id, counts.get(&ind.indicator_id), cases) {
            Some(s) => {
                sum += ind.weight * s;
                weights += ind.weight;
            }
            None => missing = true,
        }
    }
    if weights > 0.0 {
        (Some(sum / weights), missing)
    } else {
        (None, false)
    }
}

/// Satisfied and all rating answers of a set of counts, over the scheme's indicators.
fn rate_counts(scheme: &Scheme, counts: &BTreeMap<i64, Levels>) -> (u64, u64) {
    scheme
        .indicators
        .iter()
        .filter(|ind| scheme.case_indicator != Some(ind.indicator_id))
        .filter_map(|ind| counts.get(&ind.indicator_id))
        .fold((0, 0), |(s, n), l| {
            (s + scheme.satisfied(l), n + l.iter().sum::<u64>())
        })
}

fn score_category(scheme: &Scheme, members: &[&UnitCounts]) -> (Vec<UnitResult>, Vec<GroupPrior>) {
    let groups = scoring_groups(scheme);
    let mut results: Vec<UnitResult> = members.iter().map(|u| describe(scheme, u)).collect();
    // Per scoring group: each unit's (score, ranking score, N), and the category prior.
    let mut per_group: Vec<Vec<Option<(f64, f64)>>> = Vec::with_capacity(groups.len());
    let mut priors = Vec::with_capacity(groups.len());
    for (group, _) in &groups {
        let views: Vec<GroupCounts> = members.iter().map(|u| group_view(u, *group)).collect();
        let mut pooled = BTreeMap::new();
        for v in &views {
            add_levels(&mut pooled, &v.indicators);
        }
        let pooled_cases = members.iter().filter_map(|u| u.cases).reduce(|a, b| CaseCounts {
            opened: a.opened + b.opened,
            on_time: a.on_time + b.on_time,
        });
        let (prior, _) = weighted_score(scheme, &pooled, pooled_cases);
        let (k, k_fitted, k_fallback, k_range) = match scheme.shrinkage {
            Shrinkage::Fixed(k) => (k, false, false, None),
            Shrinkage::Auto => {
                let samples: Vec<(u64, u64, u64)> = views
                    .iter()
                    .map(|v| {
                        let (s, n) = rate_counts(scheme, &v.indicators);
                        (v.responses, s, n)
                    })
                    .collect();
                match fit_prior_strength(&samples) {
                    Some(fit) => (fit.k, true, false, Some(fit.range)),
                    None => (AUTO_FALLBACK_K, false, true, None),
                }
            }
        };
        let mut scores = Vec::with_capacity(views.len());
        for ((view, result), unit) in views.iter().zip(results.iter_mut()).zip(members) {
            let (score, renormalised) = weighted_score(scheme, &view.indicators, unit.cases);
            result.flags.weights_renormalised |= renormalised;
            scores.push(score.map(|s| {
                let n = view.responses as f64;
                let shrunk = match prior {
                    Some(p) if n + k > 0.0 => (n * s + k * p) / (n + k),
                    _ => s,
                };
                (s, shrunk)
            }));
        }
        per_group.push(scores);
        priors.push(GroupPrior {
            group: *group,
            prior,
            k,
            k_fitted,
            k_fallback,
            k_range,
        });
    }
    // Combine the groups by their weights, over the groups that have a score.
    for (i, result) in results.iter_mut().enumerate() {
        let mut score = 0.0;
        let mut ranking = 0.0;
        let mut weights = 0.0;
        let mut missing = false;
        for (g, (_, weight)) in groups.iter().enumerate() {
            match per_group[g][i] {
                Some((s, r)) => {
                    score += weight * s;
                    ranking += weight * r;
                    weights += weight;
                }
                None => missing = true,
            }
        }
        if weights > 0.0 {
            result.score = Some(score / weights);
            result.ranking_score = Some(ranking / weights);
            result.flags.groups_renormalised = missing;
        } else {
            result.flags.no_data = true;
        }
    }
    (results, priors)
}

/// Rates, interval and per-indicator figures of one department, pooled over groups.
fn describe(scheme: &Scheme, unit: &UnitCounts) -> UnitResult {
    let all = group_view(unit, None);
    let mut indicators = Vec::with_capacity(scheme.indicators.len());
    let (mut rated, mut satisfied, mut very) = (0, 0, 0);
    for ind in &scheme.indicators {
        // An indicator scored from cases is reported beside the ratings, never pooled into them.
        if scheme.case_indicator == Some(ind.indicator_id) {
            let c = unit.cases.unwrap_or_default();
            indicators.push(IndicatorResult {
                indicator_id: ind.indicator_id,
                n: c.opened,
                satisfied: c.on_time,
                rate: ratio(c.on_time, c.opened),
                score: scheme.score_of(ind.indicator_id, None, unit.cases),
            });
            continue;
        }
        let levels = all.indicators.get(&ind.indicator_id).copied().unwrap_or([0; 5]);
        let n: u64 = levels.iter().sum();
        let s = scheme.satisfied(&levels);
        rated += n;
        satisfied += s;
        very += levels[4];
        indicators.push(IndicatorResult {
            indicator_id: ind.indicator_id,
            n,
            satisfied: s,
            rate: ratio(s, n),
            score: scheme.indicator_score(&levels),
        });
    }
    let poor = rated - satisfied;
    UnitResult {
        department_id: unit.department_id,
        category_id: unit.category_id,
        responses: all.responses,
        rated,
        satisfied,
        poor,
        very_satisfied: very,
        rate: ratio(satisfied, rated),
        interval: wilson_interval(satisfied, rated),
        poor_rate: ratio(poor, rated),
        very_satisfied_share: ratio(very, rated),
        indicators,
        score: None,
        ranking_score: None,
        rank: None,
        grade: None,
        flags: Flags {
            insufficient_sample: all.responses < scheme.min_sample,
            ..Flags::default()
        },
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests;
