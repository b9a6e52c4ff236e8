//! The orbit diagram a view shows: the training map's attractor (gradient descent, or heavy
//! ball with momentum μ) against the step h, iterated from next to z*, with the predicted flip
//! h* marked — [`crate::equilibrium::orbit_diagram::orbit_diagram`] on the view's model.

use serde::Serialize;

use super::query::{OrbitMap, View};
use crate::equilibrium::orbit_diagram::{OrbitDiagram, OrbitDiagramSettings, orbit_diagram};
use crate::equilibrium::{EquilibriumOptions, find_equilibrium};
use crate::error::{Error, InputError};
use crate::flow::{OptimiserMap, Space, build_flow};

/// Iterations dropped per step on the explorer's diagram.
pub const TRANSIENT: usize = 1000;
/// Iterates kept per step.
pub const POINTS: usize = 48;

/// The diagram as the page draws it.
#[derive(Debug, Serialize)]
pub struct OrbitData {
    /// The diagram (steps, points per step, predicted flip, diverged steps).
    #[serde(flatten)]
    pub diagram: OrbitDiagram,
    /// The step range drawn.
    pub h_range: [f64; 2],
    /// Server time spent, milliseconds.
    pub compute_ms: f64,
}

/// The answer: the diagram, or why there is none (no equilibrium: not a bad request).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum OrbitReply {
    /// The diagram.
    Drawn(Box<OrbitData>),
    /// No diagram for this model.
    Unavailable {
        /// Why.
        unavailable: String,
    },
}

/// The field names of the core settings, as the query spells them.
fn query_field(e: InputError) -> Error {
    let field = match e.field.as_str() {
        "steps" => "hrange",
        "coordinate" => "orbit_z",
        "transient" | "points" => "hsteps",
        other => other,
    };
    InputError::new(field, e.message).into()
}

/// Computes the orbit diagram of a view.
pub fn orbit_data(view: &View) -> Result<OrbitReply, Error> {
    let start = std::time::Instant::now();
    let z_star = match find_equilibrium(&view.model, None, &EquilibriumOptions::default()) {
        Ok(e) => e.point,
        Err(e) => {
            return Ok(OrbitReply::Unavailable {
                unavailable: format!(
                    "No orbit diagram: the flow has no fixed point to start next to ({e})."
                ),
            });
        }
    };
    let field = build_flow(&view.model, Space::Responses)?;
    let map = match view.orbit_map {
        OrbitMap::Gd => OptimiserMap::GradientDescent { step: 1.0 },
        OrbitMap::HeavyBall(momentum) => OptimiserMap::HeavyBall {
            step: 1.0,
            momentum,
        },
    };
    let (low, high) = match view.orbit_steps_range {
        Some(r) => r,
        None => {
            // The flip first (one step, nothing iterated), then a range around it.
            let probe = OrbitDiagramSettings {
                steps: vec![1.0],
                coordinate: view.orbit_coordinate,
                transient: 0,
                points: 1,
            };
            let flip = orbit_diagram(field.as_ref(), &map, &z_star, &probe)
                .map_err(query_field)?
                .predicted_flip;
            (0.5 * flip, 1.5 * flip)
        }
    };
    let mut settings =
        OrbitDiagramSettings::linear(low, high, view.orbit_steps, view.orbit_coordinate);
    settings.transient = TRANSIENT;
    settings.points = POINTS;
    let diagram = orbit_diagram(field.as_ref(), &map, &z_star, &settings).map_err(query_field)?;
    Ok(OrbitReply::Drawn(Box::new(OrbitData {
        diagram,
        h_range: [low, high],
        compute_ms: 1e3 * start.elapsed().as_secs_f64(),
    })))
}
