//! Ranks within a category and grades, with the cap on 优秀.

use serde::{Deserialize, Serialize};

use super::{Scheme, UnitResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Excellent,
    Good,
    Pass,
    Fail,
}

impl Grade {
    pub fn label_zh(self) -> &'static str {
        match self {
            Grade::Excellent => "优秀",
            Grade::Good => "良好",
            Grade::Pass => "合格",
            Grade::Fail => "不合格",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Grade::Excellent => "excellent",
            Grade::Good => "good",
            Grade::Pass => "pass",
            Grade::Fail => "fail",
        }
    }
}

/// Lowest ranking score of each grade; below `pass` is 不合格.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GradeBands {
    pub excellent: f64,
    pub good: f64,
    pub pass: f64,
}

impl Default for GradeBands {
    fn default() -> Self {
        Self {
            excellent: 90.0,
            good: 80.0,
            pass: 60.0,
        }
    }
}

impl GradeBands {
    pub fn grade(&self, score: f64) -> Grade {
        if score >= self.excellent {
            Grade::Excellent
        } else if score >= self.good {
            Grade::Good
        } else if score >= self.pass {
            Grade::Pass
        } else {
            Grade::Fail
        }
    }
}

/// Rounds half away from zero to two decimals, the precision that ranks and grades use
/// (so two departments shown with the same score share a rank).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Ranks a category's departments by ranking score rounded to two decimals (ties share a
/// rank: 1, 2, 2, 4) and grades them. At most ⌊cap × ranked⌋ (at least 1) may be 优秀; the cap
/// is strict, so a tie that would straddle it drops whole to 良好. Returns (ranked, quota).
pub fn rank_and_grade(scheme: &Scheme, units: &mut [UnitResult]) -> (usize, usize) {
    let mut order: Vec<(f64, usize)> = units
        .iter()
        .enumerate()
        .filter_map(|(i, u)| u.ranking_score.map(|s| (round2(s), i)))
        .collect();
    order.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(units[a.1].department_id.cmp(&units[b.1].department_id))
    });
    let ranked = order.len();
    let quota = ((scheme.excellent_cap * ranked as f64 + 1e-9).floor() as usize).max(1);

    let mut admitted = 0;
    let mut cap_reached = false;
    let mut start = 0;
    while start < order.len() {
        let score = order[start].0;
        let end = start + order[start..].iter().take_while(|(s, _)| *s == score).count();
        let rank = start as u32 + 1;
        let grade = scheme.bands.grade(score);
        let tie = end - start;
        let capped = grade == Grade::Excellent && (cap_reached || admitted + tie > quota);
        if grade == Grade::Excellent {
            if capped {
                cap_reached = true;
            } else {
                admitted += tie;
            }
        }
        for &(_, i) in &order[start..end] {
            units[i].rank = Some(rank);
            units[i].grade = Some(if capped { Grade::Good } else { grade });
            units[i].flags.excellent_capped = capped;
        }
        start = end;
    }
    (ranked, quota)
}
