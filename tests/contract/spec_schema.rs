//! Issue 22, item 2: "Generate a JSON Schema of every spec kind from the types themselves
//! (`starvation schema`, and a `$schema` line in the shipped specs so that editors validate and
//! complete them), and a reference page in docs/ generated from the same source, checked in CI
//! to be current."
//!
//! The committed `docs/spec.schema.json` and `docs/spec-reference.md` are what the binary
//! generates now; every shipped spec names the schema and validates against it (and against the
//! schema of its own kind); and the schema, checked by an independent validator (the
//! `jsonschema` crate), refuses what the parser refuses (unknown fields at every depth, wrong
//! types) and accepts what it accepts (sections split between the base, runs and `vary`).

use std::path::PathBuf;

use serde_json::{Value, json};
use starvation::spec::parse_spec;

use crate::common::run_binary;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn committed(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema).expect("the schema is a valid JSON Schema")
}

fn schema() -> Value {
    serde_json::from_str(&committed("docs/spec.schema.json")).expect("docs/spec.schema.json")
}

/// The validator's errors for `instance`, one line each (empty when valid).
fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn shipped_specs() -> Vec<(PathBuf, String)> {
    let mut specs: Vec<(PathBuf, String)> = std::fs::read_dir(root().join("simulations"))
        .expect("simulations/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    specs.sort();
    assert!(specs.len() >= 20, "the shipped specs are found");
    specs
}

#[test]
fn the_committed_schema_and_reference_are_what_the_binary_generates() {
    let ran = run_binary(None, &["schema"]);
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert!(
        ran.stdout == committed("docs/spec.schema.json"),
        "docs/spec.schema.json is out of date; regenerate it with `starvation schema --out docs`"
    );
    let ran = run_binary(None, &["schema", "--markdown"]);
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert!(
        ran.stdout == committed("docs/spec-reference.md"),
        "docs/spec-reference.md is out of date; regenerate it with `starvation schema --out docs`"
    );
}

#[test]
fn schema_out_writes_both_files_and_an_unknown_kind_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("docs");
    let ran = run_binary(None, &["schema", "--out", out.to_str().unwrap()]);
    assert_eq!(ran.code, 0, "{}", ran.both());
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    assert_eq!(read("spec.schema.json"), committed("docs/spec.schema.json"));
    assert_eq!(
        read("spec-reference.md"),
        committed("docs/spec-reference.md")
    );
    let ran = run_binary(None, &["schema", "--kind", "plots"]);
    assert_eq!(ran.code, 2, "{}", ran.both());
    assert!(ran.stderr.contains("--kind"), "{}", ran.stderr);
    assert!(ran.stdout.is_empty());
}

#[test]
fn every_shipped_spec_names_the_schema_and_validates_against_it_and_its_kind() {
    let all = validator(&schema());
    for (path, text) in shipped_specs() {
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value["$schema"],
            json!("../docs/spec.schema.json"),
            "{} names the schema",
            path.display()
        );
        assert_eq!(
            errors(&all, &value),
            Vec::<String>::new(),
            "{}",
            path.display()
        );
        let kind = parse_spec(&text).expect("a shipped spec parses").kind();
        let kind = serde_json::to_value(kind).unwrap();
        let ran = run_binary(None, &["schema", "--kind", kind.as_str().unwrap()]);
        assert_eq!(ran.code, 0, "{}", ran.both());
        let of_kind = validator(&serde_json::from_str(&ran.stdout).unwrap());
        assert_eq!(
            errors(&of_kind, &value),
            Vec::<String>::new(),
            "{} against the {kind} schema",
            path.display()
        );
    }
}

/// A small valid spec of every section the parser reads on its own (run, sweep, portrait,
/// experiment), each accepted by both the parser and the schema.
fn valid_specs() -> Vec<Value> {
    let model = json!({"features": {"toy": {"s1": 6, "s2": 2, "delta": 0.5}},
                       "regulariser": {"sd": {"lambda": 0.01}}, "loss": "exact"});
    vec![
        json!({"name": "r", "model": model, "simulation": {"t_end": 5, "method": "gd", "step": 0.1,
               "output": {"times": {"logspace": {"start": 0.1, "stop": 5, "count": 4}}},
               "events": {"level_crossings": [{"feature": 1, "level": 0.5}]}},
               "plot": {"panels": [{"x": {"quantity": "t"}, "y": {"quantity": "z1", "scale": "log"},
                        "series": [{"runs": {"label": ["a"]}, "dash": "dashed"}]}]},
               "runs": [{"label": "a"}]}),
        json!({"name": "s", "model": model,
               "sweep": {"axes": [{"parameter": "regulariser", "values": [{"l2": {"lambda": 0.1}}, "none"]},
                                  {"parameter": "s1", "values": {"linspace": {"start": 1, "stop": 3, "count": 3}}}],
                         "metrics": ["z", {"time_to_fraction": {"feature": 2, "fraction": 0.5}}],
                         "thresholds": [{"metric": "z1", "level": 1.0}],
                         "plots": [{"kind": "lines", "x": "s1", "series": "regulariser", "metric": "z1",
                                    "fix": {"regulariser": 1}}]}}),
        json!({"name": "p", "model": model,
               "portrait": {"defaults": {"x": {"coordinate": "z1", "range": [0, 8]}},
                            "panels": [{"y": {"coordinate": "z2", "range": [0, 3]}, "fixed": "equilibrium",
                                        "arrows": {"grid": [11, 9]}, "streamlines": null,
                                        "model": {"features": {"toy": {"s1": 4}}},
                                        "trajectories": {"t_end": 10, "method": "auto", "output": "steps"}}]}}),
        json!({"name": "e", "experiment": {"data": {"two_moons": {"examples": 40}}, "seeds": [0, 3],
               "training": {"optimiser": {"adam": {}}, "epochs": 5},
               "settings": [{"label": "a", "network": {"hidden": [8]}}],
               "figure": {"kind": "width_gap"}}}),
    ]
}

