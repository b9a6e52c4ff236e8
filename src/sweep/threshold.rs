//! Thresholds along the line axis: where a metric column crosses a level. Scan the grid for sign
//! changes of (metric − level), bracket the first, refine it by Brent's method on the continuous
//! parameter (each evaluation is a fresh cell at that value), and report a record.

use serde::Deserialize;

use super::cell::{Metric, evaluate_cells, metric_columns};
use super::{Axis, AxisValue, CellOutcome, SweepPlan};
use crate::error::InputError;
use crate::numerics::brent_root;

/// A threshold as written in a spec.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdSpec {
    /// Metric column (e.g. "ratio2", "M21", "mu1").
    pub metric: String,
    /// Level to cross.
    pub level: f64,
    /// Axis to move along: must be the last axis (the default).
    #[serde(default)]
    pub along: Option<String>,
    /// Legend text in figures (default: the criterion, e.g. "ratio2 = 0.5 along s1").
    #[serde(default)]
    pub label: Option<String>,
    /// Absolute precision in the axis' units (default 1e−10 × the axis span): the width of the
    /// final bracket. The location is also limited by the metric's own accuracy (equilibria:
    /// ~1e−13 relative; trajectory metrics: ~rtol).
    #[serde(default)]
    pub precision: Option<f64>,
}

/// A validated threshold.
#[derive(Debug, Clone)]
pub struct Threshold {
    /// Metric column index.
    pub column: usize,
    /// The metric that produces the column, and the column's offset within its columns
    /// (refinement evaluates only this metric).
    pub source: (Metric, usize),
    /// Metric column name.
    pub metric: String,
    /// Level.
    pub level: f64,
    /// Absolute precision.
    pub precision: f64,
    /// "metric = level along axis".
    pub criterion: String,
    /// Legend text.
    pub label: String,
}

impl Threshold {
    /// Validates a threshold against the metric columns and the line axis.
    pub fn from_spec(
        t: &ThresholdSpec,
        columns: &[String],
        metrics: &[Metric],
        features: usize,
        last: &Axis,
        last_name: &str,
        field: &str,
    ) -> Result<Self, InputError> {
        let column = columns.iter().position(|c| *c == t.metric).ok_or_else(|| {
            InputError::new(
                format!("{field}.metric"),
                format!(
                    "{:?} is not a metric column; the sweep computes {}",
                    t.metric,
                    columns.join(", ")
                ),
            )
        })?;
        crate::error::require_finite(&format!("{field}.level"), t.level)?;
        if let Some(a) = &t.along
            && a != last_name
        {
            return Err(InputError::new(
                format!("{field}.along"),
                format!(
                    "thresholds are located along the last axis ({last_name:?}); list {a:?} last in sweep.axes"
                ),
            ));
        }
        let numbers: Vec<f64> = last.values.iter().map(AxisValue::number).collect();
        if numbers.iter().any(|x| x.is_nan()) || numbers.len() < 2 {
            return Err(InputError::new(
                format!("{field}.along"),
                "thresholds need a numeric last axis with at least two values",
            ));
        }
        if !numbers.windows(2).all(|w| w[0] < w[1]) && !numbers.windows(2).all(|w| w[0] > w[1]) {
            return Err(InputError::new(
                format!("{field}.along"),
                "the last axis' values must be monotonic to locate thresholds",
            ));
        }
        let span = (numbers[numbers.len() - 1] - numbers[0]).abs();
        let precision = match t.precision {
            Some(p) => crate::error::require_positive(&format!("{field}.precision"), p)?,
            None => 1e-10 * span,
        };
        let mut offset = column;
        let mut source = None;
        for m in metrics {
            let width = metric_columns(std::slice::from_ref(m), features).len();
            if offset < width {
                source = Some((*m, offset));
                break;
            }
            offset -= width;
        }
        let source = source.ok_or_else(|| {
            InputError::new(
                format!("{field}.metric"),
                "internal: no metric produces this column",
            )
        })?;
        let criterion = format!("{} = {} along {last_name}", t.metric, t.level);
        Ok(Self {
            column,
            source,
            metric: t.metric.clone(),
            level: t.level,
            precision,
            label: t.label.clone().unwrap_or_else(|| criterion.clone()),
            criterion,
        })
    }
}

