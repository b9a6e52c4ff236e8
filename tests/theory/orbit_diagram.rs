//! Claim (issue 18, issue 22 item 7, docs/theory.md §8): the orbit diagram of the training map
//! against the step h shows the fixed point z* below the flip h* = 2/|λ_min| (gradient descent;
//! 2(1 + μ)/|λ_min| for heavy ball) and, just past it, the two points of the period-2 orbit born
//! there; runs past the linear map's stability edge are marked diverged.
//!
//! References and tolerances:
//! - the 1-D linear field f(x) = λ(x − c): gradient descent is x ↦ c + (1 + hλ)(x − c), whose
//!   iterates after k steps are c + (1 + hλ)^k e₀ exactly (e₀ = 10⁻⁶(1 + |c|)); the predicted
//!   flip is 2/|λ| to round-off (1e−15 relative); the kept points equal the closed form to
//!   4k · max(1, |1 + hλ|^k) · 2.5 ε (each of k steps rounds by ≤ 2.5 ε, amplified at most by
//!   |1 + hλ|^k; factor 4 margin); at h* exactly the iterates are c ± e₀; for |1 + hλ| > 1 the run
//!   exceeds 10¹⁰⁰ after ⌈log(10¹⁰⁰/e₀)/log|1 + hλ|⌉ steps, and the diagram says so at that
//!   iteration (± 1 for the rounding of the bound's crossing);
//! - the toy (s₁ = 4, s₂ = 2, δ = 0.3, L2 λ = 0.01) just past the flip (h = 1.05 h*): the kept
//!   points are the two points of the period-2 orbit found by Newton on F² − id
//!   ([`period_two_orbit`]), to 1e−8 (the orbit attracts with multiplier ≤ 0.9 in this case,
//!   so after 20 000 iterations the distance of the iterates to it is below round-off, and
//!   Newton converges to 1e−13); below the flip (h = 0.95 h*) every kept point is z*_j to 1e−9.
//! - heavy ball with μ = 0.5: the predicted flip is 2(1 + μ)/|λ_min| to 1e−15 relative.

use nalgebra::DMatrix;
use starvation::equilibrium::orbit::period_two_orbit;
use starvation::equilibrium::orbit_diagram::{OrbitDiagramSettings, orbit_diagram, start_next_to};
use starvation::equilibrium::{EquilibriumOptions, find_equilibrium};
use starvation::flow::{OptimiserMap, Space, VectorField, build_flow};
use starvation::model::{FeatureModel, Regulariser};

/// f(x) = λ (x − c) in one dimension.
struct Linear {
    lambda: f64,
    centre: f64,
}

impl VectorField for Linear {
    fn dim(&self) -> usize {
        1
    }
    fn eval(&self, state: &[f64], out: &mut [f64]) {
        out[0] = self.lambda * (state[0] - self.centre);
    }
    fn jacobian(&self, _state: &[f64], out: &mut DMatrix<f64>) {
        out[(0, 0)] = self.lambda;
    }
    fn response_dim(&self) -> usize {
        1
    }
    fn responses(&self, state: &[f64], out: &mut [f64]) {
        out[0] = state[0];
    }
    fn space(&self) -> Space {
        Space::Responses
    }
}

#[test]
fn linear_map_flips_at_two_over_lambda_and_follows_the_closed_form() {
    let field = Linear {
        lambda: -4.0,
        centre: 1.5,
    };
    let gd = OptimiserMap::GradientDescent { step: 0.1 };
    let mut settings = OrbitDiagramSettings::linear(0.1, 0.6, 11, 0);
    settings.transient = 20;
    settings.points = 8;
    let d = orbit_diagram(&field, &gd, &[1.5], &settings).unwrap();
    assert_eq!(d.lambda_min, -4.0);
    assert!(
        (d.predicted_flip - 0.5).abs() <= 1e-15 * 0.5,
        "{}",
        d.predicted_flip
    );
    let e0 = start_next_to(&[1.5])[0] - 1.5;
    for c in &d.columns {
        let r: f64 = 1.0 + c.step * field.lambda;
        // Within 20 + 8 steps nothing diverges; every kept point is the closed form, to the
        // rounding of each step (≤ 2.5 ε per step) amplified by at most |r|^k.
        assert_eq!(c.diverged_at, None, "h = {}", c.step);
        assert_eq!(c.points.len(), 8);
        for (i, p) in c.points.iter().enumerate() {
            let k = (settings.transient + 1 + i) as i32;
            let exact = 1.5 + r.powi(k) * e0;
            let tolerance = 4.0 * k as f64 * r.abs().powi(k).max(1.0) * 2.5 * f64::EPSILON;
            assert!(
                (p - exact).abs() <= tolerance,
                "h = {}: {p} vs {exact}",
                c.step
            );
        }
    }
    // Past the flip the iterates grow like |r|^k e₀ until the divergence bound 10¹⁰⁰.
    for h in [0.55, 0.6, 0.8] {
        let r: f64 = 1.0 + h * field.lambda;
        let s = OrbitDiagramSettings {
            steps: vec![h],
            coordinate: 0,
            transient: 5000,
            points: 4,
        };
        let c = &orbit_diagram(&field, &gd, &[1.5], &s).unwrap().columns[0];
        let at = c
            .diverged_at
            .unwrap_or_else(|| panic!("h = {h}: not diverged"));
        let expected = ((1e100 / e0).ln() / r.abs().ln()).ceil() as usize;
        assert!(at.abs_diff(expected) <= 1, "h = {h}: {at} vs {expected}");
        assert!(c.points.is_empty());
    }
    // At exactly h* = 0.5 the map is x ↦ c − (x − c): a period-2 orbit c ± e₀, neither
    // converging nor diverging.
    let flip = d
        .columns
        .iter()
        .find(|c| (c.step - 0.5).abs() < 1e-12)
        .unwrap();
    assert_eq!(flip.diverged_at, None);
    for (i, p) in flip.points.iter().enumerate() {
        let sign = if (settings.transient + 1 + i).is_multiple_of(2) {
            1.0
        } else {
            -1.0
        };
        assert!((p - (1.5 + sign * e0)).abs() < 1e-15, "{p}");
    }
}

