//! Thresholds along an axis: where a metric column crosses a level. Scan the grid for sign
//! changes of (metric − level), bracket the first, refine it by Brent's method on the continuous
//! parameter (each evaluation is a fresh cell at that value), and report a record.

use serde::{Deserialize, Serialize};

use super::CellOutcome;
use super::metric::Metric;
use crate::numerics::brent_root;
use crate::numerics::exact_f64;

/// A validated threshold.
#[derive(Debug, Clone)]
pub struct Threshold {
    /// The axis it is located along (index into the plan's axes).
    pub axis: usize,
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

/// Outcome of locating a threshold on one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    /// Found or several (a value was located).
    pub fn is_found(self) -> bool {
        matches!(self, ThresholdStatus::Found | ThresholdStatus::Several)
    }

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdRecord {
    /// Criterion ("ratio2 = 0.5 along s1").
    pub criterion: String,
    /// Status.
    pub status: ThresholdStatus,
    /// Located parameter value (NaN unless found).
    #[serde(with = "exact_f64")]
    pub value: f64,
    /// Final bracket [lo, hi] (the grid bracket if refinement failed; NaN if none).
    #[serde(with = "exact_f64::pair")]
    pub bracket: [f64; 2],
    /// Width of the final bracket.
    #[serde(with = "exact_f64")]
    pub precision: f64,
    /// Grid crossings seen on the line.
    pub crossings: usize,
    /// metric − level at the two bracket ends (opposite signs for a found threshold).
    #[serde(with = "exact_f64::pair")]
    pub sides: [f64; 2],
}

/// Locates threshold `t` on one line along its axis: `xs` are the axis' values, `cells` the
/// line's cells, and `metric_at(x)` evaluates the threshold's metric column at any axis value
/// (NaN on failure) for the refinement. A line without a single valid value (every cell failed,
/// or the metric is undefined in every cell) gives `Failed`; one without a crossing among its
/// valid values gives `NotFound`.
pub fn locate(
    xs: &[f64],
    cells: &[CellOutcome],
    t: &Threshold,
    metric_at: &dyn Fn(f64) -> f64,
) -> ThresholdRecord {
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
            status: if pts.is_empty() && !cells.is_empty() {
                ThresholdStatus::Failed
            } else {
                ThresholdStatus::NotFound
            },
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
    let g = |x: f64| -> f64 { metric_at(x) - t.level };
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
