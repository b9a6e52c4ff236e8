//! Claim (issue 19, theory.md §9): with minibatches, the stochastic map of the linearised
//! network — u_{k+1} = μ u_k + (1/|B_k|) K[:, B_k] ∇ℓ_{B_k}(ŷ_k) + w (ŷ_k − b),
//! ŷ_{k+1} = ŷ_k − η u_{k+1}, with the batches B_k the network of the same seed draws — equals
//! the trained linearised network per seed to round-off; and the real network's minibatch SGD is
//! exactly the optimiser applied to the gradients of the mean loss over those batches.
//!
//! Bound: as at full batch (tests/networks/network_map_prediction.rs), with S = E ⌈n/B⌉ steps
//! instead of E epochs: each step rounds at most (m + n) ε relative to the outputs' scale on each
//! side, carried with gain ≤ 1/(1 − μ); the responses differ by at most
//! B_round = √n · S (m + n) ε / (1 − μ) relative to the largest response.

use starvation::network::{
    Architecture, BatchSampling, BatchSchedule, Dataset, Optimiser, ResponseConvention, Tracking,
    Training, initial_parameters, loss_and_gradient, train_seeds,
};

use crate::common;

fn training(width: usize, momentum: f64, weight_decay: f64, sd: f64, epochs: usize) -> Training {
    Training {
        architecture: Architecture {
            hidden: vec![width],
            dropout: 0.0,
            batch_norm: false,
            parameterisation: starvation::network::Parameterisation::Standard,
        },
        optimiser: Optimiser::Sgd {
            learning_rate: 0.01,
            momentum,
        },
        epochs,
        weight_decay,
        sd,
        loss: starvation::model::LossModel::Exact,
        batch_size: None,
        batch_sampling: Default::default(),
    }
}

fn gap(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    let scale = b.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .map(|(p, q)| (p - q).abs() / scale)
        .fold(0.0, f64::max)
}

#[test]
fn the_stochastic_map_equals_the_trained_linearised_network_per_seed() {
    let n = 40;
    let d = common::two_moons(n);
    let track = Tracking {
        indices: (0..n).collect(),
        convention: ResponseConvention::Kernel,
        every: 10,
        predictions: true,
        sde: None,
    };
    let epochs = 100;
    for (width, momentum, weight_decay, sd, batch, sampling) in [
        (50, 0.9, 1e-3, 0.0, 8, BatchSampling::Reshuffle),
        (200, 0.0, 0.0, 0.05, 5, BatchSampling::Reshuffle),
        (200, 0.5, 1e-3, 0.05, 16, BatchSampling::Reshuffle),
        (50, 0.9, 1e-3, 0.01, 8, BatchSampling::Independent),
    ] {
        let mut t = training(width, momentum, weight_decay, sd, epochs);
        t.batch_size = Some(batch);
        t.batch_sampling = sampling;
        let full = training(width, momentum, weight_decay, sd, epochs);
        let seeds = [3, 4, 5];
        let r = train_seeds(&d, &t, &seeds, Some(&track), &|_| {}).unwrap();
        let f = train_seeds(&d, &full, &seeds[..1], Some(&track), &|_| {}).unwrap();
        let full_map = f[0].responses.as_ref().unwrap().map.clone().unwrap();
        let m = 4 * width + 1;
        let steps = epochs * n.div_ceil(batch);
        let bound =
            (n as f64).sqrt() * steps as f64 * (m + n) as f64 * f64::EPSILON / (1.0 - momentum);
        let mut maps = Vec::new();
        for rec in &r {
            let tr = rec.responses.as_ref().unwrap();
            let lin = tr.linearised.as_ref().unwrap();
            let map = tr.map.as_ref().unwrap();
            let g = gap(map, lin);
            println!(
                "B {batch} {sampling:?} width {width} μ {momentum} w {weight_decay} SD {sd} seed {}: map vs linearised {g:.2e} (bound {bound:.1e}), real vs linearised {:.2e}",
                rec.seed,
                gap(&tr.real, lin)
            );
            assert!(g <= bound, "seed {}: {g:e} > {bound:e}", rec.seed);
            maps.push(map.clone());
        }
        // Different seeds draw different batches, and minibatches are not full batch: the maps
        // differ by far more than round-off.
        assert!(
            gap(&maps[0], &full_map) > 1e3 * bound,
            "minibatch = full batch?"
        );
    }
}

