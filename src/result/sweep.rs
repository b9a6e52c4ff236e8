//! The outputs of a sweep: the cell table (CSV, streamed), the thresholds table (CSV) and the
//! JSON document (axes, columns, thresholds, failed cells). Deterministic: no timing and no shard
//! information, so sharded and unsharded runs agree byte for byte.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{Document, Provenance, Source, csv_field, finite};
use crate::sweep::{
    AxisParameter, AxisThreshold, AxisValue, LineResult, SweepPlan, SweepResult, ThresholdRecord,
    cell_labels,
};

/// An axis: its parameter and values (numbers, or labels for regulariser and loss axes).
#[derive(Debug, Clone, Serialize)]
pub struct SweepAxisRecord {
    /// Parameter name.
    pub parameter: String,
    /// Values.
    pub values: Vec<Value>,
}

/// A threshold located on one line.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdRow {
    /// Line index.
    pub line: usize,
    /// Values of the outer axes on that line, by axis name.
    #[serde(flatten)]
    pub axes: Map<String, Value>,
    /// "metric = level along axis".
    pub criterion: String,
    /// found, not_found or failed.
    pub status: &'static str,
    /// Located value.
    pub value: Option<f64>,
    /// Final bracket.
    pub bracket: [Option<f64>; 2],
    /// Bracket width.
    pub precision: Option<f64>,
    /// Grid crossings on the line.
    pub crossings: usize,
    /// Which of them this row is, from 1 in the order of the axis' values (0: none).
    pub crossing: usize,
    /// rising, falling or touching (the metric against the axis value); None without a
    /// crossing.
    pub direction: Option<&'static str>,
    /// metric − level at the bracket ends.
    pub metric_minus_level_at_bracket: [Option<f64>; 2],
}

/// A cell that failed.
#[derive(Debug, Clone, Serialize)]
pub struct FailedCell {
    /// Cell index (row-major over the axes).
    pub cell: usize,
    /// Its axis values as labels.
    pub axes: Vec<String>,
    /// Why it failed.
    pub reason: String,
}

