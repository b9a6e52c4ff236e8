//! Reproducibility: the JSON spec that redraws a view with the CLI (`starvation portrait`, and
//! `starvation equilibrium` for its readouts), the portrait in the house style, rendered from
//! that same spec by the same code as `starvation portrait`, and the whole view as one
//! multi-panel figure ([`whole_view_figure`]: the portrait with the eigenvectors at z*, the
//! phase diagram, the time series z(t) and the orbit diagram, as the page lays them out) for
//! `explore --screenshot` and `/api/view.png`.

use serde_json::{Value, json};

use super::portrait_view::{PortraitData, portrait_data, ranges};
use super::query::View;
use crate::equilibrium::{EquilibriumOptions, find_equilibrium};
use crate::error::{Error, SolveError};
use crate::plot::{ImageFormat, render};

/// Name of the downloaded spec (and of its output files).
pub const SPEC_NAME: &str = "explore_view";

fn title(view: &View) -> String {
    let reg = match view.model.regulariser() {
        crate::model::Regulariser::None => "no regulariser".to_string(),
        r => format!("{} (λ = {})", r.name().to_uppercase(), r.lambda()),
    };
    match view.toy {
        Some(t) => format!(
            "s₁ = {}, s₂ = {}, δ = {}, {reg}, {} loss",
            t.s1,
            t.s2,
            t.delta,
            view.model.loss().name()
        ),
        None => format!(
            "{} features, {reg}, {} loss",
            view.model.features(),
            view.model.loss().name()
        ),
    }
}

/// The spec reproducing `view`: its `model` section and a one-panel `portrait` section with the
/// view's ranges, grids, streamline density and trajectories (plus, with the gradient-descent
/// overlay on, a `simulation` section running it: `starvation run`).
pub fn view_spec(view: &View) -> Value {
    let z_star = find_equilibrium(&view.model, None, &EquilibriumOptions::default())
        .ok()
        .map(|e| e.point);
    let (xr, yr) = ranges(view, z_star.as_deref());
    let mut panel = json!({
        "title": title(view),
        "space": "z",
        "x": { "coordinate": format!("z{}", view.x + 1), "range": [xr.0, xr.1] },
        "y": { "coordinate": format!("z{}", view.y + 1), "range": [yr.0, yr.1] },
        "fixed": "equilibrium",
        "arrows": { "grid": [view.arrows, view.arrows] },
        "streamlines": { "density": view.density },
        "nullclines": { "grid": view.nullcline_grid },
        "equilibria": true,
        "legend": true
    });
    if !view.starts.is_empty() {
        panel["trajectories"] = json!({
            "starts": view.starts.iter().map(|(a, b)| [*a, *b]).collect::<Vec<_>>(),
            "t_end": view.t_end,
            "method": "auto",
            "output": "steps",
            "label": "trajectories"
        });
    }
    let mut spec = json!({
        "name": SPEC_NAME,
        "description": format!(
            "Phase portrait of the response flow saved from `starvation explore` ({}). Draw with: starvation portrait {SPEC_NAME}.json --out plots; readouts with: starvation equilibrium {SPEC_NAME}.json",
            title(view)
        ),
        "model": view.model_json,
        "portrait": {
            "title": "Phase portrait of the response flow",
            "size": [900, 780],
            "columns": 1,
            "panels": [panel]
        }
    });
    if let Some(h) = view.gd_step {
        spec["simulation"] = json!({
            "method": "gd",
            "step": h,
            "t_end": view.t_end,
            "output": { "count": 401 }
        });
    }
    spec
}

/// The view's portrait panel as `starvation portrait` draws it from [`view_spec`].
fn portrait_panel(view: &View) -> Result<crate::plot::Figure, Error> {
    let text = serde_json::to_string(&view_spec(view)).map_err(|e| {
        Error::Solve(SolveError::Backend {
            method: "explore".into(),
            message: format!("spec serialisation failed: {e}"),
        })
    })?;
    let spec = crate::spec::parse_spec(&text)?;
    let figures = crate::figures::portrait_figures(&spec)?;
    let figure = figures.into_iter().next().ok_or_else(|| {
        Error::Solve(SolveError::Backend {
            method: "explore".into(),
            message: "the portrait section drew no figure".into(),
        })
    })?;
    Ok(figure.figure)
}

