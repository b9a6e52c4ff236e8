//! Integrates the response flow of the paper's two-feature toy (s₁ = 6, s₂ = 2, δ = 0.5, L2
//! λ = 0.01) from z = 0 with DOP853 and prints z(t) at a few times, then the solver's statistics.
//!
//! Run with `cargo run --release --example trajectory`.

use starvation::{
    Error, FeatureModel, Method, Output, Regulariser, SolveOptions, Space, build_flow, integrate,
};

fn main() -> Result<(), Error> {
    let model = FeatureModel::two_feature_toy(6.0, 2.0, 0.5)?
        .with_regulariser(Regulariser::L2 { lambda: 0.01 })?;
    let field = build_flow(&model, Space::Responses)?;
    let options = SolveOptions::until(250.0).output(Output::Times(vec![1.0, 10.0, 100.0]));
    let trajectory = integrate(field.as_ref(), &[0.0, 0.0], Method::Dop853, &options)?;
    println!("{:>8}  {:>12}  {:>12}", "t", "z1", "z2");
    for (t, z) in trajectory.times.iter().zip(&trajectory.responses) {
        println!("{t:>8.1}  {:>12.8}  {:>12.8}", z[0], z[1]);
    }
    println!(
        "{} field evaluations, {} accepted and {} rejected steps, stopped: {}",
        trajectory.stats.field_evaluations,
        trajectory.stats.accepted_steps,
        trajectory.stats.rejected_steps,
        trajectory.stop.name()
    );
    Ok(())
}
