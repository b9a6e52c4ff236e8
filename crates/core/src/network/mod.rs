//! Real networks trained on data: the paper's two-moons experiments (Figures 1–3,
//! `docs/theory.md` §7) and the bridge from a trained network to the theory (its tangent
//! features Φ = J at initialisation, the responses z along training, and what the linearised
//! network and the z-flow predict for them).
//!
//! This file is the contract between the engine (data, layers, optimisers, training, tangent
//! features, predictions) and its users (the `experiment` spec section, tasks and figures).
//! Types and signatures here are stable; fields may be added.

mod batches;
mod data;
mod kernels;
mod memory;
mod mlp;
mod optimiser;
mod predict;
mod tangent;
mod train;

use serde::{Deserialize, Serialize};

use crate::error::{Error, InputError};
use crate::model::LossModel;

pub use batches::{BATCH_STREAM, BatchSchedule};
pub use data::MAX_EXAMPLES;
pub use memory::{MAX_MEMORY_BYTES, check_memory, training_peak_bytes, training_work};
pub use predict::{
    FLOW_ATOL, FLOW_RTOL, MinibatchDiffusion, SDE_STREAM, check_sde_step, flow_time_per_epoch,
};
pub use train::{
    KERNEL_DRIFT_POINTS, MAX_EPOCHS, MAX_JACOBIAN_ENTRIES, MAX_SDE_PATHS, MAX_SDE_SUBSTEPS,
    MAX_WIDTH,
};

/// A labelled data set: `len()` points in `dimension` coordinates, labels ±1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Number of input coordinates d.
    pub dimension: usize,
    /// The points, row-major (n × d).
    pub points: Vec<f64>,
    /// The labels y_i ∈ {−1, +1}.
    pub labels: Vec<f64>,
}

/// The paper's two-moons data set (theory.md §7): the standard generator, then shifted and
/// folded so that the first coordinate alone separates the classes with margin Δ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwoMoons {
    /// Number of points n (the paper: 300).
    pub examples: usize,
    /// Standard deviation of the Gaussian noise (the paper: 0.1).
    pub noise: f64,
    /// Seed of the generator.
    pub seed: u64,
    /// Δ: > 0 separable along the first coordinate with gap 2Δ; < 0 interleaved.
    pub margin: f64,
    /// Rotation of the final points, degrees (the paper's Figure 3: 0 or 45).
    pub rotation_degrees: f64,
}

impl Dataset {
    /// The two-moons data set.
    pub fn two_moons(spec: &TwoMoons) -> Result<Self, InputError> {
        data::two_moons(spec)
    }

    /// A data set from CSV text with a header row: every column except `label_column` is an
    /// input coordinate; labels must be ±1 (or 0/1, mapped to −1/+1). `field` names the spec
    /// field in error messages.
    pub fn from_csv(text: &str, label_column: &str, field: &str) -> Result<Self, InputError> {
        data::from_csv(text, label_column, field)
    }

    /// Number of examples n.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no example.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// A fully connected ReLU network d → hidden\[0\] → … → 1, in PyTorch's standard
/// parameterisation (weights and biases uniform in ±1/√fan_in) or the NTK parameterisation
/// ([`Parameterisation`]).
/// In specs: the `network` section, every field defaulting to the paper's 2 → 500 → 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    /// Widths of the hidden layers (default and the paper: `[500]`).
    #[serde(default = "paper_hidden")]
    pub hidden: Vec<usize>,
    /// Dropout probability on every hidden layer's output during training (default 0 = none).
    #[serde(default)]
    pub dropout: f64,
    /// Batch normalisation of every hidden layer's pre-activations (training: batch
    /// statistics; evaluation: running statistics, momentum 0.1, as PyTorch; default off).
    #[serde(default)]
    pub batch_norm: bool,
    /// How the weights are parameterised (default "standard", PyTorch's; "ntk": weights
    /// N(0, 1) with each layer's output scaled by 1/√fan_in, theory.md §7).
    #[serde(default)]
    pub parameterisation: Parameterisation,
}

