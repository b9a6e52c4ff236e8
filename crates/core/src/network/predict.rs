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
//!
//! Minibatches (theory.md §9): with the same batches B as the network (the seed's
//! [`BatchSchedule`]), each step's drive is (1/|B|) K[:, B] ∇ℓ_B(ŷ_k) + w (ŷ_k − b) — the
//! stochastic map, still exact per seed. Its diffusion approximation ([`MinibatchDiffusion`])
//! is the SDE dŷ = f(ŷ) dt + √h_SGD G(ŷ) dW in the time t = η·steps/(1−μ), whose noise has the
//! covariance of one minibatch gradient drawn without replacement; ensembles of its
//! Euler–Maruyama paths give the mean and spread of |z_k|.

use nalgebra::DMatrix;

use crate::error::{Error, InputError};
use crate::flow::{ResponseFlow, Space, VectorField};
use crate::model::{FeatureModel, LossModel, Regulariser, SpectralDecoupling};
use crate::solve::{Method, Output, SolveOptions, integrate};

use super::batches::BatchSchedule;
use super::kernels::{axpy, dot};
use super::optimiser::OptimiserState;
use super::tangent::{TangentFeatures, response_basis};
use super::train::{abs_responses, loss_gradient};
use super::{Dataset, Optimiser, ResponseConvention, SdeOptions, SdeTrack, Training};
use crate::sde::{Diffusion, check_step, ensemble};

/// Mixed into the network's seed for the SDE ensemble's paths (independent of the
/// initialisation, dropout and batch streams).
pub const SDE_STREAM: u64 = 0x5DE0_D1FF_0510_0003;

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
    pub sde: Option<SdeTrack>,
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

/// The linearised network's, the map's, the z-flow's and (with `sde`) the diffusion's |z| at
/// the recorded epochs, projected on the tracked `rows` (see `train::projection_rows`); the
/// batches are those of `seed`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn predictions(
    data: &Dataset,
    training: &Training,
    seed: u64,
    theta0: &[f64],
    tangent: &TangentFeatures,
    rows: &[Vec<f64>],
    epochs: &[usize],
    sde: Option<&SdeOptions>,
) -> Result<Predictions, Error> {
    let linearised = train_linearised(data, training, seed, theta0, tangent, rows, epochs);
    let map = map_outputs(data, training, seed, theta0, tangent, epochs)
        .map(|outs| outs.iter().map(|o| abs_responses(rows, o)).collect());
    let steps = BatchSchedule::new(
        data.len(),
        training.batch_size,
        training.batch_sampling,
        seed,
    )
    .steps_per_epoch();
    let (flow, flow_time) = match flow_time_per_epoch(&training.optimiser, data.len()) {
        None => (None, None),
        Some(h) => {
            let times: Vec<f64> = epochs.iter().map(|&e| (e * steps) as f64 * h).collect();
            let outputs = flow_outputs(data, training, theta0, tangent, &times)?;
            let flow = outputs.iter().map(|o| abs_responses(rows, o)).collect();
            (Some(flow), Some(times))
        }
    };
    let sde = match sde {
        None => None,
        Some(options) => Some(sde_responses(
            data, training, seed, theta0, tangent, rows, epochs, options,
        )?),
    };
    Ok(Predictions {
        linearised,
        map,
        flow,
        flow_time,
        sde,
    })
}

/// b = f₀ − J θ₀.
fn output_offset(tangent: &TangentFeatures, theta0: &[f64]) -> Vec<f64> {
    let (n, m) = (tangent.examples, tangent.parameters);
    (0..n)
        .map(|i| tangent.outputs[i] - dot(&tangent.jacobian[i * m..(i + 1) * m], theta0))
        .collect()
}

