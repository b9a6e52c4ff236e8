//! Issue 22, point 3: "the regulariser's kind and λ as separate CSV columns (today `sd(0.001)`
//! has to be parsed)". Fix claimed: every CSV that carries a regulariser has a `regulariser`
//! column with its kind (none, l2, sd) and a `lambda` column with λ as a plain number (empty for
//! none): the run CSV for every run; the sweep's cell and threshold tables for a regulariser
//! axis (there `lambda` is left out when a λ axis sets λ, whose own column is then `lambda`, and
//! per-class SD adds `lambda_negative_ratio`, `target_positive`, `target_negative`).

use std::collections::HashMap;
use std::process::Command;

fn run(command: &str, spec: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("s.json");
    std::fs::write(&path, spec).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .args([command, path.to_str().unwrap(), "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tmp
}

/// The CSV file as rows of header → field.
fn rows(path: &std::path::Path) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn the_run_csv_has_the_kind_and_lambda_of_every_run() {
    let tmp = run(
        "run",
        r#"{ "name": "s", "model": { "features": { "toy": { "s1": 3, "s2": 1, "delta": 0.3 } },
                                      "regulariser": { "l2": { "lambda": 0.01 } } },
             "simulation": { "t_end": 1, "output": { "count": 2 } },
             "runs": [ { "label": "default" },
                       { "label": "sd", "model": { "regulariser": { "sd": { "lambda": 0.001 } } } },
                       { "label": "none", "model": { "regulariser": "none" } } ] }"#,
    );
    let (header, rows) = rows(&tmp.path().join("s.run.csv"));
    assert_eq!(
        header,
        ["run", "label", "regulariser", "lambda", "t", "z1", "z2"]
    );
    let by_label = |l: &str| -> Vec<(String, String)> {
        rows.iter()
            .filter(|r| r["label"] == l)
            .map(|r| (r["regulariser"].clone(), r["lambda"].clone()))
            .collect()
    };
    assert_eq!(by_label("default"), vec![("l2".into(), "0.01".into()); 2]);
    assert_eq!(by_label("sd"), vec![("sd".into(), "0.001".into()); 2]);
    assert_eq!(by_label("none"), vec![("none".into(), String::new()); 2]);
}

#[test]
fn a_regulariser_axis_is_kind_and_lambda_in_the_sweep_tables() {
    let tmp = run(
        "sweep",
        r#"{ "name": "s", "model": { "features": { "toy": { "s1": 6, "s2": 2, "delta": 0.5 } } },
             "sweep": { "axes": [
               { "parameter": "regulariser", "values": [ { "l2": { "lambda": 0.01 } }, { "sd": { "lambda": 0.002 } },
                 { "sd": { "lambda": 0.01, "lambda_negative": 0.02, "target_positive": 1 } } ] },
               { "parameter": "s1", "values": [2, 4, 6] } ],
               "metrics": ["z"], "thresholds": [ { "metric": "z1", "level": 5 } ] } }"#,
    );
    let (header, cells) = rows(&tmp.path().join("s.sweep.csv"));
    assert_eq!(
        header[..6],
        [
            "regulariser",
            "lambda",
            "lambda_negative_ratio",
            "target_positive",
            "target_negative",
            "s1"
        ]
    );
    let fields = |r: &HashMap<String, String>| {
        [
            "regulariser",
            "lambda",
            "lambda_negative_ratio",
            "target_positive",
            "target_negative",
        ]
        .map(|c| r[c].clone())
    };
    assert_eq!(cells.len(), 9);
    assert_eq!(fields(&cells[0]), ["l2", "0.01", "", "", ""]);
    assert_eq!(fields(&cells[3]), ["sd", "0.002", "1.0", "0.0", "0.0"]);
    assert_eq!(fields(&cells[6]), ["sd", "0.01", "2.0", "1.0", "0.0"]);
    let (header, thresholds) = rows(&tmp.path().join("s.thresholds.csv"));
    assert_eq!(header[1..3], ["regulariser", "lambda"]);
    assert_eq!(thresholds.len(), 3, "one line per regulariser");
    assert_eq!(fields(&thresholds[1]), ["sd", "0.002", "1.0", "0.0", "0.0"]);
}

#[test]
fn with_a_lambda_axis_the_lambda_column_is_that_axis() {
    let tmp = run(
        "sweep",
        r#"{ "name": "s", "model": { "features": { "toy": { "s1": 6, "s2": 2, "delta": 0.5 } } },
             "sweep": { "axes": [
               { "parameter": "regulariser", "values": [ "none", { "sd": { "lambda": 0.5 } } ] },
               { "parameter": "lambda", "values": [0.001, 0.01] } ],
               "metrics": ["z"] } }"#,
    );
    let (header, cells) = rows(&tmp.path().join("s.sweep.csv"));
    assert_eq!(header, ["regulariser", "lambda", "z1", "z2", "status"]);
    let pairs: Vec<[&str; 2]> = cells
        .iter()
        .map(|r| [r["regulariser"].as_str(), r["lambda"].as_str()])
        .collect();
    // The λ axis sets λ of every regulariser (the 0.5 written in the SD value is not used).
    assert_eq!(
        pairs,
        [
            ["none", "0.001"],
            ["none", "0.01"],
            ["sd", "0.001"],
            ["sd", "0.01"]
        ]
    );
}
