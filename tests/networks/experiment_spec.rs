//! Claim (developers' guide, applied to the `experiment` section of issue 11): "Bad input of
//! any kind ends in a one-line error naming the field and the fix, exit status 2, before any
//! work and before any file is written", and `check` rejects whatever `run` would.
//!
//! Each case breaks one field of a small valid experiment spec and runs the binary's `run` and
//! `check` on it: both must exit 2 with one line on standard error that starts with the field's
//! path, and `run` must leave its output folder absent.

use std::path::Path;

use crate::common;
use serde_json::{Value, json};

fn starvation(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let r = common::run_binary(Some(cwd), args);
    (r.code, r.stdout, r.stderr)
}

/// A valid experiment that trains in well under a second.
fn tiny() -> Value {
    json!({
        "name": "tiny_experiment",
        "experiment": {
            "data": { "two_moons": { "examples": 40, "margin": 0.1 } },
            "network": { "hidden": [16] },
            "training": { "epochs": 20 },
            "seeds": 2,
            "tracking": { "indices": [1, 6], "every": 5, "predictions": true },
            "grid": { "resolution": 20 },
            "settings": [
                { "label": "separable" },
                { "label": "interleaved", "data": { "two_moons": { "margin": -0.1 } } }
            ],
            "figure": { "dynamics": { "indices": [1, 6] } }
        }
    })
}

/// Sets the value at a JSON pointer (the parent must exist).
fn set(v: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    match v.pointer_mut(parent).expect("parent exists") {
        Value::Object(m) => {
            m.insert(key.to_string(), value);
        }
        Value::Array(a) => a[key.parse::<usize>().expect("index")] = value,
        _ => panic!("{parent} is not a container"),
    }
}

/// Runs `run` and `check` on `spec`; both must fail with exit 2 and one line naming `field`.
fn rejects(spec: &Value, field: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("spec.json");
    std::fs::write(&path, spec.to_string()).expect("written");
    let out = dir.path().join("out");
    for args in [
        vec!["run", "spec.json", "--out", "out"],
        vec!["check", "spec.json"],
    ] {
        let (code, stdout, stderr) = starvation(&args, dir.path());
        assert_eq!(code, 2, "{args:?} on {field}: {stdout}{stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line, got {stderr:?}");
        assert!(
            lines[0].starts_with(&format!("error: {field}:")) || lines[0].starts_with(field),
            "{args:?}: expected the field {field}, got {:?}",
            lines[0]
        );
    }
    assert!(!out.exists(), "nothing may be written for {field}");
}

#[test]
fn the_tiny_spec_is_valid() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("spec.json"), tiny().to_string()).expect("written");
    let (code, stdout, stderr) = starvation(&["check", "spec.json"], dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("an experiment of 2 settings"), "{stdout}");
}

#[test]
fn unknown_fields_are_named() {
    let mut s = tiny();
    set(&mut s, "/experiment/training/epoch", json!(3));
    rejects(&s, "experiment.training.epoch");
    let mut s = tiny();
    set(&mut s, "/experiment/settings/1/netwrk", json!({}));
    rejects(&s, "experiment.settings[1].netwrk");
    let mut s = tiny();
    set(&mut s, "/experiment/colour", json!(1));
    rejects(&s, "experiment.colour");
}