/// The minibatch diffusion (theory.md §9) in the outputs ŷ of the linearised network, in the
/// time t = η·steps/(1−μ) of the mean loss:
///   dŷ = f(ŷ) dt + √h_SGD · G(ŷ) dW,  f(ŷ) = −(1/n) K g(ŷ) − w (ŷ − b),
///   G(ŷ) dW = −√(q/n) · K (g(ŷ) ⊙ (dW − mean(dW))),  q = (n − B)/((n − 1) B),
/// with g_i = −y_i α(y_i ŷ_i) + 2c ŷ_i the per-example loss gradient (α = −ℓ′, σ(−a) for the
/// logistic loss) and h_SGD = η/(1−μ):
/// G Gᵀ is the covariance of one minibatch gradient (1/B) Σ_{i∈B} K[:, i] g_i drawn without
/// replacement, so one SDE step of length h_SGD has the SGD step's mean and covariance.
#[derive(Debug, Clone)]
pub struct MinibatchDiffusion<'a> {
    kernel: &'a [f64],
    labels: &'a [f64],
    offset: Vec<f64>,
    sd: f64,
    loss: LossModel,
    weight_decay: f64,
    noise_scale: f64,
}

impl<'a> MinibatchDiffusion<'a> {
    /// The diffusion of batch size `batch` for the kernel K (n × n row-major), labels, offset b
    /// (f₀ − J θ₀), SD c, the per-example loss, weight decay w and SGD step h_SGD = η/(1−μ).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kernel: &'a [f64],
        labels: &'a [f64],
        offset: Vec<f64>,
        sd: f64,
        loss: LossModel,
        weight_decay: f64,
        sgd_step: f64,
        batch: usize,
    ) -> Self {
        let n = labels.len();
        let b = batch.clamp(1, n.max(1));
        let q = if n > 1 {
            (n - b) as f64 / ((n - 1) as f64 * b as f64)
        } else {
            0.0
        };
        Self {
            kernel,
            labels,
            offset,
            sd,
            loss,
            weight_decay,
            noise_scale: (sgd_step * q / n.max(1) as f64).sqrt(),
        }
    }

    /// A bound L on |λ| of the drift's Jacobian −(1/n) K D − w I (D = diag(∂g_i/∂ŷ_i) with
    /// entries in [0, κ_max + 2c], κ_max the loss's largest curvature: 1/4 logistic and
    /// quadratic, 1 squared and smooth hinge): L = λ_max(K)(κ_max + 2c)/n + w. `None` for a
    /// loss of unbounded curvature (the exponential tail).
    pub fn lambda_bound(
        kernel: &[f64],
        n: usize,
        sd: f64,
        loss: LossModel,
        weight_decay: f64,
    ) -> Option<f64> {
        let curvature = match loss {
            LossModel::Exact | LossModel::Quadratic => 0.25,
            LossModel::Squared | LossModel::SmoothHinge => 1.0,
            LossModel::ExponentialTail => return None,
        };
        let k = DMatrix::from_row_slice(n, n, kernel);
        let top = k
            .symmetric_eigenvalues()
            .iter()
            .fold(0.0f64, |a, &b| a.max(b));
        Some(top * (curvature + 2.0 * sd) / n as f64 + weight_decay)
    }

    fn per_example_gradient(&self, y: &[f64], out: &mut [f64]) {
        for ((g, o), l) in out.iter_mut().zip(y).zip(self.labels) {
            *g = -l * self.loss.weight(l * o) + 2.0 * self.sd * o;
        }
    }
}

impl Diffusion for MinibatchDiffusion<'_> {
    fn dim(&self) -> usize {
        self.labels.len()
    }
    fn noise_dim(&self) -> usize {
        self.labels.len()
    }
    fn drift(&self, y: &[f64], out: &mut [f64]) {
        let n = self.labels.len();
        let mut g = vec![0.0; n];
        self.per_example_gradient(y, &mut g);
        for i in 0..n {
            out[i] = -dot(&self.kernel[i * n..(i + 1) * n], &g) / n as f64
                - self.weight_decay * (y[i] - self.offset[i]);
        }
    }
    fn add_noise(&self, y: &[f64], dw: &[f64], out: &mut [f64]) {
        let n = self.labels.len();
        let mut g = vec![0.0; n];
        self.per_example_gradient(y, &mut g);
        let mean = dw.iter().sum::<f64>() / n as f64;
        for (gi, w) in g.iter_mut().zip(dw) {
            *gi *= self.noise_scale * (w - mean);
        }
        for (i, o) in out.iter_mut().enumerate() {
            *o -= dot(&self.kernel[i * n..(i + 1) * n], &g);
        }
    }
    /// One mat-vec: −K (g ⊙ (h/n + s (dW − mean dW))) − h w (ŷ − b).
    fn increment(&self, y: &[f64], h: f64, dw: &[f64], out: &mut [f64]) {
        let n = self.labels.len();
        let mut g = vec![0.0; n];
        self.per_example_gradient(y, &mut g);
        let mean = dw.iter().sum::<f64>() / n as f64;
        let drift = h / n as f64;
        for (gi, w) in g.iter_mut().zip(dw) {
            *gi *= drift + self.noise_scale * (w - mean);
        }
        for i in 0..n {
            out[i] = -dot(&self.kernel[i * n..(i + 1) * n], &g)
                - h * self.weight_decay * (y[i] - self.offset[i]);
        }
    }
}

