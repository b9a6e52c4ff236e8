//! Parameter sweeps: a grid over model parameters (axes), metrics per cell, thresholds along the
//! last axis, run in parallel with results identical bit for bit to a serial run, split into
//! shards that merge into exactly the bytes of an unsharded run.
//!
//! The grid is processed by *lines*: all values of the last axis for one setting of the others.
//! Equilibria are warm-started along a line, thresholds are refined along it, and lines are the
//! unit of parallel work and of sharding, so the result of a line never depends on how the
//! lines were scheduled.

mod cell;
pub mod plots;
pub mod shard;
mod threshold;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;

pub use cell::{Metric, evaluate_line, metric_columns};
pub use threshold::{ThresholdRecord, ThresholdSpec, ThresholdStatus};

use crate::equilibrium::EquilibriumOptions;
use crate::error::InputError;
use crate::model::{FeatureModel, LossModel, Regulariser};
use crate::spec::{LossSpec, RegulariserSpec, Spec, ValuesSpec, build_model, from_value};

/// The `sweep` section of a spec.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Axes, outermost first; the last axis is the line axis (warm starts, thresholds).
    pub axes: Vec<AxisSpec>,
    /// Metrics per cell.
    pub metrics: Vec<Value>,
    /// Thresholds along the last axis.
    #[serde(default)]
    pub thresholds: Vec<ThresholdSpec>,
    /// Figures drawn from the results (see `sweep::plots`).
    #[serde(default)]
    pub plots: Vec<Value>,
    /// Solver settings for trajectory metrics.
    #[serde(default)]
    pub solver: Option<SolverSpec>,
}

/// Solver settings for trajectory metrics.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolverSpec {
    /// Relative tolerance (default 1e−8).
    #[serde(default)]
    pub rtol: Option<f64>,
    /// Absolute tolerance (default 1e−10).
    #[serde(default)]
    pub atol: Option<f64>,
    /// Newton's weighted-residual tolerance for equilibria (default 1e−14: thresholds of
    /// equilibrium metrics are then accurate to ~1e−13 relative; Newton converges
    /// quadratically, so this costs at most one iteration over 1e−12).
    #[serde(default)]
    pub newton_tolerance: Option<f64>,
    /// Use the fast paths for the two-feature toy (2 × 2 Newton, lane-batched DOP853); default
    /// true. False sends every cell through the general solvers (for cross-checks).
    #[serde(default)]
    pub fast_toy_path: Option<bool>,
}

/// One axis as written: a parameter name and its values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisSpec {
    /// "s1", "s2", …, "s1_over_s2", "delta", "lambda", "rate", "regulariser" or "loss".
    pub parameter: String,
    /// Numbers (list, linspace, logspace) or, for "regulariser" and "loss", a list of those.
    pub values: Value,
}

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
    /// Thresholds along the last axis.
    pub thresholds: Vec<threshold::Threshold>,
    /// Settings.
    pub settings: SweepSettings,
}

