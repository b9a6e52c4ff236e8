//! Figures of a spec's `portrait` section: each planned panel computed by
//! [`crate::portrait::portrait`] and drawn as a portrait panel, with the plotted data.

use serde_json::{Map, Value, json};

use super::coordinates::{coordinate_label, nullcline_label, symbol};
use super::portrait_plan::{PanelPlan, plan_portrait};
use super::spec::CoordinateAxisSpec;
use super::{FigureOutput, pairs, point_class};
use crate::error::{Error, InputError, SolveError};
use crate::flow::Space;
use crate::plot::{Arrow, Axis, Dash, Marker, Panel, PortraitPanel, Scale, Series};
use crate::portrait::{Portrait, portrait};
use crate::spec::Spec;

/// Figures of a spec's `portrait` section (empty without one).
pub fn portrait_figures(spec: &Spec) -> Result<Vec<FigureOutput>, Error> {
    let Some(section) = &spec.portrait else {
        return Ok(Vec::new());
    };
    let plan = plan_portrait(spec, section)?;
    let mut panels = Vec::new();
    let mut panels_data = Vec::new();
    for (i, panel_plan) in plan.panels.iter().enumerate() {
        let computed = portrait(&panel_plan.model, &panel_plan.settings).map_err(|e| match e {
            Error::Input(ie) => Error::Input(InputError::new(
                format!("portrait.panels[{i}].{}", ie.field),
                ie.message,
            )),
            Error::Solve(s) => Error::Solve(SolveError::Backend {
                method: format!("portrait.panels[{i}]"),
                message: s.to_string(),
            }),
            other => other,
        })?;
        let (panel, data) = portrait_panel(panel_plan, &computed);
        panels.push(Panel::Portrait(panel));
        panels_data.push(data);
    }
    let title = plan.section.title.clone().unwrap_or_default();
    Ok(vec![FigureOutput::assemble(
        spec,
        plan.stem,
        title,
        plan.layout,
        panels,
        panels_data,
        Map::new(),
    )])
}

/// A portrait panel drawn from a computed portrait, and its data.
fn portrait_panel(plan: &PanelPlan, p: &Portrait) -> (PortraitPanel, Value) {
    let s = &plan.settings;
    let x_axis = coordinate_axis(&plan.spec.x, s.space, s.x, s.x_range);
    let y_axis = coordinate_axis(&plan.spec.y, s.space, s.y, s.y_range);
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
                "pieces": nc.pieces.iter().map(|pc| pairs(pc)).collect::<Vec<_>>(),
            }));
        }
    }
    let star = format!("{}*", symbol(s.space));
    let markers: Vec<Marker> = p
        .equilibria
        .iter()
        .map(|e| Marker {
            x: e.x,
            y: e.y,
            class: point_class(e.stability),
            colour: 0,
            label: Some(if e.of_full_flow {
                star.clone()
            } else {
                format!("{} (slice)", e.stability.name())
            }),
        })
        .collect();
    let t_spec = plan.spec.trajectories.as_ref();
    let t_colour = t_spec.and_then(|t| t.colour).unwrap_or(7);
    let t_label = t_spec
        .and_then(|t| t.label.clone())
        .unwrap_or_else(|| "trajectories".into());
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
        "streamlines": p.streamlines.iter().map(|l| pairs(l)).collect::<Vec<_>>(),
        "nullclines": nullclines_data,
        "equilibria": p.equilibria.iter().map(|e| json!({
            "x": e.x, "y": e.y, "state": e.state,
            "stability": e.stability.name(),
            "eigenvalues": pairs(&e.eigenvalues),
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
    let panel = PortraitPanel {
        title: plan.spec.title.clone(),
        x: x_axis,
        y: y_axis,
        arrows,
        streamlines: p.streamlines.clone(),
        nullclines,
        trajectories,
        markers,
        legend: plan.spec.legend,
    };
    (panel, data)
}

/// A portrait axis: the spec's label (default the coordinate's symbol) over `range`.
fn coordinate_axis(spec: &CoordinateAxisSpec, space: Space, j: usize, range: (f64, f64)) -> Axis {
    Axis {
        label: spec
            .label
            .clone()
            .unwrap_or_else(|| coordinate_label(space, j)),
        range: Some(range),
        scale: Scale::Linear,
    }
}
