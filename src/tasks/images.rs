//! `run` of an image experiment (the paper's Table 1 and Figure 4 on Colored MNIST): for each
//! restart its environments are drawn once and every method trains on them (restarts one after
//! the other, each step's matrix products on all cores); the table, curves, Figure 4's variants
//! and the figures are written as one output set. `run --shard k/N` trains every N-th
//! (restart, method) unit into a shard file and `merge` assembles the shards into the same
//! outputs (one task of a Slurm job array per shard).

use std::path::Path;
use std::time::Instant;

use super::progress::Progress;
use super::run::figure_files;
use super::{Outcome, line};
use crate::error::{Error, InputError};
use crate::images::{
    ColouredSplit, Rendering, ResponsePrediction, RestartRecord, accuracy_and_entropy,
    train_restart,
};
use crate::output::OutputFile;
use crate::result::{
    IMAGE_SHARD_FORMAT, ImageExperimentData, ImageShardFile, MethodCurves, PAPER_TABLE,
    PredictedResponses, ResponseCurves, RestartRow, Summary, TableRow, VariantCell, VariantsRecord,
    finite, image_document, image_shard_file_name, table_csv, table_latex, table_markdown,
};
use crate::spec::{ImagePlan, Spec};
use crate::sweep::shard::spec_hash;

/// File suffixes of the table written besides the document.
pub const TABLE_SUFFIXES: [&str; 3] = [".table.csv", ".table.md", ".table.tex"];

/// Trains every method of `plan` over its restarts and returns the files to write.
pub fn image_experiment(
    spec: &Spec,
    plan: &ImagePlan,
    progress: &dyn Progress,
) -> Result<Outcome<'static>, Error> {
    let start = Instant::now();
    let units = units_of_shard(plan, None);
    let (records, last_split) = train_units(plan, &units, progress)?;
    assemble(spec, plan, records, last_split, start)
}

/// A unit of work: (restart index, method index) into the plan's seeds and methods.
pub type Unit = (usize, usize);

/// The units of shard k of n (all units for `None`), in the unsharded order (restart by
/// restart, methods in the spec's order): unit u = restart · methods + method goes to shard
/// u mod n + 1, so that every shard gets its share of every method.
pub fn units_of_shard(plan: &ImagePlan, shard: Option<(usize, usize)>) -> Vec<Unit> {
    let m = plan.methods.len();
    (0..plan.seeds.len() * m)
        .filter(|u| shard.is_none_or(|(k, n)| u % n == k - 1))
        .map(|u| (u / m, u % m))
        .collect()
}

/// Trains `units` (given in unit order; each restart's environments drawn once), returning
/// their records in that order and the split of the last restart trained.
fn train_units(
    plan: &ImagePlan,
    units: &[Unit],
    progress: &dyn Progress,
) -> Result<(Vec<RestartRecord>, Option<ColouredSplit>), Error> {
    let protocol = plan.data.protocol();
    let total = plan.seeds.len();
    let mut records = Vec::with_capacity(units.len());
    let mut last_split = None;
    for (k, &seed) in plan.seeds.iter().enumerate() {
        let methods: Vec<usize> = units
            .iter()
            .filter(|(restart, _)| *restart == k)
            .map(|&(_, m)| m)
            .collect();
        if methods.is_empty() {
            continue;
        }
        let split = protocol.build(&plan.images, seed)?;
        for m in methods {
            let run = &plan.methods[m];
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
            records.push(record);
        }
        last_split = Some(split);
    }
    Ok((records, last_split))
}

