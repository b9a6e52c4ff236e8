//! What the theory predicts for a network's responses (theory.md §7): the linearised network
//! f_lin(θ) = f₀ + J (θ − θ₀), trained on the same data with the same optimiser, loss, SD and
//! weight decay; and the z-flow M7/M8 on the tangent features Φ = J with the time scale matched
//! to SGD with momentum.
//!
//! Mapping (SGD, learning rate η, momentum μ, mean loss, n examples): one epoch is flow time
//! h = η/((1−μ) n) of the theory's summed loss at rate 1; weight decay w is L2 with λ = n·w;
//! SD c is λ = 2c. The offset b = f₀ − J θ₀ (the outputs are affine, not linear, in θ) enters
//! the responses as z = Uᵀ Y ŷ = Uᵀ Y b + S Vᵀ θ: the flow starts from z(0) = Uᵀ Y f₀, and under
//! weight decay (which pulls θ, not θ − θ₀, to 0) its L2 term is −λ (z − Uᵀ Y b) instead of −λ z;
//! with these two the z-flow equals the gradient flow of the linearised network exactly.
//!
//! At finite step the flow is only the η → 0 limit. The exact object is the optimiser's own map
//! on the outputs (theory.md §8): for f_lin = b + J θ, full-batch SGD with momentum μ, weight
//! decay w and learning rate η (PyTorch's rule, buffer B ← μB + g, θ ← θ − ηB) is, with
//! u = J B, the closed map
//!   u_{k+1} = μ u_k + K ∇ℓ(ŷ_k) + w (ŷ_k − b),   ŷ_{k+1} = ŷ_k − η u_{k+1},   u₀ = 0,
//! where ∇ℓ is the per-output gradient of the mean loss with SD (`loss_gradient`) and K = J Jᵀ.
//! It equals the trained linearised network in exact arithmetic, costs O(n²) per epoch instead
//! of O(n m), and has no time-scale matching to get wrong ([`map_outputs`]).

use nalgebra::DMatrix;

use crate::error::{Error, InputError};
use crate::flow::{ResponseFlow, Space, VectorField};
use crate::model::{FeatureModel, Regulariser, SpectralDecoupling};
use crate::solve::{Method, Output, SolveOptions, integrate};

use super::kernels::{axpy, dot};
use super::optimiser::OptimiserState;
use super::tangent::{TangentFeatures, response_basis};
use super::train::{abs_responses, loss_gradient};
use super::{Dataset, Optimiser, ResponseConvention, Training};

/// Relative tolerance of the z-flow integration.
pub const FLOW_RTOL: f64 = 1e-9;
/// Absolute tolerance of the z-flow integration.
pub const FLOW_ATOL: f64 = 1e-11;

/// Predicted |z| at the recorded epochs.
pub(crate) struct Predictions {
    pub linearised: Vec<Vec<f64>>,
    pub map: Option<Vec<Vec<f64>>>,
    pub flow: Option<Vec<Vec<f64>>>,
    pub flow_time: Option<Vec<f64>>,
}

/// The flow time of one epoch, h = η/((1−μ) n), for SGD; `None` for Adam (no flow limit of
/// this form).
pub fn flow_time_per_epoch(optimiser: &Optimiser, examples: usize) -> Option<f64> {
    match *optimiser {
        Optimiser::Sgd {
            learning_rate,
            momentum,
        } => Some(learning_rate / ((1.0 - momentum) * examples as f64)),
        Optimiser::Adam { .. } => None,
    }
}

/// The linearised network's and the z-flow's |z| at the recorded `epochs`, projected on the
/// tracked `rows` (see `train::projection_rows`).
pub(crate) fn predictions(
    data: &Dataset,
    training: &Training,
    theta0: &[f64],
    tangent: &TangentFeatures,
    rows: &[Vec<f64>],
    epochs: &[usize],
) -> Result<Predictions, Error> {
    let linearised = train_linearised(data, training, theta0, tangent, rows, epochs);
    let map = map_outputs(data, training, theta0, tangent, epochs)
        .map(|outs| outs.iter().map(|o| abs_responses(rows, o)).collect());
    let (flow, flow_time) = match flow_time_per_epoch(&training.optimiser, data.len()) {
        None => (None, None),
        Some(h) => {
            let times: Vec<f64> = epochs.iter().map(|&e| e as f64 * h).collect();
            let outputs = flow_outputs(data, training, theta0, tangent, &times)?;
            let flow = outputs.iter().map(|o| abs_responses(rows, o)).collect();
            (Some(flow), Some(times))
        }
    };
    Ok(Predictions {
        linearised,
        map,
        flow,
        flow_time,
    })
}

