//! Figures of an `experiment` section (the paper's Figures 1–3): one decision-boundary panel
//! per setting (filled contours of the seed-averaged decision function in ten bands symmetric
//! about 0, the zero level as the boundary, the training points by class, dashed axes), a
//! dynamics panel of the seed-averaged |z_k| against epochs, the linearised network's
//! prediction next to the real responses, and for width sweeps the gap between real and
//! linearised responses against width on log–log axes with its fitted power law.

use contour::ContourBuilder;
use serde_json::{Map, Value, json};

use super::FigureOutput;
use super::spec::Layout;
use crate::error::InputError;
use crate::plot::{Axis, Dash, HeatMapPanel, LinePanel, Panel, Scale, Series};
use crate::result::{ExperimentData, SettingRecord};
use crate::spec::{ExperimentFigureKind, ExperimentPlan, PredictionPlacement, Spec};

/// Number of filled bands of a boundary panel (the paper: 10).
pub const BOUNDARY_BANDS: usize = 10;
/// Palette index of class −1 points (blue) and class +1 points (vermillion).
const CLASS_COLOURS: [usize; 2] = [0, 3];
/// Palette index of black.
const BLACK: usize = 7;
/// Line styles by run (setting) in the dynamics panel.
const DASHES: [Dash; 3] = [Dash::Solid, Dash::Dashed, Dash::Dotted];

/// The figures of an experiment from its results.
pub fn experiment_figures(
    spec: &Spec,
    plan: &ExperimentPlan,
    data: &ExperimentData,
) -> Result<Vec<FigureOutput>, InputError> {
    let fig = &plan.figure;
    let frame = &plan.frame;
    let stem = frame.name.clone();
    let size = fig.panel_size.unwrap_or(440);
    let title = frame.title.clone();
    let mut out = Vec::new();
    match fig.kind {
        ExperimentFigureKind::Boundaries => {
            let mut panels = Vec::new();
            let mut panels_data = Vec::new();
            if let Some(grid) = &data.grid {
                for s in &data.settings {
                    let (p, d) = boundary_panel(s, &grid.axis);
                    panels.push(Panel::HeatMap(p));
                    panels_data.push(d);
                }
            }
            let dynamics = fig.dynamics.as_ref();
            if let Some(d) = dynamics {
                let indices = d
                    .indices
                    .clone()
                    .or_else(|| plan.tracking.as_ref().map(|t| t.indices.clone()))
                    .unwrap_or_default();
                let overlay = d.predictions == PredictionPlacement::Overlay;
                let title = d.title.clone().unwrap_or_else(|| {
                    format!(
                        "|z| of the tangent features, mean over {}",
                        seeds_text(data)
                    )
                });
                let (p, pd) = dynamics_panel(data, &indices, overlay, d.log_epochs, title);
                panels.push(Panel::Lines(p));
                panels_data.push(pd);
            }
            let layout = frame.layout(panels.len(), 5, |c, r| grid_size(c, r, size))?;
            let mut extra = Map::new();
            extra.insert("experiments".into(), json!(data.experiments));
            extra.insert(
                "notes".into(),
                json!(
                    "boundary panels: decision_function is the seed-averaged network output on the grid (row-major, x fastest), levels the filled-contour band edges, points/labels the training set; experiments[].features hold the seed-averaged |z_k| per recorded epoch (keys: eigen-index from 0), predicted the linearised network's"
                ),
            );
            out.push(FigureOutput::assemble(
                spec,
                stem.clone(),
                title.clone(),
                layout,
                panels,
                panels_data,
                extra,
            ));
            if let Some(d) = dynamics
                && d.predictions == PredictionPlacement::Separate
            {
                out.push(predictions_figure(
                    spec,
                    plan,
                    data,
                    &stem,
                    &title,
                    size,
                    d.log_epochs,
                )?);
            }
        }
        ExperimentFigureKind::Stochastic => {
            let indices = fig
                .dynamics
                .as_ref()
                .and_then(|d| d.indices.clone())
                .or_else(|| plan.tracking.as_ref().map(|t| t.indices.clone()))
                .unwrap_or_default();
            let log_epochs = fig.dynamics.as_ref().is_some_and(|d| d.log_epochs);
            let mut panels = Vec::new();
            let mut panels_data = Vec::new();
            for s in &data.settings {
                let (p, d) = stochastic_panel(s, &indices, log_epochs);
                panels.push(Panel::Lines(p));
                panels_data.push(d);
            }
            let layout = frame.layout(panels.len(), 3, |c, r| grid_size(c, r, size))?;
            let mut extra = Map::new();
            extra.insert(
                "notes".into(),
                json!(format!(
                    "per setting: |z_k| of the real networks (solid), the stochastic map of the linearised network with the same batches (dotted) and the minibatch SDE (dashed); thick: mean, thin: mean ± spread; {}",
                    crate::result::STOCHASTIC_DEFINITION
                )),
            );
            let title = if title.is_empty() {
                "|zₖ| against epochs: real networks (solid), stochastic map (dotted), SDE (dashed); thick mean, thin mean ± spread".to_string()
            } else {
                title
            };
            out.push(FigureOutput::assemble(
                spec,
                stem,
                title,
                layout,
                panels,
                panels_data,
                extra,
            ));
        }
        ExperimentFigureKind::WidthGap => {
            let panel_title = if title.is_empty() {
                "Real against linearised network: relative gap of |z| against width".to_string()
            } else {
                String::new()
            };
            let (p, pd) = width_gap_panel(data, panel_title);
            let (q, qd) = local_slope_panel(data);
            let layout = frame.layout(1, 2, |_, _| {
                ((1.3 * size as f64) as u32, (1.2 * size as f64) as u32)
            })?;
            let mut extra = Map::new();
            extra.insert("width_gap".into(), json!(data.width_gap));
            out.push(FigureOutput::assemble(
                spec,
                stem,
                title,
                layout,
                vec![Panel::Lines(p), Panel::Lines(q)],
                vec![pd, qd],
                extra,
            ));
        }
    }
    Ok(out)
}

