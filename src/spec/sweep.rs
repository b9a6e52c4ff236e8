//! The `sweep` section: axes, metrics, thresholds and solver settings, validated and turned into
//! a [`SweepPlan`] (the grid the sweep module evaluates).

use serde::Deserialize;
use serde_json::Value;

use super::json::from_value;
use super::model::{LossSpec, RegulariserSpec, build_model};
use super::values::ValuesSpec;
use super::{Spec, strength_index};
use crate::error::InputError;
use crate::model::FeatureModel;
use crate::sweep::{
    Axis, AxisParameter, AxisValue, Metric, SweepBuilder, SweepPlan, SweepSettings,
};

/// The `sweep` section of a spec.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Axes, outermost first; the last axis is the line axis (warm starts, thresholds).
    pub axes: Vec<AxisSpec>,
    /// Metrics per cell.
    #[schemars(with = "Vec<Metric>")]
    pub metrics: Vec<Value>,
    /// Thresholds along the last axis.
    #[serde(default)]
    pub thresholds: Vec<ThresholdSpec>,
    /// Level sets of a metric over two axes (polylines in the document and `NAME.levels.csv`),
    /// e.g. `{"metric": "ratio2", "level": 0.5, "x": "s1", "y": "delta"}`.
    #[serde(default)]
    pub level_sets: Vec<crate::sweep::LevelSetRequest>,
    /// Figures drawn from the results.
    #[serde(default)]
    #[schemars(with = "Vec<crate::figures::sweep::SweepPlotSpec>")]
    pub plots: Vec<Value>,
    /// Solver settings for trajectory metrics.
    #[serde(default)]
    pub solver: Option<SolverSpec>,
}

/// Solver settings for trajectory metrics.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SweepAxisSpec")]
pub struct AxisSpec {
    /// "s1", "s2", …, "s1_over_s2", "delta", "lambda", "rate", "regulariser", "loss", "step" or
    /// "momentum".
    #[schemars(extend("pattern" = r"^(s0*[1-9][0-9]*|s1_over_s2|delta|lambda|rate|regulariser|loss|step|momentum)$"))]
    pub parameter: String,
    /// Numbers (list, linspace, logspace) or, for "regulariser" and "loss", a list of those.
    #[schemars(with = "crate::schema::SweepAxisValues")]
    pub values: Value,
}

/// A threshold as written in a spec.
pub type ThresholdSpec = crate::sweep::ThresholdRequest;

/// Most figures one sweep may draw.
pub const MAX_PLOTS: usize = 32;

/// Builds and validates the sweep plan of a spec with a `sweep` section.
pub fn sweep_plan(spec: &Spec) -> Result<SweepPlan, InputError> {
    let sweep = spec.sweep.as_ref().ok_or_else(|| {
        InputError::new(
            "sweep",
            "is missing; add a `sweep` section with `axes` and `metrics`",
        )
    })?;
    if sweep.plots.len() > MAX_PLOTS {
        return Err(InputError::new(
            "sweep.plots",
            format!(
                "has {} figures, more than {MAX_PLOTS}; split them over several specs",
                sweep.plots.len()
            ),
        ));
    }
    let base = build_model(spec.model.clone().ok_or_else(|| {
        InputError::new(
            "model",
            "is missing; the sweep varies the parameters of this base model",
        )
    })?)?;
    let mut builder = SweepBuilder::new(base.clone());
    for (i, a) in sweep.axes.iter().enumerate() {
        builder = builder.push_axis(parse_axis(a, &format!("sweep.axes[{i}]"))?);
    }
    for (i, m) in sweep.metrics.iter().enumerate() {
        builder = builder.metric(parse_metric(m, &base, &format!("sweep.metrics[{i}]"))?);
    }
    for t in &sweep.thresholds {
        builder = builder.threshold_request(t.clone());
    }
    let solver = sweep.solver.clone().unwrap_or(SolverSpec {
        rtol: None,
        atol: None,
        newton_tolerance: None,
        fast_toy_path: None,
    });
    let defaults = SweepSettings::default();
    let settings = SweepSettings {
        rtol: crate::error::require_positive(
            "sweep.solver.rtol",
            solver.rtol.unwrap_or(defaults.rtol),
        )?,
        atol: crate::error::require_positive(
            "sweep.solver.atol",
            solver.atol.unwrap_or(defaults.atol),
        )?,
        equilibrium: defaults
            .equilibrium
            .with_tolerance(crate::error::require_positive(
                "sweep.solver.newton_tolerance",
                solver
                    .newton_tolerance
                    .unwrap_or(defaults.equilibrium.tolerance),
            )?),
        fast_toy_path: solver.fast_toy_path.unwrap_or(defaults.fast_toy_path),
    };
    builder.settings(settings).build()
}

fn parse_axis(a: &AxisSpec, field: &str) -> Result<Axis, InputError> {
    let pfield = format!("{field}.parameter");
    let vfield = format!("{field}.values");
    let parameter = match a.parameter.as_str() {
        "delta" => AxisParameter::Delta,
        "lambda" => AxisParameter::Lambda,
        "rate" => AxisParameter::Rate,
        "regulariser" => AxisParameter::Regulariser,
        "loss" => AxisParameter::Loss,
        "step" => AxisParameter::Step,
        "momentum" => AxisParameter::Momentum,
        "s1_over_s2" => AxisParameter::StrengthRatio,
        s if strength_index(s).is_some() => {
            AxisParameter::Strength(strength_index(s).unwrap_or_default())
        }
        other => {
            return Err(InputError::new(
                pfield,
                format!(
                    "unknown parameter {other:?}; use \"s1\", \"s2\", …, \"s1_over_s2\", \"delta\", \"lambda\", \"rate\", \"regulariser\", \"loss\", \"step\" or \"momentum\""
                ),
            ));
        }
    };
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

/// Parses one metric: a name, or an object with one key (the forms are the variants of
/// [`Metric`], where each metric is defined), checked against the base model.
fn parse_metric(v: &Value, base: &FeatureModel, field: &str) -> Result<Metric, InputError> {
    let metric: Metric = from_value(v.clone(), field)?;
    metric.check(base).map_err(|e| InputError::new(field, e))?;
    Ok(metric)
}
