//! `k = auto`: the prior strength fitted per category by maximum likelihood (empirical Bayes on a
//! beta-binomial). See docs/scoring.md §3 for the method and the simulation that chose it.

/// The default k: used when `auto` cannot be fitted (fewer than three departments with
/// responses), and kept while the category's counts support it.
pub const AUTO_FALLBACK_K: f64 = 10.0;
/// The search for k is bounded to this range (in responses): at least a nudge toward the prior,
/// and never so strong that a department with hundreds of responses barely counts.
pub const AUTO_K_MIN: f64 = 1.0;
pub const AUTO_K_MAX: f64 = 1000.0;
/// How far below its maximum the log-likelihood may fall inside the reported range of k:
/// half the 95% point of χ² with one degree of freedom (the 95% likelihood-ratio interval;
/// the likelihood stays above e^−1.92 ≈ 15% of its maximum).
pub const RANGE_LOG_RATIO: f64 = 1.920_729_410_347_062;

/// Points of the coarse search over ln k; the best one is then refined by golden section.
const GRID: usize = 48;

/// A fitted prior strength and how sure the fit is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriorFit {
    /// The k to use: [`AUTO_FALLBACK_K`] while it lies in `range`, else `most_likely`.
    pub k: f64,
    /// The k of the largest likelihood within [`AUTO_K_MIN`], [`AUTO_K_MAX`].
    pub most_likely: f64,
    /// Every k whose likelihood is within [`RANGE_LOG_RATIO`] of the maximum (bounded by the search).
    pub range: (f64, f64),
}

/// Fits k from `(responses N_i, satisfied answers, rating answers)` per department.
///
/// A department's rate r_i = satisfied/answers over N_i responses counts as x_i = N_i·r_i
/// satisfied responses, so k is in responses like N in the ranking score. Rates are modelled as
/// drawn from Beta(μk, (1−μ)k) around the pooled rate μ = Σx_i / ΣN_i, and the counts as binomial
/// given the rate; k maximises the marginal (beta-binomial) likelihood
///   ℓ(k) = Σ_i [ln B(x_i + μk, N_i − x_i + (1−μ)k) − ln B(μk, (1−μ)k)],
/// searched on ln k over the bounded range. Spread no larger than sampling noise puts the maximum at
/// the upper bound; departments far apart put it low. The k used is the default unless the
/// likelihood-ratio range excludes it, then the maximum.
/// `None` when fewer than three departments have answers: there is no spread to measure.
pub fn fit_prior_strength(samples: &[(u64, u64, u64)]) -> Option<PriorFit> {
    let units: Vec<(f64, f64)> = samples
        .iter()
        .filter(|(n, _, rated)| *n > 0 && *rated > 0)
        .map(|(n, s, rated)| {
            let n = *n as f64;
            (n, n * (*s as f64 / *rated as f64).min(1.0))
        })
        .collect();
    if units.len() < 3 {
        return None;
    }
    let total: f64 = units.iter().map(|(n, _)| n).sum();
    let mu = units.iter().map(|(_, x)| x).sum::<f64>() / total;
    if mu <= 0.0 || mu >= 1.0 {
        // Every answer satisfied (or none): all departments agree, k cannot matter to the order.
        return Some(PriorFit {
            k: AUTO_K_MAX,
            most_likely: AUTO_K_MAX,
            range: (AUTO_K_MIN, AUTO_K_MAX),
        });
    }
    let loglik = |t: f64| log_likelihood(&units, mu, t.exp());
    let (lo, hi) = (AUTO_K_MIN.ln(), AUTO_K_MAX.ln());
    let step = (hi - lo) / (GRID - 1) as f64;
    let grid: Vec<(f64, f64)> = (0..GRID)
        .map(|i| {
            let t = lo + step * i as f64;
            (t, loglik(t))
        })
        .collect();
    let best = (0..GRID)
        .max_by(|&a, &b| grid[a].1.total_cmp(&grid[b].1))
        .unwrap_or(0);
    let t_best = golden_max(
        &loglik,
        grid[best.saturating_sub(1)].0,
        grid[(best + 1).min(GRID - 1)].0,
    );
    let top = loglik(t_best).max(grid[best].1);
    let target = top - RANGE_LOG_RATIO;
    // The likelihood is unimodal in ln k: the range ends where it crosses the target on each side.
    let low_end = if loglik(lo) >= target {
        lo
    } else {
        crossing(&loglik, target, lo, t_best)
    };
    let high_end = if loglik(hi) >= target {
        hi
    } else {
        crossing(&loglik, target, hi, t_best)
    };
    // The bounds exactly, not e^ln(bound) with its last-bit error.
    let to_k = |t: f64| {
        if t <= lo {
            AUTO_K_MIN
        } else if t >= hi {
            AUTO_K_MAX
        } else {
            t.exp()
        }
    };
    let range = (to_k(low_end), to_k(high_end));
    // The default stands unless the counts rule it out: a k that merely fits a little better
    // would move ranks on noise (docs/scoring.md §3, the simulation).
    let k = if range.0 <= AUTO_FALLBACK_K && AUTO_FALLBACK_K <= range.1 {
        AUTO_FALLBACK_K
    } else {
        to_k(t_best)
    };
    Some(PriorFit {
        k,
        most_likely: to_k(t_best),
        range,
    })
}