/// Trains f₀ + J (θ − θ₀) with the real network's optimiser, loss and regularisers; returns |z|
/// at the recorded epochs.
pub(crate) fn train_linearised(
    data: &Dataset,
    training: &Training,
    theta0: &[f64],
    tangent: &TangentFeatures,
    rows: &[Vec<f64>],
    epochs: &[usize],
) -> Vec<Vec<f64>> {
    let (n, m) = (tangent.examples, tangent.parameters);
    let j = &tangent.jacobian;
    let mut theta = theta0.to_vec();
    let mut delta = vec![0.0; m];
    let mut outputs = tangent.outputs.clone();
    let mut g = vec![0.0; n];
    let mut grad = vec![0.0; m];
    let mut optimiser = OptimiserState::new(&training.optimiser, training.weight_decay, m);
    let mut out = Vec::with_capacity(epochs.len());
    let mut next = 0;
    for epoch in 0..=training.epochs {
        for (d, (t, t0)) in delta.iter_mut().zip(theta.iter().zip(theta0)) {
            *d = t - t0;
        }
        for (i, o) in outputs.iter_mut().enumerate() {
            *o = tangent.outputs[i] + dot(&j[i * m..(i + 1) * m], &delta);
        }
        if epochs.get(next) == Some(&epoch) {
            out.push(abs_responses(rows, &outputs));
            next += 1;
        }
        if epoch == training.epochs {
            break;
        }
        loss_gradient(&outputs, &data.labels, training.sd, training.loss, &mut g);
        grad.fill(0.0);
        for (i, gi) in g.iter().enumerate() {
            axpy(*gi, &j[i * m..(i + 1) * m], &mut grad);
        }
        optimiser.step(&mut theta, &mut grad);
    }
    out
}

/// The outputs ŷ_k of the optimiser's map on the outputs (module docs) at the recorded `epochs`
/// (increasing, from 0), for SGD with or without momentum, weight decay and SD; `None` for Adam,
/// whose per-parameter scaling has no closed map on the outputs.
///
/// Against the trained linearised network the difference is round-off only: both evaluate the
/// same recursion, one as J θ_k with θ ∈ ℝᵐ, the other on ŷ directly, so after k epochs they
/// differ by the accumulated rounding of the two evaluations.
pub(crate) fn map_outputs(
    data: &Dataset,
    training: &Training,
    theta0: &[f64],
    tangent: &TangentFeatures,
    epochs: &[usize],
) -> Option<Vec<Vec<f64>>> {
    let (learning_rate, momentum) = match training.optimiser {
        Optimiser::Sgd {
            learning_rate,
            momentum,
        } => (learning_rate, momentum),
        Optimiser::Adam { .. } => return None,
    };
    let (n, m) = (tangent.examples, tangent.parameters);
    let w = training.weight_decay;
    // b = f₀ − J θ₀.
    let offset: Vec<f64> = (0..n)
        .map(|i| tangent.outputs[i] - dot(&tangent.jacobian[i * m..(i + 1) * m], theta0))
        .collect();
    let mut outputs = tangent.outputs.clone();
    let mut velocity = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut out = Vec::with_capacity(epochs.len());
    let mut next = 0;
    let last = epochs.last().copied().unwrap_or(0);
    for epoch in 0..=last {
        while epochs.get(next) == Some(&epoch) {
            out.push(outputs.clone());
            next += 1;
        }
        if epoch == last {
            break;
        }
        loss_gradient(&outputs, &data.labels, training.sd, training.loss, &mut g);
        for i in 0..n {
            let kg = dot(&tangent.kernel[i * n..(i + 1) * n], &g);
            let drive = kg + w * (outputs[i] - offset[i]);
            velocity[i] = momentum * velocity[i] + drive;
        }
        for (o, u) in outputs.iter_mut().zip(&velocity) {
            *o -= learning_rate * u;
        }
    }
    Some(out)
}

/// The z-flow with the offset: dz/dt = S² Uᵀ [α(Uz) − λ_SD U z] − λ_L2 (z − c), c = Uᵀ Y b, α the
/// loss's gradient weight (σ(−a) for the logistic loss).
struct OffsetFlow {
    inner: ResponseFlow,
    l2: f64,
    offset: Vec<f64>,
}

