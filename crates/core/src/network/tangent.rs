//! The tangent features at initialisation (theory.md §7): the exact per-example Jacobian
//! J = ∂ŷ/∂θ (n × m) of the evaluation-mode network, the kernel K = J Jᵀ, and the bases of
//! responses: eigenvectors of K (the paper's Figure 2) or the left singular vectors of Y J (M3),
//! obtained from the n × n eigenproblem Y K Y = U S² Uᵀ instead of an SVD of the n × m matrix J.

use nalgebra::{DMatrix, SymmetricEigen};

use super::ResponseConvention;
use super::kernels::gemm;
use super::mlp::{Cache, Mlp, Mode, RunningStats};

/// J, ŷ and K of a network at one parameter vector.
#[derive(Debug, Clone)]
pub(crate) struct TangentFeatures {
    /// Examples n.
    pub examples: usize,
    /// Parameters m.
    pub parameters: usize,
    /// J, n × m row-major: row i is ∂ŷ_i/∂θ.
    pub jacobian: Vec<f64>,
    /// ŷ (evaluation mode).
    pub outputs: Vec<f64>,
    /// K = J Jᵀ, n × n row-major.
    pub kernel: Vec<f64>,
}

/// A basis of responses: columns of `vectors` (n × n), `spectrum` descending.
#[derive(Debug, Clone)]
pub(crate) struct ResponseBasis {
    /// Eigenvalues of K (kernel) or singular values s of Y J (theory), descending.
    pub spectrum: Vec<f64>,
    /// U, columns in the order of `spectrum`, each signed so that its entries sum to ≥ 0.
    pub vectors: DMatrix<f64>,
}

/// Forward and backward (∂ŷ_i/∂ŷ_i = 1 for every row) in evaluation mode, where examples do not
/// interact, so the batched signals are the per-example ones.
/// The passes run on the effective parameters (NTK: W/√p); the signals ∂ŷ/∂Z do not depend on
/// the parameterisation, only the chain rule to θ does (the factor of each W block).
fn signals(mlp: &Mlp, theta: &[f64], stats: &RunningStats, points: &[f64]) -> Cache {
    let mut cache = Cache::default();
    let mut stats = stats.clone();
    let theta = mlp.effective(theta);
    mlp.forward(&theta, points, &mut stats, &mut Mode::Eval, &mut cache);
    let ones = vec![1.0; cache.n];
    mlp.backward(&theta, points, &ones, false, &mut cache, None);
    cache
}

/// The exact Jacobian J (row i = ∂ŷ_i/∂θ, in θ's layout), ŷ and K = J Jᵀ.
pub(crate) fn tangent_features(
    mlp: &Mlp,
    theta: &[f64],
    stats: &RunningStats,
    points: &[f64],
) -> Result<TangentFeatures, crate::error::Error> {
    use crate::error::try_zeros;
    let n = points.len() / mlp.layers[0].inputs.max(1);
    let m = mlp.parameters;
    // The large buffers first, fallibly: J (n × m) and K (n × n).
    let mut jacobian = try_zeros(n.saturating_mul(m), "the tangent features J (n × m)")?;
    let mut kernel = try_zeros(n.saturating_mul(n), "the tangent kernel K (n × n)")?;
    let cache = signals(mlp, theta, stats, points);
    debug_assert_eq!(cache.n, n);
    let hidden = mlp.hidden();
    for i in 0..n {
        let row = &mut jacobian[i * m..(i + 1) * m];
        for (l, layer) in mlp.layers.iter().enumerate() {
            let (p, q) = (layer.inputs, layer.outputs);
            let c = mlp.weight_scales[l];
            let input: &[f64] = if l == 0 { points } else { &cache.acts[l - 1] };
            let a = &input[i * p..(i + 1) * p];
            if l == hidden {
                for (r, aj) in row[layer.w..layer.w + p].iter_mut().zip(a) {
                    *r = c * aj;
                }
                row[layer.b] = 1.0;
                continue;
            }
            let g = &cache.grad_pre[l][i * q..(i + 1) * q];
            for (j, aj) in a.iter().enumerate() {
                let caj = c * aj;
                for (r, gk) in row[layer.w + j * q..layer.w + (j + 1) * q]
                    .iter_mut()
                    .zip(g)
                {
                    *r = caj * gk;
                }
            }
            row[layer.b..layer.b + q].copy_from_slice(g);
            if let Some((gs, bs)) = layer.norm {
                let gr = &cache.grad_relu_in[l][i * q..(i + 1) * q];
                let xhat = &cache.normalised[l][i * q..(i + 1) * q];
                for k in 0..q {
                    row[gs + k] = gr[k] * xhat[k];
                    row[bs + k] = gr[k];
                }
            }
        }
    }
    gemm(
        n,
        m,
        n,
        1.0,
        &jacobian,
        (m as isize, 1),
        &jacobian,
        (1, m as isize),
        0.0,
        &mut kernel,
        n,
    );
    Ok(TangentFeatures {
        examples: n,
        parameters: m,
        jacobian,
        outputs: cache.outputs,
        kernel,
    })
}

