//! A run's end state checked against the equilibrium z* (M12): a run that stops on the
//! steady-state event, or reaches a horizon long enough for the flow to have settled, claims
//! to be at z*; the claim is checked and flagged when the distance exceeds what the
//! tolerances allow.

use serde::Serialize;

use super::{EquilibriumOptions, find_equilibrium};
use crate::flow::Space;
use crate::model::FeatureModel;
use crate::solve::{SolveOptions, StopReason, Trajectory};

/// Largest number of features for which the check runs (Newton with a dense k × k Jacobian).
pub const END_STATE_MAX_FEATURES: usize = 500;

/// Margin on the integrator's global error, in units of the local tolerance atol + rtol·|z*|:
/// for the contracting flows here (convex loss) local errors are damped, not amplified, and
/// the error-per-step control of DOP853, DOPRI5, Radau5 and BDF keeps the global error within
/// a few tolerances; 100 leaves room for long horizons.
pub const GLOBAL_ERROR_MARGIN: f64 = 100.0;

/// Flow time, in units of the slowest relaxation time 1/μ_min at z*, after which a run that
/// reached its end is expected at z* (e^−20 ≈ 2·10⁻⁹ of the initial distance is left).
pub const SETTLED_RELAXATION_TIMES: f64 = 20.0;

/// Why a run claims to end at the equilibrium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndClaim {
    /// The steady-state event fired.
    SteadyState,
    /// The run reached t_end after at least [`SETTLED_RELAXATION_TIMES`] relaxation times.
    Horizon,
}

/// The check of one run's end state against z*.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndStateCheck {
    /// Why the end state should be z*.
    pub claim: EndClaim,
    /// The equilibrium z* (Newton from the end state).
    pub equilibrium: Vec<f64>,
    /// max_j |z_end,j − z*_j|.
    pub distance: f64,
    /// max_j |z_end,j − z*_j| / allowed_j: at most 1 when the end state agrees.
    pub distance_over_allowed: f64,
    /// Whether every component is within what the tolerances allow.
    pub agrees: bool,
}

/// Checks the end of `trajectory` (a continuous-time run of `model` in z with `options`)
/// against z*. `None` when the run makes no claim (a level crossing, a horizon too short, a
/// map, a run in θ or α, more than [`END_STATE_MAX_FEATURES`] features) or when the model has
/// no equilibrium Newton can find (λ = 0).
///
/// Allowed per component j, with w_j = atol + rtol·|z*_j| and μ_min the smallest |Re λ| of the
/// Jacobian at z*: [`GLOBAL_ERROR_MARGIN`]·w_j, plus for a steady-state stop 2·√k·τ·max w / μ_min
/// (a weighted field norm τ leaves at most that distance on the linearised flow), plus for a
/// horizon κ·e^(−μ_min T)·‖z₀ − z*‖∞ (κ = max s²/min s², the non-normal transient of J = −A S²).
pub fn check_end_state(
    model: &FeatureModel,
    trajectory: &Trajectory,
    options: &SolveOptions,
) -> Option<EndStateCheck> {
    let k = model.features();
    if trajectory.space != Space::Responses
        || trajectory.method.is_map()
        || k > END_STATE_MAX_FEATURES
    {
        return None;
    }
    let end = trajectory.final_responses();
    let eq = find_equilibrium(model, Some(end), &EquilibriumOptions::default()).ok()?;
    let mu_min = eq
        .eigenvalues
        .iter()
        .map(|e| e.0.abs())
        .fold(f64::INFINITY, f64::min);
    if !(mu_min > 0.0 && mu_min.is_finite()) {
        return None;
    }
    let weights: Vec<f64> = eq
        .point
        .iter()
        .map(|z| options.atol + options.rtol * z.abs())
        .collect();
    let largest_weight = weights.iter().copied().fold(0.0, f64::max);
    let span = trajectory.final_time() - options.t_start;
    let (claim, extra) = match trajectory.stop {
        StopReason::SteadyState => {
            let tau = options
                .events
                .steady_state
                .as_ref()
                .map(|s| s.tolerance)
                .unwrap_or(1.0);
            (
                EndClaim::SteadyState,
                2.0 * (k as f64).sqrt() * tau * largest_weight / mu_min,
            )
        }
        StopReason::ReachedEnd if span * mu_min >= SETTLED_RELAXATION_TIMES => {
            let s2 = model.squared_strengths();
            let kappa = s2.iter().copied().fold(0.0, f64::max)
                / s2.iter().copied().fold(f64::INFINITY, f64::min);
            let start = trajectory.responses.first()?;
            let initial = start
                .iter()
                .zip(&eq.point)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            (EndClaim::Horizon, kappa * (-mu_min * span).exp() * initial)
        }
        _ => return None,
    };
    let mut distance = 0.0f64;
    let mut ratio = 0.0f64;
    for ((z, zs), w) in end.iter().zip(&eq.point).zip(&weights) {
        let d = (z - zs).abs();
        distance = distance.max(d);
        ratio = ratio.max(d / (GLOBAL_ERROR_MARGIN * w + extra));
    }
    if !(distance.is_finite() && ratio.is_finite()) {
        return None;
    }
    Some(EndStateCheck {
        claim,
        equilibrium: eq.point,
        distance,
        distance_over_allowed: ratio,
        agrees: ratio <= 1.0,
    })
}
