//! Claim (docs/theory.md §3.4 and §5): under the quadratic loss model "the flow becomes linear and
//! decoupled: z_j* = 2 s_j² (Uᵀ1)_j / (s_j² + 4λ) … No starvation at all under this model";
//! "The quadratic loss model shows no starvation (M = 0 off the diagonal): starvation is a
//! saturation effect of the cross-entropy." Checked on random coupled models: off-diagonal
//! entries ≤ 1e−12 of the diagonal, diagonal = 8λ(Uᵀ1)_i/(s_i² + 4λ)², while the exact loss on
//! the same models has off-diagonal entries ≥ 1e−3 of the diagonal.
//!
//! Extra: the quadratic model's equilibrium equals the closed form
//! `closed_form::quadratic_equilibrium` to 1e−12 relative.

use starvation::equilibrium::closed_form::quadratic_equilibrium;
use starvation::equilibrium::{EquilibriumOptions, find_equilibrium};
use starvation::model::{FeatureModel, LossModel, Regulariser, Spectrum};
use starvation::verify;

#[test]
fn quadratic_model_has_diagonal_starvation_matrix() {
    let r = verify::quadratic_model_has_no_starvation(false);
    println!(
        "{}\n  measured: {}\n  tolerance: {}",
        r.name, r.measured, r.tolerance
    );
    assert!(r.passed, "{}", r.measured);
}

#[test]
fn quadratic_equilibrium_matches_closed_form() {
    for (n, seed, lambda) in [(3, 5, 0.02), (5, 6, 0.2), (6, 7, 0.005)] {
        let strengths: Vec<f64> = (0..n).map(|j| 3.0 / (1.0 + j as f64)).collect();
        let model = FeatureModel::random(n, seed, &Spectrum::List(strengths), None)
            .unwrap()
            .with_regulariser(Regulariser::L2 { lambda })
            .unwrap()
            .with_loss(LossModel::Quadratic);
        let z = find_equilibrium(&model, None, &EquilibriumOptions::default())
            .unwrap()
            .point;
        let closed = quadratic_equilibrium(&model);
        let scale = closed.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let gap = z
            .iter()
            .zip(&closed)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
            / scale;
        println!("n = {n}, λ = {lambda}: z* vs closed form rel. {gap:.1e}");
        assert!(gap <= 1e-12, "gap {gap:e}");
    }
}
