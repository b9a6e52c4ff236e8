//! The document of an experiment (`NAME.experiment.json`): per setting its parameters, seeds,
//! loss, accuracy, the seed-averaged decision function on the grid and the seed-averaged
//! responses |z_k| along training (real, linearised network, z-flow), and for width sweeps the
//! gap between the real and the linearised responses with its fitted power law.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{Document, Provenance, Source, finite};
use crate::network::{ResponseConvention, Training, TrainingRecord};

/// What the document's `data` block holds.
#[derive(Debug, Clone, Serialize)]
pub struct ExperimentData {
    /// Spec name.
    pub name: String,
    /// Spec description.
    pub description: String,
    /// The decision-function grid (absent for data with other than 2 coordinates).
    pub grid: Option<GridRecord>,
    /// One entry per setting, in the spec's order.
    pub settings: Vec<SettingRecord>,
    /// Per setting with tracked responses: its key parameters and the seed-averaged |z_k|
    /// (the paper's Figure 2 data).
    pub experiments: Vec<ExperimentSummary>,
    /// The real-vs-linearised gap against width (width sweeps only).
    pub width_gap: Option<WidthGapRecord>,
    /// How to read the numbers.
    pub notes: Vec<String>,
}

/// One setting's responses with its key parameters (Figure 2's `experiments` entries).
#[derive(Debug, Clone, Serialize)]
pub struct ExperimentSummary {
    /// The setting's label.
    pub label: String,
    /// Δ of the two-moons data (None for other data).
    pub margin: Option<f64>,
    /// Spectral decoupling c.
    pub sd: f64,
    /// Weight decay.
    pub weight_decay: f64,
    /// Epochs trained.
    pub epochs: usize,
    /// The epochs at which `features` and `predicted` were recorded.
    pub recorded_epochs: Vec<usize>,
    /// Seed-averaged |z_k| of the real network, keyed by eigen-index (from 0) as a string.
    pub features: BTreeMap<String, Vec<Option<f64>>>,
    /// The same from the linearised network trained the same way.
    pub predicted: Option<BTreeMap<String, Vec<Option<f64>>>>,
    /// The same keys from the theory's z-flow (M7/M8) on the tangent features at
    /// initialisation, time matched to the optimiser (absent for Adam).
    pub flow: Option<BTreeMap<String, Vec<Option<f64>>>>,
    /// The same keys from the optimiser's exact map on the outputs (SGD only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map: Option<BTreeMap<String, Vec<Option<f64>>>>,
}

/// The grid of the decision function.
#[derive(Debug, Clone, Serialize)]
pub struct GridRecord {
    /// Coordinates along x (and y: the grid is square).
    pub axis: Vec<f64>,
    /// Layout of `decision_function`.
    pub layout: &'static str,
}

/// One setting's results.
#[derive(Debug, Clone, Serialize)]
pub struct SettingRecord {
    /// The label (panel title).
    pub label: String,
    /// The data set, network and training as written (merged over the base).
    pub parameters: Value,
    /// The training configuration handed to the engine.
    pub training: Training,
    /// Number of examples n.
    pub examples: usize,
    /// Number of trainable parameters.
    pub parameter_count: usize,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// The training points (row-major, n × d) and labels ±1.
    pub points: Vec<f64>,
    /// The labels.
    pub labels: Vec<f64>,
    /// The recorded epochs (0 = initialisation).
    pub epochs: Vec<usize>,
    /// Seed-averaged training loss at the recorded epochs.
    pub loss: Vec<Option<f64>>,
    /// Final training loss of each seed.
    pub final_loss: Vec<Option<f64>>,
    /// Final training accuracy of each seed.
    pub accuracy: Vec<Option<f64>>,
    /// Mean final training accuracy.
    pub mean_accuracy: Option<f64>,
    /// The seed-averaged decision function on the grid (`grid.layout`).
    pub decision_function: Option<Vec<Option<f64>>>,
    /// Seed-averaged responses along training, when tracked.
    pub responses: Option<ResponsesRecord>,
    /// Wall time of the training, seconds.
    pub wall_seconds: f64,
}

