//! The serde types of the `plot` and `portrait` spec sections (the format is described in the
//! [module docs](super)) and the checks of their fields that need no runs: axis ranges, line
//! widths and grid counts; the frame of each figure (file name, title, size, columns) is checked
//! by [`FigureFrame`].

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::error::InputError;
use crate::plot::{Dash, Scale};
use crate::spec::{CheckedFrame, FigureFrame, FigureLayout, Spec, parse_figure};

// ───────────────────────────── spec types: shared ─────────────────────────────

/// Dash pattern as written in a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, schemars::JsonSchema)]
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

/// One value or a list of values.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "OneOrMany_{T}")]
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
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlotSpec {
    /// File stem (default: the spec's name; required when `plot` is a list).
    #[serde(default)]
    #[schemars(extend("pattern" = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"))]
    pub name: Option<String>,
    /// Overall title (default none).
    #[serde(default)]
    pub title: Option<String>,
    /// `[width, height]` in pixels (default 800 × 620 per panel).
    #[serde(default)]
    pub size: Option<[u32; 2]>,
    /// Panels per row (default: all panels up to 3).
    #[serde(default)]
    pub columns: Option<usize>,
    /// Panels, row by row.
    pub panels: Vec<LinePanelSpec>,
}

/// A line panel of a run figure.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PlotAxisSpec")]
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
#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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

/// Serde default for flags that are on unless turned off.
fn yes() -> bool {
    true
}

// ───────────────────────────── spec types: portrait ─────────────────────────────

/// The `portrait` section.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PortraitSpec {
    /// File stem (default: the spec's name).
    #[serde(default)]
    #[schemars(extend("pattern" = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"))]
    pub name: Option<String>,
    /// Overall title.
    #[serde(default)]
    pub title: Option<String>,
    /// `[width, height]` in pixels (default 760 × 640 per panel).
    #[serde(default)]
    pub size: Option<[u32; 2]>,
    /// Panels per row (default: all panels up to 3).
    #[serde(default)]
    pub columns: Option<usize>,
    /// Settings shared by every panel (deep-merged under each panel object).
    #[serde(default)]
    #[schemars(with = "Option<crate::schema::Partial<PortraitPanelSpec>>")]
    pub defaults: Option<Value>,
    /// Panels (objects of [`PortraitPanelSpec`] fields).
    #[schemars(with = "Vec<crate::schema::Partial<PortraitPanelSpec>>")]
    pub panels: Vec<Value>,
}

/// One portrait panel (after merging `defaults`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PortraitPanelSpec {
    /// Panel title.
    #[serde(default)]
    pub title: String,
    /// Model override merged onto the spec's `model`.
    #[serde(default)]
    #[schemars(with = "Option<crate::schema::Partial<crate::spec::ModelSpec>>")]
    pub model: Option<Value>,
    /// "z" (default), "theta" or "alpha".
    #[serde(default)]
    #[schemars(with = "Option<crate::flow::Space>")]
    pub space: Option<String>,
    /// Horizontal coordinate.
    pub x: CoordinateAxisSpec,
    /// Vertical coordinate.
    pub y: CoordinateAxisSpec,
    /// "equilibrium" (default) or a full state.
    #[serde(default)]
    #[schemars(with = "Option<crate::schema::FixedState>")]
    pub fixed: Option<Value>,
    /// Arrows (default on, grid 21; null: off).
    #[serde(default = "default_grid")]
    pub arrows: Option<GridSectionSpec>,
    /// Streamlines (default on; null: off).
    #[serde(default = "default_streamlines")]
    pub streamlines: Option<StreamlinesSpec>,
    /// Nullclines (default on, grid 161; null: off).
    #[serde(default = "default_grid")]
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

/// Arrows and nullclines are on by default, with the default grid.
fn default_grid() -> Option<GridSectionSpec> {
    Some(GridSectionSpec { grid: None })
}

/// Streamlines are on by default, with default settings.
fn default_streamlines() -> Option<StreamlinesSpec> {
    Some(StreamlinesSpec::default())
}

/// A portrait axis: a state coordinate and its range.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoordinateAxisSpec {
    /// "z1", "theta2", "alpha1", … (1-based).
    #[schemars(extend("pattern" = r"^\s*(z|theta|alpha)\+?[0-9]+\s*$"))]
    pub coordinate: String,
    /// [min, max].
    pub range: [f64; 2],
    /// Axis label (default the coordinate's symbol, e.g. "z₁").
    #[serde(default)]
    pub label: Option<String>,
}

/// Arrows or nullclines: a grid of `n` or `[nx, ny]` nodes.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GridSectionSpec {
    /// Node count, one number or [nx, ny].
    #[serde(default)]
    #[schemars(with = "Option<crate::schema::GridCounts>")]
    pub grid: Option<Value>,
}

