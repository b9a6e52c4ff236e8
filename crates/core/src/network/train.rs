//! Full-batch training of one network per seed, with the recording of loss, responses z and
//! kernel drift (theory.md §7), and the checks of a training configuration.

use rayon::prelude::*;

use crate::error::{Error, InputError, SolveError};
use crate::model::LossModel;
use crate::numerics::SeededRng;

use super::batches::BatchSchedule;
use super::kernels::{FusedInput, TwoLayer, TwoLayerGrad, fused_two_layer};
use super::mlp::{Cache, Mlp, Mode, RunningStats};
use super::optimiser::OptimiserState;
use super::tangent::{kernel, relative_change, response_basis, tangent_features};
use super::{
    Dataset, Optimiser, ResponseConvention, ResponseTrack, Tracking, TrainedNetwork, Training,
    TrainingRecord, predict,
};

/// Number of epochs (spread evenly over the recorded ones, first and last included) at which
/// the kernel drift ‖K_t − K_0‖_F/‖K_0‖_F is measured; each costs a kernel evaluation.
pub const KERNEL_DRIFT_POINTS: usize = 11;
/// Largest hidden width accepted.
pub const MAX_WIDTH: usize = 100_000;
/// Largest number of epochs of one training run.
pub const MAX_EPOCHS: usize = 10_000_000;
/// Largest Jacobian (n × m entries) that tracking may build.
pub const MAX_JACOBIAN_ENTRIES: usize = 200_000_000;
/// Epochs between two progress reports.
const PROGRESS_EVERY: usize = 256;
/// Mixed into the seed for the dropout stream (independent of the initialisation stream).
const DROPOUT_STREAM: u64 = 0xD50F_0A7E_11A5_0001;

/// Largest SDE ensemble per seed.
pub const MAX_SDE_PATHS: usize = 100_000;
/// Largest data set of the SDE (its steps cost n² each).
pub const MAX_SDE_EXAMPLES: usize = 5_000;
/// Largest number of SDE steps per SGD step.
pub const MAX_SDE_SUBSTEPS: usize = 1_000;

/// Mean loss with SD: mean(ℓ(yŷ)) + c·mean(ŷ²), ℓ the per-example loss (the logistic
/// log(1 + e^(−yŷ)) for `LossModel::Exact`, ½(yŷ − 1)² for `Squared`, …).
pub(crate) fn mean_loss(outputs: &[f64], labels: &[f64], sd: f64, loss: LossModel) -> f64 {
    let n = outputs.len() as f64;
    outputs
        .iter()
        .zip(labels)
        .map(|(o, y)| loss.loss(y * o) + sd * o * o)
        .sum::<f64>()
        / n
}

/// ∂loss/∂ŷ_i = (−y_i α(y_i ŷ_i) + 2c ŷ_i)/n, α = −ℓ′ the loss's gradient weight (σ(−a) for
/// the logistic loss, 1 − a for the squared loss).
pub(crate) fn loss_gradient(
    outputs: &[f64],
    labels: &[f64],
    sd: f64,
    loss: LossModel,
    out: &mut [f64],
) {
    let inv_n = 1.0 / outputs.len() as f64;
    for ((g, o), y) in out.iter_mut().zip(outputs).zip(labels) {
        *g = (-y * loss.weight(y * o) + 2.0 * sd * o) * inv_n;
    }
}

/// The recorded epochs: 0, every, 2·every, …, and the last.
pub(crate) fn recorded_epochs(epochs: usize, every: usize) -> Vec<usize> {
    let mut out: Vec<usize> = (0..=epochs).step_by(every.max(1)).collect();
    if out.last() != Some(&epochs) {
        out.push(epochs);
    }
    out
}

/// How many epochs [`recorded_epochs`] lists, without listing them.
pub(crate) fn recorded_epochs_count(epochs: usize, every: usize) -> usize {
    let every = every.max(1);
    epochs / every + 1 + usize::from(!epochs.is_multiple_of(every))
}

