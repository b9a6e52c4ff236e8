//! Parameter sweeps: a grid over model parameters (axes), metrics per cell, thresholds along any
//! axis, run in parallel with results identical bit for bit to a serial run, split into
//! shards that merge into exactly the bytes of an unsharded run.
//!
//! The grid is processed by *lines*: all values of the last axis for one setting of the others.
//! Equilibria are warm-started along a line, thresholds along the last axis are refined along
//! it, and lines are the unit of parallel work and of sharding, so the result of a line never
//! depends on how the lines were scheduled. A threshold along another axis is located on the
//! lines of that axis (all other axes fixed), from fresh evaluations of its metric along them.

mod cell;
pub mod level_set;
mod measure;
mod metric;
mod plan;
pub mod shard;
mod system;
mod threshold;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::numerics::exact_f64;
use cell::{evaluate_axis_threshold, evaluate_line};
pub use level_set::{LevelSet, LevelSetRequest, level_sets, marching_squares};
pub use measure::{MapMethod, MapStart};
pub use metric::{Metric, metric_columns};
pub use plan::{SweepBuilder, ThresholdRequest};
pub use shard::{
    ShardFile, ShardHeader, ShardReadError, ShardShape, ShardWriter, merge_shards, read_shard,
    shard_range,
};
pub use system::takes_toy_fast_path;
pub use threshold::{
    CrossingDirection, CrossingPoint, Threshold, ThresholdRecord, ThresholdStatus, branches, locate,
};

use crate::equilibrium::EquilibriumOptions;
use crate::model::{FeatureModel, LossModel, Regulariser};

/// What an axis varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisParameter {
    /// Strength s_j (0-based).
    Strength(usize),
    /// s₁ = value · s₂.
    StrengthRatio,
    /// δ of M17.
    Delta,
    /// λ.
    Lambda,
    /// η.
    Rate,
    /// The regulariser.
    Regulariser,
    /// The loss model.
    Loss,
    /// The step h of the map metrics (`period`, `lyapunov`).
    Step,
    /// The momentum μ of the map metrics.
    Momentum,
}

/// One value of an axis.
#[derive(Debug, Clone, PartialEq)]
pub enum AxisValue {
    /// A number.
    Number(f64),
    /// A regulariser.
    Regulariser(Regulariser),
    /// A loss model.
    Loss(LossModel),
}

impl AxisValue {
    /// The number (NaN for categorical values).
    pub fn number(&self) -> f64 {
        match self {
            AxisValue::Number(x) => *x,
            _ => f64::NAN,
        }
    }

    /// A label: the number, "L2 (λ = 0.01)", "SD (λ = 0.002)", "none", or the loss name.
    pub fn label(&self) -> String {
        match self {
            AxisValue::Number(x) => format!("{x}"),
            AxisValue::Regulariser(r) => match r {
                Regulariser::None => "none".into(),
                Regulariser::L2 { lambda } => format!("L2 (λ = {lambda})"),
                Regulariser::SpectralDecoupling(sd) if sd.is_uniform() => {
                    format!("SD (λ = {})", sd.lambda_positive)
                }
                Regulariser::SpectralDecoupling(sd) => format!(
                    "SD (λ = {}/{}, γ = {}/{})",
                    sd.lambda_positive, sd.lambda_negative, sd.target_positive, sd.target_negative
                ),
            },
            AxisValue::Loss(l) => l.name().into(),
        }
    }

    /// The label in a cell where a λ axis sets λ = `lambda` (which overrides a regulariser's
    /// own λ, as [`FeatureModel::with_lambda`] does): "SD (λ = 0.5)" for a regulariser value;
    /// [`label`](Self::label) otherwise or when `lambda` is None.
    pub fn label_with_lambda(&self, lambda: Option<f64>) -> String {
        match (self, lambda) {
            (AxisValue::Regulariser(r), Some(l)) => {
                AxisValue::Regulariser(regulariser_with_lambda(r, l)).label()
            }
            _ => self.label(),
        }
    }

