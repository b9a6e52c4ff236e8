//! The inner loops of the engine over contiguous f64 memory: the d → width first layer and the
//! width → 1 last layer written by hand, and hidden → hidden products by `matrixmultiply`'s
//! `dgemm` (a tuned, dependency-free, single-threaded f64 matrix multiply: packing plus
//! register-blocked micro-kernels with run-time AVX/FMA detection; nalgebra already depends on
//! it, so it adds no code to the build).
//!
//! The one-hidden-layer step (the paper's 2 → 500 → 1) is fused per example: forward, loss
//! gradient and backward for one row while it sits in L1 cache. It is compiled twice, plainly
//! and with AVX2/FMA enabled, and the faster one is chosen at run time.

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
}

/// Examples whose backward passes share one sweep over the gradient accumulators.
pub(crate) const BLOCK: usize = 4;

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
/// gradient of the mean loss mean(log(1 + e^(−yŷ))) + c·mean(ŷ²) into `grad` (overwritten), and
/// returns that loss. `row` is scratch of length [`BLOCK`]·h (h suffices, more slowly).
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
    let row = &mut row[..h];
    grad.w1[..d * h].fill(0.0);
    grad.b1[..h].fill(0.0);
    grad.w2[..h].fill(0.0);
    *grad.b2 = 0.0;
    let mut loss = 0.0;
    let mut gb2 = 0.0;
    if AVX2 && d == 2 && row.len() >= BLOCK * h {
        let mut i = 0;
        while i < n {
            let nb = BLOCK.min(n - i);
            let mut gs = [0.0f64; BLOCK];
            let mut x0 = [0.0f64; BLOCK];
            let mut x1 = [0.0f64; BLOCK];
            for b in 0..nb {
                let x = &input.points[(i + b) * 2..(i + b) * 2 + 2];
                let y = input.labels[i + b];
                // SAFETY: AVX2 is only set by the caller compiled for (and detected with)
                // AVX2/FMA.
                let out = unsafe {
                    simd::forward_2(
                        x[0],
                        x[1],
                        &w1[..h],
                        &w1[h..2 * h],
                        b1,
                        w2,
                        &mut row[b * h..(b + 1) * h],
                    )
                } + net.b2;
                outputs[i + b] = out;
                let margin = y * out;
                loss += crate::numerics::softplus(-margin) + input.sd * out * out;
                let g = (-y * crate::numerics::logistic(-margin) + 2.0 * input.sd * out) * inv_n;
                gb2 += g;
                gs[b] = g;
                x0[b] = x[0];
                x1[b] = x[1];
            }
            let (g0, g1) = grad.w1[..2 * h].split_at_mut(h);
            // SAFETY: as above.
            unsafe {
                simd::backward_2_block(
                    nb,
                    &x0,
                    &x1,
                    &gs,
                    &row[..nb * h],
                    w2,
                    &mut grad.w2[..h],
                    &mut grad.b1[..h],
                    g0,
                    g1,
                )
            };
            i += nb;
        }
        *grad.b2 = gb2;
        return loss * inv_n;
    }
    for i in 0..n {
        let x = &input.points[i * d..(i + 1) * d];
        let y = input.labels[i];
        // Forward: pre-activations into `row`, then ŷ = w₂ · relu(h) + b₂.
        let out = if AVX2 && d == 2 {
            // SAFETY: AVX2 is only set by the caller compiled for (and detected with) AVX2/FMA.
            unsafe { simd::forward_2(x[0], x[1], &w1[..h], &w1[h..2 * h], b1, w2, row) }
        } else if d == 2 {
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
        loss += crate::numerics::softplus(-margin) + input.sd * out * out;
        let g = (-y * crate::numerics::logistic(-margin) + 2.0 * input.sd * out) * inv_n;
        gb2 += g;
        // Backward through the last layer and the ReLU, branch-free (bit masks) so that it
        // vectorises without masked loads and stores.
        if AVX2 && d == 2 {
            let (g0, g1) = grad.w1[..2 * h].split_at_mut(h);
            // SAFETY: as above.
            unsafe {
                simd::backward_2(
                    x[0],
                    x[1],
                    g,
                    row,
                    w2,
                    &mut grad.w2[..h],
                    &mut grad.b1[..h],
                    g0,
                    g1,
                )
            };
            continue;
        }
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

/// AVX2/FMA versions of the two-input row kernels (x86-64 only).
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    /// row = b + x₀ w₀ + x₁ w₁; returns Σ_k max(row_k, 0) v_k.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA; all slices have at least `row.len()` entries.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn forward_2(
        x0: f64,
        x1: f64,
        w0: &[f64],
        w1: &[f64],
        b: &[f64],
        v: &[f64],
        row: &mut [f64],
    ) -> f64 {
        let h = row.len();
        assert!(w0.len() >= h && w1.len() >= h && b.len() >= h && v.len() >= h);
        let full = h / 8 * 8;
        let (vx0, vx1) = (_mm256_set1_pd(x0), _mm256_set1_pd(x1));
        let zero = _mm256_setzero_pd();
        let (mut acc0, mut acc1) = (zero, zero);
        let (pw0, pw1, pb, pv, pr) = (
            w0.as_ptr(),
            w1.as_ptr(),
            b.as_ptr(),
            v.as_ptr(),
            row.as_mut_ptr(),
        );
        let mut k = 0;
        // SAFETY: k + 8 ≤ full ≤ h, inside every slice (asserted above).
        unsafe {
            while k < full {
                let z0 = _mm256_fmadd_pd(
                    vx1,
                    _mm256_loadu_pd(pw1.add(k)),
                    _mm256_fmadd_pd(vx0, _mm256_loadu_pd(pw0.add(k)), _mm256_loadu_pd(pb.add(k))),
                );
                let z1 = _mm256_fmadd_pd(
                    vx1,
                    _mm256_loadu_pd(pw1.add(k + 4)),
                    _mm256_fmadd_pd(
                        vx0,
                        _mm256_loadu_pd(pw0.add(k + 4)),
                        _mm256_loadu_pd(pb.add(k + 4)),
                    ),
                );
                _mm256_storeu_pd(pr.add(k), z0);
                _mm256_storeu_pd(pr.add(k + 4), z1);
                acc0 = _mm256_fmadd_pd(_mm256_max_pd(z0, zero), _mm256_loadu_pd(pv.add(k)), acc0);
                acc1 = _mm256_fmadd_pd(
                    _mm256_max_pd(z1, zero),
                    _mm256_loadu_pd(pv.add(k + 4)),
                    acc1,
                );
                k += 8;
            }
        }
        let mut lanes = [0.0f64; 4];
        // SAFETY: `lanes` holds four f64.
        unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), _mm256_add_pd(acc0, acc1)) };
        let mut sum = (lanes[0] + lanes[2]) + (lanes[1] + lanes[3]);
        for k in full..h {
            let z = x1.mul_add(w1[k], x0.mul_add(w0[k], b[k]));
            row[k] = z;
            sum += super::relu(z) * v[k];
        }
        sum
    }

    /// With pre-activations `row` and ∂loss/∂ŷ = g: gw2 += g relu(row); dh = g w2 [row > 0];
    /// gb1 += dh; g0 += x₀ dh; g1 += x₁ dh.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA; all slices have at least `row.len()` entries.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn backward_2(
        x0: f64,
        x1: f64,
        g: f64,
        row: &[f64],
        w2: &[f64],
        gw2: &mut [f64],
        gb1: &mut [f64],
        g0: &mut [f64],
        g1: &mut [f64],
    ) {
        let h = row.len();
        assert!(
            w2.len() >= h && gw2.len() >= h && gb1.len() >= h && g0.len() >= h && g1.len() >= h
        );
        let full = h / 4 * 4;
        let (vx0, vx1, vg) = (_mm256_set1_pd(x0), _mm256_set1_pd(x1), _mm256_set1_pd(g));
        let zero = _mm256_setzero_pd();
        let (pr, pw) = (row.as_ptr(), w2.as_ptr());
        let (pgw, pgb, pg0, pg1) = (
            gw2.as_mut_ptr(),
            gb1.as_mut_ptr(),
            g0.as_mut_ptr(),
            g1.as_mut_ptr(),
        );
        let mut k = 0;
        // SAFETY: k + 4 ≤ full ≤ h, inside every slice (asserted above); the four outputs are
        // distinct slices.
        unsafe {
            while k < full {
                let pre = _mm256_loadu_pd(pr.add(k));
                let mask = _mm256_cmp_pd::<_CMP_GT_OQ>(pre, zero);
                let gw = _mm256_fmadd_pd(vg, _mm256_and_pd(pre, mask), _mm256_loadu_pd(pgw.add(k)));
                _mm256_storeu_pd(pgw.add(k), gw);
                let dh = _mm256_and_pd(_mm256_mul_pd(vg, _mm256_loadu_pd(pw.add(k))), mask);
                _mm256_storeu_pd(pgb.add(k), _mm256_add_pd(_mm256_loadu_pd(pgb.add(k)), dh));
                _mm256_storeu_pd(
                    pg0.add(k),
                    _mm256_fmadd_pd(vx0, dh, _mm256_loadu_pd(pg0.add(k))),
                );
                _mm256_storeu_pd(
                    pg1.add(k),
                    _mm256_fmadd_pd(vx1, dh, _mm256_loadu_pd(pg1.add(k))),
                );
                k += 4;
            }
        }
        for k in full..h {
            let pre = row[k];
            if pre > 0.0 {
                gw2[k] += g * pre;
                let dh = g * w2[k];
                gb1[k] += dh;
                g0[k] += x0 * dh;
                g1[k] += x1 * dh;
            }
        }
    }

    /// `backward_2` for `nb` ≤ 4 examples at once: rows of `rows` (nb × h) with their inputs
    /// and loss gradients; the accumulators are loaded and stored once per block.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn backward_2_block(
        nb: usize,
        x0: &[f64; super::BLOCK],
        x1: &[f64; super::BLOCK],
        g: &[f64; super::BLOCK],
        rows: &[f64],
        w2: &[f64],
        gw2: &mut [f64],
        gb1: &mut [f64],
        g0: &mut [f64],
        g1: &mut [f64],
    ) {
        let h = w2.len();
        assert!(nb <= super::BLOCK && rows.len() >= nb * h);
        assert!(gw2.len() >= h && gb1.len() >= h && g0.len() >= h && g1.len() >= h);
        let full = h / 4 * 4;
        let zero = _mm256_setzero_pd();
        let vx0: [__m256d; super::BLOCK] = std::array::from_fn(|b| _mm256_set1_pd(x0[b]));
        let vx1: [__m256d; super::BLOCK] = std::array::from_fn(|b| _mm256_set1_pd(x1[b]));
        let vg: [__m256d; super::BLOCK] = std::array::from_fn(|b| _mm256_set1_pd(g[b]));
        let (pr, pw) = (rows.as_ptr(), w2.as_ptr());
        let (pgw, pgb, pg0, pg1) = (
            gw2.as_mut_ptr(),
            gb1.as_mut_ptr(),
            g0.as_mut_ptr(),
            g1.as_mut_ptr(),
        );
        let mut k = 0;
        // SAFETY: k + 4 ≤ full ≤ h and b·h + k + 4 ≤ nb·h, inside every slice (asserted above);
        // the four outputs are distinct slices.
        unsafe {
            while k < full {
                let w = _mm256_loadu_pd(pw.add(k));
                let mut gw = _mm256_loadu_pd(pgw.add(k));
                let mut gb = _mm256_loadu_pd(pgb.add(k));
                let mut a0 = _mm256_loadu_pd(pg0.add(k));
                let mut a1 = _mm256_loadu_pd(pg1.add(k));
                for b in 0..nb {
                    let pre = _mm256_loadu_pd(pr.add(b * h + k));
                    let mask = _mm256_cmp_pd::<_CMP_GT_OQ>(pre, zero);
                    gw = _mm256_fmadd_pd(vg[b], _mm256_and_pd(pre, mask), gw);
                    let dh = _mm256_and_pd(_mm256_mul_pd(vg[b], w), mask);
                    gb = _mm256_add_pd(gb, dh);
                    a0 = _mm256_fmadd_pd(vx0[b], dh, a0);
                    a1 = _mm256_fmadd_pd(vx1[b], dh, a1);
                }
                _mm256_storeu_pd(pgw.add(k), gw);
                _mm256_storeu_pd(pgb.add(k), gb);
                _mm256_storeu_pd(pg0.add(k), a0);
                _mm256_storeu_pd(pg1.add(k), a1);
                k += 4;
            }
        }
        for b in 0..nb {
            for k in full..h {
                let pre = rows[b * h + k];
                if pre > 0.0 {
                    gw2[k] += g[b] * pre;
                    let dh = g[b] * w2[k];
                    gb1[k] += dh;
                    g0[k] += x0[b] * dh;
                    g1[k] += x1[b] * dh;
                }
            }
        }
    }
}
