//! `k = auto`: the prior strength fitted from a category's own spread (empirical Bayes,
//! method of moments on a beta-binomial). See docs/scoring.md for the derivation.

/// Used when `auto` cannot be fitted (fewer than three departments with responses).
pub const AUTO_FALLBACK_K: f64 = 10.0;
/// The fitted k is clamped to this range (in responses): at least a nudge toward the prior,
/// and never so strong that a department with hundreds of responses barely counts.
pub const AUTO_K_MIN: f64 = 1.0;
pub const AUTO_K_MAX: f64 = 1000.0;

/// Fits k from `(responses N_i, satisfied answers, rating answers)` per department.
///
/// With rates r_i = satisfied/answers, weights N_i, pooled mean μ = Σ N_i r_i / Σ N_i and
/// S = Σ N_i (r_i − μ)², a beta-binomial with intra-class correlation ρ = 1/(k+1) gives
/// E[S] = μ(1−μ)·[(m−1) + ρ·(N − Σ N_i²/N − (m−1))], N = Σ N_i, m departments. Solving for ρ:
/// ρ̂ = (S/(μ(1−μ)) − (m−1)) / (N − Σ N_i²/N − (m−1)), and k = 1/ρ̂ − 1.
/// Spread no larger than sampling noise (ρ̂ ≤ 0) means the departments look alike: k = max.
pub fn fit_prior_strength(samples: &[(u64, u64, u64)]) -> Option<f64> {
    let units: Vec<(f64, f64)> = samples
        .iter()
        .filter(|(n, _, rated)| *n > 0 && *rated > 0)
        .map(|(n, s, rated)| (*n as f64, *s as f64 / *rated as f64))
        .collect();
    let m = units.len() as f64;
    if units.len() < 3 {
        return None;
    }
    let total: f64 = units.iter().map(|(n, _)| n).sum();
    let mu = units.iter().map(|(n, r)| n * r).sum::<f64>() / total;
    let variance = mu * (1.0 - mu);
    if variance <= 0.0 {
        return Some(AUTO_K_MAX);
    }
    let spread: f64 = units.iter().map(|(n, r)| n * (r - mu).powi(2)).sum();
    let denom = total - units.iter().map(|(n, _)| n * n).sum::<f64>() / total - (m - 1.0);
    if denom <= 0.0 {
        return None;
    }
    let rho = (spread / variance - (m - 1.0)) / denom;
    if rho <= 0.0 {
        return Some(AUTO_K_MAX);
    }
    Some((1.0 / rho - 1.0).clamp(AUTO_K_MIN, AUTO_K_MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_few_departments_cannot_be_fitted() {
        assert_eq!(fit_prior_strength(&[(10, 9, 10), (10, 8, 10)]), None);
    }

    #[test]
    fn no_spread_beyond_noise_means_strongest_prior() {
        let same = [(100, 90, 100), (100, 90, 100), (100, 90, 100)];
        assert_eq!(fit_prior_strength(&same), Some(AUTO_K_MAX));
    }

    #[test]
    fn wide_spread_means_weak_prior() {
        let wide = [(100, 99, 100), (100, 60, 100), (100, 80, 100), (100, 95, 100)];
        let narrow = [(100, 92, 100), (100, 85, 100), (100, 89, 100), (100, 95, 100)];
        let (kw, kn) = (
            fit_prior_strength(&wide).unwrap(),
            fit_prior_strength(&narrow).unwrap(),
        );
        assert!(kw < kn, "{kw} < {kn}");
        assert!((AUTO_K_MIN..=AUTO_K_MAX).contains(&kw));
    }

    #[test]
    fn recovers_the_strength_of_a_simulated_beta_binomial() {
        // Rates drawn from Beta(a, b) with a + b = 40, then 200 responses per department.
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let (a, b) = (36.0, 4.0);
        let samples: Vec<(u64, u64, u64)> = (0..400)
            .map(|_| {
                let p = sample_beta(&mut rng, a, b);
                let s = (0..200).filter(|_| rng.random::<f64>() < p).count() as u64;
                (200, s, 200)
            })
            .collect();
        let k = fit_prior_strength(&samples).unwrap();
        assert!((25.0..60.0).contains(&k), "fitted k {k}, true 40");
    }

    /// Beta via two gammas (shape > 1: Marsaglia–Tsang).
    fn sample_beta(rng: &mut impl rand::Rng, a: f64, b: f64) -> f64 {
        let x = sample_gamma(rng, a);
        x / (x + sample_gamma(rng, b))
    }

    fn sample_gamma(rng: &mut impl rand::Rng, shape: f64) -> f64 {
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let (u1, u2): (f64, f64) = (rng.random(), rng.random());
            let x = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            let v = (1.0 + c * x).powi(3);
            if v > 0.0 && rng.random::<f64>().ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
}