/// Positions (in `recorded`) where the kernel drift is measured.
fn drift_positions(recorded: usize) -> Vec<usize> {
    if recorded <= KERNEL_DRIFT_POINTS {
        return (0..recorded).collect();
    }
    let mut out: Vec<usize> = (0..KERNEL_DRIFT_POINTS)
        .map(|k| k * (recorded - 1) / (KERNEL_DRIFT_POINTS - 1))
        .collect();
    out.dedup();
    out
}

/// Checks a training configuration against a data set.
pub(crate) fn check_training(data: &Dataset, training: &Training) -> Result<(), InputError> {
    super::data::check_dataset(data)?;
    let arch = &training.architecture;
    for (i, w) in arch.hidden.iter().enumerate() {
        if *w == 0 || *w > MAX_WIDTH {
            return Err(InputError::new(
                format!("architecture.hidden[{i}]"),
                format!(
                    "is {w}; every hidden width must be between 1 and {MAX_WIDTH} (the paper: 500)"
                ),
            ));
        }
    }
    if !(arch.dropout.is_finite() && (0.0..1.0).contains(&arch.dropout)) {
        return Err(InputError::new(
            "architecture.dropout",
            format!(
                "is {}; give a probability in [0, 1) (0 = no dropout; the paper's Figure 3 uses 0.7)",
                arch.dropout
            ),
        ));
    }
    if arch.batch_norm && !arch.hidden.is_empty() && data.len() < 2 {
        return Err(InputError::new(
            "architecture.batch_norm",
            "needs at least 2 examples (batch statistics); add examples or turn batch norm off",
        ));
    }
    training.optimiser.check()?;
    if training.epochs == 0 || training.epochs > MAX_EPOCHS {
        return Err(InputError::new(
            "epochs",
            format!(
                "is {}; give a number of epochs between 1 and {MAX_EPOCHS}",
                training.epochs
            ),
        ));
    }
    if !(training.weight_decay.is_finite() && training.weight_decay >= 0.0) {
        return Err(InputError::new(
            "weight_decay",
            format!(
                "is {}; give a finite number ≥ 0 (0 = none; Figure 2 uses 2e-4)",
                training.weight_decay
            ),
        ));
    }
    if let Some(b) = training.batch_size
        && (b == 0 || b > data.len())
    {
        return Err(InputError::new(
            "batch_size",
            format!(
                "is {b}; give a batch size between 1 and the {} examples (leave it out for full batch)",
                data.len()
            ),
        ));
    }
    if let Some(b) = training.batch_size
        && arch.batch_norm
        && b < data.len()
        && (b == 1
            || (training.batch_sampling == super::BatchSampling::Reshuffle && data.len() % b == 1))
    {
        return Err(InputError::new(
            "batch_size",
            format!(
                "is {b}, which leaves a batch of one example (n = {}), where batch norm has no batch statistics; choose a batch size whose last batch holds at least 2",
                data.len()
            ),
        ));
    }
    if !(training.sd.is_finite() && training.sd >= 0.0) {
        return Err(InputError::new(
            "sd",
            format!(
                "is {}; give a finite number ≥ 0 (0 = none; the paper uses 0.003)",
                training.sd
            ),
        ));
    }
    Ok(())
}

