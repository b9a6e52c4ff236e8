//! Metrics of one sweep cell, and the evaluation of a whole line of cells: equilibria warm-started
//! along the line, the uncoupled reference, trajectory metrics by the lane-batched DOP853 (toy)
//! or the general integrator, then thresholds.

use nalgebra::{DMatrix, DVector};

use super::metric::{Metric, Needs, metric_columns};
use super::threshold;
use super::threshold::{Threshold, ThresholdRecord};
use super::{AxisParameter, AxisValue, CellFailure, CellOutcome, LineResult, SweepPlan};
use crate::equilibrium::closed_form::{sd_margin, uncoupled_response};
use crate::equilibrium::{find_equilibrium, sensitivities};
use crate::error::InputError;
use crate::flow::{Space, build_flow};
use crate::model::{FeatureModel, LossModel, Regulariser};
use crate::numerics::brent_root;
use crate::solve::batch::{
    BatchSettings, DenseStep, LaneStatus, Observation, StepInfo, StepObserver, run_batch,
};
use crate::solve::{Direction, LevelCrossing, Method, Output, SolveOptions, integrate};
use crate::toy::{ToyLanes, ToyProblem, ToyRegulariser};

/// The two-feature toy in the fast path's terms.
#[derive(Debug, Clone, Copy)]
pub(super) struct ToyCell {
    s1: f64,
    s2: f64,
    delta: f64,
    lambda: f64,
    rate: f64,
    kind: ToyRegulariser,
}

/// A cell's system: the fast toy path or a general model.
#[derive(Debug, Clone)]
pub(super) enum CellSystem {
    Toy(ToyCell),
    General(Box<FeatureModel>),
}

/// Builds the system of a cell from the base model and the axis values: the values at indices
/// `idx` (one per axis), except on axis `along`, which takes `value`.
fn cell_system(
    plan: &SweepPlan,
    idx: &[usize],
    along: usize,
    value: &AxisValue,
) -> Result<CellSystem, String> {
    let values: Vec<(AxisParameter, &AxisValue)> = plan
        .axes
        .iter()
        .zip(idx)
        .enumerate()
        .map(|(k, (a, &i))| (a.parameter, if k == along { value } else { &a.values[i] }))
        .collect();
    if plan.settings.fast_toy_path
        && let Some(toy) = toy_cell_of_values(&plan.base, &values)
    {
        return Ok(CellSystem::Toy(toy));
    }
    let mut model = plan.base.clone();
    let err = |e: InputError| format!("{}: {}", e.field, e.message);
    // Categorical first, then numbers, then the ratio (it reads s₂).
    for (p, v) in &values {
        match (p, v) {
            (AxisParameter::Regulariser, AxisValue::Regulariser(r)) => {
                model = model.with_regulariser(r.clone()).map_err(err)?
            }
            (AxisParameter::Loss, AxisValue::Loss(l)) => model = model.with_loss(*l),
            _ => {}
        }
    }
    for (p, v) in &values {
        let x = v.number();
        match p {
            AxisParameter::Strength(j) => model = model.with_strength(*j, x).map_err(err)?,
            AxisParameter::Delta => model = model.with_toy_coupling(x).map_err(err)?,
            AxisParameter::Lambda => model = model.with_lambda(x).map_err(err)?,
            AxisParameter::Rate => model = model.with_rate(x).map_err(err)?,
            _ => {}
        }
    }
    for (p, v) in &values {
        if *p == AxisParameter::StrengthRatio {
            let s2 = model.feature_strengths()[1];
            model = model.with_strength(0, v.number() * s2).map_err(err)?;
        }
    }
    Ok(
        match toy_cell(&model).filter(|_| plan.settings.fast_toy_path) {
            Some(toy) => CellSystem::Toy(toy),
            None => CellSystem::General(Box::new(model)),
        },
    )
}

