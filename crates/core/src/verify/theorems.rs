//! Checks 3 and 4: Theorem 1 (starvation under coupling, M18) and Theorem 2 (Spectral
//! Decoupling, M13).

use crate::equilibrium::closed_form::{first_order_starvation, sd_margin};
use crate::numerics::SeededRng;

use super::CheckResult;
use super::fixtures::{
    l2, max_abs, max_abs_diff, open_grid, random_model, sd, toy, uniform, with_regulariser,
};
use super::harness::{Context, Outcome, Spec, run, solve, solve_with_m};
use super::reference::{convergence_horizon, finite_difference_m, long_run};

// ---------------------------------------------------------------------------------------------
// 3. Theorem 1

/// Check 3 (Theorem 1, M18): in the M17 toy (s₂ = 2) with L2, dz₂*/d(s₁²) < 0 for every grid
/// point δ ∈ (0, 0.7), s₁ ∈ (2, 8], λ ∈ {1e−3, 1e−2, 1e−1}, with the sign confirmed by a central
/// finite difference at every point (h = 1e−4 relative, agreeing with M₂₁ to 1e−6·max|M| as in
/// check 2); and M18 agrees with the exact derivative to O(δ²).
///
/// Acceptance window for the order: with error e(δ) = Cδ² + Dδ³ + O(δ⁴) the ratio
/// e(δ)/e(δ/2) = 4(1 + Dδ/(2C)) + O(δ²). The window [3.5, 4.5] on the last ratio rejects a
/// formula wrong at first order (ratio → 2) or one exact to second order (ratio → 8). The
/// expansion variable is effectively δ·z₁⁰ (the margin a₂ = δz₁ + cz₂ shifts by δz₁ and κ
/// depends on it exponentially), so |D/C| grows with z₁⁰ ≈ W(s₁²/λ): at s₁ = 8, λ = 1e−3
/// (z₁⁰ ≈ 9) the ratio is still 5.0 at δ = 0.025. The errors are reported at δ = 0.2, 0.1,
/// 0.05, 0.025 and the sequence continues by halving to δ = 0.2/2⁷ ≈ 1.6e−3 (0.2/2⁵ in quick
/// mode), where the window is applied; e stays ≥ 1e−7, far above the ~1e−13 accuracy of M₂₁.
pub fn theorem1_starvation_regime(quick: bool) -> CheckResult {
    run(
        Spec {
            id: 3,
            name: "theorem1_starvation_regime",
            claim: "With coupling U(δ), δ > 0 and s₁ > s₂, dz₂*/d(s₁²) < 0 (feature 1 starves feature 2); to first order in δ it equals M18",
            source: "Theorem 1 (M17, M18)",
            tolerance: "M₂₁ < 0 and FD < 0 at every grid point; last ratio e(δ)/e(δ/2) of the halving sequence (δ = 0.2 → 1.6e−3) in [3.5, 4.5] for every (s₁, λ)",
        },
        || {
            let s2 = 2.0;
            let (nd, ns) = if quick { (8, 8) } else { (24, 24) };
            let deltas = open_grid(0.0, 0.7, nd);
            let s1s: Vec<f64> = (1..=ns).map(|k| s2 + 6.0 * k as f64 / ns as f64).collect();
            let lambdas = [1e-3, 1e-2, 1e-1];
            let mut points = 0usize;
            let mut violations = Vec::new();
            let mut fd_disagree = 0usize;
            let mut largest = f64::NEG_INFINITY; // largest M21 / max|M| (should be < 0)
            for &lambda in &lambdas {
                for &delta in &deltas {
                    let mut start: Option<Vec<f64>> = None;
                    for &s1 in &s1s {
                        let model = toy(s1, s2, delta, l2(lambda))?;
                        let what = format!("toy s1={s1} δ={delta:.3} λ={lambda}");
                        let (eq, m) = solve_with_m(&model, start.as_deref(), &what)?;
                        let fd = finite_difference_m(&model, &eq.point, 1e-4, &what)?;
                        points += 1;
                        let m21 = m[(1, 0)];
                        largest = largest.max(m21 / m.amax());
                        if m21 >= 0.0 && violations.len() < 5 {
                            violations.push(format!("{what}: M21 = {m21:.3e}"));
                        }
                        if fd[(1, 0)] >= 0.0 || (fd[(1, 0)] - m21).abs() > 1e-6 * m.amax() {
                            fd_disagree += 1;
                        }
                        start = Some(eq.point);
                    }
                }
            }
            // The first-order formula.
            let order_cases: &[(f64, f64)] = if quick {
                &[(4.0, 1e-2), (8.0, 1e-3)]
            } else {
                &[(3.0, 1e-1), (4.0, 1e-2), (6.0, 1e-2), (8.0, 1e-3)]
            };
            let halvings = if quick { 6 } else { 8 };
            let order_deltas: Vec<f64> = (0..halvings).map(|k| 0.2 / f64::powi(2.0, k)).collect();
            let mut table = Vec::new();
            let mut order_ok = true;
            for &(s1, lambda) in order_cases {
                let mut errors = Vec::new();
                let mut rel = Vec::new();
                for &delta in &order_deltas {
                    let model = toy(s1, s2, delta, l2(lambda))?;
                    let (_, m) = solve_with_m(&model, None, format_args!("toy s1={s1} δ={delta}"))?;
                    let exact = m[(1, 0)];
                    let first = first_order_starvation(s1 * s1, s2 * s2, lambda, delta);
                    errors.push((exact - first).abs());
                    rel.push((exact - first).abs() / exact.abs());
                }
                let ratios: Vec<f64> = errors.windows(2).map(|w| w[0] / w[1]).collect();
                let last = *ratios.last().unwrap_or(&f64::NAN);
                order_ok &= (3.5..=4.5).contains(&last);
                table.push(format!(
                    "(s1={s1}, λ={lambda}): e = [{}], ratios [{}], rel. e = {:.1e} at δ = 0.025, {:.1e} at δ = {:.2e}",
                    errors
                        .iter()
                        .map(|e| format!("{e:.2e}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    ratios
                        .iter()
                        .map(|r| format!("{r:.3}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    rel[3],
                    rel[rel.len() - 1],
                    order_deltas[order_deltas.len() - 1]
                ));
            }
            let sign_ok = violations.is_empty() && fd_disagree == 0;
            Ok(Outcome {
                measured: format!(
                    "sign: {points} grid points, {} with M21 ≥ 0, {fd_disagree} where FD disagrees (sign or > 1e−6 max|M|), largest M21/max|M| = {largest:.2e}{}; |M21 − M18| at δ = 0.2·2^−k, k = 0…{}: {}",
                    violations.len(),
                    if violations.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", violations.join("; "))
                    },
                    halvings - 1,
                    table.join("; ")
                ),
                passed: sign_ok && order_ok,
            })
        },
    )
}

// ---------------------------------------------------------------------------------------------
// 4. Theorem 2

/// Check 4 (Theorem 2, M13): under uniform SD the starvation matrix vanishes, z* does not move
/// when every s_j is rescaled by a random factor in [0.1, 10], and every training margin equals
/// the scalar root a*(λ) of σ(−a) = λa (computed independently by closed_form::sd_margin).
///
/// Tolerances: at the SD equilibrium all margins are equal, so H = (κ(a*) + λ) I is perfectly
/// conditioned and z* = a* Uᵀ1 is computed to a few ulp; hence 1e−12 relative for the rescaling
/// and the margins. M is the IFT solve of a right-hand side that vanishes at z* (the residual,
/// ~1e−16 relative), so |M_ji| s_i²/max|z*| ≤ 1e−10 holds with a wide margin while any
/// genuine dependence on S (O(1) in these units) would fail it. The Newton objective under SD
/// does not involve S at all, so the rescaled Newton solve is structurally identical; the
/// rescaled *flow* (M8, whose rates scale with s_j²) is therefore also integrated to the
/// derived horizon of check 1 and its end state compared with z* at check 1's 1e−8.
pub fn theorem2_spectral_decoupling(quick: bool) -> CheckResult {
    run(
        Spec {
            id: 4,
            name: "theorem2_spectral_decoupling",
            claim: "Under Spectral Decoupling the equilibrium responses do not depend on the strengths (dz_j*/d(s_i²) = 0); all margins equal a*(λ), the root of σ(−a) = λa",
            source: "Theorem 2 / M13",
            tolerance: "max_ji |M_ji| s_i²/max|z*| ≤ 1e−10; z* after rescaling S: rel. 1e−12 (Newton), 1e−8 (end of a long integration of the rescaled flow, as in check 1); margins vs a*(λ): rel. 1e−12",
        },
        || {
            let sizes: &[usize] = if quick { &[2, 3, 5] } else { &[2, 3, 5, 8, 12] };
            let seeds: &[u64] = if quick { &[1] } else { &[1, 2, 3] };
            let lambdas = [0.003, 0.03, 0.3];
            let mut worst_m = 0.0f64;
            let mut worst_rescale = 0.0f64;
            let mut worst_margin = 0.0f64;
            let mut worst_flow = 0.0f64;
            let mut count = 0usize;
            for &n in sizes {
                for &seed in seeds {
                    let lambda = lambdas[(n + seed as usize) % lambdas.len()];
                    let base = random_model(n, 100 * n as u64 + seed)?;
                    let model = with_regulariser(&base, sd(lambda))?;
                    let what = format!("n={n} seed={seed} SD λ={lambda}");
                    let (eq, m) = solve_with_m(&model, None, &what)?;
                    let zmax = max_abs(&eq.point);
                    let s2 = model.squared_strengths();
                    for (i, s2i) in s2.iter().enumerate() {
                        worst_m = worst_m.max(m.column(i).amax() * s2i / zmax);
                    }
                    let mut rng = SeededRng::new(9000 + seed * 31 + n as u64);
                    let mut rescaled = model.clone();
                    for (j, s) in model.feature_strengths().iter().enumerate() {
                        let f = 10f64.powf(uniform(&mut rng, -1.0, 1.0));
                        rescaled = rescaled.with_strength(j, s * f).ctx("rescale")?;
                    }
                    let moved = solve(&rescaled, None, format_args!("{what} rescaled"))?;
                    worst_rescale = worst_rescale.max(max_abs_diff(&moved.point, &eq.point) / zmax);
                    // The flow does depend on S (M8): its end state is independent evidence.
                    let horizon = convergence_horizon(&rescaled);
                    let end = long_run(&rescaled, horizon, &format!("{what} rescaled"))?;
                    worst_flow = worst_flow.max(max_abs_diff(&end, &eq.point) / zmax);
                    let a_star = sd_margin(lambda);
                    for a in &eq.margins {
                        worst_margin = worst_margin.max((a - a_star).abs() / a_star);
                    }
                    count += 1;
                }
            }
            Ok(Outcome {
                measured: format!(
                    "{count} random models (n ∈ {sizes:?}): max scaled |M| {worst_m:.2e}, max rel. change of z* under rescaling {worst_rescale:.2e} (Newton) and {worst_flow:.2e} (end of the rescaled flow), max rel. margin error vs a*(λ) {worst_margin:.2e}"
                ),
                passed: worst_m <= 1e-10
                    && worst_rescale <= 1e-12
                    && worst_flow <= 1e-8
                    && worst_margin <= 1e-12,
            })
        },
    )
}
