//! Figures described in specs: the `plot` section of run specs and the `portrait` section,
//! turned into [`crate::plot::Figure`]s plus the plotted data (written next to each image).
//!
//! Nothing about a particular figure lives here: every title, range, style and selection comes
//! from the spec. Both sections are parsed with [`crate::spec::from_value`], so a bad field gives
//! an [`InputError`] naming it (e.g. `plot.panels[0].x.quantity`).
//!
//! # The `plot` section (run specs)
//!
//! One figure object, or a list of them (each then needs its own `name`):
//!
//! ```json
//! "plot": {
//!   "name": "fig06_toy_dynamics",
//!   "title": "Gradient starvation in the two-feature toy",
//!   "size": [1600, 760], "columns": 2,
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
//! - Figure: the frame every figure shares ([`crate::spec::FigureFrame`]): `name` (file name,
//!   default the spec's `name`), `title`, `size` `[width, height]` of the whole figure in pixels
//!   (default 800 × 620 per panel), `columns` (panels per row, default up to 3). The spellings
//!   of earlier versions (`stem`, `width`, `height`) are refused with the new one.
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
//!   "name": "toy_portraits", "title": "…", "size": [1600, 1300], "columns": 2,
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
//! The frame (`name`, `title`, `size`, `columns`) is the one of every figure; the default size
//! is 760 × 640 pixels per panel. Each panel is `defaults` deep-merged with the panel object. `model` is merged onto the spec's
//! `model`; `space` is `"z"` (default), `"theta"` or `"alpha"`; `x`/`y` name a state coordinate
//! (`z1`, `theta2`, `alpha1`, …) with its `range` (required) and optional `label`; `fixed` holds
//! the other coordinates at `"equilibrium"` (default) or at a full state `[…]`; `arrows`,
//! `streamlines` and `nullclines` default to on (`null` turns one off); `arrows.grid` and
//! `nullclines.grid` are a node count or `[nx, ny]` (defaults 21 and 161); `streamlines` takes
//! `density` (default 12), `min_speed` and `max_length`; `trajectories` integrates the full flow
//! from `starts` ((x, y) pairs or full states) and `random` seeded starts in the rectangle, to
//! `t_end`, with `method` (default `"auto"`), `rtol`, `atol`, `max_step`, `output` (default
//! `"steps"`), `colour` and `label`.
//!
//! # Where things are
//!
//! - `spec`: the serde types of both sections and the checks of their fields (ranges, widths,
//!   grid counts); their frames are checked by [`crate::spec::FigureFrame`].
//! - `coordinates`: state coordinates by name (`z1`, `theta2`, `alpha1`) and by symbol (z₁, θ₂).
//! - `quantity`: what a line panel plots, read off a trajectory or an equilibrium.
//! - `selection`: which runs a series group picks, their colours and legend texts.
//! - `runs`: figures of the `plot` section.
//! - `portrait_plan`: the `portrait` section checked and turned into portrait settings.
//! - `portraits`: figures of the `portrait` section.
//! - `continuation`: the figure of an `equilibrium` continuation (z* against the parameter).
//! - `orbit`: the orbit-diagram figure of an `equilibrium` spec (`equilibrium.orbit_diagram`).
//! - `resolution`: [`reduce_resolution`], for quick tests.

mod continuation;
mod coordinates;
mod experiment;
mod images;
pub mod orbit;
mod portrait_plan;
mod portraits;
mod quantity;
mod resolution;
mod runs;
mod selection;
mod spec;
pub mod sweep;

use serde_json::{Map, Value, json};

use crate::equilibrium::Stability;
use crate::error::InputError;
use crate::plot::{Figure, Panel, PointClass};
use crate::spec::Spec;

pub use continuation::continuation_figure;
pub use experiment::{BOUNDARY_BANDS, boundary_levels, experiment_figures, zero_level};
pub use images::{image_figures, image_output_names};
pub use orbit::{orbit_diagram_figure, orbit_diagrams};
pub use portraits::portrait_figures;
pub use resolution::reduce_resolution;
pub use runs::run_figures;
pub use spec::{
    AxisSpec, CoordinateAxisSpec, DashSpec, EquilibriumMarkerSpec, GridSectionSpec, KeySpec,
    LinePanelSpec, OneOrMany, PlotSpec, PortraitPanelSpec, PortraitSpec, RandomStartsSpec,
    RunSelector, ScaleSpec, SeriesSpec, StreamlinesSpec, TrajectoriesSpec,
};

use spec::Layout;

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

impl FigureOutput {
    /// A figure and its data: the spec's name and description, `stem`, the layout, the panels'
    /// data and the `extra` blocks.
    fn assemble(
        spec: &Spec,
        stem: String,
        title: String,
        layout: Layout,
        panels: Vec<Panel>,
        panels_data: Vec<Value>,
        extra: Map<String, Value>,
    ) -> Self {
        let Layout {
            columns,
            width,
            height,
        } = layout;
        let mut data = json!({
            "name": spec.name,
            "description": spec.description,
            "stem": stem,
            "figure": { "title": title, "width": width, "height": height, "columns": columns },
            "panels": panels_data,
        });
        if let Value::Object(m) = &mut data {
            m.extend(extra);
        }
        FigureOutput {
            stem,
            figure: Figure {
                title,
                panels,
                columns,
                width,
                height,
            },
            data,
        }
    }
}

