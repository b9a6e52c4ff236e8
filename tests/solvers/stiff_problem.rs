//! Claim (docs/theory.md §4.2): "Stiffness ratio ≈ max_j s_j² / λ for L2, so real tangent spectra
//! (s² spanning many decades) are stiff." A problem with n = 20, s² log-spaced from 1e4 down to
//! 1e−4, a Haar-random coupling and L2 with λ = 1e−3 is solved by the implicit method and by
//! `auto`; both must agree with a tight-tolerance reference. The explicit method either stops
//! with a stiffness report or, with its stiffness test switched off, needs far more steps.
//!
//! Reference: radau5 at its tightest rtol (1.7e−11), cross-checked against bdf at rtol 1e−11 to
//! 1e−7. At the default rtol 1e−8 the asserted agreement is 1e−6 relative (a global error of
//! 100 × rtol leaves room for error accumulation over the run).

use crate::common;

use starvation::error::{Error, SolveError};
use starvation::flow::{Space, build_flow};
use starvation::model::{FeatureModel, Regulariser, Spectrum};
use starvation::solve::{Method, Output, SolveOptions, integrate};

const T_END: f64 = 1000.0;

fn stiff_model() -> FeatureModel {
    FeatureModel::random(
        20,
        1,
        &Spectrum::LogSpacedSquares {
            max_squared: 1e4,
            min_squared: 1e-4,
        },
        None,
    )
    .unwrap()
    .with_regulariser(Regulariser::L2 { lambda: 1e-3 })
    .unwrap()
}

fn options(rtol: f64) -> SolveOptions {
    let mut o = SolveOptions::until(T_END)
        .tolerances(rtol, rtol * 1e-2)
        .output(Output::Count(11));
    o.max_steps = 5_000_000;
    o
}

#[test]
fn implicit_and_auto_agree_with_reference_and_explicit_struggles() {
    let model = stiff_model();
    let field = build_flow(&model, Space::Responses).unwrap();
    let z0 = vec![0.0; 20];
    let reference = integrate(field.as_ref(), &z0, Method::Radau5, &options(1e-12)).unwrap();
    let second = integrate(field.as_ref(), &z0, Method::Bdf, &options(1e-11)).unwrap();
    let cross = common::max_relative_gap(second.final_state(), reference.final_state());
    println!("reference radau5 vs bdf: gap {cross:.3e}");
    assert!(cross <= 1e-7, "references disagree: {cross:e}");

    for method in [Method::Radau5, Method::Auto] {
        let tr = integrate(field.as_ref(), &z0, method, &options(1e-8)).unwrap();
        let mut worst = 0.0f64;
        for (z, zr) in tr.responses.iter().zip(&reference.responses) {
            worst = worst.max(common::max_relative_gap(z, zr));
        }
        println!(
            "{method}: max gap to reference {worst:.3e}; {} accepted steps, {} field evaluations, {} factorisations; methods {:?}",
            tr.stats.accepted_steps,
            tr.stats.field_evaluations,
            tr.stats.factorisations,
            tr.methods_used
        );
        assert!(worst <= 1e-6, "{method}: gap {worst:e}");
        if method == Method::Auto {
            assert_eq!(
                tr.methods_used.len(),
                2,
                "auto must switch to the implicit method"
            );
        }
    }

    let implicit = integrate(field.as_ref(), &z0, Method::Radau5, &options(1e-8)).unwrap();
    for method in [Method::Dopri5, Method::Dop853] {
        match integrate(field.as_ref(), &z0, method, &options(1e-8)) {
            Err(Error::Solve(SolveError::Stiff { t, .. })) => {
                println!("{method}: stiffness reported at t = {t:.3}");
            }
            other => panic!("{method}: expected a stiffness report, got {other:?}"),
        }
        let mut relaxed = options(1e-8);
        relaxed.stiffness_test_interval = usize::MAX;
        let tr = integrate(field.as_ref(), &z0, method, &relaxed).unwrap();
        let gap = common::max_relative_gap(tr.final_state(), reference.final_state());
        println!(
            "{method} without stiffness test: {} accepted steps ({}× radau5's {}), {} field evaluations, gap {gap:.3e}",
            tr.stats.accepted_steps,
            tr.stats.accepted_steps / implicit.stats.accepted_steps.max(1),
            implicit.stats.accepted_steps,
            tr.stats.field_evaluations
        );
        assert!(tr.stats.accepted_steps >= 10 * implicit.stats.accepted_steps);
    }
}