/// One setting's panel of the `stochastic` figure.
fn stochastic_panel(s: &SettingRecord, indices: &[usize], log_epochs: bool) -> (LinePanel, Value) {
    let mut series = Vec::new();
    let mut series_data = Vec::new();
    let st = s.responses.as_ref().and_then(|r| r.stochastic.as_ref());
    let points = |values: &[Option<f64>]| -> Vec<(f64, f64)> {
        s.epochs
            .iter()
            .zip(values)
            .filter(|(t, _)| !log_epochs || **t > 0)
            .map(|(&t, v)| (t as f64, v.unwrap_or(f64::NAN)))
            .collect()
    };
    if let Some(st) = st {
        let models = [
            (Some(&st.real), Dash::Solid, "real networks"),
            (st.map.as_ref(), Dash::Dotted, "stochastic map"),
            (Some(&st.sde), Dash::Dashed, "SDE"),
        ];
        for (c, k) in indices.iter().enumerate() {
            let key = k.to_string();
            for (m, dash, what) in models {
                let Some(m) = m else { continue };
                let (Some(mean), Some(spread)) = (m.mean.get(&key), m.spread.get(&key)) else {
                    continue;
                };
                series_data.push(json!({"index": k, "model": what, "epochs": s.epochs, "mean": mean, "spread": spread}));
                series.push(Series {
                    label: Some(format!("k = {k}, {what}")),
                    points: points(mean),
                    colour: c,
                    dash,
                    width: 2.2,
                    ..Series::default()
                });
                for sign in [-1.0, 1.0] {
                    let edge: Vec<Option<f64>> = mean
                        .iter()
                        .zip(spread)
                        .map(|(m, d)| m.zip(*d).map(|(m, d)| m + sign * d))
                        .collect();
                    series.push(Series {
                        label: None,
                        points: points(&edge),
                        colour: c,
                        dash,
                        width: 0.8,
                        ..Series::default()
                    });
                }
            }
        }
    }
    let batch = s
        .training
        .batch_size
        .map_or(s.examples, |b| b.min(s.examples));
    let sampling = if batch < s.examples
        && s.training.batch_sampling == crate::network::BatchSampling::Independent
    {
        ", independent batches"
    } else {
        ""
    };
    let title = format!("{} (B = {batch}{sampling})", s.label);
    let mut panel = responses_panel(title.clone(), series, log_epochs);
    panel.y.label = "|zₖ| (mean ± spread)".into();
    let d = json!({"title": title, "kind": "lines", "series": series_data});
    (panel, d)
}