/// The outputs of an experiment from the records of all its units (in unit order; the last
/// restart's with their networks): table, curves, Figure 4 on `last_split` (rebuilt when
/// `None`), the document and the figures.
fn assemble(
    spec: &Spec,
    plan: &ImagePlan,
    all: Vec<RestartRecord>,
    last_split: Option<ColouredSplit>,
    start: Instant,
) -> Result<Outcome<'static>, Error> {
    let mut records: Vec<Vec<RestartRecord>> = vec![Vec::new(); plan.methods.len()];
    for (record, (_, m)) in all.into_iter().zip(units_of_shard(plan, None)) {
        records[m].push(record);
    }
    let last_split = match (last_split, plan.seeds.last()) {
        (Some(split), _) => Some(split),
        (None, Some(&seed)) if plan.variants => {
            Some(plan.data.protocol().build(&plan.images, seed)?)
        }
        _ => None,
    };
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
            linearised: predicted(rs, indices.len()),
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

/// The restarts' linearised predictions averaged on their common times (None unless every
/// restart has one).
fn predicted(rs: &[RestartRecord], tracked: usize) -> Option<PredictedResponses> {
    let predictions: Vec<&ResponsePrediction> = rs
        .iter()
        .map(|r| r.prediction.as_ref())
        .collect::<Option<_>>()?;
    let first = predictions.first()?;
    let features = (0..tracked)
        .map(|i| {
            (0..first.times.len())
                .map(|s| {
                    let v: Vec<f64> = predictions
                        .iter()
                        .map(|p| {
                            p.responses
                                .get(s)
                                .and_then(|z| z.get(i))
                                .copied()
                                .unwrap_or(f64::NAN)
                        })
                        .collect();
                    Summary::of(&v).mean
                })
                .collect()
        })
        .collect();
    Some(PredictedResponses {
        sd: first.sd,
        times: first.times.clone(),
        features,
    })
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

/// `run --shard k/n` of an image experiment: trains the units of shard k
/// ([`units_of_shard`]) into `NAME.image-shard-k-of-n.json`, or reports that a complete shard
/// file of this spec is already in `out` (then nothing is trained).
pub fn image_shard(
    spec: &Spec,
    plan: &ImagePlan,
    shard: (usize, usize),
    out: &Path,
    progress: &dyn Progress,
) -> Result<Outcome<'static>, Error> {
    let (k, n) = shard;
    let start = Instant::now();
    let name = image_shard_file_name(&spec.name, k, n);
    let hash = spec_hash(&spec.raw);
    let units = units_of_shard(plan, Some(shard));
    if let Ok(existing) = read_shard(&out.join(&name))
        && existing.spec_hash == hash
        && existing.records.len() == units.len()
    {
        return Ok(Outcome {
            files: Vec::new(),
            report: format!(
                "shard {k}/{n} of {} is already done ({}); skipping\n",
                spec.name,
                out.join(&name).display()
            ),
        });
    }
    let (mut records, _) = train_units(plan, &units, progress)?;
    let last = plan.seeds.len() - 1;
    for (record, &(restart, _)) in records.iter_mut().zip(&units) {
        if restart != last {
            record.network.parameters = Vec::new();
        }
    }
    let file = ImageShardFile {
        format: IMAGE_SHARD_FORMAT.into(),
        spec_hash: hash,
        shard: k,
        of: n,
        records,
    };
    let report = format!(
        "shard {k}/{n}: {} of {} units (restart × method) in {:.1} s → {name}\n",
        units.len(),
        plan.seeds.len() * plan.methods.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(Outcome {
        files: vec![OutputFile::json(name, &file)],
        report,
    })
}

/// Checks `--shard k/n` against an image plan: n at most its number of units.
pub fn check_image_shard(plan: &ImagePlan, shard: (usize, usize)) -> Result<(), InputError> {
    let units = plan.seeds.len() * plan.methods.len();
    if shard.1 > units {
        return Err(InputError::new(
            "--shard",
            format!(
                "N = {} is more than the experiment's {units} units (restarts × methods); use N ≤ {units}",
                shard.1
            ),
        ));
    }
    Ok(())
}

/// Reads one shard file (format and shape checked; not yet matched to a spec).
fn read_shard(path: &Path) -> Result<ImageShardFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let file: ImageShardFile = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    if file.format != IMAGE_SHARD_FORMAT {
        return Err(format!(
            "format {:?}, expected {IMAGE_SHARD_FORMAT:?}",
            file.format
        ));
    }
    Ok(file)
}

