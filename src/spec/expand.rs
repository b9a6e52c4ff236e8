//! Expansion of a spec into concrete runs: the base `model`/`simulation` deep-merged with each
//! entry of `runs`, then every combination of the `vary` axes.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Spec;
use super::model::build_model;
use super::simulation::RunSpec;
use crate::error::InputError;
use crate::model::FeatureModel;

impl Spec {
    /// Expands base, runs and vary into merged run objects (not yet validated).
    pub fn expand_values(&self) -> Result<Vec<ExpandedRun>, InputError> {
        let base = {
            let mut m = Map::new();
            if let Some(v) = &self.model {
                m.insert("model".into(), v.clone());
            }
            if let Some(v) = &self.simulation {
                m.insert("simulation".into(), v.clone());
            }
            Value::Object(m)
        };
        // (where it came from, label, override)
        let overrides: Vec<(String, String, Value)> = match &self.runs {
            None => vec![("run".into(), "run".into(), Value::Object(Map::new()))],
            Some(list) => list
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let label = v
                        .get("label")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("run{}", i + 1));
                    (format!("runs[{i}]"), label, v.clone())
                })
                .collect(),
        };
        // Cartesian product of vary axes.
        let mut combos: Vec<Vec<(usize, usize)>> = vec![Vec::new()];
        for (a, axis) in self.vary.iter().enumerate() {
            let mut next = Vec::new();
            for c in &combos {
                for v in 0..axis.values.len() {
                    let mut c2 = c.clone();
                    c2.push((a, v));
                    next.push(c2);
                }
            }
            combos = next;
        }
        let mut out = Vec::new();
        for (origin, label, over) in &overrides {
            let mut merged = base.clone();
            let mut over = over.clone();
            if let Value::Object(m) = &mut over {
                m.remove("label");
                for key in m.keys() {
                    if key != "model" && key != "simulation" {
                        return Err(InputError::new(
                            format!("{origin}.{key}"),
                            "is not a run field; a run may set `label`, `model` and `simulation`",
                        ));
                    }
                }
            } else {
                return Err(InputError::new(origin.as_str(), "must be an object"));
            }
            merge(&mut merged, &over);
            for combo in &combos {
                let mut run = merged.clone();
                let mut parameters = BTreeMap::new();
                let mut suffix = String::new();
                for &(a, v) in combo {
                    let axis = &self.vary[a];
                    set_path(&mut run, &axis.path, axis.values[v].clone());
                    parameters.insert(axis.path.clone(), axis.values[v].clone());
                    let short = axis.path.rsplit('.').next().unwrap_or(&axis.path);
                    suffix.push_str(&format!(" {short}={}", axis.values[v]));
                }
                let context = if combo.is_empty() {
                    origin.clone()
                } else {
                    format!("{origin}{suffix}")
                };
                out.push(ExpandedRun {
                    label: label.clone() + &suffix,
                    context,
                    show_context: self.runs.is_some() || !combo.is_empty(),
                    parameters,
                    value: run,
                });
            }
        }
        Ok(out)
    }

    /// Expands base, runs and vary into the list of concrete runs (validated).
    pub fn expand_runs(&self) -> Result<Vec<RunSpec>, InputError> {
        self.expand_values()?
            .into_iter()
            .map(|e| {
                RunSpec::from_value(e.value, e.label, e.parameters)
                    .map_err(|err| within_run(err, &e.context, e.show_context))
            })
            .collect()
    }

    /// Expands base, runs and vary into labelled models (the `simulation` sections are ignored):
    /// (label, vary values, model) per run.
    pub fn expand_models(&self) -> Result<Vec<LabelledModel>, InputError> {
        self.expand_values()?
            .into_iter()
            .map(|e| {
                let model_v =
                    e.value.get("model").cloned().ok_or_else(|| {
                        InputError::new("model", "is missing; add a `model` section")
                    })?;
                let model = build_model(model_v)
                    .map_err(|err| within_run(err, &e.context, e.show_context))?;
                Ok((e.label, e.parameters, model))
            })
            .collect()
    }
}

/// A model with its run label and the values of the `vary` axes.
pub type LabelledModel = (String, BTreeMap<String, Value>, FeatureModel);

/// A run object after merging base, override and vary values.
#[derive(Debug, Clone)]
pub struct ExpandedRun {
    /// Label (with the vary values appended).
    pub label: String,
    /// Where it came from, for error messages.
    pub context: String,
    show_context: bool,
    /// Values of the vary axes.
    pub parameters: BTreeMap<String, Value>,
    /// The merged object {model, simulation}.
    pub value: Value,
}

/// The error with the run it happened in appended to its message, when `show` is set.
fn within_run(err: InputError, context: &str, show: bool) -> InputError {
    if show {
        InputError::new(err.field, format!("{} (in {context})", err.message))
    } else {
        err
    }
}

/// Deep merge: objects merge key by key, anything else replaces.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    // Sections that are structs merge field by field; other objects with one
                    // key that differs are externally tagged enums ({"l2": …} vs {"sd": …})
                    // switching variant, which replace.
                    Some(bv)
                        if bv.is_object()
                            && v.is_object()
                            && (STRUCT_SECTIONS.contains(&k.as_str()) || same_tag(bv, v)) =>
                    {
                        merge(bv, v)
                    }
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Spec sections that are structs (not enums) wherever they occur in what `merge` combines
/// (runs, experiment settings, portrait panels): an override of one field keeps the others,
/// even when base and override each hold a single, different field.
const STRUCT_SECTIONS: &[&str] = &[
    "model",
    "simulation",
    "events",
    "equilibrium",
    "network",
    "training",
    "tracking",
];

fn same_tag(a: &Value, b: &Value) -> bool {
    // Objects with one key that differ in that key are different enum variants: replace.
    match (a.as_object(), b.as_object()) {
        (Some(x), Some(y)) if x.len() == 1 && y.len() == 1 => x.keys().next() == y.keys().next(),
        _ => true,
    }
}

fn set_path(root: &mut Value, path: &str, value: Value) {
    let mut cur = root;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, p) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let obj = cur.as_object_mut().expect("object");
        if i + 1 == parts.len() {
            obj.insert((*p).to_string(), value);
            return;
        }
        cur = obj
            .entry((*p).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

#[cfg(test)]
mod tests {
    use super::merge;
    use serde_json::json;

    #[test]
    fn a_struct_section_with_one_field_merges_with_an_override_of_another() {
        // A base model of features only, a run that adds a regulariser: both kept.
        let mut base = json!({"model": {"features": {"toy": {"s1": 6}}}});
        merge(
            &mut base,
            &json!({"model": {"regulariser": {"l2": {"lambda": 0.1}}}}),
        );
        assert_eq!(
            base,
            json!({"model": {"features": {"toy": {"s1": 6}}, "regulariser": {"l2": {"lambda": 0.1}}}})
        );
    }

    #[test]
    fn an_enum_switching_variant_replaces_and_one_keeping_it_merges() {
        let mut base = json!({"regulariser": {"l2": {"lambda": 0.1}}, "features": {"toy": {"s1": 6, "s2": 2}}});
        merge(
            &mut base,
            &json!({"regulariser": {"sd": {"lambda": 0.2}}, "features": {"toy": {"s1": 4}}}),
        );
        assert_eq!(
            base,
            json!({"regulariser": {"sd": {"lambda": 0.2}}, "features": {"toy": {"s1": 4, "s2": 2}}})
        );
    }
}
