//! JSON specifications: what to simulate, validated with messages that name the field and say
//! how to fix it; plus provenance and atomic file writes for the outputs.
//!
//! A spec is one JSON object. Its base `model` and `simulation` are merged with each entry of
//! `runs` (a partial override with a `label`), and every combination of the `vary` axes is run.
//! Unknown fields are rejected everywhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nalgebra::DMatrix;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{Error, InputError};
use crate::flow::Space;
use crate::model::{FeatureModel, LossModel, Regulariser, SpectralDecoupling, Spectrum};
use crate::solve::{Direction, LevelCrossing, Method, Output, SolveOptions, SteadyState};

/// Reads and parses a spec file; errors name the field (exit status 2 in the CLI).
pub fn read_spec(path: &Path) -> Result<Spec, InputError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        InputError::new(
            "SPEC",
            format!(
                "cannot read {}: {e}; give the path of a JSON spec file",
                path.display()
            ),
        )
    })?;
    parse_spec(&text)
}

/// Parses a spec from JSON text.
pub fn parse_spec(text: &str) -> Result<Spec, InputError> {
    let value: Value = serde_json::from_str(text).map_err(|e| json_syntax_error(text, &e))?;
    let spec: Spec = from_value(value.clone(), "")?;
    let spec = Spec { raw: value, ..spec };
    spec.validate()?;
    Ok(spec)
}

fn json_syntax_error(text: &str, e: &serde_json::Error) -> InputError {
    let hint = if e.is_eof() {
        "the file ends too early (truncated JSON?); close every brace and bracket"
    } else {
        "fix the JSON syntax (JSON has no NaN, Infinity or comments; numbers must be finite)"
    };
    let offset: usize = text
        .split_inclusive('\n')
        .take(e.line().saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        + e.column().saturating_sub(1);
    let path = json_path_at(text, offset.min(text.len()));
    let place = format!("line {}, column {}", e.line(), e.column());
    let field = if path.is_empty() {
        format!("spec ({place})")
    } else {
        format!("{path} ({place})")
    };
    InputError::new(field, format!("is not valid JSON: {e}; {hint}"))
}

/// The dotted path of the JSON value being read at byte `offset` (for syntax errors).
fn json_path_at(text: &str, offset: usize) -> String {
    enum Frame {
        Object(Option<String>),
        Array(usize),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut chars = text[..end].char_indices().peekable();
    let mut last_string = String::new();
    while let Some((_, c)) = chars.next() {
        match c {
            '"' => {
                last_string.clear();
                while let Some((_, d)) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        other => last_string.push(other),
                    }
                }
            }
            ':' => {
                if let Some(Frame::Object(key)) = stack.last_mut() {
                    *key = Some(last_string.clone());
                }
            }
            ',' => match stack.last_mut() {
                Some(Frame::Array(i)) => *i += 1,
                Some(Frame::Object(key)) => *key = None,
                None => {}
            },
            '{' => stack.push(Frame::Object(None)),
            '[' => stack.push(Frame::Array(0)),
            '}' | ']' => {
                stack.pop();
            }
            _ => {}
        }
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object(Some(k)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object(None) => {}
            Frame::Array(i) => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

/// Deserializes `value` into `T`, turning serde's message into an [`InputError`] at the exact
/// field path (under `prefix`).
pub fn from_value<T: serde::de::DeserializeOwned>(
    value: Value,
    prefix: &str,
) -> Result<T, InputError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner().to_string();
        let field = match (prefix.is_empty(), path == ".") {
            (true, true) => "spec".to_string(),
            (true, false) => path,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}.{path}"),
        };
        let fix = if inner.starts_with("unknown field") {
            "; remove it or correct its spelling"
        } else if inner.starts_with("missing field") {
            "; add it"
        } else if inner.contains("unknown variant") {
            "; use one of the listed names"
        } else {
            ""
        };
        InputError::new(field, format!("{inner}{fix}"))
    })
}