#[test]
fn unknown_loss_and_parameterisation_names_are_refused() {
    // Issue 19: a loss or parameterisation name that does not exist is refused by `check`
    // and `run` before any work, exit 2, one line naming the field where it was written.
    let mut s = tiny();
    set(&mut s, "/experiment/training/loss", json!("hinge"));
    rejects(&s, "experiment.training.loss");
    let mut s = tiny();
    set(
        &mut s,
        "/experiment/settings/1/network",
        json!({"parameterisation": "mup"}),
    );
    rejects(&s, "experiment.settings[1].network.parameterisation");
    let mut s = tiny();
    set(&mut s, "/experiment/network/parameterisation", json!("NTK"));
    rejects(&s, "experiment.network.parameterisation");
    // The names that exist pass.
    let mut s = tiny();
    set(&mut s, "/experiment/training/loss", json!("smooth_hinge"));
    set(&mut s, "/experiment/network/parameterisation", json!("ntk"));
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("spec.json"), s.to_string()).expect("written");
    let (code, stdout, stderr) = starvation(&["check", "spec.json"], dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn out_of_range_values_are_named_where_they_were_written() {
    let cases: [(&str, Value, &str); 9] = [
        ("/experiment/seeds", json!(0), "experiment.seeds"),
        (
            "/experiment/network/hidden",
            json!([]),
            "experiment.network.hidden",
        ),
        (
            "/experiment/network/dropout",
            json!(1.0),
            "experiment.network.dropout",
        ),
        (
            "/experiment/training/epochs",
            json!(0),
            "experiment.training.epochs",
        ),
        (
            "/experiment/training/weight_decay",
            json!(-1),
            "experiment.training.weight_decay",
        ),
        (
            "/experiment/grid/resolution",
            json!(1),
            "experiment.grid.resolution",
        ),
        (
            "/experiment/grid/range",
            json!([2, -2]),
            "experiment.grid.range",
        ),
        (
            "/experiment/tracking/indices",
            json!([1, 40]),
            "experiment.tracking.indices[1]",
        ),
        (
            "/experiment/data/two_moons/examples",
            json!(1),
            "experiment.data.two_moons.examples",
        ),
    ];
    for (pointer, value, field) in cases {
        let mut s = tiny();
        set(&mut s, pointer, value);
        rejects(&s, field);
    }
    // An override is named in its setting; the base in the base.
    let mut s = tiny();
    set(
        &mut s,
        "/experiment/settings/1/training",
        json!({"optimiser": {"sgd": {"momentum": 1.5}}}),
    );
    rejects(&s, "experiment.settings[1].training.optimiser.sgd.momentum");
    let mut s = tiny();
    set(
        &mut s,
        "/experiment/settings/0/training",
        json!({"optimiser": {"adam": {"learning_rate": 0}}}),
    );
    rejects(
        &s,
        "experiment.settings[0].training.optimiser.adam.learning_rate",
    );
}

#[test]
fn structural_mistakes_are_named() {
    let mut s = tiny();
    set(&mut s, "/experiment/settings/0", json!({"seeds": 3}));
    rejects(&s, "experiment.settings[0].label");
    let mut s = tiny();
    set(&mut s, "/experiment/settings/1/label", json!("separable"));
    rejects(&s, "experiment.settings[1].label");
    let mut s = tiny();
    set(&mut s, "/simulation", json!({"t_end": 1}));
    rejects(&s, "simulation");
    let mut s = tiny();
    set(
        &mut s,
        "/experiment/data",
        json!({"csv": {"path": "missing.csv"}}),
    );
    rejects(&s, "experiment.data.csv.path");
    let mut s = tiny();
    set(&mut s, "/experiment/figure/dynamics/indices", json!([2]));
    rejects(&s, "experiment.figure.dynamics.indices[0]");
    let mut s = tiny();
    s["experiment"]
        .as_object_mut()
        .expect("object")
        .remove("tracking");
    rejects(&s, "experiment.figure.dynamics");
}

#[test]
fn work_beyond_the_bound_is_refused_with_a_way_forward() {
    let mut s = tiny();
    set(&mut s, "/experiment/network/hidden", json!([2000, 2000]));
    set(&mut s, "/experiment/training/epochs", json!(1_000_000));
    s["experiment"]
        .as_object_mut()
        .expect("object")
        .remove("tracking");
    s["experiment"]["figure"]
        .as_object_mut()
        .expect("object")
        .remove("dynamics");
    rejects(&s, "experiment");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("spec.json"), s.to_string()).expect("written");
    let (_, _, stderr) = starvation(&["check", "spec.json"], dir.path());
    assert!(stderr.contains("fewer epochs"), "{stderr}");
}

/// Issue 19's bad input: a batch size of 0 or larger than the data, an SDE without predictions
/// or with too few paths, and an SDE step beyond Euler–Maruyama's stability bound h·|λ_max| < 2
/// (here a learning rate of 2 with momentum 0.9: h = 20, far beyond 2/|λ_max|) are refused by
/// `check` and `run` with one line naming the field; a valid minibatch spec with the SDE checks.
#[test]
fn minibatch_and_sde_input_is_checked() {
    let mut s = tiny();
    set(&mut s, "/experiment/training/batch_size", json!(0));
    rejects(&s, "experiment.training.batch_size");
    let mut s = tiny();
    set(
        &mut s,
        "/experiment/settings/1/training",
        json!({"batch_size": 41}),
    );
    rejects(&s, "experiment.settings[1].training.batch_size");
    let mut s = tiny();
    set(&mut s, "/experiment/training/batch_size", json!(8));
    set(&mut s, "/experiment/tracking/sde", json!({"paths": 1}));
    rejects(&s, "experiment.tracking.sde.paths");
    let mut s = tiny();
    set(&mut s, "/experiment/tracking/predictions", json!(false));
    set(&mut s, "/experiment/tracking/sde", json!({}));
    set(&mut s, "/experiment/figure", json!({}));
    rejects(&s, "experiment.tracking.sde");
    let mut s = tiny();
    set(&mut s, "/experiment/training/batch_size", json!(8));
    set(&mut s, "/experiment/tracking/sde", json!({"paths": 4}));
    set(
        &mut s,
        "/experiment/training/optimiser",
        json!({"sgd": {"learning_rate": 2.0}}),
    );
    rejects(&s, "experiment.tracking.sde.substeps");
    let mut s = tiny();
    set(&mut s, "/experiment/figure/kind", json!("stochastic"));
    rejects(&s, "experiment.figure.kind");
    // Valid: minibatches with the SDE and its figure.
    let mut s = tiny();
    set(&mut s, "/experiment/training/batch_size", json!(8));
    set(&mut s, "/experiment/tracking/sde", json!({"paths": 4}));
    set(&mut s, "/experiment/figure/kind", json!("stochastic"));
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("spec.json"), s.to_string()).expect("written");
    let (code, stdout, stderr) = starvation(&["check", "spec.json"], dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
}
