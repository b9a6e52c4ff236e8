//! Runs as figures see them: which runs a series group or marker group picks (`runs`), their
//! colours (`colour`, `colour_by`) and their legend texts (templates such as `"s₁ = {s1}"`).

use serde_json::Value;

use super::spec::{OneOrMany, RunSelector};
use crate::error::InputError;
use crate::solve::Trajectory;
use crate::spec::{RunSpec, Spec};

/// What a figure needs to know about one run.
pub(super) struct RunInfo<'a> {
    /// The run.
    pub(super) run: &'a RunSpec,
    /// Its trajectory.
    pub(super) trajectory: &'a Trajectory,
    /// Its index in the run list.
    pub(super) index: usize,
    /// The label of the spec's run entry (without vary values).
    pub(super) kind: String,
    /// Key of the vary values, e.g. "s1=2" ("-" without vary axes).
    pub(super) key: String,
}

/// The vary suffix exactly as [`Spec::expand_values`] builds it (" s1=2 delta=0.5").
fn vary_suffix(spec: &Spec, run: &RunSpec) -> String {
    let mut s = String::new();
    for axis in &spec.vary {
        if let Some(v) = run.parameters.get(&axis.path) {
            s.push_str(&format!(" {}={v}", last_segment(&axis.path)));
        }
    }
    s
}

/// The last segment of a dotted vary path ("model.features.toy.s1" → "s1").
fn last_segment(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// What the figures need to know about each run.
pub(super) fn run_infos<'a>(spec: &Spec, runs: &'a [(RunSpec, Trajectory)]) -> Vec<RunInfo<'a>> {
    runs.iter()
        .enumerate()
        .map(|(index, (run, trajectory))| {
            let suffix = vary_suffix(spec, run);
            let kind = run
                .label
                .strip_suffix(&suffix)
                .unwrap_or(&run.label)
                .to_string();
            let key = suffix.trim().to_string();
            RunInfo {
                run,
                trajectory,
                index,
                kind,
                key: if key.is_empty() { "-".into() } else { key },
            }
        })
        .collect()
}

/// The vary path named by `name` (a full path or a unique last segment).
fn vary_path<'s>(spec: &'s Spec, name: &str) -> Option<&'s str> {
    if let Some(a) = spec.vary.iter().find(|a| a.path == name) {
        return Some(&a.path);
    }
    let matches: Vec<&str> = spec
        .vary
        .iter()
        .filter(|a| last_segment(&a.path) == name)
        .map(|a| a.path.as_str())
        .collect();
    (matches.len() == 1).then(|| matches[0])
}

/// The vary paths, for error messages.
fn vary_names(spec: &Spec) -> String {
    if spec.vary.is_empty() {
        "the spec has no `vary` axes".into()
    } else {
        format!(
            "use one of {}",
            spec.vary
                .iter()
                .map(|a| format!("{:?}", a.path))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// Numbers compare by value (2 == 2.0), everything else as JSON.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The runs a selector picks (in run order); errors name `field`.
pub(super) fn select<'a, 'b>(
    spec: &Spec,
    infos: &'b [RunInfo<'a>],
    selector: Option<&RunSelector>,
    field: &str,
) -> Result<Vec<&'b RunInfo<'a>>, InputError> {
    let Some(sel) = selector else {
        return Ok(infos.iter().collect());
    };
    let labels = sel.label.as_ref().map(OneOrMany::to_vec);
    let mut wanted: Vec<(&str, Vec<Value>)> = Vec::new();
    for (name, values) in &sel.parameters {
        let Some(path) = vary_path(spec, name) else {
            return Err(InputError::new(
                format!("{field}.parameters.{name}"),
                format!("is not a vary path; {}", vary_names(spec)),
            ));
        };
        wanted.push((path, values.to_vec()));
    }
    if let Some(ls) = &labels {
        for (i, l) in ls.iter().enumerate() {
            if !infos.iter().any(|r| &r.kind == l || &r.run.label == l) {
                let mut known: Vec<&str> = infos.iter().map(|r| r.kind.as_str()).collect();
                known.dedup();
                let f = if ls.len() == 1 && matches!(sel.label, Some(OneOrMany::One(_))) {
                    format!("{field}.label")
                } else {
                    format!("{field}.label[{i}]")
                };
                return Err(InputError::new(
                    f,
                    format!(
                        "no run is labelled {l:?}; the runs are {}",
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    let chosen: Vec<&RunInfo> = infos
        .iter()
        .filter(|r| {
            labels
                .as_ref()
                .is_none_or(|ls| ls.iter().any(|l| *l == r.kind || *l == r.run.label))
        })
        .filter(|r| {
            wanted.iter().all(|(path, values)| {
                r.run
                    .parameters
                    .get(*path)
                    .is_some_and(|v| values.iter().any(|w| same_value(v, w)))
            })
        })
        .collect();
    if chosen.is_empty() {
        return Err(InputError::new(
            field,
            "selects no run; check `label` and `parameters`",
        ));
    }
    Ok(chosen)
}

/// Palette index of a run for a group with `colour` / `colour_by`; `fallback` otherwise.
pub(super) fn colour_of(
    spec: &Spec,
    infos: &[RunInfo],
    info: &RunInfo,
    colour: Option<usize>,
    colour_by: Option<&str>,
    fallback: usize,
    field: &str,
) -> Result<usize, InputError> {
    match (colour, colour_by) {
        (Some(_), Some(_)) => Err(InputError::new(
            field,
            "give either `colour` or `colour_by`, not both",
        )),
        (Some(c), None) => Ok(c),
        (None, None) => Ok(fallback),
        (None, Some("run")) => Ok(info.index),
        (None, Some("label")) => {
            let mut kinds: Vec<&str> = Vec::new();
            for r in infos {
                if !kinds.contains(&r.kind.as_str()) {
                    kinds.push(&r.kind);
                }
            }
            Ok(kinds.iter().position(|k| *k == info.kind).unwrap_or(0))
        }
        (None, Some(name)) => {
            let Some(path) = vary_path(spec, name) else {
                return Err(InputError::new(
                    format!("{field}.colour_by"),
                    format!(
                        "{name:?} is not \"label\", \"run\" or a vary path; {}",
                        vary_names(spec)
                    ),
                ));
            };
            let axis = spec.vary.iter().find(|a| a.path == path);
            let value = info.run.parameters.get(path);
            Ok(match (axis, value) {
                (Some(a), Some(v)) => a.values.iter().position(|w| same_value(v, w)).unwrap_or(0),
                _ => 0,
            })
        }
    }
}

/// Fills a template: `{label}`, `{run}`, `{<vary path or last segment>}`.
pub(super) fn fill(
    spec: &Spec,
    template: &str,
    info: &RunInfo,
    field: &str,
) -> Result<String, InputError> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(InputError::new(
                field,
                format!("{template:?} has a '{{' without '}}'; placeholders look like {{s1}}"),
            ));
        };
        let key = after[..close].trim();
        let text = match key {
            "label" => info.kind.clone(),
            "run" => info.run.label.clone(),
            other => match vary_path(spec, other).and_then(|p| info.run.parameters.get(p)) {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => {
                    return Err(InputError::new(
                        field,
                        format!(
                            "unknown placeholder {{{other}}}; use {{label}}, {{run}} or a vary path ({})",
                            vary_names(spec)
                        ),
                    ));
                }
            },
        };
        out.push_str(&text);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
