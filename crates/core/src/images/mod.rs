//! Real-world out-of-distribution experiments on images (the paper's Table 1 and Figure 4,
//! Colored MNIST): an IDX reader, the Colored-MNIST transform, and a fully connected ReLU
//! network trained on full batches in f32 (or f64) with Adam under ERM, spectral decoupling or
//! IRMv1, its matrix products on all cores.
//!
//! This file is the contract between the engine and its users (spec sections, tasks, figures).

mod colored;
mod gemm;
mod idx;
mod linearised;
mod mlp;
mod objective;
mod tangent;
mod train;

use serde::{Deserialize, Serialize};

use crate::error::{Error, InputError};

pub use colored::{ColouredImages, ColouredMnist, ColouredSplit, Rendering};
pub use gemm::Real;
pub use idx::{IdxArray, LabelledImages, MAX_IDX_BYTES, parse_idx, read_idx, read_labelled_images};
pub use linearised::{
    PREDICTION_END, PREDICTION_START, PREDICTION_TIMES, ResponsePrediction, predicted_coefficient,
    prediction_times,
};
pub use objective::{Objective, ObjectiveValue};

/// The floating-point type of training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Single precision (the protocol's, PyTorch's default).
    #[default]
    F32,
    /// Double precision (about half the speed).
    F64,
}

/// One method of Table 1: the objective, the network and Adam's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodRun {
    /// Name in outputs ("erm", "sd", "irm", "oracle").
    pub name: String,
    /// The objective and its schedule.
    pub objective: Objective,
    /// Hidden widths (the protocol: [300, 300]; IRM's: [390, 390]).
    pub hidden: Vec<usize>,
    /// Adam's η.
    pub learning_rate: f64,
    /// Adam's β₁ (0.9).
    pub beta1: f64,
    /// Adam's β₂ (0.999).
    pub beta2: f64,
    /// Adam's ε (10⁻⁸).
    pub epsilon: f64,
    /// Iterations of the protocol's loop (each measures, all but the last update).
    pub steps: usize,
    /// The grey-scale oracle: the two channels summed into one image (colour-blind input).
    pub grey_input: bool,
}

impl MethodRun {
    /// The protocol's settings of method `name` ("erm", "sd", "irm", or "oracle": ERM on
    /// grey-scale inputs), or `None` for another name.
    pub fn protocol(name: &str) -> Option<Self> {
        let base = MethodRun {
            name: name.to_string(),
            objective: Objective::Erm,
            hidden: vec![300, 300],
            learning_rate: 1e-4,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            steps: 1001,
            grey_input: false,
        };
        match name {
            "erm" => Some(base),
            "oracle" => Some(MethodRun {
                grey_input: true,
                ..base
            }),
            "sd" => Some(MethodRun {
                objective: Objective::Sd {
                    coefficient: 2e-5,
                    schedule_step: 450,
                },
                steps: 2001,
                ..base
            }),
            "irm" => Some(MethodRun {
                objective: Objective::Irm {
                    l2: 0.00110794568,
                    penalty_weight: 91257.18613115903,
                    anneal_step: 190,
                },
                hidden: vec![390, 390],
                learning_rate: 4.898536566546834e-4,
                steps: 501,
                ..base
            }),
            _ => None,
        }
    }

    /// Checks every field (errors name it under `field`).
    pub fn check(&self, field: &str) -> Result<(), InputError> {
        let f = |name: &str| format!("{field}.{name}");
        if self.hidden.is_empty() || self.hidden.contains(&0) || self.hidden.len() > 16 {
            return Err(InputError::new(
                f("hidden"),
                "give 1 to 16 hidden widths, each at least 1 (the protocol: [300, 300])",
            ));
        }
        if self.hidden.iter().any(|&w| w > 16_384) {
            return Err(InputError::new(
                f("hidden"),
                "widths above 16384 are refused",
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(InputError::new(
                f("learning_rate"),
                format!("is {}; give a finite number > 0", self.learning_rate),
            ));
        }
        for (name, v) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(v.is_finite() && (0.0..1.0).contains(&v)) {
                return Err(InputError::new(
                    f(name),
                    format!("is {v}; give a number in [0, 1)"),
                ));
            }
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err(InputError::new(f("epsilon"), "give a finite number > 0"));
        }
        if self.steps == 0 || self.steps > 1_000_000 {
            return Err(InputError::new(f("steps"), "give 1 to 1000000 steps"));
        }
        let finite = |name: &str, v: f64| -> Result<(), InputError> {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(InputError::new(
                    f(name),
                    format!("is {v}; give a finite number ≥ 0"),
                ))
            }
        };
        match self.objective {
            Objective::Erm => {}
            Objective::Sd { coefficient, .. } => finite("sd.coefficient", coefficient)?,
            Objective::Irm {
                l2, penalty_weight, ..
            } => {
                finite("irm.l2", l2)?;
                finite("irm.penalty_weight", penalty_weight)?;
            }
        }
        Ok(())
    }

