//! The orbit diagram of a training map against its step h (docs/theory.md §8): for each h of a
//! grid, the optimiser map is iterated from next to the fixed point z*, a transient is dropped
//! and the next iterates of one coordinate are kept — the attractor's points. Below the flip
//! h* = 2/|λ_min| (gradient descent; 2(1 + μ)/|λ_min| for heavy ball, see
//! [`OptimiserMap::flip_step`]) they collapse onto z*; past it they split into the period-2
//! orbit born in the flip, then cascades or divergence. Diverged steps are marked, not drawn.
//!
//! One function, [`orbit_diagram`], for every front end (the explorer's panel, a figure kind).

use nalgebra::DMatrix;
use serde::Serialize;

use super::eigenvalues_of;
use super::orbit::DIVERGENCE_BOUND;
use crate::error::InputError;
use crate::flow::{OptimiserMap, VectorField};

/// Most steps h on one diagram.
pub const MAX_STEPS: usize = 2000;
/// Most map iterations on one diagram (steps × (transient + points)).
pub const MAX_ITERATIONS: usize = 20_000_000;

/// What to compute: the step grid, the coordinate and the iterations per step.
#[derive(Debug, Clone, PartialEq)]
pub struct OrbitDiagramSettings {
    /// The steps h (each > 0 and finite), in the order they are reported.
    pub steps: Vec<f64>,
    /// Coordinate j of z whose iterates are kept (0-based).
    pub coordinate: usize,
    /// Iterations dropped before points are kept (default 2000).
    pub transient: usize,
    /// Iterates kept per step after the transient (default 64).
    pub points: usize,
}

impl OrbitDiagramSettings {
    /// `count` evenly spaced steps from `low` to `high` (both included; `count` ≥ 2), with the
    /// default transient and points.
    pub fn linear(low: f64, high: f64, count: usize, coordinate: usize) -> Self {
        let n = count.max(2);
        Self {
            steps: (0..n)
                .map(|i| low + (high - low) * i as f64 / (n - 1) as f64)
                .collect(),
            coordinate,
            transient: 2000,
            points: 64,
        }
    }

    /// Checks the settings for a field of dimension `dim` (field names are those of the
    /// explorer's query and of a spec's figure section).
    pub fn check(&self, dim: usize) -> Result<(), InputError> {
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            return Err(InputError::new(
                "steps",
                format!(
                    "has {} steps; give between 1 and {MAX_STEPS}",
                    self.steps.len()
                ),
            ));
        }
        if let Some(h) = self.steps.iter().find(|h| !(h.is_finite() && **h > 0.0)) {
            return Err(InputError::new(
                "steps",
                format!("must all be positive and finite, got {h}; give steps h > 0"),
            ));
        }
        if self.coordinate >= dim {
            return Err(InputError::new(
                "coordinate",
                format!(
                    "is z{}, but the model has {dim} features; choose one of z1 … z{dim}",
                    self.coordinate + 1
                ),
            ));
        }
        if self.points == 0 {
            return Err(InputError::new(
                "points",
                "must be at least 1; keep at least one iterate per step",
            ));
        }
        let work = self
            .steps
            .len()
            .saturating_mul(self.transient.saturating_add(self.points));
        if work > MAX_ITERATIONS {
            return Err(InputError::new(
                "transient",
                format!(
                    "steps × (transient + points) = {work} map iterations, more than {MAX_ITERATIONS}; use fewer steps or a shorter transient"
                ),
            ));
        }
        Ok(())
    }
}

/// One step h of the diagram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrbitColumn {
    /// The step h.
    pub step: f64,
    /// The kept iterates z_j (empty when the run diverged).
    pub points: Vec<f64>,
    /// The iteration at which the run left every bound ([`DIVERGENCE_BOUND`]) or became
    /// non-finite, when it did.
    pub diverged_at: Option<usize>,
}

