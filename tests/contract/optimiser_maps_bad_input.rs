//! Claim (issue 18, "Bad input"): steps and momenta out of range (h ≤ 0, μ ∉ [0, 1)), a momentum
//! given to a method without one, a momentum map without its momentum, and Adam (which has no
//! closed map in the flow's coordinates) are refused by `check` before any work, with one line
//! naming the field and exit status 2; a good heavy-ball spec passes `check`.

use std::process::Command;

fn spec(simulation: &str) -> String {
    format!(
        r#"{{
  "name": "maps",
  "model": {{
    "features": {{ "toy": {{ "s1": 3.0, "s2": 1.5, "delta": 0.4 }} }},
    "regulariser": {{ "l2": {{ "lambda": 0.05 }} }}
  }},
  "simulation": {{ "t_end": 10.0, {simulation} }}
}}"#
    )
}

fn check(text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec.json");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .args(["check", path.to_str().unwrap()])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn assert_refused(simulation: &str, field: &str, words: &str) {
    let (code, stderr) = check(&spec(simulation));
    assert_eq!(code, 2, "{simulation}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(field), "{simulation}: {stderr}");
    assert!(stderr.contains(words), "{simulation}: {stderr}");
}

#[test]
fn out_of_range_steps_and_momenta_are_refused() {
    assert_refused(
        r#""method": "heavy_ball", "step": 0.0, "momentum": 0.9"#,
        "simulation.step",
        "> 0",
    );
    assert_refused(
        r#""method": "nesterov", "step": -0.1, "momentum": 0.9"#,
        "simulation.step",
        "> 0",
    );
    for mu in ["1.0", "-0.1", "1.5"] {
        assert_refused(
            &format!(r#""method": "heavy_ball", "step": 0.1, "momentum": {mu}"#),
            "simulation.momentum",
            "[0, 1)",
        );
    }
    assert_refused(
        r#""method": "heavy_ball", "step": 0.1"#,
        "simulation.momentum",
        "needs a momentum",
    );
    assert_refused(
        r#""method": "nesterov", "momentum": 0.5"#,
        "simulation.step",
        "needs a step",
    );
}

#[test]
fn momentum_without_a_momentum_method_is_refused() {
    assert_refused(
        r#""method": "gd", "step": 0.1, "momentum": 0.9"#,
        "simulation.momentum",
        "heavy_ball",
    );
    assert_refused(r#""momentum": 0.9"#, "simulation.momentum", "heavy_ball");
}

#[test]
fn adam_outside_theta_is_refused_with_the_reason() {
    assert_refused(
        r#""method": "adam", "step": 0.1"#,
        "simulation.method",
        "not a function of the responses",
    );
    assert_refused(
        r#""method": "adam", "space": "theta", "step": 0.1, "betas": [0.9, 1.5]"#,
        "simulation.betas[1]",
        "[0, 1)",
    );
    assert_refused(
        r#""method": "adam", "space": "theta", "step": 0.1, "eps": 0"#,
        "simulation.eps",
        "",
    );
    assert_refused(
        r#""method": "heavy_ball", "step": 0.1, "momentum": 0.9, "eps": 1e-8"#,
        "simulation.eps",
        "adam",
    );
    let (code, stderr) = check(&spec(r#""method": "adam", "space": "theta", "step": 0.1"#));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn good_momentum_specs_pass() {
    for method in ["heavy_ball", "nesterov"] {
        let (code, stderr) = check(&spec(&format!(
            r#""method": "{method}", "step": 0.1, "momentum": 0.9"#
        )));
        assert_eq!(code, 0, "{method}: {stderr}");
    }
}
