//! Trajectories of the full flow projected on the portrait's coordinates, and their starts.

use crate::equilibrium::{EquilibriumOptions, find_equilibrium};
use crate::error::Error;
use crate::flow::{Space, VectorField};
use crate::model::FeatureModel;
use crate::numerics::{SeededRng, logistic};
use crate::solve::{Method, SolveOptions, StopReason, integrate};

/// A trajectory of the full flow projected on the portrait's two coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectedTrajectory {
    /// The full initial state.
    pub start: Vec<f64>,
    /// Recorded times.
    pub times: Vec<f64>,
    /// (x, y) at those times.
    pub points: Vec<(f64, f64)>,
    /// The full states at those times (every coordinate, for time series).
    pub states: Vec<Vec<f64>>,
    /// Why the integration stopped.
    pub stop: StopReason,
}

/// Integrates the full flow from every start (full states) with `method` and `options`, and
/// projects each trajectory on coordinates `x` and `y`.
pub fn trajectories(
    field: &dyn VectorField,
    starts: &[Vec<f64>],
    x: usize,
    y: usize,
    method: Method,
    options: &SolveOptions,
) -> Result<Vec<ProjectedTrajectory>, Error> {
    starts
        .iter()
        .map(|s| {
            let tr = integrate(field, s, method, options)?;
            Ok(ProjectedTrajectory {
                start: s.clone(),
                points: tr.states.iter().map(|st| (st[x], st[y])).collect(),
                times: tr.times,
                states: tr.states,
                stop: tr.stop,
            })
        })
        .collect()
}

/// `count` starts drawn uniformly in `x_range` × `y_range` (coordinates `x`, `y` of `base`),
/// from `seed` (SplitMix64, reproducible across versions).
pub fn random_starts(
    base: &[f64],
    x: usize,
    y: usize,
    x_range: (f64, f64),
    y_range: (f64, f64),
    count: usize,
    seed: u64,
) -> Vec<Vec<f64>> {
    let mut rng = SeededRng::new(seed);
    (0..count)
        .map(|_| {
            let mut s = base.to_vec();
            s[x] = x_range.0 + rng.uniform() * (x_range.1 - x_range.0);
            s[y] = y_range.0 + rng.uniform() * (y_range.1 - y_range.0);
            s
        })
        .collect()
}

/// The equilibrium of `model`'s flow in `space`, as a full state: z* from [`find_equilibrium`],
/// θ* = V S⁻¹ z* (the minimum-norm one), α* = σ(−U z*) (M9 at the fixed point).
pub fn equilibrium_state(model: &FeatureModel, space: Space) -> Result<Vec<f64>, Error> {
    let eq = find_equilibrium(model, None, &EquilibriumOptions::default())?;
    Ok(state_from_responses(model, space, &eq.point))
}

/// The state in `space` that corresponds to responses z at a fixed point (see
/// [`equilibrium_state`]).
pub fn state_from_responses(model: &FeatureModel, space: Space, z: &[f64]) -> Vec<f64> {
    match space {
        Space::Responses => z.to_vec(),
        Space::Parameters => model.parameters_from_responses(z),
        Space::Dual => {
            let u = model.coupling();
            (0..u.nrows())
                .map(|i| {
                    let a: f64 = (0..u.ncols()).map(|j| u[(i, j)] * z[j]).sum();
                    logistic(-a)
                })
                .collect()
        }
    }
}