/// The toy cell of a sweep over the toy's numbers, without building the cell's model: what
/// building it and asking [`toy_cell`] gives, when every axis sets a number of the toy (s₁, s₂,
/// s₁/s₂, δ, λ, η) to a value the model accepts; `None` otherwise (the cell's model is then built
/// and checked as usual).
fn toy_cell_of_values(
    base: &FeatureModel,
    values: &[(AxisParameter, &AxisValue)],
) -> Option<ToyCell> {
    let mut cell = toy_cell(base)?;
    let mut ratio = None;
    for (p, v) in values {
        let x = match v {
            AxisValue::Number(x) => *x,
            _ => return None,
        };
        if !x.is_finite() {
            return None;
        }
        match p {
            AxisParameter::Strength(0) if x > 0.0 => cell.s1 = x,
            AxisParameter::Strength(1) if x > 0.0 => cell.s2 = x,
            AxisParameter::Delta if x.abs() < 1.0 => cell.delta = x,
            AxisParameter::Lambda if x > 0.0 => cell.lambda = x,
            AxisParameter::Rate if x > 0.0 => cell.rate = x,
            AxisParameter::StrengthRatio => ratio = Some(x),
            _ => return None,
        }
    }
    if let Some(r) = ratio {
        let s1 = r * cell.s2;
        if !(s1 > 0.0 && s1.is_finite()) {
            return None;
        }
        cell.s1 = s1;
    }
    Some(cell)
}

/// The toy cell of `model` when the fast path applies: the model was built as the toy (M17,
/// [`FeatureModel::toy_delta`]), with labels (+1, +1), the exact loss and L2 or uniform SD with
/// λ > 0.
fn toy_cell(model: &FeatureModel) -> Option<ToyCell> {
    let delta = model.toy_delta()?;
    if model.labels() != [1.0, 1.0] || model.loss() != LossModel::Exact {
        return None;
    }
    let (kind, lambda) = match model.regulariser() {
        Regulariser::L2 { lambda } if *lambda > 0.0 => (ToyRegulariser::L2, *lambda),
        Regulariser::SpectralDecoupling(sd) if sd.is_uniform() && sd.lambda_positive > 0.0 => {
            (ToyRegulariser::Sd, sd.lambda_positive)
        }
        _ => return None,
    };
    Some(ToyCell {
        s1: model.feature_strengths()[0],
        s2: model.feature_strengths()[1],
        delta,
        lambda,
        rate: model.rate(),
        kind,
    })
}

/// Whether the cells of `model` take the toy's fast paths (2 × 2 Newton, lane-batched DOP853)
/// in a sweep that allows them.
pub fn takes_toy_fast_path(model: &FeatureModel) -> bool {
    toy_cell(model).is_some()
}

/// What the equilibrium stage found in one cell.
#[derive(Debug, Clone, Default)]
pub(super) struct EquilibriumData {
    /// z*.
    pub z: Vec<f64>,
    /// The starvation matrix, when asked for.
    pub matrix: Option<DMatrix<f64>>,
    /// Real parts of the eigenvalues (with the rate η), ascending.
    pub eigen_re: Vec<f64>,
    /// Largest modulus of the eigenvalues.
    pub eigen_abs_max: f64,
    /// The uncoupled reference z⁰, when asked for.
    pub uncoupled: Option<Vec<f64>>,
}

fn toy_problem(c: &ToyCell) -> ToyProblem {
    ToyProblem {
        s1_squared: c.s1 * c.s1,
        s2_squared: c.s2 * c.s2,
        delta: c.delta,
        lambda: c.lambda,
        regulariser: c.kind,
    }
}

/// Remembers the last uncoupled responses computed on a line: along a line usually only one
/// strength changes, so the other feature's z⁰ is reused.
#[derive(Default)]
struct UncoupledCache {
    entries: Vec<((u64, u64), f64)>,
}

