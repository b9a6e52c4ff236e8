//! Shards and merge (reliability issue, class 1): "Empty shards are normal; merge must accept
//! them and still equal the unsharded bytes" — a sweep with fewer lines than shards, as the
//! README's 64-task Slurm array gives for any sweep with fewer than 64 lines. And the shard
//! format keeps every number exactly, NaN and ±∞ included.

use crate::common;
use std::path::Path;

use starvation::sweep::{
    CellFailure, CellOutcome, LineResult, ShardFile, SweepResult, ThresholdRecord, ThresholdStatus,
    shard_range,
};

/// 3 lines (δ) of 5 cells (s1): fewer lines than the 8 shards used below.
const SPEC: &str = r#"{
  "name": "few_lines",
  "model": { "features": { "toy": { "s1": 2.0, "s2": 2.0, "delta": 0.3 } } },
  "sweep": {
    "axes": [
      { "parameter": "delta", "values": [0.1, 0.3, 0.5] },
      { "parameter": "s1", "values": { "linspace": { "start": 1.0, "stop": 9.0, "count": 5 } } }
    ],
    "metrics": [ "z", "starvation_ratio" ],
    "thresholds": [ { "metric": "ratio2", "level": 0.5 } ]
  }
}"#;

fn starvation(args: &[&str]) -> (i32, String) {
    let r = common::run_binary(None, args);
    (r.code, r.both())
}

fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    [
        "few_lines.sweep.csv",
        "few_lines.thresholds.csv",
        "few_lines.sweep.json",
    ]
    .iter()
    .map(|n| (n.to_string(), std::fs::read(dir.join(n)).expect(n)))
    .collect()
}

#[test]
fn more_shards_than_lines_merge_into_the_unsharded_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("few_lines.json.spec");
    std::fs::write(&spec, SPEC).unwrap();
    let spec = spec.to_str().unwrap();
    let whole = tmp.path().join("whole");
    let (code, text) = starvation(&["sweep", spec, "--out", whole.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    let sharded = tmp.path().join("sharded");
    let dir = sharded.to_str().unwrap();
    let mut empty = 0;
    for k in 1..=8 {
        if shard_range(3, k - 1, 8).is_empty() {
            empty += 1;
        }
        let (code, text) = starvation(&["sweep", spec, "--out", dir, "--shard", &format!("{k}/8")]);
        assert_eq!(code, 0, "shard {k}: {text}");
    }
    assert_eq!(empty, 5, "3 lines over 8 shards leave 5 shards empty");
    let (code, text) = starvation(&["merge", spec, "--out", dir]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(outputs(&whole), outputs(&sharded));
}

#[test]
fn a_missing_shard_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("s.json");
    std::fs::write(&spec, SPEC).unwrap();
    let dir = tmp.path().join("out");
    let (s, d) = (spec.to_str().unwrap(), dir.to_str().unwrap());
    for k in [1, 2, 4] {
        assert_eq!(
            starvation(&["sweep", s, "--out", d, "--shard", &format!("{k}/4")]).0,
            0
        );
    }
    let (code, text) = starvation(&["merge", s, "--out", d]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("shard 3/4 missing"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[test]
fn shard_arithmetic_cannot_overflow() {
    // lines · k would overflow usize without care.
    let r = shard_range(usize::MAX / 2, 999_999, 1_000_000);
    assert!(r.start <= r.end && r.end == usize::MAX / 2);
    let (code, text) = starvation(&[
        "sweep",
        "/nonexistent.json",
        "--shard",
        "99999999999999999999/3",
    ]);
    assert_eq!(code, 2, "{text}");
}

#[test]
fn the_shard_format_keeps_every_number_exactly() {
    let odd = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        f64::MIN_POSITIVE / 3.0,
        0.1 + 0.2,
        f64::MAX,
        -1.234_567_890_123_456_7e-300,
    ];
    let result = SweepResult {
        lines: vec![LineResult {
            line: 4,
            cells: vec![
                CellOutcome {
                    values: odd.to_vec(),
                    failure: None,
                },
                CellOutcome {
                    values: vec![f64::NAN; odd.len()],
                    failure: Some(CellFailure::Equilibrium(
                        "no equilibrium: \"quoted\"".into(),
                    )),
                },
            ],
            thresholds: vec![vec![ThresholdRecord {
                criterion: "ratio2 = 0.5 along s1".into(),
                status: ThresholdStatus::Failed,
                value: f64::NAN,
                bracket: [1.0 / 3.0, f64::INFINITY],
                precision: 2.0 / 3.0,
                crossings: 2,
                crossing: 1,
                direction: Some(starvation::sweep::CrossingDirection::Falling),
                sides: [-0.0, f64::NAN],
            }]],
        }],
        ..Default::default()
    };
    let file = ShardFile::with_range("abc", 2, 3, 4..5, result.clone());
    let text = serde_json::to_string(&file).unwrap();
    let back = ShardFile::parse(&text).expect("parses");
    let bits = |r: &SweepResult| -> Vec<u64> {
        r.lines
            .iter()
            .flat_map(|l| {
                l.cells
                    .iter()
                    .flat_map(|c| c.values.iter().map(|v| v.to_bits()))
                    .chain(l.thresholds.iter().flatten().flat_map(|t| {
                        [
                            t.value,
                            t.bracket[0],
                            t.bracket[1],
                            t.precision,
                            t.sides[0],
                            t.sides[1],
                        ]
                        .map(|v| {
                            if v.is_nan() {
                                0x7ff8_0000_0000_0000
                            } else {
                                v.to_bits()
                            }
                        })
                    }))
            })
            .map(|b| {
                if f64::from_bits(b).is_nan() {
                    0x7ff8_0000_0000_0000
                } else {
                    b
                }
            })
            .collect()
    };
    let back_result = SweepResult {
        lines: back.results.clone(),
        ..Default::default()
    };
    assert_eq!(bits(&result), bits(&back_result));
    assert_eq!(
        back.results[0].cells[1].failure,
        result.lines[0].cells[1].failure
    );
    // A truncated file is not a shard.
    assert!(ShardFile::parse(&text[..text.len() - 5]).is_none());
}
