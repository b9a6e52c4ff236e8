//! Claim (theory.md §7): in the NTK parameterisation a layer with p inputs computes
//! Z = A W/√p + b with W, b ~ N(0, 1); it is the same function class as PyTorch's standard
//! parameterisation (the network with weights W/√p), its Jacobian and tangent kernel are the
//! chain rule through that factor, and its tangent kernel at initialisation tends to a finite
//! limit as the width grows, where the standard one grows in proportion to the width.
//!
//! References and tolerances: central finite differences of the outputs (1e−6 of the largest
//! Jacobian entry, as `network_tangent`); the standard network with the mapped weights
//! (outputs equal to 1e−12 relative: one multiplication by 1/√p per weight); the layer-by-layer
//! kernel against J Jᵀ (the kernel drift at epoch 0, 1e−12). Width: the NTK kernel's trace/n
//! at widths 250 and 4000 agree within 25 % (its fluctuation is O(w^(−1/2)) ≈ 6 % at w = 250 for
//! a unit constant), the standard one grows by ≥ 8 (16 expected); the initial weights'
//! sample mean and variance are within 5 standard errors of 0 and 1.

use starvation::model::LossModel;
use starvation::network::{
    Architecture, Dataset, Optimiser, Parameterisation, ResponseConvention, Tracking,
    TrainedNetwork, Training, TwoMoons, initial_parameters, tangent_features, train_seeds,
};

fn data(n: usize) -> Dataset {
    Dataset::two_moons(&TwoMoons {
        examples: n,
        noise: 0.1,
        seed: 5,
        margin: 0.1,
        rotation_degrees: 0.0,
    })
    .unwrap()
}

fn arch(hidden: Vec<usize>, batch_norm: bool, p: Parameterisation) -> Architecture {
    Architecture {
        hidden,
        dropout: 0.0,
        batch_norm,
        parameterisation: p,
    }
}

#[test]
fn ntk_jacobian_matches_finite_differences() {
    for a in [
        arch(vec![10], false, Parameterisation::Ntk),
        arch(vec![7, 6], true, Parameterisation::Ntk),
    ] {
        let d = data(12);
        let t = tangent_features(&d, &a, 3).unwrap();
        let theta = initial_parameters(2, &a, 3);
        let (n, m) = (t.examples, t.parameters);
        let out = |th: Vec<f64>| {
            TrainedNetwork::from_parameters(2, &a, th)
                .unwrap()
                .decision_function(&d.points)
        };
        let scale = t.jacobian.iter().fold(0.0f64, |x, y| x.max(y.abs()));
        let eps = 1e-6;
        let mut worst = 0.0f64;
        for k in 0..m {
            let mut p = theta.clone();
            p[k] += eps;
            let mut q = theta.clone();
            q[k] -= eps;
            let (fp, fq) = (out(p), out(q));
            for i in 0..n {
                let fd = (fp[i] - fq[i]) / (2.0 * eps);
                worst = worst.max((fd - t.jacobian[i * m + k]).abs());
            }
        }
        println!(
            "{:?}: max |J − J_fd| = {worst:.1e} (max |J| {scale:.2e})",
            a.hidden
        );
        assert!(worst <= 1e-6 * scale, "{worst:e}");
        assert_eq!(out(theta), t.outputs);
    }
}

#[test]
fn ntk_network_is_the_standard_network_with_scaled_weights() {
    let d = data(20);
    let ntk = arch(vec![30, 20], false, Parameterisation::Ntk);
    let std = arch(vec![30, 20], false, Parameterisation::Standard);
    let theta = initial_parameters(2, &ntk, 11);
    // Layout: per layer W (p × q), b (q); widths 2 → 30 → 20 → 1.
    let mut mapped = theta.clone();
    let mut at = 0;
    for (p, q) in [(2usize, 30usize), (30, 20), (20, 1)] {
        for w in &mut mapped[at..at + p * q] {
            *w /= (p as f64).sqrt();
        }
        at += p * q + q;
    }
    let a = TrainedNetwork::from_parameters(2, &ntk, theta)
        .unwrap()
        .decision_function(&d.points);
    let b = TrainedNetwork::from_parameters(2, &std, mapped)
        .unwrap()
        .decision_function(&d.points);
    let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let gap = a
        .iter()
        .zip(&b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(gap <= 1e-12 * scale, "{gap:e}");
}

#[test]
fn ntk_initial_weights_are_standard_normal() {
    let a = arch(vec![2000], false, Parameterisation::Ntk);
    let theta = initial_parameters(2, &a, 1);
    let n = theta.len() as f64;
    let mean = theta.iter().sum::<f64>() / n;
    let var = theta.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    // Standard errors: 1/√N for the mean, √(2/N) for the variance of a normal sample.
    assert!(mean.abs() <= 5.0 / n.sqrt(), "mean {mean}");
    assert!(
        (var - 1.0).abs() <= 5.0 * (2.0 / n).sqrt(),
        "variance {var}"
    );
}

#[test]
fn ntk_kernel_has_a_width_limit_and_the_standard_one_grows() {
    let d = data(60);
    let trace = |w: usize, p: Parameterisation| {
        let t = tangent_features(&d, &arch(vec![w], false, p), 0).unwrap();
        let n = t.examples;
        (0..n).map(|i| t.kernel[i * n + i]).sum::<f64>() / n as f64
    };
    let (n1, n2) = (
        trace(250, Parameterisation::Ntk),
        trace(4000, Parameterisation::Ntk),
    );
    let (s1, s2) = (
        trace(250, Parameterisation::Standard),
        trace(4000, Parameterisation::Standard),
    );
    println!("trace(K)/n: NTK {n1:.3} → {n2:.3}; standard {s1:.2} → {s2:.2} (w 250 → 4000)");
    assert!((n2 / n1 - 1.0).abs() <= 0.25, "NTK ratio {}", n2 / n1);
    assert!(s2 / s1 >= 8.0, "standard ratio {}", s2 / s1);
}

#[test]
fn ntk_layer_by_layer_kernel_equals_j_jt() {
    // The kernel drift is ‖K_t − K₀‖/‖K₀‖ with K_t from the layer-by-layer formula (c² on the
    // weight part) and K₀ = J Jᵀ: zero at epoch 0 to rounding.
    let d = data(30);
    let training = Training {
        architecture: arch(vec![20, 15], true, Parameterisation::Ntk),
        optimiser: Optimiser::Sgd {
            learning_rate: 0.05,
            momentum: 0.9,
        },
        epochs: 50,
        weight_decay: 0.0,
        sd: 0.0,
        loss: LossModel::Exact,
        batch_size: None,
        batch_sampling: Default::default(),
    };
    let tracking = Tracking {
        indices: vec![0, 1],
        convention: ResponseConvention::Kernel,
        every: 1,
        predictions: true,
        sde: None,
    };
    let r = train_seeds(&d, &training, &[2], Some(&tracking), &|_| {}).unwrap();
    let drift = &r[0].responses.as_ref().unwrap().kernel_drift;
    println!("NTK kernel drift {drift:?}");
    assert!(drift[0] <= 1e-12, "{}", drift[0]);
    assert!(
        drift.last().copied().unwrap_or(0.0) > 1e-6,
        "training moved the kernel"
    );
}
