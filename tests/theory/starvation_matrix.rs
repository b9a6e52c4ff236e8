//! Claim (docs/theory.md §4.3, M16): "∂z*/∂(s_i²) = (S² Uᵀ D U + λ I)^{−1} e_i r_i … For SD,
//! ∂F/∂(s_i²) vanishes at the equilibrium, so M = 0 exactly. Finite differences of the
//! equilibrium must agree with M16." Checked for the exact, quadratic and exponential-tail loss
//! models under L2 (relative 1e−6 of max|M|) and for SD / the unregularised quadratic model
//! (absolute, in units of max|z*|/s_i²).
//!
//! Extra: the fast 2 × 2 solver of `toy::newton` gives the same z* and starvation matrix
//! as the general solver, to 1e−10 relative (L2) and 1e−10 in units of max|z*|/s_i² (SD).

use starvation::equilibrium::{EquilibriumOptions, find_equilibrium, sensitivities};
use starvation::model::{FeatureModel, Regulariser, SpectralDecoupling};
use starvation::toy::{ToyProblem, ToyRegulariser};
use starvation::verify;

#[test]
fn starvation_matrix_equals_finite_differences() {
    let r = verify::starvation_matrix_matches_finite_differences(false);
    println!(
        "{}\n  measured: {}\n  tolerance: {}",
        r.name, r.measured, r.tolerance
    );
    assert!(r.passed, "{}", r.measured);
}

#[test]
fn fast_toy_solver_matches_the_general_one() {
    let mut worst_l2 = 0.0f64;
    let mut worst_sd = 0.0f64;
    for &(s1, delta, lambda) in &[
        (6.0, 0.5, 0.01),
        (3.0, 0.2, 0.1),
        (1.0, -0.4, 0.001),
        (8.0, 0.65, 0.01),
        (2.5, 0.8, 0.05),
    ] {
        for reg in [ToyRegulariser::L2, ToyRegulariser::Sd] {
            let regulariser = match reg {
                ToyRegulariser::L2 => Regulariser::L2 { lambda },
                ToyRegulariser::Sd => {
                    Regulariser::SpectralDecoupling(SpectralDecoupling::uniform(lambda))
                }
            };
            let model = FeatureModel::two_feature_toy(s1, 2.0, delta)
                .unwrap()
                .with_regulariser(regulariser)
                .unwrap();
            let eq = find_equilibrium(&model, None, &EquilibriumOptions::default()).unwrap();
            let m = sensitivities(&model, &eq).unwrap().starvation_matrix;
            let p = ToyProblem {
                s1_squared: s1 * s1,
                s2_squared: 4.0,
                delta,
                lambda,
                regulariser: reg,
            };
            let sol = p.solve(p.cold_start(), 1e-12, 100);
            assert!(sol.converged, "toy solver did not converge at {p:?}");
            let zmax = eq.point.iter().fold(0.0f64, |a, x| a.max(x.abs()));
            let z_gap = (0..2)
                .map(|j| (sol.z[j] - eq.point[j]).abs())
                .fold(0.0, f64::max)
                / zmax;
            assert!(z_gap <= 1e-10, "z gap {z_gap:e} at {p:?}");
            let s2 = [s1 * s1, 4.0];
            let mut gap = 0.0f64;
            for j in 0..2 {
                for i in 0..2 {
                    let d = (sol.starvation[j][i] - m[(j, i)]).abs();
                    gap = gap.max(match reg {
                        ToyRegulariser::L2 => d / m.amax(),
                        ToyRegulariser::Sd => d * s2[i] / zmax,
                    });
                }
            }
            match reg {
                ToyRegulariser::L2 => worst_l2 = worst_l2.max(gap),
                ToyRegulariser::Sd => worst_sd = worst_sd.max(gap),
            }
        }
    }
    println!("toy vs general starvation matrix: L2 rel. {worst_l2:.2e}, SD scaled {worst_sd:.2e}");
    assert!(worst_l2 <= 1e-10, "L2 gap {worst_l2:e}");
    assert!(worst_sd <= 1e-10, "SD gap {worst_sd:e}");
}
