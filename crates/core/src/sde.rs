//! Stochastic differential equations dx = f(x) dt + G(x) dW in Itô's sense (theory.md §9): the
//! Euler–Maruyama scheme, seeded Brownian increments, and ensembles of paths in parallel with
//! the mean and spread of observed quantities.
//!
//! Euler–Maruyama: x_{k+1} = x_k + h f(x_k) + G(x_k) ΔW_k, ΔW_k ~ N(0, h I) independent.
//! Orders (Kloeden & Platen, Thm. 10.2.2 and 14.1.5), for smooth f, G with linear growth:
//! strong order 1/2 (E|x_N − x(T)| = O(h^½) on the same Brownian path), strong order 1 when the
//! noise is additive (G constant), weak order 1 (|E φ(x_N) − E φ(x(T))| = O(h)) for smooth φ.
//! Measured in `tests/solvers/sde_order.rs`. Milstein's scheme would raise the strong order to
//! 1 only with the Lévy areas of the n-dimensional, non-commuting noise of the minibatch
//! diffusion, which cost more than the path itself; it is not offered.
//!
//! Stability: on the linear test equation dx = λ x dt (λ < 0) the scheme's mean is multiplied
//! by 1 + hλ per step, so it decays only when h |λ| < 2 ([`EULER_MARUYAMA_BOUND`]); for a drift
//! whose Jacobian has real eigenvalues in [−L, 0] the step must satisfy h L < 2 (the noise
//! adds to the mean-square growth, never removes it). [`check_step`] refuses anything else.

use rayon::prelude::*;

use crate::error::InputError;
use crate::numerics::SeededRng;

/// Euler–Maruyama's stability bound on h·|λ_max| for a drift with real negative eigenvalues.
pub const EULER_MARUYAMA_BOUND: f64 = 2.0;

/// An Itô SDE dx = f(x) dt + G(x) dW with `dim` states and `noise_dim` Brownian motions.
pub trait Diffusion: Sync {
    /// Number of states.
    fn dim(&self) -> usize;
    /// Number of independent Brownian motions.
    fn noise_dim(&self) -> usize;
    /// f(x) into `out`.
    fn drift(&self, x: &[f64], out: &mut [f64]);
    /// Adds G(x) dw to `out` (`dw` has `noise_dim` entries).
    fn add_noise(&self, x: &[f64], dw: &[f64], out: &mut [f64]);
    /// h f(x) + G(x) dw into `out` (one Euler–Maruyama increment); override when the two share
    /// work.
    fn increment(&self, x: &[f64], h: f64, dw: &[f64], out: &mut [f64]) {
        self.drift(x, out);
        for o in out.iter_mut() {
            *o *= h;
        }
        self.add_noise(x, dw, out);
    }
}

/// One Euler–Maruyama step x ← x + h f(x) + G(x) ΔW with the given increment ΔW (variance h
/// per entry); `scratch` has `dim` entries.
pub fn euler_maruyama_step<D: Diffusion + ?Sized>(
    sde: &D,
    x: &mut [f64],
    h: f64,
    dw: &[f64],
    scratch: &mut [f64],
) {
    sde.increment(x, h, dw, scratch);
    for (xi, d) in x.iter_mut().zip(scratch.iter()) {
        *xi += d;
    }
}

/// Fills `dw` with independent N(0, h) increments from `rng`.
pub fn brownian_increments(rng: &mut SeededRng, h: f64, dw: &mut [f64]) {
    let s = h.sqrt();
    for w in dw.iter_mut() {
        *w = s * rng.normal();
    }
}

