//! Claim (docs/theory.md §4.1, M12/M13): "both strictly convex for λ > 0, so each has exactly one
//! equilibrium and it attracts every trajectory." The Newton equilibrium must equal the end
//! state of a long integration from z = 0 (L2, uniform SD, per-class SD with targets, and the
//! unregularised quadratic loss model) to 1e−8 relative; the horizon comes from the strong
//! convexity bound derived in `verify::equilibrium_matches_long_integration`.
//!
//! Extra: the parameter-space flow (M5) with random feature directions in m = 8 > n = 5
//! parameters, projected by S Vᵀ (M4), ends at the same z* (a different state space and field);
//! and `run_all` returns the twelve records in order with complete JSON.

use starvation::equilibrium::{EquilibriumOptions, find_equilibrium};
use starvation::flow::{Space, build_flow};
use starvation::model::{FeatureModel, Regulariser, Spectrum};
use starvation::solve::{Method, Output, SolveOptions, integrate};
use starvation::verify;

#[test]
fn equilibrium_equals_end_of_long_integration() {
    let r = verify::equilibrium_matches_long_integration(false);
    println!(
        "{}\n  measured: {}\n  tolerance: {}",
        r.name, r.measured, r.tolerance
    );
    assert!(r.passed, "{}", r.measured);
}

#[test]
fn parameter_flow_ends_at_the_equilibrium() {
    let lambda = 0.05;
    let rate = 0.9;
    let model = FeatureModel::random(
        5,
        8,
        &Spectrum::List(vec![4.0, 2.0, 1.5, 1.0, 0.6]),
        Some(vec![1.0, -1.0, 1.0, 1.0, -1.0]),
    )
    .unwrap()
    .with_random_directions(8, 3)
    .unwrap()
    .with_regulariser(Regulariser::L2 { lambda })
    .unwrap()
    .with_rate(rate)
    .unwrap();
    let eq = find_equilibrium(&model, None, &EquilibriumOptions::default()).unwrap();
    // Under L2 every θ-mode decays at least at rate ηλ (M5's Hessian ≥ λ): e^{−ηλT} = e^{−36}.
    let t_end = 36.0 / (rate * lambda);
    let field = build_flow(&model, Space::Parameters).unwrap();
    let mut options = SolveOptions::until(t_end)
        .tolerances(1e-11, 1e-13)
        .output(Output::Count(2));
    options.max_steps = 2_000_000;
    let tr = integrate(field.as_ref(), &[0.0; 8], Method::Auto, &options).unwrap();
    let z = tr.final_responses();
    let scale = eq.point.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let gap = z
        .iter()
        .zip(&eq.point)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
        / scale;
    println!("θ-flow (m = 8) projected end state vs z*: rel. gap {gap:.2e}");
    assert!(gap <= 1e-8, "gap {gap:e}");
}

#[test]
fn run_all_returns_twelve_complete_records() {
    let results = verify::run_all(true);
    assert_eq!(results.len(), 12);
    for (k, r) in results.iter().enumerate() {
        assert_eq!(r.id, k + 1);
        let j = r.to_json();
        for key in [
            "id",
            "name",
            "claim",
            "source",
            "measured",
            "tolerance",
            "passed",
        ] {
            assert!(j.get(key).is_some(), "check {} lacks {key}", r.id);
        }
        assert_eq!(j["passed"].as_bool(), Some(r.passed));
        assert!(!r.measured.is_empty() && !r.claim.is_empty());
        println!(
            "{:>2} {:<48} {}",
            r.id,
            r.name,
            if r.passed { "pass" } else { "FAIL" }
        );
    }
}
