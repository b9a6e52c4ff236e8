//! Automatic bisection (`/api/bisect`): a threshold located along one field of the view to a
//! typed precision by the sweep's threshold machinery ([`crate::sweep::SweepBuilder`] with one
//! axis and one [`crate::sweep::ThresholdRequest`]: every crossing of the level on a grid of
//! the range, each bracketed and refined to the precision). The library computes; this module
//! picks the defaults and reports the records.
//!
//! Fields: `s1`, `s2` (strengths), `delta` (the toy's δ), `lambda`, `eta` (the rate) and `step`
//! (the step h of the view's training map). Metrics: the sweep's columns `ratio1`, `ratio2`, …
//! (starvation ratios z_j*/z_j⁰), `z1`, … (z*), `M21`, … (starvation matrix),
//! `max_eigenvalue`, `min_eigenvalue` (stability), and along `step` the map's `period` (started
//! next to z*; its 1 → 2 crossing at level 1.5 is the flip) or `gd_stability` (h·|λ_min|, 2 at
//! the predicted flip).

use serde::Serialize;

use super::query::{BisectRequest, OrbitMap, View};
use crate::equilibrium::{EquilibriumOptions, find_equilibrium};
use crate::error::{Error, InputError};
use crate::flow::OptimiserMap;
use crate::sweep::{
    AxisParameter, MapMethod, MapStart, Metric, SweepBuilder, SweepSettings, ThresholdRequest,
};

/// Grid points on the bisection's range before refinement.
pub const GRID: usize = 41;
/// Largest period the `period` metric looks for.
const MAX_PERIOD: usize = 8;

/// One located crossing.
#[derive(Debug, Serialize)]
pub struct Crossing {
    /// `found`, `not_found` or `failed`.
    pub status: &'static str,
    /// The located value (None unless found).
    pub value: Option<f64>,
    /// The final bracket.
    pub bracket: [Option<f64>; 2],
    /// Its width.
    pub width: Option<f64>,
    /// `rising`, `falling` or `touching`.
    pub direction: Option<&'static str>,
}

/// The answer.
#[derive(Debug, Serialize)]
pub struct BisectData {
    /// The field moved.
    pub field: String,
    /// The metric column.
    pub metric: String,
    /// Its symbol.
    pub symbol: String,
    /// The level.
    pub level: f64,
    /// The range searched.
    pub range: [f64; 2],
    /// Grid points before refinement.
    pub grid: usize,
    /// The precision asked for (the largest final bracket width).
    pub precision: f64,
    /// The view's own value of the field.
    pub current: Option<f64>,
    /// Every crossing on the range, in order (one `not_found`/`failed` record without any).
    pub crossings: Vec<Crossing>,
    /// Along `step`: the flip predicted from the Jacobian at z* (2/|λ_min|, heavy ball
    /// 2(1 + μ)/|λ_min|).
    pub predicted_flip: Option<f64>,
    /// Server time spent, milliseconds.
    pub compute_ms: f64,
}

/// The flip step h* of the view's map at its z* (None without a stable fixed point).
fn predicted_flip(view: &View) -> Option<f64> {
    let eq = find_equilibrium(&view.model, None, &EquilibriumOptions::default()).ok()?;
    let rate = eq
        .eigenvalues
        .iter()
        .map(|e| e.0)
        .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
    (rate < 0.0).then(|| view_map(view).flip_step(rate.abs()))
}

/// The view's training map (step 1).
fn view_map(view: &View) -> OptimiserMap {
    match view.orbit_map {
        OrbitMap::Gd => OptimiserMap::GradientDescent { step: 1.0 },
        OrbitMap::HeavyBall(momentum) => OptimiserMap::HeavyBall {
            step: 1.0,
            momentum,
        },
    }
}

