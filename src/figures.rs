//! Figures described in specs: the `plot` section of run specs and the `portrait` section,
//! turned into [`crate::plot::Figure`]s plus the plotted data (written next to each image).
//!
//! Nothing about a particular figure lives here: every title, range, style and selection comes
//! from the spec. Both sections are parsed with [`crate::spec::from_value`], so a bad field gives
//! an [`InputError`] naming it (e.g. `plot.panels[0].x.quantity`).
//!
//! # The `plot` section (run specs)
//!
//! One figure object, or a list of them (each then needs its own `stem`):
//!
//! ```json
//! "plot": {
//!   "stem": "fig06_toy_dynamics",
//!   "title": "Gradient starvation in the two-feature toy",
//!   "width": 1600, "height": 760, "columns": 2,
//!   "panels": [{
//!     "title": "L2: dual (dotted) and primal (solid)",
//!     "x": { "quantity": "|z1|", "label": "|z₁|", "range": [-0.5, 10.5] },
//!     "y": { "quantity": "|z2|", "range": [-0.1, 1.75], "scale": "linear" },
//!     "series": [
//!       { "runs": { "label": "primal L2" }, "dash": "solid",
//!         "colour_by": "model.features.toy.s1", "legend": "s₁ = {s1}" },
//!       { "runs": { "label": "dual L2", "parameters": { "model.features.toy.s1": [2, 6] } },
//!         "dash": "dotted", "colour_by": "s1" }
//!     ],
//!     "equilibria": [{ "runs": { "label": "primal L2" }, "colour_by": "s1" }],
//!     "keys": [{ "label": "dual L2", "dash": "dotted", "colour": 7 }],
//!     "legend": true
//!   }]
//! }
//! ```
//!
//! - Figure: `stem` (file name, default the spec's `name`), `title`, `width` × `height` in
//!   pixels (default 800 × 620 per panel), `columns` (panels per row, default up to 3).
//! - Axis: `quantity` (the default for every series of the panel), `label` (default from the
//!   quantity, with the paper's symbols), `range` [min, max] (default fitted), `scale`
//!   `"linear"` (default) or `"log"`.
//! - Quantities: `t` (flow time; `gd` step k is at t = k·h), `step` (record index), `z1`,
//!   `|z1|`, … (responses, 1-based), `|z|` (‖z‖), `theta1`/`|theta1|`, `alpha1`/`|alpha1|`
//!   (state coordinates of runs in that space).
//! - Series group: every run chosen by `runs` (default all) becomes one curve. `runs.label`
//!   matches a run's label from the spec's `runs` (without the vary values) or its full label,
//!   one string or a list; `runs.parameters` maps a vary path (or its last segment, e.g. `s1`)
//!   to a value or a list of values. `x`/`y` override the panel's quantities; `dash` is
//!   `"solid"`, `"dashed"` or `"dotted"`; `width` (default 2); `colour` (palette index) or
//!   `colour_by` (a vary path or its last segment: the index of the run's value on that axis;
//!   `"label"`: the index of the run's label in `runs`; `"run"`: the run's index); `legend` is a
//!   template with placeholders `{label}`, `{run}` and `{<vary path or last segment>}`; `arrows`
//!   draws direction arrowheads; `markers` a dot at every point.
//! - `equilibria`: markers at the equilibrium z* of each selected run's model (`find_equilibrium`,
//!   symbol by stability class), on the panel's quantities (which must not be `t` or `step`);
//!   `label` is a template drawn next to each marker.
//! - `keys`: legend entries without data (`label`, `dash`, `colour`, `width`).
//!
//! # The `portrait` section
//!
//! ```json
//! "portrait": {
//!   "stem": "toy_portraits", "title": "…", "width": 1600, "height": 1300, "columns": 2,
//!   "defaults": { "space": "z", "x": { "coordinate": "z1", "range": [-1, 10.5] },
//!                 "y": { "coordinate": "z2", "range": [-0.5, 2.5] } },
//!   "panels": [{
//!     "title": "L2, s₁ = 6",
//!     "model": { "features": { "toy": { "s1": 6 } } },
//!     "fixed": "equilibrium",
//!     "arrows": { "grid": [23, 15] },
//!     "streamlines": { "density": 14 },
//!     "nullclines": { "grid": 201 },
//!     "equilibria": true,
//!     "trajectories": { "starts": [[0, 0]], "random": { "count": 6, "seed": 7 },
//!                       "t_end": 400, "method": "auto" },
//!     "legend": true
//!   }]
//! }
//! ```
//!
//! Each panel is `defaults` deep-merged with the panel object. `model` is merged onto the spec's
//! `model`; `space` is `"z"` (default), `"theta"` or `"alpha"`; `x`/`y` name a state coordinate
//! (`z1`, `theta2`, `alpha1`, …) with its `range` (required) and optional `label`; `fixed` holds
//! the other coordinates at `"equilibrium"` (default) or at a full state `[…]`; `arrows`,
//! `streamlines` and `nullclines` default to on (`null` turns one off); `arrows.grid` and
//! `nullclines.grid` are a node count or `[nx, ny]` (defaults 21 and 161); `streamlines` takes
//! `density` (default 12), `min_speed` and `max_length`; `trajectories` integrates the full flow
//! from `starts` ((x, y) pairs or full states) and `random` seeded starts in the rectangle, to
//! `t_end`, with `method` (default `"auto"`), `rtol`, `atol`, `max_step`, `output` (default
//! `"steps"`), `colour` and `label`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::equilibrium::{EquilibriumOptions, Stability, find_equilibrium};
use crate::error::{Error, InputError};
use crate::flow::Space;
use crate::plot::{
    Arrow, Axis, Dash, Figure, LinePanel, Marker, Panel, PointClass, PortraitPanel, Scale, Series,
};
use crate::portrait::{
    Fixed, Portrait, PortraitSettings, StreamlineOptions, TrajectorySettings, portrait,
    state_from_responses,
};
use crate::solve::{Method, Output, SolveOptions, Trajectory};
use crate::spec::{OutputSpec, RunSpec, Spec, from_value, merge, parse_method, parse_space};

/// One figure to write: file stem (without extension), the figure, and its plotted data.
#[derive(Debug, Clone)]
pub struct FigureOutput {
    /// File name without extension (PNG, SVG and `.data.json` share it).
    pub stem: String,
    /// The figure.
    pub figure: Figure,
    /// Every plotted number, loadable from Python.
    pub data: Value,
}

// ───────────────────────────── spec types: shared ─────────────────────────────

/// Dash pattern as written in a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DashSpec {
    /// Solid line (default).
    #[default]
    Solid,
    /// Dashed line.
    Dashed,
    /// Dotted line.
    Dotted,
}

impl From<DashSpec> for Dash {
    fn from(d: DashSpec) -> Self {
        match d {
            DashSpec::Solid => Dash::Solid,
            DashSpec::Dashed => Dash::Dashed,
            DashSpec::Dotted => Dash::Dotted,
        }
    }
}

/// Axis scale as written in a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ScaleSpec {
    /// Linear (default).
    #[default]
    Linear,
    /// Base-10 logarithmic.
    Log,
}

impl From<ScaleSpec> for Scale {
    fn from(s: ScaleSpec) -> Self {
        match s {
            ScaleSpec::Linear => Scale::Linear,
            ScaleSpec::Log => Scale::Log,
        }
    }
}

/// One string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A list.
    Many(Vec<T>),
    /// A single value.
    One(T),
}

impl<T: Clone> OneOrMany<T> {
    /// The values as a list.
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::Many(v) => v.clone(),
            OneOrMany::One(x) => vec![x.clone()],
        }
    }
}

/// A legend entry without data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    /// Text.
    pub label: String,
    /// Dash (default solid).
    #[serde(default)]
    pub dash: DashSpec,
    /// Palette index (default 7, black).
    #[serde(default)]
    pub colour: Option<usize>,
    /// Line width (default 2).
    #[serde(default)]
    pub width: Option<f64>,
    /// Show a marker dot in the sample.
    #[serde(default)]
    pub markers: bool,
}

// ───────────────────────────── spec types: plot ─────────────────────────────

/// One figure of a run spec's `plot` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlotSpec {
    /// File stem (default: the spec's name; required when `plot` is a list).
    #[serde(default)]
    pub stem: Option<String>,
    /// Overall title (default none).
    #[serde(default)]
    pub title: Option<String>,
    /// Width in pixels (default 800 per column).
    #[serde(default)]
    pub width: Option<u32>,
    /// Height in pixels (default 620 per row).
    #[serde(default)]
    pub height: Option<u32>,
    /// Panels per row (default: all panels up to 3).
    #[serde(default)]
    pub columns: Option<usize>,
    /// Panels, row by row.
    pub panels: Vec<LinePanelSpec>,
}

