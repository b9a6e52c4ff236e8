//! The equilibrium z* of the two-feature toy under L2, its stability, and the starvation matrix
//! M_ji = ∂z_j*/∂(s_i²) (M16): Theorem 1 says the stronger feature starves the weaker one
//! (M₂₁ < 0 for δ > 0, s₁ > s₂).
//!
//! Run with `cargo run --release --example equilibrium`.

use starvation::{EquilibriumOptions, Error, FeatureModel, Regulariser};
use starvation::{find_equilibrium, sensitivities};

fn main() -> Result<(), Error> {
    let model = FeatureModel::two_feature_toy(6.0, 2.0, 0.5)?
        .with_regulariser(Regulariser::L2 { lambda: 0.01 })?;
    let eq = find_equilibrium(&model, None, &EquilibriumOptions::default())?;
    println!("z*          = {:?}", eq.point);
    println!("margins a*  = {:?}", eq.margins);
    println!(
        "eigenvalues = {:?} ({})",
        eq.eigenvalues,
        eq.stability.name()
    );
    println!(
        "residual    = {:.1e} after {} Newton iterations",
        eq.residual, eq.iterations
    );
    let m = sensitivities(&model, &eq)?.starvation_matrix;
    println!("starvation matrix (row j, column i: ∂z_j*/∂(s_i²)):");
    for j in 0..m.nrows() {
        println!("  [{:>12.6e}, {:>12.6e}]", m[(j, 0)], m[(j, 1)]);
    }
    println!(
        "M21 = {:.6e} < 0: feature 1 starves feature 2 (Theorem 1)",
        m[(1, 0)]
    );
    Ok(())
}