/// How a network's weights are parameterised (theory.md §7). The function class is the same;
/// what changes is which θ gradient descent moves, hence the tangent kernel's scale with width
/// and what a learning rate means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Parameterisation {
    /// PyTorch's default: a layer with p inputs computes Z = A W + b, every weight and bias
    /// uniform in ±1/√p. The tangent kernel grows in proportion to the width.
    #[default]
    Standard,
    /// The NTK parameterisation (Jacot et al. 2018): Z = A W/√p + b with every weight and bias
    /// N(0, 1). The tangent kernel tends to a finite limit as the width grows, so one learning
    /// rate trains every width on the same time scale; gradients with respect to W are 1/√p of
    /// the standard ones at the same function.
    Ntk,
}

impl Parameterisation {
    /// Short name used in specs and outputs.
    pub fn name(self) -> &'static str {
        match self {
            Parameterisation::Standard => "standard",
            Parameterisation::Ntk => "ntk",
        }
    }
}

fn paper_hidden() -> Vec<usize> {
    vec![500]
}

impl Default for Architecture {
    /// The paper's network: one hidden layer of 500 ReLU units, no dropout, no batch norm.
    fn default() -> Self {
        Self {
            hidden: paper_hidden(),
            dropout: 0.0,
            batch_norm: false,
            parameterisation: Parameterisation::Standard,
        }
    }
}

/// The optimiser, with PyTorch's semantics (weight decay is added to the gradient). In specs:
/// `{"sgd": {…}}` or `{"adam": {…}}`, each field defaulting as below (checked by
/// [`Optimiser::check`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Optimiser {
    /// SGD with heavy-ball momentum: b ← μ b + g; θ ← θ − η b.
    Sgd {
        /// η (default 10⁻², the paper's).
        #[serde(default = "optimiser::sgd_learning_rate")]
        learning_rate: f64,
        /// μ (default 0.9, the paper's).
        #[serde(default = "optimiser::sgd_momentum")]
        momentum: f64,
    },
    /// Adam (defaults PyTorch's).
    Adam {
        /// η (default 10⁻³).
        #[serde(default = "optimiser::adam_learning_rate")]
        learning_rate: f64,
        /// β₁ (default 0.9).
        #[serde(default = "optimiser::adam_beta1")]
        beta1: f64,
        /// β₂ (default 0.999).
        #[serde(default = "optimiser::adam_beta2")]
        beta2: f64,
        /// ε (default 10⁻⁸).
        #[serde(default = "optimiser::adam_epsilon")]
        epsilon: f64,
    },
}

impl Default for Optimiser {
    /// The paper's: SGD with η = 10⁻² and momentum 0.9.
    fn default() -> Self {
        Optimiser::Sgd {
            learning_rate: optimiser::sgd_learning_rate(),
            momentum: optimiser::sgd_momentum(),
        }
    }
}

/// How one network is trained: in batches (full batch by default; theory.md §9), mean loss
/// over the batch mean(ℓ(y ŷ)) + sd · mean(ŷ²) with ℓ the per-example loss (default the
/// logistic loss log(1 + e^(−y ŷ))), weight decay added to the
/// gradient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// The network.
    pub architecture: Architecture,
    /// The optimiser.
    pub optimiser: Optimiser,
    /// Number of epochs (passes over the data; one step each at full batch, ⌈n/B⌉ steps with
    /// minibatches).
    pub epochs: usize,
    /// Weight decay w (gradient += w θ).
    pub weight_decay: f64,
    /// Spectral decoupling coefficient c (loss += c · mean(ŷ²)).
    pub sd: f64,
    /// The per-example loss ℓ(a) of the margin a = y ŷ: `Exact` (the logistic loss, the
    /// paper's), `Squared` ½(yŷ − 1)², `SmoothHinge`, or the cross-entropy's approximations.
    pub loss: LossModel,
    /// Minibatch size B (None = full batch): a seeded reshuffle per epoch ([`BatchSchedule`]).
    pub batch_size: Option<usize>,
    /// How minibatches are drawn (default: reshuffled per epoch).
    pub batch_sampling: BatchSampling,
}