    /// The label without any λ ("L2", "SD", "none"; other values as [`label`](Self::label)):
    /// for places where λ is shown elsewhere, e.g. on a λ axis.
    pub fn label_without_lambda(&self) -> String {
        match self {
            AxisValue::Regulariser(Regulariser::None) => "none".into(),
            AxisValue::Regulariser(Regulariser::L2 { .. }) => "L2".into(),
            AxisValue::Regulariser(Regulariser::SpectralDecoupling(sd)) if sd.is_uniform() => {
                "SD".into()
            }
            AxisValue::Regulariser(Regulariser::SpectralDecoupling(sd)) => format!(
                "SD (λ₋/λ₊ = {}, γ = {}/{})",
                sd.lambda_negative / sd.lambda_positive,
                sd.target_positive,
                sd.target_negative
            ),
            other => other.label(),
        }
    }
}

/// `r` with λ set to `lambda` the way [`FeatureModel::with_lambda`] sets it (SD keeps its
/// λ₋/λ₊ ratio); `none` stays `none`.
fn regulariser_with_lambda(r: &Regulariser, lambda: f64) -> Regulariser {
    match r {
        Regulariser::None => Regulariser::None,
        Regulariser::L2 { .. } => Regulariser::L2 { lambda },
        Regulariser::SpectralDecoupling(sd) => {
            let ratio = if sd.lambda_positive > 0.0 {
                sd.lambda_negative / sd.lambda_positive
            } else {
                1.0
            };
            Regulariser::SpectralDecoupling(crate::model::SpectralDecoupling {
                lambda_positive: lambda,
                lambda_negative: lambda * ratio,
                ..sd.clone()
            })
        }
    }
}

/// A validated axis.
#[derive(Debug, Clone)]
pub struct Axis {
    /// What it varies.
    pub parameter: AxisParameter,
    /// Its name as written ("s1", "delta", …).
    pub name: String,
    /// Its values.
    pub values: Vec<AxisValue>,
}

/// Settings shared by every cell.
#[derive(Debug, Clone, Copy)]
pub struct SweepSettings {
    /// Relative tolerance of trajectory metrics.
    pub rtol: f64,
    /// Absolute tolerance of trajectory metrics.
    pub atol: f64,
    /// Newton options.
    pub equilibrium: EquilibriumOptions,
    /// Whether toy cells take the fast paths.
    pub fast_toy_path: bool,
}

/// A validated sweep: base model, axes, metrics, thresholds.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    /// The base model (the spec's `model` section).
    pub base: FeatureModel,
    /// Axes, outermost first.
    pub axes: Vec<Axis>,
    /// Metrics.
    pub metrics: Vec<Metric>,
    /// Metric column names, in order.
    pub columns: Vec<String>,
    /// Thresholds, each along its axis.
    pub thresholds: Vec<Threshold>,
    /// Settings.
    pub settings: SweepSettings,
}

