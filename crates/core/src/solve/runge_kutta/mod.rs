//! The explicit Runge–Kutta core, written once: the DOP853 tableau ([`dop853`]), Hairer's
//! step-size controller (`StepController`) and initial-step rule (`trial_step`,
//! `step_from_trial`), on the project's one error norm, `weighted_rms`
//! ‖e / (atol + rtol·|x|)‖.
//!
//! Users: the lane-batched DOP853 of [`super::batch`] runs on all of it; the scalar explicit
//! methods run inside ode_solvers, which has its own copy of the controller and initial-step
//! formulas, so the wrapper hands it the parameters of `StepController::DOP853` /
//! `StepController::DOPRI5`; the implicit wrappers take their first step from `initial_step`
//! below (the same rule on a [`VectorField`]).
//!
//! Source: Hairer, Nørsett & Wanner, *Solving Ordinary Differential Equations I*, 2nd ed.,
//! Springer 1993, §II.4 (automatic step-size control, eq. (4.13); starting step size, p. 169),
//! and Hairer's codes dopri5.f / dop853.f (subroutines HINIT, and the step-size control of DP86CO).

pub mod dop853;

use crate::flow::VectorField;
pub(crate) use crate::numerics::weighted_rms;

/// Per-component tolerance scale atol + rtol·|x| of the error norm.
#[inline(always)]
pub(crate) fn tolerance_scale(x: f64, rtol: f64, atol: f64) -> f64 {
    atol + rtol * x.abs()
}

/// Hairer's step-size controller: after a step with scaled error err (accept when err ≤ 1),
/// h_new = h / clamp(err^(1/q) / safety, 1/fac_max, 1/fac_min) (HNW I, II.4, eq. (4.13)); after a
/// rejection the step is never enlarged. `beta` is the Lund stabilisation exponent of dopri5.f;
/// the formulas here (used by the lane kernel) are for β = 0, DOP853's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StepController {
    /// Safety factor (dop853.f: SAFE).
    pub safety: f64,
    /// Lund stabilisation β (dop853.f: BETA).
    pub beta: f64,
    /// Smallest step ratio h_new/h (dop853.f: FAC1).
    pub fac_min: f64,
    /// Largest step ratio h_new/h (dop853.f: FAC2).
    pub fac_max: f64,
}

impl StepController {
    /// dop853.f's defaults: safety 0.9, β = 0, h_new/h ∈ [0.333, 6].
    pub const DOP853: Self = Self {
        safety: 0.9,
        beta: 0.0,
        fac_min: 0.333,
        fac_max: 6.0,
    };

    /// dopri5.f's defaults: safety 0.9, β = 0.04, h_new/h ∈ [0.2, 10].
    pub const DOPRI5: Self = Self {
        safety: 0.9,
        beta: 0.04,
        fac_min: 0.2,
        fac_max: 10.0,
    };

    /// The next step after an accepted step of size `h`, given `err_root` = err^(1/q) (β = 0).
    #[inline(always)]
    pub(crate) fn after_accept(&self, h: f64, err_root: f64) -> f64 {
        debug_assert!(self.beta == 0.0);
        h / (err_root / self.safety).clamp(1.0 / self.fac_max, 1.0 / self.fac_min)
    }

    /// The retry after a rejected step of size `h`, given `err_root` = err^(1/q) (> 1).
    #[inline(always)]
    pub(crate) fn after_reject(&self, h: f64, err_root: f64) -> f64 {
        h / (err_root / self.safety).min(1.0 / self.fac_min)
    }
}

/// First trial step of the initial-step rule: h₀ = 0.01·d₀/d₁ with d₀ = ‖x₀‖, d₁ = ‖f(x₀)‖ in
/// the error norm (10⁻⁶ when either is below 10⁻⁵), at most `span`.
#[inline(always)]
pub(crate) fn trial_step(d0: f64, d1: f64, span: f64) -> f64 {
    let h0 = if d0 < 1e-5 || d1 < 1e-5 {
        1e-6
    } else {
        0.01 * d0 / d1
    };
    h0.min(span)
}

/// The initial step from the trial h₀ and d₁ = ‖f(x₀)‖, d₂ = ‖f(x₀ + h₀f(x₀)) − f(x₀)‖/h₀:
/// h₁ = (0.01 / max(d₁, d₂))^(1/q), h = min(100·h₀, h₁, span). Hairer's codes take q = the
/// method's order (dop853.f: IORD = 8).
#[inline(always)]
pub(crate) fn step_from_trial(h0: f64, d1: f64, d2: f64, q: u32, span: f64) -> f64 {
    let h1 = if d1.max(d2) <= 1e-15 {
        (h0 * 1e-3).max(1e-6)
    } else {
        (0.01 / d1.max(d2)).powf(1.0 / q as f64)
    };
    (100.0 * h0).min(h1).min(span)
}

/// Hairer's initial step for `field` at `y0` over a span of length `span` with exponent 1/q
/// (2 field evaluations); a non-finite or non-positive result falls back to min(10⁻⁶, span).
pub(crate) fn initial_step(
    field: &dyn VectorField,
    y0: &[f64],
    span: f64,
    q: u32,
    rtol: f64,
    atol: f64,
) -> f64 {
    let n = y0.len();
    let mut f0 = vec![0.0; n];
    field.eval(y0, &mut f0);
    let d0 = weighted_rms(y0, y0, rtol, atol);
    let d1 = weighted_rms(&f0, y0, rtol, atol);
    let h0 = trial_step(d0, d1, span);
    let y1: Vec<f64> = y0.iter().zip(&f0).map(|(y, f)| y + h0 * f).collect();
    let mut f1 = vec![0.0; n];
    field.eval(&y1, &mut f1);
    let diff: Vec<f64> = f1.iter().zip(&f0).map(|(a, b)| a - b).collect();
    let d2 = weighted_rms(&diff, y0, rtol, atol) / h0;
    let h = step_from_trial(h0, d1, d2, q, span);
    if h.is_finite() && h > 0.0 {
        h
    } else {
        1e-6f64.min(span)
    }
}