    /// Multiply-adds of one step on `examples` images of `dimension` inputs (forward and the
    /// two backward products per layer, the first layer's input gradient skipped).
    pub fn multiply_adds(&self, dimension: usize, examples: usize) -> f64 {
        let mut widths = vec![dimension];
        widths.extend_from_slice(&self.hidden);
        widths.push(1);
        let per_example: usize = widths
            .windows(2)
            .enumerate()
            .map(|(l, w)| (w[0] + 1) * w[1] * if l == 0 { 2 } else { 3 })
            .sum();
        per_example as f64 * examples as f64
    }
}

/// Train and test accuracy and the loss along training.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// The recorded steps.
    pub steps: Vec<usize>,
    /// The training loss of the objective (with its schedule).
    pub loss: Vec<f64>,
    /// Accuracy on the pooled training environments.
    pub train_accuracy: Vec<f64>,
    /// Accuracy on the test environment.
    pub test_accuracy: Vec<f64>,
    /// |z_k| = |u_kᵀ ŷ| on the tracked training images at each recorded step, one entry per
    /// tracked index (empty without tracking).
    #[serde(default)]
    pub responses: Vec<Vec<f64>>,
}

/// What to track along training: the tangent kernel K = J Jᵀ of the network at
/// initialisation on the first `examples` training images, its eigenvectors u_k (descending
/// eigenvalues) and the responses |z_k| = |u_kᵀ ŷ| of the tracked `indices` (the paper's
/// Figure 2 convention, on real data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ResponseTracking {
    /// Training images of the kernel (the first ones of the pooled environments).
    pub examples: usize,
    /// Eigen-indices (from 0, descending eigenvalues) whose |z| is recorded.
    pub indices: Vec<usize>,
}

/// Largest number of images of a tracked tangent kernel (an n × n eigen-decomposition).
pub const MAX_RESPONSE_EXAMPLES: usize = 4_000;

impl ResponseTracking {
    /// Checks the fields against `train` training images (errors name `field`).
    pub fn check(&self, train: usize, field: &str) -> Result<(), InputError> {
        if self.examples == 0 || self.examples > train.min(MAX_RESPONSE_EXAMPLES) {
            return Err(InputError::new(
                format!("{field}.examples"),
                format!(
                    "give 1 to {} images (at most the {train} training images and {MAX_RESPONSE_EXAMPLES})",
                    train.min(MAX_RESPONSE_EXAMPLES)
                ),
            ));
        }
        if self.indices.is_empty() || self.indices.iter().any(|&k| k >= self.examples) {
            return Err(InputError::new(
                format!("{field}.indices"),
                format!("give eigen-indices below examples = {}", self.examples),
            ));
        }
        Ok(())
    }
}

/// A trained image network (parameters in f64 whatever the training precision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageNetwork {
    /// Input dimension (392, or 196 for the grey oracle).
    pub dimension: usize,
    /// Hidden widths.
    pub hidden: Vec<usize>,
    /// Whether the channels are summed (the grey oracle).
    pub grey_input: bool,
    /// The precision it was trained in (and is evaluated in).
    pub precision: Precision,
    /// θ: per layer the augmented matrix [W; b] ((inputs + 1) × outputs, row-major).
    pub parameters: Vec<f64>,
}

