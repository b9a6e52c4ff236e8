//! Checks 1, 2 and 10: the equilibrium solver agrees with the flow it solves (long integration,
//! finite differences of the starvation matrix, the Jacobian spectrum of M14/M15).

use nalgebra::{DMatrix, DVector};

use crate::model::{FeatureModel, LossModel, Regulariser, Spectrum};

use super::CheckResult;
use super::fixtures::{
    l2, max_abs, max_abs_diff, random_model, reg_name, sd, sd_per_class, with_regulariser,
};
use super::harness::{Context, Outcome, Spec, run, solve, solve_with_m};
use super::reference::{convergence_horizon, finite_difference_m, long_run};

// ---------------------------------------------------------------------------------------------
// 1. Equilibrium = end of a long integration

/// Check 1 (M12, M13, §4.1): the Newton equilibrium equals the end state of a long integration
/// of the response flow from z = 0, for L2, uniform SD, per-class SD with targets and the
/// unregularised quadratic loss model, on the toy (δ = 0.5) and a random n = 5 model with mixed
/// labels and η = 1.3.
///
/// Horizon, derived (not tuned): the flow is dz/dt = −η S² ∇Φ(z) with Φ strongly convex, so
/// V = ½‖z − z*‖²_{S⁻²} obeys dV/dt ≤ −2μV with μ = ηλ (L2: ∇²Φ ≥ λS⁻²), μ = ηλ_min s_min²
/// (SD: ∇²Φ ≥ λ_min I) and μ = η s_min²/4 (quadratic, no regulariser: ∇²Φ = I/4). Hence
/// |z_j(t) − z_j*| ≤ s_max e^{−μt} R with R ≥ ‖z*‖_{S⁻²} bounded without z* from Φ(z*) ≤ Φ(0):
/// L2 R = √(2Φ(0)/λ); SD R = (‖γ‖ + √(2Φ(0)/λ_min))/s_min; quadratic R = 2√n/s_min. The run
/// goes to T = ln(s_max R / 1e−12)/μ, so the transient left is ≤ 1e−12 absolute; the rest is
/// the integrator's error at rtol 1e−11 (atol 1e−13), i.e. ~1e−10 relative. Tolerance 1e−8
/// relative to max|z*| (some components of z* are near zero) leaves two orders of margin.
pub fn equilibrium_matches_long_integration(quick: bool) -> CheckResult {
    run(
        Spec {
            id: 1,
            name: "equilibrium_matches_long_integration",
            claim: "Every regularised flow (and the unregularised quadratic model) has exactly one equilibrium and it attracts every trajectory: the Newton fixed point equals the end state of a long integration from z = 0",
            source: "docs/theory.md M12, M13 / §4.1",
            tolerance: "max_j |z_j(T) − z_j*| ≤ 1e−8 · max_j |z_j*| (T from the derived convergence bound, transient ≤ 1e−12)",
        },
        || {
            // Both modes run every case: the whole check takes milliseconds.
            let _ = quick;
            let base_toy = FeatureModel::two_feature_toy(6.0, 2.0, 0.5).ctx("toy")?;
            let base_random = FeatureModel::random(
                5,
                4,
                &Spectrum::List(vec![5.0, 3.0, 2.0, 1.0, 0.5]),
                Some(vec![1.0, -1.0, 1.0, -1.0, 1.0]),
            )
            .and_then(|m| m.with_rate(1.3))
            .ctx("random model")?;
            let regularisers: Vec<(Regulariser, LossModel)> = vec![
                (l2(0.01), LossModel::Exact),
                (sd(0.01), LossModel::Exact),
                (sd_per_class(0.02), LossModel::Exact),
                (Regulariser::None, LossModel::Quadratic),
            ];
            let mut cases = Vec::new();
            for (r, loss) in &regularisers {
                cases.push((
                    "toy",
                    with_regulariser(&base_toy, r.clone())?.with_loss(*loss),
                ));
                cases.push((
                    "random n=5",
                    with_regulariser(&base_random, r.clone())?.with_loss(*loss),
                ));
            }
            let mut worst = 0.0f64;
            let mut lines = Vec::new();
            let mut errors = 0usize;
            for (label, model) in &cases {
                let what = format!(
                    "{label} {} {}",
                    reg_name(model.regulariser()),
                    model.loss().name()
                );
                let horizon = convergence_horizon(model);
                // A failing case is reported and the others still run.
                let gap = solve(model, None, &what).and_then(|eq| {
                    let end = long_run(model, horizon, &what)?;
                    Ok(max_abs_diff(&end, &eq.point) / max_abs(&eq.point))
                });
                match gap {
                    Ok(gap) => {
                        worst = worst.max(gap);
                        lines.push(format!("{what}: T={horizon:.3e} gap {gap:.1e}"));
                    }
                    Err(e) => {
                        errors += 1;
                        lines.push(format!("FAILED {e}"));
                    }
                }
            }
            Ok(Outcome {
                measured: format!(
                    "max rel. gap {worst:.2e} over {} cases, {errors} failed [{}]",
                    cases.len() - errors,
                    lines.join("; ")
                ),
                passed: errors == 0 && worst <= 1e-8,
            })
        },
    )
}

