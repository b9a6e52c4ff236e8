//! "A failed cell is recorded with its reason and the sweep goes on" (issue "Parallel parameter
//! sweeps"; docs/architecture.md: a sweep never aborts the grid on one bad cell).

use starvation::result::write_sweep_csv;
use starvation::spec::parse_spec;
use starvation::sweep::{run_lines, summary};

#[test]
fn invalid_cells_are_recorded_and_the_rest_is_computed() {
    // δ ≥ 1 makes U(δ) undefined; s1 = 0 is not a strength; λ = 0 has no equilibrium.
    let spec = parse_spec(r#"{
      "name": "invalid",
      "model": { "features": { "toy": { "s1": 2.0, "s2": 2.0, "delta": 0.5 } } },
      "sweep": {
        "axes": [
          { "parameter": "lambda", "values": [0.0, 0.01] },
          { "parameter": "delta", "values": [0.2, 1.0, 1.5] },
          { "parameter": "s1", "values": [0.0, 1.0, 3.0] }
        ],
        "metrics": [ "z", "starvation_ratio", { "time_to_fraction": { "feature": 2, "fraction": 0.9 } } ],
        "thresholds": [ { "metric": "ratio2", "level": 0.5 } ]
      }
    }"#)
    .unwrap();
    let plan = starvation::spec::sweep_plan(&spec).unwrap();
    let result = run_lines(&plan, 0..plan.lines(), true, &|_| {});
    let s = summary(&result);
    assert_eq!(s["cells"], 18);
    let cells: Vec<_> = result.lines.iter().flat_map(|l| &l.cells).collect();
    let ok: Vec<_> = cells.iter().filter(|c| c.failure.is_none()).collect();
    // Valid: λ = 0.01, δ = 0.2, s1 ∈ {1, 3}.
    assert_eq!(ok.len(), 2, "{cells:#?}");
    assert!(ok.iter().all(|c| c.values.iter().all(|v| v.is_finite())));
    assert_eq!(s["failed_cells"], 16);
    let reasons: Vec<String> = cells
        .iter()
        .filter_map(|c| c.failure.as_ref().map(|f| f.to_string()))
        .collect();
    assert!(reasons.iter().any(|r| r.contains("delta")), "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("strengths")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("no equilibrium")),
        "{reasons:?}"
    );
    let mut csv = Vec::new();
    write_sweep_csv(&plan, &result, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 19);
    assert_eq!(csv.lines().filter(|l| l.contains("failed: ")).count(), 16);
}