/// Checks what tracking asks for against the data set and the network.
pub(crate) fn check_tracking(
    data: &Dataset,
    training: &Training,
    tracking: &Tracking,
) -> Result<(), InputError> {
    let n = data.len();
    if let Some(i) = tracking.indices.iter().position(|&k| k >= n) {
        return Err(InputError::new(
            format!("tracking.indices[{i}]"),
            format!(
                "is {} but there are only {n} eigenvectors (indices count from 0 up to {})",
                tracking.indices[i],
                n - 1
            ),
        ));
    }
    if tracking.every == 0 {
        return Err(InputError::new(
            "tracking.every",
            "must be ≥ 1 (record every this many epochs)",
        ));
    }
    if let Some(sde) = &tracking.sde {
        if !tracking.predictions {
            return Err(InputError::new(
                "tracking.sde",
                "needs `\"predictions\": true` (the SDE is a prediction from the tangent kernel); set it or remove `sde`",
            ));
        }
        if !matches!(training.optimiser, Optimiser::Sgd { .. }) {
            return Err(InputError::new(
                "tracking.sde",
                "is the diffusion approximation of SGD; Adam has none (use an SGD optimiser or remove `sde`)",
            ));
        }
        if n > MAX_SDE_EXAMPLES {
            return Err(InputError::new(
                "tracking.sde",
                format!(
                    "needs n × n work per path and step; {n} examples is more than {MAX_SDE_EXAMPLES} (use fewer examples or remove `sde`)"
                ),
            ));
        }
        if !(2..=MAX_SDE_PATHS).contains(&sde.paths) {
            return Err(InputError::new(
                "tracking.sde.paths",
                format!(
                    "is {}; give between 2 and {MAX_SDE_PATHS} paths per seed (e.g. 32)",
                    sde.paths
                ),
            ));
        }
        if !(1..=MAX_SDE_SUBSTEPS).contains(&sde.substeps) {
            return Err(InputError::new(
                "tracking.sde.substeps",
                format!(
                    "is {}; give between 1 and {MAX_SDE_SUBSTEPS} Euler–Maruyama steps per SGD step",
                    sde.substeps
                ),
            ));
        }
    }
    let m = Mlp::new(data.dimension, &training.architecture).parameters;
    if n.saturating_mul(m) > MAX_JACOBIAN_ENTRIES {
        return Err(InputError::new(
            "tracking",
            format!(
                "needs the n × m = {n} × {m} Jacobian, more than {MAX_JACOBIAN_ENTRIES} entries; use fewer examples or a narrower network"
            ),
        ));
    }
    Ok(())
}

/// Trains every seed (in parallel) after checking the input; `progress(k, epochs)` reports the
/// epochs done by the k-th seed (0 when it starts).
pub(crate) fn train_seeds(
    data: &Dataset,
    training: &Training,
    seeds: &[u64],
    tracking: Option<&Tracking>,
    progress: &(dyn Fn(usize, u64) + Sync),
) -> Result<Vec<TrainingRecord>, Error> {
    check_training(data, training)?;
    if let Some(t) = tracking {
        check_tracking(data, training, t)?;
    }
    if seeds.is_empty() {
        return Err(InputError::new("seeds", "is empty; give at least one seed").into());
    }
    super::memory::check_memory(
        data,
        training,
        tracking,
        seeds.len(),
        rayon::current_num_threads(),
        "training",
    )?;
    seeds
        .par_iter()
        .enumerate()
        .map(|(k, &seed)| {
            progress(k, 0);
            train_one(data, training, seed, tracking, &|epochs| {
                progress(k, epochs)
            })
        })
        .collect()
}

/// One network's training state.
pub(crate) struct Trainer<'a> {
    data: &'a Dataset,
    training: &'a Training,
    pub mlp: Mlp,
    pub theta: Vec<f64>,
    pub stats: RunningStats,
    optimiser: OptimiserState,
    rng: SeededRng,
    cache: Cache,
    grad: Vec<f64>,
    output_grad: Vec<f64>,
    row: Vec<f64>,
    batch_points: Vec<f64>,
    batch_labels: Vec<f64>,
    /// The effective parameters of the pass (NTK parameterisation only; empty otherwise).
    effective: Vec<f64>,
}

impl<'a> Trainer<'a> {
    /// A network initialised from `seed`.
    pub(super) fn new(data: &'a Dataset, training: &'a Training, seed: u64) -> Self {
        let mlp = Mlp::new(data.dimension, &training.architecture);
        let theta = mlp.initialise(seed);
        let stats = mlp.initial_stats();
        let optimiser =
            OptimiserState::new(&training.optimiser, training.weight_decay, mlp.parameters);
        let width = training.architecture.hidden.first().copied().unwrap_or(0);
        Self {
            data,
            training,
            grad: vec![0.0; mlp.parameters],
            mlp,
            theta,
            stats,
            optimiser,
            rng: SeededRng::new(seed ^ DROPOUT_STREAM),
            cache: Cache::default(),
            output_grad: vec![0.0; data.len()],
            row: vec![0.0; width.max(super::kernels::column_scratch(data.len(), width))],
            batch_points: Vec::new(),
            batch_labels: Vec::new(),
            effective: Vec::new(),
        }
    }

