//! The JSON Schema of the spec file, generated from the types specs are read into (their doc
//! comments are the descriptions), and the reference page `docs/spec-reference.md` generated from
//! that schema (`starvation schema`).
//!
//! Most sections derive their schema with their `Deserialize`. The few fields a spec type keeps
//! as raw JSON (sections merged before they are read, forms with a parser of their own) name
//! here the schema of what their parser accepts:
//!
//! - [`Partial`]: a section deep-merged before it is checked (the base `model` and `simulation`,
//!   each run's overrides, portrait `defaults` and panels): the type's schema with every field
//!   optional, so that a field may be given in the base, a run or a `vary` axis. The merged
//!   result is checked in full by `starvation check`.
//! - [`SimulationSection`]: the space, method and initial state plus the fields of
//!   [`SolveOptions`], with recorded times that may be a `linspace`/`logspace` range
//!   ([`OutputSpec`]).
//! - [`ValuesSpec`], [`SweepAxisValues`], [`FixedState`], [`GridCounts`]: the hand-written forms.

mod reference;

pub use reference::reference_markdown;

use std::borrow::Cow;
use std::marker::PhantomData;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value};

use crate::network::Architecture;
use crate::solve::{Output, SolveOptions};
use crate::spec::{DataSpec, LossSpec, RangeSpec, RegulariserSpec, SeedsSpec, Spec, TrainingSpec};
use crate::spec::{ModelSpec, ValuesSpec};

/// The key that marks a [`Partial`] reference until [`spec_schema`] resolves it.
const PARTIAL_MARK: &str = "x-partial";

/// `T`'s schema with every field optional at every depth (and `oneOf` relaxed to `anyOf`), for
/// a section that is deep-merged with others before it is read as `T`.
pub struct Partial<T>(PhantomData<T>);

impl<T: JsonSchema> JsonSchema for Partial<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}Partial", T::schema_name()).into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = generator.subschema_for::<T>();
        schema.insert(PARTIAL_MARK.into(), Value::Bool(true));
        schema
    }
}

/// The `simulation` section: `space`, `method` and `initial_state`, and every other key a field
/// of the solver options (the engine's type and defaults).
pub struct SimulationSection;

impl JsonSchema for SimulationSection {
    fn schema_name() -> Cow<'static, str> {
        "SimulationSection".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = SolveOptions::json_schema(generator);
        let setting = crate::spec::simulation_setting_schema(generator);
        let output = generator.subschema_for::<OutputSpec>();
        let mut properties = setting
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if let Some(Value::Object(solver)) = schema.get("properties") {
            for (k, v) in solver {
                let v = if k == "output" {
                    with_description(output.clone().to_value(), v.get("description"))
                } else {
                    v.clone()
                };
                properties.insert(k.clone(), v);
            }
        }
        schema.insert("properties".into(), Value::Object(properties));
        schema.insert(
            "description".into(),
            "The `simulation` section: the space, method and initial state of the runs, and the solver options (every key but `space`, `method` and `initial_state`)."
                .into(),
        );
        schema.remove("title");
        schema
    }
}

/// `schema` with `description` added (a `$ref` may carry one).
fn with_description(mut schema: Value, description: Option<&Value>) -> Value {
    if let (Value::Object(map), Some(d)) = (&mut schema, description) {
        map.insert("description".into(), d.clone());
    }
    schema
}

/// Recorded times as a spec writes them: [`Output`], whose `times` may also be a `linspace` or
/// `logspace` range ([`ValuesSpec`]).
pub struct OutputSpec;

impl JsonSchema for OutputSpec {
    fn schema_name() -> Cow<'static, str> {
        "RecordedTimes".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = Output::json_schema(generator);
        let values = generator.subschema_for::<ValuesSpec>().to_value();
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(variants)) = schema.get_mut(key) {
                for variant in variants {
                    if let Some(Value::Object(props)) = variant.get_mut("properties")
                        && let Some(times) = props.get_mut("times")
                    {
                        *times = with_description(values.clone(), times.get("description"));
                    }
                }
            }
        }
        schema
    }
}

