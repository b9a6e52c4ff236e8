//! Claim (issue 18, docs/theory.md §8): the sweep metric `period` classifies the attractor of an
//! optimiser map (1 fixed point, p an attracting p-cycle, 0 none up to P, diverged runs failed
//! cells); a threshold period = 1.5 along a `step` axis locates the flip at
//! h* = 2/|λ_min| (gd) and 2(1 + μ)/|λ_min| (heavy ball), λ_min the most negative eigenvalue of the
//! z-field's Jacobian at z*; Newton on F² − id finds the period-2 orbit born there, and its
//! multipliers are the contraction of the map's own iterates towards it (at μ = 0.9 the flip of
//! this toy is not followed by an attracting 2-cycle — the period jumps to 0, i.e. none up to
//! 8 — so the threshold test uses μ = 0.5, where the flip is supercritical); the `lyapunov` metric
//! at a stable fixed point is log of the spectral radius of the map's Jacobian there.
//!
//! Tolerances: the located flip within 40/N relative of h* (N the iteration budget; derivation
//! in `starvation::verify::FLIP_TOLERANCE`); Newton's orbit against the iterated attractor
//! within 1e−8 (the iterates are run until their 2-step change is below 1e−13 and the multiplier
//! is ≤ 0.99, so their distance to the orbit is ≤ 1e−13/(1 − 0.99) = 1e−11, plus Newton's own
//! 1e−13); the Lyapunov exponent, averaged over 10⁴ steps after a 10³-step transient that brings
//! the tangent vector to the dominant direction to (|ρ₂|/|ρ₁|)^1000, within 1e−3 (the start's
//! log-norm spread over 10⁴ steps, log(10)/10⁴ ≈ 2e−4, with a margin).

use nalgebra::DMatrix;
use starvation::equilibrium::orbit::{OrbitSettings, classify_orbit, period_two_orbit};
use starvation::equilibrium::{EquilibriumOptions, find_equilibrium};
use starvation::flow::{OptimiserMap, Space, build_flow};
use starvation::model::{FeatureModel, Regulariser};
use starvation::sweep::{
    AxisParameter, CellFailure, MapMethod, MapStart, Metric, SweepBuilder, SweepSettings,
    ThresholdRequest,
};

fn toy() -> FeatureModel {
    FeatureModel::two_feature_toy(4.0, 2.0, 0.3)
        .unwrap()
        .with_regulariser(Regulariser::L2 { lambda: 0.01 })
        .unwrap()
}

/// z*, the field's Jacobian there and its largest eigenvalue modulus |λ_min|.
fn linearisation(model: &FeatureModel) -> (Vec<f64>, DMatrix<f64>, f64) {
    let eq = find_equilibrium(model, None, &EquilibriumOptions::default()).unwrap();
    let field = build_flow(model, Space::Responses).unwrap();
    let mut jac = DMatrix::zeros(2, 2);
    field.jacobian(&eq.point, &mut jac);
    let rate = jac
        .complex_eigenvalues()
        .iter()
        .fold(0.0f64, |m, e| m.max(e.norm()));
    (eq.point, jac, rate)
}

/// The period metric started next to z* (the fixed point's own dynamics).
fn period_metric(method: MapMethod, momentum: Option<f64>, iterations: usize) -> Metric {
    Metric::Period {
        max: 8,
        method,
        step: None,
        momentum,
        iterations: Some(iterations),
        transient: None,
        tolerance: None,
        start: MapStart::Equilibrium,
    }
}

fn periods(plan: &starvation::sweep::SweepPlan) -> Vec<(f64, Option<CellFailure>)> {
    plan.run(false).lines[0]
        .cells
        .iter()
        .map(|c| (c.values[0], c.failure.clone()))
        .collect()
}

#[test]
fn period_is_one_below_the_flip_two_above_and_diverged_far_above() {
    let model = toy();
    let (_, _, rate) = linearisation(&model);
    let h_star = 2.0 / rate;
    let steps = [0.5, 0.95, 1.02, 1.05];
    let plan = SweepBuilder::new(model.clone())
        .axis(AxisParameter::Step, steps.iter().map(|f| f * h_star))
        .metric(period_metric(MapMethod::Gd, None, 100_000))
        .build()
        .unwrap();
    let got = periods(&plan);
    println!("h* = {h_star}: {got:?}");
    assert_eq!(got[0], (1.0, None));
    assert_eq!(got[1], (1.0, None));
    assert_eq!(got[2], (2.0, None));
    assert_eq!(got[3], (2.0, None));
    // Far beyond every stability limit the map diverges: a failed cell naming it.
    let plan = SweepBuilder::new(model)
        .axis(AxisParameter::Step, [50.0 * h_star])
        .metric(period_metric(MapMethod::Gd, None, 10_000))
        .build()
        .unwrap();
    let got = periods(&plan);
    match &got[0].1 {
        Some(CellFailure::Map(reason)) => assert!(reason.contains("diverged"), "{reason}"),
        other => panic!("expected a diverged cell, got {other:?} ({})", got[0].0),
    }
}