/// The data block of the sweep document.
#[derive(Debug, Clone, Serialize)]
pub struct SweepData {
    /// Spec name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Axes, outermost first.
    pub axes: Vec<SweepAxisRecord>,
    /// Values per axis.
    pub shape: Vec<usize>,
    /// The axis along which lines run (and thresholds are located).
    pub line_axis: Option<String>,
    /// Columns of the cell table.
    pub columns: Vec<String>,
    /// File name of the cell table.
    pub table: String,
    /// File name of the thresholds table.
    pub thresholds_table: String,
    /// Counts: cells, failed cells, thresholds found.
    pub summary: std::collections::BTreeMap<&'static str, usize>,
    /// Every threshold record (the first [`MAX_DOCUMENT_ROWS`]; the thresholds table has all).
    pub thresholds: Vec<ThresholdRow>,
    /// Threshold records beyond [`MAX_DOCUMENT_ROWS`], left out of `thresholds` (only shown
    /// when not zero).
    #[serde(skip_serializing_if = "is_zero")]
    pub thresholds_omitted: usize,
    /// Every failed cell (the first [`MAX_DOCUMENT_ROWS`]; the cell table marks all).
    pub failed_cells: Vec<FailedCell>,
    /// Failed cells beyond [`MAX_DOCUMENT_ROWS`], left out of `failed_cells` (only shown when
    /// not zero).
    #[serde(skip_serializing_if = "is_zero")]
    pub failed_cells_omitted: usize,
    /// The base model (the spec's `model` section, before the axes set their parameters):
    /// shapes, s, U, V (small models), rank and warnings.
    pub base_model: super::ModelInternals,
    /// Warnings about the base model.
    pub warnings: Vec<String>,
    /// File name of the level-set table, when level sets were asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub levels_table: Option<String>,
    /// Level sets (`sweep.level_sets`), one record per slice.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub level_sets: Vec<LevelSetRecord>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The level curves of a metric on one 2-D slice.
#[derive(Debug, Clone, Serialize)]
pub struct LevelSetRecord {
    /// Metric column.
    pub metric: String,
    /// Level.
    pub level: f64,
    /// Axis along x.
    pub x: String,
    /// Axis along y.
    pub y: String,
    /// The other axes' values on this slice, by name.
    pub fixed: Map<String, Value>,
    /// Polylines, each a list of [x, y] points.
    pub curves: Vec<Vec<[f64; 2]>>,
}

/// The records of level sets.
pub fn level_set_records(sets: &[crate::sweep::LevelSet]) -> Vec<LevelSetRecord> {
    sets.iter()
        .map(|s| LevelSetRecord {
            metric: s.metric.clone(),
            level: s.level,
            x: s.x.clone(),
            y: s.y.clone(),
            fixed: s
                .fixed
                .iter()
                .map(|(n, v)| (n.clone(), axis_value(v, v.label())))
                .collect(),
            curves: s.curves.clone(),
        })
        .collect()
}

/// Level sets as one CSV table: metric, level, slice, curve, the fixed axes, x, y (one row per
/// point; curve ids count from 0 within a slice).
pub fn levels_csv(sets: &[crate::sweep::LevelSet]) -> String {
    let mut fixed_names: Vec<&str> = Vec::new();
    for s in sets {
        for (n, _) in &s.fixed {
            if !fixed_names.contains(&n.as_str()) {
                fixed_names.push(n);
            }
        }
    }
    let mut out = String::from("metric,level,slice,curve");
    for n in &fixed_names {
        out.push(',');
        out.push_str(&csv_field(n));
    }
    out.push_str(",x,y\n");
    for (k, s) in sets.iter().enumerate() {
        let mut fixed = String::new();
        for n in &fixed_names {
            fixed.push(',');
            if let Some((_, v)) = s.fixed.iter().find(|(m, _)| m == n) {
                fixed.push_str(&csv_field(&v.label()));
            }
        }
        for (c, curve) in s.curves.iter().enumerate() {
            for p in curve {
                out.push_str(&format!(
                    "{},{},{k},{c}{fixed},{},{}\n",
                    csv_field(&s.metric),
                    s.level,
                    p[0],
                    p[1]
                ));
            }
        }
    }
    out
}

/// Solver settings of a sweep, for provenance.
#[derive(Debug, Clone, Serialize)]
pub struct SweepSettingsRecord {
    /// Relative tolerance of trajectory metrics.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Newton tolerance.
    pub newton_tolerance: f64,
    /// Integrators used.
    pub integrator: &'static str,
    /// How equilibria are found.
    pub equilibria: &'static str,
}

/// The provenance of the sweep document.
#[derive(Debug, Clone, Serialize)]
pub struct SweepProvenance {
    /// The spec as read.
    pub spec: Value,
    /// Solver settings.
    pub settings: SweepSettingsRecord,
}

/// A number as a number, anything else as its `label` (from the parameters used, see
/// [`SweepPlan::value_labels`]).
fn axis_value(v: &AxisValue, label: String) -> Value {
    match v {
        AxisValue::Number(x) => serde_json::json!(x),
        _ => Value::from(label),
    }
}

/// The axes fixed on a line along `along` through cell indices `idx`, with their labels: along
/// the last axis the outer axes labelled as [`SweepPlan::outer_value_labels`] does.
fn fixed_axis_values(plan: &SweepPlan, idx: &[usize], along: usize) -> Vec<(usize, String)> {
    let last = plan.axes.len() - 1;
    if along == last {
        let labels = plan.outer_value_labels(line_of(plan, idx));
        return labels.into_iter().enumerate().collect();
    }
    plan.fixed_value_labels(idx, along)
}

/// The line (along the last axis) through cell indices `idx`.
fn line_of(plan: &SweepPlan, idx: &[usize]) -> usize {
    let last = plan.axes.len() - 1;
    plan.axes[..last]
        .iter()
        .zip(idx)
        .fold(0, |line, (a, &i)| line * a.values.len() + i)
}

/// Most threshold records and most failed cells the sweep document lists (each); beyond them
/// the document counts what it leaves out (`thresholds_omitted`, `failed_cells_omitted`) and
/// the CSV tables hold everything, so the document stays small however large the grid.
pub const MAX_DOCUMENT_ROWS: usize = 100_000;

/// The sweep document of a result held in memory (the cell table itself is the CSV); the same
/// bytes as [`SweepDocumentBuilder`] fed line by line.
pub fn sweep_document(
    source: Source<'_>,
    plan: &SweepPlan,
    result: &SweepResult,
) -> Document<SweepData, SweepProvenance> {
    let mut b = SweepDocumentBuilder::default();
    for l in &result.lines {
        b.push_line(plan, l);
    }
    for a in &result.axis_thresholds {
        b.push_axis_threshold(plan, a);
    }
    b.finish(source, plan)
}

/// The sweep document built from lines as they stream past, in order: it keeps the counts, the
/// threshold records and the failed cells (at most [`MAX_DOCUMENT_ROWS`] of each), not the cells.
#[derive(Debug, Clone, Default)]
pub struct SweepDocumentBuilder {
    cells: usize,
    failed_count: usize,
    thresholds_found: usize,
    failed: Vec<FailedCell>,
    thresholds: Vec<ThresholdRow>,
    thresholds_count: usize,
}

impl SweepDocumentBuilder {
    /// Takes in the next line (lines come in order).
    pub fn push_line(&mut self, plan: &SweepPlan, l: &LineResult) {
        let line_len = plan.line_length();
        self.cells += l.cells.len();
        for (pos, c) in l.cells.iter().enumerate() {
            if let Some(reason) = &c.failure {
                self.failed_count += 1;
                if self.failed.len() < MAX_DOCUMENT_ROWS {
                    self.failed.push(FailedCell {
                        cell: l.line * line_len + pos,
                        axes: cell_labels(plan, l.line, pos),
                        reason: reason.to_string(),
                    });
                }
            }
        }
        let mut idx = plan.line_indices(l.line);
        idx.push(0);
        for t in l.thresholds.iter().flatten() {
            self.push_threshold(plan, l.line, &idx, plan.axes.len() - 1, t);
        }
    }

