//! The fully connected ReLU network: parameter layout, PyTorch's default initialisation, and the
//! full-batch forward and backward passes (dense layers, batch norm, ReLU, dropout).
//!
//! Layer l maps p inputs to q outputs: Z = A W + 1 bᵀ with W stored p × q row-major (the
//! transpose of PyTorch's `weight`), then on hidden layers optionally batch norm
//! (γ x̂ + β, x̂ = (Z − μ)/√(σ² + 10⁻⁵)), ReLU, and dropout (inverted: kept units scaled by
//! 1/(1 − p)). The parameter vector θ holds, layer by layer, W, b, then γ, β when batch norm is on.
//!
//! In the NTK parameterisation a layer computes Z = A W/√p + 1 bᵀ: the passes run on the
//! effective parameters (W/√p, b) ([`Mlp::effective_into`]) and the gradient with respect to θ
//! is the effective one with its W blocks scaled by 1/√p ([`Mlp::scale_gradient`]).

use crate::numerics::SeededRng;

use super::kernels::{axpy, dot, gemm, relu};
use super::{Architecture, Parameterisation};

/// Batch norm's ε (PyTorch's default).
pub(crate) const BN_EPSILON: f64 = 1e-5;
/// Batch norm's running-statistics momentum (PyTorch's default).
pub(crate) const BN_MOMENTUM: f64 = 0.1;
/// Input widths up to this use the hand-written first-layer loops instead of `dgemm`.
const SMALL_INPUT: usize = 8;

/// Where one dense layer's parameters sit in θ.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DenseSlots {
    pub inputs: usize,
    pub outputs: usize,
    pub w: usize,
    pub b: usize,
    /// γ and β of batch norm (hidden layers only).
    pub norm: Option<(usize, usize)>,
}

/// The network's shape and options.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mlp {
    pub layers: Vec<DenseSlots>,
    pub parameters: usize,
    pub dropout: f64,
    pub batch_norm: bool,
    /// The parameterisation; in `Ntk` the factor 1/√p of layer l is `weight_scales[l]`.
    pub parameterisation: Parameterisation,
    /// Per layer, the factor multiplying W in the pass: 1 (standard) or 1/√p (NTK).
    pub weight_scales: Vec<f64>,
}

/// Batch norm's running mean and variance, one pair per hidden layer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RunningStats {
    pub mean: Vec<Vec<f64>>,
    pub var: Vec<Vec<f64>>,
}

/// Training mode (batch statistics, dropout masks from the generator) or evaluation mode.
pub(crate) enum Mode<'a> {
    Train(&'a mut SeededRng),
    Eval,
}

/// Activations and signals of one full-batch pass.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cache {
    pub n: usize,
    /// Pre-activations Z of each hidden layer (before batch norm), n × q.
    pub pre: Vec<Vec<f64>>,
    /// x̂ of each hidden layer (batch norm only), n × q.
    pub normalised: Vec<Vec<f64>>,
    /// 1/√(σ² + ε) per unit of each hidden layer (batch norm only).
    pub inv_std: Vec<Vec<f64>>,
    /// The ReLU's input (Z, or γ x̂ + β), n × q.
    pub relu_in: Vec<Vec<f64>>,
    /// Dropout multipliers (0 or 1/(1 − p)), n × q, empty when not dropping.
    pub masks: Vec<Vec<f64>>,
    /// Outputs of each hidden layer, n × q.
    pub acts: Vec<Vec<f64>>,
    /// ŷ, n.
    pub outputs: Vec<f64>,
    /// ∂/∂Z of each hidden layer (after `backward`), n × q.
    pub grad_pre: Vec<Vec<f64>>,
    /// ∂/∂(ReLU input) of each hidden layer (after `backward`), n × q.
    pub grad_relu_in: Vec<Vec<f64>>,
    scratch: Vec<f64>,
}

