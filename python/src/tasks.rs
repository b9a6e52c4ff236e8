//! Spec-level tasks for Python: each command of the CLI as its JSON document, computed by the
//! library's `tasks` layer (the same code the CLI runs), without writing files. Every call of the
//! engine's spec layer lives in this file.

use serde_json::{Value, json};

use starvation::error::{Error, InputError};
use starvation::model::FeatureModel;
use starvation::output::{Contents, OutputFile};
use starvation::spec::{SimulationParts, Spec, SpecKind, build_model, parse_spec};
use starvation::sweep::{SweepPlan, SweepResult};
use starvation::tasks::{Outcome, SweepTask};

/// Parses spec text exactly as `starvation COMMAND SPEC` reads a file; data paths in it are
/// resolved against `base_dir` (the spec file's folder; the working folder without one).
pub fn parse(text: &str, base_dir: Option<&std::path::Path>) -> Result<Spec, InputError> {
    let spec = parse_spec(text)?;
    Ok(Spec {
        base_dir: base_dir.map(std::path::Path::to_path_buf),
        ..spec
    })
}

/// The text of a spec file, read with the command line's checks (a regular file, at most
/// `MAX_SPEC_BYTES`, no devices or FIFOs, UTF-8) and checked as JSON (syntax, duplicate keys);
/// errors name `SPEC`.
pub fn read_spec_text(path: &std::path::Path) -> Result<String, InputError> {
    let text = starvation::spec::read_text(path, "SPEC")?;
    starvation::spec::parse_json(&text)?;
    Ok(text)
}

/// Builds a model from its `model` section (errors under `model.`).
pub fn model(section: Value) -> Result<FeatureModel, InputError> {
    build_model(section)
}

/// The validated `simulation` section for a model with `features` responses.
pub fn simulation(section: Value, features: usize) -> Result<SimulationParts, InputError> {
    starvation::spec::simulation(section, features)
}

/// Which command a spec is for when none is named: a sweep, runs, portraits or equilibria
/// (the order in which `starvation figures` and `check` look at the sections).
pub fn default_command(spec: &Spec) -> &'static str {
    match spec.kind() {
        SpecKind::Experiment => "experiment",
        kind => kind.command(),
    }
}

/// The JSON documents among a task's files: the main document (`NAME.json`, or the first JSON
/// that is not figure data) and the figures' plotted data (`STEM.data.json`).
fn documents(outcome: Outcome<'_>) -> Result<(Option<Value>, Vec<Value>), Error> {
    let mut main = None;
    let mut figures = Vec::new();
    for OutputFile { name, contents } in outcome.files {
        let Contents::Bytes(bytes) = contents else {
            continue;
        };
        if !name.ends_with(".json") {
            continue;
        }
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| Error::Io {
            path: name.clone(),
            message: e.to_string(),
        })?;
        match name.strip_suffix(".data.json") {
            Some(stem) => figures.push(json!({ "stem": stem, "data": value })),
            None if main.is_none() => main = Some(value),
            None => {}
        }
    }
    Ok((main, figures))
}

