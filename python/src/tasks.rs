//! Spec-level tasks: what each CLI command computes, as JSON documents, without writing files.
//!
//! Every call of the library's spec layer lives in this file (the lead is moving these into a
//! `tasks` layer of the main crate; at that merge only this file changes). Each function follows
//! the matching command of `src/main.rs` step for step, so the `data` block of a document is the
//! one the CLI writes, and bad input fails with the CLI's message before any work.

use std::time::Instant;

use serde_json::{Value, json};

use starvation::equilibrium::{continuation, report::analyse};
use starvation::error::{Error, InputError, SolveError};
use starvation::model::FeatureModel;
use starvation::result::{EquilibriumEntry, equilibrium_document, runs_document};
use starvation::spec::{
    SimulationParts, SimulationSpec, Spec, build_model, from_value, parse_spec,
};
use starvation::sweep::{SweepPlan, SweepResult, run_lines};

/// Parses spec text exactly as `starvation COMMAND SPEC` reads a file.
pub fn parse(text: &str) -> Result<Spec, InputError> {
    parse_spec(text)
}

/// Builds a model from its `model` section (errors under `model.`).
pub fn model(section: Value) -> Result<FeatureModel, InputError> {
    build_model(section)
}

/// The validated `simulation` section for a model with `features` responses.
pub fn simulation(section: Value, features: usize) -> Result<SimulationParts, InputError> {
    let sim: SimulationSpec = from_value(section, "simulation")?;
    sim.into_parts(features)
}

/// Which command a spec is for when none is named: a sweep, runs, portraits or equilibria
/// (the order in which `starvation figures` and `check` look at the sections).
pub fn default_command(spec: &Spec) -> &'static str {
    if spec.sweep.is_some() {
        "sweep"
    } else if spec.simulation.is_some() {
        "run"
    } else if spec.portrait.is_some() {
        "portrait"
    } else {
        "equilibrium"
    }
}

/// The document a command writes for `spec` (`run`: NAME.json; `equilibrium`: NAME.json;
/// `sweep`: NAME.json plus the cell table; `portrait`: the figures' plotted data; `check`: the
/// summary line).
pub fn document(spec: &Spec, command: &str) -> Result<Value, Error> {
    match command {
        "run" => run(spec),
        "equilibrium" => equilibrium(spec),
        "sweep" => {
            let (plan, result) = sweep(spec)?;
            let mut doc = starvation::result::sweep_document(spec, &plan, &result);
            if let Some(d) = doc.get_mut("data").and_then(Value::as_object_mut) {
                d.insert("cells".into(), cells_json(&plan, &result));
            }
            Ok(doc)
        }
        "portrait" => portrait(spec),
        "check" => check(spec),
        other => Err(InputError::new(
            "command",
            format!(
                "unknown command {other:?}; use \"run\", \"equilibrium\", \"sweep\", \"portrait\" or \"check\""
            ),
        )
        .into()),
    }
}

/// `starvation run`: every run integrated, figures' data checked; the NAME.json document.
fn run(spec: &Spec) -> Result<Value, Error> {
    starvation::figures::check_sections(spec)?;
    let runs = spec.expand_runs()?;
    for r in &runs {
        r.check()?;
    }
    let start = Instant::now();
    let mut results = Vec::with_capacity(runs.len());
    let mut seconds = Vec::with_capacity(runs.len());
    for r in runs {
        let t0 = Instant::now();
        let tr = r.simulate().map_err(|e| match e {
            Error::Solve(s) => Error::Solve(SolveError::Backend {
                method: r.label.clone(),
                message: s.to_string(),
            }),
            other => other,
        })?;
        seconds.push(t0.elapsed().as_secs_f64());
        results.push((r, tr));
    }
    let figures = starvation::figures::run_figures(spec, &results)?;
    let mut doc = runs_document(spec, &results, &seconds, start.elapsed().as_secs_f64());
    if let Some(d) = doc.get_mut("data").and_then(Value::as_object_mut) {
        d.insert(
            "figures".into(),
            Value::Array(
                figures
                    .into_iter()
                    .map(|f| json!({"stem": f.stem, "data": f.data}))
                    .collect(),
            ),
        );
    }
    Ok(doc)
}

/// `starvation equilibrium`: report (and continuation) of every model of the spec.
fn equilibrium(spec: &Spec) -> Result<Value, Error> {
    let settings = spec.equilibrium_section()?;
    let models = spec.expand_models()?;
    for (_, _, m) in &models {
        settings.check_model(m)?;
    }
    let start = Instant::now();
    let mut entries = Vec::new();
    for (label, parameters, model) in models {
        let report =
            analyse(&model, settings.start.as_deref(), &settings.options).map_err(|e| {
                Error::Solve(SolveError::Backend {
                    method: label.clone(),
                    message: e.to_string(),
                })
            })?;
        let branch = match &settings.continuation {
            Some((parameter, values)) => Some((
                parameter.name(),
                continuation(&model, *parameter, values, &settings.options)?,
            )),
            None => None,
        };
        entries.push(EquilibriumEntry {
            label,
            parameters,
            model,
            report,
            branch,
        });
    }
    Ok(equilibrium_document(
        spec,
        &entries,
        start.elapsed().as_secs_f64(),
    ))
}

