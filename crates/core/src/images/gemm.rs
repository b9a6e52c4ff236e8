//! The matrix products of the image networks, on all cores: `matrixmultiply`'s single-threaded
//! `sgemm`/`dgemm` (packing plus AVX2/FMA micro-kernels chosen at run time) called on row blocks
//! from rayon's pool, so the thread count is the application's (`--threads`) and nothing else
//! in the workspace changes (its `threading` feature would thread every caller's products).
//!
//! Measured on the 2-core development machine (AMD EPYC, shared): the protocol's five shapes
//! (50 000 × 392 · 392 × 300 and its relatives) ran at 43–67 GFLOP/s with matrixmultiply on two
//! threads and 40–59 GFLOP/s with the `gemm` crate 0.18 on two rayon threads; one thread of
//! matrixmultiply alone reached 43–63, so the machine's second core was mostly busy.

use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

use rayon::prelude::*;

/// Rows of one block of a row-split product: small enough that a block's output (rows × 300
/// floats, about 600 kB in f32) is still in cache when the fused epilogue (bias, ReLU, mask)
/// runs over it, large enough that packing the right factor again per block costs < 1 %.
pub(crate) const BLOCK_ROWS: usize = 512;

/// The floating-point type the image networks train in: f32 (the protocol's) or f64.
pub trait Real:
    Copy
    + Send
    + Sync
    + Default
    + PartialOrd
    + std::fmt::Debug
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
{
    /// The value nearest to `x`.
    fn from_f64(x: f64) -> Self;
    /// As f64 (exact).
    fn to_f64(self) -> f64;
    /// √x.
    fn sqrt(self) -> Self;
    /// Name in outputs ("f32", "f64").
    const NAME: &'static str;

    /// C = α A B + β C with explicit strides (rows × inner · inner × cols), single-threaded.
    ///
    /// # Safety
    /// Every index the strides reach must lie inside the pointed-to buffers, and `c` must not
    /// alias `a` or `b`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm_raw(
        rows: usize,
        inner: usize,
        cols: usize,
        alpha: Self,
        a: *const Self,
        a_strides: (isize, isize),
        b: *const Self,
        b_strides: (isize, isize),
        beta: Self,
        c: *mut Self,
        c_strides: (isize, isize),
    );
}

impl Real for f32 {
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    const NAME: &'static str = "f32";
    unsafe fn gemm_raw(
        rows: usize,
        inner: usize,
        cols: usize,
        alpha: Self,
        a: *const Self,
        (rsa, csa): (isize, isize),
        b: *const Self,
        (rsb, csb): (isize, isize),
        beta: Self,
        c: *mut Self,
        (rsc, csc): (isize, isize),
    ) {
        // SAFETY: forwarded from the caller's contract.
        unsafe {
            matrixmultiply::sgemm(
                rows, inner, cols, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc,
            )
        }
    }
}

impl Real for f64 {
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    const NAME: &'static str = "f64";
    unsafe fn gemm_raw(
        rows: usize,
        inner: usize,
        cols: usize,
        alpha: Self,
        a: *const Self,
        (rsa, csa): (isize, isize),
        b: *const Self,
        (rsb, csb): (isize, isize),
        beta: Self,
        c: *mut Self,
        (rsc, csc): (isize, isize),
    ) {
        // SAFETY: forwarded from the caller's contract.
        unsafe {
            matrixmultiply::dgemm(
                rows, inner, cols, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc,
            )
        }
    }
}

/// The right factor of a product: a row-major matrix used as is or transposed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Right<'a, T> {
    /// The stored matrix, row-major.
    pub data: &'a [T],
    /// Rows of the stored matrix.
    pub rows: usize,
    /// Columns of the stored matrix.
    pub cols: usize,
    /// Whether the product uses its transpose.
    pub transposed: bool,
}

impl<T> Right<'_, T> {
    /// (inner, cols, strides) of the factor as used.
    fn shape(&self) -> (usize, usize, (isize, isize)) {
        if self.transposed {
            (self.cols, self.rows, (1, self.cols as isize))
        } else {
            (self.rows, self.cols, (self.cols as isize, 1))
        }
    }
}

/// C = A B for A (rows × inner, row stride `a_stride`) and C (rows × cols, row stride
/// `c_stride`), split into blocks of [`BLOCK_ROWS`] rows over rayon's pool;
/// `epilogue(first_row, rows, block_of_c)` runs on each block right after its product (ReLU,
/// masks), while it is in cache. `rows` is taken from `c`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn product_rows<T: Real>(
    a: &[T],
    a_stride: usize,
    b: Right<'_, T>,
    c: &mut [T],
    c_stride: usize,
    rows: usize,
    epilogue: &(dyn Fn(usize, usize, &mut [T]) + Sync),
) {
    let (inner, cols, b_strides) = b.shape();
    if cols == 0 || rows == 0 {
        return;
    }
    assert!(a_stride >= inner && c_stride >= cols);
    assert!(a.len() >= (rows - 1) * a_stride + inner);
    assert!(c.len() >= rows * c_stride && b.data.len() >= inner * cols);
    c[..rows * c_stride]
        .par_chunks_mut(BLOCK_ROWS * c_stride)
        .enumerate()
        .for_each(|(block, c_block)| {
            let first = block * BLOCK_ROWS;
            let n = c_block.len() / c_stride;
            let a_block = &a[first * a_stride..];
            if inner > 0 {
                // SAFETY: a_block holds n rows of stride a_stride ≥ inner (checked above), b is
                // inner × cols through its strides, c_block is n rows of stride c_stride ≥ cols,
                // and c does not alias a or b (it is borrowed mutably).
                unsafe {
                    T::gemm_raw(
                        n,
                        inner,
                        cols,
                        T::from_f64(1.0),
                        a_block.as_ptr(),
                        (a_stride as isize, 1),
                        b.data.as_ptr(),
                        b_strides,
                        T::default(),
                        c_block.as_mut_ptr(),
                        (c_stride as isize, 1),
                    );
                }
            }
            epilogue(first, n, c_block);
        });
}

