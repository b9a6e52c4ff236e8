//! Claim (docs/theory.md §4.2, M14/M15): "Both have real negative eigenvalues (similar to symmetric
//! negative-definite matrices). The L2 spectrum is bounded above by −ηλ"; and §5
//! "Linearisation: eigenvalues of M14/M15 real, ≤ −ηλ for L2." Checked on random models of
//! sizes 2 … 12 with η ∈ {0.7, 2.5} under L2, uniform SD and per-class SD, against the
//! eigenvalues of the symmetric similar matrix −η S H S.
//!
//! Extra: the Jacobian stored with the equilibrium equals central finite differences of the
//! vector field (`VectorField::eval`) at z* to 1e−7 relative (step 1e−6·max(1, |z_j|): error
//! ~h² ‖f‴‖ + ε‖f‖/h ≈ 1e−10 relative), and every equilibrium is classified a stable node.

use starvation::equilibrium::{EquilibriumOptions, Stability, find_equilibrium};
use starvation::flow::{Space, build_flow};
use starvation::model::{FeatureModel, Regulariser, SpectralDecoupling, Spectrum};
use starvation::verify;

#[test]
fn jacobian_eigenvalues_are_real_and_bounded() {
    let r = verify::jacobian_spectrum(false);
    println!(
        "{}\n  measured: {}\n  tolerance: {}",
        r.name, r.measured, r.tolerance
    );
    assert!(r.passed, "{}", r.measured);
}

#[test]
fn stored_jacobian_matches_finite_differences_of_the_field() {
    let regularisers = [
        Regulariser::L2 { lambda: 0.02 },
        Regulariser::SpectralDecoupling(SpectralDecoupling::uniform(0.02)),
        Regulariser::SpectralDecoupling(SpectralDecoupling {
            lambda_positive: 0.03,
            lambda_negative: 0.01,
            target_positive: 1.0,
            target_negative: 2.0,
        }),
    ];
    for reg in regularisers {
        let model = FeatureModel::random(
            4,
            77,
            &Spectrum::List(vec![3.0, 1.7, 1.1, 0.4]),
            Some(vec![1.0, -1.0, -1.0, 1.0]),
        )
        .unwrap()
        .with_regulariser(reg.clone())
        .unwrap()
        .with_rate(1.7)
        .unwrap();
        let eq = find_equilibrium(&model, None, &EquilibriumOptions::default()).unwrap();
        assert_eq!(eq.stability, Stability::StableNode, "{reg:?}");
        let field = build_flow(&model, Space::Responses).unwrap();
        let k = eq.point.len();
        let mut worst = 0.0f64;
        let (mut fp, mut fm) = (vec![0.0; k], vec![0.0; k]);
        for q in 0..k {
            let h = 1e-6 * eq.point[q].abs().max(1.0);
            let mut zp = eq.point.clone();
            let mut zm = eq.point.clone();
            zp[q] += h;
            zm[q] -= h;
            field.eval(&zp, &mut fp);
            field.eval(&zm, &mut fm);
            for p in 0..k {
                let fd = (fp[p] - fm[p]) / (2.0 * h);
                worst = worst.max((fd - eq.jacobian[(p, q)]).abs());
            }
        }
        let rel = worst / eq.jacobian.amax();
        println!("{reg:?}: stored J vs FD of the field: rel. {rel:.1e}");
        assert!(rel <= 1e-7, "{reg:?}: {rel:e}");
    }
}