/// ℓ(k) up to a constant: the terms of ln C(N_i, x_i) do not depend on k.
fn log_likelihood(units: &[(f64, f64)], mu: f64, k: f64) -> f64 {
    let (a, b) = (mu * k, (1.0 - mu) * k);
    let prior = ln_beta(a, b);
    units.iter().map(|(n, x)| ln_beta(x + a, n - x + b) - prior).sum()
}

fn ln_beta(a: f64, b: f64) -> f64 {
    libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b)
}

/// The maximum of a unimodal `f` on [a, b], by golden-section search to 1e-6 in ln k.
fn golden_max(f: &impl Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    const INV_PHI: f64 = 0.618_033_988_749_895;
    let mut c = b - INV_PHI * (b - a);
    let mut d = a + INV_PHI * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    while b - a > 1e-6 {
        if fc >= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - INV_PHI * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + INV_PHI * (b - a);
            fd = f(d);
        }
    }
    (a + b) / 2.0
}

/// Where `f` crosses `target` between `outside` (below it) and `inside` (above it), by bisection.
fn crossing(f: &impl Fn(f64) -> f64, target: f64, mut outside: f64, mut inside: f64) -> f64 {
    while (inside - outside).abs() > 1e-4 {
        let mid = (inside + outside) / 2.0;
        if f(mid) >= target {
            inside = mid;
        } else {
            outside = mid;
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Beta, Binomial, Distribution};

    /// Departments with rates from Beta(mean·k, (1−mean)·k) and `n` responses each.
    fn simulate(seed: u64, k: f64, mean: f64, units: usize, n: u64) -> Vec<(u64, u64, u64)> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let rates = Beta::new(mean * k, (1.0 - mean) * k).unwrap();
        (0..units)
            .map(|_| {
                let s = Binomial::new(n, rates.sample(&mut rng)).unwrap().sample(&mut rng);
                (n, s, n)
            })
            .collect()
    }

    #[test]
    fn recovers_a_known_strength_within_a_quarter() {
        // Many departments: the fit should land within 25% of the truth, inside its own range.
        for (seed, k, mean) in [(1, 10.0, 0.85), (2, 32.0, 0.94), (3, 100.0, 0.9)] {
            let fit = fit_prior_strength(&simulate(seed, k, mean, 400, 200)).unwrap();
            assert!(
                (fit.most_likely / k - 1.0).abs() < 0.25,
                "true k {k}, fitted {:.1}",
                fit.most_likely
            );
            assert!(fit.range.0 <= k && k <= fit.range.1, "{k} in {:?}", fit.range);
        }
    }

    #[test]
    fn few_departments_give_a_wide_range_and_many_a_narrow_one() {
        let few = fit_prior_strength(&simulate(4, 30.0, 0.9, 6, 60)).unwrap();
        let many = fit_prior_strength(&simulate(4, 30.0, 0.9, 300, 60)).unwrap();
        let width = |f: PriorFit| f.range.1 / f.range.0;
        assert!(width(few) > 3.0 * width(many), "{few:?} vs {many:?}");
        assert!(few.range.0 <= few.most_likely && few.most_likely <= few.range.1);
    }

    #[test]
    fn the_default_stands_until_the_counts_rule_it_out() {
        // Ten departments of 30: a true k of 40 cannot be told from 10, so 10 is used.
        let weak = fit_prior_strength(&simulate(8, 40.0, 0.9, 10, 30)).unwrap();
        assert!(weak.range.0 <= AUTO_FALLBACK_K, "{weak:?}");
        assert_eq!(weak.k, AUTO_FALLBACK_K);
        // Two hundred departments of 200: it can, and the most likely k is used.
        let strong = fit_prior_strength(&simulate(8, 40.0, 0.9, 200, 200)).unwrap();
        assert!(strong.range.0 > AUTO_FALLBACK_K, "{strong:?}");
        assert_eq!(strong.k, strong.most_likely);
    }

    #[test]
    fn too_few_departments_cannot_be_fitted() {
        assert_eq!(fit_prior_strength(&[(10, 9, 10), (10, 8, 10)]), None);
        // A department without responses or answers is not a department to fit on.
        assert_eq!(
            fit_prior_strength(&[(10, 9, 10), (10, 8, 10), (0, 0, 0), (5, 0, 0)]),
            None
        );
    }

    #[test]
    fn a_department_with_no_responses_changes_nothing() {
        let data = simulate(5, 20.0, 0.9, 12, 80);
        let mut with_empty = data.clone();
        with_empty.push((0, 0, 0));
        assert_eq!(fit_prior_strength(&data), fit_prior_strength(&with_empty));
    }

    #[test]
    fn identical_departments_put_k_at_the_bound() {
        let same = [(100, 90, 100), (100, 90, 100), (100, 90, 100)];
        let fit = fit_prior_strength(&same).unwrap();
        assert!(fit.most_likely > 0.99 * AUTO_K_MAX, "{fit:?}");
        assert_eq!(fit.range.1, AUTO_K_MAX);
        // Three departments of 100 cannot rule out a moderate spread either, but they do rule
        // out the default's wide one.
        assert!(AUTO_FALLBACK_K < fit.range.0 && fit.range.0 < 100.0, "{fit:?}");
        assert_eq!(fit.k, fit.most_likely);
    }

    #[test]
    fn all_satisfied_everywhere_is_the_strongest_prior() {
        let all = [(10, 10, 10), (50, 50, 50), (7, 7, 7)];
        assert_eq!(fit_prior_strength(&all).unwrap().k, AUTO_K_MAX);
    }

    #[test]
    fn wide_spread_means_weak_prior() {
        let wide = [(100, 99, 100), (100, 60, 100), (100, 80, 100), (100, 95, 100)];
        let narrow = [(100, 92, 100), (100, 85, 100), (100, 89, 100), (100, 95, 100)];
        let (kw, kn) = (
            fit_prior_strength(&wide).unwrap().most_likely,
            fit_prior_strength(&narrow).unwrap().most_likely,
        );
        assert!(kw < kn, "{kw} < {kn}");
        assert!((AUTO_K_MIN..=AUTO_K_MAX).contains(&kw));
    }

    #[test]
    fn rates_are_counted_per_response() {
        // Six answers per response: the same rates over six times the answers fit the same k.
        let per_answer: Vec<(u64, u64, u64)> = simulate(6, 25.0, 0.9, 30, 50)
            .into_iter()
            .map(|(n, s, _)| (n, 6 * s, 6 * n))
            .collect();
        let a = fit_prior_strength(&simulate(6, 25.0, 0.9, 30, 50)).unwrap();
        let b = fit_prior_strength(&per_answer).unwrap();
        assert!((a.k - b.k).abs() < 1e-6, "{a:?} {b:?}");
    }
}