/// Streamline settings.
#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
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
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
    #[schemars(with = "Option<crate::solve::Method>")]
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
    /// Recorded times (default "steps"), read by [`crate::spec::parse_output`].
    #[serde(default)]
    #[schemars(with = "Option<crate::schema::OutputSpec>")]
    pub output: Option<Value>,
    /// Palette index (default 7, black).
    #[serde(default)]
    pub colour: Option<usize>,
    /// Legend label (default "trajectories").
    #[serde(default)]
    pub label: Option<String>,
}

/// Seeded random starts.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RandomStartsSpec {
    /// Number of starts.
    pub count: usize,
    /// Seed.
    pub seed: u64,
}

// ───────────────────────────── checks ─────────────────────────────

/// A checked figure layout.
pub(super) type Layout = FigureLayout;

/// The figure specs of a `plot` value with their field prefixes.
pub(super) fn parse_plot(plot: &Value) -> Result<Vec<(String, PlotSpec)>, InputError> {
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
                    let p: PlotSpec = parse_figure(v, &prefix)?;
                    if p.name.is_none() && list.len() > 1 {
                        return Err(InputError::new(
                            format!("{prefix}.name"),
                            "is missing; every figure of a list needs its own file name",
                        ));
                    }
                    Ok((prefix, p))
                })
                .collect()
        }
        _ => Ok(vec![("plot".to_string(), parse_figure(plot, "plot")?)]),
    }
}

impl PlotSpec {
    /// The frame fields ([`FigureFrame`]).
    pub fn frame(&self) -> FigureFrame {
        FigureFrame {
            name: self.name.clone(),
            title: self.title.clone(),
            size: self.size,
            columns: self.columns,
        }
    }

    /// The checked frame (file stem by default the spec's name); errors name `{prefix}.name`, ….
    pub(super) fn checked_frame(
        &self,
        spec: &Spec,
        prefix: &str,
    ) -> Result<CheckedFrame, InputError> {
        self.frame().check(prefix, &spec.name)
    }

    /// The checked layout (default 800 × 620 pixels per panel).
    pub(super) fn layout(&self, spec: &Spec, prefix: &str) -> Result<Layout, InputError> {
        check_panels(self.panels.len(), prefix)?;
        self.checked_frame(spec, prefix)?
            .layout(self.panels.len(), 3, |c, r| (800 * c, 620 * r))
    }
}

impl PortraitSpec {
    /// Parses the `portrait` section.
    pub(super) fn parse(section: &Value) -> Result<Self, InputError> {
        parse_figure(section, "portrait")
    }

    /// The frame fields ([`FigureFrame`]).
    pub fn frame(&self) -> FigureFrame {
        FigureFrame {
            name: self.name.clone(),
            title: self.title.clone(),
            size: self.size,
            columns: self.columns,
        }
    }

    /// The checked frame (file stem by default the spec's name).
    pub(super) fn checked_frame(&self, spec: &Spec) -> Result<CheckedFrame, InputError> {
        self.frame().check("portrait", &spec.name)
    }

    /// The checked layout (default 760 × 640 pixels per panel).
    pub(super) fn layout(&self, spec: &Spec) -> Result<Layout, InputError> {
        check_panels(self.panels.len(), "portrait")?;
        self.checked_frame(spec)?
            .layout(self.panels.len(), 3, |c, r| (760 * c, 640 * r))
    }
}

/// A figure needs at least one panel; errors name `{prefix}.panels`.
fn check_panels(panels: usize, prefix: &str) -> Result<(), InputError> {
    if panels == 0 {
        return Err(InputError::new(
            format!("{prefix}.panels"),
            "is empty; give at least one panel",
        ));
    }
    Ok(())
}

impl AxisSpec {
    /// The checked `range`, if given; errors name `field`.
    pub(super) fn checked_range(&self, field: &str) -> Result<Option<(f64, f64)>, InputError> {
        check_range(self.range, self.scale, field)
    }
}

impl CoordinateAxisSpec {
    /// The checked `range`.
    pub(super) fn checked_range(&self, field: &str) -> Result<(f64, f64), InputError> {
        let [lo, hi] = self.range;
        check_range(Some(self.range), ScaleSpec::Linear, field).map(|r| r.unwrap_or((lo, hi)))
    }
}

impl GridSectionSpec {
    /// The node counts (nx, ny) of `grid`, `default` on both axes when it is missing.
    pub(super) fn counts(&self, default: usize, field: &str) -> Result<(usize, usize), InputError> {
        let bad = || {
            InputError::new(
                field,
                "must be a node count ≥ 2 or a pair [nx, ny] of counts ≥ 2 (at most 2000)",
            )
        };
        let ok = |n: u64| (2..=2000).contains(&n);
        match &self.grid {
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
}

/// A range [min, max] with finite min < max (and min > 0 on a log axis); `None` stays `None`.
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

/// A line width in (0, 50] (default 2).
pub(super) fn check_width(w: Option<f64>, field: &str) -> Result<f64, InputError> {
    match w {
        None => Ok(2.0),
        Some(w) if w.is_finite() && w > 0.0 && w <= 50.0 => Ok(w),
        Some(w) => Err(InputError::new(
            field,
            format!("must be a number in (0, 50], got {w}"),
        )),
    }
}
