//! Checks 5 and 6: further facts of the M17 toy (docs/theory.md §5): the sign law, mutual
//! starvation and the critical coupling δ = 1/√2.

use nalgebra::DMatrix;

use crate::model::FeatureModel;
use crate::numerics::SeededRng;

use super::CheckResult;
use super::fixtures::{l2, random_labels, toy, uniform};
use super::harness::{Context, Outcome, Spec, run, solve, solve_with_m};
use super::reference::{convergence_horizon, long_run};

// ---------------------------------------------------------------------------------------------
// 5. Sign law and mutual starvation

/// Check 5 (docs/theory.md §5): in the M17 toy (s₂ = 2, L2) sign M₂₁ = −sign(δ)·sign(s₁ − s₂) over a
/// grid of 0 < |δ| < 1/√2 (both signs) and s₁ on both sides of s₂; whenever M₂₁ < 0 also
/// M₁₂ < 0 (mutual starvation); and M₂₁ = M₁₂ = 0 at s₁ = s₂ for random 2 × 2 orthogonal U
/// (rotations and reflections).
///
/// Tolerance for the zero: at s₁ = s₂ the equilibrium margins solve one scalar equation, so the
/// computed a₁ − a₂ is rounding (~1e−15 relative) and M₂₁/max|M| ≈ κ′Δa/κ is of that order;
/// 1e−12 leaves a factor ~1000 above rounding and stays far below the off-diagonal
/// entries at unequal strengths (≥ 3.6e−8 of max|M| on the grid, the smallest at δ = −0.705
/// where (Uᵀ1)₁ = c + δ ≈ 0.009 makes z₁* nearly zero).
pub fn sign_law_and_mutual_starvation(quick: bool) -> CheckResult {
    run(
        Spec {
            id: 5,
            name: "sign_law_and_mutual_starvation",
            claim: "sign dz₂*/d(s₁²) = −sign(δ)·sign(s₁ − s₂) for 0 < |δ| < 1/√2; it vanishes at s₁ = s₂ for every orthogonal U; starvation is mutual (M₂₁ < 0 ⇒ M₁₂ < 0)",
            source: "docs/theory.md §5 (further facts: sign law, mutual starvation)",
            tolerance: "no sign violation on the grid; |M₂₁|, |M₁₂| ≤ 1e−12 · max|M| at s₁ = s₂",
        },
        || {
            let s2 = 2.0;
            let magnitudes = if quick {
                vec![0.05, 0.35, 0.7]
            } else {
                vec![0.02, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.705]
            };
            let s1s: Vec<f64> = if quick {
                vec![0.5, 1.5, 2.5, 4.0, 8.0]
            } else {
                vec![
                    0.5, 0.75, 1.0, 1.5, 1.9, 1.99, 2.01, 2.1, 2.5, 3.0, 4.0, 6.0, 8.0,
                ]
            };
            let lambdas = [1e-3, 1e-2, 1e-1];
            let mut points = 0usize;
            let mut sign_bad = Vec::new();
            let mut mutual_cases = 0usize;
            let mut mutual_bad = Vec::new();
            let mut smallest = f64::INFINITY;
            let mut smallest_at = String::new();
            for &lambda in &lambdas {
                for &mag in &magnitudes {
                    for delta in [mag, -mag] {
                        for &s1 in &s1s {
                            let model = toy(s1, s2, delta, l2(lambda))?;
                            let what = format!("s1={s1} δ={delta} λ={lambda}");
                            let (_, m) = solve_with_m(&model, None, &what)?;
                            points += 1;
                            let expected = -delta.signum() * (s1 - s2).signum();
                            let (m21, m12) = (m[(1, 0)], m[(0, 1)]);
                            if m21.abs() / m.amax() < smallest {
                                smallest = m21.abs() / m.amax();
                                smallest_at = what.clone();
                            }
                            if m21.signum() != expected {
                                sign_bad.push(format!("{what}: M21 = {m21:.2e}"));
                            }
                            if m21 < 0.0 {
                                mutual_cases += 1;
                                if m12 >= 0.0 {
                                    mutual_bad.push(format!("{what}: M12 = {m12:.2e}"));
                                }
                            }
                        }
                    }
                }
            }
            // Equal strengths, random orthogonal U.
            let draws = if quick { 10 } else { 60 };
            let mut rng = SeededRng::new(5151);
            let mut worst_zero = 0.0f64;
            let mut reflections = 0usize;
            for d in 0..draws {
                let angle = uniform(&mut rng, 0.0, std::f64::consts::TAU);
                let (c, s) = (angle.cos(), angle.sin());
                let reflect = d % 2 == 1;
                let u = if reflect {
                    reflections += 1;
                    DMatrix::from_row_slice(2, 2, &[c, s, s, -c])
                } else {
                    DMatrix::from_row_slice(2, 2, &[c, -s, s, c])
                };
                let strength = 10f64.powf(uniform(&mut rng, -0.5, 1.0));
                let lambda = 10f64.powf(uniform(&mut rng, -3.0, -1.0));
                let labels = random_labels(&mut rng, 2);
                let model = FeatureModel::from_coupling(vec![strength; 2], u, Some(labels))
                    .and_then(|m| m.with_regulariser(l2(lambda)))
                    .ctx("random orthogonal U")?;
                let what =
                    format!("angle {angle:.4} reflect {reflect} s={strength:.3} λ={lambda:.2e}");
                let (_, m) = solve_with_m(&model, None, &what)?;
                worst_zero = worst_zero
                    .max(m[(1, 0)].abs() / m.amax())
                    .max(m[(0, 1)].abs() / m.amax());
            }
            let listed = |v: &[String]| {
                if v.is_empty() {
                    String::new()
                } else {
                    format!(
                        " [{}]",
                        v.iter().take(5).cloned().collect::<Vec<_>>().join("; ")
                    )
                }
            };
            Ok(Outcome {
                measured: format!(
                    "{points} grid points (δ = ±{magnitudes:?}, s1 = {s1s:?}, λ ∈ {lambdas:?}): {} sign violations{} (smallest |M21|/max|M| {smallest:.1e} at {smallest_at}); mutual: M12 < 0 in {}/{mutual_cases} cases with M21 < 0{}; s1 = s2 with {draws} random U ({reflections} reflections): max |M_off|/max|M| = {worst_zero:.2e}",
                    sign_bad.len(),
                    listed(&sign_bad),
                    mutual_cases - mutual_bad.len(),
                    listed(&mutual_bad)
                ),
                passed: sign_bad.is_empty() && mutual_bad.is_empty() && worst_zero <= 1e-12,
            })
        },
    )
}

