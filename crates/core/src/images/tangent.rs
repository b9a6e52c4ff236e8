//! The tangent kernel of an image network (theory.md §10): K = J Jᵀ with J the
//! Jacobian of the outputs ŷ with respect to θ, computed without forming J. For a ReLU MLP with
//! activations A_l (ones column included, so biases count as weights) and per-example
//! backpropagated vectors δ_l = ∂ŷ/∂Z_l, the layer-l block of J has rows a_{l−1,i} ⊗ δ_{l,i},
//! hence K = A_L A_Lᵀ + Σ_l (A_{l−1} A_{l−1}ᵀ) ⊙ (Δ_l Δ_lᵀ) (⊙: entrywise).

use nalgebra::DMatrix;

use super::ImageNetwork;
use super::colored::{ColouredImages, Rendering};
use super::mlp::Layout;

/// K (n × n) and the outputs ŷ of `network` on the first `n` of `images` (f64).
pub(crate) fn tangent_kernel(
    network: &ImageNetwork,
    images: &ColouredImages,
    rendering: Rendering,
    n: usize,
) -> (DMatrix<f64>, Vec<f64>) {
    let layout = Layout::new(network.dimension, &network.hidden);
    let theta = &network.parameters;
    let mut x = Vec::new();
    images.write_inputs::<f64>(rendering, network.grey_input, true, &mut x);
    let n = n.min(images.len());
    let d = network.dimension + 1;
    let mut activations = vec![DMatrix::from_row_slice(n, d, &x[..n * d])];
    let depth = layout.depth();
    for l in 1..=depth {
        let (inputs, out) = (layout.widths[l - 1] + 1, layout.widths[l]);
        let w =
            DMatrix::from_row_slice(inputs, out, &theta[layout.offsets[l - 1]..][..inputs * out]);
        let z = &activations[l - 1] * w;
        let mut a = DMatrix::from_element(n, out + 1, 1.0);
        for i in 0..n {
            for j in 0..out {
                a[(i, j)] = z[(i, j)].max(0.0);
            }
        }
        activations.push(a);
    }
    let top = layout.widths[depth] + 1;
    let w_out = &theta[layout.offsets[depth]..][..top];
    let outputs: Vec<f64> = (0..n)
        .map(|i| {
            (0..top)
                .map(|j| activations[depth][(i, j)] * w_out[j])
                .sum()
        })
        .collect();
    let mut kernel = &activations[depth] * activations[depth].transpose();
    // δ_L = w_out ⊙ [A_L > 0], then down the layers.
    let mut delta = DMatrix::from_fn(n, layout.widths[depth], |i, j| {
        if activations[depth][(i, j)] > 0.0 {
            w_out[j]
        } else {
            0.0
        }
    });
    for l in (1..=depth).rev() {
        let a = &activations[l - 1];
        kernel += (a * a.transpose()).component_mul(&(&delta * delta.transpose()));
        if l == 1 {
            break;
        }
        let (inputs, out) = (layout.widths[l - 1], layout.widths[l]);
        let w = DMatrix::from_row_slice(
            inputs + 1,
            out,
            &theta[layout.offsets[l - 1]..][..(inputs + 1) * out],
        );
        let w = w.rows(0, inputs);
        let mut next = &delta * w.transpose();
        for i in 0..n {
            for j in 0..inputs {
                if activations[l - 1][(i, j)] <= 0.0 {
                    next[(i, j)] = 0.0;
                }
            }
        }
        delta = next;
    }
    (kernel, outputs)
}

/// Eigenvalues of K (descending) and the matching eigenvectors as columns.
pub(crate) fn eigen_descending(kernel: DMatrix<f64>) -> (Vec<f64>, DMatrix<f64>) {
    let n = kernel.nrows();
    let eig = nalgebra::SymmetricEigen::new(kernel);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let values = order.iter().map(|&k| eig.eigenvalues[k]).collect();
    let vectors = DMatrix::from_fn(n, n, |i, j| eig.eigenvectors[(i, order[j])]);
    (values, vectors)
}
