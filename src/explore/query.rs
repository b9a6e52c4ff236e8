//! The explorer's state as it lives in the page's URL: a query string parsed into a checked
//! [`View`]. Every parameter is known, finite and inside its bounds; the model is built by the
//! spec layer, so a bad value gets the same one-line message as in a spec given to the CLI.

use serde_json::{Value, json};

use crate::error::InputError;
use crate::model::FeatureModel;

/// Largest arrow grid per side.
pub const MAX_ARROWS: usize = 100;
/// Largest streamline density (mask cells per side).
pub const MAX_DENSITY: usize = 60;
/// Largest nullcline grid per side.
pub const MAX_NULLCLINE_GRID: usize = 401;
/// Largest number of clicked trajectory starts.
pub const MAX_STARTS: usize = 20;
/// Largest end time of trajectories and of the gradient-descent run.
pub const MAX_T_END: f64 = 1e5;
/// Largest number of gradient-descent steps (t_end / step).
pub const MAX_GD_STEPS: f64 = 2e5;
/// Largest phase-diagram side (cells per axis).
pub const MAX_CELLS: usize = 400;
/// Phase-diagram side used (at most) when the general, not the fast toy, solver is needed.
pub const MAX_CELLS_GENERAL: usize = 120;
/// Most features a model may have in the explorer (its equilibrium analysis is O(n³)).
pub const MAX_FEATURES: usize = 64;
/// Longest query string accepted.
pub const MAX_QUERY: usize = 64 * 1024;

/// Every query parameter the explorer understands, in the order of the page's controls.
pub const PARAMETERS: [&str; 39] = [
    "s1",
    "s2",
    "delta",
    "features",
    "reg",
    "lambda",
    "lambda_neg",
    "target_pos",
    "target_neg",
    "loss",
    "eta",
    "x",
    "y",
    "xr",
    "yr",
    "arrows",
    "density",
    "nullgrid",
    "traj",
    "t_end",
    "gd",
    "gd_step",
    "metric",
    "cells",
    "level",
    "ratio",
    "drange",
    "orbit_method",
    "momentum",
    "hrange",
    "hsteps",
    "orbit_z",
    "logy",
    "logt",
    "bisect",
    "bisect_metric",
    "bisect_level",
    "bisect_range",
    "bisect_precision",
];

/// The fields a bisection moves along (`bisect=`).
pub const BISECT_FIELDS: [&str; 6] = ["s1", "s2", "delta", "lambda", "eta", "step"];

/// What `/api/bisect` locates: a threshold of `metric` at `level` along `field`.
#[derive(Debug, Clone, PartialEq)]
pub struct BisectRequest {
    /// The field moved: one of [`BISECT_FIELDS`].
    pub field: String,
    /// The metric column (None: the field's default — `period` along the step, else `ratio2`).
    pub metric: Option<String>,
    /// The level (None: the metric's default).
    pub level: Option<f64>,
    /// The field's range searched (None: around the view's value, or the predicted flip).
    pub range: Option<(f64, f64)>,
    /// The bracket width to reach (None: 10⁻⁸ of the range).
    pub precision: Option<f64>,
}

/// Most steps h on the explorer's orbit diagram.
pub const MAX_ORBIT_STEPS: usize = 1000;

/// The training map of the orbit diagram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OrbitMap {
    /// Gradient descent z ↦ z + h f(z).
    Gd,
    /// Heavy ball with momentum μ ∈ [0, 1).
    HeavyBall(f64),
}

/// The phase diagram's colour metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiagramMetric {
    /// z₂*/z₂⁰, the starvation ratio of feature 2.
    Ratio2,
    /// z₁*/z₁⁰.
    Ratio1,
    /// z₁*.
    Z1,
    /// z₂*.
    Z2,
    /// ∂z₂*/∂(s₁²), entry (2, 1) of the starvation matrix M16.
    M21,
}

impl DiagramMetric {
    const NAMES: [(&'static str, DiagramMetric); 5] = [
        ("ratio2", DiagramMetric::Ratio2),
        ("ratio1", DiagramMetric::Ratio1),
        ("z1", DiagramMetric::Z1),
        ("z2", DiagramMetric::Z2),
        ("m21", DiagramMetric::M21),
    ];

    /// Name used in the URL.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, m)| *m == self)
            .map(|(n, _)| *n)
            .unwrap_or("ratio2")
    }

