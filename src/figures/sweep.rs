//! Figures of a sweep (the `plots` list of a sweep section), one `kind` each:
//!
//! - `"heatmap"`: a `metric` over `x` × `y`, one panel per value of `facet`, with the threshold
//!   records (along x or y, whichever axis they run along), labelled `contours` and closed-form
//!   `overlays` drawn on top;
//!   `"shared_colour_scale": true` gives every facet the colour range of all of them.
//! - `"lines"`: `metric` (or several `metrics`, one dash each) against `x`, one line per value of
//!   `series`, one panel per value of `facet`, e.g.
//!   `{ "kind": "lines", "x": "lambda", "x_scale": "log", "series": "regulariser",
//!   "metrics": ["z1", "z2"] }`.
//! - `"threshold_curves"`: the thresholds (along the last axis) against `x`, one curve per value
//!   of `series`.
//!
//! Every plot has the frame of every figure ([`FigureFrame`]): `name` (default
//! `<spec name>_<index>`), `title`, `size` `[width, height]` (default 1200 × 560 pixels) and
//! `columns` (facet panels per row, default up to 3). Its axes are named by sweep parameter, so
//! their scales and labels are the flat `x_scale`/`y_scale` (`"linear"` or `"log"`, the figures'
//! one [`ScaleSpec`]) and `x_label`/`y_label`.
//!
//! Axes not plotted are held at the value indices of `fix` (default 0) and named in the panel
//! titles. Every label comes from the parameters used: with a λ axis, a regulariser is named with
//! the λ of that axis where it is held fixed and without λ where λ is plotted (a λ axis overrides
//! the regulariser's own λ).

use serde::Deserialize;
use serde_json::{Value, json};

use super::FigureOutput;
use super::spec::ScaleSpec;
use crate::error::InputError;
use crate::plot::{Axis as PlotAxis, Dash, Figure, HeatMapPanel, LinePanel, Panel, Scale, Series};
use crate::spec::{CheckedFrame, FigureFrame, parse_figure, refuse_renamed};
use crate::sweep::{
    AxisParameter, AxisValue, CrossingPoint, LineResult, SweepPlan, SweepResult, ThresholdRecord,
    branches,
};

/// A sweep figure as written in a spec.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepPlotSpec {
    /// "heatmap", "lines" or "threshold_curves".
    #[schemars(extend("enum" = ["heatmap", "lines", "threshold_curves"]))]
    pub kind: String,
    /// File stem (default: `<spec name>_<index>`).
    #[serde(default)]
    #[schemars(extend("pattern" = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"))]
    pub name: Option<String>,
    /// Overall title.
    #[serde(default)]
    pub title: Option<String>,
    /// Heat map: the metric column to colour by; lines: the metric column on y.
    #[serde(default)]
    pub metric: Option<String>,
    /// Axis on x (parameter name).
    pub x: String,
    /// Heat map: axis on y.
    #[serde(default)]
    pub y: Option<String>,
    /// Heat map and lines: one panel per value of this axis.
    #[serde(default)]
    pub facet: Option<String>,
    /// Lines and threshold curves: one curve per value of this axis.
    #[serde(default)]
    pub series: Option<String>,
    /// Other axes held at these value indices (default 0).
    #[serde(default)]
    #[schemars(with = "Option<std::collections::BTreeMap<String, u32>>")]
    pub fix: Option<serde_json::Map<String, Value>>,
    /// Axis labels (default: the parameter names with the paper's symbols).
    #[serde(default)]
    pub x_label: Option<String>,
    /// y label.
    #[serde(default)]
    pub y_label: Option<String>,
    /// Colour-bar label.
    #[serde(default)]
    pub colour_label: Option<String>,
    /// Colour range.
    #[serde(default)]
    pub colour_range: Option<[f64; 2]>,
    /// Diverging palette centred here.
    #[serde(default)]
    pub diverging_centre: Option<f64>,
    /// Contour levels of the metric.
    #[serde(default)]
    pub contours: Vec<f64>,
    /// Overlay the threshold records (default true).
    #[serde(default)]
    pub thresholds: Option<bool>,
    /// Closed forms to overlay: "support_switch_ratio" (s₁/s₂ = √(c(c+δ)/(δ(c−δ))) against δ).
    #[serde(default)]
    #[schemars(extend("items" = {"enum": ["support_switch_ratio"]}))]
    pub overlays: Vec<String>,
    /// Scale of x: "linear" (default) or "log" (the figures' one [`ScaleSpec`]).
    #[serde(default)]
    pub x_scale: ScaleSpec,
    /// Scale of y.
    #[serde(default)]
    pub y_scale: ScaleSpec,
    /// `[width, height]` in pixels (default 1200 × 560).
    #[serde(default)]
    pub size: Option<[u32; 2]>,
    /// Heat maps and lines: facet panels per row (default: all up to 3).
    #[serde(default)]
    pub columns: Option<usize>,
    /// Heat maps: one colour scale for every facet (default false: each panel its own).
    #[serde(default)]
    pub shared_colour_scale: Option<bool>,
    /// Lines: several metric columns on the same axes (one dash each), instead of `metric`.
    #[serde(default)]
    pub metrics: Vec<String>,
    /// Lines: a dot at every cell (default: when the x axis has at most 25 values).
    #[serde(default)]
    pub markers: Option<bool>,
}

