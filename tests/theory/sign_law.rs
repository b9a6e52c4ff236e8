//! Claim (docs/theory.md §5): "The sign of dz_2*/d(s_1²) in the M17 model is −sign(δ)·sign(s_1 − s_2)
//! for 0 < |δ| < 1/√2; it vanishes exactly at s_1 = s_2 for every U. Starvation is mutual:
//! when feature 1 starves feature 2, dz_1*/d(s_2²) < 0 too." Checked on a grid with both signs
//! of δ and s₁ on both sides of s₂, and at s₁ = s₂ for random rotations and reflections U.
//!
//! Extra: two specific points with the sign taken from a central finite difference of the
//! equilibrium (independent of the implicit-function theorem): δ = −0.3, s₁ = 1 (expected −:
//! starvation with negative δ and s₁ < s₂) and δ = 0.3, s₁ = 1 (expected +).

use starvation::equilibrium::{EquilibriumOptions, find_equilibrium};
use starvation::model::{FeatureModel, Regulariser};
use starvation::verify;

#[test]
fn sign_law_and_mutual_starvation_hold() {
    let r = verify::sign_law_and_mutual_starvation(false);
    println!(
        "{}\n  measured: {}\n  tolerance: {}",
        r.name, r.measured, r.tolerance
    );
    assert!(r.passed, "{}", r.measured);
}

fn z2(s1: f64, delta: f64) -> f64 {
    let m = FeatureModel::two_feature_toy(s1, 2.0, delta)
        .unwrap()
        .with_regulariser(Regulariser::L2 { lambda: 0.01 })
        .unwrap();
    find_equilibrium(&m, None, &EquilibriumOptions::default())
        .unwrap()
        .point[1]
}

#[test]
fn finite_difference_sign_at_specific_points() {
    let h = 1e-4;
    for (delta, expected) in [(-0.3, -1.0), (0.3, 1.0)] {
        let s1: f64 = 1.0;
        let (plus, minus) = ((s1 * s1 * (1.0 + h)).sqrt(), (s1 * s1 * (1.0 - h)).sqrt());
        let fd = (z2(plus, delta) - z2(minus, delta)) / (plus * plus - minus * minus);
        println!("δ = {delta}, s1 = {s1}: FD dz2*/d(s1²) = {fd:.6e} (expected sign {expected})");
        assert_eq!(fd.signum(), expected, "δ = {delta}");
        assert!(
            fd.abs() > 1e-6,
            "the derivative must be clearly nonzero, got {fd:e}"
        );
    }
}
