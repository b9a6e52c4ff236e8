//! The document of `run`: every run's trajectory (table of t and z, events) and its provenance
//! (the merged run object, model summary, solver options and statistics).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{Document, Provenance, Source, Table, csv_field};
use crate::equilibrium::end_state::{EndClaim, EndStateCheck};
use crate::flow::Space;
use crate::model::FeatureModel;
use crate::solve::{Method, SolveOptions, Trajectory};

/// What a document needs to know about one run.
#[derive(Debug, Clone, Copy)]
pub struct RunInput<'a> {
    /// Label.
    pub label: &'a str,
    /// Values of the `vary` axes.
    pub parameters: &'a BTreeMap<String, Value>,
    /// The merged run object as read.
    pub raw: &'a Value,
    /// The model.
    pub model: &'a FeatureModel,
    /// Space, method and options it was integrated with.
    pub space: Space,
    /// Method.
    pub method: Method,
    /// Options.
    pub options: &'a SolveOptions,
}

/// One run's data: the table of t and z, and its events.
#[derive(Debug, Clone, Serialize)]
pub struct TrajectoryRecord {
    /// Label.
    pub label: String,
    /// Values of the `vary` axes.
    pub parameters: BTreeMap<String, Value>,
    /// "z", "theta" or "alpha".
    pub space: &'static str,
    /// Method name.
    pub method: &'static str,
    /// Why the integration stopped.
    pub stop_reason: &'static str,
    /// The model's internals: shapes, strengths s, coupling U, directions V (small models),
    /// labels, rank, dropped singular values and warnings.
    pub model: super::ModelInternals,
    /// Columns t, z1, …, zk.
    pub table: Table,
    /// Full states, for θ and α runs (z is in the table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub states: Option<Vec<Vec<f64>>>,
    /// Events located during the run.
    pub events: Vec<EventRecord>,
    /// The end state checked against z* when the run claims to end there (a steady-state stop,
    /// or a horizon of ≥ 20 relaxation times); `agrees: false` is also a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_state: Option<EndStateCheck>,
}

/// One located event.
#[derive(Debug, Clone, Serialize)]
pub struct EventRecord {
    /// "steady_state" or "level_crossing".
    pub kind: &'static str,
    /// Feature (1-based) of a level crossing.
    pub feature: Option<usize>,
    /// Level of a level crossing.
    pub level: Option<f64>,
    /// Time.
    pub time: f64,
    /// Final bracket of the root finder.
    pub bracket: Option<[f64; 2]>,
    /// z at the event.
    pub responses: Vec<f64>,
}

/// The model as summarised in provenance (its internals s, U, V are in the data block).
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    /// n.
    pub examples: usize,
    /// k.
    pub features: usize,
    /// m.
    pub parameters: usize,
    /// Regulariser name.
    pub regulariser: &'static str,
    /// λ.
    pub lambda: f64,
    /// Loss model name.
    pub loss: &'static str,
    /// η.
    pub rate: f64,
    /// Singular values dropped when Φ was rank deficient.
    pub dropped_singular_values: Option<Vec<f64>>,
}

impl ModelSummary {
    /// The summary of `m`.
    pub fn new(m: &FeatureModel) -> Self {
        Self {
            examples: m.examples(),
            features: m.features(),
            parameters: m.parameters(),
            regulariser: m.regulariser().name(),
            lambda: m.regulariser().lambda(),
            loss: m.loss().name(),
            rate: m.rate(),
            dropped_singular_values: m.rank_report().map(|r| r.dropped.clone()),
        }
    }
}

/// Solver statistics.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StatsRecord {
    /// Field evaluations.
    pub field_evaluations: usize,
    /// Jacobian evaluations.
    pub jacobian_evaluations: usize,
    /// LU factorisations.
    pub factorisations: usize,
    /// Linear solves.
    pub linear_solves: usize,
    /// Accepted steps.
    pub accepted_steps: usize,
    /// Rejected steps.
    pub rejected_steps: usize,
}