    /// Takes in the next threshold along another axis than the last (they come after the
    /// lines, in order).
    pub fn push_axis_threshold(&mut self, plan: &SweepPlan, a: &AxisThreshold) {
        let axis = plan.thresholds[a.threshold].axis;
        let idx = plan.line_indices_along(axis, a.line);
        for t in &a.records {
            self.push_threshold(plan, a.line, &idx, axis, t);
        }
    }

    fn push_threshold(
        &mut self,
        plan: &SweepPlan,
        line: usize,
        idx: &[usize],
        along: usize,
        t: &ThresholdRecord,
    ) {
        self.thresholds_found += usize::from(t.status.is_found());
        self.thresholds_count += 1;
        if self.thresholds.len() >= MAX_DOCUMENT_ROWS {
            return;
        }
        self.thresholds.push(ThresholdRow {
            line,
            axes: fixed_axis_values(plan, idx, along)
                .into_iter()
                .map(|(k, label)| {
                    let a = &plan.axes[k];
                    (a.name.clone(), axis_value(&a.values[idx[k]], label))
                })
                .collect(),
            criterion: t.criterion.clone(),
            status: t.status.name(),
            value: finite(t.value),
            bracket: [finite(t.bracket[0]), finite(t.bracket[1])],
            precision: finite(t.precision),
            crossings: t.crossings,
            crossing: t.crossing,
            direction: t.direction.map(|d| d.name()),
            metric_minus_level_at_bracket: [finite(t.sides[0]), finite(t.sides[1])],
        });
    }