    /// Label shown next to the colour bar.
    pub fn label(self) -> &'static str {
        match self {
            DiagramMetric::Ratio2 => "z₂*/z₂⁰",
            DiagramMetric::Ratio1 => "z₁*/z₁⁰",
            DiagramMetric::Z1 => "z₁*",
            DiagramMetric::Z2 => "z₂*",
            DiagramMetric::M21 => "∂z₂*/∂(s₁²)",
        }
    }
}

/// The toy's three numbers when the model is the M17 toy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToyParameters {
    /// s₁.
    pub s1: f64,
    /// s₂.
    pub s2: f64,
    /// δ.
    pub delta: f64,
}

/// One checked explorer state.
#[derive(Debug, Clone)]
pub struct View {
    /// The spec's `model` section this view stands for.
    pub model_json: Value,
    /// The model built from it.
    pub model: FeatureModel,
    /// The toy's parameters when the features are the toy's.
    pub toy: Option<ToyParameters>,
    /// Horizontal coordinate (0-based z index).
    pub x: usize,
    /// Vertical coordinate.
    pub y: usize,
    /// Fixed x range, or None for the automatic one.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range.
    pub y_range: Option<(f64, f64)>,
    /// Arrow grid per side.
    pub arrows: usize,
    /// Streamline density.
    pub density: usize,
    /// Nullcline grid per side.
    pub nullcline_grid: usize,
    /// Clicked trajectory starts (x, y).
    pub starts: Vec<(f64, f64)>,
    /// End time of trajectories and of the gradient-descent run.
    pub t_end: f64,
    /// Step h of the overlaid gradient-descent run, when shown.
    pub gd_step: Option<f64>,
    /// Phase-diagram metric.
    pub metric: DiagramMetric,
    /// Phase-diagram cells per side.
    pub cells: usize,
    /// Threshold level drawn on the phase diagram.
    pub level: f64,
    /// s₁/s₂ range of the phase diagram (log axis).
    pub ratio_range: (f64, f64),
    /// δ range of the phase diagram.
    pub delta_range: (f64, f64),
    /// The orbit diagram's training map.
    pub orbit_map: OrbitMap,
    /// Its step range (None: around the predicted flip).
    pub orbit_steps_range: Option<(f64, f64)>,
    /// Its number of steps h.
    pub orbit_steps: usize,
    /// Its coordinate (0-based; default the portrait's x).
    pub orbit_coordinate: usize,
    /// The time series shows |z_j| on a log axis (`logy=1`).
    pub series_log_y: bool,
    /// The time series has a log time axis (`logt=1`).
    pub series_log_t: bool,
    /// The bisection asked for (`bisect=FIELD` with its `bisect_*` settings).
    pub bisect: Option<BisectRequest>,
}

/// The bisection's parameters, checked for form (the endpoint fills in the defaults).
fn bisect_request(p: &Params) -> Result<Option<BisectRequest>, InputError> {
    let Some(field) = p.text("bisect") else {
        for key in [
            "bisect_metric",
            "bisect_level",
            "bisect_range",
            "bisect_precision",
        ] {
            if p.text(key).is_some() {
                return Err(InputError::new(
                    key,
                    "is set without `bisect`; give the field to bisect along, e.g. bisect=s1",
                ));
            }
        }
        return Ok(None);
    };
    if !BISECT_FIELDS.contains(&field) {
        return Err(InputError::new(
            "bisect",
            format!(
                "unknown field {field:?}; use one of {}",
                BISECT_FIELDS.join(", ")
            ),
        ));
    }
    let range = p.range("bisect_range")?;
    let precision = p.number("bisect_precision")?;
    if let Some(e) = precision
        && !(e.is_finite() && e > 0.0)
    {
        return Err(InputError::new(
            "bisect_precision",
            format!("must be a positive number, got {e}"),
        ));
    }
    Ok(Some(BisectRequest {
        field: field.to_string(),
        metric: p.text("bisect_metric").map(str::to_string),
        level: p.number("bisect_level")?,
        range,
        precision,
    }))
}

/// A 0/1 switch of the query (default off).
fn switch(p: &Params, key: &str) -> Result<bool, InputError> {
    match p.text(key).unwrap_or("0") {
        "0" | "false" | "" => Ok(false),
        "1" | "true" => Ok(true),
        other => Err(InputError::new(
            key,
            format!("must be 0 or 1, got {other:?}"),
        )),
    }
}

