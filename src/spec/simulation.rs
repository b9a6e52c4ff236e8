//! The `simulation` section and concrete runs: space, method, solver options, events, initial
//! state; each run integrated by [`RunSpec::simulate`].

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::json::from_value;
use super::model::build_model;
use super::values::ValuesSpec;
use crate::error::{Error, InputError, SolveError};
use crate::flow::Space;
use crate::model::FeatureModel;
use crate::solve::{
    Direction, LevelCrossing, Method, Output, SolveOptions, SteadyState, Trajectory,
};

/// One concrete run: label, model, space, method and options.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// Label shown in outputs.
    pub label: String,
    /// Values of the `vary` axes for this run.
    pub parameters: BTreeMap<String, Value>,
    /// The merged run object (model + simulation) as JSON.
    pub raw: Value,
    /// The model.
    pub model: FeatureModel,
    /// The space.
    pub space: Space,
    /// The method.
    pub method: Method,
    /// The options.
    pub options: SolveOptions,
    /// Initial state (None: the space's default).
    pub initial_state: Option<Vec<f64>>,
}

impl RunSpec {
    pub(crate) fn from_value(
        run: Value,
        label: String,
        parameters: BTreeMap<String, Value>,
    ) -> Result<Self, InputError> {
        let obj = run.as_object().cloned().unwrap_or_default();
        let model_v = obj
            .get("model")
            .cloned()
            .ok_or_else(|| InputError::new("model", "is missing; add a `model` section"))?;
        let sim_v = obj.get("simulation").cloned().ok_or_else(|| {
            InputError::new(
                "simulation",
                "is missing; add a `simulation` section with at least `t_end`",
            )
        })?;
        let model = build_model(model_v)?;
        let sim: SimulationSpec = from_value(sim_v, "simulation")?;
        let parts = sim.into_parts(model.features())?;
        Ok(Self {
            label,
            parameters,
            raw: run,
            model,
            space: parts.space,
            method: parts.method,
            options: parts.options,
            initial_state: parts.initial_state,
        })
    }
}

/// The `simulation` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSpec {
    /// "z" (default), "theta" or "alpha".
    #[serde(default)]
    pub space: Option<String>,
    /// Method name (default "dop853").
    #[serde(default)]
    pub method: Option<String>,
    /// Start time (default 0).
    #[serde(default)]
    pub t_start: Option<f64>,
    /// End time (required).
    pub t_end: f64,
    /// Relative tolerance (default 1e−8).
    #[serde(default)]
    pub rtol: Option<f64>,
    /// Absolute tolerance (default 1e−10).
    #[serde(default)]
    pub atol: Option<f64>,
    /// `{"count": N}`, `{"times": [...]}` or `"steps"` (default count 101).
    #[serde(default)]
    pub output: Option<OutputSpec>,
    /// Step budget (default 500 000).
    #[serde(default)]
    pub max_steps: Option<usize>,
    /// First step of adaptive methods.
    #[serde(default)]
    pub initial_step: Option<f64>,
    /// Largest step of adaptive methods.
    #[serde(default)]
    pub max_step: Option<f64>,
    /// Step h of the maps `gd`, `heavy_ball`, `nesterov`.
    #[serde(default)]
    pub step: Option<f64>,
    /// Momentum μ ∈ [0, 1) of `heavy_ball` and `nesterov`.
    #[serde(default)]
    pub momentum: Option<f64>,
    /// Initial state in the chosen space (default zeros; α = 1e−8).
    #[serde(default)]
    pub initial_state: Option<Vec<f64>>,
    /// Events.
    #[serde(default)]
    pub events: Option<EventsSpec>,
    /// Stiffness test interval for dopri5/dop853.
    #[serde(default)]
    pub stiffness_test_interval: Option<usize>,
}

/// Output times as written in a spec.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum OutputSpec {
    /// N equally spaced times.
    Count(usize),
    /// Explicit times: a list, `{"linspace": …}` or `{"logspace": …}`.
    Times(ValuesSpec),
    /// Every step.
    Steps,
}