#[test]
fn the_threshold_on_period_along_step_is_the_eigenvalue_flip() {
    let model = toy();
    let (_, _, rate) = linearisation(&model);
    let n = 100_000;
    for (method, momentum) in [
        (MapMethod::Gd, None),
        (MapMethod::HeavyBall, Some(0.5)),
        (MapMethod::Nesterov, Some(0.5)),
    ] {
        let predicted = method.map(1.0, momentum.unwrap_or(0.0)).flip_step(rate);
        let plan = SweepBuilder::new(model.clone())
            .axis(
                AxisParameter::Step,
                (0..=8).map(|i| predicted * (0.8 + 0.05 * i as f64)),
            )
            .metric(period_metric(method, momentum, n))
            .threshold_request(ThresholdRequest {
                metric: "period".into(),
                level: 1.5,
                along: None,
                label: None,
                precision: Some(1e-7 * predicted),
            })
            .build()
            .unwrap();
        let r = plan.run(false);
        let t = &r.lines[0].thresholds[0][0];
        assert!(t.status.is_found(), "{method:?}: {t:?}");
        let rel = (t.value - predicted).abs() / predicted;
        println!(
            "{method:?}: h* = {predicted}, located {} (rel {rel:.2e})",
            t.value
        );
        assert!(rel <= 40.0 / n as f64, "{method:?}: rel {rel:e}");
    }
}

#[test]
fn the_toy_fast_path_finds_the_periods_of_the_general_map() {
    let model = toy();
    let (_, _, rate) = linearisation(&model);
    for (method, momentum) in [(MapMethod::Gd, None), (MapMethod::HeavyBall, Some(0.6))] {
        let h_star = method.map(1.0, momentum.unwrap_or(0.0)).flip_step(rate);
        let build = |fast: bool| {
            SweepBuilder::new(model.clone())
                .axis(AxisParameter::Delta, [0.0, 0.3, 0.6])
                .axis(
                    AxisParameter::Step,
                    (1..=12).map(|i| h_star * (0.2 + 0.1 * i as f64)),
                )
                .metric(period_metric(method, momentum, 20_000))
                .settings(SweepSettings {
                    fast_toy_path: fast,
                    ..SweepSettings::default()
                })
                .build()
                .unwrap()
        };
        let (fast, general) = (build(true).run(false), build(false).run(false));
        let mut seen = std::collections::BTreeSet::new();
        for (a, b) in fast.lines.iter().zip(&general.lines) {
            for (x, y) in a.cells.iter().zip(&b.cells) {
                assert_eq!(x.failure.is_some(), y.failure.is_some(), "{x:?} {y:?}");
                if x.failure.is_none() {
                    assert_eq!(x.values[0], y.values[0], "{method:?}");
                    seen.insert(x.values[0] as i64);
                }
            }
        }
        // The grid crosses the flip: both classes occur.
        assert!(
            seen.contains(&1) && seen.contains(&2),
            "{method:?}: {seen:?}"
        );
    }
}

#[test]
fn newton_finds_the_attracting_two_cycle_and_its_multipliers() {
    let model = toy();
    let (z_star, _, rate) = linearisation(&model);
    let field = build_flow(&model, Space::Responses).unwrap();
    for map in [
        OptimiserMap::GradientDescent {
            step: 1.05 * 2.0 / rate,
        },
        OptimiserMap::HeavyBall {
            step: 1.005 * 2.0 * 1.5 / rate,
            momentum: 0.5,
        },
    ] {
        let n = map.state_dim(2);
        // Guess: 2000 iterates from next to z* (the cycle born in the flip), then moved off it.
        let mut x = vec![0.0; n];
        x[..2].copy_from_slice(&MapStart::Equilibrium.point(Some(&z_star), 2).unwrap());
        let mut f = vec![0.0; 2];
        for _ in 0..2000 {
            map.advance(field.as_ref(), &mut x, &mut f);
        }
        // Moved off the cycle by 1e−2 relative, so that Newton has work to do and the
        // iterates below show their contraction.
        for v in x.iter_mut() {
            *v += 1e-2 * (1.0 + v.abs());
        }
        let orbit = period_two_orbit(field.as_ref(), &map, &x, 1e-13, 50).unwrap();
        assert!(orbit.is_proper(1e-6), "{map:?}: {orbit:?}");
        let radius = orbit.spectral_radius();
        assert!(
            radius < 0.99,
            "{map:?}: multipliers {:?}",
            orbit.multipliers
        );
        // Second method: iterate until the 2-step change is at round-off, measure the
        // contraction per two steps, compare with the multiplier and the orbit.
        let mut ratio = f64::NAN;
        let mut last_change = f64::INFINITY;
        for _ in 0..2_000_000 {
            let before = x.clone();
            map.advance(field.as_ref(), &mut x, &mut f);
            map.advance(field.as_ref(), &mut x, &mut f);
            let change = x
                .iter()
                .zip(&before)
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
            if change < 1e-13 {
                break;
            }
            // The linear regime, above round-off (7e−16 of |x| ~ 10 is 1e−5 of 1e−10).
            if change < 1e-5 && change > 1e-10 {
                ratio = change / last_change;
            }
            last_change = change;
        }
        let gap = orbit.points[0]
            .iter()
            .zip(&x)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
            .min(
                orbit.points[1]
                    .iter()
                    .zip(&x)
                    .fold(0.0f64, |m, (a, b)| m.max((a - b).abs())),
            );
        println!(
            "{map:?}: multipliers {:?}, iterates' 2-step contraction {ratio:.6}, gap {gap:.1e}",
            orbit.multipliers
        );
        assert!(gap < 1e-8, "{map:?}: gap {gap:e}");
        // The contraction of the iterates (measured where the change is 1e−5 … 1e−10, the linear
        // regime above round-off) is the dominant multiplier's modulus to 1e−3.
        assert!(
            (ratio - radius).abs() < 1e-3,
            "{map:?}: {ratio} vs {radius}"
        );
    }
}