impl ImageNetwork {
    /// The logits on `images` rendered as `rendering`.
    pub fn logits(&self, images: &ColouredImages, rendering: Rendering) -> Vec<f64> {
        match self.precision {
            Precision::F32 => train::logits::<f32>(self, images, rendering),
            Precision::F64 => train::logits::<f64>(self, images, rendering),
        }
    }
}

/// One trained restart of one method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestartRecord {
    /// The method's name.
    pub method: String,
    /// The restart's seed (data split, noise, colours and initialisation).
    pub seed: u64,
    /// Accuracy on the training environments at the end.
    pub train_accuracy: f64,
    /// Accuracy on the test environment at the end.
    pub test_accuracy: f64,
    /// The objective's loss at the end.
    pub loss: f64,
    /// The training curve.
    pub curve: Curve,
    /// Wall-clock seconds of the restart.
    pub seconds: f64,
    /// The largest eigenvalues of the tracked tangent kernel at initialisation (up to 32;
    /// empty without tracking).
    #[serde(default)]
    pub spectrum: Vec<f64>,
    /// The linearised network's |z_k| on the tracked images (with tracking, for ERM, SD and
    /// the oracle; see [`predicted_coefficient`]).
    #[serde(default)]
    pub prediction: Option<ResponsePrediction>,
    /// The trained network.
    pub network: ImageNetwork,
}

