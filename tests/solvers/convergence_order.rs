//! Each explicit method converges at its nominal order. With fixed steps h (initial step = max
//! step = h, tolerances so loose that no step is rejected) the global error at t = T behaves like
//! C hᵖ; the slope of log(error) against log(h), fitted by least squares, must lie within ±0.3 of
//! p (5 for dopri5, 8 for dop853). Reference: the closed form z(t) = 1 + τ − W(e^{1+τ}) of the
//! unregularised uncoupled flow (docs/theory.md §5), s = 1, T = 10. The step sizes are chosen in the
//! asymptotic range (errors between ~1e−9 and ~1e−13): larger steps show the next term of the
//! error expansion (local slopes near 5.8 and 8.3), smaller ones reach rounding.

use nalgebra::DMatrix;
use starvation::flow::{Space, build_flow};
use starvation::model::{FeatureModel, Regulariser};
use starvation::numerics::wright_omega;
use starvation::solve::{Method, Output, SolveOptions, integrate};

const T: f64 = 10.0;
const S: f64 = 1.0;

fn error_with_steps(method: Method, steps: usize) -> (f64, usize) {
    let model = FeatureModel::from_coupling(vec![S], DMatrix::identity(1, 1), None)
        .unwrap()
        .with_regulariser(Regulariser::None)
        .unwrap();
    let field = build_flow(&model, Space::Responses).unwrap();
    let h = T / steps as f64;
    let mut options = SolveOptions::until(T)
        .tolerances(1e3, 1e3)
        .output(Output::Count(2));
    options.initial_step = Some(h);
    options.max_step = Some(h);
    let tr = integrate(field.as_ref(), &[0.0], method, &options).unwrap();
    let exact = wright_omega(1.0 + S * S * T).ln();
    ((tr.final_state()[0] - exact).abs(), tr.stats.accepted_steps)
}

fn fitted_order(method: Method, step_counts: &[usize]) -> f64 {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for &n in step_counts {
        let (err, accepted) = error_with_steps(method, n);
        assert_eq!(accepted, n, "{method}: steps were not fixed");
        println!("{method}: h = {:.4}  error = {err:.3e}", T / n as f64);
        xs.push((T / n as f64).ln());
        ys.push(err.ln());
    }
    let n = xs.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    sxy / sxx
}

#[test]
fn dopri5_is_fifth_order() {
    let p = fitted_order(Method::Dopri5, &[45, 64, 90, 128]);
    println!("dopri5 fitted order {p:.3}");
    assert!((p - 5.0).abs() <= 0.3, "fitted order {p}");
}

#[test]
fn dop853_is_eighth_order() {
    let p = fitted_order(Method::Dop853, &[8, 10, 12, 14, 17]);
    println!("dop853 fitted order {p:.3}");
    assert!((p - 8.0).abs() <= 0.3, "fitted order {p}");
}
