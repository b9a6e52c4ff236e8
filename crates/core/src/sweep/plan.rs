//! A typed builder for sweep plans: the base model, axes, metrics, thresholds and solver
//! settings, validated together. The spec layer's `sweep` section and Rust users both build plans
//! through it, so both get the same checks and messages.

use super::metric::{Metric, metric_columns};
use super::{Axis, AxisParameter, AxisValue, SweepPlan, SweepSettings, Threshold};
use crate::equilibrium::EquilibriumOptions;
use crate::error::{InputError, MAX_CELLS};
use crate::model::{FeatureModel, LossModel, Regulariser};

/// A threshold to locate: where metric column `metric` crosses `level` along the last axis.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ThresholdRequest {
    /// Metric column (e.g. "ratio2", "M21", "mu1").
    pub metric: String,
    /// Level to cross.
    pub level: f64,
    /// Axis to move along (any numeric axis; default the last). Along the last axis the
    /// threshold is located on every line of the grid; along another axis on every line of that
    /// axis (all other axes fixed), from fresh evaluations of the metric along it.
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

impl Default for SweepSettings {
    fn default() -> Self {
        Self {
            rtol: crate::solve::DEFAULT_RTOL,
            atol: crate::solve::DEFAULT_ATOL,
            equilibrium: EquilibriumOptions {
                tolerance: 1e-14,
                ..EquilibriumOptions::default()
            },
            fast_toy_path: true,
        }
    }
}

impl AxisParameter {
    /// The parameter's name in specs and tables ("s1", "s1_over_s2", "delta", …).
    pub fn name(self) -> String {
        match self {
            AxisParameter::Strength(j) => format!("s{}", j + 1),
            AxisParameter::StrengthRatio => "s1_over_s2".into(),
            AxisParameter::Delta => "delta".into(),
            AxisParameter::Lambda => "lambda".into(),
            AxisParameter::Rate => "rate".into(),
            AxisParameter::Regulariser => "regulariser".into(),
            AxisParameter::Loss => "loss".into(),
            AxisParameter::Step => "step".into(),
            AxisParameter::Momentum => "momentum".into(),
        }
    }
}

/// Builds a [`SweepPlan`]; [`SweepBuilder::build`] validates everything together.
///
/// ```
/// use starvation_core::sweep::{AxisParameter, Metric, SweepBuilder};
/// use starvation_core::{FeatureModel, Regulariser};
///
/// let base = FeatureModel::two_feature_toy(2.0, 2.0, 0.3)?
///     .with_regulariser(Regulariser::L2 { lambda: 0.01 })?;
/// let plan = SweepBuilder::new(base)
///     .axis(AxisParameter::Delta, [0.1, 0.3, 0.5])
///     .axis(AxisParameter::Strength(0), (0..=30).map(|i| 0.5 + 0.25 * i as f64))
///     .metric(Metric::StarvationRatio)
///     .threshold("ratio2", 0.5)
///     .build()?;
/// let result = plan.run(true);
/// assert_eq!(result.lines.len(), 3);
/// # Ok::<(), starvation_core::InputError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SweepBuilder {
    base: FeatureModel,
    axes: Vec<Axis>,
    metrics: Vec<Metric>,
    thresholds: Vec<ThresholdRequest>,
    settings: SweepSettings,
}

impl SweepBuilder {
    /// A sweep over the parameters of `base`, with default settings (rtol 1e−8, atol 1e−10,
    /// Newton tolerance 1e−14, the toy's fast path).
    pub fn new(base: FeatureModel) -> Self {
        Self {
            base,
            axes: Vec::new(),
            metrics: Vec::new(),
            thresholds: Vec::new(),
            settings: SweepSettings::default(),
        }
    }

    /// Adds a numeric axis (outermost first; the last axis is the line axis).
    pub fn axis(self, parameter: AxisParameter, values: impl IntoIterator<Item = f64>) -> Self {
        let values = values.into_iter().map(AxisValue::Number).collect();
        self.push_axis(Axis {
            name: parameter.name(),
            parameter,
            values,
        })
    }

    /// Adds an axis over regularisers.
    pub fn regulariser_axis(self, values: impl IntoIterator<Item = Regulariser>) -> Self {
        let values = values.into_iter().map(AxisValue::Regulariser).collect();
        self.push_axis(Axis {
            name: AxisParameter::Regulariser.name(),
            parameter: AxisParameter::Regulariser,
            values,
        })
    }

