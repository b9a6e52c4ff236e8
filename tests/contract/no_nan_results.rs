//! Issue 9, class 6: "No command may exit 0 with a non-finite number where a result should be;
//! one code path decides success for the CLI and the sweep." Claim: models whose equilibrium is
//! not representable in f64 (strengths whose squares overflow or underflow) make `equilibrium`
//! exit 1 with one line and write nothing, the sweep marks the same cell failed (toy fast path
//! and general path alike), and a run whose trajectory overflows exits 1 instead of printing inf.

use crate::common;
use std::path::Path;

fn starvation(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let r = common::run_binary(Some(dir), args);
    (r.code, r.stdout, r.stderr)
}

/// Models (features, regulariser, loss) that gave NaN or infinite numbers with exit 0 before:
/// NaN residual after 0 iterations, −inf or NaN eigenvalues classified as "non_hyperbolic".
const BAD_MODELS: [(&str, &str, &str); 4] = [
    (
        r#"{ "toy": { "s1": 1e-200, "s2": 1e-200, "delta": 0.3 } }"#,
        r#"{ "l2": { "lambda": 1e-300 } }"#,
        "exact",
    ),
    (
        r#"{ "toy": { "s1": 1e155, "s2": 1, "delta": 0.3 } }"#,
        r#"{ "l2": { "lambda": 1e-300 } }"#,
        "quadratic",
    ),
    (
        r#"{ "toy": { "s1": 1e300, "s2": 1e300, "delta": 0.3 } }"#,
        r#"{ "sd": { "lambda": 1e300 } }"#,
        "exact",
    ),
    (
        r#"{ "explicit": { "strengths": [1e200, 1e-200], "coupling": [[1, 0], [0, 1]] } }"#,
        r#"{ "l2": { "lambda": 1e300 } }"#,
        "exact",
    ),
];

fn model(features: &str, regulariser: &str, loss: &str) -> String {
    format!(r#"{{ "features": {features}, "regulariser": {regulariser}, "loss": "{loss}" }}"#)
}

#[test]
fn equilibrium_refuses_non_finite_results() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, (f, r, l)) in BAD_MODELS.iter().enumerate() {
        let spec = format!(r#"{{ "name": "n{i}", "model": {} }}"#, model(f, r, l));
        std::fs::write(tmp.path().join("n.json"), &spec).unwrap();
        let (code, out, err) = starvation(tmp.path(), &["equilibrium", "n.json", "--out", "o"]);
        assert_eq!(code, 1, "{spec}: {out}{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!out.contains("NaN") && !out.contains("inf"), "{out}");
        let written = std::fs::read_dir(tmp.path().join("o")).map_or(0, |d| d.count());
        assert_eq!(written, 0, "{spec}: files written");
    }
}

/// The sweep over one line, the bad model first and a good cell second: the bad cell is failed
/// (empty values), the good one is a result, on the toy fast path and on the general path.
#[test]
fn the_sweep_fails_the_same_cells() {
    let tmp = tempfile::tempdir().unwrap();
    for fast in [true, false] {
        for (i, (f, r, l)) in BAD_MODELS.iter().enumerate() {
            let spec = format!(
                r#"{{ "name": "s", "model": {}, "sweep": {{ "axes": [ {{ "parameter": "rate", "values": [1, 2] }} ], "metrics": ["z", "stability"], "solver": {{ "fast_toy_path": {fast} }} }} }}"#,
                model(f, r, l)
            );
            std::fs::write(tmp.path().join("s.json"), &spec).unwrap();
            let out = format!("o{i}{fast}");
            let (code, _, err) = starvation(tmp.path(), &["sweep", "s.json", "--out", &out]);
            assert_eq!(code, 0, "{err}");
            let csv = std::fs::read_to_string(tmp.path().join(&out).join("s.sweep.csv")).unwrap();
            let rows: Vec<&str> = csv.lines().skip(1).collect();
            assert_eq!(rows.len(), 2);
            for row in rows {
                // rate, z1, z2, max_eigenvalue, min_eigenvalue, status: no number, a failure.
                let cols: Vec<&str> = row.splitn(6, ',').collect();
                assert!(cols[5].starts_with("failed"), "fast {fast}, {spec}: {row}");
                assert!(cols[1..5].iter().all(|c| c.is_empty()), "{row}");
            }
        }
    }
    // A good model on the same line is a result: the failure is the model's, not the sweep's.
    let good = r#"{ "name": "s", "model": { "features": { "toy": { "s1": 3, "s2": 1, "delta": 0.3 } } }, "sweep": { "axes": [ { "parameter": "s1", "values": [1e155, 3] } ], "metrics": ["z", "stability"] } }"#;
    std::fs::write(tmp.path().join("g.json"), good).unwrap();
    let (code, _, err) = starvation(tmp.path(), &["sweep", "g.json", "--out", "g"]);
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(tmp.path().join("g/s.sweep.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(rows[0].contains("failed"), "{}", rows[0]);
    assert!(rows[1].ends_with(",ok"), "{}", rows[1]);
}

#[test]
fn a_trajectory_that_overflows_is_a_numerical_failure() {
    let tmp = tempfile::tempdir().unwrap();
    // s1² = 1e320 overflows: the θ and α flows step to infinite responses; exit 0 with
    // "z = [inf, …]" before.
    for space in ["theta", "alpha"] {
        let spec = format!(
            r#"{{ "name": "r", "model": {{ "features": {{ "toy": {{ "s1": 1e160, "s2": 1, "delta": 0.3 }} }} }}, "simulation": {{ "space": "{space}", "method": "gd", "step": 0.1, "t_end": 1, "output": {{ "count": 3 }} }} }}"#
        );
        std::fs::write(tmp.path().join("r.json"), &spec).unwrap();
        let (code, out, err) = starvation(tmp.path(), &["run", "r.json", "--out", "o"]);
        assert_eq!(code, 1, "{space}: {out}{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("non-finite"), "{err}");
        assert!(!out.contains("inf") && !out.contains("NaN"), "{out}");
        let written = std::fs::read_dir(tmp.path().join("o")).map_or(0, |d| d.count());
        assert_eq!(written, 0);
    }
}

/// The library's verdict is the one both paths call: NaN residuals have not converged, non-finite
/// quantities are named.
#[test]
fn the_verdict_refuses_nan_and_infinity() {
    use starvation::equilibrium::verdict;
    assert!(
        verdict(
            &[1.0, 2.0],
            1e-13,
            3,
            1e-12,
            &[("eigenvalues", &[-1.0, -2.0])]
        )
        .is_ok()
    );
    assert!(verdict(&[1.0, 2.0], f64::NAN, 0, 1e-12, &[]).is_err());
    assert!(verdict(&[1.0, 2.0], 1e-3, 100, 1e-12, &[]).is_err());
    assert!(verdict(&[f64::NAN, 2.0], 0.0, 1, 1e-12, &[]).is_err());
    let e = verdict(
        &[1.0],
        0.0,
        1,
        1e-12,
        &[("eigenvalues", &[f64::NEG_INFINITY])],
    )
    .unwrap_err();
    assert!(e.to_string().contains("eigenvalues"), "{e}");
}
