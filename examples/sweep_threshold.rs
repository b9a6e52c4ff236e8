//! A sweep built in Rust, without writing JSON: the starvation ratio z₂*/z₂⁰ of the toy over
//! δ × s₁, and on each δ line the s₁ where the weaker feature has lost half its response
//! (ratio2 = 0.5), located by Brent's method to 1e−10.
//!
//! Run with `cargo run --release --example sweep_threshold`.

use starvation::sweep::{AxisParameter, Metric, SweepBuilder, ThresholdStatus};
use starvation::{Error, FeatureModel, Regulariser};

fn main() -> Result<(), Error> {
    let base = FeatureModel::two_feature_toy(2.0, 2.0, 0.3)?
        .with_regulariser(Regulariser::L2 { lambda: 0.01 })?;
    let deltas = [0.05, 0.1, 0.2, 0.3, 0.4];
    let plan = SweepBuilder::new(base)
        .axis(AxisParameter::Delta, deltas)
        // s₁ from 2 to 400 on a log grid.
        .axis(
            AxisParameter::Strength(0),
            (0..240).map(|i| 2.0 * 200f64.powf(f64::from(i) / 239.0)),
        )
        .metric(Metric::StarvationRatio)
        .threshold("ratio2", 0.5)
        .build()?;
    let result = plan.run(true);
    println!("{:>6}  {:>14}  status", "δ", "s₁ at ratio₂ = ½");
    for (delta, line) in deltas.iter().zip(&result.lines) {
        // One record per crossing of the level along the line (here at most one).
        for t in &line.thresholds[0] {
            match t.status {
                ThresholdStatus::Found => {
                    println!("{delta:>6.2}  {:>14.10}  {}", t.value, t.status.name())
                }
                _ => println!("{delta:>6.2}  {:>14}  {}", "—", t.status.name()),
            }
        }
    }
    Ok(())
}
