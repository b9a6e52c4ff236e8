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

/// One step h of an orbit diagram: the points the attractor visits there.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct AttractorColumn {
    /// The step h (x position).
    pub step: f64,
    /// The kept iterates of one coordinate (y positions; empty when the run diverged).
    pub points: Vec<f64>,
    /// The run left every bound (drawn as a tick on the h axis, not as points).
    pub diverged: bool,
}

/// An orbit diagram (bifurcation diagram of a training map): the attractor's points against
/// the step h, shaded by density (per-pixel hit counts, light grey for a single hit to ink for
/// the most visited pixel, on a log scale), with the predicted flip h* as a dashed, labelled
/// vertical line and diverged steps as ticks along the bottom.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct OrbitPanel {
    /// Panel title.
    pub title: String,
    /// x axis (the step h).
    pub x: Axis,
    /// y axis (the coordinate's iterates).
    pub y: Axis,
    /// One column per step, in increasing h.
    pub columns: Vec<AttractorColumn>,
    /// The predicted flip h* (None: not drawn).
    pub flip: Option<f64>,
    /// The flip line's label (e.g. "h* = 2/|λ_min| = 0.0556").
    pub flip_label: String,
    /// Palette index of the flip line and the diverged ticks' legend (default 0).
    pub flip_colour: usize,
    /// Overlaid curves (e.g. the fixed point z*, period-2 branches).
    pub curves: Vec<Series>,
    /// Marked points.
    pub markers: Vec<Marker>,
    /// Show the legend (curves, the flip line, diverged steps).
    pub legend: bool,
}

impl OrbitPanel {
    /// The cell edges of the columns along x in the axis' transformed units (log10 on a log
    /// axis): halfway between neighbouring steps, the outer ones half a spacing out (one column:
    /// ±0.5 % of its step). None when the steps are not finite, positive on a log axis and
    /// strictly increasing.
    pub fn step_edges(&self) -> Option<Vec<f64>> {
        let log = self.x.scale == Scale::Log;
        let t: Vec<f64> = self
            .columns
            .iter()
            .map(|c| if log { c.step.log10() } else { c.step })
            .collect();
        if t.iter().any(|v| !v.is_finite()) || t.windows(2).any(|w| w[1] <= w[0]) {
            return None;
        }
        match t.as_slice() {
            [] => None,
            [only] => {
                let d = if log {
                    0.002
                } else {
                    0.005 * only.abs().max(1e-300)
                };
                Some(vec![only - d, only + d])
            }
            _ => {
                let n = t.len();
                let mut e = Vec::with_capacity(n + 1);
                e.push(t[0] - (t[1] - t[0]) / 2.0);
                e.extend(t.windows(2).map(|w| (w[0] + w[1]) / 2.0));
                e.push(t[n - 1] + (t[n - 1] - t[n - 2]) / 2.0);
                Some(e)
            }
        }
    }

    /// Per-bin hit counts of the attractor's points on a grid of `nx` × `ny` bins covering
    /// x ∈ `x_range` and y ∈ `y_range` (transformed units on log axes), rows from the top
    /// (largest y) down: a column's points are counted in every x bin its cell overlaps (at
    /// least the bin of its step), so that columns narrower than a bin add up and wider ones
    /// fill their width. Points outside the ranges are not counted.
    pub fn density(
        &self,
        (nx, ny): (usize, usize),
        x_range: (f64, f64),
        y_range: (f64, f64),
    ) -> Vec<u32> {
        let mut counts = vec![0u32; nx * ny];
        let Some(edges) = self.step_edges() else {
            return counts;
        };
        let (x0, x1) = x_range;
        let (y0, y1) = y_range;
        if nx == 0
            || ny == 0
            || x1.partial_cmp(&x0) != Some(std::cmp::Ordering::Greater)
            || y1.partial_cmp(&y0) != Some(std::cmp::Ordering::Greater)
        {
            return counts;
        }
        let ylog = self.y.scale == Scale::Log;
        let xlog = self.x.scale == Scale::Log;
        let bin_x = |t: f64| ((t - x0) / (x1 - x0) * nx as f64).floor();
        for (i, c) in self.columns.iter().enumerate() {
            if c.diverged {
                continue;
            }
            let centre = if xlog { c.step.log10() } else { c.step };
            let (a, b) = (bin_x(edges[i]), bin_x(edges[i + 1]) - 1.0);
            let at = bin_x(centre);
            let (a, b) = (a.min(at), b.max(at));
            if b < 0.0 || a >= nx as f64 {
                continue;
            }
            let (a, b) = (a.max(0.0) as usize, (b as usize).min(nx - 1));
            for &v in &c.points {
                let v = if ylog { v.log10() } else { v };
                let row = ((y1 - v) / (y1 - y0) * ny as f64).floor();
                if !(row >= 0.0 && row < ny as f64) {
                    continue;
                }
                let row = row as usize;
                for ix in a..=b {
                    counts[row * nx + ix] = counts[row * nx + ix].saturating_add(1);
                }
            }
        }
        counts
    }
}

/// Shade of a density bin: 0 for an empty bin, else from 0.2 (one hit) to 1 (the most visited
/// bin, `max`) on a log scale, ln(1 + c)/ln(1 + max) stretched onto [0.2, 1].
pub fn density_shade(count: u32, max: u32) -> f64 {
    if count == 0 || max == 0 {
        return 0.0;
    }
    let t = (count as f64).ln_1p() / (max as f64).ln_1p();
    0.2 + 0.8 * t.clamp(0.0, 1.0)
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
    /// Orbit diagram of a training map against its step.
    Orbit(OrbitPanel),
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
