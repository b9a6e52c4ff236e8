//! Claim (docs/theory.md §8): `"method": "adam"` is PyTorch's Adam (Kingma & Ba 2015,
//! Algorithm 1) on the gradient g = −f(θ) of the θ-flow: m ← β₁m + (1 − β₁)g,
//! v ← β₂v + (1 − β₂)g², θ ← θ − h m̂/(√v̂ + ε), m̂ = m/(1 − β₁ᵏ), v̂ = v/(1 − β₂ᵏ); it runs in θ
//! only ("no closed map in z": its scaling is not a function of the responses) and is refused
//! elsewhere with a one-line error.
//!
//! References: (1) the paper's "efficient" form of the same update (Kingma & Ba, end of §2),
//! h_k = h √(1 − β₂ᵏ)/(1 − β₁ᵏ), θ ← θ − h_k m/(√v + ε̂) with ε̂ = ε √(1 − β₂ᵏ), which is the
//! same map written with other roundings. Tolerance: each step rounds each coordinate with
//! relative error ≤ 8ε in either form (a dozen products, sums and a square root); the runs stay
//! bounded by X = max|θ| and Adam's step is bounded by h per coordinate whatever the rounding of
//! m and v, so after N steps the two differ by at most 16 N ε (X + h) — N = 300 here.
//! (2) A closed form: the first step is θ₁ = θ₀ + h f/(|f| + ε) per coordinate, whatever β
//! (m̂₁ = g, v̂₁ = g²). (3) Its fixed point: a run that settles is at the flow's equilibrium z*.

use starvation::flow::{Space, VectorField, build_flow};
use starvation::model::{FeatureModel, Regulariser, SpectralDecoupling};
use starvation::solve::{Method, Output, SolveOptions, integrate};

const STEPS: usize = 300;
const STEP: f64 = 0.02;

fn models() -> Vec<(&'static str, FeatureModel)> {
    let toy = FeatureModel::two_feature_toy(3.0, 1.5, 0.4).unwrap();
    vec![
        (
            "L2",
            toy.clone()
                .with_regulariser(Regulariser::L2 { lambda: 0.05 })
                .unwrap(),
        ),
        (
            "SD",
            toy.with_regulariser(Regulariser::SpectralDecoupling(
                SpectralDecoupling::uniform(0.1),
            ))
            .unwrap(),
        ),
    ]
}

fn adam_options(steps: usize, betas: Option<[f64; 2]>, eps: Option<f64>) -> SolveOptions {
    let mut o = SolveOptions::until(steps as f64 * STEP).output(Output::Steps);
    o.step = Some(STEP);
    o.betas = betas;
    o.eps = eps;
    o
}

/// Kingma & Ba's efficient form: h_k = h √(1 − β₂ᵏ)/(1 − β₁ᵏ), θ ← θ − h_k m/(√v + ε̂).
fn efficient_form(field: &dyn VectorField, x0: &[f64], betas: [f64; 2], eps: f64) -> Vec<Vec<f64>> {
    let [b1, b2] = betas;
    let mut x = x0.to_vec();
    let mut m = vec![0.0; x.len()];
    let mut v = vec![0.0; x.len()];
    let mut f = vec![0.0; x.len()];
    let mut out = vec![x.clone()];
    for k in 1..=STEPS as i32 {
        field.eval(&x, &mut f);
        let root = (1.0 - b2.powi(k)).sqrt();
        let hk = STEP * root / (1.0 - b1.powi(k));
        let eps_hat = eps * root;
        for i in 0..x.len() {
            let g = -f[i];
            m[i] = b1 * m[i] + (1.0 - b1) * g;
            v[i] = b2 * v[i] + (1.0 - b2) * g * g;
            x[i] -= hk * m[i] / (v[i].sqrt() + eps_hat);
        }
        out.push(x.clone());
    }
    out
}

#[test]
fn adam_is_kingma_and_ba_in_their_efficient_form() {
    for (name, model) in models() {
        let field = build_flow(&model, Space::Parameters).unwrap();
        let x0: Vec<f64> = (0..field.dim()).map(|i| 0.3 - 0.2 * i as f64).collect();
        for (betas, eps) in [([0.9, 0.999], 1e-8), ([0.5, 0.9], 1e-3), ([0.0, 0.0], 1e-8)] {
            let tr = integrate(
                field.as_ref(),
                &x0,
                Method::Adam,
                &adam_options(STEPS, Some(betas), Some(eps)),
            )
            .unwrap();
            let reference = efficient_form(field.as_ref(), &x0, betas, eps);
            assert_eq!(tr.states.len(), reference.len());
            let bound_scale = tr
                .states
                .iter()
                .flatten()
                .fold(0.0_f64, |a, x| a.max(x.abs()))
                + STEP;
            let bound = 16.0 * STEPS as f64 * f64::EPSILON * bound_scale;
            let gap = tr
                .states
                .iter()
                .zip(&reference)
                .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
                .fold(0.0_f64, f64::max);
            assert!(
                gap <= bound,
                "{name}, betas {betas:?}, eps {eps}: gap {gap:e} > bound {bound:e}"
            );
            // The runs moved: the test compares trajectories, not two copies of x₀.
            let moved = tr.states.last().unwrap()[0] - x0[0];
            assert!(moved.abs() > 10.0 * STEP, "{name}: moved only {moved}");
        }
    }
}