/// A line panel of a run figure.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinePanelSpec {
    /// Panel title.
    #[serde(default)]
    pub title: String,
    /// x axis.
    pub x: AxisSpec,
    /// y axis.
    pub y: AxisSpec,
    /// Groups of curves.
    pub series: Vec<SeriesSpec>,
    /// Equilibrium markers.
    #[serde(default)]
    pub equilibria: Vec<EquilibriumMarkerSpec>,
    /// Legend entries without data.
    #[serde(default)]
    pub keys: Vec<KeySpec>,
    /// Show the legend (default true).
    #[serde(default = "yes")]
    pub legend: bool,
}

/// An axis of a line panel.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AxisSpec {
    /// Quantity plotted on this axis (default for every series of the panel).
    #[serde(default)]
    pub quantity: Option<String>,
    /// Axis label (default from the quantity).
    #[serde(default)]
    pub label: Option<String>,
    /// Fixed range [min, max] (default fitted to the data).
    #[serde(default)]
    pub range: Option<[f64; 2]>,
    /// "linear" (default) or "log".
    #[serde(default)]
    pub scale: ScaleSpec,
}

/// Which runs a series group or a marker group uses.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RunSelector {
    /// Run label(s): the `label` of a spec run (without vary values) or a full run label.
    #[serde(default)]
    pub label: Option<OneOrMany<String>>,
    /// Vary values: path (or its last segment) → value or list of values.
    #[serde(default)]
    pub parameters: BTreeMap<String, OneOrMany<Value>>,
}

/// A group of curves: one per selected run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesSpec {
    /// Runs (default all).
    #[serde(default)]
    pub runs: Option<RunSelector>,
    /// x quantity (default the panel's).
    #[serde(default)]
    pub x: Option<String>,
    /// y quantity (default the panel's).
    #[serde(default)]
    pub y: Option<String>,
    /// Dash (default solid).
    #[serde(default)]
    pub dash: DashSpec,
    /// Line width (default 2).
    #[serde(default)]
    pub width: Option<f64>,
    /// Fixed palette index.
    #[serde(default)]
    pub colour: Option<usize>,
    /// Colour by the index of a vary value, "label" or "run".
    #[serde(default)]
    pub colour_by: Option<String>,
    /// Legend template (default: no legend entry).
    #[serde(default)]
    pub legend: Option<String>,
    /// Direction arrowheads along the curves.
    #[serde(default)]
    pub arrows: bool,
    /// A dot at every point.
    #[serde(default)]
    pub markers: bool,
}

/// Markers at the equilibria of the selected runs' models.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquilibriumMarkerSpec {
    /// Runs (default all).
    #[serde(default)]
    pub runs: Option<RunSelector>,
    /// Fixed palette index.
    #[serde(default)]
    pub colour: Option<usize>,
    /// Colour by the index of a vary value, "label" or "run".
    #[serde(default)]
    pub colour_by: Option<String>,
    /// Text next to each marker (template, default none).
    #[serde(default)]
    pub label: Option<String>,
}

fn yes() -> bool {
    true
}

// ───────────────────────────── spec types: portrait ─────────────────────────────

/// The `portrait` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortraitSpec {
    /// File stem (default: the spec's name).
    #[serde(default)]
    pub stem: Option<String>,
    /// Overall title.
    #[serde(default)]
    pub title: Option<String>,
    /// Width in pixels (default 760 per column).
    #[serde(default)]
    pub width: Option<u32>,
    /// Height in pixels (default 640 per row).
    #[serde(default)]
    pub height: Option<u32>,
    /// Panels per row (default: all panels up to 3).
    #[serde(default)]
    pub columns: Option<usize>,
    /// Settings shared by every panel (deep-merged under each panel object).
    #[serde(default)]
    pub defaults: Option<Value>,
    /// Panels (objects of [`PortraitPanelSpec`] fields).
    pub panels: Vec<Value>,
}

/// One portrait panel (after merging `defaults`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortraitPanelSpec {
    /// Panel title.
    #[serde(default)]
    pub title: String,
    /// Model override merged onto the spec's `model`.
    #[serde(default)]
    pub model: Option<Value>,
    /// "z" (default), "theta" or "alpha".
    #[serde(default)]
    pub space: Option<String>,
    /// Horizontal coordinate.
    pub x: CoordinateAxisSpec,
    /// Vertical coordinate.
    pub y: CoordinateAxisSpec,
    /// "equilibrium" (default) or a full state.
    #[serde(default)]
    pub fixed: Option<Value>,
    /// Arrows (default on, grid 21; null: off).
    #[serde(default = "default_arrows")]
    pub arrows: Option<GridSectionSpec>,
    /// Streamlines (default on; null: off).
    #[serde(default = "default_streamlines")]
    pub streamlines: Option<StreamlinesSpec>,
    /// Nullclines (default on, grid 161; null: off).
    #[serde(default = "default_nullclines")]
    pub nullclines: Option<GridSectionSpec>,
    /// Mark equilibria with their stability class (default true).
    #[serde(default = "yes")]
    pub equilibria: bool,
    /// Trajectories of the full flow (default none).
    #[serde(default)]
    pub trajectories: Option<TrajectoriesSpec>,
    /// Show the legend (default true).
    #[serde(default = "yes")]
    pub legend: bool,
}

fn default_arrows() -> Option<GridSectionSpec> {
    Some(GridSectionSpec { grid: None })
}

fn default_nullclines() -> Option<GridSectionSpec> {
    Some(GridSectionSpec { grid: None })
}

fn default_streamlines() -> Option<StreamlinesSpec> {
    Some(StreamlinesSpec::default())
}

/// A portrait axis: a state coordinate and its range.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinateAxisSpec {
    /// "z1", "theta2", "alpha1", … (1-based).
    pub coordinate: String,
    /// [min, max].
    pub range: [f64; 2],
    /// Axis label (default the coordinate's symbol, e.g. "z₁").
    #[serde(default)]
    pub label: Option<String>,
}

/// Arrows or nullclines: a grid of `n` or `[nx, ny]` nodes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridSectionSpec {
    /// Node count, one number or [nx, ny].
    #[serde(default)]
    pub grid: Option<Value>,
}

/// Streamline settings.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StreamlinesSpec {
    /// About this many streamlines across the panel (default 12).
    #[serde(default)]
    pub density: Option<usize>,
    /// Stop below this fraction of the median speed (default 1e−3).
    #[serde(default)]
    pub min_speed: Option<f64>,
    /// Longest streamline in panel sizes (default 4).
    #[serde(default)]
    pub max_length: Option<f64>,
}

/// Trajectories of a portrait panel.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrajectoriesSpec {
    /// Starts: (x, y) pairs or full states.
    #[serde(default)]
    pub starts: Vec<Vec<f64>>,
    /// Seeded random starts in the panel's rectangle.
    #[serde(default)]
    pub random: Option<RandomStartsSpec>,
    /// End time.
    pub t_end: f64,
    /// Method (default "auto").
    #[serde(default)]
    pub method: Option<String>,
    /// Relative tolerance (default 1e−8).
    #[serde(default)]
    pub rtol: Option<f64>,
    /// Absolute tolerance (default 1e−10).
    #[serde(default)]
    pub atol: Option<f64>,
    /// Largest step of adaptive methods.
    #[serde(default)]
    pub max_step: Option<f64>,
    /// Step of "gd".
    #[serde(default)]
    pub step: Option<f64>,
    /// Recorded times (default "steps").
    #[serde(default)]
    pub output: Option<OutputSpec>,
    /// Palette index (default 7, black).
    #[serde(default)]
    pub colour: Option<usize>,
    /// Legend label (default "trajectories").
    #[serde(default)]
    pub label: Option<String>,
}

/// Seeded random starts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomStartsSpec {
    /// Number of starts.
    pub count: usize,
    /// Seed.
    pub seed: u64,
}

// ───────────────────────────── helpers ─────────────────────────────

/// Subscript digits for 1-based indices (z₁, θ₁₂).
fn subscript(j: usize) -> String {
    j.to_string()
        .chars()
        .map(|c| match c {
            '0' => '₀',
            '1' => '₁',
            '2' => '₂',
            '3' => '₃',
            '4' => '₄',
            '5' => '₅',
            '6' => '₆',
            '7' => '₇',
            '8' => '₈',
            _ => '₉',
        })
        .collect()
}