// ---------------------------------------------------------------------------------------------
// 2. Starvation matrix = finite differences

/// Check 2 (M16 and its SD / loss-model counterparts): the starvation matrix from the
/// implicit-function theorem equals central finite differences of the equilibrium with respect
/// to s_i², for the exact, quadratic and exponential-tail loss models under L2 (toy and random
/// n = 4, η = 0.8), and for uniform SD, per-class SD and the unregularised quadratic model
/// (where M = 0).
///
/// Tolerance: the central difference with relative step h = 1e−4 has truncation error
/// ~h²·|∂³z*/∂(s²)³|(s²)³/6, i.e. ~1e−8 relative for derivatives that vary on the scale of s²,
/// and rounding error ~ε_z|z*|/(h s²) ~ 1e−12 relative (equilibria to ~1e−16). 1e−6 relative to
/// max|M| leaves a factor 100 for the third-derivative constant. Where M = 0 the entries are
/// compared in absolute terms against the natural scale max|z*|/s_i² of a derivative by s_i²,
/// with the same 1e−6.
pub fn starvation_matrix_matches_finite_differences(quick: bool) -> CheckResult {
    run(
        Spec {
            id: 2,
            name: "starvation_matrix_matches_finite_differences",
            claim: "M_ji = ∂z_j*/∂(s_i²) from the implicit-function theorem (M16; M = 0 for SD) agrees with finite differences of the equilibrium",
            source: "docs/theory.md M16 / §4.3",
            tolerance: "max|M − FD| ≤ 1e−6 · max|M| (L2); max_ji |M_ji − FD_ji| · s_i²/max|z*| ≤ 1e−6 where M = 0 (SD, quadratic without regulariser); FD central, h = 1e−4 relative in s_i²",
        },
        || {
            let h = 1e-4;
            let toy_base = FeatureModel::two_feature_toy(6.0, 2.0, 0.5).ctx("toy")?;
            let random_base = FeatureModel::random(
                4,
                11,
                &Spectrum::List(vec![4.0, 2.5, 1.5, 0.7]),
                Some(vec![1.0, -1.0, -1.0, 1.0]),
            )
            .and_then(|m| m.with_rate(0.8))
            .ctx("random model")?;
            let losses = [
                LossModel::Exact,
                LossModel::Quadratic,
                LossModel::ExponentialTail,
            ];
            let mut nonzero = Vec::new();
            for loss in losses {
                nonzero.push((
                    "toy",
                    with_regulariser(&toy_base, l2(0.01))?.with_loss(loss),
                ));
                if !quick || loss == LossModel::Exact {
                    nonzero.push((
                        "random n=4",
                        with_regulariser(&random_base, l2(0.05))?.with_loss(loss),
                    ));
                }
            }
            let zero = vec![
                ("toy", with_regulariser(&toy_base, sd(0.01))?),
                ("random n=4", with_regulariser(&random_base, sd(0.02))?),
                (
                    "random n=4",
                    with_regulariser(&random_base, sd_per_class(0.04))?,
                ),
                (
                    "random n=4",
                    with_regulariser(&random_base, Regulariser::None)?
                        .with_loss(LossModel::Quadratic),
                ),
            ];
            let mut worst_nonzero = 0.0f64;
            let mut worst_zero = 0.0f64;
            let mut lines = Vec::new();
            for (label, model) in &nonzero {
                let what = format!(
                    "{label} {} {}",
                    reg_name(model.regulariser()),
                    model.loss().name()
                );
                let (eq, m) = solve_with_m(model, None, &what)?;
                let fd = finite_difference_m(model, &eq.point, h, &what)?;
                let err = (&m - &fd).amax() / m.amax();
                worst_nonzero = worst_nonzero.max(err);
                lines.push(format!("{what}: max|M|={:.2e} rel.err {err:.1e}", m.amax()));
            }
            for (label, model) in &zero {
                let what = format!(
                    "{label} {} {}",
                    reg_name(model.regulariser()),
                    model.loss().name()
                );
                let (eq, m) = solve_with_m(model, None, &what)?;
                let fd = finite_difference_m(model, &eq.point, h, &what)?;
                let zmax = max_abs(&eq.point);
                let s2 = model.squared_strengths();
                let scaled = |a: &DMatrix<f64>| {
                    let mut worst = 0.0f64;
                    for (i, s2i) in s2.iter().enumerate() {
                        worst = worst.max(a.column(i).amax() * s2i / zmax);
                    }
                    worst
                };
                let err = scaled(&(&m - &fd));
                worst_zero = worst_zero.max(err);
                lines.push(format!(
                    "{what}: scaled |M| {:.1e}, |FD| {:.1e}, |M − FD| {err:.1e}",
                    scaled(&m),
                    scaled(&fd)
                ));
            }
            Ok(Outcome {
                measured: format!(
                    "L2: max rel. error {worst_nonzero:.2e} over {} models; M = 0 cases: max scaled error {worst_zero:.2e} over {} models [{}]",
                    nonzero.len(),
                    zero.len(),
                    lines.join("; ")
                ),
                passed: worst_nonzero <= 1e-6 && worst_zero <= 1e-6,
            })
        },
    )
}

