//! Claim (docs/theory.md §3.4): "exponential tail: log(1+e^{−a}) ≈ e^{−a} … Uncoupled (U = I) L2 fixed
//! point: z_j* = W(s_j²/λ) (Lambert W, principal branch)." Checked to 1e−12 relative over
//! s²/λ ∈ [1e−1, 1e8]; W(s²/λ) approaches the exact cross-entropy equilibrium with a relative
//! error that decreases monotonically as s²/λ grows.
//!
//! Extra: M19, the first-order (in δ) exponential-tail equilibrium of the coupled toy,
//! "z_2* ≈ W_2 − δ W_2/(1+W_2) · [W_1 + e^{W_2 − W_1}], z_1* ≈ W_1 + δ W_1/(1+W_1) · [W_2 +
//! e^{W_1 − W_2}]", has an error that shrinks like δ²: e(δ)/e(δ/2) ∈ [3.5, 4.5] at
//! δ = 1/160 → 1/320 (s₁ = 4, 6; λ = 0.01).

use starvation::equilibrium::closed_form::first_order_exponential_tail;
use starvation::equilibrium::{EquilibriumOptions, find_equilibrium};
use starvation::model::{FeatureModel, LossModel, Regulariser};
use starvation::verify;

#[test]
fn exponential_tail_equilibrium_is_lambert_w() {
    let r = verify::lambert_w_law(false);
    println!(
        "{}\n  measured: {}\n  tolerance: {}",
        r.name, r.measured, r.tolerance
    );
    assert!(r.passed, "{}", r.measured);
}

#[test]
fn m19_is_first_order_in_delta() {
    let lambda = 0.01;
    for s1 in [4.0f64, 6.0] {
        let errors: Vec<[f64; 2]> = (0..7)
            .map(|k| {
                let delta = 0.2 / 2f64.powi(k);
                let m = FeatureModel::two_feature_toy(s1, 2.0, delta)
                    .unwrap()
                    .with_regulariser(Regulariser::L2 { lambda })
                    .unwrap()
                    .with_loss(LossModel::ExponentialTail);
                let z = find_equilibrium(&m, None, &EquilibriumOptions::default())
                    .unwrap()
                    .point;
                let f = first_order_exponential_tail(s1 * s1, 4.0, lambda, delta);
                [(z[0] - f[0]).abs(), (z[1] - f[1]).abs()]
            })
            .collect();
        for j in 0..2 {
            let ratios: Vec<f64> = errors.windows(2).map(|w| w[0][j] / w[1][j]).collect();
            println!("s1 = {s1}, z{}: error ratios {ratios:.3?}", j + 1);
            let last = ratios[ratios.len() - 1];
            assert!(
                (3.5..=4.5).contains(&last),
                "s1 = {s1}, z{}: ratio {last}",
                j + 1
            );
        }
    }
}
