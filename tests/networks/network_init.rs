//! Fact (theory.md §7): the networks start from PyTorch's default initialisation: every weight
//! and bias of a layer with p inputs is uniform in [−1/√p, 1/√p] (batch norm: γ = 1, β = 0).
//!
//! Reference: the bound itself, and the moments of the uniform law (mean 0, variance b²/3),
//! checked to 6 standard errors.

use starvation::network::{Architecture, initial_parameters};

fn check_block(values: &[f64], bound: f64) {
    let n = values.len() as f64;
    assert!(values.iter().all(|v| v.abs() <= bound), "outside ±{bound}");
    let max = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    // P(max |v| < b(1 − q)) = (1 − q)^n: with q = 20/n this is e^{−20}.
    assert!(
        max >= bound * (1.0 - 20.0 / n),
        "max {max} too far below {bound}"
    );
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| v * v).sum::<f64>() / n;
    let sd_mean = bound / (3.0 * n).sqrt();
    assert!(mean.abs() <= 6.0 * sd_mean, "mean {mean}");
    // Var(v²) = b⁴/5 − b⁴/9 = 4b⁴/45.
    let sd_var = (4.0 / 45.0f64).sqrt() * bound * bound / n.sqrt();
    assert!(
        (var - bound * bound / 3.0).abs() <= 6.0 * sd_var,
        "variance {var}"
    );
}

#[test]
fn weights_and_biases_are_uniform_within_one_over_root_fan_in() {
    let arch = Architecture {
        hidden: vec![500, 300],
        dropout: 0.0,
        batch_norm: false,
        parameterisation: starvation::network::Parameterisation::Standard,
    };
    let theta = initial_parameters(2, &arch, 11);
    // Layout: W₁ (2 × 500), b₁, W₂ (500 × 300), b₂, w₃ (300), b₃.
    let mut at = 0;
    for (p, q) in [(2usize, 500usize), (500, 300), (300, 1)] {
        let bound = 1.0 / (p as f64).sqrt();
        check_block(&theta[at..at + p * q], bound);
        at += p * q;
        let b = &theta[at..at + q];
        assert!(b.iter().all(|v| v.abs() <= bound));
        at += q;
    }
    assert_eq!(at, theta.len());
}

#[test]
fn batch_norm_starts_at_identity_scale() {
    let arch = Architecture {
        hidden: vec![8],
        dropout: 0.0,
        batch_norm: true,
        parameterisation: starvation::network::Parameterisation::Standard,
    };
    let theta = initial_parameters(2, &arch, 1);
    // W₁ 16, b₁ 8, γ 8, β 8, w₂ 8, b₂ 1.
    assert_eq!(theta.len(), 16 + 8 + 16 + 8 + 1);
    assert!(theta[24..32].iter().all(|g| *g == 1.0));
    assert!(theta[32..40].iter().all(|b| *b == 0.0));
}

#[test]
fn seeds_give_different_reproducible_networks() {
    let arch = Architecture {
        hidden: vec![50],
        dropout: 0.0,
        batch_norm: false,
        parameterisation: starvation::network::Parameterisation::Standard,
    };
    assert_eq!(
        initial_parameters(2, &arch, 5),
        initial_parameters(2, &arch, 5)
    );
    assert_ne!(
        initial_parameters(2, &arch, 5),
        initial_parameters(2, &arch, 6)
    );
}