/// `edit` applied to a copy of `spec`.
fn edited(spec: &Value, edit: impl FnOnce(&mut Value)) -> Value {
    let mut v = spec.clone();
    edit(&mut v);
    v
}

#[test]
fn the_schema_accepts_what_the_parser_accepts() {
    let v = validator(&schema());
    for spec in valid_specs() {
        parse_spec(&spec.to_string()).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(errors(&v, &spec), Vec::<String>::new(), "{spec}");
    }
    // A model split between the base, the runs and a vary axis: no part is complete alone.
    let split = json!({"name": "split", "model": {"features": {"toy": {"s2": 2, "delta": 0.3}}},
                       "simulation": {"method": "dop853"},
                       "runs": [{"label": "a", "model": {"features": {"toy": {"delta": 0.5}}},
                                 "simulation": {"t_end": 3}}],
                       "vary": [{"path": "model.features.toy.s1", "values": [4, 6]}]});
    let parsed = parse_spec(&split.to_string()).expect("a split spec parses");
    parsed.expand_runs().expect("and merges into complete runs");
    assert_eq!(errors(&v, &split), Vec::<String>::new());
}

#[test]
fn an_unknown_field_or_a_wrong_type_fails_both_the_schema_and_the_parser() {
    let v = validator(&schema());
    let specs = valid_specs();
    let (run, sweep, portrait, experiment) = (&specs[0], &specs[1], &specs[2], &specs[3]);
    let bad: Vec<(&str, Value)> = vec![
        ("top level", edited(run, |s| s["colour"] = json!(1))),
        (
            "model",
            edited(run, |s| s["model"]["features"]["toy"]["s3"] = json!(1)),
        ),
        (
            "simulation",
            edited(run, |s| s["simulation"]["tol"] = json!(1e-6)),
        ),
        (
            "events",
            edited(run, |s| {
                s["simulation"]["events"]["level_crossings"][0]["lvl"] = json!(1)
            }),
        ),
        (
            "plot",
            edited(run, |s| {
                s["plot"]["panels"][0]["series"][0]["style"] = json!("x")
            }),
        ),
        ("run", edited(run, |s| s["runs"][0]["models"] = json!({}))),
        (
            "sweep",
            edited(sweep, |s| s["sweep"]["plots"][0]["colour_map"] = json!("x")),
        ),
        (
            "metric",
            edited(sweep, |s| {
                s["sweep"]["metrics"][1]["time_to_fraction"]["q"] = json!(1)
            }),
        ),
        (
            "portrait",
            edited(portrait, |s| {
                s["portrait"]["panels"][0]["trajectories"]["n"] = json!(1)
            }),
        ),
        (
            "experiment",
            edited(experiment, |s| {
                s["experiment"]["settings"][0]["epochs"] = json!(1)
            }),
        ),
        (
            "figure",
            edited(experiment, |s| {
                s["experiment"]["figure"]["width"] = json!(100)
            }),
        ),
        (
            "type",
            edited(run, |s| s["simulation"]["t_end"] = json!("5")),
        ),
        (
            "enum",
            edited(run, |s| s["simulation"]["method"] = json!("rk4")),
        ),
        (
            "feature 0",
            edited(run, |s| {
                s["simulation"]["events"]["level_crossings"][0]["feature"] = json!(0)
            }),
        ),
        (
            "grid",
            edited(portrait, |s| {
                s["portrait"]["panels"][0]["arrows"]["grid"] = json!([11])
            }),
        ),
        ("file name", edited(run, |s| s["name"] = json!(".hidden"))),
        (
            "figure name",
            edited(sweep, |s| s["sweep"]["plots"][0]["name"] = json!("a/b")),
        ),
        (
            "plot kind",
            edited(sweep, |s| s["sweep"]["plots"][0]["kind"] = json!("scatter")),
        ),
        (
            "axis parameter",
            edited(sweep, |s| s["sweep"]["axes"][1]["parameter"] = json!("s0")),
        ),
        (
            "coordinate",
            edited(portrait, |s| {
                s["portrait"]["panels"][0]["y"]["coordinate"] = json!("w2")
            }),
        ),
    ];
    for (what, spec) in bad {
        assert!(
            !v.is_valid(&spec),
            "the schema refuses the bad {what}: {spec}"
        );
        // The sections read after parsing (runs, plots, portraits, sweeps, experiments) are
        // read by `check`.
        let parsed = parse_spec(&spec.to_string())
            .map_err(starvation::Error::from)
            .and_then(|s| starvation::tasks::check(&s).map(|_| ()));
        assert!(parsed.is_err(), "the parser refuses the bad {what}");
    }
}
