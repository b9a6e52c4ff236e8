//! Fact (issue #20, "with what the linearised prediction says"): the prediction recorded beside
//! an image network's responses is the gradient flow of the linearised network
//! f_lin(θ) = f₀ + J (θ − θ₀) on the tracked images, dŷ/dt = −K ∇ŷ L(ŷ), L the summed
//! cross-entropy plus c·Σŷ², K the tangent kernel at θ₀; its clock is λ₀·t.
//!
//! With every eigen-index tracked, Σ_k z_k² = ‖ŷ‖², so the checks need no eigenvectors:
//! - early (λ₀t = 10⁻²): ŷ(t) = ŷ₀ − t K g₀ + r, g₀ = ∇L(ŷ₀), and since ‖d²ŷ/dt²‖ = ‖K D K g‖ ≤
//!   λ₀² (¼ + 2c) ‖g‖∞ √n (D = diag of the loss's curvature), ‖r‖ ≤ t²/2 times that;
//! - SD's end (c = 1, λ₀t = 10⁶): the flow's equilibrium solves σ(−y_i ŷ_i) = 2c y_i ŷ_i for
//!   every image (K has full rank here), ŷ = a* y with a* = σ(−a*)/(2c), so ‖ŷ‖ = a*√n, reached
//!   once λ_min t ≫ 1 (asserted as a premise);
//! - IRMv1 has no prediction (its penalty is per environment, its L2 acts on θ).

use starvation::images::{
    ColouredMnist, ColouredSplit, ImageNetwork, MethodRun, Objective, Precision, Rendering,
    ResponseTracking, RestartRecord, initial_parameters, tangent_kernel, train_restart,
};

use crate::common;

const N: usize = 16;

fn split() -> ColouredSplit {
    let data = common::random_images(60, 11, 1);
    ColouredMnist {
        train_examples: 40,
        test_examples: 20,
        ..ColouredMnist::default()
    }
    .build(&data, 3)
    .unwrap()
}

fn run(name: &str, objective: Objective) -> MethodRun {
    MethodRun {
        objective,
        steps: 3,
        hidden: vec![12, 10],
        ..MethodRun::protocol(name).unwrap()
    }
}

/// Trains `method` from `seed` on `split`, every eigen-index of the first N images tracked.
fn train(split: &ColouredSplit, method: &MethodRun, seed: u64) -> RestartRecord {
    let tracking = ResponseTracking {
        examples: N,
        indices: (0..N).collect(),
    };
    train_restart(
        split,
        method,
        seed,
        1,
        Precision::F64,
        Some(&tracking),
        &|_| {},
    )
    .unwrap()
}

/// ‖ŷ‖ at each recorded time from the responses of every index.
fn norms(responses: &[Vec<f64>]) -> Vec<f64> {
    responses
        .iter()
        .map(|z| z.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn early_flow_is_the_kernel_step_and_sd_ends_at_its_closed_form() {
    let split = split();
    let seed = 5;
    let sd = run(
        "sd",
        Objective::Sd {
            coefficient: 2e-5,
            schedule_step: 1,
        },
    );
    for (method, c) in [(run("erm", Objective::Erm), 0.0), (sd, 1.0)] {
        let record = train(&split, &method, seed);
        let p = record.prediction.expect("a prediction");
        assert_eq!(p.sd, c, "{}", method.name);
        // K and ŷ₀ at θ₀ (the trainer's initialisation of `seed`).
        let dimension = split.train.dimension(false);
        let network = ImageNetwork {
            dimension,
            hidden: method.hidden.clone(),
            grey_input: false,
            precision: Precision::F64,
            parameters: initial_parameters(dimension, &method.hidden, seed),
        };
        let (k, y0) = tangent_kernel(&network, &split.train, Rendering::PROTOCOL, N);
        let labels: Vec<f64> = split.train.labels[..N]
            .iter()
            .map(|&l| if l == 1 { 1.0 } else { -1.0 })
            .collect();
        let lambda0 = record.spectrum[0];
        let norm = norms(&p.responses);
        assert!((norm[0] - y0.iter().map(|v| v * v).sum::<f64>().sqrt()).abs() < 1e-12);
        // Early: one kernel step of length t.
        assert!((p.times[1] - 1e-2).abs() < 1e-15);
        let t = p.times[1] / lambda0;
        let g: Vec<f64> = (0..N)
            .map(|i| -labels[i] * sigmoid(-labels[i] * y0[i]) + 2.0 * c * y0[i])
            .collect();
        let step: Vec<f64> = (0..N)
            .map(|i| y0[i] - t * (0..N).map(|j| k[i * N + j] * g[j]).sum::<f64>())
            .collect();
        let expected = step.iter().map(|v| v * v).sum::<f64>().sqrt();
        let g_max = g.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        let bound = t * t * lambda0 * lambda0 * (0.25 + 2.0 * c) * g_max * (N as f64).sqrt();
        let moved = (expected - norm[0]).abs();
        assert!(
            (norm[1] - expected).abs() <= bound + 1e-9,
            "{}: ‖ŷ(t)‖ = {} but the kernel step gives {expected} (bound {bound:.2e})",
            method.name,
            norm[1]
        );
        // The check can fail: the step moves ‖ŷ‖ by much more than the bound.
        assert!(moved > 20.0 * bound, "{moved:.2e} vs {bound:.2e}");
        if c > 0.0 {
            let lambda_min = record.spectrum[N - 1];
            assert!(lambda_min / lambda0 > 1e-4, "premise: K well conditioned");
            let mut a = 0.2;
            for _ in 0..200 {
                a = sigmoid(-a) / (2.0 * c);
            }
            let end = *norm.last().unwrap();
            let closed = a * (N as f64).sqrt();
            assert!(
                (end - closed).abs() < 1e-6 * closed,
                "SD's end ‖ŷ‖ = {end}, the closed form a*√n = {closed}"
            );
        }
    }
    // IRMv1: no prediction.
    let irm = MethodRun {
        steps: 3,
        hidden: vec![12, 10],
        ..MethodRun::protocol("irm").unwrap()
    };
    assert!(train(&split, &irm, seed).prediction.is_none());
}
