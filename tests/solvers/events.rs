//! Events of the integrator.
//!
//! - Steady state: "stop when the weighted norm of the field falls below tolerance". The stop
//!   point must be the equilibrium, checked against the end state of a long tight run. Bound:
//!   near z*, z − z* ≈ J⁻¹ f; for L2, J = −η(S²UᵀDU + λI) is similar through S to a symmetric
//!   matrix with eigenvalues ≤ −ηλ, so ‖J⁻¹‖₂ ≤ (s_max/s_min)/(ηλ). With the RMS-weighted field
//!   norm ≤ τ, ‖f‖₂ ≤ √n·τ·max_i(atol + rtol|z_i|); the test allows twice the resulting bound.
//!   The threshold must sit above an adaptive method's noise near the fixed point (steps at the
//!   stability limit leave |z − z*| ~ rtol|z|): at rtol 1e−8, dopri5 never gets below τ = 1e−2
//!   and reports stiffness instead.
//! - Level crossing: the time at which z_j reaches a level, located to 1e−10 relative, checked
//!   against the closed form of the λ = 0, U = I flow: z + e^z = 1 + τ, so z(t) = L at
//!   t = (L + e^L − 1)/(η s²).

use nalgebra::DMatrix;
use starvation::flow::{Space, build_flow};
use starvation::model::{FeatureModel, Regulariser};
use starvation::solve::{
    Direction, LevelCrossing, Method, Output, SolveOptions, SteadyState, StopReason, integrate,
};

#[test]
fn steady_state_event_stops_at_the_equilibrium() {
    let lambda = 0.01;
    let model = FeatureModel::two_feature_toy(6.0, 2.0, 0.5)
        .unwrap()
        .with_regulariser(Regulariser::L2 { lambda })
        .unwrap();
    let field = build_flow(&model, Space::Responses).unwrap();
    let reference = integrate(
        field.as_ref(),
        &[0.0, 0.0],
        Method::Dop853,
        &SolveOptions::until(1e4)
            .tolerances(1e-12, 1e-14)
            .output(Output::Count(2)),
    )
    .unwrap();
    let z_star = reference.final_state();
    for method in [
        Method::Dopri5,
        Method::Dop853,
        Method::Radau5,
        Method::GradientDescent,
    ] {
        // τ = 1 (the default) at rtol 1e−11: the adaptive methods' own noise near the fixed point
        // (|J|·rtol·|z|) stays below the threshold, and the bound below is ~1e−7.
        let tau = 1.0;
        let mut options = SolveOptions::until(1e5)
            .tolerances(1e-11, 1e-13)
            .output(Output::Count(2));
        options.events.steady_state = Some(SteadyState { tolerance: tau });
        options.step = Some(0.05);
        options.max_steps = 2_000_000;
        let tr = integrate(field.as_ref(), &[0.0, 0.0], method, &options).unwrap();
        assert_eq!(tr.stop, StopReason::SteadyState, "{method}");
        assert!(tr.final_time() < 1e5, "{method}: {:?}", tr.events);
        assert_eq!(tr.events.len(), 1);
        let z = tr.final_state();
        let distance = z
            .iter()
            .zip(z_star)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let zmax = z.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let bound =
            2.0 * (6.0 / 2.0) / lambda * 2f64.sqrt() * tau * (options.atol + options.rtol * zmax);
        println!(
            "{method}: stopped at t = {:.2}, |z − z*| = {distance:.3e} (bound {bound:.3e})",
            tr.final_time()
        );
        assert!(
            distance <= bound,
            "{method}: distance {distance:e} > bound {bound:e}"
        );
    }
}

#[test]
fn level_crossing_time_matches_closed_form() {
    let s = 2.0;
    let rate = 0.5;
    let model = FeatureModel::from_coupling(vec![s, 1.0], DMatrix::identity(2, 2), None)
        .unwrap()
        .with_regulariser(Regulariser::None)
        .unwrap()
        .with_rate(rate)
        .unwrap();
    let field = build_flow(&model, Space::Responses).unwrap();
    for method in [Method::Dopri5, Method::Dop853, Method::Radau5] {
        for level in [0.5, 3.0, 6.0] {
            let exact = (level + f64::exp(level) - 1.0) / (rate * s * s);
            let mut options = SolveOptions::until(2.0 * exact + 10.0).tolerances(1e-12, 1e-14);
            options.events.level_crossings.push(LevelCrossing {
                feature: 0,
                level,
                direction: Direction::Up,
                terminal: true,
            });
            let tr = integrate(field.as_ref(), &[0.0, 0.0], method, &options).unwrap();
            assert_eq!(tr.stop, StopReason::LevelCrossing);
            let t = tr.events[0].time;
            let rel = (t - exact).abs() / exact;
            println!("{method}: level {level}: t = {t:.12} exact {exact:.12} rel {rel:.2e}");
            assert!(rel <= 1e-9, "{method} level {level}: rel error {rel:e}");
            assert_eq!(tr.final_time(), t);
            assert!((tr.final_state()[0] - level).abs() <= 1e-9 * level);
            let [lo, hi] = tr.events[0].bracket.unwrap();
            assert!(lo <= t && t <= hi && hi - lo <= 1e-9 * t);
        }
    }
}

#[test]
fn non_terminal_crossings_are_recorded_and_the_run_goes_on() {
    let model = FeatureModel::two_feature_toy(6.0, 2.0, 0.5).unwrap();
    let field = build_flow(&model, Space::Responses).unwrap();
    let mut options = SolveOptions::until(250.0).tolerances(1e-10, 1e-12);
    for level in [1.0, 5.0, 8.0] {
        options.events.level_crossings.push(LevelCrossing {
            feature: 0,
            level,
            direction: Direction::Either,
            terminal: false,
        });
    }
    let tr = integrate(field.as_ref(), &[0.0, 0.0], Method::Dop853, &options).unwrap();
    assert_eq!(tr.stop, StopReason::ReachedEnd);
    assert_eq!(tr.final_time(), 250.0);
    let times: Vec<f64> = tr.events.iter().map(|e| e.time).collect();
    assert_eq!(times.len(), 3);
    assert!(times.windows(2).all(|w| w[0] < w[1]));
    for (e, level) in tr.events.iter().zip([1.0, 5.0, 8.0]) {
        assert!((e.responses[0] - level).abs() < 1e-8);
    }
}

#[test]
fn gradient_descent_crossing_lies_within_one_step_of_the_flow() {
    let model = FeatureModel::two_feature_toy(6.0, 2.0, 0.5).unwrap();
    let field = build_flow(&model, Space::Responses).unwrap();
    let mut options = SolveOptions::until(250.0);
    options.step = Some(0.05);
    options.events.level_crossings.push(LevelCrossing {
        feature: 0,
        level: 8.0,
        direction: Direction::Up,
        terminal: true,
    });
    let flow = integrate(field.as_ref(), &[0.0, 0.0], Method::Dop853, &options).unwrap();
    let gd = integrate(
        field.as_ref(),
        &[0.0, 0.0],
        Method::GradientDescent,
        &options,
    )
    .unwrap();
    let (tf, tg) = (flow.events[0].time, gd.events[0].time);
    println!("flow crosses at {tf:.4}, gd at {tg:.4}");
    // Euler's global error is O(h): the crossing time moves by O(1) steps (4.3 measured);
    // allow 10 steps (0.5 time units), which a wrong interpolation or time convention exceeds.
    assert!((tf - tg).abs() < 10.0 * 0.05, "{tf} vs {tg}");
}