/// The whole spec file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Name: used for output file names (letters, digits, '_', '-', '.').
    pub name: String,
    /// Free text shown in outputs.
    #[serde(default)]
    pub description: String,
    /// Base model, merged under each run's `model`.
    #[serde(default)]
    pub model: Option<Value>,
    /// Base simulation settings, merged under each run's `simulation`.
    #[serde(default)]
    pub simulation: Option<Value>,
    /// Runs: partial overrides of `model` / `simulation`, each with a `label`.
    #[serde(default)]
    pub runs: Option<Vec<Value>>,
    /// Parameters to vary: every combination is run.
    #[serde(default)]
    pub vary: Vec<VaryAxis>,
    /// Plot section (see the `plot` module).
    #[serde(default)]
    pub plot: Option<Value>,
    /// Equilibrium section (see the `equilibrium` command).
    #[serde(default)]
    pub equilibrium: Option<Value>,
    /// Portrait section (see the `portrait` module).
    #[serde(default)]
    pub portrait: Option<Value>,
    /// Sweep section (see the `sweep` module).
    #[serde(default)]
    pub sweep: Option<Value>,
    /// The spec as read, kept for provenance.
    #[serde(skip)]
    pub raw: Value,
}

/// One varied parameter: a dotted path into a run (e.g. `model.features.toy.s1`) and its values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaryAxis {
    /// Dotted path into the merged run object.
    pub path: String,
    /// Values, in order.
    pub values: Vec<Value>,
}