/// Seed-averaged |z_k| along training, keyed by eigen-index (counting from 0, as a string).
#[derive(Debug, Clone, Serialize)]
pub struct ResponsesRecord {
    /// The convention of U and z.
    pub convention: ResponseConvention,
    /// Seed-averaged spectrum (eigenvalues of K or singular values of YJ), descending.
    pub spectrum: Vec<Option<f64>>,
    /// Real network: mean over seeds of |z_k| at each recorded epoch.
    pub features: BTreeMap<String, Vec<Option<f64>>>,
    /// Linearised network trained the same way.
    pub predicted: Option<BTreeMap<String, Vec<Option<f64>>>>,
    /// The optimiser's exact map on the outputs (SGD with or without momentum, weight decay,
    /// SD; absent for Adam): equal to `predicted` to round-off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map: Option<BTreeMap<String, Vec<Option<f64>>>>,
    /// Per-index relative gaps at each recorded epoch (when predicted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_gaps: Option<IndexGaps>,
    /// The z-flow with the matched time scale.
    pub flow: Option<BTreeMap<String, Vec<Option<f64>>>>,
    /// Flow time of each recorded epoch.
    pub flow_time: Option<Vec<Option<f64>>>,
    /// Seed-averaged ‖K_t − K_0‖_F / ‖K_0‖_F at `drift_epochs`.
    pub kernel_drift: Vec<Option<f64>>,
    /// The epochs of `kernel_drift`.
    pub drift_epochs: Vec<usize>,
    /// Gap between real and linearised responses (see [`response_gap`]), per seed.
    pub gap: Option<Vec<Option<f64>>>,
    /// Mean and spread over seeds of the real network and the stochastic map, and of the
    /// minibatch SDE over seeds and paths (when `tracking.sde` was asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stochastic: Option<StochasticRecord>,
}

/// Mean and spread of |z_k| per index (key as in `features`) at each recorded epoch.
#[derive(Debug, Clone, Serialize)]
pub struct MeanSpread {
    /// Mean.
    pub mean: Series,
    /// Standard deviation (n − 1 in the denominator).
    pub spread: Series,
}

/// The stochastic theory against the real networks (theory.md §9).
#[derive(Debug, Clone, Serialize)]
pub struct StochasticRecord {
    /// How the numbers are formed.
    pub definition: &'static str,
    /// Real networks, over seeds.
    pub real: MeanSpread,
    /// The stochastic map of the linearised network (the same batches per seed), over seeds.
    pub map: Option<MeanSpread>,
    /// The SDE, pooled over seeds and paths.
    pub sde: MeanSpread,
    /// Paths per seed.
    pub sde_paths: usize,
    /// The SDE step in the time t = η·steps/(1−μ).
    pub sde_step: Option<f64>,
    /// Per index: max over recorded epochs after the first of |mean_sde − mean_real| / mean_real.
    pub sde_mean_gap: BTreeMap<String, Option<f64>>,
    /// Per index: the same for the map.
    pub map_mean_gap: Option<BTreeMap<String, Option<f64>>>,
    /// Per index: the mean over recorded epochs after the first of spread_sde / spread_real.
    pub sde_spread_ratio: BTreeMap<String, Option<f64>>,
    /// Per index: the same for the map.
    pub map_spread_ratio: Option<BTreeMap<String, Option<f64>>>,
}

/// The definition recorded in [`StochasticRecord`].
pub const STOCHASTIC_DEFINITION: &str = "real and map: mean and sample standard deviation over seeds of |z_k| (each seed its own initialisation and batches); sde: per seed the mean and sample standard deviation over its paths, pooled over seeds (mean of the means; spread = sqrt of the mean over seeds of (spread² + mean²) minus the pooled mean², the spread over all paths of all seeds); gaps and ratios over recorded epochs after the first";