/// Decodes one query component (`application/x-www-form-urlencoded`: `+` is a space, `%XX` a
/// byte) through the `percent-encoding` crate; the bytes must be UTF-8.
fn percent_decode(text: &str, field: &str) -> Result<String, InputError> {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|t| t.into_owned())
        .map_err(|_| InputError::new(field, "is not valid UTF-8 text; encode the URL properly"))
}

/// The query's (key, value) pairs, decoded; unknown or repeated keys are errors.
fn pairs(query: &str) -> Result<Vec<(String, String)>, InputError> {
    if query.len() > MAX_QUERY {
        return Err(InputError::new(
            "query",
            format!(
                "is {} bytes long, more than the {MAX_QUERY} the explorer accepts; use fewer trajectories or a spec file",
                query.len()
            ),
        ));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let key = percent_decode(k, "query")?;
        let value = percent_decode(v, &key)?;
        if !PARAMETERS.contains(&key.as_str()) {
            return Err(InputError::new(
                key,
                format!(
                    "is not a parameter of the explorer; use one of {}",
                    PARAMETERS.join(", ")
                ),
            ));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(InputError::new(key, "is given twice; give it once"));
        }
        out.push((key, value));
    }
    Ok(out)
}

struct Params(Vec<(String, String)>);

impl Params {
    fn text(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn number(&self, key: &str) -> Result<Option<f64>, InputError> {
        match self.text(key) {
            None => Ok(None),
            Some(t) => parse_number(t.trim(), key).map(Some),
        }
    }

    fn number_or(&self, key: &str, default: f64) -> Result<f64, InputError> {
        Ok(self.number(key)?.unwrap_or(default))
    }

    fn count(
        &self,
        key: &str,
        default: usize,
        low: usize,
        high: usize,
    ) -> Result<usize, InputError> {
        let Some(t) = self.text(key) else {
            return Ok(default);
        };
        let n: usize = t
            .trim()
            .parse()
            .map_err(|_| InputError::new(key, format!("must be a whole number, got {t:?}")))?;
        if n < low || n > high {
            return Err(InputError::new(
                key,
                format!("must be between {low} and {high}, got {n}; choose a value in that range"),
            ));
        }
        Ok(n)
    }

    fn range(&self, key: &str) -> Result<Option<(f64, f64)>, InputError> {
        let Some(t) = self.text(key) else {
            return Ok(None);
        };
        let parts: Vec<&str> = t.split(',').collect();
        if parts.len() != 2 {
            return Err(InputError::new(
                key,
                format!("must be two numbers `min,max`, got {t:?}"),
            ));
        }
        let lo = parse_number(parts[0].trim(), key)?;
        let hi = parse_number(parts[1].trim(), key)?;
        if lo >= hi {
            return Err(InputError::new(
                key,
                format!("must have min < max, got [{lo}, {hi}]"),
            ));
        }
        Ok(Some((lo, hi)))
    }
}

fn parse_number(text: &str, key: &str) -> Result<f64, InputError> {
    let v: f64 = text
        .parse()
        .map_err(|_| InputError::new(key, format!("must be a number, got {text:?}")))?;
    if !v.is_finite() {
        return Err(InputError::new(
            key,
            format!("must be a finite number, got {text}"),
        ));
    }
    Ok(v)
}

/// The spec's `model` section for the query's model parameters (the toy's numbers or a
/// `features` section, regulariser, loss and rate).
fn model_section(p: &Params) -> Result<(Value, Option<ToyParameters>), InputError> {
    let (features, toy) = match p.text("features") {
        Some(text) => {
            if ["s1", "s2", "delta"].iter().any(|k| p.text(k).is_some()) {
                return Err(InputError::new(
                    "features",
                    "cannot be combined with s1, s2 or delta; give either the toy's numbers or a features section",
                ));
            }
            let v: Value = serde_json::from_str(text).map_err(|e| {
                InputError::new(
                    "features",
                    format!("is not valid JSON: {e}; give the spec's `features` section"),
                )
            })?;
            crate::spec::reject_duplicate_keys(text).map_err(|e| match e.field.as_str() {
                "" | "spec" => InputError::new("features", e.message),
                inner => InputError::new(format!("features.{inner}"), e.message),
            })?;
            (v, None)
        }
        None => {
            let toy = ToyParameters {
                s1: p.number_or("s1", 4.0)?,
                s2: p.number_or("s2", 2.0)?,
                delta: p.number_or("delta", 0.5)?,
            };
            (
                json!({ "toy": { "s1": toy.s1, "s2": toy.s2, "delta": toy.delta } }),
                Some(toy),
            )
        }
    };
    let lambda = p.number_or("lambda", 0.01)?;
    let regulariser = match p.text("reg").unwrap_or("l2") {
        "none" => json!("none"),
        "l2" => json!({ "l2": { "lambda": lambda } }),
        "sd" => {
            let mut sd = serde_json::Map::new();
            sd.insert("lambda".into(), json!(lambda));
            for (key, name) in [
                ("lambda_neg", "lambda_negative"),
                ("target_pos", "target_positive"),
                ("target_neg", "target_negative"),
            ] {
                if let Some(v) = p.number(key)? {
                    sd.insert(name.into(), json!(v));
                }
            }
            json!({ "sd": sd })
        }
        other => {
            return Err(InputError::new(
                "reg",
                format!("unknown regulariser {other:?}; use none, l2 or sd"),
            ));
        }
    };
    let mut model = json!({
        "features": features,
        "regulariser": regulariser,
        "loss": p.text("loss").unwrap_or("exact"),
    });
    if let Some(eta) = p.number("eta")? {
        model["rate"] = json!(eta);
    }
    Ok((model, toy))
}

/// The (x, y) starts of `traj`: `x,y;x,y;…`.
fn starts(p: &Params) -> Result<Vec<(f64, f64)>, InputError> {
    let Some(t) = p.text("traj") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, pair) in t.split(';').filter(|s| !s.trim().is_empty()).enumerate() {
        let field = format!("traj[{i}]");
        let (a, b) = pair
            .split_once(',')
            .ok_or_else(|| InputError::new(&field, format!("must be `x,y`, got {pair:?}")))?;
        out.push((
            parse_number(a.trim(), &field)?,
            parse_number(b.trim(), &field)?,
        ));
    }
    if out.len() > MAX_STARTS {
        return Err(InputError::new(
            "traj",
            format!(
                "has {} starts, more than the {MAX_STARTS} the explorer draws; shift-click to clear",
                out.len()
            ),
        ));
    }
    Ok(out)
}

