//! Claim (docs/theory.md §5, Theorem 1): "With the coupling M17, δ > 0 small and s_1 > s_2,
//! dz_2*/d(s_1²) < 0. To first order in δ … dz_2*/d(s_1²) = δ · s_2² [κ(z_1⁰) − κ(z_2⁰)] /
//! (λ + s_2² κ(z_2⁰)) · σ(−z_1⁰) / (λ + s_1² κ(z_1⁰)) + O(δ²) (M18)." The sign is checked on a
//! grid δ ∈ (0, 0.7), s₁ ∈ (2, 8], λ ∈ {1e−3, 1e−2, 1e−1} (with finite differences at every
//! point), and the error of M18 must shrink like δ² (ratio e(δ)/e(δ/2) → 4).
//!
//! Extra: the paper's Figure 6 claim (docs/theory.md §6), "under L2, larger s_1 gives larger z_1*
//! and smaller z_2* (starvation)", by direct comparison of equilibria at s₁ = 2, …, 6.

use starvation::equilibrium::{EquilibriumOptions, find_equilibrium};
use starvation::model::{FeatureModel, Regulariser};
use starvation::verify;

#[test]
fn theorem1_holds_on_the_grid_and_m18_is_first_order() {
    let r = verify::theorem1_starvation_regime(false);
    println!(
        "{}\n  measured: {}\n  tolerance: {}",
        r.name, r.measured, r.tolerance
    );
    assert!(r.passed, "{}", r.measured);
}

#[test]
fn figure6_l2_equilibria_show_starvation() {
    let points: Vec<Vec<f64>> = [2.0, 3.0, 4.0, 5.0, 6.0]
        .iter()
        .map(|&s1| {
            let m = FeatureModel::two_feature_toy(s1, 2.0, 0.5)
                .unwrap()
                .with_regulariser(Regulariser::L2 { lambda: 0.01 })
                .unwrap();
            find_equilibrium(&m, None, &EquilibriumOptions::default())
                .unwrap()
                .point
        })
        .collect();
    for p in &points {
        println!("z* = ({:.6}, {:.6})", p[0], p[1]);
    }
    for w in points.windows(2) {
        assert!(w[1][0] > w[0][0], "z1* must grow with s1");
        assert!(w[1][1] < w[0][1], "z2* must shrink with s1");
    }
}