/// The orbit diagram: the attractor's points per step and the predicted flip.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrbitDiagram {
    /// `gd`, `heavy_ball` or `nesterov`.
    pub method: &'static str,
    /// The map's momentum μ (0 for gradient descent).
    pub momentum: f64,
    /// The coordinate j (0-based).
    pub coordinate: usize,
    /// The fixed point z* the runs start next to.
    pub equilibrium: Vec<f64>,
    /// λ_min: the real part of the field Jacobian's eigenvalue of largest |Re| at z*
    /// (negative at a stable equilibrium).
    pub lambda_min: f64,
    /// The predicted flip h* = [`OptimiserMap::flip_step`] at the rate |λ_min|: 2/|λ_min| for gradient
    /// descent, 2(1 + μ)/|λ_min| for heavy ball.
    pub predicted_flip: f64,
    /// Iterations dropped per step.
    pub transient: usize,
    /// One column per step, in the order of the settings.
    pub columns: Vec<OrbitColumn>,
}

/// The start next to `z_star`: z* + 10⁻⁶ (1 + |z*|) componentwise with alternating signs (the
/// same start as the sweep's `start: "equilibrium"`), so that every eigendirection is excited.
pub fn start_next_to(z_star: &[f64]) -> Vec<f64> {
    z_star
        .iter()
        .enumerate()
        .map(|(j, v)| {
            let sign = if j % 2 == 0 { 1.0 } else { -1.0 };
            v + sign * 1e-6 * (1.0 + v.abs())
        })
        .collect()
}

/// The orbit diagram of `map` (its step is replaced by each of `settings.steps`; its momentum
/// kept) on `field` around its fixed point `z_star`: per step, the map's state starts at
/// [`start_next_to`]`(z_star)` with velocity 0, `transient` iterations are dropped and the next
/// `points` values of coordinate `settings.coordinate` are kept. λ_min and the predicted flip
/// come from the field's Jacobian at `z_star`. Errors name the offending setting; a field whose
/// Jacobian at `z_star` has no negative real eigenvalue part is refused (`equilibrium`: no flip).
pub fn orbit_diagram(
    field: &dyn VectorField,
    map: &OptimiserMap,
    z_star: &[f64],
    settings: &OrbitDiagramSettings,
) -> Result<OrbitDiagram, InputError> {
    let dim = field.dim();
    if z_star.len() != dim || z_star.iter().any(|v| !v.is_finite()) {
        return Err(InputError::new(
            "equilibrium",
            format!(
                "must be {dim} finite numbers (the field's dimension), got {} entries",
                z_star.len()
            ),
        ));
    }
    settings.check(dim)?;
    let mut jacobian = DMatrix::zeros(dim, dim);
    field.jacobian(z_star, &mut jacobian);
    let lambda_min = eigenvalues_of(&jacobian)
        .iter()
        .map(|e| e.0)
        .fold(f64::NAN, |m: f64, v| {
            if m.is_nan() || v.abs() > m.abs() {
                v
            } else {
                m
            }
        });
    if !(lambda_min.is_finite() && lambda_min < 0.0) {
        return Err(InputError::new(
            "equilibrium",
            format!(
                "the field's Jacobian at z* has no negative eigenvalue (λ_min = {lambda_min}); the map has no flip to show"
            ),
        ));
    }
    let predicted_flip = map.flip_step(lambda_min.abs());
    let start = start_next_to(z_star);
    let n = map.state_dim(dim);
    let mut f = vec![0.0; dim];
    let columns = settings
        .steps
        .iter()
        .map(|&h| {
            let map = map.with_step(h);
            let mut state = vec![0.0; n];
            state[..dim].copy_from_slice(&start);
            let mut points = Vec::with_capacity(settings.points);
            let total = settings.transient + settings.points;
            for k in 1..=total {
                map.advance(field, &mut state, &mut f);
                if state
                    .iter()
                    .any(|v| !v.is_finite() || v.abs() > DIVERGENCE_BOUND)
                {
                    return OrbitColumn {
                        step: h,
                        points: Vec::new(),
                        diverged_at: Some(k),
                    };
                }
                if k > settings.transient {
                    points.push(state[settings.coordinate]);
                }
            }
            OrbitColumn {
                step: h,
                points,
                diverged_at: None,
            }
        })
        .collect();
    Ok(OrbitDiagram {
        method: match map {
            OptimiserMap::GradientDescent { .. } => "gd",
            OptimiserMap::HeavyBall { .. } => "heavy_ball",
            OptimiserMap::Nesterov { .. } => "nesterov",
        },
        momentum: map.momentum(),
        coordinate: settings.coordinate,
        equilibrium: z_star.to_vec(),
        lambda_min,
        predicted_flip,
        transient: settings.transient,
        columns,
    })
}