    /// Adds an axis over loss models.
    pub fn loss_axis(self, values: impl IntoIterator<Item = LossModel>) -> Self {
        let values = values.into_iter().map(AxisValue::Loss).collect();
        self.push_axis(Axis {
            name: AxisParameter::Loss.name(),
            parameter: AxisParameter::Loss,
            values,
        })
    }

    /// Adds an axis as it is.
    pub fn push_axis(mut self, axis: Axis) -> Self {
        self.axes.push(axis);
        self
    }

    /// Adds a metric.
    pub fn metric(mut self, metric: Metric) -> Self {
        self.metrics.push(metric);
        self
    }

    /// Adds a threshold: where column `metric` crosses `level` along the last axis.
    pub fn threshold(self, metric: &str, level: f64) -> Self {
        self.threshold_request(ThresholdRequest {
            metric: metric.into(),
            level,
            along: None,
            label: None,
            precision: None,
        })
    }

    /// Adds a threshold with all its options.
    pub fn threshold_request(mut self, t: ThresholdRequest) -> Self {
        self.thresholds.push(t);
        self
    }

    /// Sets the solver settings.
    pub fn settings(mut self, settings: SweepSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Validates and builds the plan; errors name the spec field (`sweep.axes[1].values`, …).
    pub fn build(self) -> Result<SweepPlan, InputError> {
        let Self {
            base,
            axes,
            metrics,
            thresholds,
            settings,
        } = self;
        if axes.is_empty() {
            return Err(InputError::new(
                "sweep.axes",
                "is empty; give at least one axis",
            ));
        }
        for (i, a) in axes.iter().enumerate() {
            check_axis(a, &base, &format!("sweep.axes[{i}]"))?;
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
            .filter(|c| *c <= MAX_CELLS);
        if cells.is_none() {
            return Err(InputError::new(
                "sweep.axes",
                format!(
                    "the grid has more than {MAX_CELLS} cells; use fewer values per axis, or split the sweep into several specs"
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
        if metrics.is_empty() {
            return Err(InputError::new(
                "sweep.metrics",
                "is empty; give at least one metric, e.g. \"z\"",
            ));
        }
        for (i, m) in metrics.iter().enumerate() {
            m.check(&base)
                .map_err(|e| InputError::new(format!("sweep.metrics[{i}]"), e))?;
            check_map_source(m, has(AxisParameter::Step), has(AxisParameter::Momentum))
                .map_err(|e| InputError::new(format!("sweep.metrics[{i}]"), e))?;
        }
        for p in [AxisParameter::Step, AxisParameter::Momentum] {
            if let Some(i) = axes.iter().position(|a| a.parameter == p)
                && !metrics.iter().any(|m| m.map_method().is_some())
            {
                return Err(InputError::new(
                    format!("sweep.axes[{i}].parameter"),
                    format!(
                        "{:?} only sets the map metrics; add {{\"period\": {{\"max\": 8}}}} or {{\"lyapunov\": {{}}}} to sweep.metrics",
                        p.name()
                    ),
                ));
            }
        }
        let columns = metric_columns(&metrics, base.features());
        let mut located = Vec::new();
        for (i, t) in thresholds.iter().enumerate() {
            located.push(threshold(
                t,
                &columns,
                &metrics,
                base.features(),
                &axes,
                &format!("sweep.thresholds[{i}]"),
            )?);
        }
        crate::error::require_positive("sweep.solver.rtol", settings.rtol)?;
        crate::error::require_positive("sweep.solver.atol", settings.atol)?;
        crate::error::require_positive(
            "sweep.solver.newton_tolerance",
            settings.equilibrium.tolerance,
        )?;
        Ok(SweepPlan {
            base,
            axes,
            metrics,
            columns,
            thresholds: located,
            settings,
        })
    }
}

/// Checks that a map metric gets its step (and momentum, for the momentum maps) from itself or
/// from an axis, and not a momentum it does not use.
fn check_map_source(m: &Metric, step_axis: bool, momentum_axis: bool) -> Result<(), String> {
    let Some((method, step, momentum)) = m.map_method() else {
        return Ok(());
    };
    if step.is_none() && !step_axis {
        return Err(format!(
            "{} needs a step h: give \"step\" in the metric or a \"step\" axis",
            m.name()
        ));
    }
    if method.has_momentum() && momentum.is_none() && !momentum_axis {
        return Err(format!(
            "{} of a momentum map needs \"momentum\" in the metric or a \"momentum\" axis",
            m.name()
        ));
    }
    if !method.has_momentum() && momentum_axis {
        return Err(format!(
            "{} runs gradient descent, which has no momentum; set \"method\": \"heavy_ball\" or drop the momentum axis",
            m.name()
        ));
    }
    Ok(())
}

/// Checks an axis against the base model.
fn check_axis(a: &Axis, base: &FeatureModel, field: &str) -> Result<(), InputError> {
    let pfield = format!("{field}.parameter");
    if let AxisParameter::Strength(j) = a.parameter
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
    if a.parameter == AxisParameter::Delta && !base.has_delta() {
        return Err(InputError::new(
            pfield,
            format!(
                "{:?} needs a coupling generated from δ: features.toy, features.rotation or features.skew_exponential",
                a.name
            ),
        ));
    }
    if a.parameter == AxisParameter::StrengthRatio && (base.features() != 2 || base.examples() != 2)
    {
        return Err(InputError::new(
            pfield,
            format!(
                "{:?} needs the two-feature toy model (features.toy)",
                a.name
            ),
        ));
    }
    let vfield = format!("{field}.values");
    if a.values.is_empty() {
        return Err(InputError::new(vfield, "is empty; give at least one value"));
    }
    for (i, v) in a.values.iter().enumerate() {
        if let AxisValue::Number(x) = v {
            crate::error::require_finite(&format!("{vfield}[{i}]"), *x)?;
            if a.parameter == AxisParameter::Step && *x <= 0.0 {
                return Err(InputError::new(
                    format!("{vfield}[{i}]"),
                    format!("a step h must be > 0, got {x}"),
                ));
            }
            if a.parameter == AxisParameter::Momentum && !(0.0..1.0).contains(x) {
                return Err(InputError::new(
                    format!("{vfield}[{i}]"),
                    format!("a momentum μ must lie in [0, 1), got {x}"),
                ));
            }
        }
    }
    Ok(())
}

/// Validates a threshold against the metric columns and the axis it runs along.
fn threshold(
    t: &ThresholdRequest,
    columns: &[String],
    metrics: &[Metric],
    features: usize,
    axes: &[Axis],
    field: &str,
) -> Result<Threshold, InputError> {
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
    let axis = match &t.along {
        None => axes.len() - 1,
        Some(name) => axes.iter().position(|a| a.name == *name).ok_or_else(|| {
            let names: Vec<String> = axes.iter().map(|a| format!("{:?}", a.name)).collect();
            InputError::new(
                format!("{field}.along"),
                format!(
                    "{name:?} is not an axis of this sweep; use one of {}",
                    names.join(", ")
                ),
            )
        })?,
    };
    let along = &axes[axis];
    let along_name = &along.name;
    let numbers: Vec<f64> = along.values.iter().map(AxisValue::number).collect();
    if numbers.iter().any(|x| x.is_nan()) || numbers.len() < 2 {
        return Err(InputError::new(
            format!("{field}.along"),
            format!(
                "thresholds need a numeric axis with at least two values; {along_name:?} is not one"
            ),
        ));
    }
    if !numbers.windows(2).all(|w| w[0] < w[1]) && !numbers.windows(2).all(|w| w[0] > w[1]) {
        return Err(InputError::new(
            format!("{field}.along"),
            format!("the values of {along_name:?} must be monotonic to locate thresholds"),
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
        let width = m.columns(features).len();
        if offset < width {
            source = Some((*m, offset));
            break;
        }
        offset -= width;
    }
    let source: (Metric, usize) = source.ok_or_else(|| {
        InputError::new(
            format!("{field}.metric"),
            "internal: no metric produces this column",
        )
    })?;
    if !source.0.can_threshold() {
        return Err(InputError::new(
            format!("{field}.metric"),
            format!(
                "{:?} ({}) cannot be thresholded; choose another column",
                t.metric,
                source.0.name()
            ),
        ));
    }
    let criterion = format!("{} = {} along {along_name}", t.metric, t.level);
    Ok(Threshold {
        axis,
        column,
        source,
        metric: t.metric.clone(),
        level: t.level,
        precision,
        label: t.label.clone().unwrap_or_else(|| criterion.clone()),
        criterion,
    })
}

impl SweepPlan {
    /// Evaluates every line (in parallel with rayon when `parallel`; the result is identical).
    pub fn run(&self, parallel: bool) -> super::SweepResult {
        let mut r = super::run_lines(self, 0..self.lines(), parallel, &|_| {});
        r.axis_thresholds = super::run_axis_thresholds(self, parallel);
        r
    }
}
