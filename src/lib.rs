//! # starvation: the reference simulator for gradient starvation
//!
//! Integrates the gradient-flow equations of Pezeshki et al., "Gradient Starvation: A Learning
//! Proclivity in Neural Networks" (NeurIPS 2021), finds and classifies their equilibria, draws
//! phase portraits and sweeps parameter grids to locate starvation thresholds. Equation tags
//! (M1 … M19) refer to `docs/theory.md`.
//!
//! ## A guided tour, in the order data flows
//!
//! 1. **[`spec`]**, the input layer: a JSON spec names a model, a space, a method and options;
//!    `runs` and `vary` expand it into many runs; `sweep`, `equilibrium`, `plot` and `portrait`
//!    sections are parsed into typed plans. Every field is validated; bad input is an
//!    [`InputError`] naming the field and the fix. It never writes a file.
//! 2. **[`model`]**: [`FeatureModel`] holds the paper's quantities: strengths s (the singular
//!    values of YΦ, M3), coupling U, labels y, feature directions V, the regulariser (none, L2,
//!    SD with per-class λ and targets), the loss model (exact, quadratic, exponential tail) and
//!    the rate η. Built from the toy U(δ) (M17), an explicit U, a tangent-feature matrix Φ, or a
//!    seeded Haar-random U.
//! 3. **[`flow`]**: the vector fields in responses z (M7, M8), parameters θ (M5, M6) and dual
//!    variables α (M10, M11), each with its analytic Jacobian; the discrete gradient-descent map.
//! 4. **[`solve`]**: [`integrate`] runs `dopri5`/`dop853`, `radau5`/`bdf`, `auto` (explicit,
//!    switching to Radau5 on stiffness) or `gd`, with steady-state and level-crossing events,
//!    into a [`Trajectory`]; a lane-batched DOP853 integrates many small systems at once.
//! 5. **[`equilibrium`]**: Newton's method with line search on the convex z-loss, stability
//!    from the Jacobian's eigenvalues, the starvation matrix M16 and other sensitivities,
//!    continuation and closed forms (Lambert W, SD margin, quadratic model, M18, M19).
//! 6. **[`sweep`]**: grids over model parameters ([`sweep::SweepBuilder`]), metrics per cell,
//!    thresholds refined by Brent's method, parallel and sharded runs with identical results.
//! 7. **[`verify`]**: each claim of the paper as a named check (`starvation verify`).
//! 8. **[`portrait`]** and **[`figures`]**: phase portraits as data, and figure descriptions
//!    built from spec sections and results.
//! 9. **[`result`]**: typed, serialisable documents (a `data` block and a `provenance` block)
//!    and CSV tables.
//! 10. **[`tasks`]**: the commands as library functions (`check`, `run`, `portrait`,
//!     `equilibrium`, sweeps, shards and merge, `verify`, `figures`, `bench`), each returning
//!     typed results, the files to write and a report.
//! 11. **[`output`]** and **[`plot`]**: the only code that writes files (atomic writes,
//!     provenance) and the renderer (PNG, SVG, PDF and pgfplots, embedded font; cargo feature `plot`).
//! 12. **[`bench`](mod@bench)**: the standard benchmark of `docs/architecture.md`.
//!
//! ## Cargo features
//!
//! `cli` (the `starvation` binary: clap, indicatif) and `plot` (the renderer: plotters) are on
//! by default. A library user who draws nothing can depend on
//! `starvation = { …, default-features = false }`.
//!
//! ## Examples
//!
//! The equilibrium of the toy and its starvation matrix:
//!
//! ```
//! use starvation::{EquilibriumOptions, FeatureModel, Regulariser};
//! use starvation::{find_equilibrium, sensitivities};
//!
//! let model = FeatureModel::two_feature_toy(6.0, 2.0, 0.5)?
//!     .with_regulariser(Regulariser::L2 { lambda: 0.01 })?;
//! let eq = find_equilibrium(&model, None, &EquilibriumOptions::default())?;
//! let m = sensitivities(&model, &eq)?.starvation_matrix;
//! // Theorem 1: the stronger feature 1 starves feature 2.
//! assert!(m[(1, 0)] < 0.0);
//! # Ok::<(), starvation::Error>(())
//! ```
//!
//! A spec, as the command line reads it, run by the library:
//!
//! ```
//! let spec = starvation::parse_spec(r#"{
//!     "name": "toy",
//!     "model": { "features": { "toy": { "s1": 6, "s2": 2, "delta": 0.5 } } },
//!     "simulation": { "t_end": 250 }
//! }"#)?;
//! let (outcome, _files) = starvation::tasks::run(&spec)?;
//! let z = outcome.runs[0].1.final_responses().to_vec();
//! assert!(z[0] > z[1]);
//! # Ok::<(), starvation::Error>(())
//! ```
//!
//! More in `examples/` (`cargo run --release --example trajectory`, `equilibrium`,
//! `sweep_threshold`).

// The numerical core and the renderer are crates of their own (crates/core, crates/plot); their
// modules are re-exported here under the names the application and the library's users know.
pub use starvation_core::{
    bench, equilibrium, error, flow, images, model, network, numerics, portrait, sde, solve, sweep,
    toy, verify,
};
pub use starvation_plot as plot;

#[cfg(feature = "explore")]
pub mod explore;
pub mod figures;
pub mod output;
pub mod result;
pub mod schema;
pub mod spec;
pub mod tasks;

pub use equilibrium::{
    Equilibrium, EquilibriumOptions, Sensitivities, Stability, find_equilibrium, sensitivities,
};
pub use error::{Error, InputError, SolveError};
pub use flow::{Space, build_flow};
pub use model::{FeatureModel, LossModel, Regulariser, SpectralDecoupling};
pub use solve::{Method, Output, SolveOptions, Trajectory, integrate};
pub use spec::{Spec, parse_spec, read_spec};
pub use sweep::{SweepPlan, SweepResult, ThresholdRecord, ThresholdStatus};
