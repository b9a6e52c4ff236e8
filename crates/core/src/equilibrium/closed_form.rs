//! Closed forms and first-order formulas of docs/theory.md §3.4 and §5, for comparison with the exact
//! equilibria: Lambert-W uncoupled responses, the SD margin, the quadratic model's z*, the
//! squared loss's z*, starvation matrix and trajectory (M20), and the first-order starvation
//! formulas M18 and M19.

use crate::model::{FeatureModel, LossModel};
use crate::numerics::{lambert_w0, logistic, logistic_slope};

/// W(s²/λ): the exact uncoupled (U = I) L2 equilibrium of the exponential-tail model (§3.4),
/// and the large-s²/λ approximation of the exact cross-entropy's.
pub fn lambert_uncoupled(s_squared: f64, lambda: f64) -> f64 {
    lambert_w0(s_squared / lambda)
}

/// Root of g(x) = 0 for increasing g on [lo, hi] with g(lo) < 0 < g(hi): safeguarded Newton
/// from `start` (bisection whenever Newton would leave the bracket).
fn increasing_root(g: impl Fn(f64) -> (f64, f64), mut lo: f64, mut hi: f64, start: f64) -> f64 {
    let mut x = if start > lo && start < hi {
        start
    } else {
        0.5 * (lo + hi)
    };
    for _ in 0..100 {
        let (v, dv) = g(x);
        if v == 0.0 {
            return x;
        }
        if v < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x - v / dv;
        let next = if newton > lo && newton < hi && dv > 0.0 {
            newton
        } else {
            0.5 * (lo + hi)
        };
        // Newton converges quadratically: once a step is a few ulps the root is found.
        if (next - x).abs() <= 4.0 * f64::EPSILON * x.abs().max(1e-300)
            || hi - lo <= 4.0 * f64::EPSILON * hi.abs()
        {
            return next;
        }
        x = next;
    }
    x
}

/// The exact uncoupled response z_j⁰: root of λ z = s² α(z) with α the loss model's gradient
/// weight (the decoupled solutions of M18). Needs λ > 0.
pub fn uncoupled_response(s_squared: f64, lambda: f64, loss: LossModel) -> f64 {
    let hi = s_squared / lambda;
    increasing_root(
        |z| {
            (
                lambda * z - s_squared * loss.weight(z),
                lambda + s_squared * loss.curvature(z),
            )
        },
        0.0,
        hi.max(1e-300),
        // The exponential-tail root W(s²/λ) is close for large s²/λ, s²/(2λ) for small.
        lambert_w0(s_squared / lambda).min(0.5 * hi),
    )
}

/// The exact SD margin a*(λ): root of σ(−a) = λ a (all margins equal it when γ = 0, M13).
pub fn sd_margin(lambda: f64) -> f64 {
    increasing_root(
        |a| (lambda * a - logistic(-a), lambda + logistic_slope(a)),
        0.0,
        1.0 / lambda,
        lambert_w0(1.0 / lambda).min(0.5 / lambda),
    )
}

/// The exponential-tail approximation of the SD margin, a* ≈ W(1/λ).
pub fn sd_margin_lambert(lambda: f64) -> f64 {
    lambert_w0(1.0 / lambda)
}

/// The quadratic loss model's equilibrium z_j* = 2 s_j² (Uᵀ1)_j / (s_j² + 4λ) (L2, §3.4).
pub fn quadratic_equilibrium(model: &FeatureModel) -> Vec<f64> {
    let lambda = model.regulariser().lambda();
    model
        .squared_strengths()
        .iter()
        .zip(model.coupling_column_sums())
        .map(|(s2, u1)| 2.0 * s2 * u1 / (s2 + 4.0 * lambda))
        .collect()
}

/// The squared loss's L2 equilibrium (M20): λ z = S² Uᵀ (1 − U z) with UᵀU = I gives
/// z* = (S² + λ)⁻¹ S² Uᵀ1, i.e. z_j* = s_j² (Uᵀ1)_j / (s_j² + λ): each response depends on its
/// own strength only. λ = 0 (no regulariser) gives z* = Uᵀ1.
pub fn squared_equilibrium(model: &FeatureModel) -> Vec<f64> {
    let lambda = model.regulariser().lambda();
    model
        .squared_strengths()
        .iter()
        .zip(model.coupling_column_sums())
        .map(|(s2, u1)| s2 * u1 / (s2 + lambda))
        .collect()
}

/// The squared loss's L2 starvation matrix (M20 differentiated): diagonal,
/// M_jj = ∂z_j*/∂(s_j²) = λ (Uᵀ1)_j / (s_j² + λ)², M_ji = 0 for i ≠ j (no starvation).
pub fn squared_starvation_diagonal(model: &FeatureModel) -> Vec<f64> {
    let lambda = model.regulariser().lambda();
    model
        .squared_strengths()
        .iter()
        .zip(model.coupling_column_sums())
        .map(|(s2, u1)| lambda * u1 / ((s2 + lambda) * (s2 + lambda)))
        .collect()
}

/// The squared loss's L2 response flow in closed form (M20): dz_j/dt = η [s_j² (Uᵀ1)_j −
/// (s_j² + λ) z_j] decouples, so z_j(t) = z_j* + (z_j(0) − z_j*) e^{−η (s_j² + λ) t}.
pub fn squared_trajectory(model: &FeatureModel, start: &[f64], t: f64) -> Vec<f64> {
    let lambda = model.regulariser().lambda();
    let eta = model.rate();
    squared_equilibrium(model)
        .iter()
        .zip(model.squared_strengths())
        .zip(start)
        .map(|((zs, s2), z0)| zs + (z0 - zs) * (-eta * (s2 + lambda) * t).exp())
        .collect()
}

/// M18: the first-order (in δ) starvation dz₂*/d(s₁²) of the M17 toy under L2.
pub fn first_order_starvation(s1_squared: f64, s2_squared: f64, lambda: f64, delta: f64) -> f64 {
    let z1 = uncoupled_response(s1_squared, lambda, LossModel::Exact);
    let z2 = uncoupled_response(s2_squared, lambda, LossModel::Exact);
    let k1 = logistic_slope(z1);
    let k2 = logistic_slope(z2);
    delta * s2_squared * (k1 - k2) / (lambda + s2_squared * k2) * logistic(-z1)
        / (lambda + s1_squared * k1)
}

/// M19: the first-order exponential-tail equilibrium (z₁*, z₂*) of the M17 toy under L2.
pub fn first_order_exponential_tail(
    s1_squared: f64,
    s2_squared: f64,
    lambda: f64,
    delta: f64,
) -> [f64; 2] {
    let w1 = lambert_w0(s1_squared / lambda);
    let w2 = lambert_w0(s2_squared / lambda);
    [
        w1 + delta * w1 / (1.0 + w1) * (w2 + (w1 - w2).exp()),
        w2 - delta * w2 / (1.0 + w2) * (w1 + (w2 - w1).exp()),
    ]
}

/// The support-set switch of the max-margin limit in the M17 toy: example 1 leaves the support
/// set when s₁²/s₂² ≥ c(c + δ)/(δ(c − δ)) (docs/theory.md §5; 6.46 at δ = 0.5).
pub fn support_switch_ratio(delta: f64) -> f64 {
    let c = (1.0 - delta * delta).sqrt();
    c * (c + delta) / (delta * (c - delta))
}