impl VectorField for OffsetFlow {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn eval(&self, z: &[f64], out: &mut [f64]) {
        self.inner.eval(z, out);
        if self.l2 != 0.0 {
            for ((o, zi), ci) in out.iter_mut().zip(z).zip(&self.offset) {
                *o -= self.l2 * (zi - ci);
            }
        }
    }
    fn jacobian(&self, z: &[f64], out: &mut DMatrix<f64>) {
        self.inner.jacobian(z, out);
        for i in 0..self.dim() {
            out[(i, i)] -= self.l2;
        }
    }
    fn response_dim(&self) -> usize {
        self.inner.response_dim()
    }
    fn responses(&self, state: &[f64], out: &mut [f64]) {
        out.copy_from_slice(state);
    }
    fn space(&self) -> Space {
        Space::Responses
    }
}

/// The outputs ŷ(t) = Y U z(t) of the z-flow at `times` (the first must be 0).
pub(crate) fn flow_outputs(
    data: &Dataset,
    training: &Training,
    theta0: &[f64],
    tangent: &TangentFeatures,
    times: &[f64],
) -> Result<Vec<Vec<f64>>, Error> {
    let n = tangent.examples;
    let m = tangent.parameters;
    let y = &data.labels;
    let basis = response_basis(&tangent.kernel, y, ResponseConvention::Theory);
    let u = &basis.vectors;
    let s_max = basis.spectrum.first().copied().unwrap_or(0.0);
    // Zero singular values (rank deficiency) are raised to a negligible floor: their responses
    // then move by at most floor² · t, far below any tolerance.
    let floor = (s_max * 1e-9).max(f64::MIN_POSITIVE);
    let strengths: Vec<f64> = basis.spectrum.iter().map(|s| s.max(floor)).collect();
    let sd = training.sd;
    let model = FeatureModel::from_coupling(strengths, u.clone(), Some(y.clone()))?
        .with_loss(training.loss);
    // Weight decay is applied by `OffsetFlow` (with the offset); the model carries SD or nothing.
    let model = model.with_regulariser(if sd > 0.0 {
        Regulariser::SpectralDecoupling(SpectralDecoupling::uniform(2.0 * sd))
    } else {
        Regulariser::None
    })?;
    // Y b = Y (f₀ − J θ₀); c = Uᵀ Y b; z(0) = Uᵀ Y f₀.
    let mut yb = vec![0.0; n];
    let mut yf = vec![0.0; n];
    for i in 0..n {
        let jt = dot(&tangent.jacobian[i * m..(i + 1) * m], theta0);
        yb[i] = y[i] * (tangent.outputs[i] - jt);
        yf[i] = y[i] * tangent.outputs[i];
    }
    let project =
        |v: &[f64]| -> Vec<f64> { (0..n).map(|k| dot(u.column(k).as_slice(), v)).collect() };
    let offset = project(&yb);
    let z0 = project(&yf);
    let field = OffsetFlow {
        inner: ResponseFlow::new(&model),
        l2: data.len() as f64 * training.weight_decay,
        offset,
    };
    let t_end = *times.last().unwrap_or(&0.0);
    let to_outputs = |z: &[f64]| -> Vec<f64> {
        let mut a = vec![0.0; n];
        for (k, zk) in z.iter().enumerate() {
            axpy(*zk, u.column(k).as_slice(), &mut a);
        }
        a.iter().zip(y).map(|(a, y)| a * y).collect()
    };
    let mut out = Vec::with_capacity(times.len());
    out.push(to_outputs(&z0));
    if t_end <= 0.0 {
        return Ok(out);
    }
    let later: Vec<f64> = times[1..].to_vec();
    let mut options = SolveOptions::until(t_end)
        .tolerances(FLOW_RTOL, FLOW_ATOL)
        .output(Output::Times(later.clone()));
    options.max_steps = 5_000_000;
    let trajectory = integrate(&field, &z0, Method::Auto, &options)?;
    let mut at = 0;
    for t in later {
        while at < trajectory.times.len() && trajectory.times[at] < t - 1e-12 * t.abs().max(1.0) {
            at += 1;
        }
        let Some(z) = trajectory.states.get(at) else {
            return Err(InputError::new(
                "tracking.predictions",
                format!("the z-flow did not reach t = {t}; lower the number of epochs"),
            )
            .into());
        };
        out.push(to_outputs(z));
    }
    Ok(out)
}
