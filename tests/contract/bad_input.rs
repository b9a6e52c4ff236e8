//! Reliability contract (docs/architecture.md): "Bad input … gets a clear one-line error naming the
//! field and the fix, exit status 2, and no panic", and "No partial outputs". Each malformed spec
//! below is run through the `starvation` binary; the test checks the exit status, that stderr is
//! one line naming the field, and that nothing was written.

use std::path::Path;
use std::process::Command;

const GOOD: &str = r#"{
  "name": "good",
  "model": {
    "features": { "toy": { "s1": 6.0, "s2": 2.0, "delta": 0.5 } },
    "regulariser": { "l2": { "lambda": 0.01 } }
  },
  "simulation": { "t_end": 10.0, "output": { "count": 5 } }
}"#;

fn run_spec(
    text: &str,
    out: Option<&Path>,
) -> (i32, String, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.json");
    std::fs::write(&spec, text).unwrap();
    let out_dir = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.path().join("out"));
    let output = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .arg("run")
        .arg(&spec)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    (output.status.code().unwrap_or(-1), stderr, out_dir, dir)
}

fn assert_rejected(text: &str, field: &str) {
    let (code, stderr, out, _dir) = run_spec(text, None);
    assert_eq!(code, 2, "exit status for {field}: stderr {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line expected: {stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains(field),
        "stderr should name {field}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let written = std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0);
    assert_eq!(
        written, 0,
        "no output may be written for bad input ({field})"
    );
}

fn with(old: &str, new: &str) -> String {
    assert!(GOOD.contains(old), "test bug: {old} not in the good spec");
    GOOD.replacen(old, new, 1)
}

#[test]
fn the_good_spec_runs() {
    let (code, stderr, out, _dir) = run_spec(GOOD, None);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.join("good.run.json").exists() && out.join("good.run.csv").exists());
}

#[test]
fn unknown_field() {
    assert_rejected(
        &with(r#""s2": 2.0"#, r#""s2": 2.0, "s3": 1.0"#),
        "model.features.toy",
    );
}

#[test]
fn not_a_number() {
    assert_rejected(
        &with(r#""lambda": 0.01"#, r#""lambda": NaN"#),
        "model.regulariser.l2.lambda (line 5",
    );
    assert_rejected(
        &with(r#""t_end": 10.0"#, r#""t_end": Infinity"#),
        "simulation.t_end",
    );
}

#[test]
fn negative_lambda() {
    assert_rejected(
        &with(r#""lambda": 0.01"#, r#""lambda": -0.01"#),
        "model.regulariser.l2.lambda",
    );
}

#[test]
fn delta_out_of_range() {
    assert_rejected(
        &with(r#""delta": 0.5"#, r#""delta": 1.0"#),
        "model.features.toy.delta",
    );
}

#[test]
fn non_orthogonal_coupling() {
    assert_rejected(
        &with(
            r#""toy": { "s1": 6.0, "s2": 2.0, "delta": 0.5 }"#,
            r#""explicit": { "strengths": [1.0, 2.0], "coupling": [[1.0, 0.1], [0.0, 1.0]] }"#,
        ),
        "model.features.explicit.coupling",
    );
}

#[test]
fn wrong_sizes() {
    assert_rejected(
        &with(
            r#""toy": { "s1": 6.0, "s2": 2.0, "delta": 0.5 }"#,
            r#""explicit": { "strengths": [1.0, 2.0, 3.0], "coupling": [[1.0, 0.0], [0.0, 1.0]] }"#,
        ),
        "model.features.explicit.strengths",
    );
    assert_rejected(
        &with(
            r#""output": { "count": 5 }"#,
            r#""output": { "count": 5 }, "initial_state": [0.0]"#,
        ),
        "simulation.initial_state",
    );
}

#[test]
fn end_before_start() {
    assert_rejected(
        &with(r#""t_end": 10.0"#, r#""t_end": 10.0, "t_start": 10.0"#),
        "simulation.t_end",
    );
}

#[test]
fn empty_output_list() {
    assert_rejected(
        &with(
            r#""output": { "count": 5 }"#,
            r#""output": { "times": [] }"#,
        ),
        "simulation.output.times",
    );
}

#[test]
fn truncated_json() {
    assert_rejected(&GOOD[..GOOD.len() - 20], "simulation (line");
}

#[test]
fn unknown_method_and_space() {
    assert_rejected(
        &with(r#""t_end": 10.0"#, r#""t_end": 10.0, "method": "rk4""#),
        "simulation.method",
    );
    assert_rejected(
        &with(r#""t_end": 10.0"#, r#""t_end": 10.0, "space": "w""#),
        "simulation.space",
    );
}

#[test]
fn gd_without_step() {
    assert_rejected(
        &with(r#""t_end": 10.0"#, r#""t_end": 10.0, "method": "gd""#),
        "simulation.step",
    );
}

#[test]
fn missing_t_end() {
    assert_rejected(&with(r#""t_end": 10.0, "#, ""), "simulation");
}

#[test]
fn bad_labels_and_rank() {
    assert_rejected(
        &with(
            r#""toy": { "s1": 6.0, "s2": 2.0, "delta": 0.5 }"#,
            r#""tangent": { "phi": [[1.0, 0.0], [0.0, 1.0]], "labels": [1.0, 0.0] }"#,
        ),
        "model.features.tangent.labels[1]",
    );
    assert_rejected(
        &with(
            r#""toy": { "s1": 6.0, "s2": 2.0, "delta": 0.5 }"#,
            r#""tangent": { "phi": [[1.0, 0.0], [0.0]], "labels": [1.0, 1.0] }"#,
        ),
        "model.features.tangent.phi[1]",
    );
}

#[test]
fn dual_needs_a_regulariser() {
    assert_rejected(
        &with(r#""l2": { "lambda": 0.01 }"#, r#""l2": { "lambda": 0.0 }"#).replace(
            r#""t_end": 10.0"#,
            r#""t_end": 10.0, "space": "alpha", "method": "radau5""#,
        ),
        "model.regulariser",
    );
}

#[test]
fn unknown_loss_and_the_smooth_hinge_dual() {
    // Issue 19: a loss name that does not exist; the smooth hinge has no smooth dual flow.
    assert_rejected(
        &with(
            r#""regulariser": { "l2": { "lambda": 0.01 } }"#,
            r#""regulariser": { "l2": { "lambda": 0.01 } }, "loss": "hinge""#,
        ),
        "model.loss",
    );
    assert_rejected(
        &with(
            r#""regulariser": { "l2": { "lambda": 0.01 } }"#,
            r#""regulariser": { "l2": { "lambda": 0.01 } }, "loss": "smooth_hinge""#,
        )
        .replace(r#""t_end": 10.0"#, r#""t_end": 10.0, "space": "alpha""#),
        "model.loss",
    );
}

#[test]
fn unwritable_output_folder() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let (code, stderr, _, _dir) = run_spec(GOOD, Some(&blocker.join("sub")));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--out"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1);
}

#[test]
fn missing_spec_file() {
    let output = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .args(["run", "/nonexistent/spec.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("SPEC"));
}