/// "10 seeds" or "3–10 seeds" when settings differ.
fn seeds_text(data: &ExperimentData) -> String {
    let counts: Vec<usize> = data
        .settings
        .iter()
        .filter(|s| data.experiments.iter().any(|e| e.label == s.label))
        .map(|s| s.seeds.len())
        .collect();
    let (lo, hi) = (
        counts.iter().copied().min().unwrap_or(0),
        counts.iter().copied().max().unwrap_or(0),
    );
    let n = if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}–{hi}")
    };
    format!("{n} seed{}", if hi == 1 { "" } else { "s" })
}

/// The size of `columns` × `rows` panels of `size` pixels each (a little wider for the colour
/// bar, a little higher for the title).
fn grid_size(columns: u32, rows: u32, size: u32) -> (u32, u32) {
    (columns * (size as f64 * 1.22) as u32, rows * size + 40)
}

/// Band edges of a decision function: `BOUNDARY_BANDS` bands symmetric about 0 covering the
/// largest |value| (at least a tiny positive half width).
pub fn boundary_levels(values: &[f64]) -> Vec<f64> {
    let m = values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let m = if m > 0.0 { m } else { 1.0 };
    (0..=BOUNDARY_BANDS)
        .map(|i| -m + 2.0 * m * i as f64 / BOUNDARY_BANDS as f64)
        .collect()
}

/// The zero level of `values` (row-major, x fastest, on `axis` × `axis`) as polylines in data
/// coordinates, pieces separated by non-finite points.
pub fn zero_level(values: &[f64], axis: &[f64]) -> Vec<(f64, f64)> {
    let n = axis.len();
    if n < 2 || values.len() != n * n || values.iter().any(|v| !v.is_finite()) {
        return Vec::new();
    }
    let Ok(lines) = ContourBuilder::new(n, n, true).lines(values, &[0.0]) else {
        return Vec::new();
    };
    let (lo, step) = (axis[0], axis[1] - axis[0]);
    // Grid coordinates: value (i, j) sits at (i + 0.5, j + 0.5).
    // The lines close along the outer border (half a cell outside the grid): consecutive
    // border points are not part of the level and break the line.
    let at = |g: f64| lo + (g - 0.5) * step;
    let border = |x: f64, y: f64| {
        let e = 1e-9;
        x <= e || y <= e || x >= n as f64 - e || y >= n as f64 - e
    };
    let mut out: Vec<(f64, f64)> = Vec::new();
    let brk = |out: &mut Vec<(f64, f64)>| {
        if out.last().is_some_and(|p| p.0.is_finite()) {
            out.push((f64::NAN, f64::NAN));
        }
    };
    for line in &lines {
        for ls in &line.geometry().0 {
            brk(&mut out);
            let mut prev_border = false;
            for c in &ls.0 {
                let b = border(c.x, c.y);
                if b && prev_border {
                    brk(&mut out);
                }
                out.push((at(c.x), at(c.y)));
                prev_border = b;
            }
        }
    }
    // Lone points (a border point between two breaks) are no line.
    let mut cleaned = Vec::with_capacity(out.len());
    for (i, &p) in out.iter().enumerate() {
        let finite = |j: Option<usize>| j.and_then(|j| out.get(j)).is_some_and(|q| q.0.is_finite());
        if p.0.is_finite() && !finite(i.checked_sub(1)) && !finite(Some(i + 1)) {
            continue;
        }
        cleaned.push(p);
    }
    while cleaned.last().is_some_and(|p| !p.0.is_finite()) {
        cleaned.pop();
    }
    cleaned
}

/// Points as a series of isolated dots (markers only).
fn dots(points: Vec<(f64, f64)>, colour: usize, width: f64, label: Option<String>) -> Series {
    let mut pts = Vec::with_capacity(2 * points.len());
    for p in points {
        pts.push(p);
        pts.push((f64::NAN, f64::NAN));
    }
    Series {
        label,
        points: pts,
        colour,
        dash: Dash::Solid,
        width,
        markers: true,
        direction_arrows: false,
    }
}