/// The seed of path `member` of an ensemble seeded `seed` (SplitMix64 of both, so that paths
/// are independent streams and the ensemble does not depend on the threads).
pub fn path_seed(seed: u64, member: usize) -> u64 {
    let mut r = SeededRng::new(seed ^ (member as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
    r.next_u64()
}

/// Mean and spread (sample standard deviation, n − 1 in the denominator; 0 for one path) of
/// observed quantities over an ensemble: `mean[r][i]` at record r, quantity i.
#[derive(Debug, Clone, PartialEq)]
pub struct EnsembleStats {
    /// Ensemble mean.
    pub mean: Vec<Vec<f64>>,
    /// Ensemble standard deviation.
    pub spread: Vec<Vec<f64>>,
    /// Number of paths.
    pub paths: usize,
}

/// `paths` Euler–Maruyama paths from `x0` with step `h` (in parallel; path p seeded by
/// [`path_seed`]`(seed, p)`), observed by `observe` after the step counts `records`
/// (increasing; 0 = the start). Returns None when a path leaves the range of f64.
pub fn ensemble<D, O>(
    sde: &D,
    x0: &[f64],
    h: f64,
    records: &[usize],
    paths: usize,
    seed: u64,
    observe: O,
) -> Option<EnsembleStats>
where
    D: Diffusion + ?Sized,
    O: Fn(&[f64]) -> Vec<f64> + Sync,
{
    let per_path: Vec<Option<Vec<Vec<f64>>>> = (0..paths)
        .into_par_iter()
        .map(|p| {
            let mut rng = SeededRng::new(path_seed(seed, p));
            let mut x = x0.to_vec();
            let mut dw = vec![0.0; sde.noise_dim()];
            let mut scratch = vec![0.0; sde.dim()];
            let mut out = Vec::with_capacity(records.len());
            let mut step = 0usize;
            for &r in records {
                while step < r {
                    brownian_increments(&mut rng, h, &mut dw);
                    euler_maruyama_step(sde, &mut x, h, &dw, &mut scratch);
                    step += 1;
                }
                if !x.iter().all(|v| v.is_finite()) {
                    return None;
                }
                out.push(observe(&x));
            }
            Some(out)
        })
        .collect();
    let per_path: Vec<Vec<Vec<f64>>> = per_path.into_iter().collect::<Option<_>>()?;
    Some(statistics(&per_path))
}

/// Mean and sample standard deviation over paths of `per_path[p][r][i]`.
pub fn statistics(per_path: &[Vec<Vec<f64>>]) -> EnsembleStats {
    let paths = per_path.len();
    let Some(first) = per_path.first() else {
        return EnsembleStats {
            mean: Vec::new(),
            spread: Vec::new(),
            paths: 0,
        };
    };
    let mut mean: Vec<Vec<f64>> = first.iter().map(|r| vec![0.0; r.len()]).collect();
    for p in per_path {
        for (m, row) in mean.iter_mut().zip(p) {
            for (a, v) in m.iter_mut().zip(row) {
                *a += v / paths as f64;
            }
        }
    }
    let mut spread: Vec<Vec<f64>> = first.iter().map(|r| vec![0.0; r.len()]).collect();
    if paths > 1 {
        for p in per_path {
            for ((s, row), m) in spread.iter_mut().zip(p).zip(&mean) {
                for ((a, v), mu) in s.iter_mut().zip(row).zip(m) {
                    *a += (v - mu).powi(2) / (paths - 1) as f64;
                }
            }
        }
        for s in spread.iter_mut().flatten() {
            *s = s.sqrt();
        }
    }
    EnsembleStats {
        mean,
        spread,
        paths,
    }
}

/// Refuses a step h with h·`lambda_max` ≥ [`EULER_MARUYAMA_BOUND`] (`lambda_max`: a bound on
/// the magnitude of the drift Jacobian's eigenvalues); the error names `field` and `fix`.
pub fn check_step(h: f64, lambda_max: f64, field: &str, fix: &str) -> Result<(), InputError> {
    let product = h * lambda_max;
    if h.is_finite() && h > 0.0 && product < EULER_MARUYAMA_BOUND {
        return Ok(());
    }
    Err(InputError::new(
        field,
        format!(
            "gives the SDE step h = {h:.3e} with h·|λ_max| = {product:.3} ≥ {EULER_MARUYAMA_BOUND}, beyond Euler–Maruyama's stability bound (|λ_max| = {lambda_max:.3e}); {fix}"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Decay;
    impl Diffusion for Decay {
        fn dim(&self) -> usize {
            1
        }
        fn noise_dim(&self) -> usize {
            1
        }
        fn drift(&self, x: &[f64], out: &mut [f64]) {
            out[0] = -x[0];
        }
        fn add_noise(&self, _: &[f64], dw: &[f64], out: &mut [f64]) {
            out[0] += 0.5 * dw[0];
        }
    }

    #[test]
    fn ensembles_do_not_depend_on_the_threads() {
        let a = ensemble(&Decay, &[1.0], 0.1, &[0, 5, 10], 8, 3, |x| x.to_vec()).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let b = pool
            .install(|| ensemble(&Decay, &[1.0], 0.1, &[0, 5, 10], 8, 3, |x| x.to_vec()))
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.mean[0], vec![1.0]);
        assert_eq!(a.spread[0], vec![0.0]);
        assert!(a.spread[2][0] > 0.0);
    }

    #[test]
    fn the_step_bound_is_refused_at_two() {
        assert!(check_step(0.19, 10.0, "f", "fix").is_ok());
        let e = check_step(0.2, 10.0, "f", "use more substeps").unwrap_err();
        assert_eq!(e.field, "f");
        assert!(e.message.contains("use more substeps"), "{}", e.message);
    }
}
