//! The inner loops of the engine over contiguous f64 memory: the d → width first layer and the
//! width → 1 last layer written by hand, and hidden → hidden products by `matrixmultiply`'s
//! `dgemm` (a tuned, dependency-free, single-threaded f64 matrix multiply: packing plus
//! register-blocked micro-kernels with run-time AVX/FMA detection; nalgebra already depends on
//! it, so it adds no code to the build).
//!
//! The one-hidden-layer step (the paper's 2 → 500 → 1) is fused: with AVX2/FMA and d = 2 the
//! examples go in the vector lanes (`simd::fused_2_columns`: forward over blocks of 16 examples,
//! then per unit the gradient sums as masked adds); otherwise example by example (forward, loss
//! gradient and backward for one row while it sits in L1 cache). The choice is made at run time.

/// C = α A B + β C for row-major slices with explicit strides (rows × inner) · (inner × cols).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    rows: usize,
    inner: usize,
    cols: usize,
    alpha: f64,
    a: &[f64],
    a_strides: (isize, isize),
    b: &[f64],
    b_strides: (isize, isize),
    beta: f64,
    c: &mut [f64],
    c_row_stride: usize,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    let span = |(rs, cs): (isize, isize), r: usize, k: usize| -> usize {
        (rs as usize) * (r - 1) + (cs as usize) * (k - 1) + 1
    };
    if inner > 0 {
        assert!(a.len() >= span(a_strides, rows, inner));
        assert!(b.len() >= span(b_strides, inner, cols));
    }
    assert!(c.len() >= c_row_stride * (rows - 1) + cols);
    // SAFETY: the asserts above keep every index the strides reach inside the slices, and `c`
    // does not alias `a` or `b` (it is borrowed mutably).
    unsafe {
        matrixmultiply::dgemm(
            rows,
            inner,
            cols,
            alpha,
            a.as_ptr(),
            a_strides.0,
            a_strides.1,
            b.as_ptr(),
            b_strides.0,
            b_strides.1,
            beta,
            c.as_mut_ptr(),
            c_row_stride as isize,
            1,
        );
    }
}

/// Σ_k a_k b_k with eight independent accumulators (vectorisable).
#[inline(always)]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// y += α x.
#[inline(always)]
pub(crate) fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// What the fused one-hidden-layer step needs besides the parameters.
pub(crate) struct FusedInput<'a> {
    /// Points, n × d row-major.
    pub points: &'a [f64],
    /// Labels ±1.
    pub labels: &'a [f64],
    /// Input dimension d.
    pub dimension: usize,
    /// Hidden width h.
    pub width: usize,
    /// SD coefficient c.
    pub sd: f64,
    /// The per-example loss ℓ(yŷ).
    pub loss: crate::model::LossModel,
}

/// Parameter blocks of the one-hidden-layer network (see `mlp::Layout`): W₁ (d × h), b₁ (h),
/// w₂ (h), b₂.
pub(crate) struct TwoLayer<'a> {
    pub w1: &'a [f64],
    pub b1: &'a [f64],
    pub w2: &'a [f64],
    pub b2: f64,
}

/// Gradient blocks, same layout as [`TwoLayer`].
pub(crate) struct TwoLayerGrad<'a> {
    pub w1: &'a mut [f64],
    pub b1: &'a mut [f64],
    pub w2: &'a mut [f64],
    pub b2: &'a mut f64,
}

/// One fused full-batch pass of the one-hidden-layer ReLU network: writes ŷ into `outputs`, the
/// gradient of the mean loss mean(ℓ(yŷ)) + c·mean(ŷ²) into `grad` (overwritten), and
/// returns that loss. `row` is scratch: with AVX2/FMA, d = 2 and at least
/// [`column_scratch`] values, examples go in the vector lanes (`simd::fused_2_columns`);
/// otherwise example by example through a row of h pre-activations.
pub(crate) fn fused_two_layer(
    input: &FusedInput,
    net: &TwoLayer,
    grad: &mut TwoLayerGrad,
    outputs: &mut [f64],
    row: &mut [f64],
) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports the features the function is compiled for.
            return unsafe { fused_two_layer_avx2(input, net, grad, outputs, row) };
        }
    }
    fused_two_layer_body::<false>(input, net, grad, outputs, row)
}

