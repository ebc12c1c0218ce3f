//! 考核方案: the parameters of the method, validated once when a scheme is saved.

use serde::{Deserialize, Serialize};

use super::grading::GradeBands;
use super::{Group, Levels};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Indicator score = 100 × satisfied / answers.
    Rate,
    /// Indicator score = mean of the level scores.
    MeanScore,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shrinkage {
    /// Prior strength in responses; 0 turns shrinkage off.
    Fixed(f64),
    /// Fitted per category from the spread of rates beyond sampling noise.
    Auto,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemeIndicator {
    pub indicator_id: i64,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scheme {
    /// In display order; weights sum to 100.
    pub indicators: Vec<SchemeIndicator>,
    pub basis: Basis,
    /// Levels at or above this are satisfied (好评); default 3. See [`is_satisfied`].
    pub satisfied_min_level: u8,
    /// Scores of levels 1..=5 for the `mean_score` basis; default 0, 30, 60, 80, 100.
    pub level_scores: [f64; 5],
    pub min_sample: u64,
    pub shrinkage: Shrinkage,
    pub bands: GradeBands,
    /// Largest share of a category that may be 优秀; default 0.2.
    pub excellent_cap: f64,
    /// Weights of respondent groups (sum 100). Fewer than two: everyone is pooled.
    pub group_weights: Vec<(Group, f64)>,
    /// The indicator scored from 差评整改 instead of ratings: 100 × cases answered on time ÷
    /// cases opened. A department without cases has no score on it (weights renormalised).
    #[serde(default)]
    pub case_indicator: Option<i64>,
}

pub const DEFAULT_LEVEL_SCORES: [f64; 5] = [0.0, 30.0, 60.0, 80.0, 100.0];

/// The lowest satisfied level where no scheme sets one: 基本满意 (3) and better.
pub const DEFAULT_SATISFIED_MIN_LEVEL: u8 = 3;

/// The one rule for 满意: an answer is satisfied when its level is at or above the lowest
/// satisfied level. Every count of satisfied answers (scores, channels, the dashboard, the
/// annual figures) goes through here.
pub fn is_satisfied(level: i32, satisfied_min_level: u8) -> bool {
    level >= i32::from(satisfied_min_level)
}

/// The lowest satisfied level in force: the scheme's, or the default without a scheme.
pub fn satisfied_min_level(scheme: Option<&Scheme>) -> u8 {
    scheme.map_or(DEFAULT_SATISFIED_MIN_LEVEL, |s| s.satisfied_min_level)
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemeError {
    #[error("方案至少需要一个指标 a scheme needs at least one indicator")]
    NoIndicators,
    #[error("指标重复 indicator {0} appears twice")]
    DuplicateIndicator(i64),
    #[error("指标权重必须为正数 indicator weights must be positive (indicator {0})")]
    NonPositiveWeight(i64),
    #[error("指标权重之和须为100，当前为 {0} indicator weights must sum to 100, not {0}")]
    WeightsSum(f64),
    #[error("满意等级下限须在1–5之间 the lowest satisfied level must be 1–5, not {0}")]
    SatisfiedLevel(u8),
    #[error("等级分值须在0–100之间且随等级递增 level scores must lie in 0–100 and rise with the level")]
    LevelScores,
    #[error("修正系数k须在0–10000之间 k must be between 0 and 10000, not {0}")]
    ShrinkageK(f64),
    #[error(
        "等级分数线须满足 0 ≤ 合格 < 良好 < 优秀 ≤ 100 grade bands must satisfy 0 ≤ pass < good < excellent ≤ 100"
    )]
    Bands,
    #[error("优秀比例上限须在0–1之间 the cap on 优秀 must be a share in (0, 1], not {0}")]
    Cap(f64),
    #[error("群体权重须为正数且之和为100 group weights must be positive and sum to 100")]
    GroupWeights,
}

fn close_to_100(x: f64) -> bool {
    (x - 100.0).abs() < 1e-6
}

impl Scheme {
    pub fn validate(&self) -> Result<(), SchemeError> {
        if self.indicators.is_empty() {
            return Err(SchemeError::NoIndicators);
        }
        let mut seen = std::collections::BTreeSet::new();
        for ind in &self.indicators {
            if !seen.insert(ind.indicator_id) {
                return Err(SchemeError::DuplicateIndicator(ind.indicator_id));
            }
            if !(ind.weight.is_finite() && ind.weight > 0.0) {
                return Err(SchemeError::NonPositiveWeight(ind.indicator_id));
            }
        }
        let total: f64 = self.indicators.iter().map(|i| i.weight).sum();
        if !close_to_100(total) {
            return Err(SchemeError::WeightsSum(total));
        }
        if !(1..=5).contains(&self.satisfied_min_level) {
            return Err(SchemeError::SatisfiedLevel(self.satisfied_min_level));
        }
        let scores_ok = self.level_scores.iter().all(|s| (0.0..=100.0).contains(s))
            && self.level_scores.windows(2).all(|w| w[0] <= w[1]);
        if !scores_ok {
            return Err(SchemeError::LevelScores);
        }
        if let Shrinkage::Fixed(k) = self.shrinkage
            && !(k.is_finite() && (0.0..=10_000.0).contains(&k))
        {
            return Err(SchemeError::ShrinkageK(k));
        }
        let b = &self.bands;
        if !(0.0 <= b.pass && b.pass < b.good && b.good < b.excellent && b.excellent <= 100.0) {
            return Err(SchemeError::Bands);
        }
        if !(self.excellent_cap > 0.0 && self.excellent_cap <= 1.0) {
            return Err(SchemeError::Cap(self.excellent_cap));
        }
        if !self.group_weights.is_empty() {
            let mut groups = std::collections::BTreeSet::new();
            let ok = self
                .group_weights
                .iter()
                .all(|(g, w)| groups.insert(*g) && w.is_finite() && *w > 0.0)
                && close_to_100(self.group_weights.iter().map(|(_, w)| w).sum());
            if !ok {
                return Err(SchemeError::GroupWeights);
            }
        }
        Ok(())
    }

    /// Whether an answer at `level` is satisfied under this scheme.
    pub fn is_satisfied(&self, level: i32) -> bool {
        is_satisfied(level, self.satisfied_min_level)
    }

    /// Answers at a satisfied level.
    pub fn satisfied(&self, levels: &Levels) -> u64 {
        (1..=5)
            .zip(levels)
            .filter(|(level, _)| self.is_satisfied(*level))
            .map(|(_, n)| n)
            .sum()
    }

    /// The indicator score of one set of answers, `None` without answers.
    /// The score of one indicator: from the case counts for the case indicator, else from
    /// the rating levels.
    pub fn score_of(
        &self,
        indicator_id: i64,
        levels: Option<&Levels>,
        cases: Option<super::CaseCounts>,
    ) -> Option<f64> {
        if self.case_indicator == Some(indicator_id) {
            let c = cases?;
            return (c.opened > 0).then(|| 100.0 * c.on_time as f64 / c.opened as f64);
        }
        self.indicator_score(levels?)
    }

    pub fn indicator_score(&self, levels: &Levels) -> Option<f64> {
        let n: u64 = levels.iter().sum();
        if n == 0 {
            return None;
        }
        Some(match self.basis {
            Basis::Rate => 100.0 * self.satisfied(levels) as f64 / n as f64,
            Basis::MeanScore => {
                levels
                    .iter()
                    .zip(self.level_scores)
                    .map(|(c, s)| *c as f64 * s)
                    .sum::<f64>()
                    / n as f64
            }
        })
    }
}