/// The view's portrait as PNG or SVG bytes, drawn from [`view_spec`] by the `portrait` command's
/// code.
pub fn view_figure(view: &View, format: ImageFormat) -> Result<Vec<u8>, Error> {
    render(&portrait_panel(view)?, format)
}

/// Segments through z* along the eigenvectors of the Jacobian there (projected on the slice),
/// each 0.16 of the shorter plot side long on either side as the page draws them, labelled
/// with their eigenvalue: curves added to the portrait (colour 4, the page's).
fn eigenvector_curves(data: &PortraitData, aspect: f64) -> Vec<crate::plot::Series> {
    let Some(e) = data.equilibrium.as_ref().filter(|e| e.visible) else {
        return Vec::new();
    };
    let (w, h) = (
        data.x_range[1] - data.x_range[0],
        data.y_range[1] - data.y_range[0],
    );
    // Directions in plot units (x: fraction of the width, y: of the height scaled by aspect).
    e.eigenvectors
        .iter()
        .filter_map(|v| {
            let (dx, dy) = (v.projected[0] / w, v.projected[1] / h * aspect);
            let n = dx.hypot(dy);
            (n.is_finite() && n > 1e-9).then(|| {
                let half = 0.16 * aspect.min(1.0);
                let (ux, uy) = (dx / n * half, dy / n * half / aspect);
                crate::plot::Series {
                    label: Some(format!("eigenvector, λ = {:.4}", v.eigenvalue)),
                    points: vec![
                        (e.point[0] - ux * w, e.point[1] - uy * h),
                        (e.point[0] + ux * w, e.point[1] + uy * h),
                    ],
                    colour: 4,
                    width: 2.4,
                    ..crate::plot::Series::default()
                }
            })
        })
        .collect()
}

/// The phase-diagram panel (None when the view has none: not the toy, or λ = 0).
fn diagram_panel(view: &View) -> Result<Option<crate::plot::Panel>, Error> {
    use super::diagram::{DiagramReply, diagram_data};
    use crate::plot::{Axis, HeatMapPanel, Marker, Panel, PointClass, Scale};
    let DiagramReply::Drawn(d) = diagram_data(view)? else {
        return Ok(None);
    };
    let (n, m) = (d.nx, d.ny);
    let (lr0, lr1) = (d.ratio_range[0].log10(), d.ratio_range[1].log10());
    let x_values = (0..n)
        .map(|i| 10f64.powf(lr0 + (lr1 - lr0) * i as f64 / (n - 1).max(1) as f64))
        .collect();
    let y_values = (0..m)
        .map(|j| {
            d.delta_range[0]
                + (d.delta_range[1] - d.delta_range[0]) * j as f64 / (m - 1).max(1) as f64
        })
        .collect();
    Ok(Some(Panel::HeatMap(HeatMapPanel {
        title: format!("Phase diagram: {} (threshold {})", d.label, d.level),
        x: Axis {
            label: "s₁/s₂".into(),
            range: None,
            scale: Scale::Log,
        },
        y: Axis {
            label: "δ".into(),
            ..Axis::default()
        },
        x_values,
        y_values,
        values: d
            .values
            .iter()
            .map(|v| v.map_or(f64::NAN, f64::from))
            .collect(),
        colour_label: d.label.to_string(),
        contour_levels: vec![d.level],
        markers: vec![Marker {
            x: d.current[0],
            y: d.current[1],
            class: PointClass::Other,
            colour: 7,
            label: Some("this view".into()),
        }],
        ..HeatMapPanel::default()
    })))
}

