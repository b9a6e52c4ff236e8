//! Figures of a run spec's `plot` section: line panels of quantities along the runs'
//! trajectories, equilibrium markers and legend keys, with the plotted data.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::quantity::Quantity;
use super::selection::{RunInfo, colour_of, fill, run_infos, select};
use super::spec::{
    AxisSpec, EquilibriumMarkerSpec, KeySpec, LinePanelSpec, PlotSpec, check_width, parse_plot,
};
use super::{FigureOutput, pairs, point_class};
use crate::equilibrium::{EquilibriumOptions, find_equilibrium};
use crate::error::{Error, InputError};
use crate::plot::{Axis, Dash, LinePanel, Marker, Panel, Scale, Series};
use crate::solve::Trajectory;
use crate::spec::{OutputNames, RunSpec, Spec, suffix};

/// Figures of a run spec's `plot` section, drawn from its runs (empty without a `plot` section).
pub fn run_figures(
    spec: &Spec,
    runs: &[(RunSpec, Trajectory)],
) -> Result<Vec<FigureOutput>, Error> {
    let Some(plot) = &spec.plot else {
        return Ok(Vec::new());
    };
    let figures = parse_plot(plot)?;
    let stems = run_output_names(spec, &figures)?.1;
    let infos = run_infos(spec, runs);
    let mut out: Vec<FigureOutput> = Vec::new();
    for ((prefix, fig), stem) in figures.iter().zip(stems) {
        out.push(run_figure(spec, &infos, prefix, fig, stem)?);
    }
    Ok(out)
}

/// The files `run` writes for `spec` (`NAME.run.json`, `NAME.run.csv`, each figure's files),
/// every name checked, and the figures' stems in order.
pub(super) fn run_output_names(
    spec: &Spec,
    figures: &[(String, PlotSpec)],
) -> Result<(OutputNames, Vec<String>), InputError> {
    let mut names =
        OutputNames::with_spec_outputs(&spec.name, &[suffix::RUN_JSON, suffix::RUN_CSV]);
    let mut stems = Vec::new();
    for (prefix, fig) in figures {
        let stem = fig.checked_frame(spec, prefix)?.name;
        names.add_figure(&stem, &format!("{prefix}.name"))?;
        stems.push(stem);
    }
    Ok((names, stems))
}

/// Checks the `plot` section against the spec's expanded runs before any run: every figure is
/// built, by the code that draws it, from one placeholder point per run (the run's start time,
/// zero state of the run's space and dimension), so whatever drawing would reject is rejected
/// here. Quantities are thus checked against each run's method, space and dimension.
pub(super) fn check_plot(spec: &Spec, plot: &Value) -> Result<(), InputError> {
    let figures = parse_plot(plot)?;
    let stems = run_output_names(spec, &figures)?.1;
    let runs = spec.expand_runs()?;
    let mut placeholders: Vec<(RunSpec, Trajectory)> = Vec::with_capacity(runs.len());
    for r in runs {
        // The dimension of the run's state (the flow itself is checked by `RunSpec::check`).
        let dim = match r.space {
            crate::flow::Space::Responses => r.model.features(),
            crate::flow::Space::Parameters => r.model.parameters(),
            crate::flow::Space::Dual => r.model.examples(),
        };
        let point = Trajectory {
            space: r.space,
            times: vec![r.options.t_start],
            states: vec![vec![0.0; dim]],
            responses: vec![vec![0.0; r.model.features()]],
            stats: Default::default(),
            method: r.method,
            methods_used: Vec::new(),
            stop: crate::solve::StopReason::ReachedEnd,
            events: Vec::new(),
        };
        placeholders.push((r, point));
    }
    let infos = run_infos(spec, &placeholders);
    for ((prefix, fig), stem) in figures.iter().zip(stems) {
        run_figure(spec, &infos, prefix, fig, stem)?;
    }
    Ok(())
}

/// One figure of the `plot` section.
fn run_figure(
    spec: &Spec,
    infos: &[RunInfo],
    prefix: &str,
    fig: &PlotSpec,
    stem: String,
) -> Result<FigureOutput, InputError> {
    let layout = fig.layout(spec, prefix)?;
    let mut panels = Vec::new();
    let mut panels_data = Vec::new();
    let mut used = BTreeSet::new();
    for (p, ps) in fig.panels.iter().enumerate() {
        let pf = format!("{prefix}.panels[{p}]");
        let (panel, data) = line_panel(spec, infos, &pf, ps, &mut used)?;
        panels.push(Panel::Lines(panel));
        panels_data.push(data);
    }
    let mut extra = Map::new();
    extra.insert("runs".into(), Value::Object(runs_data(infos, &used)));
    extra.insert(
        "notes".into(),
        json!(
            "panels[].series[] hold the plotted points (x, y); runs[kind][vary values] hold t and the signed responses z_j of every recorded step of each plotted run"
        ),
    );
    let title = fig.title.clone().unwrap_or_default();
    Ok(FigureOutput::assemble(
        spec,
        stem,
        title,
        layout,
        panels,
        panels_data,
        extra,
    ))
}

