//! Claims of the paper and of docs/theory.md: theorems, closed forms, Jacobians, the starvation matrix, the checks of `verify`.
//!
//! One test binary per area (a binary links once); each module is one claim, quoted in its
//! doc comment.

#[path = "../common/mod.rs"]
mod common;

mod closed_forms;
mod closed_forms_applicability;
mod coupling_generators;
mod critical_coupling;
mod dual_primal;
mod equilibrium_long_run;
mod figure6_data;
mod jacobian_spectrum;
mod jacobians;
mod lambert_w_law;
mod loss_derivatives;
mod max_margin;
mod nullclines;
mod orbit_diagram;
mod quadratic_model;
mod sign_law;
mod squared_loss_closed_form;
mod stable_logistic;
mod starvation_matrix;
mod theorem1;
mod theorem2;
mod theta_projection;
mod toy_identity;
mod verify_own_model;
