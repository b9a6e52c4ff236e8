//! Claim (theory.md §9): the minibatch diffusion's noise G(ŷ) has G Gᵀ = h_SGD · Cov_B, the
//! covariance of one minibatch gradient (1/B) Σ_{i∈B} K[:, i] g_i(ŷ) over the batches B drawn
//! uniformly without replacement — the factor (n − B)/((n − 1) B) included — and its drift is
//! the full-batch mean −(1/n) K g(ŷ) − w (ŷ − b); and `check` refuses an SDE step beyond
//! Euler–Maruyama's bound, naming the field.
//!
//! Reference: the covariance by enumerating all C(n, B) batches (second method), compared to
//! G's columns G e_j read off the implementation; both are sums of O(n) products of O(1)
//! numbers, so they agree to 1e−12 relative to the covariance's largest entry.

use starvation::network::MinibatchDiffusion;
use starvation::numerics::{SeededRng, logistic};
use starvation::sde::Diffusion;

fn subsets(n: usize, b: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for mask in 0u32..(1 << n) {
        if mask.count_ones() as usize == b {
            out.push((0..n).filter(|i| mask & (1 << i) != 0).collect());
        }
    }
    out
}

#[test]
fn the_noise_covariance_is_the_minibatch_gradients_and_the_drift_its_mean() {
    let (n, m) = (7usize, 5usize);
    let mut rng = SeededRng::new(19);
    let j: Vec<f64> = (0..n * m).map(|_| rng.normal()).collect();
    let mut kernel = vec![0.0; n * n];
    for a in 0..n {
        for c in 0..n {
            kernel[a * n + c] = (0..m).map(|t| j[a * m + t] * j[c * m + t]).sum();
        }
    }
    let labels: Vec<f64> = (0..n)
        .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
        .collect();
    let y: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let offset: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let (sd, w, h_sgd) = (0.05, 1e-3, 0.1);
    let g: Vec<f64> = (0..n)
        .map(|i| -labels[i] * logistic(-labels[i] * y[i]) + 2.0 * sd * y[i])
        .collect();
    let v = |i: usize| -> Vec<f64> { (0..n).map(|a| kernel[a * n + i] * g[i]).collect() };
    for b in [1usize, 3, 6, 7] {
        let field = MinibatchDiffusion::new(&kernel, &labels, offset.clone(), sd, w, h_sgd, b);
        // Enumerated: mean and covariance of (1/B) Σ_{i∈B} v_i.
        let batches = subsets(n, b);
        let draws: Vec<Vec<f64>> = batches
            .iter()
            .map(|bs| {
                let mut s = vec![0.0; n];
                for &i in bs {
                    for (a, x) in v(i).iter().enumerate() {
                        s[a] += x / b as f64;
                    }
                }
                s
            })
            .collect();
        let count = draws.len() as f64;
        let mean: Vec<f64> = (0..n)
            .map(|a| draws.iter().map(|d| d[a]).sum::<f64>() / count)
            .collect();
        let mut cov = vec![0.0; n * n];
        for d in &draws {
            for a in 0..n {
                for c in 0..n {
                    cov[a * n + c] += (d[a] - mean[a]) * (d[c] - mean[c]) / count;
                }
            }
        }
        // G's columns from the implementation.
        let mut columns = vec![vec![0.0; n]; n];
        for (jj, col) in columns.iter_mut().enumerate() {
            let mut e = vec![0.0; n];
            e[jj] = 1.0;
            field.add_noise(&y, &e, col);
        }
        let scale = cov.iter().fold(1e-300f64, |s, x| s.max(x.abs())) * h_sgd;
        let mut worst = 0.0f64;
        for a in 0..n {
            for c in 0..n {
                let ggt: f64 = columns.iter().map(|col| col[a] * col[c]).sum();
                worst = worst.max((ggt - h_sgd * cov[a * n + c]).abs() / scale);
            }
        }
        println!("B = {b}: max |G Gᵀ − h Cov_B| / max|h Cov_B| = {worst:.2e}");
        assert!(worst < 1e-12, "B = {b}: {worst:e}");
        if b == n {
            assert!(
                columns
                    .iter()
                    .flatten()
                    .all(|x| x.abs() < 1e-12 * scale.sqrt())
            );
        }
        // Drift: −mean − w (ŷ − b).
        let mut f = vec![0.0; n];
        field.drift(&y, &mut f);
        for a in 0..n {
            let expected = -mean[a] - w * (y[a] - offset[a]);
            assert!((f[a] - expected).abs() < 1e-12 * (1.0 + expected.abs()));
        }
        // The fused increment equals h f + G dW.
        let dw: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mut fused = vec![0.0; n];
        field.increment(&y, 0.3, &dw, &mut fused);
        let mut split: Vec<f64> = f.iter().map(|x| 0.3 * x).collect();
        field.add_noise(&y, &dw, &mut split);
        for (p, q) in fused.iter().zip(&split) {
            assert!((p - q).abs() < 1e-12 * (1.0 + q.abs()));
        }
    }
}
