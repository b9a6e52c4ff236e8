//! Fact: the integrators' step sequences are deterministic, so a change in any of them — a
//! coefficient, the step-size controller, the initial-step rule, the error norm, the order of a
//! floating-point sum — shows as a change in the number of accepted and rejected steps and of
//! field evaluations. This file pins those counts for three reference problems and every
//! adaptive method (and the lane-batched DOP853):
//!
//! - exponential decay x' = −x, x(0) = 1, to t = 10 (non-stiff, smooth);
//! - the paper's two-feature toy (M7 with U(δ) of M17, L2) at a point of the benchmark grid
//!   (s₁ = 4, s₂ = 2, δ = 0.5, λ = 0.01, η = 1) to t = 250, the benchmark's shorter horizon;
//! - the stiff n = 20 problem of tests/stiff_problem.rs (s² log-spaced 1e4 … 1e−4, λ = 1e−3) at a
//!   loose tolerance to t = 10, explicit methods with their stiffness test switched off.
//!
//! The numbers are snapshots taken from the code before the Runge–Kutta core was factored out
//! (ode_solvers 0.6.2 and differential-equations 0.7 for the scalar methods), not derived values: when a change is intended, the failure message
//! prints the new table to paste here, and the commit says why the counts moved.

use starvation::flow::{Space, VectorField, build_flow};
use starvation::model::{FeatureModel, Regulariser, Spectrum};
use starvation::solve::batch::{BatchSettings, LaneField, NoObserver, run_batch};
use starvation::solve::{Method, Output, SolveOptions, SolverStats, integrate};
use starvation::toy::{ToyLanes, ToyRegulariser};

/// x' = −x in one dimension (responses = state).
struct Decay;

impl VectorField for Decay {
    fn dim(&self) -> usize {
        1
    }
    fn eval(&self, state: &[f64], out: &mut [f64]) {
        out[0] = -state[0];
    }
    fn jacobian(&self, _state: &[f64], out: &mut nalgebra::DMatrix<f64>) {
        out[(0, 0)] = -1.0;
    }
    fn response_dim(&self) -> usize {
        1
    }
    fn responses(&self, state: &[f64], out: &mut [f64]) {
        out[0] = state[0];
    }
    fn space(&self) -> Space {
        Space::Responses
    }
}

impl<const L: usize> LaneField<1, L> for Decay {
    fn eval(&self, y: &[[f64; L]; 1], out: &mut [[f64; L]; 1]) {
        for l in 0..L {
            out[0][l] = -y[0][l];
        }
    }
}

const METHODS: [Method; 5] = [
    Method::Dopri5,
    Method::Dop853,
    Method::Radau5,
    Method::Bdf,
    Method::Auto,
];

/// One snapshot row: (problem/method, [accepted, rejected, field evaluations, Jacobians,
/// factorisations, linear solves]).
type Row = (String, [usize; 6]);

fn row(name: String, s: &SolverStats) -> Row {
    (
        name,
        [
            s.accepted_steps,
            s.rejected_steps,
            s.field_evaluations,
            s.jacobian_evaluations,
            s.factorisations,
            s.linear_solves,
        ],
    )
}

fn scalar_rows(
    problem: &str,
    field: &dyn VectorField,
    y0: &[f64],
    options: &SolveOptions,
    explicit_without_stiffness_test: bool,
) -> Vec<Row> {
    METHODS
        .iter()
        .map(|&method| {
            let mut o = options.clone();
            if explicit_without_stiffness_test && matches!(method, Method::Dopri5 | Method::Dop853)
            {
                o.stiffness_test_interval = usize::MAX;
            }
            let tr = integrate(field, y0, method, &o).unwrap();
            let used: Vec<&str> = tr.methods_used.iter().map(|m| m.method.name()).collect();
            row(
                format!("{problem}/{method} [{}]", used.join("→")),
                &tr.stats,
            )
        })
        .collect()
}

/// The lane kernel on `count` copies of one problem (all lanes must give the same counts).
fn lane_row<F: LaneField<N, 8>, const N: usize>(
    problem: &str,
    field: &mut F,
    y0: [f64; N],
    t_end: f64,
    rtol: f64,
    atol: f64,
) -> Row {
    let settings = BatchSettings {
        rtol,
        atol,
        max_steps: 1_000_000,
    };
    let mut counts = Vec::new();
    run_batch(
        field,
        &settings,
        11,
        |_, _, _: &mut F| (y0, t_end),
        &mut NoObserver,
        |_, o| {
            counts.push([
                o.accepted as usize,
                o.rejected as usize,
                o.evaluations as usize,
            ])
        },
    );
    assert!(counts.windows(2).all(|w| w[0] == w[1]), "{counts:?}");
    let [a, r, e] = counts[0];
    (format!("{problem}/lanes"), [a, r, e, 0, 0, 0])
}

fn toy_model() -> FeatureModel {
    FeatureModel::two_feature_toy(4.0, 2.0, 0.5)
        .unwrap()
        .with_regulariser(Regulariser::L2 { lambda: 0.01 })
        .unwrap()
}

