//! Fact (theory.md §7): the tangent features are the exact per-example Jacobian J = ∂ŷ/∂θ at
//! initialisation (Φ = J of M1), K = J Jᵀ, its eigenvectors U are orthonormal with eigenvalues
//! in descending order, and Y J = U S Vᵀ is obtained from Y K Y = U S² Uᵀ.
//!
//! References: central finite differences of the network's outputs (error O(ε²) + rounding,
//! tolerance 1e−6 relative); an independent dense eigen-solver check of U Λ Uᵀ = K to 1e−10.

use starvation::network::{
    Architecture, Dataset, Optimiser, ResponseConvention, Tracking, TrainedNetwork, Training,
    TwoMoons, initial_parameters, tangent_features, train_seeds,
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

fn jacobian_matches_finite_differences(arch: Architecture) {
    let d = data(12);
    let t = tangent_features(&d, &arch, 3).unwrap();
    let theta = initial_parameters(2, &arch, 3);
    let (n, m) = (t.examples, t.parameters);
    assert_eq!(m, theta.len());
    let eps = 1e-6;
    let out = |th: Vec<f64>| {
        TrainedNetwork::from_parameters(2, &arch, th)
            .unwrap()
            .decision_function(&d.points)
    };
    let scale = t.jacobian.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    for k in 0..m {
        let mut p = theta.clone();
        p[k] += eps;
        let mut q = theta.clone();
        q[k] -= eps;
        let (fp, fq) = (out(p), out(q));
        for i in 0..n {
            let fd = (fp[i] - fq[i]) / (2.0 * eps);
            assert!(
                (fd - t.jacobian[i * m + k]).abs() <= 1e-6 * scale,
                "J[{i},{k}] = {} vs {fd}",
                t.jacobian[i * m + k]
            );
        }
    }
    let f0 = out(theta);
    assert_eq!(f0, t.outputs);
}

#[test]
fn jacobian_of_one_hidden_layer() {
    jacobian_matches_finite_differences(Architecture {
        hidden: vec![10],
        dropout: 0.0,
        batch_norm: false,
        parameterisation: starvation::network::Parameterisation::Standard,
    });
}

#[test]
fn jacobian_of_deep_network_with_batch_norm() {
    jacobian_matches_finite_differences(Architecture {
        hidden: vec![7, 6],
        dropout: 0.2,
        batch_norm: true,
        parameterisation: starvation::network::Parameterisation::Standard,
    });
}

#[test]
fn kernel_eigenvectors_are_orthonormal_and_descending() {
    let d = data(40);
    let arch = Architecture {
        hidden: vec![30],
        dropout: 0.0,
        batch_norm: false,
        parameterisation: starvation::network::Parameterisation::Standard,
    };
    let t = tangent_features(&d, &arch, 1).unwrap();
    let n = t.examples;
    for convention in [ResponseConvention::Kernel, ResponseConvention::Theory] {
        let (spectrum, u) = t.basis(&d.labels, convention);
        assert!(spectrum.windows(2).all(|w| w[0] >= w[1]));
        // UᵀU = I (U column-major n × n).
        for a in 0..n {
            for b in 0..n {
                let dot: f64 = (0..n).map(|i| u[a * n + i] * u[b * n + i]).sum();
                let expected = if a == b { 1.0 } else { 0.0 };
                assert!((dot - expected).abs() < 1e-12);
            }
        }
        // U diag(λ) Uᵀ reproduces K (kernel) or Y K Y with λ = s² (theory).
        for i in 0..n {
            for j in 0..n {
                let lam = |k: usize| match convention {
                    ResponseConvention::Kernel => spectrum[k],
                    ResponseConvention::Theory => spectrum[k] * spectrum[k],
                };
                let v: f64 = (0..n).map(|k| u[k * n + i] * lam(k) * u[k * n + j]).sum();
                let mut kij = t.kernel[i * n + j];
                if convention == ResponseConvention::Theory {
                    kij *= d.labels[i] * d.labels[j];
                }
                assert!((v - kij).abs() <= 1e-10 * spectrum[0].abs().max(1.0));
            }
        }
    }
}

#[test]
fn kernel_drift_is_zero_at_initialisation_and_grows() {
    // The drift uses a layer-by-layer K (no J); at epoch 0 it must equal J Jᵀ to rounding.
    let d = data(30);
    let training = Training {
        architecture: Architecture {
            hidden: vec![20, 15],
            dropout: 0.0,
            batch_norm: true,
            parameterisation: starvation::network::Parameterisation::Standard,
        },
        optimiser: Optimiser::Sgd {
            learning_rate: 0.05,
            momentum: 0.9,
        },
        epochs: 200,
        weight_decay: 0.0,
        sd: 0.0,
        batch_size: None,
        batch_sampling: Default::default(),
        loss: starvation::model::LossModel::Exact,
    };
    let tracking = Tracking {
        indices: vec![0, 1],
        convention: ResponseConvention::Kernel,
        every: 1,
        predictions: true,
        sde: None,
    };
    let r = train_seeds(&d, &training, &[2], Some(&tracking), &|_| {}).unwrap();
    let track = r[0].responses.as_ref().unwrap();
    assert_eq!(track.drift_epochs.first(), Some(&0));
    assert_eq!(track.drift_epochs.last(), Some(&200));
    assert!(track.kernel_drift[0] < 1e-12, "{}", track.kernel_drift[0]);
    assert!(*track.kernel_drift.last().unwrap() > 1e-3);
    assert_eq!(track.real.len(), 201);
    let without = Tracking {
        predictions: false,
        sde: None,
        ..tracking
    };
    let r = train_seeds(&d, &training, &[2], Some(&without), &|_| {}).unwrap();
    let track = r[0].responses.as_ref().unwrap();
    assert!(track.kernel_drift.is_empty() && track.drift_epochs.is_empty());
}