/// Locates the requested threshold (a bad request: an input error naming the parameter).
pub fn bisect_data(view: &View) -> Result<BisectData, Error> {
    let start = std::time::Instant::now();
    let Some(req) = &view.bisect else {
        return Err(InputError::new(
            "bisect",
            "is missing; give the field to bisect along, e.g. bisect=s1",
        )
        .into());
    };
    let BisectRequest {
        field,
        metric,
        level,
        range,
        precision,
    } = req;
    let model = &view.model;
    let along_step = field == "step";
    let metric = metric
        .clone()
        .unwrap_or_else(|| if along_step { "period" } else { "ratio2" }.to_string());
    let map_metric = matches!(metric.as_str(), "period" | "gd_stability");
    if map_metric != along_step {
        return Err(InputError::new(
            "bisect_metric",
            if along_step {
                format!("{metric:?} does not depend on the step; along bisect=step use period or gd_stability")
            } else {
                format!("{metric:?} is a metric of the training map; use it with bisect=step")
            },
        )
        .into());
    }
    let level = level.unwrap_or(match metric.as_str() {
        "period" => 1.5,
        "gd_stability" => 2.0,
        "max_eigenvalue" | "min_eigenvalue" => 0.0,
        _ => 0.5,
    });
    let flip = along_step.then(|| predicted_flip(view)).flatten();
    let (parameter, current) = match field.as_str() {
        "s1" => (
            AxisParameter::Strength(0),
            model.feature_strengths().first().copied(),
        ),
        "s2" => (
            AxisParameter::Strength(1),
            model.feature_strengths().get(1).copied(),
        ),
        "delta" => (AxisParameter::Delta, model.toy_delta()),
        "lambda" => (AxisParameter::Lambda, Some(model.regulariser().lambda())),
        "eta" => (AxisParameter::Rate, Some(model.rate())),
        _ => (AxisParameter::Step, flip),
    };
    let (lo, hi) = match (range, field.as_str(), current) {
        (Some(r), _, _) => *r,
        (None, "delta", _) => (-0.9, 0.9),
        (None, _, Some(c)) if c > 0.0 => (0.5 * c, 1.5 * c),
        (None, _, _) => {
            return Err(InputError::new(
                "bisect_range",
                format!(
                    "is needed: the view has no value of {field} to search around; give `min,max`"
                ),
            )
            .into());
        }
    };
    if lo <= 0.0 && field != "delta" {
        return Err(InputError::new(
            "bisect_range",
            format!(
                "must be positive for {field}, got min {lo}; give `min,max` with 0 < min < max"
            ),
        )
        .into());
    }
    let precision = precision.unwrap_or(1e-8 * (hi - lo));
    if precision >= hi - lo {
        return Err(InputError::new(
            "bisect_precision",
            format!(
                "{precision} is not below the range's width {}; type a smaller precision",
                hi - lo
            ),
        )
        .into());
    }
    let grid = (0..GRID).map(|i| lo + (hi - lo) * i as f64 / (GRID - 1) as f64);
    let (method, momentum) = match view.orbit_map {
        OrbitMap::Gd => (MapMethod::Gd, None),
        OrbitMap::HeavyBall(mu) => (MapMethod::HeavyBall, Some(mu)),
    };
    let m = match metric.as_str() {
        "period" => Metric::Period {
            max: MAX_PERIOD,
            method,
            step: None,
            momentum,
            iterations: Some(100_000),
            transient: None,
            tolerance: None,
            start: MapStart::Equilibrium,
        },
        "gd_stability" => {
            if method != MapMethod::Gd {
                return Err(InputError::new(
                    "bisect_metric",
                    "gd_stability is the gradient-descent margin; with heavy ball use period",
                )
                .into());
            }
            Metric::GdStability { step: None }
        }
        "max_eigenvalue" | "min_eigenvalue" => Metric::Stability,
        name if name.starts_with("ratio") => Metric::StarvationRatio,
        name if name.starts_with('M') => Metric::StarvationMatrix,
        name if name.starts_with('z') => Metric::Z,
        other => {
            return Err(InputError::new(
                "bisect_metric",
                format!(
                    "unknown metric {other:?}; use ratio1, ratio2, …, z1, z2, …, M21, …, max_eigenvalue, min_eigenvalue, period or gd_stability"
                ),
            )
            .into());
        }
    };
    let plan = SweepBuilder::new(model.clone())
        .axis(parameter, grid)
        .metric(m)
        .threshold_request(ThresholdRequest {
            metric: metric.clone(),
            level,
            along: None,
            label: None,
            precision: Some(precision),
        })
        .settings(SweepSettings::default())
        .build()
        .map_err(|e| {
            let name = match e.field.as_str() {
                f if f.contains("metric") => "bisect_metric",
                f if f.contains("precision") => "bisect_precision",
                _ => "bisect",
            };
            InputError::new(name, e.message)
        })?;
    let symbol = plan.column_symbol(&metric);
    let result = plan.run(false);
    let records = result
        .lines
        .first()
        .and_then(|l| l.thresholds.first())
        .cloned()
        .unwrap_or_default();
    let finite = |v: f64| v.is_finite().then_some(v);
    let crossings = records
        .iter()
        .map(|r| Crossing {
            status: r.status.name(),
            value: finite(r.value),
            bracket: [finite(r.bracket[0]), finite(r.bracket[1])],
            width: finite(r.precision),
            direction: r.direction.map(|d| d.name()),
        })
        .collect();
    Ok(BisectData {
        field: field.clone(),
        metric,
        symbol,
        level,
        range: [lo, hi],
        grid: GRID,
        precision,
        current: current.filter(|_| !along_step),
        crossings,
        predicted_flip: flip,
        compute_ms: 1e3 * start.elapsed().as_secs_f64(),
    })
}