/// Mean and sample standard deviation over seeds of `per_seed[s][r][i]`, keyed by index.
fn mean_spread(indices: &[usize], per_seed: &[&Vec<Vec<f64>>]) -> MeanSpread {
    let mean = mean_by_index(indices, per_seed);
    let mut spread = BTreeMap::new();
    for (i, k) in indices.iter().enumerate() {
        let m = &mean[&k.to_string()];
        let rows = per_seed.first().map_or(0, |p| p.len());
        let values = (0..rows)
            .map(|r| {
                let xs: Vec<f64> = per_seed
                    .iter()
                    .filter_map(|p| p.get(r).and_then(|row| row.get(i)).copied())
                    .filter(|v| v.is_finite())
                    .collect();
                let mu = m.get(r).copied().flatten()?;
                if xs.len() < 2 {
                    return Some(0.0);
                }
                finite(
                    (xs.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (xs.len() - 1) as f64)
                        .sqrt(),
                )
            })
            .collect();
        spread.insert(k.to_string(), values);
    }
    MeanSpread { mean, spread }
}

/// Max over entries after the first of |a − b| / b.
fn worst_relative(a: &[Option<f64>], b: &[Option<f64>]) -> Option<f64> {
    a.iter()
        .zip(b)
        .skip(1)
        .filter_map(|(x, y)| match (x, y) {
            (Some(x), Some(y)) if *y != 0.0 => Some((x - y).abs() / y.abs()),
            _ => None,
        })
        .fold(None, |m: Option<f64>, g| Some(m.map_or(g, |m| m.max(g))))
        .and_then(finite)
}

/// Mean over entries after the first of a / b.
fn mean_ratio(a: &[Option<f64>], b: &[Option<f64>]) -> Option<f64> {
    mean_finite(a.iter().zip(b).skip(1).filter_map(|(x, y)| match (x, y) {
        (Some(x), Some(y)) if *y > 0.0 => Some(x / y),
        _ => None,
    }))
}

/// A number from two series (a model's and the real networks').
type SeriesStatistic = dyn Fn(&[Option<f64>], &[Option<f64>]) -> Option<f64>;

fn stochastic_record(
    indices: &[usize],
    tracks: &[&crate::network::ResponseTrack],
) -> Option<StochasticRecord> {
    let sde: Vec<&crate::network::SdeTrack> =
        tracks.iter().filter_map(|t| t.sde.as_ref()).collect();
    if sde.is_empty() || sde.len() != tracks.len() {
        return None;
    }
    let real: Vec<&Vec<Vec<f64>>> = tracks.iter().map(|t| &t.real).collect();
    let maps: Vec<&Vec<Vec<f64>>> = tracks.iter().filter_map(|t| t.map.as_ref()).collect();
    let real = mean_spread(indices, &real);
    let map = (maps.len() == tracks.len()).then(|| mean_spread(indices, &maps));
    let means: Vec<&Vec<Vec<f64>>> = sde.iter().map(|s| &s.mean).collect();
    let pooled_mean = mean_by_index(indices, &means);
    let second: Vec<Vec<Vec<f64>>> = sde
        .iter()
        .map(|s| {
            s.mean
                .iter()
                .zip(&s.spread)
                .map(|(m, d)| m.iter().zip(d).map(|(m, d)| d * d + m * m).collect())
                .collect()
        })
        .collect();
    let second_refs: Vec<&Vec<Vec<f64>>> = second.iter().collect();
    let pooled_second = mean_by_index(indices, &second_refs);
    let spread: Series = pooled_mean
        .iter()
        .map(|(k, m)| {
            let s2 = &pooled_second[k];
            let v = m
                .iter()
                .zip(s2)
                .map(|(m, s2)| match (m, s2) {
                    (Some(m), Some(s2)) => finite((s2 - m * m).max(0.0).sqrt()),
                    _ => None,
                })
                .collect();
            (k.clone(), v)
        })
        .collect();
    let sde_ms = MeanSpread {
        mean: pooled_mean,
        spread,
    };
    let per_index = |a: &MeanSpread, f: &SeriesStatistic, spread: bool| {
        a.mean
            .keys()
            .map(|k| {
                let (x, y) = if spread {
                    (&a.spread[k], &real.spread[k])
                } else {
                    (&a.mean[k], &real.mean[k])
                };
                (k.clone(), f(x, y))
            })
            .collect::<BTreeMap<_, _>>()
    };
    Some(StochasticRecord {
        definition: STOCHASTIC_DEFINITION,
        sde_mean_gap: per_index(&sde_ms, &worst_relative, false),
        sde_spread_ratio: per_index(&sde_ms, &mean_ratio, true),
        map_mean_gap: map.as_ref().map(|m| per_index(m, &worst_relative, false)),
        map_spread_ratio: map.as_ref().map(|m| per_index(m, &mean_ratio, true)),
        sde_paths: sde[0].paths,
        sde_step: finite(sde[0].step),
        real,
        map,
        sde: sde_ms,
    })
}