impl SweepPlan {
    /// Number of cells.
    pub fn cells(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// Cells per line (values of the last axis).
    pub fn line_length(&self) -> usize {
        self.axes.last().map(|a| a.values.len()).unwrap_or(1)
    }

    /// Number of lines.
    pub fn lines(&self) -> usize {
        self.cells() / self.line_length()
    }

    /// Index of the axis of `parameter`, if there is one.
    pub fn axis_of(&self, parameter: AxisParameter) -> Option<usize> {
        self.axes.iter().position(|a| a.parameter == parameter)
    }

    /// Index of the λ axis, if there is one (it overrides the regulariser's λ in every cell).
    pub fn lambda_axis(&self) -> Option<usize> {
        self.axes
            .iter()
            .position(|a| a.parameter == AxisParameter::Lambda)
    }

    /// The λ a λ axis sets at the cell with value indices `idx` (one per axis); None without a
    /// λ axis.
    pub fn lambda_at(&self, idx: &[usize]) -> Option<f64> {
        let a = self.lambda_axis()?;
        self.axes[a].values.get(*idx.get(a)?).map(AxisValue::number)
    }

    /// Labels of the axis values at the cell with value indices `idx` (one per axis), from the
    /// parameters used in that cell: a regulariser shows the λ of a λ axis, not its own.
    pub fn value_labels(&self, idx: &[usize]) -> Vec<String> {
        let lambda = self.lambda_at(idx);
        self.axes
            .iter()
            .zip(idx)
            .map(|(a, &i)| a.values[i].label_with_lambda(lambda))
            .collect()
    }

    /// Labels of the outer axis values (all but the last) of line `line`, from the parameters
    /// used on that line: a regulariser shows the λ of an outer λ axis, and no λ at all when λ
    /// varies along the line.
    pub fn outer_value_labels(&self, line: usize) -> Vec<String> {
        let idx = self.line_indices(line);
        let last = self.axes.len() - 1;
        let lambda_axis = self.lambda_axis();
        let lambda = lambda_axis
            .filter(|&a| a < last)
            .map(|a| self.axes[a].values[idx[a]].number());
        self.axes[..last]
            .iter()
            .zip(idx)
            .map(|(a, i)| {
                if lambda_axis == Some(last) {
                    a.values[i].label_without_lambda()
                } else {
                    a.values[i].label_with_lambda(lambda)
                }
            })
            .collect()
    }

    /// Labels of every value of axis `axis`; with a λ axis a regulariser is named without λ.
    pub fn axis_value_labels(&self, axis: usize) -> Vec<String> {
        let swept = self.lambda_axis().is_some();
        self.axes[axis]
            .values
            .iter()
            .map(|v| {
                if swept {
                    v.label_without_lambda()
                } else {
                    v.label()
                }
            })
            .collect()
    }

    /// The paper's symbol for metric column `column` ("z1" → "z₁*", "ratio2" → "z₂*/z₂⁰"; see
    /// [`Metric::symbol`]); a name that is not a column is returned as it is.
    pub fn column_symbol(&self, column: &str) -> String {
        let k = self.base.features();
        for m in &self.metrics {
            if let Some(j) = m.columns(k).iter().position(|c| c == column) {
                return m.symbol(column, j);
            }
        }
        column.to_string()
    }

    /// The thresholds along the last axis, in order: a [`LineResult`] holds their records.
    pub fn line_thresholds(&self) -> impl Iterator<Item = &Threshold> {
        let last = self.axes.len() - 1;
        self.thresholds.iter().filter(move |t| t.axis == last)
    }

    /// Indices (into `thresholds`) of the thresholds along another axis than the last.
    pub fn axis_thresholds(&self) -> Vec<usize> {
        let last = self.axes.len() - 1;
        (0..self.thresholds.len())
            .filter(|&i| self.thresholds[i].axis != last)
            .collect()
    }

    /// Number of lines along axis `axis`: one per setting of the other axes.
    pub(crate) fn lines_along(&self, axis: usize) -> usize {
        self.cells() / self.axes[axis].values.len()
    }

    /// Value indices of every axis on line `line` along axis `axis` (row-major over the other
    /// axes; the entry of `axis` itself is 0). Along the last axis this is
    /// [`line_indices`](Self::line_indices) followed by 0.
    pub fn line_indices_along(&self, axis: usize, line: usize) -> Vec<usize> {
        let mut idx = vec![0; self.axes.len()];
        let mut rest = line;
        for (k, a) in self.axes.iter().enumerate().rev() {
            if k != axis {
                idx[k] = rest % a.values.len();
                rest /= a.values.len();
            }
        }
        idx
    }

    /// Labels of the values of every axis but `axis` at the cell indices `idx`, from the
    /// parameters used there: a regulariser shows the λ of a λ axis, and no λ when λ varies
    /// along `axis`. Along the last axis these are [`outer_value_labels`](Self::outer_value_labels).
    pub fn fixed_value_labels(&self, idx: &[usize], axis: usize) -> Vec<(usize, String)> {
        let lambda_axis = self.lambda_axis();
        let lambda = lambda_axis
            .filter(|&a| a != axis)
            .map(|a| self.axes[a].values[idx[a]].number());
        self.axes
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != axis)
            .map(|(k, a)| {
                let v = &a.values[idx[k]];
                let label = if lambda_axis == Some(axis) {
                    v.label_without_lambda()
                } else {
                    v.label_with_lambda(lambda)
                };
                (k, label)
            })
            .collect()
    }

