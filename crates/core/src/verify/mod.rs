//! Every claim of the paper and of docs/theory.md §5 as a named numerical check.
//!
//! Each check compares the simulator against a reference computed another way (a long
//! integration of the flow, finite differences, a closed form, an independent root or QP
//! solve), so that it can fail. A check never panics: a solver error (or a panic inside the
//! check) makes it fail with the error text in [`CheckResult::measured`].
//!
//! Tolerances are derived in each check's doc comment. Equilibria are solved with the library's
//! default options (weighted residual ≤ 1e−12); Newton's quadratic convergence puts the result
//! at or near the rounding floor, which the tolerances below assume and the measurements show.

mod closed_forms;
mod consistency;
mod fixtures;
mod harness;
mod maps;
mod max_margin;
mod own_model;
mod reference;
mod theorems;
mod toy_facts;

use serde_json::{Value, json};

pub use closed_forms::{
    lambert_w_law, quadratic_model_has_no_starvation, squared_loss_has_no_starvation,
};
pub use consistency::{
    equilibrium_matches_long_integration, jacobian_spectrum,
    starvation_matrix_matches_finite_differences,
};
pub use maps::{FLIP_ITERATIONS, FLIP_TOLERANCE, flip_matches_eigenvalue_prediction};
pub use max_margin::max_margin_limit;
pub use own_model::{
    OWN_MODEL_CHECKS, equilibrium_exists, jacobian_spectrum_of, long_run_matches_equilibrium,
    verify_model,
};
pub use theorems::{theorem1_starvation_regime, theorem2_spectral_decoupling};
pub use toy_facts::{critical_coupling, sign_law_and_mutual_starvation};

/// One verified claim, as a record.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CheckResult {
    /// Check number, 1..=12.
    pub id: usize,
    /// Short snake_case name (the name of the check's function).
    pub name: &'static str,
    /// The claim in words.
    pub claim: String,
    /// Where the claim comes from (docs/theory.md tag or theorem).
    pub source: &'static str,
    /// What was measured, with numbers (or the error that made the check fail).
    pub measured: String,
    /// The acceptance criterion.
    pub tolerance: String,
    /// Whether the measurement met the criterion (false when the check does not apply).
    pub passed: bool,
    /// Pass, fail, or not applicable to the model (the reason is then in `measured`).
    pub status: Status,
}

/// The verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The measurement met the criterion.
    Pass,
    /// It did not, or the check could not be carried out (error in `measured`).
    Fail,
    /// The claim does not cover this model; `measured` says why. Neither a pass nor a fail.
    NotApplicable,
}

impl Status {
    /// The word in the table's result column.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::NotApplicable => "NOT APPLICABLE",
        }
    }
}

impl CheckResult {
    /// The record as a JSON object with the field names of the struct.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "claim": self.claim,
            "source": self.source,
            "measured": self.measured,
            "tolerance": self.tolerance,
            "passed": self.passed,
            "status": self.status,
        })
    }
}

/// Runs every check in order; `quick` uses coarser grids (fewer models, fewer grid points).
pub fn run_all(quick: bool) -> Vec<CheckResult> {
    vec![
        equilibrium_matches_long_integration(quick),
        starvation_matrix_matches_finite_differences(quick),
        theorem1_starvation_regime(quick),
        theorem2_spectral_decoupling(quick),
        sign_law_and_mutual_starvation(quick),
        critical_coupling(quick),
        quadratic_model_has_no_starvation(quick),
        lambert_w_law(quick),
        max_margin_limit(quick),
        jacobian_spectrum(quick),
        flip_matches_eigenvalue_prediction(quick),
        squared_loss_has_no_starvation(quick),
    ]
}