/// A quantity read off a trajectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quantity {
    Time,
    Step,
    Response { j: usize, abs: bool },
    ResponseNorm,
    State { space: Space, j: usize, abs: bool },
}

impl Quantity {
    fn parse(name: &str, field: &str) -> Result<Self, InputError> {
        let bad = || {
            InputError::new(
                field,
                format!(
                    "unknown quantity {name:?}; use \"t\", \"step\", \"z1\", \"|z1|\", \"|z|\", \"theta1\", \"|theta1|\", \"alpha1\" or \"|alpha1|\" (indices from 1)"
                ),
            )
        };
        let n = name.trim();
        match n {
            "t" => return Ok(Quantity::Time),
            "step" => return Ok(Quantity::Step),
            "|z|" => return Ok(Quantity::ResponseNorm),
            _ => {}
        }
        let (abs, inner) = match n.strip_prefix('|').and_then(|s| s.strip_suffix('|')) {
            Some(s) => (true, s),
            None => (false, n),
        };
        let split = inner.find(|c: char| c.is_ascii_digit()).ok_or_else(bad)?;
        let (prefix, digits) = inner.split_at(split);
        let j: usize = digits.parse().map_err(|_| bad())?;
        if j == 0 {
            return Err(InputError::new(
                field,
                format!("{name:?}: indices start at 1 (z1 is the first response)"),
            ));
        }
        match prefix {
            "z" => Ok(Quantity::Response { j: j - 1, abs }),
            "theta" => Ok(Quantity::State {
                space: Space::Parameters,
                j: j - 1,
                abs,
            }),
            "alpha" => Ok(Quantity::State {
                space: Space::Dual,
                j: j - 1,
                abs,
            }),
            _ => Err(bad()),
        }
    }

    fn label(self) -> String {
        match self {
            Quantity::Time => "t".into(),
            Quantity::Step => "step k".into(),
            Quantity::ResponseNorm => "‖z‖".into(),
            Quantity::Response { j, abs } => wrap(format!("z{}", subscript(j + 1)), abs),
            Quantity::State { space, j, abs } => {
                let sym = if space == Space::Dual { "α" } else { "θ" };
                wrap(format!("{sym}{}", subscript(j + 1)), abs)
            }
        }
    }

    /// The values along a trajectory; errors name `field`.
    fn along(self, label: &str, tr: &Trajectory, field: &str) -> Result<Vec<f64>, InputError> {
        let k = tr.responses.first().map(Vec::len).unwrap_or(0);
        match self {
            Quantity::Time => Ok(tr.times.clone()),
            Quantity::Step => Ok((0..tr.times.len()).map(|i| i as f64).collect()),
            Quantity::ResponseNorm => Ok(tr
                .responses
                .iter()
                .map(|z| z.iter().map(|v| v * v).sum::<f64>().sqrt())
                .collect()),
            Quantity::Response { j, abs } => {
                if j >= k {
                    return Err(InputError::new(
                        field,
                        format!("asks for z{} but run {label:?} has {k} features", j + 1),
                    ));
                }
                Ok(tr
                    .responses
                    .iter()
                    .map(|z| if abs { z[j].abs() } else { z[j] })
                    .collect())
            }
            Quantity::State { space, j, abs } => {
                if tr.space != space {
                    return Err(InputError::new(
                        field,
                        format!(
                            "{} is a coordinate of space {:?} but run {label:?} runs in space {:?}; plot responses (z1, |z1|, …) or select runs of that space",
                            self.label(),
                            space.name(),
                            tr.space.name()
                        ),
                    ));
                }
                let dim = tr.states.first().map(Vec::len).unwrap_or(0);
                if j >= dim {
                    return Err(InputError::new(
                        field,
                        format!("asks for coordinate {} but run {label:?} has {dim}", j + 1),
                    ));
                }
                Ok(tr
                    .states
                    .iter()
                    .map(|s| if abs { s[j].abs() } else { s[j] })
                    .collect())
            }
        }
    }

    /// The value at an equilibrium z* of `run`'s model.
    fn at_equilibrium(self, run: &RunSpec, z: &[f64], field: &str) -> Result<f64, InputError> {
        match self {
            Quantity::Time | Quantity::Step => Err(InputError::new(
                field,
                "equilibrium markers need quantities of the state (z1, |z1|, …) on both axes, not t or step",
            )),
            Quantity::ResponseNorm => Ok(z.iter().map(|v| v * v).sum::<f64>().sqrt()),
            Quantity::Response { j, abs } => match z.get(j) {
                Some(v) => Ok(if abs { v.abs() } else { *v }),
                None => Err(InputError::new(
                    field,
                    format!(
                        "asks for z{} but run {:?} has {} features",
                        j + 1,
                        run.label,
                        z.len()
                    ),
                )),
            },
            Quantity::State { space, j, abs } => {
                let s = state_from_responses(&run.model, space, z);
                match s.get(j) {
                    Some(v) => Ok(if abs { v.abs() } else { *v }),
                    None => Err(InputError::new(
                        field,
                        format!(
                            "asks for coordinate {} but the {} state has {}",
                            j + 1,
                            space.name(),
                            s.len()
                        ),
                    )),
                }
            }
        }
    }
}

fn wrap(s: String, abs: bool) -> String {
    if abs { format!("|{s}|") } else { s }
}

/// Checks a file stem (letters, digits, '_', '-', '.').
fn check_stem(stem: &str, field: &str) -> Result<(), InputError> {
    if stem.is_empty()
        || stem.starts_with('.')
        || !stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err(InputError::new(
            field,
            format!("{stem:?} is not a usable file name; use letters, digits, '_', '-' or '.'"),
        ));
    }
    Ok(())
}

/// Validated figure geometry: (columns, width, height).
fn geometry(
    panels: usize,
    columns: Option<usize>,
    width: Option<u32>,
    height: Option<u32>,
    per_panel: (u32, u32),
    prefix: &str,
) -> Result<(usize, u32, u32), InputError> {
    if panels == 0 {
        return Err(InputError::new(
            format!("{prefix}.panels"),
            "is empty; give at least one panel",
        ));
    }
    let columns = match columns {
        Some(0) => {
            return Err(InputError::new(format!("{prefix}.columns"), "must be ≥ 1"));
        }
        Some(c) => c.min(panels),
        None => panels.min(3),
    };
    let rows = panels.div_ceil(columns);
    let check = |v: Option<u32>, default: u32, name: &str| -> Result<u32, InputError> {
        match v {
            Some(v) if !(64..=16_384).contains(&v) => Err(InputError::new(
                format!("{prefix}.{name}"),
                format!("must be between 64 and 16384 pixels, got {v}"),
            )),
            Some(v) => Ok(v),
            None => Ok(default),
        }
    };
    let width = check(width, per_panel.0 * columns as u32, "width")?;
    let height = check(height, per_panel.1 * rows as u32, "height")?;
    if width as u64 * height as u64 > 64 * 1024 * 1024 {
        return Err(InputError::new(
            prefix,
            format!("{width} × {height} pixels is too large; make the figure smaller"),
        ));
    }
    Ok((columns, width, height))
}

fn check_range(
    r: Option<[f64; 2]>,
    scale: ScaleSpec,
    field: &str,
) -> Result<Option<(f64, f64)>, InputError> {
    let Some([lo, hi]) = r else { return Ok(None) };
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return Err(InputError::new(
            field,
            format!("must be [min, max] with finite min < max, got [{lo}, {hi}]"),
        ));
    }
    if scale == ScaleSpec::Log && lo <= 0.0 {
        return Err(InputError::new(
            field,
            format!("a log axis needs min > 0, got {lo}"),
        ));
    }
    Ok(Some((lo, hi)))
}

fn check_width(w: Option<f64>, field: &str) -> Result<f64, InputError> {
    match w {
        None => Ok(2.0),
        Some(w) if w.is_finite() && w > 0.0 && w <= 50.0 => Ok(w),
        Some(w) => Err(InputError::new(
            field,
            format!("must be a number in (0, 50], got {w}"),
        )),
    }
}

/// Whether `path` (dotted, with `[i]` indices) exists in `v`.
fn has_path(v: &Value, path: &str) -> bool {
    let mut cur = v;
    for part in path.split('.') {
        let (key, rest) = match part.find('[') {
            Some(k) => (&part[..k], &part[k..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            match cur.get(key) {
                Some(n) => cur = n,
                None => return false,
            }
        }
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            let Some(i) = idx.trim_end_matches(']').parse::<usize>().ok() else {
                return false;
            };
            match cur.get(i) {
                Some(n) => cur = n,
                None => return false,
            }
        }
    }
    true
}

// ───────────────────────────── runs: labels, selection, colours ─────────────────────────────

/// What a figure needs to know about one run.
struct RunInfo<'a> {
    run: &'a RunSpec,
    trajectory: &'a Trajectory,
    index: usize,
    /// The label of the spec's run entry (without vary values).
    kind: String,
    /// Key of the vary values, e.g. "s1=2" ("-" without vary axes).
    key: String,
}