impl UncoupledCache {
    fn get(&mut self, s_squared: f64, lambda: f64) -> f64 {
        let key = (s_squared.to_bits(), lambda.to_bits());
        if let Some(&(_, v)) = self.entries.iter().find(|(k, _)| *k == key) {
            return v;
        }
        let v = uncoupled_response(s_squared, lambda, LossModel::Exact);
        if self.entries.len() >= 4 {
            self.entries.remove(0);
        }
        self.entries.push((key, v));
        v
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
            let eigen_re = vec![c.rate * sol.eigenvalues[0], c.rate * sol.eigenvalues[1]];
            let starvation = sol.starvation.concat();
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
            let matrix = need_matrix.then(|| {
                DMatrix::from_row_slice(
                    2,
                    2,
                    &[
                        sol.starvation[0][0],
                        sol.starvation[0][1],
                        sol.starvation[1][0],
                        sol.starvation[1][1],
                    ],
                )
            });
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
                eigen_re,
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

/// Unconstrained max-margin multipliers K⁻¹1, K = U S² Uᵀ (label-signed features).
pub(super) fn max_margin_multipliers(system: &CellSystem) -> Result<Vec<f64>, String> {
    let model;
    let m: &FeatureModel = match system {
        CellSystem::General(m) => m,
        CellSystem::Toy(c) => {
            model =
                FeatureModel::two_feature_toy(c.s1, c.s2, c.delta).map_err(|e| e.to_string())?;
            &model
        }
    };
    let u = m.coupling();
    let mut us2 = u.clone();
    for (j, s2) in m.squared_strengths().iter().enumerate() {
        us2.column_mut(j).scale_mut(*s2);
    }
    let k = &us2 * u.transpose();
    let one = DVector::from_element(k.nrows(), 1.0);
    k.lu()
        .solve(&one)
        .map(|v| v.iter().copied().collect())
        .ok_or_else(|| "K = U S² Uᵀ is singular".to_string())
}

/// Trajectory requests for one metric over the cells of a line.
struct LevelWatch {
    feature: usize,
    levels: Vec<f64>,
    rising: Vec<bool>,
    times: Vec<f64>,
}

impl StepObserver<2> for LevelWatch {
    fn step(&mut self, info: &StepInfo<2>) -> Observation {
        let p = info.problem;
        let j = self.feature;
        let (a, b, level) = (info.y0[j], info.y1[j], self.levels[p]);
        let crossed = if self.rising[p] {
            a < level && b >= level
        } else {
            a > level && b <= level
        };
        if crossed {
            Observation::NeedDense
        } else {
            Observation::Continue
        }
    }

    fn dense(&mut self, info: &StepInfo<2>, dense: &DenseStep<2>) -> Observation {
        let p = info.problem;
        let (j, level) = (self.feature, self.levels[p]);
        let g = |t: f64| dense.at(t)[j] - level;
        let xtol = 1e-12 * info.t1.abs().max(1e-300);
        self.times[p] = brent_root(g, info.t0, info.t1, xtol, 200)
            .map(|r| r.0)
            .unwrap_or(info.t1);
        Observation::Stop
    }
}

struct MaxWatch {
    feature: usize,
    maxima: Vec<f64>,
    rtol: f64,
    atol: f64,
}

impl StepObserver<2> for MaxWatch {
    fn step(&mut self, info: &StepInfo<2>) -> Observation {
        let (p, j) = (info.problem, self.feature);
        self.maxima[p] = self.maxima[p].max(info.y0[j]).max(info.y1[j]);
        // An interior maximum: the derivative changes sign from + to − within the step, by more
        // than the tolerance allows over the step. Near the equilibrium, where steps are long
        // and f is noise, the interpolant is less accurate than the step ends: leave it alone.
        let h = info.t1 - info.t0;
        let weight = self.atol + self.rtol * info.y1[j].abs();
        if info.f0[j] * h > weight && info.f1[j] * h < -weight {
            Observation::NeedDense
        } else {
            Observation::Continue
        }
    }

    fn dense(&mut self, info: &StepInfo<2>, dense: &DenseStep<2>) -> Observation {
        // Golden-section search for the maximum of the 7th-order interpolant on the step.
        let (p, j) = (info.problem, self.feature);
        let phi = 0.5 * (5f64.sqrt() - 1.0);
        let (mut a, mut b) = (info.t0, info.t1);
        let mut c = b - phi * (b - a);
        let mut d = a + phi * (b - a);
        let f = |t: f64| dense.at(t)[j];
        let (mut fc, mut fd) = (f(c), f(d));
        for _ in 0..80 {
            if fc > fd {
                b = d;
                d = c;
                fd = fc;
                c = b - phi * (b - a);
                fc = f(c);
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + phi * (b - a);
                fd = f(d);
            }
        }
        self.maxima[p] = self.maxima[p].max(fc.max(fd));
        Observation::Continue
    }
}

/// Runs the toy trajectories of `cells` (index into the line, cell) from z = 0 to each cell's
/// end time with the batch kernel and an observer; returns (end states, statuses).
fn toy_trajectories<O: StepObserver<2>>(
    plan: &SweepPlan,
    cells: &[(usize, ToyCell, f64)],
    observer: &mut O,
) -> Vec<Option<[f64; 2]>> {
    const LANES: usize = crate::toy::LANES;
    let settings = BatchSettings {
        rtol: plan.settings.rtol,
        atol: plan.settings.atol,
        max_steps: 1_000_000,
    };
    let mut out = vec![None; cells.len()];
    // Lanes of one kind per run; a line may mix L2 and SD only through a regulariser axis on
    // the line itself, so split by kind.
    for kind in [ToyRegulariser::L2, ToyRegulariser::Sd] {
        let idx: Vec<usize> = (0..cells.len())
            .filter(|&i| cells[i].1.kind == kind)
            .collect();
        if idx.is_empty() {
            continue;
        }
        let mut field = ToyLanes::<LANES>::new(kind, 1.0);
        struct Remap<'a, O> {
            idx: &'a [usize],
            inner: &'a mut O,
        }
        impl<O: StepObserver<2>> StepObserver<2> for Remap<'_, O> {
            fn step(&mut self, info: &StepInfo<2>) -> Observation {
                let info = StepInfo {
                    problem: self.idx[info.problem],
                    ..*info
                };
                self.inner.step(&info)
            }
            fn dense(&mut self, info: &StepInfo<2>, d: &DenseStep<2>) -> Observation {
                let info = StepInfo {
                    problem: self.idx[info.problem],
                    ..*info
                };
                self.inner.dense(&info, d)
            }
        }
        let mut remap = Remap {
            idx: &idx,
            inner: observer,
        };
        run_batch(
            &mut field,
            &settings,
            idx.len(),
            |p, lane, f: &mut ToyLanes<LANES>| {
                let (_, c, t_end) = cells[idx[p]];
                // The rate only rescales time: integrate the η = 1 flow to η·t_end.
                f.set(lane, c.s1, c.s2, c.delta, c.lambda);
                ([0.0, 0.0], c.rate * t_end)
            },
            &mut remap,
            |p, outcome| {
                if matches!(outcome.status, LaneStatus::Finished | LaneStatus::Stopped) {
                    out[idx[p]] = Some(outcome.y);
                }
            },
        );
    }
    out
}

