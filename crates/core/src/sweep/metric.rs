//! The metrics a sweep computes in every cell, each defined in one place: the [`Metric`] enum
//! and its one `impl`. Per metric they hold its spec form (the variant's serde name and fields:
//! `"z"`, `{"response_at": {"time": 20}}`, …), its description, its columns and their symbols,
//! what it needs from a cell, whether it can be thresholded, and its evaluation from a line's
//! equilibria, systems and trajectories ([`Metric::evaluate`]). Adding a metric is a variant
//! here and one arm in each method of the `impl` (the compiler names the missing ones); the spec
//! parser, the cell evaluation, the tables and the figures use it unchanged.

use serde::{Deserialize, Deserializer};

use super::measure::{
    MapMethod, MapQuestion, MapStart, TrajectoryKind, map_metric, max_margin_multipliers,
    trajectory_metric,
};
use super::system::{EquilibriumData, LineCells};
use super::{CellFailure, CellOutcome};

/// A metric computed in every cell, as written in a spec's `sweep.metrics` (a name, or an
/// object with one key; features count from 1 there, from 0 here).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Metric {
    /// The equilibrium z* (columns z1 … zk).
    Z,
    /// z_j*/z_j⁰, z⁰ the equilibrium of the same model with U = I (columns ratio1 … ratiok).
    StarvationRatio,
    /// M_ji = ∂z_j*/∂(s_i²) (columns M11, M12, …; "M{j}{i}").
    StarvationMatrix,
    /// Largest and smallest real part of the Jacobian's eigenvalues at z*.
    Stability,
    /// Unconstrained max-margin multipliers (K⁻¹1)_j, K = U S² Uᵀ: their sign change marks the
    /// support-set switch of the λ → 0 limit (columns mu1 … muk).
    MaxMarginMultiplier,
    /// z_j(T) from z = 0 (columns z1_at_T …).
    ResponseAt {
        /// T.
        time: f64,
    },
    /// First time z_j(t) reaches fraction q of z_j* from z = 0 (column time_to_q_zj); NaN if
    /// not reached before the horizon.
    TimeToFraction {
        /// j (0-based; 1-based in specs).
        #[serde(deserialize_with = "one_based")]
        #[cfg_attr(feature = "schema", schemars(with = "std::num::NonZeroU64"))]
        feature: usize,
        /// q.
        fraction: f64,
        /// Horizon (default 40 / min |eigenvalue|).
        #[serde(default)]
        horizon: Option<f64>,
    },
    /// max_t z_j(t) from z = 0 up to the horizon and the relative overshoot (max − z_j*)/|z_j*|
    /// (columns max_zj, overshoot_zj).
    Overshoot {
        /// j (0-based; 1-based in specs).
        #[serde(deserialize_with = "one_based")]
        #[cfg_attr(feature = "schema", schemars(with = "std::num::NonZeroU64"))]
        feature: usize,
        /// Horizon (default 40 / min |eigenvalue|).
        #[serde(default)]
        horizon: Option<f64>,
    },
    /// Stability margin of discrete gradient descent with step h at z*: h·max|eigenvalue| (stable
    /// below 2; column gd_stability). Its threshold at 2 along a `step` axis is the predicted
    /// flip h* = 2/|λ_min| that a `period` threshold locates.
    GdStability {
        /// h (or a `step` axis).
        #[serde(default)]
        step: Option<f64>,
    },
    /// The period of the attractor of an optimiser map from z = 0 (velocity 0): 1 for a fixed
    /// point, p for an attracting period-p orbit, 0 for none up to `max` (column period); a
    /// diverged run is a failed cell. A period p is detected when the p-step return and a Newton
    /// estimate of the distance to the p-cycle are both within the tolerance.
    Period {
        /// P, the largest period looked for (1 … 64).
        max: usize,
        /// The map (default gd).
        #[serde(default)]
        method: MapMethod,
        /// h (or a `step` axis).
        #[serde(default)]
        step: Option<f64>,
        /// μ of heavy_ball / nesterov (or a `momentum` axis).
        #[serde(default)]
        momentum: Option<f64>,
        /// Iteration budget (default 10 000).
        #[serde(default)]
        iterations: Option<usize>,
        /// Iterations before the period test (default 100).
        #[serde(default)]
        transient: Option<usize>,
        /// Return tolerance τ (default 1e−9, relative to 1 + ‖X‖∞).
        #[serde(default)]
        tolerance: Option<f64>,
        /// Where the map starts (default "zero", the training map from initialisation;
        /// "equilibrium" starts next to z* and finds the flip of the fixed point).
        #[serde(default)]
        start: MapStart,
    },
    /// The largest Lyapunov exponent (per iteration) of an optimiser map along the orbit from
    /// z = 0: negative at an attracting fixed point or cycle, 0 at a flip, positive on chaos
    /// (column lyapunov); a diverged run is a failed cell.
    Lyapunov {
        /// The map (default gd).
        #[serde(default)]
        method: MapMethod,
        /// h (or a `step` axis).
        #[serde(default)]
        step: Option<f64>,
        /// μ of heavy_ball / nesterov (or a `momentum` axis).
        #[serde(default)]
        momentum: Option<f64>,
        /// Iterations averaged (default 10 000).
        #[serde(default)]
        iterations: Option<usize>,
        /// Iterations before averaging (default 1000).
        #[serde(default)]
        transient: Option<usize>,
        /// Where the map starts (default "zero").
        #[serde(default)]
        start: MapStart,
    },
}

