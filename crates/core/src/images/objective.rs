//! The training objectives of Table 1 as functions of the outputs ŷ, with their gradients
//! ∂loss/∂ŷ (the network's backward pass turns them into ∂loss/∂θ; the L2 term of IRMv1 is
//! added on θ directly). ℓ(ŷ, y) = log(1 + e^ŷ) − y ŷ is the binary cross-entropy on the
//! logit ŷ with y ∈ {0, 1}; σ is the logistic function.
//!
//! - ERM: mean ℓ; ∂/∂ŷ_i = (σ(ŷ_i) − y_i)/n.
//! - SD (spectral decoupling, the paper's Eq. 12 on logits): a·mean ℓ + c·mean ŷ² with a = 1
//!   before `schedule_step` and a = c from it on; ∂/∂ŷ_i = (a (σ − y) + 2 c ŷ_i)/n.
//! - IRMv1: per environment e (n_e examples) the scale gradient
//!   g_e = ∂/∂s mean_e ℓ(s ŷ, y)|_{s=1} = mean_e (σ(ŷ) − y) ŷ, penalty P = mean_e g_e²;
//!   loss = (mean_e mean_e ℓ + λ‖θ‖² + w P) / max(w, 1) with w = 1 before `anneal_step` and the
//!   penalty weight from it on. P is first order in ŷ's own gradient:
//!   ∂P/∂ŷ_i = (2 g_e / E)(1/n_e)(σ(1 − σ) ŷ_i + σ − y_i), so no second derivative of the
//!   network is needed.

use serde::{Deserialize, Serialize};

use super::gemm::Real;
use crate::numerics::{logistic, softplus};

/// A training objective with its schedule (defaults: the protocol's constants).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Objective {
    /// Mean binary cross-entropy.
    Erm,
    /// Spectral decoupling with the protocol's schedule.
    Sd {
        /// c (the protocol: 2·10⁻⁵).
        coefficient: f64,
        /// From this step on the cross-entropy is multiplied by c too (the protocol: 450).
        schedule_step: usize,
    },
    /// IRMv1.
    Irm {
        /// λ of λ‖θ‖² (the protocol: 0.00110794568).
        l2: f64,
        /// w from `anneal_step` on (the protocol: 91257.18613115903).
        penalty_weight: f64,
        /// Before this step w = 1 (the protocol: 190).
        anneal_step: usize,
    },
}

/// The value of an objective at one step and what the optimiser needs besides ∂loss/∂ŷ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObjectiveValue {
    /// The loss (with its L2 term).
    pub loss: f64,
    /// The mean binary cross-entropy alone.
    pub cross_entropy: f64,
    /// Fraction of examples with (ŷ > 0) = y.
    pub accuracy: f64,
    /// ∂loss/∂θ gets `l2_gradient` · θ added (2λ/max(w, 1) for IRMv1, else 0).
    pub l2_gradient: f64,
}

