//! The fast paths used by sweeps and benchmarks agree with the general code they stand in for:
//! the 2 × 2 toy Newton solver with `find_equilibrium` (z*, starvation matrix M16, eigenvalues),
//! the lane-batched DOP853 with ode_solvers' DOP853 and with the closed form of the unregularised
//! flow, its vectorisable exponential with the standard library's, and the sweep's trajectory
//! metrics on the toy (batch kernel, dense output) with the same metrics on the same model given
//! as an explicit coupling (general integrator).

use starvation::equilibrium::{EquilibriumOptions, find_equilibrium, sensitivities};
use starvation::flow::{Space, build_flow};
use starvation::model::{FeatureModel, Regulariser, SpectralDecoupling};
use starvation::solve::batch::{BatchSettings, NoObserver, run_batch};
use starvation::solve::{Method, Output, SolveOptions, integrate};
use starvation::spec::parse_spec;
use starvation::sweep::run_lines;
use starvation::toy::{ToyLanes, ToyProblem, ToyRegulariser, exp_lanes};

fn rel(a: f64, b: f64, scale: f64) -> f64 {
    (a - b).abs() / scale.max(1e-300)
}

#[test]
fn toy_newton_agrees_with_general_newton() {
    let mut worst = [0.0f64; 3];
    for kind in [ToyRegulariser::L2, ToyRegulariser::Sd] {
        for s1 in [0.5, 1.0, 2.0, 3.5, 6.0, 8.0] {
            for delta in [-0.6, -0.2, 0.0, 0.3, 0.5, 0.7, 0.9] {
                for lambda in [1e-3, 1e-2, 1e-1] {
                    let reg = match kind {
                        ToyRegulariser::L2 => Regulariser::L2 { lambda },
                        ToyRegulariser::Sd => {
                            Regulariser::SpectralDecoupling(SpectralDecoupling::uniform(lambda))
                        }
                    };
                    let m = FeatureModel::two_feature_toy(s1, 2.0, delta)
                        .unwrap()
                        .with_regulariser(reg)
                        .unwrap();
                    let eq = find_equilibrium(&m, None, &EquilibriumOptions::default()).unwrap();
                    let mg = sensitivities(&m, &eq).unwrap().starvation_matrix;
                    let p = ToyProblem {
                        s1_squared: s1 * s1,
                        s2_squared: 4.0,
                        delta,
                        lambda,
                        regulariser: kind,
                    };
                    let sol = p.solve(p.cold_start(), 1e-12, 100);
                    assert!(sol.converged, "s1={s1} δ={delta} λ={lambda}");
                    let zs = eq.point.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                    // Under SD, M = 0 (Theorem 2): both must be rounding-sized on the scale
                    // |z*|/s_i² of an entry; under L2, compare relative to max|M|.
                    let ms = match kind {
                        ToyRegulariser::L2 => mg.amax(),
                        ToyRegulariser::Sd => zs / (s1 * s1).min(4.0) * 1e4,
                    };
                    for j in 0..2 {
                        worst[0] = worst[0].max(rel(sol.z[j], eq.point[j], zs));
                        for i in 0..2 {
                            worst[1] = worst[1].max(rel(sol.starvation[j][i], mg[(j, i)], ms));
                        }
                        worst[2] = worst[2].max(rel(
                            sol.eigenvalues[j],
                            eq.eigenvalues[j].0,
                            eq.eigenvalues[0].0.abs(),
                        ));
                    }
                }
            }
        }
    }
    println!(
        "toy vs general: z {:.2e}, M {:.2e}, eigenvalues {:.2e}",
        worst[0], worst[1], worst[2]
    );
    assert!(
        worst[0] <= 1e-11 && worst[1] <= 1e-9 && worst[2] <= 1e-9,
        "{worst:?}"
    );
}

