//! Fact (theory.md §7): the optimisers follow PyTorch's update rules, weight decay added to the
//! gradient: SGD b₁ = g₁, b_k = μ b_{k−1} + g_k, θ_k = θ_{k−1} − η b_k; Adam
//! m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g², θ ← θ − (η/(1−β₁ᵗ)) m/(√v/√(1−β₂ᵗ) + ε).
//!
//! Reference: two steps computed by hand from the engine's gradient (itself checked against
//! finite differences in network_gradients.rs); agreement to rounding (1e−14 relative).

use starvation::network::{
    Architecture, Dataset, Optimiser, Training, TwoMoons, initial_parameters, loss_and_gradient,
    train_seeds,
};

fn data() -> Dataset {
    Dataset::two_moons(&TwoMoons {
        examples: 30,
        noise: 0.1,
        seed: 1,
        margin: -0.1,
        rotation_degrees: 0.0,
    })
    .unwrap()
}

fn training(optimiser: Optimiser, epochs: usize) -> Training {
    Training {
        architecture: Architecture {
            hidden: vec![20],
            dropout: 0.0,
            batch_norm: false,
            parameterisation: starvation::network::Parameterisation::Standard,
        },
        optimiser,
        epochs,
        weight_decay: 0.05,
        sd: 0.01,
        batch_size: None,
        batch_sampling: Default::default(),
        loss: starvation::model::LossModel::Exact,
    }
}

fn trained(t: &Training, seed: u64) -> Vec<f64> {
    let r = train_seeds(&data(), t, &[seed], None, &|_| {}).unwrap();
    r[0].network.parameters().to_vec()
}

fn grad(t: &Training, theta: &[f64]) -> Vec<f64> {
    let (_, g) = loss_and_gradient(&data(), t, theta, 0).unwrap();
    g.iter()
        .zip(theta)
        .map(|(g, th)| g + t.weight_decay * th)
        .collect()
}

fn assert_close(a: &[f64], b: &[f64]) {
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-14 * x.abs().max(1.0), "{x} vs {y}");
    }
}

#[test]
fn sgd_with_momentum_two_steps() {
    let (eta, mu) = (0.05, 0.9);
    let t = training(
        Optimiser::Sgd {
            learning_rate: eta,
            momentum: mu,
        },
        2,
    );
    let th0 = initial_parameters(2, &t.architecture, 4);
    let g1 = grad(&t, &th0);
    let th1: Vec<f64> = th0.iter().zip(&g1).map(|(t, g)| t - eta * g).collect();
    let g2 = grad(&t, &th1);
    let th2: Vec<f64> = th1
        .iter()
        .zip(g1.iter().zip(&g2))
        .map(|(t, (b1, g))| t - eta * (mu * b1 + g))
        .collect();
    assert_close(&trained(&t, 4), &th2);
}

#[test]
fn adam_two_steps() {
    let (eta, b1, b2, eps) = (0.01, 0.9, 0.999, 1e-8);
    let t = training(
        Optimiser::Adam {
            learning_rate: eta,
            beta1: b1,
            beta2: b2,
            epsilon: eps,
        },
        2,
    );
    let th0 = initial_parameters(2, &t.architecture, 8);
    let mut theta = th0.clone();
    let mut m = vec![0.0; theta.len()];
    let mut v = vec![0.0; theta.len()];
    for step in 1..=2 {
        let g = grad(&t, &theta);
        for k in 0..theta.len() {
            m[k] = b1 * m[k] + (1.0 - b1) * g[k];
            v[k] = b2 * v[k] + (1.0 - b2) * g[k] * g[k];
            let mhat = m[k] / (1.0 - b1.powi(step));
            let vhat_sqrt = v[k].sqrt() / (1.0 - b2.powi(step)).sqrt();
            theta[k] -= eta * mhat / (vhat_sqrt + eps);
        }
    }
    let got = trained(&t, 8);
    for (x, y) in got.iter().zip(&theta) {
        assert!((x - y).abs() <= 1e-13 * x.abs().max(1.0), "{x} vs {y}");
    }
    // The first Adam step moves every parameter with a nonzero gradient by about η.
    assert!(
        got.iter()
            .zip(&th0)
            .any(|(a, b)| ((a - b).abs() - 2.0 * eta).abs() < 1e-3)
    );
}
