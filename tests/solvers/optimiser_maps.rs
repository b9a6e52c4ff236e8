//! Claim (docs/theory.md §8): the methods `heavy_ball` and `nesterov` are the optimiser maps
//! "x_{k+1} = x_k + μ (x_k − x_{k−1}) + h f(x_k), x_{−1} = x₀" (PyTorch's SGD with momentum from
//! zero velocity, in the flow's coordinates) and PyTorch's `nesterov=True` rule
//! "b ← μ b + g, x ← x − h (g + μ b)" with g = −f, in every space where gd is defined (z, θ, α),
//! for every regulariser and loss model; with μ = 0 both are gradient descent bit for bit. In α
//! (dual flow, exact loss only) the maps are projected SGD: PyTorch's step, then clipping of α
//! into the box, the momentum buffer untouched by the clipping — so there the reference is
//! PyTorch's buffer form with the clipping, not the two-term form.
//!
//! References: hand-written loops over the flow's own field in the two-term (x_{k−1}) form and in
//! PyTorch's buffer form, which round differently from the library's velocity form. Tolerance:
//! each step of either form rounds each coordinate with relative error ≤ 4ε (a few additions
//! and products); the iterates of these stable runs stay bounded by X = max|x|, and a
//! contracting or neutrally stable linearised map adds the per-step errors at most linearly, so
//! after N steps |x − x_ref| ≤ 8 N ε X (the two forms' errors added). The test uses N = 400.

use starvation::flow::{OptimiserMap, Space, VectorField, build_flow};
use starvation::model::{FeatureModel, LossModel, Regulariser, SpectralDecoupling};
use starvation::solve::{Method, Output, SolveOptions, integrate};

const STEPS: usize = 400;
const STEP: f64 = 0.05;

fn models() -> Vec<(&'static str, FeatureModel)> {
    let toy = FeatureModel::two_feature_toy(3.0, 1.5, 0.4).unwrap();
    vec![
        (
            "L2, exact",
            toy.clone()
                .with_regulariser(Regulariser::L2 { lambda: 0.05 })
                .unwrap(),
        ),
        (
            "SD, exact",
            toy.clone()
                .with_regulariser(Regulariser::SpectralDecoupling(
                    SpectralDecoupling::uniform(0.1),
                ))
                .unwrap(),
        ),
        (
            "none, quadratic",
            toy.clone()
                .with_regulariser(Regulariser::None)
                .unwrap()
                .with_loss(LossModel::Quadratic),
        ),
        (
            "L2, exponential tail",
            toy.with_regulariser(Regulariser::L2 { lambda: 0.05 })
                .unwrap()
                .with_loss(LossModel::ExponentialTail),
        ),
    ]
}

fn options(momentum: Option<f64>) -> SolveOptions {
    let mut o = SolveOptions::until(STEPS as f64 * STEP).output(Output::Steps);
    o.step = Some(STEP);
    o.momentum = momentum;
    o
}

/// x_{k+1} = P(x_k + μ (x_k − x_{k−1}) + h f(x_k)), x_{−1} = x₀, written out.
fn heavy_ball_reference(field: &dyn VectorField, x0: &[f64], mu: f64) -> Vec<Vec<f64>> {
    let mut prev = x0.to_vec();
    let mut x = x0.to_vec();
    let mut f = vec![0.0; x.len()];
    let mut out = vec![x.clone()];
    for _ in 0..STEPS {
        field.eval(&x, &mut f);
        let mut next: Vec<f64> = (0..x.len())
            .map(|i| x[i] + mu * (x[i] - prev[i]) + STEP * f[i])
            .collect();
        field.project(&mut next);
        prev = std::mem::replace(&mut x, next);
        out.push(x.clone());
    }
    out
}