#[test]
fn vectorised_exponential_matches_the_standard_library() {
    let mut worst = 0.0f64;
    let mut x = -700.0;
    while x < 705.0 {
        let mut lane = [
            x,
            x * 0.5,
            x + 0.123,
            -x * 0.3,
            x * 1e-3,
            x * 1e-9,
            x + 1e-7,
            x - 0.25,
        ];
        let expected = lane.map(f64::exp);
        exp_lanes(&mut lane);
        for (a, b) in lane.iter().zip(expected) {
            worst = worst.max((a - b).abs() / b);
        }
        x += 0.37;
    }
    println!("max relative error of exp_lanes: {worst:.2e}");
    assert!(worst <= 4.0 * f64::EPSILON, "{worst:e}");
}

/// End states of the batch kernel for the toy L2 flow.
fn batch_ends(problems: &[(f64, f64)], t_end: f64, rtol: f64) -> Vec<[f64; 2]> {
    let mut field = ToyLanes::<8>::new(ToyRegulariser::L2, 1.0);
    let mut out = vec![[f64::NAN; 2]; problems.len()];
    run_batch(
        &mut field,
        &BatchSettings {
            rtol,
            atol: rtol * 1e-2,
            max_steps: 1_000_000,
        },
        problems.len(),
        |p, lane, f: &mut ToyLanes<8>| {
            f.set(lane, problems[p].0, 2.0, problems[p].1, 0.01);
            ([0.0, 0.0], t_end)
        },
        &mut NoObserver,
        |p, o| out[p] = o.y,
    );
    out
}

#[test]
fn batch_kernel_agrees_with_ode_solvers_dop853() {
    let problems: Vec<(f64, f64)> = (0..37)
        .map(|i| (0.5 + 0.2 * i as f64, 0.65 * ((i * 7) % 37) as f64 / 36.0))
        .collect();
    let ends = batch_ends(&problems, 250.0, 1e-11);
    let mut worst = 0.0f64;
    for (&(s1, delta), end) in problems.iter().zip(&ends) {
        let m = FeatureModel::two_feature_toy(s1, 2.0, delta).unwrap();
        let f = build_flow(&m, Space::Responses).unwrap();
        let o = SolveOptions::until(250.0)
            .tolerances(1e-12, 1e-14)
            .output(Output::Count(2));
        let r = integrate(f.as_ref(), &[0.0, 0.0], Method::Dop853, &o).unwrap();
        for (e, r) in end.iter().zip(r.final_state()) {
            worst = worst.max(rel(*e, *r, r.abs().max(1.0)));
        }
    }
    println!("batch kernel (rtol 1e-11) vs ode_solvers dop853 (rtol 1e-12): {worst:.2e}");
    assert!(worst <= 1e-9, "{worst:e}");
}

#[test]
fn batch_kernel_matches_the_unregularised_closed_form() {
    // λ = 0, δ = 0: z_j(t) = 1 + τ − W(e^{1+τ}) = ln ω(1 + s_j² t) (docs/theory.md §5).
    let mut field = ToyLanes::<8>::new(ToyRegulariser::L2, 1.0);
    let strengths = [0.5, 1.0, 3.0, 6.0, 0.7, 2.2, 4.0, 8.0, 1.3];
    let mut out = vec![[f64::NAN; 2]; strengths.len()];
    run_batch(
        &mut field,
        &BatchSettings {
            rtol: 1e-12,
            atol: 1e-14,
            max_steps: 1_000_000,
        },
        strengths.len(),
        |p, lane, f: &mut ToyLanes<8>| {
            f.set(lane, strengths[p], 1.0, 0.0, 0.0);
            ([0.0, 0.0], 1000.0)
        },
        &mut NoObserver,
        |p, o| out[p] = o.y,
    );
    let mut worst = 0.0f64;
    for (s, z) in strengths.iter().zip(&out) {
        let exact = starvation::numerics::wright_omega(1.0 + s * s * 1000.0).ln();
        worst = worst.max(rel(z[0], exact, exact));
    }
    println!("batch kernel vs closed form: {worst:.2e}");
    assert!(worst <= 1e-10, "{worst:e}");
}