/// General-path trajectory of a model from z = 0 to `t_end` with optional level crossing.
fn general_trajectory(
    plan: &SweepPlan,
    model: &FeatureModel,
    t_end: f64,
    crossing: Option<LevelCrossing>,
    steps: bool,
) -> Result<crate::solve::Trajectory, String> {
    let field = build_flow(model, Space::Responses).map_err(|e| e.to_string())?;
    let mut o = SolveOptions::until(t_end)
        .tolerances(plan.settings.rtol, plan.settings.atol)
        .output(if steps {
            Output::Steps
        } else {
            Output::Count(2)
        });
    o.max_steps = 2_000_000;
    o.events.level_crossings.extend(crossing);
    integrate(field.as_ref(), &vec![0.0; field.dim()], Method::Auto, &o).map_err(|e| e.to_string())
}

/// max_t z_j(t) of a trajectory recorded at every accepted step: the largest record, refined
/// (when it is interior) by golden-section search over the two steps around it, each trial
/// point integrated afresh from the record before them.
fn refined_maximum(
    plan: &SweepPlan,
    model: &FeatureModel,
    tr: &crate::solve::Trajectory,
    j: usize,
) -> Result<f64, String> {
    let (k, best) =
        tr.responses
            .iter()
            .map(|z| z[j])
            .enumerate()
            .fold(
                (0, f64::NEG_INFINITY),
                |b, (i, v)| if v > b.1 { (i, v) } else { b },
            );
    if k == 0 || k + 1 >= tr.times.len() {
        return Ok(best);
    }
    let field = build_flow(model, Space::Responses).map_err(|e| e.to_string())?;
    let (t0, y0) = (tr.times[k - 1], &tr.states[k - 1]);
    let value_at = |t: f64| -> Result<f64, String> {
        if t <= t0 {
            return Ok(tr.responses[k - 1][j]);
        }
        let mut o = SolveOptions::until(t)
            .tolerances(plan.settings.rtol, plan.settings.atol)
            .output(Output::Count(2));
        o.t_start = t0;
        let seg = integrate(field.as_ref(), y0, Method::Auto, &o).map_err(|e| e.to_string())?;
        Ok(seg.final_responses()[j])
    };
    let phi = 0.5 * (5f64.sqrt() - 1.0);
    let (mut a, mut b) = (t0, tr.times[k + 1]);
    let mut c = b - phi * (b - a);
    let mut d = a + phi * (b - a);
    let (mut fc, mut fd) = (value_at(c)?, value_at(d)?);
    while b - a > 1e-9 * b.abs().max(1.0) {
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - phi * (b - a);
            fc = value_at(c)?;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + phi * (b - a);
            fd = value_at(d)?;
        }
    }
    Ok(best.max(fc).max(fd))
}

