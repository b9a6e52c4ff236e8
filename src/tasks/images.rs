//! `run` of an image experiment (the paper's Table 1 and Figure 4 on Colored MNIST): for each
//! restart its environments are drawn once and every method trains on them (restarts one after
//! the other, each step's matrix products on all cores); the table, curves, Figure 4's variants
//! and the figures are written as one output set.

use std::time::Instant;

use super::progress::Progress;
use super::run::figure_files;
use super::{Outcome, line};
use crate::error::Error;
use crate::images::{ColouredSplit, Rendering, RestartRecord, accuracy_and_entropy, train_restart};
use crate::output::OutputFile;
use crate::result::{
    ImageExperimentData, MethodCurves, PAPER_TABLE, ResponseCurves, RestartRow, Summary, TableRow,
    VariantCell, VariantsRecord, finite, image_document, table_csv, table_latex, table_markdown,
};
use crate::spec::{ImagePlan, Spec};

/// File suffixes of the table written besides the document.
pub const TABLE_SUFFIXES: [&str; 3] = [".table.csv", ".table.md", ".table.tex"];

/// Trains every method of `plan` over its restarts and returns the files to write.
pub fn image_experiment(
    spec: &Spec,
    plan: &ImagePlan,
    progress: &dyn Progress,
) -> Result<Outcome<'static>, Error> {
    let start = Instant::now();
    let protocol = plan.data.protocol();
    let mut records: Vec<Vec<RestartRecord>> = vec![Vec::new(); plan.methods.len()];
    let mut last_split: Option<ColouredSplit> = None;
    let total = plan.seeds.len();
    for (k, &seed) in plan.seeds.iter().enumerate() {
        let split = protocol.build(&plan.images, seed)?;
        for (m, run) in plan.methods.iter().enumerate() {
            let meter = progress.stage(
                &format!("{} · seed {seed} ({}/{total})", run.name, k + 1),
                run.steps as u64,
                "steps",
            );
            let record = train_restart(
                &split,
                run,
                seed,
                plan.record_every,
                plan.precision,
                plan.responses.as_ref(),
                &|n| meter.advance(n),
            )?;
            drop(meter);
            records[m].push(record);
        }
        last_split = Some(split);
    }
    let variants = match (&last_split, plan.variants) {
        (Some(split), true) => Some(variants(plan, &records, split)),
        _ => None,
    };
    let table: Vec<TableRow> = plan
        .methods
        .iter()
        .zip(&records)
        .map(|(run, rs)| TableRow {
            method: run.name.clone(),
            train_accuracy: Summary::of(&rs.iter().map(|r| r.train_accuracy).collect::<Vec<_>>()),
            test_accuracy: Summary::of(&rs.iter().map(|r| r.test_accuracy).collect::<Vec<_>>()),
            steps: run.steps,
            hidden: run.hidden.clone(),
            seconds: Summary::of(&rs.iter().map(|r| r.seconds).collect::<Vec<_>>()),
        })
        .collect();
    let curves: Vec<MethodCurves> = plan
        .methods
        .iter()
        .zip(&records)
        .map(|(run, rs)| {
            curves(
                &run.name,
                rs,
                plan.responses.as_ref().map(|t| t.indices.as_slice()),
            )
        })
        .collect();
    let restarts: Vec<RestartRow> = records
        .iter()
        .flatten()
        .map(|r| RestartRow {
            method: r.method.clone(),
            seed: r.seed,
            train_accuracy: finite(r.train_accuracy),
            test_accuracy: finite(r.test_accuracy),
            loss: finite(r.loss),
            seconds: r.seconds,
            seconds_per_step: r.seconds / r.curve.steps.last().map_or(1, |s| s + 1) as f64,
        })
        .collect();
    let seconds_per_step: Vec<(String, f64)> = plan
        .methods
        .iter()
        .map(|run| {
            let rows: Vec<f64> = restarts
                .iter()
                .filter(|r| r.method == run.name)
                .map(|r| r.seconds_per_step)
                .collect();
            (
                run.name.clone(),
                rows.iter().sum::<f64>() / rows.len().max(1) as f64,
            )
        })
        .collect();
    let data = ImageExperimentData {
        name: spec.name.clone(),
        description: spec.description.clone(),
        dataset: plan.data.dataset.clone(),
        data_folder: plan.folder.display().to_string(),
        colored_mnist: plan.data.clone(),
        precision: plan.precision,
        seeds: plan.seeds.clone(),
        table,
        paper_mnist: PAPER_TABLE.to_vec(),
        curves,
        restarts,
        variants,
        notes: vec![
            "table: accuracies are fractions, mean and standard deviation (divisor n, numpy's default as in the IRM code) over restarts, measured at the last step of the protocol's loop (steps − 1 updates)".into(),
            "paper_mnist: the paper's Table 1 on MNIST in percent, for comparison; ours are on the data set named in `dataset`".into(),
            "variants (Figure 4): test images of the last restart rendered as the digit or a blank image of the digit's mean intensity, grey (both channels = image / 2) or coloured (the protocol's); entropy of σ(ŷ) in bits".into(),
        ],
    };
    let figures = crate::figures::image_figures(spec, plan, &data)?;
    let wall = start.elapsed().as_secs_f64();
    let mut report = String::new();
    for r in &data.table {
        let pct = |s: &Summary| {
            format!(
                "{} ± {}",
                s.mean.map_or("—".into(), |v| format!("{:.2}", 100.0 * v)),
                s.sd.map_or("—".into(), |v| format!("{:.2}", 100.0 * v))
            )
        };
        line(
            &mut report,
            format!(
                "{:<8} train {}  test {}  ({} restarts × {} steps, {:.1} s per restart)",
                r.method,
                pct(&r.train_accuracy),
                pct(&r.test_accuracy),
                r.train_accuracy.values.len(),
                r.steps,
                r.seconds.mean.unwrap_or(f64::NAN)
            ),
        );
    }
    let csv = table_csv(&data);
    let md = table_markdown(&data);
    let tex = table_latex(&data);
    let doc = image_document(spec.source(), data, wall, seconds_per_step);
    let name = &spec.name;
    let mut files = vec![
        OutputFile::json(format!("{name}.experiment.json"), &doc),
        OutputFile::bytes(format!("{name}{}", TABLE_SUFFIXES[0]), csv.into_bytes()),
        OutputFile::bytes(format!("{name}{}", TABLE_SUFFIXES[1]), md.into_bytes()),
        OutputFile::bytes(format!("{name}{}", TABLE_SUFFIXES[2]), tex.into_bytes()),
    ];
    line(
        &mut report,
        format!("wrote {name}.experiment.json and {name}.table.{{csv,md,tex}} ({wall:.1} s)"),
    );
    figure_files(&figures, &mut files, &mut report);
    Ok(Outcome { files, report })
}