impl JsonSchema for ValuesSpec {
    fn schema_name() -> Cow<'static, str> {
        "ValuesSpec".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let range = generator.subschema_for::<RangeSpec>();
        json_schema!({
            "description": "A list of values: explicit numbers, or `{\"linspace\": {…}}` / `{\"logspace\": {…}}` (endpoints included).",
            "anyOf": [
                { "type": "array", "items": { "type": "number" }, "minItems": 1 },
                range
            ]
        })
    }
}

/// The values of a sweep axis: numbers (a list or a range), or for `regulariser` and `loss` a
/// list of those.
pub struct SweepAxisValues;

impl JsonSchema for SweepAxisValues {
    fn schema_name() -> Cow<'static, str> {
        "SweepAxisValues".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let numbers = generator.subschema_for::<ValuesSpec>();
        let regularisers = generator.subschema_for::<Vec<RegulariserSpec>>();
        let losses = generator.subschema_for::<Vec<LossSpec>>();
        json_schema!({
            "description": "Numbers (a list, `linspace` or `logspace`) for a numeric parameter; a list of regularisers for `regulariser`; a list of loss models for `loss`.",
            "anyOf": [numbers, regularisers, losses]
        })
    }
}

/// Where a portrait holds the coordinates not plotted.
pub struct FixedState;

impl JsonSchema for FixedState {
    fn schema_name() -> Cow<'static, str> {
        "FixedState".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "`\"equilibrium\"` (the equilibrium of the model) or a full state: one number per coordinate of the space.",
            "anyOf": [
                { "const": "equilibrium" },
                { "type": "array", "items": { "type": "number" } }
            ]
        })
    }
}

/// A grid of nodes: one count for both axes or `[nx, ny]`.
pub struct GridCounts;

impl JsonSchema for GridCounts {
    fn schema_name() -> Cow<'static, str> {
        "GridCounts".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let count = json_schema!({ "type": "integer", "minimum": 2, "maximum": 2000 });
        json_schema!({
            "description": "Node count (2…2000) on both axes, or `[nx, ny]`.",
            "anyOf": [
                count,
                { "type": "array", "items": count, "minItems": 2, "maxItems": 2 }
            ]
        })
    }
}

/// One entry of `runs`: a label and overrides deep-merged over the base `model` and
/// `simulation` (every field optional; the merged run is checked in full).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RunOverride {
    /// Label shown in outputs (default `run1`, `run2`, …).
    pub label: Option<String>,
    /// Overrides of the base `model`.
    pub model: Option<Partial<ModelSpec>>,
    /// Overrides of the base `simulation`.
    pub simulation: Option<Partial<SimulationSection>>,
}

/// One entry of `experiment.settings`: a labelled override deep-merged over the base `data`,
/// `network`, `training` and `seeds` (a different enum variant, e.g. `{"adam": {…}}` over
/// `{"sgd": {…}}`, replaces).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ExperimentSetting {
    /// The panel title (required, unique).
    pub label: String,
    /// Overrides of the base data set.
    pub data: Option<DataSpec>,
    /// Overrides of the base network.
    pub network: Option<Architecture>,
    /// Overrides of the base training.
    pub training: Option<TrainingSpec>,
    /// The seeds of this setting.
    pub seeds: Option<SeedsSpec>,
}

/// The kinds of spec `starvation schema --kind` describes, with the sections each reads.
pub const KINDS: [(&str, &[&str]); 5] = [
    (
        "run",
        &["model", "simulation", "runs", "vary", "plot", "equilibrium"],
    ),
    ("sweep", &["model", "sweep"]),
    ("experiment", &["experiment"]),
    ("portrait", &["model", "runs", "vary", "portrait"]),
    ("equilibrium", &["model", "runs", "vary", "equilibrium"]),
];

/// Sections every spec has.
const COMMON: [&str; 3] = ["$schema", "name", "description"];

