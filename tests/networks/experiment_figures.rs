//! Claim (issue 11, "Figures 1, 2, 3 regenerated"): an experiment's boundary panels are filled
//! contours of the seed-averaged decision function in ten bands symmetric about 0 with the zero
//! level drawn as the boundary, the training points by class and dashed axes; the dynamics panel
//! draws the seed-averaged |z_k| of the chosen eigen-indices against epochs, line style by run
//! and colour by index; the linearised network's |z| goes to a second figure; and Figure 2's
//! data carry `experiments` with `label`, `margin`, `sd`, `weight_decay`, `epochs`, `features`
//! and `predicted` keyed by eigen-index.
//!
//! The results here are synthetic (known decision functions and responses), so the figures'
//! contents can be checked exactly, independent of training. Set `STARVATION_KEEP_FIGURES=DIR`
//! to keep the rendered PNGs for a look.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use starvation::figures::{BOUNDARY_BANDS, experiment_figures};
use starvation::network::{Architecture, Optimiser, ResponseConvention, Tracking, Training};
use starvation::plot::{Dash, Panel};
use starvation::result::{ExperimentData, ExperimentSummary, GridRecord, SettingRecord};
use starvation::spec::{ExperimentFigureSpec, ExperimentPlan, GridPlan, parse_spec};

const SPEC: &str = r#"{
  "name": "synthetic_fig02",
  "experiment": {
    "tracking": { "indices": [1, 6], "predictions": true },
    "settings": [ { "label": "Δ = −0.1" }, { "label": "Δ = +0.1" }, { "label": "Δ = +0.1, SD" } ],
    "figure": { "columns": 4, "dynamics": { "indices": [1, 6] } }
  }
}"#;

fn training() -> Training {
    Training {
        architecture: Architecture {
            hidden: vec![500],
            dropout: 0.0,
            batch_norm: false,
            parameterisation: starvation::network::Parameterisation::Standard,
        },
        optimiser: Optimiser::Sgd {
            learning_rate: 0.01,
            momentum: 0.9,
        },
        epochs: 100,
        weight_decay: 2e-4,
        sd: 0.0,
        batch_size: None,
        batch_sampling: Default::default(),
        loss: starvation::model::LossModel::Exact,
    }
}

/// A synthetic setting: decision function x − c + a·sin(2y) on the grid, two interleaved arcs
/// of points.
fn setting(label: &str, axis: &[f64], c: f64, a: f64) -> SettingRecord {
    let mut f = Vec::new();
    for &y in axis {
        for &x in axis {
            f.push(Some(3.0 * (x - c + a * (2.0 * y).sin())));
        }
    }
    let mut points = Vec::new();
    let mut labels = Vec::new();
    for i in 0..60 {
        let t = std::f64::consts::PI * i as f64 / 59.0;
        let y = if i % 2 == 0 { 1.0 } else { -1.0 };
        points.extend([0.3 * y + 0.4 * t.sin() * y, 1.5 * t.cos()]);
        labels.push(y);
    }
    SettingRecord {
        label: label.into(),
        parameters: json!({}),
        training: training(),
        examples: labels.len(),
        parameter_count: 2001,
        seeds: (0..10).collect(),
        points,
        labels,
        epochs: vec![0, 50, 100],
        loss: vec![Some(0.69), Some(0.3), Some(0.1)],
        final_loss: vec![Some(0.1); 10],
        accuracy: vec![Some(1.0); 10],
        mean_accuracy: Some(1.0),
        decision_function: Some(f),
        responses: None,
        wall_seconds: 0.0,
    }
}

fn summary(label: &str, scale: f64) -> ExperimentSummary {
    let epochs: Vec<usize> = (0..=100).collect();
    let curve = |k: f64| -> Vec<Option<f64>> {
        epochs
            .iter()
            .map(|&t| Some(scale * k * (1.0 - (-(t as f64) / 30.0).exp())))
            .collect()
    };
    let features = BTreeMap::from([("1".to_string(), curve(2.0)), ("6".to_string(), curve(0.5))]);
    let predicted = BTreeMap::from([("1".to_string(), curve(2.1)), ("6".to_string(), curve(0.6))]);
    ExperimentSummary {
        label: label.into(),
        margin: Some(0.1),
        sd: 0.0,
        weight_decay: 2e-4,
        epochs: 100,
        recorded_epochs: epochs,
        features,
        predicted: Some(predicted),
        flow: None,
        map: None,
    }
}

