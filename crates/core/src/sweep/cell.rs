//! The evaluation of a line of sweep cells: each cell's system, equilibria warm-started along
//! the line with the uncoupled reference, then the metrics' columns and the thresholds.

use nalgebra::DMatrix;

use super::metric::{Metric, Needs, metric_columns};
use super::system::{CellSystem, EquilibriumData, LineCells, cell_system, toy_problem};
use super::threshold;
use super::threshold::{Threshold, ThresholdRecord};
use super::{AxisParameter, AxisValue, CellFailure, CellOutcome, LineResult, SweepPlan};
use crate::equilibrium::closed_form::{sd_margin, uncoupled_response};
use crate::equilibrium::{find_equilibrium, sensitivities};
use crate::model::LossModel;
use crate::toy::ToyRegulariser;

/// The uncoupled responses z⁰(s², λ) computed by this thread, remembered: along a line usually
/// only one strength changes, and the lines of a grid meet the same strengths again. Values of a
/// pure function, so no result depends on what is cached.
struct UncoupledCache;

/// Entries kept per thread before the cache starts afresh.
const UNCOUPLED_CACHE_ENTRIES: usize = 1 << 16;

thread_local! {
    static UNCOUPLED: std::cell::RefCell<std::collections::HashMap<(u64, u64), f64>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

impl UncoupledCache {
    fn get(&mut self, s_squared: f64, lambda: f64) -> f64 {
        let key = (s_squared.to_bits(), lambda.to_bits());
        UNCOUPLED.with_borrow_mut(|cache| {
            if let Some(&v) = cache.get(&key) {
                return v;
            }
            let v = uncoupled_response(s_squared, lambda, LossModel::Exact);
            if cache.len() >= UNCOUPLED_CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, v);
            v
        })
    }
}

/// Equilibrium (+ matrix, eigenvalues, uncoupled reference as needed) of one cell.
fn equilibrium_of(
    plan: &SweepPlan,
    system: &CellSystem,
    start: Option<&[f64]>,
    need_matrix: bool,
    need_uncoupled: bool,
    cache: &mut UncoupledCache,
) -> Result<EquilibriumData, String> {
    let opts = &plan.settings.equilibrium;
    match system {
        CellSystem::Toy(c) => {
            let p = toy_problem(c);
            let warm = start.filter(|s| s.len() == 2).map(|s| [s[0], s[1]]);
            let mut sol = p.solve(
                warm.unwrap_or_else(|| p.cold_start()),
                opts.tolerance,
                opts.max_iterations as u32,
            );
            if !sol.converged && warm.is_some() {
                sol = p.solve(p.cold_start(), opts.tolerance, opts.max_iterations as u32);
            }
            let eigen_re = [c.rate * sol.eigenvalues[0], c.rate * sol.eigenvalues[1]];
            let starvation = [
                sol.starvation[0][0],
                sol.starvation[0][1],
                sol.starvation[1][0],
                sol.starvation[1][1],
            ];
            crate::equilibrium::verdict(
                &sol.z,
                sol.residual,
                sol.iterations as usize,
                opts.tolerance,
                &[
                    ("the eigenvalues", &eigen_re),
                    ("the starvation matrix", &starvation),
                ],
            )
            .map_err(|e| e.to_string())?;
            let eigen_abs_max = eigen_re.iter().fold(0.0f64, |m, e| m.max(e.abs()));
            let matrix = need_matrix.then(|| DMatrix::from_row_slice(2, 2, &starvation));
            let uncoupled = need_uncoupled.then(|| match c.kind {
                ToyRegulariser::L2 => vec![
                    cache.get(c.s1 * c.s1, c.lambda),
                    cache.get(c.s2 * c.s2, c.lambda),
                ],
                ToyRegulariser::Sd => vec![sd_margin(c.lambda); 2],
            });
            Ok(EquilibriumData {
                z: sol.z.to_vec(),
                matrix,
                eigen_re: eigen_re.to_vec(),
                eigen_abs_max,
                uncoupled,
            })
        }
        CellSystem::General(model) => {
            let eq = find_equilibrium(model, start, opts).map_err(|e| e.to_string())?;
            let matrix = if need_matrix {
                let m = sensitivities(model, &eq)
                    .map_err(|e| e.to_string())?
                    .starvation_matrix;
                crate::equilibrium::require_finite("the starvation matrix", m.as_slice())
                    .map_err(|e| e.to_string())?;
                Some(m)
            } else {
                None
            };
            let uncoupled = if need_uncoupled {
                let u = find_equilibrium(&model.as_ref().clone().uncoupled(), None, opts)
                    .map_err(|e| format!("uncoupled reference: {e}"))?;
                Some(u.point)
            } else {
                None
            };
            Ok(EquilibriumData {
                z: eq.point.clone(),
                matrix,
                eigen_re: eq.eigenvalues.iter().map(|e| e.0).collect(),
                eigen_abs_max: eq
                    .eigenvalues
                    .iter()
                    .fold(0.0f64, |m, e| m.max(e.0.hypot(e.1))),
                uncoupled,
            })
        }
    }
}