/// The JSON Schema (draft 2020-12) of a spec file: of every kind (`kind` None or `"all"`), or
/// of one kind of [`KINDS`] (the sections it reads). `None` for an unknown kind.
pub fn spec_schema(kind: Option<&str>) -> Option<Value> {
    let sections = match kind {
        None | Some("all") => None,
        Some(k) => Some(KINDS.iter().find(|(name, _)| *name == k)?.1),
    };
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut root = generator.into_root_schema_for::<Spec>().to_value();
    resolve_partials(&mut root);
    if let Some(sections) = sections
        && let Some(Value::Object(props)) = root.get_mut("properties")
    {
        props.retain(|k, _| COMMON.contains(&k.as_str()) || sections.contains(&k.as_str()));
    }
    remove_unused_definitions(&mut root);
    tidy_descriptions(&mut root);
    if let Value::Object(map) = &mut root {
        let title = match kind {
            None | Some("all") => "starvation spec".to_string(),
            Some(k) => format!("starvation spec ({k})"),
        };
        map.insert("title".into(), title.into());
    }
    Some(root)
}

/// The `$defs` map of a root schema.
fn definitions(root: &mut Value) -> &mut Map<String, Value> {
    let map = root.as_object_mut().expect("a root schema is an object");
    map.entry("$defs")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .expect("$defs is an object")
}

/// The definition name of a local `$ref`.
fn ref_name(v: &Value) -> Option<String> {
    v.get("$ref")?
        .as_str()?
        .strip_prefix("#/$defs/")
        .map(str::to_string)
}

/// Replaces each [`Partial`] reference by a reference to a partial copy of its definition
/// (`NamePartial`), made for every definition reached from it.
/// A definition needs a partial copy when it, or a definition it reaches, has `required`; the
/// others (enums of names, all-optional objects) are used as they are.
fn resolve_partials(root: &mut Value) {
    let defs = definitions(root).clone();
    let mut memo = std::collections::BTreeMap::new();
    let needs = |name: &str, memo: &mut std::collections::BTreeMap<String, bool>| {
        needs_partial(name, &defs, memo)
    };
    let mut wanted = Vec::new();
    mark_partials(root, &mut |name| {
        let n = needs(name, &mut memo);
        if n {
            wanted.push(name.to_string());
        }
        n
    });
    let mut done = std::collections::BTreeSet::new();
    while let Some(name) = wanted.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        let Some(mut def) = defs.get(&name).cloned() else {
            continue;
        };
        make_partial(&mut def, &mut |inner| {
            let n = needs(inner, &mut memo);
            if n {
                wanted.push(inner.to_string());
            }
            n
        });
        definitions(root).insert(format!("{name}Partial"), def);
    }
}

/// Whether definition `name` has `required` at some depth, or reaches one that has.
fn needs_partial(
    name: &str,
    defs: &Map<String, Value>,
    memo: &mut std::collections::BTreeMap<String, bool>,
) -> bool {
    if let Some(n) = memo.get(name) {
        return *n;
    }
    memo.insert(name.to_string(), false); // cycles: decided by the other members
    let Some(def) = defs.get(name) else {
        return false;
    };
    let mut refs = Vec::new();
    collect_refs(def, &mut refs);
    let n = has_key(def, &["required"]) || refs.iter().any(|r| needs_partial(r, defs, memo));
    memo.insert(name.to_string(), n);
    n
}

/// Whether `v` has one of `keys` at some depth.
fn has_key(v: &Value, keys: &[&str]) -> bool {
    match v {
        Value::Object(map) => {
            keys.iter().any(|k| map.contains_key(*k)) || map.values().any(|x| has_key(x, keys))
        }
        Value::Array(items) => items.iter().any(|x| has_key(x, keys)),
        _ => false,
    }
}

/// Points every marked reference in `v` at its partial definition when `partial(name)` says
/// one is needed.
fn mark_partials(v: &mut Value, partial: &mut dyn FnMut(&str) -> bool) {
    match v {
        Value::Object(map) => {
            if map.remove(PARTIAL_MARK).is_some()
                && let Some(name) = ref_name(&Value::Object(map.clone()))
                && partial(&name)
            {
                map.insert("$ref".into(), format!("#/$defs/{name}Partial").into());
            }
            map.values_mut().for_each(|x| mark_partials(x, partial));
        }
        Value::Array(items) => items.iter_mut().for_each(|x| mark_partials(x, partial)),
        _ => {}
    }
}