// ---------------------------------------------------------------------------------------------
// 10. Jacobian spectrum

/// Check 10 (M14, M15, §4.2): at the equilibrium the Jacobian's eigenvalues (nalgebra's
/// complex_eigenvalues of the nonsymmetric J) are real, ≤ −ηλ under L2 and negative under SD
/// (uniform and per-class, where they are ≤ −η λ_min s_min² since ∇²Φ ≥ λ_min I), on random
/// models of several sizes with η ≠ 1. Independent reference: J is rebuilt from M14/M15 with
/// the equilibrium margins and its eigenvalues are taken from the symmetric similar matrix
/// S⁻¹JS = −η S H S (symmetric_eigen).
///
/// Tolerances: J = S·(symmetric)·S⁻¹, so the eigenvector matrix has condition ≤ s_max/s_min
/// and each computed eigenvalue is off by ≤ (s_max/s_min)·‖J‖·O(ε). The bounds get that slack
/// with a factor 100: rounding allowance r = 100 ε (s_max/s_min) ‖J‖_F; |im| ≤ 1e−10 |re|
/// (far above r for these models); real parts ≤ bound + r; J vs M14/M15 and eigenvalues vs the
/// symmetric reference within r.
pub fn jacobian_spectrum(quick: bool) -> CheckResult {
    run(
        Spec {
            id: 10,
            name: "jacobian_spectrum",
            claim: "The linearisations M14 (L2) and M15 (SD) have real negative eigenvalues; the L2 spectrum is bounded above by −ηλ",
            source: "docs/theory.md M14, M15 / §4.2",
            tolerance: "|im| ≤ 1e−10·|re|; L2: max re ≤ −ηλ + r; SD: max re ≤ −ηλ_min s_min² + r < 0; J and eigenvalues vs symmetric reference within r = 100ε(s_max/s_min)‖J‖_F",
        },
        || {
            let sizes: &[usize] = if quick { &[2, 3, 5] } else { &[2, 3, 5, 8, 12] };
            let lambdas = [1e-3, 1e-2, 1e-1];
            let rates = [0.7, 2.5];
            let mut count = 0usize;
            let mut worst_im = 0.0f64;
            let mut worst_bound = f64::NEG_INFINITY; // (max re − bound)/r, must be ≤ 1
            let mut worst_ref = 0.0f64; // eigenvalue / J gap in units of r
            let mut l2_margin = f64::INFINITY; // min over L2 models of (−max re)/(ηλ)
            for &n in sizes {
                for (k, &lambda) in lambdas.iter().enumerate() {
                    let rate = rates[(n + k) % 2];
                    let base = random_model(n, 1000 + 10 * n as u64 + k as u64)?
                        .with_rate(rate)
                        .ctx("with_rate")?;
                    for r in [l2(lambda), sd(lambda), sd_per_class(lambda)] {
                        let model = with_regulariser(&base, r.clone())?;
                        let what = format!("n={n} η={rate} {}", reg_name(&r));
                        let eq = solve(&model, None, &what)?;
                        let s = model.feature_strengths();
                        let s_max = s.iter().fold(0.0f64, |m, x| m.max(*x));
                        let s_min = s.iter().fold(f64::INFINITY, |m, x| m.min(*x));
                        let j_ref = reference_jacobian(&model, &eq.margins);
                        let slack = 100.0 * f64::EPSILON * (s_max / s_min) * j_ref.norm();
                        let max_re = eq
                            .eigenvalues
                            .iter()
                            .fold(f64::NEG_INFINITY, |m, e| m.max(e.0));
                        for &(re, im) in &eq.eigenvalues {
                            worst_im = worst_im.max(im.abs() / re.abs());
                        }
                        let bound = match &r {
                            Regulariser::L2 { lambda } => {
                                l2_margin = l2_margin.min(-max_re / (rate * lambda));
                                -rate * lambda
                            }
                            _ => {
                                let (ls, _) = model.sd_example_terms();
                                let lmin = ls.iter().fold(f64::INFINITY, |m, x| m.min(*x));
                                -rate * lmin * s_min * s_min
                            }
                        };
                        worst_bound = worst_bound.max((max_re - bound) / slack);
                        // Symmetric reference.
                        let sm = DMatrix::from_diagonal(&DVector::from_column_slice(s));
                        let sinv = DMatrix::from_diagonal(&DVector::from_iterator(
                            n,
                            s.iter().map(|x| 1.0 / x),
                        ));
                        let sym = &sinv * &j_ref * &sm;
                        let sym = (&sym + sym.transpose()) * 0.5;
                        let mut reference: Vec<f64> =
                            sym.symmetric_eigen().eigenvalues.iter().copied().collect();
                        reference.sort_by(f64::total_cmp);
                        let computed: Vec<f64> = eq.eigenvalues.iter().map(|e| e.0).collect();
                        let gap =
                            max_abs_diff(&computed, &reference).max((&eq.jacobian - &j_ref).amax());
                        worst_ref = worst_ref.max(gap / slack);
                        count += 1;
                    }
                }
            }
            Ok(Outcome {
                measured: format!(
                    "{count} equilibria (n ∈ {sizes:?}, η ∈ {rates:?}, L2 / SD / per-class SD): max |im|/|re| = {worst_im:.1e}; max (re_max − bound)/r = {worst_bound:.2e} (≤ 1 required; L2 min −re_max/(ηλ) = {l2_margin:.4}); J and eigenvalues vs symmetric M14/M15 reference: max gap {worst_ref:.2e} r"
                ),
                passed: worst_im <= 1e-10 && worst_bound <= 1.0 && worst_ref <= 1.0,
            })
        },
    )
}

/// J = −η S² H from M14/M15 at the margins a: H = UᵀDU + λS⁻² (L2) or Uᵀ(D + Λ)U (SD),
/// D = diag(κ(a_i)) of the model's loss.
pub(super) fn reference_jacobian(model: &FeatureModel, margins: &[f64]) -> DMatrix<f64> {
    let u = model.coupling();
    let loss = model.loss();
    let (ls, _) = model.sd_example_terms();
    let d = DVector::from_iterator(
        margins.len(),
        margins.iter().zip(&ls).map(|(a, l)| loss.curvature(*a) + l),
    );
    let mut h = u.transpose() * DMatrix::from_diagonal(&d) * u;
    let s2 = model.squared_strengths();
    if let Regulariser::L2 { lambda } = model.regulariser() {
        for (j, s2j) in s2.iter().enumerate() {
            h[(j, j)] += lambda / s2j;
        }
    }
    let scale = DMatrix::from_diagonal(&DVector::from_iterator(
        s2.len(),
        s2.iter().map(|x| -model.rate() * x),
    ));
    scale * h
}
