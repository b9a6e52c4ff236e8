//! Claim (docs/theory.md §3.4, M20): under the squared loss ½(yŷ − 1)² the response flow is
//! linear and, under L2, decoupled: dz_j/dt = η [s_j² (Uᵀ1)_j − (s_j² + λ) z_j], so
//! **z* = (S² + λ)⁻¹ S² Uᵀ1** (each z_j* depends on its own s_j only: the starvation matrix is
//! diagonal, no starvation) and z_j(t) = z_j* + (z_j(0) − z_j*) e^{−η (s_j² + λ) t}. Without a
//! regulariser z* = Uᵀ1.
//!
//! References: the closed forms of `closed_form::squared_*` against (1) Newton's equilibrium and
//! the starvation matrix (`verify` check 12), (2) the integrated flow (DOP853).
//!
//! Tolerance of (2): the flow is a gradient flow of a strongly convex quadratic, so it contracts
//! (in the S⁻¹-weighted norm) and local errors do not grow; the global error is at most the sum
//! of the local ones, ≤ N·(rtol·|z| + atol) for N accepted steps. With rtol = 1e−11,
//! atol = 1e−13 and N ≲ 100 steps here, 1000·(rtol·max|z| + atol) bounds it with room (the
//! factor used by check 1 for the same reason); the measured maximum is printed.

use starvation::equilibrium::closed_form::{squared_equilibrium, squared_trajectory};
use starvation::equilibrium::{EquilibriumOptions, find_equilibrium};
use starvation::flow::{Space, build_flow};
use starvation::model::{FeatureModel, LossModel, Regulariser, Spectrum};
use starvation::solve::{Method, Output, SolveOptions, integrate};
use starvation::verify;

const RTOL: f64 = 1e-11;
const ATOL: f64 = 1e-13;

fn model(n: usize, seed: u64, regulariser: Regulariser, rate: f64) -> FeatureModel {
    let strengths: Vec<f64> = (0..n).map(|j| 4.0 / (1.0 + j as f64).powf(1.2)).collect();
    let labels = (0..n)
        .map(|i| if i % 3 == 1 { -1.0 } else { 1.0 })
        .collect();
    FeatureModel::random(n, seed, &Spectrum::List(strengths), Some(labels))
        .unwrap()
        .with_regulariser(regulariser)
        .unwrap()
        .with_loss(LossModel::Squared)
        .with_rate(rate)
        .unwrap()
}

#[test]
fn verify_check_squared_loss_has_no_starvation() {
    let r = verify::squared_loss_has_no_starvation(false);
    println!(
        "{}\n  measured: {}\n  tolerance: {}",
        r.name, r.measured, r.tolerance
    );
    assert!(r.passed, "{}", r.measured);
}

#[test]
fn equilibrium_is_the_closed_form_with_and_without_l2() {
    for (n, seed, reg) in [
        (3, 5, Regulariser::L2 { lambda: 0.02 }),
        (6, 7, Regulariser::L2 { lambda: 0.5 }),
        (5, 9, Regulariser::None),
    ] {
        let m = model(n, seed, reg.clone(), 1.0);
        let z = find_equilibrium(&m, None, &EquilibriumOptions::default())
            .unwrap()
            .point;
        let closed = squared_equilibrium(&m);
        let gap = starvation_gap(&z, &closed);
        println!(
            "n = {n}, {}: z* vs (S²+λ)⁻¹S²Uᵀ1 rel. {gap:.1e}",
            reg.name()
        );
        assert!(gap <= 1e-12, "gap {gap:e}");
    }
}