// ---------------------------------------------------------------------------------------------
// 6. Critical coupling

/// Check 6 (docs/theory.md §5, M17): at δ = 1/√2, (Uᵀ1)₂ = c − δ = 0 and z₂* = 0; for δ > 1/√2,
/// z₂* < 0 and |z₂*| decreases as s₁ grows past s₂ (the Theorem-1 regime s₁ > s₂), checked by
/// the sign of d|z₂*|/d(s₁²) = sign(z₂*)·M₂₁ and by comparing equilibria at increasing s₁.
///
/// Tolerances: (Uᵀ1)₂ is c − δ with c = √(1 − δ²) rounded, so |(Uᵀ1)₂| ≤ 4ε. At δ = 1/√2
/// the margins a₁ = c z₁ − δ z₂ and a₂ = δ z₁ + c z₂ are equal exactly when z₂ = 0, which is
/// then the fixed point; the computed z₂* is rounding: |z₂*| ≤ 1e−12·|z₁*|. If an equilibrium
/// solve fails there, the check fails and reports the end state of a long integration of the
/// flow (horizon as in check 1) as evidence about the claim itself. For s₁ < s₂ the opposite
/// monotonicity is reported (not part of the pass criterion).
pub fn critical_coupling(quick: bool) -> CheckResult {
    run(
        Spec {
            id: 6,
            name: "critical_coupling",
            claim: "At δ = 1/√2, (Uᵀ1)₂ = 0 and z₂* = 0; beyond it z₂* < 0 and |z₂*| still shrinks as s₁ grows (s₁ > s₂)",
            source: "docs/theory.md §5 (critical coupling), M17",
            tolerance: "|(Uᵀ1)₂| ≤ 4ε, |z₂*| ≤ 1e−12·|z₁*| at δ = 1/√2; for δ > 1/√2, s₁ > s₂: z₂* < 0, sign(z₂*)·M₂₁ < 0 and |z₂*| strictly decreasing along increasing s₁",
        },
        || {
            let s2 = 2.0;
            let lambdas: &[f64] = if quick { &[1e-2] } else { &[1e-3, 1e-2, 1e-1] };
            let critical = std::f64::consts::FRAC_1_SQRT_2;
            let mut parts = Vec::new();
            let mut passed = true;
            // Part A: δ = 1/√2.
            let mut worst_sum = 0.0f64;
            let mut worst_z2 = 0.0f64;
            let mut failures = Vec::new();
            let mut flow_z2 = 0.0f64;
            for &lambda in lambdas {
                for s1 in [1.0, 3.0, 6.0] {
                    let model = toy(s1, s2, critical, l2(lambda))?;
                    worst_sum = worst_sum.max(model.coupling_column_sums()[1].abs());
                    let what = format!("δ=1/√2 s1={s1} λ={lambda}");
                    match solve(&model, None, &what) {
                        Ok(eq) => {
                            worst_z2 = worst_z2.max(eq.point[1].abs() / eq.point[0].abs());
                        }
                        Err(e) => {
                            failures.push(e);
                            // Independent evidence of the claim itself: the flow's end state.
                            if lambda == 1e-2 {
                                let t = convergence_horizon(&model);
                                let end = long_run(&model, t, &what)?;
                                flow_z2 = flow_z2.max(end[1].abs() / end[0].abs());
                            }
                        }
                    }
                }
            }
            passed &= worst_sum <= 4.0 * f64::EPSILON && failures.is_empty() && worst_z2 <= 1e-12;
            parts.push(format!(
                "δ = 1/√2: max |(Uᵀ1)₂| = {worst_sum:.1e}, max |z₂*|/|z₁*| = {worst_z2:.1e}{}",
                if failures.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} equilibrium solves FAILED (first: {}); the flow itself ends at |z₂|/|z₁| ≤ {flow_z2:.1e}",
                        failures.len(),
                        failures[0]
                    )
                }
            ));
            // Part B: δ > 1/√2.
            let deltas: &[f64] = if quick {
                &[0.72, 0.9]
            } else {
                &[0.72, 0.75, 0.8, 0.9, 0.95]
            };
            let above: Vec<f64> = if quick {
                vec![2.5, 4.0, 8.0]
            } else {
                vec![2.1, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
            };
            let below = [0.5, 1.0, 1.5];
            let mut points = 0usize;
            let mut bad = Vec::new();
            let mut below_growing = 0usize;
            let mut below_points = 0usize;
            for &lambda in lambdas {
                for &delta in deltas {
                    let mut previous: Option<f64> = None;
                    for &s1 in &above {
                        let model = toy(s1, s2, delta, l2(lambda))?;
                        let what = format!("δ={delta} s1={s1} λ={lambda}");
                        let (eq, m) = solve_with_m(&model, None, &what)?;
                        points += 1;
                        let z2 = eq.point[1];
                        let slope = z2.signum() * m[(1, 0)];
                        if z2 >= 0.0 || slope >= 0.0 {
                            bad.push(format!("{what}: z2 = {z2:.3e}, d|z2|/ds1² = {slope:.2e}"));
                        }
                        if let Some(p) = previous
                            && z2.abs() >= p
                        {
                            bad.push(format!(
                                "{what}: |z2| = {:.6e} ≥ previous {p:.6e}",
                                z2.abs()
                            ));
                        }
                        previous = Some(z2.abs());
                    }
                    for &s1 in &below {
                        let model = toy(s1, s2, delta, l2(lambda))?;
                        let (eq, m) =
                            solve_with_m(&model, None, format_args!("δ={delta} s1={s1}"))?;
                        below_points += 1;
                        if eq.point[1].signum() * m[(1, 0)] > 0.0 {
                            below_growing += 1;
                        }
                    }
                }
            }
            passed &= bad.is_empty();
            parts.push(format!(
                "δ > 1/√2 ({deltas:?}), s1 ∈ {above:?}: {points} points, {} violations{}; observation: for s1 < s2 ({below:?}) |z₂*| grows with s1 at {below_growing}/{below_points} points",
                bad.len(),
                if bad.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", bad.iter().take(5).cloned().collect::<Vec<_>>().join("; "))
                }
            ));
            Ok(Outcome {
                measured: parts.join("; "),
                passed,
            })
        },
    )
}
