//! A fast, allocation-free equilibrium solver for the two-feature toy of M17 with the exact
//! cross-entropy (L2 or uniform SD): the same Newton iteration as
//! [`crate::equilibrium::find_equilibrium`] on 2 × 2 matrices held in registers, plus the
//! starvation matrix M16. Used by sweeps and the equilibrium benchmark; agreement with the
//! general solver is a test (tests/fast_paths.rs).

use super::ToyRegulariser;

/// The toy: s₁², s₂², δ, λ, regulariser (y = (+1, +1), exact loss).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToyProblem {
    /// s₁².
    pub s1_squared: f64,
    /// s₂².
    pub s2_squared: f64,
    /// δ of M17, |δ| < 1.
    pub delta: f64,
    /// λ > 0.
    pub lambda: f64,
    /// Regulariser.
    pub regulariser: ToyRegulariser,
}

/// Result of [`ToyProblem::solve`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToySolution {
    /// z*.
    pub z: [f64; 2],
    /// Starvation matrix: `starvation[j][i]` = ∂z_j*/∂(s_i²).
    pub starvation: [[f64; 2]; 2],
    /// Newton iterations.
    pub iterations: u32,
    /// Weighted residual (as in [`crate::equilibrium::EquilibriumOptions`]).
    pub residual: f64,
    /// Whether the residual reached the tolerance.
    pub converged: bool,
    /// Eigenvalues of the flow's Jacobian at z* for η = 1 (−eig(S H S), ascending); multiply
    /// by η for other rates.
    pub eigenvalues: [f64; 2],
}

/// σ(−a) and κ(a) = σ(a)σ(−a) with one exponential, stable for all finite a.
#[inline(always)]
fn weight_and_curvature(a: f64) -> (f64, f64) {
    let e = (-a.abs()).exp();
    let inv = 1.0 / (1.0 + e);
    let w = if a >= 0.0 { e * inv } else { inv };
    (w, e * inv * inv)
}

struct Local {
    g: [f64; 2],
    scale: [f64; 2],
    kappa: [f64; 2],
    drive: [f64; 2],
}

impl ToyProblem {
    #[inline(always)]
    fn local(&self, z: [f64; 2], c: f64) -> Local {
        let d = self.delta;
        let a1 = c * z[0] - d * z[1];
        let a2 = d * z[0] + c * z[1];
        let (w1, k1) = weight_and_curvature(a1);
        let (w2, k2) = weight_and_curvature(a2);
        let l = self.lambda;
        match self.regulariser {
            ToyRegulariser::L2 => {
                let drive = [c * w1 + d * w2, -d * w1 + c * w2];
                let decay = [l * z[0] / self.s1_squared, l * z[1] / self.s2_squared];
                // Term sizes before cancellation (w > 0): |U|ᵀw + |decay|.
                let ad = d.abs();
                Local {
                    g: [decay[0] - drive[0], decay[1] - drive[1]],
                    scale: [
                        c * w1 + ad * w2 + decay[0].abs(),
                        ad * w1 + c * w2 + decay[1].abs(),
                    ],
                    kappa: [k1, k2],
                    drive,
                }
            }
            ToyRegulariser::Sd => {
                // Φ = Σ ℓ(a_i) + (λ/2)‖a‖², ∇Φ = Uᵀ(λa − w); ‖a‖ = ‖z‖ since U is orthogonal.
                let drive = [c * w1 + d * w2, -d * w1 + c * w2];
                let decay = [l * z[0], l * z[1]];
                // Term sizes before cancellation: |U|ᵀ(w + λ|a|).
                let (ad, t1, t2) = (d.abs(), w1 + l * a1.abs(), w2 + l * a2.abs());
                Local {
                    g: [decay[0] - drive[0], decay[1] - drive[1]],
                    scale: [c * t1 + ad * t2, ad * t1 + c * t2],
                    kappa: [k1 + l, k2 + l],
                    drive,
                }
            }
        }
    }