/// Scratch (in f64) the column-wise kernel of the 2 → h → 1 step needs for n examples: five
/// per-example columns (x₀, x₁, g, x₀g, x₁g), n rounded up to whole blocks of
/// [`COLUMN_EXAMPLES`]. (The ReLU outputs are recomputed in the backward pass: storing them
/// would stream h × n values through the cache every epoch.)
pub(crate) fn column_scratch(n: usize, _h: usize) -> usize {
    n.div_ceil(COLUMN_EXAMPLES) * COLUMN_EXAMPLES * 5
}

/// Examples per register block of the column-wise forward pass (4 vectors of 4).
pub(crate) const COLUMN_EXAMPLES: usize = 16;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn fused_two_layer_avx2(
    input: &FusedInput,
    net: &TwoLayer,
    grad: &mut TwoLayerGrad,
    outputs: &mut [f64],
    row: &mut [f64],
) -> f64 {
    fused_two_layer_body::<true>(input, net, grad, outputs, row)
}

#[inline(always)]
fn fused_two_layer_body<const AVX2: bool>(
    input: &FusedInput,
    net: &TwoLayer,
    grad: &mut TwoLayerGrad,
    outputs: &mut [f64],
    row: &mut [f64],
) -> f64 {
    let (d, h) = (input.dimension, input.width);
    let n = input.labels.len();
    let inv_n = 1.0 / n as f64;
    let w1 = &net.w1[..d * h];
    let b1 = &net.b1[..h];
    let w2 = &net.w2[..h];
    if AVX2 && d == 2 && row.len() >= column_scratch(n, h) {
        // SAFETY: AVX2 is only set by the caller compiled for (and detected with) AVX2/FMA.
        return unsafe { simd::fused_2_columns(input, net, grad, outputs, row) };
    }
    let row = &mut row[..h];
    grad.w1[..d * h].fill(0.0);
    grad.b1[..h].fill(0.0);
    grad.w2[..h].fill(0.0);
    *grad.b2 = 0.0;
    let mut loss = 0.0;
    let mut gb2 = 0.0;
    #[allow(clippy::needless_range_loop)] // i indexes points, labels and outputs alike
    for i in 0..n {
        let x = &input.points[i * d..(i + 1) * d];
        let y = input.labels[i];
        // Forward: pre-activations into `row`, then ŷ = w₂ · relu(h) + b₂.
        let out = if d == 2 {
            pre_activations_2(x[0], x[1], &w1[..h], &w1[h..2 * h], b1, w2, row)
        } else {
            row.copy_from_slice(b1);
            for (j, &xj) in x.iter().enumerate() {
                axpy(xj, &w1[j * h..(j + 1) * h], row);
            }
            relu_dot(row, w2)
        } + net.b2;
        outputs[i] = out;
        let margin = y * out;
        loss += input.loss.loss(margin) + input.sd * out * out;
        let g = (-y * input.loss.weight(margin) + 2.0 * input.sd * out) * inv_n;
        gb2 += g;
        // Backward through the last layer and the ReLU, branch-free (bit masks) so that it
        // vectorises without masked loads and stores.
        if d == 2 {
            let (g0, g1) = grad.w1[..2 * h].split_at_mut(h);
            let (x0, x1) = (x[0], x[1]);
            for (((((pre, gw), w), gb), a), b) in row
                .iter()
                .zip(grad.w2[..h].iter_mut())
                .zip(w2)
                .zip(grad.b1[..h].iter_mut())
                .zip(g0.iter_mut())
                .zip(g1.iter_mut())
            {
                let mask = 0u64.wrapping_sub(u64::from(*pre > 0.0));
                *gw += g * f64::from_bits(pre.to_bits() & mask);
                let dh = f64::from_bits((g * w).to_bits() & mask);
                *gb += dh;
                *a += x0 * dh;
                *b += x1 * dh;
            }
            continue;
        }
        for ((r, gw), w) in row.iter_mut().zip(grad.w2[..h].iter_mut()).zip(w2) {
            let pre = *r;
            let mask = 0u64.wrapping_sub(u64::from(pre > 0.0));
            *gw += g * f64::from_bits(pre.to_bits() & mask);
            *r = f64::from_bits((g * w).to_bits() & mask);
        }
        for (gb, r) in grad.b1[..h].iter_mut().zip(row.iter()) {
            *gb += r;
        }
        for (j, &xj) in x.iter().enumerate() {
            axpy(xj, row, &mut grad.w1[j * h..(j + 1) * h]);
        }
    }
    *grad.b2 = gb2;
    loss * inv_n
}