fn coordinate(p: &Params, key: &str, default: usize, features: usize) -> Result<usize, InputError> {
    let Some(t) = p.text(key) else {
        return Ok(default);
    };
    let name = t.trim();
    let index = name
        .strip_prefix('z')
        .unwrap_or(name)
        .parse::<usize>()
        .ok()
        .filter(|j| *j >= 1 && *j <= features)
        .ok_or_else(|| {
            InputError::new(
                key,
                format!("must be one of z1 … z{features} (the model has {features} features), got {name:?}"),
            )
        })?;
    Ok(index - 1)
}

/// Most parameters m of feature directions V in the explorer (V is m × n).
pub const MAX_PARAMETERS: usize = 4096;

/// The model of a view, its size checked against [`MAX_FEATURES`] and [`MAX_PARAMETERS`] from
/// the spec before it is built (building a generated coupling of n features costs O(n³) time
/// and O(n²) memory).
fn bounded_model(model_json: &Value) -> Result<FeatureModel, InputError> {
    let section: crate::spec::ModelSpec = crate::spec::from_value(model_json.clone(), "model")?;
    let (n, field) = section.declared_features();
    if n > MAX_FEATURES {
        return Err(InputError::new(
            field,
            format!(
                "gives {n} features, more than the {MAX_FEATURES} the explorer analyses interactively; use `starvation equilibrium` or `starvation portrait` for larger models"
            ),
        ));
    }
    if let Some(m) = section
        .declared_parameters()
        .filter(|m| *m > MAX_PARAMETERS)
    {
        return Err(InputError::new(
            "directions.parameters",
            format!(
                "{m} is more than the {MAX_PARAMETERS} parameters the explorer accepts; use the command line for larger models"
            ),
        ));
    }
    section.build().map_err(|e| e.within("model"))
}

