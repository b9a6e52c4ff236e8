//! Measurements of the cells of one line that metrics ask for: the max-margin multipliers, the
//! optimiser map's period and Lyapunov exponent, and trajectory metrics by the lane-batched
//! DOP853 (toy) or the general integrator.

use nalgebra::DVector;
use serde::Deserialize;

use super::SweepPlan;
use super::system::{CellSystem, EquilibriumData, LineCells, ToyCell, model_of, toy_problem};
use crate::flow::{Space, build_flow};
use crate::model::FeatureModel;
use crate::numerics::brent_root;
use crate::solve::batch::{
    BatchSettings, DenseStep, LaneStatus, Observation, StepInfo, StepObserver, run_batch,
};
use crate::solve::{Direction, LevelCrossing, Method, Output, SolveOptions, integrate};
use crate::toy::{ToyLanes, ToyRegulariser};

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

/// Where a map metric starts the map (velocity 0 either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MapStart {
    /// z = 0: the training map from initialisation, which may settle on another attractor
    /// than the fixed point even where the fixed point is stable.
    #[default]
    Zero,
    /// z* + 10⁻⁶ (1 + |z*|) componentwise (alternating signs): the local dynamics of the fixed
    /// point, whose flip is the eigenvalue prediction h* (docs/theory.md §8).
    Equilibrium,
}

impl MapStart {
    /// The start next to `z_star` (for [`MapStart::Equilibrium`]) or 0.
    pub fn point(self, z_star: Option<&[f64]>, dim: usize) -> Option<Vec<f64>> {
        match self {
            MapStart::Zero => Some(vec![0.0; dim]),
            MapStart::Equilibrium => z_star.map(|z| {
                z.iter()
                    .enumerate()
                    .map(|(j, v)| {
                        let sign = if j % 2 == 0 { 1.0 } else { -1.0 };
                        v + sign * 1e-6 * (1.0 + v.abs())
                    })
                    .collect()
            }),
        }
    }
}

/// The optimiser map of a map metric (`"gd"`, `"heavy_ball"`, `"nesterov"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MapMethod {
    /// Gradient descent.
    #[default]
    Gd,
    /// Heavy ball (PyTorch SGD with momentum).
    HeavyBall,
    /// Nesterov (PyTorch nesterov=True).
    Nesterov,
}

impl MapMethod {
    /// The map with step h and momentum μ (ignored by gd).
    pub fn map(self, step: f64, momentum: f64) -> crate::flow::OptimiserMap {
        use crate::flow::OptimiserMap;
        match self {
            MapMethod::Gd => OptimiserMap::GradientDescent { step },
            MapMethod::HeavyBall => OptimiserMap::HeavyBall { step, momentum },
            MapMethod::Nesterov => OptimiserMap::Nesterov { step, momentum },
        }
    }

    /// Whether the map takes a momentum.
    pub fn has_momentum(self) -> bool {
        self != MapMethod::Gd
    }

    /// The momentum μ the map runs with, from an optional value: 0 for `gd` (which refuses
    /// one), μ ∈ [0, 1) required by the momentum maps. The error is the message for the
    /// `momentum` field.
    pub fn momentum_of(self, momentum: Option<f64>) -> Result<f64, String> {
        match (self.has_momentum(), momentum) {
            (false, None) => Ok(0.0),
            (false, Some(_)) => Err(
                "is set but \"gd\" has no momentum; remove it or use \"method\": \"heavy_ball\""
                    .into(),
            ),
            (true, None) => Err("is missing; a momentum map needs μ in [0, 1), e.g. 0.5".into()),
            (true, Some(mu)) if !(mu.is_finite() && (0.0..1.0).contains(&mu)) => Err(format!(
                "must be in [0, 1), got {mu}; the momentum map diverges for μ ≥ 1"
            )),
            (true, Some(mu)) => Ok(mu),
        }
    }

    /// A label for the map: "gradient descent", "heavy ball, μ = 0.5", "Nesterov, μ = 0.5".
    pub fn label(self, momentum: f64) -> String {
        match self {
            MapMethod::Gd => "gradient descent".into(),
            MapMethod::HeavyBall => format!("heavy ball, μ = {momentum}"),
            MapMethod::Nesterov => format!("Nesterov, μ = {momentum}"),
        }
    }
}

/// What a map metric asks of each cell's optimiser map.
#[derive(Clone, Copy)]
pub(super) enum MapQuestion {
    /// The period of the attractor.
    Period(crate::equilibrium::orbit::OrbitSettings),
    /// The largest Lyapunov exponent.
    Lyapunov { transient: usize, iterations: usize },
}

/// Per cell: the map metric's value, Err(Some(reason)) (diverged) or Err(None) (cell already
/// failed). The cell's step and momentum come from the axes, else from the metric.
pub(super) fn map_metric(
    line: &LineCells,
    method: MapMethod,
    (step, momentum): (Option<f64>, Option<f64>),
    start: MapStart,
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
