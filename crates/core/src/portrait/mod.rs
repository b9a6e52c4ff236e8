//! Phase portraits as data: vector-field samples, streamlines, nullclines, equilibria and
//! trajectories for two chosen coordinates of a flow.
//!
//! A portrait looks at a flow (z, θ or α of a [`FeatureModel`]) through a *slice*: two state
//! coordinates x and y vary, every other coordinate is held at a given value (by default the
//! coordinates of the equilibrium). On that slice this module computes
//! - the field on a grid ([`sample_field`]),
//! - streamlines of the 2-D slice field, evenly spread by an occupancy mask ([`streamlines`]),
//! - nullclines, the zero-level curves of each field component, by marching squares with linear
//!   interpolation along cell edges (the `contour` crate) mapped to data coordinates
//!   ([`nullclines`]),
//! - equilibria with their stability class: [`find_equilibrium`] for the response flow, Newton's
//!   method on the 2-D slice field otherwise ([`slice_equilibria`]),
//! - trajectories of the *full* flow from given or seeded random starts, projected on the two
//!   coordinates ([`trajectories`], [`random_starts`]).
//!
//! [`portrait`] does all of it from one [`PortraitSettings`]. Nothing here draws: the figure
//! code turns a [`Portrait`] into a `PortraitPanel` (of the plotting crate).

mod equilibria;
mod grid;
mod nullclines;
mod slice;
mod streamlines;
mod trajectories;

pub use equilibria::{PortraitEquilibrium, classify, eigenvalues_2x2, slice_equilibria};
pub use grid::{FieldSamples, Grid, sample_field};
pub use nullclines::{Nullcline, nullclines, zero_level};
pub use slice::SliceField;
pub use streamlines::{StreamlineOptions, streamlines};
pub use trajectories::{
    ProjectedTrajectory, equilibrium_state, random_starts, state_from_responses, trajectories,
};

use crate::equilibrium::{EquilibriumOptions, find_equilibrium};
use crate::error::{Error, InputError};
use crate::flow::{Space, build_flow};
use crate::model::FeatureModel;
use crate::solve::{Method, SolveOptions};

/// Where the coordinates that are not plotted are held.
#[derive(Debug, Clone, PartialEq)]
pub enum Fixed {
    /// At the equilibrium of the flow ([`equilibrium_state`]).
    Equilibrium,
    /// At these values (a full state; its x and y entries are ignored).
    Values(Vec<f64>),
}

/// Trajectories to draw in a portrait.
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectorySettings {
    /// Initial states: full states, or (x, y) pairs completed from the slice's fixed values.
    pub starts: Vec<Vec<f64>>,
    /// Also `count` seeded random starts in the rectangle: (count, seed).
    pub random: Option<(usize, u64)>,
    /// Method.
    pub method: Method,
    /// Solver options (t_end, tolerances, output).
    pub options: SolveOptions,
}

/// Everything [`portrait`] computes, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct PortraitSettings {
    /// The flow's space.
    pub space: Space,
    /// Coordinate on the x axis (0-based).
    pub x: usize,
    /// Coordinate on the y axis (0-based).
    pub y: usize,
    /// Range of x.
    pub x_range: (f64, f64),
    /// Range of y.
    pub y_range: (f64, f64),
    /// The other coordinates.
    pub fixed: Fixed,
    /// Arrow grid (nx, ny); None: no arrows.
    pub arrows: Option<(usize, usize)>,
    /// Streamlines; None: none.
    pub streamlines: Option<StreamlineOptions>,
    /// Nullcline grid (nx, ny); None: no nullclines.
    pub nullclines: Option<(usize, usize)>,
    /// Find and classify equilibria.
    pub equilibria: bool,
    /// Trajectories; None: none.
    pub trajectories: Option<TrajectorySettings>,
}

/// A computed phase portrait (data only).
#[derive(Debug, Clone, PartialEq)]
pub struct Portrait {
    /// The full state the slice passes through.
    pub base: Vec<f64>,
    /// Field samples for arrows.
    pub arrows: Option<FieldSamples>,
    /// Streamlines (data coordinates).
    pub streamlines: Vec<Vec<(f64, f64)>>,
    /// Nullclines ẋ = 0 and ẏ = 0.
    pub nullclines: Option<[Nullcline; 2]>,
    /// Equilibria with their classes.
    pub equilibria: Vec<PortraitEquilibrium>,
    /// Trajectories of the full flow, projected.
    pub trajectories: Vec<ProjectedTrajectory>,
}

