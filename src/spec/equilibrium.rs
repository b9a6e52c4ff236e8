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
    /// Optional orbit diagram of training maps against their step h (a figure).
    #[serde(default)]
    pub orbit_diagram: Option<OrbitDiagramSpec>,
}

/// Most points an orbit diagram keeps (steps × points over all panels): 8 MB of numbers.
pub const MAX_ORBIT_POINTS: usize = 1_000_000;

/// An orbit diagram (figure): per panel, a training map iterated from next to z* for each step
/// h, a transient dropped and the next iterates of one coordinate drawn against h, shaded by
/// density, with the predicted flip h* = 2/|λ_min| (gradient descent; 2(1 + μ)/|λ_min| heavy
/// ball; 2(1 + μ)/((1 + 2μ)|λ_min|) Nesterov) of the Jacobian at z* dashed and labelled, and
/// diverged steps marked. The spec must describe one model (no `runs` or `vary`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrbitDiagramSpec {
    /// File stem of the figure (default: the spec's name).
    #[serde(default)]
    #[schemars(extend("pattern" = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"))]
    pub name: Option<String>,
    /// Overall title (default none).
    #[serde(default)]
    pub title: Option<String>,
    /// `[width, height]` in pixels (default 900 × 560 per panel).
    #[serde(default)]
    pub size: Option<[u32; 2]>,
    /// Panels per row (default: all panels up to 3).
    #[serde(default)]
    pub columns: Option<usize>,
    /// The coordinate whose iterates are drawn: "z1", "z2", … (default "z1").
    #[serde(default)]
    #[schemars(extend("pattern" = r"^z0*[1-9][0-9]*$"))]
    pub coordinate: Option<String>,
    /// Iterations dropped per step before points are kept (default 2000).
    #[serde(default)]
    pub transient: Option<usize>,
    /// Iterates kept per step (default 64).
    #[serde(default)]
    pub points: Option<usize>,
    /// One panel per training map.
    pub panels: Vec<OrbitPanelSpec>,
}

/// One panel of an orbit diagram.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrbitPanelSpec {
    /// Panel title (default: the map, e.g. "gradient descent" or "heavy ball, μ = 0.5").
    #[serde(default)]
    pub title: Option<String>,
    /// The map: "gd" (default), "heavy_ball" or "nesterov".
    #[serde(default)]
    pub method: crate::sweep::MapMethod,
    /// Momentum μ ∈ [0, 1) of "heavy_ball" and "nesterov" (required there, refused for "gd").
    #[serde(default)]
    pub momentum: Option<f64>,
    /// The steps h, strictly increasing, each > 0 (a list, `linspace` or `logspace`).
    pub steps: ValuesSpec,
    /// Scale of the h axis: "linear" (default) or "log".
    #[serde(default)]
    pub x_scale: crate::figures::ScaleSpec,
}

/// One checked orbit-diagram panel.
#[derive(Debug, Clone, PartialEq)]
pub struct OrbitPanelPlan {
    /// Title.
    pub title: String,
    /// The map (its step is replaced by each of `steps`).
    pub map: crate::flow::OptimiserMap,
    /// The steps h.
    pub steps: Vec<f64>,
    /// h axis scale.
    pub x_scale: crate::plot::Scale,
}

/// The checked orbit-diagram section.
#[derive(Debug, Clone, PartialEq)]
pub struct OrbitDiagramPlan {
    /// The figure's frame.
    pub frame: super::FigureFrame,
    /// Coordinate j (0-based).
    pub coordinate: usize,
    /// Iterations dropped per step.
    pub transient: usize,
    /// Iterates kept per step.
    pub points: usize,
    /// Panels.
    pub panels: Vec<OrbitPanelPlan>,
}

