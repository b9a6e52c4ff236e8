//! Issue 17, "One type per concept": "engine types (methods, options, stop reasons, …) derive
//! serde and are what specs deserialise into and results serialise from". The options a run
//! document records are the engine's `SolveOptions` spelled as a `simulation` section (features
//! 1-based, events nested), so they read back into the same options.

use serde_json::json;
use starvation::solve::{Direction, Method, Output, SolveOptions};
use starvation::spec::simulation;

#[test]
fn recorded_options_read_back_as_the_same_options() {
    let section = json!({
        "method": "radau5",
        "space": "theta",
        "t_start": 1.0,
        "t_end": 9.0,
        "rtol": 1e-7,
        "atol": 1e-9,
        "output": {"times": {"linspace": {"start": 2, "stop": 8, "count": 4}}},
        "max_steps": 1234,
        "initial_step": 0.01,
        "max_step": 0.5,
        "stiffness_test_interval": 7,
        "events": {
            "steady_state": {"tolerance": 0.25},
            "level_crossings": [{"feature": 2, "level": 1.5, "direction": "down", "terminal": false}]
        }
    });
    let parts = simulation(section, 2).expect("a valid section");
    assert_eq!(parts.method, Method::Radau5);
    assert_eq!(
        parts.options.output,
        Output::Times(vec![2.0, 4.0, 6.0, 8.0])
    );
    let crossing = parts.options.events.level_crossings[0];
    assert_eq!(crossing.feature, 1, "feature 2 of the spec is z₂, index 1");
    assert_eq!(crossing.direction, Direction::Down);
    assert!(!crossing.terminal);

    let recorded = serde_json::to_value(&parts.options).expect("serialisable");
    assert_eq!(recorded["events"]["level_crossings"][0]["feature"], 2);
    assert_eq!(
        recorded["events"]["level_crossings"][0]["direction"],
        "down"
    );
    assert_eq!(recorded["output"], json!({"times": [2.0, 4.0, 6.0, 8.0]}));
    let again = simulation(recorded, 2).expect("the record is a valid section");
    assert_eq!(again.options, parts.options);
}

#[test]
fn defaults_are_the_engine_defaults() {
    let parts = simulation(json!({"t_end": 5}), 2).expect("valid");
    assert_eq!(parts.options, SolveOptions::until(5.0));
    assert_eq!(parts.method, Method::default());
}

#[test]
fn a_bad_option_is_named_under_simulation() {
    for (section, field) in [
        (json!({"t_end": 5, "rtl": 1e-6}), "simulation.rtl"),
        (json!({"t_end": 5, "method": "rk4"}), "simulation.method"),
        (
            json!({"t_end": 5, "events": {"level_crossings": [{"feature": 0, "level": 1}]}}),
            "simulation.events.level_crossings[0].feature",
        ),
        (
            json!({"t_end": 5, "events": {"level_crossings": [{"feature": 3, "level": 1}]}}),
            "simulation.events.level_crossings[0].feature",
        ),
        (json!({"t_end": 5, "rtol": -1}), "simulation.rtol"),
    ] {
        let e = simulation(section.clone(), 2).expect_err("invalid");
        assert_eq!(e.field, field, "{section}: {e}");
    }
}
