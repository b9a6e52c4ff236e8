//! Checks 7, 8 and 12: the closed forms of the loss models (docs/theory.md §3.4): no starvation
//! under the quadratic model, the Lambert-W law of the exponential tail, and the squared loss's
//! decoupled L2 equilibrium (M20).

use nalgebra::DMatrix;

use crate::equilibrium::closed_form::{
    lambert_uncoupled, squared_equilibrium, squared_starvation_diagonal,
};
use crate::model::{FeatureModel, LossModel};

use super::CheckResult;
use super::fixtures::{l2, max_abs, random_model, with_regulariser};
use super::harness::{Context, Outcome, Spec, run, solve, solve_with_m};

// ---------------------------------------------------------------------------------------------
// 7. Quadratic model

/// Check 7 (§3.4, §5): with the quadratic loss model the starvation matrix of a coupled model
/// is diagonal, and its diagonal is the derivative 8λ(Uᵀ1)_i/(s_i² + 4λ)² of the closed form
/// z_i* = 2 s_i²(Uᵀ1)_i/(s_i² + 4λ); the exact loss on the same models has clearly nonzero
/// off-diagonal entries.
///
/// Tolerances: with D = I/4, S²UᵀDU + λI is diagonal up to the rounding of UᵀU (~1e−16), so the
/// off-diagonal entries are ~1e−16 of the diagonal: bound 1e−12. The diagonal against the
/// closed form: 1e−10 relative to max|diag| (a solve of a diagonal system to rounding). The
/// exact loss must reach an off-diagonal/diagonal ratio ≥ 1e−3 (it is O(1e−2…1) here).
pub fn quadratic_model_has_no_starvation(quick: bool) -> CheckResult {
    run(
        Spec {
            id: 7,
            name: "quadratic_model_has_no_starvation",
            claim: "Under the quadratic loss model the flow is linear and decoupled: the starvation matrix is diagonal (no starvation); starvation is a saturation effect of the cross-entropy",
            source: "docs/theory.md §3.4 (quadratic loss model) / §5",
            tolerance: "quadratic: max|off-diag| ≤ 1e−12 · max|diag|, diag vs closed form ≤ 1e−10 rel.; exact loss: max|off-diag|/max|diag| ≥ 1e−3",
        },
        || {
            let sizes: &[usize] = if quick { &[3, 5] } else { &[2, 3, 4, 5, 6, 8] };
            let lambdas = [0.01, 0.1];
            let mut worst_off = 0.0f64;
            let mut worst_diag = 0.0f64;
            let mut weakest_exact = f64::INFINITY;
            let mut count = 0usize;
            for &n in sizes {
                for (li, &lambda) in lambdas.iter().enumerate() {
                    let base = random_model(n, 700 + 10 * n as u64 + li as u64)?;
                    let quad = with_regulariser(&base, l2(lambda))?.with_loss(LossModel::Quadratic);
                    let exact = with_regulariser(&base, l2(lambda))?;
                    let what = format!("n={n} λ={lambda}");
                    let (_, mq) = solve_with_m(&quad, None, format_args!("{what} quadratic"))?;
                    let (_, me) = solve_with_m(&exact, None, format_args!("{what} exact"))?;
                    let s2 = quad.squared_strengths();
                    let u1 = quad.coupling_column_sums();
                    let (off_q, diag_q) = off_and_diag(&mq);
                    let (off_e, diag_e) = off_and_diag(&me);
                    worst_off = worst_off.max(off_q / diag_q);
                    weakest_exact = weakest_exact.min(off_e / diag_e);
                    for i in 0..n {
                        let closed = 8.0 * lambda * u1[i] / (s2[i] + 4.0 * lambda).powi(2);
                        worst_diag = worst_diag.max((mq[(i, i)] - closed).abs() / diag_q);
                    }
                    count += 1;
                }
            }
            Ok(Outcome {
                measured: format!(
                    "{count} random coupled models (n ∈ {sizes:?}, λ ∈ {lambdas:?}): quadratic max|off|/max|diag| = {worst_off:.2e}, diag vs 8λ(Uᵀ1)_i/(s_i²+4λ)² max rel. error {worst_diag:.2e}; exact loss: smallest max|off|/max|diag| = {weakest_exact:.2e}"
                ),
                passed: worst_off <= 1e-12 && worst_diag <= 1e-10 && weakest_exact >= 1e-3,
            })
        },
    )
}

