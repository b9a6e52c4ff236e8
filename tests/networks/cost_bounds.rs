//! Claim: the work bound also bounds memory. Peak memory is estimated from the spec (networks,
//! tracking, predictions and their records) and refused by `check` before allocation beyond
//! 4 GiB (and the trajectories of a run spec likewise); the cost of tracking and predictions
//! counts in the work bound; large buffers are
//! reserved fallibly, so a refused allocation is an error, not an abort.

use serde_json::{Value, json};

use crate::common;

fn check(spec: &Value) -> common::Ran {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("spec.json"), spec.to_string()).unwrap();
    common::run_binary(Some(dir.path()), &["check", "spec.json"])
}

fn experiment(examples: usize, hidden: usize, epochs: usize, tracking: Option<Value>) -> Value {
    let mut e = json!({
        "data": {"two_moons": {"examples": examples}},
        "network": {"hidden": [hidden]},
        "training": {"epochs": epochs},
        "seeds": 10,
        "grid": {"resolution": 10}
    });
    if let Some(t) = tracking {
        e["tracking"] = t;
    }
    json!({"name": "cost", "experiment": e})
}

#[test]
fn a_network_too_large_for_memory_is_refused_before_any_work() {
    // 5000 examples through 100 000 hidden units: the activations alone are 4·n·w·8 B ≈ 15 GiB.
    let ran = check(&experiment(5000, 100_000, 1, None));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.starts_with("error: experiment: needs about ")
            && ran.stderr.contains("GiB at its peak"),
        "{}",
        ran.stderr
    );
    assert_eq!(ran.stderr.trim_end().lines().count(), 1);
    // The same network on 50 examples fits.
    assert_eq!(check(&experiment(50, 100_000, 1, None)).code, 0);
}

#[test]
fn predictions_count_in_the_work_bound() {
    // 2.5·10⁶ epochs × 300 examples × 2001 parameters × 10 seeds = 1.5·10¹³ multiply-adds,
    // under the bound of 2·10¹³; training the linearised network as well doubles it.
    let tracking = |predictions: bool| json!({"indices": [1, 2], "every": 100_000, "predictions": predictions});
    let without = check(&experiment(300, 500, 2_500_000, Some(tracking(false))));
    assert_eq!(without.code, 0, "{}", without.stderr);
    let with = check(&experiment(300, 500, 2_500_000, Some(tracking(true))));
    assert_eq!(with.code, 2, "{}", with.stderr);
    assert!(
        with.stderr.contains("with tracking and predictions"),
        "{}",
        with.stderr
    );
}

#[test]
fn a_refused_allocation_is_an_error_not_an_abort() {
    let e = starvation::error::try_zeros(usize::MAX / 16, "a test buffer").unwrap_err();
    assert!(matches!(e, starvation::error::Error::Memory { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("out of memory: a test buffer needs "),
        "{e}"
    );
}

#[test]
fn runs_whose_trajectories_exceed_the_memory_bound_are_refused() {
    // 1000 runs × 10⁶ recorded points × (t, z, z) is about 150 GiB with their tables.
    let values: Vec<f64> = (0..1000).map(|i| 1.0 + 5.0 * i as f64 / 999.0).collect();
    let spec = |count: usize| {
        json!({
            "name": "many_runs",
            "model": {"features": {"toy": {"s1": 6.0, "s2": 2.0, "delta": 0.5}}},
            "simulation": {"t_end": 10, "output": {"count": count}},
            "vary": [{"path": "model.features.toy.s1", "values": values}]
        })
    };
    let ran = check(&spec(1_000_000));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr
            .starts_with("error: simulation.output: the 1000 run(s) would record about "),
        "{}",
        ran.stderr
    );
    assert_eq!(check(&spec(1000)).code, 0);
}

#[test]
fn an_image_experiment_too_large_for_memory_is_refused_by_check() {
    // The paper's protocol (50 000 training images) through two hidden layers of 16 000 units:
    // the full-batch activations alone are 4 · n · Σ widths · 4 B ≈ 24 GiB. Needs the Debian
    // package dataset-fashion-mnist (the test command installs it).
    if !std::path::Path::new("/usr/share/datasets/fashion-mnist").is_dir() {
        panic!("install the Debian package dataset-fashion-mnist (tests/run-all.sh does)");
    }
    let spec = |hidden: usize| {
        json!({
            "name": "wide_images",
            "experiment": {
                "data": {"colored_mnist": {"dataset": "fashion-mnist"}},
                "methods": [{"name": "erm", "steps": 1, "hidden": [hidden, hidden]}],
                "seeds": 1
            }
        })
    };
    let ran = check(&spec(16_000));
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr
            .starts_with("error: experiment.methods: needs about ")
            && ran.stderr.contains("GiB at its peak"),
        "{}",
        ran.stderr
    );
    // The paper's widths fit (about 0.6 GB).
    assert_eq!(check(&spec(300)).code, 0, "{}", check(&spec(300)).stderr);
}
