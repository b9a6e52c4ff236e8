//! The image network d → w₁ → … → w_L → 1 (ReLU) on full batches, with the biases folded into
//! the matrix products: every activation matrix A_l (n × (w_l + 1)) ends in a column of ones
//! and layer l's parameters are the augmented matrix [W_l; b_l] ((w_{l−1} + 1) × w_l,
//! row-major: W then b, the layout of θ). Forward: A_l = ReLU([A_{l−1}] [W_l; b_l]) with the
//! ReLU applied on each row block right after its product; backward: [dW_l; db_l] = A_{l−1}ᵀ
//! dZ_l in one product, dZ_{l−1} = (dZ_l W_lᵀ) ⊙ [A_{l−1} > 0] with the mask applied on each
//! block right after its product. All buffers live in a [`Workspace`] made once per data size.

use rayon::prelude::*;

use super::gemm::{BLOCK_ROWS, Real, Right, product_rows, product_transposed};
use crate::numerics::SeededRng;

/// The widths and where each layer's parameters start in θ.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    /// d, w₁, …, w_L, 1.
    pub widths: Vec<usize>,
    /// Start of layer l's block [W_l; b_l] in θ (l = 0 … L, the last is the output layer).
    pub offsets: Vec<usize>,
    /// Number of parameters.
    pub parameters: usize,
}

impl Layout {
    pub fn new(dimension: usize, hidden: &[usize]) -> Self {
        let mut widths = vec![dimension];
        widths.extend_from_slice(hidden);
        widths.push(1);
        let mut offsets = Vec::with_capacity(widths.len() - 1);
        let mut at = 0;
        for w in widths.windows(2) {
            offsets.push(at);
            at += (w[0] + 1) * w[1];
        }
        Self {
            widths,
            offsets,
            parameters: at,
        }
    }

    /// Number of hidden layers L.
    pub fn depth(&self) -> usize {
        self.widths.len() - 2
    }

    /// Xavier-uniform weights (U(±√(6/(fan_in + fan_out)))) and zero biases, from `seed`.
    pub fn initialise(&self, seed: u64) -> Vec<f64> {
        let mut rng = SeededRng::new(seed ^ 0x1417_0F5E);
        let mut theta = vec![0.0; self.parameters];
        for (l, w) in self.widths.windows(2).enumerate() {
            let (fan_in, fan_out) = (w[0], w[1]);
            let bound = (6.0 / (fan_in + fan_out) as f64).sqrt();
            let block = &mut theta[self.offsets[l]..self.offsets[l] + fan_in * fan_out];
            for x in block {
                *x = bound * (2.0 * rng.uniform() - 1.0);
            }
        }
        theta
    }

    /// Largest hidden width.
    fn widest(&self) -> usize {
        self.widths[1..self.widths.len() - 1]
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
    }
}

/// Every buffer of a forward and backward pass over `rows` examples.
#[derive(Debug, Clone)]
pub(crate) struct Workspace<T> {
    pub rows: usize,
    /// A_1 … A_L, each rows × (w_l + 1) with the column of ones.
    pub hidden: Vec<Vec<T>>,
    /// ŷ.
    pub outputs: Vec<T>,
    /// dZ buffers of the backward pass (rows × widest), two when L > 2.
    deltas: Vec<Vec<T>>,
    /// One slot per thread of the Aᵀ B products (threads × largest layer block).
    partials: Vec<T>,
    /// One row per block of [`BLOCK_ROWS`] examples: the output layer's gradient sums.
    block_sums: Vec<T>,
}