    /// Counts: cells, failed cells, thresholds found (as [`crate::sweep::summary`]).
    pub fn summary(&self) -> BTreeMap<&'static str, usize> {
        BTreeMap::from([
            ("cells", self.cells),
            ("failed_cells", self.failed_count),
            ("thresholds_found", self.thresholds_found),
        ])
    }

    /// The document of every line pushed.
    pub fn finish(
        self,
        source: Source<'_>,
        plan: &SweepPlan,
    ) -> Document<SweepData, SweepProvenance> {
        let summary = self.summary();
        let mut columns: Vec<String> = plan.axes.iter().map(|a| a.name.clone()).collect();
        columns.extend(plan.columns.iter().cloned());
        columns.push("status".into());
        Document {
            data: SweepData {
                name: source.name.to_string(),
                description: source.description.to_string(),
                axes: plan
                    .axes
                    .iter()
                    .enumerate()
                    .map(|(k, a)| SweepAxisRecord {
                        parameter: a.name.clone(),
                        values: a
                            .values
                            .iter()
                            .zip(plan.axis_value_labels(k))
                            .map(|(v, label)| axis_value(v, label))
                            .collect(),
                    })
                    .collect(),
                shape: plan.axes.iter().map(|a| a.values.len()).collect(),
                line_axis: plan.axes.last().map(|a| a.name.clone()),
                columns,
                table: format!("{}.sweep.csv", source.name),
                thresholds_table: format!("{}.thresholds.csv", source.name),
                summary,
                thresholds_omitted: self.thresholds_count - self.thresholds.len(),
                thresholds: self.thresholds,
                failed_cells_omitted: self.failed_count - self.failed.len(),
                failed_cells: self.failed,
                base_model: super::ModelInternals::new(&plan.base),
                warnings: plan.base.warnings(),
                levels_table: None,
                level_sets: Vec::new(),
            },
            provenance: Provenance::new(SweepProvenance {
                spec: source.spec.clone(),
                settings: SweepSettingsRecord {
                    rtol: plan.settings.rtol,
                    atol: plan.settings.atol,
                    newton_tolerance: plan.settings.equilibrium.tolerance,
                    integrator: "lane-batched DOP853 (two-feature toy) or auto (dop853 → radau5)",
                    equilibria: "Newton with line search, warm-started along each line",
                },
            }),
        }
    }
}

/// The header of the cell table.
pub fn write_sweep_csv_header(
    plan: &SweepPlan,
    w: &mut (impl std::io::Write + ?Sized),
) -> std::io::Result<()> {
    let mut header: Vec<String> = Vec::new();
    for a in &plan.axes {
        header.extend(axis_csv_names(plan, a));
    }
    header.extend(plan.columns.iter().map(|c| csv_field(c)));
    header.push("status".into());
    writeln!(w, "{}", header.join(","))
}

/// Appends the cell-table rows of one line (one row per cell: axis values, metric columns,
/// status) to `out`.
pub fn sweep_csv_rows(plan: &SweepPlan, l: &LineResult, out: &mut Vec<u8>) {
    let outer = &plan.axes[..plan.axes.len() - 1];
    let last = plan.axes.last().expect("axes checked non-empty");
    let mut line = String::with_capacity(256);
    let idx = plan.line_indices(l.line);
    let mut line_prefix = String::new();
    for (a, &i) in outer.iter().zip(&idx) {
        line_prefix.push_str(&axis_csv(plan, a, &a.values[i]).join(","));
        line_prefix.push(',');
    }
    for (pos, c) in l.cells.iter().enumerate() {
        line.clear();
        line.push_str(&line_prefix);
        line.push_str(&axis_csv(plan, last, &last.values[pos]).join(","));
        for v in &c.values {
            line.push(',');
            if v.is_finite() {
                let _ = write!(line, "{v:?}");
            }
        }
        line.push(',');
        match &c.failure {
            None => line.push_str("ok"),
            Some(r) => line.push_str(&csv_field(&format!("failed: {r}"))),
        }
        line.push('\n');
        out.extend_from_slice(line.as_bytes());
    }
}

