//! The optimiser maps on the two-feature toy (M7 / M8 with U(δ) of M17, exact loss), for the
//! sweep's map metrics: the toy field written out on two numbers, so that a cell costs a few
//! nanoseconds per iteration. The same maps as [`OptimiserMap::advance`] on the general field
//! (tests/period_metric.rs compares the periods they find).

use super::{ToyProblem, ToyRegulariser};
use nalgebra::{DMatrix, SMatrix, SVector};

use crate::equilibrium::orbit::{
    DIVERGENCE_BOUND, OrbitClass, OrbitSettings, PERIOD_TEST_INTERVAL, PStepReturn, detects_period,
    near_return_bound, p_step_return,
};
use crate::flow::OptimiserMap;

/// σ(−a), stable for all finite a.
#[inline(always)]
fn weight(a: f64) -> f64 {
    let e = (-a.abs()).exp();
    if a >= 0.0 {
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + e)
    }
}

/// The toy field f(z) with rate η.
#[inline(always)]
pub(crate) fn toy_field(p: &ToyProblem, c: f64, rate: f64, z: [f64; 2]) -> [f64; 2] {
    let d = p.delta;
    let a1 = c * z[0] - d * z[1];
    let a2 = d * z[0] + c * z[1];
    let (w1, w2) = (weight(a1), weight(a2));
    let l = p.lambda;
    match p.regulariser {
        ToyRegulariser::L2 => [
            rate * (p.s1_squared * (c * w1 + d * w2) - l * z[0]),
            rate * (p.s2_squared * (-d * w1 + c * w2) - l * z[1]),
        ],
        ToyRegulariser::Sd => {
            let (r1, r2) = (w1 - l * a1, w2 - l * a2);
            [
                rate * p.s1_squared * (c * r1 + d * r2),
                rate * p.s2_squared * (-d * r1 + c * r2),
            ]
        }
    }
}

/// The toy field's Jacobian ∂f/∂z with rate η: L2 −η(S² Uᵀ diag(κ) U + λ I), SD
/// −η S² Uᵀ diag(κ + λ) U (κ = σσ' the loss curvature at the margins a = U z).
pub(crate) fn toy_jacobian(p: &ToyProblem, c: f64, rate: f64, z: [f64; 2]) -> [[f64; 2]; 2] {
    let d = p.delta;
    let a1 = c * z[0] - d * z[1];
    let a2 = d * z[0] + c * z[1];
    let curvature = |a: f64| {
        let w = weight(a);
        w * (1.0 - w)
    };
    let (mut k1, mut k2) = (curvature(a1), curvature(a2));
    let decay = match p.regulariser {
        ToyRegulariser::L2 => p.lambda,
        ToyRegulariser::Sd => {
            k1 += p.lambda;
            k2 += p.lambda;
            0.0
        }
    };
    let (s1, s2) = (p.s1_squared, p.s2_squared);
    [
        [
            -rate * (s1 * (c * c * k1 + d * d * k2) + decay),
            rate * s1 * c * d * (k1 - k2),
        ],
        [
            rate * s2 * c * d * (k1 - k2),
            -rate * (s2 * (d * d * k1 + c * c * k2) + decay),
        ],
    ]
}

/// One step of `map` on the toy state (z₁, z₂, u₁, u₂) (u unused by gradient descent).
#[inline(always)]
pub(crate) fn toy_advance(p: &ToyProblem, c: f64, rate: f64, map: &OptimiserMap, s: &mut [f64; 4]) {
    let f = toy_field(p, c, rate, [s[0], s[1]]);
    match *map {
        OptimiserMap::GradientDescent { step } => {
            s[0] += step * f[0];
            s[1] += step * f[1];
        }
        OptimiserMap::HeavyBall { step, momentum } => {
            for j in 0..2 {
                s[2 + j] = momentum * s[2 + j] + step * f[j];
                s[j] += s[2 + j];
            }
        }
        OptimiserMap::Nesterov { step, momentum } => {
            for j in 0..2 {
                let hf = step * f[j];
                s[2 + j] = momentum * s[2 + j] + hf;
                s[j] += hf + momentum * s[2 + j];
            }
        }
    }
}