impl SweepPlotSpec {
    /// The frame fields ([`FigureFrame`]).
    pub fn frame(&self) -> FigureFrame {
        FigureFrame {
            name: self.name.clone(),
            title: self.title.clone(),
            size: self.size,
            columns: self.columns,
        }
    }
}

/// Where a λ axis stands in a panel or legend entry: it overrides every regulariser's own λ, so
/// a regulariser is labelled with the λ actually used there.
#[derive(Debug, Clone, Copy, PartialEq)]
enum LambdaContext {
    /// No λ axis: the regulariser's own λ is used.
    NoAxis,
    /// The λ axis is held at this value.
    Fixed(f64),
    /// λ varies across the panel (it is plotted): no λ in regulariser labels.
    Varies,
}

/// The λ context of a panel whose plotted axes are `varying`, other axes at `idx`.
fn lambda_context(plan: &SweepPlan, idx: &[usize], varying: &[usize]) -> LambdaContext {
    match plan.lambda_axis() {
        None => LambdaContext::NoAxis,
        Some(a) if varying.contains(&a) => LambdaContext::Varies,
        Some(a) => LambdaContext::Fixed(plan.axes[a].values[idx[a]].number()),
    }
}

/// A number for titles and legends: short, without float noise (0.30000000000000004 → 0.3).
pub fn short_number(x: f64) -> String {
    let plain = format!("{x}");
    if plain.len() <= 8 {
        return plain;
    }
    let a = x.abs();
    if (1e-3..1e5).contains(&a) {
        let s = format!("{x:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        // At most 5 significant digits.
        let digits = 4 - a.log10().floor() as i32;
        let s2 = format!("{x:.*}", digits.max(0) as usize);
        let s2 = if s2.contains('.') {
            s2.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s2
        };
        if s2.len() < s.len() {
            s2
        } else {
            s.to_string()
        }
    } else {
        format!("{x:.3e}")
    }
}

/// "δ = 0.5", "λ = 0.001", or a categorical value on its own ("SD (λ = 0.1)", "L2"), labelled
/// from the parameters used in `ctx`.
fn value_caption(plan: &SweepPlan, axis: usize, value: usize, ctx: LambdaContext) -> String {
    let a = &plan.axes[axis];
    let v = &a.values[value];
    match v {
        AxisValue::Number(x) => format!("{} = {}", symbol(&a.name), short_number(*x)),
        _ => match ctx {
            LambdaContext::NoAxis => v.label(),
            LambdaContext::Fixed(l) => v.label_with_lambda(Some(l)),
            LambdaContext::Varies => v.label_without_lambda(),
        },
    }
}

/// The values of the axes not in `shown` (and with more than one value) at `idx`, e.g.
/// "δ = 0.3, λ = 0.01": what a panel holds fixed.
fn fixed_caption(plan: &SweepPlan, idx: &[usize], shown: &[usize]) -> String {
    let ctx = lambda_context(plan, idx, shown);
    (0..plan.axes.len())
        .filter(|a| !shown.contains(a) && plan.axes[*a].values.len() > 1)
        .map(|a| value_caption(plan, a, idx[a], ctx))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A panel title from its facet caption and what it holds fixed.
fn panel_title(facet: String, fixed: String) -> String {
    match (facet.is_empty(), fixed.is_empty()) {
        (_, true) => facet,
        (true, false) => fixed,
        (false, false) => format!("{facet} ({fixed})"),
    }
}

/// The paper's symbol for a parameter name.
pub fn symbol(name: &str) -> String {
    match name {
        "delta" => "δ".into(),
        "lambda" => "λ".into(),
        "rate" => "η".into(),
        "s1_over_s2" => "s₁/s₂".into(),
        "regulariser" => "regulariser".into(),
        "loss" => "loss model".into(),
        s if crate::spec::strength_index(s).is_some() => {
            let sub: String = s[1..]
                .chars()
                .map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
                .collect();
            format!("s{sub}")
        }
        other => other.into(),
    }
}

fn axis_index(plan: &SweepPlan, name: &str, field: &str) -> Result<usize, InputError> {
    plan.axes
        .iter()
        .position(|a| a.name == name)
        .ok_or_else(|| {
            InputError::new(
                field,
                format!(
                    "{name:?} is not a sweep axis; the axes are {}",
                    plan.axes
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

/// The scale `s` of a plot axis showing the `values` of sweep axis `axis`; a log scale needs
/// every value > 0 (checked here, before any work, not when drawing).
fn scale_over(s: &ScaleSpec, values: &[f64], axis: &str, field: &str) -> Result<Scale, InputError> {
    let chosen = Scale::from(*s);
    if chosen == Scale::Log && values.iter().any(|&x| x <= 0.0) {
        return Err(InputError::new(
            field,
            format!("a log axis needs values > 0, but {axis:?} has values ≤ 0; use \"linear\""),
        ));
    }
    Ok(chosen)
}

/// The result of the line (along the last axis) through the outer-axis indices `outer`, if the
/// result holds it.
fn line_result<'a>(
    plan: &SweepPlan,
    result: &'a SweepResult,
    outer: &[usize],
) -> Option<&'a LineResult> {
    let line = plan.axes[..plan.axes.len() - 1]
        .iter()
        .zip(outer)
        .fold(0, |line, (a, &i)| line * a.values.len() + i);
    result
        .lines
        .binary_search_by_key(&line, |l| l.line)
        .ok()
        .map(|k| &result.lines[k])
}

/// The threshold curve through the found crossings of neighbouring parallel lines, as one
/// series per branch ([`branches`]: a segment only joins crossings of the same direction on
/// neighbouring lines, so two branches are never joined). `lines` are (the other axis' value,
/// the line's records) in the order of that axis; `along_scale` is the plot scale of the axis
/// the thresholds run along (distances between crossings are compared in it), `along_is_x`
/// whether that axis is on x. Every branch takes `style`; only the first keeps its legend
/// label, and a branch of a single crossing is drawn as a marker.
/// The dash of the `n`-th threshold criterion: each criterion its own dash as well as colour,
/// so that a prediction drawn over what it predicts (a flip and h·|λ_min| = 2) stays visible.
fn threshold_dash(n: usize) -> Dash {
    [Dash::Solid, Dash::Dashed, Dash::Dotted][n % 3]
}

fn branch_series(
    lines: &[(f64, &[ThresholdRecord])],
    along_scale: Scale,
    along_is_x: bool,
    style: &Series,
) -> Vec<Series> {
    let found: Vec<Vec<&ThresholdRecord>> = lines
        .iter()
        .map(|(_, records)| records.iter().filter(|r| r.status.is_found()).collect())
        .collect();
    let crossings: Vec<Vec<CrossingPoint>> = found
        .iter()
        .map(|records| {
            records
                .iter()
                .map(|r| CrossingPoint {
                    position: match along_scale {
                        Scale::Log => r.value.log10(),
                        Scale::Linear => r.value,
                    },
                    direction: r
                        .direction
                        .unwrap_or(crate::sweep::CrossingDirection::Touching),
                })
                .collect()
        })
        .collect();
    branches(&crossings)
        .into_iter()
        .enumerate()
        .map(|(b, branch)| {
            let points: Vec<(f64, f64)> = branch
                .iter()
                .map(|&(k, j)| {
                    let (other, value) = (lines[k].0, found[k][j].value);
                    if along_is_x {
                        (value, other)
                    } else {
                        (other, value)
                    }
                })
                .collect();
            Series {
                label: if b == 0 { style.label.clone() } else { None },
                markers: style.markers || points.len() == 1,
                points,
                ..style.clone()
            }
        })
        .collect()
}

/// Index of a cell in the result from per-axis value indices.
fn cell_value(plan: &SweepPlan, result: &SweepResult, idx: &[usize], column: usize) -> f64 {
    let mut line = 0;
    for (a, &i) in plan.axes[..plan.axes.len() - 1].iter().zip(idx) {
        line = line * a.values.len() + i;
    }
    let pos = idx[idx.len() - 1];
    result
        .lines
        .get(line)
        .and_then(|l| l.cells.get(pos))
        .filter(|c| c.failure.is_none())
        .map(|c| c.values[column])
        .unwrap_or(f64::NAN)
}

fn fixed_indices(
    plan: &SweepPlan,
    p: &SweepPlotSpec,
    field: &str,
) -> Result<Vec<usize>, InputError> {
    let mut idx = vec![0; plan.axes.len()];
    if let Some(fix) = &p.fix {
        for (name, v) in fix {
            let a = axis_index(plan, name, &format!("{field}.fix"))?;
            let i = v
                .as_u64()
                .map(|i| i as usize)
                .filter(|i| *i < plan.axes[a].values.len())
                .ok_or_else(|| {
                    InputError::new(
                        format!("{field}.fix.{name}"),
                        format!("must be a value index in 0..{}", plan.axes[a].values.len()),
                    )
                })?;
            idx[a] = i;
        }
    }
    Ok(idx)
}

fn overlay_curve(name: &str, xs: &[f64], field: &str) -> Result<Series, InputError> {
    match name {
        "support_switch_ratio" => Ok(Series {
            label: Some("closed form √(c(c+δ)/(δ(c−δ)))".into()),
            points: xs
                .iter()
                .filter(|d| **d > 0.0 && **d < std::f64::consts::FRAC_1_SQRT_2)
                .map(|&d| {
                    (
                        d,
                        crate::equilibrium::closed_form::support_switch_ratio(d).sqrt(),
                    )
                })
                .collect(),
            colour: 7,
            dash: Dash::Dashed,
            width: 2.0,
            ..Series::default()
        }),
        other => Err(InputError::new(
            field,
            format!("unknown overlay {other:?}; use \"support_switch_ratio\""),
        )),
    }
}

/// The file stem of plot `n` (`raw`, as written) of the sweep of spec `name`: its `name`, by
/// default `<spec name>_<n>` (a frame field of an earlier version, e.g. `stem`, is refused).
pub fn plot_stem(name: &str, n: usize, raw: &Value) -> Result<String, InputError> {
    refuse_renamed(raw, &format!("sweep.plots[{n}]"))?;
    Ok(match raw.get("name").and_then(Value::as_str) {
        Some(stem) => stem.to_string(),
        None => format!("{name}_{n}"),
    })
}

/// The files a sweep writes under the spec's name besides its figures.
pub const SWEEP_OUTPUTS: [&str; 4] = [
    crate::spec::suffix::SWEEP_JSON,
    crate::spec::suffix::SWEEP_CSV,
    crate::spec::suffix::THRESHOLDS_CSV,
    crate::spec::suffix::LEVELS_CSV,
];

/// Builds the figures of a sweep's `plots` list; every figure's name is checked
/// ([`crate::spec::OutputNames`]) against the others and the sweep's own outputs.
pub fn sweep_figures(
    name: &str,
    plots: &[Value],
    plan: &SweepPlan,
    result: &SweepResult,
) -> Result<Vec<FigureOutput>, InputError> {
    let mut out = Vec::new();
    let mut names = crate::spec::OutputNames::with_spec_outputs(name, &SWEEP_OUTPUTS);
    for (n, raw) in plots.iter().enumerate() {
        let field = format!("sweep.plots[{n}]");
        let p: SweepPlotSpec = parse_figure(raw, &field)?;
        let frame = p.frame().check(&field, &format!("{name}_{n}"))?;
        names.add_figure(&frame.name, &format!("{field}.name"))?;
        let fig = match p.kind.as_str() {
            "heatmap" => heatmap(plan, result, &p, &field, &frame)?,
            "threshold_curves" => threshold_curves(plan, result, &p, &field, &frame)?,
            "lines" => lines(plan, result, &p, &field, &frame)?,
            other => {
                return Err(InputError::new(
                    format!("{field}.kind"),
                    format!(
                        "unknown kind {other:?}; use \"heatmap\", \"lines\" or \"threshold_curves\""
                    ),
                ));
            }
        };
        let data =
            json!({ "spec": raw, "figure": serde_json::to_value(&fig).unwrap_or(Value::Null) });
        out.push(FigureOutput {
            stem: frame.name,
            figure: fig,
            data,
        });
    }
    Ok(out)
}

/// Most cells the heat maps of one plot may hold together (the figure is a raster of at most
/// 64 Mpx; 4 Mi cells is already more than one pixel each at any sensible size).
pub const MAX_HEATMAP_CELLS: usize = 1 << 22;

fn heatmap(
    plan: &SweepPlan,
    result: &SweepResult,
    p: &SweepPlotSpec,
    field: &str,
    frame: &CheckedFrame,
) -> Result<Figure, InputError> {
    let metric = p.metric.clone().ok_or_else(|| {
        InputError::new(
            format!("{field}.metric"),
            "a heat map needs a metric column",
        )
    })?;
    let column = plan
        .columns
        .iter()
        .position(|c| *c == metric)
        .ok_or_else(|| {
            InputError::new(
                format!("{field}.metric"),
                format!(
                    "{metric:?} is not a metric column; use one of {}",
                    plan.columns.join(", ")
                ),
            )
        })?;
    let xa = axis_index(plan, &p.x, &format!("{field}.x"))?;
    let y_name =
        p.y.clone()
            .ok_or_else(|| InputError::new(format!("{field}.y"), "a heat map needs a y axis"))?;
    let ya = axis_index(plan, &y_name, &format!("{field}.y"))?;
    let numeric = |a: usize, f: &str| -> Result<Vec<f64>, InputError> {
        let v: Vec<f64> = plan.axes[a].values.iter().map(AxisValue::number).collect();
        if v.iter().any(|x| x.is_nan()) {
            return Err(InputError::new(f, "heat-map axes must be numeric"));
        }
        // Cells are drawn between neighbouring values: they must rise (checked here, not when
        // drawing).
        if v.windows(2).any(|w| w[1] <= w[0]) {
            return Err(InputError::new(
                f,
                format!(
                    "a heat map needs the values of axis {:?} strictly increasing; sort them and drop repeats",
                    plan.axes[a].name
                ),
            ));
        }
        Ok(v)
    };
    let xs = numeric(xa, &format!("{field}.x"))?;
    let ys = numeric(ya, &format!("{field}.y"))?;
    let facets = p
        .facet
        .as_ref()
        .and_then(|f| plan.axes.iter().find(|a| &a.name == f))
        .map_or(1, |a| a.values.len());
    if (xs.len() as u128) * (ys.len() as u128) * (facets as u128) > MAX_HEATMAP_CELLS as u128 {
        return Err(InputError::new(
            field,
            format!(
                "a heat map of {} × {} cells in {facets} panels is more than the {MAX_HEATMAP_CELLS} cells a figure can show; plot a coarser sweep, or leave this plot out and load the CSV table",
                xs.len(),
                ys.len()
            ),
        ));
    }
    let facet = match &p.facet {
        Some(f) => Some(axis_index(plan, f, &format!("{field}.facet"))?),
        None => None,
    };
    let base_idx = fixed_indices(plan, p, field)?;
    let facet_values: Vec<usize> = match facet {
        Some(f) => (0..plan.axes[f].values.len()).collect(),
        None => vec![0],
    };
    let last = plan.axes.len() - 1;
    let show_thresholds = p.thresholds.unwrap_or(true);
    let mut panels = Vec::new();
    for fv in facet_values {
        let mut idx = base_idx.clone();
        if let Some(f) = facet {
            idx[f] = fv;
        }
        let mut values = Vec::with_capacity(xs.len() * ys.len());
        for iy in 0..ys.len() {
            for ix in 0..xs.len() {
                let mut c = idx.clone();
                c[xa] = ix;
                c[ya] = iy;
                values.push(cell_value(plan, result, &c, column));
            }
        }
        let mut curves = Vec::new();
        let x_scale = scale_over(&p.x_scale, &xs, &p.x, &format!("{field}.x_scale"))?;
        let y_scale = scale_over(&p.y_scale, &ys, &y_name, &format!("{field}.y_scale"))?;
        if show_thresholds && (xa == last || ya == last) {
            // Thresholds along the last axis: the crossings of the lines through this panel,
            // in the order of the other plotted axis, chained into branches.
            let other = if xa == last { ya } else { xa };
            for (ti, t) in plan.line_thresholds().enumerate() {
                let lines: Vec<(f64, &[ThresholdRecord])> = (0..plan.axes[other].values.len())
                    .map(|j| {
                        let mut c = idx.clone();
                        c[other] = j;
                        let records = line_result(plan, result, &c[..last])
                            .map_or(&[][..], |l| l.thresholds[ti].as_slice());
                        (plan.axes[other].values[j].number(), records)
                    })
                    .collect();
                let along_scale = if xa == last { x_scale } else { y_scale };
                let style = Series {
                    label: Some(t.label.clone()),
                    colour: 1 + ti,
                    width: 2.5,
                    dash: threshold_dash(ti),
                    ..Series::default()
                };
                curves.extend(branch_series(&lines, along_scale, xa == last, &style));
            }
        }
        if show_thresholds {
            // Thresholds along x or y other than the last axis: the crossings on every line of
            // that axis through this panel, chained into branches.
            let lines_of = plan.line_thresholds().count();
            for (n, &ti) in plan.axis_thresholds().iter().enumerate() {
                let t = &plan.thresholds[ti];
                if t.axis != xa && t.axis != ya {
                    continue;
                }
                let other = if t.axis == xa { ya } else { xa };
                let mut by_other: Vec<(f64, &[ThresholdRecord])> = plan.axes[other]
                    .values
                    .iter()
                    .map(|v| (v.number(), &[][..]))
                    .collect();
                for a in result.axis_thresholds.iter().filter(|a| a.threshold == ti) {
                    let li = plan.line_indices_along(t.axis, a.line);
                    if (0..plan.axes.len()).all(|k| k == xa || k == ya || li[k] == idx[k]) {
                        by_other[li[other]].1 = &a.records;
                    }
                }
                let along_scale = if t.axis == xa { x_scale } else { y_scale };
                let style = Series {
                    label: Some(t.label.clone()),
                    colour: 1 + lines_of + n,
                    width: 2.5,
                    dash: threshold_dash(lines_of + n),
                    ..Series::default()
                };
                curves.extend(branch_series(&by_other, along_scale, t.axis == xa, &style));
            }
        }
        for (k, o) in p.overlays.iter().enumerate() {
            let f = format!("{field}.overlays[{k}]");
            // The closed form is a curve over δ: draw it against whichever axis is δ.
            let s = if plan.axes[xa].parameter == AxisParameter::Delta {
                overlay_curve(o, &xs, &f)?
            } else if plan.axes[ya].parameter == AxisParameter::Delta {
                let mut s = overlay_curve(o, &ys, &f)?;
                s.points = s.points.iter().map(|&(d, r)| (r, d)).collect();
                s
            } else {
                return Err(InputError::new(
                    f,
                    "closed-form overlays are curves over δ; put \"delta\" on x or y",
                ));
            };
            curves.push(s);
        }
        let mut shown = vec![xa, ya];
        shown.extend(facet);
        let ctx = lambda_context(plan, &idx, &shown);
        let title = panel_title(
            facet
                .map(|f| value_caption(plan, f, fv, ctx))
                .unwrap_or_default(),
            fixed_caption(plan, &idx, &shown),
        );
        panels.push(Panel::HeatMap(HeatMapPanel {
            title,
            x: PlotAxis {
                label: p.x_label.clone().unwrap_or_else(|| symbol(&p.x)),
                range: None,
                scale: x_scale,
            },
            y: PlotAxis {
                label: p.y_label.clone().unwrap_or_else(|| symbol(&y_name)),
                range: None,
                scale: y_scale,
            },
            x_values: xs.clone(),
            y_values: ys.clone(),
            values,
            colour_label: p.colour_label.clone().unwrap_or_else(|| metric.clone()),
            colour_range: p.colour_range.map(|r| (r[0], r[1])),
            diverging_centre: p.diverging_centre,
            contour_levels: p.contours.clone(),
            legend: !curves.is_empty(),
            curves,
            markers: Vec::new(),
            ..HeatMapPanel::default()
        }));
    }
    if p.shared_colour_scale.unwrap_or(false) && p.colour_range.is_none() {
        share_colour_scale(&mut panels, p.diverging_centre);
    }
    figure(frame, panels)
}

/// Gives every heat map of `panels` the colour range of all their values together (symmetric
/// about `centre` for a diverging palette), so one colour means one value in every panel.
fn share_colour_scale(panels: &mut [Panel], centre: Option<f64>) {
    let (lo, hi) = panels
        .iter()
        .filter_map(|p| match p {
            Panel::HeatMap(h) => Some(h.values.iter().copied()),
            _ => None,
        })
        .flatten()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo > hi {
        return;
    }
    let range = match centre.filter(|c| c.is_finite()) {
        Some(c) => {
            let half = (hi - c).abs().max((lo - c).abs());
            (c - half, c + half)
        }
        None => (lo, hi),
    };
    for p in panels {
        if let Panel::HeatMap(h) = p {
            h.colour_range = Some(range);
        }
    }
}

/// Line figures: metric columns against one axis, one line per value of a `series` axis, one
/// panel per value of a `facet` axis, the other axes held at `fix`.
fn lines(
    plan: &SweepPlan,
    result: &SweepResult,
    p: &SweepPlotSpec,
    field: &str,
    frame: &CheckedFrame,
) -> Result<Figure, InputError> {
    let names: Vec<String> = match (&p.metric, p.metrics.is_empty()) {
        (Some(m), true) => vec![m.clone()],
        (None, false) => p.metrics.clone(),
        (Some(_), false) => {
            return Err(InputError::new(
                format!("{field}.metrics"),
                "give either \"metric\" (one column) or \"metrics\" (a list), not both",
            ));
        }
        (None, true) => {
            return Err(InputError::new(
                format!("{field}.metric"),
                format!(
                    "a line figure needs a metric column, e.g. \"metric\": \"z1\"; the columns are {}",
                    plan.columns.join(", ")
                ),
            ));
        }
    };
    let mut columns = Vec::new();
    for (k, m) in names.iter().enumerate() {
        let f = if p.metrics.is_empty() {
            format!("{field}.metric")
        } else {
            format!("{field}.metrics[{k}]")
        };
        let c = plan.columns.iter().position(|c| c == m).ok_or_else(|| {
            InputError::new(
                f,
                format!(
                    "{m:?} is not a metric column; use one of {}",
                    plan.columns.join(", ")
                ),
            )
        })?;
        columns.push(c);
    }
    let xa = axis_index(plan, &p.x, &format!("{field}.x"))?;
    let xs: Vec<f64> = plan.axes[xa].values.iter().map(AxisValue::number).collect();
    if xs.iter().any(|x| x.is_nan()) {
        return Err(InputError::new(
            format!("{field}.x"),
            format!(
                "{:?} is not numeric; put a numeric axis on x and the {:?} axis in \"series\" or \"facet\"",
                p.x, p.x
            ),
        ));
    }
    let x_scale = scale_over(&p.x_scale, &xs, &p.x, &format!("{field}.x_scale"))?;
    let series_axis = match &p.series {
        Some(s) => Some(axis_index(plan, s, &format!("{field}.series"))?),
        None => None,
    };
    let facet = match &p.facet {
        Some(f) => Some(axis_index(plan, f, &format!("{field}.facet"))?),
        None => None,
    };
    if series_axis == Some(xa) || facet == Some(xa) || (facet.is_some() && facet == series_axis) {
        return Err(InputError::new(
            field,
            "x, series and facet must be three different axes",
        ));
    }
    if p.y.is_some() {
        return Err(InputError::new(
            format!("{field}.y"),
            "a line figure plots metric columns on y; name them in \"metric\" or \"metrics\"",
        ));
    }
    let base_idx = fixed_indices(plan, p, field)?;
    let markers = p.markers.unwrap_or(xs.len() <= 25);
    let facet_values: Vec<usize> = match facet {
        Some(f) => (0..plan.axes[f].values.len()).collect(),
        None => vec![0],
    };
    let groups: Vec<usize> = match series_axis {
        Some(a) => (0..plan.axes[a].values.len()).collect(),
        None => vec![0],
    };
    let mut shown = vec![xa];
    shown.extend(series_axis);
    shown.extend(facet);
    let mut panels = Vec::new();
    for fv in facet_values {
        let mut idx = base_idx.clone();
        if let Some(f) = facet {
            idx[f] = fv;
        }
        let ctx = lambda_context(plan, &idx, &shown);
        let mut series = Vec::new();
        for (gi, &g) in groups.iter().enumerate() {
            let mut c = idx.clone();
            if let Some(a) = series_axis {
                c[a] = g;
            }
            for (mi, &column) in columns.iter().enumerate() {
                let points = (0..xs.len())
                    .map(|ix| {
                        let mut cell = c.clone();
                        cell[xa] = ix;
                        (xs[ix], cell_value(plan, result, &cell, column))
                    })
                    .collect();
                let mut label = Vec::new();
                if columns.len() > 1 {
                    label.push(plan.column_symbol(&names[mi]));
                }
                if let Some(a) = series_axis {
                    label.push(value_caption(plan, a, g, ctx));
                }
                // With a series axis: colour per series value, dash per metric (more than three
                // metrics: colour per metric, dash cycling with metric and series value); without
                // one: colour per metric (more than three: the dash cycling too).
                let (colour, dash) = match series_axis {
                    Some(_) => super::line_style(gi, mi, columns.len()),
                    None if columns.len() <= 3 => (mi, Dash::Solid),
                    None => super::line_style(0, mi, columns.len()),
                };
                series.push(Series {
                    label: (!label.is_empty()).then(|| label.join(", ")),
                    points,
                    colour,
                    dash,
                    width: 2.0,
                    markers,
                    ..Series::default()
                });
            }
        }
        let title = panel_title(
            facet
                .map(|f| value_caption(plan, f, fv, ctx))
                .unwrap_or_default(),
            fixed_caption(plan, &idx, &shown),
        );
        let y_label = p.y_label.clone().unwrap_or_else(|| {
            names
                .iter()
                .map(|n| plan.column_symbol(n))
                .collect::<Vec<_>>()
                .join(", ")
        });
        panels.push(Panel::Lines(LinePanel {
            title,
            x: PlotAxis {
                label: p.x_label.clone().unwrap_or_else(|| symbol(&p.x)),
                range: None,
                scale: x_scale,
            },
            y: PlotAxis {
                label: y_label,
                range: None,
                scale: p.y_scale.into(),
            },
            legend: series.iter().any(|s| s.label.is_some()),
            series,
            markers: Vec::new(),
        }));
    }
    figure(frame, panels)
}

fn threshold_curves(
    plan: &SweepPlan,
    result: &SweepResult,
    p: &SweepPlotSpec,
    field: &str,
    frame: &CheckedFrame,
) -> Result<Figure, InputError> {
    let xa = axis_index(plan, &p.x, &format!("{field}.x"))?;
    let last = plan.axes.len() - 1;
    if xa == last {
        return Err(InputError::new(
            format!("{field}.x"),
            "thresholds lie along the last axis; put another axis on x",
        ));
    }
    let series_axis = match &p.series {
        Some(s) => Some(axis_index(plan, s, &format!("{field}.series"))?),
        None => None,
    };
    let base_idx = fixed_indices(plan, p, field)?;
    let mut series = Vec::new();
    let groups: Vec<usize> = match series_axis {
        Some(a) => (0..plan.axes[a].values.len()).collect(),
        None => vec![0],
    };
    let y_scale: Scale = p.y_scale.into();
    for (ti, t) in plan.line_thresholds().enumerate() {
        for (gi, g) in groups.iter().enumerate() {
            // The crossings of the lines at every x, in the order of the x axis.
            let lines: Vec<(f64, &[ThresholdRecord])> = (0..plan.axes[xa].values.len())
                .map(|j| {
                    let mut c = base_idx.clone();
                    c[xa] = j;
                    if let Some(a) = series_axis {
                        c[a] = *g;
                    }
                    let records = line_result(plan, result, &c[..last])
                        .map_or(&[][..], |l| l.thresholds[ti].as_slice());
                    (plan.axes[xa].values[j].number(), records)
                })
                .collect();
            let label = match series_axis {
                Some(a) => {
                    let mut idx = base_idx.clone();
                    idx[a] = *g;
                    let shown = [xa, a, last];
                    value_caption(plan, a, *g, lambda_context(plan, &idx, &shown))
                }
                None => t.label.clone(),
            };
            let style = Series {
                label: Some(label),
                colour: gi + ti * groups.len(),
                width: 2.0,
                markers: true,
                dash: threshold_dash(ti),
                ..Series::default()
            };
            let branches = branch_series(&lines, y_scale, false, &style);
            if branches.is_empty() {
                // Kept (empty) so that colours stay tied to series values; left out of the legend.
                series.push(style);
            }
            series.extend(branches);
        }
    }
    let xs: Vec<f64> = plan.axes[xa].values.iter().map(AxisValue::number).collect();
    for (k, o) in p.overlays.iter().enumerate() {
        let f = format!("{field}.overlays[{k}]");
        if plan.axes[xa].parameter != AxisParameter::Delta {
            return Err(InputError::new(
                f,
                "closed-form overlays are curves over δ; put \"delta\" on x",
            ));
        }
        series.push(overlay_curve(o, &xs, &f)?);
    }
    figure(
        frame,
        vec![Panel::Lines(LinePanel {
            title: {
                let mut shown = vec![xa, last];
                shown.extend(series_axis);
                fixed_caption(plan, &base_idx, &shown)
            },
            x: PlotAxis {
                label: p.x_label.clone().unwrap_or_else(|| symbol(&p.x)),
                range: None,
                scale: scale_over(
                    &p.x_scale,
                    &plan.axes[xa]
                        .values
                        .iter()
                        .map(AxisValue::number)
                        .collect::<Vec<_>>(),
                    &p.x,
                    &format!("{field}.x_scale"),
                )?,
            },
            y: PlotAxis {
                label: p
                    .y_label
                    .clone()
                    .unwrap_or_else(|| format!("threshold in {}", symbol(&plan.axes[last].name))),
                range: None,
                scale: y_scale,
            },
            series,
            markers: Vec::new(),
            legend: true,
        })],
    )
}

/// A sweep figure of `panels` in `frame` (default 1200 × 560 pixels, up to 3 panels per row).
fn figure(frame: &CheckedFrame, panels: Vec<Panel>) -> Result<Figure, InputError> {
    let layout = frame.layout(panels.len(), 3, |_, _| (1200, 560))?;
    Ok(Figure {
        title: frame.title.clone(),
        panels,
        columns: layout.columns,
        width: layout.width,
        height: layout.height,
    })
}