/// Per tracked index (key as in `features`) and recorded epoch, the relative gap
/// |a − b| / |b| between seed-averaged responses: the real network against each prediction, and
/// the map against the linearised network (round-off). Unlike the one-number gap, which a norm
/// over indices lets the largest response dominate, these show the starved (small) responses.
#[derive(Debug, Clone, Serialize)]
pub struct IndexGaps {
    /// Real network against the linearised network.
    pub real_vs_linearised: BTreeMap<String, Vec<Option<f64>>>,
    /// Real network against the optimiser's map (SGD only).
    pub real_vs_map: Option<BTreeMap<String, Vec<Option<f64>>>>,
    /// Real network against the z-flow (SGD only).
    pub real_vs_flow: Option<BTreeMap<String, Vec<Option<f64>>>>,
    /// The map against the linearised network: round-off (SGD only).
    pub map_vs_linearised: Option<BTreeMap<String, Vec<Option<f64>>>>,
}

type Series = BTreeMap<String, Vec<Option<f64>>>;

/// |a − b| / |b| key by key and entry by entry (None where either is missing or b = 0).
pub fn relative_series_gap(a: &Series, b: &Series) -> Series {
    a.iter()
        .map(|(k, xs)| {
            let ys = b.get(k).cloned().unwrap_or_default();
            let gaps = xs
                .iter()
                .enumerate()
                .map(|(i, x)| match (x, ys.get(i).copied().flatten()) {
                    (Some(x), Some(y)) if y != 0.0 => finite((x - y).abs() / y.abs()),
                    _ => None,
                })
                .collect();
            (k.clone(), gaps)
        })
        .collect()
}

/// The gap between the real and the linearised network against width.
#[derive(Debug, Clone, Serialize)]
pub struct WidthGapRecord {
    /// Definition of the gap.
    pub definition: &'static str,
    /// Width of the last hidden layer of each setting.
    pub widths: Vec<usize>,
    /// Seed-averaged gap of each setting.
    pub gap: Vec<Option<f64>>,
    /// Least-squares fit of log gap = log a + p log w (over every setting).
    pub fit: Option<PowerLaw>,
    /// The parameterisation of each setting ("standard" or "ntk").
    pub parameterisations: Vec<&'static str>,
    /// One series per parameterisation (in the order of first appearance): its widths and gaps
    /// sorted by width, its own fit and the local slopes between consecutive widths (the log–log
    /// line is curved, so one fitted exponent hides how the slope changes with width).
    pub series: Vec<WidthGapSeries>,
}

/// The gap against width for the settings of one parameterisation.
#[derive(Debug, Clone, Serialize)]
pub struct WidthGapSeries {
    /// "standard" or "ntk".
    pub parameterisation: &'static str,
    /// Widths, increasing.
    pub widths: Vec<usize>,
    /// The gap at each width.
    pub gap: Vec<Option<f64>>,
    /// Least-squares fit of log gap = log a + p log w over this series.
    pub fit: Option<PowerLaw>,
    /// d log gap / d log w between consecutive widths.
    pub local_slopes: Vec<LocalSlope>,
}

/// The slope of the log–log line between two consecutive widths.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LocalSlope {
    /// The smaller width.
    pub from: usize,
    /// The larger width.
    pub to: usize,
    /// (log gap(to) − log gap(from)) / (log to − log from); None when a gap is missing or not
    /// positive.
    pub slope: Option<f64>,
}