/// One decision-boundary panel and its data.
fn boundary_panel(s: &SettingRecord, axis: &[f64]) -> (HeatMapPanel, Value) {
    let values: Vec<f64> = s
        .decision_function
        .as_ref()
        .map(|v| v.iter().map(|x| x.unwrap_or(f64::NAN)).collect())
        .unwrap_or_default();
    let levels = boundary_levels(&values);
    let (lo, hi) = (
        axis.first().copied().unwrap_or(-1.0),
        axis.last().copied().unwrap_or(1.0),
    );
    let mut curves = vec![
        Series {
            points: vec![(lo, 0.0), (hi, 0.0)],
            colour: BLACK,
            dash: Dash::Dashed,
            width: 0.8,
            ..Series::default()
        },
        Series {
            points: vec![(0.0, lo), (0.0, hi)],
            colour: BLACK,
            dash: Dash::Dashed,
            width: 0.8,
            ..Series::default()
        },
    ];
    let boundary = zero_level(&values, axis);
    curves.push(Series {
        label: None,
        points: boundary.clone(),
        colour: BLACK,
        dash: Dash::Solid,
        width: 2.6,
        ..Series::default()
    });
    let d = 2.min(if s.labels.is_empty() {
        2
    } else {
        s.points.len() / s.labels.len()
    });
    for (class, colour) in [(-1.0, CLASS_COLOURS[0]), (1.0, CLASS_COLOURS[1])] {
        let pts: Vec<(f64, f64)> = s
            .labels
            .iter()
            .enumerate()
            .filter(|(_, y)| **y == class)
            .filter_map(|(i, _)| Some((*s.points.get(d * i)?, *s.points.get(d * i + 1)?)))
            .collect();
        // A black rim under each dot keeps it visible on either class's colour.
        curves.push(dots(pts.clone(), BLACK, 1.7, None));
        curves.push(dots(pts, colour, 1.15, None));
    }
    let panel = HeatMapPanel {
        title: s.label.clone(),
        x: Axis {
            label: "x₁".into(),
            range: Some((lo, hi)),
            scale: Scale::Linear,
        },
        y: Axis {
            label: "x₂".into(),
            range: Some((lo, hi)),
            scale: Scale::Linear,
        },
        x_values: axis.to_vec(),
        y_values: axis.to_vec(),
        values: values.clone(),
        colour_label: "ŷ (mean over seeds)".into(),
        colour_range: Some((levels[0], levels[BOUNDARY_BANDS])),
        diverging_centre: Some(0.0),
        contour_levels: Vec::new(),
        filled_levels: levels.clone(),
        hide_colour_bar: false,
        curves,
        markers: Vec::new(),
        legend: false,
    };
    let data = json!({
        "title": s.label,
        "kind": "decision_boundary",
        "seeds": s.seeds,
        "x": axis,
        "y": axis,
        "decision_function": s.decision_function,
        "levels": levels,
        "boundary": boundary.iter().map(|&(x, y)| [crate::result::finite(x), crate::result::finite(y)]).collect::<Vec<_>>(),
        "points": s.points,
        "labels": s.labels,
    });
    (panel, data)
}

/// Curves of seed-averaged |z_k| against epochs for every setting with responses.
fn dynamics_panel(
    data: &ExperimentData,
    indices: &[usize],
    overlay: bool,
    log_epochs: bool,
    title: String,
) -> (LinePanel, Value) {
    let mut series = Vec::new();
    let mut series_data = Vec::new();
    for (r, e) in data.experiments.iter().enumerate() {
        for (c, k) in indices.iter().enumerate() {
            let key = k.to_string();
            let mut add = |values: &Vec<Option<f64>>, dash: Dash, what: &str, legend: String| {
                let points: Vec<(f64, f64)> = e
                    .recorded_epochs
                    .iter()
                    .zip(values)
                    .filter(|(t, _)| !log_epochs || **t > 0)
                    .map(|(&t, v)| (t as f64, v.unwrap_or(f64::NAN)))
                    .collect();
                series_data.push(json!({
                    "run": e.label, "index": k, "model": what, "dash": format!("{dash:?}").to_lowercase(),
                    "epochs": points.iter().map(|p| p.0).collect::<Vec<_>>(),
                    "abs_z": values,
                }));
                series.push(Series {
                    label: Some(legend),
                    points,
                    colour: c,
                    dash,
                    width: 2.0,
                    ..Series::default()
                });
            };
            if let Some(v) = e.features.get(&key) {
                add(
                    v,
                    DASHES[r % DASHES.len()],
                    "real",
                    format!("{}, k = {k}", e.label),
                );
            }
            if overlay && let Some(v) = e.predicted.as_ref().and_then(|p| p.get(&key)) {
                add(
                    v,
                    Dash::Dotted,
                    "linearised",
                    format!("{}, k = {k}, linearised", e.label),
                );
            }
        }
    }
    let panel = responses_panel(title.clone(), series, log_epochs);
    let d = json!({ "title": title, "kind": "lines", "series": series_data });
    (panel, d)
}

