//! Figure descriptions: plain data that the renderer turns into PNG or SVG. Modules that compute
//! (portraits, sweeps, figure specs) build these; only the renderer draws.

use serde::Serialize;

/// Line dash pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Dash {
    /// Solid line.
    #[default]
    Solid,
    /// Dashed line.
    Dashed,
    /// Dotted line.
    Dotted,
}

/// Axis scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// Linear axis.
    #[default]
    Linear,
    /// Base-10 logarithmic axis (values must be > 0).
    Log,
}

/// One axis: label (with the paper's symbols, e.g. "|z₁|", "s₁²", "δ", "λ"), range, scale.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Axis {
    /// Label.
    pub label: String,
    /// Fixed range (min, max); None: fitted to the data with a small margin.
    pub range: Option<(f64, f64)>,
    /// Scale.
    pub scale: Scale,
}

/// A polyline in data coordinates.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Series {
    /// Legend entry (None: not in the legend).
    pub label: Option<String>,
    /// Points (x, y); non-finite points break the line.
    pub points: Vec<(f64, f64)>,
    /// Index into the house palette (wraps around).
    pub colour: usize,
    /// Dash pattern.
    pub dash: Dash,
    /// Line width in pixels at the figure's base size (default 2).
    pub width: f64,
    /// Draw a marker at every point.
    pub markers: bool,
    /// Draw small arrowheads along the line showing its direction (trajectories).
    pub direction_arrows: bool,
}

/// Stability class of a marked equilibrium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PointClass {
    /// Stable node or focus: filled disc.
    Stable,
    /// Unstable: open circle.
    Unstable,
    /// Saddle: cross.
    Saddle,
    /// Any other marked point: diamond.
    Other,
}

/// A marked point (equilibrium, event, threshold).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marker {
    /// Position.
    pub x: f64,
    /// Position.
    pub y: f64,
    /// Class (sets the symbol).
    pub class: PointClass,
    /// Palette index.
    pub colour: usize,
    /// Optional text next to the marker.
    pub label: Option<String>,
}

/// A line plot: curves, markers, legend.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct LinePanel {
    /// Panel title.
    pub title: String,
    /// x axis.
    pub x: Axis,
    /// y axis.
    pub y: Axis,
    /// Curves.
    pub series: Vec<Series>,
    /// Marked points.
    pub markers: Vec<Marker>,
    /// Show the legend (entries from labelled series).
    pub legend: bool,
}

/// One arrow of a vector field: base point and field value there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Arrow {
    /// Base x.
    pub x: f64,
    /// Base y.
    pub y: f64,
    /// Field x component.
    pub dx: f64,
    /// Field y component.
    pub dy: f64,
}

/// A phase portrait: arrows shaded by speed, streamlines, nullclines, equilibria, trajectories.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct PortraitPanel {
    /// Panel title.
    pub title: String,
    /// x axis (range required for portraits).
    pub x: Axis,
    /// y axis (range required for portraits).
    pub y: Axis,
    /// Vector field samples; drawn as equal-length arrows shaded by speed ‖(dx, dy)‖.
    pub arrows: Vec<Arrow>,
    /// Streamlines (thin grey lines), each a polyline.
    pub streamlines: Vec<Vec<(f64, f64)>>,
    /// Nullclines: labelled curves (e.g. "ż₁ = 0"), several pieces allowed per label.
    pub nullclines: Vec<Series>,
    /// Trajectories (drawn with direction arrows).
    pub trajectories: Vec<Series>,
    /// Equilibria and other points.
    pub markers: Vec<Marker>,
    /// Show the legend.
    pub legend: bool,
}

/// A heat map over a rectangular grid with a colour bar and overlaid curves.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct HeatMapPanel {
    /// Panel title.
    pub title: String,
    /// x axis (cell centres `x_values`).
    pub x: Axis,
    /// y axis (cell centres `y_values`).
    pub y: Axis,
    /// Cell centres along x (increasing).
    pub x_values: Vec<f64>,
    /// Cell centres along y (increasing).
    pub y_values: Vec<f64>,
    /// Values, row-major with x fastest: `values[iy * x_values.len() + ix]`; non-finite = no data
    /// (drawn in light grey).
    pub values: Vec<f64>,
    /// Colour-bar label (with symbols).
    pub colour_label: String,
    /// Colour range (None: data min..max).
    pub colour_range: Option<(f64, f64)>,
    /// Use a diverging palette centred on `diverging_centre` instead of the sequential one.
    pub diverging_centre: Option<f64>,
    /// Contour levels of `values` drawn as thin black lines (marching squares).
    pub contour_levels: Vec<f64>,
    /// Filled contours: when it holds two or more increasing levels, the map is drawn as bands
    /// between consecutive levels (values interpolated bilinearly between cell centres, each
    /// band in the colour of its middle value; values outside go to the end bands) and the
    /// colour bar shows the bands. Empty: cells in continuous colour.
    pub filled_levels: Vec<f64>,
    /// Leave out the colour bar (panels that share one scale, such as decision functions).
    pub hide_colour_bar: bool,
    /// Overlaid curves (threshold curves, closed forms), drawn above the cells.
    pub curves: Vec<Series>,
    /// Marked points.
    pub markers: Vec<Marker>,
    /// Show the legend of `curves`.
    pub legend: bool,
}

/// One panel of a figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Panel {
    /// Curves.
    Lines(LinePanel),
    /// Phase portrait.
    Portrait(PortraitPanel),
    /// Heat map.
    HeatMap(HeatMapPanel),
}

/// A figure: panels on a grid, an optional overall title, a pixel size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// Overall title (empty: none).
    pub title: String,
    /// Panels, row by row.
    pub panels: Vec<Panel>,
    /// Panels per row.
    pub columns: usize,
    /// Width in pixels (PNG) / user units (SVG).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}
