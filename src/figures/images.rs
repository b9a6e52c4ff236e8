//! The figures of an image experiment: the training curves of every method (train and test
//! accuracy against steps, mean over restarts) and the paper's Figure 4 (accuracy and mean
//! prediction entropy on the test images as digit / blank × grey / coloured, one row of two
//! heat maps per method); with tracked responses, |z_k| along training beside the linearised
//! network's prediction.

use serde_json::{Map, Value, json};

use super::FigureOutput;
use super::spec::Layout;
use crate::error::InputError;
use crate::images::{PREDICTION_END, PREDICTION_START};
use crate::plot::{Axis, Dash, HeatMapPanel, LinePanel, Marker, Panel, PointClass, Scale, Series};
use crate::result::ImageExperimentData;
use crate::spec::{ImagePlan, OutputNames, Spec, suffix};

/// Stems of the figures: `STEM_curves`, and when asked `STEM_variants` and `STEM_responses`.
fn stems(plan: &ImagePlan) -> (String, Option<String>, Option<String>) {
    (
        format!("{}_curves", plan.stem),
        plan.variants.then(|| format!("{}_variants", plan.stem)),
        plan.responses
            .is_some()
            .then(|| format!("{}_responses", plan.stem)),
    )
}

/// The files `run` writes for an image experiment (names checked).
pub fn image_output_names(spec: &Spec) -> Result<OutputNames, InputError> {
    let plan = spec.image_plan()?;
    let mut names = OutputNames::with_spec_outputs(
        &spec.name,
        &[
            suffix::EXPERIMENT_JSON,
            suffix::TABLE_CSV,
            suffix::TABLE_MD,
            suffix::TABLE_TEX,
        ],
    );
    let (curves, variants, responses) = stems(&plan);
    names.add_figure(&curves, "experiment.figure.stem")?;
    for v in [variants, responses].into_iter().flatten() {
        names.add_figure(&v, "experiment.figure.stem")?;
    }
    Ok(names)
}

fn unit_axis(label: &str) -> Axis {
    Axis {
        label: label.into(),
        range: Some((0.0, 1.0)),
        scale: Scale::Linear,
    }
}