/// The local slopes d log gap / d log w between consecutive entries of `widths` (increasing;
/// entries of equal width have no slope between them and are skipped).
pub fn local_slopes(widths: &[usize], gap: &[Option<f64>]) -> Vec<LocalSlope> {
    widths
        .windows(2)
        .zip(gap.windows(2))
        .filter(|(w, _)| w[1] > w[0])
        .map(|(w, g)| LocalSlope {
            from: w[0],
            to: w[1],
            slope: match (g[0], g[1]) {
                (Some(a), Some(b)) if a > 0.0 && b > 0.0 => {
                    finite((b / a).ln() / (w[1] as f64 / w[0] as f64).ln())
                }
                _ => None,
            },
        })
        .collect()
}

/// Groups (parameterisation, width, gap) by parameterisation, sorted by width, with each
/// group's fit and local slopes.
pub fn width_gap_series(
    parameterisations: &[&'static str],
    widths: &[usize],
    gap: &[Option<f64>],
) -> Vec<WidthGapSeries> {
    let mut names: Vec<&'static str> = Vec::new();
    for p in parameterisations {
        if !names.contains(p) {
            names.push(p);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let mut rows: Vec<(usize, Option<f64>)> = parameterisations
                .iter()
                .zip(widths.iter().zip(gap))
                .filter(|(p, _)| **p == name)
                .map(|(_, (w, g))| (*w, *g))
                .collect();
            rows.sort_by_key(|r| r.0);
            let (w, g): (Vec<usize>, Vec<Option<f64>>) = rows.into_iter().unzip();
            let x: Vec<f64> = w.iter().map(|&v| v as f64).collect();
            let y: Vec<f64> = g.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
            WidthGapSeries {
                parameterisation: name,
                fit: fit_power_law(&x, &y),
                local_slopes: local_slopes(&w, &g),
                widths: w,
                gap: g,
            }
        })
        .collect()
}

/// The local slopes of every series as CSV: parameterisation, the two widths, their gaps and
/// the slope (empty cells where missing).
pub fn width_gap_csv(record: &WidthGapRecord) -> String {
    let cell = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:e}"));
    let mut out =
        String::from("parameterisation,width_from,width_to,gap_from,gap_to,local_slope\n");
    for s in &record.series {
        for l in &s.local_slopes {
            let gap_at = |w: usize| s.widths.iter().position(|&x| x == w).and_then(|i| s.gap[i]);
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                s.parameterisation,
                l.from,
                l.to,
                cell(gap_at(l.from)),
                cell(gap_at(l.to)),
                cell(l.slope)
            ));
        }
    }
    out
}

/// A power law gap ≈ a · w^p.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PowerLaw {
    /// Prefactor a.
    pub prefactor: f64,
    /// Exponent p (the theory of the tangent regime: about −1/2).
    pub exponent: f64,
}

/// The definition of [`response_gap`], as recorded in documents.
pub const GAP_DEFINITION: &str = "max over recorded epochs t > 0 of ‖|z|_real(t) − |z|_lin(t)‖₂ / ‖|z|_lin(t)‖₂ over the tracked eigen-indices, per seed, then averaged over seeds";

/// The gap of one seed: max over recorded epochs after the first of
/// ‖real − linearised‖₂ / ‖linearised‖₂ (rows of |z_k| at the tracked indices); None when
/// nothing comparable was recorded.
pub fn response_gap(real: &[Vec<f64>], linearised: &[Vec<f64>]) -> Option<f64> {
    let mut worst: Option<f64> = None;
    for (r, l) in real.iter().zip(linearised).skip(1) {
        let diff: f64 = r.iter().zip(l).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
        let norm: f64 = l.iter().map(|b| b * b).sum::<f64>();
        if norm > 0.0 {
            let g = (diff / norm).sqrt();
            if g.is_finite() {
                worst = Some(worst.map_or(g, |w: f64| w.max(g)));
            }
        }
    }
    worst
}