#[test]
fn batch_size_n_is_full_batch_exactly() {
    let n = 30;
    let d = common::two_moons(n);
    let track = Tracking {
        indices: vec![0, 1, 5],
        convention: ResponseConvention::Kernel,
        every: 5,
        predictions: true,
        sde: None,
    };
    let full = training(40, 0.9, 1e-3, 0.01, 30);
    let mut same = full.clone();
    same.batch_size = Some(n);
    let a = train_seeds(&d, &full, &[1], Some(&track), &|_| {}).unwrap();
    let b = train_seeds(&d, &same, &[1], Some(&track), &|_| {}).unwrap();
    assert_eq!(a[0].network.parameters(), b[0].network.parameters());
    assert_eq!(a[0].responses, b[0].responses);
    assert_eq!(a[0].loss, b[0].loss);
}

/// The real network's epoch: θ ← θ − η ∇L_B(θ) for the batches of the seed's schedule, with ∇L_B
/// the engine's gradient of the mean loss on the batch alone (no momentum here, so the rule is
/// one line); the trained parameters must agree bit for bit.
#[test]
fn real_minibatch_sgd_steps_on_the_seeds_batches() {
    let n = 37;
    let data = common::two_moons(n);
    let mut t = training(16, 0.0, 0.0, 0.02, 3);
    t.batch_size = Some(8);
    let seed = 11;
    let trained = train_seeds(&data, &t, &[seed], None, &|_| {}).unwrap();
    let mut theta = initial_parameters(2, &t.architecture, seed);
    let mut schedule = BatchSchedule::new(n, Some(8), BatchSampling::Reshuffle, seed);
    assert_eq!(schedule.steps_per_epoch(), 5);
    for _ in 0..3 {
        for batch in schedule.next_epoch() {
            let sub = Dataset {
                dimension: 2,
                points: batch
                    .iter()
                    .flat_map(|&i| data.points[2 * i..2 * i + 2].to_vec())
                    .collect(),
                labels: batch.iter().map(|&i| data.labels[i]).collect(),
            };
            let mut sub_training = t.clone();
            sub_training.batch_size = None;
            let (_, g) = loss_and_gradient(&sub, &sub_training, &theta, 0).unwrap();
            for (p, gi) in theta.iter_mut().zip(&g) {
                *p -= 0.01 * gi;
            }
        }
    }
    assert_eq!(trained[0].network.parameters(), &theta[..]);
}

/// Batch norm needs two examples per batch: a batch size leaving a batch of one is refused.
#[test]
fn batch_norm_refuses_a_batch_of_one() {
    let data = common::two_moons(41);
    let mut t = training(8, 0.9, 0.0, 0.0, 2);
    t.architecture.batch_norm = true;
    t.batch_size = Some(8); // 41 = 5 · 8 + 1
    let e = starvation::network::check_training(&data, &t).unwrap_err();
    assert_eq!(e.field, "batch_size");
    t.batch_size = Some(10); // 41 = 4 · 10 + 1
    assert!(starvation::network::check_training(&data, &t).is_err());
    t.batch_size = Some(7); // last batch 6
    starvation::network::check_training(&data, &t).unwrap();
    let r = train_seeds(&data, &t, &[0], None, &|_| {}).unwrap();
    assert!(r[0].loss.iter().all(|l| l.is_finite()));
    t.batch_sampling = BatchSampling::Independent;
    t.batch_size = Some(8); // independent batches always hold 8
    starvation::network::check_training(&data, &t).unwrap();
}
