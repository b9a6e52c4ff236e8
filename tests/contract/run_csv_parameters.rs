//! Issue 10, point 10 ("Tidy tables"): "the run CSV has no parameter columns". Fix claimed: the
//! run CSV has one column per `vary` parameter (named by its path) after `run,label`, and the
//! JSON table columns come in their natural order (t, z1, z2, …, z10, not z1, z10, z2).

use std::process::Command;

#[test]
fn vary_values_are_columns_of_the_run_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("v.json");
    std::fs::write(
        &spec,
        r#"{ "name": "v", "model": { "features": { "toy": { "s1": 3, "s2": 1, "delta": 0.3 } } },
             "simulation": { "t_end": 1, "output": { "count": 2 } },
             "vary": [ { "path": "model.features.toy.s1", "values": [2, 4] } ] }"#,
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
    let csv = std::fs::read_to_string(tmp.path().join("v.run.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "run,label,model.features.toy.s1,regulariser,lambda,t,z1,z2"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0][2], "2");
    assert_eq!(rows[3][2], "4");
}

#[test]
fn json_table_columns_keep_their_natural_order() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("r.json");
    std::fs::write(
        &spec,
        r#"{ "name": "r", "model": { "features": { "random": { "examples": 11, "seed": 3, "power_law": { "largest": 3, "exponent": 0.5 } } } },
             "simulation": { "t_end": 1, "output": { "count": 2 } } }"#,
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
    let text = std::fs::read_to_string(tmp.path().join("r.run.json")).unwrap();
    let order: Vec<usize> = ["\"t\"", "\"z1\"", "\"z2\"", "\"z9\"", "\"z10\"", "\"z11\""]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
}