/// [`crate::equilibrium::orbit::classify_orbit`] for the toy from `start`, velocity 0.
pub fn toy_orbit(
    p: &ToyProblem,
    rate: f64,
    map: &OptimiserMap,
    start: [f64; 2],
    settings: &OrbitSettings,
) -> OrbitClass {
    let c = (1.0 - p.delta * p.delta).sqrt();
    let n = if map.has_velocity() { 4 } else { 2 };
    let window = 2 * settings.max_period + 1;
    let mut ring = vec![[0.0f64; 4]; window];
    let mut s = [start[0], start[1], 0.0, 0.0];
    ring[0] = s;
    let start = settings.transient.max(2 * settings.max_period);
    let jacobian = |x: &[f64]| {
        let j = toy_jacobian(p, c, rate, [x[0], x[1]]);
        map.jacobian(&DMatrix::from_row_slice(
            2,
            2,
            &[j[0][0], j[0][1], j[1][0], j[1][1]],
        ))
    };
    for k in 1..=settings.iterations {
        toy_advance(p, c, rate, map, &mut s);
        if s.iter()
            .any(|v| !v.is_finite() || v.abs() > DIVERGENCE_BOUND)
        {
            return OrbitClass::Diverged(k);
        }
        ring[k % window] = s;
        if k % PERIOD_TEST_INTERVAL != 0 || k < start {
            continue;
        }
        let past = |j: usize| &ring[(k - j) % window][..n];
        if let Some(p) = (1..=settings.max_period)
            .find(|&q| detects_period(past, q, settings.tolerance, &jacobian))
        {
            return OrbitClass::Period(p);
        }
    }
    OrbitClass::NoPeriod
}

/// [`OptimiserMap::jacobian`] of the toy's map at the state `x`, on the stack: the same
/// entries by the same operations (N = 2 for gradient descent, 4 with the velocity).
fn toy_map_jacobian<const N: usize>(
    p: &ToyProblem,
    c: f64,
    rate: f64,
    map: &OptimiserMap,
    x: &[f64; 4],
) -> SMatrix<f64, N, N> {
    let j = toy_jacobian(p, c, rate, [x[0], x[1]]);
    let (h, mu) = (map.step(), map.momentum());
    let nesterov = matches!(map, OptimiserMap::Nesterov { .. });
    let gain = if nesterov { (1.0 + mu) * h } else { h };
    let mut out = SMatrix::<f64, N, N>::zeros();
    for i in 0..2 {
        for k in 0..2 {
            out[(i, k)] = gain * j[i][k];
        }
        out[(i, i)] += 1.0;
    }
    if N == 4 {
        let cross = if nesterov { mu * mu } else { mu };
        for i in 0..2 {
            for k in 0..2 {
                out[(2 + i, k)] = h * j[i][k];
            }
            out[(i, 2 + i)] = cross;
            out[(2 + i, 2 + i)] = mu;
        }
    }
    out
}

/// [`detects_period`] on the stack for the toy's N-component states (`past[j]`, j steps ago;
/// the first N components are the state): the same tests by the same operations, without a
/// heap allocation per Jacobian.
fn detects_period_fixed<const N: usize>(
    past: &[[f64; 4]],
    p: usize,
    tolerance: f64,
    map_jacobian: impl Fn(&[f64; 4]) -> SMatrix<f64, N, N>,
    solve: impl Fn(SMatrix<f64, N, N>, &SVector<f64, N>) -> Option<SVector<f64, N>>,
) -> bool {
    let (now, back) = (&past[0][..N], &past[p][..N]);
    let scale = match p_step_return(now, back, tolerance) {
        PStepReturn::AtRoundOff => return true,
        PStepReturn::Far => return false,
        PStepReturn::Near { scale } => scale,
    };
    let mut product = SMatrix::<f64, N, N>::identity();
    for j in (1..=p).rev() {
        product = map_jacobian(&past[j]) * product;
    }
    product -= SMatrix::<f64, N, N>::identity();
    let d = SVector::<f64, N>::from_iterator(now.iter().zip(back).map(|(x, y)| x - y));
    match solve(product, &d) {
        Some(delta) => delta.amax() <= tolerance * scale,
        None => false,
    }
}

/// One cell of [`toy_orbits_lanes`]: the toy, its rate η, the map (its step is multiplied by η
/// in the lanes, which run the η = 1 field: h·f_η = (hη)·f₁) and the start z.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ToyMapCell {
    /// The toy (its regulariser must be the one of the batch).
    pub problem: ToyProblem,
    /// η.
    pub rate: f64,
    /// The map.
    pub map: OptimiserMap,
    /// The start z (velocity 0).
    pub start: [f64; 2],
}