impl Spec {
    fn validate(&self) -> Result<(), InputError> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        {
            return Err(InputError::new(
                "name",
                format!(
                    "{:?} is not a usable file name; use letters, digits, '_', '-' or '.'",
                    self.name
                ),
            ));
        }
        if let Some(runs) = &self.runs
            && runs.is_empty()
        {
            return Err(InputError::new(
                "runs",
                "is empty; give at least one run, or leave `runs` out for a single run",
            ));
        }
        for (i, axis) in self.vary.iter().enumerate() {
            if axis.values.is_empty() {
                return Err(InputError::new(
                    format!("vary[{i}].values"),
                    "is empty; give at least one value",
                ));
            }
            if axis.path.is_empty()
                || !(axis.path.starts_with("model.") || axis.path.starts_with("simulation."))
            {
                return Err(InputError::new(
                    format!("vary[{i}].path"),
                    format!(
                        "{:?} must start with \"model.\" or \"simulation.\" (e.g. \"model.features.toy.s1\")",
                        axis.path
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Expands base, runs and vary into merged run objects (not yet validated).
    pub fn expand_values(&self) -> Result<Vec<ExpandedRun>, InputError> {
        let base = {
            let mut m = Map::new();
            if let Some(v) = &self.model {
                m.insert("model".into(), v.clone());
            }
            if let Some(v) = &self.simulation {
                m.insert("simulation".into(), v.clone());
            }
            Value::Object(m)
        };
        // (where it came from, label, override)
        let overrides: Vec<(String, String, Value)> = match &self.runs {
            None => vec![("run".into(), "run".into(), Value::Object(Map::new()))],
            Some(list) => list
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let label = v
                        .get("label")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("run{}", i + 1));
                    (format!("runs[{i}]"), label, v.clone())
                })
                .collect(),
        };
        // Cartesian product of vary axes.
        let mut combos: Vec<Vec<(usize, usize)>> = vec![Vec::new()];
        for (a, axis) in self.vary.iter().enumerate() {
            let mut next = Vec::new();
            for c in &combos {
                for v in 0..axis.values.len() {
                    let mut c2 = c.clone();
                    c2.push((a, v));
                    next.push(c2);
                }
            }
            combos = next;
        }
        let mut out = Vec::new();
        for (origin, label, over) in &overrides {
            let mut merged = base.clone();
            let mut over = over.clone();
            if let Value::Object(m) = &mut over {
                m.remove("label");
                for key in m.keys() {
                    if key != "model" && key != "simulation" {
                        return Err(InputError::new(
                            format!("{origin}.{key}"),
                            "is not a run field; a run may set `label`, `model` and `simulation`",
                        ));
                    }
                }
            } else {
                return Err(InputError::new(origin.as_str(), "must be an object"));
            }
            merge(&mut merged, &over);
            for combo in &combos {
                let mut run = merged.clone();
                let mut parameters = BTreeMap::new();
                let mut suffix = String::new();
                for &(a, v) in combo {
                    let axis = &self.vary[a];
                    set_path(&mut run, &axis.path, axis.values[v].clone());
                    parameters.insert(axis.path.clone(), axis.values[v].clone());
                    let short = axis.path.rsplit('.').next().unwrap_or(&axis.path);
                    suffix.push_str(&format!(" {short}={}", axis.values[v]));
                }
                let context = if combo.is_empty() {
                    origin.clone()
                } else {
                    format!("{origin}{suffix}")
                };
                out.push(ExpandedRun {
                    label: label.clone() + &suffix,
                    context,
                    show_context: self.runs.is_some() || !combo.is_empty(),
                    parameters,
                    value: run,
                });
            }
        }
        Ok(out)
    }

    /// Expands base, runs and vary into the list of concrete runs (validated).
    pub fn expand_runs(&self) -> Result<Vec<RunSpec>, InputError> {
        self.expand_values()?
            .into_iter()
            .map(|e| {
                RunSpec::from_value(e.value, e.label, e.parameters)
                    .map_err(|err| err.within_run(&e.context, e.show_context))
            })
            .collect()
    }

    /// Expands base, runs and vary into labelled models (the `simulation` sections are ignored):
    /// (label, vary values, model) per run.
    pub fn expand_models(&self) -> Result<Vec<LabelledModel>, InputError> {
        self.expand_values()?
            .into_iter()
            .map(|e| {
                let model_v =
                    e.value.get("model").cloned().ok_or_else(|| {
                        InputError::new("model", "is missing; add a `model` section")
                    })?;
                let model = build_model(model_v)
                    .map_err(|err| err.within_run(&e.context, e.show_context))?;
                Ok((e.label, e.parameters, model))
            })
            .collect()
    }
}

/// A model with its run label and the values of the `vary` axes.
pub type LabelledModel = (String, BTreeMap<String, Value>, FeatureModel);

/// A run object after merging base, override and vary values.
#[derive(Debug, Clone)]
pub struct ExpandedRun {
    /// Label (with the vary values appended).
    pub label: String,
    /// Where it came from, for error messages.
    pub context: String,
    show_context: bool,
    /// Values of the vary axes.
    pub parameters: BTreeMap<String, Value>,
    /// The merged object {model, simulation}.
    pub value: Value,
}

impl InputError {
    fn within_run(self, context: &str, show: bool) -> InputError {
        if show {
            InputError::new(self.field, format!("{} (in {context})", self.message))
        } else {
            self
        }
    }
}

/// Deep merge: objects merge key by key, anything else replaces.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    // An externally tagged enum ({"l2": …} vs {"sd": …}) switching variant replaces.
                    Some(bv) if bv.is_object() && v.is_object() && same_tag(bv, v) => merge(bv, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

fn same_tag(a: &Value, b: &Value) -> bool {
    // Objects with one key that differ in that key are different enum variants: replace.
    match (a.as_object(), b.as_object()) {
        (Some(x), Some(y)) if x.len() == 1 && y.len() == 1 => x.keys().next() == y.keys().next(),
        _ => true,
    }
}

fn set_path(root: &mut Value, path: &str, value: Value) {
    let mut cur = root;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, p) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let obj = cur.as_object_mut().expect("object");
        if i + 1 == parts.len() {
            obj.insert((*p).to_string(), value);
            return;
        }
        cur = obj
            .entry((*p).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

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
    fn from_value(
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

/// The `model` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// How s and U are given.
    pub features: FeaturesSpec,
    /// Optional random feature directions V in more parameters (does not affect z).
    #[serde(default)]
    pub directions: Option<DirectionsSpec>,
    /// Regulariser (default L2 with λ = 0.01, the paper's setting).
    #[serde(default)]
    pub regulariser: Option<RegulariserSpec>,
    /// Loss model (default exact).
    #[serde(default)]
    pub loss: Option<LossSpec>,
    /// Rate η (default 1).
    #[serde(default)]
    pub rate: Option<f64>,
}

/// The four ways to give features.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FeaturesSpec {
    /// The paper's two-feature toy (M17).
    Toy {
        /// s₁.
        s1: f64,
        /// s₂.
        s2: f64,
        /// δ, |δ| < 1.
        delta: f64,
    },
    /// Explicit strengths and orthogonal coupling U (rows = examples).
    Explicit {
        /// s_j.
        strengths: Vec<f64>,
        /// U as a list of rows.
        coupling: Vec<Vec<f64>>,
        /// Labels (default all +1).
        #[serde(default)]
        labels: Option<Vec<f64>>,
    },
    /// Tangent features Φ (list of n rows of m numbers) and labels: SVD (M3).
    Tangent {
        /// Φ as a list of rows.
        phi: Vec<Vec<f64>>,
        /// Labels ±1, one per row.
        labels: Vec<f64>,
    },
    /// Haar-random orthogonal U with a spectrum.
    Random {
        /// n.
        examples: usize,
        /// Seed.
        seed: u64,
        /// Explicit strengths (length n).
        #[serde(default)]
        strengths: Option<Vec<f64>>,
        /// s_j = largest · j^(−exponent).
        #[serde(default)]
        power_law: Option<PowerLawSpec>,
        /// s_j² log-spaced between two values.
        #[serde(default)]
        log_spaced: Option<LogSpacedSpec>,
        /// Labels (default all +1).
        #[serde(default)]
        labels: Option<Vec<f64>>,
    },
}

/// Power-law spectrum.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerLawSpec {
    /// s₁.
    pub largest: f64,
    /// Decay exponent.
    pub exponent: f64,
}

/// Log-spaced squared strengths.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSpacedSpec {
    /// Largest s².
    pub max_squared: f64,
    /// Smallest s².
    pub min_squared: f64,
}

/// Random feature directions V.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectionsSpec {
    /// m, the number of parameters (≥ features).
    pub parameters: usize,
    /// Seed.
    pub seed: u64,
}

