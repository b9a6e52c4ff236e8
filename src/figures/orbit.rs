//! The orbit-diagram figure of an `equilibrium` spec (`equilibrium.orbit_diagram`): one panel
//! per training map, each the attractor's points of one coordinate against the step h
//! ([`crate::equilibrium::orbit_diagram::orbit_diagram`] from next to the model's z*), shaded by
//! density, with the predicted flip h* dashed and labelled and diverged steps marked.

use serde_json::{Map, Value, json};

use super::FigureOutput;
use crate::equilibrium::orbit_diagram::{OrbitDiagram, OrbitDiagramSettings, orbit_diagram};
use crate::error::{Error, InputError};
use crate::flow::{OptimiserMap, Space, build_flow};
use crate::model::FeatureModel;
use crate::plot::{AttractorColumn, Axis, OrbitPanel, Panel};
use crate::spec::{OrbitDiagramPlan, Spec};

/// "z₁" for 0-based j = 0.
pub fn response_symbol(j: usize) -> String {
    let sub: String = (j + 1)
        .to_string()
        .chars()
        .map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
        .collect();
    format!("z{sub}")
}

/// The flip's rule as drawn next to its line.
pub fn flip_rule(map: &OptimiserMap) -> &'static str {
    match map {
        OptimiserMap::GradientDescent { .. } => "2/|λ_min|",
        OptimiserMap::HeavyBall { .. } => "2(1 + μ)/|λ_min|",
        OptimiserMap::Nesterov { .. } => "2(1 + μ)/((1 + 2μ)|λ_min|)",
    }
}

/// The panel of one computed diagram.
pub fn orbit_panel(title: String, d: &OrbitDiagram, x: Axis, map: &OptimiserMap) -> OrbitPanel {
    let j = d.coordinate;
    OrbitPanel {
        title,
        x: Axis {
            label: "step h".into(),
            ..x
        },
        y: Axis {
            label: format!("{} (attractor)", response_symbol(j)),
            ..Axis::default()
        },
        columns: d
            .columns
            .iter()
            .map(|c| AttractorColumn {
                step: c.step,
                points: c.points.clone(),
                diverged: c.diverged_at.is_some(),
            })
            .collect(),
        flip: Some(d.predicted_flip),
        flip_label: format!(
            "h* = {} = {}",
            flip_rule(map),
            crate::figures::sweep::short_number(d.predicted_flip)
        ),
        flip_colour: 0,
        curves: Vec::new(),
        markers: Vec::new(),
        legend: true,
    }
}

/// The computed diagrams of the plan on `model`, one per panel. The model must have a stable
/// fixed point z* (found by Newton as `starvation equilibrium` does).
pub fn orbit_diagrams(
    model: &FeatureModel,
    plan: &OrbitDiagramPlan,
    z_star: &[f64],
) -> Result<Vec<OrbitDiagram>, Error> {
    let field = build_flow(model, Space::Responses)?;
    plan.panels
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let settings = OrbitDiagramSettings {
                steps: p.steps.clone(),
                coordinate: plan.coordinate,
                transient: plan.transient,
                points: plan.points,
            };
            orbit_diagram(field.as_ref(), &p.map, z_star, &settings).map_err(|e| {
                let name = match e.field.as_str() {
                    "steps" => format!("equilibrium.orbit_diagram.panels[{i}].steps"),
                    other => format!("equilibrium.orbit_diagram.{other}"),
                };
                Error::from(InputError::new(name, e.message))
            })
        })
        .collect()
}

/// The orbit-diagram figure (file stem: `orbit_diagram.name`, default the spec's name) and its
/// data: per panel the map, λ_min, the predicted flip and every column.
pub fn orbit_diagram_figure(
    spec: &Spec,
    plan: &OrbitDiagramPlan,
    diagrams: &[OrbitDiagram],
) -> Result<FigureOutput, InputError> {
    let frame = plan.frame.check("equilibrium.orbit_diagram", &spec.name)?;
    let layout = frame.layout(plan.panels.len(), 3, |c, r| (900 * c, 560 * r))?;
    let mut panels = Vec::new();
    let mut data = Vec::new();
    for (p, d) in plan.panels.iter().zip(diagrams) {
        let x = Axis {
            scale: p.x_scale,
            ..Axis::default()
        };
        panels.push(Panel::Orbit(orbit_panel(p.title.clone(), d, x, &p.map)));
        data.push(json!({
            "title": p.title,
            "diagram": d,
        }));
    }
    Ok(FigureOutput::assemble(
        spec,
        frame.name,
        frame.title,
        layout,
        panels,
        data,
        Map::<String, Value>::new(),
    ))
}
