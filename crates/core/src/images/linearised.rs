//! What the linearised network says about the tracked responses of an image network
//! (theory.md §10): the gradient flow of f_lin(θ) = f₀ + J (θ − θ₀) on the tracked
//! training images, computed in their outputs from the tangent kernel K = J Jᵀ at θ₀ alone (J is
//! never formed: it would hold examples × 200 000 parameters).
//!
//! The flow dŷ/dt = −K g(ŷ), g_i = −y_i σ(−y_i ŷ_i) + 2c ŷ_i (the summed cross-entropy plus
//! c·Σŷ², c = SD's coefficient of mean(ŷ²)), is stiff (K's eigenvalues span many decades), so it
//! is integrated by the L-stable two-stage Rosenbrock method ROS2 (Verwer, Spee, Blom &
//! Hundsdorfer 1999, γ = 1 + 1/√2) with the exact Jacobian −K D(ŷ), D_ii = σ(a_i)σ(−a_i) + 2c,
//! and step control on the difference to its embedded first-order solution.
//!
//! Adam has no flow limit of this form, so the prediction keeps its own clock λ₀·t. What it is
//! compared with is which directions grow, which starve, and where they settle, not when.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::{MethodRun, Objective};
use crate::error::{Error, SolveError};
use crate::numerics::{logistic, logistic_slope, weighted_rms};

/// Relative tolerance of the prediction's integration (per output, local error): a figure's
/// accuracy; the unit tests bound what it costs against a 100× tighter run.
pub const PREDICTION_RTOL: f64 = 1e-3;
/// Absolute tolerance of the prediction's integration.
pub const PREDICTION_ATOL: f64 = 1e-6;
/// Most steps of one prediction.
const MAX_STEPS: usize = 100_000;

/// Recorded flow times after t = 0.
pub const PREDICTION_TIMES: usize = 60;

/// |z_k| of the linearised network's gradient flow on the tracked images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ResponsePrediction {
    /// c of the flow's mean loss BCE + c·mean(ŷ²) (see [`predicted_coefficient`]).
    pub sd: f64,
    /// Flow times λ₀·t (t of the summed loss at rate 1, λ₀ the kernel's largest eigenvalue):
    /// [`prediction_times`].
    pub times: Vec<f64>,
    /// `responses[s][i]`: |u_kᵀ ŷ| at `times[s]` of the i-th tracked index.
    pub responses: Vec<Vec<f64>>,
    /// Steps (accepted and rejected) the integration took.
    pub steps: usize,
}

/// The c of mean(ŷ²) in the loss whose flow a method is compared with: 0 for ERM (and the grey
/// oracle); for SD the ratio of its last phase (c·(BCE + mean(ŷ²)) from the schedule step on,
/// whose gradient flow has the equilibria of BCE + mean(ŷ²): c = 1; c itself when training ends
/// before the schedule step); `None` for IRMv1 (its penalty is per environment and its L2 acts
/// on θ, not on the outputs).
pub fn predicted_coefficient(run: &MethodRun) -> Option<f64> {
    match run.objective {
        Objective::Erm => Some(0.0),
        Objective::Sd {
            coefficient,
            schedule_step,
        } => Some(if run.steps > schedule_step {
            1.0
        } else {
            coefficient
        }),
        Objective::Irm { .. } => None,
    }
}

/// Earliest recorded flow time after 0, in units of 1/λ₀ (λ₀ the kernel's largest eigenvalue).
pub const PREDICTION_START: f64 = 1e-2;
/// Last recorded flow time, in units of 1/λ₀: directions with eigenvalues down to 10⁻⁶ λ₀ move.
pub const PREDICTION_END: f64 = 1e6;

/// The recorded flow times in units of 1/λ₀: 0, then [`PREDICTION_TIMES`] log-spaced from
/// [`PREDICTION_START`] to [`PREDICTION_END`] (the same for every restart, so they average).
pub fn prediction_times() -> Vec<f64> {
    let (a, b) = (PREDICTION_START.ln(), PREDICTION_END.ln());
    let last = (PREDICTION_TIMES - 1) as f64;
    std::iter::once(0.0)
        .chain((0..PREDICTION_TIMES).map(|i| (a + (b - a) * i as f64 / last).exp()))
        .collect()
}

