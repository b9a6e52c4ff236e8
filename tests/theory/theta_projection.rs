//! Claim (docs/theory.md §3.2): "Integrating M5/M6 and projecting with S Vᵀ must give the same z(t) as
//! integrating M7/M8."
//!
//! A random problem with n = 5 examples, m = 20 parameters and a nonzero θ₀ is integrated in θ
//! (dimension 20) and in z (dimension 5, from z₀ = S Vᵀ θ₀), under L2 and under SD, with both
//! explicit methods. Both runs use rtol 1e−12 so that each is within ~1e−10 of the exact flow;
//! the projected θ-run must then match the z-run to 1e−8 at every output time.

use crate::common;

use starvation::flow::{Space, build_flow};
use starvation::model::{Regulariser, SpectralDecoupling};
use starvation::solve::{Method, Output, SolveOptions, integrate};

fn check(regulariser: Regulariser, method: Method) -> f64 {
    let model = common::random_tangent_model(5, 20, 11)
        .with_regulariser(regulariser)
        .unwrap();
    let theta0 = common::random_vector(20, 0.3, 5);
    let z0 = model.responses_from_parameters(&theta0);
    let options = SolveOptions::until(40.0)
        .tolerances(1e-12, 1e-14)
        .output(Output::Count(21));
    let theta_flow = build_flow(&model, Space::Parameters).unwrap();
    let z_flow = build_flow(&model, Space::Responses).unwrap();
    let by_theta = integrate(theta_flow.as_ref(), &theta0, method, &options).unwrap();
    let by_z = integrate(z_flow.as_ref(), &z0, method, &options).unwrap();
    assert_eq!(by_theta.times, by_z.times);
    let mut worst = 0.0f64;
    for (zt, zz) in by_theta.responses.iter().zip(&by_z.responses) {
        worst = worst.max(common::max_relative_gap(zt, zz));
    }
    println!(
        "{method}: max θ vs z gap {worst:.3e} over {} outputs",
        by_z.times.len()
    );
    // The flows really moved (a test that cannot fail is a defect).
    assert!(common::max_relative_gap(by_z.final_state(), &z0) > 1e-2);
    worst
}

#[test]
fn l2_theta_flow_projects_onto_z_flow() {
    for method in [Method::Dopri5, Method::Dop853] {
        let gap = check(Regulariser::L2 { lambda: 0.05 }, method);
        assert!(gap <= 1e-8, "{method}: θ vs z gap {gap:e}");
    }
}

#[test]
fn sd_theta_flow_projects_onto_z_flow() {
    for method in [Method::Dopri5, Method::Dop853] {
        let gap = check(
            Regulariser::SpectralDecoupling(SpectralDecoupling::uniform(0.05)),
            method,
        );
        assert!(gap <= 1e-8, "{method}: θ vs z gap {gap:e}");
    }
}

#[test]
fn per_class_sd_with_targets_projects_onto_z_flow() {
    let sd = SpectralDecoupling {
        lambda_positive: 0.05,
        lambda_negative: 0.2,
        target_positive: 1.5,
        target_negative: 0.5,
    };
    let gap = check(Regulariser::SpectralDecoupling(sd), Method::Dop853);
    assert!(gap <= 1e-8, "θ vs z gap {gap:e}");
}

#[test]
fn unregularised_theta_flow_projects_onto_z_flow() {
    let gap = check(Regulariser::None, Method::Dop853);
    assert!(gap <= 1e-8, "θ vs z gap {gap:e}");
}
