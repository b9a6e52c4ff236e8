//! Vectorised equilibria of the two-feature toy (M17): the engine's allocation-free 2 × 2 Newton
//! solver with the starvation matrix (M16), over arrays of points, in parallel (rayon) with the
//! GIL released.
//!
//! Every use of the toy fast path is in this file (another helper may move it to a `toy`
//! module; at that merge only the `use` below changes).

use rayon::prelude::*;

use starvation::error::InputError;
use starvation::toy::{ToyProblem, ToyRegulariser};

/// Points per parallel chunk. Within a chunk each point warm-starts Newton from the previous
/// converged point (as the CLI benchmark and the sweeps do along grid lines); a warm start that
/// fails is retried from the cold start. Chunks are fixed, so results do not depend on the
/// number of threads.
pub const CHUNK: usize = 1024;

/// Inputs: each array has length `n` or 1 (broadcast).
pub struct ToyInputs<'a> {
    /// s₁ (> 0).
    pub s1: &'a [f64],
    /// s₂ (> 0).
    pub s2: &'a [f64],
    /// δ (|δ| < 1).
    pub delta: &'a [f64],
    /// λ (> 0).
    pub lambda: &'a [f64],
    /// Rate η (> 0): scales the eigenvalues.
    pub rate: f64,
    /// L2 or uniform SD.
    pub regulariser: ToyRegulariser,
    /// Newton's weighted-residual tolerance.
    pub tolerance: f64,
    /// Newton iterations allowed.
    pub max_iterations: u32,
}

/// Outputs, flat: `z` is n × 2, `starvation` n × 2 × 2 (row j, column i: ∂z_j*/∂(s_i²)),
/// `eigenvalues` n × 2 (ascending).
pub struct ToyOutputs {
    /// z*.
    pub z: Vec<f64>,
    /// Starvation matrices.
    pub starvation: Vec<f64>,
    /// Eigenvalues of the flow's Jacobian at z*.
    pub eigenvalues: Vec<f64>,
    /// Newton iterations.
    pub iterations: Vec<u32>,
    /// Weighted residuals.
    pub residual: Vec<f64>,
    /// Whether each point converged (NaN results where not).
    pub converged: Vec<bool>,
}

fn at(a: &[f64], i: usize) -> f64 {
    if a.len() == 1 { a[0] } else { a[i] }
}

/// Validates every input value before any work; the error names the argument and the index.
pub fn validate(inputs: &ToyInputs, n: usize) -> Result<(), InputError> {
    let check = |name: &str, a: &[f64], ok: &dyn Fn(f64) -> bool, what: &str| {
        if a.len() != 1 && a.len() != n {
            return Err(InputError::new(
                name,
                format!(
                    "has {} values but the others have {n}; give one value or {n}",
                    a.len()
                ),
            ));
        }
        match a.iter().position(|&x| !ok(x)) {
            None => Ok(()),
            Some(i) => Err(InputError::new(
                if a.len() == 1 {
                    name.to_string()
                } else {
                    format!("{name}[{i}]")
                },
                format!("must be {what}, got {}", a[i]),
            )),
        }
    };
    let positive = |x: f64| x.is_finite() && x > 0.0;
    check("s1", inputs.s1, &positive, "> 0 and finite")?;
    check("s2", inputs.s2, &positive, "> 0 and finite")?;
    check(
        "delta",
        inputs.delta,
        &|x: f64| x.is_finite() && x.abs() < 1.0,
        "in (−1, 1)",
    )?;
    check(
        "lam",
        inputs.lambda,
        &positive,
        "> 0 and finite (the toy fast path needs λ > 0)",
    )?;
    if !positive(inputs.rate) {
        return Err(InputError::new(
            "rate",
            format!("must be > 0 and finite, got {}", inputs.rate),
        ));
    }
    if !positive(inputs.tolerance) {
        return Err(InputError::new(
            "tolerance",
            format!("must be > 0 and finite, got {}", inputs.tolerance),
        ));
    }
    if inputs.max_iterations == 0 {
        return Err(InputError::new("max_iterations", "must be ≥ 1"));
    }
    Ok(())
}

/// Solves every point (validate first).
pub fn solve(inputs: &ToyInputs, n: usize) -> ToyOutputs {
    // One copy of the loop per regulariser: with the solver inlined (LTO), the regulariser's
    // branches fold away as they do inside the engine's own benchmark loop.
    match inputs.regulariser {
        ToyRegulariser::L2 => solve_with::<false>(inputs, n),
        ToyRegulariser::Sd => solve_with::<true>(inputs, n),
    }
}

