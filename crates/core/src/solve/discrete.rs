//! The optimiser maps (`gd`: x_{k+1} = P(x_k + h f(x_k)); `heavy_ball`, `nesterov`: see
//! [`OptimiserMap`]; `adam` in θ: see [`Method::Adam`]), time t_k = t_start + k h. Output times are rounded to the nearest step; a
//! level crossing between two steps is placed by linear interpolation between them; the
//! steady-state test runs on every step (for the momentum maps it also asks the velocity u/h to
//! pass it, so that a point the iterates merely fly through is not taken for a rest point).

use super::{
    EventRecord, Method, MethodSegment, Output, SolveOptions, SolverStats, StopReason, Trajectory,
    crosses,
};
use crate::error::SolveError;
use crate::flow::{OptimiserMap, VectorField};
use crate::numerics::weighted_rms;

/// The optimiser map of a map `method` with the step and momentum of `options` (validated
/// options: step given, momentum given for the momentum maps); `None` for continuous methods.
pub fn optimiser_map(method: Method, options: &SolveOptions) -> Option<OptimiserMap> {
    let step = options.step.unwrap_or(f64::NAN);
    let momentum = options.momentum.unwrap_or(0.0);
    match method {
        Method::GradientDescent => Some(OptimiserMap::GradientDescent { step }),
        Method::HeavyBall => Some(OptimiserMap::HeavyBall { step, momentum }),
        Method::Nesterov => Some(OptimiserMap::Nesterov { step, momentum }),
        _ => None,
    }
}

/// Adam's decay rates (β₁, β₂) when not given: PyTorch's `torch.optim.Adam` defaults.
pub const DEFAULT_ADAM_BETAS: [f64; 2] = [0.9, 0.999];
/// Adam's ε when not given: PyTorch's `torch.optim.Adam` default.
pub const DEFAULT_ADAM_EPS: f64 = 1e-8;

/// Adam's state beside x: the moments m, v and the number of steps taken.
struct AdamState {
    betas: [f64; 2],
    eps: f64,
    first: Vec<f64>,
    second: Vec<f64>,
    steps: i32,
}

/// What advances the state by one step: an autonomous optimiser map, or Adam.
enum Stepper {
    Map(OptimiserMap),
    Adam(AdamState),
}

impl Stepper {
    fn new(method: Method, options: &SolveOptions, dim: usize) -> Self {
        match optimiser_map(method, options) {
            Some(map) => Stepper::Map(map),
            None => Stepper::Adam(AdamState {
                betas: options.betas.unwrap_or(DEFAULT_ADAM_BETAS),
                eps: options.eps.unwrap_or(DEFAULT_ADAM_EPS),
                first: vec![0.0; dim],
                second: vec![0.0; dim],
                steps: 0,
            }),
        }
    }

    /// The map's state size for a field of dimension `dim` (x, and u for the momentum maps).
    fn state_dim(&self, dim: usize) -> usize {
        match self {
            Stepper::Map(map) => map.state_dim(dim),
            Stepper::Adam(_) => dim,
        }
    }

    /// One step on `state` (x first), `field_value` receiving f(x_k).
    fn advance(
        &mut self,
        field: &dyn VectorField,
        h: f64,
        state: &mut [f64],
        field_value: &mut [f64],
    ) {
        match self {
            Stepper::Map(map) => map.advance(field, state, field_value),
            Stepper::Adam(adam) => {
                field.eval(state, field_value);
                adam.steps = adam.steps.saturating_add(1);
                let [b1, b2] = adam.betas;
                let c1 = 1.0 - b1.powi(adam.steps);
                let c2 = 1.0 - b2.powi(adam.steps);
                for (((x, m), v), f) in state
                    .iter_mut()
                    .zip(adam.first.iter_mut())
                    .zip(adam.second.iter_mut())
                    .zip(field_value.iter())
                {
                    let g = -f;
                    *m = b1 * *m + (1.0 - b1) * g;
                    *v = b2 * *v + (1.0 - b2) * g * g;
                    *x -= h * (*m / c1) / ((*v / c2).sqrt() + adam.eps);
                }
                field.project(state);
            }
        }
    }

    /// Whether the velocity (the momentum maps' u/h, Adam's last update/h) is at rest.
    fn at_rest(
        &self,
        state: &[f64],
        dim: usize,
        h: f64,
        y: &[f64],
        options: &SolveOptions,
        tol: f64,
    ) -> bool {
        let velocity: Vec<f64> = match self {
            Stepper::Map(map) if map.has_velocity() => state[dim..].iter().map(|u| u / h).collect(),
            Stepper::Map(_) => return true,
            Stepper::Adam(adam) => {
                let [b1, b2] = adam.betas;
                let c1 = 1.0 - b1.powi(adam.steps.max(1));
                let c2 = 1.0 - b2.powi(adam.steps.max(1));
                adam.first
                    .iter()
                    .zip(&adam.second)
                    .map(|(m, v)| (m / c1) / ((v / c2).sqrt() + adam.eps))
                    .collect()
            }
        };
        weighted_rms(&velocity, y, options.rtol, options.atol) <= tol
    }
}