/// One line panel and its data; adds the indices of the runs it plots to `used`.
fn line_panel(
    spec: &Spec,
    infos: &[RunInfo],
    pf: &str,
    ps: &LinePanelSpec,
    used: &mut BTreeSet<usize>,
) -> Result<(LinePanel, Value), InputError> {
    let x_default = panel_quantity(&ps.x, pf, "x")?;
    let y_default = panel_quantity(&ps.y, pf, "y")?;
    let x_range = ps.x.checked_range(&format!("{pf}.x.range"))?;
    let y_range = ps.y.checked_range(&format!("{pf}.y.range"))?;
    if ps.series.is_empty() {
        return Err(InputError::new(
            format!("{pf}.series"),
            "is empty; give at least one series group",
        ));
    }
    let mut series = Vec::new();
    let mut series_data = Vec::new();
    let mut x_labels: Vec<String> = Vec::new();
    let mut y_labels: Vec<String> = Vec::new();
    for (g, group) in ps.series.iter().enumerate() {
        let gf = format!("{pf}.series[{g}]");
        let (xq, xf) = group_quantity(group.x.as_deref(), x_default, pf, &gf, "x")?;
        let (yq, yf) = group_quantity(group.y.as_deref(), y_default, pf, &gf, "y")?;
        for (labels, q) in [(&mut x_labels, xq), (&mut y_labels, yq)] {
            let l = q.label();
            if !labels.contains(&l) {
                labels.push(l);
            }
        }
        let width = check_width(group.width, &format!("{gf}.width"))?;
        let chosen = select(spec, infos, group.runs.as_ref(), &format!("{gf}.runs"))?;
        for info in chosen {
            let xs = xq.along(&info.run.label, info.trajectory, &xf)?;
            let ys = yq.along(&info.run.label, info.trajectory, &yf)?;
            let colour = colour_of(
                spec,
                infos,
                info,
                group.colour,
                group.colour_by.as_deref(),
                g,
                &gf,
            )?;
            let legend = group
                .legend
                .as_ref()
                .map(|t| fill(spec, t, info, &format!("{gf}.legend")))
                .transpose()?;
            used.insert(info.index);
            series_data.push(json!({
                "run": info.run.label,
                "kind": info.kind,
                "parameters": info.run.parameters,
                "x_quantity": group.x.clone().or(ps.x.quantity.clone()),
                "y_quantity": group.y.clone().or(ps.y.quantity.clone()),
                "legend": legend,
                "colour": colour,
                "dash": dash_name(group.dash.into()),
                "x": xs,
                "y": ys,
            }));
            series.push(Series {
                label: legend,
                points: xs.into_iter().zip(ys).collect(),
                colour,
                dash: group.dash.into(),
                width,
                markers: group.markers,
                direction_arrows: group.arrows,
            });
        }
    }
    let (markers, markers_data) =
        equilibrium_markers(spec, infos, pf, (x_default, y_default), &ps.equilibria)?;
    let mut keys = Vec::new();
    for (k, key) in ps.keys.iter().enumerate() {
        keys.push(key_series(key, &format!("{pf}.keys[{k}]"))?);
    }
    let x_axis = axis(&ps.x, &x_labels, x_range);
    let y_axis = axis(&ps.y, &y_labels, y_range);
    let data = json!({
        "title": ps.title,
        "kind": "lines",
        "x": axis_json(&x_axis, ps.x.quantity.as_deref()),
        "y": axis_json(&y_axis, ps.y.quantity.as_deref()),
        "series": series_data,
        "equilibria": markers_data,
        "keys": keys_json(&keys),
    });
    series.extend(keys);
    let panel = LinePanel {
        title: ps.title.clone(),
        x: x_axis,
        y: y_axis,
        series,
        markers,
        legend: ps.legend,
    };
    Ok((panel, data))
}

/// The panel's default quantity on axis `name` ("x" or "y"), if it gives one.
fn panel_quantity(axis: &AxisSpec, pf: &str, name: &str) -> Result<Option<Quantity>, InputError> {
    Quantity::parse_optional(axis.quantity.as_deref(), &format!("{pf}.{name}.quantity"))
}

/// A series group's quantity on axis `name` ("x" or "y"): its own or the panel's, with the
/// field that errors about it name.
fn group_quantity(
    own: Option<&str>,
    panel: Option<Quantity>,
    pf: &str,
    gf: &str,
    name: &str,
) -> Result<(Quantity, String), InputError> {
    match own {
        Some(q) => {
            let field = format!("{gf}.{name}");
            Ok((Quantity::parse(q, &field)?, field))
        }
        None => {
            let field = format!("{pf}.{name}.quantity");
            let q = panel.ok_or_else(|| {
                InputError::new(
                    field.as_str(),
                    format!("is missing; give the panel's {name} quantity or `{name}` in {gf}"),
                )
            })?;
            Ok((q, field))
        }
    }
}

