//! The phase diagram of the two-feature toy (M17) over (s₁/s₂, δ) at the view's s₂, λ,
//! regulariser and loss: a metric per cell (by default the starvation ratio z₂*/z₂⁰, z⁰ the
//! same model with U = I) and the metric's level set at the threshold.
//!
//! Exact loss with L2 or uniform SD (λ > 0) uses the fast 2 × 2 Newton solver of the sweeps
//! ([`crate::toy`]); every other model the general [`find_equilibrium`]. Rows run
//! in parallel; along a row each cell starts from its neighbour's z*.

use rayon::prelude::*;
use serde::Serialize;

use super::query::{DiagramMetric, MAX_CELLS_GENERAL, View};
use crate::equilibrium::closed_form::{sd_margin, uncoupled_response};
use crate::equilibrium::{EquilibriumOptions, find_equilibrium, sensitivities};
use crate::error::Error;
use crate::model::{FeatureModel, LossModel, Regulariser};
use crate::portrait::{Grid, zero_level};
use crate::toy::{ToyProblem, ToyRegulariser};

/// The diagram as the page draws it. Cell (i, j) (i along s₁/s₂, j along δ) is entry j·nx + i.
#[derive(Debug, Serialize)]
pub struct DiagramData {
    /// Metric name.
    pub metric: &'static str,
    /// Colour-bar label.
    pub label: &'static str,
    /// Cells along s₁/s₂ (log-spaced).
    pub nx: usize,
    /// Cells along δ.
    pub ny: usize,
    /// s₁/s₂ range.
    pub ratio_range: [f64; 2],
    /// δ range.
    pub delta_range: [f64; 2],
    /// s₂ of every cell.
    pub s2: f64,
    /// The metric per cell (null where the solver failed).
    pub values: Vec<Option<f32>>,
    /// z₁* per cell.
    pub z1: Vec<Option<f32>>,
    /// z₂* per cell.
    pub z2: Vec<Option<f32>>,
    /// The threshold level.
    pub level: f64,
    /// The level set metric = level, pieces of (log₁₀(s₁/s₂), δ).
    pub level_set: Vec<Vec<[f64; 2]>>,
    /// The view's (s₁/s₂, δ).
    pub current: [f64; 2],
    /// Cells where the solver failed.
    pub failed: usize,
    /// Whether the fast toy solver was used.
    pub fast_path: bool,
    /// Server time spent, milliseconds.
    pub compute_ms: f64,
}

/// The answer for a view: the diagram, or why there is none for this model (not a bad request:
/// the page shows the reason in the diagram's place).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum DiagramReply {
    /// The diagram.
    Drawn(Box<DiagramData>),
    /// No diagram for this model.
    Unavailable {
        /// Why.
        unavailable: String,
    },
}

/// One cell's numbers: z*, z⁰ and ∂z₂*/∂(s₁²).
#[derive(Clone, Copy)]
struct CellResult {
    z: [f64; 2],
    z0: [f64; 2],
    m21: f64,
}

impl CellResult {
    fn metric(&self, m: DiagramMetric) -> f64 {
        match m {
            DiagramMetric::Ratio2 => self.z[1] / self.z0[1],
            DiagramMetric::Ratio1 => self.z[0] / self.z0[0],
            DiagramMetric::Z1 => self.z[0],
            DiagramMetric::Z2 => self.z[1],
            DiagramMetric::M21 => self.m21,
        }
    }
}

/// The fast solver's regulariser for `model`, when the fast path applies.
fn fast_regulariser(model: &FeatureModel) -> Option<(ToyRegulariser, f64)> {
    if model.loss() != LossModel::Exact {
        return None;
    }
    match model.regulariser() {
        Regulariser::L2 { lambda } if *lambda > 0.0 => Some((ToyRegulariser::L2, *lambda)),
        Regulariser::SpectralDecoupling(sd) if sd.is_uniform() && sd.lambda_positive > 0.0 => {
            Some((ToyRegulariser::Sd, sd.lambda_positive))
        }
        _ => None,
    }
}

/// The uncoupled z⁰ of the fast path (the same for every δ): W-type roots under L2, the SD
/// margin under SD.
fn fast_uncoupled(kind: ToyRegulariser, lambda: f64, s1: f64, s2: f64) -> [f64; 2] {
    match kind {
        ToyRegulariser::L2 => [
            uncoupled_response(s1 * s1, lambda, LossModel::Exact),
            uncoupled_response(s2 * s2, lambda, LossModel::Exact),
        ],
        ToyRegulariser::Sd => [sd_margin(lambda); 2],
    }
}

#[allow(clippy::too_many_arguments)]
fn fast_cell(
    kind: ToyRegulariser,
    lambda: f64,
    s1: f64,
    s2: f64,
    delta: f64,
    z0: [f64; 2],
    warm: Option<[f64; 2]>,
    opts: &EquilibriumOptions,
) -> Option<CellResult> {
    let p = ToyProblem {
        s1_squared: s1 * s1,
        s2_squared: s2 * s2,
        delta,
        lambda,
        regulariser: kind,
    };
    let iterations = opts.max_iterations as u32;
    let mut sol = p.solve(
        warm.unwrap_or_else(|| p.cold_start()),
        opts.tolerance,
        iterations,
    );
    if !sol.converged && warm.is_some() {
        sol = p.solve(p.cold_start(), opts.tolerance, iterations);
    }
    if !sol.converged {
        return None;
    }
    Some(CellResult {
        z: sol.z,
        z0,
        m21: sol.starvation[1][0],
    })
}

