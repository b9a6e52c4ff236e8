//! Issue 10, point 6: "Model internals are hidden. The strengths s and the U, V of a data-driven
//! or random model never appear in outputs; nothing says that a 20 × 6 Φ gives a non-square U or
//! that singular values were dropped." Fix claimed: the run, equilibrium and sweep documents carry
//! shapes, s, U, V (when m·k ≤ 400), rank and dropped singular values, and a non-square U or a
//! rank-deficient Φ is printed as a warning and recorded in `warnings`.
//!
//! Issue 22, point 3: "model internals (s, U, V) belong under `data`, not `provenance`". Fix
//! claimed: they are `data.runs[i].model`, `data.models[i].model` and `data.base_model`, and
//! the provenance no longer carries a copy.

use std::process::Command;

/// Φ is 4 × 3 with rank 2 (row 4 = row 1 + row 2, column 3 = column 1 + column 2): four
/// examples, two features, one singular value dropped.
const SPEC: &str = r#"{
  "name": "phi",
  "model": {
    "features": { "tangent": {
      "phi": [[1, 0, 1], [0, 2, 2], [1, 1, 2], [1, 2, 3]],
      "labels": [1, 1, 1, 1]
    } },
    "regulariser": { "l2": { "lambda": 0.01 } }
  },
  "simulation": { "t_end": 5, "output": { "count": 3 } },
  "sweep": { "axes": [ { "parameter": "lambda", "values": [0.01, 0.1] } ], "metrics": ["z"] }
}"#;

fn run(command: &str) -> (String, serde_json::Value) {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("phi.json");
    std::fs::write(&spec, SPEC).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .args([command, spec.to_str().unwrap(), "--out"])
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = tmp.path().join("out").join(format!("phi.{command}.json"));
    let doc = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    (stdout, doc)
}

fn assert_internals(m: &serde_json::Value) {
    assert_eq!(m["examples"], 4);
    assert_eq!(m["features"], 2);
    assert_eq!(m["rank"], 2);
    assert_eq!(m["coupling_shape"], serde_json::json!([4, 2]));
    assert_eq!(m["coupling"].as_array().unwrap().len(), 4);
    assert_eq!(m["strengths"].as_array().unwrap().len(), 2);
    assert_eq!(m["directions"].as_array().unwrap().len(), 3, "V is 3 × 2");
    assert_eq!(
        m["dropped_singular_values"].as_array().unwrap().len(),
        1,
        "3 singular values, rank 2"
    );
    let w = m["warnings"].as_array().unwrap();
    assert!(
        w.iter().any(|w| w.as_str().unwrap().contains("non-square")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.as_str().unwrap().contains("rank deficient")),
        "{w:?}"
    );
}

#[test]
fn the_run_document_shows_s_u_v_and_warns() {
    let (stdout, doc) = run("run");
    assert!(
        stdout.contains("warning:") && stdout.contains("non-square"),
        "{stdout}"
    );
    assert_internals(&doc["data"]["runs"][0]["model"]);
    assert_eq!(doc["data"]["warnings"].as_array().unwrap().len(), 2);
    assert!(
        doc["provenance"]["runs"][0]["model"]
            .get("internals")
            .is_none(),
        "the internals are data, not provenance"
    );
}

#[test]
fn the_equilibrium_document_shows_s_u_v_and_warns() {
    let (stdout, doc) = run("equilibrium");
    assert!(
        stdout.contains("warning:") && stdout.contains("rank deficient"),
        "{stdout}"
    );
    assert_internals(&doc["data"]["models"][0]["model"]);
    assert_eq!(doc["data"]["warnings"].as_array().unwrap().len(), 2);
    assert!(
        doc["provenance"]["models"][0].get("internals").is_none(),
        "the internals are data, not provenance"
    );
}

#[test]
fn the_sweep_document_shows_the_base_model() {
    let (stdout, doc) = run("sweep");
    assert!(stdout.contains("warning: base model"), "{stdout}");
    assert_internals(&doc["data"]["base_model"]);
}

#[test]
fn the_strengths_and_coupling_reproduce_the_toy() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("toy.json");
    std::fs::write(
        &spec,
        r#"{ "name": "toy", "model": { "features": { "toy": { "s1": 3, "s2": 1, "delta": 0.6 } } }, "simulation": { "t_end": 1 } }"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .args(["run", spec.to_str().unwrap(), "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("toy.run.json")).unwrap())
            .unwrap();
    let m = &doc["data"]["runs"][0]["model"];
    assert_eq!(m["strengths"], serde_json::json!([3.0, 1.0]));
    // M17: U(δ) = [[c, −δ], [δ, c]], c = √(1 − δ²) = 0.8.
    assert_eq!(m["coupling"], serde_json::json!([[0.8, -0.6], [0.6, 0.8]]));
    assert!(m["warnings"].as_array().unwrap().is_empty());
    assert!(doc["data"]["warnings"].as_array().unwrap().is_empty());
}
