//! Fact (issue #20, the image engine): the backward pass of the image networks computes the
//! exact gradient of every Table 1 objective — ERM's mean cross-entropy, SD with its schedule,
//! and IRMv1 (whose penalty, the squared derivative of each environment's loss with respect to
//! a scale of the logits, is first order in the network's output gradient) with its L2 term and
//! its division by the penalty weight — for depths 1–3, across the engine's row blocks.
//!
//! Reference: central finite differences in f64, error O(h²·|f‴|) + rounding O(δ/h); with
//! h = 10⁻⁶ about 10⁻⁹ relative at smooth points. ReLU kinks are met with probability ~0 at
//! random parameters, so the tolerance is 10⁻⁶ relative to the largest gradient component.

use starvation::images::{
    ColouredMnist, MethodRun, Objective, initial_parameters, loss_and_gradient,
};
use starvation::numerics::SeededRng;

use crate::common;

fn split(train: usize) -> starvation::images::ColouredSplit {
    let data = common::random_images(train + 50, 11, 7);
    ColouredMnist {
        train_examples: train,
        test_examples: 50,
        ..ColouredMnist::default()
    }
    .build(&data, 5)
    .unwrap()
}

#[test]
fn gradients_of_every_objective_match_finite_differences() {
    // 600 training images: two row blocks of the engine (512 rows each).
    let split = split(600);
    let objectives = [
        ("erm", Objective::Erm),
        (
            "sd",
            Objective::Sd {
                coefficient: 0.05,
                schedule_step: 3,
            },
        ),
        (
            "irm",
            Objective::Irm {
                l2: 0.01,
                penalty_weight: 1000.0,
                anneal_step: 3,
            },
        ),
    ];
    for hidden in [vec![6], vec![7, 5], vec![5, 4, 6]] {
        for (name, objective) in &objectives {
            for step in [0, 5] {
                let mut run = MethodRun::protocol("erm").unwrap();
                run.objective = objective.clone();
                run.hidden = hidden.clone();
                let dimension = split.train.dimension(false);
                let mut theta = initial_parameters(dimension, &hidden, 2);
                // Non-zero biases, so that their gradients are tested away from zero too.
                let mut rng = SeededRng::new(3);
                for t in theta.iter_mut() {
                    *t += 0.05 * (rng.uniform() - 0.5);
                }
                let (_, grad) = loss_and_gradient(&split, &run, &theta, step).unwrap();
                let scale = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
                assert!(scale > 0.0);
                let h = 1e-6;
                for k in (0..theta.len()).step_by(theta.len() / 40 + 1) {
                    let mut plus = theta.clone();
                    plus[k] += h;
                    let mut minus = theta.clone();
                    minus[k] -= h;
                    let lp = loss_and_gradient(&split, &run, &plus, step).unwrap().0;
                    let lm = loss_and_gradient(&split, &run, &minus, step).unwrap().0;
                    let fd = (lp - lm) / (2.0 * h);
                    assert!(
                        (fd - grad[k]).abs() <= 1e-6 * scale,
                        "{name} {hidden:?} step {step} θ[{k}]: difference {fd:e} vs backward {:e}",
                        grad[k]
                    );
                }
            }
        }
    }
}
