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
use crate::solve::{Method, Output, SolveOptions, Trajectory};

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
        let parts = simulation(sim_v, model.features())?;
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

/// The keys of a `simulation` section that are not solver options: the space, the method and
/// the initial state. Every other key is a field of [`SolveOptions`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(schemars::JsonSchema)]
pub(crate) struct Setting {
    /// "z" (default), "theta" or "alpha".
    #[serde(default)]
    space: Space,
    /// Method name (default "dop853").
    #[serde(default)]
    method: Method,
    /// Initial state in the chosen space (default: the space's, zeros or α = 1e−8).
    #[serde(default)]
    initial_state: Option<Vec<f64>>,
}

/// The schema of the keys of a `simulation` section that are not solver options.
pub fn simulation_setting_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    <Setting as schemars::JsonSchema>::json_schema(generator)
}

/// The keys of [`Setting`].
const SETTING_KEYS: [&str; 3] = ["space", "method", "initial_state"];

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

/// Reads and validates a `simulation` section for a model with `features` responses: space,
/// method and initial state, and the rest as [`SolveOptions`] (the engine's type, with its
/// defaults), validated by [`SolveOptions::validate`]. Errors name the field under
/// `simulation.`.
pub fn simulation(section: Value, features: usize) -> Result<SimulationParts, InputError> {
    let Value::Object(mut options) = section else {
        return Err(InputError::new(
            "simulation",
            format!("must be an object such as {{\"t_end\": 10}}, got {section}"),
        ));
    };
    let mut setting = serde_json::Map::new();
    for key in SETTING_KEYS {
        if let Some(v) = options.remove(key) {
            setting.insert(key.to_string(), v);
        }
    }
    if let Some(Value::String(name)) = setting.get("method") {
        refuse_method(name, "simulation.method")?;
    }
    let setting: Setting = from_value(Value::Object(setting), "simulation")?;
    if let Some(output) = options.get_mut("output") {
        expand_times(output, "simulation.output")?;
    }
    let options: SolveOptions = from_value(Value::Object(options), "simulation").map_err(|e| {
        match e.message.split_once("; remove it") {
            // The list serde gives names the solver options only; add the setting's keys.
            Some((known, fix)) if e.message.starts_with("unknown field") => InputError::new(
                e.field.clone(),
                format!("{known}, or `space`, `method`, `initial_state`; remove it{fix}"),
            ),
            _ => e,
        }
    })?;
    if setting.method == Method::Adam && setting.space != Space::Parameters {
        return Err(InputError::new(
            "simulation.method",
            crate::solve::ADAM_SPACE_REFUSAL,
        ));
    }
    options
        .validate_for_spec(setting.method, features)
        .map_err(|e| InputError::new(e.field.replacen("options.", "simulation.", 1), e.message))?;
    Ok(SimulationParts {
        space: setting.space,
        method: setting.method,
        options,
        initial_state: setting.initial_state,
    })
}

/// Reads recorded times (`{"count": N}`, `{"times": …}` or `"steps"`) at `field`; the times may
/// be a list or a `linspace`/`logspace` range.
pub fn parse_output(mut value: Value, field: &str) -> Result<Output, InputError> {
    expand_times(&mut value, field)?;
    from_value(value, field)
}

/// Replaces a `linspace`/`logspace` range under `{"times": …}` by its list of values, so that
/// [`Output`] reads a list.
fn expand_times(output: &mut Value, field: &str) -> Result<(), InputError> {
    if let Some(times) = output.get_mut("times")
        && times.is_object()
    {
        let f = format!("{field}.times");
        let values: ValuesSpec = from_value(times.clone(), &f)?;
        *times = Value::from(values.values(&f)?);
    }
    Ok(())
}

/// Parses a space name.
pub fn parse_space(name: &str, field: &str) -> Result<Space, InputError> {
    from_value(Value::String(name.to_string()), field)
}

