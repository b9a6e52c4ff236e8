//! The cost of training, estimated from the inputs before anything is allocated: peak memory
//! and multiply-adds, with tracking and predictions counted.

use super::mlp::Mlp;
use super::train::recorded_epochs_count;
use super::{Dataset, Tracking, Training};
use crate::error::InputError;

/// Largest peak memory one training call may need (4 GiB): refused beyond it before
/// allocation, so a spec never drives the machine into swapping or the process into an abort.
pub const MAX_MEMORY_BYTES: f64 = 4.0 * (1u64 << 30) as f64;

/// Bytes of one f64.
const F64: f64 = 8.0;

/// Peak memory of training one seed on `data` (bytes, an upper estimate): data, parameters
/// with gradient and optimiser state, activations of the forward and backward passes, the loss
/// record, and with tracking the tangent features J (n × m), the kernel with its eigenvectors
/// and scratch (4 n²), the recorded |z_k| (real, linearised, map, flow) and with predictions
/// the linearised network's state.
pub fn training_peak_bytes(
    data: &Dataset,
    training: &Training,
    tracking: Option<&Tracking>,
) -> f64 {
    let n = data.len() as f64;
    let d = data.dimension as f64;
    let m = Mlp::new(data.dimension, &training.architecture).parameters as f64;
    let widths: f64 = training.architecture.hidden.iter().map(|&w| w as f64).sum();
    let mut words = n * (d + 1.0) // data and labels
        + 4.0 * m // θ, gradient, two optimiser buffers
        + 4.0 * n * (widths + 1.0) // pre-activations, activations and their gradients
        + (training.epochs as f64 + 1.0); // the loss record
    if let Some(t) = tracking {
        let recorded = recorded_epochs_count(training.epochs, t.every) as f64;
        let indices = t.indices.len() as f64;
        words += n * m + 4.0 * n * n + 4.0 * recorded * indices;
        if t.predictions {
            words += 4.0 * m + 4.0 * n;
        }
        if let Some(sde) = &t.sde {
            // Every path's recorded |z_k| until the ensemble statistics, and its state.
            words += sde.paths as f64 * (recorded * indices + 4.0 * n);
        }
    }
    F64 * words
}

/// Multiply-adds of training one seed: forward and backward passes over every epoch
/// (≈ epochs · n · m), and with tracking J and K₀ (n · m + n² · m), the projections of the
/// recorded outputs (recorded · n · indices) and with predictions the linearised network's
/// training (≈ epochs · n · m again), the map (epochs · n²), the kernel drift (11 kernels of
/// n² · Σ widths) and with `sde` its paths (paths · steps · n²).
pub fn training_work(data: &Dataset, training: &Training, tracking: Option<&Tracking>) -> f64 {
    let n = data.len() as f64;
    let m = Mlp::new(data.dimension, &training.architecture).parameters as f64;
    let widths: f64 = training.architecture.hidden.iter().map(|&w| w as f64).sum();
    let epochs = training.epochs as f64;
    let mut work = epochs * n * m;
    if let Some(t) = tracking {
        let recorded = recorded_epochs_count(training.epochs, t.every) as f64;
        work += n * m + n * n * m + recorded * n * t.indices.len() as f64;
        if t.predictions {
            work += epochs * n * m + super::KERNEL_DRIFT_POINTS as f64 * n * n * widths.max(1.0);
            // The map: one n × n mat-vec per epoch (n · B per step).
            work += epochs * n * n;
        }
        if let Some(sde) = &t.sde {
            // One n × n mat-vec per Euler–Maruyama step and path, and the stability check's
            // eigenvalues of K.
            let steps = n / training.batch_size.unwrap_or(data.len()).max(1) as f64;
            work +=
                sde.paths as f64 * epochs * steps.ceil() * sde.substeps as f64 * n * n + n * n * n;
        }
    }
    work
}

/// Refuses training whose peak memory (per seed, times the seeds trained at once on
/// `parallel` threads) exceeds [`MAX_MEMORY_BYTES`]; the error names `field`.
pub fn check_memory(
    data: &Dataset,
    training: &Training,
    tracking: Option<&Tracking>,
    seeds: usize,
    parallel: usize,
    field: &str,
) -> Result<(), InputError> {
    let at_once = seeds.min(parallel.max(1)).max(1) as f64;
    let bytes = training_peak_bytes(data, training, tracking) * at_once;
    if bytes.is_nan() || bytes > MAX_MEMORY_BYTES {
        return Err(InputError::new(
            field,
            format!(
                "needs about {:.1} GiB at its peak ({} seed(s) at once; tracking's n × m Jacobian and n × n kernels included), more than the {:.0} GiB one training may use; use fewer examples, a narrower network, fewer recorded epochs or indices",
                bytes / (1u64 << 30) as f64,
                at_once,
                MAX_MEMORY_BYTES / (1u64 << 30) as f64
            ),
        ));
    }
    Ok(())
}
