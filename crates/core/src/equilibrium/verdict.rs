//! Whether a computed equilibrium is a result: the one test that `equilibrium`, the sweep's
//! cells, portraits and figure markers all use, so a model is never a solution for one command
//! and a failed cell for another.

use super::Equilibrium;
use super::report::EquilibriumReport;
use crate::error::SolveError;

/// A computed equilibrium z* is a result when Newton converged (weighted residual ≤ `tolerance`;
/// a NaN residual has not converged) and z* and every named quantity (eigenvalues, margins,
/// sensitivities, …) are finite numbers.
pub fn verdict(
    point: &[f64],
    residual: f64,
    iterations: usize,
    tolerance: f64,
    quantities: &[(&str, &[f64])],
) -> Result<(), SolveError> {
    // A NaN residual fails too (it is not `> tolerance`).
    if residual.is_nan() || residual > tolerance {
        return Err(SolveError::NoConvergence {
            iterations,
            residual,
        });
    }
    require_finite("z*", point)?;
    for (name, values) in quantities {
        require_finite(name, values)?;
    }
    Ok(())
}

/// Every value of `name` is finite; otherwise a numerical failure naming the quantity.
pub fn require_finite(name: &str, values: &[f64]) -> Result<(), SolveError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(SolveError::Undefined(format!(
            "{name} is not finite (entry {} is {}); the equilibrium is not representable in f64 for this model (overflow or underflow: scale the strengths or λ)",
            i + 1,
            values[i]
        ))),
    }
}

impl Equilibrium {
    /// [`verdict`] on z*, its margins, Jacobian and eigenvalues.
    pub fn verdict(&self, tolerance: f64) -> Result<(), SolveError> {
        let re: Vec<f64> = self.eigenvalues.iter().map(|e| e.0).collect();
        let im: Vec<f64> = self.eigenvalues.iter().map(|e| e.1).collect();
        verdict(
            &self.point,
            self.residual,
            self.iterations,
            tolerance,
            &[
                ("the margins a*", &self.margins),
                ("the Jacobian", self.jacobian.as_slice()),
                ("the eigenvalues (real parts)", &re),
                ("the eigenvalues (imaginary parts)", &im),
            ],
        )
    }
}

impl EquilibriumReport {
    /// [`Equilibrium::verdict`] plus the sensitivities, ∂z*/∂δ and the uncoupled z⁰.
    pub fn verdict(&self, tolerance: f64) -> Result<(), SolveError> {
        self.equilibrium.verdict(tolerance)?;
        require_finite(
            "the starvation matrix",
            self.sensitivities.starvation_matrix.as_slice(),
        )?;
        require_finite("∂z*/∂λ", &self.sensitivities.lambda)?;
        if let Some(d) = &self.delta_sensitivity {
            require_finite("∂z*/∂δ", d)?;
        }
        if let Some(z0) = &self.uncoupled {
            require_finite("the uncoupled z⁰", z0)?;
        }
        Ok(())
    }
}