/// A panel of seed-averaged |z_k| against epochs (linear or log epoch axis).
fn responses_panel(title: String, series: Vec<Series>, log_epochs: bool) -> LinePanel {
    LinePanel {
        title,
        x: Axis {
            label: "epoch".into(),
            range: None,
            scale: if log_epochs {
                Scale::Log
            } else {
                Scale::Linear
            },
        },
        y: Axis {
            label: "|zₖ| (mean over seeds)".into(),
            range: None,
            scale: Scale::Linear,
        },
        series,
        markers: Vec::new(),
        legend: true,
    }
}

/// The second figure: per setting with predictions, two panels. Top: |z_k| of the real network
/// (solid), the linearised network with the optimiser's exact map on it (dotted; dots mark the
/// map, which equals the linearised network to round-off) and the theory's z-flow (dashed), on a
/// log axis so that the starved (small) responses show. Bottom: per index, the relative gaps
/// |real − map| / |map| (dotted) and |real − flow| / |flow| (dashed), log axis: where the theory
/// at finite step leaves the real network, index by index.
#[allow(clippy::too_many_arguments)]
fn predictions_figure(
    spec: &Spec,
    plan: &ExperimentPlan,
    data: &ExperimentData,
    stem: &str,
    title: &str,
    size: u32,
    log_epochs: bool,
) -> Result<FigureOutput, InputError> {
    let indices = plan
        .figure
        .dynamics
        .as_ref()
        .and_then(|d| d.indices.clone())
        .or_else(|| plan.tracking.as_ref().map(|t| t.indices.clone()))
        .unwrap_or_default();
    let points_of = |epochs: &[usize], values: &[Option<f64>]| -> Vec<(f64, f64)> {
        epochs
            .iter()
            .zip(values)
            .filter(|(t, _)| !log_epochs || **t > 0)
            .map(|(&t, v)| (t as f64, v.filter(|v| *v > 0.0).unwrap_or(f64::NAN)))
            .collect()
    };
    let mut top = Vec::new();
    let mut top_data = Vec::new();
    let mut bottom = Vec::new();
    let mut bottom_data = Vec::new();
    for (e, setting) in data.experiments.iter().zip(&data.settings) {
        let mut series = Vec::new();
        let mut sd = Vec::new();
        let mut gap_series = Vec::new();
        let mut gap_data = Vec::new();
        let gaps = setting
            .responses
            .as_ref()
            .and_then(|r| r.index_gaps.as_ref());
        for (c, k) in indices.iter().enumerate() {
            let key = k.to_string();
            for (values, dash, markers, what) in [
                (e.features.get(&key), Dash::Solid, false, "real network"),
                (
                    e.predicted.as_ref().and_then(|p| p.get(&key)),
                    Dash::Dotted,
                    false,
                    "linearised network",
                ),
                (
                    e.map.as_ref().and_then(|p| p.get(&key)),
                    Dash::Dotted,
                    true,
                    "exact map (theory)",
                ),
                (
                    e.flow.as_ref().and_then(|p| p.get(&key)),
                    Dash::Dashed,
                    false,
                    "z-flow (theory)",
                ),
            ] {
                let Some(values) = values else { continue };
                sd.push(json!({"index": k, "model": what, "epochs": e.recorded_epochs, "abs_z": values}));
                series.push(Series {
                    label: Some(format!("k = {k}, {what}")),
                    points: points_of(&e.recorded_epochs, values),
                    colour: c,
                    dash,
                    width: if markers { 1.0 } else { 2.0 },
                    markers,
                    ..Series::default()
                });
            }
            let Some(g) = gaps else { continue };
            for (values, dash, what) in [
                (
                    g.real_vs_map.as_ref().and_then(|m| m.get(&key)),
                    Dash::Dotted,
                    "|real − map| / |map|",
                ),
                (
                    g.real_vs_flow.as_ref().and_then(|m| m.get(&key)),
                    Dash::Dashed,
                    "|real − flow| / |flow|",
                ),
            ] {
                let Some(values) = values else { continue };
                gap_data.push(json!({"index": k, "gap": what, "epochs": e.recorded_epochs, "relative_gap": values}));
                gap_series.push(Series {
                    label: Some(format!("k = {k}, {what}")),
                    points: points_of(&e.recorded_epochs, values),
                    colour: c,
                    dash,
                    width: 2.0,
                    ..Series::default()
                });
            }
        }
        top_data.push(json!({"title": e.label, "kind": "lines", "series": sd}));
        let mut panel = responses_panel(e.label.clone(), series, log_epochs);
        panel.y.scale = Scale::Log;
        top.push(Panel::Lines(panel));
        if !gap_series.is_empty() {
            bottom_data.push(json!({"title": e.label, "kind": "lines", "series": gap_data}));
            let mut panel = responses_panel(
                format!("{}: per-index gaps", e.label),
                gap_series,
                log_epochs,
            );
            panel.y.scale = Scale::Log;
            panel.y.label = "relative gap to the real network".into();
            bottom.push(Panel::Lines(panel));
        }
    }
    // One row of responses, one of gaps (when the map was computed), a setting per column.
    let columns = top.len().max(1);
    let rows = if bottom.len() == top.len() { 2 } else { 1 };
    let mut panels = top;
    let mut panels_data = top_data;
    if rows == 2 {
        panels.extend(bottom);
        panels_data.extend(bottom_data);
    }
    let (width, height) = grid_size(columns as u32, rows as u32, size);
    let layout = Layout {
        columns,
        width,
        height,
    };
    let legend = "real network (solid), linearised network and its exact map (dotted; dots: the map), z-flow (dashed)";
    let title = if title.is_empty() {
        format!("{legend}; log axes")
    } else {
        format!("{title}: {legend}")
    };
    let mut extra = Map::new();
    extra.insert(
        "notes".into(),
        json!("first row: panels[].series[] hold the seed-averaged |z_k| of the real network, the linearised network, the optimiser's exact map and the z-flow at the recorded epochs; second row (with the map): the relative gaps of the real network to the map and to the flow, per index; the `experiments` block is in the main figure's data"),
    );
    Ok(FigureOutput::assemble(
        spec,
        format!("{stem}_predictions"),
        title,
        layout,
        panels,
        panels_data,
        extra,
    ))
}