/// Parses a method name.
pub fn parse_method(name: &str, field: &str) -> Result<Method, InputError> {
    refuse_method(name, field)?;
    from_value(Value::String(name.to_string()), field)
}

/// The error for a method name that has no map here (Adam; SGD under another name), saying what
/// to use instead ([`Method::refusal`]).
fn refuse_method(name: &str, field: &str) -> Result<(), InputError> {
    match Method::refusal(name) {
        Some(reason) => Err(InputError::new(field, reason)),
        None => Ok(()),
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
            check_state_values(self.space, self.model.loss(), y, "simulation.initial_state")?;
        }
        Ok(())
    }
}

/// Largest memory the trajectories of one spec's runs may take together (4 GiB, as one
/// network training): every run is kept whole until its document is written.
pub const MAX_RUNS_BYTES: f64 = 4.0 * (1u64 << 30) as f64;

impl RunSpec {
    /// Bytes the trajectory of this run takes at most: per recorded point the time, the state
    /// and the responses (f64 each), and its printed row in the table and the CSV (about 24
    /// bytes per number). `"steps"` output records at most `max_steps` + 1 points.
    pub fn trajectory_bytes(&self) -> f64 {
        let points = match &self.options.output {
            crate::solve::Output::Count(c) => *c as f64,
            crate::solve::Output::Times(ts) => ts.len() as f64 + 2.0,
            _ => self.options.max_steps as f64 + 1.0,
        };
        let state = match self.space {
            crate::flow::Space::Responses => self.model.features(),
            crate::flow::Space::Parameters => self.model.parameters(),
            crate::flow::Space::Dual => self.model.examples(),
            #[allow(unreachable_patterns)]
            _ => self.model.parameters().max(self.model.examples()),
        } as f64;
        let numbers = 1.0 + state + self.model.features() as f64;
        points * numbers * (8.0 + 24.0)
    }
}

/// Refuses runs whose trajectories together would exceed [`MAX_RUNS_BYTES`] (checked by `check`
/// and before `run` integrates anything); the error names `simulation.output`.
pub fn check_runs_memory(runs: &[RunSpec]) -> Result<(), InputError> {
    let bytes: f64 = runs.iter().map(RunSpec::trajectory_bytes).sum();
    if bytes.is_nan() || bytes > MAX_RUNS_BYTES {
        return Err(InputError::new(
            "simulation.output",
            format!(
                "the {} run(s) would record about {:.1} GiB of trajectories (points × (1 + state + responses), with their tables), more than the {:.0} GiB one spec may hold; record fewer points (`{{\"count\": N}}`), fewer runs, or use a `sweep` section for large grids",
                runs.len(),
                bytes / (1u64 << 30) as f64,
                MAX_RUNS_BYTES / (1u64 << 30) as f64
            ),
        ));
    }
    Ok(())
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
/// dual space (α, M10/M11) inside the open domain of the loss's conjugate (between 0 and 1 for
/// the cross-entropy, positive for the exponential tail, any number for the quadratic model and
/// the squared loss). Errors name `field[i]`.
pub fn check_state_values(
    space: Space,
    loss: crate::model::LossModel,
    values: &[f64],
    field: &str,
) -> Result<(), InputError> {
    let domain = loss.dual_domain().unwrap_or((0.0, 1.0));
    for (i, v) in values.iter().enumerate() {
        if !v.is_finite() {
            return Err(InputError::new(
                format!("{field}[{i}]"),
                format!("must be a finite number, got {v}"),
            ));
        }
        if space == Space::Dual && !(*v > domain.0 && *v < domain.1) {
            return Err(InputError::new(
                format!("{field}[{i}]"),
                if domain.1 == 1.0 {
                    format!(
                        "is {v}, but dual variables α lie strictly between 0 and 1 (the paper starts at 1e-8)"
                    )
                } else {
                    format!(
                        "is {v}, but the {} loss's dual variables α are positive",
                        loss.name()
                    )
                },
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