/// How minibatches are drawn ([`BatchSchedule`]; theory.md §9). In specs:
/// `training.batch_sampling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum BatchSampling {
    /// A permutation per epoch cut into ⌈n/B⌉ batches (PyTorch's `shuffle=True`; default): each
    /// example once per epoch.
    #[default]
    Reshuffle,
    /// ⌈n/B⌉ batches per epoch, each of B distinct examples drawn afresh: the sampling the
    /// minibatch SDE describes.
    Independent,
}

/// Which responses are recorded along training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResponseConvention {
    /// The paper's Figure 2: U = eigenvectors of K = J Jᵀ at initialisation (descending
    /// eigenvalues), z = Uᵀ ŷ.
    Kernel,
    /// The theory's M4: Y J = U S Vᵀ at initialisation, z = Uᵀ Y ŷ.
    Theory,
}

/// What to record along training besides the loss. In specs: the `tracking` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Tracking {
    /// Eigen-indices (counting from 0, descending order) whose |z| is recorded.
    pub indices: Vec<usize>,
    /// Which U and z (default "kernel", the paper's Figure 2).
    #[serde(default = "kernel_convention")]
    pub convention: ResponseConvention,
    /// Record every this many epochs (default 1; epoch 0 and the last are always recorded).
    #[serde(default = "every_epoch")]
    pub every: usize,
    /// Also train the linearised (tangent) network the same way and integrate the z-flow
    /// (M7/M8) with the time scale matched to the optimiser (default false).
    #[serde(default)]
    pub predictions: bool,
    /// With `predictions` and minibatches: also the diffusion approximation of minibatch SGD
    /// (theory.md §9), an ensemble of Euler–Maruyama paths per seed (default none).
    #[serde(default)]
    pub sde: Option<SdeOptions>,
}

/// The diffusion approximation's options (theory.md §9). In specs: `tracking.sde`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SdeOptions {
    /// Paths per network seed (default 32; 2 … 100 000).
    #[serde(default = "default_paths")]
    pub paths: usize,
    /// Euler–Maruyama steps per SGD step (default 1): the SDE step is h = η/((1−μ)·substeps)
    /// in the flow time t = η·steps/(1−μ); `check` refuses h·|λ_max| ≥ 2 (the scheme's
    /// stability bound, λ_max from the tangent kernel at initialisation).
    #[serde(default = "default_substeps")]
    pub substeps: usize,
}

fn default_paths() -> usize {
    32
}
fn default_substeps() -> usize {
    1
}

impl Default for SdeOptions {
    fn default() -> Self {
        Self {
            paths: default_paths(),
            substeps: default_substeps(),
        }
    }
}

/// The diffusion approximation's |z_k| over its ensemble for one network seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SdeTrack {
    /// Ensemble mean of |z_k|: `mean[r][i]` at recorded epoch r, index `indices[i]`.
    pub mean: Vec<Vec<f64>>,
    /// Ensemble standard deviation of |z_k| (n − 1 in the denominator).
    pub spread: Vec<Vec<f64>>,
    /// Paths in the ensemble (1 at full batch, where the SDE has no noise).
    pub paths: usize,
    /// The SDE step h in flow time.
    pub step: f64,
    /// Euler–Maruyama steps per epoch.
    pub steps_per_epoch: usize,
}

fn kernel_convention() -> ResponseConvention {
    ResponseConvention::Kernel
}
fn every_epoch() -> usize {
    1
}

/// A trained network (evaluation mode: no dropout, batch norm on running statistics).
#[derive(Debug, Clone)]
pub struct TrainedNetwork {
    mlp: mlp::Mlp,
    theta: Vec<f64>,
    stats: mlp::RunningStats,
}

impl TrainedNetwork {
    /// The decision function ŷ at `points` (row-major, `dimension` columns; a trailing partial
    /// row is ignored).
    pub fn decision_function(&self, points: &[f64]) -> Vec<f64> {
        let d = self.dimension();
        let whole = points.len() / d * d;
        if whole == 0 {
            return Vec::new();
        }
        train::evaluate(&self.mlp, &self.theta, &self.stats, &points[..whole])
    }