/// Runs the map for (t_end − t_start)/step steps (already validated to be a whole number).
pub(crate) fn run(
    field: &dyn VectorField,
    y0: &[f64],
    method: Method,
    options: &SolveOptions,
) -> Result<Trajectory, SolveError> {
    let h = options.step.unwrap_or(f64::NAN);
    let mut stepper = Stepper::new(method, options, field.dim());
    let steps = ((options.t_end - options.t_start) / h).round() as usize;
    let time = |k: usize| {
        if k == steps {
            options.t_end
        } else {
            options.t_start + k as f64 * h
        }
    };
    // Recorded steps, in increasing order (memory proportional to the outputs, not the steps).
    let mut wanted: Vec<usize> = match &options.output {
        Output::Steps => Vec::new(),
        Output::Count(c) => (0..*c)
            .map(|i| ((i as f64 * steps as f64 / (*c - 1) as f64).round() as usize).min(steps))
            .collect(),
        Output::Times(ts) => ts
            .iter()
            .map(|t| (((t - options.t_start) / h).round() as usize).min(steps))
            .collect(),
    };
    wanted.push(steps);
    wanted.sort_unstable();
    wanted.dedup();
    let every = options.output == Output::Steps;
    let mut next_wanted = wanted.iter().copied().peekable();
    let dim = field.dim();
    let kdim = field.response_dim();
    // The map's state: x, then the velocity u (zero at the start) for the momentum maps.
    let mut state = vec![0.0; stepper.state_dim(dim)];
    state[..dim].copy_from_slice(y0);
    let mut y = y0.to_vec();
    let mut f = vec![0.0; dim];
    let mut z_prev = vec![0.0; kdim];
    let mut z = vec![0.0; kdim];
    field.responses(&y, &mut z);
    let mut traj = Trajectory {
        space: field.space(),
        times: vec![time(0)],
        states: vec![y.clone()],
        responses: vec![z.clone()],
        stats: SolverStats::default(),
        method,
        methods_used: vec![MethodSegment {
            method,
            from: options.t_start,
        }],
        stop: StopReason::ReachedEnd,
        events: Vec::new(),
    };
    let mut y_prev = y.clone();
    for k in 1..=steps {
        while next_wanted.peek().is_some_and(|&w| w < k) {
            next_wanted.next();
        }
        let wanted_here = every || next_wanted.peek() == Some(&k);
        y_prev.copy_from_slice(&y);
        z_prev.copy_from_slice(&z);
        stepper.advance(field, h, &mut state, &mut f);
        y.copy_from_slice(&state[..dim]);
        traj.stats.field_evaluations += 1;
        traj.stats.accepted_steps += 1;
        if state.iter().any(|v| !v.is_finite()) {
            return Err(SolveError::NonFinite {
                method: method.name().into(),
                t: time(k),
            });
        }
        field.responses(&y, &mut z);
        let t = time(k);
        // Level crossings, placed by linear interpolation between the two steps.
        let mut stop_at: Option<(f64, Vec<f64>)> = None;
        for (i, lc) in options.events.level_crossings.iter().enumerate() {
            let j = lc.feature;
            if !crosses(z_prev[j], z[j], lc.level, lc.direction) {
                continue;
            }
            let frac = (lc.level - z_prev[j]) / (z[j] - z_prev[j]);
            let te = time(k - 1) + frac * h;
            let ye: Vec<f64> = y_prev
                .iter()
                .zip(&y)
                .map(|(a, b)| a + frac * (b - a))
                .collect();
            let mut ze = vec![0.0; kdim];
            field.responses(&ye, &mut ze);
            traj.events.push(EventRecord {
                kind: "level_crossing",
                index: Some(i),
                time: te,
                state: ye.clone(),
                responses: ze,
                bracket: Some([time(k - 1), t]),
            });
            if lc.terminal && stop_at.as_ref().is_none_or(|(ts, _)| te < *ts) {
                stop_at = Some((te, ye));
            }
        }
        if let Some((te, ye)) = stop_at {
            let mut ze = vec![0.0; kdim];
            field.responses(&ye, &mut ze);
            traj.times.push(te);
            traj.states.push(ye);
            traj.responses.push(ze);
            traj.stop = StopReason::LevelCrossing;
            return Ok(traj);
        }
        if wanted_here {
            traj.times.push(t);
            traj.states.push(y.clone());
            traj.responses.push(z.clone());
        }
        if let Some(ss) = options.events.steady_state {
            // f was evaluated at the previous point; test the new one.
            field.eval(&y, &mut f);
            traj.stats.field_evaluations += 1;
            let velocity_at_rest = stepper.at_rest(&state, dim, h, &y, options, ss.tolerance);
            if velocity_at_rest && weighted_rms(&f, &y, options.rtol, options.atol) <= ss.tolerance
            {
                traj.events.push(EventRecord {
                    kind: "steady_state",
                    index: None,
                    time: t,
                    state: y.clone(),
                    responses: z.clone(),
                    bracket: None,
                });
                if !wanted_here {
                    traj.times.push(t);
                    traj.states.push(y.clone());
                    traj.responses.push(z.clone());
                }
                traj.stop = StopReason::SteadyState;
                return Ok(traj);
            }
        }
    }
    Ok(traj)
}