fn solve_with<const SD: bool>(inputs: &ToyInputs, n: usize) -> ToyOutputs {
    let regulariser = if SD {
        ToyRegulariser::Sd
    } else {
        ToyRegulariser::L2
    };
    let mut out = ToyOutputs {
        z: vec![0.0; 2 * n],
        starvation: vec![0.0; 4 * n],
        eigenvalues: vec![0.0; 2 * n],
        iterations: vec![0; n],
        residual: vec![0.0; n],
        converged: vec![false; n],
    };
    prefer_huge_pages(&mut out.z);
    prefer_huge_pages(&mut out.starvation);
    prefer_huge_pages(&mut out.eigenvalues);
    prefer_huge_pages(&mut out.iterations);
    prefer_huge_pages(&mut out.residual);
    out.z
        .par_chunks_mut(2 * CHUNK)
        .zip(out.starvation.par_chunks_mut(4 * CHUNK))
        .zip(out.eigenvalues.par_chunks_mut(2 * CHUNK))
        .zip(out.iterations.par_chunks_mut(CHUNK))
        .zip(out.residual.par_chunks_mut(CHUNK))
        .zip(out.converged.par_chunks_mut(CHUNK))
        .enumerate()
        .for_each(|(c, (((((z, m), e), it), r), ok))| {
            let mut warm: Option<[f64; 2]> = None;
            for p in 0..it.len() {
                let i = c * CHUNK + p;
                let (s1, s2) = (at(inputs.s1, i), at(inputs.s2, i));
                let problem = ToyProblem {
                    s1_squared: s1 * s1,
                    s2_squared: s2 * s2,
                    delta: at(inputs.delta, i),
                    lambda: at(inputs.lambda, i),
                    regulariser,
                };
                let mut sol = problem.solve(
                    warm.unwrap_or_else(|| problem.cold_start()),
                    inputs.tolerance,
                    inputs.max_iterations,
                );
                if !sol.converged && warm.is_some() {
                    sol = problem.solve(
                        problem.cold_start(),
                        inputs.tolerance,
                        inputs.max_iterations,
                    );
                }
                it[p] = sol.iterations;
                r[p] = sol.residual;
                ok[p] = sol.converged;
                if sol.converged {
                    warm = Some(sol.z);
                    z[2 * p..2 * p + 2].copy_from_slice(&sol.z);
                    m[4 * p..4 * p + 4].copy_from_slice(&[
                        sol.starvation[0][0],
                        sol.starvation[0][1],
                        sol.starvation[1][0],
                        sol.starvation[1][1],
                    ]);
                    e[2 * p] = inputs.rate * sol.eigenvalues[0];
                    e[2 * p + 1] = inputs.rate * sol.eigenvalues[1];
                } else {
                    warm = None;
                    z[2 * p..2 * p + 2].fill(f64::NAN);
                    m[4 * p..4 * p + 4].fill(f64::NAN);
                    e[2 * p..2 * p + 2].fill(f64::NAN);
                }
            }
        });
    out
}

/// The starvation ratios z_j*/z_j⁰ of solved points (n × 2, NaN where z* is NaN), with the
/// uncoupled reference z⁰ exactly as the sweep's `starvation_ratio` metric takes it for the toy:
/// the root of λ z = s_j² σ(−z) under L2 (`uncoupled_response`, exact loss), the SD margin
/// a*(λ) under SD (`sd_margin`). Parallel in the same fixed chunks as [`solve`].
pub fn starvation_ratio(inputs: &ToyInputs, z: &[f64]) -> Vec<f64> {
    use starvation::equilibrium::closed_form::{sd_margin, uncoupled_response};
    let mut ratio = vec![0.0; z.len()];
    ratio
        .par_chunks_mut(2 * CHUNK)
        .zip(z.par_chunks(2 * CHUNK))
        .enumerate()
        .for_each(|(c, (out, z))| {
            for p in 0..out.len() / 2 {
                let i = c * CHUNK + p;
                let lambda = at(inputs.lambda, i);
                let reference = match inputs.regulariser {
                    ToyRegulariser::L2 => [at(inputs.s1, i), at(inputs.s2, i)]
                        .map(|s| uncoupled_response(s * s, lambda, starvation::LossModel::Exact)),
                    ToyRegulariser::Sd => [sd_margin(lambda); 2],
                };
                for j in 0..2 {
                    out[2 * p + j] = z[2 * p + j] / reference[j];
                }
            }
        });
    ratio
}

/// Asks Linux to back the 2 MiB-aligned interior of a large fresh output array with huge pages
/// (transparent huge pages in `madvise` mode): its first writes then take one page fault per
/// 2 MiB instead of one per 4 KiB, which is most of what writing ~85 bytes per point costs beyond
/// the solve itself (`python/bench/bench_python.py`). Advice only: nothing changes if refused.
fn prefer_huge_pages<T>(buffer: &mut [T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 1 << 21;
        let start = buffer.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(buffer);
        let (first, last) = (start.div_ceil(HUGE) * HUGE, end / HUGE * HUGE);
        if last > first {
            // SAFETY: the range lies inside `buffer`, which this function borrows mutably;
            // MADV_HUGEPAGE only changes how the kernel backs those pages, never their contents.
            unsafe {
                libc::madvise(
                    first as *mut libc::c_void,
                    last - first,
                    libc::MADV_HUGEPAGE,
                );
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buffer;
}

/// The regulariser named in Python ("l2" or "sd").
pub fn regulariser(name: &str) -> Result<ToyRegulariser, InputError> {
    match name {
        "l2" => Ok(ToyRegulariser::L2),
        "sd" => Ok(ToyRegulariser::Sd),
        other => Err(InputError::new(
            "regulariser",
            format!("unknown regulariser {other:?} for the toy fast path; use \"l2\" or \"sd\""),
        )),
    }
}

/// The CLI benchmark's equilibrium grid (`starvation bench equilibria`), timed in-process with
/// `threads` threads: seconds and checksum, for comparing the binding's per-point time.
pub fn bench_equilibria(side: usize, threads: usize) -> (f64, f64) {
    let t = starvation::bench::equilibria(starvation::bench::Grid { side }, threads);
    (t.seconds, t.checksum)
}