fn starvation_gap(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

#[test]
fn integrated_flow_follows_the_closed_form_trajectory() {
    let mut worst_all = 0.0f64;
    for (n, seed, reg, rate, start) in [
        (4, 11, Regulariser::L2 { lambda: 0.01 }, 1.0, 0.0),
        (5, 12, Regulariser::L2 { lambda: 0.3 }, 0.5, 0.7),
        (3, 13, Regulariser::None, 2.0, -0.4),
    ] {
        let m = model(n, seed, reg.clone(), rate);
        let field = build_flow(&m, Space::Responses).unwrap();
        let z0: Vec<f64> = (0..n).map(|j| start * (1.0 + j as f64)).collect();
        // Long enough for the slowest mode, rate η(s_min² + λ), to decay by e⁻⁵.
        let s_min2 = m
            .squared_strengths()
            .iter()
            .fold(f64::INFINITY, |a, x| a.min(*x));
        let t_end = 5.0 / (rate * (s_min2 + m.regulariser().lambda()));
        let times: Vec<f64> = (1..=20).map(|k| t_end * k as f64 / 20.0).collect();
        let options = SolveOptions::until(t_end)
            .tolerances(RTOL, ATOL)
            .output(Output::Times(times.clone()));
        let tr = integrate(field.as_ref(), &z0, Method::Dop853, &options).unwrap();
        let mut worst = 0.0f64;
        let mut size = 0.0f64;
        let mut compared = 0;
        for (t, z) in tr.times.iter().zip(&tr.states) {
            if *t <= 0.0 {
                continue;
            }
            let closed = squared_trajectory(&m, &z0, *t);
            for (a, b) in z.iter().zip(&closed) {
                worst = worst.max((a - b).abs());
                size = size.max(b.abs());
            }
            compared += 1;
        }
        let bound = 1000.0 * (RTOL * size + ATOL);
        println!(
            "n = {n}, {}, η = {rate}: {compared} times up to t = {t_end:.3}, max |z_flow − z_closed| = {worst:.2e} (bound {bound:.1e}, {} steps)",
            reg.name(),
            tr.stats.accepted_steps
        );
        assert!(compared >= 20, "only {compared} output times");
        assert!(worst <= bound, "gap {worst:e} > {bound:e}");
        worst_all = worst_all.max(worst);
    }
    println!("max abs difference flow vs closed form over all cases: {worst_all:.2e}");
}

#[test]
fn each_response_ignores_the_other_strengths() {
    // No starvation, stated directly: raising s_1 moves z_1* and leaves every other z_j* alone
    // (to the rounding of the solve, ~1e−15 relative), whereas under the cross-entropy on the
    // same model z_2* falls by far more.
    let base = model(4, 21, Regulariser::L2 { lambda: 1.0 }, 1.0);
    let stronger = base.clone().with_strength(0, 8.0).unwrap();
    let eq = |m: &FeatureModel| {
        find_equilibrium(m, None, &EquilibriumOptions::default())
            .unwrap()
            .point
    };
    let (z, zs) = (eq(&base), eq(&stronger));
    let others = (1..4).fold(0.0f64, |a, j| a.max((z[j] - zs[j]).abs() / z[j].abs()));
    println!(
        "squared: z₁* {:.4} → {:.4}; others moved by ≤ {others:.1e} relative",
        z[0], zs[0]
    );
    assert!((zs[0] - z[0]).abs() > 1e-3);
    assert!(others <= 1e-12, "{others:e}");
    let exact = |m: FeatureModel| eq(&m.with_loss(LossModel::Exact));
    let (e, es) = (exact(base), exact(stronger));
    let moved = (1..4).fold(0.0f64, |a, j| a.max((e[j] - es[j]).abs() / e[j].abs()));
    println!("cross-entropy on the same model: others moved by up to {moved:.2e} relative");
    assert!(moved >= 1e-3, "{moved:e}");
}

#[test]
fn dual_flow_of_the_squared_loss_ends_at_the_closed_form() {
    // The squared loss's conjugate is H(α) = α − α²/2 on all of ℝ (H′(α) = 1 − α = a(α)), so
    // its dual flow dα/dt = η_α [1 − α − K α/λ] is linear; its fixed point maps to the primal
    // z* = S² Uᵀ α*/λ (§3.3). Tolerance: the end state of a contracting linear flow after ≥ 30
    // time constants, at rtol 1e−11: 1e−8 relative.
    let m = model(4, 31, Regulariser::L2 { lambda: 0.2 }, 1.0);
    let field = build_flow(&m, Space::Dual).unwrap();
    let options = SolveOptions::until(60.0)
        .tolerances(RTOL, ATOL)
        .output(Output::Count(2));
    let tr = integrate(
        field.as_ref(),
        &field.default_initial_state(),
        Method::Auto,
        &options,
    )
    .unwrap();
    let z = tr.final_responses().to_vec();
    let gap = starvation_gap(&z, &squared_equilibrium(&m));
    println!("dual (α-flow) end state vs closed form z*: rel. {gap:.1e}");
    assert!(gap <= 1e-8, "{gap:e}");
    // The smooth hinge has no smooth dual: refused, naming the field.
    let hinge = m.with_loss(LossModel::SmoothHinge);
    let e = build_flow(&hinge, Space::Dual).err().expect("refused");
    assert_eq!(e.field, "loss");
    assert!(!e.to_string().contains('\n'));
}
