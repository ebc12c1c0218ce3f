use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

const MUNICIPAL: i64 = 1;
const COUNTY: i64 = 2;

/// Counts as the design writes them: levels 5, 4, 3, 2, 1.
fn levels(c: [u64; 5]) -> Levels {
    [c[4], c[3], c[2], c[1], c[0]]
}

fn unit(id: i64, category: i64, n: u64, by_indicator: [[u64; 5]; 3]) -> UnitCounts {
    let indicators = (1..=3).zip(by_indicator).map(|(i, c)| (i, levels(c))).collect();
    UnitCounts {
        department_id: id,
        category_id: category,
        groups: BTreeMap::from([(
            Group::Public,
            GroupCounts {
                responses: n,
                indicators,
            },
        )]),
        cases: None,
    }
}

fn example_scheme() -> Scheme {
    Scheme {
        indicators: vec![
            SchemeIndicator {
                indicator_id: 1,
                weight: 40.0,
            },
            SchemeIndicator {
                indicator_id: 2,
                weight: 35.0,
            },
            SchemeIndicator {
                indicator_id: 3,
                weight: 25.0,
            },
        ],
        basis: Basis::Rate,
        satisfied_min_level: 3,
        level_scores: DEFAULT_LEVEL_SCORES,
        min_sample: 30,
        shrinkage: Shrinkage::Fixed(10.0),
        bands: GradeBands::default(),
        excellent_cap: 0.2,
        group_weights: vec![],
        case_indicator: None,
    }
}

/// The worked example of the design (docs/scoring.md).
pub fn worked_example() -> Vec<UnitCounts> {
    vec![
        unit(
            11,
            MUNICIPAL,
            48,
            [[30, 12, 3, 2, 1], [28, 14, 4, 1, 1], [25, 15, 5, 2, 1]],
        ), // 市教育局
        unit(
            12,
            MUNICIPAL,
            8,
            [[5, 2, 1, 0, 0], [6, 1, 1, 0, 0], [4, 3, 1, 0, 0]],
        ), // 市卫健委
        unit(
            13,
            MUNICIPAL,
            60,
            [[20, 20, 10, 6, 4], [22, 18, 12, 5, 3], [18, 20, 12, 6, 4]],
        ), // 市城管局
        unit(
            21,
            COUNTY,
            90,
            [[40, 30, 10, 5, 5], [42, 30, 10, 4, 4], [38, 32, 12, 4, 4]],
        ), // 中原区
        unit(
            22,
            COUNTY,
            90,
            [[50, 25, 10, 3, 2], [50, 26, 9, 3, 2], [45, 30, 10, 3, 2]],
        ), // 金水区
    ]
}

fn pct(x: Option<f64>) -> f64 {
    round2(100.0 * x.unwrap())
}

#[test]
fn the_worked_example_matches_to_two_decimals() {
    let scheme = example_scheme();
    scheme.validate().unwrap();
    let results = score(&scheme, &worked_example());
    let get = |id| results.units.iter().find(|u| u.department_id == id).unwrap();
    let prior = |c| {
        results
            .categories
            .iter()
            .find(|r| r.category_id == c)
            .unwrap()
            .priors[0]
            .prior
            .unwrap()
    };
    assert_eq!(round2(prior(MUNICIPAL)), 89.70);
    assert_eq!(round2(prior(COUNTY)), 92.33);

    // (id, N, rate %, interval %, score, ranking, rank, grade, 样本不足, capped)
    let expected = [
        (
            12,
            8,
            100.00,
            (86.20, 100.00),
            100.00,
            94.28,
            1,
            Grade::Excellent,
            true,
            false,
        ),
        (
            11,
            48,
            94.44,
            (89.42, 97.16),
            94.48,
            93.65,
            2,
            Grade::Good,
            false,
            true,
        ),
        (
            13,
            60,
            84.44,
            (78.44, 89.01),
            84.50,
            85.24,
            3,
            Grade::Good,
            false,
            false,
        ),
        (
            22,
            90,
            94.44,
            (91.04, 96.60),
            94.44,
            94.23,
            1,
            Grade::Excellent,
            false,
            false,
        ),
        (
            21,
            90,
            90.37,
            (86.26, 93.34),
            90.22,
            90.43,
            2,
            Grade::Good,
            false,
            true,
        ),
    ];
    for (id, n, rate, (low, high), sc, ranking, rank, grade, small, capped) in expected {
        let u = get(id);
        assert_eq!(u.responses, n, "{id}");
        assert_eq!(pct(u.rate), rate, "{id} rate");
        let (l, h) = u.interval.unwrap();
        assert_eq!(
            (round2(100.0 * l), round2(100.0 * h)),
            (low, high),
            "{id} interval"
        );
        assert_eq!(round2(u.score.unwrap()), sc, "{id} score");
        assert_eq!(round2(u.ranking_score.unwrap()), ranking, "{id} ranking");
        assert_eq!(u.rank, Some(rank), "{id} rank");
        assert_eq!(u.grade, Some(grade), "{id} grade");
        assert_eq!(u.flags.insufficient_sample, small, "{id} 样本不足");
        assert_eq!(u.flags.excellent_capped, capped, "{id} capped");
    }
    // Ordered by category, then rank.
    let order: Vec<i64> = results.units.iter().map(|u| u.department_id).collect();
    assert_eq!(order, [12, 11, 13, 22, 21]);
}

