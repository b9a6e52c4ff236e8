//! The attractors of the optimiser maps at finite step (docs/theory.md §8): the period of the
//! orbit the map settles on, its largest Lyapunov exponent, and period-2 orbits by Newton's
//! method on F² − id with their multipliers. The flow itself has one stable equilibrium (its
//! loss is convex); these are the bifurcations of the training map: the flip at h|λ_min| = 2
//! (gd), 2(1 + μ) (heavy ball), period-2 orbits, cascades and chaos.
//!
//! States are those of [`OptimiserMap`]: x, then the velocity u for the momentum maps.

use nalgebra::{DMatrix, DVector};

use crate::flow::{OptimiserMap, VectorField};

/// Above this max-norm a run of the map counts as diverged (far beyond any attractor of the
/// paper's flows, whose fixed points are O(log(1/λ)), and far below overflow).
pub const DIVERGENCE_BOUND: f64 = 1e100;

/// The period test runs every this many iterations (it costs more than a step; a detection is
/// late by at most this many iterations, which changes no result).
pub const PERIOD_TEST_INTERVAL: usize = 8;

/// Settings of [`classify_orbit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrbitSettings {
    /// Largest period P looked for.
    pub max_period: usize,
    /// Iteration budget N (default 10 000): the run stops at the first detected period or
    /// after N iterations.
    pub iterations: usize,
    /// Iterations before the period test starts (default 100).
    pub transient: usize,
    /// τ: the smallest period p is reported whose p-step return and whose Newton estimate of
    /// the distance to the p-cycle are both within τ·(1 + ‖X‖∞) (see [`detects_period`]), so
    /// that a slowly converging oscillation near the flip is not mistaken for a period-2 orbit
    /// (default 1e−9).
    pub tolerance: f64,
}

impl Default for OrbitSettings {
    fn default() -> Self {
        Self {
            max_period: 16,
            iterations: 10_000,
            transient: 100,
            tolerance: 1e-9,
        }
    }
}

/// What a run of the map settled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrbitClass {
    /// An attracting orbit of this period (1: a fixed point).
    Period(usize),
    /// No period up to P within the budget (chaos, quasi-periodicity, a longer period or a
    /// convergence slower than the budget).
    NoPeriod,
    /// The state left every bound (or became non-finite) at this iteration.
    Diverged(usize),
}

impl OrbitClass {
    /// The `period` column: p, or 0 for no period; `None` when diverged.
    pub fn period_value(self) -> Option<f64> {
        match self {
            OrbitClass::Period(p) => Some(p as f64),
            OrbitClass::NoPeriod => Some(0.0),
            OrbitClass::Diverged(_) => None,
        }
    }
}

/// The first part of [`detects_period`]: the p-step return d = X_k − X_{k−p} against the scale
/// 1 + ‖X_k‖∞.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PStepReturn {
    /// ‖d‖∞ ≤ 64ε·scale: a period, whatever Newton's estimate.
    AtRoundOff,
    /// ‖d‖∞ > 4τ·scale: not a period (a cheap filter only: on an attracting cycle
    /// d = (DF^p − I) δ with multipliers inside the unit circle, so |d| ≤ 2|δ| in its
    /// eigendirections; 4τ keeps every smaller period p whose Newton test passes, where a filter
    /// as strict as the Newton test would let a multiple of the period pass first).
    Far,
    /// In between: Newton's estimate of the distance to the cycle decides.
    Near {
        /// 1 + ‖X_k‖∞.
        scale: f64,
    },
}

/// The scale 1 + ‖X_k‖∞ the return is measured against.
#[inline]
fn return_scale(now: &[f64]) -> f64 {
    1.0 + now.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// The largest ‖X_k − X_{k−p}‖∞ that is not [`PStepReturn::Far`]: a filter over every p at once
/// with one scale, for kernels that test many returns from one `now`.
#[inline]
pub(crate) fn near_return_bound(now: &[f64], tolerance: f64) -> f64 {
    (4.0 * tolerance).max(64.0 * f64::EPSILON) * return_scale(now)
}

/// Classifies the p-step return from `back` (X_{k−p}) to `now` (X_k) with tolerance τ.
#[inline]
pub(crate) fn p_step_return(now: &[f64], back: &[f64], tolerance: f64) -> PStepReturn {
    let scale = return_scale(now);
    let d0 = now
        .iter()
        .zip(back)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    if d0 <= 64.0 * f64::EPSILON * scale {
        PStepReturn::AtRoundOff
    } else if d0 > 4.0 * tolerance * scale {
        PStepReturn::Far
    } else {
        PStepReturn::Near { scale }
    }
}

/// Whether the last states show convergence to a period-p orbit (`past(j)` is the state j
/// steps ago, `map_jacobian(X)` the map's Jacobian DF at X): the p-step return
/// d = X_k − X_{k−p} is within 4τ (1 + ‖X_k‖∞) (or at round-off, 64ε), and the distance of
/// X_{k−p} to the p-cycle, estimated by one Newton step on F^p − id,
/// δ = (DF^p − I)⁻¹ d with DF^p = DF(X_{k−1}) ⋯ DF(X_{k−p}), is within the same bound. The Newton
/// estimate is what makes the test honest near a flip, where an oscillation converging slowly
/// to a fixed point (multiplier ρ ≈ −1, or a complex pair near −1 under momentum) returns after
/// two steps by (1 − ρ²)|e|, far less than its distance |e| to the fixed point.
pub fn detects_period<'a>(
    past: impl Fn(usize) -> &'a [f64],
    p: usize,
    tolerance: f64,
    map_jacobian: &dyn Fn(&[f64]) -> DMatrix<f64>,
) -> bool {
    let now = past(0);
    let back = past(p);
    let scale = match p_step_return(now, back, tolerance) {
        PStepReturn::AtRoundOff => return true,
        PStepReturn::Far => return false,
        PStepReturn::Near { scale } => scale,
    };
    let n = now.len();
    let mut product = DMatrix::identity(n, n);
    for j in (1..=p).rev() {
        product = map_jacobian(past(j)) * product;
    }
    product -= DMatrix::identity(n, n);
    let d = DVector::from_iterator(n, now.iter().zip(back).map(|(x, y)| x - y));
    match product.lu().solve(&d) {
        Some(delta) => delta.amax() <= tolerance * scale,
        None => false,
    }
}