/// Markers at the equilibria of the runs of each marker group, on the panel's quantities, and
/// their data. Runs sharing a model share the equilibrium: it is marked once.
fn equilibrium_markers(
    spec: &Spec,
    infos: &[RunInfo],
    pf: &str,
    (x_default, y_default): (Option<Quantity>, Option<Quantity>),
    groups: &[EquilibriumMarkerSpec],
) -> Result<(Vec<Marker>, Vec<Value>), InputError> {
    let mut markers: Vec<Marker> = Vec::new();
    let mut markers_data = Vec::new();
    let needed = |q: Option<Quantity>, name: &str| {
        q.ok_or_else(|| {
            InputError::new(
                format!("{pf}.{name}.quantity"),
                "is missing; equilibrium markers use the panel's quantities",
            )
        })
    };
    for (m, ms) in groups.iter().enumerate() {
        let mf = format!("{pf}.equilibria[{m}]");
        let xq = needed(x_default, "x")?;
        let yq = needed(y_default, "y")?;
        let chosen = select(spec, infos, ms.runs.as_ref(), &format!("{mf}.runs"))?;
        for info in chosen {
            let eq = find_equilibrium(&info.run.model, None, &EquilibriumOptions::default())
                .map_err(|e| {
                    InputError::new(
                        mf.as_str(),
                        format!("run {:?} has no equilibrium to mark: {e}", info.run.label),
                    )
                })?;
            let x = xq.at_equilibrium(info.run, &eq.point, &format!("{pf}.x.quantity"))?;
            let y = yq.at_equilibrium(info.run, &eq.point, &format!("{pf}.y.quantity"))?;
            let colour = colour_of(
                spec,
                infos,
                info,
                ms.colour,
                ms.colour_by.as_deref(),
                7,
                &mf,
            )?;
            let label = ms
                .label
                .as_ref()
                .map(|t| fill(spec, t, info, &format!("{mf}.label")))
                .transpose()?;
            if markers
                .iter()
                .any(|o| o.x == x && o.y == y && o.colour == colour)
            {
                continue;
            }
            markers.push(Marker {
                x,
                y,
                class: point_class(eq.stability),
                colour,
                label: label.clone(),
            });
            markers_data.push(json!({
                "run": info.run.label,
                "kind": info.kind,
                "parameters": info.run.parameters,
                "x": x,
                "y": y,
                "z": eq.point,
                "stability": eq.stability.name(),
                "eigenvalues": pairs(&eq.eigenvalues),
                "residual": eq.residual,
                "colour": colour,
                "label": label,
            }));
        }
    }
    Ok((markers, markers_data))
}

/// The data of the plotted runs (`used`, by index): t and the signed responses, by kind and
/// vary values.
fn runs_data(infos: &[RunInfo], used: &BTreeSet<usize>) -> Map<String, Value> {
    let mut runs_data = Map::new();
    for &i in used {
        let info = &infos[i];
        let tr = info.trajectory;
        let mut entry = Map::new();
        entry.insert("label".into(), json!(info.run.label));
        entry.insert("parameters".into(), json!(info.run.parameters));
        entry.insert("space".into(), json!(tr.space.name()));
        entry.insert("method".into(), json!(tr.method.name()));
        entry.insert("t".into(), json!(tr.times));
        let k = tr.responses.first().map(Vec::len).unwrap_or(0);
        for j in 0..k {
            let col: Vec<f64> = tr.responses.iter().map(|z| z[j]).collect();
            entry.insert(format!("z{}", j + 1), json!(col));
        }
        let by_kind = runs_data
            .entry(info.kind.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = by_kind {
            m.insert(info.key.clone(), Value::Object(entry));
        }
    }
    runs_data
}

/// A panel axis: the spec's label (default the plotted quantities' labels), range and scale.
fn axis(spec: &AxisSpec, labels: &[String], range: Option<(f64, f64)>) -> Axis {
    Axis {
        label: spec.label.clone().unwrap_or_else(|| labels.join(", ")),
        range,
        scale: spec.scale.into(),
    }
}

/// A legend entry without data.
fn key_series(k: &KeySpec, field: &str) -> Result<Series, InputError> {
    Ok(Series {
        label: Some(k.label.clone()),
        points: Vec::new(),
        colour: k.colour.unwrap_or(7),
        dash: k.dash.into(),
        width: check_width(k.width, &format!("{field}.width"))?,
        markers: k.markers,
        direction_arrows: false,
    })
}

/// The spec name of a dash pattern.
fn dash_name(d: Dash) -> &'static str {
    match d {
        Dash::Solid => "solid",
        Dash::Dashed => "dashed",
        Dash::Dotted => "dotted",
    }
}

/// An axis in the data file.
fn axis_json(axis: &Axis, quantity: Option<&str>) -> Value {
    json!({
        "label": axis.label,
        "quantity": quantity,
        "range": axis.range.map(|(a, b)| [a, b]),
        "scale": if axis.scale == Scale::Log { "log" } else { "linear" },
    })
}

/// Legend keys in the data file.
fn keys_json(keys: &[Series]) -> Value {
    Value::Array(
        keys.iter()
            .map(|k| json!({"label": k.label, "colour": k.colour, "dash": dash_name(k.dash), "width": k.width}))
            .collect(),
    )
}