impl Mlp {
    /// The layout of d → hidden… → 1.
    pub(super) fn new(dimension: usize, architecture: &Architecture) -> Self {
        let mut widths = vec![dimension];
        widths.extend(&architecture.hidden);
        widths.push(1);
        let hidden = architecture.hidden.len();
        let mut layers = Vec::with_capacity(hidden + 1);
        let mut at = 0;
        for l in 0..=hidden {
            let (p, q) = (widths[l], widths[l + 1]);
            let w = at;
            let b = w + p * q;
            at = b + q;
            let norm = (architecture.batch_norm && l < hidden).then(|| {
                let g = at;
                at += 2 * q;
                (g, g + q)
            });
            layers.push(DenseSlots {
                inputs: p,
                outputs: q,
                w,
                b,
                norm,
            });
        }
        let weight_scales = layers
            .iter()
            .map(|l| match architecture.parameterisation {
                Parameterisation::Standard => 1.0,
                Parameterisation::Ntk => 1.0 / (l.inputs as f64).sqrt(),
            })
            .collect();
        Self {
            layers,
            parameters: at,
            dropout: architecture.dropout,
            batch_norm: architecture.batch_norm,
            parameterisation: architecture.parameterisation,
            weight_scales,
        }
    }

    /// Whether θ is used as is by the passes (PyTorch's standard parameterisation).
    pub(super) fn is_standard(&self) -> bool {
        self.parameterisation == Parameterisation::Standard
    }

    /// The effective parameters of the pass, θ with every W block scaled by its layer's factor
    /// (a copy of θ in the standard parameterisation), into `out`.
    pub(super) fn effective_into(&self, theta: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.extend_from_slice(theta);
        self.scale_gradient(out);
    }