/// Trains `run` on `split` from the initialisation of `seed`, recording the curve every `every`
/// steps (and at the last); `progress(1)` after each step.
pub fn train_restart(
    split: &ColouredSplit,
    run: &MethodRun,
    seed: u64,
    every: usize,
    precision: Precision,
    tracking: Option<&ResponseTracking>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RestartRecord, Error> {
    run.check("method")?;
    check_split(split, run)?;
    if let Some(t) = tracking {
        t.check(split.train.len(), "tracking")?;
    }
    match precision {
        Precision::F32 => train::train_restart::<f32>(split, run, seed, every, tracking, progress),
        Precision::F64 => train::train_restart::<f64>(split, run, seed, every, tracking, progress),
    }
}

/// The tangent kernel K = J Jᵀ (n × n, row-major) of `network` on the first `n` of `images`
/// rendered as `rendering`, and the outputs ŷ there, in f64, without forming J.
pub fn tangent_kernel(
    network: &ImageNetwork,
    images: &ColouredImages,
    rendering: Rendering,
    n: usize,
) -> (Vec<f64>, Vec<f64>) {
    let (k, outputs) =
        tangent::tangent_kernel(network, images, rendering, n.min(MAX_RESPONSE_EXAMPLES));
    let n = k.nrows();
    let rows = (0..n).flat_map(|i| (0..n).map(move |j| (i, j)));
    (rows.map(|(i, j)| k[(i, j)]).collect(), outputs)
}

fn check_split(split: &ColouredSplit, run: &MethodRun) -> Result<(), InputError> {
    if split.train.is_empty() || split.test.is_empty() {
        return Err(InputError::new(
            "colored_mnist",
            "the training and test environments need at least one image each",
        ));
    }
    if matches!(run.objective, Objective::Irm { .. }) && split.train.environment_sizes.is_empty() {
        return Err(InputError::new(
            "colored_mnist",
            "IRM needs training environments",
        ));
    }
    Ok(())
}

/// The full training loss of `run` at θ (layout of [`ImageNetwork::parameters`]) and its
/// gradient ∂loss/∂θ at protocol step `step`, in f64 (for checks against finite differences).
pub fn loss_and_gradient(
    split: &ColouredSplit,
    run: &MethodRun,
    theta: &[f64],
    step: usize,
) -> Result<(f64, Vec<f64>), InputError> {
    run.check("method")?;
    check_split(split, run)?;
    let expected = initial_parameters(split.train.dimension(run.grey_input), &run.hidden, 0).len();
    if theta.len() != expected {
        return Err(InputError::new(
            "theta",
            format!("has {} entries but the network has {expected}", theta.len()),
        ));
    }
    Ok(train::loss_and_gradient(split, run, theta, step))
}

/// Xavier-uniform weights and zero biases from `seed`, in the layout of
/// [`ImageNetwork::parameters`].
pub fn initial_parameters(dimension: usize, hidden: &[usize], seed: u64) -> Vec<f64> {
    mlp::Layout::new(dimension, hidden).initialise(seed)
}

/// Seconds per full training step of `run` on `split` (mean over `steps` steps after a
/// warm-up step).
pub fn seconds_per_step(
    split: &ColouredSplit,
    run: &MethodRun,
    steps: usize,
    precision: Precision,
) -> Result<f64, Error> {
    run.check("method")?;
    check_split(split, run)?;
    Ok(match precision {
        Precision::F32 => train::seconds_per_step::<f32>(split, run, steps),
        Precision::F64 => train::seconds_per_step::<f64>(split, run, steps),
    })
}

/// Accuracy and mean binary prediction entropy (bits) of logits against labels: Figure 4's cell.
pub fn accuracy_and_entropy(logits: &[f64], labels: &[u8]) -> (f64, f64) {
    let n = logits.len().min(labels.len()).max(1) as f64;
    let mut correct = 0.0;
    let mut entropy = 0.0;
    for (&o, &y) in logits.iter().zip(labels) {
        correct += f64::from(u8::from((o > 0.0) == (y == 1)));
        // H(σ(o)) in bits, stably: with p = σ(o), −p log p − (1−p) log(1−p)
        // = softplus(−|o|) + |o| σ(−|o|)  (nats).
        let a = o.abs();
        let nats = crate::numerics::softplus(-a) + a * crate::numerics::logistic(-a);
        entropy += nats / std::f64::consts::LN_2;
    }
    (correct / n, entropy / n)
}

/// The machine's sustained matrix-multiply rate on the protocol's three product shapes for
/// `examples` images and hidden width `width` (A·W: examples × 393 · 393 × width; Aᵀ·dZ:
/// 301 × examples · examples × width; dZ·Wᵀ: examples × width · width × width), through the
/// same row-blocked, all-core products as training, in GFLOP/s (2 flops per multiply-add):
/// total flops over total time of `repeats` rounds after one warm-up round.
pub fn sustained_gemm_rate(
    precision: Precision,
    examples: usize,
    width: usize,
    repeats: usize,
) -> f64 {
    match precision {
        Precision::F32 => gemm_rate::<f32>(examples, width, repeats),
        Precision::F64 => gemm_rate::<f64>(examples, width, repeats),
    }
}

fn gemm_rate<T: Real>(examples: usize, width: usize, repeats: usize) -> f64 {
    use gemm::{Right, product_rows, product_transposed};
    let d = 393;
    let h = width + 1;
    let fill = |len: usize, k: usize| -> Vec<T> {
        (0..len)
            .map(|i| T::from_f64(((i * 7 + k) % 13) as f64 / 13.0 - 0.5))
            .collect()
    };
    let x = fill(examples * d, 1);
    let w1 = fill(d * width, 2);
    let w2 = fill(h * width, 3);
    let mut a = vec![T::default(); examples * h];
    let mut dz = fill(examples * width, 4);
    let mut grad = vec![T::default(); h * width];
    let mut partials = vec![T::default(); rayon::current_num_threads().max(1) * d * width];
    let mut round = || {
        product_rows(
            &x,
            d,
            Right {
                data: &w1,
                rows: d,
                cols: width,
                transposed: false,
            },
            &mut a,
            h,
            examples,
            &|_, _, _| {},
        );
        product_transposed(
            &a,
            h,
            h,
            &dz,
            width,
            width,
            examples,
            &mut grad,
            &mut partials,
        );
        product_rows(
            &a,
            h,
            Right {
                data: &w2[..width * width],
                rows: width,
                cols: width,
                transposed: true,
            },
            &mut dz,
            width,
            examples,
            &|_, _, _| {},
        );
    };
    round();
    let start = std::time::Instant::now();
    for _ in 0..repeats.max(1) {
        round();
    }
    let seconds = start.elapsed().as_secs_f64();
    let multiply_adds = examples as f64 * (d * width + h * width + width * width) as f64;
    2.0 * multiply_adds * repeats.max(1) as f64 / seconds / 1e9
}