/// Computes the portrait of `model`'s flow described by `settings`. Errors name the setting
/// (`x.range`, `fixed`, `trajectories.starts[i]`, …) for bad input; a failed trajectory is a
/// solve error.
pub fn portrait(model: &FeatureModel, settings: &PortraitSettings) -> Result<Portrait, Error> {
    let field = build_flow(model, settings.space).map_err(|e| e.within("model"))?;
    let dim = field.dim();
    let (x, y) = (settings.x, settings.y);
    // The full equilibrium (if any) of the response flow, for markers and the fixed values.
    let z_eq = find_equilibrium(model, None, &EquilibriumOptions::default()).ok();
    let base = match &settings.fixed {
        Fixed::Values(v) => v.clone(),
        Fixed::Equilibrium if dim == 2 => match (&z_eq, settings.space) {
            (Some(eq), s) => state_from_responses(model, s, &eq.point),
            (None, Space::Dual) => vec![0.5; dim],
            (None, _) => vec![0.0; dim],
        },
        Fixed::Equilibrium => match &z_eq {
            Some(eq) => state_from_responses(model, settings.space, &eq.point),
            None => {
                return Err(InputError::new(
                    "fixed",
                    "the flow has no equilibrium (λ = 0?); give the other coordinates' values",
                )
                .into());
            }
        },
    };
    let slice = SliceField::new(field.as_ref(), x, y, base)?;
    let arrows = match settings.arrows {
        Some((nx, ny)) => Some(sample_field(
            &slice,
            &Grid::new(settings.x_range, settings.y_range, nx, ny)
                .map_err(|e| rename_grid(e, "arrows.grid"))?,
        )),
        None => None,
    };
    let fine = match settings.nullclines {
        Some((nx, ny)) => Some(sample_field(
            &slice,
            &Grid::new(settings.x_range, settings.y_range, nx, ny)
                .map_err(|e| rename_grid(e, "nullclines.grid"))?,
        )),
        None => None,
    };
    // Streamlines and slice equilibria use the finest samples available.
    let reference = match (&fine, &arrows) {
        (Some(f), _) => Some(f.clone()),
        (None, Some(a)) => Some(a.clone()),
        (None, None) if settings.streamlines.is_some() || settings.equilibria => {
            Some(sample_field(
                &slice,
                &Grid::new(settings.x_range, settings.y_range, 81, 81)?,
            ))
        }
        (None, None) => None,
    };
    let streamlines = match (&settings.streamlines, &reference) {
        (Some(o), Some(r)) => streamlines(&slice, r, o),
        _ => Vec::new(),
    };
    let nullclines = fine.as_ref().map(nullclines);
    let mut equilibria = Vec::new();
    if settings.equilibria {
        let full_z = settings.space == Space::Responses
            && (dim == 2 || settings.fixed == Fixed::Equilibrium);
        match (&z_eq, full_z) {
            (Some(eq), true) => {
                let grid = Grid::new(settings.x_range, settings.y_range, 2, 2)?;
                if grid.contains(eq.point[x], eq.point[y], 0.0) {
                    equilibria.push(PortraitEquilibrium {
                        x: eq.point[x],
                        y: eq.point[y],
                        state: eq.point.clone(),
                        eigenvalues: eq.eigenvalues.clone(),
                        stability: eq.stability,
                        residual: eq.residual,
                        of_full_flow: true,
                    });
                }
            }
            _ => {
                if let Some(r) = &reference {
                    equilibria = slice_equilibria(&slice, r, &[]);
                }
            }
        }
    }
    let mut trajectories_out = Vec::new();
    if let Some(t) = &settings.trajectories {
        let mut starts = Vec::with_capacity(t.starts.len());
        for (i, s) in t.starts.iter().enumerate() {
            if s.len() == dim {
                starts.push(s.clone());
            } else if s.len() == 2 {
                starts.push(slice.state_at(s[0], s[1]));
            } else {
                return Err(InputError::new(
                    format!("trajectories.starts[{i}]"),
                    format!(
                        "has {} entries; give (x, y) or a full {} state of dimension {dim}",
                        s.len(),
                        settings.space
                    ),
                )
                .into());
            }
        }
        if let Some((count, seed)) = t.random {
            starts.extend(random_starts(
                slice.base(),
                x,
                y,
                settings.x_range,
                settings.y_range,
                count,
                seed,
            ));
        }
        trajectories_out = trajectories(field.as_ref(), &starts, x, y, t.method, &t.options)
            .map_err(|e| match e {
                Error::Input(i) => Error::Input(InputError::new(
                    i.field.replacen("options.", "trajectories.", 1),
                    i.message,
                )),
                other => other,
            })?;
    }
    Ok(Portrait {
        base: slice.base().to_vec(),
        arrows,
        streamlines,
        nullclines,
        equilibria,
        trajectories: trajectories_out,
    })
}

fn rename_grid(e: InputError, name: &str) -> InputError {
    if e.field == "grid" {
        InputError::new(name, e.message)
    } else {
        e
    }
}