/// Parses and checks the query string of an explorer URL (without the leading `?`).
pub fn parse_view(query: &str) -> Result<View, InputError> {
    let p = Params(pairs(query)?);
    let (model_json, toy) = model_section(&p)?;
    let model = bounded_model(&model_json)?;
    let n = model.features();
    if n < 2 {
        return Err(InputError::new(
            "model.features",
            "has one feature; a phase portrait needs at least two",
        ));
    }
    let x = coordinate(&p, "x", 0, n)?;
    let y = coordinate(&p, "y", 1, n)?;
    if x == y {
        return Err(InputError::new(
            "y",
            "is the same coordinate as x; choose two different coordinates",
        ));
    }
    let t_end = p.number_or("t_end", 1000.0)?;
    if !(t_end > 0.0 && t_end <= MAX_T_END) {
        return Err(InputError::new(
            "t_end",
            format!("must be in (0, {MAX_T_END:e}], got {t_end}"),
        ));
    }
    let gd_on = match p.text("gd").unwrap_or("0") {
        "0" | "false" | "" => false,
        "1" | "true" => true,
        other => {
            return Err(InputError::new(
                "gd",
                format!("must be 0 or 1, got {other:?}"),
            ));
        }
    };
    let step = p.number_or("gd_step", 0.1)?;
    if step <= 0.0 {
        return Err(InputError::new(
            "gd_step",
            format!("must be positive, got {step}"),
        ));
    }
    if gd_on && t_end / step > MAX_GD_STEPS {
        return Err(InputError::new(
            "gd_step",
            format!(
                "gives {:.0} steps up to t_end = {t_end}, more than the {MAX_GD_STEPS:e} the explorer runs; use a larger step or a smaller t_end",
                (t_end / step).ceil()
            ),
        ));
    }
    let metric = match p.text("metric") {
        None => DiagramMetric::Ratio2,
        Some(name) => DiagramMetric::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                InputError::new(
                    "metric",
                    format!("unknown metric {name:?}; use ratio2, ratio1, z1, z2 or m21"),
                )
            })?,
    };
    let ratio_range = p.range("ratio")?.unwrap_or((1.0, 20.0));
    if ratio_range.0 <= 0.0 {
        return Err(InputError::new(
            "ratio",
            format!(
                "must be positive (s₁/s₂ on a log axis), got [{}, {}]",
                ratio_range.0, ratio_range.1
            ),
        ));
    }
    let delta_range = p.range("drange")?.unwrap_or((0.0, 0.9));
    if delta_range.0 <= -1.0 || delta_range.1 >= 1.0 {
        return Err(InputError::new(
            "drange",
            format!(
                "must lie inside (−1, 1) (|δ| < 1), got [{}, {}]",
                delta_range.0, delta_range.1
            ),
        ));
    }
    let momentum = p.number_or("momentum", 0.9)?;
    let orbit_map = match p.text("orbit_method").unwrap_or("gd") {
        "gd" => OrbitMap::Gd,
        "heavy_ball" => {
            if !(0.0..1.0).contains(&momentum) {
                return Err(InputError::new(
                    "momentum",
                    format!("must be in [0, 1), got {momentum}"),
                ));
            }
            OrbitMap::HeavyBall(momentum)
        }
        other => {
            return Err(InputError::new(
                "orbit_method",
                format!("unknown training map {other:?}; use gd or heavy_ball"),
            ));
        }
    };
    let orbit_steps_range = p.range("hrange")?;
    if let Some((lo, _)) = orbit_steps_range
        && lo <= 0.0
    {
        return Err(InputError::new(
            "hrange",
            format!("must have positive steps, got min {lo}; give `min,max` with 0 < min < max"),
        ));
    }
    Ok(View {
        orbit_map,
        orbit_steps_range,
        orbit_steps: p.count("hsteps", 300, 2, MAX_ORBIT_STEPS)?,
        orbit_coordinate: coordinate(&p, "orbit_z", x, n)?,
        series_log_y: switch(&p, "logy")?,
        series_log_t: switch(&p, "logt")?,
        bisect: bisect_request(&p)?,
        model_json,
        model,
        toy,
        x,
        y,
        x_range: p.range("xr")?,
        y_range: p.range("yr")?,
        arrows: p.count("arrows", 40, 2, MAX_ARROWS)?,
        density: p.count("density", 12, 2, MAX_DENSITY)?,
        nullcline_grid: p.count("nullgrid", 161, 3, MAX_NULLCLINE_GRID)?,
        starts: starts(&p)?,
        t_end,
        gd_step: gd_on.then_some(step),
        metric,
        cells: p.count("cells", 200, 2, MAX_CELLS)?,
        level: p.number_or("level", 0.5)?,
        ratio_range,
        delta_range,
    })
}