impl Objective {
    /// The value at `step` for outputs ŷ (`outputs`), labels y ∈ {0, 1}, training environments
    /// stored one after the other with sizes `environments`, and ‖θ‖² = `theta_norm2`; writes
    /// ∂loss/∂ŷ into `gradient`.
    pub fn evaluate<T: Real>(
        &self,
        step: usize,
        outputs: &[T],
        labels: &[u8],
        environments: &[usize],
        theta_norm2: f64,
        gradient: &mut [T],
    ) -> ObjectiveValue {
        let n = outputs.len();
        let mut cross_entropy = 0.0;
        let mut correct = 0usize;
        for (&o, &y) in outputs.iter().zip(labels) {
            let o = o.to_f64();
            cross_entropy += softplus(o) - f64::from(y) * o;
            correct += usize::from((o > 0.0) == (y == 1));
        }
        cross_entropy /= n.max(1) as f64;
        let accuracy = correct as f64 / n.max(1) as f64;
        let inv_n = 1.0 / n.max(1) as f64;
        match *self {
            Objective::Erm => {
                for ((g, &o), &y) in gradient.iter_mut().zip(outputs).zip(labels) {
                    *g = T::from_f64((logistic(o.to_f64()) - f64::from(y)) * inv_n);
                }
                ObjectiveValue {
                    loss: cross_entropy,
                    cross_entropy,
                    accuracy,
                    l2_gradient: 0.0,
                }
            }
            Objective::Sd {
                coefficient: c,
                schedule_step,
            } => {
                let a = if step >= schedule_step { c } else { 1.0 };
                let mut square = 0.0;
                for ((g, &o), &y) in gradient.iter_mut().zip(outputs).zip(labels) {
                    let o = o.to_f64();
                    square += o * o;
                    *g = T::from_f64((a * (logistic(o) - f64::from(y)) + 2.0 * c * o) * inv_n);
                }
                ObjectiveValue {
                    loss: a * cross_entropy + c * square * inv_n,
                    cross_entropy,
                    accuracy,
                    l2_gradient: 0.0,
                }
            }
            Objective::Irm {
                l2,
                penalty_weight,
                anneal_step,
            } => {
                let w = if step >= anneal_step {
                    penalty_weight
                } else {
                    1.0
                };
                let scale = if w > 1.0 { 1.0 / w } else { 1.0 };
                let e_count = environments.len().max(1) as f64;
                let mut nll = 0.0;
                let mut penalty = 0.0;
                let mut start = 0;
                for &size in environments {
                    let range = start..start + size;
                    start += size;
                    let inv = 1.0 / size.max(1) as f64;
                    let (mut nll_e, mut g_e) = (0.0, 0.0);
                    for (&o, &y) in outputs[range.clone()].iter().zip(&labels[range.clone()]) {
                        let o = o.to_f64();
                        nll_e += softplus(o) - f64::from(y) * o;
                        g_e += (logistic(o) - f64::from(y)) * o;
                    }
                    nll_e *= inv;
                    g_e *= inv;
                    nll += nll_e / e_count;
                    penalty += g_e * g_e / e_count;
                    let factor = w * 2.0 * g_e / e_count * inv;
                    for ((g, &o), &y) in gradient[range.clone()]
                        .iter_mut()
                        .zip(&outputs[range.clone()])
                        .zip(&labels[range])
                    {
                        let o = o.to_f64();
                        let s = logistic(o);
                        let residual = s - f64::from(y);
                        let d_penalty = factor * (s * (1.0 - s) * o + residual);
                        *g = T::from_f64(scale * (residual * inv / e_count + d_penalty));
                    }
                }
                ObjectiveValue {
                    loss: scale * (nll + l2 * theta_norm2 + w * penalty),
                    cross_entropy,
                    accuracy,
                    l2_gradient: scale * 2.0 * l2,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ∂loss/∂ŷ of every objective, on both sides of its schedule step, equals the central
    /// difference of the loss (step h = 10⁻⁵: truncation ~h²·|ℓ'''| ≈ 10⁻¹¹ relative; checked
    /// at 10⁻⁷ relative to the largest component).
    #[test]
    fn output_gradients_match_finite_differences() {
        let outputs: Vec<f64> = (0..10).map(|k| (k as f64 * 0.77).sin() * 2.0).collect();
        let labels: Vec<u8> = (0..10).map(|k| (k % 3 == 0) as u8).collect();
        let environments = [4, 6];
        let objectives = [
            Objective::Erm,
            Objective::Sd {
                coefficient: 0.3,
                schedule_step: 5,
            },
            Objective::Irm {
                l2: 0.01,
                penalty_weight: 50.0,
                anneal_step: 5,
            },
        ];
        for objective in &objectives {
            for step in [0, 7] {
                let mut g = vec![0.0; 10];
                let mut scratch = vec![0.0; 10];
                objective.evaluate(step, &outputs, &labels, &environments, 2.0, &mut g);
                let scale = g.iter().fold(0.0f64, |m, x| m.max(x.abs()));
                for i in 0..10 {
                    let h = 1e-5;
                    let mut plus = outputs.clone();
                    plus[i] += h;
                    let mut minus = outputs.clone();
                    minus[i] -= h;
                    let lp = objective
                        .evaluate(step, &plus, &labels, &environments, 2.0, &mut scratch)
                        .loss;
                    let lm = objective
                        .evaluate(step, &minus, &labels, &environments, 2.0, &mut scratch)
                        .loss;
                    let fd = (lp - lm) / (2.0 * h);
                    assert!(
                        (fd - g[i]).abs() < 1e-7 * scale,
                        "{objective:?} step {step} i {i}: {fd} vs {}",
                        g[i]
                    );
                }
            }
        }
    }
}