/// h_SGD = η/(1−μ) for SGD (None for Adam).
fn sgd_step(optimiser: &Optimiser) -> Option<f64> {
    match *optimiser {
        Optimiser::Sgd {
            learning_rate,
            momentum,
        } => Some(learning_rate / (1.0 - momentum)),
        Optimiser::Adam { .. } => None,
    }
}

/// The SDE step h = h_SGD/substeps, refused when h·L ≥ 2 (L from
/// [`MinibatchDiffusion::lambda_bound`] on the tangent kernel of `seed` at initialisation).
pub fn check_sde_step(
    data: &Dataset,
    training: &Training,
    options: &SdeOptions,
    kernel: &[f64],
) -> Result<f64, InputError> {
    let Some(h_sgd) = sgd_step(&training.optimiser) else {
        return Err(InputError::new(
            "tracking.sde",
            "is the diffusion approximation of SGD; Adam has none",
        ));
    };
    let h = h_sgd / options.substeps as f64;
    let Some(l) = MinibatchDiffusion::lambda_bound(
        kernel,
        data.len(),
        training.sd,
        training.loss,
        training.weight_decay,
    ) else {
        return Err(InputError::new(
            "tracking.sde",
            "has no stability bound with the exponential-tail loss (its curvature e^(−a) is unbounded); use another training.loss or drop tracking.sde",
        ));
    };
    let needed = (h_sgd * l / crate::sde::EULER_MARUYAMA_BOUND).floor() as usize + 1;
    check_step(
        h,
        l,
        "tracking.sde.substeps",
        &format!("give substeps ≥ {needed} (or a smaller learning rate)"),
    )?;
    Ok(h)
}

/// The diffusion's ensemble mean and spread of |z_k| at the recorded epochs.
#[allow(clippy::too_many_arguments)]
fn sde_responses(
    data: &Dataset,
    training: &Training,
    seed: u64,
    theta0: &[f64],
    tangent: &TangentFeatures,
    rows: &[Vec<f64>],
    epochs: &[usize],
    options: &SdeOptions,
) -> Result<SdeTrack, Error> {
    let h = check_sde_step(data, training, options, &tangent.kernel)?;
    let n = data.len();
    let schedule = BatchSchedule::new(n, training.batch_size, training.batch_sampling, seed);
    let h_sgd = h * options.substeps as f64;
    let field = MinibatchDiffusion::new(
        &tangent.kernel,
        &data.labels,
        output_offset(tangent, theta0),
        training.sd,
        training.loss,
        training.weight_decay,
        h_sgd,
        schedule.size(),
    );
    let per_epoch = schedule.steps_per_epoch() * options.substeps;
    // Full batch: no noise (q = 0), every path is the same; one is run.
    let paths = if schedule.is_full() { 1 } else { options.paths };
    let records: Vec<usize> = epochs.iter().map(|&e| e * per_epoch).collect();
    let stats = ensemble(
        &field,
        &tangent.outputs,
        h,
        &records,
        paths,
        seed ^ SDE_STREAM,
        |y| abs_responses(rows, y),
    )
    .ok_or_else(|| {
        Error::from(crate::error::SolveError::NonFinite {
            method: "Euler–Maruyama (the minibatch SDE left the range of f64; raise tracking.sde.substeps)".into(),
            t: 0.0,
        })
    })?;
    Ok(SdeTrack {
        mean: stats.mean,
        spread: stats.spread,
        paths: stats.paths,
        step: h,
        steps_per_epoch: per_epoch,
    })
}

