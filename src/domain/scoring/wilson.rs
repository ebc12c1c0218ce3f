/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// Wilson score interval for `successes` of `trials`, as shares in [0, 1]. Unlike the plain
/// ±1.96·√(p(1−p)/n), it stays inside [0, 1] and is honest for small samples and rates near
/// 100% (8 of 8 satisfied gives [0.676, 1], not [1, 1]).
pub fn wilson_interval(successes: u64, trials: u64) -> Option<(f64, f64)> {
    if trials == 0 {
        return None;
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z95 * Z95;
    let centre = p + z2 / (2.0 * n);
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let denom = 1.0 + z2 / n;
    let low = ((centre - half) / denom).max(0.0);
    let high = ((centre + half) / denom).min(1.0);
    Some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let (l, h) = wilson_interval(24, 24).unwrap();
        assert!((l - 0.86198).abs() < 1e-4 && h == 1.0, "{l} {h}");
        let (l, h) = wilson_interval(0, 10).unwrap();
        assert!(l == 0.0 && (h - 0.27753).abs() < 1e-4, "{l} {h}");
        let (l, h) = wilson_interval(50, 100).unwrap();
        assert!((l - 0.40383).abs() < 1e-4 && (h - 0.59617).abs() < 1e-4);
        assert_eq!(wilson_interval(0, 0), None);
    }
}
