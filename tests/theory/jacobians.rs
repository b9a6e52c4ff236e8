//! Claim (docs/theory.md §4.2, M14/M15, and the θ and α flows of §3): the analytic Jacobian of every
//! flow equals the derivative of its vector field. Checked against central finite differences on
//! random models and random states (property test) for every regulariser and loss model (the
//! dual for every loss with a smooth conjugate; the smooth hinge has none and is refused).
//!
//! Tolerance: with step h = 1e−6·max(1, |x_j|), central differences carry a truncation error
//! ~h²|f‴|/6 ≲ 1e−10 and a rounding error ~ε|f|/h ≲ 1e−8 for the fields sampled here, so
//! |J_fd − J| ≤ 1e−6·(1 + max|J|) leaves a wide margin while still catching any wrong term
//! (a missing factor or sign is O(|J|)).

use crate::common;

use nalgebra::DMatrix;
use proptest::prelude::*;
use starvation::flow::{Space, VectorField, build_flow};
use starvation::model::{FeatureModel, LossModel, Regulariser, SpectralDecoupling, Spectrum};

fn finite_difference_gap(field: &dyn VectorField, x: &[f64]) -> (f64, f64) {
    let n = field.dim();
    let mut analytic = DMatrix::zeros(n, n);
    field.jacobian(x, &mut analytic);
    let mut plus = vec![0.0; n];
    let mut minus = vec![0.0; n];
    let mut worst = 0.0f64;
    for j in 0..n {
        let h = 1e-6 * x[j].abs().max(1.0);
        let mut xp = x.to_vec();
        let mut xm = x.to_vec();
        xp[j] += h;
        xm[j] -= h;
        field.eval(&xp, &mut plus);
        field.eval(&xm, &mut minus);
        for i in 0..n {
            let fd = (plus[i] - minus[i]) / (2.0 * h);
            worst = worst.max((fd - analytic[(i, j)]).abs());
        }
    }
    (worst, analytic.amax())
}

fn regulariser(kind: u8, lambda: f64) -> Regulariser {
    match kind {
        0 => Regulariser::None,
        1 => Regulariser::L2 { lambda },
        2 => Regulariser::SpectralDecoupling(SpectralDecoupling::uniform(lambda)),
        _ => Regulariser::SpectralDecoupling(SpectralDecoupling {
            lambda_positive: lambda,
            lambda_negative: 2.5 * lambda,
            target_positive: 0.7,
            target_negative: -0.3,
        }),
    }
}

fn loss(kind: u8) -> LossModel {
    match kind {
        0 => LossModel::Exact,
        1 => LossModel::Quadratic,
        2 => LossModel::ExponentialTail,
        3 => LossModel::Squared,
        _ => LossModel::SmoothHinge,
    }
}

fn model(n: usize, seed: u64, reg: u8, lambda: f64, loss_kind: u8, rate: f64) -> FeatureModel {
    let labels = (0..n)
        .map(|i| {
            if (i + seed as usize).is_multiple_of(3) {
                -1.0
            } else {
                1.0
            }
        })
        .collect();
    FeatureModel::random(
        n,
        seed,
        &Spectrum::PowerLaw {
            largest: 4.0,
            exponent: 0.8,
        },
        Some(labels),
    )
    .unwrap()
    .with_random_directions(n + 3, seed + 1)
    .unwrap()
    .with_regulariser(regulariser(reg, lambda))
    .unwrap()
    .with_loss(loss(loss_kind))
    .with_rate(rate)
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn response_and_parameter_jacobians_match_finite_differences(
        n in 1usize..6,
        seed in 0u64..1000,
        reg in 0u8..4,
        lambda in 1e-3f64..0.5,
        // The smooth hinge's Jacobian jumps where a margin crosses 0 or 1: a random state lies
        // within the step h ~ 1e−6 of a kink with probability ~1e−6 per margin, so the
        // comparison is almost surely on one smooth piece.
        loss_kind in 0u8..5,
        rate in 0.2f64..2.0,
        scale in 0.1f64..3.0,
    ) {
        let m = model(n, seed, reg, lambda, loss_kind, rate);
        for space in [Space::Responses, Space::Parameters] {
            let field = build_flow(&m, space).unwrap();
            let x = common::random_vector(field.dim(), scale, seed + 7);
            let (gap, size) = finite_difference_gap(field.as_ref(), &x);
            prop_assert!(gap <= 1e-6 * (1.0 + size), "{space}: gap {gap:e}, |J| {size:e}");
        }
    }

    #[test]
    fn dual_jacobian_matches_finite_differences(
        n in 1usize..6,
        seed in 0u64..1000,
        sd in proptest::bool::ANY,
        lambda in 1e-2f64..0.5,
        rate in 0.2f64..2.0,
        // Every loss with a smooth dual (§3.3): exact, quadratic, exponential tail, squared;
        // α ∈ (0.1, 0.9) lies in each one's domain.
        loss_kind in 0u8..4,
    ) {
        let m = model(n, seed, if sd { 2 } else { 1 }, lambda, loss_kind, rate);
        let field = build_flow(&m, Space::Dual).unwrap();
        let alpha: Vec<f64> = common::random_vector(n, 1.0, seed + 3)
            .iter()
            .map(|g| 0.1 + 0.8 * starvation::numerics::logistic(*g))
            .collect();
        let (gap, size) = finite_difference_gap(field.as_ref(), &alpha);
        prop_assert!(gap <= 1e-6 * (1.0 + size), "gap {gap:e}, |J| {size:e}");
    }
}

#[test]
fn finite_difference_check_catches_a_wrong_jacobian() {
    // The comparison itself must be able to fail: a field whose Jacobian omits the λ term.
    struct Wrong(Box<dyn VectorField>);
    impl VectorField for Wrong {
        fn dim(&self) -> usize {
            self.0.dim()
        }
        fn eval(&self, x: &[f64], out: &mut [f64]) {
            self.0.eval(x, out)
        }
        fn jacobian(&self, x: &[f64], out: &mut DMatrix<f64>) {
            self.0.jacobian(x, out);
            for i in 0..out.nrows() {
                out[(i, i)] += 0.05;
            }
        }
        fn response_dim(&self) -> usize {
            self.0.response_dim()
        }
        fn responses(&self, x: &[f64], out: &mut [f64]) {
            self.0.responses(x, out)
        }
        fn space(&self) -> Space {
            self.0.space()
        }
    }
    let m = model(3, 1, 1, 0.05, 0, 1.0);
    let wrong = Wrong(build_flow(&m, Space::Responses).unwrap());
    let (gap, size) = finite_difference_gap(&wrong, &[0.3, -0.2, 0.5]);
    assert!(gap > 1e-6 * (1.0 + size));
}