/// [`toy_orbit`] for many cells at once, [`super::LANES`] cells in the vector lanes of
/// [`super::ToyLanes`] (a lane whose cell is classified takes the next cell). Every cell must
/// have the regulariser `kind`, and all maps must be of one kind (gd, heavy ball or Nesterov):
/// gradient descent runs as heavy ball with μ = 0, which it equals bit for bit. The results
/// equal [`toy_orbit`]'s up to the last-bit differences of the lanes' exponential. On x86-64
/// processors with AVX2 it runs as AVX2 code (same operations, same results, wider registers;
/// `multiversion` picks the version once per process), as the integrators' batch kernel does.
///
/// The hot loop is lane-parallel only: the ring of past states is indexed by the batch's own
/// step count g (one slot for all lanes), and each lane's next event (a period test, the end of
/// its budget) is a step number compared once per step against the earliest of them; per-lane
/// work runs only at events and on divergence.
#[multiversion::multiversion(targets("x86_64+avx2"))]
pub(crate) fn toy_orbits_lanes(
    cells: &[ToyMapCell],
    kind: ToyRegulariser,
    settings: &OrbitSettings,
) -> Vec<OrbitClass> {
    // Sixteen lanes, four AVX2 registers, for grids: the exponential's Horner chain is
    // latency-bound, and eight independent chains per step keep the units busy. Fewer lanes for
    // the few cells of a threshold's refinement (every lane costs a step, busy or idle); a
    // lane's arithmetic does not depend on how many there are.
    match cells.len() {
        16.. => orbits_in_lanes::<16>(cells, kind, settings),
        4.. => orbits_in_lanes::<4>(cells, kind, settings),
        _ => orbits_in_lanes::<1>(cells, kind, settings),
    }
}