    /// The effective parameters as a borrowed θ (standard) or a scaled copy (NTK).
    pub(super) fn effective<'a>(&self, theta: &'a [f64]) -> std::borrow::Cow<'a, [f64]> {
        if self.is_standard() {
            std::borrow::Cow::Borrowed(theta)
        } else {
            let mut out = Vec::with_capacity(theta.len());
            self.effective_into(theta, &mut out);
            std::borrow::Cow::Owned(out)
        }
    }

    /// Turns ∂/∂(effective parameters) into ∂/∂θ: every W block times its layer's factor
    /// (nothing to do in the standard parameterisation). Also maps θ to the effective parameters.
    pub(super) fn scale_gradient(&self, grad: &mut [f64]) {
        if self.is_standard() {
            return;
        }
        for (layer, c) in self.layers.iter().zip(&self.weight_scales) {
            for g in &mut grad[layer.w..layer.w + layer.inputs * layer.outputs] {
                *g *= c;
            }
        }
    }

    /// Number of hidden layers.
    pub(super) fn hidden(&self) -> usize {
        self.layers.len() - 1
    }

    /// Whether training and evaluation passes coincide (no dropout, no batch norm).
    pub(super) fn is_plain(&self) -> bool {
        self.dropout == 0.0 && !self.batch_norm
    }

    /// The initialisation from `seed`: standard (PyTorch's default), every weight and bias of a
    /// layer with p inputs uniform in [−1/√p, 1/√p]; NTK, every weight and bias N(0, 1); γ = 1,
    /// β = 0.
    pub(super) fn initialise(&self, seed: u64) -> Vec<f64> {
        let mut rng = SeededRng::new(seed);
        let mut theta = vec![0.0; self.parameters];
        for layer in &self.layers {
            let bound = 1.0 / (layer.inputs as f64).sqrt();
            let end = layer.b + layer.outputs;
            for t in &mut theta[layer.w..end] {
                *t = match self.parameterisation {
                    Parameterisation::Standard => bound * (2.0 * rng.uniform() - 1.0),
                    Parameterisation::Ntk => rng.normal(),
                };
            }
            if let Some((g, _)) = layer.norm {
                theta[g..g + layer.outputs].fill(1.0);
            }
        }
        theta
    }

    /// Running statistics at initialisation (mean 0, variance 1).
    pub(super) fn initial_stats(&self) -> RunningStats {
        let widths: Vec<usize> = self.layers[..self.hidden()]
            .iter()
            .map(|l| l.outputs)
            .collect();
        RunningStats {
            mean: widths.iter().map(|&q| vec![0.0; q]).collect(),
            var: widths.iter().map(|&q| vec![1.0; q]).collect(),
        }
    }

    /// Full-batch forward pass on `points` (n × d): fills `cache` and returns ŷ in
    /// `cache.outputs`. In training mode batch norm uses batch statistics and updates `stats`.
    pub(super) fn forward(
        &self,
        theta: &[f64],
        points: &[f64],
        stats: &mut RunningStats,
        mode: &mut Mode,
        cache: &mut Cache,
    ) {
        let d = self.layers[0].inputs;
        let n = points.len() / d;
        let hidden = self.hidden();
        cache.n = n;
        for v in [
            &mut cache.pre,
            &mut cache.normalised,
            &mut cache.inv_std,
            &mut cache.relu_in,
            &mut cache.masks,
            &mut cache.acts,
            &mut cache.grad_pre,
            &mut cache.grad_relu_in,
        ] {
            v.resize_with(hidden, Vec::new);
        }
        let training = matches!(mode, Mode::Train(_));
        for l in 0..hidden {
            let layer = &self.layers[l];
            let q = layer.outputs;
            let mut pre = std::mem::take(&mut cache.pre[l]);
            pre.resize(n * q, 0.0);
            {
                let input: &[f64] = if l == 0 { points } else { &cache.acts[l - 1] };
                dense_forward(theta, layer, input, n, &mut pre);
            }
            let mut relu_in = std::mem::take(&mut cache.relu_in[l]);
            relu_in.resize(n * q, 0.0);
            if let Some((g, b)) = layer.norm {
                let gamma = &theta[g..g + q];
                let beta = &theta[b..b + q];
                let (mean, var) = if training {
                    let (mean, var) = column_moments(&pre, n, q);
                    let unbiased = if n > 1 {
                        n as f64 / (n - 1) as f64
                    } else {
                        1.0
                    };
                    for k in 0..q {
                        stats.mean[l][k] =
                            (1.0 - BN_MOMENTUM) * stats.mean[l][k] + BN_MOMENTUM * mean[k];
                        stats.var[l][k] =
                            (1.0 - BN_MOMENTUM) * stats.var[l][k] + BN_MOMENTUM * var[k] * unbiased;
                    }
                    (mean, var)
                } else {
                    (stats.mean[l].clone(), stats.var[l].clone())
                };
                let inv_std: Vec<f64> = var.iter().map(|v| 1.0 / (v + BN_EPSILON).sqrt()).collect();
                let mut xhat = std::mem::take(&mut cache.normalised[l]);
                xhat.resize(n * q, 0.0);
                for i in 0..n {
                    let r = i * q..(i + 1) * q;
                    for (k, ((x, o), z)) in xhat[r.clone()]
                        .iter_mut()
                        .zip(&mut relu_in[r.clone()])
                        .zip(&pre[r])
                        .enumerate()
                    {
                        *x = (z - mean[k]) * inv_std[k];
                        *o = gamma[k] * *x + beta[k];
                    }
                }
                cache.normalised[l] = xhat;
                cache.inv_std[l] = inv_std;
            } else {
                relu_in.copy_from_slice(&pre);
            }
            let mut acts = std::mem::take(&mut cache.acts[l]);
            acts.resize(n * q, 0.0);
            for (a, z) in acts.iter_mut().zip(&relu_in) {
                *a = relu(*z);
            }
            let mut masks = std::mem::take(&mut cache.masks[l]);
            masks.clear();
            if let Mode::Train(rng) = mode
                && self.dropout > 0.0
            {
                let keep = 1.0 / (1.0 - self.dropout);
                masks.resize(n * q, 0.0);
                for (m, a) in masks.iter_mut().zip(acts.iter_mut()) {
                    *m = if rng.uniform() < self.dropout {
                        0.0
                    } else {
                        keep
                    };
                    *a *= *m;
                }
            }
            cache.pre[l] = pre;
            cache.relu_in[l] = relu_in;
            cache.acts[l] = acts;
            cache.masks[l] = masks;
        }
        let last = &self.layers[hidden];
        let input: &[f64] = if hidden == 0 {
            points
        } else {
            &cache.acts[hidden - 1]
        };
        let p = last.inputs;
        let w = &theta[last.w..last.w + p];
        let b = theta[last.b];
        cache.outputs.resize(n, 0.0);
        for (i, o) in cache.outputs.iter_mut().enumerate() {
            *o = dot(&input[i * p..(i + 1) * p], w) + b;
        }
    }

    /// Backward pass after `forward` with ∂loss/∂ŷ = `output_grad`: fills the signals
    /// `cache.grad_pre` / `cache.grad_relu_in` and, when `grad` is given, writes ∂loss/∂θ into it
    /// (overwritten). `training` must match the forward pass's mode (batch norm's batch
    /// statistics couple the examples in training mode).
    pub(super) fn backward(
        &self,
        theta: &[f64],
        points: &[f64],
        output_grad: &[f64],
        training: bool,
        cache: &mut Cache,
        mut grad: Option<&mut [f64]>,
    ) {
        let n = cache.n;
        let hidden = self.hidden();
        if let Some(g) = grad.as_deref_mut() {
            g.fill(0.0);
        }
        let last = &self.layers[hidden];
        let p = last.inputs;
        if let Some(g) = grad.as_deref_mut() {
            let input: &[f64] = if hidden == 0 {
                points
            } else {
                &cache.acts[hidden - 1]
            };
            let gw = &mut g[last.w..last.w + p];
            for (i, gi) in output_grad.iter().enumerate() {
                axpy(*gi, &input[i * p..(i + 1) * p], gw);
            }
            g[last.b] = output_grad.iter().sum();
        }
        // ∂/∂(outputs of the last hidden layer) = g_i w.
        let mut upstream = std::mem::take(&mut cache.scratch);
        if hidden > 0 {
            let w = &theta[last.w..last.w + p];
            upstream.resize(n * p, 0.0);
            for (i, gi) in output_grad.iter().enumerate() {
                for (u, wk) in upstream[i * p..(i + 1) * p].iter_mut().zip(w) {
                    *u = gi * wk;
                }
            }
        }
        for l in (0..hidden).rev() {
            let layer = &self.layers[l];
            let (pin, q) = (layer.inputs, layer.outputs);
            // Through dropout and the ReLU.
            let mut g_relu = std::mem::take(&mut cache.grad_relu_in[l]);
            g_relu.resize(n * q, 0.0);
            let masks = &cache.masks[l];
            for (idx, (gr, (u, z))) in g_relu
                .iter_mut()
                .zip(upstream.iter().zip(&cache.relu_in[l]))
                .enumerate()
            {
                let m = if masks.is_empty() { 1.0 } else { masks[idx] };
                *gr = if *z > 0.0 { u * m } else { 0.0 };
            }
            // Through batch norm.
            let mut g_pre = std::mem::take(&mut cache.grad_pre[l]);
            g_pre.resize(n * q, 0.0);
            if let Some((gs, bs)) = layer.norm {
                let gamma = &theta[gs..gs + q];
                let xhat = &cache.normalised[l];
                let inv_std = &cache.inv_std[l];
                if let Some(g) = grad.as_deref_mut() {
                    for i in 0..n {
                        for k in 0..q {
                            let v = g_relu[i * q + k];
                            g[gs + k] += v * xhat[i * q + k];
                            g[bs + k] += v;
                        }
                    }
                }
                if training {
                    // dZ = (1/σ)(dx̂ − mean(dx̂) − x̂ mean(dx̂ x̂)), dx̂ = γ ∂/∂(γx̂+β).
                    let mut mean_d = vec![0.0; q];
                    let mut mean_dx = vec![0.0; q];
                    for i in 0..n {
                        for k in 0..q {
                            let dx = g_relu[i * q + k] * gamma[k];
                            mean_d[k] += dx;
                            mean_dx[k] += dx * xhat[i * q + k];
                        }
                    }
                    let inv_n = 1.0 / n as f64;
                    for i in 0..n {
                        for k in 0..q {
                            let dx = g_relu[i * q + k] * gamma[k];
                            g_pre[i * q + k] = inv_std[k]
                                * (dx - mean_d[k] * inv_n - xhat[i * q + k] * mean_dx[k] * inv_n);
                        }
                    }
                } else {
                    for i in 0..n {
                        for k in 0..q {
                            g_pre[i * q + k] = g_relu[i * q + k] * gamma[k] * inv_std[k];
                        }
                    }
                }
            } else {
                g_pre.copy_from_slice(&g_relu);
            }
            let input: &[f64] = if l == 0 { points } else { &cache.acts[l - 1] };
            if let Some(g) = grad.as_deref_mut() {
                let (gw, rest) = g[layer.w..].split_at_mut(pin * q);
                let gb = &mut rest[..q];
                if pin <= SMALL_INPUT {
                    for i in 0..n {
                        let gz = &g_pre[i * q..(i + 1) * q];
                        for j in 0..pin {
                            axpy(input[i * pin + j], gz, &mut gw[j * q..(j + 1) * q]);
                        }
                    }
                } else {
                    // dW = Aᵀ dZ.
                    gemm(
                        pin,
                        n,
                        q,
                        1.0,
                        input,
                        (1, pin as isize),
                        &g_pre,
                        (q as isize, 1),
                        0.0,
                        gw,
                        q,
                    );
                }
                for i in 0..n {
                    for (b, v) in gb.iter_mut().zip(&g_pre[i * q..(i + 1) * q]) {
                        *b += v;
                    }
                }
            }
            if l > 0 {
                // ∂/∂A = dZ Wᵀ.
                upstream.resize(n * pin, 0.0);
                let w = &theta[layer.w..layer.w + pin * q];
                gemm(
                    n,
                    q,
                    pin,
                    1.0,
                    &g_pre,
                    (q as isize, 1),
                    w,
                    (1, q as isize),
                    0.0,
                    &mut upstream,
                    pin,
                );
            }
            cache.grad_relu_in[l] = g_relu;
            cache.grad_pre[l] = g_pre;
        }
        cache.scratch = upstream;
    }
}

