//! `run` of a spec with an `experiment` section: train every setting's networks over its seeds,
//! average the decision function and the responses over seeds, and write
//! `NAME.experiment.json` with the figures as one output set.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use super::progress::{Meter, Progress};
use super::run::figure_files;
use super::{Outcome, line};
use crate::error::{Error, SolveError};
use crate::network::{TrainingRecord, train_seeds_each};
use crate::output::OutputFile;
use crate::result::{
    ExperimentData, ExperimentSummary, GAP_DEFINITION, GridRecord, SettingRecord, WidthGapRecord,
    experiment_document, fit_power_law, mean_finite, mean_rows, responses_record, width_gap_csv,
    width_gap_series,
};
use crate::spec::{DataSpec, ExperimentFigureKind, ExperimentPlan, SettingPlan, Spec};

/// One progress stage per seed of a setting, begun when the seed starts and ended when its
/// epochs are done.
struct SeedMeters<'a> {
    progress: &'a dyn Progress,
    label: String,
    seeds: &'a [u64],
    epochs: u64,
    meters: Vec<Mutex<SeedMeter<'a>>>,
}

/// Epochs a seed has reported, and its stage while it trains.
type SeedMeter<'a> = (u64, Option<Box<dyn Meter + 'a>>);

impl<'a> SeedMeters<'a> {
    fn new(progress: &'a dyn Progress, settings: usize, i: usize, s: &'a SettingPlan) -> Self {
        SeedMeters {
            progress,
            label: format!("setting {}/{settings} {}", i + 1, short_label(&s.label)),
            seeds: &s.seeds,
            epochs: s.training.epochs as u64,
            meters: s.seeds.iter().map(|_| Mutex::new((0, None))).collect(),
        }
    }

    fn advance(&self, k: usize, epochs: u64) {
        let Some(slot) = self.meters.get(k) else {
            return;
        };
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        let (done, meter) = &mut *slot;
        if *done >= self.epochs {
            return;
        }
        let meter = meter.get_or_insert_with(|| {
            self.progress.stage(
                &format!(
                    "seed {} ({}/{}) · {}",
                    self.seeds[k],
                    k + 1,
                    self.seeds.len(),
                    self.label,
                ),
                self.epochs,
                "epochs",
            )
        });
        meter.advance(epochs);
        *done += epochs;
        if *done >= self.epochs {
            slot.1 = None;
        }
    }
}

/// A setting's label cut to 24 characters for a progress label.
fn short_label(label: &str) -> String {
    if label.chars().count() <= 24 {
        return label.to_string();
    }
    let mut s: String = label.chars().take(23).collect();
    s.push('…');
    s
}

/// The checked plan of a spec's `experiment` section (what `check` validates).
pub fn experiment_plan(spec: &Spec) -> Result<ExperimentPlan, Error> {
    Ok(spec.experiment_plan()?)
}