/// Iterates `map` from `x0` (velocity 0) and classifies where it settles: the smallest p ≤ P
/// detected (see [`OrbitSettings::tolerance`]) after the transient, no period within the
/// budget, or divergence.
pub fn classify_orbit(
    field: &dyn VectorField,
    map: &OptimiserMap,
    x0: &[f64],
    settings: &OrbitSettings,
) -> OrbitClass {
    let dim = field.dim();
    let n = map.state_dim(dim);
    let window = 2 * settings.max_period + 1;
    let mut ring = vec![0.0; window * n];
    let mut state = vec![0.0; n];
    state[..dim].copy_from_slice(x0);
    let mut f = vec![0.0; dim];
    ring[..n].copy_from_slice(&state);
    let scratch = std::cell::RefCell::new(DMatrix::zeros(dim, dim));
    let jacobian = |x: &[f64]| {
        let mut j = scratch.borrow_mut();
        field.jacobian(&x[..dim], &mut j);
        map.jacobian(&j)
    };
    for k in 1..=settings.iterations {
        map.advance(field, &mut state, &mut f);
        if state
            .iter()
            .any(|v| !v.is_finite() || v.abs() > DIVERGENCE_BOUND)
        {
            return OrbitClass::Diverged(k);
        }
        let slot = k % window;
        ring[slot * n..(slot + 1) * n].copy_from_slice(&state);
        if k % PERIOD_TEST_INTERVAL != 0 || k < settings.transient.max(2 * settings.max_period) {
            continue;
        }
        let past = |j: usize| {
            let s = (k - j) % window;
            &ring[s * n..(s + 1) * n]
        };
        if let Some(p) = (1..=settings.max_period)
            .find(|&p| detects_period(past, p, settings.tolerance, &jacobian))
        {
            return OrbitClass::Period(p);
        }
    }
    OrbitClass::NoPeriod
}

/// The largest Lyapunov exponent of `map` along the orbit from `x0` (velocity 0): the mean of
/// log ‖DF(X_k) v_k‖ over `iterations` steps after `transient` steps, v renormalised every step
/// (per iteration, natural log). Negative at an attracting fixed point (log of the spectral
/// radius of DF there), 0 at a flip, positive on a chaotic attractor. `Err` names the iteration
/// at which the run diverged.
pub fn lyapunov_exponent(
    field: &dyn VectorField,
    map: &OptimiserMap,
    x0: &[f64],
    transient: usize,
    iterations: usize,
) -> Result<f64, String> {
    let dim = field.dim();
    let n = map.state_dim(dim);
    let mut state = vec![0.0; n];
    state[..dim].copy_from_slice(x0);
    let mut f = vec![0.0; dim];
    let mut jac = DMatrix::zeros(dim, dim);
    // A fixed, generic start direction (all components, unequal).
    let mut v = DVector::from_iterator(n, (0..n).map(|i| 1.0 + 0.1 * i as f64));
    v /= v.norm();
    let mut sum = 0.0;
    for k in 0..transient + iterations {
        field.jacobian(&state[..dim], &mut jac);
        let w = map.jacobian(&jac) * &v;
        let growth = w.norm();
        map.advance(field, &mut state, &mut f);
        if state
            .iter()
            .any(|x| !x.is_finite() || x.abs() > DIVERGENCE_BOUND)
        {
            return Err(format!("the map diverged at iteration {}", k + 1));
        }
        if !(growth.is_finite() && growth > 0.0) {
            // The tangent vector collapsed (a superattracting step): exponent −∞ is no result.
            return Err(format!(
                "the tangent vector vanished at iteration {}; the exponent is −∞",
                k + 1
            ));
        }
        v = w / growth;
        if k >= transient {
            sum += growth.ln();
        }
    }
    Ok(sum / iterations.max(1) as f64)
}