fn default_horizon(eq: &EquilibriumData, given: Option<f64>) -> f64 {
    given.unwrap_or_else(|| {
        let slowest = eq
            .eigen_re
            .iter()
            .fold(f64::INFINITY, |m, e| m.min(e.abs()));
        40.0 / slowest
    })
}

/// Evaluates every cell of `line` and its thresholds along the last axis.
pub fn evaluate_line(plan: &SweepPlan, line: usize) -> LineResult {
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
pub fn evaluate_axis_threshold(plan: &SweepPlan, t: usize, line: usize) -> Vec<ThresholdRecord> {
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
    let mut warm: Option<Vec<f64>> = None;
    let mut cache = UncoupledCache::default();
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
            match equilibrium_of(
                plan,
                sys,
                warm.as_deref(),
                need_matrix,
                need_uncoupled,
                &mut cache,
            ) {
                Ok(e) => {
                    warm = Some(e.z.clone());
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

/// The cells of one line as the metrics see them: each cell's system (None where the cell
/// failed) and equilibrium data (None where not computed or failed).
pub(super) struct LineCells<'a> {
    pub plan: &'a SweepPlan,
    /// k.
    pub features: usize,
    pub systems: Vec<Option<CellSystem>>,
    pub equilibria: Vec<Option<EquilibriumData>>,
    /// Per cell: the step and momentum set by `step` / `momentum` axes (None without the axis).
    pub map_parameters: Vec<(Option<f64>, Option<f64>)>,
}

/// What a map metric asks of each cell's optimiser map.
#[derive(Clone, Copy)]
pub(super) enum MapQuestion {
    /// The period of the attractor.
    Period(crate::equilibrium::orbit::OrbitSettings),
    /// The largest Lyapunov exponent.
    Lyapunov { transient: usize, iterations: usize },
}

/// The general model of a cell (the toy's fast form rebuilt as a model).
pub(super) fn model_of(system: &CellSystem) -> Result<FeatureModel, String> {
    match system {
        CellSystem::General(m) => Ok(m.as_ref().clone()),
        CellSystem::Toy(c) => {
            let regulariser = match c.kind {
                ToyRegulariser::L2 => Regulariser::L2 { lambda: c.lambda },
                ToyRegulariser::Sd => Regulariser::SpectralDecoupling(
                    crate::model::SpectralDecoupling::uniform(c.lambda),
                ),
            };
            FeatureModel::two_feature_toy(c.s1, c.s2, c.delta)
                .and_then(|m| m.with_regulariser(regulariser))
                .and_then(|m| m.with_rate(c.rate))
                .map_err(|e| e.to_string())
        }
    }
}

/// Per cell: the map metric's value, Err(Some(reason)) (diverged) or Err(None) (cell already
/// failed). The cell's step and momentum come from the axes, else from the metric.
pub(super) fn map_metric(
    line: &LineCells,
    method: super::MapMethod,
    (step, momentum): (Option<f64>, Option<f64>),
    start: super::metric::MapStart,
    question: MapQuestion,
) -> Vec<Result<f64, Option<String>>> {
    use crate::equilibrium::orbit::{OrbitClass, classify_orbit, lyapunov_exponent};
    let mut out: Vec<Result<f64, Option<String>>> = vec![Err(None); line.systems.len()];
    let mut toy_cells = Vec::new();
    for (i, s) in line.systems.iter().enumerate() {
        let Some(system) = s else { continue };
        let (axis_step, axis_momentum) = line.map_parameters[i];
        let h = axis_step.or(step).unwrap_or(f64::NAN);
        let mu = axis_momentum.or(momentum).unwrap_or(0.0);
        let map = method.map(h, mu);
        let z_star = line.equilibria[i].as_ref().map(|e| e.z.as_slice());
        let Some(x0) = start.point(z_star, line.features) else {
            continue;
        };
        if let (CellSystem::Toy(c), MapQuestion::Period(_)) = (system, question) {
            toy_cells.push((i, *c, map, [x0[0], x0[1]]));
            continue;
        }
        let field = match model_of(system)
            .and_then(|m| build_flow(&m, Space::Responses).map_err(|e| e.to_string()))
        {
            Ok(f) => f,
            Err(e) => {
                out[i] = Err(Some(e));
                continue;
            }
        };
        out[i] = match question {
            MapQuestion::Period(settings) => {
                match classify_orbit(field.as_ref(), &map, &x0, &settings) {
                    OrbitClass::Diverged(k) => {
                        Err(Some(format!("the map diverged at iteration {k}")))
                    }
                    c => Ok(c.period_value().unwrap_or(f64::NAN)),
                }
            }
            MapQuestion::Lyapunov {
                transient,
                iterations,
            } => lyapunov_exponent(field.as_ref(), &map, &x0, transient, iterations).map_err(Some),
        };
    }
    // Toy cells of the period metric: in the vector lanes, one batch per regulariser.
    if let MapQuestion::Period(settings) = question {
        for kind in [ToyRegulariser::L2, ToyRegulariser::Sd] {
            let batch: Vec<(usize, crate::toy::maps::ToyMapCell)> = toy_cells
                .iter()
                .filter(|(_, c, _, _)| c.kind == kind)
                .map(|&(i, c, map, start)| {
                    (
                        i,
                        crate::toy::maps::ToyMapCell {
                            problem: toy_problem(&c),
                            rate: c.rate,
                            map,
                            start,
                        },
                    )
                })
                .collect();
            let cells: Vec<_> = batch.iter().map(|(_, c)| *c).collect();
            let classes = crate::toy::maps::toy_orbits_lanes(&cells, kind, &settings);
            for ((i, _), class) in batch.iter().zip(classes) {
                out[*i] = match class {
                    OrbitClass::Diverged(k) => {
                        Err(Some(format!("the map diverged at iteration {k}")))
                    }
                    c => Ok(c.period_value().unwrap_or(f64::NAN)),
                };
            }
        }
    }
    out
}

/// A trajectory metric's request.
#[derive(Clone, Copy)]
pub(super) enum TrajectoryKind {
    End {
        time: f64,
    },
    Level {
        feature: usize,
        fraction: f64,
        horizon: Option<f64>,
    },
    Max {
        feature: usize,
        horizon: Option<f64>,
    },
}

/// Per cell: Ok(values) or Err(Some(reason)) (failure) or Err(None) (cell already failed).
pub(super) fn trajectory_metric(
    line: &LineCells,
    kind: TrajectoryKind,
) -> Vec<Result<Vec<f64>, Option<String>>> {
    let (plan, systems, equilibria) = (line.plan, &line.systems, &line.equilibria);
    let mut out: Vec<Result<Vec<f64>, Option<String>>> = vec![Err(None); systems.len()];
    let t_end_of = |i: usize| -> Option<f64> {
        match kind {
            TrajectoryKind::End { time } => Some(time),
            TrajectoryKind::Level { horizon, .. } | TrajectoryKind::Max { horizon, .. } => {
                equilibria[i].as_ref().map(|e| default_horizon(e, horizon))
            }
        }
    };
    // Fast path: toy cells through the batch kernel.
    let toy: Vec<(usize, ToyCell, f64)> = systems
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match (s, t_end_of(i)) {
            (Some(CellSystem::Toy(c)), Some(t)) => Some((i, *c, t)),
            _ => None,
        })
        .collect();
    if !toy.is_empty() {
        let n = systems.len();
        match kind {
            TrajectoryKind::End { .. } => {
                let ends = toy_trajectories(plan, &toy, &mut crate::solve::batch::NoObserver);
                for (&(i, _, _), e) in toy.iter().zip(ends) {
                    out[i] = e
                        .map(|y| y.to_vec())
                        .ok_or_else(|| Some("integration failed".to_string()));
                }
            }
            TrajectoryKind::Level {
                feature, fraction, ..
            } => {
                let mut watch = LevelWatch {
                    feature,
                    levels: vec![0.0; n],
                    rising: vec![true; n],
                    times: vec![f64::NAN; n],
                };
                let mut remapped = Vec::new();
                for (pos, &(i, c, t)) in toy.iter().enumerate() {
                    let target = equilibria[i]
                        .as_ref()
                        .map(|e| e.z[feature])
                        .unwrap_or(f64::NAN);
                    watch.levels[pos] = fraction * target;
                    watch.rising[pos] = target >= 0.0;
                    remapped.push((pos, c, t));
                }
                let ends = toy_trajectories(plan, &remapped, &mut watch);
                for (pos, &(i, c, _)) in toy.iter().enumerate() {
                    out[i] = match ends[pos] {
                        Some(_) => Ok(vec![watch.times[pos] / c.rate]),
                        None => Err(Some("integration failed".into())),
                    };
                }
            }
            TrajectoryKind::Max { feature, .. } => {
                let mut remapped = Vec::new();
                for (pos, &(_, c, t)) in toy.iter().enumerate() {
                    remapped.push((pos, c, t));
                }
                let mut watch = MaxWatch {
                    feature,
                    maxima: vec![f64::NEG_INFINITY; n],
                    rtol: plan.settings.rtol,
                    atol: plan.settings.atol,
                };
                let ends = toy_trajectories(plan, &remapped, &mut watch);
                for (pos, &(i, _, _)) in toy.iter().enumerate() {
                    out[i] = match ends[pos] {
                        Some(_) => Ok(vec![watch.maxima[pos]]),
                        None => Err(Some("integration failed".into())),
                    };
                }
            }
        }
    }
    // General path, cell by cell.
    for (i, s) in systems.iter().enumerate() {
        let (Some(CellSystem::General(model)), Some(t_end)) = (s, t_end_of(i)) else {
            continue;
        };
        out[i] = match kind {
            TrajectoryKind::End { .. } => general_trajectory(plan, model, t_end, None, false)
                .map(|tr| tr.final_responses().to_vec())
                .map_err(Some),
            TrajectoryKind::Level {
                feature, fraction, ..
            } => {
                let target = equilibria[i]
                    .as_ref()
                    .map(|e| e.z[feature])
                    .unwrap_or(f64::NAN);
                let lc = LevelCrossing {
                    feature,
                    level: fraction * target,
                    direction: if target >= 0.0 {
                        Direction::Up
                    } else {
                        Direction::Down
                    },
                    terminal: true,
                };
                general_trajectory(plan, model, t_end, Some(lc), false)
                    .map(|tr| vec![tr.events.first().map(|e| e.time).unwrap_or(f64::NAN)])
                    .map_err(Some)
            }
            TrajectoryKind::Max { feature, .. } => {
                general_trajectory(plan, model, t_end, None, true)
                    .and_then(|tr| refined_maximum(plan, model, &tr, feature))
                    .map(|m| vec![m])
                    .map_err(Some)
            }
        };
    }
    out
}
