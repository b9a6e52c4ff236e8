//! Output documents: a `data` block (numbers only, so files diff cleanly between runs) and a
//! `provenance` block (spec, crate version, git commit, solver settings, statistics, wall time).
//! Tables are column-oriented so that `pandas.DataFrame(doc["data"]["runs"][0]["table"])` works.

use serde_json::{Map, Value, json};

use crate::solve::{Output, SolveOptions, SolverStats, Trajectory};
use crate::spec::{RunSpec, Spec, provenance_base};

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
        "time_convention": if run.method == crate::solve::Method::GradientDescent {
            "gd: step k is at time t_start + k·step (explicit Euler of the flow with rate η)"
        } else {
            "continuous gradient-flow time t"
        },
    })
}

/// The full document of a `run` command.
pub fn runs_document(spec: &Spec, runs: &[(RunSpec, Trajectory)], wall_seconds: f64) -> Value {
    let data: Vec<Value> = runs.iter().map(|(r, t)| trajectory_data(r, t)).collect();
    let prov: Vec<Value> = runs
        .iter()
        .map(|(r, t)| trajectory_provenance(r, t))
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

/// Pretty JSON with a trailing newline.
pub fn to_json_bytes(v: &Value) -> Vec<u8> {
    let mut b = serde_json::to_vec_pretty(v).unwrap_or_default();
    b.push(b'\n');
    b
}