fn toy() -> FeatureModel {
    FeatureModel::two_feature_toy(4.0, 2.0, 0.3)
        .unwrap()
        .with_regulariser(Regulariser::L2 { lambda: 0.01 })
        .unwrap()
}

#[test]
fn toy_shows_z_star_below_and_the_period_two_orbit_above_the_flip() {
    let model = toy();
    let z = find_equilibrium(&model, None, &EquilibriumOptions::default())
        .unwrap()
        .point;
    let field = build_flow(&model, Space::Responses).unwrap();
    let mut jac = DMatrix::zeros(2, 2);
    field.jacobian(&z, &mut jac);
    // Second method for λ_min: the 2 × 2 closed form tr/2 − √(tr²/4 − det) (real: J = −η S² H
    // is similar to a symmetric negative definite matrix).
    let (tr, det) = (jac[(0, 0)] + jac[(1, 1)], jac.determinant());
    let rate = -(tr / 2.0 - (tr * tr / 4.0 - det).sqrt());
    let flip = 2.0 / rate;
    let gd = OptimiserMap::GradientDescent { step: flip };
    for coordinate in [0, 1] {
        let settings = OrbitDiagramSettings {
            steps: vec![0.95 * flip, 1.05 * flip],
            coordinate,
            transient: 20_000,
            points: 16,
        };
        let d = orbit_diagram(field.as_ref(), &gd, &z, &settings).unwrap();
        assert!((d.predicted_flip - flip).abs() < 1e-12 * flip);
        let below = &d.columns[0];
        assert!(
            below
                .points
                .iter()
                .all(|p| (p - z[coordinate]).abs() < 1e-9),
            "{below:?}"
        );
        let above = &d.columns[1];
        // Newton's guess: 2000 iterates from next to z*, moved off the cycle by 1e−2.
        let map = gd.with_step(above.step);
        let mut guess = start_next_to(&z);
        let mut f = vec![0.0; 2];
        for _ in 0..2000 {
            map.advance(field.as_ref(), &mut guess, &mut f);
        }
        for v in guess.iter_mut() {
            *v += 1e-2 * (1.0 + v.abs());
        }
        let orbit = period_two_orbit(field.as_ref(), &map, &guess, 1e-13, 100).unwrap();
        assert!(orbit.is_proper(1e-6), "{orbit:?}");
        assert!(orbit.spectral_radius() < 0.9, "{orbit:?}");
        let (a, b) = (orbit.points[0][coordinate], orbit.points[1][coordinate]);
        for p in &above.points {
            let gap = (p - a).abs().min((p - b).abs());
            assert!(gap < 1e-8, "z{}: {p} vs the orbit {a}, {b}", coordinate + 1);
        }
        // Both points of the orbit are visited.
        assert!(above.points.iter().any(|p| (p - a).abs() < 1e-8));
        assert!(above.points.iter().any(|p| (p - b).abs() < 1e-8));
    }
    let hb = OptimiserMap::HeavyBall {
        step: 0.1,
        momentum: 0.5,
    };
    let d = orbit_diagram(
        field.as_ref(),
        &hb,
        &z,
        &OrbitDiagramSettings::linear(0.1, 0.2, 2, 0),
    )
    .unwrap();
    assert!((d.predicted_flip - 3.0 / rate).abs() < 1e-12 * flip);
    assert_eq!((d.method, d.momentum), ("heavy_ball", 0.5));
}

#[test]
fn bad_settings_name_the_field() {
    let field = Linear {
        lambda: -1.0,
        centre: 0.0,
    };
    let gd = OptimiserMap::GradientDescent { step: 0.1 };
    let mut s = OrbitDiagramSettings::linear(0.1, 1.0, 3, 0);
    s.steps[1] = f64::NAN;
    assert_eq!(
        orbit_diagram(&field, &gd, &[0.0], &s).unwrap_err().field,
        "steps"
    );
    let s = OrbitDiagramSettings::linear(0.1, 1.0, 3, 1);
    assert_eq!(
        orbit_diagram(&field, &gd, &[0.0], &s).unwrap_err().field,
        "coordinate"
    );
    let s = OrbitDiagramSettings::linear(0.1, 1.0, 3, 0);
    let unstable = Linear {
        lambda: 1.0,
        centre: 0.0,
    };
    assert_eq!(
        orbit_diagram(&unstable, &gd, &[0.0], &s).unwrap_err().field,
        "equilibrium"
    );
}