/// Writes the cell table (one row per cell: axis values, metric columns, status) as CSV.
pub fn write_sweep_csv(
    plan: &SweepPlan,
    result: &SweepResult,
    w: &mut (impl std::io::Write + ?Sized),
) -> std::io::Result<()> {
    write_sweep_csv_header(plan, w)?;
    let mut rows = Vec::new();
    for l in &result.lines {
        rows.clear();
        sweep_csv_rows(plan, l, &mut rows);
        w.write_all(&rows)?;
    }
    Ok(())
}

/// How a regulariser axis is written in the CSV tables: which columns follow its kind.
#[derive(Debug, Clone, Copy)]
struct RegulariserColumns {
    /// A `lambda` column (the regulariser's own λ; absent when a λ axis sets λ, whose own
    /// column then holds it).
    lambda: bool,
    /// `lambda_negative_ratio`, `target_positive`, `target_negative` (some value is per-class
    /// SD; a λ axis keeps the ratio λ₋/λ₊ and the targets).
    per_class: bool,
}

/// The extra columns of axis `a` when it is a regulariser axis.
fn regulariser_columns(plan: &SweepPlan, a: &crate::sweep::Axis) -> Option<RegulariserColumns> {
    matches!(a.parameter, AxisParameter::Regulariser).then(|| RegulariserColumns {
        lambda: plan.lambda_axis().is_none(),
        per_class: a.values.iter().any(|v| {
            matches!(v, AxisValue::Regulariser(crate::model::Regulariser::SpectralDecoupling(sd)) if !sd.is_uniform())
        }),
    })
}

/// The CSV column names of axis `a`: its name, and for a regulariser axis (whose column holds
/// the kind: none, l2 or sd) `lambda` and the per-class SD columns as [`RegulariserColumns`]
/// says, so that no value has to be parsed out of a label.
fn axis_csv_names(plan: &SweepPlan, a: &crate::sweep::Axis) -> Vec<String> {
    let mut names = vec![csv_field(&a.name)];
    if let Some(c) = regulariser_columns(plan, a) {
        if c.lambda {
            names.push("lambda".into());
        }
        if c.per_class {
            names.extend(
                [
                    "lambda_negative_ratio",
                    "target_positive",
                    "target_negative",
                ]
                .map(String::from),
            );
        }
    }
    names
}

/// The CSV fields of value `v` of axis `a` (as many as [`axis_csv_names`] names): a number, a
/// loss name, or a regulariser's kind and its parameters (empty where they do not apply).
fn axis_csv(plan: &SweepPlan, a: &crate::sweep::Axis, v: &AxisValue) -> Vec<String> {
    use crate::model::Regulariser;
    let num = |x: f64| format!("{x:?}");
    match v {
        AxisValue::Number(x) => vec![num(*x)],
        AxisValue::Regulariser(r) => {
            let c = regulariser_columns(plan, a).unwrap_or(RegulariserColumns {
                lambda: false,
                per_class: false,
            });
            let mut fields = vec![r.name().to_string()];
            if c.lambda {
                fields.push(match r {
                    Regulariser::None => String::new(),
                    other => num(other.lambda()),
                });
            }
            if c.per_class {
                match r {
                    Regulariser::SpectralDecoupling(sd) => fields.extend([
                        if sd.lambda_positive > 0.0 {
                            num(sd.lambda_negative / sd.lambda_positive)
                        } else {
                            String::new()
                        },
                        num(sd.target_positive),
                        num(sd.target_negative),
                    ]),
                    _ => fields.extend([String::new(), String::new(), String::new()]),
                }
            }
            fields
        }
        other => vec![csv_field(&other.label())],
    }
}