/// Z = A W + 1 bᵀ for one dense layer (A: n × p, Z: n × q).
fn dense_forward(theta: &[f64], layer: &DenseSlots, input: &[f64], n: usize, out: &mut [f64]) {
    let (p, q) = (layer.inputs, layer.outputs);
    let w = &theta[layer.w..layer.w + p * q];
    let b = &theta[layer.b..layer.b + q];
    for i in 0..n {
        out[i * q..(i + 1) * q].copy_from_slice(b);
    }
    if p <= SMALL_INPUT {
        for i in 0..n {
            let row = &mut out[i * q..(i + 1) * q];
            for j in 0..p {
                axpy(input[i * p + j], &w[j * q..(j + 1) * q], row);
            }
        }
    } else {
        gemm(
            n,
            p,
            q,
            1.0,
            input,
            (p as isize, 1),
            w,
            (q as isize, 1),
            1.0,
            out,
            q,
        );
    }
}

/// Mean and biased variance of each column of an n × q matrix.
fn column_moments(z: &[f64], n: usize, q: usize) -> (Vec<f64>, Vec<f64>) {
    let mut mean = vec![0.0; q];
    for i in 0..n {
        for (m, v) in mean.iter_mut().zip(&z[i * q..(i + 1) * q]) {
            *m += v;
        }
    }
    let inv_n = 1.0 / n as f64;
    mean.iter_mut().for_each(|m| *m *= inv_n);
    let mut var = vec![0.0; q];
    for i in 0..n {
        for k in 0..q {
            let c = z[i * q + k] - mean[k];
            var[k] += c * c;
        }
    }
    var.iter_mut().for_each(|v| *v *= inv_n);
    (mean, var)
}