/// `merge` of an image experiment: reads every `NAME.image-shard-k-of-N.json` in `out` (all N
/// of them, made from this spec, each holding its units exactly once) and returns the outputs
/// of an unsharded run. Errors name the file and what to do.
pub fn image_merge(spec: &Spec, plan: &ImagePlan, out: &Path) -> Result<Outcome<'static>, Error> {
    let start = Instant::now();
    let prefix = format!("{}.image-shard-", spec.name);
    let mut found: Vec<(usize, usize, std::path::PathBuf)> = Vec::new();
    let entries = std::fs::read_dir(out).map_err(|e| {
        InputError::new(
            "--out",
            format!(
                "cannot read {}: {e}; give the folder the shards were written to",
                out.display()
            ),
        )
    })?;
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".json"))
        else {
            continue;
        };
        let parsed = rest
            .split_once("-of-")
            .and_then(|(k, n)| Some((k.parse::<usize>().ok()?, n.parse::<usize>().ok()?)));
        if let Some((k, n)) = parsed {
            found.push((k, n, entry.path()));
        }
    }
    let Some(&(_, n, _)) = found.first() else {
        return Err(InputError::new(
            "--out",
            format!(
                "{} holds no shard of {} ({prefix}K-of-N.json); run `starvation run SPEC --shard k/N` for every k first",
                out.display(),
                spec.name
            ),
        )
        .into());
    };
    if let Some((_, other, path)) = found.iter().find(|(_, m, _)| *m != n) {
        return Err(InputError::new(
            "--out",
            format!(
                "{} is a shard of {other}, others are of {n}; keep the shards of one split only",
                path.display()
            ),
        )
        .into());
    }
    found.sort_by_key(|(k, _, _)| *k);
    for k in 1..=n {
        if !found.iter().any(|(j, _, _)| *j == k) {
            return Err(InputError::new(
                "--out",
                format!(
                    "shard {k} of {n} is missing ({}); run `starvation run SPEC --shard {k}/{n}` first",
                    image_shard_file_name(&spec.name, k, n)
                ),
            )
            .into());
        }
    }
    let hash = spec_hash(&spec.raw);
    let total = plan.seeds.len() * plan.methods.len();
    let mut slots: Vec<Option<RestartRecord>> = vec![None; total];
    let methods = plan.methods.len();
    for (k, _, path) in &found {
        let file = read_shard(path).map_err(|e| {
            InputError::new(
                path.display().to_string(),
                format!("is not an intact image shard: {e}; rerun that shard"),
            )
        })?;
        if file.spec_hash != hash || file.shard != *k || file.of != n {
            return Err(InputError::new(
                path.display().to_string(),
                "was made from another spec or split; rerun that shard with this spec",
            )
            .into());
        }
        let units = units_of_shard(plan, Some((*k, n)));
        if file.records.len() != units.len() {
            return Err(InputError::new(
                path.display().to_string(),
                format!(
                    "holds {} records, but shard {k}/{n} has {} units; rerun that shard",
                    file.records.len(),
                    units.len()
                ),
            )
            .into());
        }
        for (record, (restart, m)) in file.records.into_iter().zip(units) {
            if record.seed != plan.seeds[restart] || record.method != plan.methods[m].name {
                return Err(InputError::new(
                    path.display().to_string(),
                    format!(
                        "holds {} · seed {} where {} · seed {} belongs; rerun that shard",
                        record.method, record.seed, plan.methods[m].name, plan.seeds[restart]
                    ),
                )
                .into());
            }
            slots[restart * methods + m] = Some(record);
        }
    }
    let records: Vec<RestartRecord> = slots.into_iter().flatten().collect();
    let mut outcome = assemble(spec, plan, records, None, start)?;
    line(
        &mut outcome.report,
        format!("merged {n} shards of {}", spec.name),
    );
    Ok(outcome)
}
