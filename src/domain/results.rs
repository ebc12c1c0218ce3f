//! The results of a period as the office reads them and as they are frozen when published:
//! units and categories with their names, 环比, the channel breakdown, and the scheme version
//! that scored them. The JSON of [`PeriodResults`] is the published snapshot format, so the
//! fields keep their names and order (a new field is appended with `#[serde(default)]`), and
//! the checksum is over that text. Pure: computing the figures from the database is
//! `services::results`.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::cases::CaseFigures;
use crate::domain::scoring::{CategoryResult, Grade, Scheme, UnitResult};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SchemeRef {
    pub code: String,
    pub name: String,
    pub version: i32,
    pub version_id: i64,
    pub parameters: Scheme,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IndicatorRef {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CategoryView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub name_en: String,
    #[serde(flatten)]
    pub result: CategoryResult,
}

/// Responses and rating answers of one channel.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ChannelFigure {
    pub channel: String,
    pub responses: u64,
    pub rated: u64,
    pub satisfied: u64,
    pub rate: Option<f64>,
}

/// 环比: this period against the previous one (`None` where either side has no figure).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Change {
    pub previous_score: Option<f64>,
    pub score: Option<f64>,
    pub ranking_score: Option<f64>,
    pub rate: Option<f64>,
    /// Positive: moved up (previous rank − current rank).
    pub rank: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DepartmentView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub active: bool,
    #[serde(flatten)]
    pub result: UnitResult,
    /// Responses in the period held back from the scores: awaiting review, and rejected.
    pub suspect: u64,
    pub rejected: u64,
    /// 差评整改 of the cases opened in the period (older snapshots have none).
    #[serde(default)]
    pub cases: CaseFigures,
    /// Responses of the period taken out of the scores by upheld appeals.
    #[serde(default)]
    pub appeals_upheld: u64,
    pub change: Change,
    pub channels: Vec<ChannelFigure>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PeriodResults {
    pub period: String,
    pub kind: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub time_zone: String,
    pub previous_period: String,
    pub scheme: SchemeRef,
    pub generated_at: NaiveDateTime,
    pub indicators: Vec<IndicatorRef>,
    pub categories: Vec<CategoryView>,
    /// Ordered by category, then rank.
    pub departments: Vec<DepartmentView>,
    /// All departments together.
    pub totals: ChannelFigure,
    pub channels: Vec<ChannelFigure>,
}

impl PeriodResults {
    /// The snapshot text stored when publishing: compact JSON, fields in declaration order.
    pub fn to_snapshot_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// A stored snapshot as it was frozen (fields added since read as their defaults).
    pub fn from_snapshot_json(text: &str) -> Result<PeriodResults, serde_json::Error> {
        serde_json::from_str(text)
    }
}

impl PeriodResults {
    pub fn category(&self, id: i64) -> Option<&CategoryView> {
        self.categories.iter().find(|c| c.id == id)
    }

    pub fn department(&self, id: i64) -> Option<&DepartmentView> {
        self.departments.iter().find(|d| d.id == id)
    }

    pub fn department_by_code(&self, code: &str) -> Option<&DepartmentView> {
        self.departments.iter().find(|d| d.code == code)
    }

    /// The departments of a category, in rank order (as stored).
    pub fn members(&self, category_id: i64) -> impl Iterator<Item = &DepartmentView> {
        self.departments
            .iter()
            .filter(move |d| d.result.category_id == category_id)
    }

    /// A category's pooled rate of one indicator: its departments' satisfied answers over
    /// all their answers (the category average a department's indicator rate is read against).
    pub fn category_indicator_rate(&self, category_id: i64, indicator_id: i64) -> Option<f64> {
        let (satisfied, n) = self
            .members(category_id)
            .flat_map(|d| d.result.indicators.iter())
            .filter(|i| i.indicator_id == indicator_id)
            .fold((0, 0), |(s, n), i| (s + i.satisfied, n + i.n));
        (n > 0).then(|| satisfied as f64 / n as f64)
    }

    /// The figures of the small-sample correction for one department, when its category was
    /// shrunk toward one prior (no respondent-group weights): the ranking score is then
    /// `(n × score + k × prior) / (n + k)`. `None` without a score or with several groups.
    pub fn shrinkage_of(&self, department: &DepartmentView) -> Option<Shrunk> {
        let category = self.category(department.result.category_id)?;
        let [prior] = category.result.priors.as_slice() else {
            return None;
        };
        Some(Shrunk {
            n: department.result.responses,
            score: department.result.score?,
            k: prior.k,
            prior: prior.prior?,
            ranking_score: department.result.ranking_score?,
        })
    }
}

/// A department's ranking score as the correction made it: `(n·score + k·prior) / (n + k)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shrunk {
    pub n: u64,
    pub score: f64,
    pub k: f64,
    pub prior: f64,
    pub ranking_score: f64,
}

impl Shrunk {
    /// How far the correction moved the score, as the two figures are shown (each to two
    /// decimals), so the difference a reader sees adds up: 94.48 → 93.65 moved −0.83.
    pub fn moved(&self) -> f64 {
        use crate::domain::scoring::round2;
        round2(round2(self.ranking_score) - round2(self.score))
    }
}

