//! Claim (issue 18, point 3 with "Bad input"): an orbit-diagram section with a step range that
//! is not positive (h ≤ 0), a momentum outside [0, 1), a momentum map without its momentum,
//! steps not increasing, too many kept points or map iterations, a coordinate the model does
//! not have, or several models is refused — by `check` and by `equilibrium` — with one line
//! naming the field, exit status 2, before any work and before any file is written; the shipped
//! spec passes `check`.

use crate::common;

fn spec(extra: &str, panel: &str) -> String {
    format!(
        r#"{{
  "name": "od",
  "model": {{
    "features": {{ "toy": {{ "s1": 6.0, "s2": 2.0, "delta": 0.5 }} }},
    "regulariser": {{ "l2": {{ "lambda": 0.01 }} }}
  }},
  {extra}
  "equilibrium": {{ "orbit_diagram": {{ "panels": [ {{ {panel} }} ] }} }}
}}"#
    )
}

fn assert_refused(text: &str, field: &str, words: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec.json");
    std::fs::write(&path, text).unwrap();
    let out = dir.path().join("out");
    for args in [
        vec!["check", path.to_str().unwrap()],
        vec![
            "equilibrium",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    ] {
        let ran = common::run_binary(None, &args);
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.both());
        assert_eq!(ran.stderr.trim_end().lines().count(), 1, "{}", ran.stderr);
        assert!(ran.stderr.contains(field), "{args:?}: {}", ran.stderr);
        assert!(ran.stderr.contains(words), "{args:?}: {}", ran.stderr);
        assert!(!out.exists(), "{args:?}: the output folder was created");
    }
}

#[test]
fn bad_orbit_diagram_sections_are_refused_before_any_work() {
    let steps = r#""steps": { "linspace": { "start": 15, "stop": 45, "count": 100 } }"#;
    assert_refused(
        &spec(
            "",
            r#""steps": { "linspace": { "start": -1, "stop": 45, "count": 100 } }"#,
        ),
        "equilibrium.orbit_diagram.panels[0].steps",
        "h > 0",
    );
    assert_refused(
        &spec("", r#""steps": [0, 10]"#),
        "equilibrium.orbit_diagram.panels[0].steps",
        "h > 0",
    );
    assert_refused(
        &spec("", r#""steps": [10, 5]"#),
        "equilibrium.orbit_diagram.panels[0].steps",
        "increasing",
    );
    for mu in ["1.0", "-0.1", "2"] {
        assert_refused(
            &spec(
                "",
                &format!(r#""method": "heavy_ball", "momentum": {mu}, {steps}"#),
            ),
            "equilibrium.orbit_diagram.panels[0].momentum",
            "[0, 1)",
        );
    }
    assert_refused(
        &spec("", &format!(r#""method": "nesterov", {steps}"#)),
        "equilibrium.orbit_diagram.panels[0].momentum",
        "missing",
    );
    assert_refused(
        &spec("", &format!(r#""method": "gd", "momentum": 0.5, {steps}"#)),
        "equilibrium.orbit_diagram.panels[0].momentum",
        "heavy_ball",
    );
    // Too many kept points: 2000 steps × 1000 points.
    assert_refused(
        &spec(
            "",
            r#""steps": { "linspace": { "start": 1, "stop": 45, "count": 2000 } }, "method": "gd""#,
        )
        .replace(r#""panels""#, r#""points": 1000, "panels""#),
        "equilibrium.orbit_diagram.points",
        "1000000",
    );
    // Too many iterations: 2000 steps × 20 000 transient.
    assert_refused(
        &spec(
            "",
            r#""steps": { "linspace": { "start": 1, "stop": 45, "count": 2000 } }"#,
        )
        .replace(r#""panels""#, r#""transient": 20000, "panels""#),
        "equilibrium.orbit_diagram.transient",
        "map iterations",
    );
    assert_refused(
        &spec("", steps).replace(r#""panels""#, r#""coordinate": "z3", "panels""#),
        "equilibrium.orbit_diagram.coordinate",
        "2 features",
    );
    assert_refused(
        &spec(
            r#""vary": [ { "path": "model.features.toy.s1", "values": [4, 6] } ],"#,
            steps,
        ),
        "equilibrium.orbit_diagram",
        "describes 2",
    );
}

#[test]
fn the_shipped_orbit_diagram_spec_passes_check() {
    let ran = common::run_binary(None, &["check", "simulations/orbit_diagram_toy.json"]);
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert!(
        ran.stdout.contains("2 orbit-diagram panels"),
        "{}",
        ran.stdout
    );
}