#[test]
fn mean_score_basis_uses_level_scores() {
    let scheme = Scheme {
        basis: Basis::MeanScore,
        ..example_scheme()
    };
    let results = score(&scheme, &worked_example()[1..2]);
    // 市卫健委 timely 5,2,1,0,0: (5·100 + 2·80 + 1·60) / 8 = 90.
    assert_eq!(results.units[0].indicators[0].score, Some(90.0));
}

#[test]
fn missing_indicators_renormalise_weights_and_empty_units_get_no_rank() {
    let scheme = example_scheme();
    let mut only_two = unit(1, 1, 10, [[10, 0, 0, 0, 0], [0, 0, 0, 0, 10], [0; 5]]);
    only_two
        .groups
        .get_mut(&Group::Public)
        .unwrap()
        .indicators
        .remove(&3);
    let empty = UnitCounts {
        department_id: 2,
        category_id: 1,
        groups: BTreeMap::new(),
        cases: None,
    };
    let results = score(
        &Scheme {
            shrinkage: Shrinkage::Fixed(0.0),
            ..scheme
        },
        &[only_two, empty],
    );
    let a = &results.units[0];
    assert!(a.flags.weights_renormalised);
    // (40·100 + 35·0) / 75
    assert!((a.score.unwrap() - 4000.0 / 75.0).abs() < 1e-9);
    let b = &results.units[1];
    assert!(b.flags.no_data && b.rank.is_none() && b.grade.is_none() && b.rate.is_none());
}

#[test]
fn groups_are_scored_alike_and_combined_by_weight() {
    let scheme = Scheme {
        group_weights: vec![(Group::Public, 70.0), (Group::Panel, 30.0)],
        shrinkage: Shrinkage::Fixed(0.0),
        ..example_scheme()
    };
    scheme.validate().unwrap();
    let all_good = [10, 0, 0, 0, 0];
    let half = [5, 0, 0, 5, 0];
    let mut u = unit(1, 1, 10, [all_good; 3]);
    u.groups.insert(
        Group::Panel,
        GroupCounts {
            responses: 10,
            indicators: (1..=3).map(|i| (i, levels(half))).collect(),
        },
    );
    let r = score(&scheme, &[u]);
    // public 100, panel 50 → 0.7·100 + 0.3·50
    assert!((r.units[0].score.unwrap() - 85.0).abs() < 1e-9);
    // The satisfaction rate pools everyone: 45 of 60 answers.
    assert_eq!(r.units[0].rate, Some(0.75));

    let only_public = unit(2, 1, 10, [all_good; 3]);
    let r = score(&scheme, &[only_public]);
    assert!(r.units[0].flags.groups_renormalised);
    assert_eq!(r.units[0].score, Some(100.0));
}

#[test]
fn auto_k_is_fitted_per_category_and_reported() {
    let scheme = Scheme {
        shrinkage: Shrinkage::Auto,
        ..example_scheme()
    };
    let r = score(&scheme, &worked_example());
    let municipal = &r.categories[0].priors[0];
    assert!(municipal.k_fitted && !municipal.k_fallback);
    assert!((AUTO_K_MIN..=AUTO_K_MAX).contains(&municipal.k));
    // Two county units: too few to fit, the documented fallback is used.
    let county = &r.categories[1].priors[0];
    assert!(county.k_fallback && county.k == AUTO_FALLBACK_K);
}