/// The validated plan of a spec's `sweep` section (figures checked as the CLI does).
pub fn sweep_plan(spec: &Spec) -> Result<SweepPlan, Error> {
    let plan = SweepPlan::from_spec(spec)?;
    let plots: Vec<Value> = spec
        .sweep
        .as_ref()
        .and_then(|s| s.get("plots"))
        .and_then(|p| p.as_array())
        .cloned()
        .unwrap_or_default();
    starvation::sweep::plots::sweep_figures(
        &spec.name,
        &plots,
        &plan,
        &SweepResult { lines: Vec::new() },
    )?;
    Ok(plan)
}

/// `starvation sweep` without shards: every line, in parallel.
pub fn sweep(spec: &Spec) -> Result<(SweepPlan, SweepResult), Error> {
    let plan = sweep_plan(spec)?;
    let result = run_lines(&plan, 0..plan.lines(), true, &|_| {});
    Ok((plan, result))
}

/// The cell table (the CSV the CLI writes) as columns: metric values (null where undefined)
/// and a status per cell.
fn cells_json(plan: &SweepPlan, result: &SweepResult) -> Value {
    let mut columns: Vec<Vec<Value>> = vec![Vec::new(); plan.columns.len()];
    let mut status = Vec::new();
    for l in &result.lines {
        for c in &l.cells {
            for (col, v) in columns.iter_mut().zip(&c.values) {
                col.push(starvation::result::finite_or_null(*v));
            }
            status.push(json!(c.failure.as_deref().unwrap_or("ok")));
        }
    }
    let mut m = serde_json::Map::new();
    for (name, col) in plan.columns.iter().zip(columns) {
        m.insert(name.clone(), Value::Array(col));
    }
    m.insert("status".into(), Value::Array(status));
    Value::Object(m)
}

/// `starvation portrait`: the plotted data of the portrait figures (NAME.data.json).
fn portrait(spec: &Spec) -> Result<Value, Error> {
    if spec.portrait.is_none() {
        return Err(InputError::new(
            "portrait",
            "is missing; this command draws a spec's `portrait` section",
        )
        .into());
    }
    let figures = starvation::figures::portrait_figures(spec)?;
    Ok(json!({
        "data": {
            "name": spec.name,
            "figures": figures.into_iter().map(|f| json!({"stem": f.stem, "data": f.data})).collect::<Vec<_>>(),
        },
        "provenance": Value::Object(starvation::spec::provenance_base()),
    }))
}

/// `starvation check`: validation only; the summary of what the spec would compute.
fn check(spec: &Spec) -> Result<Value, Error> {
    starvation::figures::check_sections(spec)?;
    let mut summary = serde_json::Map::new();
    if spec.sweep.is_some() {
        let plan = sweep_plan(spec)?;
        summary.insert("sweep_cells".into(), json!(plan.cells()));
        summary.insert("sweep_lines".into(), json!(plan.lines()));
    }
    if spec.simulation.is_some() {
        let runs = spec.expand_runs()?;
        for r in &runs {
            r.check()?;
        }
        summary.insert("runs".into(), json!(runs.len()));
    }
    if spec.equilibrium.is_some()
        || (spec.simulation.is_none() && spec.sweep.is_none() && spec.portrait.is_none())
    {
        let settings = spec.equilibrium_section()?;
        let models = spec.expand_models()?;
        for (_, _, m) in &models {
            settings.check_model(m)?;
        }
        summary.insert("equilibrium_models".into(), json!(models.len()));
    }
    summary.insert("portrait".into(), json!(spec.portrait.is_some()));
    Ok(json!({ "data": { "name": spec.name, "valid": true, "summary": summary } }))
}

/// `starvation verify`: every claim checked; the table as JSON rows.
pub fn verify(quick: bool) -> Value {
    let start = Instant::now();
    let results = starvation::verify::run_all(quick);
    let mut prov = starvation::spec::provenance_base();
    prov.insert("quick".into(), json!(quick));
    prov.insert(
        "wall_time_seconds".into(),
        json!(start.elapsed().as_secs_f64()),
    );
    json!({
        "data": { "checks": results.iter().map(|r| r.to_json()).collect::<Vec<_>>() },
        "provenance": prov,
    })
}
