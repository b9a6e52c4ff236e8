//! Issue 10, point 9: "n-feature couplings are tedious: the user computed a 5 × 5 matrix
//! exponential by hand and pasted 25 numbers per run; an explicit coupling cannot be swept."
//! Fix claimed: `features.rotation` (identity except U(δ) of M17 in the plane of two features;
//! with n = 2 and plane [1, 2] exactly the toy) and `features.skew_exponential` (U = exp(δ·A),
//! A skew-symmetric, seeded random or given), with δ a sweep axis, a `vary` path and a
//! continuation parameter.

use nalgebra::DMatrix;
use starvation::model::{orthogonality_defect, toy_coupling};
use starvation::spec::build_model;

fn model(features: serde_json::Value) -> Result<starvation::model::FeatureModel, String> {
    build_model(serde_json::json!({ "features": features })).map_err(|e| e.to_string())
}

#[test]
fn a_rotation_of_two_features_is_the_toy_exactly() {
    for delta in [0.0, 0.3, -0.5, 0.9] {
        let m = model(
            serde_json::json!({"rotation": {"strengths": [3, 1], "plane": [1, 2], "delta": delta}}),
        )
        .unwrap();
        assert_eq!(m.coupling(), &toy_coupling(delta));
        assert_eq!(m.feature_strengths(), &[3.0, 1.0]);
        assert_eq!(m.labels(), &[1.0, 1.0]);
    }
}

#[test]
fn a_rotation_of_five_features_turns_one_plane() {
    let m = model(serde_json::json!({"rotation": {"strengths": [5, 4, 3, 2, 1], "plane": [2, 4], "delta": 0.6}}))
        .unwrap();
    let u = m.coupling();
    let mut expected = DMatrix::<f64>::identity(5, 5);
    expected[(1, 1)] = 0.8;
    expected[(3, 3)] = 0.8;
    expected[(1, 3)] = -0.6;
    expected[(3, 1)] = 0.6;
    assert!((u - expected).amax() < 1e-15, "{u}");
    // δ can be set afterwards (what sweeps and continuation do).
    let moved = m.with_toy_coupling(0.28).unwrap();
    assert!((moved.coupling()[(3, 1)] - 0.28).abs() == 0.0);
    assert_eq!(moved.coupling()[(0, 0)], 1.0);
}

#[test]
fn the_exponential_of_a_given_generator_is_a_rotation() {
    let d: f64 = 0.7;
    let m = model(serde_json::json!({"skew_exponential": {"strengths": [2, 1], "delta": d, "generator": {"matrix": [[0, -1], [1, 0]]}}}))
        .unwrap();
    let expected = DMatrix::from_row_slice(2, 2, &[d.cos(), -d.sin(), d.sin(), d.cos()]);
    assert!((m.coupling() - expected).amax() < 1e-14);
}

#[test]
fn a_seeded_generator_gives_an_orthogonal_coupling_for_every_delta() {
    let spec = |d: f64| serde_json::json!({"skew_exponential": {"strengths": [5, 4, 3, 2, 1], "delta": d, "generator": {"seed": 7}}});
    let at_zero = model(spec(0.0)).unwrap();
    assert!((at_zero.coupling() - DMatrix::<f64>::identity(5, 5)).amax() < 1e-15);
    for d in [0.1, 0.5, 2.0] {
        let m = model(spec(d)).unwrap();
        assert!(orthogonality_defect(m.coupling()) < 1e-13);
        // exp(δA) exp(δA) = exp(2δA).
        let twice = model(spec(2.0 * d)).unwrap();
        assert!((m.coupling() * m.coupling() - twice.coupling()).amax() < 1e-12);
    }
    // Same seed, same A.
    assert_eq!(
        model(spec(0.5)).unwrap().coupling(),
        model(spec(0.5)).unwrap().coupling()
    );
}

#[test]
fn bad_generators_are_refused_with_the_field_and_the_fix() {
    let e = model(serde_json::json!({"skew_exponential": {"strengths": [2, 1], "delta": 0.1, "generator": {"matrix": [[0, 1], [1, 0]]}}}))
        .unwrap_err();
    assert!(
        e.contains("model.features.skew_exponential.generator.matrix")
            && e.contains("skew-symmetric"),
        "{e}"
    );
    let e = model(
        serde_json::json!({"rotation": {"strengths": [2, 1], "plane": [1, 3], "delta": 0.1}}),
    )
    .unwrap_err();
    assert!(
        e.contains("features.rotation.plane") && e.contains("[1, 2]"),
        "{e}"
    );
    let e = model(
        serde_json::json!({"rotation": {"strengths": [2, 1], "plane": [1, 2], "delta": 1.2}}),
    )
    .unwrap_err();
    assert!(e.contains("delta") && e.contains("|δ| < 1"), "{e}");
}

/// δ as a sweep axis, a continuation parameter and a vary path on a 5-feature model.
#[test]
fn delta_sweeps_continues_and_varies_on_n_features() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("five.json");
    std::fs::write(
        &spec,
        r#"{ "name": "five",
             "model": { "features": { "skew_exponential": { "strengths": [5, 4, 3, 2, 1], "delta": 0.2, "generator": { "seed": 7 } } } },
             "simulation": { "t_end": 1, "output": { "count": 2 } },
             "vary": [ { "path": "model.features.skew_exponential.delta", "values": [0.1, 0.3] } ],
             "equilibrium": { "continuation": { "parameter": "delta", "values": [0.0, 0.1, 0.2, 0.3] } },
             "sweep": { "axes": [ { "parameter": "delta", "values": [0.0, 0.2, 0.4] } ], "metrics": ["z"] } }"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    for command in ["sweep", "equilibrium", "run"] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_starvation"))
            .args([
                command,
                spec.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let csv = std::fs::read_to_string(out.join("five.sweep.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 3);
    assert_ne!(
        rows[0].split(',').nth(1),
        rows[2].split(',').nth(1),
        "z₁* moves with δ"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("five.equilibrium.json")).unwrap())
            .unwrap();
    let branch = &doc["data"]["models"][0]["branch"]["table"];
    assert_eq!(branch["delta"].as_array().unwrap().len(), 4);
    assert_eq!(
        doc["data"]["models"].as_array().unwrap().len(),
        2,
        "one model per vary value"
    );
}
