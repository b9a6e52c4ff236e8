//! # starvation: the reference simulator for gradient starvation
//!
//! Integrates the gradient-flow equations of Pezeshki et al., "Gradient Starvation: A Learning
//! Proclivity in Neural Networks" (NeurIPS 2021), finds and classifies their equilibria, draws
//! phase portraits and sweeps parameter grids to locate starvation thresholds. Equation tags
//! (M1 … M19) refer to `docs/theory.md`.
//!
//! ## A guided tour, in the order data flows
//!
//! 1. **[`spec`]**: a JSON spec names a model, a space, a method and options; `runs` and
//!    `vary` expand it into many runs. Every field is validated; bad input is an
//!    [`error::InputError`] naming the field and the fix.
//! 2. **[`model`]**: [`model::FeatureModel`] holds the paper's quantities: strengths s (the
//!    singular values of YΦ, M3), coupling U, labels y, feature directions V, the regulariser
//!    (none, L2, SD with per-class λ and targets), the loss model (exact, quadratic,
//!    exponential tail) and the rate η. Built from the toy U(δ) (M17), an explicit U, a
//!    tangent-feature matrix Φ, or a seeded Haar-random U.
//! 3. **[`flow`]**: the vector fields in responses z (M7, M8), parameters θ (M5, M6) and dual
//!    variables α (M10, M11), each with its analytic Jacobian; the discrete gradient-descent map.
//! 4. **[`solve`]**: [`solve::integrate`] runs `dopri5`/`dop853` (ode_solvers), `radau5`/`bdf`
//!    (differential-equations), `auto` (explicit, switching to Radau5 on stiffness) or `gd`,
//!    with steady-state and level-crossing events, into a [`solve::Trajectory`].
//!    [`solve::batch`] is a lane-batched DOP853 for many small systems at once.
//! 5. **[`equilibrium`]**: Newton's method with line search on the convex z-loss, stability
//!    from the Jacobian's eigenvalues, the starvation matrix M16 and other sensitivities,
//!    continuation, closed forms (Lambert W, SD margin, quadratic model, M18, M19) and a fast
//!    2 × 2 solver for the toy.
//! 6. **[`verify`]**: each claim of the paper as a named check (`starvation verify`).
//! 7. **[`sweep`]**: grids over model parameters, metrics per cell, thresholds refined by
//!    Brent's method, parallel and sharded runs with identical results.
//! 8. **[`portrait`]** and **[`figures`]**: phase portraits as data, and figure descriptions
//!    built from spec sections.
//! 9. **[`result`]** and **[`plot`]**: JSON/CSV documents (a `data` block and a `provenance`
//!    block) and the renderer (PNG and SVG, embedded font).
//! 10. **[`bench`]**: the standard benchmark of `docs/architecture.md`.
//!
//! ## Example
//!
//! ```
//! use starvation::equilibrium::{EquilibriumOptions, find_equilibrium, sensitivities};
//! use starvation::model::{FeatureModel, Regulariser};
//!
//! let model = FeatureModel::two_feature_toy(6.0, 2.0, 0.5)
//!     .unwrap()
//!     .with_regulariser(Regulariser::L2 { lambda: 0.01 })
//!     .unwrap();
//! let eq = find_equilibrium(&model, None, &EquilibriumOptions::default()).unwrap();
//! let m = sensitivities(&model, &eq).unwrap().starvation_matrix;
//! // Theorem 1: the stronger feature 1 starves feature 2.
//! assert!(m[(1, 0)] < 0.0);
//! ```

pub mod bench;
pub mod equilibrium;
pub mod error;
pub mod figures;
pub mod flow;
pub mod model;
pub mod numerics;
pub mod output;
pub mod plot;
pub mod portrait;
pub mod result;
pub mod solve;
pub mod spec;
pub mod sweep;
pub mod verify;
