//! Closed-form solutions the flows must reproduce (docs/theory.md §3.4 and §5):
//!
//! - "λ = 0, U = I: dz/dt = η s² σ(−z), z(0) = 0 has the closed form z(t) = 1 + τ − W(e^{1+τ}),
//!   τ = η s² t (asymptotically log τ)." Matched to 1e−9 over t ∈ [0, 1e4].
//! - The quadratic loss model: "The flow becomes linear and decoupled:
//!   z_j* = 2 s_j² (Uᵀ1)_j / (s_j² + 4λ), z_j(t) = z_j* (1 − e^{−η (s_j²/4 + λ) t})." Matched to 1e−9.
//!
//! Both integrations run at rtol 1e−12 (tighter than the 1e−9 asserted). Radau5 cannot go below
//! rtol 1.7e−11 and is held to 1e−9 as well.

use nalgebra::DMatrix;
use starvation::flow::{Space, build_flow};
use starvation::model::{FeatureModel, LossModel, Regulariser, Spectrum};
use starvation::numerics::wright_omega;
use starvation::solve::{Method, Output, SolveOptions, integrate};

/// z(t) = 1 + τ − W(e^{1+τ}) = ln ω(1 + τ), written with the Wright omega function so that it
/// is well conditioned for large τ.
fn unregularised_response(s: f64, rate: f64, t: f64) -> f64 {
    wright_omega(1.0 + rate * s * s * t).ln()
}

fn log_times(t_max: f64, count: usize) -> Vec<f64> {
    (0..count)
        .map(|i| t_max * 10f64.powf(-6.0 * (1.0 - i as f64 / (count - 1) as f64)))
        .collect()
}

#[test]
fn unregularised_uncoupled_flow_follows_lambert_w() {
    let strengths = vec![0.5, 1.0, 3.0];
    let rate = 0.7;
    let model = FeatureModel::from_coupling(strengths.clone(), DMatrix::identity(3, 3), None)
        .unwrap()
        .with_regulariser(Regulariser::None)
        .unwrap()
        .with_rate(rate)
        .unwrap();
    let field = build_flow(&model, Space::Responses).unwrap();
    let options = SolveOptions::until(1e4)
        .tolerances(1e-12, 1e-14)
        .output(Output::Times(log_times(1e4, 61)));
    for method in [Method::Dopri5, Method::Dop853, Method::Radau5] {
        let tr = integrate(field.as_ref(), &[0.0; 3], method, &options).unwrap();
        let mut worst = 0.0f64;
        for (t, z) in tr.times.iter().zip(&tr.responses) {
            for (j, s) in strengths.iter().enumerate() {
                let exact = unregularised_response(*s, rate, *t);
                worst = worst.max((z[j] - exact).abs() / exact.abs().max(1.0));
            }
        }
        println!("{method}: max relative error against 1 + τ − W(e^(1+τ)): {worst:.3e}");
        assert!(worst <= 1e-9, "{method}: error {worst:e}");
        // The curve reached the log regime: z(1e4) ≈ log τ for the strongest feature.
        let tau = rate * 9.0 * 1e4;
        assert!((tr.final_state()[2] - tau.ln()).abs() < 1e-3 * tau.ln());
    }
}

#[test]
fn quadratic_loss_flow_is_exponential_relaxation() {
    let lambda = 0.03;
    let rate = 1.3;
    let model = FeatureModel::random(
        4,
        21,
        &Spectrum::List(vec![3.0, 1.5, 0.8, 0.2]),
        Some(vec![1.0, -1.0, 1.0, 1.0]),
    )
    .unwrap()
    .with_regulariser(Regulariser::L2 { lambda })
    .unwrap()
    .with_loss(LossModel::Quadratic)
    .with_rate(rate)
    .unwrap();
    let s2 = model.squared_strengths();
    let u1 = model.coupling_column_sums();
    let field = build_flow(&model, Space::Responses).unwrap();
    let options = SolveOptions::until(300.0)
        .tolerances(1e-12, 1e-14)
        .output(Output::Count(61));
    for method in [Method::Dopri5, Method::Dop853, Method::Radau5] {
        let tr = integrate(field.as_ref(), &[0.0; 4], method, &options).unwrap();
        let mut worst = 0.0f64;
        for (t, z) in tr.times.iter().zip(&tr.responses) {
            for j in 0..4 {
                let z_star = 2.0 * s2[j] * u1[j] / (s2[j] + 4.0 * lambda);
                let exact = z_star * (1.0 - (-rate * (s2[j] / 4.0 + lambda) * t).exp());
                worst = worst.max((z[j] - exact).abs() / exact.abs().max(1.0));
            }
        }
        println!("{method}: max relative error against the exponential solution: {worst:.3e}");
        assert!(worst <= 1e-9, "{method}: error {worst:e}");
    }
}