/// Trains f₀ + J (θ − θ₀) with the real network's optimiser, loss and regularisers; returns |z|
/// at the recorded epochs.
pub(crate) fn train_linearised(
    data: &Dataset,
    training: &Training,
    seed: u64,
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
    let mut schedule = BatchSchedule::new(n, training.batch_size, training.batch_sampling, seed);
    let full = schedule.is_full();
    let (mut batch_outputs, mut batch_labels) = (Vec::new(), Vec::new());
    let mut out = Vec::with_capacity(epochs.len());
    let mut next = 0;
    for epoch in 0..=training.epochs {
        let recording = epochs.get(next) == Some(&epoch);
        if full || recording {
            for (d, (t, t0)) in delta.iter_mut().zip(theta.iter().zip(theta0)) {
                *d = t - t0;
            }
            for (i, o) in outputs.iter_mut().enumerate() {
                *o = tangent.outputs[i] + dot(&j[i * m..(i + 1) * m], &delta);
            }
        }
        if recording {
            out.push(abs_responses(rows, &outputs));
            next += 1;
        }
        if epoch == training.epochs {
            break;
        }
        if full {
            loss_gradient(&outputs, &data.labels, training.sd, training.loss, &mut g);
            grad.fill(0.0);
            for (i, gi) in g.iter().enumerate() {
                axpy(*gi, &j[i * m..(i + 1) * m], &mut grad);
            }
            optimiser.step(&mut theta, &mut grad);
            continue;
        }
        for batch in schedule.next_epoch() {
            for (d, (t, t0)) in delta.iter_mut().zip(theta.iter().zip(theta0)) {
                *d = t - t0;
            }
            batch_outputs.clear();
            batch_labels.clear();
            for &i in batch {
                batch_outputs.push(tangent.outputs[i] + dot(&j[i * m..(i + 1) * m], &delta));
                batch_labels.push(data.labels[i]);
            }
            let gb = &mut g[..batch.len()];
            loss_gradient(
                &batch_outputs,
                &batch_labels,
                training.sd,
                training.loss,
                gb,
            );
            grad.fill(0.0);
            for (gi, &i) in gb.iter().zip(batch) {
                axpy(*gi, &j[i * m..(i + 1) * m], &mut grad);
            }
            optimiser.step(&mut theta, &mut grad);
        }
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
    seed: u64,
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
    let n = tangent.examples;
    let w = training.weight_decay;
    let offset = output_offset(tangent, theta0);
    let mut outputs = tangent.outputs.clone();
    let mut velocity = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut schedule = BatchSchedule::new(n, training.batch_size, training.batch_sampling, seed);
    let full = schedule.is_full();
    let (mut batch_outputs, mut batch_labels) = (Vec::new(), Vec::new());
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
        if full {
            loss_gradient(&outputs, &data.labels, training.sd, training.loss, &mut g);
            for i in 0..n {
                let kg = dot(&tangent.kernel[i * n..(i + 1) * n], &g);
                let drive = kg + w * (outputs[i] - offset[i]);
                velocity[i] = momentum * velocity[i] + drive;
            }
            for (o, u) in outputs.iter_mut().zip(&velocity) {
                *o -= learning_rate * u;
            }
            continue;
        }
        // The stochastic map: u ← μ u + (1/|B|) K[:, B] ∇ℓ_B(ŷ) + w (ŷ − b), ŷ ← ŷ − η u.
        for batch in schedule.next_epoch() {
            batch_outputs.clear();
            batch_labels.clear();
            for &i in batch {
                batch_outputs.push(outputs[i]);
                batch_labels.push(data.labels[i]);
            }
            let gb = &mut g[..batch.len()];
            loss_gradient(
                &batch_outputs,
                &batch_labels,
                training.sd,
                training.loss,
                gb,
            );
            for i in 0..n {
                let row = &tangent.kernel[i * n..(i + 1) * n];
                let kg: f64 = gb.iter().zip(batch).map(|(gj, &j)| row[j] * gj).sum();
                let drive = kg + w * (outputs[i] - offset[i]);
                velocity[i] = momentum * velocity[i] + drive;
            }
            for (o, u) in outputs.iter_mut().zip(&velocity) {
                *o -= learning_rate * u;
            }
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