fn stiff_model() -> FeatureModel {
    FeatureModel::random(
        20,
        1,
        &Spectrum::LogSpacedSquares {
            max_squared: 1e4,
            min_squared: 1e-4,
        },
        None,
    )
    .unwrap()
    .with_regulariser(Regulariser::L2 { lambda: 1e-3 })
    .unwrap()
}

fn all_rows() -> Vec<Row> {
    let mut rows = Vec::new();

    let decay = SolveOptions::until(10.0).output(Output::Count(2));
    rows.extend(scalar_rows("decay", &Decay, &[1.0], &decay, false));
    rows.push(lane_row("decay", &mut Decay, [1.0], 10.0, 1e-8, 1e-10));

    let toy = build_flow(&toy_model(), Space::Responses).unwrap();
    let options = SolveOptions::until(250.0).output(Output::Count(2));
    rows.extend(scalar_rows(
        "toy",
        toy.as_ref(),
        &[0.0, 0.0],
        &options,
        false,
    ));
    let mut lanes = ToyLanes::<8>::new(ToyRegulariser::L2, 1.0);
    for l in 0..8 {
        lanes.set(l, 4.0, 2.0, 0.5, 0.01);
    }
    rows.push(lane_row("toy", &mut lanes, [0.0, 0.0], 250.0, 1e-8, 1e-10));
    // The benchmark grid's far corner to its longer horizon, and uniform SD.
    for l in 0..8 {
        lanes.set(l, 8.0, 2.0, 0.65, 0.01);
    }
    rows.push(lane_row(
        "toy corner",
        &mut lanes,
        [0.0, 0.0],
        3000.0,
        1e-8,
        1e-10,
    ));
    let mut sd = ToyLanes::<8>::new(ToyRegulariser::Sd, 1.0);
    for l in 0..8 {
        sd.set(l, 4.0, 2.0, 0.5, 0.01);
    }
    rows.push(lane_row("toy sd", &mut sd, [0.0, 0.0], 250.0, 1e-8, 1e-10));
    rows.push(lane_row("decay loose", &mut Decay, [1.0], 10.0, 1e-3, 1e-5));

    let stiff = build_flow(&stiff_model(), Space::Responses).unwrap();
    let options = SolveOptions::until(10.0)
        .tolerances(1e-4, 1e-6)
        .output(Output::Count(2));
    rows.extend(scalar_rows(
        "stiff",
        stiff.as_ref(),
        &[0.0; 20],
        &options,
        true,
    ));
    rows
}

/// (problem/method [methods used], [accepted, rejected, field evaluations, Jacobians,
/// factorisations, linear solves]).
const EXPECTED: &[(&str, [usize; 6])] = &[
    ("decay/dopri5 [dopri5]", [91, 0, 549, 0, 0, 0]),
    ("decay/dop853 [dop853]", [18, 0, 219, 0, 0, 0]),
    ("decay/radau5 [radau5]", [212, 0, 968, 173, 212, 714]),
    ("decay/bdf [bdf]", [187, 0, 379, 1, 0, 0]),
    ("decay/auto [dop853]", [18, 0, 219, 0, 0, 0]),
    ("decay/lanes", [18, 0, 218, 0, 0, 0]),
    ("toy/dopri5 [dopri5]", [100, 0, 603, 0, 0, 0]),
    ("toy/dop853 [dop853]", [37, 0, 447, 0, 0, 0]),
    ("toy/radau5 [radau5]", [289, 0, 1987, 60, 80, 1419]),
    ("toy/bdf [bdf]", [342, 0, 982, 3, 0, 0]),
    ("toy/auto [dop853]", [37, 0, 447, 0, 0, 0]),
    ("toy/lanes", [37, 0, 446, 0, 0, 0]),
    ("toy corner/lanes", [74, 6, 962, 0, 0, 0]),
    ("toy sd/lanes", [52, 3, 662, 0, 0, 0]),
    ("decay loose/lanes", [6, 0, 74, 0, 0, 0]),
    ("stiff/dopri5 [dopri5]", [4140, 0, 24843, 0, 0, 0]),
    ("stiff/dop853 [dop853]", [2140, 1, 25694, 0, 0, 0]),
    ("stiff/radau5 [radau5]", [45, 1, 355, 44, 46, 251]),
    ("stiff/bdf [bdf]", [120, 0, 294, 4, 0, 0]),
    ("stiff/auto [dop853→radau5]", [45, 1, 496, 24, 26, 161]),
];

#[test]
fn step_counts_match_the_snapshots() {
    let rows = all_rows();
    let table: String = rows
        .iter()
        .map(|(n, c)| format!("    ({n:?}, {c:?}),\n"))
        .collect();
    println!("{table}");
    let expected: Vec<Row> = EXPECTED.iter().map(|(n, c)| (n.to_string(), *c)).collect();
    assert!(
        rows == expected,
        "step counts changed; if intended, the new table is:\n{table}"
    );
}
