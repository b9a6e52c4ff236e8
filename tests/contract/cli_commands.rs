//! The commands of the binary work end to end on the shipped specs: `check` accepts every spec
//! in simulations/, `equilibrium` prints and writes the starvation matrix, `verify --quick`
//! passes and writes its table, `bench` runs on a small grid.

use crate::common;

fn starvation(args: &[&str]) -> (i32, String) {
    let r = common::run_binary(None, args);
    (r.code, r.both())
}

#[test]
fn every_shipped_spec_is_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("simulations");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let spec = starvation::spec::parse_spec(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            match spec.kind() {
                starvation::spec::SpecKind::Sweep => {
                    starvation::spec::sweep_plan(&spec)
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                }
                starvation::spec::SpecKind::Run => {
                    let (code, log) = starvation(&["check", path.to_str().unwrap()]);
                    assert_eq!(code, 0, "{}: {log}", path.display());
                }
                _ => {}
            }
            n += 1;
        }
    }
    assert!(n >= 6, "expected the shipped specs, found {n}");
}

#[test]
fn equilibrium_command_reports_the_starvation_matrix() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, log) = starvation(&[
        "equilibrium",
        "simulations/toy_equilibrium.json",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("starvation matrix") && log.contains("stable_node"),
        "{log}"
    );
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("toy_equilibrium.equilibrium.json")).unwrap(),
    )
    .unwrap();
    let models = doc["data"]["models"].as_array().unwrap();
    assert_eq!(models.len(), 3);
    // L2: feature 1 starves feature 2 (Theorem 1); SD: no starvation (Theorem 2).
    assert!(models[0]["starvation_matrix"][1][0].as_f64().unwrap() < -1e-3);
    assert!(models[1]["starvation_matrix"][1][0].as_f64().unwrap().abs() < 1e-12);
    assert_eq!(
        models[0]["branch"]["table"]["s1"].as_array().unwrap().len(),
        25
    );
    assert!(doc["provenance"]["git_commit"].is_string());
}

#[test]
fn verify_quick_passes_and_writes_its_table() {
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("verify.json");
    let (code, log) = starvation(&["verify", "--quick", "--json", json.to_str().unwrap()]);
    assert_eq!(code, 0, "{log}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let checks = doc["data"]["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 12);
    assert!(log.contains("12 of 12 checks passed"), "{log}");
}

#[test]
fn bench_runs_on_a_small_grid() {
    let (code, log) = starvation(&["bench", "equilibria", "--side", "16"]);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("equilibrium + starvation matrix"), "{log}");
    let (code, log) = starvation(&["bench", "nonsense"]);
    assert_eq!(code, 2, "{log}");
}
