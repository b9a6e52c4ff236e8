//! Facts (theory.md §7): (1) the linearised network f₀ + J (θ − θ₀) has the real network's
//! responses at epoch 0, and stays close to it when the network is wide and the learning rate
//! small (the tangent regime); (2) the z-flow M7/M8 on Φ = J, with one epoch of SGD with
//! momentum μ and learning rate η on the mean loss equal to flow time η/((1−μ) n), weight decay
//! w as L2 λ = n w (with the offset term) and SD c as λ = 2c, is the limit of the linearised
//! network's training as η → 0.
//!
//! Tolerance for (2): heavy-ball SGD is a first-order scheme for that flow, so at a fixed flow
//! time its error is C·η + O(η²) once the momentum's lag of μ/(1−μ) epochs is short against the
//! fastest time scale 1/s²_max of the flow, i.e. η s²_max/((1−μ)² n) ≪ 1 (here ≈ 0.06–0.12).
//! Halving η must then halve the error (ratio within [0.4, 0.6]); C is estimated from the two
//! runs, and the error at the smaller η must be below 2·C·η.

use starvation::network::{
    Architecture, Optimiser, ResponseConvention, Tracking, Training, train_seeds,
};

use crate::common;

fn sgd(width: usize, lr: f64, epochs: usize, weight_decay: f64, sd: f64) -> Training {
    Training {
        architecture: Architecture {
            hidden: vec![width],
            dropout: 0.0,
            batch_norm: false,
            parameterisation: starvation::network::Parameterisation::Standard,
        },
        optimiser: Optimiser::Sgd {
            learning_rate: lr,
            momentum: 0.9,
        },
        epochs,
        weight_decay,
        sd,
        batch_size: None,
        batch_sampling: Default::default(),
        loss: starvation::model::LossModel::Exact,
    }
}

fn tracking(n: usize, convention: ResponseConvention) -> Tracking {
    Tracking {
        indices: (0..n).collect(),
        convention,
        every: 1,
        predictions: true,
        sde: None,
    }
}

/// max over the tracked indices of |z_real − z_lin| / max |z_real| over the last record.
fn relative_gap(a: &[f64], b: &[f64]) -> f64 {
    let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
        / scale
}

#[test]
fn linearised_network_starts_equal_and_stays_close_when_wide() {
    let n = 20;
    let d = common::two_moons(n);
    let mut gaps = Vec::new();
    for width in [20, 2000] {
        let t = sgd(width, 0.01, 300, 0.0, 0.0);
        let r = train_seeds(
            &d,
            &t,
            &[1],
            Some(&tracking(n, ResponseConvention::Kernel)),
            &|_| {},
        )
        .unwrap();
        let track = r[0].responses.as_ref().unwrap();
        let lin = track.linearised.as_ref().unwrap();
        // Equal up to rounding (the training pass may use fused multiply-adds).
        for (a, b) in track.real[0].iter().zip(&lin[0]) {
            assert!(
                (a - b).abs() <= 1e-12 * lin[0][0].max(1.0),
                "epoch 0: {a} vs {b}"
            );
        }
        gaps.push(relative_gap(
            track.real.last().unwrap(),
            lin.last().unwrap(),
        ));
    }
    assert!(
        gaps[1] < 0.05,
        "wide network left the tangent regime: {gaps:?}"
    );
    assert!(
        gaps[1] < gaps[0],
        "the gap must shrink with width: {gaps:?}"
    );
}

fn flow_error(lr: f64, weight_decay: f64, sd: f64, convention: ResponseConvention) -> f64 {
    let n = 16;
    let d = common::two_moons(n);
    // Flow time T = epochs · lr / ((1 − μ) n) fixed at 1.
    let epochs = (1.0 * 0.1 * n as f64 / lr).round() as usize;
    let t = sgd(30, lr, epochs, weight_decay, sd);
    let r = train_seeds(&d, &t, &[4], Some(&tracking(n, convention)), &|_| {}).unwrap();
    let track = r[0].responses.as_ref().unwrap();
    let lin = track.linearised.as_ref().unwrap();
    let flow = track.flow.as_ref().unwrap();
    let times = track.flow_time.as_ref().unwrap();
    assert!((times.last().unwrap() - 1.0).abs() < 1e-12);
    for (a, b) in lin[0].iter().zip(&flow[0]) {
        assert!(
            (a - b).abs() <= 1e-10 * lin[0][0].max(1.0),
            "t = 0: {a} vs {b}"
        );
    }
    let mut worst: f64 = 0.0;
    for (a, b) in lin.iter().zip(flow) {
        worst = worst.max(relative_gap(a, b));
    }
    worst
}

fn check_first_order(weight_decay: f64, sd: f64, convention: ResponseConvention) {
    let coarse = flow_error(2e-4, weight_decay, sd, convention);
    let fine = flow_error(1e-4, weight_decay, sd, convention);
    let ratio = fine / coarse;
    assert!(
        (0.4..=0.6).contains(&ratio),
        "error must halve with η: {coarse:e} → {fine:e} (ratio {ratio})"
    );
    // C ≈ (coarse − fine)/(2e−4 − 1e−4); the first-order bound at η = 1e−4.
    let c = (coarse - fine) / 1e-4;
    assert!(
        fine <= 2.0 * c * 1e-4,
        "fine {fine:e} vs C·η {:e}",
        c * 1e-4
    );
    assert!(
        fine < 0.05,
        "z-flow and linearised network disagree: {fine:e}"
    );
}

#[test]
fn z_flow_is_the_small_learning_rate_limit_without_regulariser() {
    check_first_order(0.0, 0.0, ResponseConvention::Theory);
}

#[test]
fn z_flow_matches_with_weight_decay_and_the_offset() {
    check_first_order(0.02, 0.0, ResponseConvention::Kernel);
}

#[test]
fn z_flow_matches_with_spectral_decoupling() {
    check_first_order(0.0, 0.05, ResponseConvention::Theory);
}
