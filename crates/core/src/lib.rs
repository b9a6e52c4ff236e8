//! # starvation-core: the numerical core of `starvation`
//!
//! The paper's mathematics (Pezeshki et al., "Gradient Starvation", NeurIPS 2021; equation tags
//! M1 … M19 refer to the repository's `docs/theory.md`) with no command line, no drawing and no
//! HTTP: it never reads a spec, prints or writes a file. The modules, in the order data flows:
//!
//! 1. [`model`]: [`FeatureModel`] (strengths s, coupling U, labels y, directions V, regulariser,
//!    loss model, rate η) and its constructors.
//! 2. [`flow`]: the vector fields in z (M7, M8), θ (M5, M6) and α (M10, M11) with analytic
//!    Jacobians, and the discrete gradient-descent map.
//! 3. [`solve`]: [`integrate`] over the backends (DOP853/DOPRI5 of `ode_solvers`, Radau5/BDF of
//!    `differential-equations`, the crate's own Runge–Kutta core, `gd`), events, the lane-batched
//!    integrator.
//! 4. [`equilibrium`]: Newton equilibria, stability, the starvation matrix (M16), closed forms,
//!    continuation; [`toy`]: the two-feature toy's fast paths.
//! 5. [`sweep`]: grids, per-cell metrics, thresholds, shards; [`portrait`]: phase portraits as
//!    data; [`network`]: real networks, their tangent kernels and linearised predictions.
//! 6. [`verify`]: each claim of the paper as a named check; [`bench`](mod@bench): the standard
//!    benchmark.
//!
//! Errors are [`Error`]: bad input ([`InputError`], naming the field and the fix), a numerical
//! failure ([`SolveError`]) or a file-system failure.

pub mod bench;
pub mod equilibrium;
pub mod error;
pub mod flow;
pub mod images;
pub mod model;
pub mod network;
pub mod numerics;
pub mod portrait;
pub mod sde;
pub mod solve;
pub mod sweep;
pub mod toy;
pub mod verify;

pub use equilibrium::{
    Equilibrium, EquilibriumOptions, Sensitivities, Stability, find_equilibrium, sensitivities,
};
pub use error::{Error, InputError, SolveError};
pub use flow::{Space, build_flow};
pub use model::{FeatureModel, LossModel, Regulariser, SpectralDecoupling};
pub use solve::{Method, Output, SolveOptions, Trajectory, integrate};
pub use sweep::{SweepPlan, SweepResult, ThresholdRecord, ThresholdStatus};