/// `x` with `digits` significant digits (plain decimal notation).
fn significant(x: f64, digits: i32) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let decimals = (digits - 1 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
    format!("{x:.decimals$}")
}

/// The gap against width, log–log, one measured line per parameterisation with its fitted
/// power law, and the NTK parameterisation's w^(−1/2) bound.
fn width_gap_panel(data: &ExperimentData, title: String) -> (LinePanel, Value) {
    let mut series = Vec::new();
    let Some(g) = &data.width_gap else {
        return (LinePanel::default(), json!({}));
    };
    let mut all = Vec::new();
    for (k, s) in g.series.iter().enumerate() {
        let pts: Vec<(f64, f64)> = s
            .widths
            .iter()
            .zip(&s.gap)
            .filter_map(|(&w, v)| v.map(|v| (w as f64, v)))
            .collect();
        all.extend(pts.iter().copied());
        let colour = 2 * k;
        series.push(Series {
            label: Some(format!("{} (mean over seeds)", s.parameterisation)),
            points: pts.clone(),
            colour,
            dash: Dash::Solid,
            width: 2.0,
            markers: true,
            direction_arrows: false,
        });
        let (wmin, wmax) = pts.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| {
            (a.min(p.0), b.max(p.0))
        });
        if let Some(fit) = s.fit {
            series.push(Series {
                label: Some(
                    format!(
                        "{} fit: gap ≈ {} · w^({:.2})",
                        s.parameterisation,
                        significant(fit.prefactor, 3),
                        fit.exponent
                    )
                    .replace('-', "−"),
                ),
                points: vec![
                    (wmin, fit.prefactor * wmin.powf(fit.exponent)),
                    (wmax, fit.prefactor * wmax.powf(fit.exponent)),
                ],
                colour: colour + 1,
                dash: Dash::Dashed,
                width: 1.5,
                ..Series::default()
            });
        }
    }
    let wmax = all.iter().fold(0.0f64, |a, p| a.max(p.0));
    if let Some(&(w0, g0)) = all.first() {
        series.push(Series {
            label: Some("w^(−1/2) (NTK-parameterisation bound) through the first point".into()),
            points: vec![(w0, g0), (wmax, g0 * (wmax / w0).powf(-0.5))],
            colour: BLACK,
            dash: Dash::Dotted,
            width: 1.5,
            ..Series::default()
        });
    }
    let panel = LinePanel {
        title,
        x: Axis {
            label: "hidden width w".into(),
            range: None,
            scale: Scale::Log,
        },
        y: Axis {
            label: "gap  maxₜ ‖|z|−|z|ₗᵢₙ‖ / ‖|z|ₗᵢₙ‖".into(),
            range: None,
            scale: Scale::Log,
        },
        series,
        markers: Vec::new(),
        legend: true,
    };
    let d = json!({
        "title": panel.title,
        "kind": "lines",
        "widths": g.widths,
        "gap": g.gap,
        "fit": g.fit,
        "series": g.series,
        "definition": g.definition,
    });
    (panel, d)
}