#[test]
fn the_first_step_moves_each_parameter_by_h_against_the_gradient_sign() {
    for (name, model) in models() {
        let field = build_flow(&model, Space::Parameters).unwrap();
        let x0: Vec<f64> = (0..field.dim()).map(|i| 0.1 * i as f64 - 0.05).collect();
        let mut f = vec![0.0; x0.len()];
        field.eval(&x0, &mut f);
        let eps = 1e-8;
        for betas in [[0.9, 0.999], [0.3, 0.5]] {
            let tr = integrate(
                field.as_ref(),
                &x0,
                Method::Adam,
                &adam_options(1, Some(betas), Some(eps)),
            )
            .unwrap();
            for i in 0..x0.len() {
                let expected = x0[i] + STEP * f[i] / (f[i].abs() + eps);
                let got = tr.states[1][i];
                assert!(
                    (got - expected).abs() <= 4.0 * f64::EPSILON * (x0[i].abs() + STEP),
                    "{name}, θ[{i}]: {got} vs {expected}"
                );
            }
        }
    }
}

#[test]
fn a_settled_adam_run_rests_at_the_flows_equilibrium() {
    let model = models().remove(0).1;
    let field = build_flow(&model, Space::Parameters).unwrap();
    let x0 = vec![0.0; field.dim()];
    let eq = starvation::equilibrium::find_equilibrium(&model, None, &Default::default()).unwrap();
    let s_max = model
        .feature_strengths()
        .iter()
        .fold(0.0_f64, |a, s| a.max(s.abs()));
    for h in [0.02, 0.005] {
        let steps = (1000.0 / h) as usize;
        let mut options = SolveOptions::until(steps as f64 * h).output(Output::Count(2));
        options.step = Some(h);
        options.rtol = 1e-6;
        options.atol = 1e-9;
        options.events.steady_state = Some(starvation::solve::SteadyState { tolerance: 1.0 });
        let tr = integrate(field.as_ref(), &x0, Method::Adam, &options).unwrap();
        assert_eq!(
            tr.stop,
            starvation::solve::StopReason::SteadyState,
            "h = {h}"
        );
        let theta = tr.states.last().unwrap();
        // The steady-state test leaves |f(θ)| ≤ √dim (rtol max|θ| + atol); the distance to the
        // equilibrium is at most that over the smallest singular value of J_θ, and a response
        // moves by at most s_max times it.
        let mut jac = nalgebra::DMatrix::zeros(field.dim(), field.dim());
        field.jacobian(theta, &mut jac);
        let sigma_min = jac.singular_values().min();
        let theta_max = theta.iter().fold(0.0_f64, |a, x| a.max(x.abs()));
        let residual = (field.dim() as f64).sqrt() * (options.rtol * theta_max + options.atol);
        let bound = s_max * residual / sigma_min;
        let z = tr.responses.last().unwrap();
        for (j, (a, b)) in z.iter().zip(eq.point.iter()).enumerate() {
            assert!(
                (a - b).abs() <= bound,
                "h = {h}, z[{j}]: {a} vs z* = {b} (bound {bound:e})"
            );
        }
    }
}

#[test]
fn adam_outside_theta_and_adam_settings_on_other_methods_are_refused() {
    let model = models().remove(0).1;
    for space in [Space::Responses, Space::Dual] {
        let field = build_flow(&model, space).unwrap();
        let x0 = field.default_initial_state();
        let err = integrate(
            field.as_ref(),
            &x0,
            Method::Adam,
            &adam_options(10, None, None),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("method") && err.contains("theta"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
    let field = build_flow(&model, Space::Parameters).unwrap();
    let x0 = field.default_initial_state();
    let err = integrate(
        field.as_ref(),
        &x0,
        Method::GradientDescent,
        &adam_options(10, Some([0.9, 0.99]), None),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("betas") && err.contains("adam"), "{err}");
    let err = integrate(
        field.as_ref(),
        &x0,
        Method::Adam,
        &adam_options(10, Some([0.9, 1.0]), None),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("betas[1]"), "{err}");
}
