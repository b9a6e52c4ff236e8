//! Claim (issue 11): an experiment spec "is run by `starvation run SPEC --out DIR` like every
//! other figure spec and by `figures`": a tiny experiment (small width, few epochs, so it takes
//! seconds) runs end to end through the binary and writes `NAME.experiment.json` with, per
//! setting, its label, parameters, seeds, loss, accuracy and the seed-averaged decision function
//! on the grid, plus the figures (PNG, SVG, `.data.json`) as one set; `figures` picks experiment
//! specs up, the shipped Figure 1–3 and width-gap specs included.

use std::path::Path;

use crate::common;
use serde_json::{Value, json};
use starvation::tasks::{FigureSpecKind, figure_specs};

fn starvation(args: &[&str], cwd: &Path) -> (i32, String) {
    let r = common::run_binary(Some(cwd), args);
    (r.code, r.both())
}

fn tiny() -> Value {
    json!({
        "name": "tiny_experiment",
        "experiment": {
            "data": { "two_moons": { "examples": 40, "margin": 0.1 } },
            "network": { "hidden": [16] },
            "training": { "epochs": 30 },
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

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("{}: {e}", path.display());
    }))
    .expect("JSON")
}

#[test]
fn a_tiny_experiment_runs_end_to_end() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("spec.json"), tiny().to_string()).expect("written");
    let (code, log) = starvation(&["run", "spec.json", "--out", "out"], dir.path());
    assert_eq!(code, 0, "{log}");
    let out = dir.path().join("out");
    for f in [
        "tiny_experiment.experiment.json",
        "tiny_experiment.png",
        "tiny_experiment.svg",
        "tiny_experiment.data.json",
        "tiny_experiment_predictions.png",
        "tiny_experiment_predictions.svg",
        "tiny_experiment_predictions.data.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing; log: {log}");
    }
    let doc = read(&out.join("tiny_experiment.experiment.json"));
    let settings = doc["data"]["settings"].as_array().expect("settings");
    assert_eq!(settings.len(), 2);
    for s in settings {
        assert_eq!(s["seeds"], json!([0, 1]));
        let f = s["decision_function"]
            .as_array()
            .expect("decision function");
        assert_eq!(f.len(), 20 * 20, "one value per grid point");
        assert!(f.iter().all(Value::is_number), "finite values only");
        let acc = s["mean_accuracy"].as_f64().expect("accuracy");
        assert!((0.0..=1.0).contains(&acc));
        assert!(s["loss"].as_array().is_some_and(|l| !l.is_empty()));
        assert!(s["parameters"]["training"]["epochs"] == json!(30));
        let z = &s["responses"]["features"];
        assert!(z["1"].is_array() && z["6"].is_array(), "{z}");
    }
    assert_eq!(
        settings[1]["parameters"]["data"]["two_moons"]["margin"],
        json!(-0.1),
        "the override is merged over the base"
    );
    let fig = read(&out.join("tiny_experiment.data.json"));
    assert_eq!(fig["experiments"].as_array().map(Vec::len), Some(2));
}

#[test]
fn figures_picks_experiment_specs_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let specs = dir.path().join("specs");
    std::fs::create_dir(&specs).expect("folder");
    let mut s = tiny();
    s["experiment"]["training"]["epochs"] = json!(5);
    std::fs::write(specs.join("tiny.json"), s.to_string()).expect("written");
    let found = figure_specs(&specs).expect("valid");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].2, FigureSpecKind::Experiment);
    let (code, log) = starvation(
        &["figures", "--specs", "specs", "--out", "plots"],
        dir.path(),
    );
    assert_eq!(code, 0, "{log}");
    assert!(
        dir.path()
            .join("plots/tiny_experiment.experiment.json")
            .is_file()
    );
    assert!(dir.path().join("plots/tiny_experiment.png").is_file());
}

#[test]
fn the_shipped_experiment_specs_are_figure_specs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("simulations");
    let found = figure_specs(&dir).expect("every shipped spec is valid");
    let experiments: Vec<String> = found
        .iter()
        .filter(|(_, _, k)| *k == FigureSpecKind::Experiment)
        .map(|(_, s, _)| s.name.clone())
        .collect();
    for name in [
        "fig01_two_moons",
        "fig02_two_moons_dynamics",
        "fig03_regularisers",
        "network_width_gap",
    ] {
        assert!(
            experiments.iter().any(|n| n == name),
            "{name} not picked up: {experiments:?}"
        );
    }
}