/// Trains every setting of `plan` (from [`experiment_plan`] of `spec`), reporting one
/// [`Progress`] stage per setting and seed (in epochs) as it trains, and returns the document
/// and figures to write.
pub fn experiment(
    spec: &Spec,
    plan: &ExperimentPlan,
    progress: &dyn Progress,
) -> Result<Outcome<'static>, Error> {
    let start = Instant::now();
    let grid_points = plan.grid.as_ref().map(|g| g.points());
    let mut settings = Vec::with_capacity(plan.settings.len());
    let mut experiments = Vec::new();
    for (i, s) in plan.settings.iter().enumerate() {
        let t0 = Instant::now();
        let meters = SeedMeters::new(progress, plan.settings.len(), i, s);
        let records = train_seeds_each(
            &s.dataset,
            &s.training,
            &s.seeds,
            plan.tracking.as_ref(),
            &|k, epochs| meters.advance(k, epochs),
        )?;
        drop(meters);
        let record = setting_record(s, &records, grid_points.as_deref(), t0)?;
        if let Some(r) = &record.responses {
            experiments.push(ExperimentSummary {
                label: s.label.clone(),
                margin: match &s.data {
                    DataSpec::TwoMoons(m) => Some(m.margin),
                    DataSpec::Csv(_) => None,
                },
                sd: s.training.sd,
                weight_decay: s.training.weight_decay,
                epochs: s.training.epochs,
                recorded_epochs: record.epochs.clone(),
                features: r.features.clone(),
                predicted: r.predicted.clone(),
                flow: r.flow.clone(),
                map: r.map.clone(),
            });
        }
        settings.push(record);
    }
    let width_gap = (plan.figure.kind == ExperimentFigureKind::WidthGap).then(|| {
        let widths: Vec<usize> = plan
            .settings
            .iter()
            .map(|s| s.network.hidden.last().copied().unwrap_or(0))
            .collect();
        let gap: Vec<Option<f64>> = settings
            .iter()
            .map(|r| {
                r.responses
                    .as_ref()
                    .and_then(|x| x.gap.as_ref())
                    .and_then(|g| mean_finite(g.iter().flatten().copied()))
            })
            .collect();
        let x: Vec<f64> = widths.iter().map(|&w| w as f64).collect();
        let y: Vec<f64> = gap.iter().map(|g| g.unwrap_or(f64::NAN)).collect();
        let parameterisations: Vec<&'static str> = plan
            .settings
            .iter()
            .map(|s| s.network.parameterisation.name())
            .collect();
        WidthGapRecord {
            definition: GAP_DEFINITION,
            fit: fit_power_law(&x, &y),
            series: width_gap_series(&parameterisations, &widths, &gap),
            parameterisations,
            widths,
            gap,
        }
    });
    let data = ExperimentData {
        name: spec.name.clone(),
        description: spec.description.clone(),
        grid: plan.grid.as_ref().map(|g| GridRecord {
            axis: g.axis(),
            layout: "decision_function[j * resolution + i] is at (axis[i], axis[j])",
        }),
        settings,
        experiments,
        width_gap,
        notes: vec![
            "loss is the mean training loss (the setting's training.loss, the logistic loss by default) with its SD term (without weight decay), averaged over seeds at the recorded epochs".into(),
            "responses.features[k] is the seed-averaged |z_k| (k counting from 0) of the real network at the recorded epochs; predicted: the linearised network trained the same way; map: the optimiser's exact map on the outputs (SGD; equals predicted to round-off); flow: the z-flow with the matched time scale (the h → 0 limit); index_gaps: per index and epoch |a − b|/|b|".into(),
        ],
    };
    let figures = crate::figures::experiment_figures(spec, plan, &data)?;
    let wall = start.elapsed().as_secs_f64();
    let mut report = String::new();
    for r in &data.settings {
        line(
            &mut report,
            format!(
                "{:<36} {} seeds × {} epochs  loss {}  accuracy {}  ({:.1} s)",
                r.label,
                r.seeds.len(),
                r.training.epochs,
                r.loss
                    .last()
                    .copied()
                    .flatten()
                    .map_or("—".into(), |v| format!("{v:.4}")),
                r.mean_accuracy.map_or("—".into(), |v| format!("{v:.3}")),
                r.wall_seconds
            ),
        );
    }
    if let Some(g) = &data.width_gap {
        for (w, v) in g.widths.iter().zip(&g.gap) {
            line(
                &mut report,
                format!(
                    "width {w:>6}: gap {}",
                    v.map_or("—".into(), |v| format!("{v:.3e}"))
                ),
            );
        }
        if let Some(f) = g.fit {
            line(
                &mut report,
                format!(
                    "fitted gap ≈ {:.4} · w^{:.3} (the w^−0.5 bound is the NTK parameterisation's)",
                    f.prefactor, f.exponent
                ),
            );
        }
        for s in &g.series {
            let slopes: Vec<String> = s
                .local_slopes
                .iter()
                .map(|l| {
                    format!(
                        "{}→{}: {}",
                        l.from,
                        l.to,
                        l.slope.map_or("—".into(), |v| format!("{v:.2}"))
                    )
                })
                .collect();
            line(
                &mut report,
                format!(
                    "{} local slopes d log gap / d log w: {}{}",
                    s.parameterisation,
                    slopes.join(", "),
                    s.fit
                        .map_or(String::new(), |f| format!(" (fit {:.3})", f.exponent))
                ),
            );
        }
    }
    let stochastic_csv = stochastic_csv(&data);
    if let Some(summary) = stochastic_summary(&data) {
        for l in summary {
            line(&mut report, l);
        }
    }
    let width_csv = data.width_gap.as_ref().map(width_gap_csv);
    let doc = experiment_document(spec.source(), data, wall);
    let mut files = vec![OutputFile::json(
        format!("{}.experiment.json", spec.name),
        &doc,
    )];
    if let Some(csv) = width_csv {
        files.push(OutputFile::bytes(
            format!("{}.width_gap.csv", spec.name),
            csv.into_bytes(),
        ));
    }
    line(
        &mut report,
        format!("wrote {}.experiment.json ({wall:.1} s)", spec.name),
    );
    if let Some(csv) = stochastic_csv {
        files.push(OutputFile::bytes(
            format!("{}.stochastic.csv", spec.name),
            csv.into_bytes(),
        ));
        line(&mut report, format!("wrote {}.stochastic.csv", spec.name));
    }
    figure_files(&figures, &mut files, &mut report);
    Ok(Outcome { files, report })
}