/// Least-squares line through (ln x, ln y) of the positive finite pairs: y ≈ a x^p (None with
/// fewer than two usable points or equal x).
pub fn fit_power_law(x: &[f64], y: &[f64]) -> Option<PowerLaw> {
    let pts: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite() && **a > 0.0 && **b > 0.0)
        .map(|(a, b)| (a.ln(), b.ln()))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let exponent = sxy / sxx;
    Some(PowerLaw {
        prefactor: (my - exponent * mx).exp(),
        exponent,
    })
}

/// Mean of the finite values (None when there is none).
pub fn mean_finite(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (s, n) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| s / n as f64)
}

/// Element-wise mean over seeds of equally long rows (entries missing in a seed are skipped).
pub fn mean_rows(rows: &[&[f64]]) -> Vec<Option<f64>> {
    let len = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    (0..len)
        .map(|i| mean_finite(rows.iter().filter_map(|r| r.get(i).copied())))
        .collect()
}

/// Seed-averaged |z_k| of one recorded matrix (`m[r][i]`, index `indices[i]`), keyed by index.
fn mean_by_index(
    indices: &[usize],
    per_seed: &[&Vec<Vec<f64>>],
) -> BTreeMap<String, Vec<Option<f64>>> {
    let mut out = BTreeMap::new();
    for (i, k) in indices.iter().enumerate() {
        let columns: Vec<Vec<f64>> = per_seed
            .iter()
            .map(|m| {
                m.iter()
                    .map(|row| row.get(i).copied().unwrap_or(f64::NAN))
                    .collect()
            })
            .collect();
        let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        out.insert(k.to_string(), mean_rows(&refs));
    }
    out
}

/// The seed averages of the responses of `records` (None when none was tracked).
pub fn responses_record(records: &[TrainingRecord]) -> Option<ResponsesRecord> {
    let tracks: Vec<_> = records
        .iter()
        .filter_map(|r| r.responses.as_ref())
        .collect();
    let first = tracks.first()?;
    let indices = &first.indices;
    let real: Vec<&Vec<Vec<f64>>> = tracks.iter().map(|t| &t.real).collect();
    let lin: Vec<&Vec<Vec<f64>>> = tracks
        .iter()
        .filter_map(|t| t.linearised.as_ref())
        .collect();
    let flow: Vec<&Vec<Vec<f64>>> = tracks.iter().filter_map(|t| t.flow.as_ref()).collect();
    let map: Vec<&Vec<Vec<f64>>> = tracks.iter().filter_map(|t| t.map.as_ref()).collect();
    let features = mean_by_index(indices, &real);
    let predicted = (!lin.is_empty()).then(|| mean_by_index(indices, &lin));
    let map = (!map.is_empty()).then(|| mean_by_index(indices, &map));
    let flow = (!flow.is_empty()).then(|| mean_by_index(indices, &flow));
    let index_gaps = predicted.as_ref().map(|p| IndexGaps {
        real_vs_linearised: relative_series_gap(&features, p),
        real_vs_map: map.as_ref().map(|m| relative_series_gap(&features, m)),
        real_vs_flow: flow.as_ref().map(|f| relative_series_gap(&features, f)),
        map_vs_linearised: map.as_ref().map(|m| relative_series_gap(m, p)),
    });
    let spectra: Vec<&[f64]> = tracks.iter().map(|t| t.spectrum.as_slice()).collect();
    let drift: Vec<&[f64]> = tracks.iter().map(|t| t.kernel_drift.as_slice()).collect();
    let gap = (lin.len() == tracks.len()).then(|| {
        tracks
            .iter()
            .map(|t| t.linearised.as_ref().and_then(|l| response_gap(&t.real, l)))
            .collect()
    });
    Some(ResponsesRecord {
        convention: first.convention,
        spectrum: mean_rows(&spectra),
        features,
        predicted,
        map,
        index_gaps,
        flow,
        flow_time: first
            .flow_time
            .as_ref()
            .map(|t| t.iter().map(|&x| finite(x)).collect()),
        kernel_drift: mean_rows(&drift),
        drift_epochs: first.drift_epochs.clone(),
        gap,
        stochastic: stochastic_record(indices, &tracks),
    })
}