fn synthetic() -> (starvation::spec::Spec, ExperimentPlan, ExperimentData) {
    let spec = parse_spec(SPEC).expect("valid spec");
    let grid = GridPlan {
        lo: -2.0,
        hi: 2.0,
        resolution: 100,
    };
    let axis = grid.axis();
    let figure: ExperimentFigureSpec =
        serde_json::from_value(spec.raw["experiment"]["figure"].clone()).expect("figure options");
    let frame = figure
        .frame()
        .check("experiment.figure", &spec.name)
        .expect("a valid frame");
    let plan = ExperimentPlan {
        settings: Vec::new(),
        tracking: Some(Tracking {
            indices: vec![1, 6],
            convention: ResponseConvention::Kernel,
            every: 1,
            predictions: true,
            sde: None,
        }),
        grid: Some(grid),
        figure,
        frame,
    };
    let data = ExperimentData {
        name: spec.name.clone(),
        description: String::new(),
        grid: Some(GridRecord {
            axis: axis.clone(),
            layout: "x fastest",
        }),
        settings: vec![
            setting("Δ = −0.1", &axis, 0.0, 0.0),
            setting("Δ = +0.1", &axis, 0.2, 0.0),
            setting("Δ = +0.1, SD", &axis, 0.0, 0.4),
        ],
        experiments: vec![
            summary("Δ = −0.1", 1.0),
            summary("Δ = +0.1", 2.0),
            summary("Δ = +0.1, SD", 1.5),
        ],
        width_gap: None,
        notes: Vec::new(),
    };
    (spec, plan, data)
}

#[test]
fn boundary_panels_are_ten_symmetric_bands_with_the_zero_level_as_boundary() {
    let (spec, plan, data) = synthetic();
    let figs = experiment_figures(&spec, &plan, &data).expect("figures");
    assert_eq!(figs.len(), 2, "the figure and the predictions figure");
    let main = &figs[0];
    assert_eq!(
        main.figure.panels.len(),
        4,
        "three boundaries and the dynamics"
    );
    for (p, s) in main.figure.panels[..3].iter().zip(&data.settings) {
        let Panel::HeatMap(h) = p else {
            panic!("a boundary panel is a heat map")
        };
        assert_eq!(h.title, s.label);
        assert_eq!(h.filled_levels.len(), BOUNDARY_BANDS + 1);
        let (lo, hi) = (h.filled_levels[0], h.filled_levels[BOUNDARY_BANDS]);
        assert!((lo + hi).abs() < 1e-12, "symmetric about 0: {lo}, {hi}");
        assert_eq!(h.diverging_centre, Some(0.0));
        // The boundary is the thick solid black curve: for f = 3(x − c) it is x = c.
        let boundary = h
            .curves
            .iter()
            .find(|c| c.dash == Dash::Solid && !c.markers && c.width > 2.0)
            .expect("a boundary curve");
        let c = if s.label == "Δ = +0.1" { 0.2 } else { 0.0 };
        if s.label != "Δ = +0.1, SD" {
            // Inside the grid (the line is closed half a cell outside it, where it is clipped).
            for (x, _) in boundary.points.iter().filter(|p| p.1.abs() <= 2.0) {
                assert!((x - c).abs() < 1e-9, "{}: boundary at x = {x}", s.label);
            }
        }
        assert!(
            h.curves.iter().filter(|c| c.dash == Dash::Dashed).count() == 2,
            "dashed axes at 0"
        );
        assert!(
            h.curves.iter().filter(|c| c.markers).count() >= 2,
            "points by class"
        );
    }
    let Panel::Lines(d) = &main.figure.panels[3] else {
        panic!("the dynamics panel is a line panel")
    };
    assert_eq!(d.series.len(), 6, "3 runs × 2 indices");
    let dashes: Vec<Dash> = d.series.iter().map(|s| s.dash).collect();
    assert_eq!(dashes[0], dashes[1], "one run, one line style");
    assert_ne!(dashes[0], dashes[2], "another run, another style");
    assert_eq!(d.series[0].colour, d.series[2].colour, "colour by index");
    assert_ne!(d.series[0].colour, d.series[1].colour);
    keep(&figs);
}

#[test]
fn figure_two_data_carry_the_experiments_block() {
    let (spec, plan, data) = synthetic();
    let figs = experiment_figures(&spec, &plan, &data).expect("figures");
    let exps = figs[0].data["experiments"].as_array().expect("experiments");
    assert_eq!(exps.len(), 3);
    for e in exps {
        for key in ["label", "margin", "sd", "weight_decay", "epochs"] {
            assert!(e.get(key).is_some(), "{key} missing in {e}");
        }
        for block in ["features", "predicted"] {
            let m = e[block].as_object().expect(block);
            for k in ["1", "6"] {
                let v = m[k].as_array().expect("a list per eigen-index");
                assert_eq!(v.len(), 101, "one value per recorded epoch");
                assert!(v.iter().all(Value::is_number));
            }
        }
    }
}

/// Writes the PNGs into `STARVATION_KEEP_FIGURES` when set.
fn keep(figs: &[starvation::figures::FigureOutput]) {
    if let Ok(dir) = std::env::var("STARVATION_KEEP_FIGURES") {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).expect("folder");
        for f in figs {
            starvation::output::save_figure(&f.figure, &dir.join(format!("{}.png", f.stem)))
                .expect("png");
            starvation::output::save_figure(&f.figure, &dir.join(format!("{}.svg", f.stem)))
                .expect("svg");
        }
    }
}
