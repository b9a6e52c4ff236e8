//! Output documents: a `data` block (numbers only, so files diff cleanly between runs) and a
//! `provenance` block (spec, crate version, git commit, solver settings, statistics, wall time).
//! Tables are column-oriented so that `pandas.DataFrame(doc["data"]["runs"][0]["table"])` works.

use serde_json::{Map, Value, json};

use crate::output::provenance_base;
use crate::solve::{Output, SolveOptions, SolverStats, Trajectory};
use crate::spec::{RunSpec, Spec};

/// Statistics as JSON.
pub fn stats_json(s: &SolverStats) -> Value {
    json!({
        "field_evaluations": s.field_evaluations,
        "jacobian_evaluations": s.jacobian_evaluations,
        "factorisations": s.factorisations,
        "linear_solves": s.linear_solves,
        "accepted_steps": s.accepted_steps,
        "rejected_steps": s.rejected_steps,
    })
}

/// Solver options as JSON.
pub fn options_json(o: &SolveOptions) -> Value {
    let output = match &o.output {
        Output::Count(c) => json!({ "count": c }),
        Output::Times(t) => json!({ "times": t }),
        Output::Steps => json!("steps"),
    };
    json!({
        "t_start": o.t_start,
        "t_end": o.t_end,
        "rtol": o.rtol,
        "atol": o.atol,
        "output": output,
        "max_steps": o.max_steps,
        "initial_step": o.initial_step,
        "max_step": o.max_step,
        "step": o.step,
        "steady_state_tolerance": o.steady_state.map(|s| s.tolerance),
        "level_crossings": o.level_crossings.iter().map(|l| json!({
            "feature": l.feature + 1,
            "level": l.level,
            "direction": format!("{:?}", l.direction).to_lowercase(),
            "terminal": l.terminal,
        })).collect::<Vec<_>>(),
    })
}

/// The data block of one trajectory: time and response columns, states (θ/α runs), events.
pub fn trajectory_data(run: &RunSpec, tr: &Trajectory) -> Value {
    let mut table = Map::new();
    table.insert("t".into(), json!(tr.times));
    let k = tr.responses.first().map(Vec::len).unwrap_or(0);
    for j in 0..k {
        let col: Vec<f64> = tr.responses.iter().map(|z| z[j]).collect();
        table.insert(format!("z{}", j + 1), json!(col));
    }
    let mut m = Map::new();
    m.insert("label".into(), json!(run.label));
    m.insert("parameters".into(), json!(run.parameters));
    m.insert("space".into(), json!(tr.space.name()));
    m.insert("method".into(), json!(tr.method.name()));
    m.insert("stop_reason".into(), json!(tr.stop.name()));
    m.insert("table".into(), Value::Object(table));
    if tr.space != crate::flow::Space::Responses {
        m.insert("states".into(), json!(tr.states));
    }
    m.insert(
        "events".into(),
        Value::Array(
            tr.events
                .iter()
                .map(|e| {
                    let lc = e.index.map(|i| run.options.level_crossings[i]);
                    json!({
                        "kind": e.kind,
                        "feature": lc.map(|l| l.feature + 1),
                        "level": lc.map(|l| l.level),
                        "time": e.time,
                        "bracket": e.bracket,
                        "responses": e.responses,
                    })
                })
                .collect(),
        ),
    );
    Value::Object(m)
}

/// The provenance entry of one run: model summary, settings, statistics, methods used.
pub fn trajectory_provenance(run: &RunSpec, tr: &Trajectory) -> Value {
    json!({
        "label": run.label,
        "run": run.raw,
        "model": {
            "examples": run.model.examples(),
            "features": run.model.features(),
            "parameters": run.model.parameters(),
            "regulariser": run.model.regulariser().name(),
            "lambda": run.model.regulariser().lambda(),
            "loss": run.model.loss().name(),
            "rate": run.model.rate(),
            "dropped_singular_values": run.model.rank_report().map(|r| r.dropped.clone()),
        },
        "space": run.space.name(),
        "method": run.method.name(),
        "options": options_json(&run.options),
        "methods_used": tr.methods_used.iter().map(|s| json!({"method": s.method.name(), "from": s.from})).collect::<Vec<_>>(),
        "statistics": stats_json(&tr.stats),
        "radau5_effective_rtol": tr
            .methods_used
            .iter()
            .any(|m| m.method == crate::solve::Method::Radau5)
            .then(|| run.options.rtol.max(crate::solve::RADAU5_MIN_RTOL)),
        "time_convention": if run.method == crate::solve::Method::GradientDescent {
            "gd: step k is at time t_start + k·step (explicit Euler of the flow with rate η)"
        } else {
            "continuous gradient-flow time t"
        },
    })
}

