//! Reliability contract, continued: sizes, counts and encodings a user can get wrong end in a
//! one-line error naming the field and exit status 2 — never a crash, an allocation abort or a
//! later failure after files were written (cases found by mutation fuzzing of simulations/).

use std::process::Command;

fn run(args: &[&str], spec: &str) -> (i32, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec.json");
    std::fs::write(&path, spec).unwrap();
    let mut full: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    full.insert(1, path.to_str().unwrap().to_string());
    full.push("--out".into());
    full.push(dir.path().join("out").to_str().unwrap().to_string());
    let out = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .args(&full)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
        dir,
    )
}

fn check(spec: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec.json");
    std::fs::write(&path, spec).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .args(["check", path.to_str().unwrap()])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn assert_rejected((code, stderr): (i32, String), field: &str) {
    assert_eq!(code, 2, "{field}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(field), "expected {field}: {stderr}");
}

const TOY: &str = r#""features": { "toy": { "s1": 6.0, "s2": 2.0, "delta": 0.5 } }"#;

#[test]
fn huge_dimensions_are_rejected() {
    let spec = format!(
        r#"{{ "name": "x", "model": {{ {TOY}, "directions": {{ "parameters": 9223372036854775808, "seed": 1 }} }}, "simulation": {{ "t_end": 1 }} }}"#
    );
    assert_rejected(check(&spec), "model.directions");
    let spec = format!(
        r#"{{ "name": "x", "model": {{ {TOY}, "directions": {{ "parameters": 4000000000, "seed": 1 }} }}, "simulation": {{ "t_end": 1 }} }}"#
    );
    assert_rejected(check(&spec), "model.directions.parameters");
    let spec = r#"{ "name": "x", "model": { "features": { "random": { "examples": 100000000, "seed": 1, "power_law": { "largest": 2, "exponent": 1 } } } }, "simulation": { "t_end": 1 } }"#;
    assert_rejected(check(spec), "model.features.random.examples");
    let spec = format!(
        r#"{{ "name": "x", "model": {{ {TOY} }}, "simulation": {{ "t_end": 1, "output": {{ "count": 10000000000 }} }} }}"#
    );
    assert_rejected(check(&spec), "simulation.output.count");
}

#[test]
fn huge_sweeps_are_rejected() {
    let axis = |p: &str| {
        format!(
            r#"{{ "parameter": "{p}", "values": {{ "linspace": {{ "start": 0.1, "stop": 0.5, "count": 5000000 }} }} }}"#
        )
    };
    let spec = format!(
        r#"{{ "name": "x", "model": {{ {TOY} }}, "sweep": {{ "axes": [{}, {}, {}], "metrics": ["z"] }} }}"#,
        axis("delta"),
        axis("lambda"),
        axis("s1")
    );
    assert_rejected(check(&spec), "sweep.axes");
    let spec = format!(
        r#"{{ "name": "x", "model": {{ {TOY} }}, "sweep": {{ "axes": [ {{ "parameter": "s1", "values": {{ "linspace": {{ "start": 1, "stop": 2, "count": 9223372036854775807 }} }} }} ], "metrics": ["z"] }} }}"#
    );
    assert_rejected(check(&spec), "sweep.axes[0].values.linspace.count");
}

#[test]
fn tiny_gradient_descent_steps_are_rejected() {
    let spec = format!(
        r#"{{ "name": "x", "model": {{ {TOY} }}, "simulation": {{ "t_end": 250, "method": "gd", "step": 1e-20 }} }}"#
    );
    assert_rejected(check(&spec), "simulation.step");
    let spec = format!(
        r#"{{ "name": "x", "model": {{ {TOY} }}, "simulation": {{ "t_end": 1000000, "method": "gd", "step": 1e-6 }} }}"#
    );
    let (code, stderr, dir) = run(&["run"], &spec);
    assert_rejected((code, stderr), "simulation.step");
    assert!(!dir.path().join("out").join("x.run.json").exists());
}

#[test]
fn syntax_errors_inside_multibyte_text_are_reported() {
    for text in [
        r#"{"name":"\u12é4"}"#,
        r#"{"name":"\ud83d\udeé"}"#,
        "{\"name\":\"€\\ué€€€\"}",
    ] {
        let (code, stderr) = check(text);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("name") && stderr.contains("not valid JSON"),
            "{stderr}"
        );
    }
}

#[test]
fn conflicting_axes_and_bad_sections_are_caught_by_check() {
    let spec = format!(
        r#"{{ "name": "x", "model": {{ {TOY} }}, "sweep": {{ "axes": [ {{ "parameter": "s1", "values": [1, 2] }}, {{ "parameter": "s1_over_s2", "values": [1, 2] }} ], "metrics": ["z"] }} }}"#
    );
    assert_rejected(check(&spec), "sweep.axes");
    let spec = format!(
        r#"{{ "name": "x", "model": {{ {TOY} }}, "sweep": {{ "axes": [ {{ "parameter": "delta", "values": [0.1, 0.2] }}, {{ "parameter": "s1", "values": [1, 2] }} ], "metrics": ["z"], "plots": [ {{ "kind": "heatmap", "metric": "z1", "x": "s1", "y": "delta", "size": [100000, 1] }} ] }} }}"#
    );
    assert_rejected(check(&spec), "sweep.plots[0].size");
    let spec = format!(
        r#"{{ "name": "x", "model": {{ {TOY} }}, "equilibrium": {{ "start": [1, 2, 3] }} }}"#
    );
    assert_rejected(check(&spec), "equilibrium.start");
    let spec = format!(
        r#"{{ "name": "x", "model": {{ {TOY} }}, "equilibrium": {{ "continuation": {{ "parameter": "s3", "values": [1, 2] }} }} }}"#
    );
    assert_rejected(check(&spec), "equilibrium.continuation");
    // λ cannot be swept on a model without a regulariser: the cells fail with that reason.
    let spec = format!(
        r#"{{ "name": "x", "model": {{ {TOY}, "regulariser": "none" }}, "sweep": {{ "axes": [ {{ "parameter": "lambda", "values": [0.01] }} ], "metrics": ["z"] }} }}"#
    );
    let (code, _, dir) = run(&["sweep"], &spec);
    assert_eq!(code, 0);
    let csv = std::fs::read_to_string(dir.path().join("out").join("x.sweep.csv")).unwrap();
    assert!(csv.contains("no regulariser"), "{csv}");
}
