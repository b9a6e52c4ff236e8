//! One restart of one method: Adam on full batches of the pooled training environments, the
//! protocol's loop (each iteration measures the loss and accuracies at the current θ, then
//! updates; the last iteration only measures, so `steps` = 1001 is 1000 updates and the
//! reported accuracies are those of the returned network), recording a training curve.

use std::time::Instant;

use super::colored::{ColouredImages, ColouredSplit, Rendering};
use super::gemm::Real;
use super::mlp::{Layout, Workspace, backward, forward};
use super::{Curve, ImageNetwork, MethodRun, Precision, ResponseTracking, RestartRecord};
use crate::error::{Error, SolveError};

/// PyTorch's Adam (no AMSGrad, no weight decay) on a flat θ.
struct Adam<T> {
    m: Vec<T>,
    v: Vec<T>,
    t: i32,
    learning_rate: f64,
    beta1: f64,
    beta2: f64,
    epsilon: f64,
}

impl<T: Real> Adam<T> {
    fn new(parameters: usize, run: &MethodRun) -> Self {
        Self {
            m: vec![T::default(); parameters],
            v: vec![T::default(); parameters],
            t: 0,
            learning_rate: run.learning_rate,
            beta1: run.beta1,
            beta2: run.beta2,
            epsilon: run.epsilon,
        }
    }

    /// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − (η/(1−β₁ᵗ)) m / (√v/√(1−β₂ᵗ) + ε).
    fn step(&mut self, theta: &mut [T], grad: &[T]) {
        self.t += 1;
        let b1 = T::from_f64(self.beta1);
        let c1 = T::from_f64(1.0 - self.beta1);
        let b2 = T::from_f64(self.beta2);
        let c2 = T::from_f64(1.0 - self.beta2);
        let step = T::from_f64(self.learning_rate / (1.0 - self.beta1.powi(self.t)));
        let root2 = T::from_f64((1.0 - self.beta2.powi(self.t)).sqrt());
        let eps = T::from_f64(self.epsilon);
        for (((p, &g), m), v) in theta
            .iter_mut()
            .zip(grad)
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
        {
            *m = b1 * *m + c1 * g;
            *v = b2 * *v + c2 * g * g;
            *p = *p - step * *m / (v.sqrt() / root2 + eps);
        }
    }
}

/// Fraction of (ŷ > 0) = y.
fn accuracy<T: Real>(outputs: &[T], labels: &[u8]) -> f64 {
    let correct = outputs
        .iter()
        .zip(labels)
        .filter(|(o, y)| (o.to_f64() > 0.0) == (**y == 1))
        .count();
    correct as f64 / outputs.len().max(1) as f64
}