fn general_cell(
    base: &FeatureModel,
    s1: f64,
    s2: f64,
    delta: f64,
    warm: Option<[f64; 2]>,
    opts: &EquilibriumOptions,
) -> Option<CellResult> {
    let model = FeatureModel::two_feature_toy(s1, s2, delta)
        .ok()?
        .with_regulariser(base.regulariser().clone())
        .ok()?
        .with_loss(base.loss());
    let start = warm.map(|w| w.to_vec());
    let eq = find_equilibrium(&model, start.as_deref(), opts)
        .or_else(|_| find_equilibrium(&model, None, opts))
        .ok()?;
    let m = sensitivities(&model, &eq).ok()?.starvation_matrix;
    let z0 = find_equilibrium(&model.clone().uncoupled(), None, opts).ok()?;
    Some(CellResult {
        z: [eq.point[0], eq.point[1]],
        z0: [z0.point[0], z0.point[1]],
        m21: m[(1, 0)],
    })
}

/// Computes the phase diagram of a view (toy models only).
pub fn diagram_data(view: &View) -> Result<DiagramReply, Error> {
    let start = std::time::Instant::now();
    let Some(toy) = view.toy else {
        return Ok(DiagramReply::Unavailable {
            unavailable: "The phase diagram over (s₁/s₂, δ) is drawn for the two-feature toy only."
                .into(),
        });
    };
    let model = &view.model;
    if model.regulariser().lambda() <= 0.0 {
        return Ok(DiagramReply::Unavailable {
            unavailable: "No phase diagram without a regulariser (λ = 0): there is no equilibrium."
                .into(),
        });
    }
    let fast = fast_regulariser(model);
    // Without the fast path (other losses, SD with targets) the side is capped, and the
    // response says so (nx, ny, fast_path).
    let n = match fast {
        Some(_) => view.cells,
        None => view.cells.min(MAX_CELLS_GENERAL),
    };
    let opts = EquilibriumOptions::default();
    let (lr0, lr1) = (view.ratio_range.0.log10(), view.ratio_range.1.log10());
    let ratio = |i: usize| 10f64.powf(lr0 + (lr1 - lr0) * i as f64 / (n - 1) as f64);
    let delta_at = |j: usize| {
        view.delta_range.0 + (view.delta_range.1 - view.delta_range.0) * j as f64 / (n - 1) as f64
    };
    let s2 = toy.s2;
    // z⁰ depends on s₁ only: once per column.
    let uncoupled: Vec<[f64; 2]> = match fast {
        Some((kind, lambda)) => (0..n)
            .map(|i| fast_uncoupled(kind, lambda, ratio(i) * s2, s2))
            .collect(),
        None => Vec::new(),
    };
    let rows: Vec<Vec<Option<CellResult>>> = (0..n)
        .into_par_iter()
        .map(|j| {
            let delta = delta_at(j);
            let mut warm: Option<[f64; 2]> = None;
            (0..n)
                .map(|i| {
                    let s1 = ratio(i) * s2;
                    let cell = match fast {
                        Some((kind, lambda)) => {
                            fast_cell(kind, lambda, s1, s2, delta, uncoupled[i], warm, &opts)
                        }
                        None => general_cell(model, s1, s2, delta, warm, &opts),
                    };
                    warm = cell.map(|c| c.z);
                    cell
                })
                .collect()
        })
        .collect();
    let cells: Vec<Option<CellResult>> = rows.into_iter().flatten().collect();
    let metric: Vec<f64> = cells
        .iter()
        .map(|c| c.map(|c| c.metric(view.metric)).unwrap_or(f64::NAN))
        .collect();
    let grid = Grid::new((lr0, lr1), view.delta_range, n, n)?;
    let shifted: Vec<f64> = metric.iter().map(|v| v - view.level).collect();
    let level_set = zero_level(&grid, &shifted)
        .into_iter()
        .map(|piece| piece.into_iter().map(|(a, b)| [a, b]).collect())
        .collect();
    let as_f32 = |v: f64| v.is_finite().then_some(v as f32);
    Ok(DiagramReply::Drawn(Box::new(DiagramData {
        metric: view.metric.name(),
        label: view.metric.label(),
        nx: n,
        ny: n,
        ratio_range: [view.ratio_range.0, view.ratio_range.1],
        delta_range: [view.delta_range.0, view.delta_range.1],
        s2,
        values: metric.iter().map(|v| as_f32(*v)).collect(),
        z1: cells
            .iter()
            .map(|c| c.and_then(|c| as_f32(c.z[0])))
            .collect(),
        z2: cells
            .iter()
            .map(|c| c.and_then(|c| as_f32(c.z[1])))
            .collect(),
        level: view.level,
        level_set,
        current: [toy.s1 / toy.s2, toy.delta],
        failed: cells.iter().filter(|c| c.is_none()).count(),
        fast_path: fast.is_some(),
        compute_ms: 1e3 * start.elapsed().as_secs_f64(),
    })))
}
