//! Issue 22, point 3: "log-spaced output times (`{"logspace": …}`)". Fix claimed:
//! `"output": {"times": {"logspace": {"start", "stop", "count"}}}` records a trajectory at
//! exactly those times (after the initial state at t_start, and t_end when it is not the last),
//! in the JSON table and as the rows of the run CSV.

use std::process::Command;

#[test]
fn logspace_output_times_are_the_rows_of_the_run_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("log.json");
    std::fs::write(
        &spec,
        r#"{ "name": "log", "model": { "features": { "toy": { "s1": 3, "s2": 1, "delta": 0.3 } } },
             "simulation": { "t_end": 1000,
               "output": { "times": { "logspace": { "start": 0.001, "stop": 1000, "count": 7 } } } } }"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .args(["run", spec.to_str().unwrap(), "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // t_start = 0, then 10^-3, 10^-2, …, 10^3: the decades exactly (endpoints are the given
    // values, inner points 10^(a + i(b − a)/(n − 1)) snapped to 15 significant digits).
    let expected = [0.0, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0];
    let mut reader = csv::Reader::from_path(tmp.path().join("log.run.csv")).unwrap();
    let t_column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "t")
        .unwrap();
    let times: Vec<f64> = reader
        .records()
        .map(|r| r.unwrap()[t_column].parse().unwrap())
        .collect();
    assert_eq!(times, expected);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("log.run.json")).unwrap())
            .unwrap();
    let table_t: Vec<f64> = doc["data"]["runs"][0]["table"]["t"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(table_t, expected);
}