/// The prediction on the tracked images: `kernel` K at θ₀, `outputs` ŷ(θ₀) there, `labels`
/// (0/1), `basis` the tracked eigenvectors u_k of K, `top` its largest eigenvalue λ₀, `sd` the
/// loss's c.
pub(crate) fn predict(
    kernel: &DMatrix<f64>,
    outputs: &[f64],
    labels: &[u8],
    top: f64,
    basis: &[Vec<f64>],
    sd: f64,
) -> Result<ResponsePrediction, Error> {
    let n = outputs.len();
    let signs: Vec<f64> = labels[..n]
        .iter()
        .map(|&l| if l == 1 { 1.0 } else { -1.0 })
        .collect();
    let flow = OutputFlow {
        kernel,
        signs: &signs,
        sd,
        rtol: PREDICTION_RTOL,
        atol: PREDICTION_ATOL,
    };
    let times = prediction_times();
    let scale = top.max(f64::MIN_POSITIVE);
    let clock: Vec<f64> = times.iter().map(|t| t / scale).collect();
    let (outputs, steps) = flow.outputs_at(outputs, &clock)?;
    let responses = outputs
        .iter()
        .map(|y| {
            basis
                .iter()
                .map(|u| u.iter().zip(y).map(|(a, b)| a * b).sum::<f64>().abs())
                .collect()
        })
        .collect();
    Ok(ResponsePrediction {
        sd,
        times,
        responses,
        steps,
    })
}

/// Solves W x = b for W = I − γh J = I + γh K D (K symmetric positive semi-definite, D > 0
/// diagonal) through the symmetric positive definite S = I + γh D^½ K D^½: with S w = D^½ b,
/// x = b − γh K D^½ w (no division by D, which underflows for confidently fitted images).
struct StageSolver<'a> {
    kernel: &'a DMatrix<f64>,
    root_d: DVector<f64>,
    gamma_h: f64,
    cholesky: nalgebra::Cholesky<f64, nalgebra::Dyn>,
}

impl StageSolver<'_> {
    fn solve(&self, b: &DVector<f64>) -> DVector<f64> {
        let w = self.cholesky.solve(&b.component_mul(&self.root_d));
        b - (self.kernel * w.component_mul(&self.root_d)) * self.gamma_h
    }
}

/// dŷ/dt = −K g(ŷ) on the tracked images.
struct OutputFlow<'a> {
    kernel: &'a DMatrix<f64>,
    signs: &'a [f64],
    sd: f64,
    rtol: f64,
    atol: f64,
}