/// One run's provenance.
#[derive(Debug, Clone, Serialize)]
pub struct TrajectoryProvenance {
    /// Label.
    pub label: String,
    /// The merged run object.
    pub run: Value,
    /// The model.
    pub model: ModelSummary,
    /// Space.
    pub space: &'static str,
    /// Method asked for.
    pub method: &'static str,
    /// Options, as a `simulation` section spells them.
    pub options: SolveOptions,
    /// Methods used and from which time (auto switches).
    pub methods_used: Vec<Value>,
    /// Statistics.
    pub statistics: StatsRecord,
    /// The tolerance Radau5 really used, when it ran.
    pub radau5_effective_rtol: Option<f64>,
    /// How time is counted.
    pub time_convention: &'static str,
    /// Wall time in seconds.
    pub wall_time_seconds: f64,
}

fn trajectory_record(
    run: &RunInput<'_>,
    tr: &Trajectory,
    end_state: Option<&EndStateCheck>,
) -> TrajectoryRecord {
    let mut table = Table::default();
    table.push("t", tr.times.iter().copied());
    let k = tr.responses.first().map(Vec::len).unwrap_or(0);
    for j in 0..k {
        table.push(format!("z{}", j + 1), tr.responses.iter().map(|z| z[j]));
    }
    TrajectoryRecord {
        label: run.label.to_string(),
        parameters: run.parameters.clone(),
        space: tr.space.name(),
        method: tr.method.name(),
        stop_reason: tr.stop.name(),
        model: super::ModelInternals::new(run.model),
        table,
        states: (tr.space != Space::Responses).then(|| tr.states.clone()),
        events: tr
            .events
            .iter()
            .map(|e| {
                let lc = e.index.map(|i| run.options.events.level_crossings[i]);
                EventRecord {
                    kind: e.kind,
                    feature: lc.map(|l| l.feature + 1),
                    level: lc.map(|l| l.level),
                    time: e.time,
                    bracket: e.bracket,
                    responses: e.responses.clone(),
                }
            })
            .collect(),
        end_state: end_state.cloned(),
    }
}

fn trajectory_provenance(
    run: &RunInput<'_>,
    tr: &Trajectory,
    seconds: f64,
) -> TrajectoryProvenance {
    let s = &tr.stats;
    TrajectoryProvenance {
        label: run.label.to_string(),
        run: run.raw.clone(),
        model: ModelSummary::new(run.model),
        space: run.space.name(),
        method: run.method.name(),
        options: run.options.clone(),
        methods_used: tr
            .methods_used
            .iter()
            .map(|m| serde_json::json!({"method": m.method.name(), "from": m.from}))
            .collect(),
        statistics: StatsRecord {
            field_evaluations: s.field_evaluations,
            jacobian_evaluations: s.jacobian_evaluations,
            factorisations: s.factorisations,
            linear_solves: s.linear_solves,
            accepted_steps: s.accepted_steps,
            rejected_steps: s.rejected_steps,
        },
        radau5_effective_rtol: tr
            .methods_used
            .iter()
            .any(|m| m.method == Method::Radau5)
            .then(|| run.options.rtol.max(crate::solve::RADAU5_MIN_RTOL)),
        time_convention: if run.method == Method::GradientDescent {
            "gd: step k is at time t_start + k·step (explicit Euler of the flow with rate η)"
        } else if run.method == Method::Adam {
            "adam: step k is at t_start + k·step; Adam's normalised steps follow no flow time (each parameter moves by at most about step per step)"
        } else if run.method.is_map() {
            "heavy_ball / nesterov: step k is at t_start + k·step; for small steps the map follows the flow at time k·step/(1 − momentum), not k·step"
        } else {
            "continuous gradient-flow time t"
        },
        wall_time_seconds: seconds,
    }
}

/// The data block of a run document.
#[derive(Debug, Clone, Serialize)]
pub struct RunsData {
    /// Spec name.
    pub name: String,
    /// Spec description.
    pub description: String,
    /// One record per run.
    pub runs: Vec<TrajectoryRecord>,
    /// Warnings about unusual models, "label: warning".
    pub warnings: Vec<String>,
}

/// The provenance of a run document.
#[derive(Debug, Clone, Serialize)]
pub struct RunsProvenance {
    /// The spec as read.
    pub spec: Value,
    /// One entry per run.
    pub runs: Vec<TrajectoryProvenance>,
    /// Total wall time in seconds.
    pub wall_time_seconds: f64,
}