/// K = J Jᵀ without forming J, layer by layer: a dense layer with input A, signal G = ∂ŷ/∂Z
/// and weight factor c (1, or 1/√p in the NTK parameterisation) contributes
/// (G Gᵀ) ∘ (c² A Aᵀ + 1); batch norm with signal P = ∂ŷ/∂(γx̂ + β)
/// contributes (P∘X̂)(P∘X̂)ᵀ + P Pᵀ. Costs O(n² Σ widths) instead of O(n² m).
pub(crate) fn kernel(mlp: &Mlp, theta: &[f64], stats: &RunningStats, points: &[f64]) -> Vec<f64> {
    let cache = signals(mlp, theta, stats, points);
    let n = cache.n;
    let hidden = mlp.hidden();
    let mut k = vec![0.0; n * n];
    let mut ga = vec![0.0; n * n];
    let mut gg = vec![0.0; n * n];
    for (l, layer) in mlp.layers.iter().enumerate() {
        let (p, q) = (layer.inputs, layer.outputs);
        let c2 = mlp.weight_scales[l] * mlp.weight_scales[l];
        let input: &[f64] = if l == 0 { points } else { &cache.acts[l - 1] };
        gram(input, n, p, &mut ga);
        if l == hidden {
            for (kv, a) in k.iter_mut().zip(&ga) {
                *kv += c2 * a + 1.0;
            }
            continue;
        }
        gram(&cache.grad_pre[l], n, q, &mut gg);
        for ((kv, a), g) in k.iter_mut().zip(&ga).zip(&gg) {
            *kv += g * (c2 * a + 1.0);
        }
        if layer.norm.is_some() {
            let pr = &cache.grad_relu_in[l];
            gram(pr, n, q, &mut gg);
            for (kv, g) in k.iter_mut().zip(&gg) {
                *kv += g;
            }
            let scaled: Vec<f64> = pr
                .iter()
                .zip(&cache.normalised[l])
                .map(|(a, b)| a * b)
                .collect();
            gram(&scaled, n, q, &mut gg);
            for (kv, g) in k.iter_mut().zip(&gg) {
                *kv += g;
            }
        }
    }
    k
}

/// X Xᵀ of an n × p row-major matrix.
fn gram(x: &[f64], n: usize, p: usize, out: &mut [f64]) {
    gemm(
        n,
        p,
        n,
        1.0,
        x,
        (p as isize, 1),
        x,
        (1, p as isize),
        0.0,
        out,
        n,
    );
}

/// ‖A − B‖_F / ‖B‖_F.
pub(crate) fn relative_change(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den).sqrt()
}

/// The basis of responses of `convention` from K and the labels: eigenvectors of K (kernel),
/// or of Y K Y = (Y J)(Y J)ᵀ = U S² Uᵀ (theory, s = √eigenvalue, negative round-off clamped
/// to 0).
pub(crate) fn response_basis(
    kernel: &[f64],
    labels: &[f64],
    convention: ResponseConvention,
) -> ResponseBasis {
    let n = labels.len();
    let mut matrix = DMatrix::from_row_slice(n, n, kernel);
    if convention == ResponseConvention::Theory {
        for i in 0..n {
            for j in 0..n {
                matrix[(i, j)] *= labels[i] * labels[j];
            }
        }
    }
    // Symmetrise exactly (gemm's two triangles may differ in the last bit).
    let symmetric = (&matrix + matrix.transpose()) * 0.5;
    let eigen = SymmetricEigen::new(symmetric);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let mut vectors = DMatrix::zeros(n, n);
    let mut spectrum = Vec::with_capacity(n);
    for (col, &i) in order.iter().enumerate() {
        let mut v = eigen.eigenvectors.column(i).into_owned();
        if v.sum() < 0.0 {
            v.neg_mut();
        }
        vectors.set_column(col, &v);
        let value = eigen.eigenvalues[i];
        spectrum.push(match convention {
            ResponseConvention::Kernel => value,
            ResponseConvention::Theory => value.max(0.0).sqrt(),
        });
    }
    ResponseBasis { spectrum, vectors }
}