/// Mean and standard deviation over restarts at each recorded step.
fn curves(method: &str, rs: &[RestartRecord], indices: Option<&[usize]>) -> MethodCurves {
    let steps = rs
        .first()
        .map(|r| r.curve.steps.clone())
        .unwrap_or_default();
    let column =
        |f: &dyn Fn(&RestartRecord, usize) -> f64| -> (Vec<Option<f64>>, Vec<Option<f64>>) {
            (0..steps.len())
                .map(|k| {
                    let v: Vec<f64> = rs.iter().map(|r| f(r, k)).collect();
                    let s = Summary::of(&v);
                    (s.mean, s.sd)
                })
                .unzip()
        };
    let (train, train_sd) =
        column(&|r, k| r.curve.train_accuracy.get(k).copied().unwrap_or(f64::NAN));
    let (test, test_sd) = column(&|r, k| r.curve.test_accuracy.get(k).copied().unwrap_or(f64::NAN));
    let (loss, _) = column(&|r, k| r.curve.loss.get(k).copied().unwrap_or(f64::NAN));
    let responses = indices.map(|indices| {
        let features = (0..indices.len())
            .map(|i| {
                column(&|r, k| {
                    r.curve
                        .responses
                        .get(k)
                        .and_then(|z| z.get(i))
                        .copied()
                        .unwrap_or(f64::NAN)
                })
                .0
            })
            .collect();
        let top = rs.iter().map(|r| r.spectrum.len()).min().unwrap_or(0);
        let spectrum = (0..top)
            .map(|k| Summary::of(&rs.iter().map(|r| r.spectrum[k]).collect::<Vec<_>>()).mean)
            .collect();
        ResponseCurves {
            indices: indices.to_vec(),
            features,
            spectrum,
        }
    });
    MethodCurves {
        method: method.to_string(),
        steps,
        train_accuracy: train,
        train_accuracy_sd: train_sd,
        test_accuracy: test,
        test_accuracy_sd: test_sd,
        loss,
        responses,
    }
}

/// Figure 4: the last restart of each method on the four test variants.
fn variants(
    plan: &ImagePlan,
    records: &[Vec<RestartRecord>],
    split: &ColouredSplit,
) -> Vec<VariantsRecord> {
    plan.methods
        .iter()
        .zip(records)
        .filter_map(|(run, rs)| {
            let last = rs.last()?;
            let cells = [(false, false), (false, true), (true, false), (true, true)]
                .into_iter()
                .map(|(blank, coloured)| {
                    let logits = last
                        .network
                        .logits(&split.test, Rendering { blank, coloured });
                    let (accuracy, entropy) = accuracy_and_entropy(&logits, &split.test.labels);
                    VariantCell {
                        shape: if blank { "blank" } else { "digit" },
                        colour: if coloured { "coloured" } else { "grey" },
                        accuracy: finite(accuracy),
                        entropy_bits: finite(entropy),
                    }
                })
                .collect();
            Some(VariantsRecord {
                method: run.name.clone(),
                seed: last.seed,
                cells,
            })
        })
        .collect()
}