/// The vary suffix exactly as [`Spec::expand_values`] builds it (" s1=2 delta=0.5").
fn vary_suffix(spec: &Spec, run: &RunSpec) -> String {
    let mut s = String::new();
    for axis in &spec.vary {
        if let Some(v) = run.parameters.get(&axis.path) {
            let short = axis.path.rsplit('.').next().unwrap_or(&axis.path);
            s.push_str(&format!(" {short}={v}"));
        }
    }
    s
}

fn run_infos<'a>(spec: &Spec, runs: &'a [(RunSpec, Trajectory)]) -> Vec<RunInfo<'a>> {
    runs.iter()
        .enumerate()
        .map(|(index, (run, trajectory))| {
            let suffix = vary_suffix(spec, run);
            let kind = run
                .label
                .strip_suffix(&suffix)
                .unwrap_or(&run.label)
                .to_string();
            let key = suffix.trim().to_string();
            RunInfo {
                run,
                trajectory,
                index,
                kind,
                key: if key.is_empty() { "-".into() } else { key },
            }
        })
        .collect()
}

/// The vary path named by `name` (a full path or a unique last segment).
fn vary_path<'s>(spec: &'s Spec, name: &str) -> Option<&'s str> {
    if let Some(a) = spec.vary.iter().find(|a| a.path == name) {
        return Some(&a.path);
    }
    let matches: Vec<&str> = spec
        .vary
        .iter()
        .filter(|a| a.path.rsplit('.').next() == Some(name))
        .map(|a| a.path.as_str())
        .collect();
    (matches.len() == 1).then(|| matches[0])
}