#[test]
fn classify_orbit_sees_a_fixed_point_below_and_a_cycle_above_the_flip() {
    let model = toy();
    let (z_star, _, rate) = linearisation(&model);
    let start = MapStart::Equilibrium.point(Some(&z_star), 2).unwrap();
    let field = build_flow(&model, Space::Responses).unwrap();
    let settings = OrbitSettings {
        max_period: 8,
        iterations: 100_000,
        ..OrbitSettings::default()
    };
    let class = |h: f64| {
        classify_orbit(
            field.as_ref(),
            &OptimiserMap::GradientDescent { step: h },
            &start,
            &settings,
        )
    };
    use starvation::equilibrium::orbit::OrbitClass;
    assert_eq!(class(0.9 * 2.0 / rate), OrbitClass::Period(1));
    assert_eq!(class(1.1 * 2.0 / rate), OrbitClass::Period(2));
}

#[test]
fn lyapunov_at_a_stable_fixed_point_is_the_log_spectral_radius() {
    let model = toy();
    let (_, jac, rate) = linearisation(&model);
    for (method, momentum, h) in [
        (MapMethod::Gd, None, 0.7 * 2.0 / rate),
        (MapMethod::HeavyBall, Some(0.5), 0.7 * 3.0 / rate),
    ] {
        let map = method.map(h, momentum.unwrap_or(0.0));
        let expected = map
            .jacobian(&jac)
            .complex_eigenvalues()
            .iter()
            .fold(0.0f64, |m, e| m.max(e.norm()))
            .ln();
        let plan = SweepBuilder::new(model.clone())
            .axis(AxisParameter::Step, [h])
            .metric(Metric::Lyapunov {
                method,
                step: None,
                momentum,
                iterations: Some(10_000),
                transient: Some(1000),
                start: MapStart::Equilibrium,
            })
            .build()
            .unwrap();
        let got = plan.run(false).lines[0].cells[0].values[0];
        println!("{method:?}: lyapunov {got} vs ln ρ {expected}");
        assert!(
            (got - expected).abs() < 1e-3,
            "{method:?}: {got} vs {expected}"
        );
        assert!(got < 0.0);
    }
}

#[test]
fn map_metric_input_is_checked() {
    let model = toy();
    let err = |b: SweepBuilder| b.build().unwrap_err().to_string();
    // No step anywhere.
    let e = err(SweepBuilder::new(model.clone())
        .axis(AxisParameter::Delta, [0.1, 0.2])
        .metric(period_metric(MapMethod::Gd, None, 10)));
    assert!(e.contains("sweep.metrics[0]") && e.contains("step"), "{e}");
    // A momentum with gd.
    let e = err(SweepBuilder::new(model.clone())
        .axis(AxisParameter::Step, [0.1, 0.2])
        .metric(period_metric(MapMethod::Gd, Some(0.5), 10)));
    assert!(e.contains("momentum"), "{e}");
    // Out-of-range axis values.
    let e = err(SweepBuilder::new(model.clone())
        .axis(AxisParameter::Step, [0.1, 0.0])
        .metric(period_metric(MapMethod::Gd, None, 10)));
    assert!(e.contains("sweep.axes[0].values[1]"), "{e}");
    let e = err(SweepBuilder::new(model.clone())
        .axis(AxisParameter::Step, [0.1])
        .axis(AxisParameter::Momentum, [0.5, 1.0])
        .metric(period_metric(MapMethod::HeavyBall, None, 10)));
    assert!(e.contains("sweep.axes[1].values[1]"), "{e}");
    // A step axis with no map metric.
    let e = err(SweepBuilder::new(model)
        .axis(AxisParameter::Step, [0.1, 0.2])
        .metric(Metric::Z));
    assert!(e.contains("sweep.axes[0].parameter"), "{e}");
}