/// Regulariser as written in a spec.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RegulariserSpec {
    /// No regulariser.
    None,
    /// Weight decay.
    L2 {
        /// λ ≥ 0.
        lambda: f64,
    },
    /// Spectral Decoupling; optional per-class λ and targets.
    Sd {
        /// λ (both classes unless `lambda_negative` is given).
        lambda: f64,
        /// λ for class −1.
        #[serde(default)]
        lambda_negative: Option<f64>,
        /// γ for class +1 (default 0).
        #[serde(default)]
        target_positive: Option<f64>,
        /// γ for class −1 (default 0).
        #[serde(default)]
        target_negative: Option<f64>,
    },
}

impl RegulariserSpec {
    /// The model's regulariser.
    pub fn to_regulariser(&self) -> Regulariser {
        match self {
            RegulariserSpec::None => Regulariser::None,
            RegulariserSpec::L2 { lambda } => Regulariser::L2 { lambda: *lambda },
            RegulariserSpec::Sd {
                lambda,
                lambda_negative,
                target_positive,
                target_negative,
            } => Regulariser::SpectralDecoupling(SpectralDecoupling {
                lambda_positive: *lambda,
                lambda_negative: lambda_negative.unwrap_or(*lambda),
                target_positive: target_positive.unwrap_or(0.0),
                target_negative: target_negative.unwrap_or(0.0),
            }),
        }
    }
}

/// Loss model names.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossSpec {
    /// Exact cross-entropy.
    Exact,
    /// Quadratic expansion.
    Quadratic,
    /// Exponential tail.
    ExponentialTail,
}

impl From<LossSpec> for LossModel {
    fn from(l: LossSpec) -> Self {
        match l {
            LossSpec::Exact => LossModel::Exact,
            LossSpec::Quadratic => LossModel::Quadratic,
            LossSpec::ExponentialTail => LossModel::ExponentialTail,
        }
    }
}

/// Builds and validates a model from its JSON section; errors are under `model.`.
pub fn build_model(value: Value) -> Result<FeatureModel, InputError> {
    let spec: ModelSpec = from_value(value, "model")?;
    spec.build().map_err(|e| e.within("model"))
}

fn matrix_from_rows(rows: &[Vec<f64>], field: &str) -> Result<DMatrix<f64>, InputError> {
    let n = rows.len();
    let m = rows.first().map(Vec::len).unwrap_or(0);
    if n == 0 || m == 0 {
        return Err(InputError::new(
            field,
            "is empty; give a non-empty list of rows",
        ));
    }
    for (i, r) in rows.iter().enumerate() {
        if r.len() != m {
            return Err(InputError::new(
                format!("{field}[{i}]"),
                format!(
                    "has {} entries but row 0 has {m}; every row needs the same length",
                    r.len()
                ),
            ));
        }
    }
    Ok(DMatrix::from_fn(n, m, |i, j| rows[i][j]))
}

