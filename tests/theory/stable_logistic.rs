//! Numerics contract (issue "Core simulator"): "Numerically stable logistic (no NaN or overflow
//! for |a| up to 1e300)". Every flow and its Jacobian stay finite at states whose margins are
//! as large as ±1e300, where a naive 1/(1 + e^{−a}) overflows.

use nalgebra::DMatrix;
use starvation::flow::{Space, build_flow};
use starvation::model::{FeatureModel, Regulariser, SpectralDecoupling};
use starvation::numerics::{log_logistic, logistic, logistic_slope, softplus};

#[test]
fn logistic_family_is_finite_and_exact_at_the_extremes() {
    for a in [1e300, -1e300, 1e10, -1e10, 745.0, -745.0, 40.0, -40.0] {
        for v in [logistic(a), log_logistic(a), logistic_slope(a), softplus(a)] {
            assert!(v.is_finite(), "a = {a}: {v}");
        }
    }
    assert_eq!(logistic(-1e300), 0.0);
    assert_eq!(logistic(1e300), 1.0);
    assert_eq!(softplus(1e300), 1e300);
    assert_eq!(log_logistic(-1e300), -1e300);
    // Relative accuracy where the naive formula loses everything: σ(−40) = e^{−40}/(1+e^{−40}).
    let exact = (-40f64).exp() / (1.0 + (-40f64).exp());
    assert!((logistic(-40.0) - exact).abs() <= 1e-15 * exact);
}

#[test]
fn flows_stay_finite_at_huge_margins() {
    let toy = FeatureModel::two_feature_toy(6.0, 2.0, 0.5).unwrap();
    for reg in [
        Regulariser::None,
        Regulariser::L2 { lambda: 0.01 },
        Regulariser::SpectralDecoupling(SpectralDecoupling::uniform(0.01)),
    ] {
        let m = toy.clone().with_regulariser(reg.clone()).unwrap();
        for space in [Space::Responses, Space::Parameters] {
            let field = build_flow(&m, space).unwrap();
            for x in [
                [1e300, -1e300],
                [-1e300, 1e300],
                [1e300, 1e300],
                [-1e150, 3e2],
            ] {
                let mut out = [0.0; 2];
                field.eval(&x, &mut out);
                let mut j = DMatrix::zeros(2, 2);
                field.jacobian(&x, &mut j);
                assert!(
                    out.iter().all(|v| v.is_finite()),
                    "{reg:?} {space} at {x:?}: {out:?}"
                );
                assert!(
                    j.iter().all(|v| v.is_finite()),
                    "{reg:?} {space} at {x:?}: {j}"
                );
            }
        }
    }
}