fn sweep_metrics(model_json: &str, fast: bool) -> Vec<f64> {
    let spec = parse_spec(&format!(
        r#"{{ "name": "m", "model": {model_json},
            "sweep": {{ "axes": [ {{ "parameter": "s1", "values": [1.5, 3.0, 6.0] }} ],
              "metrics": [ "z", {{ "time_to_fraction": {{ "feature": 2, "fraction": 0.9 }} }},
                           {{ "overshoot": {{ "feature": 1 }} }}, {{ "response_at": {{ "time": 7.5 }} }} ],
              "solver": {{ "rtol": 1e-11, "atol": 1e-13, "fast_toy_path": {fast} }} }} }}"#
    ))
    .unwrap();
    let plan = starvation::spec::sweep_plan(&spec).unwrap();
    let r = run_lines(&plan, 0..plan.lines(), false, &|_| {});
    r.lines
        .iter()
        .flat_map(|l| l.cells.iter())
        .flat_map(|c| {
            assert!(c.failure.is_none(), "{c:?}");
            c.values.clone()
        })
        .collect()
}

#[test]
fn sweep_trajectory_metrics_agree_between_fast_and_general_paths() {
    for reg in [
        r#"{ "l2": { "lambda": 0.01 } }"#,
        r#"{ "sd": { "lambda": 0.01 } }"#,
    ] {
        let model = format!(
            r#"{{ "features": {{ "toy": {{ "s1": 1, "s2": 2, "delta": 0.3 }} }}, "regulariser": {reg} }}"#
        );
        let toy = sweep_metrics(&model, true);
        let general = sweep_metrics(&model, false);
        assert_ne!(toy, general, "the two paths must be different computations");
        let worst = toy
            .iter()
            .zip(&general)
            .map(|(a, b)| rel(*a, *b, b.abs().max(1e-3)))
            .fold(0.0, f64::max);
        println!(
            "{reg}: fast vs general sweep metrics: {worst:.2e}\n  toy     {toy:?}\n  general {general:?}"
        );
        // z*, t₀.₉, max z₁, overshoot and z(7.5): rtol 1e−11 on both sides; overshoot is a
        // difference of nearly equal numbers, measured relative to 1e−3.
        assert!(worst <= 1e-7, "{worst:e}");
    }
}

#[test]
fn overshoot_matches_a_densely_sampled_reference() {
    // SD, δ = 0.3, s1 = 6: z1 overshoots z1*; reference: dop853 at rtol 1e−12 sampled densely.
    let m = FeatureModel::two_feature_toy(6.0, 2.0, 0.3)
        .unwrap()
        .with_regulariser(Regulariser::SpectralDecoupling(
            SpectralDecoupling::uniform(0.01),
        ))
        .unwrap();
    let f = build_flow(&m, Space::Responses).unwrap();
    let o = SolveOptions::until(60.0)
        .tolerances(1e-12, 1e-14)
        .output(Output::Count(600_001));
    let r = integrate(f.as_ref(), &[0.0, 0.0], Method::Dop853, &o).unwrap();
    let reference = r
        .responses
        .iter()
        .map(|z| z[0])
        .fold(f64::NEG_INFINITY, f64::max);
    let model = r#"{ "features": { "toy": { "s1": 1, "s2": 2, "delta": 0.3 } }, "regulariser": { "sd": { "lambda": 0.01 } } }"#;
    for fast in [true, false] {
        let v = sweep_metrics(model, fast);
        // Cell 3 (s1 = 6): columns z1, z2, t0.9, max_z1, overshoot_z1, z1(7.5), z2(7.5).
        let max_z1 = v[2 * 7 + 3];
        println!("max z1 (fast path {fast}): sweep {max_z1:.12}, dense reference {reference:.12}");
        assert!(
            rel(max_z1, reference, reference) <= 1e-8,
            "{max_z1} vs {reference}"
        );
        assert!(max_z1 > v[2 * 7], "an overshoot exists in this case");
    }
}