/// PyTorch's SGD(momentum=μ) with the field's projection after each step: g = −f,
/// b ← μ b + g (b = g on the first step), x ← P(x − h b).
fn projected_sgd_reference(field: &dyn VectorField, x0: &[f64], mu: f64) -> Vec<Vec<f64>> {
    let mut x = x0.to_vec();
    let mut b = vec![0.0; x.len()];
    let mut f = vec![0.0; x.len()];
    let mut out = vec![x.clone()];
    for k in 0..STEPS {
        field.eval(&x, &mut f);
        for i in 0..x.len() {
            let g = -f[i];
            b[i] = if k == 0 { g } else { mu * b[i] + g };
            x[i] -= STEP * b[i];
        }
        field.project(&mut x);
        out.push(x.clone());
    }
    out
}

/// The flow of `model` in `space`, None where it is not defined (α needs λ > 0) or where the
/// comparison cannot hold: the exponential tail's dual map at h = 0.05 is chaotic (its
/// curvature −1/α is unbounded near the clip at α = 2⁻¹⁰²², the iterates jump between the clip
/// and α ≈ 30), so two evaluation orders of the same recursion separate exponentially.
fn flow(model: &FeatureModel, space: Space) -> Option<Box<dyn VectorField>> {
    if space == Space::Dual && model.loss() == LossModel::ExponentialTail {
        return None;
    }
    match build_flow(model, space) {
        Ok(f) => Some(f),
        Err(e) => {
            assert!(
                space == Space::Dual && model.loss() != LossModel::Exact,
                "{e}"
            );
            None
        }
    }
}

/// PyTorch's nesterov=True on the loss whose negative gradient is f: g = −f,
/// b ← μ b + g (b = g on the first step), x ← x − h (g + μ b).
fn nesterov_reference(field: &dyn VectorField, x0: &[f64], mu: f64) -> Vec<Vec<f64>> {
    let mut x = x0.to_vec();
    let mut b = vec![0.0; x.len()];
    let mut f = vec![0.0; x.len()];
    let mut out = vec![x.clone()];
    for k in 0..STEPS {
        field.eval(&x, &mut f);
        for i in 0..x.len() {
            let g = -f[i];
            b[i] = if k == 0 { g } else { mu * b[i] + g };
            x[i] -= STEP * (g + mu * b[i]);
        }
        field.project(&mut x);
        out.push(x.clone());
    }
    out
}

fn largest_gap(a: &[Vec<f64>], b: &[Vec<f64>]) -> (f64, f64) {
    assert_eq!(a.len(), b.len());
    let mut gap = 0.0f64;
    let mut scale = 0.0f64;
    for (x, y) in a.iter().zip(b) {
        for (p, q) in x.iter().zip(y) {
            gap = gap.max((p - q).abs());
            scale = scale.max(p.abs());
        }
    }
    (gap, scale)
}

fn spaces() -> [Space; 3] {
    [Space::Responses, Space::Parameters, Space::Dual]
}

#[test]
fn heavy_ball_is_the_two_term_recursion_in_every_space_and_model() {
    for (name, model) in models() {
        for space in spaces() {
            let Some(field) = flow(&model, space) else {
                continue;
            };
            let x0 = field.default_initial_state();
            for mu in [0.5, 0.9] {
                let tr =
                    integrate(field.as_ref(), &x0, Method::HeavyBall, &options(Some(mu))).unwrap();
                let reference = if space == Space::Dual {
                    projected_sgd_reference(field.as_ref(), &x0, mu)
                } else {
                    heavy_ball_reference(field.as_ref(), &x0, mu)
                };
                let (gap, scale) = largest_gap(&tr.states, &reference);
                let bound = 8.0 * STEPS as f64 * f64::EPSILON * scale.max(f64::MIN_POSITIVE);
                assert!(
                    gap <= bound,
                    "{name}, {space}, μ = {mu}: gap {gap:e} > bound {bound:e}"
                );
                // The runs move: a reference that stood still would pass trivially.
                let moved = largest_gap(&reference[..1], &reference[STEPS..]).0;
                assert!(moved > 1e-3, "{name}, {space}: the run did not move");
            }
        }
    }
}