impl ModelSpec {
    /// The validated model (errors relative to the model section).
    pub fn build(&self) -> Result<FeatureModel, InputError> {
        let model = match &self.features {
            FeaturesSpec::Toy { s1, s2, delta } => FeatureModel::two_feature_toy(*s1, *s2, *delta)
                .map_err(|e| e.within("features.toy"))?,
            FeaturesSpec::Explicit {
                strengths,
                coupling,
                labels,
            } => {
                let u = matrix_from_rows(coupling, "coupling")
                    .map_err(|e| e.within("features.explicit"))?;
                FeatureModel::from_coupling(strengths.clone(), u, labels.clone())
                    .map_err(|e| e.within("features.explicit"))?
            }
            FeaturesSpec::Tangent { phi, labels } => {
                let p = matrix_from_rows(phi, "phi").map_err(|e| e.within("features.tangent"))?;
                FeatureModel::from_tangent_features(p, labels.clone())
                    .map_err(|e| e.within("features.tangent"))?
            }
            FeaturesSpec::Random {
                examples,
                seed,
                strengths,
                power_law,
                log_spaced,
                labels,
            } => {
                let given = strengths.is_some() as u8
                    + power_law.is_some() as u8
                    + log_spaced.is_some() as u8;
                if given != 1 {
                    return Err(InputError::new(
                        "features.random",
                        "give exactly one of `strengths`, `power_law` or `log_spaced`",
                    ));
                }
                let spectrum = if let Some(s) = strengths {
                    Spectrum::List(s.clone())
                } else if let Some(p) = power_law {
                    Spectrum::PowerLaw {
                        largest: p.largest,
                        exponent: p.exponent,
                    }
                } else if let Some(l) = log_spaced {
                    Spectrum::LogSpacedSquares {
                        max_squared: l.max_squared,
                        min_squared: l.min_squared,
                    }
                } else {
                    unreachable!("exactly one spectrum was checked above")
                };
                FeatureModel::random(*examples, *seed, &spectrum, labels.clone())
                    .map_err(|e| e.within("features.random"))?
            }
        };
        let model = match &self.directions {
            Some(d) => model
                .with_random_directions(d.parameters, d.seed)
                .map_err(|e| e.within("directions"))?,
            None => model,
        };
        let regulariser = self
            .regulariser
            .as_ref()
            .map(RegulariserSpec::to_regulariser)
            .unwrap_or(Regulariser::L2 { lambda: 0.01 });
        let model = model.with_regulariser(regulariser)?;
        let model = model.with_loss(self.loss.map(LossModel::from).unwrap_or_default());
        match self.rate {
            Some(r) => model.with_rate(r),
            None => Ok(model),
        }
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
    /// Step of `gd`.
    #[serde(default)]
    pub step: Option<f64>,
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

/// Provenance common to every output: crate version and git commit.
pub fn provenance_base() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("crate".into(), Value::from("starvation"));
    m.insert(
        "crate_version".into(),
        Value::from(env!("CARGO_PKG_VERSION")),
    );
    m.insert("git_commit".into(), Value::from(git_commit()));
    m
}

/// The git commit the binary was built from ("unknown" outside a git checkout).
pub fn git_commit() -> &'static str {
    option_env!("STARVATION_GIT_COMMIT").unwrap_or("unknown")
}