/// Drops `required` at every depth of `v`, relaxes `oneOf` to `anyOf` (variants without their
/// required tags may overlap) and points references at partial definitions where
/// `partial(name)` says one is needed.
fn make_partial(v: &mut Value, partial: &mut dyn FnMut(&str) -> bool) {
    match v {
        Value::Object(map) => {
            map.remove("required");
            if let Some(one_of) = map.remove("oneOf") {
                map.insert("anyOf".into(), one_of);
            }
            if let Some(name) = ref_name(&Value::Object(map.clone()))
                && !name.ends_with("Partial")
                && partial(&name)
            {
                map.insert("$ref".into(), format!("#/$defs/{name}Partial").into());
            }
            map.values_mut().for_each(|x| make_partial(x, partial));
        }
        Value::Array(items) => items.iter_mut().for_each(|x| make_partial(x, partial)),
        _ => {}
    }
}

/// Removes the definitions no longer reached from the root; the full definition of every
/// partial one is kept (the reference page documents it, with what is required once merged).
fn remove_unused_definitions(root: &mut Value) {
    let defs = definitions(root).clone();
    let mut reached = std::collections::BTreeSet::new();
    let mut stack = Vec::new();
    let mut top = root.clone();
    if let Value::Object(map) = &mut top {
        map.remove("$defs");
    }
    collect_refs(&top, &mut stack);
    while let Some(name) = stack.pop() {
        if let Some(full) = name.strip_suffix("Partial") {
            stack.push(full.to_string());
        }
        if reached.insert(name.clone())
            && let Some(def) = defs.get(&name)
        {
            collect_refs(def, &mut stack);
        }
    }
    definitions(root).retain(|k, _| reached.contains(k));
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(name) = ref_name(v) {
                out.push(name);
            }
            map.values().for_each(|x| collect_refs(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// Turns the rustdoc links of descriptions (``[`Name`]``, ``[text](path)``) into plain code and
/// text, and joins the lines of a paragraph.
fn tidy_descriptions(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for key in ["description", "title"] {
                if let Some(Value::String(text)) = map.get_mut(key) {
                    *text = join_lines(&plain_text(text));
                }
            }
            for (k, x) in map.iter_mut() {
                if k != "default" && k != "const" && k != "enum" && k != "examples" {
                    tidy_descriptions(x);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tidy_descriptions),
        _ => {}
    }
}

/// `text` with rustdoc links reduced to their text: ``[`Name`]`` → `` `Name` ``, `[text](path)` →
/// `text`, `\[` → `[`; other brackets (`[lo, hi]`) are kept.
fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        let escaped = rest[..start].ends_with('\\');
        out.push_str(&rest[..start - usize::from(escaped)]);
        let after = &rest[start + 1..];
        let end = after.find(']').filter(|e| !after[..*e].contains('['));
        match end {
            Some(end) if !escaped => {
                let inner = &after[..end];
                let tail = &after[end + 1..];
                let link = tail.starts_with('(') && tail.contains(')');
                let code = inner.len() > 1 && inner.starts_with('`') && inner.ends_with('`');
                if link {
                    out.push_str(inner);
                    rest = &tail[tail.find(')').map_or(0, |e| e + 1)..];
                } else if code {
                    out.push_str(inner);
                    rest = tail;
                } else {
                    out.push('[');
                    rest = after;
                }
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace("\\]", "]")
}

/// The lines of each paragraph of a doc comment joined with spaces (paragraphs stay apart).
fn join_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|p| p.lines().map(str::trim).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The schema as the committed file holds it: pretty JSON and a final newline.
pub fn schema_text(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

/// The `experiment.data` section: a data set of the two-moons experiments (two moons or a CSV
/// file) or the `{"colored_mnist": …}` section of an image experiment.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ExperimentDataSchema {
    /// Two moons or a CSV file.
    Points(DataSpec),
    /// Colored MNIST.
    Images(crate::spec::ImageDataSpec),
}

/// One entry of an image experiment's `methods`: a name or a name with overrides.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ImageMethodSchema {
    /// "erm", "sd", "irm" or "oracle" with the protocol's settings.
    Name(String),
    /// A method with overrides.
    Method(crate::spec::MethodSpec),
}