/// Default iteration budget of the map metrics.
pub(super) const MAP_ITERATIONS: usize = 10_000;
/// Default transient of `period`.
pub(super) const PERIOD_TRANSIENT: usize = 100;
/// Default transient of `lyapunov`.
pub(super) const LYAPUNOV_TRANSIENT: usize = 1000;
/// Largest `max` of `period`.
pub(super) const MAX_PERIOD: usize = 64;

/// What a metric needs from each cell before it is evaluated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Needs {
    /// The equilibrium z* (and the Jacobian's eigenvalues).
    pub equilibrium: bool,
    /// The starvation matrix at z*.
    pub matrix: bool,
    /// The uncoupled reference z⁰.
    pub uncoupled: bool,
}

impl Needs {
    /// What either needs.
    pub(super) fn or(self, other: Needs) -> Needs {
        Needs {
            equilibrium: self.equilibrium || other.equilibrium,
            matrix: self.matrix || other.matrix,
            uncoupled: self.uncoupled || other.uncoupled,
        }
    }
}

/// A feature number from a spec (1-based) as an index; 0 is refused.
fn one_based<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let j = usize::deserialize(d)?;
    j.checked_sub(1).ok_or_else(|| {
        serde::de::Error::custom("features count from 1 (1 is z₁); 0 is not a feature")
    })
}

fn fmt_number(x: f64) -> String {
    format!("{x}")
}