/// Prepares an output folder: creates it if needed and checks it is writable.
pub fn prepare_output_dir(dir: &Path) -> Result<(), InputError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        InputError::new(
            "--out",
            format!(
                "cannot create {}: {e}; give a writable folder",
                dir.display()
            ),
        )
    })?;
    let probe = dir.join(format!(".starvation-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| {
        InputError::new(
            "--out",
            format!(
                "{} is not writable: {e}; give a writable folder",
                dir.display()
            ),
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename; the
/// temporary file is removed if anything fails).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomic_with(path, |w| std::io::Write::write_all(w, bytes))
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
        crate::solve::integrate(field.as_ref(), &y0, self.method, &self.options).map_err(
            |e| match e {
                Error::Input(i) => Error::Input(InputError::new(
                    i.field.replacen("options.", "simulation.", 1),
                    i.message,
                )),
                other => other,
            },
        )
    }

    /// Checks that the run can start (flow exists in its space, initial state fits).
    pub fn check(&self) -> Result<(), InputError> {
        let field =
            crate::flow::build_flow(&self.model, self.space).map_err(|e| e.within("model"))?;
        if let Some(y) = &self.initial_state
            && y.len() != field.dim()
        {
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
        Ok(())
    }
}

/// A list of parameter values as written in a spec: a list, `{"linspace": {…}}` or
/// `{"logspace": {…}}` (endpoints are the values themselves, both included).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ValuesSpec {
    /// Explicit values.
    List(Vec<f64>),
    /// Evenly or log-evenly spaced values.
    Range(RangeSpec),
}

/// Spaced values.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RangeSpec {
    /// `count` values evenly spaced from `start` to `stop`.
    Linspace {
        /// First value.
        start: f64,
        /// Last value.
        stop: f64,
        /// Number of values (≥ 1).
        count: usize,
    },
    /// `count` values log-evenly spaced from `start` to `stop` (both > 0).
    Logspace {
        /// First value.
        start: f64,
        /// Last value.
        stop: f64,
        /// Number of values (≥ 1).
        count: usize,
    },
}

impl ValuesSpec {
    /// The values; errors name `field`.
    pub fn values(&self, field: &str) -> Result<Vec<f64>, InputError> {
        let v = match self {
            ValuesSpec::List(v) => v.clone(),
            ValuesSpec::Range(RangeSpec::Linspace { start, stop, count })
            | ValuesSpec::Range(RangeSpec::Logspace { start, stop, count }) => {
                let log = matches!(self, ValuesSpec::Range(RangeSpec::Logspace { .. }));
                let name = if log { "logspace" } else { "linspace" };
                crate::error::require_finite(&format!("{field}.{name}.start"), *start)?;
                crate::error::require_finite(&format!("{field}.{name}.stop"), *stop)?;
                crate::error::require_at_most(
                    &format!("{field}.{name}.count"),
                    *count,
                    crate::error::MAX_VALUES,
                )?;
                if *count == 0 {
                    return Err(InputError::new(
                        format!("{field}.{name}.count"),
                        "must be ≥ 1",
                    ));
                }
                if log && (*start <= 0.0 || *stop <= 0.0) {
                    return Err(InputError::new(
                        format!("{field}.logspace"),
                        "start and stop must be > 0; use linspace for values ≤ 0",
                    ));
                }
                (0..*count)
                    .map(|i| {
                        let f = if *count == 1 {
                            0.0
                        } else {
                            i as f64 / (*count - 1) as f64
                        };
                        if i + 1 == *count && *count > 1 {
                            *stop
                        } else if log {
                            (start.ln() + f * (stop.ln() - start.ln())).exp()
                        } else {
                            start + f * (stop - start)
                        }
                    })
                    .collect()
            }
        };
        if v.is_empty() {
            return Err(InputError::new(field, "is empty; give at least one value"));
        }
        for (i, x) in v.iter().enumerate() {
            crate::error::require_finite(&format!("{field}[{i}]"), *x)?;
        }
        Ok(v)
    }
}

/// The `equilibrium` section.
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContinuationSpec {
    /// "s1", "s2", … (strength s_j), "delta" or "lambda".
    pub parameter: String,
    /// Values, in order.
    pub values: ValuesSpec,
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
}

impl Spec {
    /// The equilibrium section (defaults when absent), validated.
    pub fn equilibrium_section(&self) -> Result<EquilibriumSettings, InputError> {
        let section: EquilibriumSpec = match &self.equilibrium {
            Some(v) => from_value(v.clone(), "equilibrium")?,
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
        let continuation = match section.continuation {
            Some(c) => Some((
                parse_parameter(&c.parameter, "equilibrium.continuation.parameter")?,
                c.values.values("equilibrium.continuation.values")?,
            )),
            None => None,
        };
        Ok(EquilibriumSettings {
            options,
            start: section.start,
            continuation,
        })
    }
}

/// Writes a file atomically by streaming into a temporary file in the same folder, then
/// renaming it (large tables are never held in memory whole).
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<(), Error> {
    use std::io::Write;
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let io = |e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        fill(&mut w)?;
        w.flush()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}