/// The header of the threshold table.
pub fn write_thresholds_csv_header(
    plan: &SweepPlan,
    w: &mut (impl std::io::Write + ?Sized),
) -> std::io::Result<()> {
    let mut header = vec!["line".to_string()];
    for a in threshold_table_axes(plan) {
        header.extend(axis_csv_names(plan, a));
    }
    header.extend(
        [
            "criterion",
            "status",
            "value",
            "bracket_lo",
            "bracket_hi",
            "precision",
            "crossings",
            "crossing",
            "direction",
        ]
        .map(String::from),
    );
    writeln!(w, "{}", header.join(","))
}

/// The axis columns of the threshold table: the outer axes (all but the last) when every
/// threshold runs along the last axis, otherwise every axis (the one a row's threshold runs
/// along is left empty in that row).
fn threshold_table_axes(plan: &SweepPlan) -> &[crate::sweep::Axis] {
    let all_last = plan.axis_thresholds().is_empty();
    let shown = if all_last {
        plan.axes.len() - 1
    } else {
        plan.axes.len()
    };
    &plan.axes[..shown]
}

/// Appends the threshold-table rows of one line to `out`.
pub fn thresholds_csv_rows(plan: &SweepPlan, l: &LineResult, out: &mut Vec<u8>) {
    if l.thresholds.is_empty() {
        return;
    }
    let mut idx = plan.line_indices(l.line);
    idx.push(0);
    for t in l.thresholds.iter().flatten() {
        threshold_csv_row(plan, l.line, &idx, plan.axes.len() - 1, t, out);
    }
}

/// Appends the threshold-table rows (one per crossing) of a threshold along another axis than
/// the last.
pub fn axis_threshold_csv_row(plan: &SweepPlan, a: &AxisThreshold, out: &mut Vec<u8>) {
    let axis = plan.thresholds[a.threshold].axis;
    let idx = plan.line_indices_along(axis, a.line);
    for t in &a.records {
        threshold_csv_row(plan, a.line, &idx, axis, t, out);
    }
}

fn threshold_csv_row(
    plan: &SweepPlan,
    line: usize,
    idx: &[usize],
    along: usize,
    t: &ThresholdRecord,
    out: &mut Vec<u8>,
) {
    let num = |x: f64| {
        if x.is_finite() {
            format!("{x:?}")
        } else {
            String::new()
        }
    };
    let shown = threshold_table_axes(plan).len();
    let labels = fixed_axis_values(plan, idx, along);
    let mut row = vec![line.to_string()];
    for (k, (a, &i)) in plan.axes.iter().zip(idx).enumerate().take(shown) {
        match labels.iter().find(|(j, _)| *j == k) {
            None => row.extend(axis_csv_names(plan, a).iter().map(|_| String::new())),
            Some(_) => row.extend(axis_csv(plan, a, &a.values[i])),
        }
    }
    row.push(csv_field(&t.criterion));
    row.push(t.status.name().into());
    row.push(num(t.value));
    row.push(num(t.bracket[0]));
    row.push(num(t.bracket[1]));
    row.push(num(t.precision));
    row.push(t.crossings.to_string());
    row.push(t.crossing.to_string());
    row.push(t.direction.map_or("", |d| d.name()).into());
    out.extend_from_slice(row.join(",").as_bytes());
    out.push(b'\n');
}

/// Writes the threshold table as CSV.
pub fn write_thresholds_csv(
    plan: &SweepPlan,
    result: &SweepResult,
    w: &mut (impl std::io::Write + ?Sized),
) -> std::io::Result<()> {
    write_thresholds_csv_header(plan, w)?;
    let mut rows = Vec::new();
    for l in &result.lines {
        rows.clear();
        thresholds_csv_rows(plan, l, &mut rows);
        w.write_all(&rows)?;
    }
    for a in &result.axis_thresholds {
        rows.clear();
        axis_threshold_csv_row(plan, a, &mut rows);
        w.write_all(&rows)?;
    }
    Ok(())
}