fn vary_names(spec: &Spec) -> String {
    if spec.vary.is_empty() {
        "the spec has no `vary` axes".into()
    } else {
        format!(
            "use one of {}",
            spec.vary
                .iter()
                .map(|a| format!("{:?}", a.path))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// Numbers compare by value (2 == 2.0), everything else as JSON.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The runs a selector picks (in run order); errors name `field`.
fn select<'a, 'b>(
    spec: &Spec,
    infos: &'b [RunInfo<'a>],
    selector: Option<&RunSelector>,
    field: &str,
) -> Result<Vec<&'b RunInfo<'a>>, InputError> {
    let Some(sel) = selector else {
        return Ok(infos.iter().collect());
    };
    let labels = sel.label.as_ref().map(OneOrMany::to_vec);
    let mut wanted: Vec<(&str, Vec<Value>)> = Vec::new();
    for (name, values) in &sel.parameters {
        let Some(path) = vary_path(spec, name) else {
            return Err(InputError::new(
                format!("{field}.parameters.{name}"),
                format!("is not a vary path; {}", vary_names(spec)),
            ));
        };
        wanted.push((path, values.to_vec()));
    }
    if let Some(ls) = &labels {
        for (i, l) in ls.iter().enumerate() {
            if !infos.iter().any(|r| &r.kind == l || &r.run.label == l) {
                let mut known: Vec<&str> = infos.iter().map(|r| r.kind.as_str()).collect();
                known.dedup();
                let f = if ls.len() == 1 && matches!(sel.label, Some(OneOrMany::One(_))) {
                    format!("{field}.label")
                } else {
                    format!("{field}.label[{i}]")
                };
                return Err(InputError::new(
                    f,
                    format!(
                        "no run is labelled {l:?}; the runs are {}",
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    let chosen: Vec<&RunInfo> = infos
        .iter()
        .filter(|r| {
            labels
                .as_ref()
                .is_none_or(|ls| ls.iter().any(|l| *l == r.kind || *l == r.run.label))
        })
        .filter(|r| {
            wanted.iter().all(|(path, values)| {
                r.run
                    .parameters
                    .get(*path)
                    .is_some_and(|v| values.iter().any(|w| same_value(v, w)))
            })
        })
        .collect();
    if chosen.is_empty() {
        return Err(InputError::new(
            field,
            "selects no run; check `label` and `parameters`",
        ));
    }
    Ok(chosen)
}

/// Palette index of a run for a group with `colour` / `colour_by`; `fallback` otherwise.
fn colour_of(
    spec: &Spec,
    infos: &[RunInfo],
    info: &RunInfo,
    colour: Option<usize>,
    colour_by: Option<&str>,
    fallback: usize,
    field: &str,
) -> Result<usize, InputError> {
    match (colour, colour_by) {
        (Some(_), Some(_)) => Err(InputError::new(
            field,
            "give either `colour` or `colour_by`, not both",
        )),
        (Some(c), None) => Ok(c),
        (None, None) => Ok(fallback),
        (None, Some("run")) => Ok(info.index),
        (None, Some("label")) => {
            let mut kinds: Vec<&str> = Vec::new();
            for r in infos {
                if !kinds.contains(&r.kind.as_str()) {
                    kinds.push(&r.kind);
                }
            }
            Ok(kinds.iter().position(|k| *k == info.kind).unwrap_or(0))
        }
        (None, Some(name)) => {
            let Some(path) = vary_path(spec, name) else {
                return Err(InputError::new(
                    format!("{field}.colour_by"),
                    format!(
                        "{name:?} is not \"label\", \"run\" or a vary path; {}",
                        vary_names(spec)
                    ),
                ));
            };
            let axis = spec.vary.iter().find(|a| a.path == path);
            let value = info.run.parameters.get(path);
            Ok(match (axis, value) {
                (Some(a), Some(v)) => a.values.iter().position(|w| same_value(v, w)).unwrap_or(0),
                _ => 0,
            })
        }
    }
}

/// Fills a template: `{label}`, `{run}`, `{<vary path or last segment>}`.
fn fill(spec: &Spec, template: &str, info: &RunInfo, field: &str) -> Result<String, InputError> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(InputError::new(
                field,
                format!("{template:?} has a '{{' without '}}'; placeholders look like {{s1}}"),
            ));
        };
        let key = after[..close].trim();
        let text = match key {
            "label" => info.kind.clone(),
            "run" => info.run.label.clone(),
            other => match vary_path(spec, other).and_then(|p| info.run.parameters.get(p)) {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => {
                    return Err(InputError::new(
                        field,
                        format!(
                            "unknown placeholder {{{other}}}; use {{label}}, {{run}} or a vary path ({})",
                            vary_names(spec)
                        ),
                    ));
                }
            },
        };
        out.push_str(&text);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn point_class(s: Stability) -> PointClass {
    match s {
        Stability::StableNode | Stability::StableFocus => PointClass::Stable,
        Stability::Unstable => PointClass::Unstable,
        Stability::Saddle => PointClass::Saddle,
        Stability::NonHyperbolic => PointClass::Other,
    }
}

fn dash_name(d: Dash) -> &'static str {
    match d {
        Dash::Solid => "solid",
        Dash::Dashed => "dashed",
        Dash::Dotted => "dotted",
    }
}

fn axis_json(axis: &Axis, quantity: Option<&str>) -> Value {
    json!({
        "label": axis.label,
        "quantity": quantity,
        "range": axis.range.map(|(a, b)| [a, b]),
        "scale": if axis.scale == Scale::Log { "log" } else { "linear" },
    })
}

fn key_series(k: &KeySpec, field: &str) -> Result<Series, InputError> {
    Ok(Series {
        label: Some(k.label.clone()),
        points: Vec::new(),
        colour: k.colour.unwrap_or(7),
        dash: k.dash.into(),
        width: check_width(k.width, &format!("{field}.width"))?,
        markers: k.markers,
        direction_arrows: false,
    })
}

fn keys_json(keys: &[Series]) -> Value {
    Value::Array(
        keys.iter()
            .map(|k| json!({"label": k.label, "colour": k.colour, "dash": dash_name(k.dash), "width": k.width}))
            .collect(),
    )
}

// ───────────────────────────── run figures ─────────────────────────────

/// The figure specs of a `plot` value with their field prefixes.
fn parse_plot(plot: &Value) -> Result<Vec<(String, PlotSpec)>, InputError> {
    match plot {
        Value::Array(list) => {
            if list.is_empty() {
                return Err(InputError::new(
                    "plot",
                    "is an empty list; give at least one figure",
                ));
            }
            list.iter()
                .enumerate()
                .map(|(i, v)| {
                    let prefix = format!("plot[{i}]");
                    let p: PlotSpec = from_value(v.clone(), &prefix)?;
                    if p.stem.is_none() && list.len() > 1 {
                        return Err(InputError::new(
                            format!("{prefix}.stem"),
                            "is missing; every figure of a list needs its own file stem",
                        ));
                    }
                    Ok((prefix, p))
                })
                .collect()
        }
        _ => Ok(vec![(
            "plot".to_string(),
            from_value(plot.clone(), "plot")?,
        )]),
    }
}

/// Figures of a run spec's `plot` section, drawn from its runs (empty without a `plot` section).
pub fn run_figures(
    spec: &Spec,
    runs: &[(RunSpec, Trajectory)],
) -> Result<Vec<FigureOutput>, Error> {
    let Some(plot) = &spec.plot else {
        return Ok(Vec::new());
    };
    let figures = parse_plot(plot)?;
    let infos = run_infos(spec, runs);
    let mut out: Vec<FigureOutput> = Vec::new();
    for (prefix, fig) in &figures {
        let stem = fig.stem.clone().unwrap_or_else(|| spec.name.clone());
        check_stem(&stem, &format!("{prefix}.stem"))?;
        if out.iter().any(|o| o.stem == stem) {
            return Err(InputError::new(
                format!("{prefix}.stem"),
                format!("{stem:?} is used by another figure; give every figure its own stem"),
            )
            .into());
        }
        out.push(run_figure(spec, &infos, prefix, fig, stem)?);
    }
    Ok(out)
}

fn run_figure(
    spec: &Spec,
    infos: &[RunInfo],
    prefix: &str,
    fig: &PlotSpec,
    stem: String,
) -> Result<FigureOutput, Error> {
    let (columns, width, height) = geometry(
        fig.panels.len(),
        fig.columns,
        fig.width,
        fig.height,
        (800, 620),
        prefix,
    )?;
    let mut panels = Vec::new();
    let mut panels_data = Vec::new();
    let mut used: Vec<usize> = Vec::new();
    for (p, ps) in fig.panels.iter().enumerate() {
        let pf = format!("{prefix}.panels[{p}]");
        let x_default = match &ps.x.quantity {
            Some(q) => Some(Quantity::parse(q, &format!("{pf}.x.quantity"))?),
            None => None,
        };
        let y_default = match &ps.y.quantity {
            Some(q) => Some(Quantity::parse(q, &format!("{pf}.y.quantity"))?),
            None => None,
        };
        let x_range = check_range(ps.x.range, ps.x.scale, &format!("{pf}.x.range"))?;
        let y_range = check_range(ps.y.range, ps.y.scale, &format!("{pf}.y.range"))?;
        if ps.series.is_empty() {
            return Err(InputError::new(
                format!("{pf}.series"),
                "is empty; give at least one series group",
            )
            .into());
        }
        let mut series = Vec::new();
        let mut series_data = Vec::new();
        let mut x_labels: Vec<String> = Vec::new();
        let mut y_labels: Vec<String> = Vec::new();
        for (g, group) in ps.series.iter().enumerate() {
            let gf = format!("{pf}.series[{g}]");
            let xq = match &group.x {
                Some(q) => Quantity::parse(q, &format!("{gf}.x"))?,
                None => x_default.ok_or_else(|| {
                    InputError::new(
                        format!("{pf}.x.quantity"),
                        format!("is missing; give the panel's x quantity or `x` in {gf}"),
                    )
                })?,
            };
            let yq = match &group.y {
                Some(q) => Quantity::parse(q, &format!("{gf}.y"))?,
                None => y_default.ok_or_else(|| {
                    InputError::new(
                        format!("{pf}.y.quantity"),
                        format!("is missing; give the panel's y quantity or `y` in {gf}"),
                    )
                })?,
            };
            for (labels, q) in [(&mut x_labels, xq), (&mut y_labels, yq)] {
                let l = q.label();
                if !labels.contains(&l) {
                    labels.push(l);
                }
            }
            let width = check_width(group.width, &format!("{gf}.width"))?;
            let chosen = select(spec, infos, group.runs.as_ref(), &format!("{gf}.runs"))?;
            for info in chosen {
                let xf = if group.x.is_some() {
                    format!("{gf}.x")
                } else {
                    format!("{pf}.x.quantity")
                };
                let yf = if group.y.is_some() {
                    format!("{gf}.y")
                } else {
                    format!("{pf}.y.quantity")
                };
                let xs = xq.along(&info.run.label, info.trajectory, &xf)?;
                let ys = yq.along(&info.run.label, info.trajectory, &yf)?;
                let colour = colour_of(
                    spec,
                    infos,
                    info,
                    group.colour,
                    group.colour_by.as_deref(),
                    g,
                    &gf,
                )?;
                let legend = match &group.legend {
                    Some(t) => Some(fill(spec, t, info, &format!("{gf}.legend"))?),
                    None => None,
                };
                if !used.contains(&info.index) {
                    used.push(info.index);
                }
                series_data.push(json!({
                    "run": info.run.label,
                    "kind": info.kind,
                    "parameters": info.run.parameters,
                    "x_quantity": group.x.clone().or(ps.x.quantity.clone()),
                    "y_quantity": group.y.clone().or(ps.y.quantity.clone()),
                    "legend": legend,
                    "colour": colour,
                    "dash": dash_name(group.dash.into()),
                    "x": xs,
                    "y": ys,
                }));
                series.push(Series {
                    label: legend,
                    points: xs.into_iter().zip(ys).collect(),
                    colour,
                    dash: group.dash.into(),
                    width,
                    markers: group.markers,
                    direction_arrows: group.arrows,
                });
            }
        }
        let mut markers = Vec::new();
        let mut markers_data = Vec::new();
        for (m, ms) in ps.equilibria.iter().enumerate() {
            let mf = format!("{pf}.equilibria[{m}]");
            let xq = x_default.ok_or_else(|| {
                InputError::new(
                    format!("{pf}.x.quantity"),
                    "is missing; equilibrium markers use the panel's quantities",
                )
            })?;
            let yq = y_default.ok_or_else(|| {
                InputError::new(
                    format!("{pf}.y.quantity"),
                    "is missing; equilibrium markers use the panel's quantities",
                )
            })?;
            let chosen = select(spec, infos, ms.runs.as_ref(), &format!("{mf}.runs"))?;
            for info in chosen {
                let eq = find_equilibrium(&info.run.model, None, &EquilibriumOptions::default())
                    .map_err(|e| {
                        InputError::new(
                            mf.as_str(),
                            format!("run {:?} has no equilibrium to mark: {e}", info.run.label),
                        )
                    })?;
                let x = xq.at_equilibrium(info.run, &eq.point, &format!("{pf}.x.quantity"))?;
                let y = yq.at_equilibrium(info.run, &eq.point, &format!("{pf}.y.quantity"))?;
                let colour = colour_of(
                    spec,
                    infos,
                    info,
                    ms.colour,
                    ms.colour_by.as_deref(),
                    7,
                    &mf,
                )?;
                let label = match &ms.label {
                    Some(t) => Some(fill(spec, t, info, &format!("{mf}.label"))?),
                    None => None,
                };
                let class = point_class(eq.stability);
                let marker = Marker {
                    x,
                    y,
                    class,
                    colour,
                    label: label.clone(),
                };
                // Runs sharing a model share the equilibrium: mark it once.
                if markers
                    .iter()
                    .any(|o: &Marker| o.x == x && o.y == y && o.colour == colour)
                {
                    continue;
                }
                markers.push(marker);
                markers_data.push(json!({
                    "run": info.run.label,
                    "kind": info.kind,
                    "parameters": info.run.parameters,
                    "x": x,
                    "y": y,
                    "z": eq.point,
                    "stability": eq.stability.name(),
                    "eigenvalues": eq.eigenvalues.iter().map(|(a, b)| [*a, *b]).collect::<Vec<_>>(),
                    "residual": eq.residual,
                    "colour": colour,
                    "label": label,
                }));
            }
        }
        let mut keys = Vec::new();
        for (k, key) in ps.keys.iter().enumerate() {
            keys.push(key_series(key, &format!("{pf}.keys[{k}]"))?);
        }
        let x_axis = Axis {
            label: ps.x.label.clone().unwrap_or_else(|| x_labels.join(", ")),
            range: x_range,
            scale: ps.x.scale.into(),
        };
        let y_axis = Axis {
            label: ps.y.label.clone().unwrap_or_else(|| y_labels.join(", ")),
            range: y_range,
            scale: ps.y.scale.into(),
        };
        panels_data.push(json!({
            "title": ps.title,
            "kind": "lines",
            "x": axis_json(&x_axis, ps.x.quantity.as_deref()),
            "y": axis_json(&y_axis, ps.y.quantity.as_deref()),
            "series": series_data,
            "equilibria": markers_data,
            "keys": keys_json(&keys),
        }));
        series.extend(keys);
        panels.push(Panel::Lines(LinePanel {
            title: ps.title.clone(),
            x: x_axis,
            y: y_axis,
            series,
            markers,
            legend: ps.legend,
        }));
    }
    used.sort_unstable();
    let mut runs_data = Map::new();
    for &i in &used {
        let info = &infos[i];
        let tr = info.trajectory;
        let mut entry = Map::new();
        entry.insert("label".into(), json!(info.run.label));
        entry.insert("parameters".into(), json!(info.run.parameters));
        entry.insert("space".into(), json!(tr.space.name()));
        entry.insert("method".into(), json!(tr.method.name()));
        entry.insert("t".into(), json!(tr.times));
        let k = tr.responses.first().map(Vec::len).unwrap_or(0);
        for j in 0..k {
            let col: Vec<f64> = tr.responses.iter().map(|z| z[j]).collect();
            entry.insert(format!("z{}", j + 1), json!(col));
        }
        let by_kind = runs_data
            .entry(info.kind.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = by_kind {
            m.insert(info.key.clone(), Value::Object(entry));
        }
    }
    let title = fig.title.clone().unwrap_or_default();
    let data = json!({
        "name": spec.name,
        "description": spec.description,
        "stem": stem,
        "figure": { "title": title, "width": width, "height": height, "columns": columns },
        "panels": panels_data,
        "runs": runs_data,
        "notes": "panels[].series[] hold the plotted points (x, y); runs[kind][vary values] hold t and the signed responses z_j of every recorded step of each plotted run",
    });
    Ok(FigureOutput {
        stem,
        figure: Figure {
            title,
            panels,
            columns,
            width,
            height,
        },
        data,
    })
}

// ───────────────────────────── portrait figures ─────────────────────────────

/// The validated settings of one portrait panel with what the figure needs besides.
struct PanelPlan {
    spec: PortraitPanelSpec,
    model_json: Value,
    model: crate::model::FeatureModel,
    settings: PortraitSettings,
    x_name: String,
    y_name: String,
}

/// A state coordinate name ("z1", "theta2", "alpha1") → 0-based index in `space`.
fn coordinate(name: &str, space: Space, dim: usize, field: &str) -> Result<usize, InputError> {
    let prefix = match space {
        Space::Responses => "z",
        Space::Parameters => "theta",
        Space::Dual => "alpha",
    };
    let j = name
        .trim()
        .strip_prefix(prefix)
        .and_then(|d| d.parse::<usize>().ok())
        .filter(|j| (1..=dim).contains(j));
    j.map(|j| j - 1).ok_or_else(|| {
        InputError::new(
            field,
            format!(
                "{name:?} is not a coordinate of the {} state; use \"{prefix}1\" … \"{prefix}{dim}\"",
                space.name()
            ),
        )
    })
}

fn coordinate_label(space: Space, j: usize) -> String {
    let sym = match space {
        Space::Responses => "z",
        Space::Parameters => "θ",
        Space::Dual => "α",
    };
    format!("{sym}{}", subscript(j + 1))
}

fn nullcline_label(space: Space, j: usize) -> String {
    match space {
        Space::Responses => format!("ż{} = 0", subscript(j + 1)),
        _ => format!("d{}/dt = 0", coordinate_label(space, j)),
    }
}

/// A grid count: n or [nx, ny].
fn grid_count(
    v: Option<&Value>,
    default: usize,
    field: &str,
) -> Result<(usize, usize), InputError> {
    let bad = || {
        InputError::new(
            field,
            "must be a node count ≥ 2 or a pair [nx, ny] of counts ≥ 2 (at most 2000)",
        )
    };
    let ok = |n: u64| (2..=2000).contains(&n);
    match v {
        None => Ok((default, default)),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) if ok(n) => Ok((n as usize, n as usize)),
            _ => Err(bad()),
        },
        Some(Value::Array(a)) if a.len() == 2 => match (a[0].as_u64(), a[1].as_u64()) {
            (Some(x), Some(y)) if ok(x) && ok(y) => Ok((x as usize, y as usize)),
            _ => Err(bad()),
        },
        Some(_) => Err(bad()),
    }
}

/// Rewrites an error under `portrait.panels[i]` to `portrait.defaults` when the offending
/// field came from the defaults.
fn locate(e: InputError, panel: &Value, defaults: Option<&Value>, i: usize) -> InputError {
    let own = format!("portrait.panels[{i}]");
    let Some(rest) = e.field.strip_prefix(&format!("{own}.")) else {
        return e;
    };
    let rest_path = rest.split(' ').next().unwrap_or(rest);
    if !has_path(panel, rest_path) && defaults.is_some_and(|d| has_path(d, rest_path)) {
        return InputError::new(format!("portrait.defaults.{rest}"), e.message);
    }
    e
}

fn plan_panel(
    spec: &Spec,
    defaults: Option<&Value>,
    raw: &Value,
    i: usize,
) -> Result<PanelPlan, InputError> {
    let pf = format!("portrait.panels[{i}]");
    if !raw.is_object() {
        return Err(InputError::new(pf, "must be an object"));
    }
    let mut merged = defaults.cloned().unwrap_or_else(|| json!({}));
    if !merged.is_object() {
        return Err(InputError::new("portrait.defaults", "must be an object"));
    }
    merge(&mut merged, raw);
    let locate = |e: InputError| locate(e, raw, defaults, i);
    let ps: PortraitPanelSpec = from_value(merged, &pf).map_err(locate)?;
    let mut model_json = spec.model.clone().unwrap_or_else(|| json!({}));
    if let Some(m) = &ps.model {
        merge(&mut model_json, m);
    }
    let model = crate::spec::build_model(model_json.clone()).map_err(|e| {
        match e.field.strip_prefix("model.") {
            Some(rest) if has_path(raw, &format!("model.{rest}")) => {
                InputError::new(format!("{pf}.model.{rest}"), e.message)
            }
            Some(rest) if defaults.is_some_and(|d| has_path(d, &format!("model.{rest}"))) => {
                InputError::new(format!("portrait.defaults.model.{rest}"), e.message)
            }
            _ => e,
        }
    })?;
    let space =
        parse_space(ps.space.as_deref().unwrap_or("z"), &format!("{pf}.space")).map_err(locate)?;
    let flow = crate::flow::build_flow(&model, space).map_err(|e| {
        InputError::new(
            format!("{pf}.space"),
            format!("{} ({})", e.message, e.field),
        )
    })?;
    let dim = flow.dim();
    let x =
        coordinate(&ps.x.coordinate, space, dim, &format!("{pf}.x.coordinate")).map_err(locate)?;
    let y =
        coordinate(&ps.y.coordinate, space, dim, &format!("{pf}.y.coordinate")).map_err(locate)?;
    if x == y {
        return Err(locate(InputError::new(
            format!("{pf}.y.coordinate"),
            "must differ from x.coordinate",
        )));
    }
    let range = |r: [f64; 2], f: &str| -> Result<(f64, f64), InputError> {
        check_range(Some(r), ScaleSpec::Linear, f)
            .map(|o| o.unwrap_or((r[0], r[1])))
            .map_err(locate)
    };
    let x_range = range(ps.x.range, &format!("{pf}.x.range"))?;
    let y_range = range(ps.y.range, &format!("{pf}.y.range"))?;
    if space == Space::Dual {
        for (r, f) in [(x_range, "x"), (y_range, "y")] {
            if r.0 < 0.0 || r.1 > 1.0 {
                return Err(locate(InputError::new(
                    format!("{pf}.{f}.range"),
                    "dual variables α live in (0, 1); give a range inside [0, 1]",
                )));
            }
        }
    }
    let fixed = match &ps.fixed {
        None => Fixed::Equilibrium,
        Some(Value::String(s)) if s == "equilibrium" => Fixed::Equilibrium,
        Some(Value::Array(a)) => {
            let v: Option<Vec<f64>> = a.iter().map(Value::as_f64).collect();
            match v {
                Some(v) if v.len() == dim => Fixed::Values(v),
                _ => {
                    return Err(locate(InputError::new(
                        format!("{pf}.fixed"),
                        format!(
                            "must be \"equilibrium\" or a list of {dim} numbers (a full {} state)",
                            space.name()
                        ),
                    )));
                }
            }
        }
        Some(_) => {
            return Err(locate(InputError::new(
                format!("{pf}.fixed"),
                format!(
                    "must be \"equilibrium\" or a list of {dim} numbers (a full {} state)",
                    space.name()
                ),
            )));
        }
    };
    let arrows = match &ps.arrows {
        Some(a) => {
            Some(grid_count(a.grid.as_ref(), 21, &format!("{pf}.arrows.grid")).map_err(locate)?)
        }
        None => None,
    };
    let nullclines = match &ps.nullclines {
        Some(a) => Some(
            grid_count(a.grid.as_ref(), 161, &format!("{pf}.nullclines.grid")).map_err(locate)?,
        ),
        None => None,
    };
    let streamlines = match &ps.streamlines {
        Some(s) => {
            let mut o = StreamlineOptions::default();
            if let Some(d) = s.density {
                if !(2..=200).contains(&d) {
                    return Err(locate(InputError::new(
                        format!("{pf}.streamlines.density"),
                        format!("must be between 2 and 200, got {d}"),
                    )));
                }
                o.density = d;
            }
            if let Some(m) = s.min_speed {
                o.min_speed =
                    crate::error::require_non_negative(&format!("{pf}.streamlines.min_speed"), m)
                        .map_err(locate)?;
            }
            if let Some(m) = s.max_length {
                o.max_length =
                    crate::error::require_positive(&format!("{pf}.streamlines.max_length"), m)
                        .map_err(locate)?;
            }
            Some(o)
        }
        None => None,
    };
    let trajectories = match &ps.trajectories {
        Some(t) => {
            let tf = format!("{pf}.trajectories");
            let method = parse_method(
                t.method.as_deref().unwrap_or("auto"),
                &format!("{tf}.method"),
            )
            .map_err(locate)?;
            let mut o = SolveOptions::until(t.t_end);
            if let Some(v) = t.rtol {
                o.rtol = v;
            }
            if let Some(v) = t.atol {
                o.atol = v;
            }
            o.max_step = t.max_step;
            o.step = t.step;
            o.output = match &t.output {
                None | Some(OutputSpec::Steps) => Output::Steps,
                Some(OutputSpec::Count(c)) => Output::Count(*c),
                Some(OutputSpec::Times(ts)) => Output::Times(
                    ts.values(&format!("{tf}.output.times")).map_err(&locate)?,
                ),
            };
            o.validate(method, model.features()).map_err(|e| {
                locate(InputError::new(
                    e.field.replacen("options.", &format!("{tf}."), 1),
                    e.message,
                ))
            })?;
            for (k, s) in t.starts.iter().enumerate() {
                if s.len() != 2 && s.len() != dim {
                    return Err(locate(InputError::new(
                        format!("{tf}.starts[{k}]"),
                        format!(
                            "has {} entries; give (x, y) or a full {} state of dimension {dim}",
                            s.len(),
                            space.name()
                        ),
                    )));
                }
                if let Some(j) = s.iter().position(|v| !v.is_finite()) {
                    return Err(locate(InputError::new(
                        format!("{tf}.starts[{k}][{j}]"),
                        "must be a finite number",
                    )));
                }
            }
            if let Some(r) = &t.random
                && r.count > 10_000
            {
                return Err(locate(InputError::new(
                    format!("{tf}.random.count"),
                    format!("must be at most 10000, got {}", r.count),
                )));
            }
            if t.starts.is_empty() && t.random.as_ref().is_none_or(|r| r.count == 0) {
                return Err(locate(InputError::new(
                    tf.as_str(),
                    "has no starts; give `starts` or `random`",
                )));
            }
            Some(TrajectorySettings {
                starts: t.starts.clone(),
                random: t.random.as_ref().map(|r| (r.count, r.seed)),
                method,
                options: o,
            })
        }
        None => None,
    };
    let x_name = ps.x.coordinate.trim().to_string();
    let y_name = ps.y.coordinate.trim().to_string();
    Ok(PanelPlan {
        settings: PortraitSettings {
            space,
            x,
            y,
            x_range,
            y_range,
            fixed,
            arrows,
            streamlines,
            nullclines,
            equilibria: ps.equilibria,
            trajectories,
        },
        spec: ps,
        model_json,
        model,
        x_name,
        y_name,
    })
}

/// Figures of a spec's `portrait` section (empty without one).
pub fn portrait_figures(spec: &Spec) -> Result<Vec<FigureOutput>, Error> {
    let Some(section) = &spec.portrait else {
        return Ok(Vec::new());
    };
    let ps: PortraitSpec = from_value(section.clone(), "portrait")?;
    let stem = ps.stem.clone().unwrap_or_else(|| spec.name.clone());
    check_stem(&stem, "portrait.stem")?;
    let (columns, width, height) = geometry(
        ps.panels.len(),
        ps.columns,
        ps.width,
        ps.height,
        (760, 640),
        "portrait",
    )?;
    let plans: Vec<PanelPlan> = ps
        .panels
        .iter()
        .enumerate()
        .map(|(i, raw)| plan_panel(spec, ps.defaults.as_ref(), raw, i))
        .collect::<Result<_, _>>()?;
    let mut panels = Vec::new();
    let mut panels_data = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        let computed = portrait(&plan.model, &plan.settings).map_err(|e| match e {
            Error::Input(ie) => Error::Input(InputError::new(
                format!("portrait.panels[{i}].{}", ie.field),
                ie.message,
            )),
            Error::Solve(s) => Error::Solve(crate::error::SolveError::Backend {
                method: format!("portrait.panels[{i}]"),
                message: s.to_string(),
            }),
            other => other,
        })?;
        let (panel, data) = portrait_panel(plan, &computed);
        panels.push(Panel::Portrait(panel));
        panels_data.push(data);
    }
    let title = ps.title.clone().unwrap_or_default();
    let data = json!({
        "name": spec.name,
        "description": spec.description,
        "stem": stem,
        "figure": { "title": title, "width": width, "height": height, "columns": columns },
        "panels": panels_data,
    });
    Ok(vec![FigureOutput {
        stem,
        figure: Figure {
            title,
            panels,
            columns,
            width,
            height,
        },
        data,
    }])
}

fn portrait_panel(plan: &PanelPlan, p: &Portrait) -> (PortraitPanel, Value) {
    let s = &plan.settings;
    let x_axis = Axis {
        label: plan
            .spec
            .x
            .label
            .clone()
            .unwrap_or_else(|| coordinate_label(s.space, s.x)),
        range: Some(s.x_range),
        scale: Scale::Linear,
    };
    let y_axis = Axis {
        label: plan
            .spec
            .y
            .label
            .clone()
            .unwrap_or_else(|| coordinate_label(s.space, s.y)),
        range: Some(s.y_range),
        scale: Scale::Linear,
    };
    let arrows: Vec<Arrow> = p
        .arrows
        .as_ref()
        .map(|a| {
            a.nodes()
                .map(|(x, y, dx, dy)| Arrow { x, y, dx, dy })
                .collect()
        })
        .unwrap_or_default();
    let mut nullclines = Vec::new();
    let mut nullclines_data = Vec::new();
    if let Some(ncs) = &p.nullclines {
        for nc in ncs {
            let j = if nc.component == 0 { s.x } else { s.y };
            let label = nullcline_label(s.space, j);
            let (colour, dash) = if nc.component == 0 {
                (3, Dash::Solid)
            } else {
                (2, Dash::Dashed)
            };
            for piece in &nc.pieces {
                nullclines.push(Series {
                    label: Some(label.clone()),
                    points: piece.clone(),
                    colour,
                    dash,
                    width: 2.2,
                    markers: false,
                    direction_arrows: false,
                });
            }
            nullclines_data.push(json!({
                "component": if nc.component == 0 { &plan.x_name } else { &plan.y_name },
                "label": label,
                "pieces": nc.pieces.iter().map(|pc| pc.iter().map(|(a, b)| [*a, *b]).collect::<Vec<_>>()).collect::<Vec<_>>(),
            }));
        }
    }
    let star = match s.space {
        Space::Responses => "z*",
        Space::Parameters => "θ*",
        Space::Dual => "α*",
    };
    let markers: Vec<Marker> = p
        .equilibria
        .iter()
        .map(|e| Marker {
            x: e.x,
            y: e.y,
            class: point_class(e.stability),
            colour: 0,
            label: Some(if e.of_full_flow {
                star.to_string()
            } else {
                format!("{} (slice)", e.stability.name())
            }),
        })
        .collect();
    let (t_colour, t_label) = plan
        .spec
        .trajectories
        .as_ref()
        .map(|t| {
            (
                t.colour.unwrap_or(7),
                t.label.clone().unwrap_or_else(|| "trajectories".into()),
            )
        })
        .unwrap_or((7, "trajectories".into()));
    let trajectories: Vec<Series> = p
        .trajectories
        .iter()
        .map(|t| Series {
            label: Some(t_label.clone()),
            points: t.points.clone(),
            colour: t_colour,
            dash: Dash::Solid,
            width: 1.8,
            markers: false,
            direction_arrows: true,
        })
        .collect();
    let data = json!({
        "title": plan.spec.title,
        "space": s.space.name(),
        "model": plan.model_json,
        "x": { "coordinate": plan.x_name, "label": x_axis.label, "range": [s.x_range.0, s.x_range.1] },
        "y": { "coordinate": plan.y_name, "label": y_axis.label, "range": [s.y_range.0, s.y_range.1] },
        "fixed_state": p.base,
        "arrows": p.arrows.as_ref().map(|a| {
            let nodes: Vec<(f64, f64, f64, f64)> = a.nodes().collect();
            json!({
                "nx": a.grid.nx, "ny": a.grid.ny,
                "x": nodes.iter().map(|n| n.0).collect::<Vec<_>>(),
                "y": nodes.iter().map(|n| n.1).collect::<Vec<_>>(),
                "dx": nodes.iter().map(|n| n.2).collect::<Vec<_>>(),
                "dy": nodes.iter().map(|n| n.3).collect::<Vec<_>>(),
                "speed": nodes.iter().map(|n| n.2.hypot(n.3)).collect::<Vec<_>>(),
            })
        }),
        "streamlines": p.streamlines.iter().map(|l| l.iter().map(|(a, b)| [*a, *b]).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "nullclines": nullclines_data,
        "equilibria": p.equilibria.iter().map(|e| json!({
            "x": e.x, "y": e.y, "state": e.state,
            "stability": e.stability.name(),
            "eigenvalues": e.eigenvalues.iter().map(|(a, b)| [*a, *b]).collect::<Vec<_>>(),
            "residual": e.residual,
            "of_full_flow": e.of_full_flow,
        })).collect::<Vec<_>>(),
        "trajectories": p.trajectories.iter().map(|t| json!({
            "start": t.start,
            "t": t.times,
            "x": t.points.iter().map(|q| q.0).collect::<Vec<_>>(),
            "y": t.points.iter().map(|q| q.1).collect::<Vec<_>>(),
            "stop_reason": t.stop.name(),
        })).collect::<Vec<_>>(),
    });
    (
        PortraitPanel {
            title: plan.spec.title.clone(),
            x: x_axis,
            y: y_axis,
            arrows,
            streamlines: p.streamlines.clone(),
            nullclines,
            trajectories,
            markers,
            legend: plan.spec.legend,
        },
        data,
    )
}

// ───────────────────────────── checks and test support ─────────────────────────────

/// Validates the `plot` and `portrait` sections without running anything (selectors are checked
/// against the spec's expanded runs; quantities that depend on trajectories are checked when
/// drawing). Useful before a long run.
pub fn check_sections(spec: &Spec) -> Result<(), InputError> {
    if let Some(plot) = &spec.plot {
        let figures = parse_plot(plot)?;
        let runs = spec.expand_runs()?;
        let empty = Trajectory {
            space: Space::Responses,
            times: Vec::new(),
            states: Vec::new(),
            responses: Vec::new(),
            stats: Default::default(),
            method: Method::default(),
            methods_used: Vec::new(),
            stop: crate::solve::StopReason::ReachedEnd,
            events: Vec::new(),
        };
        let pairs: Vec<(RunSpec, Trajectory)> =
            runs.into_iter().map(|r| (r, empty.clone())).collect();
        let infos = run_infos(spec, &pairs);
        for (prefix, fig) in &figures {
            let stem = fig.stem.clone().unwrap_or_else(|| spec.name.clone());
            check_stem(&stem, &format!("{prefix}.stem"))?;
            geometry(
                fig.panels.len(),
                fig.columns,
                fig.width,
                fig.height,
                (800, 620),
                prefix,
            )?;
            for (p, ps) in fig.panels.iter().enumerate() {
                let pf = format!("{prefix}.panels[{p}]");
                for (q, f) in [
                    (&ps.x.quantity, "x.quantity"),
                    (&ps.y.quantity, "y.quantity"),
                ] {
                    if let Some(q) = q {
                        Quantity::parse(q, &format!("{pf}.{f}"))?;
                    }
                }
                check_range(ps.x.range, ps.x.scale, &format!("{pf}.x.range"))?;
                check_range(ps.y.range, ps.y.scale, &format!("{pf}.y.range"))?;
                for (g, group) in ps.series.iter().enumerate() {
                    let gf = format!("{pf}.series[{g}]");
                    for (q, f) in [(&group.x, "x"), (&group.y, "y")] {
                        if let Some(q) = q {
                            Quantity::parse(q, &format!("{gf}.{f}"))?;
                        }
                    }
                    for info in select(spec, &infos, group.runs.as_ref(), &format!("{gf}.runs"))? {
                        colour_of(
                            spec,
                            &infos,
                            info,
                            group.colour,
                            group.colour_by.as_deref(),
                            g,
                            &gf,
                        )?;
                        if let Some(t) = &group.legend {
                            fill(spec, t, info, &format!("{gf}.legend"))?;
                        }
                    }
                }
                for (m, ms) in ps.equilibria.iter().enumerate() {
                    let mf = format!("{pf}.equilibria[{m}]");
                    for info in select(spec, &infos, ms.runs.as_ref(), &format!("{mf}.runs"))? {
                        colour_of(
                            spec,
                            &infos,
                            info,
                            ms.colour,
                            ms.colour_by.as_deref(),
                            7,
                            &mf,
                        )?;
                    }
                }
            }
        }
    }
    if let Some(section) = &spec.portrait {
        let ps: PortraitSpec = from_value(section.clone(), "portrait")?;
        check_stem(
            &ps.stem.clone().unwrap_or_else(|| spec.name.clone()),
            "portrait.stem",
        )?;
        geometry(
            ps.panels.len(),
            ps.columns,
            ps.width,
            ps.height,
            (760, 640),
            "portrait",
        )?;
        for (i, raw) in ps.panels.iter().enumerate() {
            plan_panel(spec, ps.defaults.as_ref(), raw, i)?;
        }
    }
    Ok(())
}

/// Shrinks the resolution of a spec (as JSON) by `factor` for quick tests: every
/// `linspace`/`logspace` count and every `{"count": N}` output (≥ 2 kept), and in the `portrait`
/// section the arrow and nullcline `grid` counts (≥ 5 kept) and streamline `density` (≥ 3 kept).
/// Runs with `gd` keep their step counts; explicit lists and everything else are untouched.
pub fn reduce_resolution(spec_json: &mut Value, factor: usize) {
    let factor = factor.max(1);
    shrink_counts(spec_json, factor, false);
}

fn shrink(n: u64, factor: usize, floor: u64) -> u64 {
    if n <= floor {
        n
    } else {
        (n.div_ceil(factor as u64)).max(floor)
    }
}

fn shrink_counts(v: &mut Value, factor: usize, in_portrait: bool) {
    match v {
        Value::Object(m) => {
            for (key, child) in m.iter_mut() {
                match key.as_str() {
                    "linspace" | "logspace" | "output" => {
                        if let Some(Value::Number(n)) = child.get("count").cloned()
                            && let Some(n) = n.as_u64()
                            && let Some(c) = child.get_mut("count")
                        {
                            *c = json!(shrink(n, factor, 2));
                        }
                        shrink_counts(child, factor, in_portrait);
                    }
                    "grid" if in_portrait => match child {
                        Value::Number(n) => {
                            if let Some(n) = n.as_u64() {
                                *child = json!(shrink(n, factor, 5));
                            }
                        }
                        Value::Array(a) => {
                            for e in a.iter_mut() {
                                if let Some(n) = e.as_u64() {
                                    *e = json!(shrink(n, factor, 5));
                                }
                            }
                        }
                        _ => {}
                    },
                    "density" if in_portrait => {
                        if let Some(n) = child.as_u64() {
                            *child = json!(shrink(n, factor, 3));
                        }
                    }
                    "portrait" => shrink_counts(child, factor, true),
                    _ => shrink_counts(child, factor, in_portrait),
                }
            }
        }
        Value::Array(a) => {
            for e in a {
                shrink_counts(e, factor, in_portrait);
            }
        }
        _ => {}
    }
}