#[test]
fn scheme_validation_explains_the_problem() {
    let mut s = example_scheme();
    s.indicators[0].weight = 50.0;
    assert_eq!(s.validate(), Err(SchemeError::WeightsSum(110.0)));
    assert!(s.validate().unwrap_err().to_string().contains("100"));
    let s = Scheme {
        excellent_cap: 0.0,
        ..example_scheme()
    };
    assert!(matches!(s.validate(), Err(SchemeError::Cap(_))));
    let s = Scheme {
        bands: GradeBands {
            excellent: 80.0,
            good: 85.0,
            pass: 60.0,
        },
        ..example_scheme()
    };
    assert_eq!(s.validate(), Err(SchemeError::Bands));
    let s = Scheme {
        group_weights: vec![(Group::Public, 70.0), (Group::Panel, 20.0)],
        ..example_scheme()
    };
    assert_eq!(s.validate(), Err(SchemeError::GroupWeights));
    let s = Scheme {
        shrinkage: Shrinkage::Fixed(-1.0),
        ..example_scheme()
    };
    assert!(matches!(s.validate(), Err(SchemeError::ShrinkageK(_))));
}

#[test]
fn ties_share_a_rank_and_a_straddling_tie_is_capped_whole() {
    let scheme = Scheme {
        shrinkage: Shrinkage::Fixed(0.0),
        ..example_scheme()
    };
    let perfect = [[10, 0, 0, 0, 0]; 3];
    let units: Vec<UnitCounts> = (1..=5)
        .map(|id| {
            if id <= 2 {
                unit(id, 1, 10, perfect)
            } else {
                unit(id, 1, 10, [[8, 0, 0, 2, 0]; 3])
            }
        })
        .collect();
    // Five ranked: quota ⌊0.2·5⌋ = 1, but two tie at the top.
    let r = score(&scheme, &units);
    let ranks: Vec<_> = r.units.iter().map(|u| u.rank.unwrap()).collect();
    assert_eq!(ranks, [1, 1, 3, 3, 3]);
    assert!(r.units.iter().all(|u| u.grade != Some(Grade::Excellent)));
    assert!(r.units[0].flags.excellent_capped && r.units[1].flags.excellent_capped);
}

fn arb_unit(id: i64) -> impl Strategy<Value = UnitCounts> {
    (
        0i64..3,
        proptest::collection::vec(proptest::array::uniform5(0u64..40), 3),
        0u64..60,
    )
        .prop_map(move |(category, per_indicator, extra)| {
            let indicators: BTreeMap<i64, Levels> = (1..=3).zip(per_indicator).collect();
            let max_n = indicators
                .values()
                .map(|l| l.iter().sum::<u64>())
                .max()
                .unwrap_or(0);
            let responses = if max_n == 0 { 0 } else { max_n + extra };
            UnitCounts {
                department_id: id,
                category_id: category,
                groups: BTreeMap::from([(
                    Group::Public,
                    GroupCounts {
                        responses,
                        indicators,
                    },
                )]),
                cases: None,
            }
        })
}

fn arb_input() -> impl Strategy<Value = Vec<UnitCounts>> {
    (1usize..12).prop_flat_map(|n| (0..n as i64).map(arb_unit).collect::<Vec<_>>())
}

fn arb_scheme() -> impl Strategy<Value = Scheme> {
    (
        prop_oneof![Just(Shrinkage::Auto), (0.0f64..100.0).prop_map(Shrinkage::Fixed)],
        1u8..=5,
        0.05f64..=1.0,
        any::<bool>(),
    )
        .prop_map(|(shrinkage, level, cap, mean)| Scheme {
            shrinkage,
            satisfied_min_level: level,
            excellent_cap: cap,
            basis: if mean { Basis::MeanScore } else { Basis::Rate },
            ..example_scheme()
        })
}