impl OutputSpec {
    /// The solver's output times; errors name `field`.
    pub fn to_output(&self, field: &str) -> Result<Output, InputError> {
        Ok(match self {
            OutputSpec::Count(c) => Output::Count(*c),
            OutputSpec::Times(t) => Output::Times(t.values(&format!("{field}.times"))?),
            OutputSpec::Steps => Output::Steps,
        })
    }
}

/// Events section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsSpec {
    /// Stop at steady state.
    #[serde(default)]
    pub steady_state: Option<SteadyStateSpec>,
    /// Level crossings.
    #[serde(default)]
    pub level_crossings: Vec<LevelCrossingSpec>,
}

/// Steady-state event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SteadyStateSpec {
    /// Threshold on the weighted field norm (default 1).
    #[serde(default)]
    pub tolerance: Option<f64>,
}

/// Level-crossing event; `feature` is 1-based (1 is z₁).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelCrossingSpec {
    /// Feature j, 1-based.
    pub feature: usize,
    /// Level.
    pub level: f64,
    /// "up" (default), "down" or "either".
    #[serde(default)]
    pub direction: Option<String>,
    /// Stop at the first crossing (default true).
    #[serde(default)]
    pub terminal: Option<bool>,
}

/// The validated content of a `simulation` section.
#[derive(Debug, Clone)]
pub struct SimulationParts {
    /// Space of the state.
    pub space: Space,
    /// Method.
    pub method: Method,
    /// Options.
    pub options: SolveOptions,
    /// Initial state (None: the space's default).
    pub initial_state: Option<Vec<f64>>,
}

/// Parses a space name.
pub fn parse_space(name: &str, field: &str) -> Result<Space, InputError> {
    match name {
        "z" => Ok(Space::Responses),
        "theta" => Ok(Space::Parameters),
        "alpha" => Ok(Space::Dual),
        other => Err(InputError::new(
            field,
            format!("unknown space {other:?}; use \"z\", \"theta\" or \"alpha\""),
        )),
    }
}

/// Parses a method name.
pub fn parse_method(name: &str, field: &str) -> Result<Method, InputError> {
    if let Some(reason) = Method::refusal(name) {
        return Err(InputError::new(field, reason));
    }
    Method::from_name(name).ok_or_else(|| {
        InputError::new(
            field,
            format!(
                "unknown method {name:?}; use one of {}",
                Method::ALL.map(|m| format!("\"{}\"", m.name())).join(", ")
            ),
        )
    })
}

impl SimulationSpec {
    /// Space, method, validated options and initial state; errors under `simulation.`.
    pub fn into_parts(self, features: usize) -> Result<SimulationParts, InputError> {
        let space = parse_space(self.space.as_deref().unwrap_or("z"), "simulation.space")?;
        let method = parse_method(
            self.method.as_deref().unwrap_or("dop853"),
            "simulation.method",
        )?;
        let mut o = SolveOptions::until(self.t_end);
        if let Some(v) = self.t_start {
            o.t_start = v;
        }
        if let Some(v) = self.rtol {
            o.rtol = v;
        }
        if let Some(v) = self.atol {
            o.atol = v;
        }
        if let Some(v) = self.max_steps {
            o.max_steps = v;
        }
        if let Some(v) = self.stiffness_test_interval {
            o.stiffness_test_interval = v;
        }
        o.initial_step = self.initial_step;
        o.max_step = self.max_step;
        o.step = self.step;
        o.momentum = self.momentum;
        o.output = match &self.output {
            None => Output::default(),
            Some(out) => out.to_output("simulation.output")?,
        };
        if let Some(ev) = self.events {
            if let Some(ss) = ev.steady_state {
                o.steady_state = Some(SteadyState {
                    tolerance: ss.tolerance.unwrap_or(SteadyState::default().tolerance),
                });
            }
            for (i, lc) in ev.level_crossings.into_iter().enumerate() {
                let p = format!("simulation.events.level_crossings[{i}]");
                if lc.feature == 0 || lc.feature > features {
                    return Err(InputError::new(
                        format!("{p}.feature"),
                        format!(
                            "must be between 1 and {features} (1 is z₁), got {}",
                            lc.feature
                        ),
                    ));
                }
                let direction = match lc.direction.as_deref().unwrap_or("up") {
                    "up" => Direction::Up,
                    "down" => Direction::Down,
                    "either" => Direction::Either,
                    other => {
                        return Err(InputError::new(
                            format!("{p}.direction"),
                            format!(
                                "unknown direction {other:?}; use \"up\", \"down\" or \"either\""
                            ),
                        ));
                    }
                };
                o.level_crossings.push(LevelCrossing {
                    feature: lc.feature - 1,
                    level: lc.level,
                    direction,
                    terminal: lc.terminal.unwrap_or(true),
                });
            }
        }
        o.validate(method, features).map_err(|e| {
            let f = e.field.replacen("options.", "simulation.", 1);
            InputError::new(f, e.message)
        })?;
        Ok(SimulationParts {
            space,
            method,
            options: o,
            initial_state: self.initial_state,
        })
    }
}