/// row = b + x₀ w₀ + x₁ w₁ (two inputs), returning Σ_k max(row_k, 0) v_k, in one pass.
#[inline(always)]
fn pre_activations_2(
    x0: f64,
    x1: f64,
    w0: &[f64],
    w1: &[f64],
    b: &[f64],
    v: &[f64],
    row: &mut [f64],
) -> f64 {
    let h = row.len();
    let (w0, w1, b, v) = (&w0[..h], &w1[..h], &b[..h], &v[..h]);
    let mut acc = [0.0f64; 8];
    let full = h / 8 * 8;
    for ((((rc, w0c), w1c), bc), vc) in row[..full]
        .chunks_exact_mut(8)
        .zip(w0.chunks_exact(8))
        .zip(w1.chunks_exact(8))
        .zip(b.chunks_exact(8))
        .zip(v.chunks_exact(8))
    {
        let mut z = [0.0f64; 8];
        for l in 0..8 {
            z[l] = bc[l] + x0 * w0c[l] + x1 * w1c[l];
        }
        rc.copy_from_slice(&z);
        for l in 0..8 {
            acc[l] += relu(z[l]) * vc[l];
        }
    }
    let mut tail = 0.0;
    for k in full..h {
        let z = b[k] + x0 * w0[k] + x1 * w1[k];
        row[k] = z;
        tail += relu(z) * v[k];
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// Σ_k max(h_k, 0) w_k with eight accumulators.
#[inline(always)]
fn relu_dot(h: &[f64], w: &[f64]) -> f64 {
    let n = h.len().min(w.len());
    let (h, w) = (&h[..n], &w[..n]);
    let mut acc = [0.0f64; 8];
    let mut ch = h.chunks_exact(8);
    let mut cw = w.chunks_exact(8);
    for (x, y) in (&mut ch).zip(&mut cw) {
        for l in 0..8 {
            acc[l] += relu(x[l]) * y[l];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ch.remainder().iter().zip(cw.remainder()) {
        tail += relu(*x) * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// max(x, 0) as a compare-and-select (one vector instruction; NaN gives 0).
#[inline(always)]
pub(crate) fn relu(x: f64) -> f64 {
    if x > 0.0 { x } else { 0.0 }
}

/// The AVX2/FMA kernel of the two-input step (x86-64 only).
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    /// The 2 → h → 1 step with examples in the vector lanes: a forward pass over blocks of 16
    /// examples with every unit's parameters broadcast, the loss gradient g per example, then
    /// for each unit the sums over examples ∂L/∂w₂ = Σ g·relu, ∂L/∂b₁ = w₂ Σ g·1[pre > 0], ∂L/∂w₁ⱼ = w₂ Σ xⱼ·g·1[pre > 0] as
    /// masked adds. The same sums as `fused_two_layer_body`, in another order (rounding differs
    /// in the last bits). Returns the mean loss.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn fused_2_columns(
        input: &super::FusedInput,
        net: &super::TwoLayer,
        grad: &mut super::TwoLayerGrad,
        outputs: &mut [f64],
        scratch: &mut [f64],
    ) -> f64 {
        let h = input.width;
        let n = input.labels.len();
        let np = n.div_ceil(super::COLUMN_EXAMPLES) * super::COLUMN_EXAMPLES;
        assert!(input.dimension == 2 && input.points.len() >= 2 * n && outputs.len() >= n);
        assert!(scratch.len() >= super::column_scratch(n, h));
        assert!(net.w1.len() >= 2 * h && net.b1.len() >= h && net.w2.len() >= h);
        assert!(grad.w1.len() >= 2 * h && grad.b1.len() >= h && grad.w2.len() >= h);
        let (x0, cols) = scratch.split_at_mut(np);
        let (x1, cols) = cols.split_at_mut(np);
        let (g, cols) = cols.split_at_mut(np);
        let (x0g, cols) = cols.split_at_mut(np);
        let x1g = &mut cols[..np];
        for i in 0..np {
            let (a, b) = if i < n {
                (input.points[2 * i], input.points[2 * i + 1])
            } else {
                (0.0, 0.0)
            };
            x0[i] = a;
            x1[i] = b;
        }
        let (w10, w11) = (&net.w1[..h], &net.w1[h..2 * h]);
        // Forward: out = b₂ + Σ_k w₂ₖ relu(w₁₀ₖ x₀ + w₁₁ₖ x₁ + b₁ₖ), 16 examples at a time.
        let zero = _mm256_setzero_pd();
        let mut e = 0;
        while e < np {
            // SAFETY (whole block): e + 16 ≤ np, so every pointer stays inside x0, x1 (np);
            // outputs is written only below n.
            unsafe {
                let px0 = x0.as_ptr().add(e);
                let px1 = x1.as_ptr().add(e);
                let a0 = [
                    _mm256_loadu_pd(px0),
                    _mm256_loadu_pd(px0.add(4)),
                    _mm256_loadu_pd(px0.add(8)),
                    _mm256_loadu_pd(px0.add(12)),
                ];
                let a1 = [
                    _mm256_loadu_pd(px1),
                    _mm256_loadu_pd(px1.add(4)),
                    _mm256_loadu_pd(px1.add(8)),
                    _mm256_loadu_pd(px1.add(12)),
                ];
                let mut acc = [zero; 4];
                for k in 0..h {
                    let (c0, c1) = (_mm256_set1_pd(w10[k]), _mm256_set1_pd(w11[k]));
                    let (cb, cw) = (_mm256_set1_pd(net.b1[k]), _mm256_set1_pd(net.w2[k]));
                    for (r, a) in acc.iter_mut().enumerate() {
                        let pre = _mm256_fmadd_pd(c0, a0[r], _mm256_fmadd_pd(c1, a1[r], cb));
                        *a = _mm256_fmadd_pd(cw, _mm256_max_pd(pre, zero), *a);
                    }
                }
                let mut sums = [0.0f64; 16];
                for (r, a) in acc.iter().enumerate() {
                    _mm256_storeu_pd(sums.as_mut_ptr().add(4 * r), *a);
                }
                for (b, v) in sums.iter().enumerate() {
                    if e + b < n {
                        outputs[e + b] = v + net.b2;
                    }
                }
            }
            e += super::COLUMN_EXAMPLES;
        }
        // The loss and its gradient per example (zero on the padding).
        let inv_n = 1.0 / n as f64;
        let (mut loss, mut gb2) = (0.0, 0.0);
        for i in 0..np {
            let gi = if i < n {
                let (y, out) = (input.labels[i], outputs[i]);
                let margin = y * out;
                loss += input.loss.loss(margin) + input.sd * out * out;
                (-y * input.loss.weight(margin) + 2.0 * input.sd * out) * inv_n
            } else {
                0.0
            };
            gb2 += gi;
            g[i] = gi;
            x0g[i] = x0[i] * gi;
            x1g[i] = x1[i] * gi;
        }
        // Backward: per unit, masked sums over the examples.
        let hsum = |v: __m256d| {
            let mut t = [0.0f64; 4];
            // SAFETY: t holds four f64.
            unsafe { _mm256_storeu_pd(t.as_mut_ptr(), v) };
            (t[0] + t[1]) + (t[2] + t[3])
        };
        for k in 0..h {
            let (mut sw, mut sb, mut s0, mut s1) = (zero, zero, zero, zero);
            let (c0, c1) = (_mm256_set1_pd(w10[k]), _mm256_set1_pd(w11[k]));
            let cb = _mm256_set1_pd(net.b1[k]);
            let mut i = 0;
            // SAFETY: i + 4 ≤ np; the columns hold np entries each.
            unsafe {
                while i < np {
                    let pre = _mm256_fmadd_pd(
                        c0,
                        _mm256_loadu_pd(x0.as_ptr().add(i)),
                        _mm256_fmadd_pd(c1, _mm256_loadu_pd(x1.as_ptr().add(i)), cb),
                    );
                    let mask = _mm256_cmp_pd::<_CMP_GT_OQ>(pre, zero);
                    let gv = _mm256_loadu_pd(g.as_ptr().add(i));
                    sw = _mm256_fmadd_pd(gv, _mm256_and_pd(pre, mask), sw);
                    sb = _mm256_add_pd(sb, _mm256_and_pd(gv, mask));
                    let xg0 = _mm256_loadu_pd(x0g.as_ptr().add(i));
                    let xg1 = _mm256_loadu_pd(x1g.as_ptr().add(i));
                    s0 = _mm256_add_pd(s0, _mm256_and_pd(xg0, mask));
                    s1 = _mm256_add_pd(s1, _mm256_and_pd(xg1, mask));
                    i += 4;
                }
            }
            let w2 = net.w2[k];
            grad.w2[k] = hsum(sw);
            grad.b1[k] = w2 * hsum(sb);
            grad.w1[k] = w2 * hsum(s0);
            grad.w1[h + k] = w2 * hsum(s1);
        }
        *grad.b2 = gb2;
        loss * inv_n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column-wise AVX2 step and the portable example-by-example step compute the same loss, outputs
    /// and gradient (sums in another order: equal to rounding), including the padding of n to
    /// whole blocks of 16.
    #[test]
    fn column_and_row_steps_agree() {
        #[cfg(target_arch = "x86_64")]
        if !(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")) {
            return;
        }
        let (n, h) = (37, 13);
        let mut rng = crate::numerics::SeededRng::new(5);
        let mut uniform = |lo: f64, hi: f64| lo + (hi - lo) * rng.uniform();
        let points: Vec<f64> = (0..2 * n).map(|_| uniform(-2.0, 2.0)).collect();
        let labels: Vec<f64> = (0..n)
            .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
            .collect();
        let params: Vec<f64> = (0..4 * h + 1).map(|_| uniform(-1.0, 1.0)).collect();
        let net = TwoLayer {
            w1: &params[..2 * h],
            b1: &params[2 * h..3 * h],
            w2: &params[3 * h..4 * h],
            b2: params[4 * h],
        };
        let input = FusedInput {
            points: &points,
            labels: &labels,
            dimension: 2,
            width: h,
            sd: 0.003,
            loss: crate::model::LossModel::Exact,
        };
        let step = |scratch: usize| {
            let mut g = vec![f64::NAN; 4 * h + 1];
            let (gw1, rest) = g.split_at_mut(2 * h);
            let (gb1, rest) = rest.split_at_mut(h);
            let (gw2, gb2) = rest.split_at_mut(h);
            let mut grad = TwoLayerGrad {
                w1: gw1,
                b1: gb1,
                w2: gw2,
                b2: &mut gb2[0],
            };
            let mut outputs = vec![f64::NAN; n];
            let mut row = vec![0.0; scratch];
            let loss = fused_two_layer(&input, &net, &mut grad, &mut outputs, &mut row);
            (loss, outputs, g)
        };
        let columns = step(column_scratch(n, h));
        let rows = step(h);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()));
        assert!(close(columns.0, rows.0), "loss {} vs {}", columns.0, rows.0);
        for (a, b) in columns
            .1
            .iter()
            .zip(&rows.1)
            .chain(columns.2.iter().zip(&rows.2))
        {
            assert!(close(*a, *b), "{a} vs {b}");
        }
    }
}