/// The full document of a `run` command.
/// `run_seconds[i]` is the wall time of run i (provenance only).
pub fn runs_document(
    spec: &Spec,
    runs: &[(RunSpec, Trajectory)],
    run_seconds: &[f64],
    wall_seconds: f64,
) -> Value {
    let data: Vec<Value> = runs.iter().map(|(r, t)| trajectory_data(r, t)).collect();
    let prov: Vec<Value> = runs
        .iter()
        .enumerate()
        .map(|(i, (r, t))| {
            let mut v = trajectory_provenance(r, t);
            if let (Some(m), Some(sec)) = (v.as_object_mut(), run_seconds.get(i)) {
                m.insert("wall_time_seconds".into(), json!(sec));
            }
            v
        })
        .collect();
    let mut p = provenance_base();
    p.insert("spec".into(), spec.raw.clone());
    p.insert("runs".into(), Value::Array(prov));
    p.insert("wall_time_seconds".into(), json!(wall_seconds));
    json!({
        "data": { "name": spec.name, "description": spec.description, "runs": data },
        "provenance": Value::Object(p),
    })
}

/// A long-format CSV of every run: run, label, t, z1 … zk.
pub fn runs_csv(runs: &[(RunSpec, Trajectory)]) -> String {
    let k = runs
        .iter()
        .map(|(_, t)| t.responses.first().map(Vec::len).unwrap_or(0))
        .max()
        .unwrap_or(0);
    let mut s = String::from("run,label,t");
    for j in 0..k {
        s.push_str(&format!(",z{}", j + 1));
    }
    s.push('\n');
    for (i, (r, t)) in runs.iter().enumerate() {
        let label = csv_field(&r.label);
        for (time, z) in t.times.iter().zip(&t.responses) {
            s.push_str(&format!("{i},{label},{time}"));
            for j in 0..k {
                match z.get(j) {
                    Some(v) => s.push_str(&format!(",{v}")),
                    None => s.push(','),
                }
            }
            s.push('\n');
        }
    }
    s
}

/// Quotes a CSV field when needed.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// JSON with a trailing newline: pretty-printed (diffs cleanly) unless the compact form exceeds
/// 1 MB, where one number per line would multiply the size; such documents are written compact.
pub fn to_json_bytes(v: &impl serde::Serialize) -> Vec<u8> {
    let compact = serde_json::to_vec(v).unwrap_or_default();
    let mut b = if compact.len() > 1 << 20 {
        compact
    } else {
        serde_json::to_vec_pretty(v).unwrap_or_default()
    };
    b.push(b'\n');
    b
}

/// One model's equilibrium results, ready to be written.
pub struct EquilibriumEntry {
    /// Label of the run.
    pub label: String,
    /// Vary values.
    pub parameters: std::collections::BTreeMap<String, Value>,
    /// The model.
    pub model: crate::model::FeatureModel,
    /// The report.
    pub report: crate::equilibrium::report::EquilibriumReport,
    /// Continuation branch (parameter name and points), if requested.
    pub branch: Option<(String, Vec<crate::equilibrium::BranchPoint>)>,
}

fn matrix_rows(m: &nalgebra::DMatrix<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect()
}

/// The data block of one equilibrium entry.
pub fn equilibrium_data(e: &EquilibriumEntry) -> Value {
    let r = &e.report;
    let eq = &r.equilibrium;
    let ratio = r.uncoupled.as_ref().map(|z0| {
        eq.point
            .iter()
            .zip(z0)
            .map(|(z, u)| z / u)
            .collect::<Vec<f64>>()
    });
    let branch = e.branch.as_ref().map(|(name, points)| {
        let k = points
            .first()
            .map(|p| p.equilibrium.point.len())
            .unwrap_or(0);
        let mut table = Map::new();
        table.insert(
            name.clone(),
            json!(points.iter().map(|p| p.value).collect::<Vec<_>>()),
        );
        for j in 0..k {
            table.insert(
                format!("z{}", j + 1),
                json!(
                    points
                        .iter()
                        .map(|p| p.equilibrium.point[j])
                        .collect::<Vec<_>>()
                ),
            );
        }
        table.insert(
            "max_eigenvalue".into(),
            json!(
                points
                    .iter()
                    .map(|p| p.equilibrium.eigenvalues.last().map(|e| e.0))
                    .collect::<Vec<_>>()
            ),
        );
        json!({ "parameter": name, "table": Value::Object(table) })
    });
    json!({
        "label": e.label,
        "parameters": e.parameters,
        "z": eq.point,
        "margins": eq.margins,
        "stability": eq.stability.name(),
        "eigenvalues": eq.eigenvalues.iter().map(|(re, im)| json!([re, im])).collect::<Vec<_>>(),
        "jacobian": matrix_rows(&eq.jacobian),
        "starvation_matrix": matrix_rows(&r.sensitivities.starvation_matrix),
        "starvation_matrix_convention": "row j, column i: ∂z_j*/∂(s_i²) (M16)",
        "dz_dlambda": r.sensitivities.lambda,
        "delta": r.delta,
        "dz_ddelta": r.delta_sensitivity,
        "uncoupled_z": r.uncoupled,
        "starvation_ratio": ratio,
        "closed_forms": r.closed_forms.iter().map(|c| json!({
            "name": c.name, "source": c.source, "exact": c.exact,
            "closed_form": c.closed_form, "relative_error": c.relative_error,
        })).collect::<Vec<_>>(),
        "branch": branch,
    })
}