/// (max |off-diagonal|, max |diagonal|) of a square matrix.
fn off_and_diag(m: &DMatrix<f64>) -> (f64, f64) {
    let mut off = 0.0f64;
    let mut diag = 0.0f64;
    for j in 0..m.nrows() {
        for i in 0..m.ncols() {
            if i == j {
                diag = diag.max(m[(j, i)].abs());
            } else {
                off = off.max(m[(j, i)].abs());
            }
        }
    }
    (off, diag)
}

// ---------------------------------------------------------------------------------------------
// 8. Lambert-W law

/// Check 8 (§3.4): with the exponential-tail loss and U = I, the L2 equilibrium is exactly
/// z_j* = W(s_j²/λ) (principal Lambert W from the lambert_w crate, independent of the Newton
/// solver) over s²/λ from 1e−1 to 1e8; and W(s²/λ) approximates the exact cross-entropy
/// equilibrium with a relative error that shrinks monotonically as s²/λ grows.
///
/// Tolerance: the uncoupled fixed point solves z e^z = x to the Newton floor, ~1e−16 relative,
/// and W is accurate to a few ulp; 1e−12 relative leaves margin for the conditioning
/// 1/(1 + W) ≤ 1 of the root.
pub fn lambert_w_law(quick: bool) -> CheckResult {
    run(
        Spec {
            id: 8,
            name: "lambert_w_law",
            claim: "Exponential-tail model, U = I, L2: z_j* = W(s_j²/λ) exactly; W(s²/λ) is the large-s²/λ limit of the exact cross-entropy equilibrium",
            source: "docs/theory.md §3.4 (exponential tail, Lambert W)",
            tolerance: "exponential tail vs W: rel. 1e−12 for s²/λ ∈ [1e−1, 1e8]; exact-loss relative error strictly decreasing in s²/λ",
        },
        || {
            let step = if quick { 1.0 } else { 0.5 };
            let count = (9.0 / step) as usize + 1;
            let ratios: Vec<f64> = (0..count)
                .map(|k| 10f64.powf(-1.0 + step * k as f64))
                .collect();
            let lambdas: &[f64] = if quick { &[1e-2] } else { &[1e-3, 1e-2, 1.0] };
            let mut worst = 0.0f64;
            let mut monotone = true;
            let mut table = Vec::new();
            for &lambda in lambdas {
                let strengths: Vec<f64> = ratios.iter().map(|x| (x * lambda).sqrt()).collect();
                let base = FeatureModel::from_coupling(
                    strengths.clone(),
                    DMatrix::identity(count, count),
                    None,
                )
                .and_then(|m| m.with_regulariser(l2(lambda)))
                .ctx("uncoupled model")?;
                let tail = base.clone().with_loss(LossModel::ExponentialTail);
                let eq_tail = solve(&tail, None, format_args!("exponential tail λ={lambda}"))?;
                let eq_exact = solve(&base, None, format_args!("exact λ={lambda}"))?;
                let s2 = base.squared_strengths();
                let mut previous = f64::INFINITY;
                let mut errors = Vec::new();
                for ((s2j, tail_j), exact_j) in s2.iter().zip(&eq_tail.point).zip(&eq_exact.point) {
                    let w = lambert_uncoupled(*s2j, lambda);
                    worst = worst.max((tail_j - w).abs() / w);
                    let e = (w - exact_j).abs() / exact_j;
                    monotone &= e < previous;
                    previous = e;
                    errors.push(e);
                }
                if lambda == 1e-2 || lambdas.len() == 1 {
                    table = ratios
                        .iter()
                        .zip(&errors)
                        .map(|(x, e)| format!("{x:.0e}: {e:.2e}"))
                        .collect();
                }
            }
            Ok(Outcome {
                measured: format!(
                    "exponential tail vs W(s²/λ): max rel. error {worst:.2e} over {} points (λ ∈ {lambdas:?}); exact-loss rel. error {} (s²/λ: error at λ = 0.01) [{}]",
                    count * lambdas.len(),
                    if monotone {
                        "strictly decreasing"
                    } else {
                        "NOT monotone"
                    },
                    table.join(", ")
                ),
                passed: worst <= 1e-12 && monotone,
            })
        },
    )
}

