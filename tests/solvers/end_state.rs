//! Claim: no wrong number with exit 0. Tolerances outside the range where the error control
//! means something (rtol in [1e−14, 0.1], atol in (0, 1]) are refused by `check`; loose ones
//! (rtol > 1e−4 or atol > 1e−6) carry a warning in the document and on the terminal; a run
//! that claims to end at the equilibrium (steady-state stop, or ≥ 20 relaxation times) is
//! checked against z* and flagged when the distance exceeds what the tolerances allow.

use serde_json::{Value, json};
use starvation::equilibrium::end_state::{EndClaim, GLOBAL_ERROR_MARGIN, check_end_state};
use starvation::flow::{Space, build_flow};
use starvation::model::{FeatureModel, Regulariser};
use starvation::solve::{Method, SolveOptions, SteadyState, integrate};

use crate::common;

fn toy() -> FeatureModel {
    FeatureModel::two_feature_toy(6.0, 2.0, 0.5)
        .unwrap()
        .with_regulariser(Regulariser::L2 { lambda: 0.1 })
        .unwrap()
}

fn run(options: &SolveOptions, method: Method) -> starvation::solve::Trajectory {
    let field = build_flow(&toy(), Space::Responses).unwrap();
    integrate(field.as_ref(), &[0.0, 0.0], method, options).unwrap()
}

#[test]
fn settled_runs_agree_with_the_equilibrium_well_inside_the_allowance() {
    let long = SolveOptions::until(3000.0);
    let mut steady = SolveOptions::until(3000.0);
    steady.events.steady_state = Some(SteadyState::default());
    for (options, method, claim) in [
        (&long, Method::Dop853, EndClaim::Horizon),
        (&long, Method::Radau5, EndClaim::Horizon),
        (&steady, Method::Dop853, EndClaim::SteadyState),
    ] {
        let tr = run(options, method);
        let check = check_end_state(&toy(), &tr, options).expect("a claim is made");
        assert_eq!(check.claim, claim);
        assert!(check.agrees, "{method}: {check:?}");
        // Measured ≤ 0.02 (DOP853 ends within 0.1 w of z*); the margin of 100 w is not what
        // makes these pass.
        assert!(check.distance_over_allowed < 0.05, "{method}: {check:?}");
    }
}

#[test]
fn an_end_state_off_the_equilibrium_is_flagged() {
    let options = SolveOptions::until(3000.0);
    let mut tr = run(&options, Method::Dop853);
    let z_star = check_end_state(&toy(), &tr, &options).unwrap().equilibrium;
    // Moved by 3 allowances of the global error margin in z₂: no longer what the tolerances
    // allow.
    let w = options.atol + options.rtol * z_star[1].abs();
    let last = tr.responses.len() - 1;
    tr.responses[last][1] = z_star[1] + 3.0 * GLOBAL_ERROR_MARGIN * w;
    tr.states[last][1] = tr.responses[last][1];
    let check = check_end_state(&toy(), &tr, &options).unwrap();
    assert!(!check.agrees, "{check:?}");
    assert!((check.distance_over_allowed - 3.0).abs() < 0.1, "{check:?}");
}

#[test]
fn short_runs_maps_and_level_crossings_make_no_claim() {
    let short = SolveOptions::until(5.0);
    assert!(check_end_state(&toy(), &run(&short, Method::Dop853), &short).is_none());
    let mut gd = SolveOptions::until(3000.0);
    gd.step = Some(0.01);
    assert!(check_end_state(&toy(), &run(&gd, Method::GradientDescent), &gd).is_none());
}

fn spec(simulation: Value) -> Value {
    json!({
        "name": "tolerances",
        "model": {
            "features": {"toy": {"s1": 6.0, "s2": 2.0, "delta": 0.5}},
            "regulariser": {"l2": {"lambda": 0.1}}
        },
        "simulation": simulation
    })
}

#[test]
fn tolerances_out_of_range_are_refused_by_check_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    for (simulation, field) in [
        (json!({"t_end": 10, "rtol": 0.5}), "simulation.rtol"),
        (json!({"t_end": 10, "rtol": 1e-15}), "simulation.rtol"),
        (json!({"t_end": 10, "atol": 2.0}), "simulation.atol"),
        (json!({"t_end": 10, "atol": 0.0}), "simulation.atol"),
    ] {
        let path = dir.path().join("spec.json");
        std::fs::write(&path, spec(simulation.clone()).to_string()).unwrap();
        for command in ["check", "run"] {
            let out = dir.path().join("out");
            let args: &[&str] = if command == "check" {
                &["check", "spec.json"]
            } else {
                &["run", "spec.json", "--out", out.to_str().unwrap()]
            };
            let ran = common::run_binary(Some(dir.path()), args);
            assert_eq!(ran.code, 2, "{simulation}: {}", ran.stderr);
            assert!(
                ran.stderr.starts_with(&format!("error: {field}: ")),
                "{simulation}: {}",
                ran.stderr
            );
            assert_eq!(ran.stderr.trim_end().lines().count(), 1);
            assert!(!out.join("tolerances.run.json").exists());
        }
    }
}

#[test]
fn loose_tolerances_carry_a_warning_in_the_document_and_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec.json");
    std::fs::write(
        &path,
        spec(json!({"t_end": 3000, "rtol": 1e-2, "atol": 1e-3})).to_string(),
    )
    .unwrap();
    let ran = common::run_binary(Some(dir.path()), &["run", "spec.json", "--out", "out"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let all = format!("{}{}", ran.stdout, ran.stderr);
    assert!(
        all.contains("warning: run: loose tolerances (rtol = 1e-2"),
        "{all}"
    );
    let doc: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/tolerances.run.json")).unwrap())
            .unwrap();
    let warnings = doc["data"]["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("loose tolerances")),
        "{warnings:?}"
    );
    // The loose run still ends where the tolerances allow.
    assert_eq!(doc["data"]["runs"][0]["end_state"]["agrees"], true);
    // Default tolerances: no warning.
    std::fs::write(&path, spec(json!({"t_end": 10})).to_string()).unwrap();
    let ran = common::run_binary(Some(dir.path()), &["run", "spec.json", "--out", "out2"]);
    assert!(!format!("{}{}", ran.stdout, ran.stderr).contains("warning"));
}