/// [`toy_orbits_lanes`] on `L` lanes.
#[inline(always)]
fn orbits_in_lanes<const L: usize>(
    cells: &[ToyMapCell],
    kind: ToyRegulariser,
    settings: &OrbitSettings,
) -> Vec<OrbitClass> {
    use super::ToyLanes;
    use crate::solve::batch::LaneField;
    let mut out = vec![OrbitClass::NoPeriod; cells.len()];
    if cells.is_empty() {
        return out;
    }
    let nesterov = matches!(cells[0].map, OptimiserMap::Nesterov { .. });
    let n = if cells[0].map.has_velocity() { 4 } else { 2 };
    let max_period = settings.max_period;
    let window = 2 * max_period + 1;
    let start_test = settings.transient.max(2 * max_period);
    // The first iteration ≥ `after` that is an event: a period test (a multiple of the test
    // interval, from `start_test` on) or the budget's end (at least iteration 1).
    let next_event_after = |after: usize| -> usize {
        let from = (after + 1).max(start_test);
        let test = from.div_ceil(PERIOD_TEST_INTERVAL) * PERIOD_TEST_INTERVAL;
        test.min(settings.iterations.max(after + 1))
    };
    let mut field = ToyLanes::<L>::new(kind, 1.0);
    let mut y = [[0.0f64; L]; 2];
    let mut u = [[0.0f64; L]; 2];
    let mut f = [[0.0f64; L]; 2];
    let mut step = [0.0f64; L];
    let mut momentum = [0.0f64; L];
    // Ring of the last `window` states of every lane: slot g mod window holds step g.
    let mut ring = vec![[[0.0f64; L]; 4]; window];
    let mut g = 0usize;
    let mut slot = 0usize;
    // Per lane: the step its cell started at, its next event (a step number) and its cell.
    let mut started = [0usize; L];
    let mut event = [usize::MAX; L];
    let mut cell_of: [Option<usize>; L] = [None; L];
    let mut next = 0usize;
    // A lane's past states (j = 0 … P steps ago), gathered for the period test.
    let mut past_states = vec![[0.0f64; 4]; max_period + 1];
    let mut load = |l: usize,
                    g: usize,
                    field: &mut ToyLanes<L>,
                    y: &mut [[f64; L]; 2],
                    u: &mut [[f64; L]; 2],
                    step: &mut [f64; L],
                    momentum: &mut [f64; L],
                    started: &mut [usize; L],
                    event: &mut [usize; L],
                    cell_of: &mut [Option<usize>; L]| {
        u[0][l] = 0.0;
        u[1][l] = 0.0;
        if next >= cells.len() {
            // An idle lane keeps a harmless, constant state.
            cell_of[l] = None;
            event[l] = usize::MAX;
            step[l] = 0.0;
            y[0][l] = 0.0;
            y[1][l] = 0.0;
            return;
        }
        let c = &cells[next];
        let p = &c.problem;
        field.set(
            l,
            p.s1_squared.sqrt(),
            p.s2_squared.sqrt(),
            p.delta,
            p.lambda,
        );
        y[0][l] = c.start[0];
        y[1][l] = c.start[1];
        step[l] = c.map.step() * c.rate;
        momentum[l] = c.map.momentum();
        started[l] = g;
        event[l] = g + next_event_after(0);
        cell_of[l] = Some(next);
        next += 1;
    };
    for l in 0..L {
        load(
            l,
            g,
            &mut field,
            &mut y,
            &mut u,
            &mut step,
            &mut momentum,
            &mut started,
            &mut event,
            &mut cell_of,
        );
    }
    let mut first_event = event.iter().copied().min().unwrap_or(usize::MAX);
    while first_event != usize::MAX {
        field.eval(&y, &mut f);
        for j in 0..2 {
            for l in 0..L {
                let hf = step[l] * f[j][l];
                u[j][l] = momentum[l] * u[j][l] + hf;
                y[j][l] += if nesterov {
                    hf + momentum[l] * u[j][l]
                } else {
                    u[j][l]
                };
            }
        }
        g += 1;
        slot = if slot + 1 == window { 0 } else { slot + 1 };
        // The period test reads z, and the velocity only for the momentum maps.
        ring[slot][0] = y[0];
        ring[slot][1] = y[1];
        if n == 4 {
            ring[slot][2] = u[0];
            ring[slot][3] = u[1];
        }
        // Every lane within bounds (a NaN fails the comparison): one reduction per step.
        // (`&`, not `&&`: no branch per lane, so that it vectorises.)
        let mut bounded = true;
        for l in 0..L {
            bounded &= (y[0][l].abs() <= DIVERGENCE_BOUND)
                & (y[1][l].abs() <= DIVERGENCE_BOUND)
                & (u[0][l].abs() <= DIVERGENCE_BOUND)
                & (u[1][l].abs() <= DIVERGENCE_BOUND);
        }
        if bounded && g < first_event {
            continue;
        }
        for l in 0..L {
            let Some(ci) = cell_of[l] else { continue };
            let k = g - started[l];
            let s = [y[0][l], y[1][l], u[0][l], u[1][l]];
            let done = if s
                .iter()
                .any(|v| !v.is_finite() || v.abs() > DIVERGENCE_BOUND)
            {
                Some(OrbitClass::Diverged(k))
            } else if g < event[l] {
                None
            } else {
                let tested = if k.is_multiple_of(PERIOD_TEST_INTERVAL) && k >= start_test {
                    let now: [f64; 4] = std::array::from_fn(|i| ring[slot][i][l]);
                    // detects_period's own first filter (not `Far` for some p), on the ring in
                    // place with one bound: most tests end here, for every p.
                    let bound = near_return_bound(&now[..n], settings.tolerance);
                    let mut returns = false;
                    let mut at = slot;
                    for _ in 1..=max_period {
                        at = if at == 0 { window - 1 } else { at - 1 };
                        let then = &ring[at];
                        if (0..n).all(|i| (now[i] - then[i][l]).abs() <= bound) {
                            returns = true;
                            break;
                        }
                    }
                    if returns {
                        let c = &cells[ci];
                        for (j, past) in past_states.iter_mut().enumerate() {
                            let r = &ring[if slot >= j {
                                slot - j
                            } else {
                                slot + window - j
                            }];
                            *past = std::array::from_fn(|i| r[i][l]);
                        }
                        let cc = (1.0 - c.problem.delta * c.problem.delta).sqrt();
                        let (problem, rate, map) = (&c.problem, c.rate, &c.map);
                        let detects = |q: usize| {
                            if n == 4 {
                                detects_period_fixed::<4>(
                                    &past_states,
                                    q,
                                    settings.tolerance,
                                    |x| toy_map_jacobian(problem, cc, rate, map, x),
                                    |m, d| m.lu().solve(d),
                                )
                            } else {
                                detects_period_fixed::<2>(
                                    &past_states,
                                    q,
                                    settings.tolerance,
                                    |x| toy_map_jacobian(problem, cc, rate, map, x),
                                    |m, d| m.lu().solve(d),
                                )
                            }
                        };
                        (1..=max_period)
                            .find(|&q| detects(q))
                            .map(OrbitClass::Period)
                    } else {
                        None
                    }
                } else {
                    None
                };
                let class = tested.or((k >= settings.iterations).then_some(OrbitClass::NoPeriod));
                if class.is_none() {
                    event[l] = started[l] + next_event_after(k);
                }
                class
            };
            if let Some(class) = done {
                out[ci] = class;
                load(
                    l,
                    g,
                    &mut field,
                    &mut y,
                    &mut u,
                    &mut step,
                    &mut momentum,
                    &mut started,
                    &mut event,
                    &mut cell_of,
                );
            }
        }
        first_event = event.iter().copied().min().unwrap_or(usize::MAX);
    }
    out
}