/// Outcome of locating a threshold on one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdStatus {
    /// Exactly one crossing on the grid, refined.
    Found,
    /// Several crossings: the first is refined, `crossings` counts them.
    Several,
    /// No crossing on the grid.
    NotFound,
    /// The refinement failed (a cell inside the bracket failed).
    Failed,
}

impl ThresholdStatus {
    /// Name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            ThresholdStatus::Found => "found",
            ThresholdStatus::Several => "several",
            ThresholdStatus::NotFound => "not_found",
            ThresholdStatus::Failed => "failed",
        }
    }
}

/// A threshold record: value, bracket, criterion, status, precision.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdRecord {
    /// Criterion ("ratio2 = 0.5 along s1").
    pub criterion: String,
    /// Status.
    pub status: ThresholdStatus,
    /// Located parameter value (NaN unless found).
    pub value: f64,
    /// Final bracket [lo, hi] (the grid bracket if refinement failed; NaN if none).
    pub bracket: [f64; 2],
    /// Width of the final bracket.
    pub precision: f64,
    /// Grid crossings seen on the line.
    pub crossings: usize,
    /// metric − level at the two bracket ends (opposite signs for a found threshold).
    pub sides: [f64; 2],
}

/// Locates threshold `t` on the line with outer indices `outer`, given its grid cells.
pub(super) fn locate(
    plan: &SweepPlan,
    outer: &[usize],
    t: &Threshold,
    cells: &[CellOutcome],
) -> ThresholdRecord {
    let axis = plan.axes.last().expect("axes checked non-empty");
    let xs: Vec<f64> = axis.values.iter().map(AxisValue::number).collect();
    // Valid grid points (cell succeeded, metric finite).
    let pts: Vec<(f64, f64)> = xs
        .iter()
        .zip(cells)
        .filter(|(_, c)| c.failure.is_none() && c.values[t.column].is_finite())
        .map(|(x, c)| (*x, c.values[t.column] - t.level))
        .collect();
    let mut brackets = Vec::new();
    for w in pts.windows(2) {
        let ((x0, g0), (x1, g1)) = (w[0], w[1]);
        if g0 == 0.0 {
            brackets.push((x0, x0, g0, g0));
        } else if g0.signum() != g1.signum() && g1 != 0.0 {
            brackets.push((x0, x1, g0, g1));
        }
    }
    if let Some(&(x, g)) = pts.last()
        && g == 0.0
    {
        brackets.push((x, x, g, g));
    }
    let crossings = brackets.len();
    let Some(&(lo, hi, glo, ghi)) = brackets.first() else {
        return ThresholdRecord {
            criterion: t.criterion.clone(),
            status: ThresholdStatus::NotFound,
            value: f64::NAN,
            bracket: [f64::NAN; 2],
            precision: f64::NAN,
            crossings: 0,
            sides: [f64::NAN; 2],
        };
    };
    let status = if crossings == 1 {
        ThresholdStatus::Found
    } else {
        ThresholdStatus::Several
    };
    if lo == hi {
        return ThresholdRecord {
            criterion: t.criterion.clone(),
            status,
            value: lo,
            bracket: [lo, hi],
            precision: 0.0,
            crossings,
            sides: [glo, ghi],
        };
    }
    let mut failed = false;
    let g = |x: f64| -> f64 {
        let (metric, offset) = t.source;
        let c = evaluate_cells(plan, outer, &[AxisValue::Number(x)], &[metric]);
        match c.first() {
            Some(c) if c.failure.is_none() && c.values[offset].is_finite() => {
                c.values[offset] - t.level
            }
            _ => f64::NAN,
        }
    };
    let refined = brent_root(
        |x| {
            let v = g(x);
            if v.is_nan() {
                failed = true;
            }
            v
        },
        lo,
        hi,
        t.precision,
        200,
    );
    match refined {
        Some((value, bracket)) if !failed => {
            let (a, b) = (bracket[0].min(bracket[1]), bracket[0].max(bracket[1]));
            let sides = if a == b { [0.0, 0.0] } else { [g(a), g(b)] };
            ThresholdRecord {
                criterion: t.criterion.clone(),
                status,
                value,
                bracket: [a, b],
                precision: b - a,
                crossings,
                sides,
            }
        }
        _ => ThresholdRecord {
            criterion: t.criterion.clone(),
            status: ThresholdStatus::Failed,
            value: f64::NAN,
            bracket: [lo.min(hi), lo.max(hi)],
            precision: (hi - lo).abs(),
            crossings,
            sides: [glo, ghi],
        },
    }
}
