//! Sweeps are reproducible (issue "Parallel parameter sweeps"): "results identical bit for bit
//! to a serial run", and "`starvation merge` combines shard outputs into exactly the bytes of an
//! unsharded run; a rerun skips finished shards".

use std::path::Path;

use crate::common;
use starvation::result::{sweep_document, to_json_bytes, write_sweep_csv, write_thresholds_csv};
use starvation::spec::parse_spec;
use starvation::sweep::run_lines;

const SPEC: &str = r#"{
  "name": "determinism",
  "model": { "features": { "toy": { "s1": 2.0, "s2": 2.0, "delta": 0.5 } }, "regulariser": { "l2": { "lambda": 0.01 } } },
  "sweep": {
    "axes": [
      { "parameter": "regulariser", "values": [ { "l2": { "lambda": 0.01 } }, { "sd": { "lambda": 0.01 } } ] },
      { "parameter": "delta", "values": { "linspace": { "start": 0.05, "stop": 0.65, "count": 7 } } },
      { "parameter": "s1", "values": { "logspace": { "start": 1.0, "stop": 60.0, "count": 23 } } }
    ],
    "metrics": [ "z", "starvation_ratio", "starvation_matrix", { "response_at": { "time": 20 } },
                 { "time_to_fraction": { "feature": 2, "fraction": 0.9 } }, { "overshoot": { "feature": 1 } } ],
    "thresholds": [ { "metric": "ratio2", "level": 0.5 }, { "metric": "M21", "level": 0.0 } ],
    "plots": [ { "kind": "heatmap", "metric": "ratio2", "x": "s1", "y": "delta", "facet": "regulariser" } ]
  }
}"#;

fn bytes_of(parallel: bool) -> Vec<u8> {
    let spec = parse_spec(SPEC).unwrap();
    let plan = starvation::spec::sweep_plan(&spec).unwrap();
    let result = run_lines(&plan, 0..plan.lines(), parallel, &|_| {});
    let mut out = Vec::new();
    write_sweep_csv(&plan, &result, &mut out).unwrap();
    write_thresholds_csv(&plan, &result, &mut out).unwrap();
    out.extend(to_json_bytes(&sweep_document(
        spec.source(),
        &plan,
        &result,
    )));
    out
}

#[test]
fn serial_and_parallel_runs_are_bit_identical() {
    let parallel = bytes_of(true);
    let serial = bytes_of(false);
    assert!(parallel.len() > 10_000);
    assert!(parallel == serial, "parallel and serial sweeps differ");
    // The table holds real numbers, not placeholders.
    let text = String::from_utf8(parallel).unwrap();
    assert!(text.contains("ok") && !text.contains("failed:"));
}

fn starvation(args: &[&str]) -> (i32, String) {
    let r = common::run_binary(None, args);
    (r.code, r.both())
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn sharded_and_merged_equals_unsharded_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("determinism.json");
    std::fs::write(&spec, SPEC).unwrap();
    let (whole, sharded) = (tmp.path().join("whole"), tmp.path().join("sharded"));
    let spec_s = spec.to_str().unwrap();
    let (code, log) = starvation(&["sweep", spec_s, "--out", whole.to_str().unwrap()]);
    assert_eq!(code, 0, "{log}");
    for k in 1..=3 {
        let (code, log) = starvation(&[
            "sweep",
            spec_s,
            "--out",
            sharded.to_str().unwrap(),
            "--shard",
            &format!("{k}/3"),
        ]);
        assert_eq!(code, 0, "{log}");
    }
    // Merging before every shard exists fails with a clear message; here all exist.
    let (code, log) = starvation(&["merge", spec_s, "--out", sharded.to_str().unwrap()]);
    assert_eq!(code, 0, "{log}");
    for name in [
        "determinism.sweep.json",
        "determinism.sweep.csv",
        "determinism.thresholds.csv",
        "determinism_0.png",
        "determinism_0.svg",
        "determinism_0.data.json",
    ] {
        assert!(
            read(&whole, name) == read(&sharded, name),
            "{name} differs between sharded and unsharded runs"
        );
    }
    // A rerun of a finished shard is skipped and leaves the file untouched.
    let shard_file = "determinism.shard-2-of-3.json";
    let before = read(&sharded, shard_file);
    let modified = std::fs::metadata(sharded.join(shard_file))
        .unwrap()
        .modified()
        .unwrap();
    let (code, log) = starvation(&[
        "sweep",
        spec_s,
        "--out",
        sharded.to_str().unwrap(),
        "--shard",
        "2/3",
    ]);
    assert_eq!(code, 0);
    assert!(log.contains("already done"), "{log}");
    assert_eq!(before, read(&sharded, shard_file));
    assert_eq!(
        modified,
        std::fs::metadata(sharded.join(shard_file))
            .unwrap()
            .modified()
            .unwrap()
    );
}

#[test]
fn merge_reports_missing_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("determinism.json");
    std::fs::write(&spec, SPEC).unwrap();
    let out = tmp.path().join("partial");
    let spec_s = spec.to_str().unwrap();
    let (code, _) = starvation(&[
        "sweep",
        spec_s,
        "--out",
        out.to_str().unwrap(),
        "--shard",
        "1/3",
    ]);
    assert_eq!(code, 0);
    let (code, log) = starvation(&["merge", spec_s, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{log}");
    assert!(log.contains("missing"), "{log}");
    assert!(
        !out.join("determinism.sweep.csv").exists(),
        "no partial output may be written"
    );
}
