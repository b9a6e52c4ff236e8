//! Claim: "a bad plot/portrait section must give an `InputError` naming the field (the CLI turns
//! it into exit status 2) — `run_figures` is called before any file is written."
//!
//! Each case breaks one field of a shipped Figure 6 spec and checks the error's field path.

use std::path::Path;

use serde_json::{Value, json};
use starvation::error::Error;
use starvation::figures::{check_sections, portrait_figures, run_figures};
use starvation::spec::parse_spec;

fn shipped(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("simulations")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("spec")).expect("JSON")
}

/// Sets the value at a JSON pointer (creating nothing: the parent must exist).
fn set(v: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let p = v
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    match p {
        Value::Object(m) => {
            m.insert(key.to_string(), value);
        }
        Value::Array(a) => a[key.parse::<usize>().expect("index")] = value,
        _ => panic!("{parent} is not a container"),
    }
}

/// The field of the error the figure functions give for `spec`.
fn field_of(spec: Value) -> String {
    let spec = parse_spec(&spec.to_string()).expect("the rest of the spec is valid");
    let result = if spec.plot.is_some() {
        let runs: Vec<_> = spec
            .expand_runs()
            .expect("runs")
            .into_iter()
            .map(|r| {
                let t = r.simulate().expect("simulates");
                (r, t)
            })
            .collect();
        // The check without running must agree with the one after running.
        let early = check_sections(&spec).err().map(|e| e.field);
        let late = run_figures(&spec, &runs);
        if let (Some(f), Err(Error::Input(e))) = (&early, &late) {
            assert_eq!(f, &e.field, "check_sections and run_figures disagree");
        }
        late.map(|_| ())
    } else {
        portrait_figures(&spec).map(|_| ())
    };
    match result {
        Err(Error::Input(e)) => {
            assert!(!e.message.is_empty());
            eprintln!("{e}");
            e.field
        }
        Err(other) => panic!("not an input error: {other}"),
        Ok(()) => panic!("the broken spec was accepted"),
    }
}

#[test]
fn a_bad_plot_section_names_the_field() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/plot/panels/0/x/quantity",
            json!("|y1|"),
            "plot.panels[0].x.quantity",
        ),
        (
            "/plot/panels/0/x/range",
            json!([3, 1]),
            "plot.panels[0].x.range",
        ),
        (
            "/plot/panels/1/series/0/dash",
            json!("wavy"),
            "plot.panels[1].series[0].dash",
        ),
        (
            "/plot/panels/1/series/0/colour_by",
            json!("s9"),
            "plot.panels[1].series[0].colour_by",
        ),
        (
            "/plot/panels/0/series/0/legend",
            json!("s = {s9}"),
            "plot.panels[0].series[0].legend",
        ),
        (
            "/plot/panels/0/series/1/runs/label",
            json!("dual L3"),
            "plot.panels[0].series[1].runs.label",
        ),
        (
            "/plot/panels/0/series/1/runs/parameters",
            json!({ "s1": [7] }),
            "plot.panels[0].series[1].runs",
        ),
        (
            "/plot/panels/0/series/0/y",
            json!("alpha1"),
            "plot.panels[0].series[0].y",
        ),
        ("/plot/panels/0/colour", json!(3), "plot.panels[0].colour"),
        ("/plot/size", json!([10, 760]), "plot.size"),
        ("/plot/name", json!("../escape"), "plot.name"),
    ];
    for (pointer, value, want) in cases {
        let mut spec = shipped("fig06_toy_dynamics.json");
        set(&mut spec, pointer, value.clone());
        let got = field_of(spec);
        assert!(
            got.starts_with(want),
            "{pointer} = {value}: error names {got:?}, expected {want:?}"
        );
    }
}

#[test]
fn a_bad_portrait_section_names_the_field() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/portrait/defaults/x/range",
            json!([3, 1]),
            "portrait.defaults.x.range",
        ),
        (
            "/portrait/defaults/arrows/grid",
            json!(1),
            "portrait.defaults.arrows.grid",
        ),
        (
            "/portrait/defaults/streamlines/density",
            json!(0),
            "portrait.defaults.streamlines.density",
        ),
        (
            "/portrait/defaults/trajectories/t_end",
            json!(-5),
            "portrait.defaults.trajectories.t_end",
        ),
        (
            "/portrait/defaults/trajectories/method",
            json!("euler"),
            "portrait.defaults.trajectories.method",
        ),
        (
            "/portrait/defaults/trajectories/starts",
            json!([[1, 2, 3]]),
            "portrait.defaults.trajectories.starts[0]",
        ),
        (
            "/portrait/panels/1/fixed",
            json!("nowhere"),
            "portrait.panels[1].fixed",
        ),
        (
            "/portrait/panels/2/model/features/toy/s1",
            json!(-1),
            "portrait.panels[2].model.features.toy.s1",
        ),
        (
            "/portrait/panels/0/x",
            json!({ "coordinate": "theta1", "range": [0, 1] }),
            "portrait.panels[0].x.coordinate",
        ),
        (
            "/portrait/panels/3/space",
            json!("w"),
            "portrait.panels[3].space",
        ),
        ("/portrait/panels/3/arrow", json!({}), "portrait.panels[3]"),
        ("/portrait/columns", json!(0), "portrait.columns"),
    ];
    for (pointer, value, want) in cases {
        let mut spec = shipped("fig06_toy_portraits.json");
        set(&mut spec, pointer, value.clone());
        let got = field_of(spec);
        assert!(
            got.starts_with(want),
            "{pointer} = {value}: error names {got:?}, expected {want:?}"
        );
    }
}

#[test]
fn the_cli_exits_with_status_2_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let mut spec = shipped("fig06_toy_dynamics.json");
    set(&mut spec, "/plot/panels/1/y/quantity", json!("|q2|"));
    let spec_path = tmp.path().join("bad.json");
    std::fs::write(&spec_path, spec.to_string()).expect("write spec");
    let out = tmp.path().join("out");
    let result = std::process::Command::new(env!("CARGO_BIN_EXE_starvation"))
        .arg("run")
        .arg(&spec_path)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("plot.panels[1].y.quantity"), "{stderr}");
    let written: Vec<_> = std::fs::read_dir(&out)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(written.is_empty(), "files were written: {written:?}");
}