    fn fused(&self) -> bool {
        self.mlp.is_plain() && self.mlp.hidden() == 1
    }

    /// The training-mode outputs ŷ(θ) and ∂loss/∂θ (in `self.grad`) on the whole data set;
    /// returns the training loss.
    pub(super) fn gradient(&mut self) -> f64 {
        // In the NTK parameterisation the passes run on the effective parameters (W/√p, b)
        // and the gradient is scaled back to θ at the end.
        let data = self.data;
        self.gradient_in_theta(&data.points, &data.labels)
    }

    /// The gradient on `points` and `labels` with respect to θ: the passes run on the effective
    /// parameters (NTK) and the gradient is scaled back.
    fn gradient_in_theta(&mut self, points: &[f64], labels: &[f64]) -> f64 {
        if !self.mlp.is_standard() {
            self.mlp.effective_into(&self.theta, &mut self.effective);
        }
        let loss = self.gradient_at(points, labels);
        self.mlp.scale_gradient(&mut self.grad);
        loss
    }

    /// [`Trainer::gradient`] on the examples `batch` (the mean loss over the batch).
    pub(super) fn gradient_on(&mut self, batch: &[usize]) -> f64 {
        let data = self.data;
        let d = data.dimension;
        let mut points = std::mem::take(&mut self.batch_points);
        let mut labels = std::mem::take(&mut self.batch_labels);
        points.clear();
        labels.clear();
        for &i in batch {
            points.extend_from_slice(&data.points[i * d..(i + 1) * d]);
            labels.push(data.labels[i]);
        }
        let loss = self.gradient_in_theta(&points, &labels);
        self.batch_points = points;
        self.batch_labels = labels;
        loss
    }

    fn gradient_at(&mut self, points: &[f64], labels: &[f64]) -> f64 {
        let data = self.data;
        let sd = self.training.sd;
        let examples = labels.len();
        let loss_model = self.training.loss;
        let theta: &[f64] = if self.mlp.is_standard() {
            &self.theta
        } else {
            &self.effective
        };
        if self.fused() {
            let d = data.dimension;
            let h = self.mlp.layers[0].outputs;
            let (w1, rest) = theta.split_at(d * h);
            let (b1, rest) = rest.split_at(h);
            let (w2, rest) = rest.split_at(h);
            let net = TwoLayer {
                w1,
                b1,
                w2,
                b2: rest[0],
            };
            let (gw1, rest) = self.grad.split_at_mut(d * h);
            let (gb1, rest) = rest.split_at_mut(h);
            let (gw2, rest) = rest.split_at_mut(h);
            let mut grad = TwoLayerGrad {
                w1: gw1,
                b1: gb1,
                w2: gw2,
                b2: &mut rest[0],
            };
            let input = FusedInput {
                points,
                labels,
                dimension: d,
                width: h,
                sd,
                loss: loss_model,
            };
            self.cache.outputs.resize(examples, 0.0);
            return fused_two_layer(
                &input,
                &net,
                &mut grad,
                &mut self.cache.outputs,
                &mut self.row,
            );
        }
        self.output_grad.resize(examples, 0.0);
        self.mlp.forward(
            theta,
            points,
            &mut self.stats,
            &mut Mode::Train(&mut self.rng),
            &mut self.cache,
        );
        loss_gradient(
            &self.cache.outputs,
            labels,
            sd,
            loss_model,
            &mut self.output_grad,
        );
        self.mlp.backward(
            theta,
            points,
            &self.output_grad,
            true,
            &mut self.cache,
            Some(&mut self.grad),
        );
        mean_loss(&self.cache.outputs, labels, sd, loss_model)
    }