    /// Hessian H = Uᵀ D U (+ λ S⁻² for L2) as (h11, h12, h22).
    #[inline(always)]
    fn hessian(&self, kappa: [f64; 2], c: f64) -> (f64, f64, f64) {
        let d = self.delta;
        let mut h11 = c * c * kappa[0] + d * d * kappa[1];
        let h12 = d * c * (kappa[1] - kappa[0]);
        let mut h22 = d * d * kappa[0] + c * c * kappa[1];
        if self.regulariser == ToyRegulariser::L2 {
            h11 += self.lambda / self.s1_squared;
            h22 += self.lambda / self.s2_squared;
        }
        (h11, h12, h22)
    }

    /// A cold start: the uncoupled exponential-tail responses W(s_j²/λ), rotated by Uᵀ1's signs.
    pub fn cold_start(&self) -> [f64; 2] {
        let c = (1.0 - self.delta * self.delta).sqrt();
        match self.regulariser {
            ToyRegulariser::L2 => [
                crate::numerics::lambert_w0(self.s1_squared / self.lambda)
                    * (c + self.delta).signum(),
                crate::numerics::lambert_w0(self.s2_squared / self.lambda)
                    * (c - self.delta).signum(),
            ],
            ToyRegulariser::Sd => {
                let a = crate::numerics::lambert_w0(1.0 / self.lambda);
                [a * (c + self.delta), a * (c - self.delta)]
            }
        }
    }

    /// Newton from `start` to weighted residual ≤ `tolerance` (at most `max_iterations`), with
    /// step halving when the residual does not decrease; then the starvation matrix at z*.
    pub fn solve(&self, start: [f64; 2], tolerance: f64, max_iterations: u32) -> ToySolution {
        let c = (1.0 - self.delta * self.delta).sqrt();
        let mut z = start;
        let mut local = self.local(z, c);
        let mut residual = residual_of(&local);
        let mut iterations = 0;
        while residual > tolerance && iterations < max_iterations {
            iterations += 1;
            let (h11, h12, h22) = self.hessian(local.kappa, c);
            let det = h11 * h22 - h12 * h12;
            let step = [
                -(h22 * local.g[0] - h12 * local.g[1]) / det,
                -(h11 * local.g[1] - h12 * local.g[0]) / det,
            ];
            let mut t = 1.0;
            loop {
                let candidate = [z[0] + t * step[0], z[1] + t * step[1]];
                let next = self.local(candidate, c);
                let r = residual_of(&next);
                // Accept a decrease, or the full step once at the rounding floor.
                if r < residual || (t == 1.0 && residual < 1e-10) || t < 1e-6 {
                    z = candidate;
                    local = next;
                    residual = r;
                    break;
                }
                t *= 0.5;
            }
        }
        let (h11, h12, h22) = self.hessian(local.kappa, c);
        let det = h11 * h22 - h12 * h12;
        // M[:, i] = H⁻¹ e_i r_i / s_i², r_i = (Uᵀw)_i (L2) or (Uᵀ(w − λa))_i = −g_i·… (SD: 0).
        let r = match self.regulariser {
            ToyRegulariser::L2 => [
                local.drive[0] / self.s1_squared,
                local.drive[1] / self.s2_squared,
            ],
            ToyRegulariser::Sd => [-local.g[0] / self.s1_squared, -local.g[1] / self.s2_squared],
        };
        let starvation = [
            [h22 * r[0] / det, -h12 * r[1] / det],
            [-h12 * r[0] / det, h11 * r[1] / det],
        ];
        // J = −S²H is similar to −S H S (symmetric): eigenvalues from its trace and determinant.
        let (a, b, c2) = (
            self.s1_squared * h11,
            (self.s1_squared * self.s2_squared).sqrt() * h12,
            self.s2_squared * h22,
        );
        let mean = 0.5 * (a + c2);
        let radius = (0.25 * (a - c2) * (a - c2) + b * b).sqrt();
        ToySolution {
            z,
            starvation,
            iterations,
            residual,
            converged: residual <= tolerance,
            eigenvalues: [-(mean + radius), -(mean - radius)],
        }
    }
}

#[inline(always)]
fn residual_of(l: &Local) -> f64 {
    let top = l.scale[0].max(l.scale[1]);
    let floor = 1e-8 * top;
    let r0 = l.g[0] / l.scale[0].max(floor);
    let r1 = l.g[1] / l.scale[1].max(floor);
    let v = (0.5 * (r0 * r0 + r1 * r1)).sqrt();
    if v.is_nan() { f64::INFINITY } else { v }
}
