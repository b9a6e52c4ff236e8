//! The `equilibrium` section: Newton settings, a start point and a continuation parameter.

use serde::Deserialize;

use super::Spec;
use super::values::ValuesSpec;
use crate::error::InputError;
use crate::model::FeatureModel;

/// The `equilibrium` section.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EquilibriumSpec {
    /// Weighted-residual tolerance (default 1e−12).
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// Newton iterations allowed (default 100).
    #[serde(default)]
    pub max_iterations: Option<usize>,
    /// Newton start (default z = 0).
    #[serde(default)]
    pub start: Option<Vec<f64>>,
    /// Optional continuation along one parameter.
    #[serde(default)]
    pub continuation: Option<ContinuationSpec>,
}

/// Continuation along one parameter.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContinuationSpec {
    /// "s1", "s2", … (strength s_j), "delta" or "lambda".
    #[schemars(extend("pattern" = r"^(s0*[1-9][0-9]*|delta|lambda)$"))]
    pub parameter: String,
    /// Values, in order.
    pub values: ValuesSpec,
    /// Scale of the parameter axis of the continuation figure: `"linear"` (default) or
    /// `"log"` (values > 0; e.g. λ over decades).
    #[serde(default)]
    pub x_scale: crate::figures::ScaleSpec,
}

/// The 0-based feature index j of a strength name "s1", "s2", … (None for anything else).
pub fn strength_index(name: &str) -> Option<usize> {
    name.strip_prefix('s')
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse::<usize>().ok())
        .filter(|j| *j >= 1)
        .map(|j| j - 1)
}

/// Parses a continuation/sweep parameter name.
pub fn parse_parameter(
    name: &str,
    field: &str,
) -> Result<crate::equilibrium::Parameter, InputError> {
    use crate::equilibrium::Parameter;
    match name {
        "delta" => Ok(Parameter::Delta),
        "lambda" => Ok(Parameter::Lambda),
        other if strength_index(other).is_some() => Ok(Parameter::Strength(
            strength_index(other).unwrap_or_default(),
        )),
        other => Err(InputError::new(
            field,
            format!("unknown parameter {other:?}; use \"s1\", \"s2\", …, \"delta\" or \"lambda\""),
        )),
    }
}

impl EquilibriumSettings {
    /// Checks the settings against one model: the start's length and the continuation
    /// parameter (applied at its first value).
    pub fn check_model(&self, model: &FeatureModel) -> Result<(), InputError> {
        if let Some(s) = &self.start
            && s.len() != model.features()
        {
            return Err(InputError::new(
                "equilibrium.start",
                format!(
                    "has {} entries but the model has {} features; give one value per feature",
                    s.len(),
                    model.features()
                ),
            ));
        }
        if let Some((parameter, values)) = &self.continuation {
            for v in values {
                parameter.apply(model, *v).map_err(|e| {
                    InputError::new(
                        "equilibrium.continuation",
                        format!("{} = {v}: {}: {}", parameter.name(), e.field, e.message),
                    )
                })?;
            }
        }
        Ok(())
    }
}

/// The validated `equilibrium` section.
#[derive(Debug, Clone)]
pub struct EquilibriumSettings {
    /// Newton options.
    pub options: crate::equilibrium::EquilibriumOptions,
    /// Newton start.
    pub start: Option<Vec<f64>>,
    /// Continuation parameter and values.
    pub continuation: Option<(crate::equilibrium::Parameter, Vec<f64>)>,
    /// Scale of the continuation figure's parameter axis.
    pub continuation_x_scale: crate::plot::Scale,
}

impl Spec {
    /// The equilibrium section (defaults when absent), validated.
    pub fn equilibrium_section(&self) -> Result<EquilibriumSettings, InputError> {
        let section: EquilibriumSpec = match &self.equilibrium {
            Some(v) => v.clone(),
            None => EquilibriumSpec {
                tolerance: None,
                max_iterations: None,
                start: None,
                continuation: None,
            },
        };
        let mut options = crate::equilibrium::EquilibriumOptions::default();
        if let Some(t) = section.tolerance {
            options.tolerance = crate::error::require_positive("equilibrium.tolerance", t)?;
        }
        if let Some(m) = section.max_iterations {
            if m == 0 {
                return Err(InputError::new("equilibrium.max_iterations", "must be ≥ 1"));
            }
            options.max_iterations = m;
        }
        let mut continuation_x_scale = crate::plot::Scale::Linear;
        let continuation = match section.continuation {
            Some(c) => {
                let values = c.values.values("equilibrium.continuation.values")?;
                continuation_x_scale = c.x_scale.into();
                if continuation_x_scale == crate::plot::Scale::Log
                    && values.iter().any(|&v| v <= 0.0)
                {
                    return Err(InputError::new(
                        "equilibrium.continuation.x_scale",
                        format!(
                            "a log axis needs values > 0, but {:?} has values ≤ 0; use \"linear\"",
                            c.parameter
                        ),
                    ));
                }
                Some((
                    parse_parameter(&c.parameter, "equilibrium.continuation.parameter")?,
                    values,
                ))
            }
            None => None,
        };
        Ok(EquilibriumSettings {
            options,
            start: section.start,
            continuation,
            continuation_x_scale,
        })
    }
}
