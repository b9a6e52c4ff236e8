//! Claim (issue 10, point 5: "thresholds along any named axis"): a threshold located along the
//! *first* axis of a 2-D sweep is the same number as the threshold of the transposed sweep,
//! where that axis is the last (line) axis — to 1e−10, the precision both ask for. The two
//! paths share only the pure `locate`: the first evaluates the metric on lines across the grid's
//! lines, the second along them.

use starvation::spec::{parse_spec, sweep_plan};
use starvation::sweep::{SweepPlan, ThresholdStatus};

fn plan(axes: &str, along: &str) -> SweepPlan {
    let text = format!(
        r#"{{
      "name": "transposed",
      "model": {{ "features": {{ "toy": {{ "s1": 2.0, "s2": 2.0, "delta": 0.3 }} }},
                 "regulariser": {{ "l2": {{ "lambda": 0.01 }} }} }},
      "sweep": {{
        "axes": {axes},
        "metrics": [ "starvation_ratio" ],
        "thresholds": [ {{ "metric": "ratio2", "level": 0.5, "along": "{along}", "precision": 1e-12 }} ]
      }}
    }}"#
    );
    sweep_plan(&parse_spec(&text).unwrap()).unwrap()
}

#[test]
fn a_threshold_along_the_first_axis_equals_the_transposed_last_axis_threshold() {
    let s1 = r#"{ "parameter": "s1", "values": { "logspace": { "start": 2.0, "stop": 100.0, "count": 17 } } }"#;
    let delta = r#"{ "parameter": "delta", "values": [0.1, 0.2, 0.3, 0.45] }"#;
    // Along the first axis (s1 outer, δ inner) …
    let first = plan(&format!("[{s1}, {delta}]"), "s1");
    assert_eq!(first.thresholds[0].axis, 0);
    let a = first.run(true);
    assert!(a.lines.iter().all(|l| l.thresholds.is_empty()));
    // … and along the last axis of the transposed grid (δ outer, s1 inner).
    let last = plan(&format!("[{delta}, {s1}]"), "s1");
    assert_eq!(last.thresholds[0].axis, 1);
    let b = last.run(false);
    assert!(b.axis_thresholds.is_empty());
    assert_eq!(a.axis_thresholds.len(), 4);
    let (mut worst, mut found) = (0.0f64, 0);
    for (x, l) in a.axis_thresholds.iter().zip(&b.lines) {
        // Line k along s1 fixes δ at its k-th value in both grids.
        assert_eq!(x.line, l.line);
        // One crossing at most on these lines: one record each.
        assert_eq!((x.records.len(), l.thresholds[0].len()), (1, 1));
        let (x, y) = (&x.records[0], &l.thresholds[0][0]);
        assert_eq!(x.status, y.status, "{x:?} vs {y:?}");
        assert_eq!(x.crossings, y.crossings);
        assert_eq!(x.criterion, y.criterion);
        if x.status == ThresholdStatus::Found {
            found += 1;
            worst = worst.max((x.value - y.value).abs());
        }
    }
    println!("{found} thresholds: max |first-axis − transposed last-axis| = {worst:.2e}");
    // δ = 0.1 starves feature 2 by less than half on this s1 range; the other three lines do.
    assert!(found >= 3, "{found}");
    assert!(worst <= 1e-10, "{worst:e}");
}