/// The query string of the state described by a spec's `model` section (for `explore SPEC`):
/// the toy's numbers when the features are the toy's, else the `features` section as JSON.
pub fn query_from_model(model: &Value) -> Result<String, InputError> {
    // The spec's own checks first, so that a bad spec gets the message `starvation check` gives.
    crate::spec::build_model(model.clone())?;
    let section: crate::spec::ModelSpec = crate::spec::from_value(model.clone(), "model")?;
    let mut parts: Vec<(String, String)> = Vec::new();
    match model.get("features") {
        Some(Value::Object(f)) if f.contains_key("toy") => {
            for k in ["s1", "s2", "delta"] {
                if let Some(v) = f["toy"].get(k) {
                    parts.push((k.into(), v.to_string()));
                }
            }
        }
        Some(f) => parts.push(("features".into(), f.to_string())),
        None => {}
    }
    match &section.regulariser {
        Some(crate::spec::RegulariserSpec::None) => parts.push(("reg".into(), "none".into())),
        Some(crate::spec::RegulariserSpec::L2 { lambda }) => {
            parts.push(("reg".into(), "l2".into()));
            parts.push(("lambda".into(), lambda.to_string()));
        }
        Some(crate::spec::RegulariserSpec::Sd {
            lambda,
            lambda_negative,
            target_positive,
            target_negative,
        }) => {
            parts.push(("reg".into(), "sd".into()));
            parts.push(("lambda".into(), lambda.to_string()));
            for (k, v) in [
                ("lambda_neg", lambda_negative),
                ("target_pos", target_positive),
                ("target_neg", target_negative),
            ] {
                if let Some(v) = v {
                    parts.push((k.into(), v.to_string()));
                }
            }
        }
        None => {}
    }
    if let Some(loss) = model.get("loss").and_then(Value::as_str) {
        parts.push(("loss".into(), loss.into()));
    }
    if let Some(rate) = section.rate {
        parts.push(("eta".into(), rate.to_string()));
    }
    let query = parts
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    // The state must load: the same checks as every request.
    parse_view(&query)?;
    Ok(query)
}

/// Everything but unreserved characters and `,` is percent-encoded in the query we write.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b',');

/// Percent-encodes a query value (UTF-8 bytes).
fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_paper_toy() {
        let v = parse_view("").unwrap();
        assert_eq!(
            v.toy,
            Some(ToyParameters {
                s1: 4.0,
                s2: 2.0,
                delta: 0.5
            })
        );
        assert_eq!((v.x, v.y, v.arrows), (0, 1, 40));
    }

    #[test]
    fn bad_values_name_the_field_like_the_cli() {
        let e = parse_view("s1=-1").unwrap_err();
        assert_eq!(e.field, "model.features.toy.s1");
        let e = parse_view("delta=1.5").unwrap_err();
        assert_eq!(e.field, "model.features.toy.delta");
        assert_eq!(parse_view("bogus=1").unwrap_err().field, "bogus");
        assert_eq!(parse_view("arrows=100000").unwrap_err().field, "arrows");
        assert_eq!(parse_view("s1=nan").unwrap_err().field, "s1");
        assert_eq!(parse_view("loss=hinge").unwrap_err().field, "model.loss");
        let big = r#"features={"random":{"examples":5000,"seed":1,"power_law":{"largest":5,"exponent":1}}}"#;
        assert_eq!(
            parse_view(big).unwrap_err().field,
            "features.random.examples"
        );
        let wide = format!(
            r#"features={{"skew_exponential":{{"strengths":[{}],"delta":0.1,"generator":{{"seed":1}}}}}}"#,
            vec!["1"; 5000].join(",")
        );
        assert_eq!(
            parse_view(&wide).unwrap_err().field,
            "features.skew_exponential.strengths"
        );
        let tall = r#"features={"toy":{"s1":4,"s2":2,"delta":0.5}}"#.to_string();
        assert!(parse_view(&tall).is_ok());
        assert_eq!(percent_decode("a+b%2B%C3%A9", "k").unwrap(), "a b+é");
        assert_eq!(percent_decode("%FF", "k").unwrap_err().field, "k");
        let dup = r#"features={"toy":{"s1":6,"s1":5,"s2":2,"delta":0.5}}"#;
        let e = parse_view(dup).unwrap_err();
        assert_eq!(e.field, "features.toy", "{e}");
        assert!(e.message.contains("twice"), "{e}");
    }

    #[test]
    fn query_from_model_round_trips() {
        let m = json!({"features": {"toy": {"s1": 6, "s2": 2, "delta": 0.3}},
                       "regulariser": {"sd": {"lambda": 0.002}}, "loss": "exact"});
        let q = query_from_model(&m).unwrap();
        let v = parse_view(&q).unwrap();
        assert_eq!(v.toy.unwrap().s1, 6.0);
        assert_eq!(v.model.regulariser().name(), "sd");
    }
}