    /// Value indices of the outer axes (all but the last) of line `line`.
    pub fn line_indices(&self, line: usize) -> Vec<usize> {
        let outer = &self.axes[..self.axes.len() - 1];
        let mut idx = vec![0; outer.len()];
        let mut rest = line;
        for (k, a) in outer.iter().enumerate().rev() {
            idx[k] = rest % a.values.len();
            rest /= a.values.len();
        }
        idx
    }
}

/// One cell's outcome: metric values (NaN where undefined) or the reason it failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellOutcome {
    /// Metric values in column order (non-finite values kept exactly, see [`exact_f64`]).
    #[serde(with = "exact_f64::vec")]
    pub values: Vec<f64>,
    /// None when the cell succeeded; otherwise why it failed.
    pub failure: Option<CellFailure>,
}

/// Why a cell failed; the sweep records it and goes on with the other cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "stage", content = "reason")]
pub enum CellFailure {
    /// The cell's parameters do not make a valid model.
    Model(String),
    /// No equilibrium was found (Newton failed or the result was not finite).
    Equilibrium(String),
    /// A metric could not be computed from the model (e.g. a singular K).
    Metric(String),
    /// A trajectory metric's integration failed.
    Integration(String),
    /// An optimiser map diverged (or its tangent vector vanished).
    Map(String),
}

impl std::fmt::Display for CellFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CellFailure::Model(r)
            | CellFailure::Equilibrium(r)
            | CellFailure::Metric(r)
            | CellFailure::Integration(r)
            | CellFailure::Map(r) => f.write_str(r),
        }
    }
}

/// The results of one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineResult {
    /// Line index.
    pub line: usize,
    /// Cells along the last axis.
    pub cells: Vec<CellOutcome>,
    /// Threshold records, one list per threshold along the last axis (in the plan's order):
    /// a record per crossing, or the one `not_found` / `failed` record of a line without.
    pub thresholds: Vec<Vec<ThresholdRecord>>,
}

/// A threshold along another axis than the last, located on one line of that axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisThreshold {
    /// Index of the threshold in the plan's `thresholds`.
    pub threshold: usize,
    /// Line along the threshold's axis (see [`SweepPlan::line_indices_along`]).
    pub line: usize,
    /// The records: one per crossing, or the one `not_found` / `failed` record of a line
    /// without.
    pub records: Vec<ThresholdRecord>,
}

/// The results of a sweep (or of a shard: a contiguous range of lines).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepResult {
    /// Lines, in order.
    pub lines: Vec<LineResult>,
    /// Thresholds along other axes than the last: threshold by threshold, line by line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub axis_thresholds: Vec<AxisThreshold>,
}

/// Runs lines `range` of the plan, in parallel (rayon) when `parallel`; `progress(cells)` is
/// called after every finished line. The result does not depend on `parallel`.
pub fn run_lines(
    plan: &SweepPlan,
    range: std::ops::Range<usize>,
    parallel: bool,
    progress: &(dyn Fn(usize) + Sync),
) -> SweepResult {
    let work = |line: usize| {
        let r = evaluate_line(plan, line);
        progress(r.cells.len());
        r
    };
    let lines = if parallel {
        range.into_par_iter().map(work).collect()
    } else {
        range.map(work).collect()
    };
    SweepResult {
        lines,
        axis_thresholds: Vec::new(),
    }
}