impl OrbitDiagramSpec {
    /// Checks everything that needs no model; errors name `equilibrium.orbit_diagram.…`.
    pub fn plan(&self) -> Result<OrbitDiagramPlan, InputError> {
        use crate::equilibrium::orbit_diagram::{MAX_ITERATIONS, MAX_STEPS};
        let field = "equilibrium.orbit_diagram";
        let frame = super::FigureFrame {
            name: self.name.clone(),
            title: self.title.clone(),
            size: self.size,
            columns: self.columns,
        };
        let coordinate = match self.coordinate.as_deref() {
            None => 0,
            Some(c) => c
                .strip_prefix('z')
                .and_then(|d| strength_index(&format!("s{d}")))
                .ok_or_else(|| {
                    InputError::new(
                        format!("{field}.coordinate"),
                        format!("{c:?} is not a response coordinate; write \"z1\", \"z2\", …"),
                    )
                })?,
        };
        let transient = self.transient.unwrap_or(2000);
        let points = self.points.unwrap_or(64);
        if points == 0 {
            return Err(InputError::new(
                format!("{field}.points"),
                "must be at least 1; keep at least one iterate per step",
            ));
        }
        if self.panels.is_empty() {
            return Err(InputError::new(
                format!("{field}.panels"),
                "is empty; give at least one panel (a training map and its steps)",
            ));
        }
        let mut panels = Vec::new();
        let mut kept = 0usize;
        for (i, p) in self.panels.iter().enumerate() {
            let at = format!("{field}.panels[{i}]");
            let momentum = p
                .method
                .momentum_of(p.momentum)
                .map_err(|m| InputError::new(format!("{at}.momentum"), m))?;
            let steps = p.steps.values(&format!("{at}.steps"))?;
            if steps.is_empty() || steps.len() > MAX_STEPS {
                return Err(InputError::new(
                    format!("{at}.steps"),
                    format!("has {} steps; give between 1 and {MAX_STEPS}", steps.len()),
                ));
            }
            if let Some(h) = steps.iter().find(|h| !(h.is_finite() && **h > 0.0)) {
                return Err(InputError::new(
                    format!("{at}.steps"),
                    format!("must all be positive and finite, got {h}; give steps h > 0"),
                ));
            }
            if steps.windows(2).any(|w| w[1] <= w[0]) {
                return Err(InputError::new(
                    format!("{at}.steps"),
                    "must be strictly increasing; list the steps h from small to large",
                ));
            }
            let work = steps.len().saturating_mul(transient.saturating_add(points));
            if work > MAX_ITERATIONS {
                return Err(InputError::new(
                    format!("{field}.transient"),
                    format!(
                        "panel {i}: steps × (transient + points) = {work} map iterations, more than {MAX_ITERATIONS}; use fewer steps or a shorter transient"
                    ),
                ));
            }
            kept = kept.saturating_add(steps.len().saturating_mul(points));
            if kept > MAX_ORBIT_POINTS {
                return Err(InputError::new(
                    format!("{field}.points"),
                    format!(
                        "the panels keep steps × points = {kept} points or more, above {MAX_ORBIT_POINTS}; keep fewer points per step or use fewer steps"
                    ),
                ));
            }
            let (map, name) = (p.method.map(1.0, momentum), p.method.label(momentum));
            let x_scale: crate::plot::Scale = p.x_scale.into();
            panels.push(OrbitPanelPlan {
                title: p.title.clone().unwrap_or(name),
                map,
                steps,
                x_scale,
            });
        }
        Ok(OrbitDiagramPlan {
            frame,
            coordinate,
            transient,
            points,
            panels,
        })
    }
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
    /// Checks that an orbit diagram, when asked for, has exactly one model to draw.
    pub fn check_model_count(&self, models: usize) -> Result<(), InputError> {
        if self.orbit_diagram.is_some() && models != 1 {
            return Err(InputError::new(
                "equilibrium.orbit_diagram",
                format!(
                    "draws one model, but the spec describes {models}; remove `runs` and `vary`, or write one spec per model"
                ),
            ));
        }
        Ok(())
    }

    /// Checks the settings against one model: the start's length, the continuation
    /// parameter (applied at its first value) and the orbit diagram's coordinate.
    pub fn check_model(&self, model: &FeatureModel) -> Result<(), InputError> {
        if let Some(plan) = &self.orbit_diagram
            && plan.coordinate >= model.features()
        {
            return Err(InputError::new(
                "equilibrium.orbit_diagram.coordinate",
                format!(
                    "is z{}, but the model has {} features; choose one of z1 … z{}",
                    plan.coordinate + 1,
                    model.features(),
                    model.features()
                ),
            ));
        }
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
    /// The orbit diagram to draw, checked.
    pub orbit_diagram: Option<OrbitDiagramPlan>,
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
                orbit_diagram: None,
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
        let orbit_diagram = section
            .orbit_diagram
            .as_ref()
            .map(OrbitDiagramSpec::plan)
            .transpose()?;
        Ok(EquilibriumSettings {
            options,
            start: section.start,
            continuation,
            continuation_x_scale,
            orbit_diagram,
        })
    }
}