impl Metric {
    /// The metric's name in specs.
    pub fn name(&self) -> &'static str {
        match self {
            Metric::Z => "z",
            Metric::StarvationRatio => "starvation_ratio",
            Metric::StarvationMatrix => "starvation_matrix",
            Metric::Stability => "stability",
            Metric::MaxMarginMultiplier => "max_margin_multiplier",
            Metric::ResponseAt { .. } => "response_at",
            Metric::TimeToFraction { .. } => "time_to_fraction",
            Metric::Overshoot { .. } => "overshoot",
            Metric::GdStability { .. } => "gd_stability",
            Metric::Period { .. } => "period",
            Metric::Lyapunov { .. } => "lyapunov",
        }
    }

    /// What the metric is, with its units.
    pub fn description(&self) -> &'static str {
        match self {
            Metric::Z => "equilibrium responses z* (dimensionless)",
            Metric::StarvationRatio => "z_j*/z_j⁰ against the uncoupled model (ratio)",
            Metric::StarvationMatrix => "starvation matrix ∂z_j*/∂(s_i²) (per unit s²)",
            Metric::Stability => {
                "largest and smallest real part of the Jacobian's eigenvalues (per unit time)"
            }
            Metric::MaxMarginMultiplier => {
                "unconstrained max-margin multipliers (K⁻¹1)_j (dimensionless)"
            }
            Metric::ResponseAt { .. } => "z(T) from z = 0 (dimensionless)",
            Metric::TimeToFraction { .. } => "first time z_j reaches q·z_j* from z = 0 (time)",
            Metric::Overshoot { .. } => "max_t z_j(t) and (max − z_j*)/|z_j*| (dimensionless)",
            Metric::GdStability { .. } => {
                "h·max|eigenvalue| of gradient descent, stable below 2 (dimensionless)"
            }
            Metric::Period { .. } => {
                "period of the optimiser map's attractor from z = 0: 1 fixed point, p cycle, 0 none up to max (iterations)"
            }
            Metric::Lyapunov { .. } => {
                "largest Lyapunov exponent of the optimiser map from z = 0 (per iteration)"
            }
        }
    }

    /// Checks the metric against the base model (feature indices, square U where needed) and
    /// its own parameters; the message says how to fix it.
    pub fn check(&self, base: &crate::model::FeatureModel) -> Result<(), String> {
        let k = base.features();
        match *self {
            Metric::MaxMarginMultiplier if base.features() != base.examples() => {
                Err("max_margin_multiplier needs a full-rank model (U square)".into())
            }
            Metric::TimeToFraction { feature, .. } | Metric::Overshoot { feature, .. }
                if feature >= k =>
            {
                Err(format!(
                    "feature {} does not exist; the model has features 1 to {k}",
                    feature + 1
                ))
            }
            Metric::TimeToFraction { fraction, .. } if !(fraction > 0.0 && fraction < 1.0) => {
                Err(format!("the fraction must lie in (0, 1), got {fraction}"))
            }
            Metric::TimeToFraction {
                horizon: Some(h), ..
            }
            | Metric::Overshoot {
                horizon: Some(h), ..
            } if !(h.is_finite() && h > 0.0) => {
                Err(format!("the horizon must be finite and > 0, got {h}"))
            }
            Metric::ResponseAt { time } if !(time.is_finite() && time > 0.0) => {
                Err(format!("the time must be finite and > 0, got {time}"))
            }
            Metric::GdStability { step: Some(step) } if !(step.is_finite() && step > 0.0) => {
                Err(format!("the step must be finite and > 0, got {step}"))
            }
            Metric::Period { max, .. } if !(1..=MAX_PERIOD).contains(&max) => Err(format!(
                "max (the largest period looked for) must lie in 1 … {MAX_PERIOD}, got {max}"
            )),
            Metric::Period {
                tolerance: Some(t), ..
            } if !(t.is_finite() && t > 0.0 && t < 1.0) => {
                Err(format!("the tolerance must lie in (0, 1), got {t}"))
            }
            Metric::Period {
                method,
                step,
                momentum,
                iterations,
                ..
            }
            | Metric::Lyapunov {
                method,
                step,
                momentum,
                iterations,
                ..
            } => check_map(method, step, momentum, iterations),
            _ => Ok(()),
        }
    }

    /// Column names (k features).
    pub fn columns(&self, k: usize) -> Vec<String> {
        match *self {
            Metric::Z => (1..=k).map(|j| format!("z{j}")).collect(),
            Metric::StarvationRatio => (1..=k).map(|j| format!("ratio{j}")).collect(),
            Metric::StarvationMatrix => (1..=k)
                .flat_map(|j| {
                    (1..=k).map(move |i| {
                        if k < 10 {
                            format!("M{j}{i}")
                        } else {
                            format!("M{j}_{i}")
                        }
                    })
                })
                .collect(),
            Metric::Stability => vec!["max_eigenvalue".into(), "min_eigenvalue".into()],
            Metric::MaxMarginMultiplier => (1..=k).map(|j| format!("mu{j}")).collect(),
            Metric::ResponseAt { time } => (1..=k)
                .map(|j| format!("z{j}_at_{}", fmt_number(time)))
                .collect(),
            Metric::TimeToFraction {
                feature, fraction, ..
            } => vec![format!("time_to_{}_z{}", fmt_number(fraction), feature + 1)],
            Metric::Overshoot { feature, .. } => vec![
                format!("max_z{}", feature + 1),
                format!("overshoot_z{}", feature + 1),
            ],
            Metric::GdStability { .. } => vec!["gd_stability".into()],
            Metric::Period { .. } => vec!["period".into()],
            Metric::Lyapunov { .. } => vec!["lyapunov".into()],
        }
    }

    /// The map of a map metric (`period`, `lyapunov`, and `gd_stability`, which is about
    /// gradient descent's map) with its own step and momentum (None where an axis gives them),
    /// or None for the other metrics.
    pub fn map_method(&self) -> Option<(MapMethod, Option<f64>, Option<f64>)> {
        match *self {
            Metric::Period {
                method,
                step,
                momentum,
                ..
            }
            | Metric::Lyapunov {
                method,
                step,
                momentum,
                ..
            } => Some((method, step, momentum)),
            Metric::GdStability { step } => Some((MapMethod::Gd, step, None)),
            _ => None,
        }
    }

    /// The paper's symbol for one of the metric's columns (`column` as [`columns`]
    /// names it, `j` its 0-based position among them): "z₁*", "z₂*/z₂⁰"; others as written.
    ///
    /// [`columns`]: Self::columns
    pub fn symbol(&self, column: &str, j: usize) -> String {
        let sub = |n: usize| -> String {
            n.to_string()
                .chars()
                .map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
                .collect()
        };
        match self {
            Metric::Z => format!("z{}*", sub(j + 1)),
            Metric::StarvationRatio => format!("z{0}*/z{0}⁰", sub(j + 1)),
            _ => column.to_string(),
        }
    }

    /// Whether a threshold (a level crossing along an axis) can be located on its columns.
    pub fn can_threshold(&self) -> bool {
        match self {
            Metric::Z
            | Metric::StarvationRatio
            | Metric::StarvationMatrix
            | Metric::Stability
            | Metric::MaxMarginMultiplier
            | Metric::ResponseAt { .. }
            | Metric::TimeToFraction { .. }
            | Metric::Overshoot { .. }
            | Metric::GdStability { .. }
            | Metric::Period { .. }
            | Metric::Lyapunov { .. } => true,
        }
    }

    /// What the metric needs from each cell.
    pub(super) fn needs(&self) -> Needs {
        let equilibrium = Needs {
            equilibrium: true,
            ..Needs::default()
        };
        match self {
            Metric::Period {
                start: MapStart::Equilibrium,
                ..
            }
            | Metric::Lyapunov {
                start: MapStart::Equilibrium,
                ..
            } => equilibrium,
            Metric::MaxMarginMultiplier
            | Metric::ResponseAt { .. }
            | Metric::Period { .. }
            | Metric::Lyapunov { .. } => Needs::default(),
            Metric::StarvationMatrix => Needs {
                matrix: true,
                ..equilibrium
            },
            Metric::StarvationRatio => Needs {
                uncoupled: true,
                ..equilibrium
            },
            Metric::Z
            | Metric::Stability
            | Metric::TimeToFraction { .. }
            | Metric::Overshoot { .. }
            | Metric::GdStability { .. } => equilibrium,
        }
    }

    /// Fills the metric's columns, starting at column `col`, in the cells of one line (`line`
    /// holds their systems and what [`needs`](Self::needs) asked for); a cell where the metric
    /// cannot be computed is marked failed.
    pub(super) fn evaluate(&self, line: &LineCells, col: usize, outcomes: &mut [CellOutcome]) {
        let k = line.features;
        let cells = outcomes.iter_mut().zip(&line.equilibria);
        match *self {
            Metric::Z => {
                for (o, e) in cells {
                    if let Some(e) = e {
                        o.values[col..col + k].copy_from_slice(&e.z);
                    }
                }
            }
            Metric::StarvationRatio => {
                for (o, e) in cells {
                    if let Some(EquilibriumData {
                        z,
                        uncoupled: Some(z0),
                        ..
                    }) = e
                    {
                        for j in 0..k {
                            o.values[col + j] = z[j] / z0[j];
                        }
                    }
                }
            }
            Metric::StarvationMatrix => {
                for (o, e) in cells {
                    if let Some(EquilibriumData {
                        matrix: Some(m), ..
                    }) = e
                    {
                        for j in 0..k {
                            for i in 0..k {
                                o.values[col + j * k + i] = m[(j, i)];
                            }
                        }
                    }
                }
            }
            Metric::Stability => {
                for (o, e) in cells {
                    if let Some(e) = e {
                        o.values[col] =
                            e.eigen_re.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        o.values[col + 1] =
                            e.eigen_re.iter().copied().fold(f64::INFINITY, f64::min);
                    }
                }
            }
            Metric::MaxMarginMultiplier => {
                for (o, s) in outcomes.iter_mut().zip(&line.systems) {
                    if let Some(s) = s {
                        match max_margin_multipliers(s) {
                            Ok(mu) => o.values[col..col + k].copy_from_slice(&mu),
                            Err(e) => o.failure = Some(CellFailure::Metric(e)),
                        }
                    }
                }
            }
            Metric::GdStability { step } => {
                for ((o, e), (axis_step, _)) in cells.zip(&line.map_parameters) {
                    if let (Some(e), Some(h)) = (e, axis_step.or(step)) {
                        o.values[col] = h * e.eigen_abs_max;
                    }
                }
            }
            Metric::Period {
                max,
                method,
                step,
                momentum,
                iterations,
                transient,
                tolerance,
                start,
            } => {
                let settings = crate::equilibrium::orbit::OrbitSettings {
                    max_period: max,
                    iterations: iterations.unwrap_or(MAP_ITERATIONS),
                    transient: transient.unwrap_or(PERIOD_TRANSIENT),
                    tolerance: tolerance.unwrap_or(1e-9),
                };
                let r = map_metric(
                    line,
                    method,
                    (step, momentum),
                    start,
                    MapQuestion::Period(settings),
                );
                fill_map(outcomes, r, col);
            }
            Metric::Lyapunov {
                method,
                step,
                momentum,
                iterations,
                transient,
                start,
            } => {
                let r = map_metric(
                    line,
                    method,
                    (step, momentum),
                    start,
                    MapQuestion::Lyapunov {
                        transient: transient.unwrap_or(LYAPUNOV_TRANSIENT),
                        iterations: iterations.unwrap_or(MAP_ITERATIONS),
                    },
                );
                fill_map(outcomes, r, col);
            }
            Metric::ResponseAt { time } => {
                let ends = trajectory_metric(line, TrajectoryKind::End { time });
                fill_trajectory(outcomes, ends, |o, v| {
                    o.values[col..col + k].copy_from_slice(&v)
                });
            }
            Metric::TimeToFraction {
                feature,
                fraction,
                horizon,
            } => {
                let r = trajectory_metric(
                    line,
                    TrajectoryKind::Level {
                        feature,
                        fraction,
                        horizon,
                    },
                );
                fill_trajectory(outcomes, r, |o, v| o.values[col] = v[0]);
            }
            Metric::Overshoot { feature, horizon } => {
                let r = trajectory_metric(line, TrajectoryKind::Max { feature, horizon });
                for ((o, r), e) in outcomes.iter_mut().zip(r).zip(&line.equilibria) {
                    match (r, e) {
                        (Ok(v), Some(e)) => {
                            o.values[col] = v[0];
                            o.values[col + 1] = (v[0] - e.z[feature]) / e.z[feature].abs();
                        }
                        (Err(Some(e)), _) => o.failure = Some(CellFailure::Integration(e)),
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Checks a map metric's own method, step, momentum and budget (a step or momentum may also
/// come from an axis; the plan checks that one of the two gives it).
fn check_map(
    method: MapMethod,
    step: Option<f64>,
    momentum: Option<f64>,
    iterations: Option<usize>,
) -> Result<(), String> {
    if let Some(h) = step
        && !(h.is_finite() && h > 0.0)
    {
        return Err(format!("the step h must be finite and > 0, got {h}"));
    }
    if let Some(mu) = momentum {
        if !method.has_momentum() {
            return Err(format!(
                "momentum = {mu} is only used by \"heavy_ball\" and \"nesterov\"; remove it, or set \"method\": \"heavy_ball\""
            ));
        }
        if !(mu.is_finite() && (0.0..1.0).contains(&mu)) {
            return Err(format!("the momentum must lie in [0, 1), got {mu}"));
        }
    }
    if let Some(n) = iterations
        && !(1..=100_000_000).contains(&n)
    {
        return Err(format!("iterations must lie in 1 … 100 000 000, got {n}"));
    }
    Ok(())
}

/// Writes per-cell map results: the value, or a failed cell with the reason.
fn fill_map(outcomes: &mut [CellOutcome], results: Vec<Result<f64, Option<String>>>, col: usize) {
    for (o, r) in outcomes.iter_mut().zip(results) {
        match r {
            Ok(v) => o.values[col] = v,
            Err(Some(e)) => o.failure = Some(CellFailure::Map(e)),
            Err(None) => {}
        }
    }
}

/// Writes per-cell trajectory results: values through `set`, failures as integration failures.
fn fill_trajectory(
    outcomes: &mut [CellOutcome],
    results: Vec<Result<Vec<f64>, Option<String>>>,
    set: impl Fn(&mut CellOutcome, Vec<f64>),
) {
    for (o, r) in outcomes.iter_mut().zip(results) {
        match r {
            Ok(v) => set(o, v),
            Err(Some(e)) => o.failure = Some(CellFailure::Integration(e)),
            Err(None) => {}
        }
    }
}

/// Column names of the metrics, in order (k features).
pub fn metric_columns(metrics: &[Metric], k: usize) -> Vec<String> {
    metrics.iter().flat_map(|m| m.columns(k)).collect()
}
