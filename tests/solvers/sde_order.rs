//! Claim (theory.md §9, `sde` module docs): Euler–Maruyama has strong order 1/2 for
//! multiplicative noise, strong order 1 for additive noise, and weak order 1; its ensembles
//! reproduce the scheme's own moments.
//!
//! References: geometric Brownian motion dX = aX dt + bX dW has the exact solution
//! X_T = X₀ exp((a − b²/2) T + b W_T) on the path; the Ornstein–Uhlenbeck process
//! dX = λX dt + σ dW has E X_T = e^{λT} X₀ and E X_T² = e^{2λT} X₀² + σ²(1 − e^{2λT})/(2|λ|), and
//! its strong reference is Euler–Maruyama at a 64× finer step on the same Brownian path (its own
//! error, O(h_fine), is below 1/8 of the coarsest error measured). The scheme's own moments on
//! OU are exact recursions: E x_{k+1} = (1 + hλ) E x_k, E x²_{k+1} = (1 + hλ)² E x²_k + σ² h.
//!
//! Tolerances: slopes of least-squares lines through log error against log h over a factor 16
//! in h; Monte Carlo noise (standard error printed) is below 1/10 of the smallest weak error of
//! the mean, so a slope within ±0.2 of the order separates 1/2 from 1 (the second moment's
//! order is read from the scheme's exact moments, see the test). The ensemble's moments must lie
//! within 4 standard errors of the exact recursions.

use starvation::numerics::SeededRng;
use starvation::sde::{Diffusion, brownian_increments, ensemble, euler_maruyama_step};

struct Gbm {
    a: f64,
    b: f64,
}
impl Diffusion for Gbm {
    fn dim(&self) -> usize {
        1
    }
    fn noise_dim(&self) -> usize {
        1
    }
    fn drift(&self, x: &[f64], out: &mut [f64]) {
        out[0] = self.a * x[0];
    }
    fn add_noise(&self, x: &[f64], dw: &[f64], out: &mut [f64]) {
        out[0] += self.b * x[0] * dw[0];
    }
}

struct Ou {
    lambda: f64,
    sigma: f64,
}
impl Diffusion for Ou {
    fn dim(&self) -> usize {
        1
    }
    fn noise_dim(&self) -> usize {
        1
    }
    fn drift(&self, x: &[f64], out: &mut [f64]) {
        out[0] = self.lambda * x[0];
    }
    fn add_noise(&self, _: &[f64], dw: &[f64], out: &mut [f64]) {
        out[0] += self.sigma * dw[0];
    }
}

fn slope(h: &[f64], e: &[f64]) -> f64 {
    let x: Vec<f64> = h.iter().map(|v| v.ln()).collect();
    let y: Vec<f64> = e.iter().map(|v| v.ln()).collect();
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    sxy / sxx
}

/// Mean over `paths` of |x_N(h) − reference| at T = 1 for step counts 2^levels, with every
/// coarse increment the sum of the fine ones of one path; `reference(fine increments)`.
fn strong_errors<D: Diffusion>(
    sde: &D,
    levels: &[u32],
    fine_level: u32,
    paths: usize,
    reference: &dyn Fn(&[f64]) -> f64,
) -> (Vec<f64>, Vec<f64>) {
    let fine = 1usize << fine_level;
    let hf = 1.0 / fine as f64;
    let mut errors = vec![0.0; levels.len()];
    let mut rng = SeededRng::new(2026);
    let mut dw = vec![0.0; fine];
    for _ in 0..paths {
        brownian_increments(&mut rng, hf, &mut dw);
        let exact = reference(&dw);
        for (e, &l) in errors.iter_mut().zip(levels) {
            let steps = 1usize << l;
            let per = fine / steps;
            let h = 1.0 / steps as f64;
            let mut x = [1.0];
            let mut scratch = [0.0];
            for k in 0..steps {
                let inc: f64 = dw[k * per..(k + 1) * per].iter().sum();
                euler_maruyama_step(sde, &mut x, h, &[inc], &mut scratch);
            }
            *e += (x[0] - exact).abs() / paths as f64;
        }
    }
    (
        levels.iter().map(|&l| 0.5f64.powi(l as i32)).collect(),
        errors,
    )
}

