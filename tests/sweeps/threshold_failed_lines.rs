//! Claim (issue 9, class 6): "Thresholds on lines where every cell failed are `failed`, not
//! `not_found`" — along the last axis and along any other axis; a line with valid cells but no
//! crossing stays `not_found`.

use starvation::spec::{parse_spec, sweep_plan};
use starvation::sweep::ThresholdStatus;

#[test]
fn lines_where_every_cell_failed_have_failed_thresholds() {
    // δ = 1.5 makes U(δ) undefined: every cell with it fails. On the other δ lines ratio2 never
    // reaches 0.01 over s1 ∈ [1, 3]: not found.
    let plan = sweep_plan(
        &parse_spec(
            r#"{
      "name": "failed_lines",
      "model": { "features": { "toy": { "s1": 2.0, "s2": 2.0, "delta": 0.3 } },
                 "regulariser": { "l2": { "lambda": 0.01 } } },
      "sweep": {
        "axes": [
          { "parameter": "delta", "values": [0.2, 1.5] },
          { "parameter": "s1", "values": [1.0, 2.0, 3.0] }
        ],
        "metrics": [ "starvation_ratio" ],
        "thresholds": [
          { "metric": "ratio2", "level": 0.01 },
          { "metric": "ratio2", "level": 0.01, "along": "delta" }
        ]
      }
    }"#,
        )
        .unwrap(),
    )
    .unwrap();
    let r = plan.run(false);
    let valid = &r.lines[0];
    assert!(valid.cells.iter().all(|c| c.failure.is_none()));
    assert_eq!(valid.thresholds[0][0].status, ThresholdStatus::NotFound);
    let broken = &r.lines[1];
    assert!(broken.cells.iter().all(|c| c.failure.is_some()));
    assert_eq!(broken.thresholds[0][0].status, ThresholdStatus::Failed);
    // Along δ every line has one valid cell (δ = 0.2) and one failed: not a failed line.
    assert_eq!(r.axis_thresholds.len(), 3);
    for a in &r.axis_thresholds {
        assert_eq!(a.records[0].status, ThresholdStatus::NotFound, "{a:?}");
    }
    // A δ axis whose every value fails: every line along it failed.
    let all_bad = sweep_plan(
        &parse_spec(
            r#"{
      "name": "failed_axis",
      "model": { "features": { "toy": { "s1": 2.0, "s2": 2.0, "delta": 0.3 } },
                 "regulariser": { "l2": { "lambda": 0.01 } } },
      "sweep": {
        "axes": [
          { "parameter": "delta", "values": [1.5, 2.5] },
          { "parameter": "s1", "values": [1.0, 2.0] }
        ],
        "metrics": [ "starvation_ratio" ],
        "thresholds": [ { "metric": "ratio2", "level": 0.5, "along": "delta" } ]
      }
    }"#,
        )
        .unwrap(),
    )
    .unwrap()
    .run(true);
    assert_eq!(all_bad.axis_thresholds.len(), 2);
    for a in &all_bad.axis_thresholds {
        assert_eq!(a.records[0].status, ThresholdStatus::Failed, "{a:?}");
    }
}
