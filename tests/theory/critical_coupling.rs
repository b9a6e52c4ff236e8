//! Claim (docs/theory.md §5): "At δ = 1/√2, (Uᵀ1)_2 = 0; beyond it z_2* < 0 and |z_2*| still shrinks
//! as s_1 grows." Checked with M17's U(δ): (Uᵀ1)₂ and z₂* vanish to rounding at δ = 1/√2; for
//! δ > 1/√2 and s₁ > s₂ (the Theorem-1 regime) z₂* < 0 with d|z₂*|/d(s₁²) < 0, both from the
//! starvation matrix and by comparing equilibria at increasing s₁.
//!
//! Extra (independent of the Newton solver): the flow M7 itself, integrated from z = 0 at
//! δ = 1/√2 far past its slowest time scale (e^{−ηλT} = e^{−40}), ends with z₂ = 0 to rounding
//! while z₁ is O(1); and beyond 1/√2 the end states at s₁ = 3 and s₁ = 6 have z₂ < 0 with
//! |z₂(s₁ = 6)| < |z₂(s₁ = 3)|.

use starvation::flow::{Space, build_flow};
use starvation::model::{FeatureModel, Regulariser};
use starvation::solve::{Method, Output, SolveOptions, integrate};
use starvation::verify;

#[test]
fn critical_coupling_claims_hold() {
    let r = verify::critical_coupling(false);
    println!(
        "{}\n  measured: {}\n  tolerance: {}",
        r.name, r.measured, r.tolerance
    );
    assert!(r.passed, "{}", r.measured);
}

fn flow_end(s1: f64, delta: f64) -> Vec<f64> {
    let lambda = 0.01;
    let model = FeatureModel::two_feature_toy(s1, 2.0, delta)
        .unwrap()
        .with_regulariser(Regulariser::L2 { lambda })
        .unwrap();
    let field = build_flow(&model, Space::Responses).unwrap();
    let mut options = SolveOptions::until(40.0 / lambda)
        .tolerances(1e-11, 1e-13)
        .output(Output::Count(2));
    options.max_steps = 2_000_000;
    integrate(field.as_ref(), &[0.0, 0.0], Method::Auto, &options)
        .unwrap()
        .final_responses()
        .to_vec()
}

#[test]
fn flow_end_states_around_the_critical_coupling() {
    for s1 in [1.0, 3.0, 6.0] {
        let z = flow_end(s1, std::f64::consts::FRAC_1_SQRT_2);
        println!("δ = 1/√2, s1 = {s1}: z(T) = ({:.12}, {:.3e})", z[0], z[1]);
        assert!(z[0] > 1.0);
        assert!(z[1].abs() <= 1e-10 * z[0], "z2 = {:e}", z[1]);
    }
    let (a, b) = (flow_end(3.0, 0.8), flow_end(6.0, 0.8));
    println!(
        "δ = 0.8: z2(T) = {:.9} at s1 = 3, {:.9} at s1 = 6",
        a[1], b[1]
    );
    assert!(a[1] < 0.0 && b[1] < 0.0);
    assert!(b[1].abs() < a[1].abs());
}
