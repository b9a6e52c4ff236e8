//! Fact (theory.md §7, the engine): the backward pass computes the exact gradient of the mean
//! logistic loss with SD, mean(log(1 + e^(−yŷ))) + c·mean(ŷ²), for dense ReLU networks, with
//! dropout (fixed masks) and with batch norm on batch statistics.
//!
//! Reference: central finite differences, error O(ε²·|f‴|) + rounding O(δ/ε); with ε = 1e−6 the
//! difference is accurate to ~1e−8 relative for smooth points. ReLU kinks are met with
//! probability ~0 at random parameters, so the tolerance is 1e−6 relative to the gradient norm.

use starvation::network::{
    Architecture, Dataset, Optimiser, Training, TwoMoons, initial_parameters, loss_and_gradient,
};

fn data() -> Dataset {
    Dataset::two_moons(&TwoMoons {
        examples: 24,
        noise: 0.1,
        seed: 3,
        margin: 0.1,
        rotation_degrees: 0.0,
    })
    .unwrap()
}

fn training(hidden: Vec<usize>, dropout: f64, batch_norm: bool, sd: f64) -> Training {
    Training {
        architecture: Architecture {
            hidden,
            dropout,
            batch_norm,
            parameterisation: starvation::network::Parameterisation::Standard,
        },
        optimiser: Optimiser::Sgd {
            learning_rate: 0.01,
            momentum: 0.9,
        },
        epochs: 1,
        weight_decay: 0.0,
        sd,
        batch_size: None,
        batch_sampling: Default::default(),
        loss: starvation::model::LossModel::Exact,
    }
}

fn check(training: &Training, seed: u64) {
    let data = data();
    let theta = initial_parameters(2, &training.architecture, seed);
    let (_, grad) = loss_and_gradient(&data, training, &theta, 7).unwrap();
    let norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
    assert!(norm > 1e-6, "gradient must not vanish");
    let eps = 1e-6;
    let mut worst: f64 = 0.0;
    for k in 0..theta.len() {
        let mut plus = theta.clone();
        plus[k] += eps;
        let mut minus = theta.clone();
        minus[k] -= eps;
        // Same dropout seed: the same masks in both evaluations.
        let (lp, _) = loss_and_gradient(&data, training, &plus, 7).unwrap();
        let (lm, _) = loss_and_gradient(&data, training, &minus, 7).unwrap();
        let fd = (lp - lm) / (2.0 * eps);
        worst = worst.max((fd - grad[k]).abs());
    }
    assert!(
        worst <= 1e-6 * norm,
        "max |finite difference − backward| = {worst:e} (gradient norm {norm:e})"
    );
}

#[test]
fn one_hidden_layer_fused_pass_matches_finite_differences() {
    check(&training(vec![16], 0.0, false, 0.0), 1);
}

#[test]
fn spectral_decoupling_term_is_differentiated() {
    check(&training(vec![16], 0.0, false, 0.3), 2);
}

#[test]
fn deep_network_matches_finite_differences() {
    check(&training(vec![12, 10, 9], 0.0, false, 0.01), 3);
}

#[test]
fn dropout_with_fixed_masks_matches_finite_differences() {
    check(&training(vec![16, 12], 0.3, false, 0.0), 4);
}

#[test]
fn batch_norm_on_batch_statistics_matches_finite_differences() {
    check(&training(vec![16, 12], 0.0, true, 0.01), 5);
}

#[test]
fn fused_pass_loss_matches_the_evaluation_pass() {
    // One hidden layer without dropout or batch norm takes the fused pass; its loss must equal
    // the loss recomputed from the general evaluation pass's outputs.
    let data = data();
    let t = training(vec![16], 0.0, false, 0.2);
    let theta = initial_parameters(2, &t.architecture, 9);
    let (loss, _) = loss_and_gradient(&data, &t, &theta, 0).unwrap();
    let net =
        starvation::network::TrainedNetwork::from_parameters(2, &t.architecture, theta).unwrap();
    let out = net.decision_function(&data.points);
    let expected: f64 = out
        .iter()
        .zip(&data.labels)
        .map(|(o, y)| (1.0 + (-y * o).exp()).ln() + 0.2 * o * o)
        .sum::<f64>()
        / data.len() as f64;
    assert!((loss - expected).abs() <= 1e-12 * expected.abs().max(1.0));
}