// ---------------------------------------------------------------------------------------------
// 12. Squared loss

/// Check 12 (§3.4, M20): with the squared loss ½(a − 1)² and L2, the equilibrium of a coupled
/// model is the closed form z* = (S² + λ)⁻¹ S² Uᵀ1, and its starvation matrix is diagonal with
/// diagonal λ(Uᵀ1)_i/(s_i² + λ)² (no starvation: each z_j* depends on its own s_j only).
///
/// Tolerances: the z-loss is quadratic with Hessian H = UᵀU + λS⁻², so Newton's first step is
/// the answer up to the rounding of one n × n Cholesky solve, ~ n κ(H) ε relative to max|z*|,
/// with κ(H) ≤ 1 + λ/s_min² ≤ 11 here (s ≥ 0.1, λ ≤ 0.1): about 2e−14 for n = 8; bound 1e−12.
/// The matrix: S²UᵀU + λI is diagonal up to the rounding of UᵀU (~1e−16), so off-diagonal
/// entries are ~1e−16 of the diagonal: bound 1e−12; the diagonal against the closed form 1e−10
/// relative to max|diag|, as check 7.
pub fn squared_loss_has_no_starvation(quick: bool) -> CheckResult {
    run(
        Spec {
            id: 12,
            name: "squared_loss_has_no_starvation",
            claim: "Under the squared loss ½(yŷ − 1)² with L2 the equilibrium decouples, z* = (S² + λ)⁻¹ S² Uᵀ1: each z_j* depends only on its own s_j, so the starvation matrix is diagonal (no starvation)",
            source: "docs/theory.md §3.4 (squared loss, M20)",
            tolerance: "z* vs closed form ≤ 1e−12 · max|z*|; max|off-diag| ≤ 1e−12 · max|diag|; diag vs λ(Uᵀ1)_i/(s_i²+λ)² ≤ 1e−10 rel.",
        },
        || {
            let sizes: &[usize] = if quick { &[3, 5] } else { &[2, 3, 4, 5, 6, 8] };
            let lambdas = [0.01, 0.1];
            let mut worst_z = 0.0f64;
            let mut worst_off = 0.0f64;
            let mut worst_diag = 0.0f64;
            let mut count = 0usize;
            for &n in sizes {
                for (li, &lambda) in lambdas.iter().enumerate() {
                    let base = random_model(n, 1200 + 10 * n as u64 + li as u64)?;
                    let model = with_regulariser(&base, l2(lambda))?.with_loss(LossModel::Squared);
                    let what = format!("n={n} λ={lambda} squared");
                    let (eq, m) = solve_with_m(&model, None, &what)?;
                    let closed = squared_equilibrium(&model);
                    let scale = max_abs(&closed);
                    for (a, b) in eq.point.iter().zip(&closed) {
                        worst_z = worst_z.max((a - b).abs() / scale);
                    }
                    let (off, diag) = off_and_diag(&m);
                    worst_off = worst_off.max(off / diag);
                    for (i, d) in squared_starvation_diagonal(&model).iter().enumerate() {
                        worst_diag = worst_diag.max((m[(i, i)] - d).abs() / diag);
                    }
                    count += 1;
                }
            }
            Ok(Outcome {
                measured: format!(
                    "{count} random coupled models (n ∈ {sizes:?}, λ ∈ {lambdas:?}): z* vs (S²+λ)⁻¹S²Uᵀ1 max rel. error {worst_z:.2e}; max|off|/max|diag| = {worst_off:.2e}; diag vs λ(Uᵀ1)_i/(s_i²+λ)² max rel. error {worst_diag:.2e}"
                ),
                passed: worst_z <= 1e-12 && worst_off <= 1e-12 && worst_diag <= 1e-10,
            })
        },
    )
}