impl OutputFlow<'_> {
    /// g(ŷ): the summed loss's gradient in the outputs.
    fn gradient(&self, y: &DVector<f64>) -> DVector<f64> {
        DVector::from_iterator(
            y.len(),
            y.iter()
                .zip(self.signs)
                .map(|(v, s)| -s * logistic(-s * v) + 2.0 * self.sd * v),
        )
    }

    /// f(ŷ) = −K g(ŷ).
    fn field(&self, y: &DVector<f64>) -> DVector<f64> {
        -(self.kernel * self.gradient(y))
    }

    /// The stage solver of W = I + γh K D(ŷ) (`None` if S is not numerically positive
    /// definite).
    fn stage_solver(&self, y: &DVector<f64>, gamma_h: f64) -> Option<StageSolver<'_>> {
        let root_d = DVector::from_iterator(
            y.len(),
            y.iter()
                .zip(self.signs)
                .map(|(v, s)| (logistic_slope(s * v) + 2.0 * self.sd).sqrt()),
        );
        let n = y.len();
        let mut m = DMatrix::from_fn(n, n, |i, j| {
            gamma_h * root_d[i] * self.kernel[(i, j)] * root_d[j]
        });
        for i in 0..n {
            m[(i, i)] += 1.0;
        }
        Some(StageSolver {
            kernel: self.kernel,
            root_d,
            gamma_h,
            cholesky: m.cholesky()?,
        })
    }

    /// ŷ at `times` (increasing, the first 0) from ŷ(0) = `start`, by ROS2 with step control.
    fn outputs_at(&self, start: &[f64], times: &[f64]) -> Result<(Vec<Vec<f64>>, usize), Error> {
        let gamma = 1.0 + std::f64::consts::FRAC_1_SQRT_2;
        let mut y = DVector::from_column_slice(start);
        let mut t = times.first().copied().unwrap_or(0.0);
        let mut out = vec![start.to_vec()];
        let mut h = times.get(1).map_or(0.0, |t1| (t1 - t) * 0.1);
        let mut steps = 0;
        for &target in &times[1..] {
            while t < target {
                steps += 1;
                if steps > MAX_STEPS || !h.is_finite() || h <= 0.0 {
                    return Err(SolveError::Undefined(format!(
                        "the linearised network's flow on the tracked images stalled at λ₀t-clock t = {t:.3e} after {steps} steps; track fewer examples"
                    ))
                    .into());
                }
                let step = h.min(target - t);
                let last = step >= target - t;
                let Some(w) = self.stage_solver(&y, gamma * step) else {
                    h *= 0.25;
                    continue;
                };
                let k1 = w.solve(&self.field(&y));
                let y1 = &y + &k1 * step;
                let k2 = w.solve(&(self.field(&y1) - &k1 * 2.0));
                let next = &y + &k1 * (1.5 * step) + &k2 * (0.5 * step);
                // Difference to the embedded first-order solution y + h k1.
                let error = (&k1 + &k2) * (0.5 * step);
                let error = weighted_rms(error.as_slice(), next.as_slice(), self.rtol, self.atol);
                if !error.is_finite() || !next.iter().all(|v| v.is_finite()) {
                    h *= 0.25;
                    continue;
                }
                let factor = (0.9 / error.max(1e-10).sqrt()).clamp(0.2, 5.0);
                if error <= 1.0 {
                    y = next;
                    t = if last { target } else { t + step };
                    h = if last && factor >= 1.0 {
                        h.max(step)
                    } else {
                        step * factor
                    };
                } else {
                    h = step * factor;
                }
            }
            out.push(y.iter().copied().collect());
        }
        Ok((out, steps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::SeededRng;

    /// A kernel U diag(λ) Uᵀ with λ spanning six decades and a random orthogonal U, labels and
    /// small initial outputs, as the image networks' kernels at initialisation look.
    fn problem(n: usize) -> (DMatrix<f64>, Vec<f64>, Vec<f64>) {
        let mut rng = SeededRng::new(9);
        let a = DMatrix::from_fn(n, n, |_, _| rng.uniform() - 0.5);
        let q = a.qr().q();
        let lambda = DVector::from_fn(n, |k, _| 1e-6f64.powf(k as f64 / (n - 1) as f64));
        let kernel = &q * DMatrix::from_diagonal(&lambda) * q.transpose();
        let kernel = (&kernel + kernel.transpose()) * 0.5;
        let signs = (0..n)
            .map(|i| if i % 3 == 0 { -1.0 } else { 1.0 })
            .collect();
        let outputs = (0..n).map(|_| 0.1 * (rng.uniform() - 0.5)).collect();
        (kernel, signs, outputs)
    }

    /// The default tolerance's outputs agree with a 100× tighter integration to 1 % of the
    /// largest output at every recorded time, for ERM and SD (measured: 0.06 % and 0.14 %).
    #[test]
    fn default_tolerance_is_a_figures_accuracy() {
        let (kernel, signs, start) = problem(30);
        let times: Vec<f64> = prediction_times();
        for sd in [0.0, 1.0] {
            let run = |rtol: f64, atol: f64| {
                OutputFlow {
                    kernel: &kernel,
                    signs: &signs,
                    sd,
                    rtol,
                    atol,
                }
                .outputs_at(&start, &times)
                .unwrap()
                .0
            };
            let coarse = run(PREDICTION_RTOL, PREDICTION_ATOL);
            let fine = run(PREDICTION_RTOL / 100.0, PREDICTION_ATOL / 100.0);
            for (c, f) in coarse.iter().zip(&fine) {
                let scale = f.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let gap = c
                    .iter()
                    .zip(f)
                    .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
                assert!(
                    gap <= 1e-2 * scale,
                    "sd {sd}: gap {gap:.2e} at scale {scale:.2e}"
                );
            }
        }
    }
}