/// Validates the `plot` and `portrait` sections without running anything (selectors are checked
/// against the spec's expanded runs; quantities that depend on trajectories are checked when
/// drawing). Useful before a long run.
pub fn check_sections(spec: &Spec) -> Result<(), InputError> {
    if let Some(plot) = &spec.plot {
        runs::check_plot(spec, plot)?;
    }
    if let Some(section) = &spec.portrait {
        portrait_plan::plan_portrait(spec, section)?;
    }
    Ok(())
}

/// The files `run` writes for `spec`: `NAME.run.json`, `NAME.run.csv` and the files of every
/// figure of its `plot` section (names checked).
pub fn run_output_names(spec: &Spec) -> Result<crate::spec::OutputNames, InputError> {
    let figures = match &spec.plot {
        Some(plot) => spec::parse_plot(plot)?,
        None => Vec::new(),
    };
    Ok(runs::run_output_names(spec, &figures)?.0)
}

/// The files `run` writes for an `experiment` spec: its document and figures (names checked).
pub fn experiment_output_names(spec: &Spec) -> Result<crate::spec::OutputNames, InputError> {
    use crate::spec::{ExperimentFigureKind, PredictionPlacement};
    let mut names = crate::spec::OutputNames::with_spec_outputs(
        &spec.name,
        &[crate::spec::suffix::EXPERIMENT_JSON],
    );
    let plan = spec.experiment_plan()?;
    let fig = &plan.figure;
    let stem = &plan.frame.name;
    names.add_figure(stem, "experiment.figure.name")?;
    let separate = fig
        .dynamics
        .as_ref()
        .is_some_and(|d| d.predictions == PredictionPlacement::Separate);
    if fig.kind == ExperimentFigureKind::Boundaries && separate {
        names.add_figure(&format!("{stem}_predictions"), "experiment.figure.name")?;
    }
    Ok(names)
}

/// The files `portrait` writes for `spec` (the figure of its `portrait` section).
pub fn portrait_output_names(spec: &Spec) -> Result<crate::spec::OutputNames, InputError> {
    let mut names = crate::spec::OutputNames::with_spec_outputs(&spec.name, &[]);
    if let Some(section) = &spec.portrait {
        let stem = PortraitSpec::parse(section)?.checked_frame(spec)?.name;
        names.add_figure(&stem, "portrait.name")?;
    }
    Ok(names)
}

/// The files `equilibrium` writes for `spec`: its document, the continuation figure and the
/// orbit-diagram figure (names checked).
pub fn equilibrium_output_names(spec: &Spec) -> Result<crate::spec::OutputNames, InputError> {
    let mut names = crate::spec::OutputNames::with_spec_outputs(
        &spec.name,
        &[crate::spec::suffix::EQUILIBRIUM_JSON],
    );
    let settings = spec.equilibrium_section()?;
    if settings.continuation.is_some() {
        names.add_figure(
            &format!("{}_continuation", spec.name),
            "equilibrium.continuation",
        )?;
    }
    if let Some(plan) = &settings.orbit_diagram {
        let frame = plan.frame.check("equilibrium.orbit_diagram", &spec.name)?;
        names.add_figure(&frame.name, "equilibrium.orbit_diagram.name")?;
    }
    Ok(names)
}

/// The files `sweep` writes for `spec`: its tables and document and every figure of
/// `sweep.plots` (names checked).
pub fn sweep_output_names(spec: &Spec) -> Result<crate::spec::OutputNames, InputError> {
    let mut names = crate::spec::OutputNames::with_spec_outputs(&spec.name, &sweep::SWEEP_OUTPUTS);
    if let Some(s) = &spec.sweep {
        for (n, raw) in s.plots.iter().enumerate() {
            names.add_figure(
                &sweep::plot_stem(&spec.name, n, raw)?,
                &format!("sweep.plots[{n}].name"),
            )?;
        }
    }
    Ok(names)
}

/// The colour (palette index) and dash of line `member` (0-based) of `members` lines drawn for
/// group `group` (a model, a series value). Up to 3 members: the group's colour, one dash per
/// member. More: one colour per member (8 in the palette) and the dash cycling with member and
/// group together, so that neighbouring lines differ in both and every line of one group is
/// distinct in colour and dash for up to 24 members (and across up to 3 groups for up to 8).
pub(crate) fn line_style(
    group: usize,
    member: usize,
    members: usize,
) -> (usize, crate::plot::Dash) {
    use crate::plot::Dash;
    const DASHES: [Dash; 3] = [Dash::Solid, Dash::Dashed, Dash::Dotted];
    if members <= DASHES.len() {
        (group, DASHES[member])
    } else {
        (member % 8, DASHES[(member + group) % DASHES.len()])
    }
}

/// The marker symbol of a stability class.
fn point_class(s: Stability) -> PointClass {
    match s {
        Stability::StableNode | Stability::StableFocus => PointClass::Stable,
        Stability::Unstable => PointClass::Unstable,
        Stability::Saddle => PointClass::Saddle,
        // Non-hyperbolic, and any class a later version adds.
        _ => PointClass::Other,
    }
}

/// Points (or eigenvalues) as JSON pairs `[a, b]`.
fn pairs(points: &[(f64, f64)]) -> Vec<[f64; 2]> {
    points.iter().map(|&(a, b)| [a, b]).collect()
}