#[test]
fn nesterov_is_pytorch_nesterov_in_every_space_and_model() {
    for (name, model) in models() {
        for space in spaces() {
            let Some(field) = flow(&model, space) else {
                continue;
            };
            let x0 = field.default_initial_state();
            let mu = 0.8;
            let tr = integrate(field.as_ref(), &x0, Method::Nesterov, &options(Some(mu))).unwrap();
            let reference = nesterov_reference(field.as_ref(), &x0, mu);
            let (gap, scale) = largest_gap(&tr.states, &reference);
            let bound = 8.0 * STEPS as f64 * f64::EPSILON * scale;
            assert!(
                gap <= bound,
                "{name}, {space}: gap {gap:e} > bound {bound:e}"
            );
            // Nesterov is not heavy ball: the two differ by far more than round-off.
            let hb = projected_sgd_reference(field.as_ref(), &x0, mu);
            assert!(
                largest_gap(&tr.states, &hb).0 > 1e3 * bound,
                "{name}, {space}"
            );
        }
    }
}

#[test]
fn zero_momentum_is_gradient_descent_bit_for_bit() {
    for (name, model) in models() {
        for space in spaces() {
            let Some(field) = flow(&model, space) else {
                continue;
            };
            let x0 = field.default_initial_state();
            let gd =
                integrate(field.as_ref(), &x0, Method::GradientDescent, &options(None)).unwrap();
            for method in [Method::HeavyBall, Method::Nesterov] {
                let tr = integrate(field.as_ref(), &x0, method, &options(Some(0.0))).unwrap();
                assert_eq!(tr.states, gd.states, "{name}, {space}, {method}");
                assert_eq!(tr.times, gd.times, "{name}, {space}, {method}");
            }
        }
    }
}

/// The flip steps of [`OptimiserMap::flip_step`] against the eigenvalues of the map's own
/// Jacobian at the equilibrium: at h = h*(1 ∓ 1e−6) the spectral radius is below / above 1,
/// and at h* an eigenvalue sits at −1 (to 1e−9, the conditioning of the 2 × 2 or 4 × 4
/// eigenproblem at a simple eigenvalue).
#[test]
fn flip_steps_put_an_eigenvalue_of_the_linearised_map_at_minus_one() {
    let (_, model) = models().remove(0);
    let eq = starvation::equilibrium::find_equilibrium(&model, None, &Default::default()).unwrap();
    let field = build_flow(&model, Space::Responses).unwrap();
    let mut jac = nalgebra::DMatrix::zeros(2, 2);
    field.jacobian(&eq.point, &mut jac);
    let rate = jac
        .complex_eigenvalues()
        .iter()
        .fold(0.0f64, |m, e| m.max(e.norm()));
    for map in [
        OptimiserMap::GradientDescent { step: 1.0 },
        OptimiserMap::HeavyBall {
            step: 1.0,
            momentum: 0.9,
        },
        OptimiserMap::Nesterov {
            step: 1.0,
            momentum: 0.9,
        },
    ] {
        let h = map.flip_step(rate);
        let radius = |h: f64| {
            map.with_step(h)
                .jacobian(&jac)
                .complex_eigenvalues()
                .iter()
                .fold(0.0f64, |m, e| m.max(e.norm()))
        };
        assert!(radius(h * (1.0 - 1e-6)) < 1.0, "{map:?}");
        assert!(radius(h * (1.0 + 1e-6)) > 1.0, "{map:?}");
        let at_minus_one = map
            .with_step(h)
            .jacobian(&jac)
            .complex_eigenvalues()
            .iter()
            .fold(f64::INFINITY, |m, e| m.min((e + 1.0).norm()));
        assert!(at_minus_one < 1e-9, "{map:?}: {at_minus_one:e}");
    }
}