proptest! {
    #[test]
    fn invariants_hold(scheme in arb_scheme(), input in arb_input()) {
        let r = score(&scheme, &input);
        prop_assert_eq!(r.units.len(), input.len());
        for u in &r.units {
            if let Some(rate) = u.rate {
                prop_assert!((0.0..=1.0).contains(&rate));
                let (l, h) = u.interval.unwrap();
                prop_assert!(l <= rate + 1e-12 && rate <= h + 1e-12, "interval {:?} holds {}", (l, h), rate);
                prop_assert!((0.0..=1.0).contains(&l) && (0.0..=1.0).contains(&h));
            }
            if let (Some(s), Some(k)) = (u.score, u.ranking_score) {
                prop_assert!((0.0..=100.0 + 1e-9).contains(&s));
                let cat = r.categories.iter().find(|c| c.category_id == u.category_id).unwrap();
                let prior = cat.priors[0].prior.unwrap();
                // Shrinkage moves toward the prior and never past it.
                let (lo, hi) = if s <= prior { (s, prior) } else { (prior, s) };
                prop_assert!(lo - 1e-9 <= k && k <= hi + 1e-9, "score {} prior {} ranking {}", s, prior, k);
            }
        }
        for cat in &r.categories {
            let members: Vec<&UnitResult> = r.units.iter().filter(|u| u.category_id == cat.category_id).collect();
            let excellent = members.iter().filter(|u| u.grade == Some(Grade::Excellent)).count();
            prop_assert!(excellent <= cat.excellent_quota, "cap holds");
            // Ties share a rank; ranks are competition ranks.
            let mut ranked: Vec<(u32, f64)> = members.iter().filter_map(|u| Some((u.rank?, round2(u.ranking_score?)))).collect();
            ranked.sort_by_key(|a| a.0);
            for (i, w) in ranked.windows(2).enumerate() {
                prop_assert!(w[0].1 >= w[1].1);
                if w[0].1 == w[1].1 { prop_assert_eq!(w[0].0, w[1].0); } else { prop_assert_eq!(w[1].0 as usize, i + 2); }
            }
            if let Some(first) = ranked.first() { prop_assert_eq!(first.0, 1); }
        }
    }
}

#[test]
fn an_indicator_scored_from_cases_weighs_in_without_touching_the_satisfaction_rate() {
    let mut scheme = example_scheme();
    // Indicator 3 now comes from cases: on-time replies over cases opened.
    scheme.case_indicator = Some(3);
    let mut answered = unit(1, 1, 50, [[30, 10, 5, 3, 2], [30, 10, 5, 3, 2], [0, 0, 0, 0, 0]]);
    answered.cases = Some(CaseCounts {
        opened: 4,
        on_time: 3,
    });
    let without = unit(2, 1, 50, [[30, 10, 5, 3, 2], [30, 10, 5, 3, 2], [0, 0, 0, 0, 0]]);
    let results = score(&scheme, &[answered, without]);
    let one = results.units.iter().find(|u| u.department_id == 1).unwrap();
    let two = results.units.iter().find(|u| u.department_id == 2).unwrap();
    let case_result = one.indicators.iter().find(|i| i.indicator_id == 3).unwrap();
    assert_eq!(
        (case_result.n, case_result.satisfied, case_result.score),
        (4, 3, Some(75.0))
    );
    assert_eq!(one.rated, 100, "case counts are not rating answers");
    assert_eq!(
        one.rate, two.rate,
        "the satisfaction rate is the residents' alone"
    );
    // Indicators 1 and 2 score 90 each (45 of 50 satisfied); with weights 40/35/25:
    let expected = (40.0 * 90.0 + 35.0 * 90.0 + 25.0 * 75.0) / 100.0;
    assert!((one.score.unwrap() - expected).abs() < 1e-9, "{:?}", one.score);
    assert_eq!(
        two.score,
        Some(90.0),
        "no cases: the case weight is renormalised away"
    );
    assert!(two.flags.weights_renormalised && !one.flags.weights_renormalised);
}

#[test]
fn satisfied_means_at_or_above_the_lowest_satisfied_level() {
    assert!(is_satisfied(3, 3) && is_satisfied(5, 3));
    assert!(!is_satisfied(2, 3));
    assert!(!is_satisfied(3, 4), "an office may count only 满意 and 非常满意");
    assert_eq!(satisfied_min_level(None), DEFAULT_SATISFIED_MIN_LEVEL);
    let strict = Scheme {
        satisfied_min_level: 4,
        ..example_scheme()
    };
    assert_eq!(satisfied_min_level(Some(&strict)), 4);
    assert!(strict.is_satisfied(4) && !strict.is_satisfied(3));
    // levels 1..=5
    assert_eq!(strict.satisfied(&[1, 2, 3, 4, 5]), 9);
    assert_eq!(example_scheme().satisfied(&[1, 2, 3, 4, 5]), 12);
}
