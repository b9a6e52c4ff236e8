//! Claim (issue 18, point 3; issue 22, point 7): "an orbit-diagram figure kind (the attractor's
//! points against h, density-shaded, with the predicted flip h* = 2/|λ_min| of the Jacobian at
//! z* marked)": `starvation equilibrium simulations/orbit_diagram_toy.json` draws the flip at
//! 2/|λ_min| (gradient descent) and 2(1 + μ)/|λ_min| (heavy ball), with λ_min the eigenvalue of
//! largest |Re| of the flow's Jacobian at z* — here from a second method, central finite
//! differences of the field and the 2 × 2 eigenvalue formula; every step left of the flip is
//! the single fixed point z*, and just right of it the attractor is the period-2 orbit (two
//! values, apart).
//!
//! Tolerances: central differences with δ = 10⁻⁵·(1 + |z*|) have truncation error O(δ²·f''')
//! ≈ 10⁻¹⁰ and round-off ≈ ε·|f|/δ ≈ 10⁻¹¹ against |λ| ≈ 0.07 and 0.017, so the flip agrees to
//! 10⁻⁷ relative. Left of the flip, at h ≤ 0.99 h*, the map contracts by |1 − h|λ_min|| ≤ 0.98
//! per step (heavy ball: the root modulus of ρ² − (1 + μ − h|λ|)ρ + μ, below 0.995 there)
//! and the 2000-step transient shrinks the 10⁻⁶ start offset below 10⁻¹² — so every kept point
//! equals z*₁ to 10⁻⁹. Right of it, at h ∈ [1.02 h*, 1.05 h*], the period-2 orbit's branches are
//! O(√(h − h*)) apart: more than 10⁻² here.

use crate::common;
use starvation::flow::{Space, build_flow};

/// Eigenvalues (real parts) of a 2 × 2 matrix.
fn eigen_real_parts(a: [[f64; 2]; 2]) -> [f64; 2] {
    let tr = a[0][0] + a[1][1];
    let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
    let disc = tr * tr / 4.0 - det;
    if disc >= 0.0 {
        [tr / 2.0 - disc.sqrt(), tr / 2.0 + disc.sqrt()]
    } else {
        [tr / 2.0, tr / 2.0]
    }
}

#[test]
fn drawn_flip_is_the_jacobian_prediction_and_left_of_it_one_fixed_point() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let spec_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/simulations/orbit_diagram_toy.json"
    );
    let ran = common::run_binary(None, &["equilibrium", spec_path, "--out", out]);
    assert_eq!(ran.code, 0, "{}", ran.both());
    let png = dir.path().join("orbit_diagram_toy.png");
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
    let data: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("orbit_diagram_toy.data.json")).unwrap(),
    )
    .unwrap();

    // The second method: the field's Jacobian at z* by central differences.
    let spec = starvation::spec::read_spec(std::path::Path::new(spec_path)).unwrap();
    let models = spec.expand_models().unwrap();
    assert_eq!(models.len(), 1);
    let model = &models[0].2;
    let panels = data["panels"].as_array().unwrap();
    assert_eq!(panels.len(), 2);
    let z_star: Vec<f64> = panels[0]["diagram"]["equilibrium"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let field = build_flow(model, Space::Responses).unwrap();
    let mut f0 = [0.0; 2];
    field.eval(&z_star, &mut f0);
    assert!(f0.iter().all(|v| v.abs() < 1e-10), "z* is a zero: {f0:?}");
    let mut jac = [[0.0; 2]; 2];
    for i in 0..2 {
        let d = 1e-5 * (1.0 + z_star[i].abs());
        let (mut p, mut m) = (z_star.clone(), z_star.clone());
        p[i] += d;
        m[i] -= d;
        let (mut fp, mut fm) = ([0.0; 2], [0.0; 2]);
        field.eval(&p, &mut fp);
        field.eval(&m, &mut fm);
        for j in 0..2 {
            jac[j][i] = (fp[j] - fm[j]) / (2.0 * d);
        }
    }
    let ev = eigen_real_parts(jac);
    let lambda_min = if ev[0].abs() > ev[1].abs() {
        ev[0]
    } else {
        ev[1]
    };
    assert!(lambda_min < 0.0);

    for (panel, mu) in panels.iter().zip([0.0, 0.5]) {
        let d = &panel["diagram"];
        assert_eq!(d["momentum"].as_f64().unwrap(), mu);
        let flip = d["predicted_flip"].as_f64().unwrap();
        let expected = 2.0 * (1.0 + mu) / lambda_min.abs();
        assert!(
            (flip - expected).abs() <= 1e-7 * expected,
            "{}: drawn flip {flip}, 2(1 + μ)/|λ_min| from finite differences {expected}",
            panel["title"]
        );
        let z1 = z_star[0];
        let columns = d["columns"].as_array().unwrap();
        let (mut left, mut right) = (0, 0);
        for c in columns {
            let h = c["step"].as_f64().unwrap();
            let pts: Vec<f64> = c["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            if h <= 0.99 * flip {
                left += 1;
                assert_eq!(pts.len(), 64);
                for v in &pts {
                    assert!(
                        (v - z1).abs() <= 1e-9 * (1.0 + z1.abs()),
                        "h = {h} < h* = {flip}: point {v} is not z*₁ = {z1}"
                    );
                }
            } else if (1.02 * flip..=1.05 * flip).contains(&h) {
                right += 1;
                let lo = pts.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = pts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                assert!(hi - lo > 1e-2, "h = {h} > h*: spread {}", hi - lo);
                // Two values: every point is at one of the two ends.
                for v in &pts {
                    assert!(
                        (v - lo).abs() < 1e-9 * (1.0 + lo.abs())
                            || (v - hi).abs() < 1e-9 * (1.0 + hi.abs()),
                        "h = {h}: {v} is neither branch ({lo}, {hi})"
                    );
                }
            }
        }
        assert!(
            left > 100 && right > 5,
            "{left} steps left, {right} right of the flip"
        );
    }
}
