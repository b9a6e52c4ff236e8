//! Claim (docs/theory.md §5, critical coupling): "At δ = 1/√2, (Uᵀ1)₂ = 0, and z₂* = 0 exactly
//! for every s, λ and regulariser", z₂* > 0 below and < 0 above. So the threshold z₂* = 0 along
//! δ — here the *first* axis of the sweep, not the line axis — is δ = 1/√2 on every line, for
//! every s₁ and for L2 and SD alike (the toy with s₂ = 2, λ = 0.01 of the other threshold tests).

use starvation::spec::{parse_spec, sweep_plan};
use starvation::sweep::ThresholdStatus;

#[test]
fn z2_changes_sign_at_delta_one_over_root_two_along_a_non_last_axis() {
    let plan = sweep_plan(
        &parse_spec(
            r#"{
      "name": "critical",
      "model": { "features": { "toy": { "s1": 2.0, "s2": 2.0, "delta": 0.3 } },
                 "regulariser": { "l2": { "lambda": 0.01 } } },
      "sweep": {
        "axes": [
          { "parameter": "delta", "values": { "linspace": { "start": 0.05, "stop": 0.95, "count": 10 } } },
          { "parameter": "regulariser", "values": [ { "l2": { "lambda": 0.01 } }, { "sd": { "lambda": 0.01 } } ] },
          { "parameter": "s1", "values": [0.5, 1.0, 3.0, 6.0, 12.0] }
        ],
        "metrics": [ "z" ],
        "thresholds": [ { "metric": "z2", "level": 0.0, "along": "delta", "precision": 1e-13 } ]
      }
    }"#,
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(plan.thresholds[0].axis, 0);
    assert_eq!(plan.thresholds[0].criterion, "z2 = 0 along delta");
    let r = plan.run(true);
    // One line along δ per (regulariser, s1).
    assert_eq!(r.axis_thresholds.len(), 10);
    let critical = std::f64::consts::FRAC_1_SQRT_2;
    let mut worst = 0.0f64;
    for a in &r.axis_thresholds {
        assert_eq!(a.records.len(), 1, "line {}: {:?}", a.line, a.records);
        let t = &a.records[0];
        assert_eq!(t.status, ThresholdStatus::Found, "line {}: {t:?}", a.line);
        assert_eq!(t.crossings, 1);
        assert!(t.bracket[0] <= t.value && t.value <= t.bracket[1], "{t:?}");
        worst = worst.max((t.value - critical).abs());
    }
    println!("max |δ* − 1/√2| = {worst:.2e}");
    // z₂* is accurate to ~1e−13 relative and dz₂*/dδ is O(1): δ* to ~1e−12.
    assert!(worst <= 1e-10, "{worst:e}");
}