/// Provenance of an experiment document.
#[derive(Debug, Clone, Serialize)]
pub struct ExperimentProvenance {
    /// The spec as read.
    pub spec: Value,
    /// Threads used for training.
    pub threads: usize,
    /// Total wall time in seconds.
    pub wall_time_seconds: f64,
}

/// The document of an experiment.
pub fn experiment_document(
    source: Source<'_>,
    data: ExperimentData,
    wall_seconds: f64,
) -> Document<ExperimentData, ExperimentProvenance> {
    Document {
        data,
        provenance: Provenance::new(ExperimentProvenance {
            spec: source.spec.clone(),
            threads: rayon::current_num_threads(),
            wall_time_seconds: wall_seconds,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_law_fit_recovers_an_exact_law() {
        let w = [50.0, 200.0, 800.0, 3200.0];
        let g: Vec<f64> = w.iter().map(|x: &f64| 3.0 * x.powf(-0.5)).collect();
        let fit = fit_power_law(&w, &g).expect("fits");
        assert!((fit.exponent + 0.5).abs() < 1e-12, "{fit:?}");
        assert!((fit.prefactor - 3.0).abs() < 1e-10, "{fit:?}");
        assert!(fit_power_law(&[1.0], &[1.0]).is_none());
    }

    #[test]
    fn gap_is_the_worst_relative_distance_after_initialisation() {
        let real = vec![vec![9.0, 9.0], vec![3.0, 4.0], vec![1.0, 0.0]];
        let lin = vec![vec![0.0, 0.0], vec![3.0, 0.0], vec![1.0, 1.0]];
        // Row 1: ‖(0, 4)‖/‖(3, 0)‖ = 4/3; row 2: ‖(0, −1)‖/‖(1, 1)‖ = 1/√2; row 0 skipped.
        let g = response_gap(&real, &lin).expect("a gap");
        assert!((g - 4.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn means_skip_missing_values() {
        let a = [1.0, f64::NAN, 3.0];
        let b = [3.0, 2.0];
        assert_eq!(mean_rows(&[&a, &b]), vec![Some(2.0), Some(2.0), Some(3.0)]);
    }

    #[test]
    fn local_slopes_are_chord_slopes_per_parameterisation() {
        // gap = 3 w^(−1/2) for the NTK settings, 5 w^(−3/2) for the standard ones (given out of
        // order and interleaved): every local slope is its exponent to rounding, and the fit
        // of each series recovers it; a missing gap leaves its two neighbouring slopes empty.
        let widths = [400, 100, 100, 400, 1600, 1600];
        let p = ["ntk", "standard", "ntk", "standard", "ntk", "standard"];
        let gap: Vec<Option<f64>> = widths
            .iter()
            .zip(p)
            .map(|(&w, p)| {
                let w = w as f64;
                Some(if p == "ntk" {
                    3.0 * w.powf(-0.5)
                } else {
                    5.0 * w.powf(-1.5)
                })
            })
            .collect();
        let series = width_gap_series(&p, &widths, &gap);
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].parameterisation, "ntk");
        assert_eq!(series[0].widths, vec![100, 400, 1600]);
        for (s, e) in series.iter().zip([-0.5, -1.5]) {
            assert_eq!(s.local_slopes.len(), 2);
            for l in &s.local_slopes {
                assert!((l.slope.unwrap() - e).abs() < 1e-12, "{l:?}");
            }
            assert!((s.fit.unwrap().exponent - e).abs() < 1e-12);
        }
        let holes = local_slopes(&[10, 20, 40], &[Some(1.0), None, Some(0.25)]);
        assert_eq!(
            holes.iter().map(|l| l.slope).collect::<Vec<_>>(),
            vec![None, None]
        );
        let csv = width_gap_csv(&WidthGapRecord {
            definition: GAP_DEFINITION,
            widths: widths.to_vec(),
            gap,
            fit: None,
            parameterisations: p.to_vec(),
            series,
        });
        assert_eq!(csv.lines().count(), 1 + 4);
        assert!(csv.lines().nth(1).unwrap().starts_with("ntk,100,400,"));
    }
}
