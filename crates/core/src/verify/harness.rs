//! Running one check: its static description, error and panic capture, and equilibrium solves
//! whose errors name the model.

use std::fmt::Display;
use std::panic::{self, AssertUnwindSafe};

use nalgebra::DMatrix;

use crate::equilibrium::{Equilibrium, EquilibriumOptions, find_equilibrium, sensitivities};
use crate::model::FeatureModel;

use super::{CheckResult, Status};

/// The static description of a check.
pub(super) struct Spec {
    pub(super) id: usize,
    pub(super) name: &'static str,
    pub(super) claim: &'static str,
    pub(super) source: &'static str,
    pub(super) tolerance: &'static str,
}

/// What a check's body found.
pub(super) struct Outcome {
    pub(super) measured: String,
    pub(super) passed: bool,
}

pub(super) type Checked<T> = Result<T, String>;

/// Runs a check body; errors and panics become a failed result with the message in `measured`.
pub(super) fn run(spec: Spec, body: impl FnOnce() -> Checked<Outcome>) -> CheckResult {
    let (measured, passed) = match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(o)) => (o.measured, o.passed),
        Ok(Err(e)) => (format!("error: {e}"), false),
        Err(p) => {
            let text = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            (format!("panic: {text}"), false)
        }
    };
    CheckResult {
        id: spec.id,
        name: spec.name,
        claim: spec.claim.to_string(),
        source: spec.source,
        measured,
        tolerance: spec.tolerance.to_string(),
        passed,
        status: if passed { Status::Pass } else { Status::Fail },
    }
}

/// A check that does not apply to the model, with the reason (never a pass or a fail).
pub(super) fn not_applicable(spec: Spec, reason: impl Display) -> CheckResult {
    CheckResult {
        id: spec.id,
        name: spec.name,
        claim: spec.claim.to_string(),
        source: spec.source,
        measured: format!("not applicable: {reason}"),
        tolerance: spec.tolerance.to_string(),
        passed: false,
        status: Status::NotApplicable,
    }
}

/// Attaches a context to any displayable error.
pub(super) trait Context<T> {
    fn ctx(self, what: impl Display) -> Checked<T>;
}

impl<T, E: Display> Context<T> for Result<T, E> {
    fn ctx(self, what: impl Display) -> Checked<T> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// The equilibrium with the library's default options; errors name the model.
pub(super) fn solve(
    model: &FeatureModel,
    start: Option<&[f64]>,
    what: impl Display,
) -> Checked<Equilibrium> {
    find_equilibrium(model, start, &EquilibriumOptions::default())
        .ctx(format_args!("equilibrium of {what}"))
}

/// Equilibrium and starvation matrix M (M16 and counterparts) of a model.
pub(super) fn solve_with_m(
    model: &FeatureModel,
    start: Option<&[f64]>,
    what: impl Display,
) -> Checked<(Equilibrium, DMatrix<f64>)> {
    let eq = solve(model, start, &what)?;
    let m = sensitivities(model, &eq)
        .ctx(format_args!("sensitivities of {what}"))?
        .starvation_matrix;
    Ok((eq, m))
}
