//! Facts about the integrators: convergence orders, tableaux, events, stiffness, step counts, fast paths.
//!
//! One test binary per area (a binary links once); each module is one claim, quoted in its
//! doc comment.

#[path = "../common/mod.rs"]
mod common;

mod adam_in_theta;
mod convergence_order;
mod end_state;
mod events;
mod fast_paths;
mod optimiser_maps;
mod options_round_trip;
mod runge_kutta_tableau;
mod sde_order;
mod step_count_snapshots;
mod stiff_problem;