impl DepartmentView {
    /// Below the scheme's minimum sample (样本不足): the public pages show no rate or score.
    pub fn suppressed(&self) -> bool {
        self.result.flags.insufficient_sample
    }
}

/// SHA-256 of the stored results text, so a printed figure can be checked against it.
pub fn checksum(results_json: &str) -> String {
    hex::encode(Sha256::digest(results_json.as_bytes()))
}

/// One department's figures that differ between two versions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VersionDiff {
    pub department_id: i64,
    pub code: String,
    pub name: String,
    pub responses: (u64, u64),
    pub score: (Option<f64>, Option<f64>),
    pub ranking_score: (Option<f64>, Option<f64>),
    pub rank: (Option<u32>, Option<u32>),
    pub grade: (Option<Grade>, Option<Grade>),
}

/// Departments whose responses, scores, rank or grade differ between `a` and `b`.
pub fn compare(a: &PeriodResults, b: &PeriodResults) -> Vec<VersionDiff> {
    let later: HashMap<i64, &DepartmentView> = b.departments.iter().map(|d| (d.id, d)).collect();
    let mut ids: Vec<i64> = a.departments.iter().map(|d| d.id).collect();
    ids.extend(
        b.departments
            .iter()
            .map(|d| d.id)
            .filter(|id| !a.departments.iter().any(|d| d.id == *id)),
    );
    let earlier: HashMap<i64, &DepartmentView> = a.departments.iter().map(|d| (d.id, d)).collect();
    ids.into_iter()
        .filter_map(|id| {
            let (x, y) = (
                earlier.get(&id).map(|d| &d.result),
                later.get(&id).map(|d| &d.result),
            );
            let meta = earlier.get(&id).or_else(|| later.get(&id))?;
            let diff = VersionDiff {
                department_id: id,
                code: meta.code.clone(),
                name: meta.name.clone(),
                responses: (x.map_or(0, |r| r.responses), y.map_or(0, |r| r.responses)),
                score: (x.and_then(|r| r.score), y.and_then(|r| r.score)),
                ranking_score: (x.and_then(|r| r.ranking_score), y.and_then(|r| r.ranking_score)),
                rank: (x.and_then(|r| r.rank), y.and_then(|r| r.rank)),
                grade: (x.and_then(|r| r.grade), y.and_then(|r| r.grade)),
            };
            let same = diff.responses.0 == diff.responses.1
                && diff.score.0 == diff.score.1
                && diff.ranking_score.0 == diff.ranking_score.1
                && diff.rank.0 == diff.rank.1
                && diff.grade.0 == diff.grade.1;
            (!same).then_some(diff)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot as the service published it (the worked example of October 2026).
    fn published() -> PeriodResults {
        PeriodResults::from_snapshot_json(include_str!("../../tests/data/snapshot-2026-10-v1.json")).unwrap()
    }

    #[test]
    fn compare_lists_only_departments_whose_figures_changed() {
        let a = published();
        assert!(compare(&a, &a).is_empty());

        let mut b = a.clone();
        let jsq = b.departments.iter_mut().find(|d| d.code == "JSQ").unwrap();
        jsq.result.responses -= 1;
        jsq.result.grade = Some(Grade::Good);
        jsq.suspect += 1; // not a figure the comparison shows
        b.departments.retain(|d| d.code != "WJW");
        let diffs = compare(&a, &b);
        let summary: Vec<(&str, (u64, u64))> = diffs.iter().map(|d| (d.code.as_str(), d.responses)).collect();
        assert_eq!(summary, [("JSQ", (90, 89)), ("WJW", (8, 0))]);
        assert_eq!(diffs[0].grade, (Some(Grade::Excellent), Some(Grade::Good)));
        assert_eq!(diffs[1].score, (Some(100.0), None));
    }

    #[test]
    fn the_shrinkage_figures_recompute_the_ranking_score() {
        let r = published();
        for d in &r.departments {
            let s = r.shrinkage_of(d).unwrap();
            let again = (s.n as f64 * s.score + s.k * s.prior) / (s.n as f64 + s.k);
            assert!((again - s.ranking_score).abs() < 1e-9, "{}", d.code);
        }
        let jyj = r.department_by_code("JYJ").unwrap();
        let s = r.shrinkage_of(jyj).unwrap();
        assert_eq!(crate::domain::scoring::round2(s.moved()), -0.83);
        // 及时 of the municipal category: 103 of 116 answers satisfied.
        let timely = r.indicators[0].id;
        let rate = r.category_indicator_rate(jyj.result.category_id, timely).unwrap();
        assert!((rate - 103.0 / 116.0).abs() < 1e-12);
        assert!(r.department_by_code("WJW").unwrap().suppressed());
        assert!(!jyj.suppressed());
    }

    #[test]
    fn the_checksum_is_the_sha256_of_the_stored_text() {
        assert_eq!(
            checksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let text = published().to_snapshot_json().unwrap();
        assert_eq!(
            PeriodResults::from_snapshot_json(&text)
                .unwrap()
                .to_snapshot_json()
                .unwrap(),
            text
        );
    }
}