/// The document of the `equilibrium` command.
pub fn equilibrium_document(spec: &Spec, entries: &[EquilibriumEntry], wall_seconds: f64) -> Value {
    let mut p = provenance_base();
    p.insert("spec".into(), spec.raw.clone());
    p.insert(
        "models".into(),
        Value::Array(
            entries
                .iter()
                .map(|e| {
                    json!({
                        "label": e.label,
                        "examples": e.model.examples(),
                        "features": e.model.features(),
                        "regulariser": e.model.regulariser().name(),
                        "lambda": e.model.regulariser().lambda(),
                        "loss": e.model.loss().name(),
                        "rate": e.model.rate(),
                        "newton_iterations": e.report.equilibrium.iterations,
                        "weighted_residual": e.report.equilibrium.residual,
                    })
                })
                .collect(),
        ),
    );
    p.insert("wall_time_seconds".into(), json!(wall_seconds));
    json!({
        "data": {
            "name": spec.name,
            "description": spec.description,
            "models": entries.iter().map(equilibrium_data).collect::<Vec<_>>(),
        },
        "provenance": Value::Object(p),
    })
}

/// Axis values of a sweep as JSON (numbers, or labels for categorical axes).
fn sweep_axes_json(plan: &crate::sweep::SweepPlan) -> Value {
    Value::Array(
        plan.axes
            .iter()
            .map(|a| {
                let values: Vec<Value> = a
                    .values
                    .iter()
                    .map(|v| match v {
                        crate::sweep::AxisValue::Number(x) => json!(x),
                        other => json!(other.label()),
                    })
                    .collect();
                json!({ "parameter": a.name, "values": values })
            })
            .collect(),
    )
}

/// Threshold records of a sweep as JSON rows (one per line and threshold).
pub fn sweep_thresholds_json(
    plan: &crate::sweep::SweepPlan,
    result: &crate::sweep::SweepResult,
) -> Vec<Value> {
    let outer = &plan.axes[..plan.axes.len() - 1];
    let mut rows = Vec::new();
    for l in &result.lines {
        let idx = plan.line_indices(l.line);
        for t in &l.thresholds {
            let mut m = Map::new();
            m.insert("line".into(), json!(l.line));
            for (a, &i) in outer.iter().zip(&idx) {
                m.insert(
                    a.name.clone(),
                    match &a.values[i] {
                        crate::sweep::AxisValue::Number(x) => json!(x),
                        other => json!(other.label()),
                    },
                );
            }
            m.insert("criterion".into(), json!(t.criterion));
            m.insert("status".into(), json!(t.status.name()));
            m.insert("value".into(), finite_or_null(t.value));
            m.insert(
                "bracket".into(),
                json!([finite_or_null(t.bracket[0]), finite_or_null(t.bracket[1])]),
            );
            m.insert("precision".into(), finite_or_null(t.precision));
            m.insert("crossings".into(), json!(t.crossings));
            m.insert(
                "metric_minus_level_at_bracket".into(),
                json!([finite_or_null(t.sides[0]), finite_or_null(t.sides[1])]),
            );
            rows.push(Value::Object(m));
        }
    }
    rows
}

