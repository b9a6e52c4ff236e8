//! The optimisers with PyTorch's update rules (`torch.optim.SGD` without dampening or Nesterov,
//! `torch.optim.Adam` without AMSGrad); weight decay w is added to the gradient first
//! (g ← g + w θ), as PyTorch does.

use super::Optimiser;
use crate::error::InputError;

pub(super) fn sgd_learning_rate() -> f64 {
    1e-2
}
pub(super) fn sgd_momentum() -> f64 {
    0.9
}
pub(super) fn adam_learning_rate() -> f64 {
    1e-3
}
pub(super) fn adam_beta1() -> f64 {
    0.9
}
pub(super) fn adam_beta2() -> f64 {
    0.999
}
pub(super) fn adam_epsilon() -> f64 {
    1e-8
}

impl Optimiser {
    /// Checks every field; errors name it under `optimiser.` (e.g. `optimiser.sgd.momentum`).
    pub fn check(&self) -> Result<(), InputError> {
        let positive = |field: &str, v: f64, hint: &str| -> Result<(), InputError> {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(InputError::new(
                    field,
                    format!("is {v}; give a finite number > 0 ({hint})"),
                ))
            }
        };
        let unit = |field: &str, v: f64, hint: &str| -> Result<(), InputError> {
            if v.is_finite() && (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(InputError::new(
                    field,
                    format!("is {v}; give a number in [0, 1) ({hint})"),
                ))
            }
        };
        match *self {
            Optimiser::Sgd {
                learning_rate,
                momentum,
            } => {
                positive(
                    "optimiser.sgd.learning_rate",
                    learning_rate,
                    "the paper: 0.01",
                )?;
                unit("optimiser.sgd.momentum", momentum, "the paper: 0.9")?;
            }
            Optimiser::Adam {
                learning_rate,
                beta1,
                beta2,
                epsilon,
            } => {
                positive("optimiser.adam.learning_rate", learning_rate, "e.g. 0.001")?;
                unit("optimiser.adam.beta1", beta1, "PyTorch's default: 0.9")?;
                unit("optimiser.adam.beta2", beta2, "PyTorch's default: 0.999")?;
                positive("optimiser.adam.epsilon", epsilon, "PyTorch's default: 1e-8")?;
            }
        }
        Ok(())
    }
}

/// An optimiser with its state (momentum buffer, or Adam's moments and step count).
#[derive(Debug, Clone)]
pub(crate) struct OptimiserState {
    rule: Optimiser,
    weight_decay: f64,
    first: Vec<f64>,
    second: Vec<f64>,
    steps: u64,
}

impl OptimiserState {
    /// A fresh state for `parameters` parameters.
    pub(super) fn new(rule: &Optimiser, weight_decay: f64, parameters: usize) -> Self {
        let second = match rule {
            Optimiser::Adam { .. } => vec![0.0; parameters],
            Optimiser::Sgd { .. } => Vec::new(),
        };
        Self {
            rule: rule.clone(),
            weight_decay,
            first: vec![0.0; parameters],
            second,
            steps: 0,
        }
    }

    /// One step: `grad` is ∂loss/∂θ (weight decay is added here; `grad` is overwritten).
    ///
    /// SGD: g ← g + wθ; b ← g on the first step, b ← μ b + g afterwards; θ ← θ − η b.
    /// Adam: g ← g + wθ; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
    /// θ ← θ − (η/(1−β₁ᵗ)) m / (√v/√(1−β₂ᵗ) + ε).
    pub(super) fn step(&mut self, theta: &mut [f64], grad: &mut [f64]) {
        if self.weight_decay != 0.0 {
            let w = self.weight_decay;
            for (g, t) in grad.iter_mut().zip(theta.iter()) {
                *g += w * t;
            }
        }
        self.steps += 1;
        match self.rule {
            Optimiser::Sgd {
                learning_rate,
                momentum,
            } => {
                if momentum == 0.0 {
                    for (t, g) in theta.iter_mut().zip(grad.iter()) {
                        *t -= learning_rate * g;
                    }
                } else {
                    let first_step = self.steps == 1;
                    for ((t, g), b) in theta.iter_mut().zip(grad.iter()).zip(&mut self.first) {
                        *b = if first_step { *g } else { momentum * *b + g };
                        *t -= learning_rate * *b;
                    }
                }
            }
            Optimiser::Adam {
                learning_rate,
                beta1,
                beta2,
                epsilon,
            } => {
                let t = self.steps as i32;
                let bias1 = 1.0 - beta1.powi(t);
                let bias2_sqrt = (1.0 - beta2.powi(t)).sqrt();
                let step_size = learning_rate / bias1;
                for (((th, g), m), v) in theta
                    .iter_mut()
                    .zip(grad.iter())
                    .zip(&mut self.first)
                    .zip(&mut self.second)
                {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * g * g;
                    let denom = v.sqrt() / bias2_sqrt + epsilon;
                    *th -= step_size * *m / denom;
                }
            }
        }
    }
}