/// The local slopes d log gap / d log w against width (at the geometric mean of each pair of
/// consecutive widths), one line per parameterisation, with the slope −1/2 of the NTK bound.
fn local_slope_panel(data: &ExperimentData) -> (LinePanel, Value) {
    let Some(g) = &data.width_gap else {
        return (LinePanel::default(), json!({}));
    };
    let mut series = Vec::new();
    let mut span = (f64::INFINITY, 0.0f64);
    for (k, s) in g.series.iter().enumerate() {
        let pts: Vec<(f64, f64)> = s
            .local_slopes
            .iter()
            .filter_map(|l| l.slope.map(|v| (((l.from * l.to) as f64).sqrt(), v)))
            .collect();
        for p in &pts {
            span = (span.0.min(p.0), span.1.max(p.0));
        }
        series.push(Series {
            label: Some(format!("{} local slope", s.parameterisation)),
            points: pts,
            colour: 2 * k,
            dash: Dash::Solid,
            width: 2.0,
            markers: true,
            direction_arrows: false,
        });
    }
    if span.1 > 0.0 {
        series.push(Series {
            label: Some("−1/2 (NTK-parameterisation bound)".into()),
            points: vec![(span.0, -0.5), (span.1, -0.5)],
            colour: BLACK,
            dash: Dash::Dotted,
            width: 1.5,
            ..Series::default()
        });
    }
    let panel = LinePanel {
        title: "Local slope d log gap / d log w".into(),
        x: Axis {
            label: "hidden width w (geometric mean of the pair)".into(),
            range: None,
            scale: Scale::Log,
        },
        y: Axis {
            label: "d log gap / d log w".into(),
            range: None,
            scale: Scale::Linear,
        },
        series,
        markers: Vec::new(),
        legend: true,
    };
    let d = json!({
        "title": panel.title,
        "kind": "lines",
        "series": g.series,
    });
    (panel, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ten_bands_symmetric_about_zero() {
        let l = boundary_levels(&[-0.5, 2.0, f64::NAN]);
        assert_eq!(l.len(), BOUNDARY_BANDS + 1);
        assert_eq!((l[0], l[10]), (-2.0, 2.0));
        assert!(l[5].abs() < 1e-15, "0 is a level: {}", l[5]);
    }

    #[test]
    fn the_zero_level_of_a_plane_is_its_zero_line() {
        // f(x, y) = x − 0.3: the zero level is the vertical line x = 0.3.
        let axis: Vec<f64> = (0..21).map(|i| -1.0 + 0.1 * i as f64).collect();
        let mut v = Vec::new();
        for _y in &axis {
            for x in &axis {
                v.push(x - 0.3);
            }
        }
        let line = zero_level(&v, &axis);
        assert!(line.len() >= 2);
        for (x, y) in line.iter().filter(|p| p.1.abs() <= 1.0) {
            assert!((x - 0.3).abs() < 1e-9, "({x}, {y})");
        }
    }
}