/// `NAME.stochastic.csv` (settings with `tracking.sde`): one row per setting, index and recorded
/// epoch with the mean and spread of |z_k| of the real networks, the stochastic map and the SDE
/// (empty cells where a value is missing).
fn stochastic_csv(data: &ExperimentData) -> Option<String> {
    let mut out = String::from(
        "setting,batch_size,batch_sampling,sd,index,epoch,real_mean,real_spread,map_mean,map_spread,sde_mean,sde_spread\n",
    );
    let mut any = false;
    let cell = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:e}"));
    for s in &data.settings {
        let Some(st) = s.responses.as_ref().and_then(|r| r.stochastic.as_ref()) else {
            continue;
        };
        any = true;
        let label = format!("\"{}\"", s.label.replace('"', "\"\""));
        let batch = s
            .training
            .batch_size
            .map_or(s.examples, |b| b.min(s.examples));
        for (k, real_mean) in &st.real.mean {
            let at = |m: &BTreeMap<String, Vec<Option<f64>>>, r: usize| {
                m.get(k).and_then(|v| v.get(r).copied().flatten())
            };
            for (r, epoch) in s.epochs.iter().enumerate() {
                out.push_str(&format!(
                    "{label},{batch},{},{},{k},{epoch},{},{},{},{},{},{}\n",
                    match s.training.batch_sampling {
                        crate::network::BatchSampling::Reshuffle => "reshuffle",
                        crate::network::BatchSampling::Independent => "independent",
                    },
                    s.training.sd,
                    cell(real_mean.get(r).copied().flatten()),
                    cell(at(&st.real.spread, r)),
                    cell(st.map.as_ref().and_then(|m| at(&m.mean, r))),
                    cell(st.map.as_ref().and_then(|m| at(&m.spread, r))),
                    cell(at(&st.sde.mean, r)),
                    cell(at(&st.sde.spread, r)),
                ));
            }
        }
    }
    any.then_some(out)
}

/// Report lines: per setting with `tracking.sde`, the worst relative gap of the SDE's and the
/// map's means to the real networks' and their mean spread ratios.
fn stochastic_summary(data: &ExperimentData) -> Option<Vec<String>> {
    let mut lines = Vec::new();
    let f = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.3}"));
    for s in &data.settings {
        let Some(st) = s.responses.as_ref().and_then(|r| r.stochastic.as_ref()) else {
            continue;
        };
        for (k, g) in &st.sde_mean_gap {
            lines.push(format!(
                "{:<36} k = {k}: mean gap to real: SDE {} map {}; spread / real spread: SDE {} map {}",
                s.label,
                f(*g),
                f(st.map_mean_gap.as_ref().and_then(|m| m.get(k).copied().flatten())),
                f(st.sde_spread_ratio.get(k).copied().flatten()),
                f(st.map_spread_ratio.as_ref().and_then(|m| m.get(k).copied().flatten())),
            ));
        }
    }
    (!lines.is_empty()).then_some(lines)
}

/// One setting's results from its seeds' training records.
fn setting_record(
    s: &SettingPlan,
    records: &[TrainingRecord],
    grid: Option<&[f64]>,
    t0: Instant,
) -> Result<SettingRecord, Error> {
    let diverged = |what: &str| {
        Error::Solve(SolveError::Backend {
            method: s.label.clone(),
            message: format!(
                "{what} is not finite after training (the training diverged); use a smaller learning rate or fewer epochs"
            ),
        })
    };
    let final_loss: Vec<f64> = records
        .iter()
        .map(|r| r.loss.last().copied().unwrap_or(f64::NAN))
        .collect();
    if final_loss.iter().any(|l| !l.is_finite()) {
        return Err(diverged("the training loss"));
    }
    let decision_function = match grid {
        Some(points) => {
            let per_seed: Vec<Vec<f64>> = records
                .iter()
                .map(|r| r.network.decision_function(points))
                .collect();
            if per_seed.iter().flatten().any(|v| !v.is_finite()) {
                return Err(diverged("the decision function"));
            }
            let refs: Vec<&[f64]> = per_seed.iter().map(Vec::as_slice).collect();
            Some(mean_rows(&refs))
        }
        None => None,
    };
    let losses: Vec<&[f64]> = records.iter().map(|r| r.loss.as_slice()).collect();
    let accuracy: Vec<Option<f64>> = records
        .iter()
        .map(|r| crate::result::finite(r.accuracy))
        .collect();
    let parameters = serde_json::json!({
        "data": s.data,
        "network": s.network,
        "training": s.training_spec,
    });
    Ok(SettingRecord {
        label: s.label.clone(),
        parameters,
        training: s.training.clone(),
        examples: s.dataset.len(),
        parameter_count: s.parameters(),
        seeds: s.seeds.clone(),
        points: s.dataset.points.clone(),
        labels: s.dataset.labels.clone(),
        epochs: records
            .first()
            .map(|r| r.epochs.clone())
            .unwrap_or_default(),
        loss: mean_rows(&losses),
        final_loss: final_loss
            .iter()
            .map(|&l| crate::result::finite(l))
            .collect(),
        mean_accuracy: mean_finite(accuracy.iter().flatten().copied()),
        accuracy,
        decision_function,
        responses: responses_record(records),
        wall_seconds: t0.elapsed().as_secs_f64(),
    })
}