/// Trains one restart in precision `T`; `progress(1)` after each step.
pub(crate) fn train_restart<T: Real>(
    split: &ColouredSplit,
    run: &MethodRun,
    seed: u64,
    every: usize,
    tracking: Option<&ResponseTracking>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RestartRecord, Error> {
    let start = Instant::now();
    let dimension = split.train.dimension(run.grey_input);
    let layout = Layout::new(dimension, &run.hidden);
    let theta0 = layout.initialise(seed);
    // The tracked eigenvectors u_k of K at θ₀ (columns of `basis`, n_t × indices).
    let (spectrum, basis, prediction) = match tracking {
        Some(t) => {
            let network = ImageNetwork {
                dimension,
                hidden: run.hidden.clone(),
                grey_input: run.grey_input,
                precision: Precision::F64,
                parameters: theta0.clone(),
            };
            let (kernel, outputs) = super::tangent::tangent_kernel(
                &network,
                &split.train,
                Rendering::PROTOCOL,
                t.examples,
            );
            let (values, vectors) = super::tangent::eigen_descending(kernel.clone());
            let columns: Vec<Vec<f64>> = t
                .indices
                .iter()
                .map(|&k| vectors.column(k).iter().copied().collect())
                .collect();
            let prediction = match super::predicted_coefficient(run) {
                Some(sd) => Some(super::linearised::predict(
                    &kernel,
                    &outputs,
                    &split.train.labels,
                    values.first().copied().unwrap_or(1.0),
                    &columns,
                    sd,
                )?),
                None => None,
            };
            (values.into_iter().take(32).collect(), columns, prediction)
        }
        None => (Vec::new(), Vec::new(), None),
    };
    let mut theta: Vec<T> = theta0.into_iter().map(T::from_f64).collect();
    let mut x_train = Vec::new();
    split
        .train
        .write_inputs(Rendering::PROTOCOL, run.grey_input, true, &mut x_train);
    let mut x_test = Vec::new();
    split
        .test
        .write_inputs(Rendering::PROTOCOL, run.grey_input, true, &mut x_test);
    let mut ws = Workspace::new(&layout, split.train.len(), true);
    let mut test_ws = Workspace::new(&layout, split.test.len(), false);
    let mut g = vec![T::default(); split.train.len()];
    let mut grad = vec![T::default(); layout.parameters];
    let mut adam = Adam::new(layout.parameters, run);
    let mut curve = Curve::default();
    let steps = run.steps.max(1);
    let every = every.max(1);
    let (mut last_train, mut last_test, mut last_loss) = (0.0, 0.0, 0.0);
    for step in 0..steps {
        forward(&layout, &theta, &x_train, &mut ws);
        let norm2 = if matches!(run.objective, super::Objective::Irm { .. }) {
            theta.iter().map(|t| t.to_f64() * t.to_f64()).sum()
        } else {
            0.0
        };
        let value = run.objective.evaluate(
            step,
            &ws.outputs,
            &split.train.labels,
            &split.train.environment_sizes,
            norm2,
            &mut g,
        );
        if !value.loss.is_finite() {
            return Err(SolveError::Undefined(format!(
                "{}: the training loss became non-finite at step {step} (seed {seed}); lower the learning rate",
                run.name
            ))
            .into());
        }
        let last = step + 1 == steps;
        if step % every == 0 || last {
            forward(&layout, &theta, &x_test, &mut test_ws);
            let test = accuracy(&test_ws.outputs, &split.test.labels);
            curve.steps.push(step);
            curve.loss.push(value.loss);
            curve.train_accuracy.push(value.accuracy);
            curve.test_accuracy.push(test);
            if !basis.is_empty() {
                curve.responses.push(
                    basis
                        .iter()
                        .map(|u| {
                            u.iter()
                                .zip(&ws.outputs)
                                .map(|(a, b)| a * b.to_f64())
                                .sum::<f64>()
                                .abs()
                        })
                        .collect(),
                );
            }
            (last_train, last_test, last_loss) = (value.accuracy, test, value.loss);
        }
        if !last {
            backward(&layout, &theta, &x_train, &mut ws, &g, &mut grad);
            if value.l2_gradient != 0.0 {
                let c = T::from_f64(value.l2_gradient);
                for (d, &t) in grad.iter_mut().zip(&theta) {
                    *d += c * t;
                }
            }
            adam.step(&mut theta, &grad);
        }
        progress(1);
    }
    Ok(RestartRecord {
        method: run.name.clone(),
        seed,
        train_accuracy: last_train,
        test_accuracy: last_test,
        loss: last_loss,
        curve,
        seconds: start.elapsed().as_secs_f64(),
        spectrum,
        prediction,
        network: ImageNetwork {
            dimension,
            hidden: run.hidden.clone(),
            grey_input: run.grey_input,
            precision: precision_of::<T>(),
            parameters: theta.iter().map(|t| t.to_f64()).collect(),
        },
    })
}

fn precision_of<T: Real>() -> Precision {
    if T::NAME == "f64" {
        Precision::F64
    } else {
        Precision::F32
    }
}

/// The logits of `network` on `images` rendered as `rendering`.
pub(crate) fn logits<T: Real>(
    network: &ImageNetwork,
    images: &ColouredImages,
    rendering: Rendering,
) -> Vec<f64> {
    let layout = Layout::new(network.dimension, &network.hidden);
    let theta: Vec<T> = network.parameters.iter().map(|&t| T::from_f64(t)).collect();
    let mut x = Vec::new();
    images.write_inputs(rendering, network.grey_input, true, &mut x);
    let mut ws = Workspace::new(&layout, images.len(), false);
    forward(&layout, &theta, &x, &mut ws);
    ws.outputs.iter().map(|o| o.to_f64()).collect()
}

/// The full loss at θ and ∂loss/∂θ (f64), as the trainer computes them at `step`.
pub(crate) fn loss_and_gradient(
    split: &ColouredSplit,
    run: &MethodRun,
    theta: &[f64],
    step: usize,
) -> (f64, Vec<f64>) {
    let dimension = split.train.dimension(run.grey_input);
    let layout = Layout::new(dimension, &run.hidden);
    let mut x = Vec::new();
    split
        .train
        .write_inputs(Rendering::PROTOCOL, run.grey_input, true, &mut x);
    let mut ws = Workspace::new(&layout, split.train.len(), true);
    forward(&layout, theta, &x, &mut ws);
    let norm2 = theta.iter().map(|t| t * t).sum();
    let mut g = vec![0.0; split.train.len()];
    let value = run.objective.evaluate(
        step,
        &ws.outputs,
        &split.train.labels,
        &split.train.environment_sizes,
        norm2,
        &mut g,
    );
    let mut grad = vec![0.0; layout.parameters];
    backward(&layout, theta, &x, &mut ws, &g, &mut grad);
    for (d, t) in grad.iter_mut().zip(theta) {
        *d += value.l2_gradient * t;
    }
    (value.loss, grad)
}

/// Seconds per training step (forward, objective, backward, Adam) of `run` on `split`,
/// measured over `steps` steps after one warm-up step.
pub(crate) fn seconds_per_step<T: Real>(
    split: &ColouredSplit,
    run: &MethodRun,
    steps: usize,
) -> f64 {
    let timed = MethodRun {
        steps: steps + 2,
        ..run.clone()
    };
    // Warm-up: the first step touches every buffer for the first time.
    let t0 = Instant::now();
    let first = std::sync::atomic::AtomicU64::new(0);
    let marks = std::sync::Mutex::new(Vec::new());
    let _ = train_restart::<T>(split, &timed, 0, usize::MAX, None, &|_| {
        first.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut m) = marks.lock() {
            m.push(t0.elapsed().as_secs_f64());
        }
    });
    let marks = marks.into_inner().unwrap_or_default();
    if marks.len() < 2 {
        return f64::NAN;
    }
    // From the end of the first step to the end of the last full step (the final one only
    // measures).
    let end = marks[marks.len() - 2];
    (end - marks[0]) / (marks.len() - 2).max(1) as f64
}