/// The document of `run`: each run with its trajectory and wall time in seconds, and the
/// check of its end state (`end_states[i]` for run i, see
/// [`crate::equilibrium::end_state::check_end_state`]).
pub fn runs_document(
    source: Source<'_>,
    runs: &[(RunInput<'_>, &Trajectory, f64)],
    end_states: &[Option<EndStateCheck>],
    wall_seconds: f64,
) -> Document<RunsData, RunsProvenance> {
    let end_state = |i: usize| end_states.get(i).and_then(Option::as_ref);
    let mut warnings = model_warnings(runs.iter().map(|(r, _, _)| (r.label, r.model)));
    for (i, (r, _, _)) in runs.iter().enumerate() {
        if let Some(w) = r.options.tolerance_warning() {
            push_distinct(&mut warnings, format!("{}: {w}", r.label));
        }
        if let Some(c) = end_state(i).filter(|c| !c.agrees) {
            push_distinct(
                &mut warnings,
                format!(
                    "{}: the end state is {:.3e} from the equilibrium z*, {:.1} times what the tolerances allow ({}); integrate longer or with tighter tolerances, or check the model",
                    r.label,
                    c.distance,
                    c.distance_over_allowed,
                    match c.claim {
                        EndClaim::SteadyState => "stopped on the steady-state event",
                        EndClaim::Horizon => "reached t_end after ≥ 20 relaxation times",
                    }
                ),
            );
        }
    }
    Document {
        data: RunsData {
            name: source.name.to_string(),
            description: source.description.to_string(),
            runs: runs
                .iter()
                .enumerate()
                .map(|(i, (r, t, _))| trajectory_record(r, t, end_state(i)))
                .collect(),
            warnings,
        },
        provenance: Provenance::new(RunsProvenance {
            spec: source.spec.clone(),
            runs: runs
                .iter()
                .map(|(r, t, s)| trajectory_provenance(r, t, *s))
                .collect(),
            wall_time_seconds: wall_seconds,
        }),
    }
}

/// All runs as one long CSV table: run index, label, one column per `vary` parameter (named by
/// its path, in the order of the first run's parameters), the run's regulariser as its kind
/// (`regulariser`: none, l2 or sd) and `lambda` (λ, for per-class SD the λ of class +1; empty
/// for none), t, z1 … zk.
pub fn runs_csv(runs: &[(RunInput<'_>, &Trajectory, f64)]) -> String {
    let k = runs
        .iter()
        .map(|(_, t, _)| t.responses.first().map(Vec::len).unwrap_or(0))
        .max()
        .unwrap_or(0);
    let mut names: Vec<&String> = Vec::new();
    for (r, _, _) in runs {
        for name in r.parameters.keys() {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let mut s = String::from("run,label");
    for name in &names {
        s.push(',');
        s.push_str(&csv_field(name));
    }
    s.push_str(",regulariser,lambda,t");
    for j in 0..k {
        s.push_str(&format!(",z{}", j + 1));
    }
    s.push('\n');
    for (i, (r, t, _)) in runs.iter().enumerate() {
        let mut prefix = format!("{i},{}", csv_field(r.label));
        for name in &names {
            prefix.push(',');
            match r.parameters.get(*name) {
                Some(Value::String(text)) => prefix.push_str(&csv_field(text)),
                Some(v) => prefix.push_str(&csv_field(&v.to_string())),
                None => {}
            }
        }
        let regulariser = r.model.regulariser();
        prefix.push(',');
        prefix.push_str(regulariser.name());
        prefix.push(',');
        if !matches!(regulariser, crate::model::Regulariser::None) {
            prefix.push_str(&format!("{:?}", regulariser.lambda()));
        }
        for (time, z) in t.times.iter().zip(&t.responses) {
            s.push_str(&format!("{prefix},{time}"));
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

/// Each distinct warning of the models, prefixed by the run label ("label: warning").
pub fn model_warnings<'a>(
    models: impl IntoIterator<Item = (&'a str, &'a FeatureModel)>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (label, m) in models {
        for w in m.warnings() {
            push_distinct(&mut out, format!("{label}: {w}"));
        }
    }
    out
}

/// Appends `line` unless it is already there.
fn push_distinct(lines: &mut Vec<String>, line: String) {
    if !lines.contains(&line) {
        lines.push(line);
    }
}