impl<T: Real> Workspace<T> {
    /// Buffers for `rows` examples; `backward` also allocates the backward pass's.
    pub fn new(layout: &Layout, rows: usize, backward: bool) -> Self {
        let depth = layout.depth();
        let hidden = (1..=depth)
            .map(|l| {
                let w = layout.widths[l];
                let mut a = vec![T::default(); rows * (w + 1)];
                for row in a.chunks_exact_mut(w + 1) {
                    row[w] = T::from_f64(1.0);
                }
                a
            })
            .collect();
        let widest = layout.widest();
        let threads = rayon::current_num_threads().max(1);
        let largest = layout
            .widths
            .windows(2)
            .map(|w| (w[0] + 1) * w[1])
            .max()
            .unwrap_or(0);
        let (deltas, partials, block_sums) = if backward {
            (
                (0..depth.saturating_sub(1).min(2))
                    .map(|_| vec![T::default(); rows * widest])
                    .collect(),
                vec![T::default(); threads * largest],
                vec![T::default(); rows.div_ceil(BLOCK_ROWS) * (layout.widths[depth] + 1)],
            )
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        Self {
            rows,
            hidden,
            outputs: vec![T::default(); rows],
            deltas,
            partials,
            block_sums,
        }
    }
}

/// ŷ for the augmented inputs `x` (rows × (d + 1), last column ones) into `ws.outputs`.
pub(crate) fn forward<T: Real>(layout: &Layout, theta: &[T], x: &[T], ws: &mut Workspace<T>) {
    let rows = ws.rows;
    let depth = layout.depth();
    for l in 1..=depth {
        let (inputs, rest) = ws.hidden.split_at_mut(l - 1);
        let (a_prev, stride_prev): (&[T], usize) = if l == 1 {
            (x, layout.widths[0] + 1)
        } else {
            (&inputs[l - 2], layout.widths[l - 1] + 1)
        };
        let out = layout.widths[l];
        let block = &theta[layout.offsets[l - 1]..layout.offsets[l - 1] + stride_prev * out];
        product_rows(
            a_prev,
            stride_prev,
            Right {
                data: block,
                rows: stride_prev,
                cols: out,
                transposed: false,
            },
            &mut rest[0],
            out + 1,
            rows,
            &|_, n, c| {
                let zero = T::default();
                for row in c.chunks_exact_mut(out + 1).take(n) {
                    for v in &mut row[..out] {
                        // A select, not a conditional store, so that it vectorises. NaN stays
                        // NaN (the loss check then stops training).
                        *v = if *v < zero { zero } else { *v };
                    }
                }
            },
        );
    }
    let last = layout.widths[depth] + 1;
    let (a_last, stride) = if depth == 0 {
        (x, layout.widths[0] + 1)
    } else {
        (&ws.hidden[depth - 1][..], last)
    };
    let w = &theta[layout.offsets[depth]..layout.offsets[depth] + stride];
    ws.outputs
        .par_chunks_mut(BLOCK_ROWS)
        .enumerate()
        .for_each(|(b, out)| {
            for (k, y) in out.iter_mut().enumerate() {
                let row = &a_last[(b * BLOCK_ROWS + k) * stride..][..stride];
                *y = dot(row, w);
            }
        });
}

/// Σ a_k b_k with eight accumulators.
fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::default(); 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = T::default();
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += *x * *y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// ∂loss/∂θ into `grad` given ∂loss/∂ŷ = `g` (after [`forward`] on the same `x`). Destroys the
/// hidden activations (dZ_L is written over A_L).
pub(crate) fn backward<T: Real>(
    layout: &Layout,
    theta: &[T],
    x: &[T],
    ws: &mut Workspace<T>,
    g: &[T],
    grad: &mut [T],
) {
    let rows = ws.rows;
    let depth = layout.depth();
    let top = layout.widths[depth];
    let stride = top + 1;
    let w_out = &theta[layout.offsets[depth]..layout.offsets[depth] + stride];
    // Output layer: d[w; b] = A_Lᵀ g (block sums), and dZ_L = (g wᵀ) ⊙ [A_L > 0] in place.
    {
        let a_last: &mut [T] = if depth == 0 {
            // No hidden layer: the output layer reads the inputs and nothing is written.
            &mut []
        } else {
            &mut ws.hidden[depth - 1]
        };
        if depth == 0 {
            let d = layout.widths[0] + 1;
            let out = &mut grad[..d];
            out.iter_mut().for_each(|v| *v = T::default());
            for (i, gi) in g.iter().enumerate().take(rows) {
                for (o, xv) in out.iter_mut().zip(&x[i * d..(i + 1) * d]) {
                    *o += *gi * *xv;
                }
            }
            return;
        }
        ws.block_sums
            .par_chunks_mut(stride)
            .zip(a_last.par_chunks_mut(BLOCK_ROWS * stride))
            .enumerate()
            .for_each(|(b, (sums, block))| {
                sums.iter_mut().for_each(|v| *v = T::default());
                for (k, row) in block.chunks_exact_mut(stride).enumerate() {
                    let gi = g[b * BLOCK_ROWS + k];
                    for j in 0..top {
                        let a = row[j];
                        sums[j] += gi * a;
                        row[j] = if a > T::default() {
                            gi * w_out[j]
                        } else {
                            T::default()
                        };
                    }
                    sums[top] += gi;
                }
            });
        let out = &mut grad[layout.offsets[depth]..layout.offsets[depth] + stride];
        out.iter_mut().for_each(|v| *v = T::default());
        for sums in ws.block_sums.chunks_exact(stride) {
            for (o, s) in out.iter_mut().zip(sums) {
                *o += *s;
            }
        }
    }
    // Hidden layers, top down. dZ_l lives in A_l's buffer (l = L) or in a delta buffer.
    let mut deltas = std::mem::take(&mut ws.deltas);
    let mut current: Option<usize> = None; // None: dZ_l is in hidden[l − 1] (stride w_l + 1)
    for l in (1..=depth).rev() {
        let out = layout.widths[l];
        let inputs = layout.widths[l - 1];
        let (dz, dz_stride): (&[T], usize) = match current {
            None => (&ws.hidden[l - 1], out + 1),
            Some(k) => (&deltas[k], out),
        };
        let (a_prev, a_stride): (&[T], usize) = if l == 1 {
            (x, inputs + 1)
        } else {
            (&ws.hidden[l - 2], inputs + 1)
        };
        let block = layout.offsets[l - 1]..layout.offsets[l - 1] + (inputs + 1) * out;
        product_transposed(
            a_prev,
            a_stride,
            inputs + 1,
            dz,
            dz_stride,
            out,
            rows,
            &mut grad[block.clone()],
            &mut ws.partials,
        );
        if l == 1 {
            break;
        }
        // dZ_{l−1} = (dZ_l W_lᵀ) ⊙ [A_{l−1} > 0] into the other delta buffer.
        let next = match current {
            None => 0,
            Some(k) => 1 - k,
        };
        let (first, second) = deltas.split_at_mut(1);
        let (target, dz): (&mut [T], &[T]) = match current {
            None => (&mut first[0], &ws.hidden[l - 1]),
            Some(0) => (&mut second[0], &first[0]),
            Some(_) => (&mut first[0], &second[0]),
        };
        let w = &theta[block.start..block.start + inputs * out];
        let mask = &ws.hidden[l - 2];
        product_rows(
            dz,
            dz_stride,
            Right {
                data: w,
                rows: inputs,
                cols: out,
                transposed: true,
            },
            target,
            inputs,
            rows,
            &|first_row, n, c| {
                let zero = T::default();
                for (k, row) in c.chunks_exact_mut(inputs).take(n).enumerate() {
                    let a = &mask[(first_row + k) * (inputs + 1)..][..inputs];
                    for (v, m) in row.iter_mut().zip(a) {
                        // A select, so that it vectorises.
                        *v = if *m <= zero { zero } else { *v };
                    }
                }
            },
        );
        current = Some(next);
    }
    ws.deltas = deltas;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout of θ: (d+1)·w₁ + (w₁+1)·w₂ + (w₂+1) parameters, Xavier bounds respected,
    /// biases zero.
    #[test]
    fn xavier_weights_and_zero_biases() {
        let layout = Layout::new(392, &[300, 300]);
        assert_eq!(layout.parameters, 393 * 300 + 301 * 300 + 301);
        let theta = layout.initialise(1);
        let bound = (6.0f64 / 692.0).sqrt();
        let w1 = &theta[..392 * 300];
        assert!(w1.iter().all(|w| w.abs() <= bound));
        // A uniform on ±bound has variance bound²/3.
        let var = w1.iter().map(|w| w * w).sum::<f64>() / w1.len() as f64;
        assert!((var / (bound * bound / 3.0) - 1.0).abs() < 0.02);
        assert!(theta[392 * 300..393 * 300].iter().all(|&b| b == 0.0));
        assert_eq!(theta[layout.parameters - 1], 0.0);
    }
}