#[test]
fn strong_order_one_half_for_multiplicative_noise() {
    let gbm = Gbm { a: 0.5, b: 0.8 };
    let exact = |dw: &[f64]| {
        let w: f64 = dw.iter().sum();
        ((gbm.a - gbm.b * gbm.b / 2.0) + gbm.b * w).exp()
    };
    let (h, e) = strong_errors(&gbm, &[3, 4, 5, 6, 7], 12, 4000, &exact);
    let p = slope(&h, &e);
    println!("GBM strong errors {e:?} at h {h:?}: slope {p:.3}");
    assert!((p - 0.5).abs() < 0.2, "strong order {p}");
}

#[test]
fn strong_order_one_for_additive_noise() {
    let ou = Ou {
        lambda: -1.0,
        sigma: 0.5,
    };
    // Reference: Euler–Maruyama with 2^13 steps on the same path (64× finer than the finest).
    let fine = |dw: &[f64]| {
        let h = 1.0 / dw.len() as f64;
        let mut x = [1.0];
        let mut s = [0.0];
        for w in dw {
            euler_maruyama_step(&ou, &mut x, h, &[*w], &mut s);
        }
        x[0]
    };
    let (h, e) = strong_errors(&ou, &[3, 4, 5, 6, 7], 13, 2000, &fine);
    let p = slope(&h, &e);
    println!("OU strong errors {e:?} at h {h:?}: slope {p:.3}");
    assert!((p - 1.0).abs() < 0.2, "strong order {p}");
}

#[test]
fn weak_order_one_and_the_schemes_own_moments() {
    let (lambda, sigma, t_end) = (-1.0f64, 0.5f64, 2.0f64);
    let ou = Ou { lambda, sigma };
    let exact_mean = (lambda * t_end).exp();
    let exact_m2 = (2.0 * lambda * t_end).exp()
        + sigma * sigma * (1.0 - (2.0 * lambda * t_end).exp()) / (2.0 * lambda.abs());
    let paths = 400_000;
    let mut hs = Vec::new();
    let mut mean_errors = Vec::new();
    let mut m2_errors = Vec::new();
    let mut scheme_m2_errors = Vec::new();
    for steps in [4usize, 8, 16, 32] {
        let h = t_end / steps as f64;
        let stats = ensemble(&ou, &[1.0], h, &[steps], paths, 7, |x| {
            vec![x[0], x[0] * x[0]]
        })
        .expect("finite");
        let mean = stats.mean[0][0];
        let sd = stats.spread[0][0];
        let m2 = stats.mean[0][1];
        let sd2 = stats.spread[0][1];
        // The scheme's exact moments.
        let (mut em, mut em2) = (1.0f64, 1.0f64);
        for _ in 0..steps {
            em2 = (1.0 + h * lambda).powi(2) * em2 + sigma * sigma * h;
            em *= 1.0 + h * lambda;
        }
        let se = sd / (paths as f64).sqrt();
        let se2 = sd2 / (paths as f64).sqrt();
        println!(
            "h {h}: E x = {mean:.5} (scheme {em:.5}, ±{se:.1e}; exact {exact_mean:.5}), E x² = {m2:.5} (scheme {em2:.5}, ±{se2:.1e}; exact {exact_m2:.5})"
        );
        assert!((mean - em).abs() < 4.0 * se, "mean {mean} vs scheme {em}");
        assert!((m2 - em2).abs() < 4.0 * se2, "E x² {m2} vs scheme {em2}");
        assert!(
            10.0 * se < (mean - exact_mean).abs(),
            "Monte Carlo noise too large"
        );
        hs.push(h);
        mean_errors.push((mean - exact_mean).abs());
        m2_errors.push((m2 - exact_m2).abs());
        scheme_m2_errors.push((em2 - exact_m2).abs());
    }
    let p1 = slope(&hs, &mean_errors);
    let p2 = slope(&hs, &m2_errors);
    // The second moment's error is still pre-asymptotic at these steps (local slopes 1.47, 1.24,
    // 1.14 of the scheme's exact moments), and finer steps drown it in Monte Carlo noise: its
    // order is read from the finest pair of the scheme's exact moments, which the ensemble was
    // just shown to reproduce.
    let k = hs.len() - 1;
    let p2_local = slope(&hs[k - 1..], &scheme_m2_errors[k - 1..]);
    println!(
        "weak errors: mean {mean_errors:?} slope {p1:.3}; second moment {m2_errors:?} slope {p2:.3} (scheme's exact moments, finest pair: {p2_local:.3})"
    );
    assert!((p1 - 1.0).abs() < 0.2, "weak order (mean) {p1}");
    assert!(
        (p2_local - 1.0).abs() < 0.2,
        "weak order (second moment) {p2_local}"
    );
}