/// Evaluates every cell of `line` and its thresholds along the last axis.
pub(crate) fn evaluate_line(plan: &SweepPlan, line: usize) -> LineResult {
    let last = plan.axes.len() - 1;
    let mut idx = plan.line_indices(line);
    idx.push(0);
    let values = &plan.axes[last].values;
    let cells = evaluate_cells(plan, &idx, last, values, &plan.metrics);
    let thresholds = plan
        .line_thresholds()
        .map(|t| locate_along(plan, &idx, t, &cells))
        .collect();
    debug_assert_eq!(cells.len(), values.len());
    LineResult {
        line,
        cells,
        thresholds,
    }
}

/// Locates threshold `t` (index into the plan's thresholds, along another axis than the last)
/// on line `line` of its axis: the threshold's metric is evaluated in the cells along the axis
/// (warm-started in order), every crossing bracketed and refined as on the last axis.
pub(crate) fn evaluate_axis_threshold(
    plan: &SweepPlan,
    t: usize,
    line: usize,
) -> Vec<ThresholdRecord> {
    let t = &plan.thresholds[t];
    let idx = plan.line_indices_along(t.axis, line);
    let cells = evaluate_cells(
        plan,
        &idx,
        t.axis,
        &plan.axes[t.axis].values,
        std::slice::from_ref(&t.source.0),
    );
    let t = Threshold {
        column: t.source.1,
        ..t.clone()
    };
    locate_along(plan, &idx, &t, &cells)
}

/// Locates `t` along its axis through the cell indices `idx`, given the cells on that line
/// (`t.column` indexes their values); refinement evaluates `t`'s metric alone off the grid.
fn locate_along(
    plan: &SweepPlan,
    idx: &[usize],
    t: &Threshold,
    cells: &[CellOutcome],
) -> Vec<ThresholdRecord> {
    let (metric, offset) = t.source;
    let xs: Vec<f64> = plan.axes[t.axis]
        .values
        .iter()
        .map(AxisValue::number)
        .collect();
    let metric_at = |x: f64| -> f64 {
        let c = evaluate_cells(plan, idx, t.axis, &[AxisValue::Number(x)], &[metric]);
        match c.first() {
            Some(c) if c.failure.is_none() && c.values[offset].is_finite() => c.values[offset],
            _ => f64::NAN,
        }
    };
    threshold::locate(&xs, cells, t, &metric_at)
}

/// Evaluates `metrics` (their columns, in order) in the cells of one line through the cell
/// indices `idx` along axis `along`, at the given values of that axis (warm-started in order).
fn evaluate_cells(
    plan: &SweepPlan,
    idx: &[usize],
    along: usize,
    values: &[AxisValue],
    metrics: &[Metric],
) -> Vec<CellOutcome> {
    let k = plan.base.features();
    let width = metric_columns(metrics, k).len();
    let needs = metrics
        .iter()
        .fold(Needs::default(), |n, m| n.or(m.needs()));
    let (need_eq, need_matrix, need_uncoupled) = (needs.equilibrium, needs.matrix, needs.uncoupled);
    let mut outcomes: Vec<CellOutcome> = Vec::with_capacity(values.len());
    let mut systems: Vec<Option<CellSystem>> = Vec::with_capacity(values.len());
    let mut equilibria: Vec<Option<EquilibriumData>> = Vec::with_capacity(values.len());
    // The cell whose equilibrium warm-starts the next one.
    let mut warm: Option<usize> = None;
    let mut cache = UncoupledCache;
    let mut map_parameters = Vec::with_capacity(values.len());
    // The value an axis takes in the cell with value `v` on axis `along`.
    let value_on = |axis: Option<usize>, v: &AxisValue| {
        axis.map(|a| {
            if a == along {
                v.number()
            } else {
                plan.axes[a].values[idx[a]].number()
            }
        })
    };
    for v in values {
        let mut outcome = CellOutcome {
            values: vec![f64::NAN; width],
            failure: None,
        };
        let system = match cell_system(plan, idx, along, v) {
            Ok(s) => Some(s),
            Err(e) => {
                outcome.failure = Some(CellFailure::Model(e));
                None
            }
        };
        let mut eq = None;
        if let (Some(sys), true) = (&system, need_eq) {
            let start = warm
                .and_then(|i| equilibria[i].as_ref())
                .map(|e: &EquilibriumData| e.z.as_slice());
            match equilibrium_of(plan, sys, start, need_matrix, need_uncoupled, &mut cache) {
                Ok(e) => {
                    warm = Some(equilibria.len());
                    eq = Some(e);
                }
                Err(e) => outcome.failure = Some(CellFailure::Equilibrium(e)),
            }
        }
        map_parameters.push((
            value_on(plan.axis_of(AxisParameter::Step), v),
            value_on(plan.axis_of(AxisParameter::Momentum), v),
        ));
        outcomes.push(outcome);
        systems.push(if outcomes.last().is_some_and(|o| o.failure.is_none()) {
            system
        } else {
            None
        });
        equilibria.push(eq);
    }
    // Fill the metric columns.
    let line = LineCells {
        plan,
        features: k,
        systems,
        equilibria,
        map_parameters,
    };
    let mut col = 0;
    for metric in metrics {
        metric.evaluate(&line, col, &mut outcomes);
        col += metric.columns(k).len();
    }
    outcomes
}
