//! Claim (docs/theory.md §5, Theorem 2): "Under SD the equilibrium responses do not depend on the
//! strengths: dz_j*/d(s_i²) = 0 for all i, j." And M13: "For SD with γ = 0 all margins are
//! equal to one scalar a*(λ), the root of σ(−a) = λ a, and z* = a* Uᵀ 1." Checked on random
//! models of sizes 2 … 12: |M| ≤ 1e−10 (scaled), z* unchanged (1e−12) when S is rescaled by
//! random factors in [0.1, 10] (and the rescaled flow ends there, 1e−8), margins = a*(λ).
//!
//! Extra: the paper's Figure 6 SD runs (docs/theory.md §6: "under SD all s_1 end at the same
//! point"): for s₁ = 2, …, 6, δ = 0.5, λ = 0.002, z* equals the closed form a*(λ)·Uᵀ1 to 1e−12.

use starvation::equilibrium::closed_form::sd_margin;
use starvation::equilibrium::{EquilibriumOptions, find_equilibrium};
use starvation::model::{FeatureModel, Regulariser, SpectralDecoupling};
use starvation::verify;

#[test]
fn sd_equilibrium_does_not_depend_on_strengths() {
    let r = verify::theorem2_spectral_decoupling(false);
    println!(
        "{}\n  measured: {}\n  tolerance: {}",
        r.name, r.measured, r.tolerance
    );
    assert!(r.passed, "{}", r.measured);
}

#[test]
fn figure6_sd_runs_share_one_equilibrium() {
    let lambda = 0.002;
    let a_star = sd_margin(lambda);
    for s1 in [2.0, 3.0, 4.0, 5.0, 6.0] {
        let m = FeatureModel::two_feature_toy(s1, 2.0, 0.5)
            .unwrap()
            .with_regulariser(Regulariser::SpectralDecoupling(
                SpectralDecoupling::uniform(lambda),
            ))
            .unwrap();
        let z = find_equilibrium(&m, None, &EquilibriumOptions::default())
            .unwrap()
            .point;
        let closed: Vec<f64> = m
            .coupling_column_sums()
            .iter()
            .map(|u| a_star * u)
            .collect();
        let gap = (0..2)
            .map(|j| (z[j] - closed[j]).abs() / closed[j].abs())
            .fold(0.0, f64::max);
        println!(
            "s1 = {s1}: z* = ({:.12}, {:.12}), vs a*·Uᵀ1 rel. {gap:.1e}",
            z[0], z[1]
        );
        assert!(gap <= 1e-12, "s1 = {s1}: gap {gap:e}");
    }
}