/// Locates every threshold along another axis than the last (threshold by threshold, line by
/// line), in chunks of `chunk` lines each run in parallel when `parallel`, handing each chunk
/// in order to `sink`.
pub fn stream_axis_thresholds<E>(
    plan: &SweepPlan,
    chunk: usize,
    parallel: bool,
    sink: &mut dyn FnMut(Vec<AxisThreshold>) -> Result<(), E>,
) -> Result<(), E> {
    let chunk = chunk.max(1);
    for t in plan.axis_thresholds() {
        let lines = plan.lines_along(plan.thresholds[t].axis);
        let mut start = 0;
        while start < lines {
            let end = lines.min(start.saturating_add(chunk));
            let work = |line: usize| AxisThreshold {
                threshold: t,
                line,
                records: evaluate_axis_threshold(plan, t, line),
            };
            let records = if parallel {
                (start..end).into_par_iter().map(work).collect()
            } else {
                (start..end).map(work).collect()
            };
            sink(records)?;
            start = end;
        }
    }
    Ok(())
}

/// Every threshold along another axis than the last (see [`stream_axis_thresholds`]).
pub fn run_axis_thresholds(plan: &SweepPlan, parallel: bool) -> Vec<AxisThreshold> {
    let mut all = Vec::new();
    let _ = stream_axis_thresholds::<()>(plan, chunk_lines(plan), parallel, &mut |c| {
        all.extend(c);
        Ok(())
    });
    all
}

/// Most cells a chunk of lines holds (unless a single line is longer): the unit of streamed
/// work, so a streamed sweep holds one chunk's cells whatever the size of the grid.
pub const CHUNK_CELLS: usize = 1 << 16;

/// Lines per chunk: as many whole lines as fit in [`CHUNK_CELLS`], at least one.
pub fn chunk_lines(plan: &SweepPlan) -> usize {
    (CHUNK_CELLS / plan.line_length().max(1)).max(1)
}

/// Runs lines `range` of the plan in chunks of `chunk` lines (each chunk in parallel with rayon
/// when `parallel`) and hands every chunk's results, in line order, to `sink`; only one chunk is
/// held at a time, and the results are those of [`run_lines`] whatever the chunk size.
/// `progress(cells)` is called after every finished line; an error of `sink` stops the run.
pub fn stream_lines<E>(
    plan: &SweepPlan,
    range: std::ops::Range<usize>,
    chunk: usize,
    parallel: bool,
    progress: &(dyn Fn(usize) + Sync),
    sink: &mut dyn FnMut(Vec<LineResult>) -> Result<(), E>,
) -> Result<(), E> {
    let chunk = chunk.max(1);
    let mut start = range.start;
    while start < range.end {
        let end = range.end.min(start.saturating_add(chunk));
        sink(run_lines(plan, start..end, parallel, progress).lines)?;
        start = end;
    }
    Ok(())
}

/// Values of the axes at one cell, as labels (for tables).
pub fn cell_labels(plan: &SweepPlan, line: usize, position: usize) -> Vec<String> {
    let mut idx = plan.line_indices(line);
    idx.push(position);
    plan.value_labels(&idx)
}

/// Summary counts of a result: cells, failed cells, thresholds found.
pub fn summary(result: &SweepResult) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    m.insert("cells", result.lines.iter().map(|l| l.cells.len()).sum());
    m.insert(
        "failed_cells",
        result
            .lines
            .iter()
            .flat_map(|l| &l.cells)
            .filter(|c| c.failure.is_some())
            .count(),
    );
    m.insert(
        "thresholds_found",
        result
            .lines
            .iter()
            .flat_map(|l| l.thresholds.iter().flatten())
            .chain(result.axis_thresholds.iter().flat_map(|a| &a.records))
            .filter(|t| t.status.is_found())
            .count(),
    );
    m
}