    /// Restarts the dropout stream from `seed`.
    pub(super) fn reseed_dropout(&mut self, seed: u64) {
        self.rng = SeededRng::new(seed ^ DROPOUT_STREAM);
    }

    /// ∂loss/∂θ of the last `gradient` call.
    pub(super) fn gradient_vector(&self) -> &[f64] {
        &self.grad
    }

    /// The outputs of the last `gradient` call.
    pub(super) fn last_outputs(&self) -> &[f64] {
        &self.cache.outputs
    }

    /// One optimiser step with the gradient of the last `gradient` call.
    pub(super) fn step(&mut self) {
        self.optimiser.step(&mut self.theta, &mut self.grad);
    }

    /// Evaluation-mode outputs at `points`.
    pub(super) fn evaluate(&self, points: &[f64]) -> Vec<f64> {
        evaluate(&self.mlp, &self.theta, &self.stats, points)
    }
}

/// Evaluation-mode outputs of a network at `points`.
pub(crate) fn evaluate(mlp: &Mlp, theta: &[f64], stats: &RunningStats, points: &[f64]) -> Vec<f64> {
    let mut cache = Cache::default();
    let mut stats = stats.clone();
    let theta = mlp.effective(theta);
    mlp.forward(&theta, points, &mut stats, &mut Mode::Eval, &mut cache);
    cache.outputs
}

/// The tracked basis vectors as contiguous rows (label-signed for the theory convention), so
/// that z_k = Σ_i row_k[i] ŷ_i.
pub(crate) fn projection_rows(
    basis: &nalgebra::DMatrix<f64>,
    indices: &[usize],
    labels: &[f64],
    convention: ResponseConvention,
) -> Vec<Vec<f64>> {
    indices
        .iter()
        .map(|&k| {
            basis
                .column(k)
                .iter()
                .zip(labels)
                .map(|(u, y)| match convention {
                    ResponseConvention::Kernel => *u,
                    ResponseConvention::Theory => u * y,
                })
                .collect()
        })
        .collect()
}

/// |z_k| = |row_k · ŷ| for every tracked k.
pub(crate) fn abs_responses(rows: &[Vec<f64>], outputs: &[f64]) -> Vec<f64> {
    rows.iter()
        .map(|r| super::kernels::dot(r, outputs).abs())
        .collect()
}

fn diverged(training: &Training, epoch: usize) -> Error {
    let method = match training.optimiser {
        Optimiser::Sgd { .. } => "sgd",
        Optimiser::Adam { .. } => "adam",
    };
    SolveError::NonFinite {
        method: format!("training ({method}, epoch {epoch}; lower the learning rate)"),
        t: epoch as f64,
    }
    .into()
}