impl RunSpec {
    /// Integrates this run.
    pub fn simulate(&self) -> Result<crate::solve::Trajectory, Error> {
        let field =
            crate::flow::build_flow(&self.model, self.space).map_err(|e| e.within("model"))?;
        let y0 = match &self.initial_state {
            Some(y) => y.clone(),
            None => field.default_initial_state(),
        };
        let trajectory = crate::solve::integrate(field.as_ref(), &y0, self.method, &self.options)
            .map_err(|e| match e {
            Error::Input(i) => Error::Input(InputError::new(
                i.field.replacen("options.", "simulation.", 1),
                i.message,
            )),
            other => other,
        })?;
        trajectory_verdict(&trajectory)?;
        Ok(trajectory)
    }

    /// Checks that the run can start (flow exists in its space, initial state fits).
    pub fn check(&self) -> Result<(), InputError> {
        let field =
            crate::flow::build_flow(&self.model, self.space).map_err(|e| e.within("model"))?;
        if let Some(y) = &self.initial_state {
            if y.len() != field.dim() {
                return Err(InputError::new(
                    "simulation.initial_state",
                    format!(
                        "has {} entries but the {} state has dimension {}",
                        y.len(),
                        self.space,
                        field.dim()
                    ),
                ));
            }
            check_state_values(self.space, y, "simulation.initial_state")?;
        }
        Ok(())
    }
}

/// Whether an integrated trajectory is a result: every recorded state and response finite. A
/// trajectory that overflowed is a numerical failure at the first non-finite record, never
/// output.
pub fn trajectory_verdict(tr: &Trajectory) -> Result<(), SolveError> {
    let bad = tr
        .states
        .iter()
        .zip(&tr.responses)
        .zip(&tr.times)
        .position(|((y, z), t)| !t.is_finite() || y.iter().chain(z).any(|v| !v.is_finite()));
    match bad {
        None => Ok(()),
        Some(i) => Err(SolveError::NonFinite {
            method: tr.method.name().to_string(),
            t: tr.times.get(i).copied().unwrap_or(f64::NAN),
        }),
    }
}

/// Checks the entries of a state (or of some of its coordinates) of `space`: finite, and for the
/// dual space (α, M10/M11) strictly between 0 and 1. Errors name `field[i]`.
pub fn check_state_values(space: Space, values: &[f64], field: &str) -> Result<(), InputError> {
    for (i, v) in values.iter().enumerate() {
        if !v.is_finite() {
            return Err(InputError::new(
                format!("{field}[{i}]"),
                format!("must be a finite number, got {v}"),
            ));
        }
        if space == Space::Dual && !(*v > 0.0 && *v < 1.0) {
            return Err(InputError::new(
                format!("{field}[{i}]"),
                format!(
                    "is {v}, but dual variables α lie strictly between 0 and 1 (the paper starts at 1e-8)"
                ),
            ));
        }
    }
    Ok(())
}

impl RunSpec {
    /// What output documents record about this run.
    pub fn input(&self) -> crate::result::RunInput<'_> {
        crate::result::RunInput {
            label: &self.label,
            parameters: &self.parameters,
            raw: &self.raw,
            model: &self.model,
            space: self.space,
            method: self.method,
            options: &self.options,
        }
    }
}
