//! The phase diagram of the two-feature toy (M17) over (s₁/s₂, δ) at the view's s₂, λ,
//! regulariser and loss: a metric per cell (by default the starvation ratio z₂*/z₂⁰, z⁰ the
//! same model with U = I) and the metric's level set at the threshold.
//!
//! The cells are a sweep's ([`crate::sweep`]): exact loss with L2 or uniform SD (λ > 0) takes
//! the fast 2 × 2 Newton solver, every other model the general equilibrium solver. Rows run in
//! parallel; along a row each cell starts from its neighbour's z*.

use serde::Serialize;

use super::query::{DiagramMetric, MAX_CELLS_GENERAL, View};
use crate::equilibrium::EquilibriumOptions;
use crate::error::Error;
use crate::portrait::{Grid, zero_level};
use crate::sweep::{AxisParameter, Metric, SweepBuilder, SweepSettings, takes_toy_fast_path};

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

/// Computes the phase diagram of a view (toy models only).
pub fn diagram_data(view: &View) -> Result<DiagramReply, Error> {
    let start = std::time::Instant::now();
    let model = &view.model;
    let Some(delta) = model.toy_delta() else {
        return Ok(DiagramReply::Unavailable {
            unavailable: "The phase diagram over (s₁/s₂, δ) is drawn for the two-feature toy only."
                .into(),
        });
    };
    if model.regulariser().lambda() <= 0.0 {
        return Ok(DiagramReply::Unavailable {
            unavailable: "No phase diagram without a regulariser (λ = 0): there is no equilibrium."
                .into(),
        });
    }
    let (s1, s2) = (model.feature_strengths()[0], model.feature_strengths()[1]);
    let fast = takes_toy_fast_path(model);
    // Without the fast path (other losses, SD with targets) the side is capped, and the
    // response says so (nx, ny, fast_path).
    let n = if fast {
        view.cells
    } else {
        view.cells.min(MAX_CELLS_GENERAL)
    };
    let (lr0, lr1) = (view.ratio_range.0.log10(), view.ratio_range.1.log10());
    let ratio = |i: usize| 10f64.powf(lr0 + (lr1 - lr0) * i as f64 / (n - 1) as f64);
    let delta_at = |j: usize| {
        view.delta_range.0 + (view.delta_range.1 - view.delta_range.0) * j as f64 / (n - 1) as f64
    };
    // The sweep's cells: rows of constant δ (lines, in parallel), each cell along s₁/s₂
    // warm-started from its neighbour; the toy's fast path where it applies.
    // Only what the colour needs: the ratio needs the uncoupled reference, M₂₁ the
    // sensitivities; z is always there (the hover shows it).
    let colour = match view.metric {
        DiagramMetric::Ratio1 | DiagramMetric::Ratio2 => Some(Metric::StarvationRatio),
        DiagramMetric::M21 => Some(Metric::StarvationMatrix),
        DiagramMetric::Z1 | DiagramMetric::Z2 => None,
    };
    let mut builder = SweepBuilder::new(model.clone())
        .axis(AxisParameter::Delta, (0..n).map(delta_at))
        .axis(AxisParameter::StrengthRatio, (0..n).map(ratio))
        .metric(Metric::Z);
    if let Some(m) = colour {
        builder = builder.metric(m);
    }
    let plan = builder
        .settings(SweepSettings {
            equilibrium: EquilibriumOptions::default(),
            ..SweepSettings::default()
        })
        .build()?;
    let result = plan.run(true);
    let column = |name: &str| plan.columns.iter().position(|c| c == name);
    let wanted = match view.metric {
        DiagramMetric::Ratio2 => "ratio2",
        DiagramMetric::Ratio1 => "ratio1",
        DiagramMetric::Z1 => "z1",
        DiagramMetric::Z2 => "z2",
        DiagramMetric::M21 => "M21",
    };
    let value = |name: &str| -> Vec<f64> {
        let c = column(name);
        result
            .lines
            .iter()
            .flat_map(|l| &l.cells)
            .map(|cell| match (c, &cell.failure) {
                (Some(c), None) => cell.values[c],
                _ => f64::NAN,
            })
            .collect()
    };
    let metric = value(wanted);
    let (z1, z2) = (value("z1"), value("z2"));
    let failed = result
        .lines
        .iter()
        .flat_map(|l| &l.cells)
        .filter(|c| c.failure.is_some())
        .count();
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
        z1: z1.iter().map(|v| as_f32(*v)).collect(),
        z2: z2.iter().map(|v| as_f32(*v)).collect(),
        level: view.level,
        level_set,
        current: [s1 / s2, delta],
        failed,
        fast_path: fast,
        compute_ms: 1e3 * start.elapsed().as_secs_f64(),
    })))
}