/// The time-series panel of the view's trajectories (solid) and gradient-descent run (dashed).
fn series_panel(view: &View, data: &PortraitData) -> crate::plot::Panel {
    use crate::plot::{TimeSeriesRun, time_series_panel};
    let mut runs: Vec<TimeSeriesRun> = data
        .trajectories
        .iter()
        .map(|t| TimeSeriesRun {
            times: t.times.clone(),
            values: t.series.clone(),
            dashed: false,
            kind: "trajectories".into(),
        })
        .collect();
    if let Some(g) = &data.gd {
        runs.push(TimeSeriesRun {
            times: g.times.clone(),
            values: g.series.clone(),
            dashed: true,
            kind: "gradient descent".into(),
        });
    }
    let title = if runs.is_empty() {
        "Time series z(t): no trajectory (add starts with traj=…)".to_string()
    } else {
        "Time series z(t)".to_string()
    };
    crate::plot::Panel::Lines(time_series_panel(
        &title,
        &runs,
        12,
        view.series_log_y,
        view.series_log_t,
    ))
}

/// The orbit-diagram panel (a titled empty panel when the model has none).
fn orbit_panel(view: &View) -> Result<crate::plot::Panel, Error> {
    use super::orbit_view::{OrbitReply, orbit_data};
    use crate::flow::OptimiserMap;
    use crate::plot::{Axis, LinePanel, Panel};
    Ok(match orbit_data(view)? {
        OrbitReply::Drawn(d) => {
            let map = match d.diagram.method {
                "heavy_ball" => OptimiserMap::HeavyBall {
                    step: 1.0,
                    momentum: d.diagram.momentum,
                },
                _ => OptimiserMap::GradientDescent { step: 1.0 },
            };
            let title = format!(
                "Orbit diagram, {}",
                if d.diagram.method == "gd" {
                    "gradient descent".to_string()
                } else {
                    format!("heavy ball, μ = {}", d.diagram.momentum)
                }
            );
            let x = Axis {
                range: Some((d.h_range[0], d.h_range[1])),
                ..Axis::default()
            };
            Panel::Orbit(crate::figures::orbit::orbit_panel(
                title, &d.diagram, x, &map,
            ))
        }
        OrbitReply::Unavailable { unavailable } => Panel::Lines(LinePanel {
            title: unavailable,
            ..LinePanel::default()
        }),
    })
}

/// Size of the whole-view figure: two columns of panels as the page shows them.
pub const WHOLE_VIEW_SIZE: (u32, u32) = (1800, 1400);

/// The whole view as one figure, laid out as the page: the portrait (with the eigenvectors at
/// z*) and the phase diagram in the first row, the time series z(t) and the orbit diagram in
/// the second (a model without a phase diagram: the portrait, the time series and the orbit
/// diagram).
pub fn whole_view_figure(view: &View) -> Result<crate::plot::Figure, Error> {
    use crate::plot::{Figure, Panel};
    let portrait = portrait_panel(view)?;
    let data = portrait_data(view)?;
    let mut panels = portrait.panels;
    let (w, h) = WHOLE_VIEW_SIZE;
    if let Some(Panel::Portrait(p)) = panels.first_mut() {
        p.title = "Phase portrait".into();
        // The plot area of a cell is about as wide as high here.
        let aspect = (h as f64 / 2.0) / (w as f64 / 2.0);
        p.nullclines.extend(eigenvector_curves(&data, aspect));
    }
    if let Some(d) = diagram_panel(view)? {
        panels.push(d);
    }
    panels.push(series_panel(view, &data));
    panels.push(orbit_panel(view)?);
    Ok(Figure {
        title: title(view),
        panels,
        columns: 2,
        width: w,
        height: h,
    })
}

/// [`whole_view_figure`] as PNG or SVG bytes.
pub fn whole_view_image(view: &View, format: ImageFormat) -> Result<Vec<u8>, Error> {
    render(&whole_view_figure(view)?, format)
}
