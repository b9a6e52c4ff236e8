//! Thresholds of a sweep (issue "Parallel parameter sweeps"): "a threshold lies inside its
//! bracket and the classified regime differs on its two sides; on the toy, the threshold of
//! dz₂*/d(s₁²) = 0 is found at s₁ = s₂ for every δ in (0, 0.7)" (docs/theory.md §5, the sign law:
//! dz₂*/d(s₁²) vanishes exactly at s₁ = s₂).

use starvation::equilibrium::closed_form::uncoupled_response;
use starvation::equilibrium::{EquilibriumOptions, find_equilibrium};
use starvation::model::{FeatureModel, LossModel, Regulariser};
use starvation::spec::parse_spec;
use starvation::sweep::{SweepPlan, ThresholdStatus, run_lines};

fn plan(text: &str) -> SweepPlan {
    starvation::spec::sweep_plan(&parse_spec(text).unwrap()).unwrap()
}

#[test]
fn starvation_sign_change_is_at_equal_strengths() {
    // s1 grid deliberately misses s2 = 2 so every threshold needs refinement.
    let p = plan(
        r#"{
      "name": "sign_change",
      "model": { "features": { "toy": { "s1": 1.0, "s2": 2.0, "delta": 0.5 } } },
      "sweep": {
        "axes": [
          { "parameter": "lambda", "values": [0.001, 0.01, 0.1] },
          { "parameter": "delta", "values": { "linspace": { "start": 0.01, "stop": 0.69, "count": 35 } } },
          { "parameter": "s1", "values": { "linspace": { "start": 0.55, "stop": 7.95, "count": 38 } } }
        ],
        "metrics": [ "starvation_matrix" ],
        "thresholds": [ { "metric": "M21", "level": 0.0, "precision": 1e-10 } ]
      }
    }"#,
    );
    let r = run_lines(&p, 0..p.lines(), true, &|_| {});
    let mut worst = 0.0f64;
    for l in &r.lines {
        assert_eq!(l.thresholds[0].len(), 1, "one crossing per line");
        let t = &l.thresholds[0][0];
        assert_eq!(t.status, ThresholdStatus::Found, "line {}: {:?}", l.line, t);
        worst = worst.max((t.value - 2.0).abs());
        assert!(t.bracket[0] <= t.value && t.value <= t.bracket[1]);
        assert!(t.precision <= 1e-10);
        // Opposite regimes on the two sides, or M21 = 0 exactly at the value (rounding makes
        // a₁ = a₂ bit for bit within ~1e−13 of s₁ = s₂).
        assert!(
            t.sides[0] * t.sides[1] < 0.0 || (t.precision == 0.0 && t.sides == [0.0, 0.0]),
            "{t:?}"
        );
    }
    println!("{} lines: max |s1* − s2| = {worst:.2e}", r.lines.len());
    assert!(worst <= 1e-9);
}

#[test]
fn half_starvation_threshold_separates_regimes() {
    let p = plan(
        r#"{
      "name": "half",
      "model": { "features": { "toy": { "s1": 2.0, "s2": 2.0, "delta": 0.3 } }, "regulariser": { "l2": { "lambda": 0.01 } } },
      "sweep": {
        "axes": [
          { "parameter": "delta", "values": [0.1, 0.2, 0.3] },
          { "parameter": "s1", "values": { "logspace": { "start": 2.0, "stop": 100.0, "count": 30 } } }
        ],
        "metrics": [ "starvation_ratio" ],
        "thresholds": [ { "metric": "ratio2", "level": 0.5, "precision": 1e-8 } ]
      }
    }"#,
    );
    let r = run_lines(&p, 0..p.lines(), false, &|_| {});
    // Precision 1e−8 in s1 moves ratio2 by ~2e−10, far above the equilibria's accuracy
    // (~1e−13), so the independent evaluation below must see the two regimes.
    let ratio2 = |s1: f64, delta: f64| {
        // Independent of the sweep code: the general Newton solver and the scalar z⁰.
        let m = FeatureModel::two_feature_toy(s1, 2.0, delta)
            .unwrap()
            .with_regulariser(Regulariser::L2 { lambda: 0.01 })
            .unwrap();
        let z = find_equilibrium(&m, None, &EquilibriumOptions::default())
            .unwrap()
            .point;
        z[1] / uncoupled_response(4.0, 0.01, LossModel::Exact)
    };
    for (l, delta) in r.lines.iter().zip([0.1, 0.2, 0.3]) {
        assert_eq!(l.thresholds[0].len(), 1, "one crossing per line");
        let t = &l.thresholds[0][0];
        assert_eq!(t.status, ThresholdStatus::Found, "{t:?}");
        let [lo, hi] = t.bracket;
        assert!(lo <= t.value && t.value <= hi && hi - lo <= 1e-8);
        let (below, above) = (ratio2(lo, delta) - 0.5, ratio2(hi, delta) - 0.5);
        println!(
            "δ = {delta}: threshold s1 = {:.10} in [{lo}, {hi}]; ratio2 − ½ = {below:.2e} / {above:.2e}",
            t.value
        );
        assert!(
            below > 0.0 && above < 0.0,
            "regimes must differ: {below} {above}"
        );
        // Well inside each regime too.
        assert!(ratio2(0.9 * t.value, delta) > 0.5 && ratio2(1.1 * t.value, delta) < 0.5);
    }
}
