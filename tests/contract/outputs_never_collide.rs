//! Issue 10, point 2: "Files are overwritten. `equilibrium` replaced the user's spec file (same
//! name, same folder); `run`, `equilibrium` and `sweep` all write `NAME.json`; default output
//! folders differ between commands." Fix claimed: per-command names (NAME.run.json,
//! NAME.run.csv, NAME.equilibrium.json, NAME.sweep.json, NAME.sweep.csv), an output that would
//! replace the spec is refused with one line before any work, and every command but `figures`
//! writes into `out/` by default.

use crate::common;
use std::path::Path;

const SPEC: &str = r#"{
  "name": "same",
  "model": { "features": { "toy": { "s1": 3, "s2": 1, "delta": 0.3 } } },
  "simulation": { "t_end": 5, "output": { "count": 3 } },
  "sweep": { "axes": [ { "parameter": "s1", "values": [2, 3] } ], "metrics": ["z"] }
}"#;

fn starvation(dir: &Path, args: &[&str]) -> (i32, String) {
    let r = common::run_binary(Some(dir), args);
    (r.code, r.stderr)
}

#[test]
fn run_equilibrium_and_sweep_write_distinct_files_into_out() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("same.json"), SPEC).unwrap();
    for command in ["run", "equilibrium", "sweep"] {
        let (code, log) = starvation(tmp.path(), &[command, "same.json"]);
        assert_eq!(code, 0, "{command}: {log}");
    }
    let out = tmp.path().join("out");
    for name in [
        "same.run.json",
        "same.run.csv",
        "same.equilibrium.json",
        "same.sweep.json",
        "same.sweep.csv",
        "same.thresholds.csv",
    ] {
        assert!(out.join(name).exists(), "{name} missing");
    }
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("same.run.json")).unwrap()).unwrap();
    assert!(run["data"]["runs"].is_array(), "the run document survived");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("same.json")).unwrap(),
        SPEC
    );
}

#[test]
fn an_output_that_would_replace_the_spec_is_refused_before_work() {
    let tmp = tempfile::tempdir().unwrap();
    // A spec saved under the name of its own equilibrium output, run into its own folder.
    let spec = tmp.path().join("same.equilibrium.json");
    std::fs::write(&spec, SPEC).unwrap();
    for command in ["equilibrium", "run", "sweep"] {
        let (code, log) = starvation(
            tmp.path(),
            &[command, "same.equilibrium.json", "--out", "."],
        );
        assert_eq!(code, 2, "{command}: {log}");
        assert_eq!(log.trim_end().lines().count(), 1, "{log}");
        assert!(log.contains("--out") && log.contains("overwrite"), "{log}");
    }
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), SPEC);
    let files = std::fs::read_dir(tmp.path()).unwrap().count();
    assert_eq!(files, 1, "nothing else was written");
}

#[test]
fn the_spec_beside_its_outputs_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("same.json"), SPEC).unwrap();
    for command in ["run", "equilibrium", "sweep"] {
        let (code, log) = starvation(tmp.path(), &[command, "same.json", "--out", "."]);
        assert_eq!(code, 0, "{command}: {log}");
    }
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("same.json")).unwrap(),
        SPEC
    );
}
