//! The paper's two-feature toy (docs/theory.md: M7 / M8 with the coupling U(δ) of M17, exact
//! cross-entropy loss, y = (+1, +1)) in the fast forms that sweeps and the benchmark run on:
//! its vector field on lanes for the lane-batched DOP853 ([`lanes`]) and its equilibrium and
//! starvation matrix by a 2 × 2 Newton iteration ([`newton`]). The general model and flow
//! (`model`, `flow`, `equilibrium`) give the same numbers more slowly; tests/fast_paths.rs
//! compares them.

pub mod lanes;
pub mod maps;
pub mod newton;

pub use lanes::{LANES, ToyLanes, exp_lanes};
pub use newton::{ToyProblem, ToySolution};

/// Regulariser of the toy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToyRegulariser {
    /// Weight decay λ (> 0): the flow M7.
    L2,
    /// Spectral Decoupling with one λ (> 0) and no targets: the flow M8.
    Sd,
}
