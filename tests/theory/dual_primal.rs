//! Claim (docs/theory.md §3.3): "Dual and primal trajectories differ; their fixed points coincide."
//! The dual flow (M10 for L2, M11 for SD), started at the paper's α₀ = 1e−8 and integrated with
//! the implicit method (its log barrier makes it stiff), ends at the same responses z as the
//! primal z-flow (M7/M8), to 1e−7. Both are integrated at rtol 1e−11 far past their slowest
//! time scale (primal: e^{−ηλt} < 1e−20), so each is within ~1e−9 of the common fixed point.

use crate::common;

use starvation::flow::{Space, build_flow};
use starvation::model::{FeatureModel, Regulariser, SpectralDecoupling, Spectrum};
use starvation::solve::{Method, Output, SolveOptions, integrate};

fn end_points(model: &FeatureModel, primal_t: f64) -> (Vec<f64>, Vec<f64>, f64) {
    let primal = build_flow(model, Space::Responses).unwrap();
    let dual = build_flow(model, Space::Dual).unwrap();
    let options = |t| {
        let mut o = SolveOptions::until(t)
            .tolerances(1e-11, 1e-13)
            .output(Output::Count(2));
        o.max_steps = 2_000_000;
        o
    };
    let p = integrate(
        primal.as_ref(),
        &vec![0.0; primal.dim()],
        Method::Auto,
        &options(primal_t),
    )
    .unwrap();
    let d = integrate(
        dual.as_ref(),
        &dual.default_initial_state(),
        Method::Radau5,
        &options(200.0),
    )
    .unwrap();
    let gap = common::max_relative_gap(p.final_responses(), d.final_responses());
    (
        p.final_responses().to_vec(),
        d.final_responses().to_vec(),
        gap,
    )
}

fn models(regulariser: Regulariser) -> Vec<FeatureModel> {
    vec![
        FeatureModel::two_feature_toy(6.0, 2.0, 0.5)
            .unwrap()
            .with_regulariser(regulariser.clone())
            .unwrap(),
        FeatureModel::random(
            5,
            4,
            &Spectrum::List(vec![5.0, 3.0, 2.0, 1.0, 0.5]),
            Some(vec![1.0, -1.0, 1.0, -1.0, 1.0]),
        )
        .unwrap()
        .with_regulariser(regulariser)
        .unwrap(),
    ]
}

#[test]
fn l2_dual_and_primal_share_the_fixed_point() {
    for m in models(Regulariser::L2 { lambda: 0.01 }) {
        let (p, d, gap) = end_points(&m, 6000.0);
        println!("L2: primal {p:?} dual {d:?} gap {gap:.3e}");
        assert!(gap <= 1e-7, "gap {gap:e}");
    }
}

#[test]
fn sd_dual_and_primal_share_the_fixed_point() {
    for m in models(Regulariser::SpectralDecoupling(
        SpectralDecoupling::uniform(0.01),
    )) {
        let (p, d, gap) = end_points(&m, 20000.0);
        println!("SD: primal {p:?} dual {d:?} gap {gap:.3e}");
        assert!(gap <= 1e-7, "gap {gap:e}");
    }
}