impl SweepPlan {
    /// Builds and validates the plan of a spec with a `sweep` section.
    pub fn from_spec(spec: &Spec) -> Result<Self, InputError> {
        let section = spec.sweep.clone().ok_or_else(|| {
            InputError::new(
                "sweep",
                "is missing; add a `sweep` section with `axes` and `metrics`",
            )
        })?;
        let sweep: SweepSpec = from_value(section, "sweep")?;
        let base = build_model(spec.model.clone().ok_or_else(|| {
            InputError::new(
                "model",
                "is missing; the sweep varies the parameters of this base model",
            )
        })?)?;
        if sweep.axes.is_empty() {
            return Err(InputError::new(
                "sweep.axes",
                "is empty; give at least one axis",
            ));
        }
        let mut axes = Vec::new();
        for (i, a) in sweep.axes.iter().enumerate() {
            axes.push(parse_axis(a, &base, &format!("sweep.axes[{i}]"))?);
        }
        for (i, a) in axes.iter().enumerate() {
            if axes[..i].iter().any(|b| b.parameter == a.parameter) {
                return Err(InputError::new(
                    format!("sweep.axes[{i}].parameter"),
                    format!("{:?} appears twice; give each parameter one axis", a.name),
                ));
            }
        }
        let cells = axes
            .iter()
            .try_fold(1usize, |acc, a| acc.checked_mul(a.values.len()))
            .filter(|c| *c <= crate::error::MAX_CELLS);
        if cells.is_none() {
            return Err(InputError::new(
                "sweep.axes",
                format!(
                    "the grid has more than {} cells; use fewer values per axis",
                    crate::error::MAX_CELLS
                ),
            ));
        }
        let has = |p: AxisParameter| axes.iter().any(|a| a.parameter == p);
        if has(AxisParameter::StrengthRatio) && has(AxisParameter::Strength(0)) {
            return Err(InputError::new(
                "sweep.axes",
                "\"s1\" and \"s1_over_s2\" both set s1; keep one of them",
            ));
        }
        if sweep.metrics.is_empty() {
            return Err(InputError::new(
                "sweep.metrics",
                "is empty; give at least one metric, e.g. \"z\"",
            ));
        }
        let mut metrics = Vec::new();
        for (i, m) in sweep.metrics.iter().enumerate() {
            metrics.push(cell::parse_metric(
                m,
                &base,
                &format!("sweep.metrics[{i}]"),
            )?);
        }
        let columns = metric_columns(&metrics, base.features());
        let last = axes.last().map(|a| a.name.clone()).unwrap_or_default();
        let mut thresholds = Vec::new();
        for (i, t) in sweep.thresholds.iter().enumerate() {
            thresholds.push(threshold::Threshold::from_spec(
                t,
                &columns,
                &metrics,
                base.features(),
                axes.last().expect("axes checked non-empty"),
                &last,
                &format!("sweep.thresholds[{i}]"),
            )?);
        }
        let solver = sweep.solver.unwrap_or(SolverSpec {
            rtol: None,
            atol: None,
            newton_tolerance: None,
            fast_toy_path: None,
        });
        let settings = SweepSettings {
            rtol: crate::error::require_positive("sweep.solver.rtol", solver.rtol.unwrap_or(1e-8))?,
            atol: crate::error::require_positive(
                "sweep.solver.atol",
                solver.atol.unwrap_or(1e-10),
            )?,
            equilibrium: EquilibriumOptions {
                tolerance: crate::error::require_positive(
                    "sweep.solver.newton_tolerance",
                    solver.newton_tolerance.unwrap_or(1e-14),
                )?,
                ..EquilibriumOptions::default()
            },
            fast_toy_path: solver.fast_toy_path.unwrap_or(true),
        };
        Ok(Self {
            base,
            axes,
            metrics,
            columns,
            thresholds,
            settings,
        })
    }

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

fn parse_axis(a: &AxisSpec, base: &FeatureModel, field: &str) -> Result<Axis, InputError> {
    let pfield = format!("{field}.parameter");
    let vfield = format!("{field}.values");
    let parameter = match a.parameter.as_str() {
        "delta" => AxisParameter::Delta,
        "lambda" => AxisParameter::Lambda,
        "rate" => AxisParameter::Rate,
        "regulariser" => AxisParameter::Regulariser,
        "loss" => AxisParameter::Loss,
        "s1_over_s2" => AxisParameter::StrengthRatio,
        s if crate::spec::strength_index(s).is_some() => {
            AxisParameter::Strength(crate::spec::strength_index(s).unwrap_or_default())
        }
        other => {
            return Err(InputError::new(
                pfield,
                format!(
                    "unknown parameter {other:?}; use \"s1\", \"s2\", …, \"s1_over_s2\", \"delta\", \"lambda\", \"rate\", \"regulariser\" or \"loss\""
                ),
            ));
        }
    };
    if let AxisParameter::Strength(j) = parameter
        && j >= base.features()
    {
        return Err(InputError::new(
            pfield,
            format!(
                "the base model has {} features; s{} does not exist",
                base.features(),
                j + 1
            ),
        ));
    }
    if matches!(
        parameter,
        AxisParameter::Delta | AxisParameter::StrengthRatio
    ) && (base.features() != 2 || base.examples() != 2)
    {
        return Err(InputError::new(
            pfield,
            format!(
                "{:?} needs the two-feature toy model (features.toy)",
                a.parameter
            ),
        ));
    }
    let values: Vec<AxisValue> = match parameter {
        AxisParameter::Regulariser => {
            let list: Vec<RegulariserSpec> = from_value(a.values.clone(), &vfield)?;
            list.iter()
                .map(|r| AxisValue::Regulariser(r.to_regulariser()))
                .collect()
        }
        AxisParameter::Loss => {
            let list: Vec<LossSpec> = from_value(a.values.clone(), &vfield)?;
            list.into_iter()
                .map(|l| AxisValue::Loss(l.into()))
                .collect()
        }
        _ => {
            let spec: ValuesSpec = from_value(a.values.clone(), &vfield)?;
            spec.values(&vfield)?
                .into_iter()
                .map(AxisValue::Number)
                .collect()
        }
    };
    if values.is_empty() {
        return Err(InputError::new(vfield, "is empty; give at least one value"));
    }
    Ok(Axis {
        parameter,
        name: a.parameter.clone(),
        values,
    })
}

/// One cell's outcome: metric values (NaN where undefined) or the reason it failed.
#[derive(Debug, Clone, PartialEq)]
pub struct CellOutcome {
    /// Metric values in column order.
    pub values: Vec<f64>,
    /// None when the cell succeeded; otherwise why it failed.
    pub failure: Option<String>,
}

/// The results of one line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineResult {
    /// Line index.
    pub line: usize,
    /// Cells along the last axis.
    pub cells: Vec<CellOutcome>,
    /// Threshold records (one per threshold).
    pub thresholds: Vec<ThresholdRecord>,
}

/// The results of a sweep (or of a shard: a contiguous range of lines).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepResult {
    /// Lines, in order.
    pub lines: Vec<LineResult>,
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
    SweepResult { lines }
}

/// Which lines shard k of n (0-based k) owns: a contiguous block.
pub fn shard_range(lines: usize, k: usize, n: usize) -> std::ops::Range<usize> {
    let start = lines * k / n;
    let end = lines * (k + 1) / n;
    start..end
}

/// Values of the axes at one cell, as labels (for tables).
pub fn cell_labels(plan: &SweepPlan, line: usize, position: usize) -> Vec<String> {
    let mut idx = plan.line_indices(line);
    idx.push(position);
    plan.axes
        .iter()
        .zip(idx)
        .map(|(a, i)| a.values[i].label())
        .collect()
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
            .flat_map(|l| &l.thresholds)
            .filter(|t| matches!(t.status, ThresholdStatus::Found | ThresholdStatus::Several))
            .count(),
    );
    m
}
