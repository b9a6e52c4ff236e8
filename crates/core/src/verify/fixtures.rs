//! The models, regularisers and small numeric helpers the checks share.

use crate::model::{FeatureModel, Regulariser, SpectralDecoupling, Spectrum};
use crate::numerics::SeededRng;

use super::harness::{Checked, Context};

pub(super) fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

pub(super) fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
}

/// n values evenly spaced in the open interval (lo, hi).
pub(super) fn open_grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (1..=n)
        .map(|k| lo + (hi - lo) * k as f64 / (n + 1) as f64)
        .collect()
}

/// Uniform on [lo, hi).
pub(super) fn uniform(rng: &mut SeededRng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.uniform()
}

/// Strengths 10^u, u uniform on [−1, 1] (s from 0.1 to 10).
pub(super) fn random_strengths(rng: &mut SeededRng, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| 10f64.powf(uniform(rng, -1.0, 1.0)))
        .collect()
}

/// Labels ±1 with at least one of each when n ≥ 2.
pub(super) fn random_labels(rng: &mut SeededRng, n: usize) -> Vec<f64> {
    let mut y: Vec<f64> = (0..n)
        .map(|_| if rng.uniform() < 0.5 { 1.0 } else { -1.0 })
        .collect();
    if n >= 2 {
        y[0] = 1.0;
        y[1] = -1.0;
    }
    y
}

/// A Haar-random coupled model of size n with random strengths and mixed labels.
pub(super) fn random_model(n: usize, seed: u64) -> Checked<FeatureModel> {
    let mut rng = SeededRng::new(seed.wrapping_mul(7919).wrapping_add(17));
    let s = random_strengths(&mut rng, n);
    let y = random_labels(&mut rng, n);
    FeatureModel::random(n, seed, &Spectrum::List(s), Some(y))
        .ctx(format_args!("random model n = {n}"))
}

pub(super) fn l2(lambda: f64) -> Regulariser {
    Regulariser::L2 { lambda }
}

pub(super) fn sd(lambda: f64) -> Regulariser {
    Regulariser::SpectralDecoupling(SpectralDecoupling::uniform(lambda))
}

/// Per-class SD with targets (the paper's CelebA form).
pub(super) fn sd_per_class(lambda: f64) -> Regulariser {
    Regulariser::SpectralDecoupling(SpectralDecoupling {
        lambda_positive: lambda,
        lambda_negative: 0.25 * lambda,
        target_positive: 1.5,
        target_negative: 0.5,
    })
}

pub(super) fn toy(s1: f64, s2: f64, delta: f64, regulariser: Regulariser) -> Checked<FeatureModel> {
    FeatureModel::two_feature_toy(s1, s2, delta)
        .and_then(|m| m.with_regulariser(regulariser))
        .ctx(format_args!("toy s1 = {s1}, s2 = {s2}, δ = {delta}"))
}

pub(super) fn with_regulariser(model: &FeatureModel, r: Regulariser) -> Checked<FeatureModel> {
    model.clone().with_regulariser(r).ctx("with_regulariser")
}

/// A short name of the regulariser for `measured`.
pub(super) fn reg_name(r: &Regulariser) -> String {
    match r {
        Regulariser::None => "none".into(),
        Regulariser::L2 { lambda } => format!("L2 λ={lambda}"),
        Regulariser::SpectralDecoupling(s) if s.is_uniform() => {
            format!("SD λ={}", s.lambda_positive)
        }
        Regulariser::SpectralDecoupling(s) => format!(
            "SD λ±=({}, {}) γ±=({}, {})",
            s.lambda_positive, s.lambda_negative, s.target_positive, s.target_negative
        ),
    }
}