/// The figures of an image experiment.
pub fn image_figures(
    spec: &Spec,
    plan: &ImagePlan,
    data: &ImageExperimentData,
) -> Result<Vec<FigureOutput>, InputError> {
    let (curves_stem, variants_stem, responses_stem) = stems(plan);
    let title = plan.title.clone().unwrap_or_else(|| {
        format!(
            "Colored {} ({} restart{}): accuracy along training, mean over restarts",
            data.dataset,
            data.seeds.len(),
            if data.seeds.len() == 1 { "" } else { "s" }
        )
    });
    let mut out = Vec::new();
    // Curves: one panel for training accuracy, one for test accuracy.
    let mut panels = Vec::new();
    let mut panels_data = Vec::new();
    for (which, label) in [
        ("train", "training environments"),
        ("test", "test environment"),
    ] {
        let mut series = Vec::new();
        let mut last_step = 1.0f64;
        for (m, c) in data.curves.iter().enumerate() {
            let values = if which == "train" {
                &c.train_accuracy
            } else {
                &c.test_accuracy
            };
            let points: Vec<(f64, f64)> = c
                .steps
                .iter()
                .zip(values)
                .map(|(&s, v)| (s as f64, v.unwrap_or(f64::NAN)))
                .collect();
            last_step = last_step.max(c.steps.last().copied().unwrap_or(1) as f64);
            series.push(Series {
                label: Some(c.method.to_uppercase()),
                points,
                colour: m,
                dash: Dash::Solid,
                width: 2.0,
                ..Series::default()
            });
        }
        series.push(Series {
            label: Some("colour-blind optimum 0.75".into()),
            points: vec![(0.0, 0.75), (last_step, 0.75)],
            colour: 7,
            dash: Dash::Dotted,
            width: 1.2,
            ..Series::default()
        });
        panels.push(Panel::Lines(LinePanel {
            title: format!("Accuracy on the {label}"),
            x: Axis {
                label: "step".into(),
                range: Some((0.0, last_step)),
                scale: Scale::Linear,
            },
            y: unit_axis("accuracy"),
            series,
            markers: Vec::new(),
            legend: true,
        }));
        panels_data.push(json!({ "accuracy": which, "curves": data.curves }));
    }
    out.push(FigureOutput::assemble(
        spec,
        curves_stem,
        title.clone(),
        Layout {
            columns: 2,
            width: 1100,
            height: 520,
        },
        panels,
        panels_data,
        Map::new(),
    ));
    // The tangent-kernel responses |z_k| along training, one row per method: the network
    // against steps, and beside it the linearised network's flow against its own time.
    if let Some(stem) = responses_stem {
        let mut panels = Vec::new();
        let mut panels_data = Vec::new();
        let predicted = data
            .curves
            .iter()
            .any(|c| c.responses.as_ref().is_some_and(|r| r.linearised.is_some()));
        for c in &data.curves {
            let Some(r) = &c.responses else { continue };
            let steps: Vec<f64> = c.steps.iter().map(|&s| s as f64).collect();
            panels.push(responses_panel(
                format!(
                    "{}: the network, |z_k| of the tangent kernel's eigen-directions",
                    c.method.to_uppercase()
                ),
                "step",
                Scale::Linear,
                &r.indices,
                &steps,
                &r.features,
            ));
            panels_data.push(json!({ "method": c.method, "steps": c.steps, "responses": r }));
            if !predicted {
                continue;
            }
            match &r.linearised {
                Some(p) => {
                    // The log axis starts at the first time after 0.
                    let times = &p.times[1..];
                    let features: Vec<Vec<Option<f64>>> =
                        p.features.iter().map(|z| z[1..].to_vec()).collect();
                    let loss = if p.sd > 0.0 {
                        format!("BCE + {}·mean(ŷ²)", p.sd)
                    } else {
                        "BCE".to_string()
                    };
                    panels.push(responses_panel(
                        format!(
                            "{}: the linearised network's flow ({loss})",
                            c.method.to_uppercase()
                        ),
                        "flow time λ₀·t",
                        Scale::Log,
                        &r.indices,
                        times,
                        &features,
                    ));
                    panels_data.push(json!({ "method": c.method, "linearised": p }));
                }
                None => {
                    // An empty panel keeps the grid's rows aligned.
                    panels.push(Panel::Lines(LinePanel {
                        title: format!(
                            "{}: no linearised prediction (penalty per environment)",
                            c.method.to_uppercase()
                        ),
                        x: Axis {
                            label: "flow time λ₀·t".into(),
                            range: Some((PREDICTION_START, PREDICTION_END)),
                            scale: Scale::Log,
                        },
                        y: Axis {
                            label: "|z_k| = |u_kᵀ ŷ|".into(),
                            range: Some((1e-3, 1.0)),
                            scale: Scale::Log,
                        },
                        series: Vec::new(),
                        markers: Vec::new(),
                        legend: false,
                    }));
                    panels_data.push(json!({ "method": c.method, "linearised": null }));
                }
            }
        }
        let n = panels.len().max(1);
        let columns = if predicted { 2 } else { n.min(3) };
        let rows = n.div_ceil(columns) as u32;
        out.push(FigureOutput::assemble(
            spec,
            stem,
            format!(
                "Responses along the tangent kernel's eigen-directions at initialisation ({} training images, mean over restarts)",
                plan.responses.as_ref().map_or(0, |t| t.examples)
            ),
            Layout {
                columns,
                width: 520 * columns as u32,
                height: 460 * rows + 40,
            },
            panels,
            panels_data,
            Map::new(),
        ));
    }
    // Figure 4.
    if let (Some(stem), Some(variants)) = (variants_stem, &data.variants) {
        let mut panels = Vec::new();
        let mut panels_data = Vec::new();
        for v in variants {
            for (quantity, label) in [("accuracy", "accuracy"), ("entropy_bits", "entropy (bits)")]
            {
                // Cells: x = colour (0 grey, 1 coloured), y = shape (0 digit, 1 blank), so
                // that the digit row is at the bottom; values row-major with x fastest.
                let mut values = vec![f64::NAN; 4];
                let mut markers = Vec::new();
                for c in &v.cells {
                    let ix = usize::from(c.colour == "coloured");
                    let iy = usize::from(c.shape == "blank");
                    let value = if quantity == "accuracy" {
                        c.accuracy
                    } else {
                        c.entropy_bits
                    }
                    .unwrap_or(f64::NAN);
                    values[iy * 2 + ix] = value;
                    markers.push(Marker {
                        x: ix as f64,
                        y: iy as f64,
                        class: PointClass::Other,
                        colour: 7,
                        label: Some(format!("{value:.2}")),
                    });
                }
                panels.push(Panel::HeatMap(HeatMapPanel {
                    title: format!("{} · {label}", v.method.to_uppercase()),
                    x: Axis {
                        label: "0 = grey · 1 = coloured".into(),
                        range: Some((-0.5, 1.5)),
                        scale: Scale::Linear,
                    },
                    y: Axis {
                        label: "0 = digit · 1 = blank".into(),
                        range: Some((-0.5, 1.5)),
                        scale: Scale::Linear,
                    },
                    x_values: vec![0.0, 1.0],
                    y_values: vec![0.0, 1.0],
                    values,
                    colour_label: label.into(),
                    colour_range: Some((0.0, 1.0)),
                    markers,
                    ..HeatMapPanel::default()
                }));
                panels_data.push(Value::Null);
            }
        }
        let rows = variants.len().max(1) as u32;
        let mut extra = Map::new();
        extra.insert("variants".into(), json!(variants));
        out.push(FigureOutput::assemble(
            spec,
            stem,
            format!(
                "Test images of the last restart: digit or blank (mean intensity), grey or coloured ({})",
                data.dataset
            ),
            Layout {
                columns: 2,
                width: 960,
                height: 420 * rows + 40,
            },
            panels,
            panels_data,
            extra,
        ));
    }
    Ok(out)
}

/// k in subscript digits.
fn subscript(k: usize) -> String {
    k.to_string()
        .chars()
        .map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
        .collect()
}

/// |z_k| of the tracked indices against `x` on a log y axis (non-positive values left out).
fn responses_panel(
    title: String,
    x_label: &str,
    x_scale: Scale,
    indices: &[usize],
    x: &[f64],
    features: &[Vec<Option<f64>>],
) -> Panel {
    let series = indices
        .iter()
        .zip(features)
        .enumerate()
        .map(|(i, (k, z))| Series {
            label: Some(format!("|z{}|", subscript(*k))),
            points: x
                .iter()
                .zip(z)
                .map(|(&s, v)| (s, v.filter(|v| *v > 0.0).unwrap_or(f64::NAN)))
                .collect(),
            colour: i,
            width: 2.0,
            ..Series::default()
        })
        .collect();
    Panel::Lines(LinePanel {
        title,
        x: Axis {
            label: x_label.into(),
            range: None,
            scale: x_scale,
        },
        y: Axis {
            label: "|z_k| = |u_kᵀ ŷ|".into(),
            range: None,
            scale: Scale::Log,
        },
        series,
        markers: Vec::new(),
        legend: true,
    })
}