    /// A network with parameters θ (layout of [`TrainedNetwork::parameters`]) and batch norm's
    /// running statistics at their initial values (mean 0, variance 1).
    pub fn from_parameters(
        dimension: usize,
        architecture: &Architecture,
        theta: Vec<f64>,
    ) -> Result<Self, InputError> {
        let mlp = mlp::Mlp::new(dimension, architecture);
        if theta.len() != mlp.parameters {
            return Err(InputError::new(
                "theta",
                format!(
                    "has {} entries but the network has {} parameters",
                    theta.len(),
                    mlp.parameters
                ),
            ));
        }
        let stats = mlp.initial_stats();
        Ok(Self { mlp, theta, stats })
    }

    /// Number of input coordinates d.
    pub fn dimension(&self) -> usize {
        self.mlp.layers[0].inputs
    }

    /// The parameters θ (layer by layer: W as inputs × outputs row-major, b, then γ, β under
    /// batch norm).
    pub fn parameters(&self) -> &[f64] {
        &self.theta
    }
}

/// The training loss mean(ℓ(yŷ)) + c·mean(ŷ²) at θ and its gradient ∂loss/∂θ
/// (without weight decay, which the optimiser adds), in training mode: batch norm on batch
/// statistics, dropout masks drawn from `dropout_seed`. The engine's own pass (fused for one
/// hidden layer without dropout or batch norm); exposed for tests and diagnostics.
pub fn loss_and_gradient(
    data: &Dataset,
    training: &Training,
    theta: &[f64],
    dropout_seed: u64,
) -> Result<(f64, Vec<f64>), InputError> {
    check_training(data, training)?;
    let mut trainer = train::Trainer::new(data, training, 0);
    if theta.len() != trainer.theta.len() {
        return Err(InputError::new(
            "theta",
            format!(
                "has {} entries but the network has {} parameters",
                theta.len(),
                trainer.theta.len()
            ),
        ));
    }
    trainer.theta.copy_from_slice(theta);
    trainer.reseed_dropout(dropout_seed);
    let loss = trainer.gradient();
    Ok((loss, trainer.gradient_vector().to_vec()))
}

/// The parameters θ₀ of a freshly initialised network (PyTorch's default initialisation from
/// `seed`), in the layout of [`TrainedNetwork::parameters`].
pub fn initial_parameters(dimension: usize, architecture: &Architecture, seed: u64) -> Vec<f64> {
    mlp::Mlp::new(dimension, architecture).initialise(seed)
}

/// The tangent features at θ₀ of `seed` on `data`: the Jacobian J (n × m, row-major; row i is
/// ∂ŷ_i/∂θ in the layout of [`TrainedNetwork::parameters`]), the outputs f₀ and K = J Jᵀ
/// (n × n, row-major), evaluation mode.
pub fn tangent_features(
    data: &Dataset,
    architecture: &Architecture,
    seed: u64,
) -> Result<TangentFeatures, Error> {
    data::check_dataset(data)?;
    let net = mlp::Mlp::new(data.dimension, architecture);
    let theta = net.initialise(seed);
    let t = tangent::tangent_features(&net, &theta, &net.initial_stats(), &data.points)?;
    Ok(TangentFeatures {
        examples: t.examples,
        parameters: t.parameters,
        jacobian: t.jacobian,
        outputs: t.outputs,
        kernel: t.kernel,
    })
}

/// The tangent features of a network at initialisation (theory.md §7: Φ = J).
#[derive(Debug, Clone)]
pub struct TangentFeatures {
    /// n.
    pub examples: usize,
    /// m.
    pub parameters: usize,
    /// J, n × m row-major.
    pub jacobian: Vec<f64>,
    /// f₀ = ŷ(θ₀).
    pub outputs: Vec<f64>,
    /// K = J Jᵀ, n × n row-major.
    pub kernel: Vec<f64>,
}

impl TangentFeatures {
    /// The responses' basis of `convention` with `labels`: (spectrum descending, U as n × n
    /// column-major) — eigen-decomposition of K or of Y K Y (M3 without an SVD of J).
    pub fn basis(&self, labels: &[f64], convention: ResponseConvention) -> (Vec<f64>, Vec<f64>) {
        let b = tangent::response_basis(&self.kernel, labels, convention);
        (b.spectrum, b.vectors.as_slice().to_vec())
    }
}