/// Trains one network (input already checked).
pub(crate) fn train_one(
    data: &Dataset,
    training: &Training,
    seed: u64,
    tracking: Option<&Tracking>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<TrainingRecord, Error> {
    let mut trainer = Trainer::new(data, training, seed);
    let every = tracking.map_or(training.epochs, |t| t.every);
    let epochs = recorded_epochs(training.epochs, every);
    // The drift belongs to the comparison with the predictions (it costs a kernel evaluation
    // per point): measured only when they are asked for.
    let drift_at = if tracking.is_some_and(|t| t.predictions) {
        drift_positions(epochs.len())
    } else {
        Vec::new()
    };
    // At initialisation: J, K₀ and the basis of responses.
    let setup = match tracking {
        Some(t) => {
            let tangent =
                tangent_features(&trainer.mlp, &trainer.theta, &trainer.stats, &data.points)?;
            let basis = response_basis(&tangent.kernel, &data.labels, t.convention);
            let rows = projection_rows(&basis.vectors, &t.indices, &data.labels, t.convention);
            Some((t, tangent, basis, rows))
        }
        None => None,
    };
    let mut loss = Vec::with_capacity(epochs.len());
    let mut real = Vec::new();
    let mut drift = Vec::new();
    let mut next = 0;
    let mut pending = 0u64;
    let mut schedule = BatchSchedule::new(
        data.len(),
        training.batch_size,
        training.batch_sampling,
        seed,
    );
    let minibatch = !schedule.is_full();
    for epoch in 0..=training.epochs {
        let recording = epochs.get(next) == Some(&epoch);
        // Full batch: the training pass's outputs are the recorded ones for plain networks.
        // Minibatches: the recorded outputs are a pass over all data.
        let plain_pass = trainer.mlp.is_plain() && epoch < training.epochs && !minibatch;
        // Evaluation-mode quantities are taken before the training pass, which moves batch
        // norm's running statistics.
        let eval = (recording && !plain_pass).then(|| trainer.evaluate(&data.points));
        if recording
            && let Some((_, tangent, _, _)) = &setup
            && drift_at.contains(&next)
        {
            let k = kernel(&trainer.mlp, &trainer.theta, &trainer.stats, &data.points);
            drift.push(relative_change(&k, &tangent.kernel));
        }
        let train_loss = if epoch < training.epochs && !minibatch {
            let l = trainer.gradient();
            if !l.is_finite() {
                return Err(diverged(training, epoch));
            }
            Some(l)
        } else {
            None
        };
        if recording {
            let outputs: &[f64] = match &eval {
                Some(e) => e,
                None => trainer.last_outputs(),
            };
            let l = match (train_loss, &eval) {
                (Some(l), None) => l,
                _ => mean_loss(outputs, &data.labels, training.sd, training.loss),
            };
            if !l.is_finite() {
                return Err(diverged(training, epoch));
            }
            loss.push(l);
            if let Some((_, _, _, rows)) = &setup {
                real.push(abs_responses(rows, outputs));
            }
            next += 1;
        }
        if epoch < training.epochs {
            if minibatch {
                for batch in schedule.next_epoch() {
                    if !trainer.gradient_on(batch).is_finite() {
                        return Err(diverged(training, epoch));
                    }
                    trainer.step();
                }
            } else {
                trainer.step();
            }
            pending += 1;
            if pending as usize == PROGRESS_EVERY {
                progress(pending);
                pending = 0;
            }
        }
    }
    if pending > 0 {
        progress(pending);
    }
    let final_outputs = trainer.evaluate(&data.points);
    let correct = final_outputs
        .iter()
        .zip(&data.labels)
        .filter(|(o, y)| **o * **y > 0.0)
        .count();
    let accuracy = correct as f64 / data.len() as f64;
    let responses = match setup {
        None => None,
        Some((t, tangent, basis, rows)) => {
            let drift_epochs = drift_at.iter().map(|&p| epochs[p]).collect();
            let mut track = ResponseTrack {
                convention: t.convention,
                indices: t.indices.clone(),
                spectrum: basis.spectrum.clone(),
                real,
                linearised: None,
                map: None,
                flow: None,
                sde: None,
                flow_time: None,
                kernel_drift: drift,
                drift_epochs,
            };
            if t.predictions {
                let p = predict::predictions(
                    data,
                    training,
                    seed,
                    &trainer.theta_initial(seed),
                    &tangent,
                    &rows,
                    &epochs,
                    t.sde.as_ref(),
                )?;
                track.linearised = Some(p.linearised);
                track.map = p.map;
                track.flow = p.flow;
                track.flow_time = p.flow_time;
                track.sde = p.sde;
            }
            Some(track)
        }
    };
    Ok(TrainingRecord {
        seed,
        network: TrainedNetwork {
            mlp: trainer.mlp,
            theta: trainer.theta,
            stats: trainer.stats,
        },
        epochs,
        loss,
        accuracy,
        responses,
    })
}

impl Trainer<'_> {
    /// θ₀ of `seed` (recomputed: initialisation is cheap).
    fn theta_initial(&self, seed: u64) -> Vec<f64> {
        self.mlp.initialise(seed)
    }
}