/// The document a command writes for `spec` (`run`: NAME.json with the figures' data added;
/// `equilibrium`: NAME.json; `sweep`: NAME.json plus the cell table; `portrait`: the figures'
/// plotted data; `check`: the summary).
pub fn document(spec: &Spec, command: &str) -> Result<Value, Error> {
    match command {
        "run" => {
            let (_, outcome) = starvation::tasks::run(spec)?;
            let (doc, figures) = documents(outcome)?;
            let mut doc = doc.unwrap_or(Value::Null);
            if let Some(d) = doc.get_mut("data").and_then(Value::as_object_mut) {
                d.insert("figures".into(), Value::Array(figures));
            }
            Ok(doc)
        }
        "equilibrium" => {
            let (_, outcome) = starvation::tasks::equilibrium(spec)?;
            Ok(documents(outcome)?.0.unwrap_or(Value::Null))
        }
        "sweep" => {
            let task = SweepTask::new(spec)?;
            let result = task.run(true, &|_| {});
            let mut doc = serde_json::to_value(starvation::result::sweep_document(
                spec.source(),
                &task.plan,
                &result,
            ))
            .unwrap_or(Value::Null);
            if let Some(d) = doc.get_mut("data").and_then(Value::as_object_mut) {
                d.insert("cells".into(), cells_json(&task.plan, &result));
            }
            Ok(doc)
        }
        "portrait" => {
            let outcome = starvation::tasks::portrait(spec)?;
            let (_, figures) = documents(outcome)?;
            Ok(json!({
                "data": { "name": spec.name, "figures": figures },
                "provenance": Value::Object(starvation::output::provenance_base()),
            }))
        }
        "experiment" => {
            let outcome = if spec.is_image_experiment() {
                let plan = spec.image_plan()?;
                starvation::tasks::image_experiment(spec, &plan, &starvation::tasks::Silent)?
            } else {
                let plan = starvation::tasks::experiment_plan(spec)?;
                starvation::tasks::experiment(spec, &plan, &starvation::tasks::Silent)?
            };
            let (doc, figures) = documents(outcome)?;
            let mut doc = doc.unwrap_or(Value::Null);
            if let Some(d) = doc.get_mut("data").and_then(Value::as_object_mut) {
                d.insert("figures".into(), Value::Array(figures));
            }
            Ok(doc)
        }
        "check" => check(spec),
        other => Err(InputError::new(
            "command",
            format!(
                "unknown command {other:?}; use \"run\", \"experiment\", \"equilibrium\", \"sweep\", \"portrait\" or \"check\""
            ),
        )
        .into()),
    }
}

/// The validated plan of a spec's `sweep` section (figures checked as the CLI does).
pub fn sweep_plan(spec: &Spec) -> Result<SweepPlan, Error> {
    Ok(SweepTask::new(spec)?.plan)
}

/// `starvation sweep` without shards: every line, in parallel.
pub fn sweep(spec: &Spec) -> Result<(SweepPlan, SweepResult), Error> {
    let task = SweepTask::new(spec)?;
    let result = task.run(true, &|_| {});
    Ok((task.plan, result))
}

/// The cell table (the CSV the CLI writes) as columns: metric values (null where undefined)
/// and a status per cell.
fn cells_json(plan: &SweepPlan, result: &SweepResult) -> Value {
    let mut columns: Vec<Vec<Value>> = vec![Vec::new(); plan.columns.len()];
    let mut status = Vec::new();
    for l in &result.lines {
        for c in &l.cells {
            for (col, v) in columns.iter_mut().zip(&c.values) {
                col.push(json!(starvation::result::finite(*v)));
            }
            status.push(json!(
                c.failure
                    .as_ref()
                    .map(|f| f.to_string())
                    .unwrap_or_else(|| "ok".into())
            ));
        }
    }
    let mut m = serde_json::Map::new();
    for (name, col) in plan.columns.iter().zip(columns) {
        m.insert(name.clone(), Value::Array(col));
    }
    m.insert("status".into(), Value::Array(status));
    Value::Object(m)
}

/// `starvation check`: validation only; the summary of what the spec would compute.
fn check(spec: &Spec) -> Result<Value, Error> {
    starvation::tasks::check(spec)?;
    let mut summary = serde_json::Map::new();
    for kind in spec.tasks() {
        match kind {
            SpecKind::Sweep => {
                let plan = sweep_plan(spec)?;
                summary.insert("sweep_cells".into(), json!(plan.cells()));
                summary.insert("sweep_lines".into(), json!(plan.lines()));
            }
            SpecKind::Run => {
                summary.insert("runs".into(), json!(spec.expand_runs()?.len()));
            }
            SpecKind::Equilibrium => {
                summary.insert(
                    "equilibrium_models".into(),
                    json!(spec.expand_models()?.len()),
                );
            }
            SpecKind::Experiment | SpecKind::Portrait => {}
        }
    }
    summary.insert("portrait".into(), json!(spec.has(SpecKind::Portrait)));
    Ok(json!({
        "data": { "name": spec.name, "kind": spec.kind(), "valid": true, "summary": summary }
    }))
}

/// `starvation verify`: every claim checked; the table as JSON rows.
pub fn verify(quick: bool) -> Value {
    starvation::tasks::verify(quick).document()
}