/// C = Aᵀ B for A (n × m, row stride `a_stride`) and B (n × p, row stride `b_stride`) into C
/// (m × p, dense): the examples n are split into one contiguous part per slot of `partials`
/// (parts × m × p, allocated once by the caller), each part's product goes into its slot, and
/// the parts are summed into C.
#[allow(clippy::too_many_arguments)]
pub(crate) fn product_transposed<T: Real>(
    a: &[T],
    a_stride: usize,
    m: usize,
    b: &[T],
    b_stride: usize,
    p: usize,
    n: usize,
    c: &mut [T],
    partials: &mut [T],
) {
    let size = m * p;
    if size == 0 {
        return;
    }
    let parts = (partials.len() / size).max(1).min(n.max(1));
    let per = n.div_ceil(parts).max(1);
    assert!(partials.len() >= size && c.len() >= size && a_stride >= m && b_stride >= p);
    if n > 0 {
        assert!(a.len() >= (n - 1) * a_stride + m && b.len() >= (n - 1) * b_stride + p);
    }
    partials[..parts * size]
        .par_chunks_mut(size)
        .enumerate()
        .for_each(|(k, out)| {
            let first = (k * per).min(n);
            let last = ((k + 1) * per).min(n);
            if first == last {
                out.iter_mut().for_each(|x| *x = T::default());
                return;
            }
            // SAFETY: Aᵀ of the part is m × (last − first) through strides (1, a_stride) from row
            // `first`; B's part is (last − first) × p through (b_stride, 1); both inside their
            // slices (checked above); out is m × p and aliases neither.
            unsafe {
                T::gemm_raw(
                    m,
                    last - first,
                    p,
                    T::from_f64(1.0),
                    a[first * a_stride..].as_ptr(),
                    (1, a_stride as isize),
                    b[first * b_stride..].as_ptr(),
                    (b_stride as isize, 1),
                    T::default(),
                    out.as_mut_ptr(),
                    (p as isize, 1),
                );
            }
        });
    let (first, rest) = partials[..parts * size].split_at(size);
    c[..size].copy_from_slice(first);
    for part in rest.chunks_exact(size) {
        for (x, y) in c[..size].iter_mut().zip(part) {
            *x += *y;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f64], b: &[f64], rows: usize, inner: usize, cols: usize) -> Vec<f64> {
        let mut c = vec![0.0; rows * cols];
        for i in 0..rows {
            for k in 0..inner {
                for j in 0..cols {
                    c[i * cols + j] += a[i * inner + k] * b[k * cols + j];
                }
            }
        }
        c
    }

    fn filled(len: usize, seed: u64) -> Vec<f64> {
        let mut rng = crate::numerics::SeededRng::new(seed);
        (0..len).map(|_| rng.uniform() - 0.5).collect()
    }

    /// Row-split products (with a block boundary inside) equal the triple loop to round-off.
    #[test]
    fn row_blocks_equal_the_triple_loop() {
        let (rows, inner, cols) = (BLOCK_ROWS + 37, 13, 7);
        let a = filled(rows * inner, 1);
        let b = filled(inner * cols, 2);
        let mut c = vec![0.0; rows * cols];
        product_rows(
            &a,
            inner,
            Right {
                data: &b,
                rows: inner,
                cols,
                transposed: false,
            },
            &mut c,
            cols,
            rows,
            &|_, _, _| {},
        );
        let want = naive(&a, &b, rows, inner, cols);
        for (x, y) in c.iter().zip(&want) {
            assert!((x - y).abs() < 1e-13);
        }
        // The transposed right factor: Bᵀ stored as cols × inner.
        let mut bt = vec![0.0; inner * cols];
        for k in 0..inner {
            for j in 0..cols {
                bt[j * inner + k] = b[k * cols + j];
            }
        }
        let mut c2 = vec![0.0; rows * cols];
        product_rows(
            &a,
            inner,
            Right {
                data: &bt,
                rows: cols,
                cols: inner,
                transposed: true,
            },
            &mut c2,
            cols,
            rows,
            &|_, _, _| {},
        );
        assert_eq!(c, c2);
    }

    /// Aᵀ B summed over parts equals the triple loop, whatever the number of parts.
    #[test]
    fn transposed_products_sum_their_parts() {
        let (n, m, p) = (1001, 9, 5);
        let a = filled(n * m, 3);
        let b = filled(n * p, 4);
        let mut at = vec![0.0; m * n];
        for i in 0..n {
            for k in 0..m {
                at[k * n + i] = a[i * m + k];
            }
        }
        let want = naive(&at, &b, m, n, p);
        for parts in [1, 2, 3, 7] {
            let mut partials = vec![0.0; parts * m * p];
            let mut c = vec![0.0; m * p];
            product_transposed(&a, m, m, &b, p, p, n, &mut c, &mut partials);
            for (x, y) in c.iter().zip(&want) {
                assert!((x - y).abs() < 1e-12, "{parts} parts");
            }
        }
    }
}