/// A period-2 orbit X₀ ↦ X₁ ↦ X₀ of an optimiser map with its multipliers.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodTwoOrbit {
    /// The two points of the orbit (map states: x, then u for the momentum maps).
    pub points: [Vec<f64>; 2],
    /// Eigenvalues (re, im) of D(F²)(X₀) = DF(X₁) DF(X₀), sorted by modulus, largest first; the
    /// orbit attracts when all have modulus < 1.
    pub multipliers: Vec<(f64, f64)>,
    /// ‖F²(X₀) − X₀‖∞ at the end.
    pub residual: f64,
    /// Newton iterations taken.
    pub iterations: usize,
}

impl PeriodTwoOrbit {
    /// Largest modulus of the multipliers.
    pub fn spectral_radius(&self) -> f64 {
        self.multipliers
            .iter()
            .fold(0.0f64, |m, e| m.max(e.0.hypot(e.1)))
    }

    /// Whether the orbit is a true 2-cycle (its two points differ by more than `tolerance`,
    /// relative) rather than a fixed point, which also solves F²(X) = X.
    pub fn is_proper(&self, tolerance: f64) -> bool {
        let [a, b] = &self.points;
        let scale = 1.0 + a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        a.iter()
            .zip(b)
            .any(|(x, y)| (x - y).abs() > tolerance * scale)
    }
}

/// The map's Jacobian DF at state X (field Jacobian at its x part).
fn map_jacobian(
    field: &dyn VectorField,
    map: &OptimiserMap,
    state: &[f64],
    scratch: &mut DMatrix<f64>,
) -> DMatrix<f64> {
    field.jacobian(&state[..field.dim()], scratch);
    map.jacobian(scratch)
}

/// Newton's method on G(X) = F(F(X)) − X from `guess` (a map state), with
/// DG = DF(F(X)) DF(X) − I and step halving while ‖G‖ does not decrease. Converged when
/// ‖G‖∞ ≤ `tolerance`·(1 + ‖X‖∞). The projection of α is not modelled (z and θ only).
/// A fixed point also solves G = 0: check [`PeriodTwoOrbit::is_proper`].
pub fn period_two_orbit(
    field: &dyn VectorField,
    map: &OptimiserMap,
    guess: &[f64],
    tolerance: f64,
    max_iterations: usize,
) -> Result<PeriodTwoOrbit, String> {
    let dim = field.dim();
    let n = map.state_dim(dim);
    if guess.len() != n {
        return Err(format!(
            "the guess has {} entries; the map's state has {n}",
            guess.len()
        ));
    }
    let mut f = vec![0.0; dim];
    let mut scratch = DMatrix::zeros(dim, dim);
    let apply = |x: &[f64], f: &mut Vec<f64>| {
        let mut y = x.to_vec();
        map.advance(field, &mut y, f);
        y
    };
    let residual_of = |x: &[f64], f: &mut Vec<f64>| -> (Vec<f64>, Vec<f64>, f64) {
        let x1 = apply(x, f);
        let x2 = apply(&x1, f);
        let g: Vec<f64> = x2.iter().zip(x).map(|(a, b)| a - b).collect();
        let r = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        (x1, g, r)
    };
    let mut x = guess.to_vec();
    let (mut x1, mut g, mut r) = residual_of(&x, &mut f);
    let scale = |x: &[f64]| 1.0 + x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut iterations = 0;
    while r > tolerance * scale(&x) {
        if iterations == max_iterations {
            return Err(format!(
                "Newton on F² − id did not converge in {max_iterations} iterations (residual {r:.3e})"
            ));
        }
        if !r.is_finite() {
            return Err("Newton on F² − id left the domain (non-finite residual)".into());
        }
        iterations += 1;
        let a = map_jacobian(field, map, &x, &mut scratch);
        let b = map_jacobian(field, map, &x1, &mut scratch);
        let dg = b * a - DMatrix::identity(n, n);
        let Some(dx) = dg.lu().solve(&DVector::from_column_slice(&g)) else {
            return Err("D(F²) − I is singular (a multiplier at +1)".into());
        };
        let mut t = 1.0;
        loop {
            let trial: Vec<f64> = x.iter().zip(dx.iter()).map(|(a, d)| a - t * d).collect();
            let (t1, tg, tr) = residual_of(&trial, &mut f);
            if tr < r || t < 1e-6 {
                x = trial;
                x1 = t1;
                g = tg;
                r = tr;
                break;
            }
            t *= 0.5;
        }
    }
    let a = map_jacobian(field, map, &x, &mut scratch);
    let b = map_jacobian(field, map, &x1, &mut scratch);
    let mut multipliers: Vec<(f64, f64)> = (b * a)
        .complex_eigenvalues()
        .iter()
        .map(|c| (c.re, c.im))
        .collect();
    multipliers.sort_by(|p, q| q.0.hypot(q.1).total_cmp(&p.0.hypot(p.1)));
    if multipliers
        .iter()
        .any(|m| !(m.0.is_finite() && m.1.is_finite()))
    {
        return Err("the multipliers are not finite".into());
    }
    Ok(PeriodTwoOrbit {
        points: [x, x1],
        multipliers,
        residual: r,
        iterations,
    })
}