/// A number, or null when it is not finite (JSON has no NaN).
pub fn finite_or_null(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

/// The sweep document: axes, columns, thresholds and failed cells (the cell table is the CSV).
/// Deterministic: no timing, no shard information, so sharded and unsharded runs agree byte
/// for byte.
pub fn sweep_document(
    spec: &Spec,
    plan: &crate::sweep::SweepPlan,
    result: &crate::sweep::SweepResult,
) -> Value {
    let mut columns: Vec<String> = plan.axes.iter().map(|a| a.name.clone()).collect();
    columns.extend(plan.columns.iter().cloned());
    columns.push("status".into());
    let mut failed = Vec::new();
    let line_len = plan.line_length();
    for l in &result.lines {
        for (pos, c) in l.cells.iter().enumerate() {
            if let Some(reason) = &c.failure {
                failed.push(json!({
                    "cell": l.line * line_len + pos,
                    "axes": crate::sweep::cell_labels(plan, l.line, pos),
                    "reason": reason.to_string(),
                }));
            }
        }
    }
    let summary = crate::sweep::summary(result);
    let mut p = provenance_base();
    p.insert("spec".into(), spec.raw.clone());
    p.insert(
        "settings".into(),
        json!({
            "rtol": plan.settings.rtol,
            "atol": plan.settings.atol,
            "newton_tolerance": plan.settings.equilibrium.tolerance,
            "integrator": "lane-batched DOP853 (two-feature toy) or auto (dop853 → radau5)",
            "equilibria": "Newton with line search, warm-started along each line",
        }),
    );
    json!({
        "data": {
            "name": spec.name,
            "description": spec.description,
            "axes": sweep_axes_json(plan),
            "shape": plan.axes.iter().map(|a| a.values.len()).collect::<Vec<_>>(),
            "line_axis": plan.axes.last().map(|a| a.name.clone()),
            "columns": columns,
            "table": format!("{}.csv", spec.name),
            "thresholds_table": format!("{}.thresholds.csv", spec.name),
            "summary": summary,
            "thresholds": sweep_thresholds_json(plan, result),
            "failed_cells": failed,
        },
        "provenance": Value::Object(p),
    })
}

/// Writes the cell table (one row per cell: axis values, metric columns, status) as CSV.
pub fn write_sweep_csv(
    plan: &crate::sweep::SweepPlan,
    result: &crate::sweep::SweepResult,
    w: &mut (impl std::io::Write + ?Sized),
) -> std::io::Result<()> {
    let mut header: Vec<String> = plan.axes.iter().map(|a| csv_field(&a.name)).collect();
    header.extend(plan.columns.iter().map(|c| csv_field(c)));
    header.push("status".into());
    writeln!(w, "{}", header.join(","))?;
    let outer = &plan.axes[..plan.axes.len() - 1];
    let last = plan.axes.last().expect("axes checked non-empty");
    let mut line = String::with_capacity(256);
    for l in &result.lines {
        let idx = plan.line_indices(l.line);
        let mut prefix = String::new();
        for (a, &i) in outer.iter().zip(&idx) {
            prefix.push_str(&axis_csv(&a.values[i]));
            prefix.push(',');
        }
        for (pos, c) in l.cells.iter().enumerate() {
            line.clear();
            line.push_str(&prefix);
            line.push_str(&axis_csv(&last.values[pos]));
            for v in &c.values {
                line.push(',');
                if v.is_finite() {
                    line.push_str(&format!("{v:?}"));
                }
            }
            line.push(',');
            match &c.failure {
                None => line.push_str("ok"),
                Some(r) => line.push_str(&csv_field(&format!("failed: {r}"))),
            }
            line.push('\n');
            w.write_all(line.as_bytes())?;
        }
    }
    Ok(())
}

fn axis_csv(v: &crate::sweep::AxisValue) -> String {
    match v {
        crate::sweep::AxisValue::Number(x) => format!("{x:?}"),
        other => csv_field(&other.label()),
    }
}

/// Writes the threshold table as CSV.
pub fn write_thresholds_csv(
    plan: &crate::sweep::SweepPlan,
    result: &crate::sweep::SweepResult,
    w: &mut (impl std::io::Write + ?Sized),
) -> std::io::Result<()> {
    let outer = &plan.axes[..plan.axes.len() - 1];
    let mut header = vec!["line".to_string()];
    header.extend(outer.iter().map(|a| csv_field(&a.name)));
    header.extend(
        [
            "criterion",
            "status",
            "value",
            "bracket_lo",
            "bracket_hi",
            "precision",
            "crossings",
        ]
        .map(String::from),
    );
    writeln!(w, "{}", header.join(","))?;
    let num = |x: f64| {
        if x.is_finite() {
            format!("{x:?}")
        } else {
            String::new()
        }
    };
    for l in &result.lines {
        let idx = plan.line_indices(l.line);
        for t in &l.thresholds {
            let mut row = vec![l.line.to_string()];
            row.extend(outer.iter().zip(&idx).map(|(a, &i)| axis_csv(&a.values[i])));
            row.push(csv_field(&t.criterion));
            row.push(t.status.name().into());
            row.push(num(t.value));
            row.push(num(t.bracket[0]));
            row.push(num(t.bracket[1]));
            row.push(num(t.precision));
            row.push(t.crossings.to_string());
            writeln!(w, "{}", row.join(","))?;
        }
    }
    Ok(())
}
