//! Issue 22, item 2: "Generate a JSON Schema of every spec kind from the types themselves
//! (`starvation schema`, and a `$schema` line in the shipped specs so that editors validate and
//! complete them), and a reference page in docs/ generated from the same source, checked in CI
//! to be current."
//!
//! The committed `docs/spec.schema.json` and `docs/spec-reference.md` are what the binary
//! generates now, and every shipped spec names the schema. The cases of
//! `tests/contract/schema_cases.json` are read here by the parser (each valid one parses, each
//! invalid one is refused); python/tests/test_spec_schema.py reads the same cases and the shipped
//! specs with an independent validator (Python's `jsonschema`) against the committed schema and
//! the schema of each kind, so that schema and parser are checked against one list.

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
fn every_shipped_spec_names_the_schema_and_its_kind_has_one() {
    for (path, text) in shipped_specs() {
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value["$schema"],
            json!("../docs/spec.schema.json"),
            "{} names the schema",
            path.display()
        );
        let kind = parse_spec(&text).expect("a shipped spec parses").kind();
        let kind = serde_json::to_value(kind).unwrap();
        let ran = run_binary(None, &["schema", "--kind", kind.as_str().unwrap()]);
        assert_eq!(ran.code, 0, "{}", ran.both());
        let of_kind: Value = serde_json::from_str(&ran.stdout).expect("the kind's schema is JSON");
        assert!(
            of_kind["$schema"].is_string(),
            "{} ({kind})",
            path.display()
        );
    }
}

/// The shared cases: the valid specs, and each invalid one as (what, spec).
fn cases() -> (Vec<Value>, Vec<(String, Value)>) {
    let cases: Value = serde_json::from_str(&committed("tests/contract/schema_cases.json"))
        .expect("tests/contract/schema_cases.json");
    let valid = cases["valid"].as_array().expect("valid").clone();
    let invalid: Vec<(String, Value)> = cases["invalid"]
        .as_array()
        .expect("invalid")
        .iter()
        .map(|case| {
            let base = &valid[case["base"].as_u64().expect("base") as usize];
            let (pointer, value) = (case["set"][0].as_str().expect("pointer"), &case["set"][1]);
            let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
            let mut spec = base.clone();
            match spec.pointer_mut(parent).expect("the parent exists") {
                Value::Object(map) => {
                    map.insert(key.to_owned(), value.clone());
                }
                Value::Array(items) => {
                    items[key.parse::<usize>().expect("an index")] = value.clone()
                }
                other => panic!("{pointer}: cannot set inside {other}"),
            }
            (case["what"].as_str().expect("what").to_owned(), spec)
        })
        .collect();
    assert!(
        valid.len() >= 5 && invalid.len() >= 20,
        "the cases are read"
    );
    (valid, invalid)
}

#[test]
fn the_parser_accepts_every_valid_case() {
    let (valid, _) = cases();
    for spec in valid {
        let parsed = parse_spec(&spec.to_string()).unwrap_or_else(|e| panic!("{spec}: {e}"));
        starvation::tasks::check(&parsed).unwrap_or_else(|e| panic!("{spec}: {e}"));
    }
}

#[test]
fn the_parser_refuses_every_invalid_case() {
    let (_, invalid) = cases();
    for (what, spec) in invalid {
        // The sections read after parsing (runs, plots, portraits, sweeps, experiments) are
        // read by `check`.
        let parsed = parse_spec(&spec.to_string())
            .map_err(starvation::Error::from)
            .and_then(|s| starvation::tasks::check(&s).map(|_| ()));
        assert!(parsed.is_err(), "the parser refuses {what}: {spec}");
    }
}