/// Responses along training, one row per recorded epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseTrack {
    /// The convention of U and z.
    pub convention: ResponseConvention,
    /// The tracked eigen-indices.
    pub indices: Vec<usize>,
    /// All eigenvalues of K (kernel convention) or singular values s of YJ (theory), descending.
    pub spectrum: Vec<f64>,
    /// |z_k| of the real network: `real[r][i]` at `TrainingRecord::epochs[r]`, index `indices[i]`.
    pub real: Vec<Vec<f64>>,
    /// |z_k| of the linearised network trained the same way (when predictions were asked).
    pub linearised: Option<Vec<Vec<f64>>>,
    /// |z_k| from the optimiser's map on the outputs (SGD; equal to `linearised` to round-off,
    /// see `predict::map_outputs`), when predictions were asked.
    #[serde(default)]
    pub map: Option<Vec<Vec<f64>>>,
    /// |z_k| from the z-flow with the matched time scale (when predictions were asked).
    pub flow: Option<Vec<Vec<f64>>>,
    /// The diffusion approximation of minibatch SGD (when `tracking.sde` was asked).
    #[serde(default)]
    pub sde: Option<SdeTrack>,
    /// The flow time of each recorded epoch (t = epoch · ⌈n/B⌉ · η/(1−μ)/n for SGD) when
    /// predicted.
    pub flow_time: Option<Vec<f64>>,
    /// ‖K_t − K_0‖_F / ‖K_0‖_F at the epochs `drift_epochs`: how far the real network left the
    /// tangent regime (K in evaluation mode). Measured when predictions were asked (empty
    /// otherwise).
    pub kernel_drift: Vec<f64>,
    /// The epochs of `kernel_drift`: at most [`KERNEL_DRIFT_POINTS`] of the recorded epochs,
    /// evenly spread, first and last included (each costs a kernel evaluation; one per recorded
    /// epoch would cost far more than the training).
    pub drift_epochs: Vec<usize>,
}

/// One trained network and what was recorded.
#[derive(Debug, Clone)]
pub struct TrainingRecord {
    /// The seed of the initialisation (and of dropout masks).
    pub seed: u64,
    /// The network after training.
    pub network: TrainedNetwork,
    /// The recorded epochs (0 = initialisation).
    pub epochs: Vec<usize>,
    /// The training loss (with its SD term, without weight decay) at the recorded epochs.
    pub loss: Vec<f64>,
    /// Training accuracy after the last epoch.
    pub accuracy: f64,
    /// Responses, when tracking was asked.
    pub responses: Option<ResponseTrack>,
}

/// Checks a training configuration against a data set (every field, one-line errors).
pub fn check_training(data: &Dataset, training: &Training) -> Result<(), InputError> {
    train::check_training(data, training)
}

/// Checks what `tracking` asks for (indices below n, every ≥ 1, a Jacobian that fits).
pub fn check_tracking(
    data: &Dataset,
    training: &Training,
    tracking: &Tracking,
) -> Result<(), InputError> {
    train::check_tracking(data, training, tracking)
}

/// Trains one network per seed (in parallel over seeds), calling `progress(epochs)` now and
/// then with the number of epochs completed since the last call, summed over seeds.
pub fn train_seeds(
    data: &Dataset,
    training: &Training,
    seeds: &[u64],
    tracking: Option<&Tracking>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<TrainingRecord>, Error> {
    train::train_seeds(data, training, seeds, tracking, &|_, epochs| {
        progress(epochs)
    })
}

/// [`train_seeds`] reporting per seed: `progress(k, epochs)` with the epochs completed by the
/// k-th seed of `seeds` since its last call (a call with 0 when that seed starts).
pub fn train_seeds_each(
    data: &Dataset,
    training: &Training,
    seeds: &[u64],
    tracking: Option<&Tracking>,
    progress: &(dyn Fn(usize, u64) + Sync),
) -> Result<Vec<TrainingRecord>, Error> {
    train::train_seeds(data, training, seeds, tracking, progress)
}
